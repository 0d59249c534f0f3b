//! `ebm-boltzmann`: Boltzmann machines.
//!
//! - [`ais`]: annealed importance sampling — log Z of any model given as an
//!   [`ais::AnnealingPath`] from a base model, with an error bar;
//! - [`machine`]: the general Boltzmann machine — a pairwise model whose
//!   units are visible or hidden, its free energy F(v) and likelihood by
//!   enumeration, and its clamped and free sampling phases;
//! - [`rbm`]: the Bernoulli–Bernoulli restricted Boltzmann machine — its
//!   conditionals, free energy and block Gibbs sampling on batches, exact
//!   log Z by enumerating the smaller layer, and AIS from a base-rate RBM;
//! - [`dbm`]: deep Boltzmann machines — layered energy, block Gibbs, exact
//!   log Z for small machines, mean-field inference and its lower bound,
//!   AIS;
//! - [`dbn`]: deep belief nets — a stack of RBMs read as a generative
//!   model, top-down sampling, exact likelihood of tiny nets and the
//!   variational lower bound.
//!
//! - [`rbm::gaussian`]: the Gaussian–Bernoulli RBM over real visible units —
//!   conditionals, free energy, exact log Z over the hidden layer, AIS.

pub mod ais;
pub mod dbm;
pub mod dbn;
pub mod machine;
pub mod rbm;

pub use dbm::DeepBoltzmannMachine;
pub use dbn::DeepBeliefNet;
pub use machine::BoltzmannMachine;
pub use rbm::{BernoulliRbm, GaussianRbm};
