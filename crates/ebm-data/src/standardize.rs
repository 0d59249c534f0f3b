//! Per-feature standardisation: u = (x − μ)/s with μ and s the mean and
//! standard deviation of each column of the training data.
//!
//! Models of real-valued data (the Gaussian–Bernoulli RBM above all) are
//! trained on u, where every feature has mean 0 and variance 1, so that one
//! learning rate and one initial scale suit every feature. A density learned
//! on u maps back to x by the change of variables
//! log p_x(x) = log p_u(u) − Σᵢ log sᵢ ([`Standardization::log_jacobian`]).
//!
//! ```
//! use ebm_data::standardize::Standardization;
//! use nalgebra::DMatrix;
//!
//! let x = DMatrix::from_row_slice(3, 2, &[1.0, 10.0, 2.0, 20.0, 3.0, 30.0]);
//! let standard = Standardization::fit(&x, 1e-6)?;
//! let u = standard.apply(&x)?;
//! assert!(u.column(1).iter().map(|v| v * v).sum::<f32>() - 3.0 < 1e-5);
//! assert!((standard.invert(&u)? - &x).abs().max() < 1e-5);
//! # Ok::<(), ebm_core::Error>(())
//! ```

use ebm_core::error::check_finite;
use ebm_core::{Error, Result};
use nalgebra::DMatrix;

/// The mean μᵢ and standard deviation sᵢ > 0 of each feature.
#[derive(Clone, Debug, PartialEq)]
pub struct Standardization {
    mean: Vec<f32>,
    std_dev: Vec<f32>,
}

impl Standardization {
    /// A standardisation with the given means and deviations (finite, s > 0).
    pub fn new(mean: Vec<f32>, std_dev: Vec<f32>) -> Result<Self> {
        if mean.len() != std_dev.len() {
            return Err(Error::shape("standard deviations", mean.len(), std_dev.len()));
        }
        check_finite("means", &mean)?;
        if let Some(i) = std_dev.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::invalid("standard deviations", format!("s_{i} = {} is not > 0", std_dev[i])));
        }
        Ok(Self { mean, std_dev })
    }

    /// The mean and (population) standard deviation of each column of
    /// `data`, computed in f64; a deviation below `min_std` (> 0) is raised
    /// to it, so that constant features stay finite. Needs at least one row.
    pub fn fit(data: &DMatrix<f32>, min_std: f32) -> Result<Self> {
        if data.nrows() == 0 {
            return Err(Error::invalid("standardisation", "no examples"));
        }
        if !(min_std.is_finite() && min_std > 0.0) {
            return Err(Error::invalid("minimum deviation", format!("{min_std} is not > 0")));
        }
        check_finite("data", data.as_slice())?;
        let n = data.nrows() as f64;
        let (mean, std_dev) = data
            .column_iter()
            .map(|column| {
                let mu = column.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
                let var = column.iter().map(|&x| (f64::from(x) - mu).powi(2)).sum::<f64>() / n;
                (mu as f32, (var.sqrt() as f32).max(min_std))
            })
            .unzip();
        Self::new(mean, std_dev)
    }

    /// μ.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// s.
    pub fn std_dev(&self) -> &[f32] {
        &self.std_dev
    }

    fn check(&self, data: &DMatrix<f32>) -> Result<()> {
        if data.ncols() != self.mean.len() {
            return Err(Error::shape("data columns", self.mean.len(), data.ncols()));
        }
        Ok(())
    }

    /// u = (x − μ)/s for each row x of `data`.
    pub fn apply(&self, data: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.check(data)?;
        Ok(DMatrix::from_fn(data.nrows(), data.ncols(), |r, i| {
            (data[(r, i)] - self.mean[i]) / self.std_dev[i]
        }))
    }

    /// x = μ + s ⊙ u for each row u of `data`.
    pub fn invert(&self, data: &DMatrix<f32>) -> Result<DMatrix<f32>> {
        self.check(data)?;
        Ok(DMatrix::from_fn(data.nrows(), data.ncols(), |r, i| self.mean[i] + self.std_dev[i] * data[(r, i)]))
    }

    /// Σᵢ log sᵢ: log p_x(x) = log p_u(u) − this.
    pub fn log_jacobian(&self) -> f64 {
        self.std_dev.iter().map(|&s| f64::from(s).ln()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn standardised_columns_have_mean_zero_and_variance_one(
            values in prop::collection::vec(-100.0f32..100.0, 20..60), offset in -1e3f32..1e3,
        ) {
            let rows = values.len() / 2;
            let data = DMatrix::from_fn(rows, 2, |r, i| values[2 * r + i] + offset);
            let standard = Standardization::fit(&data, 1e-3).unwrap();
            let u = standard.apply(&data).unwrap();
            for (i, column) in u.column_iter().enumerate() {
                let mean = column.iter().map(|&x| f64::from(x)).sum::<f64>() / rows as f64;
                let var = column.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / rows as f64;
                prop_assert!(mean.abs() < 1e-3);
                if standard.std_dev()[i] > 1e-3 {
                    prop_assert!((var - 1.0).abs() < 1e-3);
                }
            }
            let back = standard.invert(&u).unwrap();
            prop_assert!((back - &data).abs().max() < 1e-3 * (1.0 + offset.abs()));
        }
    }

    #[test]
    fn constant_columns_bad_settings_and_shapes() {
        let data = DMatrix::from_row_slice(2, 2, &[1.0, 4.0, 3.0, 4.0]);
        let standard = Standardization::fit(&data, 0.5).unwrap();
        assert_eq!(standard.std_dev(), &[1.0, 0.5]);
        assert_eq!(standard.mean(), &[2.0, 4.0]);
        assert!((standard.log_jacobian() - 0.5f64.ln()).abs() < 1e-12);
        assert!(Standardization::fit(&data, 0.0).is_err());
        assert!(Standardization::fit(&DMatrix::zeros(0, 2), 1.0).is_err());
        assert!(Standardization::fit(&DMatrix::from_element(1, 1, f32::NAN), 1.0).is_err());
        assert!(standard.apply(&DMatrix::zeros(1, 3)).is_err());
        assert!(Standardization::new(vec![0.0], vec![-1.0]).is_err());
        assert!(Standardization::new(vec![0.0], vec![]).is_err());
    }
}
