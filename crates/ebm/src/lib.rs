//! `ebm`: energy-based models in Rust — the facade over the workspace.
//!
//! The core types (states, energy traits, pairwise models, lattices, exact
//! enumeration, the model-file format) are re-exported at the top level from
//! `ebm-core`; each upper layer is a module:
//!
//! - [`data`]: data sets (bars and stripes, random patterns, IDX/MNIST);
//! - [`mcmc`]: samplers and chain diagnostics;
//! - [`hopfield`]: Hopfield networks and associative memories;
//! - [`boltzmann`]: Boltzmann machines;
//! - [`density`]: general continuous energies (the neural energy);
//! - [`train`]: learning algorithms; the trainers' shared SGD settings are
//!   set through [`train::SgdBuilder`] (`use ebm::train::SgdBuilder;`).
//!
//! Depend on a single `ebm-*` crate instead when you need only that layer.
//!
//! ```
//! use ebm::{exact, SquareLattice};
//!
//! // The 3×3 periodic Ising lattice at T = 2: log Z by enumeration of 2⁹ states.
//! let model = SquareLattice::square(3).build()?;
//! let log_z = exact::log_partition(&model, 2.0)?;
//! assert!((log_z - ebm::kaufman::ising_log_partition(3, 3, 1.0, 2.0)?).abs() < 1e-10);
//! # Ok::<(), ebm::Error>(())
//! ```

pub use ebm_core::*;

pub use ebm_boltzmann as boltzmann;
pub use ebm_data as data;
pub use ebm_density as density;
pub use ebm_hopfield as hopfield;
pub use ebm_mcmc as mcmc;
pub use ebm_train as train;
