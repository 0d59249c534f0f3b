//! What annealed importance sampling makes of its importance weights.
//!
//! M independent runs give log weights log w_m with E\[w\] = Z / Z₀. The
//! estimate is log Ẑ = log Z₀ + log((1/M) Σ_m w_m), computed as a
//! log-mean-exp; its error bar comes from the standard error s/√M of the
//! weights, scaled by their mean so that nothing overflows: with
//! u_m = w_m / w̄ = exp(log w_m − log w̄), s_u² = Σ_m (u_m − 1)² / (M − 1)
//! and the bounds are log Ẑ + log(1 ± 3 s_u/√M).

use ebm_core::math::log_mean_exp;

/// An AIS estimate of log Z.
#[derive(Clone, Debug, PartialEq)]
pub struct AisEstimate {
    /// log Z₀ + log-mean-exp of the log weights.
    pub log_z: f64,
    /// log(mean w − 3 s.e.) + log Z₀, or −∞ when that is not positive.
    pub log_z_low: f64,
    /// log(mean w + 3 s.e.) + log Z₀.
    pub log_z_high: f64,
    /// log Z₀ of the base model.
    pub log_z_base: f64,
    /// Each run's log importance weight.
    pub log_weights: Vec<f64>,
}

impl AisEstimate {
    /// The estimate from the base model's log Z₀ and the runs' log weights:
    /// log Z = log Z₀ + log-mean-exp(log w), bounds log Z₀ + log(mean w ± 3 s.e.)
    /// (the lower one −∞ when mean w − 3 s.e. ≤ 0). With one run the
    /// standard error is taken as 0.
    pub fn from_log_weights(log_z_base: f64, log_weights: Vec<f64>) -> Self {
        let log_mean = log_mean_exp(&log_weights);
        let scaled: Vec<f64> = log_weights.iter().map(|&l| (l - log_mean).exp()).collect();
        let m = scaled.len() as f64;
        let variance = scaled.iter().map(|w| (w - 1.0).powi(2)).sum::<f64>() / (m - 1.0).max(1.0);
        let three_se = 3.0 * (variance / m).sqrt();
        let log_z = log_z_base + log_mean;
        Self {
            log_z,
            log_z_low: if three_se < 1.0 { log_z + (1.0 - three_se).ln() } else { f64::NEG_INFINITY },
            log_z_high: log_z + (1.0 + three_se).ln(),
            log_z_base,
            log_weights,
        }
    }
}
