//! Mean-field inference of a DBM's hidden layers given the visible one.
//!
//! The posterior P(h | v) is replaced by the closest factorised
//! q(h) = Π_{l,j} μ_{l,j}^{h_{l,j}} (1 − μ_{l,j})^{1 − h_{l,j}} in the sense of
//! KL(q ‖ P(h | v)), found by maximising the variational lower bound
//!
//! log Σ_h e^{−E(v, h)} ≥ −E(v, μ) + H(μ),  H(μ) = −Σ μ log μ + (1 − μ) log(1 − μ),
//!
//! (E is linear in each layer and has no couplings inside a layer, so
//! E_q[E(v, h)] = E(v, μ)). Setting the derivative with respect to one layer
//! to zero gives the fixed-point equations
//!
//! μ_l = σ(μ_{l−1} W_l + μ_{l+1} W_{l+1}ᵀ + b_l),
//!
//! and since units within a layer do not interact, updating a whole layer at
//! once maximises the bound over that layer exactly: alternating odd and even
//! layers never lowers the bound (coordinate ascent).

use super::DeepBoltzmannMachine;
use ebm_core::math::sigmoid_f32;
use ebm_core::{Error, Result};
use nalgebra::DMatrix;

/// Iteration limits of [`mean_field`].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MeanFieldOptions {
    /// Most rounds of (odd layers, then even hidden layers) updates.
    pub max_iterations: usize,
    /// Stop when no mean changed by more than this in a round.
    pub tolerance: f32,
}

impl Default for MeanFieldOptions {
    /// 50 rounds at most, tolerance 10⁻⁵.
    fn default() -> Self {
        Self { max_iterations: 50, tolerance: 1e-5 }
    }
}

/// The result of mean-field inference for a batch of visible rows.
#[derive(Clone, Debug, PartialEq)]
pub struct MeanField {
    /// μ_l for every layer; layer 0 is the visible batch itself.
    pub layers: Vec<DMatrix<f32>>,
    /// Rounds run.
    pub iterations: usize,
    /// Whether the last round changed no mean by more than the tolerance.
    pub converged: bool,
}

/// Mean-field means of the hidden layers for each row of `visible` (0/1 or
/// probabilities in [0, 1]), started from a bottom-up pass with doubled
/// input to every layer that has a layer above (which stands in for the
/// missing top-down input, as in Salakhutdinov and Hinton, 2009).
pub fn mean_field(
    dbm: &DeepBoltzmannMachine,
    visible: &DMatrix<f32>,
    options: MeanFieldOptions,
) -> Result<MeanField> {
    if visible.ncols() != dbm.visible() {
        return Err(Error::shape("visible batch columns", dbm.visible(), visible.ncols()));
    }
    if visible.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(Error::invalid("visible batch", "values must lie in [0, 1]"));
    }
    if !(options.tolerance.is_finite() && options.tolerance >= 0.0) {
        return Err(Error::invalid("mean-field tolerance", format!("{} is not ≥ 0", options.tolerance)));
    }
    let top = dbm.layers() - 1;
    let mut layers = vec![visible.clone()];
    for l in 1..=top {
        let scale = if l < top { 2.0 } else { 1.0 };
        let mut input = &layers[l - 1] * dbm.weights(l) * scale;
        for mut row in input.row_iter_mut() {
            row += dbm.biases(l).transpose();
        }
        layers.push(input.map(sigmoid_f32));
    }
    let mut result = MeanField { layers, iterations: 0, converged: false };
    while result.iterations < options.max_iterations && !result.converged {
        let mut change = 0.0f32;
        for parity in [1, 0] {
            for l in (parity..=top).step_by(2).filter(|&l| l > 0) {
                let updated = dbm.layer_input(&result.layers, l).map(sigmoid_f32);
                change = updated
                    .iter()
                    .zip(result.layers[l].iter())
                    .fold(change, |c, (a, b)| c.max((a - b).abs()));
                result.layers[l] = updated;
            }
        }
        result.iterations += 1;
        result.converged = change <= options.tolerance;
    }
    Ok(result)
}

/// The variational lower bound −E(v, μ) + H(μ) ≤ −F(v) = log Σ_h e^{−E(v, h)}
/// of each row, in f64; subtract log Z for a bound on log P(v).
pub fn variational_bound(dbm: &DeepBoltzmannMachine, mean_field: &MeanField) -> Result<Vec<f64>> {
    let energies = dbm.energy(&mean_field.layers)?;
    let entropy = |p: f32| {
        let p = f64::from(p);
        let term = |x: f64| if x > 0.0 { -x * x.ln() } else { 0.0 };
        term(p) + term(1.0 - p)
    };
    Ok(energies
        .iter()
        .enumerate()
        .map(|(r, e)| {
            let h: f64 = mean_field.layers[1..]
                .iter()
                .map(|m| m.row(r).iter().map(|&p| entropy(p)).sum::<f64>())
                .sum();
            -e + h
        })
        .collect())
}
