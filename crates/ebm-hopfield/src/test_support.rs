//! Test fixtures shared by this crate's tests.

use crate::network::Hopfield;
use ebm_core::{DenseCouplings, DensePairwise, Domain};
use nalgebra::DMatrix;

/// A Hebbian network, w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ with zero diagonal, written
/// out here because the storage rules live in `ebm-train`, a layer above.
pub(crate) fn hebbian(patterns: &[Vec<i8>]) -> Hopfield<DensePairwise> {
    let n = patterns[0].len();
    let w = DMatrix::from_fn(n, n, |i, j| {
        if i == j { 0.0 } else { patterns.iter().map(|p| f32::from(p[i] * p[j])).sum::<f32>() / n as f32 }
    });
    let model = DensePairwise::new(Domain::Spin, DenseCouplings::new(w).expect("symmetric"), vec![0.0; n]);
    Hopfield::new(model.expect("valid")).expect("spins")
}
