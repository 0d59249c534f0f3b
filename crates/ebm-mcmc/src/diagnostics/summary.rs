//! All diagnostics of one observable over several chains at once.

use super::{bulk_ess, check_chains, mean_and_variance, rank_normalized_split_rhat, split_ess};
use ebm_core::Result;

/// The usual report on one observable recorded by m chains of n steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainSummary {
    /// The number of chains m.
    pub chains: usize,
    /// The number of draws of all chains together, m·n.
    pub draws: usize,
    /// The mean of all draws.
    pub mean: f64,
    /// The sample standard deviation s of all draws.
    pub sd: f64,
    /// The effective sample size for the mean, [`super::split_ess`].
    pub ess: f64,
    /// The rank-normalised bulk effective sample size, [`super::bulk_ess`].
    pub bulk_ess: f64,
    /// The Monte-Carlo standard error of `mean`, s/√ess.
    pub mcse: f64,
    /// The rank-normalised split-R̂, [`super::rank_normalized_split_rhat`].
    pub rhat: f64,
}

impl ChainSummary {
    /// Whether the chains pass the thresholds of Vehtari et al. (2021):
    /// R̂ < 1.01 and a bulk ESS of at least 100 per chain.
    pub fn converged(&self) -> bool {
        self.rhat < 1.01 && self.bulk_ess >= 100.0 * self.chains as f64
    }
}

/// Mean, standard deviation, ESS, bulk ESS, MCSE and rank-normalised R̂ of
/// equal-length chains. Errors as [`super::split_rhat`].
pub fn summarize<C: AsRef<[f64]>>(chains: &[C]) -> Result<ChainSummary> {
    let checked = check_chains(chains)?;
    let pooled = checked.concat();
    let (mean, variance) = mean_and_variance(&pooled);
    let ess = split_ess(chains)?;
    Ok(ChainSummary {
        chains: checked.len(),
        draws: pooled.len(),
        mean,
        sd: variance.sqrt(),
        ess,
        bulk_ess: bulk_ess(chains)?,
        mcse: (variance / ess).sqrt(),
        rhat: rank_normalized_split_rhat(chains)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::split_mcse;
    use crate::diagnostics::testing::ar1;

    #[test]
    fn summary_agrees_with_the_single_diagnostics() {
        let chains: Vec<Vec<f64>> = (0..4).map(|k| ar1(0.6, 10_000, 70 + k)).collect();
        let s = summarize(&chains).unwrap();
        assert_eq!((s.chains, s.draws), (4, 40_000));
        assert!((s.mcse - split_mcse(&chains).unwrap()).abs() < 1e-15);
        assert!((s.sd - 1.0).abs() < 0.03 && s.mean.abs() < 4.0 * s.mcse);
        assert!(s.converged(), "{s:?}");
        let mut stuck = chains.clone();
        stuck[0].iter_mut().for_each(|x| *x += 1.0);
        assert!(!summarize(&stuck).unwrap().converged());
    }
}
