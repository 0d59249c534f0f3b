//! Chain diagnostics: how correlated a Markov chain's output is, how many
//! independent draws it is worth, whether several chains agree, and how
//! precise their averages are.
//!
//! Every function takes plain `f64` series — one observable (an energy, a
//! magnetisation, a unit's value) recorded once per step — and returns a
//! [`Result`]: empty or too short series (fewer than
//! [`MIN_SERIES_LEN`] values), chains of unequal length, non-finite values
//! and constant series (whose autocorrelation is undefined) are refused.
//!
//! # Definitions
//!
//! For a stationary series x₁, …, x_n with mean μ and variance σ², the
//! autocorrelation at lag t is ρ(t) = Cov(x_s, x_{s+t}) / σ². The variance of
//! the sample mean x̄ is, for large n,
//!
//! Var(x̄) ≈ σ² τ / n,  τ = 1 + 2 Σ_{t≥1} ρ(t),
//!
//! which defines the **integrated autocorrelation time** τ: the chain's n
//! correlated draws estimate μ as well as n/τ independent ones would. Hence
//! the **effective sample size** ESS = n/τ and the **Monte-Carlo standard
//! error** of the mean, MCSE = σ/√ESS.
//!
//! The sum over all lags cannot be taken from data — the estimated ρ(t) at
//! large t are noise whose variance adds up to O(1) — so it is truncated:
//!
//! - [`integrated_time`] (one chain): Sokal's automatic window, the smallest
//!   M with M ≥ c·τ(M) where τ(M) = 1 + 2 Σ_{t=1}^{M} ρ̂(t), c = 5;
//! - [`split_ess`] (several chains): Geyer's initial monotone sequence over
//!   the autocorrelations pooled across split chains, as in Stan and in
//!   Vehtari, Gelman, Simpson, Carpenter & Bürkner (2021), "Rank-normalization,
//!   folding, and localization: an improved R̂", *Bayesian Analysis* 16(2).
//!
//! **Split-R̂** ([`split_rhat`]) compares the variance between chains with the
//! variance within them after cutting each chain in two halves, so that a
//! chain that has not settled (its two halves disagree) is caught too.
//! [`rank_normalized_split_rhat`] and [`bulk_ess`] apply the same estimators
//! to rank-normalised draws (robust to heavy tails), and the former also to
//! folded draws |x − median| (sensitive to chains that differ in scale).
//!
//! [`summarize`] reports all of these for one observable at once, and
//! [`RunningStats`] is Welford's streaming mean and variance, mergeable
//! across threads, for observers that cannot keep a whole series.
//!
//! ```
//! use ebm_mcmc::{diagnostics, rng::seeded};
//! use rand::RngExt;
//!
//! // An AR(1) series x_t = 0.9 x_{t−1} + ε_t, whose τ = (1 + 0.9)/(1 − 0.9) = 19.
//! let mut rng = seeded(1);
//! let mut x = 0.0;
//! let series: Vec<f64> = (0..100_000)
//!     .map(|_| {
//!         x = 0.9 * x + rng.random::<f64>() - 0.5;
//!         x
//!     })
//!     .collect();
//! let t = diagnostics::integrated_time(&series)?;
//! assert!((t.tau - 19.0).abs() < 4.0);
//! // Four pieces of the same stationary chain agree.
//! let chains: Vec<&[f64]> = series.chunks(25_000).collect();
//! assert!(diagnostics::split_rhat(&chains)? < 1.02);
//! # Ok::<(), ebm_core::Error>(())
//! ```

mod autocorr;
mod fft;
mod multichain;
mod rank;
mod running;
mod summary;
#[cfg(test)]
mod testing;

pub use autocorr::{
    IntegratedTime, RELIABLE_LENGTH_FACTOR, SOKAL_WINDOW_FACTOR, autocorrelation, autocovariance,
    effective_sample_size, integrated_time, integrated_time_with_factor, mcse,
};
pub use multichain::{split_ess, split_mcse, split_rhat};
pub use rank::{bulk_ess, rank_normalized_split_rhat};
pub use running::RunningStats;
pub use summary::{ChainSummary, summarize};

use ebm_core::{Error, Result};

/// The fewest values a series (or each chain) must have: split chains then
/// have halves of at least two values, each with a sample variance.
pub const MIN_SERIES_LEN: usize = 4;

/// Checks that `series` has at least [`MIN_SERIES_LEN`] values, all finite.
fn check_series(what: &str, series: &[f64]) -> Result<()> {
    if series.len() < MIN_SERIES_LEN {
        return Err(Error::Invalid {
            what: what.to_string(),
            reason: format!("has {} values, at least {MIN_SERIES_LEN} are needed", series.len()),
        });
    }
    match series.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what: what.to_string(), index, value: series[index] }),
    }
}

/// Checks that there is at least one chain, that all chains have the same
/// length and pass [`check_series`]; returns them as slices.
fn check_chains<C: AsRef<[f64]>>(chains: &[C]) -> Result<Vec<&[f64]>> {
    let Some(first) = chains.first() else {
        return Err(Error::Invalid { what: "chains".into(), reason: "no chain was given".into() });
    };
    let len = first.as_ref().len();
    chains
        .iter()
        .enumerate()
        .map(|(k, chain)| {
            let chain = chain.as_ref();
            if chain.len() != len {
                return Err(Error::ShapeMismatch {
                    what: format!("chain {k}"),
                    expected: len,
                    found: chain.len(),
                });
            }
            check_series(&format!("chain {k}"), chain)?;
            Ok(chain)
        })
        .collect()
}

/// The error for a series without spread.
fn zero_variance(what: &str) -> Error {
    Error::Invalid {
        what: what.to_string(),
        reason: "has zero variance, so its autocorrelation (and R̂) is undefined".into(),
    }
}

/// The least τ reported for `draws` draws: 1/log₁₀(draws), i.e. an effective
/// sample size of at most draws·log₁₀(draws), as in Stan. Strongly
/// anti-correlated chains can have τ < 1; this keeps a noisy estimate of
/// such a τ positive.
fn min_tau(draws: usize) -> f64 {
    1.0 / (draws.max(10) as f64).log10()
}

/// The sample mean and the unbiased sample variance (divisor n − 1) of `x`.
fn mean_and_variance(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>();
    (mean, ss / (n - 1.0))
}
