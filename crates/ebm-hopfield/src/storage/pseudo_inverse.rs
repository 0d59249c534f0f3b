//! The pseudo-inverse (projection) storage rule.

use super::patterns::{Patterns, spin_model};
use ebm_core::{DensePairwise, Error, Result};

/// Stores K linearly independent patterns with the projection rule and the
/// default settings of [`PseudoInverse`], returning the zero-diagonal model
/// W = P − diag(P). Use [`PseudoInverse::store`] for the removed
/// self-couplings P_ii (which decide whether the patterns are fixed points)
/// and the condition number.
///
/// ```
/// use ebm_hopfield::Hopfield;
/// use ebm_hopfield::stability::min_stability;
/// use ebm_hopfield::storage::{PseudoInverse, pseudo_inverse};
///
/// let patterns = [vec![1, 1, 1, -1, -1, 1], vec![1, -1, 1, 1, -1, -1], vec![-1, 1, 1, 1, 1, -1]];
/// let model = pseudo_inverse(&patterns)?;
/// // No basis vector lies in the span (every P_ii < 1), so every pattern is a
/// // strict fixed point: every stability is 1 − P_ii > 0.
/// let stored = PseudoInverse::new().store(&patterns)?;
/// assert!(stored.self_couplings.iter().all(|&p_ii| p_ii < 1.0));
/// assert!(min_stability(&model, &patterns)? > 0.0);
/// let net = Hopfield::new(model)?;
/// for p in &patterns {
///     assert!(net.is_fixed_point(p)?);
/// }
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn pseudo_inverse<P: AsRef<[i8]>>(patterns: &[P]) -> Result<DensePairwise> {
    Ok(PseudoInverse::new().store(patterns)?.model)
}

/// Settings of the pseudo-inverse (projection) rule of Personnaz, Guyon and
/// Dreyfus (1985) and Kanter and Sompolinsky (1987).
///
/// **The rule.** For the N×K pattern matrix Ξ (column μ = ξ^μ) with linearly
/// independent columns (so K ≤ N), the projection onto the span of the
/// patterns is
///
/// P = Ξ (ΞᵀΞ)⁻¹ Ξᵀ,
///
/// computed in f64 from the thin singular value decomposition Ξ = U Σ Vᵀ as
/// P = U Uᵀ. The returned model has W = P − diag(P) (zero diagonal, zero bias);
/// the removed diagonal is returned as [`Projection::self_couplings`].
///
/// **Why the diagonal is removed.** The pairwise models of this workspace have
/// w_ii = 0: E(s) = −½ sᵀWs is then the energy that asynchronous updates
/// never raise. On ±1 states the diagonal only shifts the energy, since
/// sᵀ diag(P) s = Σ_i P_ii = tr P = K; so −½ sᵀPs = E(s) − K/2, and both give
/// the same energy differences, the same single-flip minima and the same
/// Boltzmann distribution. What changes is the update rule s_i := sign(h_i):
/// with the self-coupling the field gains P_ii s_i, which holds unit i in place
/// even where flipping it would lower the energy.
///
/// **What is a fixed point, exactly.** P is symmetric and idempotent and
/// PΞ = Ξ, so with the diagonal kept the field of a stored pattern is
/// Pξ^μ = ξ^μ: every stored pattern is trivially a fixed point of the
/// self-coupled dynamics. With the diagonal removed,
///
/// h^μ = Wξ^μ = Pξ^μ − diag(P) ξ^μ,  so  h_i^μ = (1 − P_ii) ξ_i^μ,
///
/// and the stability ξ_i^μ h_i^μ = 1 − P_ii is the same for every stored
/// pattern. Now P_ii = e_iᵀPe_i = ‖Pe_i‖², and ‖Pe_i‖² + ‖(I − P)e_i‖² = 1,
/// so 0 ≤ P_ii ≤ 1 with P_ii = 1 exactly when the basis vector e_i lies in
/// span(ξ¹ … ξᴷ). Hence:
///
/// - if no e_i lies in the span, every stored pattern is a fixed point
///   (strictly: every stability is at least 1 − max_i P_ii > 0) and a strict local
///   minimum of E under single flips;
/// - if some e_i lies in the span, then h_i^μ = 0 for every stored pattern:
///   all of them are ties at unit i (in floating point, rounding noise of
///   either sign), and none is a strict fixed point.
///
/// The claim "the pseudo-inverse rule makes every one of K < N linearly
/// independent patterns a fixed point" therefore needs the extra condition
/// P_ii < 1 for all i. K < N alone does not suffice: for N = 3 the patterns
/// (1, 1, 1) and (1, −1, −1) are independent, yet their sum is 2e₁, so
/// P₁₁ = 1. For K = N independent patterns P = I and W = 0. Since
/// Σ_i P_ii = K, the self-couplings average K/N and the stabilities 1 − P_ii
/// average 1 − K/N: they shrink towards zero, and the basins of attraction
/// with them, as K approaches N. (For random patterns at N = 64 the smallest
/// stability is about 0.36 at K = 32 and 0.02 at K = 58; at K = N − 1 = 63 it
/// fell to 4·10⁻¹⁰ in 200 random draws, and every pattern was still a fixed
/// point of the f32 model.)
///
/// **Errors.** Besides the input errors of [`super::hebbian`]: K > N, linearly
/// dependent patterns (a singular value at most max(N, K)·ε·σ_max), or a
/// condition number σ_max/σ_min of Ξ above [`PseudoInverse::max_condition`]
/// all give [`Error::Invalid`] naming the cause.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PseudoInverse {
    max_condition: f64,
}

impl Default for PseudoInverse {
    fn default() -> Self {
        Self { max_condition: 1e8 }
    }
}

/// What the projection rule returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    /// The zero-diagonal, zero-bias model with W = P − diag(P).
    pub model: DensePairwise,
    /// The removed self-couplings P_ii = ‖Pe_i‖² ∈ [0, 1], summing to K. With
    /// them the field of the projection dynamics is h_i = (Ws)_i + P_ii s_i,
    /// and each stored pattern's stabilities in [`Projection::model`] are
    /// 1 − P_ii.
    pub self_couplings: Vec<f64>,
    /// The condition number σ_max/σ_min of the pattern matrix Ξ.
    pub condition_number: f64,
}

impl PseudoInverse {
    /// The default settings: condition numbers up to 10⁸ are accepted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest condition number σ_max/σ_min of Ξ accepted (≥ 1; may be
    /// +∞ to refuse only numerically dependent patterns). With f64
    /// arithmetic the error of P is about ε·σ_max/σ_min, so the default 10⁸
    /// keeps it below the f32 rounding of the returned weights.
    pub fn max_condition(mut self, max_condition: f64) -> Self {
        self.max_condition = max_condition;
        self
    }

    /// Stores `patterns` (see [`PseudoInverse`] for the rule and the errors).
    pub fn store<P: AsRef<[i8]>>(&self, patterns: &[P]) -> Result<Projection> {
        if self.max_condition.is_nan() || self.max_condition < 1.0 {
            return Err(invalid(format!("max_condition must be ≥ 1, got {}", self.max_condition)));
        }
        let patterns = Patterns::new(patterns)?;
        let (n, k) = (patterns.units(), patterns.count());
        if k > n {
            return Err(invalid(format!(
                "{k} patterns of {n} units are always linearly dependent; the rule needs K ≤ N"
            )));
        }
        let svd = patterns.matrix().try_svd_unordered(true, false, f64::EPSILON, 1000 + 100 * k).ok_or_else(
            || invalid("the singular value decomposition of the pattern matrix did not converge"),
        )?;
        let sigma = &svd.singular_values;
        let (max, min) = (sigma.max(), sigma.min());
        let tolerance = n as f64 * f64::EPSILON * max;
        if min <= tolerance {
            let rank = sigma.iter().filter(|&&s| s > tolerance).count();
            return Err(invalid(format!(
                "the {k} patterns are linearly dependent (numerical rank {rank}); \
                 the projection rule needs linearly independent patterns"
            )));
        }
        let condition_number = max / min;
        if condition_number > self.max_condition {
            return Err(invalid(format!(
                "the pattern matrix is ill-conditioned: condition number {condition_number:.3e} \
                 exceeds the limit {:.3e}",
                self.max_condition
            )));
        }
        let u = svd.u.ok_or_else(|| invalid("the decomposition returned no singular vectors"))?;
        let projection = &u * u.transpose();
        let self_couplings = projection.diagonal().iter().copied().collect();
        Ok(Projection { model: spin_model(&projection)?, self_couplings, condition_number })
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::Invalid { what: "pseudo-inverse rule".into(), reason: reason.into() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{fields, random_patterns, strictly_stable};

    /// Every one of K < N random patterns is a fixed point at N = 64 up to
    /// K = 0.9 N, with stabilities exactly 1 − P_ii, and Pξ = ξ when the
    /// self-couplings are put back.
    #[test]
    fn random_independent_patterns_are_fixed_points() {
        let n = 64;
        for (k, seed) in [(8, 0), (32, 1), (32, 2), (58, 3), (58, 4), (63, 5)] {
            let patterns = random_patterns(seed, k, n);
            let stored = PseudoInverse::new().store(&patterns).unwrap();
            let p_ii = &stored.self_couplings;
            assert!((p_ii.iter().sum::<f64>() - k as f64).abs() < 1e-9, "tr P = K");
            assert!(p_ii.iter().all(|&d| (0.0..1.0).contains(&d)), "0 ≤ P_ii < 1");
            for xi in &patterns {
                assert!(
                    strictly_stable(&stored.model, xi),
                    "K = {k}: a stored pattern is not a strict fixed point"
                );
                let h = fields(&stored.model, xi);
                for i in 0..n {
                    let s = f64::from(xi[i]);
                    assert!((s * h[i] - (1.0 - p_ii[i])).abs() < 1e-5, "stability ≠ 1 − P_ii");
                    assert!((h[i] + p_ii[i] * s - s).abs() < 1e-5, "Pξ ≠ ξ");
                }
            }
            let worst = p_ii.iter().copied().collect::<ebm_core::worst::Worst>().value();
            eprintln!("N = {n}, K = {k}: min stability 1 − max P_ii = {:.2e}", 1.0 - worst);
        }
    }

    /// A basis vector in the span makes every stored pattern a tie at that unit.
    #[test]
    fn a_basis_vector_in_the_span_gives_ties() {
        let patterns = [vec![1, 1, 1], vec![1, -1, -1]];
        let stored = PseudoInverse::new().store(&patterns).unwrap();
        assert!((stored.self_couplings[0] - 1.0).abs() < 1e-12);
        for xi in &patterns {
            let h = fields(&stored.model, xi);
            assert!(h[0].abs() < 1e-7, "h_0 = {} should vanish", h[0]);
            assert!((f64::from(xi[1]) * h[1] - 0.5).abs() < 1e-6);
        }
    }

    #[test]
    fn dependent_patterns_are_refused() {
        let a = vec![1, 1, 1, 1, 1, 1];
        let b = vec![1, -1, 1, -1, 1, 1];
        let c = vec![1, -1, 1, 1, 1, 1];
        // d = a + b − c, a dependence among four distinct ±1 patterns with K < N.
        let d: Vec<i8> = (0..6).map(|i| a[i] + b[i] - c[i]).collect();
        let minus_a: Vec<i8> = a.iter().map(|&s| -s).collect();
        for set in [
            vec![a.clone(), minus_a],
            vec![a.clone(), b.clone(), a.clone()],
            vec![a.clone(), b.clone(), c.clone(), d],
        ] {
            let err = pseudo_inverse(&set).unwrap_err().to_string();
            assert!(err.contains("linearly dependent"), "{err}");
        }
        let too_many = vec![vec![1, 1], vec![1, -1], vec![-1, 1]];
        assert!(pseudo_inverse(&too_many).unwrap_err().to_string().contains("K ≤ N"));
        assert!(pseudo_inverse(&[a, b, c]).is_ok());
    }

    #[test]
    fn condition_limit_is_enforced_and_validated() {
        let patterns = random_patterns(9, 20, 32);
        let cond = PseudoInverse::new().store(&patterns).unwrap().condition_number;
        assert!(cond > 1.0);
        let err = PseudoInverse::new().max_condition(cond * 0.99).store(&patterns).unwrap_err();
        assert!(err.to_string().contains("ill-conditioned"), "{err}");
        assert!(PseudoInverse::new().max_condition(f64::INFINITY).store(&patterns).is_ok());
        for bad in [f64::NAN, 0.5] {
            assert!(PseudoInverse::new().max_condition(bad).store(&patterns).is_err());
        }
    }

    /// K = N independent patterns: P = I, so nothing is left after zeroing the diagonal.
    #[test]
    fn a_full_basis_gives_zero_weights() {
        let patterns = [vec![1, 1], vec![1, -1]];
        let stored = PseudoInverse::new().store(&patterns).unwrap();
        assert!(stored.model.couplings().matrix().iter().all(|w| w.abs() < 1e-7));
        assert!(stored.self_couplings.iter().all(|&d| (d - 1.0).abs() < 1e-12));
    }
}
