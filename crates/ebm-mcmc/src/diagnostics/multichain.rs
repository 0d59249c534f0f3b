//! Several chains: split-R̂, multi-chain effective sample size (Geyer's
//! initial monotone sequence) and the Monte-Carlo standard error.

use super::autocorr::autocovariance_unchecked;
use super::{check_chains, mean_and_variance, min_tau, zero_variance};
use ebm_core::Result;

/// Cuts every chain into its first and second half (of ⌊n/2⌋ values each;
/// the middle value of an odd-length chain is dropped): 2m chains.
pub(super) fn split_halves<'a>(chains: &[&'a [f64]]) -> Vec<&'a [f64]> {
    chains.iter().flat_map(|c| [&c[..c.len() / 2], &c[c.len() - c.len() / 2..]]).collect()
}

/// The within-chain variance W (mean of the sample variances), the between-chain
/// variance B/n (sample variance of the chain means) and n, for equal-length chains.
fn variance_components(chains: &[&[f64]]) -> Result<(f64, f64, f64)> {
    let n = chains[0].len() as f64;
    let (means, variances): (Vec<f64>, Vec<f64>) = chains.iter().map(|c| mean_and_variance(c)).unzip();
    let within = variances.iter().sum::<f64>() / chains.len() as f64;
    if within <= 0.0 {
        return Err(zero_variance("chains (within-chain variance)"));
    }
    let between = if chains.len() > 1 { mean_and_variance(&means).1 } else { 0.0 };
    Ok((within, between, n))
}

/// The Gelman–Rubin R̂ of equal-length chains (already split).
pub(super) fn rhat_of(chains: &[&[f64]]) -> Result<f64> {
    let (within, between, n) = variance_components(chains)?;
    let pooled = (n - 1.0) / n * within + between;
    Ok((pooled / within).sqrt())
}

/// Split-R̂ (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §11.4): each of
/// the m chains is cut in two halves of n values, and for the 2m halves
///
/// - W = mean of the within-half sample variances s²_j,
/// - B = n · sample variance of the half means x̄_j (divisor 2m − 1),
/// - var⁺ = (n − 1)/n · W + B/n, an overestimate of the target variance
///   while the chains have not mixed (W underestimates it),
/// - R̂ = √(var⁺ / W).
///
/// R̂ → 1 as the chains converge; R̂ > 1.01 means more draws are needed
/// (Vehtari et al. 2021). Splitting also catches a single chain whose two
/// halves disagree (a trend, or a chain still on its way to equilibrium).
/// This is the classic estimator on the raw values; see
/// [`super::rank_normalized_split_rhat`] for the robust one.
///
/// Refuses no chains, chains of unequal length, chains shorter than
/// [`super::MIN_SERIES_LEN`], non-finite values and zero within-chain variance.
pub fn split_rhat<C: AsRef<[f64]>>(chains: &[C]) -> Result<f64> {
    let chains = check_chains(chains)?;
    rhat_of(&split_halves(&chains))
}

/// The multi-chain effective sample size of equal-length chains (already split).
pub(super) fn ess_of(chains: &[&[f64]]) -> Result<f64> {
    let (within, between, n) = variance_components(chains)?;
    let len = chains[0].len();
    let acov: Vec<Vec<f64>> = chains.iter().map(|c| autocovariance_unchecked(c)).collect();
    let mean_acov = |t: usize| acov.iter().map(|a| a[t]).sum::<f64>() / chains.len() as f64;
    let pooled = (n - 1.0) / n * within + between;
    // ρ̂(t) = 1 − (W − mean_j C_j(t)) / var⁺.
    let rho_at = |t: usize| 1.0 - (within - mean_acov(t)) / pooled;
    let draws = len * chains.len();
    Ok(draws as f64 / geyer_time(len, rho_at).max(min_tau(draws)))
}

/// τ̂ from the autocorrelations ρ̂(0..len) by Geyer's initial monotone
/// sequence, as in Stan: the pair sums P_k = ρ̂(2k) + ρ̂(2k + 1) are summed
/// while positive (initial positive sequence), made non-increasing (initial
/// monotone sequence), and τ̂ = −1 + 2 Σ_{t<T} ρ̂(t) + ρ̂(T) at the truncation
/// lag T (the last even lag, counted once, reduces variance for antithetic
/// chains).
fn geyer_time(len: usize, rho_at: impl Fn(usize) -> f64) -> f64 {
    let mut rho = vec![0.0; len.max(2)];
    rho[0] = 1.0;
    let (mut even, mut odd) = (1.0, rho_at(1));
    rho[1] = odd;
    let mut t = 0;
    while t + 5 < len && even + odd > 0.0 {
        t += 2;
        (even, odd) = (rho_at(t), rho_at(t + 1));
        if even + odd >= 0.0 {
            (rho[t], rho[t + 1]) = (even, odd);
        }
    }
    let last = t;
    if even > 0.0 {
        rho[last] = even;
    }
    let mut t = 2;
    while t + 2 <= last {
        let previous = rho[t - 2] + rho[t - 1];
        if rho[t] + rho[t + 1] > previous {
            rho[t] = previous / 2.0;
            rho[t + 1] = previous / 2.0;
        }
        t += 2;
    }
    -1.0 + 2.0 * rho[..last].iter().sum::<f64>() + rho[last]
}

/// The effective sample size of m chains of n values together, as defined by
/// Vehtari et al. (2021, §3.2) and computed by Stan (`ess_basic` in the R
/// package posterior): the chains are split in halves, and with the
/// autocovariances C_j(t) of the 2m halves (see [`super::autocovariance`]),
/// W and var⁺ as in [`split_rhat`],
///
/// ρ̂(t) = 1 − (W − mean_j C_j(t)) / var⁺,  ESS = 2m·(n/2) / τ̂,
///
/// with τ̂ = 1 + 2 Σ ρ̂(t) truncated by Geyer's initial monotone sequence
/// (pairs of lags summed while positive, then made non-increasing). Using
/// var⁺ instead of each chain's own variance makes ESS drop when the chains
/// disagree. τ̂ is kept at least 1/log₁₀(draws). This is the classic
/// ("basic") version on the raw values; [`super::bulk_ess`] is the
/// rank-normalised one.
pub fn split_ess<C: AsRef<[f64]>>(chains: &[C]) -> Result<f64> {
    let chains = check_chains(chains)?;
    ess_of(&split_halves(&chains))
}

/// The Monte-Carlo standard error of the mean of all draws of all chains,
/// s/√ESS, with s the sample standard deviation of the pooled draws and ESS
/// from [`split_ess`].
pub fn split_mcse<C: AsRef<[f64]>>(chains: &[C]) -> Result<f64> {
    let checked = check_chains(chains)?;
    let pooled: Vec<f64> = checked.concat();
    let (_, variance) = mean_and_variance(&pooled);
    Ok((variance / ess_of(&split_halves(&checked))?).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::testing::{ar1, ar1_tau};
    use ebm_core::Error;
    use proptest::prelude::*;

    fn ar1_chains(phi: f64, chains: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
        (0..chains as u64).map(|k| ar1(phi, n, seed * 1000 + k)).collect()
    }

    #[test]
    fn rhat_is_near_one_for_chains_of_the_same_process() {
        let chains = ar1_chains(0.9, 4, 20_000, 1);
        let r = split_rhat(&chains).unwrap();
        assert!((0.99..1.01).contains(&r), "{r}");
    }

    #[test]
    fn rhat_flags_chains_with_shifted_means() {
        let mut chains = ar1_chains(0.5, 4, 2_000, 2);
        chains[3].iter_mut().for_each(|x| *x += 1.0);
        let r = split_rhat(&chains).unwrap();
        assert!(r > 1.1, "{r}");
    }

    #[test]
    fn splitting_flags_a_trend_that_every_chain_shares() {
        // Four chains drifting the same way: their means agree, their halves do not.
        let chains: Vec<Vec<f64>> = ar1_chains(0.0, 4, 2_000, 3)
            .into_iter()
            .map(|c| c.iter().enumerate().map(|(i, x)| x + 3.0 * i as f64 / 2_000.0).collect())
            .collect();
        let r = split_rhat(&chains).unwrap();
        assert!(r > 1.1, "{r}");
        // Without splitting (each whole chain taken as it is), R̂ would miss it.
        let whole: Vec<&[f64]> = chains.iter().map(|c| c.as_slice()).collect();
        assert!(rhat_of(&whole).unwrap() < 1.01);
    }

    #[test]
    fn multi_chain_ess_matches_ar1_theory() {
        for (phi, seed) in [(0.0, 4), (0.5, 5), (0.9, 6)] {
            let (m, n) = (4, 100_000);
            let chains = ar1_chains(phi, m, n, seed);
            let ess = split_ess(&chains).unwrap();
            let exact = (m * n) as f64 / ar1_tau(phi);
            // Geyer's estimator has a relative sd of a few per cent here.
            assert!((ess / exact - 1.0).abs() < 0.1, "φ = {phi}: ESS {ess}, expected {exact}");
            let se = split_mcse(&chains).unwrap();
            assert!((se / (1.0 / exact.sqrt()) - 1.0).abs() < 0.1, "MCSE {se}");
        }
    }

    #[test]
    fn disagreeing_chains_have_a_small_ess() {
        let mut chains = ar1_chains(0.0, 4, 5_000, 7);
        let agreeing = split_ess(&chains).unwrap();
        chains[0].iter_mut().for_each(|x| *x += 2.0);
        let disagreeing = split_ess(&chains).unwrap();
        assert!(disagreeing < 0.1 * agreeing, "{disagreeing} vs {agreeing}");
    }

    #[test]
    fn refuses_bad_chains() {
        let none: [&[f64]; 0] = [];
        assert!(matches!(split_rhat(&none), Err(Error::Invalid { .. })));
        let unequal = [vec![1.0, 2.0, 3.0, 4.0], vec![1.0, 2.0, 3.0, 4.0, 5.0]];
        assert!(matches!(split_rhat(&unequal), Err(Error::ShapeMismatch { .. })));
        assert!(matches!(split_ess(&unequal), Err(Error::ShapeMismatch { .. })));
        let short = [vec![1.0, 2.0, 3.0]];
        assert!(matches!(split_ess(&short), Err(Error::Invalid { .. })));
        let infinite = [vec![1.0, 2.0, 3.0, 4.0], vec![1.0, f64::INFINITY, 3.0, 4.0]];
        assert!(matches!(split_mcse(&infinite), Err(Error::NonFinite { index: 1, .. })));
        let constant = [vec![1.0; 8], vec![2.0; 8]];
        assert!(matches!(split_rhat(&constant), Err(Error::Invalid { .. })));
        assert!(split_ess(&constant).is_err());
    }

    fn chains() -> impl Strategy<Value = Vec<Vec<f64>>> {
        (1usize..5, 4usize..200, any::<u64>(), -0.5f64..0.95)
            .prop_map(|(m, n, seed, phi)| ar1_chains(phi, m, n, seed % 1_000_000))
    }

    proptest! {
        #[test]
        fn rhat_and_ess_are_invariant_under_affine_maps(
            chains in chains(), scale in prop_oneof![-50.0f64..-0.01, 0.01f64..50.0], shift in -1e3f64..1e3
        ) {
            let mapped: Vec<Vec<f64>> =
                chains.iter().map(|c| c.iter().map(|x| scale * x + shift).collect()).collect();
            let (r, r2) = (split_rhat(&chains).unwrap(), split_rhat(&mapped).unwrap());
            prop_assert!((r - r2).abs() < 1e-8 * r, "{} vs {}", r, r2);
            let (e, e2) = (split_ess(&chains).unwrap(), split_ess(&mapped).unwrap());
            prop_assert!((e - e2).abs() < 1e-8 * e, "{} vs {}", e, e2);
        }

        #[test]
        fn rhat_and_ess_are_bounded(chains in chains()) {
            let draws = (chains.len() * (chains[0].len() / 2) * 2) as f64;
            // var⁺ ≥ (n − 1)/n · W, so R̂ ≥ √((n − 1)/n).
            let half = (chains[0].len() / 2) as f64;
            prop_assert!(split_rhat(&chains).unwrap() >= ((half - 1.0) / half).sqrt() - 1e-12);
            let ess = split_ess(&chains).unwrap();
            prop_assert!(ess > 0.0 && ess <= draws * draws.max(10.0).log10() + 1e-9, "{}", ess);
        }

        #[test]
        fn chain_order_does_not_matter(chains in chains()) {
            let reversed: Vec<Vec<f64>> = chains.iter().rev().cloned().collect();
            let (r, r2) = (split_rhat(&chains).unwrap(), split_rhat(&reversed).unwrap());
            prop_assert!((r - r2).abs() < 1e-12 * r);
            let (e, e2) = (split_ess(&chains).unwrap(), split_ess(&reversed).unwrap());
            prop_assert!((e - e2).abs() < 1e-9 * e);
        }
    }
}
