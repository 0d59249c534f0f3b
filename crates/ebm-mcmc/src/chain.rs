//! [`PairwiseChain`]: the state of a discrete Markov chain with its local
//! fields kept up to date, so that one unit update costs O(degree).

use ebm_core::{Domain, PairwiseEnergy, Result};
use rand::{Rng, RngExt};

/// A state of a pairwise model together with its energy and every local
/// field h_i = Σ_j w_ij s_j + b_i.
///
/// Changing unit i from s_i to s_i' changes the energy by
/// ΔE = −(s_i' − s_i) h_i, and the field of every neighbour j by
/// w_ji (s_i' − s_i); [`PairwiseChain::flip`] applies both in O(degree of i).
/// Incremental updates accumulate rounding error in the last bits;
/// [`PairwiseChain::resync`] recomputes everything from the model.
#[derive(Clone, Debug)]
pub struct PairwiseChain<'m, M> {
    model: &'m M,
    domain: Domain,
    state: Vec<i8>,
    fields: Vec<f64>,
    energy: f64,
}

impl<'m, M: PairwiseEnergy> PairwiseChain<'m, M> {
    /// A chain at `state`, which must have one value of the model's domain per unit.
    pub fn new(model: &'m M, state: Vec<i8>) -> Result<Self> {
        model.check_state(&state)?;
        let mut chain = Self { model, domain: model.domain(), state, fields: Vec::new(), energy: 0.0 };
        chain.resync();
        Ok(chain)
    }

    /// A chain at a uniformly random state.
    pub fn random(model: &'m M, rng: &mut (impl Rng + ?Sized)) -> Self {
        let domain = model.domain();
        let state = (0..model.num_units()).map(|_| domain.value(rng.random())).collect();
        let mut chain = Self { model, domain, state, fields: Vec::new(), energy: 0.0 };
        chain.resync();
        chain
    }

    /// Recomputes the fields and the energy from the model.
    pub fn resync(&mut self) {
        self.fields = (0..self.state.len()).map(|i| self.model.local_field(&self.state, i)).collect();
        self.energy = self.model.energy(&self.state);
    }

    /// The model.
    pub fn model(&self) -> &'m M {
        self.model
    }

    /// The unit domain.
    pub fn domain(&self) -> Domain {
        self.domain
    }

    /// The current state.
    pub fn state(&self) -> &[i8] {
        &self.state
    }

    /// The number of units.
    pub fn len(&self) -> usize {
        self.state.len()
    }

    /// Whether the model has no units.
    pub fn is_empty(&self) -> bool {
        self.state.is_empty()
    }

    /// E(s) of the current state.
    pub fn energy(&self) -> f64 {
        self.energy
    }

    /// The local field h_i of unit `i`.
    pub fn field(&self, i: usize) -> f64 {
        self.fields[i]
    }

    /// E(s with unit i flipped) − E(s) = −(s_i' − s_i) h_i: 2 s_i h_i for
    /// spins, (2x_i − 1) h_i for bits.
    pub fn flip_energy(&self, i: usize) -> f64 {
        let old = self.state[i];
        -f64::from(self.domain.flipped(old) - old) * self.fields[i]
    }

    /// Flips unit `i`, updating the energy and the neighbours' fields.
    pub fn flip(&mut self, i: usize) {
        let old = self.state[i];
        let new = self.domain.flipped(old);
        let delta = f64::from(new - old);
        self.energy -= delta * self.fields[i];
        self.state[i] = new;
        let fields = &mut self.fields;
        self.model.for_each_coupling(i, |j, w| fields[j] += f64::from(w) * delta);
    }

    /// Sets unit `i` on or off, flipping it if needed; returns whether it changed.
    pub fn set(&mut self, i: usize, on: bool) -> bool {
        let changed = (self.state[i] == self.domain.high()) != on;
        if changed {
            self.flip(i);
        }
        changed
    }

    /// Replaces the whole state (validated), recomputing fields and energy.
    pub fn set_state(&mut self, state: &[i8]) -> Result<()> {
        self.model.check_state(state)?;
        self.state.copy_from_slice(state);
        self.resync();
        Ok(())
    }

    /// Exchanges the states (and fields and energies) of two chains of the same model.
    pub fn swap_states(&mut self, other: &mut Self) {
        std::mem::swap(&mut self.state, &mut other.state);
        std::mem::swap(&mut self.fields, &mut other.fields);
        std::mem::swap(&mut self.energy, &mut other.energy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use ebm_core::spin_glass::SpinGlass;
    use ebm_core::{DenseCouplings, DensePairwise, DiscreteEnergy};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn incremental_fields_and_energy_match_the_model(
            seed in any::<u64>(), units in 1usize..20, spin in any::<bool>(), flips in prop::collection::vec(0usize..20, 0..60)
        ) {
            let domain = if spin { Domain::Spin } else { Domain::Bit };
            let mut rng = seeded(seed);
            let model = SpinGlass::new(units).domain(domain).field_std(0.5).sample(&mut rng).unwrap();
            let mut chain = PairwiseChain::random(&model, &mut rng);
            for i in flips.into_iter().map(|f| f % units) {
                let predicted = chain.energy() + chain.flip_energy(i);
                chain.flip(i);
                prop_assert!((chain.energy() - predicted).abs() < 1e-12 * (1.0 + predicted.abs()));
            }
            let exact = model.energy(chain.state());
            prop_assert!((chain.energy() - exact).abs() < 1e-9 * (1.0 + exact.abs()));
            for i in 0..units {
                prop_assert!((chain.field(i) - model.local_field(chain.state(), i)).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn bad_states_are_refused() {
        let model = SpinGlass::new(3).sample(&mut seeded(0)).unwrap();
        assert!(PairwiseChain::new(&model, vec![1, 0, 1]).is_err());
        assert!(PairwiseChain::new(&model, vec![1, 1]).is_err());
        let mut chain = PairwiseChain::new(&model, vec![1, -1, 1]).unwrap();
        assert!(chain.set_state(&[2, 1, 1]).is_err());
        assert!(chain.set(1, true));
        assert!(!chain.set(1, true));
        assert_eq!(chain.state(), &[1, 1, 1]);
    }

    #[test]
    fn a_chain_reports_its_units_and_a_new_state_recomputes_fields_and_energy() {
        let model = SpinGlass::new(5).domain(Domain::Bit).field_std(0.5).sample(&mut seeded(4)).unwrap();
        let mut chain = PairwiseChain::new(&model, vec![0, 1, 1, 0, 1]).unwrap();
        assert_eq!((chain.len(), chain.is_empty(), chain.domain()), (5, false, Domain::Bit));
        assert!(std::ptr::eq(chain.model(), &model));
        let state = [1, 1, 0, 0, 1];
        chain.set_state(&state).unwrap();
        assert_eq!((chain.state(), chain.energy()), (&state[..], model.energy(&state)));
        for i in 0..5 {
            assert_eq!(chain.field(i), model.local_field(&state, i));
        }
        let nothing = DensePairwise::without_bias(Domain::Spin, DenseCouplings::zeros(0));
        let empty = PairwiseChain::new(&nothing, Vec::new()).unwrap();
        assert_eq!((empty.len(), empty.is_empty()), (0, true));
    }
}
