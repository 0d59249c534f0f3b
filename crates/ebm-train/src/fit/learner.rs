//! [`Learner`]: the one thing a training algorithm writes — a minibatch
//! step — and [`Examples`], what the driver needs to know of its data.

use super::{Guard, StepReport};
use ebm_core::Result;
use ebm_mcmc::rng::SamplerRng;

/// A training set as the driver sees it: a number of examples, drawn into
/// minibatches by index.
pub trait Examples {
    /// The number of examples.
    fn examples(&self) -> usize;

    /// The number of values per example (what a checkpoint remembers, so
    /// that training cannot resume on data of another shape).
    fn width(&self) -> usize;
}

/// A matrix of real-valued examples, one per row.
impl Examples for nalgebra::DMatrix<f32> {
    fn examples(&self) -> usize {
        self.nrows()
    }

    fn width(&self) -> usize {
        self.ncols()
    }
}

/// States of discrete units, one example per row (e.g. the visible
/// configurations of a Boltzmann machine).
impl Examples for [Vec<i8>] {
    fn examples(&self) -> usize {
        self.len()
    }

    fn width(&self) -> usize {
        self.first().map_or(0, Vec::len)
    }
}

/// What the driver hands to a step besides the batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Update {
    /// The learning rate η of this epoch, from the schedule.
    pub rate: f64,
    /// The divergence guard every new parameter value must pass.
    pub guard: Guard,
}

/// A training algorithm: the state it carries from step to step (velocities,
/// optimiser moments, persistent chains, replay buffers) and its minibatch
/// step.
///
/// The [`Fit`](super::Fit) driver owns everything else: epochs, shuffled
/// batches, the learning-rate schedule, the random stream, timing, the
/// divergence guard's verdict, observers and checkpoints. A learner that is
/// also `Serialize + DeserializeOwned` and names a
/// [`Checkpointed::KIND`](super::Checkpointed::KIND) can be saved mid-run and
/// resumed bit for bit.
pub trait Learner {
    /// The model it trains.
    type Model;
    /// The data it trains on.
    type Data: Examples + ?Sized;

    /// One update of `model` on the examples `batch` (indices into `data`) at
    /// learning rate `update.rate`, drawing from `rng`.
    ///
    /// The update is applied whole or not at all: if any new parameter value
    /// fails `update.guard`, the step leaves `model` as it was and returns
    /// [`StepReport::refused`]. Errors are for what cannot happen with data
    /// that passed [`Learner::check`].
    fn step(
        &mut self,
        model: &mut Self::Model,
        data: &Self::Data,
        batch: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport>;

    /// Checks, before a run, that `data` suits `model` and this state (shape,
    /// values); the default accepts anything.
    fn check(&self, _model: &Self::Model, _data: &Self::Data) -> Result<()> {
        Ok(())
    }

    /// Checks that this state fits `model` (the shapes of velocities and
    /// chains), for a learner read back from a checkpoint; the default
    /// accepts anything.
    fn check_state(&self, _model: &Self::Model) -> Result<()> {
        Ok(())
    }
}
