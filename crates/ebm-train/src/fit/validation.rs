//! [`Validation`]: a held-out score after each epoch, early stopping and
//! the best model kept.

use super::{Control, Moment, Observer};
use ebm_core::Result;

/// The best epoch so far.
#[derive(Clone, Debug, PartialEq)]
pub struct Best<M> {
    /// The epoch, from 0.
    pub epoch: usize,
    /// Its score.
    pub score: f64,
    /// The model after it, when [`Validation::keep_best`] is set.
    pub model: Option<M>,
}

/// Scores the model after every epoch (typically on held-out data), adds the
/// score to the epoch's report under its name, and remembers the best epoch.
///
/// With [`patience`](Self::patience) p it stops the run when p epochs in a
/// row have not improved on the best; with [`keep_best`](Self::keep_best) it
/// keeps a copy of the best model ([`Validation::best`]). Higher scores are
/// better (a log-likelihood) unless [`lower_is_better`](Self::lower_is_better)
/// is set (an error). A NaN score is never an improvement. The patience
/// count lives in the observer, not in checkpoints: a resumed run counts
/// afresh.
pub struct Validation<M, F> {
    name: String,
    score: F,
    lower_is_better: bool,
    patience: Option<usize>,
    keep_best: bool,
    best: Option<Best<M>>,
    without_improvement: usize,
}

impl<M, F: FnMut(&M) -> Result<f64>> Validation<M, F> {
    /// Reports `score(model)` as metric `name` after each epoch.
    pub fn new(name: impl Into<String>, score: F) -> Self {
        Self {
            name: name.into(),
            score,
            lower_is_better: false,
            patience: None,
            keep_best: false,
            best: None,
            without_improvement: 0,
        }
    }

    /// Lower scores are better.
    pub fn lower_is_better(mut self) -> Self {
        self.lower_is_better = true;
        self
    }

    /// Stops the run after `epochs` epochs in a row without a better score.
    pub fn patience(mut self, epochs: usize) -> Self {
        self.patience = Some(epochs);
        self
    }

    /// Keeps a copy of the model after the best epoch.
    pub fn keep_best(mut self) -> Self {
        self.keep_best = true;
        self
    }

    /// The best epoch so far, its score and (if kept) its model.
    pub fn best(&self) -> Option<&Best<M>> {
        self.best.as_ref()
    }

    /// The best epoch, taking it out of the observer.
    pub fn into_best(self) -> Option<Best<M>> {
        self.best
    }

    /// Whether `score` improves on the best so far.
    fn improves(&self, score: f64) -> bool {
        match &self.best {
            _ if score.is_nan() => false,
            None => true,
            Some(best) if self.lower_is_better => score < best.score,
            Some(best) => score > best.score,
        }
    }
}

impl<M, F> Observer<M> for Validation<M, F>
where
    M: Clone + Send,
    F: FnMut(&M) -> Result<f64> + Send,
{
    fn observe(&mut self, moment: Moment<'_>, model: &M) -> Result<Control> {
        let Moment::Epoch(report) = moment else {
            return Ok(Control::Continue);
        };
        let score = (self.score)(model)?;
        report.set_metric(&self.name, score);
        if self.improves(score) {
            let kept = self.keep_best.then(|| model.clone());
            self.best = Some(Best { epoch: report.epoch, score, model: kept });
            self.without_improvement = 0;
        } else {
            self.without_improvement += 1;
        }
        let out_of_patience = self.patience.is_some_and(|p| self.without_improvement >= p.max(1));
        Ok(if out_of_patience { Control::Stop } else { Control::Continue })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::EpochReport;

    /// Feeds `scores` epoch by epoch as the model; returns the controls.
    fn feed<F: FnMut(&f64) -> Result<f64> + Send>(
        validation: &mut Validation<f64, F>,
        scores: &[f64],
    ) -> Vec<Control> {
        scores
            .iter()
            .enumerate()
            .map(|(epoch, score)| {
                let mut report = EpochReport { epoch, learning_rate: 0.1, seconds: 0.0, metrics: vec![] };
                let control = validation.observe(Moment::Epoch(&mut report), score).unwrap();
                assert_eq!(report.metric("held-out").map(f64::to_bits), Some(score.to_bits()));
                control
            })
            .collect()
    }

    #[test]
    fn patience_stops_after_that_many_epochs_without_improvement() {
        let mut validation = Validation::new("held-out", |m: &f64| Ok(*m)).patience(2).keep_best();
        let controls = feed(&mut validation, &[1.0, 3.0, 2.0, f64::NAN]);
        assert_eq!(controls, [Control::Continue, Control::Continue, Control::Continue, Control::Stop]);
        assert_eq!(validation.best(), Some(&Best { epoch: 1, score: 3.0, model: Some(3.0) }));
    }

    #[test]
    fn lower_is_better_flips_the_comparison_and_no_patience_never_stops() {
        let mut validation = Validation::new("held-out", |m: &f64| Ok(*m)).lower_is_better();
        let controls = feed(&mut validation, &[5.0, 4.0, 6.0, 7.0, 8.0, 9.0]);
        assert!(controls.iter().all(|&c| c == Control::Continue));
        assert_eq!(validation.into_best(), Some(Best { epoch: 1, score: 4.0, model: None }));
    }
}
