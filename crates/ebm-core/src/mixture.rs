//! The Gaussian-mixture energy over ℝᵈ: a density known in closed form, so a
//! reference for samplers, quadrature and training.

use crate::energy::{ContinuousEnergy, DifferentiableEnergy, ParametricEnergy};
use crate::error::{Error, Result, check_finite};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// log √(2π).
const HALF_LOG_TWO_PI: f64 = 0.918_938_533_204_672_8;

/// The most components a mixture may have.
pub const MAX_COMPONENTS: usize = 1 << 20;

/// E(x) = −log p(x) for the mixture of K diagonal Gaussians
///
/// ```text
/// p(x) = Σ_k w_k Π_j N(x_j; μ_kj, σ_kj²),
/// ```
///
/// so the energy is normalised: Z = 1 at T = 1. With the log joint
/// l_k(x) = log w_k − Σ_j [½ ((x_j − μ_kj)/σ_kj)² + log σ_kj + ½ log 2π],
/// E(x) = −log Σ_k exp l_k(x) (a log-sum-exp, stable far from every
/// component), and with the responsibilities r_k(x) = exp(l_k(x) + E(x)),
///
/// ```text
/// ∇ₓE(x) = Σ_k r_k (x − μ_k) / σ_k²     (element-wise).
/// ```
///
/// Trainable ([`ParametricEnergy`]) through θ = (a, μ, s): logits a_k with
/// w = softmax(a), the means μ_kj and the log scales s_kj = log σ_kj (so every θ
/// is a valid mixture), for which
///
/// ```text
/// ∂E/∂a_k = w_k − r_k,   ∂E/∂μ_kj = −r_k (x_j − μ_kj)/σ_kj²,   ∂E/∂s_kj = r_k (1 − (x_j − μ_kj)²/σ_kj²).
/// ```
///
/// ```
/// use ebm_core::{ContinuousEnergy, GaussianMixture};
/// // Two equal standard normals at ±1 on the line.
/// let mixture = GaussianMixture::new(1, vec![1.0, 1.0], vec![-1.0, 1.0], vec![1.0, 1.0])?;
/// let normal = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
/// let p0 = 0.5 * normal(-1.0) + 0.5 * normal(1.0);
/// assert!((mixture.energy(&[0.0]) + p0.ln()).abs() < 1e-12);
/// assert_eq!(mixture.mean(), vec![0.0]);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMixture", into = "RawMixture")]
pub struct GaussianMixture {
    dim: usize,
    /// w_k, summing to 1.
    weights: Vec<f64>,
    /// μ_kj, component by component.
    means: Vec<f64>,
    /// σ_kj, component by component.
    std_devs: Vec<f64>,
    /// log w_k − Σ_j log σ_kj − (d/2) log 2π: the constant part of l_k.
    log_normalisers: Vec<f64>,
}

#[derive(Clone, Serialize, Deserialize)]
struct RawMixture {
    dim: usize,
    weights: Vec<f64>,
    means: Vec<f64>,
    std_devs: Vec<f64>,
}

impl GaussianMixture {
    /// A mixture over ℝ^`dim` of K = `weights.len()` components with weights
    /// proportional to `weights` (finite, ≥ 0, positive sum), means `means`
    /// (K·d values, component by component) and standard deviations
    /// `std_devs` (K·d values, finite and > 0).
    pub fn new(dim: usize, weights: Vec<f64>, means: Vec<f64>, std_devs: Vec<f64>) -> Result<Self> {
        let k = weights.len();
        if dim == 0 {
            return Err(Error::invalid("mixture dimension", "must be at least 1"));
        }
        if k == 0 || k > MAX_COMPONENTS {
            return Err(Error::invalid(
                "mixture components",
                format!("{k} components; there must be between 1 and {MAX_COMPONENTS}"),
            ));
        }
        let values = k.checked_mul(dim).ok_or_else(|| Error::invalid("mixture", "too many values"))?;
        if means.len() != values {
            return Err(Error::shape("mixture means (components × dimension)", values, means.len()));
        }
        if std_devs.len() != values {
            return Err(Error::shape(
                "mixture standard deviations (components × dimension)",
                values,
                std_devs.len(),
            ));
        }
        check_finite("mixture weights", &weights)?;
        check_finite("mixture means", &means)?;
        check_finite("mixture standard deviations", &std_devs)?;
        if let Some(i) = weights.iter().position(|w| *w < 0.0) {
            return Err(Error::invalid(format!("mixture weight {i}"), format!("{} is negative", weights[i])));
        }
        if let Some(i) = std_devs.iter().position(|s| *s <= 0.0) {
            return Err(Error::invalid(
                format!("mixture standard deviation {i}"),
                format!("{} is not > 0", std_devs[i]),
            ));
        }
        let total: f64 = weights.iter().sum();
        if !(total > 0.0 && total.is_finite()) {
            return Err(Error::invalid(
                "mixture weights",
                format!("their sum {total} is not finite and > 0"),
            ));
        }
        let weights: Vec<f64> = weights.iter().map(|w| w / total).collect();
        let log_normalisers = weights
            .iter()
            .zip(std_devs.chunks_exact(dim))
            .map(|(w, s)| w.ln() - s.iter().map(|v| v.ln()).sum::<f64>() - dim as f64 * HALF_LOG_TWO_PI)
            .collect();
        Ok(Self { dim, weights, means, std_devs, log_normalisers })
    }

    /// Equal-weight isotropic components: centres `means` (K·d values), one
    /// standard deviation σ for every coordinate of every component.
    pub fn isotropic(dim: usize, means: Vec<f64>, std_dev: f64) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("mixture dimension", "must be at least 1"));
        }
        let k = means.len() / dim;
        Self::new(dim, vec![1.0; k], means.clone(), vec![std_dev; means.len()])
    }

    /// The number of components K.
    pub fn components(&self) -> usize {
        self.weights.len()
    }

    /// The weights w_k (summing to 1).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The means μ_kj, component by component.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// The standard deviations σ_kj, component by component.
    pub fn std_devs(&self) -> &[f64] {
        &self.std_devs
    }

    /// The mixture mean Σ_k w_k μ_k.
    pub fn mean(&self) -> Vec<f64> {
        let mut mean = vec![0.0; self.dim];
        for (w, mu) in self.weights.iter().zip(self.means.chunks_exact(self.dim)) {
            mean.iter_mut().zip(mu).for_each(|(m, v)| *m += w * v);
        }
        mean
    }

    /// The mixture covariance Σ_k w_k (diag(σ_k²) + μ_k μ_kᵀ) − m mᵀ, row by
    /// row (d·d values), m the mixture mean.
    pub fn covariance(&self) -> Vec<f64> {
        let d = self.dim;
        let mean = self.mean();
        let mut cov = vec![0.0; d * d];
        for ((w, mu), sd) in
            self.weights.iter().zip(self.means.chunks_exact(d)).zip(self.std_devs.chunks_exact(d))
        {
            for i in 0..d {
                cov[i * d + i] += w * sd[i] * sd[i];
                for j in 0..d {
                    cov[i * d + j] += w * mu[i] * mu[j];
                }
            }
        }
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] -= mean[i] * mean[j];
            }
        }
        cov
    }

    /// An exact draw: component k with probability w_k, then x_j = μ_kj + σ_kj ξ_j, ξ ~ N(0, I).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, x: &mut [f64]) {
        let u: f64 = rng.random();
        let mut k = 0;
        let mut cumulative = self.weights[0];
        while u >= cumulative && k + 1 < self.weights.len() {
            k += 1;
            cumulative += self.weights[k];
        }
        let d = self.dim;
        for (j, v) in x.iter_mut().enumerate().take(d) {
            let xi: f64 = rng.sample(rand_distr::StandardNormal);
            *v = self.means[k * d + j] + self.std_devs[k * d + j] * xi;
        }
    }

    /// Writes l_k(x) for every k into `log_joint` and returns E(x) = −log Σ_k exp l_k(x).
    fn log_joint(&self, x: &[f64], log_joint: &mut [f64]) -> f64 {
        let d = self.dim;
        let mut max = f64::NEG_INFINITY;
        for (k, l) in log_joint.iter_mut().enumerate() {
            let (mu, sd) = (&self.means[k * d..(k + 1) * d], &self.std_devs[k * d..(k + 1) * d]);
            let quadratic: f64 = x.iter().zip(mu).zip(sd).map(|((x, m), s)| ((x - m) / s).powi(2)).sum();
            *l = self.log_normalisers[k] - 0.5 * quadratic;
            max = max.max(*l);
        }
        if !max.is_finite() {
            return -max;
        }
        // log Σ e^{l_k} = max + log Σ e^{l_k − max}; terms below e^{−50} of
        // the largest change the sum by less than K·2⁻⁷² and are skipped.
        let sum: f64 = log_joint.iter().filter(|&&l| l > max - 50.0).map(|&l| (l - max).exp()).sum();
        -(max + sum.ln())
    }
}

impl ContinuousEnergy for GaussianMixture {
    fn dim(&self) -> usize {
        self.dim
    }

    fn energy(&self, x: &[f64]) -> f64 {
        self.log_joint(x, &mut vec![0.0; self.components()])
    }

    fn energy_batch(&self, points: &[f64], energies: &mut [f64]) {
        let mut scratch = vec![0.0; self.components()];
        for (x, e) in points.chunks_exact(self.dim).zip(energies.iter_mut()) {
            *e = self.log_joint(x, &mut scratch);
        }
    }
}

impl GaussianMixture {
    /// E(x) and ∇ₓE(x) with the responsibilities left in `scratch`.
    fn energy_gradient_scratch(&self, x: &[f64], gradient: &mut [f64], scratch: &mut [f64]) -> f64 {
        let d = self.dim;
        let energy = self.log_joint(x, scratch);
        gradient.iter_mut().for_each(|g| *g = 0.0);
        for (k, l) in scratch.iter_mut().enumerate() {
            *l = (*l + energy).exp();
            for j in 0..d {
                let s = self.std_devs[k * d + j];
                gradient[j] += *l * (x[j] - self.means[k * d + j]) / (s * s);
            }
        }
        energy
    }
}

impl DifferentiableEnergy for GaussianMixture {
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        self.energy_gradient_scratch(x, gradient, &mut vec![0.0; self.components()])
    }

    fn energy_and_gradient_batch(&self, points: &[f64], energies: &mut [f64], gradients: &mut [f64]) {
        let d = self.dim;
        let mut scratch = vec![0.0; self.components()];
        for ((x, g), e) in points.chunks_exact(d).zip(gradients.chunks_exact_mut(d)).zip(energies.iter_mut())
        {
            *e = self.energy_gradient_scratch(x, g, &mut scratch);
        }
    }
}

impl ParametricEnergy for GaussianMixture {
    fn num_parameters(&self) -> usize {
        self.components() * (1 + 2 * self.dim)
    }

    fn parameters(&self, parameters: &mut [f64]) {
        let (k, n) = (self.components(), self.means.len());
        parameters[..k].iter_mut().zip(&self.weights).for_each(|(a, w)| *a = w.ln());
        parameters[k..k + n].copy_from_slice(&self.means);
        parameters[k + n..].iter_mut().zip(&self.std_devs).for_each(|(s, v)| *s = v.ln());
    }

    fn set_parameters(&mut self, parameters: &[f64]) -> Result<()> {
        if parameters.len() != self.num_parameters() {
            return Err(Error::shape("mixture parameters", self.num_parameters(), parameters.len()));
        }
        check_finite("mixture parameters", parameters)?;
        let (k, n) = (self.components(), self.means.len());
        let max = parameters[..k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights = parameters[..k].iter().map(|a| (a - max).exp()).collect();
        let std_devs = parameters[k + n..].iter().map(|s| s.exp()).collect();
        *self = Self::new(self.dim, weights, parameters[k..k + n].to_vec(), std_devs)?;
        Ok(())
    }

    fn parameter_gradient(
        &self,
        points: &[f64],
        energies: &mut [f64],
        weight: &mut dyn FnMut(usize, f64) -> f64,
        gradient: &mut [f64],
    ) {
        let (d, k, n) = (self.dim, self.components(), self.means.len());
        let mut responsibilities = vec![0.0; k];
        let mut input_gradient = vec![0.0; d];
        for (i, (x, e)) in points.chunks_exact(d).zip(energies.iter_mut()).enumerate() {
            *e = self.energy_gradient_scratch(x, &mut input_gradient, &mut responsibilities);
            let c = weight(i, *e);
            for (c_k, r) in responsibilities.iter().enumerate() {
                gradient[c_k] += c * (self.weights[c_k] - r);
                for (j, x_j) in x.iter().enumerate() {
                    let at = c_k * d + j;
                    let z = (x_j - self.means[at]) / self.std_devs[at];
                    gradient[k + at] -= c * r * z / self.std_devs[at];
                    gradient[k + n + at] += c * r * (1.0 - z * z);
                }
            }
        }
    }
}

impl TryFrom<RawMixture> for GaussianMixture {
    type Error = Error;
    fn try_from(raw: RawMixture) -> Result<Self> {
        Self::new(raw.dim, raw.weights, raw.means, raw.std_devs)
    }
}

impl From<GaussianMixture> for RawMixture {
    fn from(m: GaussianMixture) -> Self {
        RawMixture { dim: m.dim, weights: m.weights, means: m.means, std_devs: m.std_devs }
    }
}

impl crate::file::ModelFile for GaussianMixture {
    const KIND: &'static str = "gaussian-mixture";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradient_check::{input_gradient_error, parameter_gradient_error};
    use crate::quadrature::Grid;
    use proptest::prelude::*;

    /// Mixtures of 1–3 components in 1–3 dimensions.
    fn mixture() -> impl Strategy<Value = GaussianMixture> {
        (1usize..4, 1usize..4).prop_flat_map(|(k, d)| {
            (
                prop::collection::vec(0.1f64..1.0, k),
                prop::collection::vec(-2.0f64..2.0, k * d),
                prop::collection::vec(0.4f64..1.5, k * d),
            )
                .prop_map(move |(w, m, s)| GaussianMixture::new(d, w, m, s).unwrap())
        })
    }

    #[test]
    fn refuses_invalid_mixtures() {
        assert!(GaussianMixture::new(0, vec![1.0], vec![], vec![]).is_err());
        assert!(GaussianMixture::new(1, vec![], vec![], vec![]).is_err());
        assert!(GaussianMixture::new(2, vec![1.0], vec![0.0], vec![1.0, 1.0]).is_err());
        assert!(GaussianMixture::new(1, vec![1.0], vec![0.0], vec![0.0]).is_err());
        assert!(GaussianMixture::new(1, vec![-1.0, 2.0], vec![0.0, 1.0], vec![1.0, 1.0]).is_err());
        assert!(GaussianMixture::new(1, vec![0.0], vec![0.0], vec![1.0]).is_err());
        assert!(GaussianMixture::new(1, vec![1.0], vec![f64::NAN], vec![1.0]).is_err());
        let mut m = GaussianMixture::isotropic(1, vec![0.0, 1.0], 1.0).unwrap();
        assert!(m.set_parameters(&[0.0; 5]).is_err());
        assert!(m.set_parameters(&[0.0, 0.0, f64::NAN, 0.0, 0.0, 0.0]).is_err());
        assert_eq!(m, GaussianMixture::isotropic(1, vec![0.0, 1.0], 1.0).unwrap());
    }

    #[test]
    fn the_energy_is_normalised_and_the_moments_match_quadrature() {
        let m = GaussianMixture::new(2, vec![0.3, 0.7], vec![-1.0, 0.5, 1.0, -0.5], vec![0.6, 0.8, 0.7, 0.5])
            .unwrap();
        let grid = Grid::square(7.0, 400).unwrap();
        let density = grid.density(&m, 1.0).unwrap();
        assert!(density.log_partition().abs() < 1e-9, "{}", density.log_partition());
        let (mut mean, mut second) = ([0.0; 2], [0.0; 4]);
        for (k, lp) in density.log_density().iter().enumerate() {
            let (c, w) = (grid.centre(k), lp.exp() * grid.cell_area());
            for i in 0..2 {
                mean[i] += w * c[i];
                for j in 0..2 {
                    second[2 * i + j] += w * c[i] * c[j];
                }
            }
        }
        let (exact_mean, exact_cov) = (m.mean(), m.covariance());
        for i in 0..2 {
            assert!((mean[i] - exact_mean[i]).abs() < 1e-8);
            for j in 0..2 {
                assert!((second[2 * i + j] - mean[i] * mean[j] - exact_cov[2 * i + j]).abs() < 1e-8);
            }
        }
    }

    #[test]
    fn exact_draws_have_the_mixture_moments() {
        let m = GaussianMixture::new(2, vec![0.3, 0.7], vec![-2.0, 0.0, 1.0, 1.0], vec![0.5, 0.5, 1.0, 0.3])
            .unwrap();
        let mut rng = rand_pcg::Pcg64Mcg::new(11);
        let n = 40_000;
        let mut x = [0.0; 2];
        let mut sum = [0.0; 2];
        for _ in 0..n {
            m.sample(&mut rng, &mut x);
            sum[0] += x[0];
            sum[1] += x[1];
        }
        let (mean, cov) = (m.mean(), m.covariance());
        for i in 0..2 {
            let error = (cov[3 * i] / n as f64).sqrt();
            assert!((sum[i] / n as f64 - mean[i]).abs() < 5.0 * error, "mean {i}");
        }
    }

    #[test]
    fn far_from_every_component_the_energy_stays_finite() {
        let m = GaussianMixture::isotropic(1, vec![-1.0, 1.0], 0.1).unwrap();
        let mut g = [0.0];
        let e = m.energy_and_gradient(&[1e3], &mut g);
        assert!(e.is_finite() && e > 1e7 && g[0].is_finite() && g[0] > 0.0);
    }

    proptest! {
        #[test]
        fn input_gradient_matches_finite_differences(m in mixture(), x in prop::collection::vec(-3.0f64..3.0, 3)) {
            let error = input_gradient_error(&m, &x[..m.dim()], 1e-6).unwrap();
            prop_assert!(error < 1e-6, "relative error {}", error);
        }

        #[test]
        fn parameter_gradient_matches_finite_differences(m in mixture(), x in prop::collection::vec(-3.0f64..3.0, 6), c in prop::collection::vec(-1.0f64..1.0, 2)) {
            // Reading and writing θ reproduces the model.
            let mut theta = vec![0.0; m.num_parameters()];
            m.parameters(&mut theta);
            let mut same = m.clone();
            same.set_parameters(&theta).unwrap();
            prop_assert!(same.weights().iter().zip(m.weights()).all(|(a, b)| (a - b).abs() < 1e-12));
            let error = parameter_gradient_error(&m, &x[..2 * m.dim()], &c, 1e-6).unwrap();
            prop_assert!(error < 1e-5, "relative error {}", error);
        }

        #[test]
        fn file_round_trip(m in mixture()) {
            let back: GaussianMixture = crate::file::decode(&crate::file::encode(&m).unwrap()).unwrap();
            prop_assert_eq!(back.weights().len(), m.weights().len());
            prop_assert!(back.weights().iter().zip(m.weights()).all(|(a, b)| (a - b).abs() < 1e-15));
            prop_assert_eq!(back.means(), m.means());
            prop_assert_eq!(back.std_devs(), m.std_devs());
        }
    }
}
