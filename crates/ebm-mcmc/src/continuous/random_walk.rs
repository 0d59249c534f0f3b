//! Random-walk Metropolis–Hastings with Gaussian proposals.

use super::adapt::{RANDOM_WALK_TARGET, RANDOM_WALK_TARGET_1D};
use super::driver::{Kernel, Move, Point, add_noise};
use super::settings::{Settings, common_methods};
use ebm_core::{ContinuousEnergy, Result};
use rand::Rng;

/// Random-walk Metropolis: the sampler of the source note's general EBMs.
///
/// From x it proposes
///
/// ```text
/// x' = x + σ ξ,        ξ ~ N(0, I),
/// ```
///
/// a symmetric proposal (q(x'∣x) = q(x∣x')), so the Metropolis–Hastings
/// acceptance probability for π ∝ exp(−E/T) is
///
/// ```text
/// α(x → x') = min(1, π(x') / π(x)) = min(1, exp(−(E(x') − E(x)) / T)),
/// ```
///
/// and only energies are needed, never gradients or Z. The step σ trades
/// acceptance against move length; [`Adaptation`](super::Adaptation) tunes it
/// during burn-in towards acceptance 0.234 (d ≥ 2) or 0.44 (d = 1).
///
/// ```
/// use ebm_core::Quadratic;
/// use ebm_mcmc::continuous::{ContinuousSampler, RandomWalk};
/// use ebm_mcmc::rng::seeded;
///
/// let energy = Quadratic::isotropic(vec![0.0], 1.0)?;
/// let mut sampler = RandomWalk::new(2.4)?;
/// let mut x = vec![0.0];
/// let stats = sampler.steps(&energy, &mut x, 1000, &mut seeded(1))?;
/// assert!(stats.rate() > 0.3 && stats.rate() < 0.6);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RandomWalk {
    settings: Settings,
}

impl RandomWalk {
    /// A sampler with proposal scale σ = `step_size` (finite, > 0) at T = 1,
    /// without adaptation.
    pub fn new(step_size: f64) -> Result<Self> {
        Ok(Self { settings: Settings::new(step_size)? })
    }
}

common_methods!(RandomWalk, adaptive);

/// log of the Metropolis ratio π(x')/π(x) = −(E(x') − E(x)) / T.
pub(super) fn log_ratio(energy_from: f64, energy_to: f64, temperature: f64) -> f64 {
    -(energy_to - energy_from) / temperature
}

impl<E: ContinuousEnergy + ?Sized> Kernel<E> for RandomWalk {
    const GRADIENT: bool = false;

    fn default_target(dim: usize) -> f64 {
        if dim == 1 { RANDOM_WALK_TARGET_1D } else { RANDOM_WALK_TARGET }
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn evaluate(energy: &E, point: &mut Point) {
        point.energy = energy.energy(&point.x);
    }

    fn transition<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        step: f64,
        current: &Point,
        proposal: &mut Point,
        rng: &mut R,
    ) -> Move {
        proposal.x.copy_from_slice(&current.x);
        add_noise(&mut proposal.x, step, rng);
        if proposal.x.iter().any(|v| !v.is_finite()) {
            return Move::DIVERGENT;
        }
        <Self as Kernel<E>>::evaluate(energy, proposal);
        if !proposal.is_finite() {
            return Move::DIVERGENT;
        }
        Move::metropolis(log_ratio(current.energy, proposal.energy, self.settings.temperature), rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuous::Adaptation;
    use crate::continuous::testing::{check_gaussian, check_mixture, invariance_z};

    #[test]
    fn recovers_a_correlated_gaussian_at_two_temperatures() {
        let make =
            |t| RandomWalk::new(5.0).unwrap().with_temperature(t).unwrap().with_adaptation(Adaptation::new());
        let draws = check_gaussian(make, (3000, 100_000), Some(RANDOM_WALK_TARGET), "random walk");
        assert!(draws.burn_in_stats().proposed == 3000 && draws.stats().proposed == 100_000);
    }

    #[test]
    fn recovers_the_weight_of_a_two_mode_mixture() {
        let make = |t| RandomWalk::new(2.5).unwrap().with_temperature(t).unwrap();
        check_mixture(make, 100_000, "random walk");
    }

    #[test]
    fn one_transition_leaves_the_target_invariant() {
        for t in [1.0, 2.0] {
            let mut sampler = RandomWalk::new(1.5).unwrap().with_temperature(t).unwrap();
            let z = invariance_z(&mut sampler, t, 2, 20_000);
            assert!(z < 5.0, "T = {t}: z = {z}");
            assert!(sampler.stats().rate() > 0.2 && sampler.stats().rate() < 0.7);
        }
    }

    #[test]
    fn metropolis_ratio_is_antisymmetric_and_tempered() {
        assert_eq!(log_ratio(1.0, 3.0, 2.0), -1.0);
        assert_eq!(log_ratio(3.0, 1.0, 2.0), 1.0);
    }
}
