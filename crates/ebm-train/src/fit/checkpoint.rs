//! Checkpoints: a whole [`Fit`] — model, learner state, plan, random state,
//! position and history — in the model-file format, as its own kind.

use super::driver::Position;
use super::{Control, EpochReport, Every, Fit, Learner, Moment, Observer, Outcome, Plan};
use ebm_core::file::{self, ModelFile};
use ebm_core::{Error, Result};
use ebm_mcmc::rng::SamplerRng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A learner whose runs can be checkpointed: it and its model serialise,
/// and its checkpoints carry their own kind tag in the model-file header.
pub trait Checkpointed: Learner + Serialize + DeserializeOwned
where
    Self::Model: Serialize + DeserializeOwned,
{
    /// The kind tag of its checkpoint files (lowercase letters, digits and
    /// '-', starting `checkpoint-`).
    const KIND: &'static str;
}

/// A [`Fit`] as read from a file, before its parts are checked against each other.
#[derive(Deserialize)]
#[serde(bound = "L: DeserializeOwned, L::Model: DeserializeOwned")]
pub(crate) struct RawFit<L: Learner> {
    learner: L,
    model: L::Model,
    plan: Plan,
    rng: SamplerRng,
    position: Position,
    history: Vec<EpochReport>,
}

impl<L: Learner> TryFrom<RawFit<L>> for Fit<L> {
    type Error = Error;

    /// Accepts a run whose plan is valid, whose learner state fits its
    /// model, and whose position is one a run can be in: epochs done within
    /// the history, an epoch's order a permutation of the examples, its
    /// batches done within it.
    fn try_from(raw: RawFit<L>) -> Result<Self> {
        let bad = |reason: String| Err(Error::invalid("checkpoint", reason));
        raw.plan.check()?;
        raw.learner.check_state(&raw.model)?;
        let position = &raw.position;
        if raw.history.len() != position.epoch {
            return bad(format!("{} epochs done but {} reported", position.epoch, raw.history.len()));
        }
        if !position.order.is_empty() {
            let examples = position.shape.0;
            let mut seen = vec![false; examples];
            let permutation = position.order.len() == examples
                && position.order.iter().all(|&i| i < examples && !std::mem::replace(&mut seen[i], true));
            if !permutation {
                return bad(format!("the epoch's order is not a permutation of {examples} examples"));
            }
            if position.batch > examples.div_ceil(raw.plan.batch_size) {
                return bad(format!("{} batches done of an epoch of {examples} examples", position.batch));
            }
        }
        Ok(Self {
            learner: raw.learner,
            model: raw.model,
            plan: raw.plan,
            rng: raw.rng,
            position: raw.position,
            history: raw.history,
        })
    }
}

impl<'de, L> Deserialize<'de> for Fit<L>
where
    L: Learner + DeserializeOwned,
    L::Model: DeserializeOwned,
{
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = RawFit::<L>::deserialize(deserializer)?;
        Fit::try_from(raw).map_err(serde::de::Error::custom)
    }
}

impl<L> ModelFile for Fit<L>
where
    L: Checkpointed,
    L::Model: Serialize + DeserializeOwned,
{
    const KIND: &'static str = L::KIND;
}

impl<L> Fit<L>
where
    L: Checkpointed,
    L::Model: Serialize + DeserializeOwned,
{
    /// Writes the run to `path` atomically: a crash leaves the old
    /// checkpoint or the new one, never a mix.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        file::save(path, self)
    }

    /// Reads a run written by [`Fit::save`], checking the file (its kind,
    /// checksum and size) and the run's consistency.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        file::load(path)
    }
}

/// Pauses a run every `every` epochs, so that it can be saved.
struct Pause {
    every: usize,
    paused: bool,
}

impl<M> Observer<M> for Pause {
    fn every(&self) -> Every {
        Every::Epochs(self.every)
    }

    fn observe(&mut self, _: Moment<'_>, _: &M) -> Result<Control> {
        self.paused = true;
        Ok(Control::Stop)
    }
}

impl<L> Fit<L>
where
    L: Checkpointed,
    L::Model: Serialize + DeserializeOwned + Send,
{
    /// [`Fit::run`], saving the run to `path` after every `every` epochs and
    /// at the end (with `every` = 0, neither), and whenever an observer stops
    /// it — a Ctrl-C handler, early stopping — so that it can be resumed
    /// from there.
    pub fn run_with_checkpoints(
        &mut self,
        data: &L::Data,
        observers: &mut [&mut dyn Observer<L::Model>],
        path: &Path,
        every: usize,
    ) -> Result<Outcome> {
        loop {
            let mut pause = Pause { every: every.max(1), paused: false };
            let outcome = {
                let mut all: Vec<&mut dyn Observer<L::Model>> = Vec::with_capacity(observers.len() + 1);
                for observer in observers.iter_mut() {
                    all.push(&mut **observer);
                }
                if every > 0 {
                    all.push(&mut pause);
                }
                self.run(data, &mut all)?
            };
            if outcome == Outcome::Stopped || every > 0 {
                self.save(path)?;
            }
            if outcome == Outcome::Finished || !pause.paused {
                return Ok(outcome);
            }
        }
    }
}
