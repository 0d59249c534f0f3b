//! The note's sampled maximum likelihood: both phases of the gradient from
//! Gibbs chains instead of enumeration.

use super::moments::{Gradient, Moments};
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::{DensePairwise, Error, Result};
use ebm_mcmc::rng::stream;
use ebm_mcmc::{PairwiseChain, SingleSite};
use rand::{Rng, RngExt};
use rayon::prelude::*;

/// Where the free-phase chains start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FreeChains {
    /// One chain per data vector of the batch, started where its clamped
    /// chain ended (the data v with hidden units from P(h | v)): the note's
    /// "run a few Gibbs steps from the patterns". Cheap and biased towards
    /// the data when the chains are short, as contrastive divergence is.
    FromData,
    /// `chains` chains carried from one gradient estimate to the next
    /// (persistent chains, Younes 1989 / Tieleman 2008): with small learning
    /// rates they stay close to the model's distribution, so the estimate is
    /// nearly unbiased without long burn-ins.
    Persistent {
        /// Number of persistent chains.
        chains: usize,
    },
}

/// How long the Gibbs chains of each phase run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sampling {
    burn_in: usize,
    sweeps: usize,
    free_chains: FreeChains,
}

impl Default for Sampling {
    fn default() -> Self {
        Self { burn_in: 10, sweeps: 10, free_chains: FreeChains::FromData }
    }
}

impl Sampling {
    /// 10 sweeps of burn-in and 10 averaged sweeps per chain and phase;
    /// free-phase chains start at the data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sweeps run and discarded at the start of each phase, per chain.
    pub fn burn_in(mut self, sweeps: usize) -> Self {
        self.burn_in = sweeps;
        self
    }

    /// Sweeps whose states are averaged, per chain and phase (at least 1).
    pub fn sweeps(mut self, sweeps: usize) -> Self {
        self.sweeps = sweeps;
        self
    }

    /// Where the free-phase chains start.
    pub fn free_chains(mut self, chains: FreeChains) -> Self {
        self.free_chains = chains;
        self
    }

    fn check(&self) -> Result<()> {
        if self.sweeps == 0 || self.free_chains == (FreeChains::Persistent { chains: 0 }) {
            return Err(Error::invalid("sampling", "needs at least one averaged sweep and one chain"));
        }
        Ok(())
    }
}

/// The two sampled phases of the log-likelihood gradient, with the
/// persistent chains (if any) they carry between estimates.
///
/// - Clamped phase: for each data vector v a chain with the visible units
///   fixed at v runs Gibbs sweeps over the hidden units; after the burn-in
///   its states estimate E_{P(h|v)}[y_i y_j] and E_{P(h|v)}[y_i].
/// - Free phase: chains over all units estimate E_{P(y)}[y_i y_j] and E[y_i].
///
/// Chain k draws from its own random stream (seeded from the estimate's
/// seed and k) and the chains' averages are summed in chain order, so an
/// estimate depends on the seed and not on the number of threads.
#[derive(Clone, Debug)]
pub struct SampledPhases {
    sampling: Sampling,
    persistent: Vec<Vec<i8>>,
}

/// A chain's averaged moments and the state it ended in.
type ChainResult = (Moments, Vec<i8>);

impl SampledPhases {
    /// Validates `sampling` and, for persistent chains, starts each at a
    /// random data vector with uniformly drawn hidden units.
    pub fn new(
        sampling: Sampling,
        machine: &BoltzmannMachine,
        data: &[Vec<i8>],
        rng: &mut (impl Rng + ?Sized),
    ) -> Result<Self> {
        sampling.check()?;
        check_data(machine, data)?;
        let persistent = match sampling.free_chains {
            FreeChains::FromData => Vec::new(),
            FreeChains::Persistent { chains } => (0..chains)
                .map(|_| {
                    let v = &data[rng.random_range(0..data.len())];
                    Ok(machine.chain_at(v, rng)?.state().to_vec())
                })
                .collect::<Result<_>>()?,
        };
        Ok(Self { sampling, persistent })
    }

    /// The sampled gradient for the data vectors `batch`, using random
    /// streams derived from `seed`.
    pub fn gradient(&mut self, machine: &BoltzmannMachine, batch: &[&[i8]], seed: u64) -> Result<Gradient> {
        if batch.is_empty() {
            return Err(Error::invalid("batch", "no visible configurations"));
        }
        for v in batch {
            machine.check_visible(v)?;
        }
        let (burn_in, sweeps) = (self.sampling.burn_in, self.sampling.sweeps);
        let clamped_sampler = machine.clamped_phase();
        let clamped: Vec<ChainResult> = batch
            .par_iter()
            .enumerate()
            .map(|(k, v)| {
                let mut rng = stream(seed, k as u64);
                let chain = machine.chain_at(v, &mut rng)?;
                run_chain(chain, &clamped_sampler, burn_in, sweeps, &mut rng)
            })
            .collect::<Result<_>>()?;
        let free_starts: Vec<Vec<i8>> = match self.sampling.free_chains {
            FreeChains::FromData => clamped.iter().map(|(_, end)| end.clone()).collect(),
            FreeChains::Persistent { .. } => std::mem::take(&mut self.persistent),
        };
        let free_sampler = machine.free_phase();
        let offset = batch.len() as u64;
        let free: Vec<ChainResult> = free_starts
            .into_par_iter()
            .enumerate()
            .map(|(k, start)| {
                let mut rng = stream(seed, offset + k as u64);
                let chain = PairwiseChain::new(machine.model(), start)?;
                run_chain(chain, &free_sampler, burn_in, sweeps, &mut rng)
            })
            .collect::<Result<_>>()?;
        let clamped_moments = average(&clamped, machine.units());
        let free_moments = average(&free, machine.units());
        if let FreeChains::Persistent { .. } = self.sampling.free_chains {
            self.persistent = free.into_iter().map(|(_, end)| end).collect();
        }
        Ok(clamped_moments.minus(&free_moments))
    }

    /// The current states of the persistent chains (empty when the free
    /// phase starts at the data).
    pub fn persistent_states(&self) -> &[Vec<i8>] {
        &self.persistent
    }
}

/// Checks that `data` is non-empty and holds visible configurations of `machine`.
pub(crate) fn check_data(machine: &BoltzmannMachine, data: &[Vec<i8>]) -> Result<()> {
    if data.is_empty() {
        return Err(Error::invalid("data", "no visible configurations"));
    }
    data.iter().try_for_each(|v| machine.check_visible(v))
}

/// Runs `burn_in` discarded sweeps, then averages the moments of the states
/// after each of `sweeps` sweeps.
fn run_chain(
    mut chain: PairwiseChain<'_, DensePairwise>,
    sampler: &SingleSite,
    burn_in: usize,
    sweeps: usize,
    rng: &mut (impl Rng + ?Sized),
) -> Result<ChainResult> {
    sampler.run(&mut chain, 1.0, burn_in, rng)?;
    let mut moments = Moments::zeros(chain.len());
    for _ in 0..sweeps {
        sampler.sweep(&mut chain, 1.0, rng)?;
        moments.add_state(chain.state(), 1.0 / sweeps as f64);
    }
    Ok((moments, chain.state().to_vec()))
}

/// The mean of the chains' moments, summed in chain order.
fn average(results: &[ChainResult], units: usize) -> Moments {
    let mut total = Moments::zeros(units);
    for (moments, _) in results {
        total.add(moments, 1.0 / results.len() as f64);
    }
    total
}
