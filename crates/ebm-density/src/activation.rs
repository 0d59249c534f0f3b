//! Smooth activation functions φ and their derivatives φ'.

use ebm_core::math::{sigmoid, softplus};
use serde::{Deserialize, Serialize};

/// A smooth activation. Smoothness matters: Langevin dynamics and HMC follow
/// ∇ₓE, and a kink (ReLU) gives a gradient field with jumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// φ(z) = log(1 + eᶻ), φ'(z) = σ(z).
    Softplus,
    /// SiLU (swish) φ(z) = z σ(z), φ'(z) = σ(z) (1 + z (1 − σ(z))).
    Silu,
    /// φ(z) = tanh z, φ'(z) = 1 − tanh² z.
    Tanh,
}

impl Activation {
    /// φ(z).
    #[inline]
    pub fn value(self, z: f64) -> f64 {
        match self {
            Activation::Softplus => softplus(z),
            Activation::Silu => z * sigmoid(z),
            Activation::Tanh => z.tanh(),
        }
    }

    /// (φ(z), φ'(z)) together, sharing the one exponential they need.
    #[inline]
    pub fn value_and_derivative(self, z: f64) -> (f64, f64) {
        match self {
            Activation::Softplus => (softplus(z), sigmoid(z)),
            Activation::Silu => {
                let s = sigmoid(z);
                (z * s, s * (1.0 + z * (1.0 - s)))
            }
            Activation::Tanh => {
                let t = z.tanh();
                (t, 1.0 - t * t)
            }
        }
    }

    /// φ'(z).
    #[inline]
    pub fn derivative(self, z: f64) -> f64 {
        match self {
            Activation::Softplus => sigmoid(z),
            Activation::Silu => {
                let s = sigmoid(z);
                s * (1.0 + z * (1.0 - s))
            }
            Activation::Tanh => 1.0 - z.tanh().powi(2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn derivatives_match_finite_differences(z in -30.0f64..30.0) {
            for a in [Activation::Softplus, Activation::Silu, Activation::Tanh] {
                let h = 1e-6;
                let fd = (a.value(z + h) - a.value(z - h)) / (2.0 * h);
                prop_assert!((fd - a.derivative(z)).abs() < 1e-6, "{:?} at {}: {} vs {}", a, z, fd, a.derivative(z));
                prop_assert_eq!(a.value_and_derivative(z), (a.value(z), a.derivative(z)));
            }
        }
    }
}
