//! `ebm-mcmc`: Markov-chain Monte Carlo over the energies of `ebm-core`.
//!
//! Samplers target the Boltzmann distribution P(s) ∝ exp(−E(s)/T) and see
//! models only through the `ebm-core` traits.
//!
//! - [`PairwiseChain`]: a discrete state with its local fields kept up to
//!   date, so a unit update costs O(degree);
//! - [`Sweep`]: one sweep of any discrete sampler — single-site, lattice or
//!   cluster — the step the [`runner`] repeats;
//! - [`metropolis`]: the Metropolis acceptance rule min(1, exp(log r)) that
//!   every Metropolis–Hastings move here decides with;
//! - [`SingleSite`]: Gibbs and single-flip Metropolis, sequential or random
//!   scan, with clamped units;
//! - [`flip`]: single-flip Metropolis for any discrete energy, pairwise or not;
//! - [`lattice`]: a tabulated single-site sampler for the periodic Ising
//!   lattice, the fast path of the same chain;
//! - [`block`]: block Gibbs over two conditionally independent blocks
//!   ([`block::BipartiteConditionals`]), a batch of chains at once;
//! - [`anneal`]: simulated annealing with geometric, linear, logarithmic or
//!   custom schedules;
//! - [`exchange`]: replica exchange between neighbouring temperatures, for
//!   states of any kind given their energies;
//! - [`tempering`]: parallel tempering on a temperature ladder, deterministic
//!   for a seed whatever the thread count;
//! - [`histogram`]: empirical distributions of small chains against exact
//!   enumeration;
//! - [`runner`]: burn-in, thinning, recorded observables and progress
//!   observers for any sampler;
//! - [`rng`]: reproducible per-item random streams, the basis of
//!   thread-count-independent results;
//! - [`continuous`]: random-walk Metropolis, Langevin (ULA and MALA) and
//!   Hamiltonian Monte Carlo for continuous energies;
//! - [`diagnostics`]: integrated autocorrelation time, effective sample
//!   size, split-R̂ and Monte-Carlo standard errors;
//! - [`cluster`]: Wolff and Swendsen–Wang cluster updates for ferromagnets.

pub mod anneal;
pub mod block;
mod chain;
pub mod exchange;
pub mod flip;
pub mod histogram;
pub mod lattice;
pub mod metropolis;
mod single_site;
mod sweep;
pub mod tempering;

pub use chain::PairwiseChain;
pub use single_site::{Rule, Scan, SingleSite, SingleSiteSweep};
pub use sweep::{Sweep, SweepStats};

pub mod cluster;
pub mod continuous;
pub mod diagnostics;
pub mod rng;
pub mod runner;
