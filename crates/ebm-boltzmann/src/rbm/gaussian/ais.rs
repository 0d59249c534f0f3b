//! log Z of a Gaussian–Bernoulli RBM by annealed importance sampling.
//!
//! The exact value ([`log_partition`](super::partition::log_partition)) is
//! cheap while the hidden layer is small; beyond some 25 hidden units AIS
//! (Neal, 2001; Salakhutdinov and Murray, 2008) estimates it.
//!
//! **Base model.** A: independent Gaussians vᵢ ~ N(mᵢ, sᵢ²) and m free
//! hidden units, E_A(v, h) = Σᵢ (vᵢ − mᵢ)²/(2sᵢ²) — the GB-RBM with W = 0,
//! b = 0, a = m, σ = s — so Z_A = 2ᵐ Πᵢ √(2π) sᵢ. [`AisBase::from_data`]
//! matches the data's means and deviations, [`AisBase::from_model`] takes
//! the model's own a and σ.
//!
//! **Intermediate distributions.** For 0 = β₀ < … < β_K = 1,
//! p_β(v, h) ∝ exp(−(1−β) E_A(v, h) − β E(v, h)); summing h out,
//!
//! log p*_β(v) = −(1−β) Σᵢ (vᵢ − mᵢ)²/(2sᵢ²) − β Σᵢ (vᵢ − aᵢ)²/(2σᵢ²)
//!               + Σⱼ softplus(β (bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ)),
//!
//! whose normaliser is Z_A at β = 0 (softplus(0) = log 2) and Z at β = 1.
//!
//! **Transition.** One block-Gibbs step of p_β leaves it invariant. Given v
//! the hidden units are independent with P_β(hⱼ = 1 | v) = σ(β(bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ)).
//! Given h, log p_β(v | h) is, up to a constant, a quadratic per unit:
//! −½ λᵢ vᵢ² + vᵢ [(1−β) mᵢ/sᵢ² + β aᵢ/σᵢ² + β cᵢ/σᵢ] with c = Wh and
//! precision λᵢ = (1−β)/sᵢ² + β/σᵢ², so
//!
//! vᵢ | h ~ N(μᵢ, 1/λᵢ),  μᵢ = [(1−β) mᵢ/sᵢ² + β aᵢ/σᵢ² + β cᵢ/σᵢ] / λᵢ.
//!
//! A run draws v₀ from A, then for k = 1 … K adds
//! log p*_{β_k}(v) − log p*_{β_{k−1}}(v) to its log weight and makes that
//! step at β_k. The weights' mean estimates Z/Z_A without bias; the driver
//! and the estimate are [`crate::ais`]'s. The hidden inputs
//! bⱼ + Σᵢ Wᵢⱼ vᵢ/σᵢ serve both the increment and the step.

use super::GaussianRbm;
use crate::ais::{AisEstimate, AisOptions, AnnealingPath, run};
use ebm_core::error::check_finite;
use ebm_core::math::{sigmoid_f32, softplus};
use ebm_core::{Error, Result};
use ebm_mcmc::rng::SamplerRng;
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

/// The base model of AIS: independent Gaussians N(mᵢ, sᵢ²) over the visible
/// units (and free hidden units).
#[derive(Clone, Debug, PartialEq)]
pub struct AisBase {
    mean: DVector<f64>,
    std_dev: DVector<f64>,
}

impl AisBase {
    /// A base with means m and standard deviations s (finite, s > 0).
    pub fn new(mean: DVector<f64>, std_dev: DVector<f64>) -> Result<Self> {
        if mean.len() != std_dev.len() {
            return Err(Error::shape("AIS base deviations", mean.len(), std_dev.len()));
        }
        check_finite("AIS base means", mean.as_slice())?;
        if let Some(i) = std_dev.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::invalid("AIS base deviations", format!("s_{i} = {} is not > 0", std_dev[i])));
        }
        Ok(Self { mean, std_dev })
    }

    /// The Gaussians fitted to the columns of `data` (mean and standard
    /// deviation of each; a column with no spread gets 10⁻³ of the largest
    /// deviation). Refuses data with fewer than two rows or no spread at all.
    pub fn from_data(data: &DMatrix<f32>) -> Result<Self> {
        let n = data.nrows();
        if n < 2 {
            return Err(Error::invalid("AIS base", format!("needs at least 2 examples, got {n}")));
        }
        check_finite("data", data.as_slice())?;
        let (mut mean, mut std_dev) = (DVector::zeros(data.ncols()), DVector::zeros(data.ncols()));
        for (i, column) in data.column_iter().enumerate() {
            let mu = column.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
            let var = column.iter().map(|&x| (f64::from(x) - mu).powi(2)).sum::<f64>() / n as f64;
            (mean[i], std_dev[i]) = (mu, var.sqrt());
        }
        let floor = 1e-3 * std_dev.max();
        if floor.is_nan() || floor <= 0.0 {
            return Err(Error::invalid("AIS base", "the data have no spread"));
        }
        Self::new(mean, std_dev.map(|s: f64| s.max(floor)))
    }

    /// The model's own visible Gaussians: m = a, s = σ.
    pub fn from_model(rbm: &GaussianRbm) -> Self {
        Self { mean: rbm.visible_bias().map(f64::from), std_dev: rbm.std_dev().map(f64::from) }
    }

    /// log Z_A = m log 2 + Σᵢ log(√(2π) sᵢ) with m hidden units.
    pub fn log_partition(&self, hidden: usize) -> f64 {
        let half_log_tau = 0.5 * std::f64::consts::TAU.ln();
        hidden as f64 * std::f64::consts::LN_2
            + self.std_dev.iter().map(|s| half_log_tau + s.ln()).sum::<f64>()
    }
}

/// The path from `base` to `rbm`, with the per-unit constants in f64.
struct Path<'a> {
    rbm: &'a GaussianRbm,
    base: &'a AisBase,
    a: Vec<f64>,
    inverse_sigma: Vec<f64>,
}

impl Path<'_> {
    /// (Q_A(v), Q(v)) = (Σᵢ (vᵢ − mᵢ)²/(2sᵢ²), Σᵢ (vᵢ − aᵢ)²/(2σᵢ²)) for one row.
    fn quadratics(&self, v: impl Iterator<Item = f32>) -> (f64, f64) {
        v.enumerate().fold((0.0, 0.0), |(qa, q), (i, x)| {
            let x = f64::from(x);
            let za = (x - self.base.mean[i]) / self.base.std_dev[i];
            let z = (x - self.a[i]) * self.inverse_sigma[i];
            (qa + 0.5 * za * za, q + 0.5 * z * z)
        })
    }

    /// log p*_β(v) for each row of `v`, given its hidden inputs u = b + Wᵀ(v/σ).
    fn log_unnormalised(&self, v: &DMatrix<f32>, input: &DMatrix<f32>, beta: f64) -> Vec<f64> {
        (0..v.nrows())
            .map(|r| {
                let (qa, q) = self.quadratics(v.row(r).iter().copied());
                let hidden: f64 = input.row(r).iter().map(|&u| softplus(beta * f64::from(u))).sum();
                -(1.0 - beta) * qa - beta * q + hidden
            })
            .collect()
    }
}

impl AnnealingPath for Path<'_> {
    /// The visible states, one row per run.
    type State = DMatrix<f32>;
    /// The hidden inputs u = b + Wᵀ(v/σ), one row per run.
    type Inputs = DMatrix<f32>;

    fn log_base_partition(&self) -> f64 {
        self.base.log_partition(self.rbm.hidden())
    }

    /// vᵢ ~ N(mᵢ, sᵢ²), independently.
    fn sample_base(&self, runs: usize, rng: &mut SamplerRng) -> DMatrix<f32> {
        let base = self.base;
        DMatrix::from_fn(runs, self.rbm.visible(), |_, i| {
            let noise: f64 = StandardNormal.sample(rng);
            (base.mean[i] + base.std_dev[i] * noise) as f32
        })
    }

    fn inputs(&self, v: &DMatrix<f32>, inputs: &mut DMatrix<f32>) {
        *inputs = self.rbm.hidden_input(v, 1.0);
    }

    /// log p*_{β′}(v) − log p*_β(v) per run.
    fn log_weight_increments(
        &self,
        v: &DMatrix<f32>,
        input: &DMatrix<f32>,
        beta: f64,
        next: f64,
    ) -> Vec<f64> {
        let now = self.log_unnormalised(v, input, next);
        let before = self.log_unnormalised(v, input, beta);
        now.iter().zip(&before).map(|(n, b)| n - b).collect()
    }

    /// One block-Gibbs step of p_β from `v` (hidden inputs `input`): h, then v.
    fn transition(&self, v: &mut DMatrix<f32>, input: &DMatrix<f32>, beta: f64, rng: &mut SamplerRng) {
        let h = input.map(|u| f32::from(u8::from(rng.random::<f32>() < sigmoid_f32(beta as f32 * u))));
        let c = &h * self.rbm.weights().transpose();
        for r in 0..v.nrows() {
            for i in 0..v.ncols() {
                let (m, s) = (self.base.mean[i], self.base.std_dev[i]);
                let inv_var = self.inverse_sigma[i] * self.inverse_sigma[i];
                let precision = (1.0 - beta) / (s * s) + beta * inv_var;
                let linear = (1.0 - beta) * m / (s * s)
                    + beta * (self.a[i] * inv_var + f64::from(c[(r, i)]) * self.inverse_sigma[i]);
                let noise: f64 = StandardNormal.sample(rng);
                v[(r, i)] = (linear / precision + noise / precision.sqrt()) as f32;
            }
        }
    }
}

/// Estimates log Z of `rbm` by AIS from `base` (see the module documentation).
pub fn ais_log_partition(rbm: &GaussianRbm, base: &AisBase, options: &AisOptions) -> Result<AisEstimate> {
    if base.mean.len() != rbm.visible() {
        return Err(Error::shape("AIS base", rbm.visible(), base.mean.len()));
    }
    let path = Path {
        rbm,
        base,
        a: rbm.visible_bias().iter().map(|&a| f64::from(a)).collect(),
        inverse_sigma: rbm.log_variance().iter().map(|&z| (-0.5 * f64::from(z)).exp()).collect(),
    };
    run(&path, options)
}
