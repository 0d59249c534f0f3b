//! `ebm-train`: the algorithms that change a model's parameters.
//!
//! - [`rbm`]: restricted Boltzmann machines by CD-k, persistent CD or
//!   parallel tempering, with momentum, weight decay, learning-rate
//!   schedules and a divergence guard; exact gradients and likelihoods for
//!   small models; reconstruction error and pseudo-likelihood;
//! - [`hopfield`]: Hopfield storage rules — Hebbian, Storkey, pseudo-inverse
//!   (projection) and a symmetric perceptron with a margin — and stabilities;
//! - [`hopfield_contrastive`]: the note's storage by optimisation — lower the
//!   patterns' energy, raise that of the states the dynamics drifts to.
//!
//! Models know what they are; algorithms that change them live here.

pub mod hopfield;
pub mod hopfield_contrastive;
pub mod rbm;
