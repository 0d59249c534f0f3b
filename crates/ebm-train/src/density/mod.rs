//! Maximum-likelihood training of general continuous energies E(x; θ) with
//! sampled negatives, and their evaluation on the plane.
//!
//! For p_θ(x) = exp(−E(x; θ)) / Z(θ) the average negative log-likelihood of
//! data D is L(θ) = E_D[E(x; θ)] + log Z(θ), and since
//! ∂ log Z / ∂θ = −E_{p_θ}[∂E/∂θ],
//!
//! ```text
//! ∇_θ L = E_data[∂E(x; θ)/∂θ] − E_model[∂E(x'; θ)/∂θ].
//! ```
//!
//! Z never appears: the second term is an average over samples x' of the
//! model, the *negatives*. [`DensityTrainer`] estimates both terms on
//! minibatches, with negatives from short Langevin runs
//! ([`BatchLangevin`](ebm_mcmc::continuous::BatchLangevin)) started either
//! from noise or from a replay buffer of earlier negatives
//! ([`ReplayBuffer`], Du & Mordatch 2019), adds the energy-magnitude
//! regulariser α(E(x)² + E(x')²) that keeps energies near zero, clips the
//! gradient and steps an [`Optimizer`](crate::optim::Optimizer).
//!
//! [`held_out_log_likelihood`] computes what training cannot: in two dimensions Z is a
//! quadrature away ([`ebm_core::quadrature`]), hence the exact held-out
//! log-likelihood and the KL divergence to a true density; and
//! [`fit_gaussian`] is the baseline every density should beat.

mod evaluate;
mod replay;
mod trainer;

pub use evaluate::{HeldOut, fit_gaussian, held_out_log_likelihood, mean_log_density};
pub use replay::ReplayBuffer;
pub use trainer::{DensityTrainer, IterationReport, TrainingObserver};
