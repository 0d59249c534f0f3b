//! Samplers for continuous energies: random-walk Metropolis, Langevin
//! dynamics (ULA and MALA) and Hamiltonian Monte Carlo.
//!
//! Each sampler draws from the Boltzmann distribution of an energy E over ℝᵈ
//! at temperature T,
//!
//! ```text
//! π(x) = exp(−E(x)/T) / Z,        ∇ log π(x) = −∇E(x) / T,
//! ```
//!
//! and never needs Z: every acceptance test uses an energy difference.
//!
//! | sampler | proposal | acceptance probability | needs |
//! |---|---|---|---|
//! | [`RandomWalk`] | x' = x + σ ξ | min(1, exp(−(E(x') − E(x))/T)) | E |
//! | [`Ula`] | x' = x − (h/T) ∇E(x) + √(2h) ξ | 1 (biased by O(h)) | E, ∇E |
//! | [`Mala`] | as ULA | min(1, π(x') q(x∣x') / (π(x) q(x'∣x))) | E, ∇E |
//! | [`Hmc`] | L leapfrog steps of size ε | min(1, exp(H(x, p) − H(x', p'))) | E, ∇E |
//!
//! with ξ ~ N(0, I). Each sampler's documentation gives its mathematics.
//! [`BatchLangevin`] runs ULA or MALA on many chains at once with one
//! batched energy-and-gradient evaluation per step, as training needs, and
//! [`run_chains`] runs many independent chains of any sampler in parallel,
//! with the same result on any number of threads.
//!
//! All of them implement [`ContinuousSampler`]: [`step`](ContinuousSampler::step)
//! and [`steps`](ContinuousSampler::steps) advance a chain at a fixed step
//! size, [`adapt`](ContinuousSampler::adapt) runs a burn-in that tunes the
//! step size towards a target acceptance rate ([`Adaptation`]) and then
//! freezes it, and [`sample`](ContinuousSampler::sample) does both and
//! returns thinned [`Draws`]. Validation happens at every call: the point must
//! have `energy.dim()` finite entries with a finite energy (and gradient).
//! Proposals whose energy or gradient is not finite are rejected and counted
//! as divergent in the [`AcceptanceStats`], so a chain never leaves the
//! region where the energy is finite.
//!
//! Randomness comes only from the generator passed in: the same generator
//! state gives the same chain.
//!
//! # Example
//!
//! ```
//! use ebm_core::Quadratic;
//! use ebm_mcmc::continuous::{Adaptation, ContinuousSampler, Hmc};
//! use ebm_mcmc::rng::seeded;
//!
//! // E(x) = |x − μ|² / 2: at T = 2 the samples follow N(μ, 2 I).
//! let energy = Quadratic::isotropic(vec![1.0, -1.0], 1.0)?;
//! let mut hmc = Hmc::new(0.5, 8)?.with_temperature(2.0)?.with_adaptation(Adaptation::new());
//! let mut x = vec![0.0, 0.0];
//! let draws = hmc.sample(&energy, &mut x, 500, 2000, 1, &mut seeded(7))?;
//! let mean = draws.mean();
//! assert!((mean[0] - 1.0).abs() < 0.2 && (mean[1] + 1.0).abs() < 0.2);
//! assert!(draws.stats().rate() > 0.5);
//! # Ok::<(), ebm_core::Error>(())
//! ```

mod adapt;
mod batch;
mod draws;
mod driver;
mod hmc;
mod langevin;
mod parallel;
mod random_walk;
mod settings;
mod stats;
#[cfg(test)]
mod testing;

pub use adapt::{Adaptation, HMC_TARGET, MALA_TARGET, RANDOM_WALK_TARGET, RANDOM_WALK_TARGET_1D};
pub use batch::BatchLangevin;
pub use draws::Draws;
pub use hmc::Hmc;
pub use langevin::{Mala, Ula};
pub use parallel::run_chains;
pub use random_walk::RandomWalk;
pub use stats::AcceptanceStats;

use ebm_core::{ContinuousEnergy, Result};
use rand::Rng;

/// An HMC proposal whose Hamiltonian rises by more than this is counted as
/// divergent (it is rejected in any case: its acceptance probability is
/// below e^−1000).
pub const DIVERGENCE_THRESHOLD: f64 = 1000.0;

/// A Markov-chain sampler over x ∈ ℝᵈ for energies of type `E`.
///
/// Implemented by [`RandomWalk`] for every [`ContinuousEnergy`], and by
/// [`Ula`], [`Mala`] and [`Hmc`] for every
/// [`DifferentiableEnergy`](ebm_core::DifferentiableEnergy).
///
/// Every method validates its input and returns an error instead of
/// panicking: `x` must have `energy.dim()` entries (d ≥ 1), all finite, and
/// the energy (and, for gradient samplers, the gradient) at `x` must be
/// finite. On success `x` holds the chain's new state.
pub trait ContinuousSampler<E: ContinuousEnergy + ?Sized> {
    /// Runs `n` transitions from `x` at the current, fixed step size and
    /// returns their acceptance statistics (also added to the sampler's own).
    ///
    /// The energy at `x` is evaluated once per call, not once per
    /// transition, so prefer one call with `n` transitions to `n` calls.
    fn steps<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        x: &mut [f64],
        n: usize,
        rng: &mut R,
    ) -> Result<AcceptanceStats>;

    /// One transition from `x`; returns whether the proposal was accepted.
    fn step<R: Rng + ?Sized>(&mut self, energy: &E, x: &mut [f64], rng: &mut R) -> Result<bool> {
        Ok(self.steps(energy, x, 1, rng)?.accepted == 1)
    }

    /// Burn-in: runs `n` transitions from `x` and, if the sampler has an
    /// [`Adaptation`], tunes the step size after each of them and freezes it
    /// at the end (see [`Adaptation`]). Without adaptation it is the same as
    /// [`steps`](Self::steps).
    fn adapt<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        x: &mut [f64],
        n: usize,
        rng: &mut R,
    ) -> Result<AcceptanceStats>;

    /// Runs `burn_in` transitions as in [`adapt`](Self::adapt), then
    /// `samples × thin` transitions at the frozen step size, recording the
    /// state after every `thin`-th of them. `samples` and `thin` must be at
    /// least 1, and `samples × d` at most [`MAX_TRACE_VALUES`](crate::runner::MAX_TRACE_VALUES). The sampler
    /// keeps the adapted step size, so a later call starts from it.
    fn sample<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        x: &mut [f64],
        burn_in: usize,
        samples: usize,
        thin: usize,
        rng: &mut R,
    ) -> Result<Draws>;
}

#[cfg(test)]
mod tests {
    use super::testing::{Boxed, correlated};
    use super::*;
    use crate::rng::{seeded, stream};
    use ebm_core::Error;
    use ebm_core::{DifferentiableEnergy, Quadratic};

    /// Calls `f` with a runner for each sampler; every run uses a fresh
    /// sampler (burn-in 50 with adaptation, 200 samples, thinning 2).
    fn each_sampler(mut f: impl FnMut(&dyn Fn(&Quadratic, &mut [f64], u64) -> Result<Draws>, &str)) {
        let rw = || RandomWalk::new(0.8).unwrap().with_adaptation(Adaptation::new());
        let ula = || Ula::new(0.1).unwrap();
        let mala = || Mala::new(0.2).unwrap().with_adaptation(Adaptation::new());
        let hmc = || Hmc::new(0.2, 5).unwrap().with_jitter(0.1).unwrap().with_adaptation(Adaptation::new());
        f(&|e, x, seed| rw().sample(e, x, 50, 200, 2, &mut seeded(seed)), "random walk");
        f(&|e, x, seed| ula().sample(e, x, 50, 200, 2, &mut seeded(seed)), "ULA");
        f(&|e, x, seed| mala().sample(e, x, 50, 200, 2, &mut seeded(seed)), "MALA");
        f(&|e, x, seed| hmc().sample(e, x, 50, 200, 2, &mut seeded(seed)), "HMC");
    }

    #[test]
    fn the_same_seed_gives_the_same_chain() {
        let energy = correlated();
        each_sampler(|run, label| {
            let (mut x, mut y) = (vec![0.5, 0.5], vec![0.5, 0.5]);
            let first = run(&energy, &mut x, 17).unwrap();
            let again = run(&energy, &mut y, 17).unwrap();
            assert!(first == again, "{label}: same seed, different draws");
            assert_eq!(first.len(), 200);
            assert_eq!(x, y);
            let other = run(&energy, &mut [0.5, 0.5], 18).unwrap();
            assert!(first.as_slice() != other.as_slice(), "{label}: different seeds, same draws");
        });
    }

    #[test]
    fn bad_inputs_are_refused_without_touching_x() {
        let energy = correlated();
        each_sampler(|run, label| {
            let mut short = vec![0.0];
            assert!(matches!(run(&energy, &mut short, 1), Err(Error::ShapeMismatch { .. })), "{label}");
            let mut nan = vec![0.0, f64::NAN];
            assert!(matches!(run(&energy, &mut nan, 1), Err(Error::NonFinite { index: 1, .. })), "{label}");
            let mut infinite = vec![f64::NEG_INFINITY, 0.0];
            assert!(run(&energy, &mut infinite, 1).is_err(), "{label}");
            assert!(infinite[0] == f64::NEG_INFINITY && nan[1].is_nan());
        });
        for step in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(RandomWalk::new(step).is_err());
            assert!(Ula::new(step).is_err());
            assert!(Mala::new(step).is_err());
            assert!(Hmc::new(step, 3).is_err());
            assert!(Mala::new(1.0).unwrap().set_step_size(step).is_err());
        }
        for t in [0.0, -2.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(RandomWalk::new(1.0).unwrap().with_temperature(t), Err(Error::Invalid { .. })));
            assert!(Ula::new(1.0).unwrap().with_temperature(t).is_err());
            assert!(Mala::new(1.0).unwrap().with_temperature(t).is_err());
            assert!(Hmc::new(1.0, 3).unwrap().with_temperature(t).is_err());
        }
        assert!(Hmc::new(0.1, 0).is_err());
        assert!(Hmc::new(0.1, 1).unwrap().with_mass(vec![1.0, 0.0]).is_err());
        assert!(Hmc::new(0.1, 1).unwrap().with_mass(vec![1.0, f64::NAN]).is_err());
        assert!(Hmc::new(0.1, 1).unwrap().with_jitter(1.0).is_err());
        assert!(Hmc::new(0.1, 1).unwrap().with_jitter(-0.1).is_err());
        let mut rng = seeded(0);
        let mut x = vec![0.0, 0.0];
        let mut hmc = Hmc::new(0.1, 2).unwrap().with_mass(vec![1.0; 3]).unwrap();
        assert!(matches!(
            hmc.steps(&energy, &mut x, 1, &mut rng),
            Err(Error::ShapeMismatch { expected: 2, .. })
        ));
        let mut rw = RandomWalk::new(0.5).unwrap();
        assert!(rw.sample(&energy, &mut x, 0, 0, 1, &mut rng).is_err());
        assert!(rw.sample(&energy, &mut x, 0, 1, 0, &mut rng).is_err());
        assert!(matches!(
            rw.sample(&energy, &mut x, 0, usize::MAX / 2, 1, &mut rng),
            Err(Error::TooLarge { .. })
        ));
        // A starting point of infinite energy, and an energy of dimension 0.
        let boxed = Boxed { dim: 2 };
        let mut outside = vec![5.0, 0.0];
        assert!(matches!(rw.steps(&boxed, &mut outside, 1, &mut rng), Err(Error::NonFinite { .. })));
        assert!(matches!(
            Mala::new(0.1).unwrap().step(&boxed, &mut outside, &mut rng),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(rw.steps(&Boxed { dim: 0 }, &mut [], 1, &mut rng), Err(Error::Invalid { .. })));
        assert_eq!(outside, vec![5.0, 0.0]);
        assert_eq!(rw.stats().proposed, 0);
    }

    /// A gradient that is NaN at the start is refused for gradient samplers.
    #[test]
    fn a_non_finite_starting_gradient_is_refused() {
        struct NanGradient;
        impl ContinuousEnergy for NanGradient {
            fn dim(&self) -> usize {
                1
            }
            fn energy(&self, _x: &[f64]) -> f64 {
                0.0
            }
        }
        impl DifferentiableEnergy for NanGradient {
            fn energy_and_gradient(&self, _x: &[f64], gradient: &mut [f64]) -> f64 {
                gradient[0] = f64::NAN;
                0.0
            }
        }
        let mut rng = seeded(1);
        assert!(matches!(
            Hmc::new(0.1, 1).unwrap().step(&NanGradient, &mut [0.0], &mut rng),
            Err(Error::NonFinite { .. })
        ));
        assert!(RandomWalk::new(0.1).unwrap().step(&NanGradient, &mut [0.0], &mut rng).is_ok());
    }

    /// Random-walk Metropolis (the note's sampler, with the acceptance
    /// min(1, exp(−(E' − E)/T))), MALA and HMC recover the mean and the
    /// covariance of a two-component Gaussian mixture, known in closed form.
    #[test]
    fn samplers_recover_the_moments_of_a_gaussian_mixture() {
        let mixture = ebm_core::GaussianMixture::new(
            2,
            vec![0.4, 0.6],
            vec![-1.0, 0.0, 1.0, 0.5],
            vec![0.6, 0.5, 0.7, 0.6],
        )
        .unwrap();
        let mean = mixture.mean();
        let cov = nalgebra::DMatrix::from_row_slice(2, 2, &mixture.covariance());
        let mut rw = RandomWalk::new(1.0).unwrap().with_adaptation(Adaptation::new());
        let mut mala = Mala::new(0.3).unwrap().with_adaptation(Adaptation::new());
        let mut hmc = Hmc::new(0.3, 6).unwrap().with_jitter(0.2).unwrap().with_adaptation(Adaptation::new());
        let samples = 60_000;
        let runs: [(&str, Draws); 3] = [
            (
                "random walk",
                rw.sample(&mixture, &mut [3.0, 3.0], 2000, samples, 1, &mut stream(61, 0)).unwrap(),
            ),
            ("MALA", mala.sample(&mixture, &mut [3.0, 3.0], 2000, samples, 1, &mut stream(61, 1)).unwrap()),
            ("HMC", hmc.sample(&mixture, &mut [3.0, 3.0], 2000, samples / 4, 1, &mut stream(61, 2)).unwrap()),
        ];
        for (label, draws) in &runs {
            testing::assert_moments(draws, &mean, &cov, label);
        }
    }

    #[test]
    fn adaptation_runs_only_during_burn_in() {
        let energy = correlated();
        let mut mala = Mala::new(5.0).unwrap().with_adaptation(Adaptation::new());
        let mut x = vec![1.0, -2.0];
        let mut rng = stream(2, 0);
        // Plain steps never adapt.
        mala.steps(&energy, &mut x, 200, &mut rng).unwrap();
        assert_eq!(mala.step_size(), 5.0);
        // Burn-in adapts a far too large step down and freezes it.
        let burn = mala.adapt(&energy, &mut x, 2000, &mut rng).unwrap();
        let frozen = mala.step_size();
        assert!(frozen < 1.0 && burn.proposed == 2000, "{frozen}");
        let after = mala.steps(&energy, &mut x, 5000, &mut rng).unwrap();
        assert_eq!(mala.step_size(), frozen);
        assert!((after.rate() - MALA_TARGET).abs() < 0.07, "{}", after.rate());
        assert_eq!(mala.stats().proposed, 7200);
        // sample() reports the frozen step it used.
        let draws = mala.sample(&energy, &mut x, 300, 100, 1, &mut rng).unwrap();
        assert_eq!(draws.step_size(), mala.step_size());
        mala.reset_stats();
        assert_eq!(mala.stats(), AcceptanceStats::default());
        // Without adaptation, adapt() is a plain burn-in.
        let mut fixed = RandomWalk::new(0.3).unwrap();
        fixed.adapt(&energy, &mut x, 100, &mut rng).unwrap();
        assert_eq!(fixed.step_size(), 0.3);
        assert_eq!(fixed.adaptation(), None);
    }

    /// `sample` = `adapt` for the burn-in, then fixed-step transitions of
    /// which every `thin`-th state is kept.
    #[test]
    fn sample_is_adapted_burn_in_then_fixed_thinned_steps() {
        let energy = correlated();
        let mut x = vec![0.0, 0.0];
        let mut y = x.clone();
        let mut hmc = Hmc::new(0.2, 3).unwrap().with_adaptation(Adaptation::new());
        let mut replica = hmc.clone();
        let draws = hmc.sample(&energy, &mut x, 10, 5, 3, &mut seeded(4)).unwrap();
        let mut rng = seeded(4);
        replica.adapt(&energy, &mut y, 10, &mut rng).unwrap();
        assert_eq!(replica.step_size(), draws.step_size());
        assert_ne!(draws.step_size(), 0.2);
        for k in 0..5 {
            replica.steps(&energy, &mut y, 3, &mut rng).unwrap();
            assert_eq!(draws.get(k).unwrap(), y.as_slice(), "sample {k}");
        }
        assert_eq!(
            (replica.stats().proposed, replica.stats().accepted),
            (hmc.stats().proposed, hmc.stats().accepted)
        );
        assert_eq!(draws.stats().proposed, 15);
        assert_eq!(draws.burn_in_stats().proposed, 10);
        assert_eq!(x, y);
    }

    #[test]
    fn rejected_non_finite_proposals_keep_the_chain_in_the_support() {
        let energy = Boxed { dim: 2 };
        let mut rng = seeded(9);
        let mut x = vec![0.0, 0.0];
        let rw = RandomWalk::new(4.0).unwrap().sample(&energy, &mut x, 0, 500, 1, &mut rng).unwrap();
        let ula = Ula::new(4.0).unwrap().sample(&energy, &mut x, 0, 500, 1, &mut rng).unwrap();
        let mala = Mala::new(4.0).unwrap().sample(&energy, &mut x, 0, 500, 1, &mut rng).unwrap();
        for (draws, label) in [(rw, "random walk"), (ula, "ULA"), (mala, "MALA")] {
            assert!(draws.stats().divergent > 50, "{label}: {:?}", draws.stats());
            assert!(draws.as_slice().iter().all(|v| v.abs() < 3.0), "{label}");
        }
    }
}
