//! Capacity experiments: how many random patterns a storage rule can hold.
//!
//! For N units and load α = K/N, K unbiased random patterns are stored and
//! each is probed twice: as it is (is it a fixed point?) and with a small
//! fraction of units flipped (how close to it does recall end?). For the
//! Hebbian rule the retrieval states disappear near α_c ≈ 0.138 as N → ∞
//! (Amit, Gutfreund and Sompolinsky, 1985): below it recall ends within a
//! few percent of the pattern, above it the final overlap collapses.

use crate::dense::DenseMemory;
use crate::network::{Hopfield, RecallOptions};
use ebm_core::{DensePairwise, Domain, Error, Result};
use ebm_mcmc::rng::stream;
use rand::RngExt;
use rayon::prelude::*;

/// An associative memory as the capacity experiment sees it.
pub trait Memory: Sync {
    /// Whether `pattern` is a fixed point of the dynamics.
    fn holds(&self, pattern: &[i8]) -> Result<bool>;

    /// The state that recall from `probe` ends in.
    fn recall_from(&self, probe: &[i8], seed: u64) -> Result<Vec<i8>>;
}

impl Memory for Hopfield<DensePairwise> {
    fn holds(&self, pattern: &[i8]) -> Result<bool> {
        self.is_fixed_point(pattern)
    }

    fn recall_from(&self, probe: &[i8], seed: u64) -> Result<Vec<i8>> {
        Ok(self.recall(probe, &RecallOptions::default(), &mut stream(seed, 0))?.state)
    }
}

impl Memory for DenseMemory {
    fn holds(&self, pattern: &[i8]) -> Result<bool> {
        Ok(self.recall(pattern, 1)?.flips == 0)
    }

    fn recall_from(&self, probe: &[i8], _seed: u64) -> Result<Vec<i8>> {
        Ok(self.recall(probe, RecallOptions::default().max_sweeps)?.state)
    }
}

/// A storage rule: patterns in, memory out.
pub type Rule<'a> = &'a (dyn Fn(&[Vec<i8>]) -> Result<Box<dyn Memory>> + Sync);

/// The experiment's settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// Number of units N.
    pub units: usize,
    /// Independent pattern sets per load.
    pub trials: usize,
    /// Fraction of units flipped in each probe.
    pub noise: f64,
    /// Seed of every random draw; trial t uses stream (seed, t).
    pub seed: u64,
}

/// What one load gave, averaged over trials and patterns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CapacityPoint {
    /// α = K/N.
    pub load: f64,
    /// K.
    pub patterns: usize,
    /// Fraction of stored patterns that are fixed points.
    pub fixed_fraction: f64,
    /// Mean overlap of the recalled state with its pattern, from corrupted probes.
    pub mean_overlap: f64,
    /// Fraction of corrupted probes recalled exactly.
    pub retrieval_rate: f64,
}

impl Experiment {
    fn check(&self) -> Result<()> {
        if self.units == 0 || self.trials == 0 || !(0.0..=1.0).contains(&self.noise) {
            return Err(Error::Invalid {
                what: "capacity experiment".into(),
                reason: format!("needs N ≥ 1, trials ≥ 1 and noise in [0, 1]: {self:?}"),
            });
        }
        Ok(())
    }

    /// Stores K = `patterns` random patterns with `rule` in each trial and measures them.
    pub fn point(&self, patterns: usize, rule: Rule<'_>) -> Result<CapacityPoint> {
        self.check()?;
        let per_trial: Vec<(usize, f64, usize)> = (0..self.trials as u64)
            .into_par_iter()
            .map(|t| {
                let mut rng = stream(self.seed ^ patterns as u64, t);
                let stored = ebm_data::patterns::random(patterns, self.units, 0.5, Domain::Spin, &mut rng)?;
                let memory = rule(&stored)?;
                let (mut fixed, mut overlap, mut exact) = (0, 0.0, 0);
                for p in &stored {
                    fixed += usize::from(memory.holds(p)?);
                    let probe = ebm_data::patterns::corrupt(p, Domain::Spin, self.noise, &mut rng)?;
                    let state = memory.recall_from(&probe, rng.random())?;
                    overlap += crate::analysis::overlaps(&state, std::slice::from_ref(p))?[0];
                    exact += usize::from(state == *p);
                }
                Ok((fixed, overlap, exact))
            })
            .collect::<Result<_>>()?;
        let total = (patterns * self.trials).max(1) as f64;
        Ok(CapacityPoint {
            load: patterns as f64 / self.units as f64,
            patterns,
            fixed_fraction: per_trial.iter().map(|r| r.0).sum::<usize>() as f64 / total,
            mean_overlap: per_trial.iter().map(|r| r.1).sum::<f64>() / total,
            retrieval_rate: per_trial.iter().map(|r| r.2).sum::<usize>() as f64 / total,
        })
    }

    /// The retrieval curve at each load (K = round(α N), at least 1).
    pub fn curve(&self, loads: &[f64], rule: Rule<'_>) -> Result<Vec<CapacityPoint>> {
        loads.iter().map(|&a| self.point(((a * self.units as f64).round() as usize).max(1), rule)).collect()
    }

    /// The critical load: the smallest K/N whose mean recalled overlap falls
    /// below `threshold`, found by bisection over K ∈ [1, `max_patterns`]
    /// (assuming retrieval worsens with load). Returns the last good and first
    /// bad points, or an error if even `max_patterns` stays above the threshold.
    pub fn critical_load(
        &self,
        threshold: f64,
        max_patterns: usize,
        rule: Rule<'_>,
    ) -> Result<(CapacityPoint, CapacityPoint)> {
        let mut good = self.point(1, rule)?;
        let mut bad = self.point(max_patterns.max(2), rule)?;
        if good.mean_overlap < threshold {
            return Err(Error::Invalid {
                what: "critical load".into(),
                reason: "even one pattern is not retrieved".into(),
            });
        }
        if bad.mean_overlap >= threshold {
            return Err(Error::Invalid {
                what: "critical load".into(),
                reason: format!("still retrieving at K = {} (overlap {:.3})", bad.patterns, bad.mean_overlap),
            });
        }
        while bad.patterns - good.patterns > 1 {
            let middle = self.point((good.patterns + bad.patterns) / 2, rule)?;
            if middle.mean_overlap >= threshold { good = middle } else { bad = middle }
        }
        Ok((good, bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dense::Interaction;

    fn hebbian(patterns: &[Vec<i8>]) -> Result<Box<dyn Memory>> {
        Ok(Box::new(crate::test_support::hebbian_network(patterns)))
    }

    #[test]
    fn hebbian_retrieval_collapses_past_the_critical_load() {
        let experiment = Experiment { units: 200, trials: 3, noise: 0.05, seed: 1 };
        let curve = experiment.curve(&[0.05, 0.3], &hebbian).unwrap();
        assert!(curve[0].mean_overlap > 0.97 && curve[0].fixed_fraction > 0.95, "{curve:?}");
        assert!(curve[1].mean_overlap < 0.6, "{curve:?}");
        let (good, bad) = experiment.critical_load(0.9, 80, &hebbian).unwrap();
        assert_eq!(bad.patterns, good.patterns + 1);
        assert!((0.08..0.25).contains(&bad.load), "critical load {} at N = 200", bad.load);
    }

    #[test]
    fn dense_memory_beats_the_classical_capacity() {
        let experiment = Experiment { units: 100, trials: 2, noise: 0.05, seed: 2 };
        let dense = |p: &[Vec<i8>]| -> Result<Box<dyn Memory>> {
            Ok(Box::new(DenseMemory::new(p, Interaction::Polynomial(3))?))
        };
        let point = experiment.curve(&[0.5], &dense).unwrap()[0];
        assert!(point.retrieval_rate > 0.99, "{point:?}");
        assert!(Experiment { units: 0, ..experiment }.point(3, &dense).is_err());
    }
}
