//! [`Points`]: training data for a continuous energy, as the driver sees it.

use crate::fit::Examples;
use ebm_core::energy::check_batch;
use ebm_core::{Error, Result};

/// n points of ℝᵈ stored row by row (n·d finite values, n ≥ 1), drawn into
/// minibatches by index.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    values: Vec<f64>,
    dim: usize,
}

impl Points {
    /// The points of `values`, `dim` values each; refuses a dimension of 0,
    /// a partial last row, a non-finite value and an empty set.
    pub fn new(values: Vec<f64>, dim: usize) -> Result<Self> {
        if check_batch(dim, &values)? == 0 {
            return Err(Error::invalid("training data", "there are no points"));
        }
        Ok(Self { values, dim })
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of points n.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    /// Always false: there is at least one point.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Point `i`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// All values, row by row.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The points' bounding box widened by a quarter of its extent (at
    /// least 10⁻³) on each side: one interval per dimension.
    pub fn widened_box(&self) -> Vec<(f64, f64)> {
        (0..self.dim)
            .map(|j| {
                let (low, high) = self
                    .values
                    .iter()
                    .skip(j)
                    .step_by(self.dim)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
                let margin = 0.25 * (high - low).max(1e-3);
                (low - margin, high + margin)
            })
            .collect()
    }
}

impl Examples for Points {
    fn examples(&self) -> usize {
        self.len()
    }

    fn width(&self) -> usize {
        self.dim
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_rows_and_bad_data_are_refused() {
        let points = Points::new(vec![0.0, 1.0, 2.0, 5.0], 2).unwrap();
        assert_eq!((points.len(), points.dim(), points.row(1)), (2, 2, &[2.0, 5.0][..]));
        assert_eq!((points.examples(), points.width()), (2, 2));
        assert_eq!(points.widened_box(), vec![(-0.5, 2.5), (0.0, 6.0)]);
        assert!(Points::new(vec![], 2).is_err());
        assert!(Points::new(vec![1.0, 2.0, 3.0], 2).is_err());
        assert!(Points::new(vec![1.0, f64::NAN], 2).is_err());
        assert!(Points::new(vec![1.0], 0).is_err());
    }
}
