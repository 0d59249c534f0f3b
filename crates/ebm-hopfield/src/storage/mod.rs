//! Closed-form storage rules: K patterns ξ¹ … ξᴷ ∈ {−1, +1}ᴺ in, a spin
//! model out, each weight a formula of the patterns.
//!
//! Every rule returns a [`DensePairwise`](ebm_core::DensePairwise) over ±1
//! spins with energy E(s) = −½ sᵀWs − bᵀs, W symmetric with zero diagonal and
//! b = 0, ready for [`Hopfield::new`](crate::Hopfield::new). How firmly the
//! result holds a pattern is measured by its stabilities γ_i = ξ_i h_i
//! ([`crate::stability`]): the pattern is a fixed point of the dynamics when
//! no γ_i is negative ([`Hopfield::is_fixed_point`](crate::Hopfield::is_fixed_point);
//! a tie γ_i = 0 keeps its unit), and a strict local minimum of E under single
//! flips when every γ_i is positive, since flipping unit i changes E by 2γ_i.
//!
//! | rule | weights | stores |
//! |---|---|---|
//! | [`hebbian`] | w_ij = (1/N) Σ_μ ξ_i^μ ξ_j^μ | every pattern exactly up to K ≈ N/(2 ln N); recall with few errors up to ≈ 0.138 N |
//! | [`storkey`], [`Storkey`] | Hebb minus the fields the network already predicts; local and incremental | N/√(2 ln N) |
//! | [`pseudo_inverse`], [`PseudoInverse`] | the projection Ξ(ΞᵀΞ)⁻¹Ξᵀ without its diagonal | every linearly independent set with no basis vector in its span (K < N) |
//!
//! **Where storage lives.** A model crate holds its model and every rule that
//! computes the model's parameters in closed form from data — a formula
//! evaluated once, with no objective and no iteration, like these three, the
//! dense memory of [`crate::dense`] and the modern network of
//! [`crate::modern`], which store their patterns as given. Algorithms that
//! *improve* parameters step by step against an objective live in
//! `ebm-train`: for Hopfield networks the symmetric perceptron with a margin
//! and the study note's storage by optimisation (`ebm_train::hopfield`), which
//! take their input as a [`Patterns`] and judge their result with
//! [`crate::stability`].
//!
//! Input checks are shared ([`Patterns::new`]): at least one pattern, all of
//! one length N ≥ 1, values ±1 only, and N·N and K·N at most [`MAX_ENTRIES`];
//! anything else is an [`ebm_core::Error`] saying what and where, never a
//! panic.
//!
//! ```
//! use ebm_hopfield::Hopfield;
//! use ebm_hopfield::stability::min_stability;
//! use ebm_hopfield::storage::{hebbian, storkey};
//!
//! let patterns = [vec![1, 1, 1, 1, -1, -1, -1, -1], vec![1, -1, 1, -1, 1, -1, 1, -1]];
//! let hebb = hebbian(&patterns)?;
//! let stork = storkey(&patterns)?;
//! assert!(min_stability(&hebb, &patterns)? > 0.0 && min_stability(&stork, &patterns)? > 0.0);
//! let net = Hopfield::new(hebb)?;
//! for p in &patterns {
//!     assert!(net.is_fixed_point(p)?);
//! }
//! # Ok::<(), ebm_core::Error>(())
//! ```

mod hebbian;
mod patterns;
mod pseudo_inverse;
mod storkey;

pub use hebbian::hebbian;
pub use patterns::{MAX_ENTRIES, Patterns};
pub use pseudo_inverse::{Projection, PseudoInverse, pseudo_inverse};
pub use storkey::{Storkey, storkey};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hopfield;
    use crate::stability::min_stability;

    /// One unit: no pair to couple, so every rule returns W = 0. The one unit
    /// has a zero field — a tie, so the pattern is a fixed point, but not a
    /// strict minimum (its stability is 0). No rule panics.
    #[test]
    fn a_single_unit_gives_an_empty_network() {
        let one = [vec![1i8]];
        for model in [hebbian(&one).unwrap(), storkey(&one).unwrap(), pseudo_inverse(&one).unwrap()] {
            assert_eq!(model.couplings().matrix()[(0, 0)], 0.0);
            assert_eq!(min_stability(&model, &one).unwrap(), 0.0);
            assert!(Hopfield::new(model).unwrap().is_fixed_point(&one[0]).unwrap());
        }
    }
}
