//! The driver on a toy learner: batches, schedules, observers, stopping,
//! divergence, checkpoints.

use super::*;
use ebm_core::Error;
use ebm_mcmc::rng::{SamplerRng, seeded};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// Numbers to average.
struct Numbers(Vec<f64>);

impl Examples for Numbers {
    fn examples(&self) -> usize {
        self.0.len()
    }

    fn width(&self) -> usize {
        1
    }
}

/// θ ← θ + η (mean of the batch − θ) + momentum, plus a little noise from
/// the run's stream: a learner whose result depends on the order of the
/// batches, the rates, its own state and the random stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Averager {
    velocity: f64,
    steps: usize,
}

impl Learner for Averager {
    type Model = f64;
    type Data = Numbers;

    fn step(
        &mut self,
        theta: &mut f64,
        data: &Numbers,
        batch: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> ebm_core::Result<StepReport> {
        let mean = batch.iter().map(|&i| data.0[i]).sum::<f64>() / batch.len() as f64;
        let velocity = 0.5 * self.velocity + update.rate * (mean - *theta) + 1e-3 * rng.random::<f64>();
        if !update.guard.admits(*theta + velocity) {
            return Ok(StepReport::refused(update.guard.refusal("θ", *theta + velocity)));
        }
        self.velocity = velocity;
        *theta += velocity;
        self.steps += 1;
        Ok(StepReport::new().tally("error", (mean - *theta).powi(2) * batch.len() as f64, batch.len() as f64))
    }

    fn check_state(&self, theta: &f64) -> ebm_core::Result<()> {
        if self.velocity.is_finite() && theta.is_finite() {
            Ok(())
        } else {
            Err(Error::invalid("averager", "not finite"))
        }
    }
}

impl Checkpointed for Averager {
    const KIND: &'static str = "checkpoint-averager";
}

fn data() -> Numbers {
    Numbers((0..23).map(|i| f64::from(i * i % 7)).collect())
}

fn plan(epochs: usize) -> Plan {
    Plan {
        learning_rate: crate::LearningRate::Linear { start: 0.3, end: 0.05 },
        batch_size: 5,
        epochs,
        guard: Guard::default(),
    }
}

fn fit(epochs: usize) -> Fit<Averager> {
    Fit::new(Averager::default(), 0.0, plan(epochs), seeded(7)).unwrap()
}

/// Records the moments it sees; stops at the `stop_at`-th call.
struct Recorder {
    every: Every,
    seen: Vec<String>,
    stop_at: Option<usize>,
}

impl Recorder {
    fn new(every: Every) -> Self {
        Self { every, seen: Vec::new(), stop_at: None }
    }
}

impl Observer<f64> for Recorder {
    fn every(&self) -> Every {
        self.every
    }

    fn observe(&mut self, moment: Moment<'_>, _: &f64) -> ebm_core::Result<Control> {
        self.seen.push(match moment {
            Moment::Batch { epoch, done, total } => format!("b{epoch}:{done}/{total}"),
            Moment::Epoch(report) => format!("e{}", report.epoch),
        });
        Ok(if Some(self.seen.len()) == self.stop_at { Control::Stop } else { Control::Continue })
    }
}

#[test]
fn a_run_takes_one_step_per_batch_and_reports_each_epoch() {
    let mut run = fit(3);
    assert_eq!(run.run(&data(), &mut []).unwrap(), Outcome::Finished);
    // 23 examples in batches of 5: 5 batches an epoch.
    assert_eq!(run.learner().steps, 15);
    assert_eq!(run.epochs_done(), 3);
    let history = run.history();
    assert_eq!(history.iter().map(|r| r.epoch).collect::<Vec<_>>(), [0, 1, 2]);
    let rates: Vec<f64> = history.iter().map(|r| r.learning_rate).collect();
    assert!(rates.iter().zip([0.3, 0.175, 0.05]).all(|(r, e)| (r - e).abs() < 1e-15), "{rates:?}");
    assert!(history.iter().all(|r| r.metric("error").is_some_and(|e| e.is_finite() && e >= 0.0)));
    // Finished runs stay finished; more epochs continue them.
    assert_eq!(run.run(&data(), &mut []).unwrap(), Outcome::Finished);
    assert_eq!(run.learner().steps, 15);
}

#[test]
fn observers_are_called_as_often_as_they_ask() {
    let (mut batches, mut epochs, mut every_two) =
        (Recorder::new(Every::Batch), Recorder::new(Every::Epoch), Recorder::new(Every::Epochs(2)));
    fit(3).run(&data(), &mut [&mut batches, &mut epochs, &mut every_two]).unwrap();
    assert_eq!(batches.seen.len(), 3 * 5 + 3);
    assert_eq!(batches.seen[..6], ["b0:1/5", "b0:2/5", "b0:3/5", "b0:4/5", "b0:5/5", "e0"]);
    assert_eq!(epochs.seen, ["e0", "e1", "e2"]);
    assert_eq!(every_two.seen, ["e1", "e2"], "epochs 2 and the last, 3");
}

#[test]
fn an_observer_can_add_a_metric_that_later_ones_see() {
    let mut scorer = EachEpoch(|_: &EpochReport, _: &f64| {});
    let mut validation = Validation::new("held-out", |theta: &f64| Ok(-(theta - 3.0).abs()));
    let mut seen = Vec::new();
    let mut reader = EachEpoch(|report: &EpochReport, _: &f64| seen.push(report.metric("held-out")));
    let mut run = fit(2);
    run.run(&data(), &mut [&mut scorer, &mut validation, &mut reader]).unwrap();
    assert!(seen.iter().all(|s| s.is_some()) && seen.len() == 2);
    assert!(run.history().iter().all(|r| r.metric("held-out").is_some()));
}

/// The run's bytes: its model and learner state, and its stream's next draw.
fn state(run: &mut Fit<Averager>) -> (u64, f64, u64, usize) {
    let next = run.rng.random::<u64>();
    (run.model().to_bits(), run.learner().velocity, next, run.learner().steps)
}

#[test]
fn stopping_anywhere_and_resuming_from_a_checkpoint_gives_the_same_bytes() {
    let mut straight = fit(4);
    straight.run(&data(), &mut []).unwrap();
    let expected = state(&mut straight);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    // Stop after batch 7 (mid-epoch), after batch 5 (the end of an epoch,
    // before its report), and after epoch 1's report.
    for (every, stop_at) in [(Every::Batch, 8), (Every::Batch, 5), (Every::Epoch, 2)] {
        let mut first = fit(4);
        let mut stopper = Recorder::new(every);
        stopper.stop_at = Some(stop_at);
        assert_eq!(first.run(&data(), &mut [&mut stopper]).unwrap(), Outcome::Stopped);
        first.save(&path).unwrap();
        let mut resumed = Fit::<Averager>::load(&path).unwrap();
        assert_eq!(resumed.run(&data(), &mut []).unwrap(), Outcome::Finished);
        assert_eq!(state(&mut resumed), expected, "{every:?} at {stop_at}");
        let epochs = |run: &Fit<Averager>| run.history().iter().map(|r| r.epoch).collect::<Vec<_>>();
        assert_eq!(epochs(&resumed), [0, 1, 2, 3]);
        let errors =
            |run: &Fit<Averager>| run.history().iter().map(|r| r.metric("error")).collect::<Vec<_>>();
        assert_eq!(errors(&resumed), errors(&straight));
    }
}

#[test]
fn running_again_with_more_epochs_continues_instead_of_restarting() {
    let constant = |epochs| Plan { learning_rate: crate::LearningRate::Constant(0.2), ..plan(epochs) };
    let mut straight = Fit::new(Averager::default(), 0.0, constant(6), seeded(3)).unwrap();
    straight.run(&data(), &mut []).unwrap();
    let mut twice = Fit::new(Averager::default(), 0.0, constant(2), seeded(3)).unwrap();
    twice.run(&data(), &mut []).unwrap();
    twice.plan_mut().epochs = 6;
    twice.run(&data(), &mut []).unwrap();
    assert_eq!(state(&mut twice), state(&mut straight));
}

#[test]
fn a_refused_step_ends_the_run_with_the_epoch_and_batch_and_the_model_unchanged() {
    let mut run = fit(3);
    run.plan_mut().guard = Guard::new(1.0).unwrap();
    let mut recorder = Recorder::new(Every::Batch);
    let error = run.run(&data(), &mut [&mut recorder]).unwrap_err();
    let Error::Diverged { epoch, batch, reason } = &error else { panic!("{error}") };
    assert!(reason.contains("θ would become") && reason.contains("bound 1e0"), "{reason}");
    // Every batch before the refused one was taken and observed.
    let observed_batches = recorder.seen.iter().filter(|s| s.starts_with('b')).count();
    assert_eq!(observed_batches, epoch * 5 + batch);
    assert!(run.model().abs() <= 1.0);
    assert!(epoch * 5 + batch > 0, "the first step is admitted");
    assert!(error.to_string().contains(&format!("batch {batch} of epoch {epoch}")), "{error}");
}

#[test]
fn data_of_another_shape_and_bad_plans_are_refused() {
    let mut run = fit(3);
    let mut stopper = Recorder::new(Every::Epoch);
    stopper.stop_at = Some(1);
    run.run(&data(), &mut [&mut stopper]).unwrap();
    let error = run.run(&Numbers(vec![1.0; 5]), &mut []).unwrap_err().to_string();
    assert!(error.contains("23 examples") && error.contains("these are 5"), "{error}");
    assert!(run.run(&Numbers(vec![]), &mut []).is_err());
    assert!(Fit::new(Averager::default(), 0.0, Plan { batch_size: 0, ..plan(2) }, seeded(1)).is_err());
    let bad_rate = Plan { learning_rate: crate::LearningRate::Constant(f64::NAN), ..plan(2) };
    assert!(Fit::new(Averager::default(), 0.0, bad_rate, seeded(1)).is_err());
}

#[test]
fn checkpoints_that_could_not_come_from_a_run_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let mut stopper = Recorder::new(Every::Batch);
    stopper.stop_at = Some(3);
    let mut run = fit(2);
    run.run(&data(), &mut [&mut stopper]).unwrap();
    let tampered = |change: &dyn Fn(&mut Fit<Averager>), what: &str| {
        let mut copy = Fit::<Averager>::load({
            run.save(&path).unwrap();
            &path
        })
        .unwrap();
        change(&mut copy);
        copy.save(&path).unwrap();
        let error = Fit::<Averager>::load(&path).err().unwrap_or_else(|| panic!("{what} accepted"));
        assert!(
            error.to_string().contains("checkpoint") || error.to_string().contains("invalid"),
            "{what}: {error}"
        );
    };
    tampered(&|f| f.position.order[0] = f.position.order[1], "an order that repeats an example");
    tampered(&|f| f.position.order.push(23), "an order longer than the data");
    tampered(&|f| f.position.batch = 9, "more batches than the epoch has");
    tampered(&|f| f.position.epoch = 1, "epochs without reports");
    tampered(&|f| f.learner.velocity = f64::NAN, "a learner state that fails its check");
    tampered(&|f| f.plan.batch_size = 0, "a plan that fails its check");
    // Another learner's checkpoint, or a model file, is refused by its kind.
    run.save(&path).unwrap();
    let error = ebm_core::file::load::<NumberModel>(&path).unwrap_err().to_string();
    assert!(error.contains("checkpoint-averager"), "{error}");
}

/// A model file kind that is not a checkpoint.
#[derive(Debug, Serialize, Deserialize)]
struct NumberModel(f64);

impl ebm_core::file::ModelFile for NumberModel {
    const KIND: &'static str = "number";
}

#[test]
fn a_run_with_checkpoints_saves_on_schedule_and_when_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");
    let mut straight = fit(5);
    straight.run(&data(), &mut []).unwrap();
    let expected = state(&mut straight);
    // Every 2 epochs: the file holds the finished run.
    let mut saved = fit(5);
    let mut epochs = Recorder::new(Every::Epoch);
    assert_eq!(saved.run_with_checkpoints(&data(), &mut [&mut epochs], &path, 2).unwrap(), Outcome::Finished);
    assert_eq!(epochs.seen, ["e0", "e1", "e2", "e3", "e4"], "pauses are invisible to observers");
    let mut finished = Fit::<Averager>::load(&path).unwrap();
    assert_eq!((finished.epochs_done(), state(&mut finished)), (5, expected));
    // Stopped by an observer in epoch 3, with no schedule: saved there.
    std::fs::remove_file(&path).unwrap();
    let mut stopper = Recorder::new(Every::Batch);
    stopper.stop_at = Some(3 * 6 + 2);
    let mut stopped = fit(5);
    assert_eq!(
        stopped.run_with_checkpoints(&data(), &mut [&mut stopper], &path, 0).unwrap(),
        Outcome::Stopped
    );
    let mut resumed = Fit::<Averager>::load(&path).unwrap();
    assert_eq!((resumed.epochs_done(), resumed.batches_done()), (3, 2));
    resumed.run(&data(), &mut []).unwrap();
    assert_eq!(state(&mut resumed), expected);
    // No schedule and no stop: nothing is written.
    std::fs::remove_file(&path).unwrap();
    fit(2).run_with_checkpoints(&data(), &mut [], &path, 0).unwrap();
    assert!(!path.exists());
}
