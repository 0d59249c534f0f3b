//! What every learner's tests check of the driver: a run stopped, saved and
//! resumed ends with the same bytes as a run never stopped.

use super::{Checkpointed, Control, Every, Fit, Moment, Observer, Outcome};
use ebm_core::file::{ModelFile, encode};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Stops a run after a number of batches.
pub(crate) struct StopAfter(pub usize);

impl<M> Observer<M> for StopAfter {
    fn every(&self) -> Every {
        Every::Batch
    }

    fn observe(&mut self, moment: Moment<'_>, _: &M) -> ebm_core::Result<Control> {
        if let Moment::Batch { .. } = moment {
            self.0 = self.0.saturating_sub(1);
        }
        Ok(if self.0 == 0 { Control::Stop } else { Control::Continue })
    }
}

/// Runs `start()` to its end, and again stopped after `batches` batches,
/// saved to a file, read back and finished; asserts that both end with the
/// same model file, byte for byte, and the same metrics.
pub(crate) fn assert_resume_is_exact<L>(start: impl Fn() -> Fit<L>, data: &L::Data, batches: usize)
where
    L: Checkpointed,
    L::Model: ModelFile + Serialize + DeserializeOwned + Send,
{
    let mut straight = start();
    assert_eq!(straight.run(data, &mut []).unwrap(), Outcome::Finished);
    let mut first = start();
    assert_eq!(first.run(data, &mut [&mut StopAfter(batches)]).unwrap(), Outcome::Stopped);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    first.save(&path).unwrap();
    drop(first);
    let mut resumed = Fit::<L>::load(&path).unwrap();
    assert_eq!(resumed.run(data, &mut []).unwrap(), Outcome::Finished);
    assert_eq!(encode(resumed.model()).unwrap(), encode(straight.model()).unwrap(), "the models differ");
    let metrics = |fit: &Fit<L>| fit.history().iter().map(|r| format!("{:?}", r.metrics)).collect::<Vec<_>>();
    assert_eq!(metrics(&resumed), metrics(&straight));
    assert_ne!(
        encode(resumed.model()).unwrap(),
        encode(start().model()).unwrap(),
        "training changed nothing"
    );
}
