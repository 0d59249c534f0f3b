//! `ebm`: energy-based models in Rust — the facade over the workspace.
//!
//! The core types are re-exported at the top level from `ebm-core`:
//!
//! - states: [`Domain`], [`Spins`], [`Bits`], [`State`] (and its unit types);
//! - the energy traits: [`DiscreteEnergy`], [`PairwiseEnergy`],
//!   [`ContinuousEnergy`], [`DifferentiableEnergy`], [`ParametricEnergy`];
//! - pairwise models: [`PairwiseModel`], [`DensePairwise`], [`SparsePairwise`]
//!   and their [`Couplings`]; the periodic Ising lattice [`SquareLattice`];
//!   the continuous [`Quadratic`] and [`GaussianMixture`] energies;
//! - [`exact`] enumeration, [`kaufman`]'s exact lattice log Z, random
//!   [`spin_glass`]es and [`planted`] ones, [`quadrature`] over the plane,
//!   the stable [`math`] functions;
//! - the model-file format: [`file`](mod@file) and its [`ModelFile`] trait;
//! - [`Error`], [`FileError`] and [`Result`].
//!
//! Each upper layer is a module:
//!
//! - [`data`]: data sets (bars and stripes, random patterns, IDX/MNIST);
//! - [`mcmc`]: samplers and chain diagnostics;
//! - [`hopfield`]: Hopfield networks and associative memories;
//! - [`boltzmann`]: Boltzmann machines;
//! - [`density`]: general continuous energies (the neural energy);
//! - [`train`]: learning algorithms; the trainers' shared SGD settings are
//!   set through [`train::SgdBuilder`].
//!
//! [`prelude`] gathers what almost every training program names.
//!
//! Depend on a single `ebm-*` crate instead when you need only that layer,
//! on `ebm-core` for what the facade leaves out (gradient checks, the
//! validation helpers for new models), and on `ebm-kernels` for the fast
//! kernels of products with binary states.
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

pub use ebm_core::file::ModelFile;
pub use ebm_core::{
    BitUnits, Bits, ContinuousEnergy, Couplings, DenseCouplings, DensePairwise, DifferentiableEnergy,
    DiscreteEnergy, Domain, Error, FileError, GaussianMixture, PairwiseEnergy, PairwiseModel,
    ParametricEnergy, Quadratic, Result, SparseCouplings, SparsePairwise, SpinUnits, Spins, SquareLattice,
    State, UnitDomain,
};
pub use ebm_core::{exact, file, kaufman, math, planted, quadrature, spin_glass};

pub use ebm_boltzmann as boltzmann;
pub use ebm_data as data;
pub use ebm_density as density;
pub use ebm_hopfield as hopfield;
pub use ebm_mcmc as mcmc;
pub use ebm_train as train;

pub mod prelude {
    //! The items almost every training program names: `use ebm::prelude::*;`.
    //!
    //! The error type and its [`Result`] (whose error type defaults to
    //! [`Error`], so `Result<T, E>` keeps meaning the standard one), the unit
    //! [`Domain`], the seeded generator [`seeded`], the [`BernoulliRbm`] and its
    //! [`RbmTrainer`] with its [`Negatives`], the shared SGD settings ([`SgdBuilder`],
    //! [`LearningRate`]) and the observers of a run ([`Observer`], [`Moment`],
    //! [`Control`], [`EachEpoch`]).
    //!
    //! ```
    //! use ebm::data::bars_stripes;
    //! use ebm::prelude::*;
    //!
    //! /// Stops the run once the reconstruction error is below `target`.
    //! struct StopBelow {
    //!     target: f64,
    //! }
    //!
    //! impl Observer<BernoulliRbm> for StopBelow {
    //!     fn observe(&mut self, moment: Moment<'_>, _: &BernoulliRbm) -> Result<Control> {
    //!         let Moment::Epoch(report) = moment else { return Ok(Control::Continue) };
    //!         let error = report.metric(ebm::train::rbm::RECONSTRUCTION_ERROR);
    //!         Ok(if error.is_some_and(|e| e < self.target) { Control::Stop } else { Control::Continue })
    //!     }
    //! }
    //!
    //! // All 6 bars and stripes of the 2×2 grid, as rows of 0/1 pixels.
    //! let data = bars_stripes::all(2, Domain::Bit)?.to_matrix();
    //! let mut rbm = BernoulliRbm::random(4, 4, 0.01, &mut seeded(7))?;
    //! let reports = RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 })
    //!     .learning_rate(LearningRate::Constant(0.1))
    //!     .batch_size(2)
    //!     .epochs(5)
    //!     .seed(7)
    //!     .train(&mut rbm, &data, &mut [&mut StopBelow { target: 0.0 }])?;
    //! assert_eq!(reports.len(), 5);
    //! let last = reports[4].metric(ebm::train::rbm::RECONSTRUCTION_ERROR).expect("tracked by default");
    //! assert!(last.is_finite());
    //!
    //! // The same call without observers, as most programs start.
    //! RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 }).epochs(5).train(&mut rbm, &data, &mut [])?;
    //! # Ok::<(), ebm::Error>(())
    //! ```

    pub use ebm_boltzmann::BernoulliRbm;
    pub use ebm_core::{Domain, Error, Result};
    pub use ebm_mcmc::rng::seeded;
    pub use ebm_train::fit::{Control, EachEpoch, Moment, Observer};
    pub use ebm_train::rbm::{Negatives, RbmTrainer};
    pub use ebm_train::{LearningRate, SgdBuilder};
}
