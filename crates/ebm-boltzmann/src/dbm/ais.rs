//! log Z of a DBM by annealed importance sampling, with the odd layers
//! summed out (Salakhutdinov and Hinton, 2009).
//!
//! The base model A has no weights, base-rate biases a_A on the visible
//! units and zero biases elsewhere, so Z_A = Π_units (1 + e^{a_A}). The
//! intermediate distributions p_β ∝ exp(−(1−β) E_A − β E) for
//! 0 = β₀ < … < β_K = 1 keep the layered structure: given the even layers
//! x_E (v, x₂, …) the odd ones are independent, and summing them out leaves
//!
//! log p*_β(x_E) = Σ_{l even} ((1−β) a_{A,l} + β b_l)ᵀ x_l
//!               + Σ_{l odd} Σ_j softplus((1−β) a_{A,l,j} + β u_{l,j}(x_E)),
//!
//! u_l = x_{l−1} W_l + x_{l+1} W_{l+1}ᵀ + b_l the input to layer l. A run
//! draws x_E from A, then for k = 1 … K adds log p*_{β_k}(x_E) − log p*_{β_{k−1}}(x_E)
//! to its log weight and makes one block-Gibbs step of p_{β_k} (odd layers
//! given even, then even given odd); the driver and the estimate are
//! [`crate::ais`]'s. Summing out the odd layers lowers the variance of the
//! weights compared with annealing the joint state. The odd layers' inputs
//! u_l depend on the even layers only, so one computation per step serves
//! the increment at both βs and the odd half of the Gibbs step.

use super::DeepBoltzmannMachine;
use super::mean_field::{MeanFieldOptions, mean_field, variational_bound};
use crate::ais::{AisEstimate, AisOptions, AnnealingPath, run};
use crate::rbm::draw_units;
use ebm_core::math::{sigmoid_f32, softplus};
use ebm_core::{Error, Result};
use ebm_mcmc::rng::SamplerRng;
use nalgebra::{DMatrix, DVector};

/// The base model's biases for every layer: `visible` on layer 0, zero elsewhere.
fn base_biases(dbm: &DeepBoltzmannMachine, visible: &DVector<f32>) -> Vec<DVector<f32>> {
    dbm.sizes()
        .iter()
        .enumerate()
        .map(|(l, &n)| if l == 0 { visible.clone() } else { DVector::zeros(n) })
        .collect()
}

/// (1−β) a_A + β u for each entry of `input` u (a_A indexed by column).
fn mixed(input: &DMatrix<f32>, base: &DVector<f32>, beta: f64) -> DMatrix<f32> {
    DMatrix::from_fn(input.nrows(), input.ncols(), |r, j| {
        ((1.0 - beta) * f64::from(base[j]) + beta * f64::from(input[(r, j)])) as f32
    })
}

/// The path from the base model with biases `base` (one vector per layer) to `dbm`.
struct LayeredPath<'a> {
    dbm: &'a DeepBoltzmannMachine,
    base: Vec<DVector<f32>>,
}

impl LayeredPath<'_> {
    /// log p*_β(x_E) for each row, given the odd layers' inputs (the odd
    /// layers of `layers` are ignored).
    fn log_unnormalised(&self, layers: &[DMatrix<f32>], odd_inputs: &[DMatrix<f32>], beta: f64) -> Vec<f64> {
        let (dbm, base) = (self.dbm, &self.base);
        let mut log_p = vec![0.0; layers[0].nrows()];
        for l in 0..dbm.layers() {
            if l % 2 == 0 {
                let bias = mixed(
                    &DMatrix::from_row_slice(1, dbm.biases(l).len(), dbm.biases(l).as_slice()),
                    &base[l],
                    beta,
                );
                for (r, value) in log_p.iter_mut().enumerate() {
                    *value += layers[l]
                        .row(r)
                        .iter()
                        .zip(bias.iter())
                        .map(|(&x, &c)| f64::from(x * c))
                        .sum::<f64>();
                }
            } else {
                let input = mixed(&odd_inputs[l / 2], &base[l], beta);
                for (r, value) in log_p.iter_mut().enumerate() {
                    *value += input.row(r).iter().map(|&u| softplus(f64::from(u))).sum::<f64>();
                }
            }
        }
        log_p
    }
}

impl AnnealingPath for LayeredPath<'_> {
    /// Every layer of every run (the odd ones are redrawn before use).
    type State = Vec<DMatrix<f32>>;
    /// The inputs u_l of the odd layers l = 1, 3, …, entry l / 2 for layer l.
    type Inputs = Vec<DMatrix<f32>>;

    /// log Z_A = Σ over all units of softplus(a_A).
    fn log_base_partition(&self) -> f64 {
        self.base.iter().flat_map(|a| a.iter()).map(|&a| softplus(f64::from(a))).sum()
    }

    /// Every unit independently on with probability σ(a_A), layer by layer.
    fn sample_base(&self, runs: usize, rng: &mut SamplerRng) -> Self::State {
        self.dbm
            .sizes()
            .iter()
            .zip(&self.base)
            .map(|(&n, a)| draw_units(&DMatrix::from_fn(runs, n, |_, j| sigmoid_f32(a[j])), rng))
            .collect()
    }

    fn inputs(&self, layers: &Self::State, inputs: &mut Self::Inputs) {
        *inputs = (1..self.dbm.layers()).step_by(2).map(|l| self.dbm.layer_input(layers, l)).collect();
    }

    /// log p*_{β′}(x_E) − log p*_β(x_E) per run.
    fn log_weight_increments(
        &self,
        layers: &Self::State,
        inputs: &Self::Inputs,
        beta: f64,
        next: f64,
    ) -> Vec<f64> {
        let now = self.log_unnormalised(layers, inputs, next);
        let before = self.log_unnormalised(layers, inputs, beta);
        now.iter().zip(&before).map(|(n, b)| n - b).collect()
    }

    /// The odd layers given the even ones (from `inputs`), then the even
    /// layers given the new odd ones, each from σ((1−β) a_A + β u).
    fn transition(&self, layers: &mut Self::State, inputs: &Self::Inputs, beta: f64, rng: &mut SamplerRng) {
        for l in (1..self.dbm.layers()).step_by(2) {
            layers[l] = draw_units(&mixed(&inputs[l / 2], &self.base[l], beta).map(sigmoid_f32), rng);
        }
        for l in (0..self.dbm.layers()).step_by(2) {
            let p = mixed(&self.dbm.layer_input(layers, l), &self.base[l], beta).map(sigmoid_f32);
            layers[l] = draw_units(&p, rng);
        }
    }
}

/// Estimates log Z of `dbm` by AIS from the base model with visible biases
/// `base_visible` (e.g. [`base_rate_bias`](crate::rbm::ais::base_rate_bias) of the data).
pub fn ais_log_partition(
    dbm: &DeepBoltzmannMachine,
    base_visible: &DVector<f32>,
    options: &AisOptions,
) -> Result<AisEstimate> {
    if base_visible.len() != dbm.visible() {
        return Err(Error::shape("base-rate biases", dbm.visible(), base_visible.len()));
    }
    ebm_core::error::check_finite("base-rate biases", base_visible.as_slice())?;
    run(&LayeredPath { dbm, base: base_biases(dbm, base_visible) }, options)
}

/// A lower bound on the average log-likelihood of the rows of `data`:
/// mean over v of the mean-field bound on −F(v), minus `log_z`. With log Z
/// from AIS the result is itself an estimate (AIS tends to underestimate
/// log Z, which raises this number).
pub fn likelihood_lower_bound(
    dbm: &DeepBoltzmannMachine,
    data: &DMatrix<f32>,
    log_z: f64,
    options: MeanFieldOptions,
) -> Result<f64> {
    if data.nrows() == 0 {
        return Err(Error::invalid("data", "no examples"));
    }
    let bounds = variational_bound(dbm, &mean_field(dbm, data, options)?)?;
    Ok(bounds.iter().sum::<f64>() / data.nrows() as f64 - log_z)
}
