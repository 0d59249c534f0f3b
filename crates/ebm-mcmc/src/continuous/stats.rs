//! Acceptance statistics of a Metropolis–Hastings chain.

use std::ops::{Add, AddAssign};

/// Counts of what a chain's proposals became.
///
/// The acceptance rate `accepted / proposed` is the usual tuning signal:
/// about 0.234 suits random-walk Metropolis in many dimensions (0.44 in
/// one), 0.574 suits MALA and 0.65–0.8 suits HMC. The mean of the acceptance
/// probabilities α = min(1, ·) estimates the same quantity with less noise.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AcceptanceStats {
    /// Proposals made.
    pub proposed: u64,
    /// Proposals accepted.
    pub accepted: u64,
    /// Proposals rejected because the energy or its gradient was not finite
    /// somewhere on the way (or, for HMC, because the Hamiltonian rose by
    /// more than [`DIVERGENCE_THRESHOLD`](crate::continuous::DIVERGENCE_THRESHOLD)).
    pub divergent: u64,
    /// Sum of the acceptance probabilities α of all proposals.
    pub probability_sum: f64,
}

impl AcceptanceStats {
    /// accepted / proposed, or 0 before the first proposal.
    pub fn rate(&self) -> f64 {
        if self.proposed == 0 { 0.0 } else { self.accepted as f64 / self.proposed as f64 }
    }

    /// The mean acceptance probability, or 0 before the first proposal.
    pub fn mean_probability(&self) -> f64 {
        if self.proposed == 0 { 0.0 } else { self.probability_sum / self.proposed as f64 }
    }

    /// Records one proposal with acceptance probability `probability`.
    pub(crate) fn record(&mut self, accepted: bool, probability: f64, divergent: bool) {
        self.proposed += 1;
        self.accepted += u64::from(accepted);
        self.divergent += u64::from(divergent);
        self.probability_sum += probability;
    }
}

impl AddAssign for AcceptanceStats {
    fn add_assign(&mut self, other: Self) {
        self.proposed += other.proposed;
        self.accepted += other.accepted;
        self.divergent += other.divergent;
        self.probability_sum += other.probability_sum;
    }
}

impl Add for AcceptanceStats {
    type Output = Self;
    fn add(mut self, other: Self) -> Self {
        self += other;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_count_and_merge() {
        let mut a = AcceptanceStats::default();
        assert_eq!(a.rate(), 0.0);
        assert_eq!(a.mean_probability(), 0.0);
        a.record(true, 1.0, false);
        a.record(false, 0.5, false);
        a.record(false, 0.0, true);
        assert_eq!((a.proposed, a.accepted, a.divergent), (3, 1, 1));
        assert!((a.rate() - 1.0 / 3.0).abs() < 1e-15);
        assert!((a.mean_probability() - 0.5).abs() < 1e-15);
        let b = a + a;
        assert_eq!((b.proposed, b.accepted, b.divergent), (6, 2, 2));
        assert!((b.rate() - a.rate()).abs() < 1e-15);
    }
}
