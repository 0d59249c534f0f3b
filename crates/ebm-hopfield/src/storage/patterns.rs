//! The input every storage rule shares — here and in `ebm-train` — a
//! validated set of ±1 patterns, and the conversion of a real weight matrix
//! into a spin model.

use ebm_core::{DenseCouplings, DensePairwise, Domain, Error, Result};
use nalgebra::DMatrix;

/// The largest size a storage rule accepts, in matrix entries: 2²⁸.
///
/// Both the coupling matrix (N·N entries) and the pattern matrix Ξ (N·K
/// entries) must stay within it; a larger request is refused with
/// [`Error::TooLarge`] before anything is allocated. At the limit the f32
/// coupling matrix alone takes 1 GiB.
pub const MAX_ENTRIES: u64 = 1 << 28;

/// K validated patterns ξ¹ … ξᴷ ∈ {−1, +1}ᴺ (K ≥ 1, N ≥ 1), stored one after another.
///
/// ```
/// use ebm_hopfield::storage::Patterns;
///
/// let patterns = Patterns::new(&[vec![1, -1, 1], vec![-1, -1, 1]])?;
/// assert_eq!((patterns.units(), patterns.count()), (3, 2));
/// assert_eq!(patterns.get(1), &[-1, -1, 1]);
/// assert!(Patterns::new(&[vec![1, 0, 1]]).is_err());
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Patterns {
    units: usize,
    values: Vec<i8>,
}

impl Patterns {
    /// Validates `patterns`: at least one, all of one length N ≥ 1, every
    /// value ±1, and N·N and K·N within [`MAX_ENTRIES`].
    pub fn new<P: AsRef<[i8]>>(patterns: &[P]) -> Result<Self> {
        let first = patterns.first().ok_or_else(|| Error::Invalid {
            what: "patterns".into(),
            reason: "no patterns were given; a storage rule needs at least one".into(),
        })?;
        let units = first.as_ref().len();
        if units == 0 {
            return Err(Error::Invalid { what: "patterns".into(), reason: "pattern 0 has no units".into() });
        }
        check_size("coupling matrix (N·N entries)", units, units)?;
        check_size("pattern matrix (K·N entries)", patterns.len(), units)?;
        let mut values = Vec::with_capacity(units * patterns.len());
        for (mu, pattern) in patterns.iter().enumerate() {
            check_pattern(pattern.as_ref(), units, mu)?;
            values.extend_from_slice(pattern.as_ref());
        }
        Ok(Self { units, values })
    }

    /// N, the number of units.
    pub fn units(&self) -> usize {
        self.units
    }

    /// K, the number of patterns.
    pub fn count(&self) -> usize {
        self.values.len() / self.units
    }

    /// Pattern μ; panics unless μ < K, like indexing a slice.
    pub fn get(&self, mu: usize) -> &[i8] {
        &self.values[mu * self.units..(mu + 1) * self.units]
    }

    /// The patterns in order.
    pub fn iter(&self) -> impl Iterator<Item = &[i8]> {
        self.values.chunks_exact(self.units)
    }

    /// The N×K pattern matrix Ξ, column μ = ξ^μ.
    pub fn matrix(&self) -> DMatrix<f64> {
        DMatrix::from_iterator(self.units, self.count(), self.values.iter().map(|&v| f64::from(v)))
    }
}

/// Refuses a `rows`×`cols` matrix beyond [`MAX_ENTRIES`].
pub(crate) fn check_size(what: &str, rows: usize, cols: usize) -> Result<()> {
    let found = (rows as u64).saturating_mul(cols as u64);
    if found > MAX_ENTRIES {
        return Err(Error::TooLarge { what: what.into(), limit: MAX_ENTRIES, found });
    }
    Ok(())
}

/// Checks that pattern `mu` has `units` entries, each ±1.
pub(crate) fn check_pattern(pattern: &[i8], units: usize, mu: usize) -> Result<()> {
    if pattern.len() != units {
        return Err(Error::ShapeMismatch {
            what: format!("pattern {mu}"),
            expected: units,
            found: pattern.len(),
        });
    }
    match pattern.iter().position(|&v| v != 1 && v != -1) {
        None => Ok(()),
        Some(i) => Err(Error::Invalid {
            what: format!("pattern {mu}"),
            reason: format!("unit {i} has value {}; patterns must be ±1 spins", pattern[i]),
        }),
    }
}

/// The zero-bias spin model E(s) = −½ sᵀWs whose couplings are `weights`
/// rounded to f32: entry (i, j) and (j, i) both come from the upper triangle
/// (i < j), so W is exactly symmetric, and the diagonal is set to zero.
pub(crate) fn spin_model(weights: &DMatrix<f64>) -> Result<DensePairwise> {
    let n = weights.nrows();
    let w = DMatrix::from_fn(n, n, |i, j| if i == j { 0.0 } else { weights[(i.min(j), i.max(j))] as f32 });
    Ok(DensePairwise::without_bias(Domain::Spin, DenseCouplings::new(w)?))
}

#[cfg(test)]
mod tests {
    use super::super::{hebbian, pseudo_inverse, storkey};
    use super::*;

    /// Every rule goes through the same checks; the Hebbian rule stands for all.
    #[test]
    fn bad_pattern_sets_are_refused() {
        let none: [Vec<i8>; 0] = [];
        assert!(matches!(hebbian(&none), Err(Error::Invalid { .. })));
        assert!(matches!(hebbian(&[Vec::<i8>::new()]), Err(Error::Invalid { .. })));
        let err = hebbian(&[vec![1, -1, 1], vec![1, 1]]).unwrap_err();
        assert!(
            matches!(&err, Error::ShapeMismatch { what, expected: 3, found: 2 } if what == "pattern 1"),
            "{err}"
        );
        for bad in [0, 2, -2, i8::MIN] {
            let err = hebbian(&[vec![1, -1, 1], vec![1, bad, -1]]).unwrap_err();
            assert!(matches!(err, Error::Invalid { .. }));
            assert!(err.to_string().contains("pattern 1") && err.to_string().contains("unit 1"), "{err}");
        }
        assert!(storkey(&[vec![1, 0]]).is_err());
        assert!(pseudo_inverse(&[vec![1, 3]]).is_err());
    }

    #[test]
    fn oversized_inputs_are_refused_before_allocating() {
        let wide = vec![1i8; (1 << 14) + 1];
        let err = hebbian(&[&wide]).unwrap_err();
        assert!(matches!(err, Error::TooLarge { limit: MAX_ENTRIES, .. }), "{err}");
        let row = vec![1i8; 1 << 14];
        let many: Vec<&[i8]> = vec![&row; (1 << 14) + 1];
        let err = storkey(&many).unwrap_err();
        assert!(matches!(err, Error::TooLarge { found, .. } if found == (1 << 28) + (1 << 14)), "{err}");
    }

    #[test]
    fn the_pattern_matrix_has_one_column_per_pattern() {
        let p = Patterns::new(&[vec![1, -1, 1], vec![-1, -1, 1]]).unwrap();
        assert_eq!((p.units(), p.count()), (3, 2));
        assert_eq!(p.get(1), &[-1, -1, 1]);
        let xi = p.matrix();
        assert_eq!(xi.shape(), (3, 2));
        assert_eq!(xi[(0, 1)], -1.0);
        assert_eq!(xi[(2, 0)], 1.0);
    }

    #[test]
    fn spin_model_mirrors_the_upper_triangle_and_drops_the_diagonal() {
        let w = DMatrix::from_row_slice(3, 3, &[5.0, 0.5, -1.0, 0.25, 7.0, 2.0, 9.0, 9.0, 1.0]);
        let model = spin_model(&w).unwrap();
        let expected = DMatrix::from_row_slice(3, 3, &[0.0, 0.5, -1.0, 0.5, 0.0, 2.0, -1.0, 2.0, 0.0]);
        assert_eq!(model.couplings().matrix(), &expected);
        let err = spin_model(&DMatrix::from_element(2, 2, f64::MAX)).unwrap_err();
        assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    }
}
