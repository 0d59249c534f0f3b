//! One chain: autocovariance, autocorrelation, integrated autocorrelation
//! time with Sokal's automatic window, effective sample size and MCSE.

use super::{check_series, fft, min_tau, zero_variance};
use ebm_core::{Error, Result};

/// Sokal's window factor c: the window M is the smallest with M ≥ c·τ(M).
///
/// For ρ(t) ≈ e^{−t/τ} the truncation bias is about 2e^{−c}·τ (1% of τ at
/// c = 5), while the noise grows like √(2(2M + 1)/n)·τ; c = 5 balances the two
/// for chains of a few thousand τ (Sokal 1997, "Monte Carlo methods in
/// statistical mechanics", §3).
pub const SOKAL_WINDOW_FACTOR: f64 = 5.0;

/// A chain is long enough for [`IntegratedTime::is_reliable`] when it has at
/// least this many times τ values.
pub const RELIABLE_LENGTH_FACTOR: f64 = 50.0;

/// The estimated autocovariance C(t) = (1/n) Σ_{i=1}^{n−t} (x_i − x̄)(x_{i+t} − x̄)
/// for t = 0, …, n − 1, computed with a fast Fourier transform in
/// O(n log n).
///
/// The divisor n (not n − t) makes the sequence positive semi-definite and
/// shrinks the noisy large lags; C(0) is the variance with divisor n. The
/// transform works on a zero-padded copy of at most 4n complex values
/// (64 bytes of scratch per value); 10⁶ values take about 0.2 s.
pub fn autocovariance(series: &[f64]) -> Result<Vec<f64>> {
    check_series("series", series)?;
    Ok(autocovariance_unchecked(series))
}

/// [`autocovariance`] for a series already checked.
pub(super) fn autocovariance_unchecked(series: &[f64]) -> Vec<f64> {
    let n = series.len() as f64;
    let mean = series.iter().sum::<f64>() / n;
    let centered: Vec<f64> = series.iter().map(|x| x - mean).collect();
    let mut sums = fft::lagged_sums(&centered);
    sums.iter_mut().for_each(|s| *s /= n);
    sums
}

/// The estimated autocorrelation ρ(t) = C(t)/C(0) for t = 0, …,
/// min(`max_lag`, n − 1) (see [`autocovariance`]). A constant series has no
/// autocorrelation and is refused.
pub fn autocorrelation(series: &[f64], max_lag: usize) -> Result<Vec<f64>> {
    let mut rho = autocorrelation_all(series)?;
    rho.truncate(max_lag.saturating_add(1));
    Ok(rho)
}

fn autocorrelation_all(series: &[f64]) -> Result<Vec<f64>> {
    let acov = autocovariance(series)?;
    let c0 = acov[0];
    if c0 <= 0.0 {
        return Err(zero_variance("series"));
    }
    Ok(acov.iter().map(|c| c / c0).collect())
}

/// The integrated autocorrelation time of one chain, τ = 1 + 2 Σ_{t≥1} ρ(t),
/// as estimated by [`integrated_time`].
///
/// The estimate is τ̂ = τ(M) = 1 + 2 Σ_{t=1}^{M} ρ̂(t) at the window M. Its
/// standard deviation is about τ·√(2(2M + 1)/n) (Madras & Sokal 1988), so a
/// chain of n = 10⁴ τ values gives τ to about 3%.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IntegratedTime {
    /// The estimate τ̂, at least 1/log₁₀ n (an ESS of at most n log₁₀ n, as in Stan).
    pub tau: f64,
    /// The window M at which the sum was truncated.
    pub window: usize,
    /// Whether a window M < n with M ≥ c·τ(M) exists. If not, `tau` is the
    /// largest τ(M) over all M and `window` where it is reached.
    pub window_found: bool,
    /// The length n of the series.
    pub draws: usize,
}

impl IntegratedTime {
    /// The effective sample size n/τ̂.
    pub fn effective_sample_size(&self) -> f64 {
        self.draws as f64 / self.tau
    }

    /// Whether the estimate can be trusted: a window was found and the chain
    /// has at least [`RELIABLE_LENGTH_FACTOR`]·τ̂ values (the rule of emcee;
    /// shorter chains underestimate τ).
    pub fn is_reliable(&self) -> bool {
        self.window_found && self.draws as f64 >= RELIABLE_LENGTH_FACTOR * self.tau
    }
}

/// The integrated autocorrelation time of one chain with Sokal's automatic
/// window and c = [`SOKAL_WINDOW_FACTOR`]: see [`integrated_time_with_factor`].
pub fn integrated_time(series: &[f64]) -> Result<IntegratedTime> {
    integrated_time_with_factor(series, SOKAL_WINDOW_FACTOR)
}

/// The integrated autocorrelation time τ = 1 + 2 Σ_{t≥1} ρ(t) of one chain,
/// truncated at Sokal's automatic window: the smallest M ≥ 1 with
/// M ≥ c·τ(M), where τ(M) = 1 + 2 Σ_{t=1}^{M} ρ̂(t) and ρ̂ is
/// [`autocorrelation`].
///
/// Refuses series shorter than [`super::MIN_SERIES_LEN`], with non-finite
/// values or zero variance, and factors c that are not finite and > 0.
pub fn integrated_time_with_factor(series: &[f64], factor: f64) -> Result<IntegratedTime> {
    if !(factor.is_finite() && factor > 0.0) {
        return Err(Error::Invalid {
            what: "Sokal window factor c".into(),
            reason: format!("must be finite and > 0, got {factor}"),
        });
    }
    let rho = autocorrelation_all(series)?;
    let draws = rho.len();
    let floor = min_tau(draws);
    let mut tau = 1.0;
    let (mut largest, mut largest_at) = (1.0, 0);
    for (window, r) in rho.iter().enumerate().skip(1) {
        tau += 2.0 * r;
        if window as f64 >= factor * tau {
            return Ok(IntegratedTime { tau: tau.max(floor), window, window_found: true, draws });
        }
        if tau > largest {
            (largest, largest_at) = (tau, window);
        }
    }
    Ok(IntegratedTime { tau: largest.max(floor), window: largest_at, window_found: false, draws })
}

/// The effective sample size n/τ̂ of one chain, with τ̂ from [`integrated_time`].
pub fn effective_sample_size(series: &[f64]) -> Result<f64> {
    integrated_time(series).map(|t| t.effective_sample_size())
}

/// The Monte-Carlo standard error of the mean of one chain,
/// MCSE = s/√ESS = s·√(τ̂/n), with s the sample standard deviation
/// (divisor n − 1) and τ̂ from [`integrated_time`].
pub fn mcse(series: &[f64]) -> Result<f64> {
    let time = integrated_time(series)?;
    let (_, variance) = super::mean_and_variance(series);
    Ok((variance / time.effective_sample_size()).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::testing::{ar1, ar1_tau};
    use proptest::prelude::*;

    #[test]
    fn ar1_integrated_time_matches_theory() {
        let n = 1_000_000;
        for (k, phi) in [0.0, 0.5, 0.9].into_iter().enumerate() {
            let x = ar1(phi, n, 100 + k as u64);
            let t = integrated_time(&x).unwrap();
            let exact = ar1_tau(phi);
            // Four standard deviations of Sokal's estimator, plus the truncation bias.
            let sd = exact * (2.0 * (2.0 * t.window as f64 + 1.0) / n as f64).sqrt();
            let bias = 2.0 * phi.powi(t.window as i32 + 1) / (1.0 - phi);
            assert!(t.window_found && t.is_reliable(), "{t:?}");
            assert!(
                (t.tau - exact).abs() < 4.0 * sd + bias,
                "φ = {phi}: τ̂ = {}, τ = {exact}, sd {sd}",
                t.tau
            );
            // The window is about c·τ.
            assert!((t.window as f64) < 2.0 * SOKAL_WINDOW_FACTOR * exact + 2.0, "{t:?}");
            let ess = t.effective_sample_size();
            assert!((ess / (n as f64 / exact) - 1.0).abs() < 4.0 * sd / exact + 0.01, "ESS {ess}");
        }
    }

    #[test]
    fn ar1_autocorrelation_decays_geometrically() {
        let x = ar1(0.7, 200_000, 5);
        let rho = autocorrelation(&x, 10).unwrap();
        assert_eq!(rho.len(), 11);
        for (t, r) in rho.iter().enumerate() {
            // sd of ρ̂(t) is below √(τ/n) ≈ 0.0054 here.
            assert!((r - 0.7f64.powi(t as i32)).abs() < 0.025, "lag {t}: {r}");
        }
    }

    #[test]
    fn iid_ess_is_about_n() {
        let n = 100_000;
        let x = ar1(0.0, n, 9);
        let ess = effective_sample_size(&x).unwrap();
        assert!((ess / n as f64 - 1.0).abs() < 0.08, "ESS {ess} of {n}");
        // MCSE of iid N(0, 1) draws: 1/√n.
        let se = mcse(&x).unwrap();
        assert!((se * (n as f64).sqrt() - 1.0).abs() < 0.06, "{se}");
    }

    #[test]
    fn mcse_covers_the_true_mean_at_the_nominal_rate() {
        // 300 independent AR(1) chains (mean 0): |x̄| < 2·MCSE should hold for ~95% of them.
        let chains = 300;
        let covered = (0..chains)
            .filter(|&k| {
                let x = ar1(0.8, 5_000, 1_000 + k);
                let mean = x.iter().sum::<f64>() / x.len() as f64;
                mean.abs() < 2.0 * mcse(&x).unwrap()
            })
            .count();
        let rate = covered as f64 / chains as f64;
        // Binomial sd at 95% over 300 chains is 1.3%; allow for the estimator's own error.
        assert!((0.89..=0.99).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn a_short_strongly_correlated_chain_is_flagged() {
        // 400 values of a chain with τ = 199: far too short.
        let x = ar1(0.99, 400, 3);
        let t = integrated_time(&x).unwrap();
        assert!(!t.is_reliable(), "{t:?}");
    }

    #[test]
    fn refuses_bad_series() {
        assert!(matches!(autocovariance(&[]), Err(Error::Invalid { .. })));
        assert!(matches!(integrated_time(&[1.0, 2.0, 3.0]), Err(Error::Invalid { .. })));
        assert!(matches!(
            integrated_time(&[1.0, 2.0, f64::NAN, 3.0]),
            Err(Error::NonFinite { index: 2, .. })
        ));
        assert!(matches!(integrated_time(&[1.0, 1.0, 1.0, 1.0, 1.0]), Err(Error::Invalid { .. })));
        assert!(mcse(&[2.0; 10]).is_err());
        assert!(integrated_time_with_factor(&[1.0, 2.0, 3.0, 4.0], 0.0).is_err());
        assert!(integrated_time_with_factor(&[1.0, 2.0, 3.0, 4.0], f64::INFINITY).is_err());
    }

    fn series() -> impl Strategy<Value = Vec<f64>> {
        (4usize..300, any::<u64>(), -0.9f64..0.95).prop_map(|(n, seed, phi)| ar1(phi, n, seed))
    }

    proptest! {
        #[test]
        fn autocovariance_matches_the_direct_sum(x in series()) {
            let fast = autocovariance(&x).unwrap();
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            for (t, c) in fast.iter().enumerate() {
                let direct: f64 = x.iter().zip(&x[t..]).map(|(a, b)| (a - mean) * (b - mean)).sum::<f64>() / n;
                prop_assert!((c - direct).abs() < 1e-10 * (1.0 + fast[0]), "lag {}: {} vs {}", t, c, direct);
            }
            // |ρ(t)| ≤ 1 for the divisor-n estimator.
            prop_assert!(fast.iter().all(|c| c.abs() <= fast[0] * (1.0 + 1e-12)));
        }

        #[test]
        fn tau_is_invariant_under_affine_maps_and_reversal(
            x in series(), scale in prop_oneof![-100.0f64..-0.01, 0.01f64..100.0], shift in -1e3f64..1e3
        ) {
            let t = integrated_time(&x).unwrap();
            let mapped: Vec<f64> = x.iter().map(|v| scale * v + shift).collect();
            let reversed: Vec<f64> = x.iter().rev().copied().collect();
            for other in [integrated_time(&mapped).unwrap(), integrated_time(&reversed).unwrap()] {
                prop_assert_eq!(other.window, t.window);
                prop_assert!((other.tau - t.tau).abs() < 1e-8 * t.tau, "{} vs {}", other.tau, t.tau);
            }
            let ess = effective_sample_size(&x).unwrap();
            prop_assert!((effective_sample_size(&mapped).unwrap() - ess).abs() < 1e-8 * ess);
            // MCSE scales with |a| and ignores b.
            let se = mcse(&x).unwrap();
            prop_assert!((mcse(&mapped).unwrap() - scale.abs() * se).abs() < 1e-8 * scale.abs() * se);
        }

        #[test]
        fn tau_is_bounded(x in series()) {
            let t = integrated_time(&x).unwrap();
            let n = x.len() as f64;
            // τ(M) ≤ 1 + 2M since |ρ| ≤ 1, and the floor keeps ESS ≤ n log₁₀ n.
            prop_assert!(t.tau >= min_tau(x.len()) && t.tau <= 1.0 + 2.0 * t.window as f64 + 1e-9);
            prop_assert!(t.effective_sample_size() <= n * n.max(10.0).log10() + 1e-9);
            prop_assert!(t.window < x.len());
            if t.window_found {
                // Sokal's rule holds at the window.
                prop_assert!(t.window as f64 >= SOKAL_WINDOW_FACTOR * t.tau - 1e-9 || t.tau == min_tau(x.len()));
            }
        }
    }
}
