//! The parameters every continuous sampler shares, and their accessors.

use super::{AcceptanceStats, Adaptation};
use ebm_core::Result;

/// Parameters every sampler has: the temperature, the step size, optional
/// burn-in adaptation, and cumulative acceptance statistics.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Settings {
    pub(super) temperature: f64,
    pub(super) step_size: f64,
    pub(super) adaptation: Option<Adaptation>,
    pub(super) stats: AcceptanceStats,
}

impl Settings {
    pub(super) fn new(step_size: f64) -> Result<Self> {
        Ok(Self {
            temperature: 1.0,
            step_size: check_positive("step size", step_size)?,
            adaptation: None,
            stats: AcceptanceStats::default(),
        })
    }
}

/// Returns `value` if it is finite and > 0, an error naming `what` otherwise.
pub(super) fn check_positive(what: &str, value: f64) -> Result<f64> {
    ebm_core::error::check_positive(what, value).map(|()| value)
}

/// The accessors and builder methods every sampler shares.
macro_rules! common_methods {
    ($sampler:ident) => {
        impl $sampler {
            /// Sets the temperature T (finite, > 0) of the target π ∝ exp(−E/T); the default is 1.
            pub fn with_temperature(mut self, temperature: f64) -> ebm_core::Result<Self> {
                self.settings.temperature =
                    $crate::continuous::settings::check_positive("temperature", temperature)?;
                Ok(self)
            }

            /// The temperature T.
            pub fn temperature(&self) -> f64 {
                self.settings.temperature
            }

            /// The current step size (after burn-in adaptation, the frozen one).
            pub fn step_size(&self) -> f64 {
                self.settings.step_size
            }

            /// Sets the step size (finite, > 0).
            pub fn set_step_size(&mut self, step_size: f64) -> ebm_core::Result<()> {
                self.settings.step_size =
                    $crate::continuous::settings::check_positive("step size", step_size)?;
                Ok(())
            }

            /// Acceptance statistics of every transition since construction
            /// or the last [`reset_stats`](Self::reset_stats).
            pub fn stats(&self) -> $crate::continuous::AcceptanceStats {
                self.settings.stats
            }

            /// Clears the acceptance statistics.
            pub fn reset_stats(&mut self) {
                self.settings.stats = $crate::continuous::AcceptanceStats::default();
            }
        }
    };
    ($sampler:ident, adaptive) => {
        common_methods!($sampler);

        impl $sampler {
            /// Tunes the step size during burn-in ([`adapt`](crate::continuous::ContinuousSampler::adapt)
            /// and the burn-in of [`sample`](crate::continuous::ContinuousSampler::sample)) and freezes it after.
            pub fn with_adaptation(mut self, adaptation: $crate::continuous::Adaptation) -> Self {
                self.settings.adaptation = Some(adaptation);
                self
            }

            /// The burn-in adaptation, if any.
            pub fn adaptation(&self) -> Option<$crate::continuous::Adaptation> {
                self.settings.adaptation
            }
        }
    };
}
pub(super) use common_methods;
