//! The training loop of Gaussian–Bernoulli RBMs: minibatch gradient ascent
//! with CD-k or persistent chains, momentum, weight decay, a learning-rate
//! schedule, optionally learned variances, and a guard against divergence.

use super::gradient::{GaussianGradient, statistics};
use crate::schedule::LearningRate;
use crate::sgd::{SgdBuilder, SgdSettings};
use ebm_boltzmann::GaussianRbm;
use ebm_boltzmann::rbm::gaussian::MAX_LOG_VARIANCE;
use ebm_core::{Error, Result};
use ebm_data::batches::Minibatches;
use ebm_mcmc::block::BlockChains;
use ebm_mcmc::rng::{SamplerRng, seeded};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use std::time::Instant;

/// Where the model term of the gradient comes from.
#[derive(Clone, Debug, PartialEq)]
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

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianEpochReport {
    /// The epoch, from 0.
    pub epoch: usize,
    /// η used (log-variances: η times the variance rate).
    pub learning_rate: f64,
    /// Mean squared difference between the data and their mean-field
    /// reconstructions E[v | h = P(h | v)] = a + σ ⊙ W P(h | v), per value,
    /// over the epoch's batches (before each update).
    pub reconstruction_error: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Told of progress; both methods default to doing nothing.
pub trait GaussianObserver {
    /// After each batch: batches done in this epoch and their total.
    fn batch(&mut self, _done: usize, _total: usize) {}

    /// After each epoch, with the model as it now is.
    fn epoch(&mut self, _report: &GaussianEpochReport, _rbm: &GaussianRbm) {}
}

impl GaussianObserver for () {}

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

    fn check(&self, rbm: &GaussianRbm, data: &DMatrix<f32>) -> Result<()> {
        self.sgd.check()?;
        let valid = self.variance_rate.is_finite()
            && self.variance_rate >= 0.0
            && self.min_variance.is_finite()
            && self.min_variance > 0.0
            && self.min_variance.ln().abs() <= f64::from(MAX_LOG_VARIANCE);
        if !valid {
            return Err(Error::invalid(
                "variance settings",
                format!(
                    "variance rate {} must be finite and ≥ 0, minimum variance {} within e^±{MAX_LOG_VARIANCE}",
                    self.variance_rate, self.min_variance
                ),
            ));
        }
        let steps_ok = match self.negatives {
            GaussianNegatives::ContrastiveDivergence { steps } => steps > 0,
            GaussianNegatives::Persistent { steps, chains } => steps > 0 && chains > 0,
        };
        if !steps_ok {
            return Err(Error::invalid(
                "negative phase",
                format!("{:?} needs steps and chains ≥ 1", self.negatives),
            ));
        }
        if data.ncols() != rbm.visible() {
            return Err(Error::shape("data columns", rbm.visible(), data.ncols()));
        }
        if data.nrows() == 0 {
            return Err(Error::invalid("training data", "no examples"));
        }
        ebm_core::error::check_finite("training data", data.as_slice())
    }

    /// Trains `rbm` on the rows of `data`. If the parameters stop being
    /// finite, training stops with an error naming the epoch and batch, and
    /// `rbm` keeps the last finite parameters.
    pub fn train(
        &self,
        rbm: &mut GaussianRbm,
        data: &DMatrix<f32>,
        observer: &mut impl GaussianObserver,
    ) -> Result<Vec<GaussianEpochReport>> {
        self.check(rbm, data)?;
        let sgd = &self.sgd;
        let mut rng = seeded(sgd.seed);
        let mut persistent = match self.negatives {
            GaussianNegatives::Persistent { chains, .. } => {
                let rows: Vec<usize> = (0..chains).map(|_| rng.random_range(0..data.nrows())).collect();
                let start = DMatrix::from_fn(chains, data.ncols(), |r, i| data[(rows[r], i)]);
                Some(BlockChains::from_visible(rbm, start)?)
            }
            GaussianNegatives::ContrastiveDivergence { .. } => None,
        };
        let mut velocity = GaussianGradient {
            weights: DMatrix::zeros(rbm.visible(), rbm.hidden()),
            visible_bias: DVector::zeros(rbm.visible()),
            hidden_bias: DVector::zeros(rbm.hidden()),
            log_variance: DVector::zeros(rbm.visible()),
        };
        let mut reports = Vec::with_capacity(sgd.epochs);
        for epoch in 0..sgd.epochs {
            let start = Instant::now();
            let rate = sgd.rate(epoch);
            let batches: Vec<Vec<usize>> =
                Minibatches::new(data.nrows(), sgd.batch_size, &mut rng)?.collect();
            let mut squared_error = 0.0;
            for (b, indices) in batches.iter().enumerate() {
                let batch = DMatrix::from_fn(indices.len(), data.ncols(), |r, c| data[(indices[r], c)]);
                let last_good = rbm.clone();
                let step =
                    Step { rate, velocity: &mut velocity, persistent: persistent.as_mut(), rng: &mut rng };
                let outcome = self.update(rbm, &batch, step);
                match outcome.and_then(|error| rbm.validate().map(|()| error)) {
                    Ok(error) => squared_error += error,
                    Err(cause) => {
                        *rbm = last_good;
                        return Err(Error::invalid(
                            format!("Gaussian RBM parameters after batch {b} of epoch {epoch}"),
                            format!(
                                "training diverged ({cause}); the last good parameters are kept — lower the learning rate"
                            ),
                        ));
                    }
                }
                observer.batch(b + 1, batches.len());
            }
            let report = GaussianEpochReport {
                epoch,
                learning_rate: rate,
                reconstruction_error: squared_error / data.len() as f64,
                seconds: start.elapsed().as_secs_f64(),
            };
            observer.epoch(&report, rbm);
            reports.push(report);
        }
        Ok(reports)
    }

    /// One gradient step on `batch`; returns the batch's summed squared reconstruction error.
    fn update(&self, rbm: &mut GaussianRbm, batch: &DMatrix<f32>, step: Step<'_>) -> Result<f64> {
        let positive_hidden = rbm.hidden_probabilities(batch)?;
        let reconstruction = rbm.visible_means(&positive_hidden)?;
        let squared: f64 =
            batch.iter().zip(reconstruction.iter()).map(|(&v, &r)| f64::from(v - r).powi(2)).sum();
        let negatives = match (&self.negatives, step.persistent) {
            (GaussianNegatives::Persistent { steps, .. }, Some(chains)) => {
                for _ in 0..*steps {
                    chains.step(rbm, 1.0, step.rng)?;
                }
                chains.visible.clone()
            }
            (GaussianNegatives::ContrastiveDivergence { steps }, _)
            | (GaussianNegatives::Persistent { steps, .. }, None) => {
                let mut chains = BlockChains::from_visible(rbm, batch.clone())?;
                for _ in 0..*steps {
                    chains.step(rbm, 1.0, step.rng)?;
                }
                chains.visible
            }
        };
        let negative_hidden = rbm.hidden_probabilities(&negatives)?;
        let mut gradient =
            statistics(rbm, batch, &positive_hidden)?.minus(&statistics(rbm, &negatives, &negative_hidden)?);
        let decay = self.sgd.weight_decay;
        if decay != 0.0 {
            gradient.weights -= rbm.weights().map(|w| decay * f64::from(w));
        }
        let (eta, mu) = (step.rate, self.sgd.momentum);
        let velocity = step.velocity;
        let advance = |u: &mut [f64], g: &[f64], theta: &mut [f32], eta: f64| {
            for ((u, &g), theta) in u.iter_mut().zip(g).zip(theta.iter_mut()) {
                *u = mu * *u + eta * g;
                *theta += *u as f32;
            }
        };
        let params = rbm.parameters_mut();
        advance(
            velocity.weights.as_mut_slice(),
            gradient.weights.as_slice(),
            params.weights.as_mut_slice(),
            eta,
        );
        advance(
            velocity.visible_bias.as_mut_slice(),
            gradient.visible_bias.as_slice(),
            params.visible_bias.as_mut_slice(),
            eta,
        );
        advance(
            velocity.hidden_bias.as_mut_slice(),
            gradient.hidden_bias.as_slice(),
            params.hidden_bias.as_mut_slice(),
            eta,
        );
        if self.learn_variance {
            let log_variance = params.log_variance.as_mut_slice();
            advance(
                velocity.log_variance.as_mut_slice(),
                gradient.log_variance.as_slice(),
                log_variance,
                eta * self.variance_rate,
            );
            let floor = self.min_variance.ln() as f32;
            // NaN passes through clamp and is caught by the divergence guard.
            log_variance.iter_mut().for_each(|z| *z = z.clamp(floor, MAX_LOG_VARIANCE));
        }
        Ok(squared)
    }
}

/// The per-update state [`GaussianTrainer::update`] needs besides the model.
struct Step<'a> {
    rate: f64,
    velocity: &'a mut GaussianGradient,
    persistent: Option<&'a mut BlockChains>,
    rng: &'a mut SamplerRng,
}
