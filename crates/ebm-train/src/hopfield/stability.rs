//! Stabilities and fixed points: how firmly a model holds a pattern.

use ebm_core::{PairwiseEnergy, Result};

/// The stabilities γ_i = σ_i h_i of `pattern` under `model`, one per unit,
/// where h_i = Σ_j w_ij x_j + b_i is the local field and σ_i = +1 if unit i
/// is on (x_i = +1) and −1 if it is off (x_i = −1 for spins, 0 for bits).
///
/// γ_i > 0 means the deterministic update x_i := sign(h_i) leaves unit i as
/// it is; γ_i = 0 is a tie and γ_i < 0 means the unit flips. For spins and a
/// zero-diagonal W, the energy change of flipping unit i is exactly 2γ_i,
/// so γ_i > 0 for every i makes the pattern a strict local minimum of E under
/// single flips.
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
/// [`stabilities`]); +∞ when there is nothing to minimise over.
pub fn min_stability<M: PairwiseEnergy, P: AsRef<[i8]>>(model: &M, patterns: &[P]) -> Result<f64> {
    patterns
        .iter()
        .try_fold(f64::INFINITY, |min, p| Ok(stabilities(model, p.as_ref())?.into_iter().fold(min, f64::min)))
}

/// Whether `pattern` is a fixed point of the deterministic dynamics
/// x_i := sign(h_i): every stability γ_i is strictly positive. Ties
/// (h_i = 0) count as failure, since the sign of zero is a convention.
pub fn is_fixed_point<M: PairwiseEnergy>(model: &M, pattern: &[i8]) -> Result<bool> {
    Ok(stabilities(model, pattern)?.iter().all(|&g| g > 0.0))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{fields, is_fixed, pattern_set};
    use super::super::{hebbian, storkey};
    use super::*;
    use ebm_core::{DenseCouplings, DensePairwise, Domain};
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn stabilities_are_the_fields_times_the_spins(patterns in pattern_set(2..20, 2..8)) {
            let model = storkey(&patterns)?;
            for xi in &patterns {
                let h = fields(&model, xi);
                let gamma = stabilities(&model, xi)?;
                for i in 0..xi.len() {
                    prop_assert!((gamma[i] - f64::from(xi[i]) * h[i]).abs() < 1e-12);
                }
                prop_assert_eq!(is_fixed_point(&model, xi)?, is_fixed(&model, xi));
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
        assert!(!is_fixed_point(&tied, &[1, 1]).unwrap());
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
