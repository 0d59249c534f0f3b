//! Parallel tempering (replica exchange): replicas of one model at a ladder
//! of temperatures, updated in parallel, exchanging states between
//! neighbouring temperatures.
//!
//! Replica k samples π_k(s) ∝ exp(−β_k E(s)). Exchanging the states x (at k)
//! and y (at k+1) is accepted with probability
//!
//! min(1, exp((β_k − β_{k+1}) (E(x) − E(y)))),
//!
//! the Metropolis rule for the product distribution Π_k π_k, so every rung
//! keeps its own Boltzmann distribution while hot replicas carry cold ones
//! across energy barriers. The exchange itself, for states of any kind, is
//! [`crate::exchange`]; this module runs it on pairwise models.

use crate::chain::PairwiseChain;
use crate::exchange::{Pairs, exchange_neighbours};
use crate::rng::{SamplerRng, stream};
use crate::single_site::SingleSite;
use ebm_core::{Error, PairwiseEnergy, Result};
use rayon::prelude::*;

pub use crate::exchange::SwapStats;

/// Rounds between recomputations of every replica's fields and energy from
/// the model, bounding the rounding drift of incremental updates.
const RESYNC_INTERVAL: u64 = 1024;

/// An increasing sequence of temperatures T₀ < T₁ < … (at least two).
///
/// It serialises as its list of temperatures; reading one back checks it
/// as [`Ladder::new`] does.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "Vec<f64>", into = "Vec<f64>")]
pub struct Ladder(Vec<f64>);

impl TryFrom<Vec<f64>> for Ladder {
    type Error = Error;

    fn try_from(temperatures: Vec<f64>) -> Result<Self> {
        Self::new(temperatures)
    }
}

impl From<Ladder> for Vec<f64> {
    fn from(ladder: Ladder) -> Vec<f64> {
        ladder.0
    }
}

/// The most rungs [`Ladder::geometric`] builds: far more than any tempering
/// run needs, few enough that a mistyped count cannot exhaust memory.
pub const MAX_RUNGS: usize = 100_000;

impl Ladder {
    /// The given temperatures, which must be finite, positive and strictly increasing.
    pub fn new(temperatures: Vec<f64>) -> Result<Self> {
        if temperatures.len() < 2 {
            return Err(Error::Invalid {
                what: "temperature ladder".into(),
                reason: format!("needs at least 2 temperatures, got {}", temperatures.len()),
            });
        }
        let valid = temperatures.iter().all(|t| t.is_finite() && *t > 0.0);
        if !valid || temperatures.windows(2).any(|w| w[1] <= w[0]) {
            return Err(Error::Invalid {
                what: "temperature ladder".into(),
                reason: format!("temperatures must be finite, positive and increasing: {temperatures:?}"),
            });
        }
        Ok(Self(temperatures))
    }

    /// `rungs` temperatures in geometric progression from `coldest` to
    /// `hottest`, T_k = T_min (T_max/T_min)^{k/(n−1)}: equal ratios give
    /// roughly equal swap rates when the heat capacity varies slowly.
    /// At most [`MAX_RUNGS`] rungs.
    pub fn geometric(coldest: f64, hottest: f64, rungs: usize) -> Result<Self> {
        if rungs > MAX_RUNGS {
            return Err(Error::TooLarge {
                what: "temperature ladder".into(),
                limit: MAX_RUNGS as u64,
                found: rungs as u64,
            });
        }
        if rungs < 2 {
            return Self::new(vec![coldest; rungs]);
        }
        let ratio = (hottest / coldest).powf(1.0 / (rungs - 1) as f64);
        Self::new((0..rungs).map(|k| coldest * ratio.powi(k as i32)).collect())
    }

    /// The temperatures, coldest first.
    pub fn temperatures(&self) -> &[f64] {
        &self.0
    }

    /// The number of rungs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a ladder has at least two rungs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Parallel tempering over a pairwise model.
///
/// Each round, every replica makes `sweeps_per_round` sweeps (in parallel,
/// each with its own random stream), then neighbours try to exchange states:
/// pairs (0,1), (2,3), … on even rounds and (1,2), (3,4), … on odd ones. The
/// exchanges use a separate stream, so the result depends on the seed only,
/// never on the number of threads.
#[derive(Clone, Debug)]
pub struct ParallelTempering<'m, M> {
    ladder: Ladder,
    /// β_k = 1/T_k, coldest first.
    betas: Vec<f64>,
    replicas: Vec<PairwiseChain<'m, M>>,
    rngs: Vec<SamplerRng>,
    swap_rng: SamplerRng,
    sampler: SingleSite,
    sweeps_per_round: usize,
    swaps: Vec<SwapStats>,
    round: u64,
}

impl<'m, M: PairwiseEnergy> ParallelTempering<'m, M> {
    /// Replicas of `model` on `ladder`, each from a uniform random state, with
    /// one Metropolis sweep per round.
    pub fn new(model: &'m M, ladder: Ladder, seed: u64) -> Self {
        let mut rngs: Vec<SamplerRng> = (0..ladder.len() as u64).map(|k| stream(seed, k)).collect();
        let replicas = rngs.iter_mut().map(|rng| PairwiseChain::random(model, rng)).collect();
        Self::with_replicas(ladder, replicas, rngs, seed)
    }

    /// Replicas of `model` on `ladder` at the given states, one per rung
    /// (coldest first) — to continue a run whose states were kept, such as
    /// the persistent chains of learning, where the model changes between runs.
    pub fn from_states(model: &'m M, ladder: Ladder, states: Vec<Vec<i8>>, seed: u64) -> Result<Self> {
        if states.len() != ladder.len() {
            return Err(Error::ShapeMismatch {
                what: "replica states (one per rung)".into(),
                expected: ladder.len(),
                found: states.len(),
            });
        }
        let replicas = states.into_iter().map(|s| PairwiseChain::new(model, s)).collect::<Result<_>>()?;
        let rngs = (0..ladder.len() as u64).map(|k| stream(seed, k)).collect();
        Ok(Self::with_replicas(ladder, replicas, rngs, seed))
    }

    fn with_replicas(
        ladder: Ladder,
        replicas: Vec<PairwiseChain<'m, M>>,
        rngs: Vec<SamplerRng>,
        seed: u64,
    ) -> Self {
        Self {
            swaps: vec![SwapStats::default(); ladder.len() - 1],
            swap_rng: stream(seed, u64::MAX),
            betas: ladder.temperatures().iter().map(|t| 1.0 / t).collect(),
            ladder,
            replicas,
            rngs,
            sampler: SingleSite::metropolis(),
            sweeps_per_round: 1,
            round: 0,
        }
    }

    /// Sets the single-site sampler every replica uses.
    pub fn sampler(mut self, sampler: SingleSite) -> Self {
        self.sampler = sampler;
        self
    }

    /// Sets the sweeps each replica makes between exchange attempts.
    pub fn sweeps_per_round(mut self, sweeps: usize) -> Self {
        self.sweeps_per_round = sweeps;
        self
    }

    /// The ladder.
    pub fn ladder(&self) -> &Ladder {
        &self.ladder
    }

    /// The replica currently at rung `k` (0 is the coldest).
    pub fn replica(&self, k: usize) -> &PairwiseChain<'m, M> {
        &self.replicas[k]
    }

    /// The replicas' states, coldest first.
    pub fn states(&self) -> Vec<Vec<i8>> {
        self.replicas.iter().map(|r| r.state().to_vec()).collect()
    }

    /// Exchange statistics for each neighbouring pair (k, k+1).
    pub fn swap_stats(&self) -> &[SwapStats] {
        &self.swaps
    }

    /// One round: sweeps on every replica in parallel, then exchanges.
    pub fn round(&mut self) -> Result<()> {
        let (sampler, sweeps) = (&self.sampler, self.sweeps_per_round);
        self.replicas
            .par_iter_mut()
            .zip(self.rngs.par_iter_mut())
            .zip(self.ladder.0.par_iter())
            .try_for_each(|((replica, rng), &t)| sampler.run(replica, t, sweeps, rng).map(|_| ()))?;
        self.exchange()?;
        self.round += 1;
        if self.round.is_multiple_of(RESYNC_INTERVAL) {
            self.replicas.par_iter_mut().for_each(PairwiseChain::resync);
        }
        Ok(())
    }

    /// Attempts the exchanges of this round's parity ([`Pairs::alternating`]).
    fn exchange(&mut self) -> Result<()> {
        let mut energies: Vec<f64> = self.replicas.iter().map(PairwiseChain::energy).collect();
        let pairs = Pairs::alternating(self.round);
        for k in exchange_neighbours(&self.betas, &mut energies, pairs, &mut self.swaps, &mut self.swap_rng)?
        {
            let (lower, upper) = self.replicas.split_at_mut(k + 1);
            lower[k].swap_states(&mut upper[0]);
        }
        Ok(())
    }

    /// `rounds` rounds, calling `observe` after each with the replicas (coldest first).
    pub fn run(&mut self, rounds: usize, mut observe: impl FnMut(&[PairwiseChain<'m, M>])) -> Result<()> {
        for _ in 0..rounds {
            self.round()?;
            observe(&self.replicas);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{StateHistogram, expected_total_variation};
    use crate::rng::seeded;
    use ebm_core::spin_glass::SpinGlass;
    use ebm_core::{DiscreteEnergy, exact};

    #[test]
    fn geometric_ladders_end_at_both_temperatures_and_refuse_bad_counts() {
        assert_eq!(Ladder::geometric(1.0, 2.0, 2).unwrap().temperatures(), [1.0, 2.0]);
        let ladder = Ladder::geometric(0.5, 4.0, 4).unwrap();
        let expected = [0.5, 1.0, 2.0, 4.0];
        assert!(ladder.temperatures().iter().zip(expected).all(|(t, e)| (t - e).abs() < 1e-12), "{ladder:?}");
        for rungs in [0, 1, MAX_RUNGS + 1, usize::MAX] {
            assert!(Ladder::geometric(1.0, 2.0, rungs).is_err(), "{rungs} rungs accepted");
        }
        assert!(Ladder::geometric(2.0, 1.0, 3).is_err());
    }

    #[test]
    fn a_ladder_round_trips_through_serde_and_a_bad_one_is_refused() {
        let ladder = Ladder::geometric(1.0, 8.0, 4).unwrap();
        let json = serde_json::to_string(&ladder).unwrap();
        assert_eq!(serde_json::from_str::<Ladder>(&json).unwrap(), ladder);
        for bad in ["[1.0]", "[2.0, 1.0]", "[0.0, 1.0]"] {
            assert!(serde_json::from_str::<Ladder>(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn every_rung_samples_its_boltzmann_distribution() {
        // Strong couplings at low temperature: a rugged landscape that single chains cross slowly.
        let model = SpinGlass::new(8).coupling_std(1.5).field_std(0.3).sample(&mut seeded(21)).unwrap();
        let ladder = Ladder::geometric(0.4, 3.0, 5).unwrap();
        let mut pt = ParallelTempering::new(&model, ladder.clone(), 8).sweeps_per_round(2);
        pt.run(200, |_| {}).unwrap();
        let mut histograms: Vec<StateHistogram> =
            (0..ladder.len()).map(|_| StateHistogram::new(8, model.domain()).unwrap()).collect();
        let rounds = 40_000;
        pt.run(rounds, |replicas| {
            for (h, r) in histograms.iter_mut().zip(replicas) {
                h.add(r.state());
            }
        })
        .unwrap();
        for (k, (h, &t)) in histograms.iter().zip(ladder.temperatures()).enumerate() {
            let p = exact::probabilities(&model, t).unwrap();
            let tv = h.total_variation(&p).unwrap();
            // Allow an integrated autocorrelation time of up to 9 rounds.
            let bound = 3.0 * expected_total_variation(&p, rounds as f64);
            assert!(tv < bound, "rung {k} (T = {t}): TV {tv} ≥ {bound}");
        }
        assert!(pt.swap_stats().iter().all(|s| s.rate() > 0.05 && s.attempted > 0), "{:?}", pt.swap_stats());
    }

    #[test]
    fn runs_continue_from_kept_states_and_bad_states_are_refused() {
        let model = SpinGlass::new(6).sample(&mut seeded(5)).unwrap();
        let ladder = Ladder::geometric(1.0, 3.0, 3).unwrap();
        let mut pt = ParallelTempering::new(&model, ladder.clone(), 6);
        pt.run(10, |_| {}).unwrap();
        let kept = pt.states();
        let resumed = ParallelTempering::from_states(&model, ladder.clone(), kept.clone(), 7).unwrap();
        assert_eq!(resumed.states(), kept);
        assert!((resumed.replica(1).energy() - model.energy(&kept[1])).abs() < 1e-12);
        assert!(ParallelTempering::from_states(&model, ladder.clone(), kept[..2].to_vec(), 7).is_err());
        let mut bad = kept;
        bad[0][0] = 0;
        assert!(ParallelTempering::from_states(&model, ladder, bad, 7).is_err());
    }

    #[test]
    fn results_depend_on_the_seed_not_the_thread_count() {
        let model = SpinGlass::new(40).sample(&mut seeded(2)).unwrap();
        let run = |threads: usize, seed: u64| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                let mut pt = ParallelTempering::new(&model, Ladder::geometric(0.5, 4.0, 6).unwrap(), seed);
                pt.run(50, |_| {}).unwrap();
                let states: Vec<Vec<i8>> = (0..6).map(|k| pt.replica(k).state().to_vec()).collect();
                (states, pt.swap_stats().to_vec())
            })
        };
        assert_eq!(run(1, 3), run(2, 3));
        assert_eq!(run(1, 3), run(4, 3));
        assert_ne!(run(1, 3).0, run(1, 4).0);
    }

    #[test]
    fn ladders_are_validated() {
        assert!(Ladder::new(vec![1.0]).is_err());
        assert!(Ladder::new(vec![1.0, 1.0]).is_err());
        assert!(Ladder::new(vec![2.0, 1.0]).is_err());
        assert!(Ladder::new(vec![0.0, 1.0]).is_err());
        assert!(Ladder::geometric(1.0, f64::INFINITY, 3).is_err());
        let l = Ladder::geometric(0.5, 8.0, 5).unwrap();
        assert!((l.temperatures()[4] - 8.0).abs() < 1e-12 && (l.temperatures()[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_ladder_of_the_most_rungs_is_built_and_no_ladder_is_empty() {
        // MAX_RUNGS itself is allowed (one more is refused, above): T_k = 2^{k/(n−1)}.
        let ladder = Ladder::geometric(1.0, 2.0, MAX_RUNGS).unwrap();
        assert_eq!(ladder.len(), MAX_RUNGS);
        let t = ladder.temperatures();
        let middle = (MAX_RUNGS - 1) / 2;
        assert!((t[middle] - 2f64.powf(middle as f64 / (MAX_RUNGS - 1) as f64)).abs() < 1e-9);
        assert!((t[MAX_RUNGS - 1] - 2.0).abs() < 1e-9);
        assert!(!ladder.is_empty() && !Ladder::new(vec![1.0, 2.0]).unwrap().is_empty());
    }

    #[test]
    fn each_pair_is_attempted_every_second_round() {
        // Rounds alternate pairs (0, 1), (2, 3) and (1, 2), (3, 4): after 10
        // rounds on 5 rungs each of the 4 pairs has been tried 5 times.
        let model = SpinGlass::new(6).sample(&mut seeded(3)).unwrap();
        let mut pt = ParallelTempering::new(&model, Ladder::geometric(1.0, 4.0, 5).unwrap(), 1);
        pt.run(10, |_| {}).unwrap();
        let stats = pt.swap_stats();
        assert_eq!(stats.iter().map(|s| s.attempted).collect::<Vec<_>>(), [5, 5, 5, 5]);
        assert!(stats.iter().all(|s| s.accepted <= s.attempted));
    }
}
