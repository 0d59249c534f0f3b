//! Training restricted Boltzmann machines by stochastic gradient ascent on
//! the log-likelihood.
//!
//! For data v, ∂ log P(v)/∂θ = −∂F(v)/∂θ + E_model[∂F/∂θ], so the
//! average-log-likelihood gradient of a Bernoulli RBM is
//!
//! ∂ℓ/∂W_ij = ⟨v_i P(h_j=1|v)⟩_data − ⟨v_i h_j⟩_model,
//! ∂ℓ/∂a_i = ⟨v_i⟩_data − ⟨v_i⟩_model,  ∂ℓ/∂b_j = ⟨P(h_j=1|v)⟩_data − ⟨h_j⟩_model.
//!
//! The data term is exact; the model term needs samples, and the training
//! algorithms differ only in where those come from ([`Negatives`]):
//! contrastive divergence (k Gibbs steps from the data), persistent CD
//! (chains carried across updates) or parallel tempering.
//!
//! [`labelled`] trains RBMs with label units generatively, discriminatively
//! or both; [`gaussian`] trains Gaussian–Bernoulli RBMs on real-valued data.

mod data;
mod exact;
pub mod gaussian;
pub mod labelled;
mod metrics;
mod negatives;
pub mod reference;
mod trainer;

pub use crate::schedule::LearningRate;
pub use data::BernoulliData;
pub(crate) use data::check_unit_interval;
pub use exact::{Gradient, LikelihoodCurve, exact_average_log_likelihood, exact_gradient};
pub use metrics::{pseudo_log_likelihood, reconstruction_error};
pub use negatives::Negatives;
pub use trainer::{RECONSTRUCTION_ERROR, RbmLearner, RbmTrainer, swap_rate_metric, swap_rates};
