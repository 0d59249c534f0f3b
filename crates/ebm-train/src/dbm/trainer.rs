//! Fine-tuning a DBM: mean-field data term, persistent-chain model term.

use crate::schedule::LearningRate;
use crate::sgd::{SgdBuilder, SgdSettings};
use ebm_boltzmann::DeepBoltzmannMachine;
use ebm_boltzmann::dbm::DbmChains;
use ebm_boltzmann::dbm::mean_field::{MeanFieldOptions, mean_field};
use ebm_core::{Error, Result};
use ebm_data::batches::Minibatches;
use ebm_mcmc::rng::seeded;
use nalgebra::{DMatrix, DVector};
use std::time::Instant;

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct DbmEpoch {
    /// The epoch, from 0.
    pub epoch: usize,
    /// η used.
    pub learning_rate: f64,
    /// Mean number of mean-field rounds per batch.
    pub mean_field_rounds: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

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

    fn check(&self, dbm: &DeepBoltzmannMachine, data: &DMatrix<f32>) -> Result<()> {
        self.sgd.check()?;
        if self.chains == 0 || self.gibbs_steps == 0 {
            return Err(Error::invalid(
                "DBM negative phase",
                format!("chains {} and Gibbs steps {} must be ≥ 1", self.chains, self.gibbs_steps),
            ));
        }
        if data.ncols() != dbm.visible() {
            return Err(Error::shape("data columns", dbm.visible(), data.ncols()));
        }
        if data.nrows() == 0 {
            return Err(Error::invalid("training data", "no examples"));
        }
        if let Some(index) = data.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::invalid(
                "training data",
                format!("entry {index} is {}, not 0 or 1 (binarise the data first)", data[index]),
            ));
        }
        Ok(())
    }

    /// Trains `dbm` on the rows of `data` (0/1), calling `observer` after
    /// each epoch. If the parameters stop being finite, training stops with
    /// an error naming the epoch and batch, and `dbm` keeps the last finite parameters.
    pub fn train(
        &self,
        dbm: &mut DeepBoltzmannMachine,
        data: &DMatrix<f32>,
        mut observer: impl FnMut(&DbmEpoch, &DeepBoltzmannMachine),
    ) -> Result<Vec<DbmEpoch>> {
        self.check(dbm, data)?;
        let sgd = &self.sgd;
        let mut rng = seeded(sgd.seed);
        let mut chains = DbmChains::random(dbm, self.chains, &mut rng);
        let mut velocity = Velocity::zeros(dbm);
        let mut reports = Vec::with_capacity(sgd.epochs);
        for epoch in 0..sgd.epochs {
            let start = Instant::now();
            let rate = sgd.rate(epoch);
            let batches: Vec<Vec<usize>> =
                Minibatches::new(data.nrows(), sgd.batch_size, &mut rng)?.collect();
            let mut rounds = 0;
            for (b, indices) in batches.iter().enumerate() {
                let batch = DMatrix::from_fn(indices.len(), data.ncols(), |r, c| data[(indices[r], c)]);
                let field = mean_field(dbm, &batch, self.mean_field)?;
                rounds += field.iterations;
                for _ in 0..self.gibbs_steps {
                    chains.step(dbm, &mut rng)?;
                }
                let last_good = dbm.clone();
                self.step(dbm, &field.layers, &chains.layers, rate, &mut velocity);
                let (weights, biases) = dbm.parameters_mut();
                let finite = weights.iter().all(|w| w.iter().all(|x| x.is_finite()))
                    && biases.iter().all(|v| v.iter().all(|x| x.is_finite()));
                if !finite {
                    *dbm = last_good;
                    return Err(Error::invalid(
                        "DBM training",
                        format!(
                            "diverged at batch {b} of epoch {epoch}: the parameters stopped being finite; the last finite parameters are kept — lower the learning rate"
                        ),
                    ));
                }
            }
            let report = DbmEpoch {
                epoch,
                learning_rate: rate,
                mean_field_rounds: rounds as f64 / batches.len().max(1) as f64,
                seconds: start.elapsed().as_secs_f64(),
            };
            observer(&report, dbm);
            reports.push(report);
        }
        Ok(reports)
    }

    /// u ← μu + η(g − λW), θ ← θ + u, with g the difference of the
    /// mean-field statistics `positive` and the chains' statistics `negative`.
    fn step(
        &self,
        dbm: &mut DeepBoltzmannMachine,
        positive: &[DMatrix<f32>],
        negative: &[DMatrix<f32>],
        rate: f64,
        velocity: &mut Velocity,
    ) {
        let (eta, mu, decay) = (rate as f32, self.sgd.momentum as f32, self.sgd.weight_decay as f32);
        let (np, nn) = (positive[0].nrows() as f32, negative[0].nrows() as f32);
        let (weights, biases) = dbm.parameters_mut();
        for (l, w) in weights.iter_mut().enumerate() {
            let mut gradient = positive[l].tr_mul(&positive[l + 1]);
            let model = negative[l].tr_mul(&negative[l + 1]);
            gradient.zip_zip_apply(&model, w, |g, m, w| *g = *g / np - m / nn - decay * w);
            velocity.weights[l].zip_apply(&gradient, |u, g| *u = mu * *u + eta * g);
            *w += &velocity.weights[l];
        }
        for (l, b) in biases.iter_mut().enumerate() {
            let gradient = column_means(&positive[l]) - column_means(&negative[l]);
            velocity.biases[l].axpy(eta, &gradient, mu);
            *b += &velocity.biases[l];
        }
    }
}

/// The mean of each column.
fn column_means(m: &DMatrix<f32>) -> DVector<f32> {
    DVector::from_iterator(m.ncols(), m.column_iter().map(|c| c.sum() / m.nrows() as f32))
}

/// Momentum buffers, one per parameter.
struct Velocity {
    weights: Vec<DMatrix<f32>>,
    biases: Vec<DVector<f32>>,
}

impl Velocity {
    fn zeros(dbm: &DeepBoltzmannMachine) -> Self {
        let sizes = dbm.sizes();
        Self {
            weights: sizes.windows(2).map(|p| DMatrix::zeros(p[0], p[1])).collect(),
            biases: sizes.iter().map(|&n| DVector::zeros(n)).collect(),
        }
    }
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
        trainer.train(&mut dbm, &data, |_, _| {}).unwrap();
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
            trainer.train(&mut dbm, &data, |_, _| {}).unwrap();
            average_log_likelihood(&dbm, &data).unwrap()
        };
        let settings = Pretraining { epochs: 200, batch_size: 2, seed: 7, ..Pretraining::default() };
        let pretrained = fine_tuned(pretrain(&sizes, &data, &settings).unwrap());
        let random = fine_tuned(DeepBoltzmannMachine::random(&sizes, 0.01, &mut seeded(1)).unwrap());
        assert!(pretrained > random, "from pretrained weights ℓ = {pretrained}, from random ones {random}");
        assert!(pretrain(&[8, 4], &data, &settings).is_err());
        assert!(pretrain(&[9], &data, &settings).is_err());
        assert!(pretrain(&[9, 4], &(data.clone() * 0.5), &settings).is_err());
        assert!(pretrain(&[9, 4], &data, &Pretraining { batch_size: 0, ..settings }).is_err());
    }

    #[test]
    fn divergence_and_bad_settings_are_reported() {
        let data = bars(3);
        let mut dbm = DeepBoltzmannMachine::random(&[9, 4, 2], 1.0, &mut seeded(2)).unwrap();
        let train = |trainer: DbmTrainer, dbm: &mut DeepBoltzmannMachine, data: &DMatrix<f32>| {
            trainer.epochs(2).train(dbm, data, |_, _| {})
        };
        assert!(train(DbmTrainer::new().momentum(1.0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new().chains(0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new().gibbs_steps(0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new().batch_size(0), &mut dbm, &data).is_err());
        assert!(train(DbmTrainer::new(), &mut dbm, &DMatrix::zeros(3, 8)).is_err());
        assert!(train(DbmTrainer::new(), &mut dbm, &(data.clone() * 0.5)).is_err());
        let error = train(DbmTrainer::new().learning_rate(LearningRate::Constant(1e300)), &mut dbm, &data)
            .unwrap_err()
            .to_string();
        assert!(error.contains("diverged at batch"), "{error}");
        assert!(
            (1..3).all(|l| dbm.weights(l).iter().all(|w| w.is_finite())),
            "the last finite parameters are kept"
        );
    }
}
