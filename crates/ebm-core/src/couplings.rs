//! Symmetric coupling matrices with zero diagonal: dense and sparse storage.

mod dense;
mod sparse;

pub use dense::DenseCouplings;
pub use sparse::SparseCouplings;

/// Storage for a symmetric N×N coupling matrix W with zero diagonal.
///
/// Both implementations validate on construction: square shape, finite
/// entries, W_ij = W_ji exactly, W_ii = 0.
pub trait Couplings: Clone + std::fmt::Debug + Send + Sync {
    /// The model kind written into model files for a pairwise model with this storage.
    const MODEL_KIND: &'static str;

    /// N.
    fn num_units(&self) -> usize;

    /// W_ij (zero when no coupling is stored).
    fn get(&self, i: usize, j: usize) -> f32;

    /// Calls `f(j, W_ij)` for each stored entry of row i.
    fn for_each_in_row(&self, i: usize, f: impl FnMut(usize, f32));

    /// Σ_j W_ij s_j, accumulated in f64.
    fn row_dot(&self, i: usize, state: &[i8]) -> f64;

    /// Number of stored entries of row i.
    fn degree(&self, i: usize) -> usize;

    /// Σ_j W_ij.
    fn row_sum(&self, i: usize) -> f64 {
        let mut sum = 0.0;
        self.for_each_in_row(i, |_, w| sum += f64::from(w));
        sum
    }

    /// The same storage with every coupling multiplied by `factor`.
    fn scaled(&self, factor: f32) -> Self;
}
