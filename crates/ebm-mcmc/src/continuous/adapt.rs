//! Step-size adaptation during burn-in, shared by every continuous sampler.
//!
//! A Robbins–Monro recursion on the logarithm of the step size s drives the
//! acceptance probability α_n of the n-th proposal towards a target α*:
//!
//! ```text
//! log s_{n+1} = log s_n + γ_n (α_n − α*),     γ_n = γ₀ / (n + n₀)^κ,
//! ```
//!
//! with gain γ₀ > 0, decay κ ∈ (½, 1] (so that Σγ_n = ∞ and Σγ_n² < ∞) and
//! offset n₀ = 10, which damps the first updates. Too large a step lowers α
//! and the recursion shrinks s; too small a step raises it. Because the
//! iterates keep fluctuating around the solution, the step that is *frozen*
//! at the end of burn-in is a weighted average of the iterates,
//!
//! ```text
//! log s̄_n = w_n log s_n + (1 − w_n) log s̄_{n−1},     w_n = n^{−κ},
//! ```
//!
//! which forgets the early transient (as in the dual averaging of Hoffman &
//! Gelman's NUTS). Adaptation makes the chain inhomogeneous, so it runs only
//! during burn-in; afterwards the step is fixed and the chain is an ordinary
//! Markov chain with the target as its invariant distribution.

use ebm_core::{Error, Result};

/// The acceptance rate that random-walk Metropolis aims at in d ≥ 2 dimensions
/// (Roberts, Gelman & Gilks 1997: 0.234 is optimal as d → ∞).
pub const RANDOM_WALK_TARGET: f64 = 0.234;

/// The acceptance rate that random-walk Metropolis aims at in one dimension.
pub const RANDOM_WALK_TARGET_1D: f64 = 0.44;

/// The acceptance rate that MALA aims at (Roberts & Rosenthal 1998: 0.574).
pub const MALA_TARGET: f64 = 0.574;

/// The acceptance rate that HMC aims at (0.65 is optimal as d → ∞; 0.8 is a
/// common, more robust choice).
pub const HMC_TARGET: f64 = 0.8;

/// The offset n₀ of the gain sequence γ_n = γ₀ / (n + n₀)^κ.
const OFFSET: f64 = 10.0;

/// The adapted step never leaves [e^−230, e^230] (about 10^±100), nor the
/// interval between that and the initial step, so it stays finite.
const LOG_STEP_BOUND: f64 = 230.0;

/// Settings of burn-in step-size adaptation.
///
/// A Robbins–Monro recursion on log s moves the step s towards the target
/// acceptance α*, using the acceptance probability α_n of each proposal:
/// log s_{n+1} = log s_n + γ₀ (α_n − α*) / (n + 10)^κ. The step frozen at the
/// end of burn-in is the average log s̄_n = n^−κ log s_n + (1 − n^−κ) log s̄_{n−1},
/// and it never changes afterwards, so the chain after burn-in is a
/// time-homogeneous Markov chain that leaves the target invariant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptation {
    target: Option<f64>,
    gain: f64,
    decay: f64,
}

impl Default for Adaptation {
    /// The sampler's own target acceptance, gain γ₀ = 1, decay κ = 0.6.
    fn default() -> Self {
        Self { target: None, gain: 1.0, decay: 0.6 }
    }
}

impl Adaptation {
    /// The default settings: the sampler's own target, γ₀ = 1, κ = 0.6.
    pub fn new() -> Self {
        Self::default()
    }

    /// Aims at acceptance rate `target`, which must lie strictly between 0 and 1.
    pub fn with_target(mut self, target: f64) -> Result<Self> {
        if !(target > 0.0 && target < 1.0) {
            return Err(Error::Invalid {
                what: "target acceptance rate".into(),
                reason: format!("must lie strictly between 0 and 1, got {target}"),
            });
        }
        self.target = Some(target);
        Ok(self)
    }

    /// Sets the gain γ₀ (finite, > 0): larger adapts faster but noisier.
    pub fn with_gain(mut self, gain: f64) -> Result<Self> {
        self.gain = super::settings::check_positive("adaptation gain", gain)?;
        Ok(self)
    }

    /// Sets the decay κ of the gains, which must lie in (½, 1].
    pub fn with_decay(mut self, decay: f64) -> Result<Self> {
        if !(decay > 0.5 && decay <= 1.0) {
            return Err(Error::Invalid {
                what: "adaptation decay".into(),
                reason: format!("must lie in (0.5, 1], got {decay}"),
            });
        }
        self.decay = decay;
        Ok(self)
    }

    /// The target acceptance rate, if one was set (otherwise the sampler's own).
    pub fn target(&self) -> Option<f64> {
        self.target
    }

    /// The gain γ₀.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// The decay κ.
    pub fn decay(&self) -> f64 {
        self.decay
    }
}

/// The running state of one adaptation phase.
#[derive(Clone, Debug)]
pub(crate) struct Adapter {
    target: f64,
    gain: f64,
    decay: f64,
    n: f64,
    log_step: f64,
    log_average: f64,
    bounds: (f64, f64),
}

impl Adapter {
    /// Starts adapting from `step` towards `settings.target()` or, when unset,
    /// `default_target`.
    pub(crate) fn new(settings: &Adaptation, step: f64, default_target: f64) -> Self {
        let log_step = step.ln();
        Self {
            target: settings.target.unwrap_or(default_target),
            gain: settings.gain,
            decay: settings.decay,
            n: 0.0,
            log_step,
            log_average: log_step,
            bounds: (log_step.min(-LOG_STEP_BOUND), log_step.max(LOG_STEP_BOUND)),
        }
    }

    /// The step to use for the next proposal.
    pub(crate) fn step(&self) -> f64 {
        self.log_step.exp()
    }

    /// Feeds back the acceptance probability of the last proposal.
    pub(crate) fn update(&mut self, probability: f64) {
        self.n += 1.0;
        let gamma = self.gain / (self.n + OFFSET).powf(self.decay);
        self.log_step =
            (self.log_step + gamma * (probability - self.target)).clamp(self.bounds.0, self.bounds.1);
        let weight = self.n.powf(-self.decay);
        self.log_average = weight * self.log_step + (1.0 - weight) * self.log_average;
    }

    /// The step to freeze at the end of burn-in: the weighted average s̄.
    pub(crate) fn finish(&self) -> f64 {
        self.log_average.exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_validated() {
        assert!(Adaptation::new().with_target(0.0).is_err());
        assert!(Adaptation::new().with_target(1.0).is_err());
        assert!(Adaptation::new().with_target(f64::NAN).is_err());
        assert!(Adaptation::new().with_gain(0.0).is_err());
        assert!(Adaptation::new().with_gain(f64::INFINITY).is_err());
        assert!(Adaptation::new().with_decay(0.5).is_err());
        assert!(Adaptation::new().with_decay(1.1).is_err());
        let a = Adaptation::new().with_target(0.3).unwrap().with_gain(2.0).unwrap().with_decay(1.0).unwrap();
        assert_eq!((a.target(), a.gain(), a.decay()), (Some(0.3), 2.0, 1.0));
    }

    /// A synthetic acceptance curve α(s) = exp(−s): the recursion must find
    /// the root s* = −ln α* from far above and far below.
    #[test]
    fn finds_the_step_of_a_known_acceptance_curve() {
        for start in [1e-3, 0.5, 40.0] {
            let mut adapter = Adapter::new(&Adaptation::new(), start, 0.3);
            for _ in 0..20_000 {
                let alpha = (-adapter.step()).exp();
                adapter.update(alpha);
            }
            let expected = -(0.3f64).ln();
            assert!((adapter.finish() / expected - 1.0).abs() < 0.02, "from {start}: {}", adapter.finish());
        }
    }

    #[test]
    fn step_stays_finite_when_everything_is_accepted() {
        let mut adapter =
            Adapter::new(&Adaptation::new().with_gain(1e6).unwrap().with_decay(1.0).unwrap(), 1.0, 0.5);
        for _ in 0..1000 {
            adapter.update(1.0);
        }
        assert!(adapter.step().is_finite() && adapter.finish().is_finite());
        assert!(adapter.step() > 1e90);
    }
}
