//! The Hebbian (outer-product) storage rule.

use super::patterns::{Patterns, spin_model};
use ebm_core::{DensePairwise, Result};

/// Stores K patterns ξ¹ … ξᴷ ∈ {−1, +1}ᴺ with the Hebbian rule
///
/// w_ij = (1/N) Σ_{μ=1}^{K} ξ_i^μ ξ_j^μ  (i ≠ j),  w_ii = 0,  b = 0,
///
/// i.e. W = (ΞΞᵀ − K·I)/N for the N×K pattern matrix Ξ. The sum runs over the
/// K patterns and is normalised by the number of units N (the study note's
/// Σ_{k=1}^{N} is a slip).
///
/// **Why it works, and where it stops.** The field on unit i in pattern ν is
///
/// h_i = ((N − 1)/N) ξ_i^ν + (1/N) Σ_{μ≠ν} Σ_{j≠i} ξ_i^μ ξ_j^μ ξ_j^ν,
///
/// a signal of almost 1 plus a crosstalk term. A single pattern (K = 1) is
/// therefore a fixed point for N ≥ 2, and so is its negation −ξ, since E is
/// even in s. For K unbiased random patterns the crosstalk is roughly
/// Gaussian with variance (K − 1)/N, so unit errors appear as K grows: a
/// given pattern is an exact fixed point with probability → 1 only up to
/// K ≈ N/(2 ln N) (all patterns at once: N/(4 ln N); McEliece et al., 1987),
/// and recall with a small fraction of errors survives up to the critical
/// load K ≈ 0.138 N (Amit, Gutfreund and Sompolinsky, 1985). Mixtures of odd numbers of
/// patterns and other spurious minima appear well before that.
///
/// Errors: no patterns, patterns of unequal length or of length 0, values other
/// than ±1 ([`ebm_core::Error::Invalid`], [`ebm_core::Error::ShapeMismatch`]),
/// or N·N or K·N beyond [`super::MAX_ENTRIES`] ([`ebm_core::Error::TooLarge`]).
///
/// ```
/// use ebm_hopfield::Hopfield;
/// use ebm_hopfield::storage::hebbian;
///
/// let xi = vec![1, -1, 1, 1, -1, -1];
/// let net = Hopfield::new(hebbian(&[xi.clone()])?)?;
/// assert!(net.is_fixed_point(&xi)?);
/// let minus: Vec<i8> = xi.iter().map(|&s| -s).collect();
/// assert!(net.is_fixed_point(&minus)?);
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn hebbian<P: AsRef<[i8]>>(patterns: &[P]) -> Result<DensePairwise> {
    let patterns = Patterns::new(patterns)?;
    let xi = patterns.matrix();
    // The products are sums of ±1, exact in f64; one division rounds them.
    let weights = (&xi * xi.transpose()) / patterns.units() as f64;
    spin_model(&weights)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{pattern_set, spin_vec, strictly_stable};
    use ebm_core::PairwiseEnergy;
    use ebm_mcmc::rng::seeded;
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    /// The one Hebbian implementation against the textbook formula on a random
    /// example: W = (1/N) Σ_μ ξ^μ ξ^μᵀ summed as K outer products, with the
    /// diagonal (K/N) set to zero. Every outer-product sum is an integer, so the
    /// f64 reference rounded to f32 must equal the model's weights exactly.
    #[test]
    fn matches_the_sum_of_outer_products_on_a_random_example() {
        let (k, n) = (7, 23);
        let patterns =
            ebm_data::patterns::random(k, n, 0.5, ebm_core::Domain::Spin, &mut seeded(11)).unwrap();
        let mut sum = DMatrix::<f64>::zeros(n, n);
        for p in &patterns {
            let xi = nalgebra::DVector::from_iterator(n, p.iter().map(|&s| f64::from(s)));
            sum += &xi * xi.transpose();
        }
        assert!(sum.diagonal().iter().all(|&d| d == k as f64), "ξ_i² = 1, so the diagonal is K");
        let mut expected = (sum / n as f64).map(|w| w as f32);
        expected.fill_diagonal(0.0);
        let model = hebbian(&patterns).unwrap();
        assert_eq!(model.couplings().matrix(), &expected);
        assert!(model.biases().iter().all(|&b| b == 0.0));
        assert!(expected.iter().any(|&w| w != 0.0), "a non-trivial example");
    }

    proptest! {
        #[test]
        fn equals_the_explicit_double_sum(patterns in pattern_set(1..12, 1..7)) {
            let model = hebbian(&patterns)?;
            let n = patterns[0].len();
            for i in 0..n {
                for j in 0..n {
                    let expected = if i == j {
                        0.0
                    } else {
                        let sum: i32 = patterns.iter().map(|p| i32::from(p[i]) * i32::from(p[j])).sum();
                        (f64::from(sum) / n as f64) as f32
                    };
                    prop_assert_eq!(model.coupling(i, j), expected, "w[{}][{}]", i, j);
                }
            }
            prop_assert!(model.biases().iter().all(|&b| b == 0.0));
        }

        #[test]
        fn weights_are_symmetric_with_zero_diagonal(patterns in pattern_set(1..30, 1..10)) {
            let model = hebbian(&patterns)?;
            let w = model.couplings().matrix();
            prop_assert_eq!(w, &w.transpose());
            prop_assert!(w.diagonal().iter().all(|&d| d == 0.0));
        }

        #[test]
        fn one_pattern_and_its_negation_are_fixed_points(xi in spin_vec(2..60)) {
            let model = hebbian(&[&xi])?;
            let minus: Vec<i8> = xi.iter().map(|&s| -s).collect();
            prop_assert!(strictly_stable(&model, &xi));
            prop_assert!(strictly_stable(&model, &minus));
        }
    }
}
