//! Deep Boltzmann machines (Salakhutdinov and Hinton, 2009): the note's
//! last model — several hidden layers, each connected only to its neighbours.
//!
//! - [`DeepBoltzmannMachine`]: parameters, energy, layer conditionals, and
//!   [`DbmChains`], block Gibbs alternating odd and even layers;
//! - [`exact`]: log Z, free energies and likelihoods by enumerating the
//!   layers of one parity (small machines);
//! - [`mean_field`]: the factorised approximation of P(h | v) and the
//!   variational lower bound it gives on log P(v);
//! - [`ais`]: log Z by annealed importance sampling with the odd layers
//!   summed out, and the resulting bound on the data's log-likelihood.

pub mod ais;
pub mod exact;
pub mod mean_field;
mod model;

pub use model::{DbmChains, DeepBoltzmannMachine};

#[cfg(test)]
mod tests;
