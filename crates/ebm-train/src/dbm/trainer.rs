//! Fine-tuning a DBM: mean-field data term, persistent-chain model term,
//! as a learner for the [`Fit`] driver.

use crate::fit::{Checkpointed, EpochReport, Fit, Learner, Observer, Plan, StepReport, Update};
use crate::schedule::LearningRate;
use crate::sgd::{Block, SgdBuilder, SgdSettings, momentum_step};
use ebm_boltzmann::DeepBoltzmannMachine;
use ebm_boltzmann::dbm::DbmChains;
use ebm_boltzmann::dbm::mean_field::{MeanFieldOptions, mean_field};
use ebm_core::{Error, Result};
use ebm_mcmc::rng::{SamplerRng, seeded};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

/// DBM training by stochastic approximation: mean-field data term,
/// persistent-chain model term.
///
/// The learning rate, momentum, weight decay (on the weights), batch size,
/// epochs and seed are set through [`SgdBuilder`].
#[derive(Clone, Debug, PartialEq)]
pub struct DbmTrainer {
    chains: usize,
    gibbs_steps: usize,
    mean_field: MeanFieldOptions,
    sgd: SgdSettings,
}

impl Default for DbmTrainer {
    fn default() -> Self {
        Self {
            chains: 100,
            gibbs_steps: 1,
            mean_field: MeanFieldOptions::default(),
            sgd: SgdSettings {
                learning_rate: LearningRate::Constant(0.05),
                momentum: 0.5,
                ..SgdSettings::default()
            },
        }
    }
}

impl SgdBuilder for DbmTrainer {
    fn sgd_mut(&mut self) -> &mut SgdSettings {
        &mut self.sgd
    }
}

impl DbmTrainer {
    /// η = 0.05, momentum 0.5, no decay, batches of 10, 10 epochs, 100
    /// persistent chains advanced one Gibbs step per update, default mean field, seed 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of persistent chains (fantasy particles).
    pub fn chains(mut self, chains: usize) -> Self {
        self.chains = chains;
        self
    }

    /// Sets the block-Gibbs steps the chains advance per update.
    pub fn gibbs_steps(mut self, steps: usize) -> Self {
        self.gibbs_steps = steps;
        self
    }

    /// Sets the mean-field iteration limits.
    pub fn mean_field(mut self, options: MeanFieldOptions) -> Self {
        self.mean_field = options;
        self
    }

    /// Checks the settings and that `data` holds values in [0, 1], as many
    /// per row as the DBM has visible units. Intensities enter the mean-field
    /// data term with their values, as for the RBM ([`crate::rbm::BernoulliData`]).
    fn check(&self, dbm: &DeepBoltzmannMachine, data: &DMatrix<f32>) -> Result<()> {
        self.sgd.check()?;
        check_chains(self.chains, self.gibbs_steps)?;
        check_data(dbm, data)
    }

    /// A run of this trainer on `dbm` and `data`, not yet started: the
    /// random stream seeded, persistent chains drawn uniformly, velocities
    /// zero. [`Fit::run`] trains it.
    pub fn fit(&self, dbm: DeepBoltzmannMachine, data: &DMatrix<f32>) -> Result<Fit<DbmLearner>> {
        self.check(&dbm, data)?;
        let mut rng = seeded(self.sgd.seed);
        let chains = DbmChains::random(&dbm, self.chains, &mut rng);
        let sizes = dbm.sizes();
        let learner = DbmLearner {
            chains,
            gibbs_steps: self.gibbs_steps,
            mean_field: self.mean_field,
            weight_velocity: sizes.windows(2).map(|p| DMatrix::zeros(p[0], p[1])).collect(),
            bias_velocity: sizes.iter().map(|&n| DVector::zeros(n)).collect(),
            momentum: self.sgd.momentum,
            weight_decay: self.sgd.weight_decay,
        };
        Fit::new(learner, dbm, Plan::from_settings(&self.sgd), rng)
    }

    /// Trains `dbm` on the rows of `data` (0/1 states or intensities in [0, 1]) from start to end, calling
    /// `observers`, and returns each epoch's report (with
    /// [`MEAN_FIELD_ROUNDS`], the mean number of mean-field rounds per
    /// batch). If training diverges, the error names the epoch and batch,
    /// and `dbm` keeps the last good parameters. For a run to stop and
    /// resume, use [`DbmTrainer::fit`].
    pub fn train(
        &self,
        dbm: &mut DeepBoltzmannMachine,
        data: &DMatrix<f32>,
        observers: &mut [&mut dyn Observer<DeepBoltzmannMachine>],
    ) -> Result<Vec<EpochReport>> {
        self.fit(dbm.clone(), data)?.run_into(data, observers, dbm)
    }
}

/// The name of the metric "mean-field rounds per batch" in the DBM's epoch reports.
pub const MEAN_FIELD_ROUNDS: &str = "mean_field_rounds";

/// Refuses no chains or no Gibbs steps.
fn check_chains(chains: usize, gibbs_steps: usize) -> Result<()> {
    if chains == 0 || gibbs_steps == 0 {
        return Err(Error::invalid(
            "DBM negative phase",
            format!("chains {chains} and Gibbs steps {gibbs_steps} must be ≥ 1"),
        ));
    }
    Ok(())
}

/// Checks that `data` has examples, all in [0, 1] (0/1 states or
/// intensities), as wide as the visible layer.
fn check_data(dbm: &DeepBoltzmannMachine, data: &DMatrix<f32>) -> Result<()> {
    if data.ncols() != dbm.visible() {
        return Err(Error::shape("data columns", dbm.visible(), data.ncols()));
    }
    if data.nrows() == 0 {
        return Err(Error::invalid("training data", "no examples"));
    }
    crate::rbm::check_unit_interval(data)
}

/// The state of DBM training between steps: the persistent chains, the
/// velocities (one per weight matrix and bias vector), and the step's settings.
#[derive(Serialize, Deserialize)]
pub struct DbmLearner {
    chains: DbmChains,
    gibbs_steps: usize,
    mean_field: MeanFieldOptions,
    weight_velocity: Vec<DMatrix<f32>>,
    bias_velocity: Vec<DVector<f32>>,
    momentum: f64,
    weight_decay: f64,
}

impl Learner for DbmLearner {
    type Model = DeepBoltzmannMachine;
    type Data = DMatrix<f32>;

    /// Mean field for the batch (the data term), `gibbs_steps` steps of the
    /// persistent chains (the model term), then u ← μu + η(g − λW),
    /// θ ← θ + u, applied only if the guard admits every new value.
    fn step(
        &mut self,
        dbm: &mut DeepBoltzmannMachine,
        data: &DMatrix<f32>,
        indices: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let batch = DMatrix::from_fn(indices.len(), data.ncols(), |r, c| data[(indices[r], c)]);
        let field = mean_field(dbm, &batch, self.mean_field)?;
        for _ in 0..self.gibbs_steps {
            self.chains.step(dbm, rng)?;
        }
        let (positive, negative) = (&field.layers, &self.chains.layers);
        let (np, nn) = (positive[0].nrows() as f32, negative[0].nrows() as f32);
        let decay = self.weight_decay as f32;
        let (weights, biases) = dbm.parameters_mut();
        let weight_gradients: Vec<DMatrix<f32>> = weights
            .iter()
            .enumerate()
            .map(|(l, w)| {
                let mut gradient = positive[l].tr_mul(&positive[l + 1]);
                let model = negative[l].tr_mul(&negative[l + 1]);
                gradient.zip_zip_apply(&model, w, |g, m, w| *g = *g / np - m / nn - decay * w);
                gradient
            })
            .collect();
        let bias_gradients: Vec<DVector<f32>> =
            (0..biases.len()).map(|l| column_means(&positive[l]) - column_means(&negative[l])).collect();
        let weight_blocks =
            weights.iter_mut().zip(&mut self.weight_velocity).zip(&weight_gradients).map(|((w, u), g)| {
                Block {
                    name: "a weight",
                    values: w.as_mut_slice(),
                    velocity: u.as_mut_slice(),
                    gradient: g.as_slice(),
                    rate: update.rate,
                }
            });
        let bias_blocks =
            biases.iter_mut().zip(&mut self.bias_velocity).zip(&bias_gradients).map(|((b, u), g)| Block {
                name: "a bias",
                values: b.as_mut_slice(),
                velocity: u.as_mut_slice(),
                gradient: g.as_slice(),
                rate: update.rate,
            });
        let mut blocks: Vec<Block<'_, f32>> = weight_blocks.chain(bias_blocks).collect();
        Ok(match momentum_step(&mut blocks, self.momentum, update.guard) {
            Some(refusal) => StepReport::refused(refusal),
            None => StepReport::new().tally(MEAN_FIELD_ROUNDS, field.iterations as f64, 1.0),
        })
    }

    fn check(&self, dbm: &DeepBoltzmannMachine, data: &DMatrix<f32>) -> Result<()> {
        check_data(dbm, data)
    }

    fn check_state(&self, dbm: &DeepBoltzmannMachine) -> Result<()> {
        check_chains(self.chains.layers.first().map_or(0, |l| l.nrows()), self.gibbs_steps)?;
        crate::sgd::check_momentum_and_decay(self.momentum, self.weight_decay)?;
        let sizes = dbm.sizes();
        let chains = self.chains.layers.first().map_or(0, |l| l.nrows());
        let shapes_fit = self.chains.layers.len() == sizes.len()
            && self.chains.layers.iter().zip(&sizes).all(|(l, &n)| l.shape() == (chains, n))
            && self.weight_velocity.len() + 1 == sizes.len()
            && self.weight_velocity.iter().zip(sizes.windows(2)).all(|(u, p)| u.shape() == (p[0], p[1]))
            && self.bias_velocity.len() == sizes.len()
            && self.bias_velocity.iter().zip(&sizes).all(|(u, &n)| u.len() == n);
        if !shapes_fit {
            return Err(Error::invalid(
                "checkpoint",
                "the chains or velocities do not match the DBM's layers",
            ));
        }
        let binary = self.chains.layers.iter().flat_map(|l| l.iter()).all(|&x| x == 0.0 || x == 1.0);
        let finite = self.weight_velocity.iter().flat_map(|u| u.iter()).all(|x| x.is_finite())
            && self.bias_velocity.iter().flat_map(|u| u.iter()).all(|x| x.is_finite());
        if !(binary && finite) {
            return Err(Error::invalid(
                "checkpoint",
                "a chain state other than 0 or 1, or a velocity not finite",
            ));
        }
        Ok(())
    }
}

impl Checkpointed for DbmLearner {
    const KIND: &'static str = "checkpoint-dbm";
}

/// The mean of each column.
fn column_means(m: &DMatrix<f32>) -> DVector<f32> {
    DVector::from_iterator(m.ncols(), m.column_iter().map(|c| c.sum() / m.nrows() as f32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbm::{Negatives, RbmTrainer, exact_average_log_likelihood};
    use ebm_boltzmann::BernoulliRbm;
    use ebm_boltzmann::dbm::exact::average_log_likelihood;
    use ebm_core::Domain;

    fn bars(side: usize) -> DMatrix<f32> {
        ebm_data::bars_stripes::all(side, Domain::Bit).unwrap().to_matrix()
    }

    /// The exact average log-likelihood of bars-and-stripes 3×3 under a
    /// 9-8-4 DBM and a 9-8 RBM trained by PCD with the same schedule, seeds and chains.
    fn dbm_and_rbm(seed: u64, epochs: usize) -> (f64, f64, f64) {
        let data = bars(3);
        let rate = LearningRate::Linear { start: 0.05, end: 0.005 };
        let mut dbm = DeepBoltzmannMachine::random(&[9, 8, 4], 0.01, &mut seeded(seed)).unwrap();
        let before = average_log_likelihood(&dbm, &data).unwrap();
        let trainer =
            DbmTrainer::new().learning_rate(rate).batch_size(2).epochs(epochs).chains(50).seed(seed);
        trainer.train(&mut dbm, &data, &mut []).unwrap();
        let mut rbm = BernoulliRbm::random(9, 8, 0.01, &mut seeded(seed)).unwrap();
        RbmTrainer::new(Negatives::Persistent { steps: 1, chains: 50 })
            .learning_rate(rate)
            .momentum(0.5)
            .batch_size(2)
            .epochs(epochs)
            .seed(seed)
            .train(&mut rbm, &data, &mut [])
            .unwrap();
        (
            before,
            average_log_likelihood(&dbm, &data).unwrap(),
            exact_average_log_likelihood(&rbm, &data).unwrap(),
        )
    }

    #[test]
    fn training_raises_the_likelihood_to_at_least_the_rbms() {
        let (before, dbm, rbm) = dbm_and_rbm(1, 400);
        assert!(dbm > before + 1.0, "DBM {before} → {dbm}");
        assert!(dbm >= rbm, "DBM {dbm} vs RBM {rbm}");
    }

    #[test]
    fn pretraining_gives_fine_tuning_a_better_start() {
        use crate::dbm::{Pretraining, pretrain};
        let data = bars(3);
        let sizes = [9, 8, 4];
        let fine_tuned = |mut dbm: DeepBoltzmannMachine| {
            let rate = LearningRate::Linear { start: 0.02, end: 0.002 };
            let trainer =
                DbmTrainer::new().learning_rate(rate).batch_size(2).epochs(150).gibbs_steps(5).seed(7);
            trainer.train(&mut dbm, &data, &mut []).unwrap();
            average_log_likelihood(&dbm, &data).unwrap()
        };
        let settings = Pretraining { epochs: 200, batch_size: 2, seed: 7, ..Pretraining::default() };
        let pretrained = fine_tuned(pretrain(&sizes, &data, &settings).unwrap());
        let random = fine_tuned(DeepBoltzmannMachine::random(&sizes, 0.01, &mut seeded(1)).unwrap());
        assert!(pretrained > random, "from pretrained weights ℓ = {pretrained}, from random ones {random}");
        assert!(pretrain(&[8, 4], &data, &settings).is_err());
        assert!(pretrain(&[9], &data, &settings).is_err());
        assert!(pretrain(&[9, 4], &(data.clone() * 1.5), &settings).is_err());
        assert!(pretrain(&[9, 4], &data, &Pretraining { batch_size: 0, ..settings }).is_err());
    }

    #[test]
    fn divergence_and_bad_settings_are_reported() {
        let data = bars(3);
        let mut dbm = DeepBoltzmannMachine::random(&[9, 4, 2], 1.0, &mut seeded(2)).unwrap();
        let train = |trainer: DbmTrainer, dbm: &mut DeepBoltzmannMachine, data: &DMatrix<f32>| {
            trainer.epochs(2).train(dbm, data, &mut [])
        };
        assert!(train(DbmTrainer::new().momentum(1.0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new().chains(0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new().gibbs_steps(0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new().batch_size(0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new(), &mut dbm, &DMatrix::zeros(3, 8)).is_err());
        assert!(train(DbmTrainer::new(), &mut dbm, &(data.clone() * 1.5)).is_err());
        let error = train(DbmTrainer::new().learning_rate(LearningRate::Constant(1e300)), &mut dbm, &data)
            .unwrap_err()
            .to_string();
        assert!(error.contains("diverged at batch"), "{error}");
        assert!(
            (1..3).all(|l| dbm.weights(l).iter().all(|w| w.is_finite())),
            "the last finite parameters are kept"
        );
    }

    #[test]
    fn a_dbm_run_stopped_saved_and_resumed_ends_with_the_same_bytes() {
        let data = bars(3);
        let trainer = DbmTrainer::new()
            .learning_rate(LearningRate::Linear { start: 0.05, end: 0.01 })
            .weight_decay(1e-4)
            .batch_size(4)
            .epochs(3)
            .chains(6)
            .gibbs_steps(2)
            .seed(4);
        let start = || {
            trainer
                .fit(DeepBoltzmannMachine::random(&[9, 6, 3], 0.1, &mut seeded(2)).unwrap(), &data)
                .unwrap()
        };
        crate::fit::testing::assert_resume_is_exact(start, &data, 5);
    }

    #[test]
    fn a_blow_up_is_a_divergence_error_with_the_dbm_unchanged() {
        let data = bars(3);
        let mut dbm = DeepBoltzmannMachine::random(&[9, 6, 3], 0.1, &mut seeded(2)).unwrap();
        let original = dbm.clone();
        let error =
            DbmTrainer::new().learning_rate(LearningRate::Constant(1e30)).train(&mut dbm, &data, &mut []);
        assert!(matches!(error, Err(Error::Diverged { epoch: 0, batch: 0, .. })), "{error:?}");
        assert_eq!(dbm, original);
    }
}
