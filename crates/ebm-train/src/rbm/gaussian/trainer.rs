//! The learner of Gaussian–Bernoulli RBMs: minibatch gradient ascent with
//! CD-k or persistent chains, momentum, weight decay and optionally learned
//! variances, for the [`Fit`] driver.

use super::gradient::{GaussianGradient, statistics};
use crate::fit::{Checkpointed, EpochReport, Fit, Learner, Observer, Plan, StepReport, Update};
use crate::rbm::RECONSTRUCTION_ERROR;
use crate::schedule::LearningRate;
use crate::sgd::{Block, SgdBuilder, SgdSettings, momentum_step};
use ebm_boltzmann::GaussianRbm;
use ebm_boltzmann::rbm::gaussian::MAX_LOG_VARIANCE;
use ebm_core::{Error, Result};
use ebm_mcmc::block::BlockChains;
use ebm_mcmc::rng::{SamplerRng, seeded};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// Where the model term of the gradient comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum GaussianNegatives {
    /// CD-k: k block-Gibbs steps (h ~ P(h | v), then v ~ N(a + σ ⊙ Wh, σ²))
    /// from each data row of the batch.
    ContrastiveDivergence {
        /// Gibbs steps k ≥ 1.
        steps: usize,
    },
    /// Persistent CD: `chains` fantasy particles carried from update to
    /// update, advanced `steps` Gibbs steps each time, started at data rows.
    Persistent {
        /// Gibbs steps per update, ≥ 1.
        steps: usize,
        /// Number of persistent chains, ≥ 1.
        chains: usize,
    },
}

/// Gaussian–Bernoulli RBM training by minibatch stochastic gradient ascent.
///
/// The data should be standardised (each feature mean 0, variance 1, e.g.
/// with [`ebm_data::standardize::Standardization`]): with σ fixed at 1 this
/// is the usual recipe (Hinton, 2010), and with learned variances it keeps
/// one learning rate sensible for every feature. Learned log-variances
/// move with a smaller rate (η times [`variance_rate`](Self::variance_rate)),
/// as Cho, Ilin and Raiko (2011) advise, and never below log of the
/// [`min_variance`](Self::min_variance): a variance collapsing onto a few
/// data points makes the likelihood unbounded.
///
/// The learning rate (of W, a and b), momentum, weight decay (on W only),
/// batch size, epochs and seed are set through [`SgdBuilder`].
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianTrainer {
    negatives: GaussianNegatives,
    learn_variance: bool,
    variance_rate: f64,
    min_variance: f64,
    sgd: SgdSettings,
}

impl SgdBuilder for GaussianTrainer {
    fn sgd_mut(&mut self) -> &mut SgdSettings {
        &mut self.sgd
    }
}

impl GaussianTrainer {
    /// A trainer with the given negative phase, η = 0.01, fixed variances
    /// (variance rate 0.3 and minimum variance 0.01 when learned), no
    /// momentum, no weight decay, batches of 100, 10 epochs, seed 0.
    pub fn new(negatives: GaussianNegatives) -> Self {
        Self {
            negatives,
            learn_variance: false,
            variance_rate: 0.3,
            min_variance: 0.01,
            sgd: SgdSettings {
                learning_rate: LearningRate::Constant(0.01),
                batch_size: 100,
                ..SgdSettings::default()
            },
        }
    }

    /// Learns the log-variances z = log σ² too (otherwise σ stays as it is).
    pub fn learn_variance(mut self, learn: bool) -> Self {
        self.learn_variance = learn;
        self
    }

    /// Sets the factor ρ ≥ 0 of the log-variances' learning rate ρη.
    pub fn variance_rate(mut self, factor: f64) -> Self {
        self.variance_rate = factor;
        self
    }

    /// Sets the smallest variance σ² > 0 that learning may reach.
    pub fn min_variance(mut self, variance: f64) -> Self {
        self.min_variance = variance;
        self
    }

    /// Sets the visible biases to the data's means and, when variances are
    /// learned, σ² to the data's variances (at least the minimum variance):
    /// with W = 0 the model is then the maximum-likelihood diagonal Gaussian.
    pub fn initialise_visible(&self, rbm: &mut GaussianRbm, data: &DMatrix<f32>) -> Result<()> {
        self.check(rbm, data)?;
        let n = data.nrows() as f64;
        let floor = self.min_variance.ln();
        let params = rbm.parameters_mut();
        for (i, column) in data.column_iter().enumerate() {
            let mean = column.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
            params.visible_bias[i] = mean as f32;
            if self.learn_variance {
                let var = column.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n;
                params.log_variance[i] = var.ln().clamp(floor, f64::from(MAX_LOG_VARIANCE)) as f32;
            }
        }
        rbm.validate()
    }

    /// Checks the settings.
    fn check_settings(&self) -> Result<()> {
        self.sgd.check()?;
        settings(&self.negatives, self.variance_rate, self.min_variance)
    }

    /// Checks the settings, and that `data` is finite, not empty and as
    /// wide as the visible layer.
    fn check(&self, rbm: &GaussianRbm, data: &DMatrix<f32>) -> Result<()> {
        self.check_settings()?;
        check_data(rbm, data)
    }

    /// A run of this trainer on `rbm` and `data`, not yet started: the
    /// random stream seeded, persistent chains started at random rows of
    /// `data`, velocities zero. [`Fit::run`] trains it.
    pub fn fit(&self, rbm: GaussianRbm, data: &DMatrix<f32>) -> Result<Fit<GaussianLearner>> {
        self.check(&rbm, data)?;
        let mut rng = seeded(self.sgd.seed);
        let persistent = match self.negatives {
            GaussianNegatives::Persistent { chains, .. } => {
                let rows: Vec<usize> = (0..chains).map(|_| rng.random_range(0..data.nrows())).collect();
                let start = DMatrix::from_fn(chains, data.ncols(), |r, i| data[(rows[r], i)]);
                Some(BlockChains::from_visible(&rbm, start)?)
            }
            GaussianNegatives::ContrastiveDivergence { .. } => None,
        };
        let learner = GaussianLearner {
            negatives: self.negatives.clone(),
            persistent,
            velocity: GaussianGradient {
                weights: DMatrix::zeros(rbm.visible(), rbm.hidden()),
                visible_bias: DVector::zeros(rbm.visible()),
                hidden_bias: DVector::zeros(rbm.hidden()),
                log_variance: DVector::zeros(rbm.visible()),
            },
            momentum: self.sgd.momentum,
            weight_decay: self.sgd.weight_decay,
            learn_variance: self.learn_variance,
            variance_rate: self.variance_rate,
            min_variance: self.min_variance,
        };
        Fit::new(learner, rbm, Plan::from_settings(&self.sgd), rng)
    }

    /// Trains `rbm` on the rows of `data` from start to end, calling
    /// `observers`, and returns each epoch's report (with its
    /// [`RECONSTRUCTION_ERROR`]: the mean squared difference between the
    /// data and their mean-field reconstructions a + σ ⊙ W P(h | v), per
    /// value, before each update). If training diverges, the error names the
    /// epoch and batch, and `rbm` keeps the last good parameters. For a run
    /// to stop and resume, use [`GaussianTrainer::fit`].
    pub fn train(
        &self,
        rbm: &mut GaussianRbm,
        data: &DMatrix<f32>,
        observers: &mut [&mut dyn Observer<GaussianRbm>],
    ) -> Result<Vec<EpochReport>> {
        self.fit(rbm.clone(), data)?.run_into(data, observers, rbm)
    }
}

/// Checks the negative phase and the variance settings.
fn settings(negatives: &GaussianNegatives, variance_rate: f64, min_variance: f64) -> Result<()> {
    let valid = variance_rate.is_finite()
        && variance_rate >= 0.0
        && min_variance.is_finite()
        && min_variance > 0.0
        && min_variance.ln().abs() <= f64::from(MAX_LOG_VARIANCE);
    if !valid {
        return Err(Error::invalid(
            "variance settings",
            format!(
                "variance rate {variance_rate} must be finite and ≥ 0, minimum variance {min_variance} within e^±{MAX_LOG_VARIANCE}"
            ),
        ));
    }
    let steps_ok = match *negatives {
        GaussianNegatives::ContrastiveDivergence { steps } => steps > 0,
        GaussianNegatives::Persistent { steps, chains } => steps > 0 && chains > 0,
    };
    if !steps_ok {
        return Err(Error::invalid("negative phase", format!("{negatives:?} needs steps and chains ≥ 1")));
    }
    Ok(())
}

/// Checks that `data` is finite, not empty and as wide as the visible layer.
fn check_data(rbm: &GaussianRbm, data: &DMatrix<f32>) -> Result<()> {
    if data.ncols() != rbm.visible() {
        return Err(Error::shape("data columns", rbm.visible(), data.ncols()));
    }
    if data.nrows() == 0 {
        return Err(Error::invalid("training data", "no examples"));
    }
    ebm_core::error::check_finite("training data", data.as_slice())
}

/// The state of Gaussian–Bernoulli RBM training between steps: the
/// velocities, the persistent chains, and the step's settings.
#[derive(Serialize, Deserialize)]
pub struct GaussianLearner {
    negatives: GaussianNegatives,
    persistent: Option<BlockChains>,
    velocity: GaussianGradient,
    momentum: f64,
    weight_decay: f64,
    learn_variance: bool,
    variance_rate: f64,
    min_variance: f64,
}

impl Learner for GaussianLearner {
    type Model = GaussianRbm;
    type Data = DMatrix<f32>;

    /// One gradient step on the batch: the data term with P(h | v), the
    /// model term from CD-k or the persistent chains, weight decay, then the
    /// momentum step, applied only if the guard admits every new value.
    fn step(
        &mut self,
        rbm: &mut GaussianRbm,
        data: &DMatrix<f32>,
        indices: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let batch = DMatrix::from_fn(indices.len(), data.ncols(), |r, c| data[(indices[r], c)]);
        let positive_hidden = rbm.hidden_probabilities(&batch)?;
        let reconstruction = rbm.visible_means(&positive_hidden)?;
        let squared: f64 =
            batch.iter().zip(reconstruction.iter()).map(|(&v, &r)| f64::from(v - r).powi(2)).sum();
        let negatives = match (&self.negatives, self.persistent.as_mut()) {
            (GaussianNegatives::Persistent { steps, .. }, Some(chains)) => {
                for _ in 0..*steps {
                    chains.step(rbm, 1.0, rng)?;
                }
                chains.visible.clone()
            }
            (GaussianNegatives::ContrastiveDivergence { steps }, _)
            | (GaussianNegatives::Persistent { steps, .. }, None) => {
                let mut chains = BlockChains::from_visible(rbm, batch.clone())?;
                for _ in 0..*steps {
                    chains.step(rbm, 1.0, rng)?;
                }
                chains.visible
            }
        };
        let negative_hidden = rbm.hidden_probabilities(&negatives)?;
        let mut gradient =
            statistics(rbm, &batch, &positive_hidden)?.minus(&statistics(rbm, &negatives, &negative_hidden)?);
        if self.weight_decay != 0.0 {
            gradient.weights -= rbm.weights().map(|w| self.weight_decay * f64::from(w));
        }
        let eta = update.rate;
        let velocity = &mut self.velocity;
        let params = rbm.parameters_mut();
        let mut blocks = vec![
            Block {
                name: "a weight",
                values: params.weights.as_mut_slice(),
                velocity: velocity.weights.as_mut_slice(),
                gradient: gradient.weights.as_slice(),
                rate: eta,
            },
            Block {
                name: "a visible bias",
                values: params.visible_bias.as_mut_slice(),
                velocity: velocity.visible_bias.as_mut_slice(),
                gradient: gradient.visible_bias.as_slice(),
                rate: eta,
            },
            Block {
                name: "a hidden bias",
                values: params.hidden_bias.as_mut_slice(),
                velocity: velocity.hidden_bias.as_mut_slice(),
                gradient: gradient.hidden_bias.as_slice(),
                rate: eta,
            },
        ];
        if self.learn_variance {
            blocks.push(Block {
                name: "a log-variance",
                values: params.log_variance.as_mut_slice(),
                velocity: velocity.log_variance.as_mut_slice(),
                gradient: gradient.log_variance.as_slice(),
                rate: eta * self.variance_rate,
            });
        }
        if let Some(refusal) = momentum_step(&mut blocks, self.momentum, update.guard) {
            return Ok(StepReport::refused(refusal));
        }
        if self.learn_variance {
            let floor = self.min_variance.ln() as f32;
            params.log_variance.iter_mut().for_each(|z| *z = z.clamp(floor, MAX_LOG_VARIANCE));
        }
        rbm.validate()?;
        Ok(StepReport::new().tally(RECONSTRUCTION_ERROR, squared, batch.len() as f64))
    }

    fn check(&self, rbm: &GaussianRbm, data: &DMatrix<f32>) -> Result<()> {
        check_data(rbm, data)
    }

    fn check_state(&self, rbm: &GaussianRbm) -> Result<()> {
        settings(&self.negatives, self.variance_rate, self.min_variance)?;
        crate::sgd::check_momentum_and_decay(self.momentum, self.weight_decay)?;
        let v = &self.velocity;
        let shapes = (v.weights.shape(), v.visible_bias.len(), v.hidden_bias.len(), v.log_variance.len());
        if shapes != ((rbm.visible(), rbm.hidden()), rbm.visible(), rbm.hidden(), rbm.visible()) {
            return Err(Error::invalid("checkpoint", "the velocities do not match the RBM's shape"));
        }
        let values = v.weights.iter().chain(&v.visible_bias).chain(&v.hidden_bias).chain(&v.log_variance);
        if !values.into_iter().all(|x| x.is_finite()) {
            return Err(Error::invalid("checkpoint", "a velocity is not finite"));
        }
        let chains_fit = match (&self.negatives, &self.persistent) {
            (GaussianNegatives::ContrastiveDivergence { .. }, None) => true,
            (GaussianNegatives::Persistent { chains: count, .. }, Some(chains)) => {
                chains.batch() == *count
                    && chains.visible.ncols() == rbm.visible()
                    && chains.hidden.shape() == (*count, rbm.hidden())
                    && chains.visible.iter().chain(chains.hidden.iter()).all(|x| x.is_finite())
            }
            _ => false,
        };
        if !chains_fit {
            return Err(Error::invalid(
                "checkpoint",
                "the persistent chains do not fit the RBM or the settings",
            ));
        }
        Ok(())
    }
}

impl Checkpointed for GaussianLearner {
    const KIND: &'static str = "checkpoint-gaussian-rbm";
}
