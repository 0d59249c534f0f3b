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
//!   started at the data, kept persistent, or tempered ([`FreeChains`]);
//! - [`MachineTrainer`] runs gradient ascent with either ([`Estimator`]) on
//!   the [`fit`](crate::fit) driver: its [`MachineLearner`] is one
//!   minibatch step, and a run can be stopped, checkpointed and resumed
//!   bit for bit. Each epoch reports its [`GRADIENT_NORM`].
//!
//! ```
//! use ebm_boltzmann::BoltzmannMachine;
//! use ebm_core::Domain;
//! use ebm_mcmc::rng::seeded;
//! use ebm_mcmc::tempering::Ladder;
//! use ebm_train::{LearningRate, SgdBuilder};
//! use ebm_train::boltzmann::{Estimator, FreeChains, MachineTrainer, Sampling};
//!
//! // Even 3-bit parity: every mean and pairwise correlation is zero, so
//! // without hidden units the best model is uniform (ℓ = −log 8); the data
//! // themselves have ℓ = −log 4.
//! let data = vec![vec![-1, -1, -1], vec![-1, 1, 1], vec![1, -1, 1], vec![1, 1, -1]];
//! let mut machine = BoltzmannMachine::random(Domain::Spin, 3, 3, 0.5, &mut seeded(1))?;
//! // Free-phase chains tempered on T = 1 … 8, clamped chains per data vector.
//! let ladder = Ladder::geometric(1.0, 8.0, 6)?;
//! let sampling = Sampling::new().burn_in(2).sweeps(2).free_chains(FreeChains::Tempering { chains: 50, ladder });
//! MachineTrainer::new(Estimator::Sampled(sampling))
//!     .learning_rate(LearningRate::Linear { start: 0.1, end: 0.01 })
//!     .momentum(0.5)
//!     .epochs(500)
//!     .train(&mut machine, &data, &mut [])?;
//! assert!(machine.average_log_likelihood(&data)? > -(8f64).ln() + 0.5);
//! # Ok::<(), ebm_core::Error>(())
//! ```

mod learner;
mod moments;
mod sampled;
mod trainer;

pub use learner::{GRADIENT_NORM, MachineLearner};
pub use moments::{Gradient, Moments, exact_clamped_moments, exact_free_moments, exact_gradient};
pub use sampled::{FreeChains, SampledPhases, Sampling};
pub use trainer::{Connectivity, Estimator, MachineTrainer};

#[cfg(test)]
mod tests;
