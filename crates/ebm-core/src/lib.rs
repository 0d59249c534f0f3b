//! `ebm-core`: the ground floor of the ebm workspace.
//!
//! It holds what every energy-based model shares:
//!
//! - [`state`]: discrete state vectors, ±1 [`Spins`] and 0/1 [`Bits`];
//! - [`energy`]: the traits samplers and trainers see models through —
//!   [`DiscreteEnergy`] (energy and flip energy), [`PairwiseEnergy`] (local
//!   fields and couplings), [`ContinuousEnergy`] and [`DifferentiableEnergy`];
//! - [`PairwiseModel`]: E(s) = −½ sᵀWs − bᵀs + c with dense
//!   ([`DenseCouplings`]) or sparse ([`SparseCouplings`]) symmetric couplings,
//!   validated on construction, and the change of variables between ±1 and 0/1 units;
//! - [`SquareLattice`]: the periodic 2-D Ising model, and [`kaufman`]: its exact
//!   log Z at zero field for lattices far beyond enumeration;
//! - [`spin_glass`]: random fully connected models (Sherrington–Kirkpatrick);
//! - [`planted`]: frustrated-loop spin glasses on the lattice with a known
//!   ground state, for testing annealers beyond enumeration;
//! - [`Quadratic`]: the Gaussian energy over ℝᵈ, also trainable through
//!   [`ParametricEnergy`];
//! - [`GaussianMixture`]: the mixture of diagonal Gaussians, a normalised
//!   energy with exact draws and moments, also trainable;
//! - [`quadrature`]: log Z, normalised densities and KL divergences of
//!   energies over the plane by the midpoint rule on a grid;
//! - [`exact`]: enumeration of small models — log Z, probabilities, means,
//!   correlations, ground states — stable at low temperature and parallel;
//! - [`math`]: log-sum-exp, sigmoid, softplus, log-sigmoid without overflow
//!   (the f32 sigmoid on the lanes of `ebm-kernels`, which holds the fast
//!   kernels of products with binary states);
//! - [`file`](mod@file): the versioned, checksummed model-file format with atomic
//!   writes, and JSON export;
//! - [`worst`]: the largest of many errors, keeping NaN (for checks and tests);
//! - [`Error`]: the error type, which says what was wrong and where.
//!
//! Convention: lower energy is more probable, P(s) = exp(−E(s)/T) / Z.
//!
//! # Quick start
//!
//! ```
//! use ebm_core::{exact, DenseCouplings, DensePairwise, DiscreteEnergy, Domain};
//! use nalgebra::DMatrix;
//!
//! // Two ferromagnetically coupled spins with a small field on the first.
//! let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
//! let model = DensePairwise::new(Domain::Spin, DenseCouplings::new(w)?, vec![0.25, 0.0])?;
//! assert_eq!(model.energy(&[1, 1]), -1.25);
//!
//! let summary = exact::summarize(&model, &exact::ExactOptions::new().temperature(1.0))?;
//! // Z = e^{1.25} + e^{0.75} + e^{-0.75} + e^{-1.25}
//! let z: f64 = [1.25f64, 0.75, -0.75, -1.25].iter().map(|x| x.exp()).sum();
//! assert!((summary.log_z - z.ln()).abs() < 1e-12);
//! # Ok::<(), ebm_core::Error>(())
//! ```

pub mod couplings;
pub mod energy;
pub mod error;
pub mod exact;
pub mod file;
pub mod gradient_check;
pub mod kaufman;
pub mod lattice;
pub mod math;
pub mod mixture;
pub mod pairwise;
pub mod planted;
pub mod quadratic;
pub mod quadrature;
pub mod spin_glass;
pub mod state;
pub mod worst;

pub use couplings::{Couplings, DenseCouplings, SparseCouplings};
pub use energy::{ContinuousEnergy, DifferentiableEnergy, DiscreteEnergy, PairwiseEnergy, ParametricEnergy};
pub use error::{Error, FileError, Result};
pub use lattice::SquareLattice;
pub use mixture::GaussianMixture;
pub use pairwise::{DensePairwise, PairwiseModel, SparsePairwise};
pub use quadratic::Quadratic;
pub use state::{BitUnits, Bits, Domain, SpinUnits, Spins, State, UnitDomain};
