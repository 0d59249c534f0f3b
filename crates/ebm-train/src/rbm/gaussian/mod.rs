//! Training Gaussian–Bernoulli RBMs ([`GaussianRbm`](ebm_boltzmann::GaussianRbm))
//! by stochastic gradient ascent on the log-likelihood, in the
//! parameterisation (W, a, b, z) with z = log σ².
//!
//! For a data point v, ∂ log p(v)/∂θ = E_{P(h|v)}[−∂E/∂θ] − E_{p(v,h)}[−∂E/∂θ],
//! and with E = Σᵢ (vᵢ − aᵢ)²/(2σᵢ²) − Σᵢⱼ (vᵢ/σᵢ)Wᵢⱼhⱼ − bᵀh, σᵢ = e^{zᵢ/2},
//!
//! - −∂E/∂Wᵢⱼ = (vᵢ/σᵢ) hⱼ,
//! - −∂E/∂aᵢ = (vᵢ − aᵢ)/σᵢ²,
//! - −∂E/∂bⱼ = hⱼ,
//! - −∂E/∂zᵢ = ½ (vᵢ − aᵢ)²/σᵢ² − ½ (vᵢ/σᵢ)(Wh)ᵢ.
//!
//! Every term is linear in h, so the data term replaces h by P(h = 1 | v)
//! exactly ([`statistics`]). The model term is exact by enumerating the
//! hidden layer for small models ([`exact_gradient`]) and sampled otherwise:
//! CD-k or persistent chains ([`GaussianTrainer`]).

mod gradient;
mod trainer;

pub use gradient::{
    GaussianGradient, MAX_EXACT_HIDDEN, exact_average_log_likelihood, exact_gradient, statistics,
};
pub use trainer::{GaussianLearner, GaussianNegatives, GaussianTrainer};

#[cfg(test)]
mod tests;
