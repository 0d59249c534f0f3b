//! The partition function of an RBM: exact by enumerating the smaller
//! layer, and estimated by annealed importance sampling (AIS).
//!
//! **Exact.** Summing out one layer leaves an energy over the other: with
//! the visible layer summed out, log Z = log Σ_h exp(bᵀh + Σ_i softplus(a_i + (Wh)_i)),
//! and symmetrically over v with −F(v). Enumerating the smaller layer costs
//! 2^k·m softplus evaluations (k the smaller, m the larger layer): the states
//! are visited in Gray-code order so each step updates the m pre-activations
//! by one row of W, in blocks run in parallel and merged in a fixed order.
//!
//! **AIS** (Neal, 2001; Salakhutdinov and Murray, 2008). Between a base RBM
//! A (W = 0, b = 0, visible biases a_A, so Z_A = 2^{nh} Π_i (1 + e^{a_A,i})) and
//! the model B, the intermediate distributions over v are the visible
//! marginals of p_β(v, h) ∝ exp((1−β) a_Aᵀv + β (vᵀWh + aᵀv + bᵀh)):
//!
//! p*_β(v) = exp((1−β) a_Aᵀv + β aᵀv) · Π_j (1 + e^{β (b_j + (vᵀW)_j)}),
//!
//! for 0 = β₀ < β₁ < … < β_K = 1 (at β = 0 the product is 2^{nh}, so Z₀ = Z_A). A run draws v₀ from A, then for k = 1…K
//! adds log p*_{β_k}(v_{k−1}) − log p*_{β_{k−1}}(v_{k−1}) to its log weight and
//! moves v by one Gibbs step that leaves p_{β_k} invariant. The mean weight
//! estimates Z_B / Z_A without bias; log Z_B is estimated by log Z_A plus the
//! log-mean-exp of the log weights (biased low by Jensen's inequality, by
//! about Var(w)/(2M·E(w)²)).

use super::{BernoulliRbm, draw_columns, draw_units};
use crate::ais::RUNS_PER_CHUNK;
use ebm_core::binary::BinaryRows;
use ebm_core::math::{LogSumExp, sigmoid_f32, softplus};
use ebm_core::panels::Panels;
use ebm_core::{Error, Result};
use ebm_mcmc::rng::{SamplerRng, stream};
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

/// The largest layer [`log_partition`] enumerates.
pub const MAX_ENUMERATED_UNITS: usize = 30;

/// States per enumeration block (2¹²).
const BLOCK_BITS: usize = 12;

/// log Σ_s exp(eᵀs + Σ_l softplus(c_l + (sᵀC)_l)) over s ∈ {0,1}^k, for C of
/// shape k × m — the smaller layer s summed in closed form over the other.
fn enumerate(coupling: &DMatrix<f64>, own_bias: &[f64], other_bias: &[f64]) -> f64 {
    let k = coupling.nrows();
    let low_bits = k.min(BLOCK_BITS);
    let blocks = 1u64 << (k - low_bits);
    let per_block = |block: u64| {
        // The block fixes the high bits; the low bits run through a Gray code.
        let mut state = vec![false; k];
        let mut input: Vec<f64> = other_bias.to_vec();
        let mut linear = 0.0;
        for bit in low_bits..k {
            if block >> (bit - low_bits) & 1 == 1 {
                state[bit] = true;
                linear += own_bias[bit];
                input.iter_mut().zip(coupling.row(bit).iter()).for_each(|(x, &c)| *x += c);
            }
        }
        let mut acc = LogSumExp::new();
        let log_weight =
            |linear: f64, input: &[f64]| linear + input.iter().map(|&x| softplus(x)).sum::<f64>();
        acc.add(log_weight(linear, &input));
        for step in 1u64..1 << low_bits {
            let bit = step.trailing_zeros() as usize;
            let sign = if state[bit] { -1.0 } else { 1.0 };
            state[bit] = !state[bit];
            linear += sign * own_bias[bit];
            input.iter_mut().zip(coupling.row(bit).iter()).for_each(|(x, &c)| *x += sign * c);
            acc.add(log_weight(linear, &input));
        }
        acc
    };
    let partials: Vec<LogSumExp> = (0..blocks).into_par_iter().map(per_block).collect();
    let mut total = LogSumExp::new();
    partials.iter().for_each(|p| total.merge(p));
    total.value()
}

fn to_f64(values: impl Iterator<Item = f32>) -> Vec<f64> {
    values.map(f64::from).collect()
}

/// Exact log Z, enumerating whichever layer is smaller (at most
/// [`MAX_ENUMERATED_UNITS`] units).
pub fn log_partition(rbm: &BernoulliRbm) -> Result<f64> {
    let (nv, nh) = (rbm.visible(), rbm.hidden());
    let smaller = nv.min(nh);
    if smaller > MAX_ENUMERATED_UNITS {
        return Err(Error::TooLarge {
            what: "RBM layer to enumerate".into(),
            limit: MAX_ENUMERATED_UNITS as u64,
            found: smaller as u64,
        });
    }
    let w = rbm.weights().map(f64::from);
    let (a, b) = (to_f64(rbm.visible_bias().iter().copied()), to_f64(rbm.hidden_bias().iter().copied()));
    Ok(if nh <= nv { enumerate(&w.transpose(), &b, &a) } else { enumerate(&w, &a, &b) })
}

/// The average log-likelihood (1/n) Σ_n log P(v_n) = −mean F(v_n) − log Z of a
/// batch of visible rows, given log Z.
pub fn average_log_likelihood(rbm: &BernoulliRbm, data: &DMatrix<f32>, log_z: f64) -> Result<f64> {
    if data.nrows() == 0 {
        return Err(Error::Invalid { what: "data".into(), reason: "no examples".into() });
    }
    let free = rbm.free_energy(data)?;
    Ok(-free.iter().sum::<f64>() / free.len() as f64 - log_z)
}

/// Visible biases of the base-rate RBM: a_A,i = log(p_i / (1 − p_i)) with
/// p_i the mean of visible unit i over `data`, smoothed by `pseudo_count`
/// (p = (Σ v + c)/(n + 2c)) so that no bias is infinite.
pub fn base_rate_bias(data: &DMatrix<f32>, pseudo_count: f64) -> Result<DVector<f32>> {
    if data.nrows() == 0 || !(pseudo_count.is_finite() && pseudo_count > 0.0) {
        return Err(Error::Invalid {
            what: "base-rate estimate".into(),
            reason: format!(
                "needs data and a positive pseudo-count, got {} rows, c = {pseudo_count}",
                data.nrows()
            ),
        });
    }
    let n = data.nrows() as f64;
    Ok(DVector::from_iterator(
        data.ncols(),
        data.column_iter().map(|col| {
            let p =
                (col.iter().map(|&v| f64::from(v)).sum::<f64>() + pseudo_count) / (n + 2.0 * pseudo_count);
            (p / (1.0 - p)).ln() as f32
        }),
    ))
}

/// Settings of an AIS run.
#[derive(Clone, Debug, PartialEq)]
pub struct AisOptions {
    /// The inverse temperatures 0 = β₀ < … < β_K = 1.
    pub betas: Vec<f64>,
    /// Independent runs M.
    pub runs: usize,
    /// Seed; runs are drawn in chunks of 16, chunk c from the random stream (seed, c).
    pub seed: u64,
}

impl AisOptions {
    /// `steps` intermediate distributions spaced like Salakhutdinov and
    /// Murray's schedule: β rising in three stages of 10%, 40% and 50% of the
    /// steps over [0, 0.5], [0.5, 0.9] and [0.9, 1].
    pub fn staged(steps: usize, runs: usize, seed: u64) -> Self {
        let stage =
            |from: f64, to: f64, n: usize| (0..n).map(move |k| from + (to - from) * k as f64 / n as f64);
        let (first, second) = (steps / 10, steps * 4 / 10);
        let third = steps.saturating_sub(first + second);
        let mut betas: Vec<f64> =
            stage(0.0, 0.5, first).chain(stage(0.5, 0.9, second)).chain(stage(0.9, 1.0, third)).collect();
        betas.push(1.0);
        betas.dedup();
        if betas[0] != 0.0 {
            betas.insert(0, 0.0);
        }
        Self { betas, runs, seed }
    }

    /// Checks that the betas rise strictly from 0 to 1 and that there is a run.
    pub(crate) fn check(&self) -> Result<()> {
        let ends = self.betas.first() == Some(&0.0) && self.betas.last() == Some(&1.0);
        if !ends
            || self.betas.windows(2).any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
            || self.runs == 0
        {
            return Err(Error::Invalid {
                what: "AIS schedule".into(),
                reason: "betas must rise strictly from 0 to 1, with at least one run".into(),
            });
        }
        Ok(())
    }
}

/// An AIS estimate of log Z.
#[derive(Clone, Debug, PartialEq)]
pub struct AisEstimate {
    /// log Z_A + log-mean-exp of the log weights.
    pub log_z: f64,
    /// log(mean w − 3 s.e.) + log Z_A, or −∞ when that is not positive.
    pub log_z_low: f64,
    /// log(mean w + 3 s.e.) + log Z_A.
    pub log_z_high: f64,
    /// log Z of the base-rate RBM.
    pub log_z_base: f64,
    /// Each run's log importance weight.
    pub log_weights: Vec<f64>,
}

/// log p*_β(v) − log p*_β'(v) for each sample v (row of `visible`), up to the
/// constant (β' − β) nh log 2 that [`ais_log_partition`] adds through Z_A:
/// (β − β') Σ_i v_i (a_i − a_A,i) + Σ_j [softplus(β x_j) − softplus(β' x_j)],
/// with x = vW + b the hidden inputs (one column per sample of `inputs`).
fn log_ratio(
    rbm: &BernoulliRbm,
    base: &DVector<f32>,
    visible: &BinaryRows,
    inputs: &Panels,
    (previous, beta): (f64, f64),
) -> impl Iterator<Item = f64> {
    (0..visible.rows()).map(move |r| {
        let linear: f64 = visible
            .row(r)
            .iter()
            .map(|&i| f64::from(rbm.visible_bias()[i as usize]) - f64::from(base[i as usize]))
            .sum();
        let hidden: f64 =
            inputs.column(r).map(|x| softplus(beta * f64::from(x)) - softplus(previous * f64::from(x))).sum();
        (beta - previous) * linear + hidden
    })
}

/// One AIS run per row of `visible`, advanced through the βs of `options`;
/// returns the log weights. Draws come from `rng`.
fn anneal(
    rbm: &BernoulliRbm,
    base: &DVector<f32>,
    mut visible: BinaryRows,
    betas: &[f64],
    rng: &mut SamplerRng,
) -> Vec<f64> {
    let mut log_w = vec![0.0; visible.rows()];
    let (mut inputs, mut probabilities) = (Panels::default(), Panels::default());
    for pair in betas.windows(2) {
        let (previous, beta) = (pair[0], pair[1]);
        rbm.map_hidden_inputs(&visible, |_, x| x, &mut inputs);
        log_w
            .iter_mut()
            .zip(log_ratio(rbm, base, &visible, &inputs, (previous, beta)))
            .for_each(|(w, d)| *w += d);
        // One Gibbs step leaving p_β invariant: h ~ P_β(h | v), then v ~ P_β(v | h),
        // where v's input mixes the base and the model: (1 − β) a_A + β (Wh + a).
        let beta32 = beta as f32;
        probabilities.reshape(inputs.rows(), inputs.cols());
        probabilities
            .as_mut_slice()
            .iter_mut()
            .zip(inputs.as_slice())
            .for_each(|(p, &x)| *p = sigmoid_f32(beta32 * x));
        let hidden = draw_columns(&probabilities, rng);
        let mixed =
            |i: usize, y: f32| sigmoid_f32(((1.0 - beta) * f64::from(base[i]) + beta * f64::from(y)) as f32);
        rbm.map_visible_inputs(&hidden, mixed, &mut probabilities);
        visible = draw_columns(&probabilities, rng);
    }
    log_w
}

/// Estimates log Z of `rbm` by AIS from the base-rate RBM with visible biases `base`.
pub fn ais_log_partition(
    rbm: &BernoulliRbm,
    base: &DVector<f32>,
    options: &AisOptions,
) -> Result<AisEstimate> {
    options.check()?;
    if base.len() != rbm.visible() {
        return Err(Error::ShapeMismatch {
            what: "base-rate biases".into(),
            expected: rbm.visible(),
            found: base.len(),
        });
    }
    ebm_core::error::check_finite("base-rate biases", base.as_slice())?;
    let (nv, nh) = (rbm.visible(), rbm.hidden());
    // Runs advance together in chunks of RUNS_PER_CHUNK, so each step is a
    // product of a batch of states; chunk c draws from the stream (seed, c)
    // whatever the thread count.
    let chunks = options.runs.div_ceil(RUNS_PER_CHUNK);
    let per_chunk: Vec<Vec<f64>> = (0..chunks)
        .into_par_iter()
        .map(|chunk| {
            let rows = RUNS_PER_CHUNK.min(options.runs - chunk * RUNS_PER_CHUNK);
            let mut rng = stream(options.seed, chunk as u64);
            let start = DMatrix::from_fn(rows, nv, |_, i| sigmoid_f32(base[i]));
            let visible = BinaryRows::from_matrix(&draw_units(&start, &mut rng)).expect("draws are 0 or 1");
            anneal(rbm, base, visible, &options.betas, &mut rng)
        })
        .collect();
    let log_weights: Vec<f64> = per_chunk.into_iter().flatten().collect();
    let log_z_base =
        base.iter().map(|&a| softplus(f64::from(a))).sum::<f64>() + nh as f64 * std::f64::consts::LN_2;
    Ok(crate::ais::estimate(log_z_base, log_weights))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_mcmc::rng::seeded;
    use rand::RngExt;

    /// log Z by brute force over both layers.
    fn brute_force(rbm: &BernoulliRbm) -> f64 {
        let (nv, nh) = (rbm.visible(), rbm.hidden());
        let mut acc = LogSumExp::new();
        for vs in 0u32..1 << nv {
            let v: Vec<f32> = (0..nv).map(|i| (vs >> i & 1) as f32).collect();
            for hs in 0u32..1 << nh {
                let h: Vec<f32> = (0..nh).map(|j| (hs >> j & 1) as f32).collect();
                acc.add(-rbm.energy(&v, &h).unwrap());
            }
        }
        acc.value()
    }

    fn random_rbm(seed: u64, nv: usize, nh: usize, std: f32) -> BernoulliRbm {
        let mut rng = seeded(seed);
        let mut rbm = BernoulliRbm::random(nv, nh, std, &mut rng).unwrap();
        let (a, b) = rbm.biases_mut();
        a.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        b.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
        rbm
    }

    #[test]
    fn exact_log_partition_matches_brute_force_over_both_layers() {
        for (seed, nv, nh) in [(1, 5, 3), (2, 3, 6), (3, 6, 6), (4, 1, 7), (5, 14, 2)] {
            let rbm = random_rbm(seed, nv, nh, 1.0);
            let (fast, slow) = (log_partition(&rbm).unwrap(), brute_force(&rbm));
            assert!((fast - slow).abs() < 1e-9 * slow.abs().max(1.0), "{nv}×{nh}: {fast} vs {slow}");
        }
        // More than one enumeration block.
        let rbm = random_rbm(6, 40, 15, 0.3);
        let by_hidden = log_partition(&rbm).unwrap();
        let transposed = BernoulliRbm::new(
            rbm.weights().transpose(),
            rbm.hidden_bias().clone(),
            rbm.visible_bias().clone(),
        )
        .unwrap();
        assert!((by_hidden - log_partition(&transposed).unwrap()).abs() < 1e-9 * by_hidden.abs());
        assert!(log_partition(&BernoulliRbm::zeros(40, 40)).is_err());
    }

    #[test]
    fn ais_agrees_with_the_exact_value_for_20_hidden_units() {
        let rbm = random_rbm(7, 30, 20, 0.5);
        let exact = log_partition(&rbm).unwrap();
        let base = DVector::from_element(30, 0.0f32);
        let estimate = ais_log_partition(&rbm, &base, &AisOptions::staged(3000, 64, 11)).unwrap();
        assert!((estimate.log_z - exact).abs() < 0.1, "AIS {} vs exact {exact}", estimate.log_z);
        assert!(estimate.log_z_low <= estimate.log_z && estimate.log_z <= estimate.log_z_high);
        let again = ais_log_partition(&rbm, &base, &AisOptions::staged(3000, 64, 11)).unwrap();
        assert_eq!(estimate, again);
    }

    #[test]
    fn ais_gives_the_same_estimate_on_one_thread_and_on_two() {
        let rbm = random_rbm(8, 37, 21, 0.3);
        let base = DVector::from_fn(37, |i, _| (i % 5) as f32 * 0.2 - 0.4);
        let estimate = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| ais_log_partition(&rbm, &base, &AisOptions::staged(50, 40, 3)).unwrap())
        };
        assert_eq!(estimate(1), estimate(2));
    }

    #[test]
    fn base_rates_and_bad_options() {
        let data = DMatrix::from_row_slice(4, 2, &[1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        let base = base_rate_bias(&data, 0.5).unwrap();
        // p = (3 + 0.5)/(4 + 1) = 0.7 and (1 + 0.5)/5 = 0.3.
        assert!((base[0] - (0.7f32 / 0.3).ln()).abs() < 1e-6 && (base[1] + base[0]).abs() < 1e-6);
        assert!(base_rate_bias(&DMatrix::zeros(0, 2), 1.0).is_err());
        let rbm = BernoulliRbm::zeros(2, 2);
        let bad = AisOptions { betas: vec![0.0, 0.5], runs: 3, seed: 0 };
        assert!(ais_log_partition(&rbm, &base, &bad).is_err());
        let good = AisOptions { betas: vec![0.0, 1.0], runs: 3, seed: 0 };
        assert!(ais_log_partition(&rbm, &DVector::zeros(3), &good).is_err());
        // A zero RBM is its own base: every weight is exactly 1.
        let exact = ais_log_partition(&rbm, &DVector::zeros(2), &good).unwrap();
        assert!((exact.log_z - 4.0 * std::f64::consts::LN_2).abs() < 1e-12);
    }
}
