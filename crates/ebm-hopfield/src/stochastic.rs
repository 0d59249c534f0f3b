//! The stochastic Hopfield network: Glauber (Gibbs) dynamics at temperature
//! T, where unit i is set to +1 with probability σ(2h_i/T). As T → 0 this
//! becomes the deterministic rule; at T > 0 the network samples the
//! Boltzmann distribution of its energy and can escape spurious minima.
//! Annealed recall lowers T along a schedule and ends with a zero-temperature
//! quench, so it finishes in a fixed point of the deterministic dynamics.

use crate::network::Hopfield;
use ebm_core::{PairwiseEnergy, Result};
use ebm_mcmc::anneal::{Annealer, Schedule};
use ebm_mcmc::{PairwiseChain, Rule, Scan, SingleSite};
use rand::Rng;

impl<M: PairwiseEnergy> Hopfield<M> {
    /// Runs `sweeps` random-scan Gibbs sweeps at temperature T from `probe`
    /// and returns the final state.
    pub fn sample<R: Rng + ?Sized>(
        &self,
        probe: &[i8],
        temperature: f64,
        sweeps: usize,
        rng: &mut R,
    ) -> Result<Vec<i8>> {
        let mut chain = PairwiseChain::new(self.model(), probe.to_vec())?;
        SingleSite::new(Rule::Gibbs).scan(Scan::Random).run(&mut chain, temperature, sweeps, rng)?;
        Ok(chain.state().to_vec())
    }

    /// Annealed recall: Gibbs sweeps from `probe` along `schedule`
    /// (`sweeps_per_temperature` at each); the lowest-energy state met is
    /// then quenched (asynchronous descent), so the result is always a fixed
    /// point of the deterministic dynamics.
    pub fn annealed_recall<R: Rng + ?Sized>(
        &self,
        probe: &[i8],
        schedule: Schedule,
        sweeps_per_temperature: usize,
        rng: &mut R,
    ) -> Result<Vec<i8>> {
        let mut chain = PairwiseChain::new(self.model(), probe.to_vec())?;
        let annealer = Annealer::new(schedule)
            .sampler(SingleSite::new(Rule::Gibbs).scan(Scan::Random))
            .sweeps_per_temperature(sweeps_per_temperature);
        let best = annealer.run(&mut chain, rng)?.best_state;
        let mut descent = PairwiseChain::new(self.model(), best)?;
        ebm_mcmc::anneal::quench(&mut descent, None);
        Ok(descent.state().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::spin_glass::SpinGlass;
    use ebm_core::{DiscreteEnergy, exact};
    use ebm_mcmc::rng::{seeded, stream};

    #[test]
    fn glauber_dynamics_samples_the_boltzmann_distribution() {
        let model = SpinGlass::new(6).field_std(0.3).sample(&mut seeded(8)).unwrap();
        let net = Hopfield::new(model).unwrap();
        let t = 1.5;
        let exact = exact::summarize(net.model(), &exact::ExactOptions::new().temperature(t)).unwrap();
        let runs = 20_000;
        let mut mean = [0.0; 6];
        for k in 0..runs {
            let state = net.sample(&[1; 6], t, 150, &mut stream(1, k)).unwrap();
            mean.iter_mut().zip(&state).for_each(|(m, &s)| *m += f64::from(s) / runs as f64);
        }
        for (i, (m, e)) in mean.iter().zip(&exact.means).enumerate() {
            // Independent runs: standard error ≤ 1/√20000 ≈ 0.007.
            assert!((m - e).abs() < 0.035, "unit {i}: sampled ⟨s⟩ = {m}, exact {e}");
        }
    }

    #[test]
    fn annealed_recall_always_ends_in_a_fixed_point() {
        let model = SpinGlass::new(30).sample(&mut seeded(11)).unwrap();
        let net = Hopfield::new(model).unwrap();
        for k in 0..300 {
            let schedule = Schedule::Geometric { start: 1.5, factor: 0.7, end: 0.3 };
            let state = net.annealed_recall(&[1; 30], schedule, 1, &mut stream(12, k)).unwrap();
            assert!(net.is_fixed_point(&state).unwrap(), "run {k}");
        }
    }

    #[test]
    fn annealed_recall_ends_in_a_low_fixed_point() {
        let model = SpinGlass::new(14).sample(&mut seeded(9)).unwrap();
        let net = Hopfield::new(model).unwrap();
        let (ground, _) = exact::ground_states(net.model(), 1).unwrap();
        let schedule = Schedule::Geometric { start: 2.0, factor: 0.9, end: 0.05 };
        let state = net.annealed_recall(&[1; 14], schedule, 10, &mut seeded(10)).unwrap();
        assert!(net.is_fixed_point(&state).unwrap());
        assert!(
            net.model().energy(&state) <= ground + 0.2 * ground.abs(),
            "ended far above the ground energy"
        );
    }
}
