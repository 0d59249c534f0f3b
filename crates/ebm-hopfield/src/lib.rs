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
//! - [`analysis`]: overlaps, classification of final states, basin-of-attraction curves;
//! - [`capacity`]: retrieval against load for any storage rule, and the critical load.

pub mod analysis;
pub mod batch;
pub mod capacity;
pub mod dense;
pub mod modern;
pub mod network;
pub mod stochastic;
#[cfg(test)]
mod test_support;

pub use network::{Hopfield, Outcome, Recall, RecallOptions, Update};
