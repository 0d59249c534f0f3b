//! [`Observer`]: what watches a run — progress bars, metric logs, held-out
//! scores, AIS estimates, early stopping, a Ctrl-C handler — each called as
//! often as it asks.

use super::EpochReport;
use ebm_core::Result;

/// How often an observer is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Every {
    /// After every batch, and after every epoch.
    Batch,
    /// After every epoch.
    Epoch,
    /// After every n-th epoch (n ≥ 1; epochs n, 2n, … counted from 1) and
    /// after the last epoch of the plan.
    Epochs(usize),
}

/// When an observer is called.
#[derive(Debug)]
pub enum Moment<'a> {
    /// After a batch (only for [`Every::Batch`] observers).
    Batch {
        /// The epoch, from 0.
        epoch: usize,
        /// Batches done in this epoch (from 1).
        done: usize,
        /// Batches in the epoch.
        total: usize,
    },
    /// After an epoch: its report, to which the observer may add metrics
    /// (observers are called in order, so a later one sees them).
    Epoch(&'a mut EpochReport),
}

/// What an observer tells the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop after this batch or epoch; the run ends in a state that can be
    /// checkpointed and resumed.
    Stop,
}

/// Watches a run. Observers are `Send` so that a run can move to a worker
/// thread.
pub trait Observer<M>: Send {
    /// How often to be called; every epoch unless overridden.
    fn every(&self) -> Every {
        Every::Epoch
    }

    /// Called at `moment` with the model as it now is.
    fn observe(&mut self, moment: Moment<'_>, model: &M) -> Result<Control>;
}

/// An observer that is called after every epoch with its report and the
/// model, and never stops the run: `EachEpoch(|report, model| …)`.
pub struct EachEpoch<F>(pub F);

impl<M, F: FnMut(&EpochReport, &M) + Send> Observer<M> for EachEpoch<F> {
    fn observe(&mut self, moment: Moment<'_>, model: &M) -> Result<Control> {
        if let Moment::Epoch(report) = moment {
            (self.0)(report, model);
        }
        Ok(Control::Continue)
    }
}

/// Whether an observer that asks for `every` is due after epoch `epoch`
/// (from 0) of a plan of `epochs`.
pub(crate) fn due_after_epoch(every: Every, epoch: usize, epochs: usize) -> bool {
    match every {
        Every::Batch | Every::Epoch => true,
        Every::Epochs(n) => (epoch + 1).is_multiple_of(n.max(1)) || epoch + 1 == epochs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_n_epochs_is_due_on_multiples_of_n_and_at_the_end() {
        let due: Vec<usize> =
            (0..10).filter(|&e| due_after_epoch(Every::Epochs(3), e, 10)).map(|e| e + 1).collect();
        assert_eq!(due, vec![3, 6, 9, 10]);
        assert!((0..4).all(|e| due_after_epoch(Every::Epoch, e, 4) && due_after_epoch(Every::Batch, e, 4)));
        assert!(due_after_epoch(Every::Epochs(0), 0, 5), "n = 0 is read as 1");
    }
}
