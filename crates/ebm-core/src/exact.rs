//! Exact enumeration of small discrete models: log Z, the probability of every
//! state, means, pairwise correlations and ground states.
//!
//! At temperature T the Boltzmann distribution is P(s) = exp(−E(s)/T) / Z with
//! Z = Σ_s exp(−E(s)/T). Enumeration visits all 2ᴺ states, so it is limited to
//! [`MAX_EXACT_UNITS`] units (tables of all states to [`MAX_TABLE_UNITS`]).
//!
//! **Order and cost.** State index k has unit i on exactly when bit i of k is
//! set ([`Domain::state_from_index`]). The states are walked in blocks of
//! 2^min(N, 12) that share their high bits; within a block they follow a Gray
//! code, so consecutive states differ in one unit and each energy is the
//! previous one plus a flip energy: O(2ᴺ · degree) in all. Blocks run in
//! parallel and their results are combined in block order, so the result is
//! the same whatever the number of threads.
//!
//! **Stability.** Every weight is taken relative to the ground-state energy
//! E₀: Z = e^{−E₀/T} Σ_s e^{−(E(s) − E₀)/T}, where the sum is at least 1 and no
//! term overflows, so log Z stays accurate as T → 0.

use crate::energy::DiscreteEnergy;
use crate::error::{Error, Result, check_positive};
use crate::state::Domain;
use nalgebra::DMatrix;
use rayon::prelude::*;
use std::collections::BinaryHeap;

/// Largest number of units [`summarize`] accepts (2²⁸ states).
pub const MAX_EXACT_UNITS: usize = 28;

/// Largest number of units for which [`energies`] and [`probabilities`] build a
/// table of all 2ᴺ states (2²⁴ × 8 bytes = 128 MiB).
pub const MAX_TABLE_UNITS: usize = 24;

/// Units enumerated inside one block (the rest index the blocks).
const BLOCK_BITS: usize = 12;

/// Relative tolerance within which two energies count as the same ground energy.
const GROUND_TOLERANCE: f64 = 1e-9;

/// What [`summarize`] computes, and at which temperature.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactOptions {
    temperature: f64,
    correlations: bool,
    max_ground_states: usize,
}

impl Default for ExactOptions {
    fn default() -> Self {
        Self { temperature: 1.0, correlations: false, max_ground_states: 64 }
    }
}

impl ExactOptions {
    /// T = 1, no correlations, up to 64 ground states listed.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the temperature T (finite, > 0).
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.temperature = temperature;
        self
    }

    /// Also compute the pairwise correlations ⟨s_i s_j⟩ (an extra O(2ᴺ N²)
    /// work, done as matrix products).
    pub fn correlations(mut self, yes: bool) -> Self {
        self.correlations = yes;
        self
    }

    /// Lists at most this many ground states (all of them are counted).
    pub fn max_ground_states(mut self, count: usize) -> Self {
        self.max_ground_states = count;
        self
    }
}

/// Exact statistics of the Boltzmann distribution of a small model.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactSummary {
    /// The unit domain of the model.
    pub domain: Domain,
    /// The temperature T.
    pub temperature: f64,
    /// log Z = log Σ_s exp(−E(s)/T).
    pub log_z: f64,
    /// ⟨E⟩.
    pub mean_energy: f64,
    /// ⟨E²⟩ − ⟨E⟩² (the heat capacity is this over T²).
    pub energy_variance: f64,
    /// ⟨s_i⟩ for each unit: the magnetisation for spins, P(b_i = 1) for bits.
    pub means: Vec<f64>,
    /// ⟨s_i s_j⟩ (N×N; the diagonal is ⟨s_i²⟩), when requested.
    pub correlations: Option<DMatrix<f64>>,
    /// The lowest energy E₀.
    pub ground_energy: f64,
    /// How many states have energy E₀ (within a relative 10⁻⁹).
    pub ground_state_count: u64,
    /// The first ground states in index order, at most the requested number.
    pub ground_states: Vec<Vec<i8>>,
}

impl ExactSummary {
    /// P(unit i is on): (1 + ⟨s_i⟩)/2 for spins, ⟨b_i⟩ for bits.
    pub fn prob_on(&self, unit: usize) -> f64 {
        match self.domain {
            Domain::Spin => 0.5 * (1.0 + self.means[unit]),
            Domain::Bit => self.means[unit],
        }
    }

    /// The free energy F = −T log Z.
    pub fn free_energy(&self) -> f64 {
        -self.temperature * self.log_z
    }

    /// The entropy S = (⟨E⟩ − F)/T in nats.
    pub fn entropy(&self) -> f64 {
        (self.mean_energy - self.free_energy()) / self.temperature
    }

    /// The covariance ⟨s_i s_j⟩ − ⟨s_i⟩⟨s_j⟩, when correlations were computed.
    pub fn covariance(&self) -> Option<DMatrix<f64>> {
        self.correlations.as_ref().map(|c| {
            let n = self.means.len();
            DMatrix::from_fn(n, n, |i, j| c[(i, j)] - self.means[i] * self.means[j])
        })
    }
}

/// Exact log Z, means, optional correlations and ground states of `model` at
/// the temperature in `options`.
///
/// ```
/// use ebm_core::{exact, SquareLattice};
/// let model = SquareLattice::square(3).coupling(1.0).build()?;
/// let summary = exact::summarize(&model, &exact::ExactOptions::new().temperature(2.0))?;
/// // The two fully aligned states are the ground states, E₀ = −2N.
/// assert_eq!(summary.ground_energy, -18.0);
/// assert_eq!(summary.ground_state_count, 2);
/// // Zero field: every spin is up or down with equal probability.
/// assert!(summary.means.iter().all(|m| m.abs() < 1e-12));
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn summarize<M: DiscreteEnergy + ?Sized>(model: &M, options: &ExactOptions) -> Result<ExactSummary> {
    let layout = Layout::new(model.num_units(), MAX_EXACT_UNITS)?;
    check_positive("temperature", options.temperature)?;
    let ground = find_ground(model, &layout, options.max_ground_states);
    check_energy_finite(ground.energy)?;
    let moments = weighted_moments(model, &layout, ground.energy, options);
    let t = options.temperature;
    let z_shifted = moments.weight;
    let mean_excess = moments.weighted_excess / z_shifted;
    let correlations = moments.weighted_products.map(|c| c / z_shifted);
    Ok(ExactSummary {
        domain: model.domain(),
        temperature: t,
        log_z: -ground.energy / t + z_shifted.ln(),
        mean_energy: ground.energy + mean_excess,
        energy_variance: (moments.weighted_excess_squared / z_shifted - mean_excess * mean_excess).max(0.0),
        means: moments.weighted_units.iter().map(|m| m / z_shifted).collect(),
        correlations,
        ground_energy: ground.energy,
        ground_state_count: ground.count,
        ground_states: ground
            .states
            .into_sorted_vec()
            .into_iter()
            .map(|k| state_of(model.domain(), model.num_units(), k))
            .collect(),
    })
}

/// log Z at temperature T.
pub fn log_partition<M: DiscreteEnergy + ?Sized>(model: &M, temperature: f64) -> Result<f64> {
    summarize(model, &ExactOptions::new().temperature(temperature).max_ground_states(0)).map(|s| s.log_z)
}

/// The energy of every state, indexed as in [`Domain::state_from_index`].
pub fn energies<M: DiscreteEnergy + ?Sized>(model: &M) -> Result<Vec<f64>> {
    let layout = Layout::new(model.num_units(), MAX_TABLE_UNITS)?;
    let mut table = vec![0.0; 1usize << layout.units];
    table.par_chunks_mut(layout.block_len()).enumerate().for_each(|(block, chunk)| {
        let base = (block as u64) << layout.low_bits;
        walk_block(model, &layout, block as u64, |index, _, energy| chunk[(index - base) as usize] = energy);
    });
    if let Some(index) = table.iter().position(|e| !e.is_finite()) {
        return Err(Error::NonFinite { what: "energy of state".into(), index, value: table[index] });
    }
    Ok(table)
}

/// P(s) = exp(−E(s)/T)/Z for every state, indexed as in [`Domain::state_from_index`].
pub fn probabilities<M: DiscreteEnergy + ?Sized>(model: &M, temperature: f64) -> Result<Vec<f64>> {
    check_positive("temperature", temperature)?;
    let table = energies(model)?;
    Ok(boltzmann_weights(&table, temperature))
}

/// Normalised Boltzmann probabilities from a table of energies:
/// p_k = exp(−(E_k − E₀)/T) / Σ_l exp(−(E_l − E₀)/T).
pub fn boltzmann_weights(energies: &[f64], temperature: f64) -> Vec<f64> {
    let e0 = energies.iter().copied().fold(f64::INFINITY, f64::min);
    let mut weights: Vec<f64> = energies.iter().map(|&e| (-(e - e0) / temperature).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    weights
}

/// `count` independent exact draws from P(s) = exp(−E(s)/T)/Z, by inverting
/// the cumulative distribution of the table of all 2ᴺ states (N ≤
/// [`MAX_TABLE_UNITS`]): ground truth for testing samplers and data for
/// learning experiments whose optimum is known.
pub fn draw<M: DiscreteEnergy + ?Sized>(
    model: &M,
    temperature: f64,
    count: usize,
    rng: &mut (impl rand::Rng + ?Sized),
) -> Result<Vec<Vec<i8>>> {
    use rand::RngExt;
    let probabilities = probabilities(model, temperature)?;
    let mut cumulative = Vec::with_capacity(probabilities.len());
    let mut total = 0.0;
    for p in probabilities {
        total += p;
        cumulative.push(total);
    }
    let last = cumulative.len() - 1;
    Ok((0..count)
        .map(|_| {
            let u = rng.random::<f64>() * total;
            let index = cumulative.partition_point(|&c| c <= u).min(last);
            state_of(model.domain(), model.num_units(), index as u64)
        })
        .collect())
}

/// The lowest-energy states, each with its energy; at most `max_states` listed.
pub fn ground_states<M: DiscreteEnergy + ?Sized>(
    model: &M,
    max_states: usize,
) -> Result<(f64, Vec<Vec<i8>>)> {
    let layout = Layout::new(model.num_units(), MAX_EXACT_UNITS)?;
    let ground = find_ground(model, &layout, max_states);
    check_energy_finite(ground.energy)?;
    let states = ground
        .states
        .into_sorted_vec()
        .into_iter()
        .map(|k| state_of(model.domain(), model.num_units(), k))
        .collect();
    Ok((ground.energy, states))
}

fn state_of(domain: Domain, units: usize, index: u64) -> Vec<i8> {
    let mut state = vec![0; units];
    domain.state_from_index(index, &mut state);
    state
}

fn check_energy_finite(energy: f64) -> Result<()> {
    if energy.is_finite() {
        Ok(())
    } else {
        Err(Error::invalid("model", format!("its lowest energy is {energy}, not a finite number")))
    }
}

/// How the 2ᴺ states split into blocks.
struct Layout {
    units: usize,
    low_bits: usize,
    blocks: u64,
}

impl Layout {
    fn new(units: usize, limit: usize) -> Result<Self> {
        if units > limit {
            return Err(Error::TooLarge {
                what: "model for exact enumeration (units)".into(),
                limit: limit as u64,
                found: units as u64,
            });
        }
        let low_bits = units.min(BLOCK_BITS);
        Ok(Self { units, low_bits, blocks: 1 << (units - low_bits) })
    }

    fn block_len(&self) -> usize {
        1 << self.low_bits
    }

    /// Runs `per_block` on every block in parallel and returns the results in block order.
    fn map_blocks<T: Send>(&self, per_block: impl Fn(u64) -> T + Sync + Send) -> Vec<T> {
        (0..self.blocks).into_par_iter().map(per_block).collect()
    }
}

/// Visits every state of block `block` as (index, state, energy), in Gray-code order.
fn walk_block<M: DiscreteEnergy + ?Sized>(
    model: &M,
    layout: &Layout,
    block: u64,
    mut visit: impl FnMut(u64, &[i8], f64),
) {
    let domain = model.domain();
    let mut index = block << layout.low_bits;
    let mut state = state_of(domain, layout.units, index);
    let mut energy = model.energy(&state);
    visit(index, &state, energy);
    for step in 1..(1u64 << layout.low_bits) {
        let unit = step.trailing_zeros() as usize;
        energy += model.flip_energy(&state, unit);
        state[unit] = domain.flipped(state[unit]);
        index ^= 1 << unit;
        visit(index, &state, energy);
    }
}

fn same_energy(a: f64, b: f64) -> bool {
    (a - b).abs() <= GROUND_TOLERANCE * (1.0 + a.abs().max(b.abs()))
}

/// The lowest energy, how many states reach it, and the first few of them.
struct Ground {
    energy: f64,
    count: u64,
    /// The smallest indices of the states at `energy`, at most `keep` of them
    /// (a max-heap: the walk visits the states in Gray-code order, not index order).
    states: BinaryHeap<u64>,
}

impl Ground {
    fn empty() -> Self {
        Self { energy: f64::INFINITY, count: 0, states: BinaryHeap::new() }
    }

    /// Keeps `index` if it is among the `keep` smallest indices offered so far.
    fn keep_index(&mut self, index: u64, keep: usize) {
        if self.states.len() < keep {
            self.states.push(index);
        } else if self.states.peek().is_some_and(|&largest| index < largest) {
            self.states.pop();
            self.states.push(index);
        }
    }

    fn offer(&mut self, energy: f64, index: u64, keep: usize) {
        if energy.is_nan() {
            self.energy = f64::NAN;
        } else if self.energy.is_nan() {
        } else if same_energy(energy, self.energy) {
            self.energy = self.energy.min(energy);
            self.count += 1;
            self.keep_index(index, keep);
        } else if energy < self.energy {
            *self = Self { energy, count: 1, states: BinaryHeap::new() };
            self.keep_index(index, keep);
        }
    }

    fn merge(mut self, other: Ground, keep: usize) -> Self {
        if other.energy.is_nan() || self.energy.is_nan() {
            self.energy = f64::NAN;
            return self;
        }
        if other.count == 0 {
            return self;
        }
        if self.count == 0 || (!same_energy(self.energy, other.energy) && other.energy < self.energy) {
            return other;
        }
        if same_energy(self.energy, other.energy) {
            self.energy = self.energy.min(other.energy);
            self.count += other.count;
            for index in other.states {
                self.keep_index(index, keep);
            }
        }
        self
    }
}

fn find_ground<M: DiscreteEnergy + ?Sized>(model: &M, layout: &Layout, keep: usize) -> Ground {
    let per_block = layout.map_blocks(|block| {
        let mut ground = Ground::empty();
        walk_block(model, layout, block, |index, _, energy| ground.offer(energy, index, keep));
        ground
    });
    per_block.into_iter().fold(Ground::empty(), |acc, g| acc.merge(g, keep))
}

/// Sums of w(s) = exp(−(E(s) − E₀)/T) times 1, E − E₀, (E − E₀)², s_i and s_i s_j.
struct Moments {
    weight: f64,
    weighted_excess: f64,
    weighted_excess_squared: f64,
    weighted_units: Vec<f64>,
    weighted_products: Option<DMatrix<f64>>,
}

impl Moments {
    fn zero(units: usize, products: bool) -> Self {
        Self {
            weight: 0.0,
            weighted_excess: 0.0,
            weighted_excess_squared: 0.0,
            weighted_units: vec![0.0; units],
            weighted_products: products.then(|| DMatrix::zeros(units, units)),
        }
    }

    fn add(mut self, other: Moments) -> Self {
        self.weight += other.weight;
        self.weighted_excess += other.weighted_excess;
        self.weighted_excess_squared += other.weighted_excess_squared;
        self.weighted_units.iter_mut().zip(&other.weighted_units).for_each(|(a, b)| *a += b);
        if let (Some(a), Some(b)) = (self.weighted_products.as_mut(), other.weighted_products) {
            *a += b;
        }
        self
    }
}

fn weighted_moments<M: DiscreteEnergy + ?Sized>(
    model: &M,
    layout: &Layout,
    ground_energy: f64,
    options: &ExactOptions,
) -> Moments {
    let units = layout.units;
    let t = options.temperature;
    let per_block = layout.map_blocks(|block| {
        let mut m = Moments::zero(units, false);
        // Columns are the block's states that carry weight, each scaled by √w for the products.
        let mut columns: Vec<f64> = Vec::new();
        walk_block(model, layout, block, |_, state, energy| {
            let excess = energy - ground_energy;
            let w = (-excess / t).exp();
            if w == 0.0 {
                return;
            }
            m.weight += w;
            m.weighted_excess += w * excess;
            m.weighted_excess_squared += w * excess * excess;
            for (acc, &s) in m.weighted_units.iter_mut().zip(state) {
                *acc += w * f64::from(s);
            }
            if options.correlations {
                let root = w.sqrt();
                columns.extend(state.iter().map(|&s| root * f64::from(s)));
            }
        });
        if options.correlations {
            let scaled = DMatrix::from_vec(units, columns.len() / units.max(1), columns);
            m.weighted_products = Some(&scaled * scaled.transpose());
        }
        m
    });
    per_block.into_iter().fold(Moments::zero(units, options.correlations), Moments::add)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::couplings::DenseCouplings;
    use crate::lattice::SquareLattice;
    use crate::pairwise::{DensePairwise, PairwiseModel, tests::dense_model};
    use crate::worst::{Worst, nan_max};
    use proptest::prelude::*;

    fn brute_force(model: &DensePairwise, t: f64) -> (f64, Vec<f64>, DMatrix<f64>) {
        let n = model.num_units();
        let mut log_terms = Vec::new();
        let mut states = Vec::new();
        for k in 0..(1u64 << n) {
            let s = state_of(model.domain(), n, k);
            log_terms.push(-model.energy(&s) / t);
            states.push(s);
        }
        let log_z = crate::math::log_sum_exp(&log_terms);
        let mut means = vec![0.0; n];
        let mut corr = DMatrix::zeros(n, n);
        for (s, lt) in states.iter().zip(&log_terms) {
            let p = (lt - log_z).exp();
            for i in 0..n {
                means[i] += p * f64::from(s[i]);
                for j in 0..n {
                    corr[(i, j)] += p * f64::from(s[i]) * f64::from(s[j]);
                }
            }
        }
        (log_z, means, corr)
    }

    fn any_model() -> impl Strategy<Value = DensePairwise> {
        (1usize..10, any::<bool>())
            .prop_flat_map(|(n, spin)| dense_model(n, if spin { Domain::Spin } else { Domain::Bit }))
    }

    proptest! {
        #[test]
        fn probabilities_sum_to_one_and_match_summary(model in any_model(), t in 0.05f64..5.0) {
            let p = probabilities(&model, t).unwrap();
            let total: f64 = p.iter().sum();
            prop_assert!((total - 1.0).abs() < 1e-12);
            let summary = summarize(&model, &ExactOptions::new().temperature(t)).unwrap();
            let e = energies(&model).unwrap();
            for (k, (&pk, &ek)) in p.iter().zip(&e).enumerate() {
                let expect = (-ek / t - summary.log_z).exp();
                prop_assert!((pk - expect).abs() < 1e-9, "state {}: {} vs {}", k, pk, expect);
            }
        }

        #[test]
        fn summary_matches_brute_force(model in any_model(), t in 0.1f64..5.0) {
            let (log_z, means, corr) = brute_force(&model, t);
            let s = summarize(&model, &ExactOptions::new().temperature(t).correlations(true)).unwrap();
            prop_assert!((s.log_z - log_z).abs() < 1e-9 * (1.0 + log_z.abs()));
            for (exact, brute) in s.means.iter().zip(&means) {
                prop_assert!((exact - brute).abs() < 1e-9);
            }
            let c = s.correlations.unwrap();
            prop_assert!(crate::worst::max_abs_difference(c.as_slice(), corr.as_slice()) < 1e-9);
        }

        #[test]
        fn gray_code_energies_match_direct_evaluation(model in any_model()) {
            let e = energies(&model).unwrap();
            for (k, &ek) in e.iter().enumerate() {
                let s = state_of(model.domain(), model.num_units(), k as u64);
                prop_assert!((ek - model.energy(&s)).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn large_models_use_many_blocks_and_agree_with_the_table() {
        // 15 units: 8 blocks of 4096 states.
        let model = SquareLattice::new(3, 5).coupling(0.3).field(0.1).build().unwrap();
        let t = 1.7;
        let table = energies(&model).unwrap();
        let log_terms: Vec<f64> = table.iter().map(|e| -e / t).collect();
        let s = summarize(&model, &ExactOptions::new().temperature(t)).unwrap();
        assert!((s.log_z - crate::math::log_sum_exp(&log_terms)).abs() < 1e-10);
    }

    #[test]
    fn low_temperature_is_stable_and_concentrates_on_the_lowest_energy() {
        let model = SquareLattice::square(4).coupling(1.0).field(0.01).build().unwrap();
        let s = summarize(&model, &ExactOptions::new().temperature(1e-3)).unwrap();
        assert!(s.log_z.is_finite());
        // Unique ground state: all spins up (field favours +1), E₀ = −32 − 0.16.
        assert_eq!(s.ground_state_count, 1);
        assert_eq!(s.ground_states, vec![vec![1i8; 16]]);
        assert!((s.log_z - (-s.ground_energy / 1e-3)).abs() < 1e-6);
        assert!(s.means.iter().all(|&m| (m - 1.0).abs() < 1e-9));
        assert!((s.mean_energy - s.ground_energy).abs() < 1e-9);
        assert!(s.entropy().abs() < 1e-6);
    }

    #[test]
    fn degenerate_ground_states_are_counted_and_capped() {
        let model = DensePairwise::without_bias(Domain::Spin, DenseCouplings::zeros(14));
        let s = summarize(&model, &ExactOptions::new().max_ground_states(5)).unwrap();
        assert_eq!(s.ground_state_count, 1 << 14);
        assert_eq!(s.ground_states.len(), 5);
        assert!((s.entropy() - 14.0 * 2f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let model = SquareLattice::new(4, 4).coupling(-0.7).field(0.2).build().unwrap();
        let options = ExactOptions::new().temperature(0.9).correlations(true);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| summarize(&model, &options).unwrap())
        };
        assert_eq!(run(1), run(2));
        assert_eq!(run(1), run(3));
    }

    #[test]
    fn refuses_bad_input() {
        let big = DensePairwise::without_bias(Domain::Bit, DenseCouplings::zeros(MAX_EXACT_UNITS + 1));
        assert!(matches!(summarize(&big, &ExactOptions::new()), Err(Error::TooLarge { .. })));
        let table_big = DensePairwise::without_bias(Domain::Bit, DenseCouplings::zeros(MAX_TABLE_UNITS + 1));
        assert!(matches!(energies(&table_big), Err(Error::TooLarge { .. })));
        let small = PairwiseModel::without_bias(Domain::Bit, DenseCouplings::zeros(3));
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(summarize(&small, &ExactOptions::new().temperature(t)).is_err());
            assert!(probabilities(&small, t).is_err());
        }
    }

    #[test]
    fn exact_draws_follow_the_boltzmann_distribution() {
        use rand::SeedableRng;
        let model = SquareLattice::new(2, 2).coupling(0.7).field(0.3).build().unwrap();
        let p = probabilities(&model, 1.5).unwrap();
        let n = 40_000;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        let mut counts = vec![0usize; p.len()];
        for s in draw(&model, 1.5, n, &mut rng).unwrap() {
            let index: usize = s.iter().enumerate().map(|(i, &v)| usize::from(v == 1) << i).sum();
            counts[index] += 1;
        }
        for (k, (&c, &pk)) in counts.iter().zip(&p).enumerate() {
            let sd = (pk * (1.0 - pk) / n as f64).sqrt();
            assert!((c as f64 / n as f64 - pk).abs() < 5.0 * sd + 1e-9, "state {k}: {c} draws, p = {pk}");
        }
        assert!(draw(&model, 0.0, 1, &mut rng).is_err());
    }

    // Hard regimes: couplings up to 50, biases up to 500, temperatures down to a
    // millionth of the energy gap, where e^{−E/T} over- or underflows unless every
    // energy is taken relative to E₀.

    /// Σ x_k with Neumaier's compensation, accurate to a few ulps: the reference
    /// for Σp, so that the check measures the probabilities, not its own sum.
    fn compensated_sum(values: &[f64]) -> f64 {
        let (mut sum, mut carry) = (0.0f64, 0.0f64);
        for &x in values {
            let t = sum + x;
            carry += if sum.abs() >= x.abs() { (sum - t) + x } else { (x - t) + sum };
            sum = t;
        }
        sum + carry
    }

    /// A model whose weights and biases lie on a grid of step 2⁻³ or coarser:
    /// exact in f32 and f64, so every energy (all below 2⁴⁰ here) is exact, and so
    /// are E₀, the gap to the first excited level and the ground degeneracy g that
    /// the low-temperature checks rely on. The scales run from fine grids with
    /// strong couplings to coarse ones whose ties make degenerate ground states,
    /// with biases from none (spin-flip symmetry, g ≥ 2 for spins) to large.
    fn gridded_model(n: usize, domain: Domain) -> impl Strategy<Value = DensePairwise> {
        let scales = prop_oneof![
            Just((0.125f32, 50.0f32, 0.0f32)),
            Just((0.125, 50.0, 200.0)),
            Just((0.125, 5.0, 500.0)),
            Just((10.0, 50.0, 0.0)),
            Just((1.0, 30.0, 30.0)),
        ];
        scales.prop_flat_map(move |(step, w_max, b_max)| {
            let (w_steps, b_steps) = ((w_max / step) as i32, (b_max / step) as i32);
            (prop::collection::vec(-w_steps..=w_steps, n * n), prop::collection::vec(-b_steps..=b_steps, n))
                .prop_map(move |(w, b)| {
                    let m = DMatrix::from_fn(n, n, |i, j| {
                        if i == j { 0.0 } else { w[i.min(j) * n + i.max(j)] as f32 * step }
                    });
                    let bias = b.iter().map(|&k| k as f32 * step).collect();
                    DensePairwise::new(domain, DenseCouplings::new(m).unwrap(), bias).unwrap()
                })
        })
    }

    fn any_gridded_model(units: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = DensePairwise> {
        (units, any::<bool>())
            .prop_flat_map(|(n, spin)| gridded_model(n, if spin { Domain::Spin } else { Domain::Bit }))
    }

    /// The energy levels of a model, from a table of its energies: what the
    /// low-temperature limit must reproduce.
    struct Levels {
        domain: Domain,
        units: usize,
        energies: Vec<f64>,
        /// E₀.
        ground: f64,
        /// E₁ − E₀, the distance to the first excited level (∞ if there is none).
        gap: f64,
        /// g, the number of states at E₀ (exactly equal: the energies are exact).
        degeneracy: u64,
        /// ⟨s_i⟩ over the ground states: the means as T → 0.
        ground_means: Vec<f64>,
        /// The largest energy.
        top: f64,
    }

    impl Levels {
        fn new(domain: Domain, units: usize, energies: Vec<f64>) -> Self {
            assert!(energies.iter().all(|e| e.is_finite()), "a non-finite energy in the table");
            let ground = energies.iter().copied().fold(f64::INFINITY, f64::min);
            let top = energies.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let gap = energies.iter().map(|&e| e - ground).filter(|&d| d > 0.0).fold(f64::INFINITY, f64::min);
            let mut ground_means = vec![0.0; units];
            let mut degeneracy = 0u64;
            for (k, _) in energies.iter().enumerate().filter(|&(_, &e)| e == ground) {
                degeneracy += 1;
                for (m, &s) in ground_means.iter_mut().zip(&state_of(domain, units, k as u64)) {
                    *m += f64::from(s);
                }
            }
            ground_means.iter_mut().for_each(|m| *m /= degeneracy as f64);
            Self { domain, units, energies, ground, gap, degeneracy, ground_means, top }
        }

        /// By direct evaluation of every state (small models).
        fn of(model: &DensePairwise) -> Self {
            let n = model.num_units();
            let energies = (0..1u64 << n).map(|k| model.energy(&state_of(model.domain(), n, k))).collect();
            Self::new(model.domain(), n, energies)
        }

        /// ln(1 + Σ_{E > E₀} e^{−(E − E₀)/T} / g) ≤ ln(1 + (2ᴺ − g)/g · e^{−gap/T}):
        /// how far log Z may lie above −E₀/T + ln g.
        fn excited_bound(&self, t: f64) -> f64 {
            let g = self.degeneracy as f64;
            let excited_states = (self.energies.len() as u64 - self.degeneracy) as f64;
            (excited_states / g * (-self.gap / t).exp()).ln_1p()
        }

        /// The temperatures to test: fractions of the gap down to 10⁻⁶, the gap
        /// itself, and moderate ones where −E/T is still far beyond e^{709}.
        fn temperatures(&self) -> Vec<f64> {
            if self.gap.is_finite() {
                vec![self.gap / 1e6, self.gap / 1e3, self.gap / 10.0, self.gap, 0.5, 2.0, 10.0 * self.gap]
            } else {
                vec![1e-6, 0.5, 2.0, 1e3]
            }
        }
    }

    /// Every check of the exact results of `model` at temperature `t` against
    /// `levels`, with tolerances that follow from the rounding of each quantity.
    fn check_hard_regime(
        model: &DensePairwise,
        levels: &Levels,
        t: f64,
        correlations: bool,
    ) -> std::result::Result<(), TestCaseError> {
        let eps = f64::EPSILON;
        let n = levels.units;
        let (low, high) = (f64::from(levels.domain.low()), f64::from(levels.domain.high()));
        let g = levels.degeneracy as f64;
        let excited = levels.excited_bound(t);
        // The share of probability outside the ground states is 1 − g/z ≤ 1 − e^{−excited}.
        let outside = -(-excited).exp_m1();
        let scale = levels.ground.abs() / t;

        // The reference: ln Z by log-sum-exp of −E_k/T and p_k = e^{−E_k/T − ln Z}. Each
        // exponent is rounded by ε|E_k/T|, and the terms that matter have E_k − E₀ < 40T.
        let log_terms: Vec<f64> = levels.energies.iter().map(|e| -e / t).collect();
        let reference = crate::math::log_sum_exp(&log_terms);
        prop_assert!(reference.is_finite(), "T = {t}: reference ln Z = {reference}");
        let drift = 16.0 * eps * (scale + 40.0);
        let reference_error = drift + 1e-10;

        let p = probabilities(model, t).unwrap();
        let outside_unit = p.iter().filter(|pk| !(0.0..=1.0).contains(*pk)).count();
        prop_assert!(outside_unit == 0, "T = {t}: {outside_unit} probabilities are NaN or outside [0, 1]");
        let total = compensated_sum(&p);
        prop_assert!((total - 1.0).abs() <= 1e-12, "T = {t}: Σp − 1 = {:e}", total - 1.0);
        // p_k = e^{−(E_k − E₀)/T} / z with g ≤ z ≤ g e^{excited}, and p_k against the reference.
        let mut outside_bounds = Worst::new();
        let mut from_reference = Worst::new();
        let mut reference_means = vec![0.0; n];
        let mut reference_products = DMatrix::zeros(n, n);
        for (k, (&pk, &ek)) in p.iter().zip(&levels.energies).enumerate() {
            let boltzmann = (-(ek - levels.ground) / t).exp();
            let (lowest, highest) = (boltzmann / g * (-excited).exp(), boltzmann / g);
            outside_bounds.add(nan_max(pk - highest * (1.0 + 1e-12), lowest * (1.0 - 1e-12) - pk) - 1e-300);
            let expected = (log_terms[k] - reference).exp();
            let tolerance = expected * (4.0 * eps * (log_terms[k].abs() + reference.abs()) + reference_error);
            from_reference.add((pk - expected).abs() - tolerance - 1e-300);
            if expected > 0.0 {
                // Unit i of state k is on exactly when bit i of k is set.
                let unit = |i: usize| if k >> i & 1 == 1 { high } else { low };
                for i in 0..n {
                    reference_means[i] += expected * unit(i);
                    if correlations {
                        for j in 0..n {
                            reference_products[(i, j)] += expected * unit(i) * unit(j);
                        }
                    }
                }
            }
        }
        prop_assert!(
            outside_bounds.is_within(0.0),
            "T = {t}: p beyond its bounds by {:e}",
            outside_bounds.value()
        );
        prop_assert!(
            from_reference.is_within(0.0),
            "T = {t}: p off the reference by {:e}",
            from_reference.value()
        );

        let options = ExactOptions::new().temperature(t).correlations(correlations);
        let s = summarize(model, &options).unwrap();
        prop_assert_eq!(s.ground_energy, levels.ground);
        prop_assert_eq!(s.ground_state_count, levels.degeneracy);
        prop_assert!(s.log_z.is_finite(), "T = {t}: log Z = {}", s.log_z);
        // log Z = −E₀/T + ln g + ln(1 + Σ_{excited} e^{−(E−E₀)/T}/g), the last term in
        // [0, excited]; the only rounding is that of log Z itself.
        let above_ground = s.log_z - (-levels.ground / t) - g.ln();
        let rounding = 2.0 * eps * s.log_z.abs() + 1e-12;
        prop_assert!(
            above_ground >= -rounding && above_ground <= excited + rounding,
            "T = {t}: log Z + E₀/T − ln g = {above_ground:e}, not in [0, {excited:e}] ± {rounding:e}"
        );
        prop_assert!(
            (s.log_z - reference).abs() <= reference_error + rounding,
            "T = {t}: log Z = {}, log-sum-exp {reference}",
            s.log_z
        );
        if n <= 12 {
            prop_assert_eq!(log_partition(model, t).unwrap(), s.log_z);
        }

        // Means: in range, near the ground states' as far as the excited share allows, and
        // equal to the reference's.
        let ground_gap = Worst::from_iter(
            s.means.iter().zip(&levels.ground_means).map(|(m, g)| (m - g).abs() - outside * (high - low)),
        );
        prop_assert!(
            ground_gap.is_within(1e-12),
            "T = {t}: means beyond the ground-state bound by {:e}",
            ground_gap.value()
        );
        let means_error = crate::worst::max_abs_difference(&s.means, &reference_means);
        prop_assert!(means_error <= 2.0 * reference_error + 1e-12, "T = {t}: means off by {means_error:e}");
        prop_assert!(s.means.iter().all(|m| (low..=high).contains(m)), "T = {t}: means {:?}", s.means);
        prop_assert!((0..n).all(|i| (0.0..=1.0).contains(&s.prob_on(i))));

        // ⟨E⟩ − E₀ ∈ [0, (1 − g/z)(E_max − E₀)], Var E ≤ (1 − g/z)(E_max − E₀)²,
        // and F ≤ ⟨E⟩.
        let span = levels.top - levels.ground;
        let excess = s.mean_energy - levels.ground;
        let energy_rounding = 4.0 * eps * levels.ground.abs() + 1e-12;
        prop_assert!(
            excess >= -energy_rounding && excess <= outside * span + energy_rounding,
            "T = {t}: ⟨E⟩ − E₀ = {excess:e}, bound {:e}",
            outside * span
        );
        prop_assert!(
            s.energy_variance >= 0.0 && s.energy_variance <= outside * span * span * (1.0 + 1e-12) + 1e-12,
            "T = {t}: Var E = {:e}",
            s.energy_variance
        );
        prop_assert!(s.free_energy() <= s.mean_energy + energy_rounding + 4.0 * eps * (t * s.log_z).abs());
        // S = ln z + (⟨E⟩ − E₀)/T, computed as (⟨E⟩ − F)/T: its rounding is ε|E₀|/T.
        let entropy_rounding = 8.0 * eps * scale + 1e-12;
        let entropy = s.entropy();
        prop_assert!(
            entropy >= -entropy_rounding && entropy <= n as f64 * std::f64::consts::LN_2 + entropy_rounding,
            "T = {t}: S = {entropy}"
        );
        if excited < 1e-15 {
            // Only the ground states carry weight.
            prop_assert!(
                (entropy - g.ln()).abs() <= entropy_rounding,
                "T = {t}: S = {entropy}, ln g = {}",
                g.ln()
            );
        }

        if let Some(c) = &s.correlations {
            prop_assert!(
                crate::worst::max_abs(c.iter().copied()) <= 1.0 + 1e-12,
                "T = {t}: correlations {c}"
            );
            let asymmetry = crate::worst::max_abs_difference(c.as_slice(), c.transpose().as_slice());
            prop_assert!(asymmetry <= 1e-12, "T = {t}: asymmetric correlations, {asymmetry:e}");
            let diagonal: Vec<f64> = c.diagonal().iter().copied().collect();
            let expected_diagonal: Vec<f64> = match levels.domain {
                Domain::Spin => vec![1.0; n],
                Domain::Bit => s.means.clone(),
            };
            let diagonal_error = crate::worst::max_abs_difference(&diagonal, &expected_diagonal);
            prop_assert!(diagonal_error <= 1e-12, "T = {t}: ⟨s_i²⟩ off by {diagonal_error:e}");
            let error = crate::worst::max_abs_difference(c.as_slice(), reference_products.as_slice());
            prop_assert!(error <= 2.0 * reference_error + 1e-12, "T = {t}: correlations off by {error:e}");
        }
        Ok(())
    }

    proptest! {
        /// Strong couplings and large biases, T from gap/10⁶ up: every probability
        /// finite and in [0, 1], Σp = 1, log Z = −E₀/T + ln g + (excited share),
        /// equal to log-sum-exp, and every mean, correlation and moment in range.
        #[test]
        fn strong_couplings_at_low_temperature_stay_exact(model in any_gridded_model(1..=12)) {
            let levels = Levels::of(&model);
            for t in levels.temperatures() {
                check_hard_regime(&model, &levels, t, true)?;
            }
            // Far below the gap, exact draws are ground states.
            let t = if levels.gap.is_finite() { levels.gap / 1e6 } else { 1.0 };
            let mut rng = <rand_pcg::Pcg64Mcg as rand::SeedableRng>::seed_from_u64(1);
            for state in draw(&model, t, 20, &mut rng).unwrap() {
                prop_assert_eq!(model.energy(&state), levels.ground);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3))]

        /// The same checks near the table's limit (20 or 21 units, 2²⁰ or 2²¹
        /// states, many blocks summed in parallel).
        #[test]
        fn large_strongly_coupled_models_stay_exact(
            model in any_gridded_model(20..=21),
            probe in any::<u64>(),
        ) {
            let n = model.num_units();
            let table = energies(&model).unwrap();
            // The table is the reference here, so check it against direct evaluation at many states.
            let spread = |r: u64| probe.wrapping_add(r.wrapping_mul(0x9e37_79b9_7f4a_7c15)) % (1 << n);
            for k in (0..512u64).map(spread) {
                prop_assert_eq!(table[k as usize], model.energy(&state_of(model.domain(), n, k)));
            }
            let levels = Levels::new(model.domain(), n, table);
            let temperatures = if levels.gap.is_finite() {
                vec![levels.gap / 1e6, levels.gap / 10.0, 2.0]
            } else {
                vec![1e-6, 2.0]
            };
            for t in temperatures {
                check_hard_regime(&model, &levels, t, false)?;
            }
        }
    }

    #[test]
    fn zero_units_is_one_state() {
        let model =
            DensePairwise::without_bias(Domain::Spin, DenseCouplings::zeros(0)).with_offset(2.0).unwrap();
        let s = summarize(&model, &ExactOptions::new()).unwrap();
        assert!((s.log_z + 2.0).abs() < 1e-15);
        assert_eq!(probabilities(&model, 1.0).unwrap(), vec![1.0]);
    }

    /// A model given by the table of its energies, indexed as in
    /// [`Domain::state_from_index`]: any energies (NaN included), any number of blocks.
    struct TableModel {
        domain: Domain,
        units: usize,
        energies: Vec<f64>,
    }

    impl TableModel {
        fn index(&self, state: &[i8]) -> usize {
            state.iter().enumerate().map(|(i, &s)| usize::from(s == self.domain.high()) << i).sum()
        }
    }

    impl DiscreteEnergy for TableModel {
        fn num_units(&self) -> usize {
            self.units
        }
        fn domain(&self) -> Domain {
            self.domain
        }
        fn energy(&self, state: &[i8]) -> f64 {
            self.energies[self.index(state)]
        }
        fn flip_energy(&self, state: &[i8], unit: usize) -> f64 {
            let k = self.index(state);
            self.energies[k ^ (1 << unit)] - self.energies[k]
        }
    }

    /// Unit i of state k, by the bits of k: the reference for every sum over states below.
    fn unit_value(domain: Domain, k: usize, i: usize) -> f64 {
        f64::from(if k >> i & 1 == 1 { domain.high() } else { domain.low() })
    }

    /// 13 units (two blocks of 2¹² states): random energies in [−3, 3] plus a field
    /// of varied strength, so that the means, covariances and ⟨E⟩ are far from
    /// 0 and the variance far from its bound.
    fn random_table(domain: Domain, seed: u64) -> TableModel {
        use rand::{RngExt, SeedableRng};
        let units = 13;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let energies = (0..1usize << units)
            .map(|k| {
                let field: f64 =
                    (0..units).map(|i| 0.3 * (i as f64 - 6.0) / 6.0 * unit_value(domain, k, i)).sum();
                rng.random_range(-3.0..3.0) - field
            })
            .collect();
        TableModel { domain, units, energies }
    }

    /// Every accessor of the summary — ⟨E⟩, Var E, means, P(on), correlations,
    /// covariance, entropy — against plain sums over the 2¹³ states of a
    /// two-block model, in both domains and at T ≠ 1.
    #[test]
    fn summary_accessors_match_sums_over_all_states() {
        for (domain, seed) in [(Domain::Spin, 7), (Domain::Bit, 8)] {
            let model = random_table(domain, seed);
            let (n, t) = (model.units, 1.7);
            let log_terms: Vec<f64> = model.energies.iter().map(|e| -e / t).collect();
            let log_z = crate::math::log_sum_exp(&log_terms);
            let p: Vec<f64> = log_terms.iter().map(|l| (l - log_z).exp()).collect();
            let mean_energy: f64 = p.iter().zip(&model.energies).map(|(p, e)| p * e).sum();
            let variance: f64 =
                p.iter().zip(&model.energies).map(|(p, e)| p * (e - mean_energy).powi(2)).sum();
            let entropy: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
            let means: Vec<f64> = (0..n)
                .map(|i| p.iter().enumerate().map(|(k, p)| p * unit_value(domain, k, i)).sum())
                .collect();
            let prob_on: Vec<f64> = (0..n)
                .map(|i| p.iter().enumerate().filter(|(k, _)| k >> i & 1 == 1).map(|(_, p)| p).sum())
                .collect();
            let moment = |f: &dyn Fn(usize, usize, usize) -> f64| {
                DMatrix::from_fn(n, n, |i, j| p.iter().enumerate().map(|(k, p)| p * f(k, i, j)).sum::<f64>())
            };
            let correlations = moment(&|k, i, j| unit_value(domain, k, i) * unit_value(domain, k, j));
            let covariance = moment(&|k, i, j| {
                (unit_value(domain, k, i) - means[i]) * (unit_value(domain, k, j) - means[j])
            });

            let s = summarize(&model, &ExactOptions::new().temperature(t).correlations(true)).unwrap();
            let tolerance = 1e-11;
            assert!((s.log_z - log_z).abs() < tolerance, "{domain:?}: log Z {} vs {log_z}", s.log_z);
            assert!(
                (s.mean_energy - mean_energy).abs() < tolerance,
                "{domain:?}: ⟨E⟩ {} vs {mean_energy}",
                s.mean_energy
            );
            assert!(variance > 1.0, "{domain:?}: the variance must be far from 0, is {variance}");
            assert!(
                (s.energy_variance - variance).abs() < tolerance,
                "{domain:?}: Var E {} vs {variance}",
                s.energy_variance
            );
            assert!((s.entropy() - entropy).abs() < tolerance, "{domain:?}: S {} vs {entropy}", s.entropy());
            assert!((s.free_energy() + t * log_z).abs() < tolerance);
            assert!(crate::worst::max_abs_difference(&s.means, &means) < tolerance, "{domain:?}: means");
            let on: Vec<f64> = (0..n).map(|i| s.prob_on(i)).collect();
            assert!(crate::worst::max_abs(means.iter().map(|m| m - unit_value(domain, 0, 0))) > 0.05);
            assert!(crate::worst::max_abs_difference(&on, &prob_on) < tolerance, "{domain:?}: P(on) {on:?}");
            let c = s.correlations.as_ref().expect("correlations were requested");
            assert!(crate::worst::max_abs_difference(c.as_slice(), correlations.as_slice()) < tolerance);
            let cov = s.covariance().expect("correlations were requested");
            assert!(
                crate::worst::max_abs_difference(cov.as_slice(), covariance.as_slice()) < tolerance,
                "{domain:?}: covariance {cov} vs {covariance}"
            );
            let off_diagonal = Worst::from_iter(
                (0..n)
                    .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
                    .map(|(i, j)| covariance[(i, j)].abs()),
            );
            assert!(off_diagonal.value() > 1e-3, "{domain:?}: the covariances must not all vanish");
            assert!(summarize(&model, &ExactOptions::new().temperature(t)).unwrap().covariance().is_none());

            // Var E = T² ∂⟨E⟩/∂T, by a central difference (error O(h²) ≈ 10⁻⁸ here).
            let h = 1e-4;
            let mean_at =
                |t: f64| summarize(&model, &ExactOptions::new().temperature(t)).unwrap().mean_energy;
            let derivative = (mean_at(t + h) - mean_at(t - h)) / (2.0 * h);
            assert!(
                (t * t * derivative - s.energy_variance).abs() < 1e-6 * variance,
                "{domain:?}: T² ∂⟨E⟩/∂T = {} vs Var E {}",
                t * t * derivative,
                s.energy_variance
            );

            // Shifting every energy by ±1000 changes no probability (and e^{∓1000/T} over- or
            // underflows unless the weights are taken relative to E₀).
            for shift in [-1000.0, 1000.0] {
                let shifted: Vec<f64> = model.energies.iter().map(|e| e + shift).collect();
                let weights = boltzmann_weights(&shifted, t);
                assert!(
                    crate::worst::max_abs_difference(&weights, &p) < 1e-14,
                    "{domain:?}: weights shifted by {shift}"
                );
            }
        }
    }

    /// The brute-force ground set of a table: E₀, and the indices within 10⁻⁹·(1 + |E₀|) of it.
    fn ground_of(energies: &[f64]) -> (f64, Vec<usize>) {
        let e0 = energies.iter().copied().fold(f64::INFINITY, f64::min);
        let set = (0..energies.len()).filter(|&k| energies[k] - e0 <= 1e-9 * (1.0 + e0.abs())).collect();
        (e0, set)
    }

    /// Ground energy, count and listed states (in index order, capped) of two-block
    /// tables whose lowest level lies in the first block only, in the second only,
    /// or in both, against the brute-force ground set.
    #[test]
    fn ground_states_match_the_brute_force_ground_set() {
        let units = 13;
        // Levels on a grid of 1/8 (exact sums along the Gray code), lowest −10, hit by
        // every 101st state; a block raised by 1/8 loses its ground states.
        let level = |k: usize| ((k * 37) % 101) as f64 * 0.25 - 10.0;
        let raised = |block: Option<usize>| -> Vec<f64> {
            (0..1usize << units)
                .map(|k| level(k) + if Some(k >> 12) == block { 0.125 } else { 0.0 })
                .collect()
        };
        for (domain, block) in [(Domain::Spin, Some(1)), (Domain::Bit, Some(0)), (Domain::Spin, None)] {
            let model = TableModel { domain, units, energies: raised(block) };
            let (e0, set) = ground_of(&model.energies);
            assert!(e0 == -10.0 && set.len() > 30, "the reference itself");
            for cap in [0, 1, 5, 1000] {
                let expected: Vec<Vec<i8>> = set
                    .iter()
                    .take(cap)
                    .map(|&k| (0..units).map(|i| unit_value(domain, k, i) as i8).collect())
                    .collect();
                let (energy, states) = ground_states(&model, cap).unwrap();
                assert_eq!(
                    (energy, &states),
                    (e0, &expected),
                    "{domain:?}, block {block:?} raised, cap {cap}"
                );
                let s = summarize(&model, &ExactOptions::new().max_ground_states(cap)).unwrap();
                assert_eq!(s.ground_energy, e0);
                assert_eq!(s.ground_state_count, set.len() as u64, "{domain:?}, block {block:?} raised");
                assert_eq!(s.ground_states, expected);
            }
        }
    }

    /// Energies within 10⁻⁹·(1 + |E₀|) of E₀ count as ground states, those farther
    /// do not: near 0 (the absolute floor) and near −10⁶ (the relative part).
    #[test]
    fn ground_tolerance_is_relative_with_an_absolute_floor() {
        let cases: [(f64, f64, u64); 4] =
            [(0.0, 5e-10, 2), (0.0, 5e-9, 1), (-1e6, -1e6 + 5e-4, 2), (-1e6, -1e6 + 5e-3, 1)];
        for (ground, near, count) in cases {
            let model = TableModel {
                domain: Domain::Bit,
                units: 2,
                energies: vec![ground, near, ground + 1.0, ground + 2.0],
            };
            let s = summarize(&model, &ExactOptions::new()).unwrap();
            assert_eq!(
                (s.ground_energy, s.ground_state_count),
                (ground, count),
                "E₀ = {ground}, next {near}"
            );
            let (energy, states) = ground_states(&model, 10).unwrap();
            assert_eq!(energy, ground);
            assert_eq!(states.len() as u64, count, "E₀ = {ground}, next {near}");
        }
    }

    /// A NaN energy anywhere — here only in the last of two blocks — is refused,
    /// not summarised into NaN statistics.
    #[test]
    fn a_nan_energy_is_refused() {
        for index in [0, 5000, (1 << 13) - 1] {
            let mut energies = vec![1.0; 1 << 13];
            energies[index] = f64::NAN;
            let model = TableModel { domain: Domain::Spin, units: 13, energies };
            assert!(summarize(&model, &ExactOptions::new()).is_err(), "NaN at state {index}");
            assert!(ground_states(&model, 4).is_err(), "NaN at state {index}");
            assert!(log_partition(&model, 1.0).is_err(), "NaN at state {index}");
        }
    }
}
