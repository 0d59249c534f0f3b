//! The divergence guard: the largest parameter magnitude training accepts.

use ebm_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// Refuses parameter values that are not finite or exceed a bound in
/// magnitude.
///
/// A learning rate far too large does not always make a parameter NaN or
/// infinite: with η = 10³⁰ an RBM's weights land near 10³⁰, finite in f32,
/// and every probability saturates. No trained energy model needs
/// parameters anywhere near the default bound of 10⁶, so a value past it is
/// taken as divergence. A step computes its update, asks the guard about
/// every new value, and applies the update only if all pass; otherwise it
/// returns a [`StepReport::refused`](super::StepReport::refused) and the
/// driver stops with [`Error::Diverged`], the model as it was before.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Guard {
    bound: f64,
    /// The largest magnitude admitted, finite: the bound, or the largest
    /// finite number when the bound is infinite. One comparison |θ| ≤ limit
    /// then refuses NaN (every comparison with NaN is false), the
    /// infinities and values past the bound alike.
    limit: f64,
    /// The limit in single precision, for models stored in f32.
    limit_f32: f32,
}

impl Default for Guard {
    fn default() -> Self {
        Self::new(Self::DEFAULT_BOUND).expect("the default bound is positive")
    }
}

impl Guard {
    /// The default bound on |θ|: 10⁶.
    pub const DEFAULT_BOUND: f64 = 1e6;

    /// A guard that refuses non-finite values and those with |θ| > `bound`
    /// (positive; `f64::INFINITY` refuses only non-finite values).
    pub fn new(bound: f64) -> Result<Self> {
        if bound > 0.0 {
            Ok(Self { bound, limit: bound.min(f64::MAX), limit_f32: (bound as f32).min(f32::MAX) })
        } else {
            Err(Error::invalid("divergence bound", format!("{bound} must be positive")))
        }
    }

    /// The bound on |θ|.
    pub fn bound(&self) -> f64 {
        self.bound
    }

    /// Whether `value` is finite with |value| ≤ the bound.
    #[inline]
    pub fn admits(&self, value: f64) -> bool {
        value.abs() <= self.limit
    }

    /// [`Guard::admits`] for a single-precision value.
    #[inline]
    pub fn admits_f32(&self, value: f32) -> bool {
        value.abs() <= self.limit_f32
    }

    /// The reason a step gives for refusing `value` as the new `what`.
    pub fn refusal(&self, what: &str, value: f64) -> String {
        if value.is_finite() {
            format!("{what} would become {value:.3e}, beyond the divergence bound {:e}", self.bound)
        } else {
            format!("{what} would become {value}")
        }
    }

    /// `None` if every new value of `what` passes, else the reason for
    /// refusing the first that does not.
    pub fn check(&self, what: &str, values: impl IntoIterator<Item = f64>) -> Option<String> {
        values.into_iter().find(|&value| !self.admits(value)).map(|value| self.refusal(what, value))
    }
}

impl TryFrom<f64> for Guard {
    type Error = Error;

    fn try_from(bound: f64) -> Result<Self> {
        Self::new(bound)
    }
}

impl From<Guard> for f64 {
    fn from(guard: Guard) -> f64 {
        guard.bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_refuses_nan_infinities_and_values_past_its_bound() {
        let guard = Guard::new(10.0).unwrap();
        for value in [0.0, -10.0, 10.0, 3.5] {
            assert!(guard.admits(value) && guard.admits_f32(value as f32), "{value}");
        }
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 10.5, -1e30] {
            assert!(!guard.admits(value) && !guard.admits_f32(value as f32), "{value}");
        }
        let unbounded = Guard::new(f64::INFINITY).unwrap();
        assert!(unbounded.admits(1e300) && !unbounded.admits(f64::INFINITY));
        assert!(unbounded.admits_f32(f32::MAX) && !unbounded.admits_f32(f32::NAN));
        // A bound finite in f64 but past f32's range admits every finite f32.
        let wide = Guard::new(1e300).unwrap();
        assert!(wide.admits_f32(f32::MAX) && !wide.admits_f32(f32::INFINITY) && wide.admits(1e300));
    }

    #[test]
    fn a_refusal_names_the_parameter_and_its_value() {
        let guard = Guard::default();
        assert_eq!(guard.check("W", [1.0, 2.0]), None);
        let reason = guard.check("W", [1.0, 3e30, f64::NAN]).unwrap();
        assert!(reason.contains("W would become 3.000e30") && reason.contains("bound 1e6"), "{reason}");
        assert_eq!(guard.check("b", [f64::NAN]).unwrap(), "b would become NaN");
    }

    #[test]
    fn bounds_that_are_not_positive_are_refused_also_from_a_file() {
        for bound in [0.0, -1.0, f64::NAN] {
            assert!(Guard::new(bound).is_err(), "{bound}");
            assert!(Guard::try_from(bound).is_err());
        }
        assert_eq!(f64::from(Guard::new(5.0).unwrap()), 5.0);
    }
}
