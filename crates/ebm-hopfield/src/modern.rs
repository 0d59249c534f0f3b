//! The continuous modern Hopfield network (Ramsauer et al., 2020): stored
//! patterns x_1, …, x_M ∈ ℝᵈ (the columns of X), a state ξ ∈ ℝᵈ, and the energy
//!
//! E(ξ) = −β⁻¹ log Σ_μ exp(β x_μᵀξ) + ½ ξᵀξ + β⁻¹ log M + ½ R²,
//!
//! with R = max_μ ‖x_μ‖ (the constants make E ≥ 0). Its update
//!
//! ξ ← X softmax(β Xᵀ ξ)
//!
//! is the concave–convex procedure for E: the new state minimises the
//! convex part ½ξᵀξ against the linearised concave part, so E never rises,
//! and since ∇E(ξ) = ξ − X softmax(β Xᵀξ) the update is ξ − ∇E(ξ). For large
//! β and well-separated patterns one update retrieves the nearest pattern
//! almost exactly; for small β the fixed point is a metastable average of
//! many patterns (β → 0: their mean). This is the attention mechanism of
//! transformers, with queries as states and keys equal to values.

use ebm_core::error::{check_finite, check_positive};
use ebm_core::math::log_sum_exp;
use ebm_core::{ContinuousEnergy, DifferentiableEnergy, Error, Result};
use nalgebra::{DMatrix, DVector};

/// A continuous modern Hopfield network.
#[derive(Clone, Debug, PartialEq)]
pub struct ModernHopfield {
    /// Patterns as columns, d × M.
    patterns: DMatrix<f64>,
    beta: f64,
    /// β⁻¹ log M + ½ R².
    constant: f64,
}

/// The result of iterating the update.
#[derive(Clone, Debug, PartialEq)]
pub struct Retrieval {
    /// The final state.
    pub state: Vec<f64>,
    /// Updates made.
    pub steps: usize,
    /// Whether the last update moved the state by less than the tolerance (max norm).
    pub converged: bool,
}

impl ModernHopfield {
    /// A network storing the columns of `patterns` (d × M, M ≥ 1, finite) at inverse temperature β > 0.
    pub fn new(patterns: DMatrix<f64>, beta: f64) -> Result<Self> {
        if patterns.ncols() == 0 || patterns.nrows() == 0 {
            return Err(Error::Invalid {
                what: "stored patterns".into(),
                reason: "need at least one of dimension ≥ 1".into(),
            });
        }
        check_finite("stored patterns", patterns.as_slice())?;
        check_positive("β", beta)?;
        let radius = patterns.column_iter().map(|c| c.norm()).fold(0.0, f64::max);
        let constant = (patterns.ncols() as f64).ln() / beta + 0.5 * radius * radius;
        Ok(Self { patterns, beta, constant })
    }

    /// The dimension d.
    pub fn dim(&self) -> usize {
        self.patterns.nrows()
    }

    fn check(&self, state: &[f64]) -> Result<DVector<f64>> {
        if state.len() != self.dim() {
            return Err(Error::ShapeMismatch {
                what: "state".into(),
                expected: self.dim(),
                found: state.len(),
            });
        }
        check_finite("state", state)?;
        Ok(DVector::from_column_slice(state))
    }

    /// β Xᵀ ξ, the scaled similarities.
    fn scores(&self, xi: &DVector<f64>) -> Vec<f64> {
        (self.patterns.transpose() * xi * self.beta).iter().copied().collect()
    }

    /// p = softmax(β Xᵀ ξ): how much each pattern weighs in the update.
    pub fn attention(&self, state: &[f64]) -> Result<Vec<f64>> {
        let scores = self.scores(&self.check(state)?);
        let log_z = log_sum_exp(&scores);
        Ok(scores.iter().map(|s| (s - log_z).exp()).collect())
    }

    /// One update ξ ← X softmax(β Xᵀ ξ).
    pub fn update(&self, state: &[f64]) -> Result<Vec<f64>> {
        let p = DVector::from_vec(self.attention(state)?);
        Ok((&self.patterns * p).iter().copied().collect())
    }

    /// Updates from `query` until the state moves by less than `tolerance`
    /// (max norm) or `max_steps` updates.
    pub fn retrieve(&self, query: &[f64], max_steps: usize, tolerance: f64) -> Result<Retrieval> {
        let mut state = query.to_vec();
        for step in 1..=max_steps {
            let next = self.update(&state)?;
            let moved = ebm_core::worst::max_abs_difference(&next, &state);
            state = next;
            if moved < tolerance {
                return Ok(Retrieval { state, steps: step, converged: true });
            }
        }
        Ok(Retrieval { state, steps: max_steps, converged: false })
    }
}

impl ContinuousEnergy for ModernHopfield {
    fn dim(&self) -> usize {
        self.patterns.nrows()
    }

    /// E(ξ); the state must have d finite entries (NaN otherwise).
    fn energy(&self, x: &[f64]) -> f64 {
        match self.check(x) {
            Ok(xi) => -log_sum_exp(&self.scores(&xi)) / self.beta + 0.5 * xi.dot(&xi) + self.constant,
            Err(_) => f64::NAN,
        }
    }
}

impl DifferentiableEnergy for ModernHopfield {
    /// ∇E(ξ) = ξ − X softmax(β Xᵀ ξ).
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64 {
        match self.update(x) {
            Ok(target) => {
                gradient.iter_mut().zip(x.iter().zip(&target)).for_each(|(g, (a, b))| *g = a - b);
                self.energy(x)
            }
            Err(_) => {
                gradient.iter_mut().for_each(|g| *g = f64::NAN);
                f64::NAN
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::math::central_differences;
    use ebm_mcmc::rng::seeded;
    use proptest::prelude::*;
    use rand::RngExt;

    fn random_patterns(seed: u64, d: usize, m: usize) -> DMatrix<f64> {
        let mut rng = seeded(seed);
        DMatrix::from_fn(d, m, |_, _| rng.random_range(-1.0..1.0))
    }

    proptest! {
        #[test]
        fn gradient_matches_finite_differences_and_updates_descend(seed in any::<u64>(), beta in 0.1f64..8.0) {
            let net = ModernHopfield::new(random_patterns(seed, 5, 7), beta).unwrap();
            let mut rng = seeded(seed ^ 1);
            let xi: Vec<f64> = (0..5).map(|_| rng.random_range(-2.0..2.0)).collect();
            let mut gradient = vec![0.0; 5];
            let e = net.energy_and_gradient(&xi, &mut gradient);
            prop_assert!(e >= -1e-12, "E = {e} < 0");
            for (k, numeric) in central_differences(&xi, 1e-6, |x| net.energy(x)).into_iter().enumerate() {
                prop_assert!((numeric - gradient[k]).abs() < 1e-5 * (1.0 + numeric.abs()), "∂{k}: {numeric} vs {}", gradient[k]);
            }
            let next = net.update(&xi).unwrap();
            prop_assert!(net.energy(&next) <= e + 1e-12, "the update raised the energy");
        }
    }

    #[test]
    fn one_update_retrieves_a_separated_pattern_at_large_beta() {
        let d = 64;
        let patterns = random_patterns(3, d, 10).map(f64::signum);
        let net = ModernHopfield::new(patterns.clone(), 1.0).unwrap();
        let mut query: Vec<f64> = patterns.column(4).iter().copied().collect();
        query.iter_mut().take(16).for_each(|v| *v = -*v);
        let retrieved = net.update(&query).unwrap();
        let error =
            retrieved.iter().zip(patterns.column(4).iter()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(error < 1e-6, "one-step error {error}");
    }

    #[test]
    fn small_beta_gives_a_metastable_average() {
        let patterns = random_patterns(4, 8, 20);
        let mean: Vec<f64> = patterns.row_iter().map(|r| r.mean()).collect();
        let net = ModernHopfield::new(patterns, 1e-3).unwrap();
        let fixed = net.retrieve(&[3.0; 8], 100, 1e-12).unwrap();
        assert!(fixed.converged);
        let distance = fixed.state.iter().zip(&mean).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(distance < 1e-2, "fixed point {distance} away from the mean of the patterns");
        let p = net.attention(&fixed.state).unwrap();
        assert!(p.iter().all(|&w| (w - 0.05).abs() < 1e-3), "attention not spread evenly: {p:?}");
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(ModernHopfield::new(DMatrix::zeros(3, 0), 1.0).is_err());
        assert!(ModernHopfield::new(DMatrix::from_element(2, 2, f64::NAN), 1.0).is_err());
        assert!(ModernHopfield::new(DMatrix::zeros(2, 2), 0.0).is_err());
        let net = ModernHopfield::new(DMatrix::identity(2, 2), 1.0).unwrap();
        assert!(net.update(&[1.0]).is_err());
        assert!(net.update(&[1.0, f64::INFINITY]).is_err());
        assert!(net.energy(&[1.0]).is_nan());
    }
}
