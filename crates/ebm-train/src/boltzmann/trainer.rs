//! [`MachineTrainer`]: gradient ascent on the log-likelihood of a general
//! Boltzmann machine, its settings and how it starts a [`Fit`].

use super::learner::MachineLearner;
use super::sampled::{SampledPhases, Sampling, check_data};
use crate::fit::{EpochReport, Fit, Observer, Plan};
use crate::sgd::{SgdBuilder, SgdSettings};
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::{Error, Result};
use ebm_mcmc::rng::seeded;
use nalgebra::DMatrix;

/// Where the gradient comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Estimator {
    /// Both phases by enumeration: the exact gradient (small machines).
    Exact,
    /// Both phases from Gibbs chains (the note's sampled maximum likelihood).
    Sampled(Sampling),
}

/// Which couplings learning may change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connectivity {
    /// Every pair of units.
    Full,
    /// Only visible–hidden pairs: the restricted machine (visible–visible
    /// and hidden–hidden couplings keep their values, zero in a machine
    /// built that way).
    Bipartite,
    /// The pairs (i, j) with `mask[(i, j)]` true; the mask must be N×N and
    /// symmetric (its diagonal is ignored).
    Custom(DMatrix<bool>),
}

impl Connectivity {
    /// The N×N mask of trainable couplings for a machine with `visible` of `units` visible.
    fn mask(&self, visible: usize, units: usize) -> Result<DMatrix<bool>> {
        let mask = match self {
            Connectivity::Full => DMatrix::from_fn(units, units, |i, j| i != j),
            Connectivity::Bipartite => DMatrix::from_fn(units, units, |i, j| (i < visible) != (j < visible)),
            Connectivity::Custom(mask) => {
                if mask.shape() != (units, units) {
                    return Err(Error::shape("connectivity mask rows", units, mask.nrows()));
                }
                if mask != &mask.transpose() {
                    return Err(Error::invalid("connectivity mask", "not symmetric"));
                }
                DMatrix::from_fn(units, units, |i, j| i != j && mask[(i, j)])
            }
        };
        Ok(mask)
    }
}

/// Maximum-likelihood learning for a [`BoltzmannMachine`]: minibatch
/// gradient ascent on ℓ = (1/|D|) Σ_v log P(v), with momentum and L2 weight
/// decay on the couplings,
///
/// g = ∇ℓ − λW,  u ← μu + η g,  θ ← θ + u,
///
/// over the trainable couplings and every bias. The parameters are kept in
/// f64 between updates and written to the machine's f32 model after each.
///
/// η, μ, λ (on the couplings), the batch size, the epochs and the seed are
/// set through [`SgdBuilder`]. [`MachineTrainer::fit`] starts a [`Fit`] that
/// can be run, stopped, checkpointed and resumed; [`MachineTrainer::train`]
/// runs one from start to end. Each epoch reports the mean
/// [`GRADIENT_NORM`](super::GRADIENT_NORM) of its batches.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineTrainer {
    estimator: Estimator,
    connectivity: Connectivity,
    sgd: SgdSettings,
}

impl SgdBuilder for MachineTrainer {
    fn sgd_mut(&mut self) -> &mut SgdSettings {
        &mut self.sgd
    }
}

impl MachineTrainer {
    /// A trainer with the given estimator: full connectivity, η = 0.1, no
    /// momentum or decay, full-batch updates (batch size
    /// [`SgdSettings::FULL_BATCH`]), 100 epochs, seed 0.
    pub fn new(estimator: Estimator) -> Self {
        Self {
            estimator,
            connectivity: Connectivity::Full,
            sgd: SgdSettings { batch_size: SgdSettings::FULL_BATCH, epochs: 100, ..SgdSettings::default() },
        }
    }

    /// Sets which couplings are trained.
    pub fn connectivity(mut self, connectivity: Connectivity) -> Self {
        self.connectivity = connectivity;
        self
    }

    /// A run of this trainer on `machine` and `data` (visible
    /// configurations in its domain), not yet started: the random stream
    /// seeded, persistent chains started at random data vectors, velocities
    /// zero. [`Fit::run`] trains it.
    pub fn fit(&self, machine: BoltzmannMachine, data: &[Vec<i8>]) -> Result<Fit<MachineLearner>> {
        self.sgd.check()?;
        check_data(&machine, data)?;
        let mask = self.connectivity.mask(machine.visible(), machine.units())?;
        let mut rng = seeded(self.sgd.seed);
        let phases = match &self.estimator {
            Estimator::Exact => None,
            Estimator::Sampled(sampling) => {
                Some(SampledPhases::new(sampling.clone(), &machine, data, &mut rng)?)
            }
        };
        let learner = MachineLearner::new(&machine, phases, mask, &self.sgd);
        Fit::new(learner, machine, Plan::from_settings(&self.sgd), rng)
    }

    /// Trains `machine` on `data` (visible configurations in its domain)
    /// from start to end, calling `observers`, and returns each epoch's
    /// report. If training diverges, the error
    /// ([`Error::Diverged`](ebm_core::Error::Diverged)) names the epoch and
    /// batch, and `machine` keeps the last good parameters. For a run to
    /// stop and resume, use [`MachineTrainer::fit`].
    pub fn train(
        &self,
        machine: &mut BoltzmannMachine,
        data: &[Vec<i8>],
        observers: &mut [&mut dyn Observer<BoltzmannMachine>],
    ) -> Result<Vec<EpochReport>> {
        self.fit(machine.clone(), data)?.run_into(data, observers, machine)
    }
}
