//! The Gaussian–Bernoulli RBM: real visible units v ∈ ℝⁿ, binary hidden
//! units h ∈ {0,1}ᵐ and a standard deviation σᵢ > 0 per visible unit
//! (Hinton, 2010; Cho, Ilin and Raiko, 2011).
//!
//! **Energy.** With weights W (n × m), visible biases a and hidden biases b,
//!
//! E(v, h) = Σᵢ (vᵢ − aᵢ)² / (2σᵢ²) − Σᵢⱼ (vᵢ/σᵢ) Wᵢⱼ hⱼ − bᵀh,
//!
//! and p(v, h) = e^{−E(v, h)} / Z, a density in v (so log p(v) is in nats
//! per unit volume and may be positive).
//!
//! **Conditionals.** E is linear in h, so given v the hidden units are
//! independent: P(hⱼ = 1 | v) = σ(bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ) (σ(·) the logistic
//! function). Given h, E is a sum of one quadratic per visible unit;
//! completing the square,
//!
//! (vᵢ − aᵢ)²/(2σᵢ²) − vᵢ cᵢ/σᵢ = (vᵢ − aᵢ − σᵢcᵢ)²/(2σᵢ²) − aᵢcᵢ/σᵢ − cᵢ²/2,  c = Wh,
//!
//! so vᵢ | h ~ N(aᵢ + σᵢ cᵢ, σᵢ²), independently.
//!
//! **Free energy.** Summing h out, F(v) = −log Σ_h e^{−E(v, h)} =
//! Σᵢ (vᵢ − aᵢ)²/(2σᵢ²) − Σⱼ softplus(bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ), and p(v) = e^{−F(v)}/Z.
//!
//! **Exact log Z.** Integrating v out instead, with the completed square
//! above, ∫ e^{−E(v, h)} dv = e^{bᵀh} Πᵢ √(2π) σᵢ exp(aᵢcᵢ/σᵢ + cᵢ²/2), so
//!
//! log Z = log Σ_h exp(bᵀh + Σᵢ [aᵢcᵢ/σᵢ + cᵢ²/2]) + Σᵢ log(√(2π) σᵢ),  c = Wh:
//!
//! a sum over the 2ᵐ hidden states only, whatever the number of visible
//! units ([`partition::log_partition`]). The marginal p(v) is therefore a
//! mixture of 2ᵐ Gaussians with the common covariance diag(σ²) and means
//! a + σ ⊙ Wh, weighted by the terms of that sum.
//!
//! **Learned variances** are parameterised by zᵢ = log σᵢ² (Cho et al.),
//! which keeps σᵢ > 0 under any update; [`GaussianRbm`] stores z.
//!
//! **AIS** ([`ais`]) anneals from independent Gaussians to the model.

pub mod ais;
mod model;
pub mod partition;

pub use model::{GaussianParameters, GaussianRbm, MAX_LOG_VARIANCE};

#[cfg(test)]
mod tests;
