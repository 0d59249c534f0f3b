//! The Metropolis acceptance rule, the one home of the formula every
//! Metropolis–Hastings move in this crate uses.
//!
//! A move from s to s′ proposed with probability q(s, s′) is accepted with
//! probability
//!
//! α = min(1, r),  r = π(s′) q(s′, s) / (π(s) q(s, s′)),
//!
//! which makes π(s) q(s, s′) α(s, s′) = min(π(s) q(s, s′), π(s′) q(s′, s))
//! symmetric in s and s′: detailed balance with respect to π. Every caller
//! works with the logarithm of the ratio, log r, because the ratio itself
//! overflows or underflows for large energy differences:
//!
//! - a single flip of a discrete unit under P(s) ∝ exp(−E(s)/T) has a
//!   symmetric proposal and log r = −ΔE/T = −β ΔE ([`boltzmann_log_ratio`]);
//! - an exchange of states between inverse temperatures β_a and β_b has
//!   log r = (β_a − β_b)(E_a − E_b) (see [`crate::exchange`]);
//! - continuous samplers add the log ratio of their proposal densities.
//!
//! A move is accepted when a uniform draw u ∈ [0, 1) falls below α, that is
//! when log r ≥ 0 or u < exp(log r) ([`accepts`]). Moves with log r ≥ 0 are
//! accepted whatever u is, so a caller may either draw u for every proposal
//! ([`accept`], which keeps the random stream in step whatever the energies)
//! or only for the moves that need it ([`accept_uphill`]). A NaN log ratio
//! is always rejected.

use rand::{Rng, RngExt};

/// log r = −β ΔE for a proposal that changes the energy by `delta_energy`
/// at inverse temperature β = 1/T under P ∝ exp(−E/T), with a symmetric
/// proposal (a flip is its own inverse).
#[inline]
pub fn boltzmann_log_ratio(delta_energy: f64, beta: f64) -> f64 {
    -delta_energy * beta
}

/// log α = min(0, log r), the acceptance probability in log form; −∞
/// (never accept) for a NaN log ratio.
#[inline]
pub fn log_probability(log_ratio: f64) -> f64 {
    if log_ratio.is_nan() { f64::NEG_INFINITY } else { log_ratio.min(0.0) }
}

/// The acceptance probability α = min(1, exp(log r)); 0 for a NaN log ratio.
#[inline]
pub fn probability(log_ratio: f64) -> f64 {
    log_probability(log_ratio).exp()
}

/// The decision given a uniform draw u ∈ [0, 1): accept when log r ≥ 0 or
/// u < exp(log r) — with probability [`probability`]`(log_ratio)` exactly.
#[inline]
pub fn accepts(log_ratio: f64, u: f64) -> bool {
    log_ratio >= 0.0 || u < log_ratio.exp()
}

/// The decision with one uniform draw from `rng` for every call, accepted
/// or not, so that two implementations of one chain stay in step on the
/// same random stream whatever the energies.
#[inline]
pub fn accept<R: Rng + ?Sized>(log_ratio: f64, rng: &mut R) -> bool {
    let u = rng.random::<f64>();
    accepts(log_ratio, u)
}

/// The decision with a uniform draw from `rng` only when log r < 0 (or NaN):
/// moves that do not lower the probability consume no random number.
#[inline]
pub fn accept_uphill<R: Rng + ?Sized>(log_ratio: f64, rng: &mut R) -> bool {
    log_ratio >= 0.0 || accepts(log_ratio, rng.random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{seeded, stream};
    use proptest::prelude::*;

    proptest! {
        /// The frequency of acceptance over n draws is a binomial proportion
        /// with mean min(1, e^{−ΔE/T}) and standard error √(α(1 − α)/n).
        #[test]
        fn acceptance_frequency_matches_min_one_exp_minus_delta_over_t(
            delta in -3.0f64..6.0, temperature in 0.2f64..5.0, seed in any::<u64>(), always in any::<bool>(),
        ) {
            let log_ratio = boltzmann_log_ratio(delta, 1.0 / temperature);
            let expected = (-delta / temperature).exp().min(1.0);
            prop_assert!((probability(log_ratio) - expected).abs() < 1e-12);
            let n = 20_000;
            let mut rng = seeded(seed);
            let accepted = (0..n)
                .filter(|_| if always { accept(log_ratio, &mut rng) } else { accept_uphill(log_ratio, &mut rng) })
                .count();
            let frequency = accepted as f64 / n as f64;
            let standard_error = (expected * (1.0 - expected) / n as f64).sqrt();
            prop_assert!(
                (frequency - expected).abs() <= 5.0 * standard_error + 1e-12,
                "ΔE = {delta}, T = {temperature}: {frequency} vs {expected} ± {standard_error}"
            );
        }

        /// Downhill and level moves (ΔE ≤ 0) are accepted whatever u is; an
        /// uphill one exactly when u < e^{−ΔE/T}.
        #[test]
        fn the_rule_is_exact_at_every_draw(delta in -10.0f64..10.0, beta in 0.01f64..10.0, u in 0.0f64..1.0) {
            let log_ratio = boltzmann_log_ratio(delta, beta);
            if delta <= 0.0 {
                prop_assert!(accepts(log_ratio, u));
                prop_assert_eq!(probability(log_ratio), 1.0);
                prop_assert_eq!(log_probability(log_ratio), 0.0);
            } else {
                prop_assert_eq!(accepts(log_ratio, u), u < (-delta * beta).exp());
                prop_assert_eq!(log_probability(log_ratio), -delta * beta);
            }
            prop_assert!(accepts(log_ratio, 0.0) || log_ratio.exp() == 0.0);
        }
    }

    #[test]
    fn edge_values() {
        assert!(accepts(0.0, 0.999_999));
        assert!(accepts(-0.0, 0.999_999));
        assert!(!accepts(f64::NEG_INFINITY, 0.0));
        assert!(accepts(f64::INFINITY, 0.5));
        assert!(!accepts(f64::NAN, 0.0));
        assert_eq!(probability(f64::NAN), 0.0);
        assert_eq!(log_probability(f64::NAN), f64::NEG_INFINITY);
        assert_eq!(probability(f64::INFINITY), 1.0);
        assert_eq!(probability(-1.0), (-1.0f64).exp());
        assert_eq!(log_probability(2.0), 0.0);
    }

    /// [`accept`] draws once per call; [`accept_uphill`] only for log r < 0.
    #[test]
    fn random_numbers_consumed() {
        let (mut a, mut b) = (stream(3, 0), stream(3, 0));
        for log_ratio in [0.5, 0.0, -0.3, f64::NAN] {
            accept(log_ratio, &mut a);
            let _ = b.random::<f64>();
        }
        assert_eq!(a.random::<u64>(), b.random::<u64>());
        let (mut a, mut b) = (stream(4, 0), stream(4, 0));
        for log_ratio in [0.5, 0.0, -0.3, f64::NAN] {
            accept_uphill(log_ratio, &mut a);
        }
        let _ = (b.random::<f64>(), b.random::<f64>());
        assert_eq!(a.random::<u64>(), b.random::<u64>());
    }
}
