//! What a step and an epoch report: named metrics, each a sum over a count,
//! averaged over the epoch.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// A metric as a sum of values over a count of things measured, so that the
/// steps of an epoch add up: the epoch's value is Σ sum / Σ count. A
/// reconstruction error is its squared errors over the entries compared, a
/// swap rate its accepted exchanges over those attempted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// The sum of the values.
    pub sum: f64,
    /// How many things they were measured over.
    pub count: f64,
}

impl Tally {
    /// sum / count, or NaN when nothing was counted.
    pub fn mean(&self) -> f64 {
        if self.count > 0.0 { self.sum / self.count } else { f64::NAN }
    }
}

/// What one minibatch step did: the metrics it measured on the way, or why
/// it refused to change the model.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepReport {
    tallies: Vec<(Cow<'static, str>, Tally)>,
    refusal: Option<String>,
}

impl StepReport {
    /// A report of a step that measured nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `sum` over `count` to the metric `name` (see [`Tally`]).
    pub fn tally(mut self, name: impl Into<Cow<'static, str>>, sum: f64, count: f64) -> Self {
        self.tallies.push((name.into(), Tally { sum, count }));
        self
    }

    /// A step that left the model unchanged because its update would have
    /// taken a parameter past the divergence guard; `reason` says which.
    pub fn refused(reason: impl Into<String>) -> Self {
        Self { tallies: Vec::new(), refusal: Some(reason.into()) }
    }

    /// Why the step refused to change the model, if it did.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// The metrics measured, in the order they were added.
    pub fn tallies(&self) -> impl Iterator<Item = (&str, Tally)> {
        self.tallies.iter().map(|(name, tally)| (name.as_ref(), *tally))
    }
}

/// The running tallies of an epoch, by name in first-seen order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EpochTallies(Vec<(String, Tally)>);

impl EpochTallies {
    /// Adds a step's tallies to the epoch's.
    pub fn add(&mut self, step: &StepReport) {
        for (name, tally) in step.tallies() {
            match self.0.iter_mut().find(|(known, _)| known == name) {
                Some((_, total)) => {
                    total.sum += tally.sum;
                    total.count += tally.count;
                }
                None => self.0.push((name.to_owned(), tally)),
            }
        }
    }

    /// Each metric's mean over the epoch.
    pub fn means(&self) -> Vec<(String, f64)> {
        self.0.iter().map(|(name, tally)| (name.clone(), tally.mean())).collect()
    }
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The learning rate η of the epoch.
    pub learning_rate: f64,
    /// Wall-clock seconds spent in its steps (not in observers).
    pub seconds: f64,
    /// Named metrics: first the training metrics the steps measured (their
    /// means over the epoch), then any that observers added, such as a
    /// held-out score.
    pub metrics: Vec<(String, f64)>,
}

impl EpochReport {
    /// The value of metric `name`, if the epoch has one.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(known, _)| known == name).map(|&(_, value)| value)
    }

    /// Sets metric `name` to `value`, replacing an earlier value.
    pub fn set_metric(&mut self, name: &str, value: f64) {
        match self.metrics.iter_mut().find(|(known, _)| known == name) {
            Some((_, old)) => *old = value,
            None => self.metrics.push((name.to_owned(), value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_averages_its_steps_by_their_counts() {
        let mut epoch = EpochTallies::default();
        epoch.add(&StepReport::new().tally("error", 3.0, 10.0).tally("swap", 1.0, 4.0));
        epoch.add(&StepReport::new().tally("error", 1.0, 30.0));
        epoch.add(&StepReport::new().tally("swap", 0.0, 0.0));
        let means = epoch.means();
        assert_eq!(means[0], ("error".to_owned(), 0.1));
        assert_eq!(means[1], ("swap".to_owned(), 0.25));
        assert!(Tally::default().mean().is_nan());
    }

    #[test]
    fn metrics_are_found_by_name_and_replaced_in_place() {
        let mut report =
            EpochReport { epoch: 0, learning_rate: 0.1, seconds: 0.0, metrics: vec![("a".into(), 1.0)] };
        report.set_metric("b", 2.0);
        report.set_metric("a", 3.0);
        assert_eq!(report.metrics, vec![("a".to_owned(), 3.0), ("b".to_owned(), 2.0)]);
        assert_eq!(report.metric("b"), Some(2.0));
        assert_eq!(report.metric("c"), None);
    }

    #[test]
    fn a_refused_step_says_why() {
        assert_eq!(StepReport::refused("w = inf").refusal(), Some("w = inf"));
        assert_eq!(StepReport::new().refusal(), None);
    }
}
