//! [`Fit`]: the one training loop — epochs, shuffled minibatches, the
//! learning-rate schedule, timing, the divergence guard and observers —
//! around any [`Learner`].

use super::observer::due_after_epoch;
use super::report::EpochTallies;
use super::{Control, EpochReport, Every, Examples, Guard, Learner, Moment, Observer, Update};
use crate::schedule::LearningRate;
use crate::sgd::SgdSettings;
use ebm_core::{Error, Result};
use ebm_data::batches::Minibatches;
use ebm_mcmc::rng::SamplerRng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What the driver does with the data: how many epochs, in batches of what
/// size, at what learning rate, within what bound on the parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The learning-rate schedule η(e) over the epochs.
    pub learning_rate: LearningRate,
    /// Examples per minibatch (≥ 1; a size past the data's makes one batch).
    pub batch_size: usize,
    /// The epochs the run trains in all (counted from the start of training,
    /// across resumes).
    pub epochs: usize,
    /// The divergence guard.
    pub guard: Guard,
}

impl Plan {
    /// The schedule, batch size and epochs of `settings`, with the default guard.
    pub fn from_settings(settings: &SgdSettings) -> Self {
        Self {
            learning_rate: settings.learning_rate,
            batch_size: settings.batch_size,
            epochs: settings.epochs,
            guard: Guard::default(),
        }
    }

    /// Checks the schedule and the batch size.
    pub fn check(&self) -> Result<()> {
        self.learning_rate.check()?;
        if self.batch_size == 0 {
            return Err(Error::invalid("batch size", "0 must be at least 1"));
        }
        Ok(())
    }
}

/// Where a run is: the epochs done, and within the current epoch its order
/// of examples, the batches done, their tallies and time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Position {
    /// Epochs completed.
    pub epoch: usize,
    /// The examples and values per example of the data being trained on
    /// (0 × 0 before the first run).
    pub shape: (usize, usize),
    /// The current epoch's shuffled example indices, batch after batch;
    /// empty between epochs.
    pub order: Vec<usize>,
    /// Batches of the current epoch done.
    pub batch: usize,
    /// The current epoch's metrics so far.
    pub tallies: EpochTallies,
    /// Seconds spent in the current epoch's steps so far.
    pub seconds: f64,
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every epoch of the plan is done.
    Finished,
    /// An observer asked to stop; [`Fit::run`] again continues where it stopped.
    Stopped,
}

/// A training run: a model, its learner's state, the plan, the random
/// stream and how far it has come.
///
/// [`Fit::run`] trains until the plan's epochs are done or an observer stops
/// it, and calling it again continues — momentum, chains and the random
/// stream carry on (`partial_fit`), they are never reset. Raise the plan's
/// epochs ([`Fit::plan_mut`]) to train further. A `Fit` whose learner is
/// [`Checkpointed`](super::Checkpointed) is saved with
/// [`Fit::save`](super::Fit::save) and read back with
/// [`Fit::load`](super::Fit::load); the resumed run gives the same
/// parameters, bit for bit, as one never stopped.
#[derive(Serialize)]
#[serde(bound = "L: Serialize, L::Model: Serialize")]
pub struct Fit<L: Learner> {
    pub(crate) learner: L,
    pub(crate) model: L::Model,
    pub(crate) plan: Plan,
    pub(crate) rng: SamplerRng,
    pub(crate) position: Position,
    pub(crate) history: Vec<EpochReport>,
}

impl<L: Learner> Fit<L> {
    /// A run of `learner` on `model` by `plan`, drawing from `rng` (batches
    /// and whatever the steps draw).
    pub fn new(learner: L, model: L::Model, plan: Plan, rng: SamplerRng) -> Result<Self> {
        plan.check()?;
        Ok(Self { learner, model, plan, rng, position: Position::default(), history: Vec::new() })
    }

    /// The model as it now is.
    pub fn model(&self) -> &L::Model {
        &self.model
    }

    /// The model, ending the run.
    pub fn into_model(self) -> L::Model {
        self.model
    }

    /// The learner's state.
    pub fn learner(&self) -> &L {
        &self.learner
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The plan, to change: more epochs, another schedule, another guard.
    pub fn plan_mut(&mut self) -> &mut Plan {
        &mut self.plan
    }

    /// Epochs completed.
    pub fn epochs_done(&self) -> usize {
        self.position.epoch
    }

    /// Batches done in the epoch under way (0 between epochs).
    pub fn batches_done(&self) -> usize {
        self.position.batch
    }

    /// The report of every epoch completed, in order.
    pub fn history(&self) -> &[EpochReport] {
        &self.history
    }

    /// Trains on `data` until the plan's epochs are done or an observer
    /// stops the run, calling `observers` as each asks ([`Every`]).
    ///
    /// Each epoch shuffles the examples into batches of the plan's size and
    /// takes one step per batch at η(e). A step the divergence guard refuses
    /// ends the run with [`Error::Diverged`] (naming the epoch and batch);
    /// the model then holds the parameters from before that step. Data of
    /// another shape than the run started on is refused.
    pub fn run(&mut self, data: &L::Data, observers: &mut [&mut dyn Observer<L::Model>]) -> Result<Outcome> {
        self.plan.check()?;
        self.learner.check(&self.model, data)?;
        self.check_shape(data)?;
        while self.position.epoch < self.plan.epochs {
            if self.position.order.is_empty() {
                self.begin_epoch(data.examples())?;
            }
            let epoch_done = self.position.batch * self.plan.batch_size >= self.position.order.len();
            let control =
                if epoch_done { self.end_epoch(observers)? } else { self.run_batch(data, observers)? };
            if control == Control::Stop && self.position.epoch < self.plan.epochs {
                return Ok(Outcome::Stopped);
            }
        }
        Ok(Outcome::Finished)
    }

    /// Runs to the end (as [`Fit::run`]), then stores the model in `model` —
    /// the last good one when training failed — and returns the report of
    /// every epoch, or the error. The one-call `train` of each trainer.
    pub fn run_into(
        mut self,
        data: &L::Data,
        observers: &mut [&mut dyn Observer<L::Model>],
        model: &mut L::Model,
    ) -> Result<Vec<EpochReport>> {
        let outcome = self.run(data, observers);
        *model = self.model;
        outcome.map(|_| self.history)
    }

    /// Refuses data of another shape than the run has trained on.
    fn check_shape(&mut self, data: &L::Data) -> Result<()> {
        let shape = (data.examples(), data.width());
        if shape.0 == 0 {
            return Err(Error::invalid("training data", "it has no examples"));
        }
        if self.position.shape == (0, 0) {
            self.position.shape = shape;
        }
        if self.position.shape != shape {
            return Err(Error::invalid(
                "training data",
                format!(
                    "the run trained on {} examples of {} values, these are {} of {}",
                    self.position.shape.0, self.position.shape.1, shape.0, shape.1
                ),
            ));
        }
        Ok(())
    }

    /// Draws the epoch's order of examples.
    fn begin_epoch(&mut self, examples: usize) -> Result<()> {
        self.position.order =
            Minibatches::new(examples, self.plan.batch_size, &mut self.rng)?.flatten().collect();
        self.position.batch = 0;
        self.position.tallies = EpochTallies::default();
        self.position.seconds = 0.0;
        Ok(())
    }

    /// Takes the next step of the epoch and tells the batch observers.
    fn run_batch(
        &mut self,
        data: &L::Data,
        observers: &mut [&mut dyn Observer<L::Model>],
    ) -> Result<Control> {
        let Position { epoch, batch, .. } = self.position;
        let size = self.plan.batch_size;
        let order = &self.position.order;
        let total = order.len().div_ceil(size);
        let indices = &order[batch * size..order.len().min((batch + 1) * size)];
        let update =
            Update { rate: self.plan.learning_rate.at(epoch, self.plan.epochs), guard: self.plan.guard };
        let start = Instant::now();
        let report = self.learner.step(&mut self.model, data, indices, update, &mut self.rng)?;
        if let Some(reason) = report.refusal() {
            return Err(Error::Diverged { epoch, batch, reason: reason.to_owned() });
        }
        self.position.seconds += start.elapsed().as_secs_f64();
        self.position.tallies.add(&report);
        self.position.batch += 1;
        let mut control = Control::Continue;
        for observer in observers.iter_mut().filter(|o| o.every() == Every::Batch) {
            let moment = Moment::Batch { epoch, done: batch + 1, total };
            if observer.observe(moment, &self.model)? == Control::Stop {
                control = Control::Stop;
            }
        }
        Ok(control)
    }

    /// Closes the epoch: its report, the epoch observers, the history.
    fn end_epoch(&mut self, observers: &mut [&mut dyn Observer<L::Model>]) -> Result<Control> {
        let epoch = self.position.epoch;
        let mut report = EpochReport {
            epoch,
            learning_rate: self.plan.learning_rate.at(epoch, self.plan.epochs),
            seconds: self.position.seconds,
            metrics: self.position.tallies.means(),
        };
        self.position = Position { epoch: epoch + 1, shape: self.position.shape, ..Position::default() };
        let mut control = Control::Continue;
        for observer in observers.iter_mut() {
            if due_after_epoch(observer.every(), epoch, self.plan.epochs)
                && observer.observe(Moment::Epoch(&mut report), &self.model)? == Control::Stop
            {
                control = Control::Stop;
            }
        }
        self.history.push(report);
        Ok(control)
    }
}
