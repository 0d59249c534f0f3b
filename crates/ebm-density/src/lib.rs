//! `ebm-density`: general energy-based models over continuous data.
//!
//! The study note ends with the general EBM: any energy E(x; θ) over
//! x ∈ ℝᵈ defines the density p_θ(x) = exp(−E(x; θ)) / Z(θ). Z is an integral
//! over all of ℝᵈ and out of reach beyond a few dimensions, but ratios
//! p(x)/p(x') = exp(−(E(x) − E(x'))) need no Z, and neither do the samplers
//! of `ebm-mcmc` (Metropolis–Hastings, Langevin, HMC) nor maximum-likelihood
//! training with sampled negatives (`ebm-train`'s `density` module).
//!
//! This crate holds the trainable model: [`NeuralEnergy`], a multilayer
//! perceptron with smooth [`Activation`]s and a fixed confining quadratic,
//! with its gradients in x and in θ written out by hand and batched over
//! points. The closed-form reference energies — the Gaussian
//! [`Quadratic`](ebm_core::Quadratic) and the
//! [`GaussianMixture`](ebm_core::GaussianMixture) — live in `ebm-core`, where
//! the data sets' true densities can use them too. All of them implement
//! the `ebm-core` traits [`ContinuousEnergy`](ebm_core::ContinuousEnergy),
//! [`DifferentiableEnergy`](ebm_core::DifferentiableEnergy) and
//! [`ParametricEnergy`](ebm_core::ParametricEnergy), and are saved with
//! `ebm_core::file`.
//!
//! # Quick start
//!
//! ```
//! use ebm_core::{quadrature::Grid, ContinuousEnergy, ParametricEnergy};
//! use ebm_density::{Activation, NeuralEnergy};
//! use rand::SeedableRng;
//!
//! let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
//! let energy = NeuralEnergy::new(2, &[32, 32], Activation::Silu, 0.5, &mut rng)?;
//! // Ratios need no Z ...
//! let ratio = (-(energy.energy(&[0.0, 0.0]) - energy.energy(&[1.0, 0.0]))).exp();
//! assert!(ratio > 0.0);
//! // ... and in two dimensions Z itself is a quadrature away.
//! let density = Grid::square(8.0, 200)?.density(&energy, 1.0)?;
//! assert!(density.log_partition().is_finite());
//! // The parameter gradient Σᵢ cᵢ ∂E(xᵢ)/∂θ, here for one point with c = 1.
//! let mut gradient = vec![0.0; energy.num_parameters()];
//! energy.parameter_gradient(&[0.5, 0.5], &mut [0.0], &mut |_, _| 1.0, &mut gradient);
//! # Ok::<(), ebm_core::Error>(())
//! ```

mod activation;
mod neural;

pub use activation::Activation;
pub use neural::{MAX_PARAMETERS, NeuralEnergy};
