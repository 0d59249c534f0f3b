//! `ebm-kernels`: the fast kernels under the ebm workspace.
//!
//! Products with binary states are the hot loops of Boltzmann-machine
//! training; this crate holds what makes them fast, apart from the models:
//!
//! - [`binary`]: [`BinaryRows`], a 0/1 matrix kept as the positions of its ones;
//! - [`panels`]: [`Panels`], a matrix stored in cache-sized strips, and its
//!   product with a 0/1 matrix as sums of selected columns
//!   ([`sum_selected_columns`](panels::sum_selected_columns)) — the fast path
//!   of every product with binary states;
//! - [`lanes`]: the lane-by-lane f32 arithmetic the single-precision sigmoid
//!   is written in, one definition for a single value and, where the build
//!   has AVX-512F, for 16 values in one register;
//! - [`workers`]: training loops of many short parallel steps, run with
//!   rayon's workers kept awake between the steps.
//!
//! Every kernel gives the same bits whatever the vector width the build
//! targets and whatever the thread count.
//!
//! # Quick start
//!
//! ```
//! use ebm_kernels::{BinaryRows, Panels};
//! use ebm_kernels::panels::sum_selected_columns;
//! use nalgebra::DMatrix;
//!
//! // T (2 × 3) times Bᵀ for the 0/1 matrix B (2 × 3): each output column
//! // is the sum of the columns of T that the row of B selects.
//! let t = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
//! let b = DMatrix::from_row_slice(2, 3, &[1.0, 0.0, 1.0, 0.0, 1.0, 1.0]);
//! let mut table = Panels::default();
//! table.copy_from_matrix(&t);
//! let selection = BinaryRows::from_matrix(&b).expect("0/1 entries");
//!
//! let mut out = Panels::default();
//! sum_selected_columns(&table, &selection, &mut out, |_, _| {});
//! let mut product = DMatrix::zeros(0, 0);
//! out.write_to(&mut product);
//! assert_eq!(product, &t * b.transpose());
//! ```

mod aligned;
pub mod binary;
pub mod lanes;
pub mod panels;
pub mod workers;

pub use binary::BinaryRows;
pub use panels::{PANEL, Panels};
pub use workers::with_workers_awake;
