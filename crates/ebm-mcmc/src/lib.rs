//! `ebm-mcmc`: Markov-chain Monte Carlo over the energies of `ebm-core`.
//!
//! Samplers target the Boltzmann distribution P(s) ∝ exp(−E(s)/T) and see
//! models only through the `ebm-core` traits.
//!
//! - [`rng`]: reproducible per-item random streams, the basis of
//!   thread-count-independent results;
//! - [`continuous`]: random-walk Metropolis, Langevin (ULA and MALA) and
//!   Hamiltonian Monte Carlo for continuous energies;
//! - [`diagnostics`]: integrated autocorrelation time, effective sample
//!   size, split-R̂ and Monte-Carlo standard errors;
//! - [`cluster`]: Wolff and Swendsen–Wang cluster updates for ferromagnets.

pub mod cluster;
pub mod continuous;
pub mod diagnostics;
pub mod rng;
