//! What annealed importance sampling makes of its importance weights,
//! shared by the RBM and DBM estimators.
//!
//! M independent runs give log weights log w_m with E[w] = Z_B / Z_A. The
//! estimate is log Ẑ_B = log Z_A + log((1/M) Σ_m w_m), computed as a
//! log-mean-exp; its error bar comes from the standard error s/√M of the
//! weights (scaled by their mean, so nothing overflows).

use crate::rbm::partition::AisEstimate;
use ebm_core::math::log_mean_exp;

/// Runs advanced together as the rows of one matrix; chunk c of the runs
/// draws from the random stream (seed, c), whatever the number of threads.
pub(crate) const RUNS_PER_CHUNK: usize = 16;

/// The AIS estimate from the base model's log Z_A and the runs' log weights:
/// log Z = log Z_A + log-mean-exp(log w), bounds log Z_A + log(mean w ± 3 s.e.)
/// (the lower one −∞ when mean w − 3 s.e. ≤ 0).
pub(crate) fn estimate(log_z_base: f64, log_weights: Vec<f64>) -> AisEstimate {
    let log_mean = log_mean_exp(&log_weights);
    let scaled: Vec<f64> = log_weights.iter().map(|&l| (l - log_mean).exp()).collect();
    let m = scaled.len() as f64;
    let variance = scaled.iter().map(|w| (w - 1.0).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
    let three_se = 3.0 * (variance / m).sqrt();
    let log_z = log_z_base + log_mean;
    AisEstimate {
        log_z,
        log_z_low: if three_se < 1.0 { log_z + (1.0 - three_se).ln() } else { f64::NEG_INFINITY },
        log_z_high: log_z + (1.0 + three_se).ln(),
        log_z_base,
        log_weights,
    }
}
