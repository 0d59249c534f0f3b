//! The learner of continuous energies: one minibatch step of maximum
//! likelihood with Langevin negatives, for the [`Fit`](crate::fit::Fit)
//! driver.

use super::points::Points;
use super::replay::ReplayBuffer;
use crate::fit::{Checkpointed, Learner, StepReport, Update};
use crate::optim::{Optimizer, OptimizerState, clip_norm};
use ebm_core::{DifferentiableEnergy, Error, ParametricEnergy, Quadratic, Result};
use ebm_density::NeuralEnergy;
use ebm_mcmc::continuous::BatchLangevin;
use ebm_mcmc::rng::SamplerRng;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// The name of the metric "mean energy of the data points", (1/B) Σ_b E(x_b)
/// over every point of the epoch's batches, each before its step.
pub const DATA_ENERGY: &str = "data_energy";

/// The name of the metric "mean energy of the negatives after their Langevin
/// steps", (1/B) Σ_b E(x′_b) over the epoch's batches.
pub const NEGATIVE_ENERGY: &str = "negative_energy";

/// The name of the metric "norm of the loss gradient before clipping",
/// averaged over the epoch's steps.
pub const GRADIENT_NORM: &str = "gradient_norm";

/// The name of the metric "acceptance rate of the Langevin proposals" over
/// the epoch (1 for unadjusted steps, bar divergent proposals).
pub const ACCEPTANCE: &str = "acceptance";

/// An energy whose training runs can be checkpointed: it is stored in model
/// files, and its checkpoints carry a kind tag of their own (lowercase
/// letters, digits and '-', starting `checkpoint-density-`), so that a run
/// of one energy is never read back as another's.
pub trait CheckpointedEnergy: ParametricEnergy + DifferentiableEnergy + ebm_core::file::ModelFile {
    /// The kind tag of checkpoints of its training runs.
    const CHECKPOINT_KIND: &'static str;
}

impl CheckpointedEnergy for NeuralEnergy {
    const CHECKPOINT_KIND: &'static str = "checkpoint-density-neural";
}

impl CheckpointedEnergy for Quadratic {
    const CHECKPOINT_KIND: &'static str = "checkpoint-density-quadratic";
}

/// What one step does besides the optimiser: the Langevin negatives, the
/// regulariser and the clipping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct StepSettings {
    /// K: Langevin steps per update.
    pub langevin_steps: usize,
    /// h: the Langevin time step.
    pub step_size: f64,
    /// σ in place of √(2h) (unadjusted steps only).
    pub noise: Option<f64>,
    /// Metropolis-adjusted (MALA) steps.
    pub adjusted: bool,
    /// The probability that a chain drawn from the buffer restarts from noise.
    pub restart: f64,
    /// α of the regulariser α (E(x)² + E(x′)²).
    pub regularization: f64,
    /// The largest gradient norm passed to the optimiser.
    pub clip: f64,
}

impl StepSettings {
    /// Checks every setting: h > 0 and σ ≥ 0 (and none with MALA), the
    /// restart probability in [0, 1], α finite and ≥ 0, the clipping norm > 0.
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.restart) {
            return Err(Error::invalid(
                "restart probability",
                format!("must lie in [0, 1], got {}", self.restart),
            ));
        }
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return Err(Error::invalid(
                "regularisation α",
                format!("must be finite and ≥ 0, got {}", self.regularization),
            ));
        }
        ebm_core::error::check_positive("gradient clipping norm", self.clip)?;
        self.sampler().map(|_| ())
    }

    /// The Langevin sampler of the negatives.
    fn sampler(&self) -> Result<BatchLangevin> {
        let sampler = BatchLangevin::new(self.step_size)?;
        match (self.adjusted, self.noise) {
            (true, Some(_)) => {
                Err(Error::invalid("Langevin noise", "adjusted (MALA) negatives need σ = √(2h)"))
            }
            (true, None) => Ok(sampler.adjusted()),
            (false, Some(noise)) => sampler.with_noise(noise),
            (false, None) => Ok(sampler),
        }
    }
}

/// The state of continuous-energy training between steps: the replay
/// buffer of negatives, the optimiser's state (velocity, or Adam's moments
/// and step count), and the step's settings. The energy E it trains is the
/// run's model.
#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct DensityLearner<E> {
    settings: StepSettings,
    buffer: ReplayBuffer,
    optimizer: OptimizerState,
    #[serde(skip)]
    energy: PhantomData<fn() -> E>,
}

impl<E> DensityLearner<E> {
    /// A learner that starts its negatives from `buffer` and steps `optimizer`.
    pub(crate) fn new(settings: StepSettings, buffer: ReplayBuffer, optimizer: OptimizerState) -> Self {
        Self { settings, buffer, optimizer, energy: PhantomData }
    }

    /// The replay buffer of negatives.
    pub fn buffer(&self) -> &ReplayBuffer {
        &self.buffer
    }

    /// The optimiser and its state.
    pub fn optimizer(&self) -> &OptimizerState {
        &self.optimizer
    }
}

impl<E: ParametricEnergy + DifferentiableEnergy> Learner for DensityLearner<E> {
    type Model = E;
    type Data = Points;

    /// One step on the B points of the batch, with B negatives:
    ///
    /// 1. B chains from the replay buffer (each restarting from noise with
    ///    the restart probability) move K Langevin steps under E and go back;
    /// 2. the gradient of L = (1/B) Σ_b [E(x_b) − E(x′_b) + α (E(x_b)² + E(x′_b)²)]
    ///    is clipped to the largest norm;
    /// 3. the optimiser steps at the epoch's learning rate, and E takes the
    ///    new parameters if the guard admits every one and E accepts them.
    ///
    /// A non-finite gradient, or new parameters that fail the guard or that
    /// E refuses, leave E unchanged and refuse the step.
    fn step(
        &mut self,
        energy: &mut E,
        data: &Points,
        indices: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let b = indices.len();
        let batch: Vec<f64> = indices.iter().flat_map(|&i| data.row(i)).copied().collect();
        let settings = &self.settings;
        let (mut negatives, slots) = self.buffer.draw(b, settings.restart, rng);
        let stats = settings.sampler()?.steps(&*energy, &mut negatives, settings.langevin_steps, rng)?;
        self.buffer.store(&negatives, &slots, rng);
        let (scale, alpha) = (1.0 / b as f64, settings.regularization);
        let mut gradient = vec![0.0; energy.num_parameters()];
        let mut energies = vec![0.0; b];
        let data_weight = &mut |_: usize, e: f64| scale * (1.0 + 2.0 * alpha * e);
        energy.parameter_gradient(&batch, &mut energies, data_weight, &mut gradient);
        let data_energy: f64 = energies.iter().sum();
        let negative_weight = &mut |_: usize, e: f64| scale * (-1.0 + 2.0 * alpha * e);
        energy.parameter_gradient(&negatives, &mut energies, negative_weight, &mut gradient);
        let negative_energy: f64 = energies.iter().sum();
        let gradient_norm = clip_norm(&mut gradient, settings.clip);
        if !gradient_norm.is_finite() {
            return Ok(StepReport::refused(format!("the loss gradient's norm would be {gradient_norm}")));
        }
        let mut theta = vec![0.0; gradient.len()];
        energy.parameters(&mut theta);
        self.optimizer.set_learning_rate(update.rate);
        self.optimizer.step(&mut theta, &gradient);
        if let Some(refusal) = update.guard.check("a parameter", theta.iter().copied()) {
            return Ok(StepReport::refused(refusal));
        }
        if let Err(error) = energy.set_parameters(&theta) {
            return Ok(StepReport::refused(format!("the energy refuses its new parameters: {error}")));
        }
        Ok(StepReport::new()
            .tally(DATA_ENERGY, data_energy, b as f64)
            .tally(NEGATIVE_ENERGY, negative_energy, b as f64)
            .tally(GRADIENT_NORM, gradient_norm, 1.0)
            .tally(ACCEPTANCE, stats.accepted as f64, stats.proposed as f64))
    }

    fn check(&self, energy: &E, data: &Points) -> Result<()> {
        if data.dim() != energy.dim() {
            return Err(Error::shape("training data (values per point)", energy.dim(), data.dim()));
        }
        Ok(())
    }

    fn check_state(&self, energy: &E) -> Result<()> {
        self.settings.check()?;
        self.buffer.check()?;
        if self.buffer.dim() != energy.dim() {
            return Err(Error::shape("replay buffer (values per point)", energy.dim(), self.buffer.dim()));
        }
        self.optimizer.check(energy.num_parameters())
    }
}

impl<E: CheckpointedEnergy> Checkpointed for DensityLearner<E> {
    const KIND: &'static str = E::CHECKPOINT_KIND;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::density::DensityTrainer;
    use crate::fit::Fit;
    use crate::fit::testing::assert_resume_is_exact;
    use crate::optim::OptimizerKind;
    use ebm_density::Activation;
    use ebm_mcmc::rng::seeded;
    use rand::RngExt;

    /// 50 points of a tilted cloud in the plane (batches of 16: three of 16 and one of 2).
    fn points() -> Points {
        let mut rng = seeded(2);
        let values = (0..50)
            .flat_map(|_| {
                let (a, b): (f64, f64) = (rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0));
                [1.0 + a, 0.5 * a + 0.3 * b]
            })
            .collect();
        Points::new(values, 2).unwrap()
    }

    fn trainer() -> DensityTrainer {
        DensityTrainer::new().epochs(3).batch_size(16).langevin_steps(3).step_size(0.05).buffer(40).seed(5)
    }

    fn neural() -> NeuralEnergy {
        NeuralEnergy::new(2, &[6], Activation::Silu, 0.05, &mut seeded(3)).unwrap()
    }

    #[test]
    fn a_run_stopped_saved_and_resumed_ends_with_the_same_bytes() {
        let data = points();
        // Four batches an epoch: stop in the middle of epoch 1.
        for optimizer in
            [OptimizerKind::adam(0.01), OptimizerKind::Sgd { learning_rate: 0.01, momentum: 0.9 }]
        {
            let trainer = trainer().optimizer(optimizer).decay(true);
            assert_resume_is_exact(|| trainer.fit(neural(), &data).unwrap(), &data, 6);
            let adjusted = trainer.clone().adjusted(true).restart(0.3);
            let quadratic = || Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap();
            assert_resume_is_exact(|| adjusted.fit(quadratic(), &data).unwrap(), &data, 5);
        }
    }

    #[test]
    fn each_epoch_reports_its_energies_gradient_norm_and_acceptance() {
        let mut energy = neural();
        let reports = trainer().adjusted(true).train(&mut energy, points().values(), &mut []).unwrap();
        assert_eq!(reports.len(), 3);
        for report in &reports {
            let metric = |name| report.metric(name).unwrap();
            assert!(metric(DATA_ENERGY).is_finite() && metric(NEGATIVE_ENERGY).is_finite());
            assert!(metric(GRADIENT_NORM) > 0.0 && (0.0..=1.0).contains(&metric(ACCEPTANCE)), "{report:?}");
        }
    }

    #[test]
    fn a_huge_learning_rate_is_a_divergence_error_and_the_model_is_kept() {
        // Adam moves every parameter by about η: with η = 10³⁰ the values
        // stay finite, and only the bound on |θ| sees the blow-up.
        for optimizer in [OptimizerKind::adam(1e30), OptimizerKind::sgd(1e30)] {
            let mut energy = neural();
            let error =
                trainer().optimizer(optimizer).train(&mut energy, points().values(), &mut []).unwrap_err();
            assert!(matches!(error, Error::Diverged { epoch: 0, batch: 0, .. }), "{optimizer:?}: {error}");
            assert!(error.to_string().contains("a parameter would become"), "{error}");
            assert_eq!(energy, neural());
        }
        // A Gaussian whose precision the update would make singular or
        // indefinite is refused by the energy itself, not only by the guard.
        let mut gaussian = Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap();
        let before = gaussian.clone();
        let sgd = trainer().optimizer(OptimizerKind::sgd(1e5)).clip(1e3);
        let error = sgd.train(&mut gaussian, points().values(), &mut []).unwrap_err();
        assert!(matches!(error, Error::Diverged { epoch: 0, batch: 0, .. }), "{error}");
        assert!(error.to_string().contains("the energy refuses its new parameters"), "{error}");
        assert_eq!(gaussian, before);
    }

    #[test]
    fn checkpoints_whose_state_does_not_fit_the_energy_are_refused() {
        let data = points();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("density.ckpt");
        let start = || {
            let mut fit = trainer().epochs(1).fit(neural(), &data).unwrap();
            fit.run(&data, &mut []).unwrap();
            fit
        };
        start().save(&path).unwrap();
        assert!(Fit::<DensityLearner<NeuralEnergy>>::load(&path).is_ok());
        let error = Fit::<DensityLearner<Quadratic>>::load(&path).err().unwrap().to_string();
        assert!(error.contains("checkpoint-density-neural"), "another energy's run: {error}");
        let tampered = |change: &dyn Fn(&mut Fit<DensityLearner<NeuralEnergy>>), what: &str| {
            let mut fit = start();
            change(&mut fit);
            fit.save(&path).unwrap();
            let error = Fit::<DensityLearner<NeuralEnergy>>::load(&path)
                .err()
                .unwrap_or_else(|| panic!("{what} accepted"));
            assert!(error.to_string().contains(what), "{what}: {error}");
        };
        tampered(&|fit| fit.learner.settings.restart = 2.0, "restart probability");
        tampered(
            &|fit| fit.learner.buffer = ReplayBuffer::new(3, vec![(0.0, 1.0)], &mut seeded(1)).unwrap(),
            "replay buffer",
        );
        tampered(
            &|fit| fit.learner.optimizer = OptimizerKind::adam(0.1).build(7).unwrap(),
            "optimiser state",
        );
        // Data of another dimension cannot resume the run.
        let mut fit = start();
        fit.plan_mut().epochs = 2;
        let wide = Points::new(vec![0.0; 150], 3).unwrap();
        assert!(fit.run(&wide, &mut []).is_err());
    }
}
