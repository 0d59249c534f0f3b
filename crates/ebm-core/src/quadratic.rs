//! The quadratic (Gaussian) energy over ℝᵈ.

use crate::energy::{ContinuousEnergy, DifferentiableEnergy, ParametricEnergy};
use crate::error::{Error, Result, check_finite, check_positive};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// E(x) = ½ (x − μ)ᵀ A (x − μ) with a symmetric positive-definite precision A.
///
/// Its Boltzmann distribution at temperature T is the Gaussian N(μ, T·A⁻¹), with
/// log Z(T) = (d/2) log(2πT) − ½ log det A, and ∇E(x) = A (x − μ).
///
/// ```
/// use ebm_core::{Quadratic, ContinuousEnergy};
/// let e = Quadratic::isotropic(vec![1.0, -1.0], 2.0)?;
/// assert_eq!(e.energy(&[1.0, -1.0]), 0.0);
/// assert_eq!(e.energy(&[2.0, -1.0]), 0.25);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawQuadratic", into = "RawQuadratic")]
pub struct Quadratic {
    mean: DVector<f64>,
    precision: DMatrix<f64>,
    log_det_precision: f64,
}

#[derive(Clone, Serialize, Deserialize)]
struct RawQuadratic {
    mean: Vec<f64>,
    precision: Vec<Vec<f64>>,
}

impl Quadratic {
    /// Validates μ (finite) and A (d×d, finite, exactly symmetric, positive definite).
    pub fn new(mean: Vec<f64>, precision: DMatrix<f64>) -> Result<Self> {
        let d = mean.len();
        check_finite("mean", &mean)?;
        if precision.nrows() != d || precision.ncols() != d {
            return Err(Error::shape(
                "precision matrix (rows × columns)",
                d * d,
                precision.nrows() * precision.ncols(),
            ));
        }
        check_finite("precision matrix (column-major)", precision.as_slice())?;
        for i in 0..d {
            for j in (i + 1)..d {
                if precision[(i, j)] != precision[(j, i)] {
                    return Err(Error::NotSymmetric {
                        i,
                        j,
                        w_ij: precision[(i, j)],
                        w_ji: precision[(j, i)],
                    });
                }
            }
        }
        let cholesky = precision
            .clone()
            .cholesky()
            .ok_or_else(|| Error::invalid("precision matrix", "it is not positive definite"))?;
        let log_det_precision =
            2.0 * cholesky.l_dirty().diagonal().iter().take(d).map(|v| v.ln()).sum::<f64>();
        Ok(Self { mean: DVector::from_vec(mean), precision, log_det_precision })
    }

    /// E(x) = |x − μ|² / (2σ²): an isotropic Gaussian with variance σ² at T = 1.
    pub fn isotropic(mean: Vec<f64>, variance: f64) -> Result<Self> {
        check_positive("variance", variance)?;
        let d = mean.len();
        Self::new(mean, DMatrix::identity(d, d) / variance)
    }

    /// μ.
    pub fn mean(&self) -> &DVector<f64> {
        &self.mean
    }

    /// A.
    pub fn precision(&self) -> &DMatrix<f64> {
        &self.precision
    }

    /// The covariance T·A⁻¹ of the Boltzmann distribution at temperature T.
    pub fn covariance(&self, temperature: f64) -> DMatrix<f64> {
        let inverse = self.precision.clone().cholesky().expect("validated positive definite").inverse();
        inverse * temperature
    }

    /// log Z(T) = (d/2) log(2πT) − ½ log det A.
    pub fn log_partition(&self, temperature: f64) -> Result<f64> {
        check_positive("temperature", temperature)?;
        let d = self.mean.len() as f64;
        Ok(0.5 * d * (2.0 * std::f64::consts::PI * temperature).ln() - 0.5 * self.log_det_precision)
    }

    fn displacement(&self, x: &[f64]) -> DVector<f64> {
        DVector::from_iterator(x.len(), x.iter().zip(self.mean.iter()).map(|(a, m)| a - m))
    }
}

impl ContinuousEnergy for Quadratic {
    fn dim(&self) -> usize {
        self.mean.len()
    }

    fn energy(&self, x: &[f64]) -> f64 {
        let r = self.displacement(x);
        0.5 * r.dot(&(&self.precision * &r))
    }
}

impl DifferentiableEnergy for Quadratic {
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        let r = self.displacement(x);
        let g = &self.precision * &r;
        gradient.copy_from_slice(g.as_slice());
        0.5 * r.dot(&g)
    }
}

/// Trainable through its mean and the Cholesky factor of its precision:
/// θ = (μ, L) with A = L Lᵀ, L lower triangular, stored row by row
/// (L₀₀; L₁₀, L₁₁; …) with each diagonal entry as s_k = log L_kk, so every θ
/// gives a positive-definite A. With r = x − μ and u = Lᵀ r, E = ½ |u|² and
///
/// ```text
/// ∂E/∂μ = −A r = −L u,     ∂E/∂L_ik = r_i u_k  (i > k),     ∂E/∂s_k = r_k u_k L_kk.
/// ```
///
/// p = d + d(d+1)/2 parameters.
impl ParametricEnergy for Quadratic {
    fn num_parameters(&self) -> usize {
        let d = self.mean.len();
        d + d * (d + 1) / 2
    }

    fn parameters(&self, parameters: &mut [f64]) {
        let d = self.mean.len();
        let factor = self.precision.clone().cholesky().expect("validated positive definite").unpack();
        parameters[..d].copy_from_slice(self.mean.as_slice());
        let mut k = d;
        for i in 0..d {
            for j in 0..=i {
                parameters[k] = if i == j { factor[(i, i)].ln() } else { factor[(i, j)] };
                k += 1;
            }
        }
    }

    fn set_parameters(&mut self, parameters: &[f64]) -> Result<()> {
        let d = self.mean.len();
        if parameters.len() != self.num_parameters() {
            return Err(Error::shape("Gaussian energy parameters", self.num_parameters(), parameters.len()));
        }
        check_finite("Gaussian energy parameters", parameters)?;
        let factor = cholesky_factor(d, &parameters[d..]);
        let product = &factor * factor.transpose();
        // Mirror the lower triangle so that A is exactly symmetric.
        let precision = DMatrix::from_fn(d, d, |i, j| product[(i.max(j), i.min(j))]);
        *self = Self::new(parameters[..d].to_vec(), precision)?;
        Ok(())
    }

    fn parameter_gradient(
        &self,
        points: &[f64],
        energies: &mut [f64],
        weight: &mut dyn FnMut(usize, f64) -> f64,
        gradient: &mut [f64],
    ) {
        let d = self.mean.len();
        let mut theta = vec![0.0; self.num_parameters()];
        self.parameters(&mut theta);
        let factor = cholesky_factor(d, &theta[d..]);
        for (n, (x, e)) in points.chunks_exact(d.max(1)).zip(energies.iter_mut()).enumerate() {
            let r = self.displacement(x);
            let u = factor.tr_mul(&r);
            *e = 0.5 * u.norm_squared();
            let c = weight(n, *e);
            let lu = &factor * &u;
            for i in 0..d {
                gradient[i] -= c * lu[i];
            }
            let mut k = d;
            for i in 0..d {
                for j in 0..=i {
                    let scale = if i == j { factor[(i, i)] } else { 1.0 };
                    gradient[k] += c * r[i] * u[j] * scale;
                    k += 1;
                }
            }
        }
    }
}

/// The lower-triangular L from its row-by-row entries with log-diagonal.
fn cholesky_factor(d: usize, entries: &[f64]) -> DMatrix<f64> {
    let mut factor = DMatrix::zeros(d, d);
    let mut k = 0;
    for i in 0..d {
        for j in 0..=i {
            factor[(i, j)] = if i == j { entries[k].exp() } else { entries[k] };
            k += 1;
        }
    }
    factor
}

impl TryFrom<RawQuadratic> for Quadratic {
    type Error = Error;
    fn try_from(raw: RawQuadratic) -> Result<Self> {
        let d = raw.mean.len();
        if raw.precision.len() != d {
            return Err(Error::shape("precision matrix rows", d, raw.precision.len()));
        }
        if let Some((i, row)) = raw.precision.iter().enumerate().find(|(_, r)| r.len() != d) {
            return Err(Error::shape(format!("precision matrix row {i}"), d, row.len()));
        }
        Self::new(raw.mean, DMatrix::from_fn(d, d, |i, j| raw.precision[i][j]))
    }
}

impl From<Quadratic> for RawQuadratic {
    fn from(q: Quadratic) -> Self {
        let d = q.mean.len();
        RawQuadratic {
            mean: q.mean.iter().copied().collect(),
            precision: (0..d).map(|i| (0..d).map(|j| q.precision[(i, j)]).collect()).collect(),
        }
    }
}

impl crate::file::ModelFile for Quadratic {
    const KIND: &'static str = "quadratic";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradient_check::{input_gradient_error, parameter_gradient_error};
    use proptest::prelude::*;

    fn spd(d: usize) -> impl Strategy<Value = Quadratic> {
        (prop::collection::vec(-1.0f64..1.0, d * d), prop::collection::vec(-2.0f64..2.0, d)).prop_map(
            move |(b, mean)| {
                let b = DMatrix::from_vec(d, d, b);
                let a = &b * b.transpose() + DMatrix::identity(d, d) * 0.5;
                let a = (&a + a.transpose()) * 0.5;
                Quadratic::new(mean, a).unwrap()
            },
        )
    }

    #[test]
    fn refuses_bad_precision() {
        let not_pd = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0]);
        assert!(Quadratic::new(vec![0.0; 2], not_pd).is_err());
        let asym = DMatrix::from_row_slice(2, 2, &[1.0, 0.1, 0.2, 1.0]);
        assert!(matches!(Quadratic::new(vec![0.0; 2], asym), Err(Error::NotSymmetric { .. })));
        assert!(Quadratic::new(vec![f64::NAN], DMatrix::identity(1, 1)).is_err());
        assert!(Quadratic::new(vec![0.0; 3], DMatrix::identity(2, 2)).is_err());
        assert!(Quadratic::isotropic(vec![0.0], 0.0).is_err());
    }

    #[test]
    fn log_partition_of_standard_normal() {
        let q = Quadratic::isotropic(vec![0.0; 3], 1.0).unwrap();
        let expect = 1.5 * (2.0 * std::f64::consts::PI).ln();
        assert!((q.log_partition(1.0).unwrap() - expect).abs() < 1e-12);
    }

    #[test]
    fn log_partition_matches_quadrature_in_one_dimension() {
        let q = Quadratic::new(vec![0.3], DMatrix::from_element(1, 1, 2.5)).unwrap();
        let h = 1e-3;
        let z: f64 = (-10_000..=10_000).map(|k| (-q.energy(&[0.3 + k as f64 * h]) / 0.7).exp() * h).sum();
        assert!((z.ln() - q.log_partition(0.7).unwrap()).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn gradient_matches_finite_differences(q in (1usize..5).prop_flat_map(spd), x in prop::collection::vec(-3.0f64..3.0, 5)) {
            let error = input_gradient_error(&q, &x[..q.dim()], 1e-5).unwrap();
            prop_assert!(error < 1e-6, "relative error {}", error);
        }

        #[test]
        fn parameter_gradient_matches_finite_differences(q in (1usize..4).prop_flat_map(spd), x in prop::collection::vec(-2.0f64..2.0, 6), c in prop::collection::vec(-1.5f64..1.5, 2)) {
            // Reading and writing θ reproduces the model.
            let mut theta = vec![0.0; q.num_parameters()];
            q.parameters(&mut theta);
            let mut same = q.clone();
            same.set_parameters(&theta).unwrap();
            prop_assert!((same.precision() - q.precision()).abs().max() < 1e-9);
            let error = parameter_gradient_error(&q, &x[..2 * q.dim()], &c, 1e-6).unwrap();
            prop_assert!(error < 1e-5, "relative error {}", error);
        }

        #[test]
        fn file_round_trip(q in (1usize..4).prop_flat_map(spd)) {
            let bytes = crate::file::encode(&q).unwrap();
            let back: Quadratic = crate::file::decode(&bytes).unwrap();
            prop_assert_eq!(back.mean(), q.mean());
            prop_assert_eq!(back.precision(), q.precision());
        }
    }
}
