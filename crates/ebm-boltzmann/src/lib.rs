//! `ebm-boltzmann`: Boltzmann machines.
//!
//! - [`rbm`]: the Bernoulli–Bernoulli restricted Boltzmann machine — its
//!   conditionals, free energy and block Gibbs sampling on batches, exact
//!   log Z by enumerating the smaller layer, and annealed importance sampling.
//!
//! General Boltzmann machines with hidden and label units, Gaussian units and
//! deep machines come with later issues.

pub mod rbm;

pub use rbm::BernoulliRbm;
