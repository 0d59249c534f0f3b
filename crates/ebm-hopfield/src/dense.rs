//! Dense associative memory (Krotov and Hopfield, 2016): an energy built
//! from a rapidly growing function F of each pattern's overlap,
//!
//! E(σ) = −Σ_μ F(a_μ(σ)),  a_μ(σ) = ξ^μ · σ = Σ_i ξ_i^μ σ_i,
//!
//! with F(x) = xⁿ (polynomial; n = 2 is the classical Hebbian network, its
//! energy scaled by 2N and shifted by a constant) or F(x) = e^{βx} (exponential; Demircigil et al., 2017). The
//! update σ_i ← sign(Σ_μ [F(b_μ + ξ_i^μ) − F(b_μ − ξ_i^μ)]), with
//! b_μ = a_μ − ξ_i^μ σ_i the overlap without unit i, moves unit i to the
//! value of lower energy, so asynchronous updates never raise E. Capacity
//! grows like N^{n−1} for the polynomial and exponentially in N for the
//! exponential interaction, far beyond the classical 0.14 N.

use crate::network::Outcome;
use ebm_core::{DiscreteEnergy, Domain, Error, Result};

/// The interaction function F.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Interaction {
    /// F(x) = xⁿ, n ≥ 2.
    Polynomial(u32),
    /// F(x) = e^{βx}, β > 0.
    Exponential {
        /// The inverse scale β.
        beta: f64,
    },
}

/// A dense associative memory over ±1 units.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseMemory {
    /// Patterns, row-major: pattern μ is `patterns[μ·N..(μ+1)·N]`.
    patterns: Vec<i8>,
    units: usize,
    count: usize,
    interaction: Interaction,
}

/// The result of a dense-memory recall.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseRecall {
    /// The final state.
    pub state: Vec<i8>,
    /// [`Outcome::FixedPoint`] or [`Outcome::SweepLimit`].
    pub outcome: Outcome,
    /// Sweeps made.
    pub sweeps: usize,
    /// Units flipped.
    pub flips: usize,
}

impl DenseMemory {
    /// Stores `patterns` (K vectors of N values ±1) with interaction F.
    /// A polynomial degree whose values N^n would overflow is refused.
    pub fn new(patterns: &[Vec<i8>], interaction: Interaction) -> Result<Self> {
        let units = patterns.first().map_or(0, Vec::len);
        patterns.iter().try_for_each(|p| Domain::Spin.check(p, units))?;
        match interaction {
            Interaction::Polynomial(n) if n < 2 || f64::from(n) * (units.max(2) as f64).log10() > 300.0 => {
                return Err(Error::Invalid {
                    what: "polynomial degree".into(),
                    reason: format!("n = {n} must be at least 2 and keep N^n = {units}^{n} below 10^300"),
                });
            }
            Interaction::Exponential { beta } if !(beta.is_finite() && beta > 0.0) => {
                return Err(Error::Invalid {
                    what: "exponential β".into(),
                    reason: format!("must be > 0, got {beta}"),
                });
            }
            _ => {}
        }
        Ok(Self { patterns: patterns.concat(), units, count: patterns.len(), interaction })
    }

    /// Number of stored patterns K.
    pub fn patterns(&self) -> usize {
        self.count
    }

    fn pattern(&self, mu: usize) -> &[i8] {
        &self.patterns[mu * self.units..(mu + 1) * self.units]
    }

    /// The overlaps a_μ = ξ^μ · σ.
    pub fn overlaps(&self, state: &[i8]) -> Vec<i64> {
        (0..self.count)
            .map(|mu| self.pattern(mu).iter().zip(state).map(|(&x, &s)| i64::from(x * s)).sum())
            .collect()
    }

    /// F(x), and the shift used to keep exponentials finite: the result is F(x) e^{−β·shift}.
    fn f_shifted(&self, x: i64, shift: i64) -> f64 {
        match self.interaction {
            Interaction::Polynomial(n) => (x as f64).powi(n as i32),
            Interaction::Exponential { beta } => (beta * (x - shift) as f64).exp(),
        }
    }

    /// The log of the common factor taken out by [`DenseMemory::f_shifted`].
    fn log_scale(&self, shift: i64) -> f64 {
        match self.interaction {
            Interaction::Polynomial(_) => 0.0,
            Interaction::Exponential { beta } => beta * shift as f64,
        }
    }

    /// ΔE of flipping unit i given the overlaps, as (sign-carrying value,
    /// log of a positive factor): ΔE = value · e^{log factor}. The sign alone
    /// decides an update, and stays exact when the factor overflows.
    fn flip_delta(&self, overlaps: &[i64], state: &[i8], i: usize) -> (f64, f64) {
        let s = i64::from(state[i]);
        let after = |mu: usize| overlaps[mu] - 2 * s * i64::from(self.pattern(mu)[i]);
        let shift = (0..self.count).map(|mu| overlaps[mu].max(after(mu))).max().unwrap_or(0);
        let value = -(0..self.count)
            .map(|mu| self.f_shifted(after(mu), shift) - self.f_shifted(overlaps[mu], shift))
            .sum::<f64>();
        (value, self.log_scale(shift))
    }

    /// Asynchronous recall from `probe`, units in order, each flipped when
    /// that lowers the energy (ties keep the state), until a sweep flips
    /// nothing or `max_sweeps`. The overlaps are kept up to date, so a unit
    /// costs O(K) and a flip O(K).
    pub fn recall(&self, probe: &[i8], max_sweeps: usize) -> Result<DenseRecall> {
        self.check_state(probe)?;
        let mut state = probe.to_vec();
        let mut overlaps = self.overlaps(&state);
        let (mut sweeps, mut flips) = (0, 0);
        let outcome = loop {
            if sweeps == max_sweeps {
                break Outcome::SweepLimit;
            }
            sweeps += 1;
            let mut changed = 0;
            for i in 0..self.units {
                if self.flip_delta(&overlaps, &state, i).0 < 0.0 {
                    let s = i64::from(state[i]);
                    for (mu, a) in overlaps.iter_mut().enumerate() {
                        *a -= 2 * s * i64::from(self.patterns[mu * self.units + i]);
                    }
                    state[i] = -state[i];
                    changed += 1;
                }
            }
            flips += changed;
            if changed == 0 {
                break Outcome::FixedPoint;
            }
        };
        Ok(DenseRecall { state, outcome, sweeps, flips })
    }
}

impl DiscreteEnergy for DenseMemory {
    fn num_units(&self) -> usize {
        self.units
    }

    fn domain(&self) -> Domain {
        Domain::Spin
    }

    /// E(σ) = −Σ_μ F(a_μ); for the exponential interaction this overflows to
    /// −∞ once β·a_μ exceeds about 709 (the dynamics does not need it).
    fn energy(&self, state: &[i8]) -> f64 {
        let overlaps = self.overlaps(state);
        let shift = overlaps.iter().copied().max().unwrap_or(0);
        -overlaps.iter().map(|&a| self.f_shifted(a, shift)).sum::<f64>() * self.log_scale(shift).exp()
    }

    fn flip_energy(&self, state: &[i8], unit: usize) -> f64 {
        let (value, log_factor) = self.flip_delta(&self.overlaps(state), state, unit);
        // A zero difference stays zero even when the common factor overflows.
        if value == 0.0 { 0.0 } else { value * log_factor.exp() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_data::patterns::{corrupt, random};
    use ebm_mcmc::rng::seeded;
    use proptest::prelude::*;

    fn memory(
        seed: u64,
        count: usize,
        units: usize,
        interaction: Interaction,
    ) -> (DenseMemory, Vec<Vec<i8>>) {
        let patterns = random(count, units, 0.5, Domain::Spin, &mut seeded(seed)).unwrap();
        (DenseMemory::new(&patterns, interaction).unwrap(), patterns)
    }

    proptest! {
        #[test]
        fn flip_energy_is_the_energy_difference_and_recall_descends(
            seed in any::<u64>(), degree in 2u32..6, exponential in any::<bool>()
        ) {
            let interaction = if exponential { Interaction::Exponential { beta: 0.3 } } else { Interaction::Polynomial(degree) };
            let (net, _) = memory(seed, 7, 20, interaction);
            let state = random(1, 20, 0.5, Domain::Spin, &mut seeded(seed ^ 3)).unwrap().remove(0);
            for i in 0..20 {
                let mut flipped = state.clone();
                flipped[i] = -flipped[i];
                let direct = net.energy(&flipped) - net.energy(&state);
                prop_assert!((net.flip_energy(&state, i) - direct).abs() <= 1e-9 * (1.0 + direct.abs() + net.energy(&state).abs()));
            }
            let recall = net.recall(&state, 1000).unwrap();
            prop_assert_eq!(recall.outcome, Outcome::FixedPoint);
            prop_assert!(net.energy(&recall.state) <= net.energy(&state) + 1e-9);
            prop_assert!((0..20).all(|i| net.flip_energy(&recall.state, i) >= 0.0));
        }
    }

    #[test]
    fn stores_far_more_than_the_classical_capacity() {
        // K = 60 patterns on N = 100 units is 0.6 N, four times the classical 0.14 N.
        for interaction in [Interaction::Polynomial(3), Interaction::Exponential { beta: 1.0 }] {
            let (net, patterns) = memory(4, 60, 100, interaction);
            let mut rng = seeded(5);
            for (mu, p) in patterns.iter().enumerate() {
                assert_eq!(
                    net.recall(p, 10).unwrap().flips,
                    0,
                    "{interaction:?}: pattern {mu} is not a fixed point"
                );
                let probe = corrupt(p, Domain::Spin, 0.1, &mut rng).unwrap();
                assert_eq!(
                    &net.recall(&probe, 100).unwrap().state,
                    p,
                    "{interaction:?}: pattern {mu} not recalled"
                );
            }
        }
        // The exponential memory goes beyond N patterns.
        let (net, patterns) = memory(6, 300, 100, Interaction::Exponential { beta: 1.0 });
        assert!(patterns.iter().all(|p| net.recall(p, 10).unwrap().flips == 0));
    }

    #[test]
    fn huge_overlaps_keep_the_right_sign() {
        // β·N = 2000: e^{βa} overflows, the update must still be right.
        let (net, patterns) = memory(7, 20, 1000, Interaction::Exponential { beta: 2.0 });
        let probe = corrupt(&patterns[3], Domain::Spin, 0.2, &mut seeded(8)).unwrap();
        assert_eq!(net.recall(&probe, 100).unwrap().state, patterns[3]);
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(DenseMemory::new(&[vec![1, 0]], Interaction::Polynomial(2)).is_err());
        assert!(DenseMemory::new(&[vec![1, 1], vec![1]], Interaction::Polynomial(2)).is_err());
        assert!(DenseMemory::new(&[vec![1, -1]], Interaction::Polynomial(1)).is_err());
        assert!(DenseMemory::new(&[vec![1; 1000]], Interaction::Polynomial(200)).is_err());
        assert!(DenseMemory::new(&[vec![1, -1]], Interaction::Exponential { beta: 0.0 }).is_err());
        let net = DenseMemory::new(&[vec![1, -1]], Interaction::Polynomial(2)).unwrap();
        assert!(net.recall(&[1, 2], 5).is_err());
    }
}
