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
//! given even, then even given odd). Summing out the odd layers lowers the
//! variance of the weights compared with annealing the joint state.

use super::DeepBoltzmannMachine;
use super::mean_field::{MeanFieldOptions, mean_field, variational_bound};
use crate::ais::{RUNS_PER_CHUNK, estimate};
use crate::rbm::draw_units;
use crate::rbm::partition::{AisEstimate, AisOptions};
use ebm_core::math::{sigmoid_f32, softplus};
use ebm_core::{Error, Result};
use ebm_mcmc::rng::stream;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

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

/// log p*_β(x_E) for each row (the odd layers of `layers` are ignored).
fn log_unnormalised(
    dbm: &DeepBoltzmannMachine,
    base: &[DVector<f32>],
    layers: &[DMatrix<f32>],
    beta: f64,
) -> Vec<f64> {
    let mut log_p = vec![0.0; layers[0].nrows()];
    for l in 0..dbm.layers() {
        if l % 2 == 0 {
            let bias = mixed(
                &DMatrix::from_row_slice(1, dbm.biases(l).len(), dbm.biases(l).as_slice()),
                &base[l],
                beta,
            );
            for (r, value) in log_p.iter_mut().enumerate() {
                *value +=
                    layers[l].row(r).iter().zip(bias.iter()).map(|(&x, &c)| f64::from(x * c)).sum::<f64>();
            }
        } else {
            let input = mixed(&dbm.layer_input(layers, l), &base[l], beta);
            for (r, value) in log_p.iter_mut().enumerate() {
                *value += input.row(r).iter().map(|&u| softplus(f64::from(u))).sum::<f64>();
            }
        }
    }
    log_p
}

/// Estimates log Z of `dbm` by AIS from the base model with visible biases
/// `base_visible` (e.g. [`base_rate_bias`](crate::rbm::partition::base_rate_bias) of the data).
pub fn ais_log_partition(
    dbm: &DeepBoltzmannMachine,
    base_visible: &DVector<f32>,
    options: &AisOptions,
) -> Result<AisEstimate> {
    options.check()?;
    if base_visible.len() != dbm.visible() {
        return Err(Error::shape("base-rate biases", dbm.visible(), base_visible.len()));
    }
    ebm_core::error::check_finite("base-rate biases", base_visible.as_slice())?;
    let base = base_biases(dbm, base_visible);
    let sizes = dbm.sizes();
    let chunks = options.runs.div_ceil(RUNS_PER_CHUNK);
    let per_chunk: Vec<Vec<f64>> = (0..chunks)
        .into_par_iter()
        .map(|chunk| {
            let rows = RUNS_PER_CHUNK.min(options.runs - chunk * RUNS_PER_CHUNK);
            let mut rng = stream(options.seed, chunk as u64);
            let mut layers: Vec<DMatrix<f32>> = sizes
                .iter()
                .zip(&base)
                .map(|(&n, a)| draw_units(&DMatrix::from_fn(rows, n, |_, j| sigmoid_f32(a[j])), &mut rng))
                .collect();
            let mut log_w = vec![0.0; rows];
            for pair in options.betas.windows(2) {
                let (previous, beta) = (pair[0], pair[1]);
                let now = log_unnormalised(dbm, &base, &layers, beta);
                let before = log_unnormalised(dbm, &base, &layers, previous);
                log_w.iter_mut().zip(now.iter().zip(&before)).for_each(|(w, (n, b))| *w += n - b);
                for parity in [1, 0] {
                    for l in (parity..dbm.layers()).step_by(2) {
                        let p = mixed(&dbm.layer_input(&layers, l), &base[l], beta).map(sigmoid_f32);
                        layers[l] = draw_units(&p, &mut rng);
                    }
                }
            }
            log_w
        })
        .collect();
    let log_z_base = base.iter().flat_map(|a| a.iter()).map(|&a| softplus(f64::from(a))).sum();
    Ok(estimate(log_z_base, per_chunk.into_iter().flatten().collect()))
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
