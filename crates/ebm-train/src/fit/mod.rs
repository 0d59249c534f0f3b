//! One training engine for every model: a [`Learner`] writes its minibatch
//! step, and the [`Fit`] driver does the rest.
//!
//! Training a model by minibatch stochastic gradient methods is the same
//! loop whatever the model: each epoch shuffles the examples into batches;
//! each batch takes one step θ ← θ + Δθ(batch, η(e), rng) with the epoch's
//! learning rate; the run watches for divergence, reports metrics, and can
//! be stopped, saved and resumed. The loop lives here once:
//!
//! - a [`Learner`] is a training algorithm's state between steps
//!   (velocities, Adam moments, persistent chains, a tempering ladder, a
//!   replay buffer) and its [`Learner::step`], the one method it must write;
//! - [`Fit`] owns the epochs, the batches, the [`Plan`] (schedule, batch
//!   size, epochs), the random stream, timing, the [`Guard`] against
//!   divergence, and the [`Observer`]s — progress bars, metric logs,
//!   held-out scores and early stopping ([`Validation`]), a Ctrl-C handler —
//!   each called as often as it asks ([`Every`]);
//! - a [`Checkpointed`] learner's run is saved whole ([`Fit::save`]) in the
//!   model-file format and resumed ([`Fit::load`], then [`Fit::run`]) with
//!   the same result, bit for bit, as a run never stopped.
//!
//! A step applies its update whole or not at all: if any new parameter would
//! be NaN, infinite or past the guard's bound, it leaves the model as it was
//! and the run ends with [`ebm_core::Error::Diverged`].

mod checkpoint;
mod driver;
mod guard;
mod learner;
mod observer;
mod report;
mod validation;

pub use checkpoint::Checkpointed;
pub use driver::{Fit, Outcome, Plan};
pub use guard::Guard;
pub use learner::{Examples, Learner, Update};
pub use observer::{Control, EachEpoch, Every, Moment, Observer};
pub use report::{EpochReport, StepReport, Tally};
pub use validation::Validation;

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
