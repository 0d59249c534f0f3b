//! Empirical distributions of small discrete chains, for comparison with
//! exact enumeration.

use ebm_core::{Domain, Error, Result};

/// Largest number of units whose states a histogram counts (2²⁴ bins).
pub const MAX_HISTOGRAM_UNITS: usize = 24;

/// Counts of visited states, indexed as in `ebm_core::exact` (unit i on ⇔ bit i set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateHistogram {
    domain: Domain,
    counts: Vec<u64>,
    total: u64,
}

impl StateHistogram {
    /// An empty histogram over the 2ᴺ states of `units` units.
    pub fn new(units: usize, domain: Domain) -> Result<Self> {
        if units > MAX_HISTOGRAM_UNITS {
            return Err(Error::TooLarge {
                what: "state histogram".into(),
                limit: MAX_HISTOGRAM_UNITS as u64,
                found: units as u64,
            });
        }
        Ok(Self { domain, counts: vec![0; 1 << units], total: 0 })
    }

    /// Counts one visit to `state` (of the histogram's length and domain).
    pub fn add(&mut self, state: &[i8]) {
        let index =
            state.iter().enumerate().fold(0usize, |k, (i, &v)| k | usize::from(v == self.domain.high()) << i);
        self.counts[index] += 1;
        self.total += 1;
    }

    /// Number of states counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The empirical probabilities p̂(s) = count(s) / total.
    pub fn frequencies(&self) -> Vec<f64> {
        let n = self.total.max(1) as f64;
        self.counts.iter().map(|&c| c as f64 / n).collect()
    }

    /// The total-variation distance ½ Σ_s |p̂(s) − p(s)| to `exact`.
    pub fn total_variation(&self, exact: &[f64]) -> Result<f64> {
        if exact.len() != self.counts.len() {
            return Err(Error::ShapeMismatch {
                what: "exact distribution".into(),
                expected: self.counts.len(),
                found: exact.len(),
            });
        }
        Ok(0.5 * self.frequencies().iter().zip(exact).map(|(a, b)| (a - b).abs()).sum::<f64>())
    }
}

/// The total-variation distance one expects between an exact distribution p
/// and the histogram of n independent draws from it:
/// E[½ Σ |p̂ − p|] ≈ ½ Σ_s √(2 p(s)(1 − p(s)) / (π n)).
///
/// Correlated samples behave like n/τ independent ones, so samplers are
/// tested against a small multiple of this at n/τ.
pub fn expected_total_variation(exact: &[f64], samples: f64) -> f64 {
    0.5 * exact.iter().map(|&p| (2.0 * p * (1.0 - p) / (std::f64::consts::PI * samples)).sqrt()).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use rand::RngExt;

    #[test]
    fn iid_draws_land_near_the_expected_distance() {
        let p = [0.5, 0.25, 0.125, 0.125];
        let mut rng = seeded(3);
        let mut h = StateHistogram::new(2, Domain::Bit).unwrap();
        let n = 40_000;
        for _ in 0..n {
            let u: f64 = rng.random();
            let k = if u < 0.5 {
                0
            } else if u < 0.75 {
                1
            } else if u < 0.875 {
                2
            } else {
                3
            };
            h.add(&[(k & 1) as i8, (k >> 1) as i8]);
        }
        let tv = h.total_variation(&p).unwrap();
        let expected = expected_total_variation(&p, n as f64);
        assert!(tv < 4.0 * expected, "{tv} vs {expected}");
        assert!(StateHistogram::new(25, Domain::Spin).is_err());
        assert!(h.total_variation(&p[..3]).is_err());
    }
}
