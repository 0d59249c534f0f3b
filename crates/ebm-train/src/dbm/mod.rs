//! Training deep Boltzmann machines (Salakhutdinov and Hinton, 2009).
//!
//! The log-likelihood gradient of a DBM has the Boltzmann-machine form
//!
//! ∂ℓ/∂W_l = ⟨x_{l−1} x_lᵀ⟩_{P(h|v) data} − ⟨x_{l−1} x_lᵀ⟩_{P(x)},  ∂ℓ/∂b_l = ⟨x_l⟩_data − ⟨x_l⟩_model,
//!
//! with both terms intractable. The data term is taken under the mean-field
//! posterior q(h | v) (so with μ_{l−1} μ_lᵀ in place of x_{l−1} x_lᵀ, which
//! maximises the variational lower bound on ℓ rather than ℓ itself), and the
//! model term from persistent block-Gibbs chains (PCD). The update uses
//! momentum and L2 weight decay on the weights, like the RBM trainer.
//!
//! - [`DbmTrainer`]: that stochastic-approximation procedure;
//! - [`pretrain`]: greedy layer-wise pretraining of the weights with
//!   modified RBMs, the usual starting point of [`DbmTrainer`].

mod pretrain;
mod trainer;

pub use pretrain::{Pretraining, pretrain};
pub use trainer::{DbmLearner, DbmTrainer, MEAN_FIELD_ROUNDS};
