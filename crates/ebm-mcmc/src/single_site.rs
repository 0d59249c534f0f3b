//! Single-site samplers for discrete pairwise models: Gibbs (heat bath) and
//! single-flip Metropolis, in sequential or random scan, with clamped units.

use crate::chain::PairwiseChain;
use crate::metropolis;
use crate::sweep::{Sweep, SweepStats};
use ebm_core::error::check_positive;
use ebm_core::{Error, PairwiseEnergy, Result};
use rand::{Rng, RngExt};

/// How one unit is resampled at inverse temperature β = 1/T.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Heat bath: draw the unit from its conditional distribution,
    /// P(on | rest) = σ((on − off) · h_i / T) — σ(2h_i/T) for ±1 spins and
    /// σ(h_i/T) for 0/1 bits.
    Gibbs,
    /// Single-flip Metropolis: propose flipping the unit and accept with
    /// probability min(1, exp(−ΔE_i/T)), ΔE_i the flip energy.
    Metropolis,
}

/// The order in which a sweep visits the units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// Units 0, 1, …, N−1 in turn (each sweep updates every free unit once).
    Sequential,
    /// N independent, uniformly chosen free units per sweep (reversible
    /// kernel; each update leaves the target distribution invariant).
    Random,
}

/// A single-site sampler: an update rule, a scan order, and optionally a set
/// of clamped units that are never resampled (the clamped phase of
/// Boltzmann-machine learning samples the hidden units given the visible ones).
///
/// Both rules satisfy detailed balance with respect to
/// P(s) ∝ exp(−E(s)/T) for each single-unit update, so every sweep leaves it
/// invariant; with clamped units the invariant distribution is the
/// conditional distribution of the free units given the clamped ones.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleSite {
    rule: Rule,
    scan: Scan,
    clamped: Option<Vec<bool>>,
}

impl SingleSite {
    /// A sampler with the given rule and sequential scan.
    pub fn new(rule: Rule) -> Self {
        Self { rule, scan: Scan::Sequential, clamped: None }
    }

    /// Gibbs sampling, sequential scan.
    pub fn gibbs() -> Self {
        Self::new(Rule::Gibbs)
    }

    /// Single-flip Metropolis, sequential scan.
    pub fn metropolis() -> Self {
        Self::new(Rule::Metropolis)
    }

    /// Sets the scan order.
    pub fn scan(mut self, scan: Scan) -> Self {
        self.scan = scan;
        self
    }

    /// Clamps the units whose entry in `mask` is true: they keep their value.
    pub fn clamp(mut self, mask: Vec<bool>) -> Self {
        self.clamped = Some(mask);
        self
    }

    /// The clamp mask, if units are clamped.
    pub fn clamped(&self) -> Option<&[bool]> {
        self.clamped.as_deref()
    }

    /// The update rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// Resamples unit `i` at temperature T (given as β = 1/T); returns whether it changed.
    #[inline]
    pub fn update<M: PairwiseEnergy, R: Rng + ?Sized>(
        &self,
        chain: &mut PairwiseChain<'_, M>,
        i: usize,
        beta: f64,
        rng: &mut R,
    ) -> bool {
        match self.rule {
            Rule::Gibbs => {
                let p_on = chain.domain().on_probability(chain.field(i), beta);
                chain.set(i, rng.random::<f64>() < p_on)
            }
            Rule::Metropolis => {
                let log_ratio = metropolis::boltzmann_log_ratio(chain.flip_energy(i), beta);
                // One draw per proposal, accepted or not, so the random stream advances
                // identically whatever the energies (the lattice sweeper relies on it).
                let accept = metropolis::accept(log_ratio, rng);
                if accept {
                    chain.flip(i);
                }
                accept
            }
        }
    }

    /// Checks `temperature` and the clamp mask against `chain`; returns β = 1/T.
    fn prepare<M: PairwiseEnergy>(&self, chain: &PairwiseChain<'_, M>, temperature: f64) -> Result<f64> {
        check_positive("temperature", temperature)?;
        if let Some(mask) = &self.clamped
            && mask.len() != chain.len()
        {
            return Err(Error::ShapeMismatch {
                what: "clamp mask".into(),
                expected: chain.len(),
                found: mask.len(),
            });
        }
        Ok(1.0 / temperature)
    }

    /// One sweep at `temperature`: N unit updates in the scan order (free units only).
    pub fn sweep<M: PairwiseEnergy, R: Rng + ?Sized>(
        &self,
        chain: &mut PairwiseChain<'_, M>,
        temperature: f64,
        rng: &mut R,
    ) -> Result<SweepStats> {
        let beta = self.prepare(chain, temperature)?;
        let mut stats = SweepStats::default();
        let mut visit = |chain: &mut PairwiseChain<'_, M>, i: usize, rng: &mut R| {
            stats.updates += 1;
            stats.flips += usize::from(self.update(chain, i, beta, rng));
        };
        match (&self.clamped, self.scan) {
            (None, Scan::Sequential) => (0..chain.len()).for_each(|i| visit(chain, i, rng)),
            (Some(mask), Scan::Sequential) => {
                (0..chain.len()).filter(|&i| !mask[i]).for_each(|i| visit(chain, i, rng))
            }
            (None, Scan::Random) => {
                for _ in 0..chain.len() {
                    let i = rng.random_range(0..chain.len());
                    visit(chain, i, rng);
                }
            }
            (Some(mask), Scan::Random) => {
                let free: Vec<usize> = (0..chain.len()).filter(|&i| !mask[i]).collect();
                if !free.is_empty() {
                    for _ in 0..free.len() {
                        let i = free[rng.random_range(0..free.len())];
                        visit(chain, i, rng);
                    }
                }
            }
        }
        Ok(stats)
    }

    /// `sweeps` sweeps at `temperature`, with totals.
    pub fn run<M: PairwiseEnergy, R: Rng + ?Sized>(
        &self,
        chain: &mut PairwiseChain<'_, M>,
        temperature: f64,
        sweeps: usize,
        rng: &mut R,
    ) -> Result<SweepStats> {
        let mut total = SweepStats::default();
        for _ in 0..sweeps {
            total += self.sweep(chain, temperature, rng)?;
        }
        Ok(total)
    }

    /// This sampler at a fixed `temperature` (finite, > 0): its [`Sweep`] form.
    pub fn at(self, temperature: f64) -> Result<SingleSiteSweep> {
        check_positive("temperature", temperature)?;
        Ok(SingleSiteSweep { sampler: self, temperature })
    }
}

/// A [`SingleSite`] sampler at a fixed temperature, sweeping a
/// [`PairwiseChain`] through the [`Sweep`] trait ([`SingleSite::sweep`]
/// with that temperature).
#[derive(Clone, Debug, PartialEq)]
pub struct SingleSiteSweep {
    sampler: SingleSite,
    temperature: f64,
}

impl SingleSiteSweep {
    /// The single-site sampler.
    pub fn sampler(&self) -> &SingleSite {
        &self.sampler
    }

    /// The temperature T.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }
}

impl<'m, M: PairwiseEnergy> Sweep<PairwiseChain<'m, M>> for SingleSiteSweep {
    type Stats = SweepStats;

    fn sweep<R: Rng + ?Sized>(
        &mut self,
        chain: &mut PairwiseChain<'m, M>,
        rng: &mut R,
    ) -> Result<SweepStats> {
        self.sampler.sweep(chain, self.temperature, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{StateHistogram, expected_total_variation};
    use crate::rng::seeded;
    use ebm_core::spin_glass::SpinGlass;
    use ebm_core::{DensePairwise, DiscreteEnergy, Domain, exact};
    use proptest::prelude::*;

    fn model(seed: u64, units: usize, domain: Domain) -> DensePairwise {
        SpinGlass::new(units)
            .domain(domain)
            .coupling_std(0.6)
            .field_std(0.4)
            .sample(&mut seeded(seed))
            .unwrap()
    }

    /// Sequential sweeps visit every free unit once: the update count is the
    /// number of free units and the flip count the number of units changed;
    /// `run` adds up its sweeps' counts.
    #[test]
    fn sweep_and_run_statistics_count_visits_and_flips() {
        let model = model(3, 10, Domain::Bit);
        let mask: Vec<bool> = (0..10).map(|i| i % 3 == 0).collect();
        for (sampler, free) in [(SingleSite::gibbs(), 10), (SingleSite::metropolis().clamp(mask), 6)] {
            let mut rng = seeded(4);
            let mut chain = PairwiseChain::random(&model, &mut rng);
            let mut flips_seen = 0;
            for _ in 0..40 {
                let before = chain.state().to_vec();
                let stats = sampler.sweep(&mut chain, 1.3, &mut rng).unwrap();
                let changed = before.iter().zip(chain.state()).filter(|(a, b)| a != b).count();
                assert_eq!((stats.updates, stats.flips), (free, changed));
                flips_seen += changed;
            }
            assert!(flips_seen > 0);
            let (mut replay, mut rng) = (chain.clone(), seeded(9));
            let total = sampler.run(&mut chain, 1.3, 7, &mut rng).unwrap();
            let mut rng = seeded(9);
            let sum = (0..7).map(|_| sampler.sweep(&mut replay, 1.3, &mut rng).unwrap()).fold(
                SweepStats::default(),
                |t, s| SweepStats { updates: t.updates + s.updates, flips: t.flips + s.flips },
            );
            assert_eq!(total, sum);
            assert_eq!(total.updates, 7 * free);
        }
    }

    /// Where the chains of [`endpoint_tv`] start.
    #[derive(Clone, Copy, Debug)]
    enum Start {
        /// A uniformly random state: the endpoints test convergence.
        Uniform,
        /// An exact draw from the target: the endpoints test that a sweep keeps
        /// the target invariant, however slowly the chain would mix.
        Exact,
    }

    /// TV distance between the exact distribution and the final states of
    /// `chains` independent chains, each run `sweeps` sweeps from `start`, and
    /// the TV distance expected of that many exact draws.
    fn endpoint_tv(
        sampler: &SingleSite,
        model: &DensePairwise,
        t: f64,
        chains: u64,
        sweeps: usize,
        start: Start,
    ) -> (f64, f64) {
        let mut histogram = StateHistogram::new(model.num_units(), model.domain()).unwrap();
        let draws = match start {
            Start::Uniform => Vec::new(),
            Start::Exact => exact::draw(model, t, chains as usize, &mut crate::rng::stream(12, 0)).unwrap(),
        };
        for c in 0..chains {
            let mut rng = crate::rng::stream(11, c);
            let mut chain = match draws.get(c as usize) {
                Some(state) => PairwiseChain::new(model, state.clone()).unwrap(),
                None => PairwiseChain::random(model, &mut rng),
            };
            sampler.run(&mut chain, t, sweeps, &mut rng).unwrap();
            histogram.add(chain.state());
        }
        let p = exact::probabilities(model, t).unwrap();
        (histogram.total_variation(&p).unwrap(), expected_total_variation(&p, chains as f64))
    }

    #[test]
    fn every_rule_and_scan_converges_to_the_boltzmann_distribution() {
        let samplers = [
            SingleSite::gibbs(),
            SingleSite::gibbs().scan(Scan::Random),
            SingleSite::metropolis(),
            SingleSite::metropolis().scan(Scan::Random),
        ];
        for (k, sampler) in samplers.iter().enumerate() {
            for (m, (units, domain, t)) in
                [(6, Domain::Spin, 1.0), (8, Domain::Bit, 0.7), (7, Domain::Spin, 2.5)]
                    .into_iter()
                    .enumerate()
            {
                let model = model(10 * k as u64 + m as u64, units, domain);
                // Independent endpoints are exact draws once the chain has mixed, so the
                // distance must stay near the sampling noise, which shrinks like 1/√n.
                for chains in [1_000, 16_000] {
                    let (tv, iid) = endpoint_tv(sampler, &model, t, chains, 30, Start::Uniform);
                    assert!(tv < 2.0 * iid, "{sampler:?}, model {m}, {chains} chains: TV {tv} vs iid {iid}");
                }
            }
        }
    }

    /// ½ Σ_s |p(s) − q(s)|.
    fn distance(p: &[f64], q: &[f64]) -> f64 {
        0.5 * p.iter().zip(q).map(|(a, b)| (a - b).abs()).sum::<f64>()
    }

    #[test]
    fn both_rules_keep_both_domains_exact_at_temperatures_other_than_one() {
        // At T = 0.5 and T = 2 the Boltzmann distributions at T and at 1/T differ
        // far beyond the sampling noise, so a rule that used exp(−ΔE·T) for
        // exp(−ΔE/T) (β for T) drifts from exact draws at T towards 1/T.
        let chains = 8_000;
        let mut failures = Vec::new();
        for (k, rule) in [Rule::Gibbs, Rule::Metropolis].into_iter().enumerate() {
            for (m, domain) in [Domain::Spin, Domain::Bit].into_iter().enumerate() {
                let model = model(200 + 2 * k as u64 + m as u64, 6, domain);
                for t in [0.5, 2.0] {
                    let p = exact::probabilities(&model, t).unwrap();
                    let swapped = exact::probabilities(&model, 1.0 / t).unwrap();
                    let iid = expected_total_variation(&p, chains as f64);
                    assert!(
                        distance(&p, &swapped) > 10.0 * iid,
                        "{domain:?}, T = {t}: the test cannot tell T from 1/T"
                    );
                    let (tv, iid) = endpoint_tv(&SingleSite::new(rule), &model, t, chains, 20, Start::Exact);
                    let near_exact = tv < 2.0 * iid;
                    if !near_exact {
                        failures.push(format!("{rule:?}, {domain:?}, T = {t}: TV {tv:.4} vs iid {iid:.4}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn clamped_gibbs_samples_the_exact_conditional() {
        let model = model(77, 8, Domain::Bit);
        let t = 1.0;
        let clamped_units = [0usize, 3, 5];
        let values = [1i8, 0, 1];
        let mut mask = vec![false; 8];
        let mut start = vec![0i8; 8];
        for (&u, &v) in clamped_units.iter().zip(&values) {
            mask[u] = true;
            start[u] = v;
        }
        // Exact conditional: the joint restricted to states that agree with the clamp, renormalised.
        let joint = exact::probabilities(&model, t).unwrap();
        let agrees = |k: usize| clamped_units.iter().zip(&values).all(|(&u, &v)| (k >> u & 1) as i8 == v);
        let mass: f64 = (0..joint.len()).filter(|&k| agrees(k)).map(|k| joint[k]).sum();
        let conditional: Vec<f64> =
            (0..joint.len()).map(|k| if agrees(k) { joint[k] / mass } else { 0.0 }).collect();
        for scan in [Scan::Sequential, Scan::Random] {
            let sampler = SingleSite::gibbs().scan(scan).clamp(mask.clone());
            let mut rng = seeded(5);
            let mut chain = PairwiseChain::new(&model, start.clone()).unwrap();
            let mut histogram = StateHistogram::new(8, Domain::Bit).unwrap();
            for _ in 0..50_000 {
                sampler.sweep(&mut chain, t, &mut rng).unwrap();
                histogram.add(chain.state());
            }
            let tv = histogram.total_variation(&conditional).unwrap();
            let iid = crate::histogram::expected_total_variation(&conditional, 50_000.0);
            assert!(tv < 3.0 * iid, "{scan:?}: TV {tv} vs iid {iid}");
            assert!(clamped_units.iter().zip(&values).all(|(&u, &v)| chain.state()[u] == v));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        /// π(s) K(s → s') = π(s') K(s' → s) for the single-unit kernels,
        /// with K estimated by running the sampler's own update from each state.
        #[test]
        fn single_unit_updates_satisfy_detailed_balance(seed in any::<u64>(), spin in any::<bool>(), metropolis in any::<bool>()) {
            let domain = if spin { Domain::Spin } else { Domain::Bit };
            let model = model(seed, 3, domain);
            let t = 0.8;
            let pi = exact::probabilities(&model, t).unwrap();
            let sampler = if metropolis { SingleSite::metropolis() } else { SingleSite::gibbs() };
            let trials = 20_000;
            let mut rng = seeded(seed ^ 1);
            for unit in 0..3 {
                // K(s → s with unit flipped), estimated for every s.
                let flip_rate: Vec<f64> = (0..8u64).map(|k| {
                    let mut state = vec![0; 3];
                    domain.state_from_index(k, &mut state);
                    let mut flips = 0;
                    for _ in 0..trials {
                        let mut chain = PairwiseChain::new(&model, state.clone()).unwrap();
                        flips += usize::from(sampler.update(&mut chain, unit, 1.0 / t, &mut rng));
                    }
                    flips as f64 / trials as f64
                }).collect();
                for k in 0..8usize {
                    let partner = k ^ (1 << unit);
                    let forward = pi[k] * flip_rate[k];
                    let backward = pi[partner] * flip_rate[partner];
                    // Each rate has standard error ≤ √(¼/trials) ≈ 0.0035.
                    let tolerance = 5.0 * 0.0036 * (pi[k] + pi[partner]);
                    prop_assert!((forward - backward).abs() < tolerance, "unit {unit}, state {k}: {forward} vs {backward}");
                }
            }
        }
    }

    #[test]
    fn same_seed_same_chain_and_bad_input_refused() {
        let model = model(3, 10, Domain::Spin);
        let run = |seed| {
            let mut rng = seeded(seed);
            let mut chain = PairwiseChain::random(&model, &mut rng);
            SingleSite::metropolis().scan(Scan::Random).run(&mut chain, 1.3, 50, &mut rng).unwrap();
            chain.state().to_vec()
        };
        assert_eq!(run(9), run(9));
        let mut rng = seeded(0);
        let mut chain = PairwiseChain::random(&model, &mut rng);
        assert!(SingleSite::gibbs().sweep(&mut chain, 0.0, &mut rng).is_err());
        assert!(SingleSite::gibbs().sweep(&mut chain, f64::NAN, &mut rng).is_err());
        assert!(SingleSite::gibbs().clamp(vec![true; 3]).sweep(&mut chain, 1.0, &mut rng).is_err());
        let all_clamped = SingleSite::gibbs().scan(Scan::Random).clamp(vec![true; 10]);
        let before = chain.state().to_vec();
        assert_eq!(all_clamped.sweep(&mut chain, 1.0, &mut rng).unwrap().updates, 0);
        assert_eq!(chain.state(), &before[..]);
    }
}
