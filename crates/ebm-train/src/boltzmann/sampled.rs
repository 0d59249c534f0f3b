//! The note's sampled maximum likelihood: both phases of the gradient from
//! Gibbs chains instead of enumeration.

use super::moments::{Gradient, Moments};
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::{DensePairwise, Error, Result};
use ebm_mcmc::rng::stream;
use ebm_mcmc::tempering::{Ladder, ParallelTempering};
use ebm_mcmc::{PairwiseChain, SingleSite};
use rand::{Rng, RngExt};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the free-phase chains start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// `chains` persistent parallel-tempering runs: each keeps one replica
    /// per temperature of `ladder` (whose first temperature must be 1),
    /// makes one Gibbs sweep per replica per round and exchanges neighbours;
    /// the T = 1 replicas give the statistics. Hot replicas cross the energy
    /// barriers that trap plain persistent chains once the model has
    /// well-separated modes.
    Tempering {
        /// Number of tempering runs.
        chains: usize,
        /// The temperatures, starting at 1.
        ladder: Ladder,
    },
}

impl FreeChains {
    /// The number of free-phase chains kept between estimates (0 for chains from the data).
    fn persistent(&self) -> usize {
        match self {
            FreeChains::FromData => 0,
            FreeChains::Persistent { chains } | FreeChains::Tempering { chains, .. } => *chains,
        }
    }

    /// The temperatures each kept chain carries a replica for.
    fn rungs(&self) -> usize {
        match self {
            FreeChains::Tempering { ladder, .. } => ladder.len(),
            _ => 1,
        }
    }
}

/// How long the Gibbs chains of each phase run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        if self.sweeps == 0
            || (self.free_chains != FreeChains::FromData && self.free_chains.persistent() == 0)
        {
            return Err(Error::invalid("sampling", "needs at least one averaged sweep and one chain"));
        }
        if let FreeChains::Tempering { ladder, .. } = &self.free_chains
            && ladder.temperatures()[0] != 1.0
        {
            return Err(Error::invalid("tempering ladder", "its first temperature must be 1"));
        }
        Ok(())
    }
}

/// The two sampled phases of the log-likelihood gradient, with the
/// persistent chains (if any) they carry between estimates.
///
/// - Clamped phase: for each data vector v a chain with the visible units
///   fixed at v runs Gibbs sweeps over the hidden units; after the burn-in
///   its states estimate E_{P(h|v)}\[y_i y_j\] and E_{P(h|v)}\[y_i\].
/// - Free phase: chains over all units estimate E_{P(y)}\[y_i y_j\] and E\[y_i\].
///
/// Chain k draws from its own random stream (seeded from the estimate's
/// seed and k) and the chains' averages are summed in chain order, so an
/// estimate depends on the seed and not on the number of threads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SampledPhases {
    sampling: Sampling,
    /// For each kept free chain, its state at each temperature (one for
    /// plain persistent chains), coldest first.
    pub(super) persistent: Vec<Vec<Vec<i8>>>,
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
        let rungs = sampling.free_chains.rungs();
        let persistent = (0..sampling.free_chains.persistent() * rungs)
            .map(|_| {
                let v = &data[rng.random_range(0..data.len())];
                Ok(machine.chain_at(v, rng)?.state().to_vec())
            })
            .collect::<Result<Vec<_>>>()?
            .chunks(rungs)
            .map(<[Vec<i8>]>::to_vec)
            .collect();
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
        let free_starts: Vec<Vec<Vec<i8>>> = match self.sampling.free_chains {
            FreeChains::FromData => clamped.iter().map(|(_, end)| vec![end.clone()]).collect(),
            _ => std::mem::take(&mut self.persistent),
        };
        let free_sampler = machine.free_phase();
        let offset = batch.len() as u64;
        let ladder = match &self.sampling.free_chains {
            FreeChains::Tempering { ladder, .. } => Some(ladder),
            _ => None,
        };
        let free: Vec<(Moments, Vec<Vec<i8>>)> = free_starts
            .into_par_iter()
            .enumerate()
            .map(|(k, starts)| {
                let mut rng = stream(seed, offset + k as u64);
                match ladder {
                    None => {
                        let chain = PairwiseChain::new(
                            machine.model(),
                            starts.into_iter().next().unwrap_or_default(),
                        )?;
                        let (moments, end) = run_chain(chain, &free_sampler, burn_in, sweeps, &mut rng)?;
                        Ok((moments, vec![end]))
                    }
                    Some(ladder) => {
                        let tempering = ParallelTempering::from_states(
                            machine.model(),
                            ladder.clone(),
                            starts,
                            rng.random(),
                        )?
                        .sampler(free_sampler.clone());
                        run_tempering(tempering, burn_in, sweeps)
                    }
                }
            })
            .collect::<Result<_>>()?;
        let clamped_moments = average(&clamped, machine.units());
        let free_moments = average(&free, machine.units());
        if self.sampling.free_chains != FreeChains::FromData {
            self.persistent = free.into_iter().map(|(_, end)| end).collect();
        }
        Ok(clamped_moments.minus(&free_moments))
    }

    /// The current states of the kept free chains, each at every
    /// temperature it runs at (empty when the free phase starts at the data).
    pub fn persistent_states(&self) -> &[Vec<Vec<i8>>] {
        &self.persistent
    }

    /// Checks, for phases read back from a checkpoint, the sampling settings
    /// and that the kept chains are as many as they say, one state per
    /// temperature, each a configuration of all of `machine`'s units.
    pub(crate) fn check_state(&self, machine: &BoltzmannMachine) -> Result<()> {
        self.sampling.check()?;
        let free_chains = &self.sampling.free_chains;
        let fits = self.persistent.len() == free_chains.persistent()
            && self.persistent.iter().all(|rungs| {
                rungs.len() == free_chains.rungs()
                    && rungs.iter().all(|state| machine.domain().check(state, machine.units()).is_ok())
            });
        if fits {
            Ok(())
        } else {
            Err(Error::invalid("checkpoint", "the persistent chains do not fit the machine or the settings"))
        }
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

/// Runs `burn_in` discarded rounds of tempering, then averages the moments
/// of the T = 1 replica after each of `sweeps` rounds.
fn run_tempering(
    mut tempering: ParallelTempering<'_, DensePairwise>,
    burn_in: usize,
    sweeps: usize,
) -> Result<(Moments, Vec<Vec<i8>>)> {
    tempering.run(burn_in, |_| {})?;
    let mut moments = Moments::zeros(tempering.replica(0).len());
    tempering.run(sweeps, |replicas| moments.add_state(replicas[0].state(), 1.0 / sweeps as f64))?;
    Ok((moments, tempering.states()))
}

/// The mean of the chains' moments, summed in chain order.
fn average<S>(results: &[(Moments, S)], units: usize) -> Moments {
    let mut total = Moments::zeros(units);
    for (moments, _) in results {
        total.add(moments, 1.0 / results.len() as f64);
    }
    total
}
