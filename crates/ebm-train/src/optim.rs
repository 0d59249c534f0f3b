//! First-order optimisers over a flat parameter vector θ ∈ ℝᵖ, and gradient
//! clipping. Each step *descends*: it moves θ against the gradient g of the
//! loss being minimised.

use ebm_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// A rule θ ← θ − update(g) with its own state (velocities, moments).
pub trait Optimizer {
    /// One step on `parameters` with gradient `gradient` (same length as
    /// the vector the optimiser was made for).
    fn step(&mut self, parameters: &mut [f64], gradient: &[f64]);

    /// Replaces the learning rate η (for schedules).
    fn set_learning_rate(&mut self, learning_rate: f64);
}

/// Which optimiser, with its hyper-parameters (validated by [`build`](Self::build)).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum OptimizerKind {
    /// [`Sgd`] with learning rate η and momentum μ.
    Sgd {
        /// η.
        learning_rate: f64,
        /// μ ∈ [0, 1).
        momentum: f64,
    },
    /// [`Adam`] with learning rate η and the usual β₁ = 0.9, β₂ = 0.999 (or those given).
    Adam {
        /// η.
        learning_rate: f64,
        /// β₁ ∈ [0, 1).
        beta1: f64,
        /// β₂ ∈ [0, 1).
        beta2: f64,
    },
}

impl OptimizerKind {
    /// Adam with learning rate η, β₁ = 0.9 and β₂ = 0.999.
    pub fn adam(learning_rate: f64) -> Self {
        OptimizerKind::Adam { learning_rate, beta1: 0.9, beta2: 0.999 }
    }

    /// Plain SGD with learning rate η.
    pub fn sgd(learning_rate: f64) -> Self {
        OptimizerKind::Sgd { learning_rate, momentum: 0.0 }
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        match *self {
            OptimizerKind::Sgd { learning_rate, .. } | OptimizerKind::Adam { learning_rate, .. } => {
                learning_rate
            }
        }
    }

    /// Checks the hyper-parameters.
    pub fn check(&self) -> Result<()> {
        let unit = |what: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::invalid(what, format!("must lie in [0, 1), got {v}")))
            }
        };
        ebm_core::error::check_positive("learning rate", self.learning_rate())?;
        match *self {
            OptimizerKind::Sgd { momentum, .. } => unit("momentum", momentum),
            OptimizerKind::Adam { beta1, beta2, .. } => unit("Adam β₁", beta1).and(unit("Adam β₂", beta2)),
        }
    }

    /// The optimiser for `parameters` parameters, after [`check`](Self::check),
    /// its state (velocity or moments) zero.
    pub fn build(&self, parameters: usize) -> Result<OptimizerState> {
        self.check()?;
        Ok(match *self {
            OptimizerKind::Sgd { learning_rate, momentum } => {
                OptimizerState::Sgd(Sgd { learning_rate, momentum, velocity: vec![0.0; parameters] })
            }
            OptimizerKind::Adam { learning_rate, beta1, beta2 } => OptimizerState::Adam(Adam {
                learning_rate,
                beta1,
                beta2,
                epsilon: 1e-8,
                first: vec![0.0; parameters],
                second: vec![0.0; parameters],
                steps: 0,
            }),
        })
    }
}

/// An optimiser of either kind with its state — the velocity, or Adam's
/// moments and step count — as a learner carries it from step to step and
/// a checkpoint saves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum OptimizerState {
    /// SGD with momentum.
    Sgd(Sgd),
    /// Adam.
    Adam(Adam),
}

impl OptimizerState {
    /// The kind and hyper-parameters.
    pub fn kind(&self) -> OptimizerKind {
        match self {
            OptimizerState::Sgd(sgd) => {
                OptimizerKind::Sgd { learning_rate: sgd.learning_rate, momentum: sgd.momentum }
            }
            OptimizerState::Adam(adam) => OptimizerKind::Adam {
                learning_rate: adam.learning_rate,
                beta1: adam.beta1,
                beta2: adam.beta2,
            },
        }
    }

    /// Checks, for a state read back from a checkpoint, the
    /// hyper-parameters, and that the state is finite and sized for
    /// `parameters` parameters.
    pub fn check(&self, parameters: usize) -> Result<()> {
        self.kind().check()?;
        let vectors: Vec<&[f64]> = match self {
            OptimizerState::Sgd(sgd) => vec![&sgd.velocity],
            OptimizerState::Adam(adam) => {
                if !(adam.epsilon.is_finite() && adam.epsilon > 0.0 && adam.steps >= 0) {
                    return Err(Error::invalid("Adam state", "ε must be positive and the step count ≥ 0"));
                }
                vec![&adam.first, &adam.second]
            }
        };
        for vector in vectors {
            if vector.len() != parameters {
                return Err(Error::shape("optimiser state", parameters, vector.len()));
            }
            ebm_core::error::check_finite("optimiser state", vector)?;
        }
        Ok(())
    }
}

impl Optimizer for OptimizerState {
    fn step(&mut self, parameters: &mut [f64], gradient: &[f64]) {
        match self {
            OptimizerState::Sgd(sgd) => sgd.step(parameters, gradient),
            OptimizerState::Adam(adam) => adam.step(parameters, gradient),
        }
    }

    fn set_learning_rate(&mut self, learning_rate: f64) {
        match self {
            OptimizerState::Sgd(sgd) => sgd.set_learning_rate(learning_rate),
            OptimizerState::Adam(adam) => adam.set_learning_rate(learning_rate),
        }
    }
}

/// Stochastic gradient descent with momentum: v ← μ v + g, θ ← θ − η v.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    learning_rate: f64,
    momentum: f64,
    velocity: Vec<f64>,
}

impl Optimizer for Sgd {
    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn step(&mut self, parameters: &mut [f64], gradient: &[f64]) {
        for ((theta, v), g) in parameters.iter_mut().zip(&mut self.velocity).zip(gradient) {
            *v = self.momentum * *v + g;
            *theta -= self.learning_rate * *v;
        }
    }
}

/// Adam (Kingma & Ba 2015): with t the step count,
///
/// ```text
/// m ← β₁ m + (1 − β₁) g,    s ← β₂ s + (1 − β₂) g²,
/// θ ← θ − η m̂ / (√ŝ + ε),   m̂ = m / (1 − β₁ᵗ),   ŝ = s / (1 − β₂ᵗ),
/// ```
///
/// so each coordinate moves by about η whatever the scale of its gradient,
/// which suits energies whose parameters have gradients of very different sizes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    learning_rate: f64,
    beta1: f64,
    beta2: f64,
    epsilon: f64,
    first: Vec<f64>,
    second: Vec<f64>,
    steps: i32,
}

impl Optimizer for Adam {
    fn set_learning_rate(&mut self, learning_rate: f64) {
        self.learning_rate = learning_rate;
    }

    fn step(&mut self, parameters: &mut [f64], gradient: &[f64]) {
        self.steps = self.steps.saturating_add(1);
        let c1 = 1.0 - self.beta1.powi(self.steps);
        let c2 = 1.0 - self.beta2.powi(self.steps);
        for (((theta, m), s), g) in
            parameters.iter_mut().zip(&mut self.first).zip(&mut self.second).zip(gradient)
        {
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *s = self.beta2 * *s + (1.0 - self.beta2) * g * g;
            *theta -= self.learning_rate * (*m / c1) / ((*s / c2).sqrt() + self.epsilon);
        }
    }
}

/// Scales `gradient` down to Euclidean norm `max_norm` if it is longer, and
/// returns its norm before clipping.
pub fn clip_norm(gradient: &mut [f64], max_norm: f64) -> f64 {
    let norm = gradient.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm && norm.is_finite() {
        let scale = max_norm / norm;
        gradient.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minimises f(θ) = ½ Σ a_i (θ_i − c_i)² from θ = 0.
    fn minimise(kind: OptimizerKind, steps: usize) -> Vec<f64> {
        let (a, c) = ([1.0, 10.0, 0.1], [1.0, -2.0, 3.0]);
        let mut theta = vec![0.0; 3];
        let mut optimizer = kind.build(3).unwrap();
        for _ in 0..steps {
            let g: Vec<f64> = (0..3).map(|i| a[i] * (theta[i] - c[i])).collect();
            optimizer.step(&mut theta, &g);
        }
        theta
    }

    #[test]
    fn both_optimisers_find_the_minimum_of_a_quadratic() {
        for kind in [OptimizerKind::Sgd { learning_rate: 0.09, momentum: 0.5 }, OptimizerKind::adam(0.05)] {
            let theta = minimise(kind, 3000);
            for (t, c) in theta.iter().zip([1.0, -2.0, 3.0]) {
                assert!((t - c).abs() < 1e-3, "{kind:?}: {theta:?}");
            }
        }
    }

    #[test]
    fn adam_moves_each_coordinate_by_about_the_learning_rate_at_first() {
        let mut theta = vec![0.0; 2];
        let mut adam = OptimizerKind::adam(0.01).build(2).unwrap();
        adam.step(&mut theta, &[1e-4, 1e4]);
        assert!((theta[0] + 0.01).abs() < 1e-6 && (theta[1] + 0.01).abs() < 1e-6, "{theta:?}");
    }

    #[test]
    fn clipping_bounds_the_norm_and_keeps_the_direction() {
        let mut g = vec![3.0, 4.0];
        assert_eq!(clip_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-12 && (g[1] - 0.8).abs() < 1e-12);
        let mut small = vec![0.3, 0.4];
        clip_norm(&mut small, 1.0);
        assert_eq!(small, vec![0.3, 0.4]);
    }

    #[test]
    fn a_state_that_does_not_fit_its_parameters_is_refused() {
        let mut adam = OptimizerKind::adam(0.01).build(2).unwrap();
        adam.step(&mut [0.0, 0.0], &[1.0, -1.0]);
        assert!(adam.check(2).is_ok());
        assert!(adam.check(3).unwrap_err().to_string().contains("optimiser state"));
        assert_eq!(adam.kind(), OptimizerKind::adam(0.01));
        let OptimizerState::Adam(inner) = &mut adam else { panic!() };
        inner.second[1] = f64::NAN;
        assert!(adam.check(2).is_err());
        let sgd = OptimizerState::Sgd(Sgd { learning_rate: 0.1, momentum: 1.0, velocity: vec![0.0] });
        assert!(sgd.check(1).unwrap_err().to_string().contains("momentum"));
    }

    #[test]
    fn invalid_hyper_parameters_are_refused() {
        assert!(OptimizerKind::sgd(0.0).build(1).is_err());
        assert!(OptimizerKind::adam(f64::NAN).build(1).is_err());
        assert!(OptimizerKind::Sgd { learning_rate: 0.1, momentum: 1.0 }.build(1).is_err());
        assert!(OptimizerKind::Adam { learning_rate: 0.1, beta1: 0.9, beta2: -0.1 }.build(1).is_err());
    }
}
