//! Annealed importance sampling (AIS): log Z of a model from a base model
//! whose log Z is known (Neal, 2001; Salakhutdinov and Murray, 2008).
//!
//! **The path.** Unnormalised densities f_β, 0 ≤ β ≤ 1 (written p*_β in the
//! model modules), lead from the base f₀ = Z₀ p₀, which can be sampled and
//! whose Z₀ is known, to the model f₁ = Z p. For a schedule
//! 0 = β₀ < β₁ < … < β_K = 1 write f_k = f_{β_k} and let T_k be a
//! transition (here one Gibbs step) that leaves p_k = f_k / Z_k invariant.
//!
//! **A run.** Draw x₀ from p₀; for k = 1 … K − 1 draw x_k from T_k(x_{k−1}, ·).
//! Its importance weight is
//!
//! w = Π_{k=0}^{K−1} f_{k+1}(x_k) / f_k(x_k),
//!
//! the run's probability under a reversed chain started at the model over its
//! probability under the forward chain, so E\[w\] = Z_K / Z₀ = Z / Z₀ exactly,
//! whatever the schedule and however well the chain mixes (a poor schedule
//! shows as spread weights, not as bias).
//!
//! **The estimate.** M independent runs give
//!
//! Z / Z₀ ≈ (1/M) Σ_m Π_k f_{k+1}(x_k^{(m)}) / f_k(x_k^{(m)}),
//!
//! computed in log space: each run adds the increments
//! log f_{k+1}(x_k) − log f_k(x_k) to its log weight, and
//! log Ẑ = log Z₀ + log-mean-exp(log w). Ẑ is unbiased; log Ẑ is biased
//! low by Jensen's inequality, by about Var(w) / (2M E\[w\]²).
//!
//! **Here.** [`AnnealingPath`] is what differs between models — the base
//! draw and log Z₀, the increment, the transition; [`run`] is the rest —
//! the runs over a schedule ([`AisOptions`]), in parallel and reproducible
//! for any number of threads, and the estimate with its error bar
//! ([`AisEstimate`]). The Bernoulli RBM ([`rbm::ais`](crate::rbm::ais)), the
//! Gaussian–Bernoulli RBM ([`rbm::gaussian::ais`](crate::rbm::gaussian::ais))
//! and the DBM ([`dbm::ais`](crate::dbm::ais)) are paths.

mod driver;
mod estimate;
mod path;
mod schedule;

pub use driver::{RUNS_PER_CHUNK, run};
pub use estimate::AisEstimate;
pub use path::AnnealingPath;
pub use schedule::AisOptions;

#[cfg(test)]
mod tests;
