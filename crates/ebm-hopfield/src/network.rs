//! The classical Hopfield network: deterministic dynamics on ±1 units over
//! a pairwise energy, and recall from a probe.
//!
//! Each unit aligns with its local field h_i = Σ_j w_ij s_j + b_i:
//! s_i ← sign(h_i), keeping s_i when h_i = 0 — the one tie rule, used by
//! every update path and by [`Hopfield::is_fixed_point`]. Flipping unit i
//! changes the energy E(s) = −½ sᵀWs − bᵀs by ΔE = 2 s_i h_i, which is negative
//! whenever the update flips the unit — so **asynchronous** updates (one
//! unit at a time, in any order) never raise the energy, and since each
//! flip lowers it by a positive amount and the states are finite, they end
//! in a fixed point. **Synchronous** updates (all units at once) carry no
//! such guarantee: they end in a fixed point *or a cycle of length two*
//! (Goles' theorem), which [`Outcome::TwoCycle`] reports.

use ebm_core::{Domain, Error, PairwiseEnergy, Result};
use ebm_mcmc::PairwiseChain;
use rand::Rng;
use rand::seq::SliceRandom;

/// The order in which units are updated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Update {
    /// Asynchronous, units 0, 1, …, N−1 in turn each sweep.
    Sequential,
    /// Asynchronous, in a fresh uniformly random order each sweep.
    RandomOrder,
    /// All units at once from the previous state.
    Synchronous,
}

/// How a recall ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A sweep changed nothing: every unit agrees with its field (s_i h_i > 0)
    /// or has a zero field, which keeps its state.
    FixedPoint,
    /// Synchronous dynamics returned to the state of two steps before.
    TwoCycle,
    /// The sweep limit was reached first.
    SweepLimit,
}

/// Options of a recall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecallOptions {
    /// The update order.
    pub update: Update,
    /// The most sweeps (synchronous steps) to make.
    pub max_sweeps: usize,
    /// Whether to record the energy after every sweep.
    pub trace_energy: bool,
}

impl Default for RecallOptions {
    fn default() -> Self {
        Self { update: Update::Sequential, max_sweeps: 1000, trace_energy: false }
    }
}

impl RecallOptions {
    /// Default options with the given update order.
    pub fn with(update: Update) -> Self {
        Self { update, ..Self::default() }
    }
}

/// The result of a recall.
#[derive(Clone, Debug, PartialEq)]
pub struct Recall {
    /// The final state.
    pub state: Vec<i8>,
    /// How the dynamics ended.
    pub outcome: Outcome,
    /// Sweeps (synchronous steps) made, the last, unchanging one included.
    pub sweeps: usize,
    /// Units flipped in all.
    pub flips: usize,
    /// The energy of the probe and after every sweep, when requested.
    pub energy_trace: Option<Vec<f64>>,
    /// The final energy.
    pub energy: f64,
}

/// A Hopfield network over a pairwise spin model (dense or sparse couplings).
#[derive(Clone, Debug, PartialEq)]
pub struct Hopfield<M> {
    model: M,
}

impl<M: PairwiseEnergy> Hopfield<M> {
    /// Wraps `model`, which must have ±1 units; its couplings are symmetric
    /// with zero diagonal by construction of every `ebm-core` pairwise model.
    pub fn new(model: M) -> Result<Self> {
        if model.domain() != Domain::Spin {
            return Err(Error::Invalid {
                what: "Hopfield network".into(),
                reason: "needs ±1 units; convert a 0/1 model with `to_domain(Domain::Spin)`".into(),
            });
        }
        Ok(Self { model })
    }

    /// The underlying model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// Number of units N.
    pub fn len(&self) -> usize {
        self.model.num_units()
    }

    /// Whether the network has no units.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `state` is a fixed point: no unit's update would change it,
    /// that is, no unit's field opposes it (s_i h_i < 0).
    ///
    /// **Ties.** A unit with a zero field h_i = 0 keeps its value under the
    /// update, so it does not stop `state` from being a fixed point: a state
    /// is a fixed point exactly when every stability γ_i = s_i h_i is ≥ 0
    /// ([`crate::stability`]). Every stored pattern that is a strict local
    /// minimum (every γ_i > 0) is a fixed point; the converse needs no tie.
    /// This is the test [`Hopfield::recall`] stops on: a sweep that changes
    /// nothing ([`Outcome::FixedPoint`]) starts from a fixed point.
    ///
    /// An error if `state` does not have N values ±1.
    ///
    /// ```
    /// use ebm_core::{DenseCouplings, DensePairwise, Domain};
    /// use ebm_hopfield::Hopfield;
    /// use nalgebra::DMatrix;
    ///
    /// // w_01 = 1, b = (−1, 0). At (+1, +1) unit 0 has the field h_0 = 1 − 1 = 0
    /// // and unit 1 the field h_1 = 1: the tie keeps unit 0, unit 1 agrees.
    /// let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
    /// let net = Hopfield::new(DensePairwise::new(Domain::Spin, DenseCouplings::new(w)?, vec![-1.0, 0.0])?)?;
    /// assert!(net.is_fixed_point(&[1, 1])?);
    /// // At (+1, −1), h_0 = −1 − 1 = −2 opposes unit 0, which would flip.
    /// assert!(!net.is_fixed_point(&[1, -1])?);
    /// # Ok::<(), ebm_core::Error>(())
    /// ```
    pub fn is_fixed_point(&self, state: &[i8]) -> Result<bool> {
        self.model.check_state(state)?;
        Ok((0..self.len()).all(|i| !opposes(f64::from(state[i]), self.model.local_field(state, i))))
    }

    /// Runs the dynamics from `probe` until a fixed point, a two-cycle
    /// (synchronous only) or the sweep limit. `rng` orders the units of
    /// [`Update::RandomOrder`] and is not used otherwise.
    pub fn recall<R: Rng + ?Sized>(
        &self,
        probe: &[i8],
        options: &RecallOptions,
        rng: &mut R,
    ) -> Result<Recall> {
        let mut chain = PairwiseChain::new(&self.model, probe.to_vec())?;
        let mut trace = options.trace_energy.then(|| vec![chain.energy()]);
        let mut order: Vec<usize> = (0..self.len()).collect();
        let mut before_last: Option<Vec<i8>> = None;
        let (mut sweeps, mut flips) = (0, 0);
        let outcome = loop {
            if sweeps == options.max_sweeps {
                break Outcome::SweepLimit;
            }
            let previous = (options.update == Update::Synchronous).then(|| chain.state().to_vec());
            let changed = match options.update {
                Update::Sequential => asynchronous_sweep(&mut chain, &order),
                Update::RandomOrder => {
                    order.shuffle(rng);
                    asynchronous_sweep(&mut chain, &order)
                }
                Update::Synchronous => synchronous_step(&mut chain),
            };
            sweeps += 1;
            flips += changed;
            if let Some(t) = trace.as_mut() {
                t.push(chain.energy());
            }
            if changed == 0 {
                break Outcome::FixedPoint;
            }
            if before_last.as_deref() == Some(chain.state()) {
                break Outcome::TwoCycle;
            }
            before_last = previous;
        };
        // Incremental bookkeeping drifts in the last bits; report the energy afresh.
        chain.resync();
        Ok(Recall {
            energy: chain.energy(),
            state: chain.state().to_vec(),
            outcome,
            sweeps,
            flips,
            energy_trace: trace,
        })
    }
}

/// The update rule, s_i ← sign(h_i) with sign(0) := s_i, as a decision:
/// whether the field `field` = h_i opposes a unit at `spin` = s_i ∈ {−1, +1},
/// s_i h_i < 0, which is exactly when the update flips the unit. A zero field
/// opposes nothing and keeps the unit.
///
/// This is the one tie rule of the network: every update path — sequential,
/// random-order and synchronous recall, both batch paths — and
/// [`Hopfield::is_fixed_point`] decide through it.
#[inline]
pub(crate) fn opposes(spin: f64, field: f64) -> bool {
    spin * field < 0.0
}

/// Whether the update rule would flip unit i of the chain.
#[inline]
fn wants_flip<M: PairwiseEnergy>(chain: &PairwiseChain<'_, M>, i: usize) -> bool {
    opposes(f64::from(chain.state()[i]), chain.field(i))
}

/// One asynchronous sweep in `order`; returns the number of flips.
/// Each flip costs O(degree) to update the neighbours' fields.
fn asynchronous_sweep<M: PairwiseEnergy>(chain: &mut PairwiseChain<'_, M>, order: &[usize]) -> usize {
    let mut flips = 0;
    for &i in order {
        if wants_flip(chain, i) {
            chain.flip(i);
            flips += 1;
        }
    }
    flips
}

/// One synchronous step: every unit that opposes its field (computed from
/// the previous state) flips; returns the number of flips.
fn synchronous_step<M: PairwiseEnergy>(chain: &mut PairwiseChain<'_, M>) -> usize {
    let flipping: Vec<usize> = (0..chain.len()).filter(|&i| wants_flip(chain, i)).collect();
    for &i in &flipping {
        chain.flip(i);
    }
    flipping.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::spin_glass::SpinGlass;
    use ebm_core::{DenseCouplings, DensePairwise, DiscreteEnergy};
    use ebm_mcmc::rng::seeded;
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    fn random_network(seed: u64, units: usize) -> Hopfield<DensePairwise> {
        Hopfield::new(SpinGlass::new(units).field_std(0.5).sample(&mut seeded(seed)).unwrap()).unwrap()
    }

    proptest! {
        #[test]
        fn asynchronous_energy_never_rises_and_ends_in_a_fixed_point(
            seed in any::<u64>(), units in 1usize..40, random_order in any::<bool>()
        ) {
            let net = random_network(seed, units);
            let mut rng = seeded(seed ^ 7);
            let probe = ebm_core::Spins::random(units, &mut rng).into_vec();
            let update = if random_order { Update::RandomOrder } else { Update::Sequential };
            let options = RecallOptions { update, max_sweeps: 10_000, trace_energy: true };
            let recall = net.recall(&probe, &options, &mut rng).unwrap();
            prop_assert_eq!(recall.outcome, Outcome::FixedPoint);
            prop_assert!(net.is_fixed_point(&recall.state).unwrap());
            let trace = recall.energy_trace.unwrap();
            prop_assert!(trace.windows(2).all(|w| w[1] <= w[0] + 1e-9), "energy rose: {:?}", trace);
            prop_assert!((recall.energy - net.model().energy(&recall.state)).abs() < 1e-9);
        }

        #[test]
        fn synchronous_dynamics_ends_in_a_fixed_point_or_a_two_cycle(seed in any::<u64>(), units in 1usize..40) {
            let net = random_network(seed, units);
            let mut rng = seeded(seed);
            let probe = ebm_core::Spins::random(units, &mut rng).into_vec();
            let options = RecallOptions { update: Update::Synchronous, max_sweeps: 10_000, trace_energy: false };
            let recall = net.recall(&probe, &options, &mut rng).unwrap();
            prop_assert!(recall.outcome != Outcome::SweepLimit);
            if recall.outcome == Outcome::FixedPoint {
                prop_assert!(net.is_fixed_point(&recall.state).unwrap());
            }
        }
    }

    #[test]
    fn two_antiferromagnetic_units_oscillate_under_synchronous_updates() {
        // w_12 = −1: from (+1, +1) both fields are −1, so both flip, and back again.
        let w = DMatrix::from_row_slice(2, 2, &[0.0, -1.0, -1.0, 0.0]);
        let model = DensePairwise::new(Domain::Spin, DenseCouplings::new(w).unwrap(), vec![0.0; 2]).unwrap();
        let net = Hopfield::new(model).unwrap();
        let mut rng = seeded(0);
        let sync = net.recall(&[1, 1], &RecallOptions::with(Update::Synchronous), &mut rng).unwrap();
        assert_eq!((sync.outcome, sync.state.as_slice()), (Outcome::TwoCycle, &[1i8, 1][..]));
        let asynchronous = net.recall(&[1, 1], &RecallOptions::with(Update::Sequential), &mut rng).unwrap();
        assert_eq!(
            (asynchronous.outcome, asynchronous.state.as_slice()),
            (Outcome::FixedPoint, &[-1i8, 1][..])
        );
    }

    /// A network with couplings and biases in {−1, 0, +1}, where zero fields are common.
    fn tie_prone_network(units: usize, values: &[i8]) -> Hopfield<DensePairwise> {
        let mut next = values.iter().cycle().map(|&v| f32::from(v));
        let mut w = DMatrix::zeros(units, units);
        for i in 0..units {
            for j in i + 1..units {
                let x = next.next().unwrap();
                (w[(i, j)], w[(j, i)]) = (x, x);
            }
        }
        let bias = (0..units).map(|_| next.next().unwrap()).collect();
        Hopfield::new(DensePairwise::new(Domain::Spin, DenseCouplings::new(w).unwrap(), bias).unwrap())
            .unwrap()
    }

    proptest! {
        /// `is_fixed_point` says yes exactly when the first sweep of the
        /// dynamics changes nothing — sequential, random-order or synchronous,
        /// generic or batch — on small networks full of zero fields.
        #[test]
        fn the_fixed_point_test_agrees_with_one_update(
            units in 1usize..7,
            values in prop::collection::vec(-1i8..=1, 1..28),
            seed in any::<u64>(),
        ) {
            let net = tie_prone_network(units, &values);
            let state = ebm_core::Spins::random(units, &mut seeded(seed)).into_vec();
            let fixed = net.is_fixed_point(&state).unwrap();
            for update in [Update::Sequential, Update::RandomOrder, Update::Synchronous] {
                let options = RecallOptions { update, max_sweeps: 1, trace_energy: false };
                let one = net.recall(&state, &options, &mut seeded(seed)).unwrap();
                prop_assert_eq!(fixed, one.flips == 0, "{:?}", update);
                prop_assert_eq!(fixed, one.outcome == Outcome::FixedPoint, "{:?}", update);
            }
            let probes = [state.clone()];
            let batch = crate::batch::synchronous_batch(&net, &probes, 1).unwrap();
            prop_assert_eq!(fixed, batch.states[0] == state);
            let options = RecallOptions { max_sweeps: 1, ..RecallOptions::default() };
            let fast = crate::batch::asynchronous_batch(&net, &probes, &options, seed).unwrap();
            prop_assert_eq!(fixed, fast[0].flips == 0);
        }
    }

    /// The tie rule pinned: w_01 = 1, b = (−1, 0). At (+1, +1) unit 0 has the
    /// field h_0 = 1 − 1 = 0 and stability 0, unit 1 the field 1. The state is a
    /// fixed point, and one update of any kind keeps it; the neighbouring state
    /// (+1, −1), where h_0 = −2 opposes unit 0, is not, and unit 0 flips.
    #[test]
    fn a_zero_field_is_a_fixed_point_and_an_update_keeps_it() {
        let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
        let model =
            DensePairwise::new(Domain::Spin, DenseCouplings::new(w).unwrap(), vec![-1.0, 0.0]).unwrap();
        let net = Hopfield::new(model).unwrap();
        let tied = [1i8, 1];
        assert_eq!(crate::stability::stabilities(net.model(), &tied).unwrap(), vec![0.0, 1.0]);
        assert!(net.is_fixed_point(&tied).unwrap());
        for update in [Update::Sequential, Update::RandomOrder, Update::Synchronous] {
            let options = RecallOptions { update, max_sweeps: 1, trace_energy: false };
            let one = net.recall(&tied, &options, &mut seeded(0)).unwrap();
            assert_eq!((one.state.as_slice(), one.flips, one.outcome), (&tied[..], 0, Outcome::FixedPoint));
        }
        let batch = crate::batch::synchronous_batch(&net, &[tied.to_vec()], 1).unwrap();
        assert_eq!((batch.states[0].as_slice(), batch.outcomes[0]), (&tied[..], Outcome::FixedPoint));
        let options = RecallOptions { max_sweeps: 1, ..RecallOptions::default() };
        let fast = crate::batch::asynchronous_batch(&net, &[tied.to_vec()], &options, 0).unwrap();
        assert_eq!((fast[0].state.as_slice(), fast[0].flips), (&tied[..], 0));

        let opposed = [1i8, -1];
        assert!(!net.is_fixed_point(&opposed).unwrap());
        let options = RecallOptions { update: Update::Sequential, max_sweeps: 1, trace_energy: false };
        let one = net.recall(&opposed, &options, &mut seeded(0)).unwrap();
        assert_eq!((one.state.as_slice(), one.flips), (&[-1i8, -1][..], 1));
    }

    #[test]
    fn ties_keep_the_state_and_bad_input_is_refused() {
        let net = Hopfield::new(DensePairwise::without_bias(Domain::Spin, DenseCouplings::zeros(3))).unwrap();
        let recall = net.recall(&[1, -1, 1], &RecallOptions::default(), &mut seeded(0)).unwrap();
        assert_eq!((recall.state, recall.flips, recall.outcome), (vec![1, -1, 1], 0, Outcome::FixedPoint));
        assert!(net.recall(&[1, 0, 1], &RecallOptions::default(), &mut seeded(0)).is_err());
        assert!(net.recall(&[1, 1], &RecallOptions::default(), &mut seeded(0)).is_err());
        assert!(net.is_fixed_point(&[1, 1, 1]).unwrap());
        assert!(net.is_fixed_point(&[1, 0, 1]).is_err() && net.is_fixed_point(&[1, 1]).is_err());
        let bits = DensePairwise::without_bias(Domain::Bit, DenseCouplings::zeros(2));
        assert!(Hopfield::new(bits).is_err());
    }
}
