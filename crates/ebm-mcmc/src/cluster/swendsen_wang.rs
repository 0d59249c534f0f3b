//! The Swendsen–Wang multi-cluster update.

use super::ClusterStats;
use super::bonds::Bonds;
use super::union_find::UnionFind;
use crate::sweep::Sweep;
use ebm_core::{PairwiseEnergy, Result};
use rand::{Rng, RngExt};

/// The Swendsen–Wang algorithm (Swendsen & Wang 1987) for a zero-field
/// ferromagnet over ±1 spins.
///
/// One [`update`](SwendsenWang::update) alternates the two conditional draws
/// of the Fortuin–Kasteleyn–Edwards–Sokal joint distribution of spins and
/// bonds (see [the module docs](super)):
///
/// 1. bonds given spins: every bond {i, j} between aligned spins is
///    activated independently with probability p_ij = 1 − e^{−2 w_ij / T}
///    (bonds between unlike spins stay open);
/// 2. spins given bonds: the connected components of the active bonds,
///    found with union–find, are flipped independently with probability ½.
///
/// As a Gibbs sampler on the joint distribution whose spin marginal is
/// P(s) ∝ e^{−E(s)/T}, it leaves that distribution invariant, and its
/// kernel P(s → s') = Σ_b P(b | s) P(s' | b) is reversible. One update costs
/// O(N + bonds) and touches every spin; its buffers are reused.
///
/// ```
/// use ebm_core::SquareLattice;
/// use ebm_mcmc::{cluster::SwendsenWang, rng::seeded};
///
/// let model = SquareLattice::square(8).build()?;
/// let mut sw = SwendsenWang::new(&model, 2.269)?;
/// let mut spins = vec![1i8; 64];
/// let clusters = sw.update(&mut spins, &mut seeded(3))?;
/// assert!((1..=64).contains(&clusters));
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SwendsenWang {
    bonds: Bonds,
    clusters: UnionFind,
    /// Per root: 0 = not decided yet, 1 = keep, 2 = flip.
    decisions: Vec<u8>,
}

impl SwendsenWang {
    /// A Swendsen–Wang updater for `model` at temperature T. Refuses the same
    /// models and temperatures as [`super::Wolff::new`].
    pub fn new<M: PairwiseEnergy + ?Sized>(model: &M, temperature: f64) -> Result<Self> {
        let bonds = Bonds::new(model, temperature)?;
        let units = bonds.units();
        let mut clusters = UnionFind::default();
        clusters.reset(units);
        Ok(Self { bonds, clusters, decisions: vec![0; units] })
    }

    /// The temperature T.
    pub fn temperature(&self) -> f64 {
        self.bonds.temperature()
    }

    /// Sets T (finite, > 0), recomputing the bond probabilities.
    pub fn set_temperature(&mut self, temperature: f64) -> Result<()> {
        self.bonds.set_temperature(temperature)
    }

    /// The number of spins N.
    pub fn num_units(&self) -> usize {
        self.bonds.units()
    }

    /// One Swendsen–Wang update of `state` (N spins ±1, checked); returns
    /// the number of clusters, so N divided by it is the mean cluster size.
    pub fn update<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R) -> Result<usize> {
        self.update_counting(state, rng).map(|stats| stats.clusters)
    }

    /// One update, counting the clusters formed and the spins flipped.
    fn update_counting<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R) -> Result<ClusterStats> {
        self.bonds.check_state(state)?;
        let units = self.bonds.units();
        self.clusters.reset(units);
        for i in 0..units {
            // Each bond once: from its lower end, to the (sorted) neighbours above i.
            let neighbours = self.bonds.neighbours(i);
            let above = neighbours.partition_point(|&j| j as usize <= i);
            for (&j, &p) in neighbours[above..].iter().zip(&self.bonds.probabilities(i)[above..]) {
                let j = j as usize;
                if state[i] == state[j] && rng.random::<f64>() < p {
                    self.clusters.union(i, j);
                }
            }
        }
        self.decisions.clear();
        self.decisions.resize(units, 0);
        let mut stats = ClusterStats { updates: 1, ..ClusterStats::default() };
        for (i, spin) in state.iter_mut().enumerate() {
            let root = self.clusters.find(i);
            if self.decisions[root] == 0 {
                self.decisions[root] = if rng.random::<bool>() { 2 } else { 1 };
                stats.clusters += 1;
            }
            if self.decisions[root] == 2 {
                *spin = -*spin;
                stats.flipped += 1;
            }
        }
        Ok(stats)
    }

    /// `updates` Swendsen–Wang updates; returns the total number of clusters formed.
    pub fn run<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R, updates: usize) -> Result<usize> {
        let mut clusters = 0;
        for _ in 0..updates {
            clusters += self.update(state, rng)?;
        }
        Ok(clusters)
    }
}

impl Sweep<[i8]> for SwendsenWang {
    type Stats = ClusterStats;

    /// One Swendsen–Wang update: it touches every spin, so it is a sweep.
    fn sweep<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R) -> Result<ClusterStats> {
        self.update_counting(state, rng)
    }
}
