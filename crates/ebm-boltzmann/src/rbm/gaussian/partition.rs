//! The exact partition function of a Gaussian–Bernoulli RBM, by
//! integrating the visible units out and enumerating the hidden ones.
//!
//! For each hidden state h, with c = Wh, the visible integral factorises
//! into n Gaussian integrals (completing the square in each vᵢ):
//!
//! ∫ e^{−E(v, h)} dv = e^{bᵀh} Πᵢ ∫ exp(−(vᵢ − aᵢ)²/(2σᵢ²) + vᵢcᵢ/σᵢ) dvᵢ
//!                  = e^{bᵀh} Πᵢ √(2π) σᵢ exp(aᵢcᵢ/σᵢ + cᵢ²/2),
//!
//! which is the unnormalised marginal of h ([`log_marginal_hidden`]), and
//!
//! log Z = log Σ_h exp(bᵀh + Σᵢ [aᵢcᵢ/σᵢ + cᵢ²/2]) + Σᵢ log(√(2π) σᵢ).
//!
//! [`log_partition`] visits the 2ᵐ hidden states in Gray-code order, so
//! each step adds or removes one column of W from c (O(n) per state), in
//! blocks of 2¹² states run in parallel and merged in a fixed order: the
//! result, accumulated in f64, is the same on any number of threads.

use super::GaussianRbm;
use ebm_core::math::LogSumExp;
use ebm_core::{Error, Result};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// The largest hidden layer [`log_partition`] enumerates.
pub const MAX_ENUMERATED_HIDDEN: usize = 30;

/// States per enumeration block (2¹²).
const BLOCK_BITS: usize = 12;

/// Σᵢ log(√(2π) σᵢ) = Σᵢ (½ log 2π + zᵢ/2): the log-volume of the visible Gaussians.
pub fn log_gaussian_volume(rbm: &GaussianRbm) -> f64 {
    let half_log_tau = 0.5 * std::f64::consts::TAU.ln();
    rbm.log_variance().iter().map(|&z| half_log_tau + 0.5 * f64::from(z)).sum()
}

/// The model's parameters in f64, as the enumeration uses them: the columns
/// of W (one per hidden unit), b, and αᵢ = aᵢ/σᵢ.
struct Columns {
    columns: Vec<Vec<f64>>,
    hidden_bias: Vec<f64>,
    alpha: Vec<f64>,
}

impl Columns {
    fn new(rbm: &GaussianRbm) -> Self {
        Self {
            columns: rbm.weights().column_iter().map(|c| c.iter().map(|&w| f64::from(w)).collect()).collect(),
            hidden_bias: rbm.hidden_bias().iter().map(|&b| f64::from(b)).collect(),
            alpha: rbm
                .visible_bias()
                .iter()
                .zip(rbm.log_variance().iter())
                .map(|(&a, &z)| f64::from(a) * (-0.5 * f64::from(z)).exp())
                .collect(),
        }
    }

    /// linear + Σᵢ (αᵢcᵢ + cᵢ²/2).
    fn log_weight(&self, linear: f64, c: &[f64]) -> f64 {
        linear + c.iter().zip(&self.alpha).map(|(&c, &alpha)| alpha * c + 0.5 * c * c).sum::<f64>()
    }
}

/// log ∫ e^{−E(v, h)} dv for each row h of `hidden` (0/1 values or any
/// reals): bᵀh + Σᵢ [aᵢcᵢ/σᵢ + cᵢ²/2] + Σᵢ log(√(2π)σᵢ) with c = Wh, so
/// that P(h) = exp(this − log Z).
pub fn log_marginal_hidden(rbm: &GaussianRbm, hidden: &DMatrix<f32>) -> Result<Vec<f64>> {
    if hidden.ncols() != rbm.hidden() {
        return Err(Error::shape("hidden batch", rbm.hidden(), hidden.ncols()));
    }
    ebm_core::error::check_finite("hidden batch", hidden.as_slice())?;
    let params = Columns::new(rbm);
    let volume = log_gaussian_volume(rbm);
    Ok(hidden
        .row_iter()
        .map(|h| {
            let mut c = vec![0.0; rbm.visible()];
            let mut linear = 0.0;
            for (j, &x) in h.iter().enumerate() {
                let x = f64::from(x);
                linear += x * params.hidden_bias[j];
                c.iter_mut().zip(&params.columns[j]).for_each(|(c, &w)| *c += x * w);
            }
            params.log_weight(linear, &c) + volume
        })
        .collect())
}

/// Exact log Z by enumerating the hidden layer (at most
/// [`MAX_ENUMERATED_HIDDEN`] units; any number of visible units).
pub fn log_partition(rbm: &GaussianRbm) -> Result<f64> {
    let m = rbm.hidden();
    if m > MAX_ENUMERATED_HIDDEN {
        return Err(Error::TooLarge {
            what: "hidden layer to enumerate".into(),
            limit: MAX_ENUMERATED_HIDDEN as u64,
            found: m as u64,
        });
    }
    let params = Columns::new(rbm);
    let n = rbm.visible();
    let low_bits = m.min(BLOCK_BITS);
    let per_block = |block: u64| {
        // The block fixes the high bits; the low bits run through a Gray code.
        let mut state = vec![false; m];
        let mut c = vec![0.0; n];
        let mut linear = 0.0;
        for (bit, on) in state.iter_mut().enumerate().skip(low_bits) {
            if block >> (bit - low_bits) & 1 == 1 {
                *on = true;
                linear += params.hidden_bias[bit];
                c.iter_mut().zip(&params.columns[bit]).for_each(|(c, &w)| *c += w);
            }
        }
        let mut acc = LogSumExp::new();
        acc.add(params.log_weight(linear, &c));
        for step in 1u64..1 << low_bits {
            let bit = step.trailing_zeros() as usize;
            let sign = if state[bit] { -1.0 } else { 1.0 };
            state[bit] = !state[bit];
            linear += sign * params.hidden_bias[bit];
            c.iter_mut().zip(&params.columns[bit]).for_each(|(c, &w)| *c += sign * w);
            acc.add(params.log_weight(linear, &c));
        }
        acc
    };
    let partials: Vec<LogSumExp> = (0..1u64 << (m - low_bits)).into_par_iter().map(per_block).collect();
    let mut total = LogSumExp::new();
    partials.iter().for_each(|p| total.merge(p));
    Ok(total.value() + log_gaussian_volume(rbm))
}

/// The average log-density (1/N) Σ log p(v⁽ᵏ⁾) = −mean F(v⁽ᵏ⁾) − log Z of a
/// batch of visible rows, given log Z, in nats (a density: it may be positive).
pub fn average_log_likelihood(rbm: &GaussianRbm, data: &DMatrix<f32>, log_z: f64) -> Result<f64> {
    if data.nrows() == 0 {
        return Err(Error::invalid("data", "no examples"));
    }
    let free = rbm.free_energy(data)?;
    Ok(-free.iter().sum::<f64>() / free.len() as f64 - log_z)
}
