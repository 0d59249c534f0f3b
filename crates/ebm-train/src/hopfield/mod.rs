//! Hopfield storage rules: K patterns ξ¹ … ξᴷ ∈ {−1, +1}ᴺ in, a spin model out.
//!
//! Every rule returns a [`DensePairwise`](ebm_core::DensePairwise) over ±1
//! spins with energy E(s) = −½ sᵀWs − bᵀs, W symmetric with zero diagonal and
//! b = 0. A pattern is stored when it is a fixed point of the deterministic
//! update s_i := sign(h_i), h_i = Σ_j w_ij s_j + b_i: every stability
//! γ_i = ξ_i h_i is strictly positive ([`stabilities`], [`is_fixed_point`]).
//! With w_ii = 0 that is the same as being a strict local minimum of E under
//! single flips, since flipping unit i changes E by 2γ_i.
//!
//! | rule | weights | stores |
//! |---|---|---|
//! | [`hebbian`] | w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ | every pattern exactly up to K ≈ N/(2 ln N); recall with few errors up to ≈ 0.138 N |
//! | [`storkey`], [`Storkey`] | Hebb minus the fields the network already predicts; local and incremental | N/√(2 ln N) |
//! | [`pseudo_inverse`], [`PseudoInverse`] | the projection Ξ(ΞᵀΞ)⁻¹Ξᵀ without its diagonal | every linearly independent set with no basis vector in its span (K < N) |
//! | [`Perceptron`] | symmetric perceptron updates until every γ_i > κ | at least what the projection rule stores, with a chosen margin κ |
//! | [`contrastive::ContrastiveHopfield`] | the study note's optimisation: lower E(ξ), raise E of the states the dynamics drifts to | well beyond Hebbian (0.3 N in the tests) |
//!
//! Input checks are shared: at least one pattern, all of one length N ≥ 1,
//! values ±1 only, and N·N and K·N at most [`MAX_ENTRIES`]; anything else is
//! an [`ebm_core::Error`] saying what and where, never a panic.
//!
//! ```
//! use ebm_train::hopfield::{hebbian, is_fixed_point, min_stability, storkey};
//!
//! let patterns = [vec![1, 1, 1, 1, -1, -1, -1, -1], vec![1, -1, 1, -1, 1, -1, 1, -1]];
//! let hebb = hebbian(&patterns)?;
//! let stork = storkey(&patterns)?;
//! for p in &patterns {
//!     assert!(is_fixed_point(&hebb, p)? && is_fixed_point(&stork, p)?);
//! }
//! assert!(min_stability(&hebb, &patterns)? > 0.0);
//! # Ok::<(), ebm_core::Error>(())
//! ```

pub mod contrastive;
mod hebbian;
mod patterns;
mod perceptron;
mod pseudo_inverse;
mod stability;
mod storkey;
#[cfg(test)]
mod test_support;

pub use hebbian::hebbian;
pub use patterns::MAX_ENTRIES;
pub use perceptron::{Perceptron, PerceptronReport};
pub use pseudo_inverse::{Projection, PseudoInverse, pseudo_inverse};
pub use stability::{is_fixed_point, min_stability, stabilities};
pub use storkey::{Storkey, storkey};

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64;

    /// One unit: no pair to couple, so every rule returns W = 0 and nothing
    /// is a strict fixed point; no rule panics.
    #[test]
    fn a_single_unit_gives_an_empty_network() {
        let one = [vec![1i8]];
        let models = [
            hebbian(&one).unwrap(),
            storkey(&one).unwrap(),
            pseudo_inverse(&one).unwrap(),
            Perceptron::new().max_epochs(3).store(&one, &mut Pcg64::seed_from_u64(0)).unwrap().0,
        ];
        for model in &models {
            assert_eq!(model.couplings().matrix()[(0, 0)], 0.0);
            assert!(!is_fixed_point(model, &one[0]).unwrap());
        }
        let (_, report) = Perceptron::new().max_epochs(3).store(&one, &mut Pcg64::seed_from_u64(0)).unwrap();
        assert_eq!((report.epochs, report.converged, report.min_stability), (3, false, 0.0));
    }
}
