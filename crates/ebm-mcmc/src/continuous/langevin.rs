//! Langevin samplers: the unadjusted Langevin algorithm (ULA) and the
//! Metropolis-adjusted Langevin algorithm (MALA).
//!
//! Both discretise the overdamped Langevin diffusion
//! dX_t = ∇log π(X_t) dt + √2 dW_t, whose stationary law is π ∝ exp(−E/T),
//! with the Euler–Maruyama step of length h:
//!
//! ```text
//! x' = x + h ∇log π(x) + √(2h) ξ = x − (h/T) ∇E(x) + √(2h) ξ,     ξ ~ N(0, I).
//! ```
//!
//! (The other common parametrisation, x' = x + (ε²/2)∇log π(x) + ε ξ, is the
//! same with h = ε²/2.)

use super::adapt::MALA_TARGET;
use super::driver::{Kernel, Move, Point, add_noise};
use super::settings::{Settings, common_methods};
use ebm_core::{DifferentiableEnergy, Result};
use rand::Rng;

/// The unadjusted Langevin algorithm: every Langevin proposal is accepted,
///
/// ```text
/// x' = x − (h/T) ∇E(x) + √(2h) ξ,     ξ ~ N(0, I),
/// ```
///
/// with `step_size` = h. It is cheap (one gradient per step) but *biased*:
/// its stationary law is not π but π_h = π + O(h). For a Gaussian
/// E(x) = ½ xᵀAx, the chain x' = (I − hA/T)x + √(2h)ξ is stable for
/// h < 2T/λ_max(A) and has stationary covariance
///
/// ```text
/// Σ_h = (B − (h/2) B²)⁻¹,   B = A/T,     i.e.  σ_h² = σ² / (1 − h/(2σ²)) in 1-D,
/// ```
///
/// which exceeds the target covariance T A⁻¹ by (h/2)·I + O(h²): ULA
/// over-disperses. Use [`Mala`] for exact sampling. A proposal whose energy
/// or gradient is not finite is refused (the chain stays put) and counted as
/// divergent.
#[derive(Clone, Debug, PartialEq)]
pub struct Ula {
    settings: Settings,
}

/// The Metropolis-adjusted Langevin algorithm: the ULA proposal
///
/// ```text
/// y = x − (h/T) ∇E(x) + √(2h) ξ,     q(y∣x) = N(y; x − (h/T)∇E(x), 2h I),
/// ```
///
/// with `step_size` = h, accepted with the Metropolis–Hastings probability
///
/// ```text
/// α(x → y) = min(1, π(y) q(x∣y) / (π(x) q(y∣x))),
/// log [π(y) q(x∣y) / (π(x) q(y∣x))] = −(E(y) − E(x))/T
///        − |x − y + (h/T)∇E(y)|² / (4h) + |y − x + (h/T)∇E(x)|² / (4h).
/// ```
///
/// The proposal is not symmetric, so the q ratio is essential; with it the
/// chain satisfies detailed balance π(x)q(y∣x)α(x→y) = π(y)q(x∣y)α(y→x) and
/// is exact for every h. [`Adaptation`](super::Adaptation) tunes h towards
/// acceptance 0.574 during burn-in.
///
/// ```
/// use ebm_core::Quadratic;
/// use ebm_mcmc::continuous::{Adaptation, ContinuousSampler, Mala};
/// use ebm_mcmc::rng::seeded;
///
/// let energy = Quadratic::isotropic(vec![3.0, 3.0], 1.0)?;
/// let mut mala = Mala::new(0.1)?.with_adaptation(Adaptation::new());
/// let draws = mala.sample(&energy, &mut vec![0.0, 0.0], 500, 1000, 2, &mut seeded(3))?;
/// assert!((draws.stats().rate() - 0.574).abs() < 0.15);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mala {
    settings: Settings,
}

impl Ula {
    /// ULA with time step h = `step_size` (finite, > 0) at T = 1.
    pub fn new(step_size: f64) -> Result<Self> {
        Ok(Self { settings: Settings::new(step_size)? })
    }
}

impl Mala {
    /// MALA with time step h = `step_size` (finite, > 0) at T = 1, without adaptation.
    pub fn new(step_size: f64) -> Result<Self> {
        Ok(Self { settings: Settings::new(step_size)? })
    }
}

common_methods!(Ula);
common_methods!(Mala, adaptive);

/// Draws the Langevin proposal from `current` into `proposal.x` and
/// evaluates it; returns false if it is not finite.
fn propose<E, R>(
    energy: &E,
    h: f64,
    temperature: f64,
    current: &Point,
    proposal: &mut Point,
    rng: &mut R,
) -> bool
where
    E: DifferentiableEnergy + ?Sized,
    R: Rng + ?Sized,
{
    let drift = h / temperature;
    for ((y, &x), &g) in proposal.x.iter_mut().zip(&current.x).zip(&current.gradient) {
        *y = x - drift * g;
    }
    add_noise(&mut proposal.x, (2.0 * h).sqrt(), rng);
    if proposal.x.iter().any(|v| !v.is_finite()) {
        return false;
    }
    evaluate(energy, proposal);
    proposal.is_finite()
}

fn evaluate<E: DifferentiableEnergy + ?Sized>(energy: &E, point: &mut Point) {
    point.energy = energy.energy_and_gradient(&point.x, &mut point.gradient);
}

/// log q(to∣from) up to its constant −(d/2) log(4πh), which cancels in the ratio:
/// −|to − from + (h/T)∇E(from)|² / (4h).
pub(super) fn log_proposal_density(from: &Point, to: &[f64], h: f64, temperature: f64) -> f64 {
    log_langevin_density(&from.x, &from.gradient, to, h, temperature)
}

/// [`log_proposal_density`] for a point given as its coordinates `from` and
/// its gradient ∇E(from): −|to − from + (h/T)∇E(from)|² / (4h).
pub(super) fn log_langevin_density(
    from: &[f64],
    gradient: &[f64],
    to: &[f64],
    h: f64,
    temperature: f64,
) -> f64 {
    let drift = h / temperature;
    let squared: f64 = to
        .iter()
        .zip(from)
        .zip(gradient)
        .map(|((&t, &f), &g)| {
            let r = t - f + drift * g;
            r * r
        })
        .sum();
    -squared / (4.0 * h)
}

/// log [π(y) q(x∣y) / (π(x) q(y∣x))], the log MALA acceptance ratio for x → y.
pub(super) fn log_ratio(x: &Point, y: &Point, h: f64, temperature: f64) -> f64 {
    -(y.energy - x.energy) / temperature + log_proposal_density(y, &x.x, h, temperature)
        - log_proposal_density(x, &y.x, h, temperature)
}

impl<E: DifferentiableEnergy + ?Sized> Kernel<E> for Ula {
    const GRADIENT: bool = true;

    fn default_target(_dim: usize) -> f64 {
        MALA_TARGET
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn evaluate(energy: &E, point: &mut Point) {
        evaluate(energy, point);
    }

    fn transition<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        step: f64,
        current: &Point,
        proposal: &mut Point,
        rng: &mut R,
    ) -> Move {
        if propose(energy, step, self.settings.temperature, current, proposal, rng) {
            Move { accepted: true, probability: 1.0, divergent: false }
        } else {
            Move::DIVERGENT
        }
    }
}

impl<E: DifferentiableEnergy + ?Sized> Kernel<E> for Mala {
    const GRADIENT: bool = true;

    fn default_target(_dim: usize) -> f64 {
        MALA_TARGET
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn evaluate(energy: &E, point: &mut Point) {
        evaluate(energy, point);
    }

    fn transition<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        step: f64,
        current: &Point,
        proposal: &mut Point,
        rng: &mut R,
    ) -> Move {
        let temperature = self.settings.temperature;
        if !propose(energy, step, temperature, current, proposal, rng) {
            return Move::DIVERGENT;
        }
        Move::metropolis(log_ratio(current, proposal, step, temperature), rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuous::testing::{
        Banana, Mixture, check_gaussian, check_mixture, correlated, invariance_z, mean_and_error,
    };
    use crate::continuous::{Adaptation, ContinuousSampler, Draws};
    use crate::rng::stream;
    use ebm_core::Quadratic;
    use proptest::prelude::*;

    fn point<E: DifferentiableEnergy>(energy: &E, x: &[f64]) -> Point {
        let mut p = Point { x: x.to_vec(), energy: 0.0, gradient: vec![0.0; x.len()] };
        evaluate(energy, &mut p);
        p
    }

    #[test]
    fn mala_recovers_a_correlated_gaussian_at_two_temperatures() {
        let make =
            |t| Mala::new(0.01).unwrap().with_temperature(t).unwrap().with_adaptation(Adaptation::new());
        check_gaussian(make, (3000, 100_000), Some(MALA_TARGET), "MALA");
    }

    #[test]
    fn mala_recovers_the_weight_of_a_two_mode_mixture() {
        let make = |t| Mala::new(0.8).unwrap().with_temperature(t).unwrap();
        check_mixture(make, 100_000, "MALA");
    }

    #[test]
    fn mala_transitions_leave_the_target_invariant_even_with_a_large_step() {
        for t in [1.0, 2.0] {
            // h = 0.35 T is large for the stiff direction (variance 0.22 T):
            // ULA with this step is far off (see below), MALA must not be.
            let mut mala = Mala::new(0.35 * t).unwrap().with_temperature(t).unwrap();
            let z = invariance_z(&mut mala, t, 3, 20_000);
            assert!(z < 5.0, "MALA at T = {t}: z = {z}");
            let rate = mala.stats().rate();
            assert!(rate > 0.2 && rate < 0.8, "rate {rate}");
            let mut ula = Ula::new(0.35 * t).unwrap().with_temperature(t).unwrap();
            let z = invariance_z(&mut ula, t, 3, 20_000);
            assert!(z > 10.0, "ULA at T = {t} should be visibly biased: z = {z}");
        }
    }

    /// ULA's stationary variance for E = x²/2 (target variance T) is
    /// T / (1 − h/(2T)): biased upwards by O(h). MALA with the same h is exact.
    #[test]
    fn ula_is_biased_as_predicted_and_mala_is_not() {
        let energy = Quadratic::isotropic(vec![0.0], 1.0).unwrap();
        for (k, (t, h)) in [(1.0, 0.5), (2.0, 1.0), (1.0, 0.1)].into_iter().enumerate() {
            let predicted = t / (1.0 - h / (2.0 * t));
            let variance =
                |draws: &Draws| mean_and_error(&draws.rows().map(|x| x[0] * x[0]).collect::<Vec<_>>());
            let mut ula = Ula::new(h).unwrap().with_temperature(t).unwrap();
            let draws = ula.sample(&energy, &mut [0.0], 1000, 100_000, 1, &mut stream(5, k as u64)).unwrap();
            let (v, error, _) = variance(&draws);
            assert!(
                (v - predicted).abs() < 5.0 * error,
                "ULA T = {t}, h = {h}: {v} ± {error} vs {predicted}"
            );
            assert!(v - t > 5.0 * error, "ULA T = {t}, h = {h}: {v} ± {error} not above {t}");
            assert_eq!(draws.stats().rate(), 1.0);
            let mut mala = Mala::new(h).unwrap().with_temperature(t).unwrap();
            let draws = mala.sample(&energy, &mut [0.0], 1000, 100_000, 1, &mut stream(6, k as u64)).unwrap();
            let (v, error, _) = variance(&draws);
            assert!((v - t).abs() < 5.0 * error, "MALA T = {t}, h = {h}: {v} ± {error} vs {t}");
        }
    }

    /// In 2-D the ULA covariance is (B − (h/2)B²)⁻¹ with B = A/T.
    #[test]
    fn ula_covariance_matches_the_discretised_dynamics() {
        let energy = correlated();
        let (t, h) = (1.0, 0.2);
        let b = energy.precision() / t;
        let predicted = (&b - &b * &b * (h / 2.0)).try_inverse().unwrap();
        let mut ula = Ula::new(h).unwrap().with_temperature(t).unwrap();
        let draws = ula.sample(&energy, &mut [1.0, -2.0], 1000, 100_000, 1, &mut stream(8, 0)).unwrap();
        let mean: Vec<f64> = energy.mean().iter().copied().collect();
        crate::continuous::testing::assert_moments(&draws, &mean, &predicted, "ULA 2-D");
        let target = energy.covariance(t);
        assert!(predicted[(0, 0)] - target[(0, 0)] > 0.09 && predicted[(1, 1)] - target[(1, 1)] > 0.09);
    }

    /// The proposal actually drawn has the law N(x − (h/T)∇E(x), 2h I) whose
    /// density enters the acceptance ratio.
    #[test]
    fn proposal_has_the_law_used_in_the_ratio() {
        let energy = Banana;
        let (h, t) = (0.3, 1.5);
        let current = point(&energy, &[0.8, -0.4]);
        let mut proposal = current.clone();
        let mut rng = stream(9, 0);
        let n = 40_000;
        let mut draws = Draws::new(2, n);
        for _ in 0..n {
            assert!(propose(&energy, h, t, &current, &mut proposal, &mut rng));
            draws.push(&proposal.x);
        }
        let mean = draws.mean();
        let cov = draws.covariance();
        for i in 0..2 {
            let expected = current.x[i] - h / t * current.gradient[i];
            assert!((mean[i] - expected).abs() < 5.0 * (2.0 * h / n as f64).sqrt(), "mean {i}");
            assert!((cov[(i, i)] - 2.0 * h).abs() < 5.0 * 2.0 * h * (2.0 / n as f64).sqrt(), "variance {i}");
        }
        assert!(cov[(0, 1)].abs() < 5.0 * 2.0 * h / (n as f64).sqrt());
        // The same numbers as the density used by the ratio: its mode is the drift point.
        let mode: Vec<f64> = (0..2).map(|i| current.x[i] - h / t * current.gradient[i]).collect();
        assert!(log_proposal_density(&current, &mode, h, t).abs() < 1e-12);
    }

    #[test]
    fn mala_ratio_matches_a_direct_gaussian_calculation() {
        // 1-D E = x²/2 at T: q(y|x) = N(y; (1 − h/T)x, 2h) written out in full.
        let energy = Quadratic::isotropic(vec![0.0], 1.0).unwrap();
        let (h, t, x, y) = (0.4, 1.3, 0.7, -1.1);
        let normal = |v: f64, mean: f64, var: f64| {
            (-(v - mean).powi(2) / (2.0 * var)).exp() / (2.0 * std::f64::consts::PI * var).sqrt()
        };
        let target = |v: f64| (-v * v / (2.0 * t)).exp();
        let direct = (target(y) * normal(x, (1.0 - h / t) * y, 2.0 * h)
            / (target(x) * normal(y, (1.0 - h / t) * x, 2.0 * h)))
        .ln();
        let ratio = log_ratio(&point(&energy, &[x]), &point(&energy, &[y]), h, t);
        assert!((ratio - direct).abs() < 1e-12, "{ratio} vs {direct}");
    }

    fn detailed_balance<E: DifferentiableEnergy>(energy: &E, x: &[f64], y: &[f64], h: f64, t: f64) {
        let (px, py) = (point(energy, x), point(energy, y));
        let log_alpha = |r: f64| r.min(0.0);
        let forward =
            -px.energy / t + log_proposal_density(&px, y, h, t) + log_alpha(log_ratio(&px, &py, h, t));
        let backward =
            -py.energy / t + log_proposal_density(&py, x, h, t) + log_alpha(log_ratio(&py, &px, h, t));
        let scale = 1.0 + forward.abs().max(backward.abs());
        assert!((forward - backward).abs() < 1e-10 * scale, "{forward} vs {backward}");
        assert!(energy.energy(x).is_finite());
    }

    proptest! {
        /// π(x) q(y∣x) α(x→y) = π(y) q(x∣y) α(y→x) for arbitrary x, y, h, T.
        #[test]
        fn mala_satisfies_detailed_balance(
            x in prop::collection::vec(-3.0f64..3.0, 2),
            y in prop::collection::vec(-3.0f64..3.0, 2),
            h in 0.01f64..2.0,
            t in 0.3f64..3.0,
        ) {
            detailed_balance(&correlated(), &x, &y, h, t);
            detailed_balance(&Banana, &x, &y, h, t);
            detailed_balance(&Mixture { weight: 0.3, separation: 2.0 }, &x[..1], &y[..1], h, t);
        }
    }
}
