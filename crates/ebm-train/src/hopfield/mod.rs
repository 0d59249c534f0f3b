//! Iterative Hopfield storage: rules that improve the weights step by step
//! until the patterns are held.
//!
//! The closed-form rules — Hebbian, Storkey, pseudo-inverse — are formulas
//! of the patterns and live with the model in
//! [`ebm_hopfield::storage`], together with the validated pattern input
//! ([`Patterns`](ebm_hopfield::storage::Patterns)) the rules here share;
//! stabilities are in [`ebm_hopfield::stability`] and the one fixed-point
//! test is [`Hopfield::is_fixed_point`](ebm_hopfield::Hopfield::is_fixed_point).
//! Here are the rules that optimise:
//!
//! | rule | weights | stores |
//! |---|---|---|
//! | [`Perceptron`] | symmetric perceptron updates until every γ_i > κ | at least what the projection rule stores, with a chosen margin κ |
//! | [`contrastive::ContrastiveHopfield`] | the study note's optimisation: lower E(ξ), raise E of the states the dynamics drifts to | well beyond Hebbian (0.3 N in the tests) |
//!
//! Both return zero-diagonal couplings over ±1 spins, and both start from
//! W = 0.
//!
//! ```
//! use ebm_hopfield::stability::min_stability;
//! use ebm_mcmc::rng::seeded;
//! use ebm_train::hopfield::Perceptron;
//!
//! let patterns = [vec![1, 1, 1, 1, -1, -1, -1, -1], vec![1, 1, -1, -1, 1, 1, -1, -1]];
//! let (model, report) = Perceptron::new().margin(0.5).store(&patterns, &mut seeded(0))?;
//! assert!(report.converged && min_stability(&model, &patterns)? > 0.5);
//! # Ok::<(), ebm_core::Error>(())
//! ```

pub mod contrastive;
mod perceptron;

pub use perceptron::{Perceptron, PerceptronReport};
