//! Gradient ascent on the log-likelihood of a general Boltzmann machine.

use super::moments::{Gradient, exact_gradient};
use super::sampled::{SampledPhases, Sampling, check_data};
use crate::sgd::{SgdBuilder, SgdSettings};
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::{Error, Result};
use ebm_data::batches::Minibatches;
use ebm_mcmc::rng::seeded;
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use std::time::Instant;

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

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineEpoch {
    /// The epoch, from 0.
    pub epoch: usize,
    /// η used.
    pub learning_rate: f64,
    /// The norm of the last batch's gradient estimate.
    pub gradient_norm: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
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
/// set through [`SgdBuilder`].
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

/// The parameters in f64 and their velocities.
struct Parameters {
    couplings: DMatrix<f64>,
    biases: DVector<f64>,
    couplings_velocity: DMatrix<f64>,
    biases_velocity: DVector<f64>,
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

    /// Trains `machine` on `data` (visible configurations in its domain),
    /// calling `observer` after every epoch. If the parameters stop being
    /// finite, training stops with an error naming the epoch and `machine`
    /// keeps the last finite parameters.
    pub fn train(
        &self,
        machine: &mut BoltzmannMachine,
        data: &[Vec<i8>],
        mut observer: impl FnMut(&MachineEpoch, &BoltzmannMachine),
    ) -> Result<Vec<MachineEpoch>> {
        self.sgd.check()?;
        check_data(machine, data)?;
        let mask = self.connectivity.mask(machine.visible(), machine.units())?;
        let sgd = &self.sgd;
        let mut rng = seeded(sgd.seed);
        let mut sampled = match &self.estimator {
            Estimator::Exact => None,
            Estimator::Sampled(sampling) => {
                Some(SampledPhases::new(sampling.clone(), machine, data, &mut rng)?)
            }
        };
        let n = machine.units();
        let mut parameters = Parameters {
            couplings: machine.couplings().map(f64::from),
            biases: DVector::from_iterator(n, machine.biases().iter().map(|&b| f64::from(b))),
            couplings_velocity: DMatrix::zeros(n, n),
            biases_velocity: DVector::zeros(n),
        };
        let mut reports = Vec::with_capacity(sgd.epochs);
        for epoch in 0..sgd.epochs {
            let start = Instant::now();
            let rate = sgd.rate(epoch);
            let mut gradient_norm = 0.0;
            for indices in Minibatches::new(data.len(), sgd.batch_size, &mut rng)? {
                let batch: Vec<Vec<i8>> = indices.iter().map(|&i| data[i].clone()).collect();
                let gradient = match &mut sampled {
                    None => exact_gradient(machine, &batch)?,
                    Some(phases) => {
                        let views: Vec<&[i8]> = batch.iter().map(Vec::as_slice).collect();
                        phases.gradient(machine, &views, rng.random())?
                    }
                };
                gradient_norm = gradient.norm();
                self.step(&mut parameters, &gradient, &mask, rate);
                *machine = to_machine(machine, &parameters)
                    .map_err(|_| diverged(epoch, "the parameters stopped being finite"))?;
            }
            let report = MachineEpoch {
                epoch,
                learning_rate: rate,
                gradient_norm,
                seconds: start.elapsed().as_secs_f64(),
            };
            observer(&report, machine);
            reports.push(report);
        }
        Ok(reports)
    }

    /// u ← μu + η(g − λW) on the trainable couplings and the biases; θ ← θ + u.
    /// Each coupling is updated once, for i < j, and mirrored, so W stays
    /// exactly symmetric.
    fn step(&self, parameters: &mut Parameters, gradient: &Gradient, mask: &DMatrix<bool>, rate: f64) {
        let (eta, mu, decay) = (rate, self.sgd.momentum, self.sgd.weight_decay);
        let n = parameters.biases.len();
        for i in 0..n {
            for j in i + 1..n {
                if mask[(i, j)] {
                    let g = gradient.couplings[(i, j)] - decay * parameters.couplings[(i, j)];
                    let u = mu * parameters.couplings_velocity[(i, j)] + eta * g;
                    let w = parameters.couplings[(i, j)] + u;
                    for (a, b) in [(i, j), (j, i)] {
                        parameters.couplings_velocity[(a, b)] = u;
                        parameters.couplings[(a, b)] = w;
                    }
                }
            }
            let u = &mut parameters.biases_velocity[i];
            *u = mu * *u + eta * gradient.biases[i];
            parameters.biases[i] += *u;
        }
    }
}

/// The machine with `parameters` rounded to f32; an error if any is not finite.
fn to_machine(machine: &BoltzmannMachine, parameters: &Parameters) -> Result<BoltzmannMachine> {
    let couplings = parameters.couplings.map(|w| w as f32);
    let biases = parameters.biases.iter().map(|&b| b as f32).collect();
    machine.with_parameters(couplings, biases)
}

fn diverged(epoch: usize, what: &str) -> Error {
    Error::invalid(
        "Boltzmann machine training",
        format!(
            "diverged in epoch {epoch}: {what}; the last finite parameters are kept — lower the learning rate"
        ),
    )
}
