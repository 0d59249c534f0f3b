//! Stabilities: how firmly a model holds a pattern, unit by unit.
//!
//! Whether a state is a fixed point of the dynamics is one question, asked
//! of the network and answered with the network's own update rule:
//! [`Hopfield::is_fixed_point`](crate::Hopfield::is_fixed_point). The
//! stabilities say more — by how much each unit is held — and their minimum
//! compares patterns stored by one rule; they scale with the weights, so
//! they do not compare rules with each other.

use ebm_core::{PairwiseEnergy, Result};

/// The stabilities γ_i = σ_i h_i of `pattern` under `model`, one per unit,
/// where h_i = Σ_j w_ij x_j + b_i is the local field and σ_i = +1 if unit i
/// is on (x_i = +1) and −1 if it is off (x_i = −1 for spins, 0 for bits).
///
/// γ_i > 0 means the deterministic update leaves unit i as it is; γ_i < 0
/// means the unit flips; γ_i = 0 is a tie, which the update of
/// [`Hopfield`](crate::Hopfield) resolves by keeping the unit. So a spin
/// pattern is a fixed point exactly when no γ_i is negative, and a strict
/// local minimum of E under single flips when every γ_i is positive: for
/// spins and a zero-diagonal W, flipping unit i changes the energy by
/// exactly 2γ_i.
///
/// An error if the pattern's length or values do not fit the model.
pub fn stabilities<M: PairwiseEnergy>(model: &M, pattern: &[i8]) -> Result<Vec<f64>> {
    model.check_state(pattern)?;
    Ok(pattern
        .iter()
        .enumerate()
        .map(|(i, &x)| if x == 1 { 1.0 } else { -1.0 } * model.local_field(pattern, i))
        .collect())
}

/// The smallest stability min_{μ,i} γ_i^μ over all `patterns` and units (see
/// [`stabilities`]); +∞ when there is nothing to minimise over. A positive
/// value means every pattern is a strict local minimum of the energy; a
/// value above κ, that every pattern is held with margin κ.
pub fn min_stability<M: PairwiseEnergy, P: AsRef<[i8]>>(model: &M, patterns: &[P]) -> Result<f64> {
    patterns
        .iter()
        .try_fold(f64::INFINITY, |min, p| Ok(stabilities(model, p.as_ref())?.into_iter().fold(min, f64::min)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hopfield;
    use crate::storage::{hebbian, storkey};
    use crate::test_support::{fields, pattern_set, strictly_stable};
    use ebm_core::{DenseCouplings, DensePairwise, Domain};
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn stabilities_are_the_fields_times_the_spins(patterns in pattern_set(2..20, 2..8)) {
            let model = storkey(&patterns)?;
            let net = Hopfield::new(model.clone())?;
            for xi in &patterns {
                let h = fields(&model, xi);
                let gamma = stabilities(&model, xi)?;
                for i in 0..xi.len() {
                    prop_assert!((gamma[i] - f64::from(xi[i]) * h[i]).abs() < 1e-12);
                }
                prop_assert_eq!(min_stability(&model, &[xi])? > 0.0, strictly_stable(&model, xi));
                prop_assert_eq!(net.is_fixed_point(xi)?, gamma.iter().all(|&g| g >= 0.0));
            }
        }
    }

    #[test]
    fn bias_ties_and_bits() {
        // Two units with w = 1: (1, 1) has γ = (1, 1); a bias of −1 on unit 0 makes it a tie.
        let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 1.0, 0.0]);
        let tied = DensePairwise::new(Domain::Spin, DenseCouplings::new(w.clone()).unwrap(), vec![-1.0, 0.0]);
        let tied = tied.unwrap();
        assert_eq!(stabilities(&tied, &[1, 1]).unwrap(), vec![0.0, 1.0]);
        assert_eq!(min_stability(&tied, &[[1, 1]]).unwrap(), 0.0);
        // Bits: an off unit is stable when its field is negative.
        let bits =
            DensePairwise::new(Domain::Bit, DenseCouplings::new(w).unwrap(), vec![-0.5, -0.5]).unwrap();
        assert_eq!(stabilities(&bits, &[0, 0]).unwrap(), vec![0.5, 0.5]);
        assert_eq!(stabilities(&bits, &[1, 1]).unwrap(), vec![0.5, 0.5]);
        assert_eq!(stabilities(&bits, &[1, 0]).unwrap(), vec![-0.5, -0.5]);
        // Bad states are errors; an empty pattern set has minimum +∞.
        let model = hebbian(&[vec![1, -1, 1]]).unwrap();
        assert!(stabilities(&model, &[1, -1]).is_err());
        assert!(stabilities(&model, &[1, 0, 1]).is_err());
        assert_eq!(min_stability(&model, &[] as &[Vec<i8>]).unwrap(), f64::INFINITY);
        assert!(min_stability(&model, &[vec![1, -1, 1], vec![1]]).is_err());
    }
}
