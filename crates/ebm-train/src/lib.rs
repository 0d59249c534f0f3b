//! `ebm-train`: the algorithms that change a model's parameters.
//!
//! - [`boltzmann`]: general Boltzmann machines by maximum likelihood — the
//!   exact gradient from enumeration or the note's sampled clamped and free
//!   phases, with chains started at the data or kept persistent;
//! - [`dbm`]: deep Boltzmann machines by mean-field data statistics and
//!   persistent block-Gibbs chains;
//! - [`dbn`]: deep belief nets, greedily, one RBM at a time;
//! - [`rbm`]: restricted Boltzmann machines by CD-k, persistent CD or
//!   parallel tempering, with momentum, weight decay, learning-rate
//!   schedules and a divergence guard; exact gradients and likelihoods for
//!   small models; reconstruction error and pseudo-likelihood;
//! - [`hopfield`]: iterative Hopfield storage — a symmetric perceptron with
//!   a margin and the note's storage by optimisation
//!   ([`hopfield::contrastive`]); the closed-form rules (Hebbian, Storkey,
//!   pseudo-inverse) are formulas of the data and live with the model in
//!   [`ebm_hopfield::storage`].
//!
//! - [`density`]: general continuous energies E(x; θ) by maximum likelihood
//!   with Langevin negatives (from noise or a replay buffer), an
//!   energy-magnitude regulariser and gradient clipping; held-out
//!   log-likelihood by quadrature and the single-Gaussian baseline;
//! - [`fit`]: the one training loop every trainer runs on — epochs,
//!   batches, schedules, the divergence guard, observers, validation and
//!   early stopping, checkpoints and resume;
//! - [`optim`]: SGD with momentum and Adam over a flat parameter vector;
//! - [`sgd`]: the settings the minibatch trainers share ([`SgdSettings`]:
//!   learning rate, momentum, weight decay, batch size, epochs, seed), set
//!   through [`SgdBuilder`] — `use ebm_train::SgdBuilder;` to call
//!   `.learning_rate(…)`, `.momentum(…)` and the rest on any of them.
//!
//! Models know what they are; algorithms that change them live here. The
//! rule for where a family's training goes: parameters computed once, in
//! closed form, from the data (Hebbian outer products, a projection, a base
//! distribution's moments) are constructors in the model's crate; parameters
//! improved step by step against an objective are trained here.

pub mod boltzmann;
pub mod dbm;
pub mod dbn;
pub mod density;
pub mod fit;
pub mod hopfield;
pub mod optim;
pub mod rbm;
pub mod schedule;
pub mod sgd;

pub use schedule::LearningRate;
pub use sgd::{SgdBuilder, SgdSettings};
