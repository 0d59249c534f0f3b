//! Every [`Sweep`] implementor, driven through [`run_sweeps`], against the
//! exact distribution of a small Ising lattice.

use super::*;
use crate::cluster::{SwendsenWang, Wolff, WolffSweeps};
use crate::diagnostics::integrated_time;
use crate::flip::FlipMetropolis;
use crate::histogram::{StateHistogram, expected_total_variation};
use crate::lattice::{LatticeSweeper, Order};
use crate::rng::seeded;
use crate::runner::{RunLength, Silent, run_sweeps};
use crate::{PairwiseChain, Rule, Scan, SingleSite};
use ebm_core::{DiscreteEnergy, Domain, SparsePairwise, SquareLattice, exact};
use rand::RngExt;

/// Flips unit `sweep mod N` each sweep: a deterministic stand-in.
struct Rotate(usize);

impl Sweep<[i8]> for Rotate {
    type Stats = SweepStats;
    fn sweep<R: Rng + ?Sized>(&mut self, state: &mut [i8], _: &mut R) -> Result<SweepStats> {
        let i = self.0 % state.len();
        state[i] = -state[i];
        self.0 += 1;
        Ok(SweepStats { updates: 1, flips: 1 })
    }
}

#[test]
fn sweeps_add_up_the_statistics_of_each_sweep() {
    let mut state = [1i8; 3];
    let total = Rotate(0).sweeps(&mut state[..], 4, &mut seeded(0)).unwrap();
    assert_eq!(total, SweepStats { updates: 4, flips: 4 });
    assert_eq!(state, [1, -1, -1]);
    let mut sum = SweepStats { updates: 2, flips: 1 };
    sum += SweepStats { updates: 3, flips: 2 };
    assert_eq!(sum, SweepStats { updates: 5, flips: 3 });
}

/// The 3×3 periodic lattice, J = 1, h = 0 (the cluster samplers need it), at T = 2.5.
const SIDE: usize = 3;
const T: f64 = 2.5;

fn lattice() -> SparsePairwise {
    SquareLattice::square(SIDE).build().unwrap()
}

/// A uniformly random spin state.
fn random_spins(seed: u64) -> Vec<i8> {
    let mut rng = seeded(seed);
    (0..SIDE * SIDE).map(|_| if rng.random() { 1 } else { -1 }).collect()
}

/// Runs `sampler` through the runner for `samples` sweeps after a burn-in,
/// histogramming the states, and checks the histogram against the exact
/// distribution at T: its total-variation distance must be within twice the
/// distance of n/τ exact draws (τ the integrated autocorrelation time of the
/// energy), and far enough from the distribution at 1.2 T that the check
/// could fail. Returns the run's total statistics.
fn matches_enumeration<S: ?Sized, K: Sweep<S>>(
    name: &str,
    sampler: &mut K,
    state: &mut S,
    spins: impl Fn(&S) -> &[i8],
    samples: usize,
) -> K::Stats {
    let model = lattice();
    let mut histogram = StateHistogram::new(SIDE * SIDE, Domain::Spin).unwrap();
    let length = RunLength::new(500, samples, 1).unwrap();
    let mut rng = seeded(7);
    let (trace, stats) = run_sweeps(
        &length,
        &["energy"],
        sampler,
        state,
        &mut rng,
        |state, row| {
            histogram.add(spins(state));
            row[0] = model.energy(spins(state));
        },
        &mut Silent,
    )
    .unwrap();
    assert_eq!(histogram.total(), samples as u64);
    let tau = integrated_time(trace.series("energy").unwrap()).unwrap().tau.max(1.0);
    let p = exact::probabilities(&model, T).unwrap();
    let hotter = exact::probabilities(&model, 1.2 * T).unwrap();
    let expected = expected_total_variation(&p, samples as f64 / tau);
    let tv = histogram.total_variation(&p).unwrap();
    assert!(tv < 2.0 * expected, "{name}: TV {tv}, expected about {expected} (τ = {tau:.2})");
    let tv_hotter = histogram.total_variation(&hotter).unwrap();
    assert!(tv_hotter > 2.0 * expected, "{name}: TV to the hotter distribution only {tv_hotter}");
    stats
}

#[test]
fn single_site_sweeps_through_the_runner_match_enumeration() {
    let model = lattice();
    let samples = 60_000;
    for sampler in [SingleSite::gibbs(), SingleSite::metropolis().scan(Scan::Random)] {
        let name = format!("{sampler:?}");
        let mut sweep = sampler.clone().at(T).unwrap();
        assert_eq!((sweep.temperature(), sweep.sampler().rule()), (T, sampler.rule()));
        let mut chain = PairwiseChain::new(&model, random_spins(1)).unwrap();
        let stats = matches_enumeration(&name, &mut sweep, &mut chain, |c| c.state(), samples);
        assert_eq!(stats.updates, (500 + samples) * SIDE * SIDE);
        assert!(stats.flips > 0 && stats.flips < stats.updates);
    }
    assert!(SingleSite::gibbs().at(0.0).is_err() && SingleSite::gibbs().at(f64::NAN).is_err());
}

#[test]
fn flip_metropolis_through_the_runner_matches_enumeration() {
    let model = lattice();
    let mut sweep = FlipMetropolis::new(&model, T).unwrap().scan(Scan::Random);
    assert_eq!(sweep.temperature(), T);
    let mut spins = random_spins(2);
    let stats = matches_enumeration("flip Metropolis", &mut sweep, &mut spins[..], |s| s, 60_000);
    assert_eq!(stats.updates, 60_500 * SIDE * SIDE);
    assert!(FlipMetropolis::new(&model, -1.0).is_err());
}

#[test]
fn lattice_sweeps_through_the_runner_match_enumeration() {
    for (rule, order) in [(Rule::Gibbs, Order::Typewriter), (Rule::Metropolis, Order::Checkerboard)] {
        let mut sweeper = LatticeSweeper::new(SIDE, SIDE, 1.0, 0.0, rule, T).unwrap().order(order);
        let mut spins = random_spins(3);
        let name = format!("lattice {rule:?} {order:?}");
        let stats = matches_enumeration(&name, &mut sweeper, &mut spins[..], |s| s, 60_000);
        assert_eq!(stats.updates, 60_500 * SIDE * SIDE);
        assert!(stats.flips > 0);
    }
}

#[test]
fn cluster_sweeps_through_the_runner_match_enumeration() {
    let model = lattice();
    let wolff = Wolff::new(&model, T).unwrap();
    let mut sweeps = WolffSweeps::calibrated(wolff, 500);
    let mut spins = random_spins(4);
    let stats = matches_enumeration("Wolff sweeps", &mut sweeps, &mut spins[..], |s| s, 60_000);
    let n = sweeps.updates_per_sweep().unwrap();
    assert_eq!((stats.updates, stats.clusters), (500 + 60_000 * n, 500 + 60_000 * n));
    let mut sw = SwendsenWang::new(&model, T).unwrap();
    let mut spins = random_spins(5);
    let stats = matches_enumeration("Swendsen–Wang", &mut sw, &mut spins[..], |s| s, 60_000);
    assert_eq!(stats.updates, 60_500);
    // Each update forms between 1 and N clusters.
    assert!((60_500..=60_500 * SIDE * SIDE).contains(&stats.clusters));
    assert!(stats.flipped > 0);
}
