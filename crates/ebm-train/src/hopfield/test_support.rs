//! Helpers shared by the tests of the storage rules.

use ebm_core::DensePairwise;
use proptest::prelude::*;
use rand::{Rng, RngExt};

/// `count` uniformly random ±1 patterns of `units` units.
pub(crate) fn random_patterns(rng: &mut impl Rng, count: usize, units: usize) -> Vec<Vec<i8>> {
    (0..count).map(|_| (0..units).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect()).collect()
}

/// A random ±1 vector with a length in `len`.
pub(crate) fn spin_vec(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<i8>> {
    prop::collection::vec(prop_oneof![Just(1i8), Just(-1i8)], len)
}

/// K patterns (K in `count`) of one common length N (N in `units`).
pub(crate) fn pattern_set(
    units: std::ops::Range<usize>,
    count: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<Vec<i8>>> {
    (units, count).prop_flat_map(|(n, k)| prop::collection::vec(spin_vec(n..n + 1), k))
}

/// h = Wξ + b straight from the coupling matrix, independent of the library's field code.
pub(crate) fn fields(model: &DensePairwise, xi: &[i8]) -> Vec<f64> {
    let w = model.couplings().matrix();
    (0..xi.len())
        .map(|i| {
            let sum: f64 = (0..xi.len()).map(|j| f64::from(w[(i, j)]) * f64::from(xi[j])).sum();
            sum + f64::from(model.biases()[i])
        })
        .collect()
}

/// Whether ξ is a fixed point: ξ_i h_i > 0 for every i (ties fail).
pub(crate) fn is_fixed(model: &DensePairwise, xi: &[i8]) -> bool {
    fields(model, xi).iter().zip(xi).all(|(&h, &s)| f64::from(s) * h > 0.0)
}

/// The fraction of `patterns` that are fixed points of `model`.
pub(crate) fn fixed_fraction(model: &DensePairwise, patterns: &[Vec<i8>]) -> f64 {
    patterns.iter().filter(|p| is_fixed(model, p)).count() as f64 / patterns.len() as f64
}
