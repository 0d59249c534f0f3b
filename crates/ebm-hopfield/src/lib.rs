//! `ebm-hopfield`: Hopfield networks and associative memories.
//!
//! - [`network`]: the classical network on ±1 units over any `ebm-core`
//!   pairwise model — sequential, random-order and synchronous updates with
//!   incrementally kept local fields, recall to a fixed point or two-cycle;
//! - [`batch`]: parallel recall of many probes, and synchronous recall of a
//!   batch as one matrix product per step;
//! - [`stochastic`]: Glauber dynamics at temperature T and annealed recall;
//! - [`dense`]: dense associative memory, E = −Σ_μ F(ξ^μ·σ) with polynomial or
//!   exponential F, and its update rule;
//! - [`modern`]: the continuous modern Hopfield network ξ ← X softmax(β Xᵀξ),
//!   its energy and gradient, retrieval and metastable averages;
//! - [`storage`]: the closed-form storage rules — Hebbian, Storkey,
//!   pseudo-inverse — and the validated pattern input every rule shares;
//! - [`stability`]: stabilities γ_i = ξ_i h_i, how firmly a model holds a pattern;
//! - [`analysis`]: overlaps, classification of final states, basin-of-attraction curves;
//! - [`capacity`]: retrieval against load for any storage rule, and the critical load;
//! - [`mod@file`]: a network of pictures with its stored patterns as a model file (kind `hopfield`).
//!
//! Iterative storage — the symmetric perceptron and the study note's storage
//! by optimisation — changes parameters step by step and lives in
//! `ebm-train` (see [`storage`] for the rule).
//!
//! ```
//! use ebm_hopfield::storage::hebbian;
//! use ebm_hopfield::{Hopfield, Outcome, RecallOptions};
//! use ebm_mcmc::rng::seeded;
//!
//! let patterns = [vec![1, 1, 1, 1, -1, -1, -1, -1], vec![1, -1, 1, -1, 1, -1, 1, -1]];
//! let net = Hopfield::new(hebbian(&patterns)?)?;
//! // Pattern 0 with its first unit flipped falls back into pattern 0.
//! let probe = [-1, 1, 1, 1, -1, -1, -1, -1];
//! let recall = net.recall(&probe, &RecallOptions::default(), &mut seeded(0))?;
//! assert_eq!((recall.outcome, recall.state.as_slice()), (Outcome::FixedPoint, &patterns[0][..]));
//! # Ok::<(), ebm_core::Error>(())
//! ```

pub mod analysis;
pub mod batch;
pub mod capacity;
pub mod dense;
pub mod file;
pub mod modern;
pub mod network;
pub mod stability;
pub mod stochastic;
pub mod storage;
#[cfg(test)]
mod test_support;

pub use network::{Hopfield, Outcome, Recall, RecallOptions, Update};
