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
//! gradient and steps an [`Optimizer`](crate::optim::Optimizer). It runs on
//! the [`fit`](crate::fit) driver: its [`DensityLearner`] is one minibatch
//! step and holds the buffer and the optimiser's state, so a run can be
//! stopped, checkpointed (for a [`CheckpointedEnergy`]) and resumed bit for
//! bit. Each epoch reports its [`DATA_ENERGY`], [`NEGATIVE_ENERGY`],
//! [`GRADIENT_NORM`] and [`ACCEPTANCE`].
//!
//! ```
//! use ebm_core::quadrature::Grid;
//! use ebm_data::plane::Plane;
//! use ebm_density::{Activation, NeuralEnergy};
//! use ebm_train::density::{DensityTrainer, GRADIENT_NORM, mean_log_density};
//! use ebm_train::optim::OptimizerKind;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
//! let data = Plane::Ring8.sample(2000, &mut rng)?;
//! let points: Vec<f64> = data.rows().flat_map(|r| r.iter().map(|&v| f64::from(v))).collect();
//! let mut energy = NeuralEnergy::new(2, &[32, 32], Activation::Silu, 0.05, &mut rng)?;
//! // 2,000 points in batches of 128: 16 updates an epoch, so 50 updates take 4 epochs.
//! let reports = DensityTrainer::new()
//!     .iterations(50)
//!     .step_size(0.02)
//!     .adjusted(true)
//!     .buffer(2000)
//!     .optimizer(OptimizerKind::adam(2e-3))
//!     .train(&mut energy, &points, &mut [])?;
//! assert_eq!(reports.len(), 4);
//! assert!(reports.iter().all(|r| r.metric(GRADIENT_NORM).is_some_and(f64::is_finite)));
//! let log_z = Grid::square(4.5, 200)?.density(&energy, 1.0)?.log_partition();
//! let log_likelihood = mean_log_density(&energy, log_z, &points)?;
//! assert!(log_likelihood.is_finite());
//! # Ok::<(), ebm_core::Error>(())
//! ```
//!
//! [`held_out_log_likelihood`] computes what training cannot: in two dimensions Z is a
//! quadrature away ([`ebm_core::quadrature`]), hence the exact held-out
//! log-likelihood and the KL divergence to a true density; and
//! [`fit_gaussian`] is the baseline every density should beat.

mod evaluate;
mod learner;
mod points;
mod replay;
mod trainer;

pub use evaluate::{HeldOut, fit_gaussian, held_out_log_likelihood, mean_log_density};
pub use learner::{
    ACCEPTANCE, CheckpointedEnergy, DATA_ENERGY, DensityLearner, GRADIENT_NORM, NEGATIVE_ENERGY,
};
pub use points::Points;
pub use replay::ReplayBuffer;
pub use trainer::DensityTrainer;
