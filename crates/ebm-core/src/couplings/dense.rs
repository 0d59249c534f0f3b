//! Dense symmetric couplings.

use super::Couplings;
use crate::error::{Error, Result};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// A dense symmetric N×N coupling matrix with zero diagonal.
///
/// Stored column-major in an [`nalgebra::DMatrix`]; since W is symmetric,
/// column i is row i, so [`row`](Self::row) is a contiguous slice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Vec<f32>>", into = "Vec<Vec<f32>>")]
pub struct DenseCouplings {
    matrix: DMatrix<f32>,
}

impl DenseCouplings {
    /// Validates `matrix` (square, finite, exactly symmetric, zero diagonal).
    pub fn new(matrix: DMatrix<f32>) -> Result<Self> {
        let n = matrix.nrows();
        if matrix.ncols() != n {
            return Err(Error::shape("coupling matrix columns", n, matrix.ncols()));
        }
        crate::error::check_finite("coupling matrix (column-major)", matrix.as_slice())?;
        for i in 0..n {
            let d = matrix[(i, i)];
            if d != 0.0 {
                return Err(Error::NonZeroDiagonal { unit: i, value: f64::from(d) });
            }
            for j in (i + 1)..n {
                let (a, b) = (matrix[(i, j)], matrix[(j, i)]);
                if a != b {
                    return Err(Error::NotSymmetric { i, j, w_ij: f64::from(a), w_ji: f64::from(b) });
                }
            }
        }
        Ok(Self { matrix })
    }

    /// Symmetrises a nearly symmetric matrix: W := (M + Mᵀ)/2, after checking
    /// that |M_ij − M_ji| ≤ `tolerance` everywhere and that the diagonal is zero.
    /// Useful for matrices produced by floating-point products.
    pub fn symmetrized(matrix: DMatrix<f32>, tolerance: f32) -> Result<Self> {
        let n = matrix.nrows();
        if matrix.ncols() != n {
            return Err(Error::shape("coupling matrix columns", n, matrix.ncols()));
        }
        crate::error::check_finite("coupling matrix (column-major)", matrix.as_slice())?;
        let mut sym = matrix.clone();
        for i in 0..n {
            for j in (i + 1)..n {
                let (a, b) = (matrix[(i, j)], matrix[(j, i)]);
                if (a - b).abs() > tolerance {
                    return Err(Error::NotSymmetric { i, j, w_ij: f64::from(a), w_ji: f64::from(b) });
                }
                let mean = 0.5 * (a + b);
                sym[(i, j)] = mean;
                sym[(j, i)] = mean;
            }
        }
        Self::new(sym)
    }

    /// N×N zeros.
    pub fn zeros(n: usize) -> Self {
        Self { matrix: DMatrix::zeros(n, n) }
    }

    /// Row (= column) i as a contiguous slice of N entries.
    #[inline]
    pub fn row(&self, i: usize) -> &[f32] {
        let n = self.matrix.nrows();
        &self.matrix.as_slice()[i * n..(i + 1) * n]
    }

    /// The matrix.
    pub fn matrix(&self) -> &DMatrix<f32> {
        &self.matrix
    }

    /// Consumes the storage, returning the matrix.
    pub fn into_matrix(self) -> DMatrix<f32> {
        self.matrix
    }
}

impl Couplings for DenseCouplings {
    const MODEL_KIND: &'static str = "pairwise-dense";

    fn num_units(&self) -> usize {
        self.matrix.nrows()
    }

    fn get(&self, i: usize, j: usize) -> f32 {
        self.matrix[(i, j)]
    }

    #[inline]
    fn for_each_in_row(&self, i: usize, mut f: impl FnMut(usize, f32)) {
        for (j, &w) in self.row(i).iter().enumerate() {
            f(j, w);
        }
    }

    #[inline]
    fn row_dot(&self, i: usize, state: &[i8]) -> f64 {
        self.row(i).iter().zip(state).map(|(&w, &s)| f64::from(w) * f64::from(s)).sum()
    }

    fn degree(&self, _i: usize) -> usize {
        self.matrix.nrows().saturating_sub(1)
    }

    fn scaled(&self, factor: f32) -> Self {
        Self { matrix: &self.matrix * factor }
    }
}

impl TryFrom<Vec<Vec<f32>>> for DenseCouplings {
    type Error = Error;
    fn try_from(rows: Vec<Vec<f32>>) -> Result<Self> {
        let n = rows.len();
        for (i, row) in rows.iter().enumerate() {
            if row.len() != n {
                return Err(Error::shape(format!("coupling matrix row {i}"), n, row.len()));
            }
        }
        Self::new(DMatrix::from_fn(n, n, |i, j| rows[i][j]))
    }
}

impl From<DenseCouplings> for Vec<Vec<f32>> {
    fn from(c: DenseCouplings) -> Self {
        (0..c.num_units()).map(|i| c.row(i).to_vec()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_bad_matrices() {
        let asym = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 2.0, 0.0]);
        assert!(matches!(DenseCouplings::new(asym), Err(Error::NotSymmetric { i: 0, j: 1, .. })));
        let diag = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 0.0]);
        assert!(matches!(DenseCouplings::new(diag), Err(Error::NonZeroDiagonal { unit: 0, .. })));
        let nan = DMatrix::from_row_slice(2, 2, &[0.0, f32::NAN, f32::NAN, 0.0]);
        assert!(matches!(DenseCouplings::new(nan), Err(Error::NonFinite { .. })));
        let rect = DMatrix::<f32>::zeros(2, 3);
        assert!(matches!(DenseCouplings::new(rect), Err(Error::ShapeMismatch { .. })));
        let ragged: Vec<Vec<f32>> = vec![vec![0.0, 1.0], vec![1.0]];
        assert!(DenseCouplings::try_from(ragged).is_err());
    }

    #[test]
    fn symmetrized_averages_within_tolerance() {
        let m = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0 + 1e-6, 0.0]);
        let c = DenseCouplings::symmetrized(m.clone(), 1e-5).unwrap();
        assert_eq!(c.get(0, 1), c.get(1, 0));
        assert!(DenseCouplings::symmetrized(m, 1e-7).is_err());
    }

    proptest! {
        #[test]
        fn symmetric_validation_accepts_exactly_the_symmetric_zero_diagonal_matrices(
            n in 1usize..7,
            entries in prop::collection::vec(-3.0f32..3.0, 49),
            perturb_i in 0usize..7, perturb_j in 0usize..7, delta in prop::sample::select(vec![0.0f32, 0.5, -1.25]),
        ) {
            let mut m = DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { entries[i.min(j) * 7 + i.max(j)] });
            prop_assert!(DenseCouplings::new(m.clone()).is_ok());
            let (pi, pj) = (perturb_i % n, perturb_j % n);
            m[(pi, pj)] += delta;
            let ok = DenseCouplings::new(m).is_ok();
            prop_assert_eq!(ok, delta == 0.0);
        }

        #[test]
        fn serde_round_trip(n in 0usize..6, entries in prop::collection::vec(-3.0f32..3.0, 36)) {
            let m = DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { entries[i.min(j) * 6 + i.max(j)] });
            let c = DenseCouplings::new(m).unwrap();
            let json = serde_json::to_string(&c).unwrap();
            prop_assert_eq!(serde_json::from_str::<DenseCouplings>(&json).unwrap(), c);
        }
    }
}
