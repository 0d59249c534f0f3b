//! The settings of an AIS run: the inverse temperatures β₀ … β_K, the number
//! of runs and the seed.

use ebm_core::{Error, Result};

/// Settings of an AIS run.
#[derive(Clone, Debug, PartialEq)]
pub struct AisOptions {
    /// The inverse temperatures 0 = β₀ < … < β_K = 1.
    pub betas: Vec<f64>,
    /// Independent runs M.
    pub runs: usize,
    /// Seed; runs are drawn in chunks of [`RUNS_PER_CHUNK`](super::RUNS_PER_CHUNK),
    /// chunk c from the random stream (seed, c).
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
