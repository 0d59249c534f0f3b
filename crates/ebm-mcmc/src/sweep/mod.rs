//! [`Sweep`]: one sweep of a discrete-state sampler, the step that
//! [`crate::runner::run_sweeps`] repeats whatever the sampler.
//!
//! Each implementor is a Markov kernel K that leaves the Boltzmann
//! distribution P(s) ∝ exp(−E(s)/T) of its model at its temperature
//! invariant, Σ_s P(s) K(s → s′) = P(s′); a sweep applies K once. What "once"
//! means is the sampler's: N single-unit updates for the single-site
//! samplers ([`crate::SingleSite`] through [`crate::SingleSite::at`],
//! [`crate::flip::FlipMetropolis`], [`crate::lattice::LatticeSweeper`]), one
//! Swendsen–Wang update ([`crate::cluster::SwendsenWang`]), or a calibrated
//! number of Wolff cluster updates ([`crate::cluster::WolffSweeps`]).

use ebm_core::Result;
use rand::Rng;
use std::ops::AddAssign;

/// One sweep of a discrete-state sampler over a state of type `S`.
pub trait Sweep<S: ?Sized> {
    /// What a sweep did: counts that add up over sweeps.
    type Stats: Copy + Default + AddAssign;

    /// Advances `state` by one sweep, drawing from `rng`.
    fn sweep<R: Rng + ?Sized>(&mut self, state: &mut S, rng: &mut R) -> Result<Self::Stats>;

    /// `count` sweeps, with the totals of their statistics.
    fn sweeps<R: Rng + ?Sized>(&mut self, state: &mut S, count: usize, rng: &mut R) -> Result<Self::Stats> {
        let mut total = Self::Stats::default();
        for _ in 0..count {
            total += self.sweep(state, rng)?;
        }
        Ok(total)
    }
}

/// What a single-unit sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Unit updates performed.
    pub updates: usize,
    /// Updates that changed the unit.
    pub flips: usize,
}

impl AddAssign for SweepStats {
    fn add_assign(&mut self, other: Self) {
        self.updates += other.updates;
        self.flips += other.flips;
    }
}

#[cfg(test)]
mod tests;
