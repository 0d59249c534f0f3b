//! Wolff's single-cluster update.

use super::bonds::Bonds;
use ebm_core::{PairwiseEnergy, Result};
use rand::{Rng, RngExt};

/// Wolff's single-cluster algorithm (Wolff 1989) for a zero-field
/// ferromagnet over ±1 spins.
///
/// One [`update`](Wolff::update): pick a seed site uniformly at random, grow
/// a cluster from it — each neighbour j of a cluster site i whose spin equals
/// the seed's joins with probability p_ij = 1 − e^{−2 w_ij / T}, every bond
/// being tested once — and flip the whole cluster. The cluster is the
/// Fortuin–Kasteleyn cluster of the seed (see [the module docs](super)),
/// so the update leaves P(s) ∝ e^{−E(s)/T} invariant and satisfies detailed
/// balance: the aligned bonds on the cluster's boundary, which had to stay
/// open, contribute Π(1 − p_ij) = e^{−2 Σ w_ij / T}, which is exactly the
/// Boltzmann factor of flipping the cluster.
///
/// Near the critical point a cluster covers a finite fraction of the
/// lattice, so Wolff updates decorrelate in a few steps where single-spin
/// dynamics needs ~L^{2.17} sweeps. The sites are grown from an explicit
/// stack whose buffer is reused: an update allocates nothing.
///
/// ```
/// use ebm_core::SquareLattice;
/// use ebm_mcmc::{cluster::Wolff, rng::seeded};
///
/// let model = SquareLattice::square(16).build()?;
/// let mut wolff = Wolff::new(&model, 2.269)?;
/// let mut spins = vec![1i8; 256];
/// let mut rng = seeded(7);
/// let size = wolff.update(&mut spins, &mut rng)?;
/// assert_eq!(spins.iter().filter(|&&s| s == -1).count(), size);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Wolff {
    bonds: Bonds,
    stack: Vec<u32>,
}

impl Wolff {
    /// A Wolff updater for `model` at temperature T. Refuses models that are
    /// not zero-field ferromagnets over spins (bit units, a non-zero bias, a
    /// negative, non-finite or asymmetric coupling) and T that is not finite
    /// and > 0.
    pub fn new<M: PairwiseEnergy + ?Sized>(model: &M, temperature: f64) -> Result<Self> {
        let bonds = Bonds::new(model, temperature)?;
        let stack = Vec::with_capacity(bonds.units());
        Ok(Self { bonds, stack })
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

    /// One Wolff update of `state` (N spins ±1, checked); returns the number
    /// of spins flipped, the cluster size (0 for a model without units).
    pub fn update<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R) -> Result<usize> {
        self.bonds.check_state(state)?;
        let units = self.bonds.units();
        if units == 0 {
            return Ok(0);
        }
        let seed = rng.random_range(0..units);
        let grown = state[seed];
        // A site joins the cluster by being flipped, so "aligned with the seed
        // and not yet in the cluster" is simply `state[j] == grown`.
        state[seed] = -grown;
        self.stack.clear();
        self.stack.push(seed as u32);
        let mut size = 1;
        while let Some(i) = self.stack.pop() {
            let i = i as usize;
            for (&j, &p) in self.bonds.neighbours(i).iter().zip(self.bonds.probabilities(i)) {
                if state[j as usize] == grown && rng.random::<f64>() < p {
                    state[j as usize] = -grown;
                    self.stack.push(j);
                    size += 1;
                }
            }
        }
        Ok(size)
    }

    /// `updates` Wolff updates; returns the total number of spins flipped.
    pub fn run<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R, updates: usize) -> Result<usize> {
        let mut flipped = 0;
        for _ in 0..updates {
            flipped += self.update(state, rng)?;
        }
        Ok(flipped)
    }
}
