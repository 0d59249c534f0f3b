//! [`BoltzmannMachine`]: a pairwise model whose units are visible or hidden.
//!
//! The machine is the stochastic Hopfield network of the note: a state
//! y = (v, h) of N = V + H units (±1 spins or 0/1 bits), the first V visible
//! and the other H hidden, with the pairwise energy
//!
//! E(y) = −½ yᵀWy − bᵀy,  P(y) = exp(−E(y)) / Z,  Z = Σ_y exp(−E(y)),
//!
//! W symmetric with zero diagonal. Any pair may be coupled: visible–visible,
//! visible–hidden and hidden–hidden (the restricted machine keeps only the
//! middle kind; see [`crate::rbm`] for its fast block form).
//!
//! The distribution of the data is the marginal
//!
//! P(v) = Σ_h exp(−E(v, h)) / Z = exp(−F(v)) / Z,  F(v) = −log Σ_h exp(−E(v, h)),
//!
//! and learning compares two phases ([`BoltzmannMachine::clamped_phase`] samples
//! h given v, [`BoltzmannMachine::free_phase`] samples every unit). Exact F(v)
//! and log Z enumerate the hidden units and all units respectively, so they are
//! for small machines (up to [`ebm_core::exact::MAX_EXACT_UNITS`] units).

use ebm_core::exact;
use ebm_core::{DenseCouplings, DensePairwise, DiscreteEnergy, Domain, Error, Result};
use ebm_mcmc::{PairwiseChain, SingleSite};
use nalgebra::DMatrix;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// A Boltzmann machine: a dense pairwise model over N units, of which the
/// first [`visible`](Self::visible) are visible and the rest hidden.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawMachine")]
pub struct BoltzmannMachine {
    model: DensePairwise,
    visible: usize,
}

#[derive(Deserialize)]
struct RawMachine {
    model: DensePairwise,
    visible: usize,
}

impl TryFrom<RawMachine> for BoltzmannMachine {
    type Error = Error;
    fn try_from(raw: RawMachine) -> Result<Self> {
        Self::new(raw.model, raw.visible)
    }
}

impl ebm_core::file::ModelFile for BoltzmannMachine {
    const KIND: &'static str = "boltzmann-machine";
}

impl BoltzmannMachine {
    /// A machine over the units of `model`, the first `visible` of them visible
    /// (1 ≤ visible ≤ N). The model's energy offset must be zero: an offset
    /// would cancel in P(v) anyway, and keeping it out keeps F(v) and log Z
    /// comparable between machines.
    pub fn new(model: DensePairwise, visible: usize) -> Result<Self> {
        let units = model.num_units();
        if visible == 0 || visible > units {
            return Err(Error::Invalid {
                what: "number of visible units".into(),
                reason: format!("{visible} is not between 1 and the {units} units of the model"),
            });
        }
        if model.offset() != 0.0 {
            return Err(Error::Invalid {
                what: "Boltzmann machine energy".into(),
                reason: format!("offset {} must be zero", model.offset()),
            });
        }
        Ok(Self { model, visible })
    }

    /// A machine with zero couplings and biases: every state equally likely.
    pub fn zeros(domain: Domain, visible: usize, hidden: usize) -> Result<Self> {
        let units = visible + hidden;
        Self::new(DensePairwise::without_bias(domain, DenseCouplings::zeros(units)), visible)
    }

    /// A machine with couplings W_ij = W_ji drawn from N(0, σ²) for i < j
    /// (Box–Muller), zero diagonal and zero biases: the usual random start of
    /// learning, which breaks the symmetry between hidden units.
    pub fn random(
        domain: Domain,
        visible: usize,
        hidden: usize,
        std: f32,
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        ebm_core::error::check_finite("weight scale", &[std])?;
        let units = visible + hidden;
        let mut matrix = DMatrix::zeros(units, units);
        for i in 0..units {
            for j in i + 1..units {
                let (u, v): (f32, f32) = (rng.random::<f32>().max(f32::MIN_POSITIVE), rng.random());
                let w = std * (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos();
                matrix[(i, j)] = w;
                matrix[(j, i)] = w;
            }
        }
        Self::new(DensePairwise::without_bias(domain, DenseCouplings::new(matrix)?), visible)
    }

    /// The same layout with new couplings W (N×N, symmetric, zero diagonal)
    /// and biases b (N), all finite.
    pub fn with_parameters(&self, couplings: DMatrix<f32>, bias: Vec<f32>) -> Result<Self> {
        if couplings.nrows() != self.units() {
            return Err(Error::shape("coupling matrix rows", self.units(), couplings.nrows()));
        }
        let model = DensePairwise::new(self.domain(), DenseCouplings::new(couplings)?, bias)?;
        Self::new(model, self.visible)
    }

    /// The pairwise model over all N units (visible first).
    pub fn model(&self) -> &DensePairwise {
        &self.model
    }

    /// The couplings W (N×N).
    pub fn couplings(&self) -> &DMatrix<f32> {
        self.model.couplings().matrix()
    }

    /// The biases b (N).
    pub fn biases(&self) -> &[f32] {
        self.model.biases()
    }

    /// The unit domain (±1 or 0/1).
    pub fn domain(&self) -> Domain {
        self.model.domain()
    }

    /// Number of visible units V.
    pub fn visible(&self) -> usize {
        self.visible
    }

    /// Number of hidden units H.
    pub fn hidden(&self) -> usize {
        self.units() - self.visible
    }

    /// Number of units N = V + H.
    pub fn units(&self) -> usize {
        self.model.num_units()
    }

    /// Checks a visible configuration: V values of the machine's domain.
    pub fn check_visible(&self, visible: &[i8]) -> Result<()> {
        self.domain().check(visible, self.visible)
    }

    /// The hidden units' own model given the visible configuration v:
    ///
    /// couplings W_hh, biases b_h + W_hv v, offset −½ vᵀW_vv v − b_vᵀv,
    ///
    /// so that its energy of h equals E(v, h) for every h. Its Boltzmann
    /// distribution is P(h | v) and its log partition function is −F(v).
    pub fn hidden_given(&self, visible: &[i8]) -> Result<DensePairwise> {
        self.check_visible(visible)?;
        let (nv, w, b) = (self.visible, self.couplings(), self.biases());
        let value = |i: usize| f64::from(visible[i]);
        let mut visible_energy = 0.0;
        for i in 0..nv {
            visible_energy -= f64::from(b[i]) * value(i);
            for j in i + 1..nv {
                visible_energy -= f64::from(w[(i, j)]) * value(i) * value(j);
            }
        }
        let couplings = DenseCouplings::new(w.view((nv, nv), (self.hidden(), self.hidden())).into_owned())?;
        let bias = (nv..self.units())
            .map(|h| (f64::from(b[h]) + (0..nv).map(|i| f64::from(w[(h, i)]) * value(i)).sum::<f64>()) as f32)
            .collect();
        DensePairwise::new(self.domain(), couplings, bias)?.with_offset(visible_energy)
    }

    /// The free energy F(v) = −log Σ_h exp(−E(v, h)), by enumerating the H
    /// hidden units (F(v) = E(v) when there are none).
    pub fn free_energy(&self, visible: &[i8]) -> Result<f64> {
        Ok(-exact::log_partition(&self.hidden_given(visible)?, 1.0)?)
    }

    /// log Z = log Σ_y exp(−E(y)), by enumerating all N units.
    pub fn log_partition(&self) -> Result<f64> {
        exact::log_partition(&self.model, 1.0)
    }

    /// The average log-likelihood (1/|D|) Σ_{v∈D} log P(v) = −mean F(v) − log Z
    /// of the visible configurations in `data`, in nats, by enumeration.
    pub fn average_log_likelihood(&self, data: &[Vec<i8>]) -> Result<f64> {
        if data.is_empty() {
            return Err(Error::Invalid { what: "data".into(), reason: "no visible configurations".into() });
        }
        let log_z = self.log_partition()?;
        let mut total = 0.0;
        for v in data {
            total -= self.free_energy(v)?;
        }
        Ok(total / data.len() as f64 - log_z)
    }

    /// Marks the visible units: true for the first V of N.
    pub fn visible_mask(&self) -> Vec<bool> {
        (0..self.units()).map(|i| i < self.visible).collect()
    }

    /// The clamped (data) phase: sequential-scan Gibbs sampling of the hidden
    /// units with the visible units held fixed; it leaves P(h | v) invariant.
    pub fn clamped_phase(&self) -> SingleSite {
        SingleSite::gibbs().clamp(self.visible_mask())
    }

    /// The free (model) phase: sequential-scan Gibbs sampling of every unit;
    /// it leaves P(v, h) invariant.
    pub fn free_phase(&self) -> SingleSite {
        SingleSite::gibbs()
    }

    /// A chain at visible configuration v with hidden units drawn uniformly:
    /// the start of a clamped phase (or of a free phase started at the data).
    pub fn chain_at<'m>(
        &'m self,
        visible: &[i8],
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<PairwiseChain<'m, DensePairwise>> {
        self.check_visible(visible)?;
        let domain = self.domain();
        let mut state = visible.to_vec();
        state.extend((0..self.hidden()).map(|_| domain.value(rng.random())));
        PairwiseChain::new(&self.model, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::math::log_sum_exp;
    use ebm_mcmc::histogram::{StateHistogram, expected_total_variation};
    use ebm_mcmc::rng::seeded;
    use proptest::prelude::*;

    fn random_machine(seed: u64, domain: Domain, visible: usize, hidden: usize) -> BoltzmannMachine {
        let mut rng = seeded(seed);
        let machine = BoltzmannMachine::random(domain, visible, hidden, 0.8, &mut rng).unwrap();
        let bias = (0..visible + hidden).map(|_| rng.random_range(-1.0f32..1.0)).collect();
        machine.with_parameters(machine.couplings().clone(), bias).unwrap()
    }

    fn state(domain: Domain, units: usize, index: u64) -> Vec<i8> {
        let mut s = vec![0; units];
        domain.state_from_index(index, &mut s);
        s
    }

    proptest! {
        #[test]
        fn free_energy_and_likelihood_match_sums_over_all_states(
            seed in any::<u64>(), spins in any::<bool>(), visible in 1usize..5, hidden in 0usize..4,
        ) {
            let domain = if spins { Domain::Spin } else { Domain::Bit };
            let machine = random_machine(seed, domain, visible, hidden);
            let n = visible + hidden;
            let minus_e: Vec<f64> = (0..1u64 << n).map(|k| -machine.model().energy(&state(domain, n, k))).collect();
            let log_z = log_sum_exp(&minus_e);
            prop_assert!((machine.log_partition().unwrap() - log_z).abs() < 1e-9);
            let mut data = Vec::new();
            for vk in 0..1u64 << visible {
                let v = state(domain, visible, vk);
                // The states whose visible part is v: low bits equal vk.
                let terms: Vec<f64> = (0..1u64 << hidden).map(|hk| minus_e[(vk | hk << visible) as usize]).collect();
                let free = machine.free_energy(&v).unwrap();
                prop_assert!((free + log_sum_exp(&terms)).abs() < 1e-5, "F(v) {free} vs {}", -log_sum_exp(&terms));
                let given = machine.hidden_given(&v).unwrap();
                for hk in 0..1u64 << hidden {
                    let h = state(domain, hidden, hk);
                    let joint = [v.clone(), h.clone()].concat();
                    prop_assert!((given.energy(&h) - machine.model().energy(&joint)).abs() < 1e-5);
                }
                data.push(v);
            }
            // Summed over every visible configuration, P(v) adds to one.
            let total: f64 = data.iter().map(|v| (-machine.free_energy(v).unwrap() - log_z).exp()).sum();
            prop_assert!((total - 1.0).abs() < 1e-5);
            let ll = machine.average_log_likelihood(&data[..1]).unwrap();
            prop_assert!((ll + machine.free_energy(&data[0]).unwrap() + log_z).abs() < 1e-9);
        }
    }

    #[test]
    fn clamped_phase_samples_the_exact_posterior_of_the_hidden_units() {
        for domain in [Domain::Spin, Domain::Bit] {
            let machine = random_machine(7, domain, 3, 3);
            let v = state(domain, 3, 5);
            let exact = exact::probabilities(&machine.hidden_given(&v).unwrap(), 1.0).unwrap();
            let mut rng = seeded(8);
            let mut chain = machine.chain_at(&v, &mut rng).unwrap();
            let sampler = machine.clamped_phase();
            let mut histogram = StateHistogram::new(3, domain).unwrap();
            let sweeps = 40_000;
            for _ in 0..sweeps {
                sampler.sweep(&mut chain, 1.0, &mut rng).unwrap();
                assert_eq!(&chain.state()[..3], &v[..], "visible units stay clamped");
                histogram.add(&chain.state()[3..]);
            }
            let tv = histogram.total_variation(&exact).unwrap();
            assert!(tv < 4.0 * expected_total_variation(&exact, sweeps as f64), "{domain:?}: TV {tv}");
        }
    }

    #[test]
    fn free_phase_samples_the_joint_distribution() {
        let machine = random_machine(9, Domain::Spin, 3, 2);
        let exact = exact::probabilities(machine.model(), 1.0).unwrap();
        let mut rng = seeded(10);
        let mut chain = machine.chain_at(&[1, -1, 1], &mut rng).unwrap();
        let sampler = machine.free_phase();
        let mut histogram = StateHistogram::new(5, Domain::Spin).unwrap();
        let sweeps = 40_000;
        for _ in 0..sweeps {
            sampler.sweep(&mut chain, 1.0, &mut rng).unwrap();
            histogram.add(chain.state());
        }
        let tv = histogram.total_variation(&exact).unwrap();
        assert!(tv < 4.0 * expected_total_variation(&exact, sweeps as f64), "TV {tv}");
    }

    #[test]
    fn model_files_round_trip_and_bad_input_is_refused() {
        let machine = random_machine(11, Domain::Bit, 4, 2);
        let bytes = ebm_core::file::encode(&machine).unwrap();
        assert_eq!(ebm_core::file::decode::<BoltzmannMachine>(&bytes).unwrap(), machine);
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 8;
        assert!(ebm_core::file::decode::<BoltzmannMachine>(&flipped).is_err());
        assert!(ebm_core::file::decode::<BoltzmannMachine>(&bytes[..bytes.len() - 1]).is_err());
        let json = serde_json::to_string(&machine).unwrap();
        let too_many = json.replacen("\"visible\":4", "\"visible\":7", 1);
        assert!(serde_json::from_str::<BoltzmannMachine>(&too_many).is_err());

        let model = machine.model().clone();
        assert!(BoltzmannMachine::new(model.clone(), 0).is_err());
        assert!(BoltzmannMachine::new(model.clone(), 7).is_err());
        assert!(BoltzmannMachine::new(model.with_offset(1.0).unwrap(), 2).is_err());
        assert!(machine.free_energy(&[0, 1, 0]).is_err());
        assert!(machine.free_energy(&[0, 1, 0, -1]).is_err());
        assert!(machine.average_log_likelihood(&[]).is_err());
        let mut asymmetric = machine.couplings().clone();
        asymmetric[(0, 1)] += 1.0;
        assert!(machine.with_parameters(asymmetric, machine.biases().to_vec()).is_err());
        assert!(machine.with_parameters(DMatrix::zeros(5, 5), vec![0.0; 5]).is_err());
        assert!(machine.with_parameters(machine.couplings().clone(), vec![f32::NAN; 6]).is_err());
        assert!(BoltzmannMachine::random(Domain::Bit, 2, 2, f32::NAN, &mut seeded(1)).is_err());
    }
}
