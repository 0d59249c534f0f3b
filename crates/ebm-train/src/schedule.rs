//! Learning-rate schedules shared by the training loops.

use ebm_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// The learning rate η as a function of the epoch e of E.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum LearningRate {
    /// η(e) = η₀.
    Constant(f64),
    /// η falls linearly from `start` in the first epoch to `end` in the last.
    Linear {
        /// η in the first epoch.
        start: f64,
        /// η in the last epoch.
        end: f64,
    },
    /// η(e) = η₀ γᵉ.
    Exponential {
        /// η₀.
        start: f64,
        /// γ, in (0, 1].
        factor: f64,
    },
}

impl LearningRate {
    /// η in epoch `epoch` (from 0) of `epochs`.
    pub fn at(&self, epoch: usize, epochs: usize) -> f64 {
        match *self {
            LearningRate::Constant(rate) => rate,
            LearningRate::Linear { start, end } => {
                start + (end - start) * epoch as f64 / (epochs.saturating_sub(1)).max(1) as f64
            }
            LearningRate::Exponential { start, factor } => start * factor.powi(epoch as i32),
        }
    }

    /// Checks that every rate is finite, the first positive and none negative.
    pub(crate) fn check(&self) -> Result<()> {
        let (a, b) = match *self {
            LearningRate::Constant(rate) => (rate, rate),
            LearningRate::Linear { start, end } => (start, end),
            LearningRate::Exponential { start, factor } => (start, if factor <= 1.0 { factor } else { -1.0 }),
        };
        if a.is_finite() && b.is_finite() && a > 0.0 && b >= 0.0 {
            Ok(())
        } else {
            Err(Error::Invalid {
                what: "learning rate".into(),
                reason: format!("{self:?} is not positive and finite"),
            })
        }
    }
}
