//! Test energies and Monte-Carlo error estimates shared by the samplers' tests.

use super::{ContinuousSampler, Draws};
use crate::rng::stream;
use ebm_core::{ContinuousEnergy, DifferentiableEnergy, Quadratic};
use nalgebra::DMatrix;
use rand::RngExt;

/// A correlated 2-D Gaussian energy: at T = 1 its law has mean (1, −2) and
/// covariance [[2, 1.2], [1.2, 1]] (correlation 0.85).
pub(crate) fn correlated() -> Quadratic {
    let det = 2.0 * 1.0 - 1.2 * 1.2;
    let precision = DMatrix::from_row_slice(2, 2, &[1.0 / det, -1.2 / det, -1.2 / det, 2.0 / det]);
    Quadratic::new(vec![1.0, -2.0], precision).unwrap()
}

/// E(x) = −log(w N(x; −a, 1) + (1 − w) N(x; a, 1)), a two-mode 1-D energy.
pub(crate) struct Mixture {
    pub(crate) weight: f64,
    pub(crate) separation: f64,
}

impl Mixture {
    /// The two unnormalised component densities at x (common factor 1/√(2π) dropped).
    fn components(&self, x: f64) -> (f64, f64) {
        let a = self.separation;
        (self.weight * (-0.5 * (x + a).powi(2)).exp(), (1.0 - self.weight) * (-0.5 * (x - a).powi(2)).exp())
    }
}

impl ContinuousEnergy for Mixture {
    fn dim(&self) -> usize {
        1
    }
    fn energy(&self, x: &[f64]) -> f64 {
        let (left, right) = self.components(x[0]);
        -(left + right).ln() + 0.5 * (2.0 * std::f64::consts::PI).ln()
    }
}

impl DifferentiableEnergy for Mixture {
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        let a = self.separation;
        let (left, right) = self.components(x[0]);
        // dE/dx = −(p_l·(−(x + a)) + p_r·(−(x − a))) / (p_l + p_r)
        gradient[0] = (left * (x[0] + a) + right * (x[0] - a)) / (left + right);
        self.energy(x)
    }
}

/// A 2-D non-Gaussian ("banana") energy E(x) = x₀²/2 + 2 (x₁ − x₀²/2)².
pub(crate) struct Banana;

impl ContinuousEnergy for Banana {
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, x: &[f64]) -> f64 {
        let r = x[1] - 0.5 * x[0] * x[0];
        0.5 * x[0] * x[0] + 2.0 * r * r
    }
}

impl DifferentiableEnergy for Banana {
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        let r = x[1] - 0.5 * x[0] * x[0];
        gradient[0] = x[0] - 4.0 * r * x[0];
        gradient[1] = 4.0 * r;
        self.energy(x)
    }
}

/// E(x) = |x|²/2 inside |x_i| < 3 and +∞ outside: proposals leaving the box
/// have a non-finite energy.
pub(crate) struct Boxed {
    pub(crate) dim: usize,
}

impl ContinuousEnergy for Boxed {
    fn dim(&self) -> usize {
        self.dim
    }
    fn energy(&self, x: &[f64]) -> f64 {
        if x.iter().all(|v| v.abs() < 3.0) {
            0.5 * x.iter().map(|v| v * v).sum::<f64>()
        } else {
            f64::INFINITY
        }
    }
}

impl DifferentiableEnergy for Boxed {
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        gradient.copy_from_slice(x);
        self.energy(x)
    }
}

/// The mean of a correlated series, its Monte-Carlo standard error and its
/// integrated autocorrelation time, from [`crate::diagnostics`].
pub(crate) fn mean_and_error(series: &[f64]) -> (f64, f64, f64) {
    let mean = series.iter().sum::<f64>() / series.len() as f64;
    let tau = crate::diagnostics::integrated_time(series).expect("a long, finite, varying series").tau;
    let error = crate::diagnostics::mcse(series).expect("a long, finite, varying series");
    (mean, error, tau)
}

/// Checks that `draws` have mean `mean` and covariance `cov` within five
/// standard errors, each error estimated from the series' own variance and
/// autocorrelation time; also demands enough effective samples (n/τ ≥ 300)
/// for the bounds to be meaningful.
pub(crate) fn assert_moments(draws: &Draws, mean: &[f64], cov: &DMatrix<f64>, label: &str) {
    let d = draws.dim();
    let n = draws.len() as f64;
    let sample_mean = draws.mean();
    let check = |what: String, series: Vec<f64>, expected: f64| {
        let (estimate, error, tau) = mean_and_error(&series);
        let ess = n / tau;
        assert!(ess >= 300.0, "{label}: {what}: only {ess:.0} effective samples");
        let z = (estimate - expected).abs() / error;
        assert!(z < 5.0, "{label}: {what} = {estimate:.4} ± {error:.4}, expected {expected:.4} (z = {z:.1})");
    };
    for (i, &m) in mean.iter().enumerate() {
        check(format!("mean[{i}]"), draws.coordinate(i), m);
    }
    for i in 0..d {
        for j in 0..=i {
            let series = draws.rows().map(|x| (x[i] - sample_mean[i]) * (x[j] - sample_mean[j])).collect();
            check(format!("cov[{i}][{j}]"), series, cov[(i, j)]);
        }
    }
}

/// P(x > 0) and E[x] under exp(−E(x)/T) in 1-D, by the trapezoidal rule on [−20, 20].
pub(crate) fn quadrature(energy: &impl ContinuousEnergy, temperature: f64) -> (f64, f64) {
    let h = 1e-3;
    let (mut z, mut positive, mut first) = (0.0, 0.0, 0.0);
    for k in -20_000i32..=20_000 {
        let x = k as f64 * h;
        let weight = if k.abs() == 20_000 { 0.5 } else { 1.0 } * (-energy.energy(&[x]) / temperature).exp();
        z += weight;
        first += weight * x;
        if k > 0 {
            positive += weight;
        } else if k == 0 {
            positive += 0.5 * weight;
        }
    }
    (positive / z, first / z)
}

/// Runs `sampler` (built by `make(T)`) on [`correlated`] at T = 1 and T = 2
/// from a far starting point with `burn_in` adapting transitions, then
/// checks the mean and the covariance T·Σ₁ (see [`assert_moments`]) and, if
/// `target` is given, that the sampling-phase acceptance rate is within 0.07
/// of it. Returns the draws at T = 2.
pub(crate) fn check_gaussian<S: ContinuousSampler<Quadratic>>(
    make: impl Fn(f64) -> S,
    (burn_in, samples): (usize, usize),
    target: Option<f64>,
    label: &str,
) -> Draws {
    let energy = correlated();
    let mut last = None;
    for (k, temperature) in [1.0, 2.0].into_iter().enumerate() {
        let mut sampler = make(temperature);
        let mut x = vec![6.0, 4.0];
        let draws = sampler.sample(&energy, &mut x, burn_in, samples, 1, &mut stream(41, k as u64)).unwrap();
        let label = format!("{label} at T = {temperature}");
        let mean: Vec<f64> = energy.mean().iter().copied().collect();
        assert_moments(&draws, &mean, &energy.covariance(temperature), &label);
        if let Some(target) = target {
            let rate = draws.stats().rate();
            assert!((rate - target).abs() < 0.07, "{label}: acceptance {rate} against target {target}");
        }
        assert_eq!(x.as_slice(), draws.get(samples - 1).unwrap());
        last = Some(draws);
    }
    last.unwrap()
}

/// Exactness of one kernel: `chains` independent exact draws from the law of
/// [`correlated`] at `temperature`, each moved by `transitions` transitions
/// of `sampler`, must still have the target's mean and covariance within
/// five i.i.d. standard errors. Returns the worst z-score.
pub(crate) fn invariance_z<S: ContinuousSampler<Quadratic>>(
    sampler: &mut S,
    temperature: f64,
    transitions: usize,
    chains: usize,
) -> f64 {
    let energy = correlated();
    let cov = energy.covariance(temperature);
    let factor = cov.clone().cholesky().unwrap().unpack();
    let mut rng = stream(97, 0);
    let mut draws = Draws::new(2, chains);
    for _ in 0..chains {
        let z = nalgebra::DVector::from_fn(2, |_, _| rng.sample::<f64, _>(rand_distr::StandardNormal));
        let mut x: Vec<f64> = (energy.mean() + &factor * z).iter().copied().collect();
        sampler.steps(&energy, &mut x, transitions, &mut rng).unwrap();
        draws.push(&x);
    }
    let n = chains as f64;
    let mean = draws.mean();
    let sample_cov = draws.covariance();
    let mut worst = ebm_core::worst::Worst::new();
    for i in 0..2 {
        worst.add((mean[i] - energy.mean()[i]).abs() / (cov[(i, i)] / n).sqrt());
        for j in 0..=i {
            let error = ((cov[(i, i)] * cov[(j, j)] + cov[(i, j)].powi(2)) / n).sqrt();
            worst.add((sample_cov[(i, j)] - cov[(i, j)]).abs() / error);
        }
    }
    worst.value()
}

/// Checks P(x > 0) and E[x] of `sampler` on the two-mode [`Mixture`] with
/// w = 0.3, a = 2 at T = 1 and T = 2 against quadrature, within five
/// standard errors and within 0.04 absolute for P(x > 0).
pub(crate) fn check_mixture<S: ContinuousSampler<Mixture>>(
    make: impl Fn(f64) -> S,
    samples: usize,
    label: &str,
) {
    let energy = Mixture { weight: 0.3, separation: 2.0 };
    for (k, temperature) in [1.0, 2.0].into_iter().enumerate() {
        let (p_positive, mean) = quadrature(&energy, temperature);
        let mut sampler = make(temperature);
        let mut x = vec![-2.0];
        let draws = sampler.sample(&energy, &mut x, 2000, samples, 1, &mut stream(43, k as u64)).unwrap();
        let xs = draws.coordinate(0);
        let positive: Vec<f64> = xs.iter().map(|&v| f64::from(u8::from(v > 0.0))).collect();
        for (what, series, expected) in [("P(x > 0)", positive, p_positive), ("E[x]", xs, mean)] {
            let (estimate, error, tau) = mean_and_error(&series);
            assert!(samples as f64 / tau >= 300.0, "{label} at T = {temperature}: {what} has τ = {tau:.1}");
            assert!(
                (estimate - expected).abs() < 5.0 * error,
                "{label} at T = {temperature}: {what} = {estimate:.4} ± {error:.4}, expected {expected:.4}"
            );
        }
        let p = draws.coordinate(0).iter().filter(|&&v| v > 0.0).count() as f64 / samples as f64;
        assert!(
            (p - p_positive).abs() < 0.04,
            "{label} at T = {temperature}: P(x > 0) = {p} vs {p_positive}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_what_they_claim() {
        let cov = correlated().covariance(1.0);
        let expected = DMatrix::from_row_slice(2, 2, &[2.0, 1.2, 1.2, 1.0]);
        assert!((cov - expected).abs().max() < 1e-12);
        // The mixture is normalised: its quadrature mean is −w a + (1 − w) a.
        let mixture = Mixture { weight: 0.3, separation: 2.0 };
        let (p, mean) = quadrature(&mixture, 1.0);
        assert!((mean - 0.8).abs() < 1e-9, "{mean}");
        assert!(p > 0.65 && p < 0.7);
    }
}
