//! The samples a continuous chain returns.

use super::stats::AcceptanceStats;
use nalgebra::DMatrix;

/// Samples x⁽¹⁾, …, x⁽ⁿ⁾ ∈ ℝᵈ of one chain, stored row by row in one flat
/// vector, with the acceptance statistics of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Draws {
    dim: usize,
    values: Vec<f64>,
    pub(crate) burn_in: AcceptanceStats,
    pub(crate) sampling: AcceptanceStats,
    pub(crate) step_size: f64,
}

impl Draws {
    pub(crate) fn new(dim: usize, capacity: usize) -> Self {
        Self {
            dim,
            values: Vec::with_capacity(dim * capacity),
            burn_in: AcceptanceStats::default(),
            sampling: AcceptanceStats::default(),
            step_size: f64::NAN,
        }
    }

    pub(crate) fn push(&mut self, x: &[f64]) {
        self.values.extend_from_slice(x);
    }

    /// The dimension d of each sample.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of samples n.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Sample `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&[f64]> {
        self.values.get(index * self.dim..(index + 1) * self.dim)
    }

    /// The samples in order, each a slice of d values.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.values.chunks_exact(self.dim.max(1))
    }

    /// The time series of coordinate `j` (empty when j ≥ d).
    pub fn coordinate(&self, j: usize) -> Vec<f64> {
        if j >= self.dim { Vec::new() } else { self.rows().map(|x| x[j]).collect() }
    }

    /// All values, row-major: sample i occupies `[i·d, (i+1)·d)`.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// The samples as one vector each.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.rows().map(<[f64]>::to_vec).collect()
    }

    /// Acceptance statistics of the burn-in (adaptation) phase.
    pub fn burn_in_stats(&self) -> AcceptanceStats {
        self.burn_in
    }

    /// Acceptance statistics of the sampling phase, every transition counted
    /// (also those thinned away).
    pub fn stats(&self) -> AcceptanceStats {
        self.sampling
    }

    /// The (frozen) step size used in the sampling phase.
    pub fn step_size(&self) -> f64 {
        self.step_size
    }

    /// The sample mean (1/n) Σ x⁽ⁱ⁾ (zeros when there are no samples).
    pub fn mean(&self) -> Vec<f64> {
        let mut mean = vec![0.0; self.dim];
        for x in self.rows() {
            mean.iter_mut().zip(x).for_each(|(m, v)| *m += v);
        }
        let n = self.len().max(1) as f64;
        mean.iter_mut().for_each(|m| *m /= n);
        mean
    }

    /// The sample covariance (1/(n−1)) Σ (x⁽ⁱ⁾ − x̄)(x⁽ⁱ⁾ − x̄)ᵀ (zeros when n < 2).
    pub fn covariance(&self) -> DMatrix<f64> {
        let d = self.dim;
        let mean = self.mean();
        let mut cov = DMatrix::zeros(d, d);
        for x in self.rows() {
            for i in 0..d {
                for j in 0..=i {
                    cov[(i, j)] += (x[i] - mean[i]) * (x[j] - mean[j]);
                }
            }
        }
        let denominator = (self.len().max(2) - 1) as f64;
        for i in 0..d {
            for j in 0..=i {
                cov[(i, j)] /= denominator;
                cov[(j, i)] = cov[(i, j)];
            }
        }
        cov
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_moments_and_accessors() {
        let mut draws = Draws::new(2, 3);
        assert!(draws.is_empty());
        for x in [[1.0, 2.0], [3.0, 0.0], [2.0, 4.0]] {
            draws.push(&x);
        }
        assert_eq!(draws.len(), 3);
        assert_eq!(draws.get(1), Some(&[3.0, 0.0][..]));
        assert_eq!(draws.get(3), None);
        assert_eq!(draws.coordinate(1), vec![2.0, 0.0, 4.0]);
        assert!(draws.coordinate(2).is_empty());
        assert_eq!(draws.to_rows()[2], vec![2.0, 4.0]);
        assert_eq!(draws.mean(), vec![2.0, 2.0]);
        let cov = draws.covariance();
        assert_eq!((cov[(0, 0)], cov[(1, 1)], cov[(0, 1)], cov[(1, 0)]), (1.0, 4.0, -1.0, -1.0));
    }
}
