//! Maximum-likelihood learning for general Boltzmann machines (the note's
//! stochastic Hopfield network with hidden units).
//!
//! For data D of visible configurations and y = (v, h), the average
//! log-likelihood ℓ = (1/|D|) Σ_{v∈D} log Σ_h exp(−E(v, h)) − log Z of the
//! energy E(y) = −½ yᵀWy − bᵀy has the gradient
//!
//! ∂ℓ/∂W_ij = ⟨y_i y_j⟩_clamped − ⟨y_i y_j⟩_free,  ∂ℓ/∂b_i = ⟨y_i⟩_clamped − ⟨y_i⟩_free,
//!
//! where the clamped average runs over the data with h ~ P(h | v) and the
//! free average over the model's P(v, h). Without hidden units the clamped
//! term is the data's own ⟨v_i v_j⟩, and ℓ is concave in (W, b).
//!
//! - [`exact_gradient`] enumerates both phases (small machines);
//! - [`SampledPhases`] estimates them with Gibbs chains, the free phase
//!   started at the data or kept persistent ([`FreeChains`]);
//! - [`MachineTrainer`] runs gradient ascent with either ([`Estimator`]).

mod moments;
mod sampled;
mod trainer;

pub use moments::{Gradient, Moments, exact_clamped_moments, exact_free_moments, exact_gradient};
pub use sampled::{FreeChains, SampledPhases, Sampling};
pub use trainer::{Connectivity, Estimator, MachineEpoch, MachineTrainer};

#[cfg(test)]
mod tests;
