//! Test series with known autocorrelation.

use crate::rng::seeded;
use rand::RngExt;
use rand_distr::StandardNormal;

/// A stationary AR(1) series x_t = φ x_{t−1} + √(1 − φ²) ε_t with ε_t ~ N(0, 1)
/// and x_0 ~ N(0, 1): unit variance, ρ(t) = φ^t.
pub(crate) fn ar1(phi: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = seeded(seed);
    let innovation = (1.0 - phi * phi).sqrt();
    let mut x: f64 = rng.sample(StandardNormal);
    (0..n)
        .map(|_| {
            let current = x;
            x = phi * x + innovation * rng.sample::<f64, _>(StandardNormal);
            current
        })
        .collect()
}

/// τ = 1 + 2 Σ_{t≥1} φ^t = (1 + φ)/(1 − φ) of the AR(1) series.
pub(crate) fn ar1_tau(phi: f64) -> f64 {
    (1.0 + phi) / (1.0 - phi)
}
