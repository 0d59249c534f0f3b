//! What a check is: a named function from a [`Context`] to a [`Measurement`]
//! compared with a [`Bound`].

use ebm_core::worst::Worst;
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use serde::Serialize;

/// A bound a measured value must respect.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(tag = "relation", content = "value")]
pub enum Bound {
    /// Passes when the measurement is ≤ the value (errors, discrepancies).
    #[serde(rename = "<=")]
    AtMost(f64),
    /// Passes when the measurement is ≥ the value (rates, separations).
    #[serde(rename = ">=")]
    AtLeast(f64),
}

impl Bound {
    /// Whether `value` respects the bound; a non-finite value (NaN, ±∞) never
    /// does, whichever side it lies on: it means the computation broke down.
    pub fn admits(self, value: f64) -> bool {
        value.is_finite()
            && match self {
                Bound::AtMost(limit) => value <= limit,
                Bound::AtLeast(limit) => value >= limit,
            }
    }

    /// How far `value` is on the passing side of the limit (negative when it fails).
    pub fn margin(self, value: f64) -> f64 {
        match self {
            Bound::AtMost(limit) => limit - value,
            Bound::AtLeast(limit) => value - limit,
        }
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Bound::AtMost(v) => write!(f, "≤ {v:.3e}"),
            Bound::AtLeast(v) => write!(f, "≥ {v:.3e}"),
        }
    }
}

/// What one check measured.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// The quantity, in words ("max |Σp − 1| over 40 models").
    pub quantity: String,
    /// Its value.
    pub value: f64,
    /// The bound it must respect.
    pub bound: Bound,
}

impl Measurement {
    /// A measurement that passes when `value ≤ limit` (a [`Worst`] passes its NaN on).
    pub fn at_most(quantity: impl Into<String>, value: impl Into<Value>, limit: f64) -> Self {
        Self { quantity: quantity.into(), value: value.into().0, bound: Bound::AtMost(limit) }
    }

    /// A measurement that passes when `value ≥ limit`.
    pub fn at_least(quantity: impl Into<String>, value: impl Into<Value>, limit: f64) -> Self {
        Self { quantity: quantity.into(), value: value.into().0, bound: Bound::AtLeast(limit) }
    }
}

/// A measured number: an `f64`, or the value of a [`Worst`] accumulator.
pub struct Value(f64);

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Self(value)
    }
}

impl From<Worst> for Value {
    fn from(worst: Worst) -> Self {
        Self(worst.value())
    }
}

/// Converts a library error into a check failure.
pub fn fail(error: ebm_core::Error) -> String {
    error.to_string()
}

/// The signature of a check: an `Err` (a library error, an impossible state)
/// counts as a failure.
pub type CheckFn = fn(&Context) -> Result<Measurement, String>;

/// A named check in the registry.
pub struct Check {
    /// Dotted name, layer first (`core.conditional.spin`); `--only` matches prefixes.
    pub name: &'static str,
    /// One sentence on the claim being checked.
    pub claim: &'static str,
    /// The check itself.
    pub run: CheckFn,
}

/// What every check receives: the mode and a seed.
pub struct Context {
    quick: bool,
    seed: u64,
    name: &'static str,
}

impl Context {
    /// The context of check `name`.
    pub fn new(quick: bool, seed: u64, name: &'static str) -> Self {
        Self { quick, seed, name }
    }

    /// Whether this is a `--quick` run.
    pub fn is_quick(&self) -> bool {
        self.quick
    }

    /// `quick` in `--quick` mode, `full` otherwise: how much work to do.
    pub fn size(&self, quick: usize, full: usize) -> usize {
        if self.quick { quick } else { full }
    }

    /// The run seed, for work shared by several checks (and so not seeded by
    /// one check's name).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A generator seeded from the run seed and the check's name (FNV-1a), so
    /// that a check draws the same numbers whichever other checks run.
    pub fn rng(&self) -> Pcg64Mcg {
        let hash = self
            .name
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Pcg64Mcg::seed_from_u64(hash ^ self.seed)
    }
}
