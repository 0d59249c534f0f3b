//! The largest of many errors, where a NaN counts as the largest of all.
//!
//! `f64::max` and nalgebra's `amax` both *drop* a NaN (`NaN.max(x) == x`, and
//! a comparison with NaN is false), so a check written as
//! `worst = worst.max(error)` reports a clean result when the computation it
//! guards overflowed into NaN. [`Worst`] keeps the first NaN it sees, and
//! treats ±∞ as the infinite error it is, so a bound such as
//! `worst.value() <= 1e-9` fails for every non-finite measurement.
//!
//! ```
//! use ebm_core::worst::{Worst, max_abs_difference};
//!
//! let mut worst = Worst::new();
//! worst.add(1e-12);
//! worst.add(f64::NAN);
//! worst.add(1e-3);
//! assert!(worst.value().is_nan());
//! assert!(!worst.is_within(1e-9));
//! assert_eq!(f64::NAN.max(1e-12), 1e-12); // what plain `max` would have kept
//!
//! assert_eq!(max_abs_difference(&[1.0, 2.0], &[1.5, 2.0]), 0.5);
//! assert!(max_abs_difference(&[1.0, f64::NAN], &[1.0, 2.0]).is_nan());
//! ```

/// The running maximum of a set of non-negative errors that keeps NaN.
///
/// Starts at 0 (no error yet). A NaN, once added, stays: the value of the
/// whole set is NaN, since a single non-finite measurement invalidates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Worst {
    value: f64,
}

impl Default for Worst {
    fn default() -> Self {
        Self::new()
    }
}

impl Worst {
    /// No error seen yet: the value is 0.
    pub const fn new() -> Self {
        Self { value: 0.0 }
    }

    /// Takes `error` into account: the value becomes max(value, error), and
    /// NaN if either is NaN.
    #[inline]
    pub fn add(&mut self, error: f64) {
        self.value = nan_max(self.value, error);
    }

    /// [`add`](Self::add), chained: `worst.with(a).with(b)`.
    #[inline]
    #[must_use]
    pub fn with(mut self, error: f64) -> Self {
        self.add(error);
        self
    }

    /// The largest error seen (0 if none), NaN if any was NaN.
    #[inline]
    pub fn value(self) -> f64 {
        self.value
    }

    /// Whether every error seen was finite.
    pub fn is_finite(self) -> bool {
        self.value.is_finite()
    }

    /// Whether the largest error is at most `limit`; false when any error was
    /// NaN or infinite (unless `limit` is +∞ and nothing was NaN).
    pub fn is_within(self, limit: f64) -> bool {
        self.value <= limit
    }
}

impl FromIterator<f64> for Worst {
    fn from_iter<I: IntoIterator<Item = f64>>(errors: I) -> Self {
        errors.into_iter().fold(Self::new(), Self::with)
    }
}

impl Extend<f64> for Worst {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, errors: I) {
        errors.into_iter().for_each(|e| self.add(e));
    }
}

/// max(a, b) that returns NaN when either argument is NaN (unlike
/// [`f64::max`], which returns the other argument).
#[inline]
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

/// min(a, b) that returns NaN when either argument is NaN (unlike
/// [`f64::min`]): for the smallest of rates or leads that must stay above a bound.
#[inline]
pub fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// max_k |x_k|, NaN if any x_k is NaN, 0 for an empty sequence: the
/// NaN-keeping replacement for nalgebra's `amax`.
pub fn max_abs<I>(values: I) -> f64
where
    I: IntoIterator,
    I::Item: Into<f64>,
{
    values.into_iter().map(|x| x.into().abs()).collect::<Worst>().value()
}

/// max_k |a_k − b_k| over two equally long slices, NaN if any difference is
/// NaN (or if the lengths differ, which is a mistake in the caller).
pub fn max_abs_difference<T: Copy + Into<f64>>(a: &[T], b: &[T]) -> f64 {
    if a.len() != b.len() {
        return f64::NAN;
    }
    max_abs(a.iter().zip(b).map(|(&x, &y)| x.into() - y.into()))
}

/// |a − b| / max(|b|, 1): the error of `a` relative to a reference `b`,
/// absolute near zero; NaN if either is NaN, ∞ if exactly one is infinite.
#[inline]
pub fn relative_error(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn error() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => 0.0..1e6f64,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
        ]
    }

    proptest! {
        #[test]
        fn worst_is_nan_exactly_when_an_error_is(errors in prop::collection::vec(error(), 0..20)) {
            let worst: Worst = errors.iter().copied().collect();
            prop_assert_eq!(worst.value().is_nan(), errors.iter().any(|e| e.is_nan()));
        }

        #[test]
        fn worst_is_the_maximum_of_finite_errors(errors in prop::collection::vec(0.0..1e6f64, 0..20)) {
            let worst: Worst = errors.iter().copied().collect();
            let expected = errors.iter().copied().fold(0.0, f64::max);
            prop_assert_eq!(worst.value(), expected);
        }

        #[test]
        fn order_does_not_matter(mut errors in prop::collection::vec(error(), 0..20)) {
            let forward: Worst = errors.iter().copied().collect();
            errors.reverse();
            let backward: Worst = errors.iter().copied().collect();
            prop_assert!(forward.value() == backward.value() || (forward.value().is_nan() && backward.value().is_nan()));
        }
    }

    #[test]
    fn a_non_finite_error_is_never_within_a_finite_limit() {
        for bad in [f64::NAN, f64::INFINITY] {
            assert!(!Worst::new().with(bad).with(0.0).is_within(1e300));
            assert!(!Worst::new().with(bad).is_finite());
        }
        assert!(Worst::new().with(1.0).is_within(1.0));
    }

    #[test]
    fn helpers_keep_nan() {
        assert!(nan_max(f64::NAN, 1.0).is_nan() && nan_max(1.0, f64::NAN).is_nan());
        assert!(nan_min(f64::NAN, 1.0).is_nan() && nan_min(1.0, f64::NAN).is_nan());
        assert_eq!(nan_min(2.0, 1.0), 1.0);
        assert!(max_abs([1.0f32, f32::NAN, -3.0]).is_nan());
        assert_eq!(max_abs([1.0f32, -3.0]), 3.0);
        assert!(max_abs_difference(&[1.0], &[1.0, 2.0]).is_nan());
        assert_eq!(relative_error(1.5, 1.0), 0.5);
        assert!(relative_error(f64::NAN, 1.0).is_nan());
    }
}
