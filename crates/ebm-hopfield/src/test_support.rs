//! Test fixtures shared by this crate's tests.

use crate::network::Hopfield;
use crate::storage::hebbian;
use ebm_core::{DensePairwise, Domain};
use ebm_mcmc::rng::seeded;
use proptest::prelude::*;

/// The Hebbian network of `patterns`, through the library's one Hebbian rule.
pub(crate) fn hebbian_network(patterns: &[Vec<i8>]) -> Hopfield<DensePairwise> {
    Hopfield::new(hebbian(patterns).expect("valid patterns")).expect("spins")
}

/// `count` uniformly random ±1 patterns of `units` units, drawn with `seed`.
pub(crate) fn random_patterns(seed: u64, count: usize, units: usize) -> Vec<Vec<i8>> {
    ebm_data::patterns::random(count, units, 0.5, Domain::Spin, &mut seeded(seed)).expect("valid sizes")
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

/// Whether every stability ξ_i h_i is positive (computed by [`fields`]): ξ is
/// a strict local minimum of the energy, more than a fixed point, which
/// also allows ties.
pub(crate) fn strictly_stable(model: &DensePairwise, xi: &[i8]) -> bool {
    fields(model, xi).iter().zip(xi).all(|(&h, &s)| f64::from(s) * h > 0.0)
}

/// The fraction of `patterns` that are [`strictly_stable`] under `model`.
pub(crate) fn stable_fraction(model: &DensePairwise, patterns: &[Vec<i8>]) -> f64 {
    patterns.iter().filter(|p| strictly_stable(model, p)).count() as f64 / patterns.len() as f64
}
