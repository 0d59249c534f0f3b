//! Welford's streaming mean and variance, mergeable across threads.

use ebm_core::{Error, Result};

/// The count, mean and sum of squared deviations of a stream of values,
/// updated one value at a time in O(1) memory (Welford 1962):
///
/// n ← n + 1,  δ = x − x̄,  x̄ ← x̄ + δ/n,  M₂ ← M₂ + δ·(x − x̄_new),
///
/// which, unlike Σx² − n x̄², does not lose precision when the mean is large
/// compared with the spread. Two accumulators merge exactly as if one had
/// seen both streams (Chan, Golub & LeVeque 1979): with δ = x̄_b − x̄_a,
///
/// n = n_a + n_b,  x̄ = x̄_a + δ·n_b/n,  M₂ = M₂_a + M₂_b + δ²·n_a n_b/n.
///
/// Both updates are pure floating-point functions of their operands, so
/// merging per-thread accumulators in a fixed order (say, by chain index)
/// gives bit-for-bit the same result whatever the thread scheduling.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunningStats {
    count: u64,
    mean: f64,
    m2: f64,
}

impl RunningStats {
    /// An empty accumulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// An accumulator that has seen every value of `values` in order.
    pub fn from_slice(values: &[f64]) -> Result<Self> {
        let mut stats = Self::new();
        for &x in values {
            stats.push(x)?;
        }
        Ok(stats)
    }

    /// Adds one value. A NaN or infinite value is refused and leaves the
    /// accumulator unchanged.
    pub fn push(&mut self, x: f64) -> Result<()> {
        if !x.is_finite() {
            return Err(Error::NonFinite {
                what: "value pushed to running statistics".into(),
                index: usize::try_from(self.count).unwrap_or(usize::MAX),
                value: x,
            });
        }
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        Ok(())
    }

    /// Folds `other` into `self`, as if `self` had also seen `other`'s values.
    pub fn merge(&mut self, other: &RunningStats) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let count = self.count + other.count;
        let (na, nb, n) = (self.count as f64, other.count as f64, count as f64);
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.count = count;
    }

    /// The number of values seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Whether no value has been seen.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The mean x̄, or `None` before the first value.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// The unbiased sample variance M₂/(n − 1), or `None` with fewer than two values.
    pub fn variance(&self) -> Option<f64> {
        (self.count > 1).then(|| self.m2 / (self.count - 1) as f64)
    }

    /// The population variance M₂/n, or `None` before the first value.
    pub fn population_variance(&self) -> Option<f64> {
        (self.count > 0).then(|| self.m2 / self.count as f64)
    }

    /// The sample standard deviation √(M₂/(n − 1)), or `None` with fewer than two values.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(f64::sqrt)
    }

    /// The standard error of the mean of *independent* values, s/√n; for a
    /// Markov chain use [`super::mcse`], which accounts for autocorrelation.
    pub fn standard_error(&self) -> Option<f64> {
        self.variance().map(|v| (v / self.count as f64).sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::mean_and_variance;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, scale: f64) -> bool {
        (a - b).abs() <= 1e-10 * (1.0 + scale)
    }

    #[test]
    fn empty_and_single_values() {
        let mut s = RunningStats::new();
        assert!(s.is_empty() && s.mean().is_none() && s.variance().is_none());
        s.push(2.5).unwrap();
        assert_eq!(
            (s.count(), s.mean(), s.variance(), s.population_variance()),
            (1, Some(2.5), None, Some(0.0))
        );
        let before = s;
        assert!(matches!(s.push(f64::NAN), Err(Error::NonFinite { index: 1, .. })));
        assert!(s.push(f64::NEG_INFINITY).is_err());
        assert_eq!(s, before);
        assert!(RunningStats::from_slice(&[1.0, f64::INFINITY]).is_err());
    }

    #[test]
    fn large_offsets_keep_their_precision() {
        // Σx² − n·x̄² would lose every digit of this variance.
        let values: Vec<f64> = (0..1000).map(|i| 1e9 + (i % 2) as f64).collect();
        let s = RunningStats::from_slice(&values).unwrap();
        assert!((s.population_variance().unwrap() - 0.25).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn one_pass_matches_two_passes(values in prop::collection::vec(-1e3f64..1e3, 2..200)) {
            let s = RunningStats::from_slice(&values).unwrap();
            let (mean, variance) = mean_and_variance(&values);
            prop_assert!(close(s.mean().unwrap(), mean, mean.abs()));
            prop_assert!(close(s.variance().unwrap(), variance, variance));
        }

        #[test]
        fn merging_pieces_equals_one_pass(
            values in prop::collection::vec(-1e3f64..1e3, 0..300),
            cuts in prop::collection::vec(0usize..300, 0..6)
        ) {
            let whole = RunningStats::from_slice(&values).unwrap();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(values.len())).collect();
            cuts.push(0);
            cuts.push(values.len());
            cuts.sort_unstable();
            let pieces: Vec<RunningStats> =
                cuts.windows(2).map(|w| RunningStats::from_slice(&values[w[0]..w[1]]).unwrap()).collect();
            let mut merged = RunningStats::new();
            pieces.iter().for_each(|p| merged.merge(p));
            prop_assert_eq!(merged.count(), whole.count());
            if let (Some(a), Some(b)) = (merged.mean(), whole.mean()) {
                prop_assert!(close(a, b, b.abs()));
            }
            if let (Some(a), Some(b)) = (merged.variance(), whole.variance()) {
                prop_assert!(close(a, b, b), "{} vs {}", a, b);
            }
            // Merging in the same order is deterministic, to the bit.
            let mut again = RunningStats::new();
            pieces.iter().for_each(|p| again.merge(p));
            prop_assert_eq!(again, merged);
        }
    }
}
