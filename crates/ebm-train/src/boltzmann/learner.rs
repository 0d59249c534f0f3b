//! The learner of general Boltzmann machines: one minibatch step of
//! gradient ascent with momentum and weight decay, for the [`Fit`] driver.
//!
//! [`Fit`]: crate::fit::Fit

use super::moments::{Gradient, exact_gradient};
use super::sampled::{SampledPhases, check_data};
use crate::fit::{Checkpointed, Learner, StepReport, Update};
use crate::sgd::{Block, SgdSettings, momentum_step};
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::{Error, Result};
use ebm_mcmc::rng::SamplerRng;
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The name of the gradient-norm metric in epoch reports: the Euclidean
/// norm of each batch's estimate of ∇ℓ (every coupling counted once, before
/// weight decay), averaged over the epoch's batches. With full-batch
/// updates (the default) it is the norm of the epoch's one estimate; near a
/// maximum of ℓ it falls to the estimator's noise (zero for the exact one).
pub const GRADIENT_NORM: &str = "gradient_norm";

/// The parameters θ = (W, b) in double precision and their velocities u.
///
/// The machine stores f32; learning keeps its own f64 copy so that many
/// small steps add up without rounding, and writes the rounded values to
/// the machine after each step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Parameters {
    couplings: DMatrix<f64>,
    biases: DVector<f64>,
    couplings_velocity: DMatrix<f64>,
    biases_velocity: DVector<f64>,
}

impl Parameters {
    /// The machine's parameters, with zero velocities.
    pub fn of(machine: &BoltzmannMachine) -> Self {
        let n = machine.units();
        Self {
            couplings: machine.couplings().map(f64::from),
            biases: DVector::from_iterator(n, machine.biases().iter().map(|&b| f64::from(b))),
            couplings_velocity: DMatrix::zeros(n, n),
            biases_velocity: DVector::zeros(n),
        }
    }

    /// The momentum step u ← μu + η(g − λW), θ ← θ + u on the trainable
    /// couplings (`mask`) and every bias, applied whole or not at all (see
    /// [`momentum_step`]): `None` if `guard` admits every new value, else
    /// why not.
    ///
    /// The coupling gradient is taken from the upper triangle and mirrored,
    /// so that W_ij and W_ji take the same step and W stays exactly
    /// symmetric; entries off the mask (and the diagonal) have g = 0 and a
    /// velocity that stays 0, so they keep their values.
    fn step(
        &mut self,
        gradient: &Gradient,
        mask: &DMatrix<bool>,
        momentum: f64,
        decay: f64,
        update: Update,
    ) -> Option<String> {
        let rate = update.rate;
        let n = self.biases.len();
        let couplings = &self.couplings;
        let coupling_gradient = DMatrix::from_fn(n, n, |i, j| {
            let pair = (i.min(j), i.max(j));
            if mask[pair] { gradient.couplings[pair] - decay * couplings[pair] } else { 0.0 }
        });
        let mut blocks = [
            Block {
                name: "a coupling",
                values: self.couplings.as_mut_slice(),
                velocity: self.couplings_velocity.as_mut_slice(),
                gradient: coupling_gradient.as_slice(),
                rate,
            },
            Block {
                name: "a bias",
                values: self.biases.as_mut_slice(),
                velocity: self.biases_velocity.as_mut_slice(),
                gradient: gradient.biases.as_slice(),
                rate,
            },
        ];
        momentum_step(&mut blocks, momentum, update.guard)
    }

    /// The machine with these parameters rounded to f32.
    fn to_machine(&self, machine: &BoltzmannMachine) -> Result<BoltzmannMachine> {
        let biases = self.biases.iter().map(|&b| b as f32).collect();
        machine.with_parameters(self.couplings.map(|w| w as f32), biases)
    }

    /// Checks that these parameters fit `machine` and `mask`: the shapes,
    /// finite values, the machine's parameters their rounding, and
    /// velocities symmetric and zero off the mask.
    fn check(&self, machine: &BoltzmannMachine, mask: &DMatrix<bool>) -> Result<()> {
        let bad = |reason: &str| Err(Error::invalid("checkpoint", reason.to_owned()));
        let n = machine.units();
        let shapes = (
            self.couplings.shape(),
            self.biases.len(),
            self.couplings_velocity.shape(),
            self.biases_velocity.len(),
            mask.shape(),
        );
        if shapes != ((n, n), n, (n, n), n, (n, n)) {
            return bad("the parameters or velocities do not match the machine's units");
        }
        let values = self.couplings.iter().chain(&self.biases).chain(&self.couplings_velocity);
        if !values.chain(&self.biases_velocity).all(|x| x.is_finite()) {
            return bad("a parameter or velocity is not finite");
        }
        if self.to_machine(machine).ok().as_ref() != Some(machine) {
            return bad("the machine's parameters are not those the learner holds");
        }
        let u = &self.couplings_velocity;
        let fits_mask =
            (0..n).all(|i| (0..n).all(|j| u[(i, j)] == u[(j, i)] && (mask[(i, j)] || u[(i, j)] == 0.0)));
        if !fits_mask {
            return bad("the coupling velocities are not symmetric or move a coupling that does not learn");
        }
        Ok(())
    }
}

/// The state of Boltzmann-machine training between steps: the parameters in
/// f64 and their velocities, the persistent chains of the sampled phases
/// (none for the exact gradient), which couplings learn, and the step's
/// settings.
#[derive(Serialize, Deserialize)]
pub struct MachineLearner {
    /// The sampled phases, or `None` for the exact gradient.
    phases: Option<SampledPhases>,
    /// The trainable couplings (N×N, symmetric, false on the diagonal).
    mask: DMatrix<bool>,
    parameters: Parameters,
    momentum: f64,
    weight_decay: f64,
}

impl MachineLearner {
    /// A learner for `machine` starting with zero velocities.
    pub(crate) fn new(
        machine: &BoltzmannMachine,
        phases: Option<SampledPhases>,
        mask: DMatrix<bool>,
        settings: &SgdSettings,
    ) -> Self {
        Self {
            phases,
            mask,
            parameters: Parameters::of(machine),
            momentum: settings.momentum,
            weight_decay: settings.weight_decay,
        }
    }
}

impl Learner for MachineLearner {
    type Model = BoltzmannMachine;
    type Data = [Vec<i8>];

    /// One gradient step on the batch: ∇ℓ exactly or from the sampled
    /// phases (seeded by one draw from `rng`), then the momentum step,
    /// applied only if the guard admits every new value.
    fn step(
        &mut self,
        machine: &mut BoltzmannMachine,
        data: &[Vec<i8>],
        indices: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let gradient = match &mut self.phases {
            None => {
                let batch: Vec<Vec<i8>> = indices.iter().map(|&i| data[i].clone()).collect();
                exact_gradient(machine, &batch)?
            }
            Some(phases) => {
                let batch: Vec<&[i8]> = indices.iter().map(|&i| data[i].as_slice()).collect();
                phases.gradient(machine, &batch, rng.random())?
            }
        };
        let step = self.parameters.step(&gradient, &self.mask, self.momentum, self.weight_decay, update);
        if let Some(refusal) = step {
            return Ok(StepReport::refused(refusal));
        }
        *machine = self.parameters.to_machine(machine)?;
        Ok(StepReport::new().tally(GRADIENT_NORM, gradient.norm(), 1.0))
    }

    fn check(&self, machine: &BoltzmannMachine, data: &[Vec<i8>]) -> Result<()> {
        check_data(machine, data)
    }

    fn check_state(&self, machine: &BoltzmannMachine) -> Result<()> {
        crate::sgd::check_momentum_and_decay(self.momentum, self.weight_decay)?;
        let n = machine.units();
        let mask_ok = self.mask.shape() == (n, n)
            && self.mask == self.mask.transpose()
            && (0..n).all(|i| !self.mask[(i, i)]);
        if !mask_ok {
            return Err(Error::invalid("checkpoint", "the connectivity mask does not fit the machine"));
        }
        self.parameters.check(machine, &self.mask)?;
        self.phases.as_ref().map_or(Ok(()), |phases| phases.check_state(machine))
    }
}

impl Checkpointed for MachineLearner {
    const KIND: &'static str = "checkpoint-boltzmann-machine";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SgdBuilder;
    use crate::boltzmann::{Connectivity, Estimator, FreeChains, MachineTrainer, Sampling};
    use crate::fit::Fit;
    use crate::fit::testing::assert_resume_is_exact;
    use crate::schedule::LearningRate;
    use ebm_core::Domain;
    use ebm_mcmc::rng::seeded;
    use ebm_mcmc::tempering::Ladder;

    /// Eleven configurations of 3 spins (batches of 4: two of 4 and one of 3).
    fn data() -> Vec<Vec<i8>> {
        (0..11u64)
            .map(|k| {
                let mut v = vec![0; 3];
                Domain::Spin.state_from_index(k * 5 % 8, &mut v);
                v
            })
            .collect()
    }

    fn machine() -> BoltzmannMachine {
        BoltzmannMachine::random(Domain::Spin, 3, 2, 0.3, &mut seeded(4)).unwrap()
    }

    fn estimators() -> Vec<Estimator> {
        let sampling = Sampling::new().burn_in(1).sweeps(2);
        let ladder = Ladder::geometric(1.0, 4.0, 3).unwrap();
        vec![
            Estimator::Exact,
            Estimator::Sampled(sampling.clone()),
            Estimator::Sampled(sampling.clone().free_chains(FreeChains::Persistent { chains: 5 })),
            Estimator::Sampled(sampling.free_chains(FreeChains::Tempering { chains: 3, ladder })),
        ]
    }

    #[test]
    fn a_run_stopped_saved_and_resumed_ends_with_the_same_bytes() {
        let data = data();
        for estimator in estimators() {
            let trainer = MachineTrainer::new(estimator)
                .connectivity(Connectivity::Bipartite)
                .learning_rate(LearningRate::Linear { start: 0.2, end: 0.05 })
                .momentum(0.5)
                .weight_decay(1e-3)
                .batch_size(4)
                .epochs(4)
                .seed(6);
            // Three batches an epoch: stop after the second batch of epoch 1.
            assert_resume_is_exact(|| trainer.fit(machine(), &data).unwrap(), data.as_slice(), 5);
        }
    }

    #[test]
    fn each_epoch_reports_the_mean_gradient_norm_of_its_batches() {
        let data = data();
        let trainer = MachineTrainer::new(Estimator::Exact).batch_size(4).epochs(3);
        let reports = trainer.train(&mut machine(), &data, &mut []).unwrap();
        assert_eq!(reports.len(), 3);
        assert!(reports.iter().all(|r| r.metric(GRADIENT_NORM).is_some_and(|g| g > 0.0 && g.is_finite())));
        // With one batch of all the data (in shuffled order), the first
        // epoch's norm is that of the exact gradient.
        let full =
            MachineTrainer::new(Estimator::Exact).epochs(1).train(&mut machine(), &data, &mut []).unwrap();
        let exact = exact_gradient(&machine(), &data).unwrap().norm();
        assert!(full[0].metric(GRADIENT_NORM).is_some_and(|g| (g - exact).abs() < 1e-12), "{full:?}");
    }

    #[test]
    fn a_huge_learning_rate_is_a_divergence_error_and_the_model_is_kept() {
        let data = data();
        for estimator in estimators() {
            // η = 10³⁰ keeps every value finite: only the bound on |θ| sees the blow-up.
            let mut trained = machine();
            let trainer = MachineTrainer::new(estimator.clone()).learning_rate(LearningRate::Constant(1e30));
            let error = trainer.epochs(3).train(&mut trained, &data, &mut []).unwrap_err();
            assert!(matches!(error, Error::Diverged { epoch: 0, batch: 0, .. }), "{estimator:?}: {error}");
            assert!(error.to_string().contains("beyond the divergence bound"), "{error}");
            assert_eq!(trained, machine(), "{estimator:?}");
        }
        // With ηλ = 1000 weight decay multiplies W by about −999 a step: the
        // run ends later, keeping the last admitted parameters.
        let mut trained = machine();
        let trainer = MachineTrainer::new(Estimator::Exact).learning_rate(LearningRate::Constant(1.0));
        let error = trainer.weight_decay(1000.0).epochs(20).train(&mut trained, &data, &mut []).unwrap_err();
        let Error::Diverged { epoch, reason, .. } = &error else { panic!("{error}") };
        assert!(*epoch > 0 && reason.starts_with("a coupling would become"), "{error}");
        assert!(trained.couplings().iter().all(|w| w.is_finite() && w.abs() <= 1e6));
        assert_ne!(trained, machine());
    }

    #[test]
    fn checkpoints_whose_state_does_not_fit_the_machine_are_refused() {
        let data = data();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("machine.ckpt");
        let sampling = Sampling::new().burn_in(1).sweeps(1).free_chains(FreeChains::Persistent { chains: 3 });
        let trainer = MachineTrainer::new(Estimator::Sampled(sampling))
            .connectivity(Connectivity::Bipartite)
            .momentum(0.5)
            .batch_size(4)
            .epochs(1);
        let start = || {
            let mut fit = trainer.fit(machine(), &data).unwrap();
            fit.run(&data, &mut []).unwrap();
            fit
        };
        start().save(&path).unwrap();
        assert!(Fit::<MachineLearner>::load(&path).is_ok());
        let tampered = |change: &dyn Fn(&mut Fit<MachineLearner>), what: &str| {
            let mut fit = start();
            change(&mut fit);
            fit.save(&path).unwrap();
            let error = Fit::<MachineLearner>::load(&path).err().unwrap_or_else(|| panic!("{what} accepted"));
            assert!(error.to_string().contains(what), "{what}: {error}");
        };
        tampered(&|fit| fit.learner.parameters.biases[0] += 0.5, "not those the learner holds");
        tampered(&|fit| fit.learner.parameters.couplings_velocity[(0, 1)] = 0.1, "does not learn");
        tampered(&|fit| fit.learner.parameters.biases_velocity[1] = f64::NAN, "not finite");
        tampered(&|fit| fit.learner.mask[(3, 3)] = true, "connectivity mask");
        tampered(&|fit| fit.learner.momentum = 1.5, "momentum");
        let drop_chain = |fit: &mut Fit<MachineLearner>| {
            fit.learner.phases.as_mut().unwrap().persistent.pop();
        };
        tampered(&drop_chain, "persistent chains");
        let zero_state = |fit: &mut Fit<MachineLearner>| {
            fit.learner.phases.as_mut().unwrap().persistent[0][0][0] = 0;
        };
        tampered(&zero_state, "persistent chains");
    }
}
