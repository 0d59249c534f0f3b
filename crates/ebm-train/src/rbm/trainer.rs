//! The training loop: minibatch gradient ascent with momentum, weight decay,
//! a learning-rate schedule, observers, and a guard against divergence.

use super::negatives::{NegativeSampler, Negatives};
use crate::schedule::LearningRate;
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::rbm::draw_units;
use ebm_boltzmann::rbm::partition::base_rate_bias;
use ebm_core::{Error, Result};
use ebm_data::batches::Minibatches;
use ebm_mcmc::rng::seeded;
use nalgebra::{DMatrix, DVector};
use std::time::Instant;

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// The epoch, from 0.
    pub epoch: usize,
    /// η used.
    pub learning_rate: f64,
    /// Mean squared error of the one-step reconstruction P(v | h₀), h₀ drawn
    /// from P(h | v), over the epoch's batches (before each update).
    pub reconstruction_error: f64,
    /// Exchange acceptance rate of each neighbouring pair of temperatures (tempering only).
    pub swap_rates: Vec<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Told of progress; both methods default to doing nothing.
pub trait TrainingObserver {
    /// After each batch: batches done in this epoch and their total.
    fn batch(&mut self, _done: usize, _total: usize) {}

    /// After each epoch, with the model as it now is.
    fn epoch(&mut self, _report: &EpochReport, _rbm: &BernoulliRbm) {}
}

impl TrainingObserver for () {}

/// RBM training by minibatch stochastic gradient ascent on the log-likelihood.
#[derive(Clone, Debug, PartialEq)]
pub struct RbmTrainer {
    negatives: Negatives,
    learning_rate: LearningRate,
    momentum: f64,
    weight_decay: f64,
    batch_size: usize,
    epochs: usize,
    seed: u64,
}

/// The parameters' velocities (momentum buffers).
struct Velocity {
    weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

impl RbmTrainer {
    /// A trainer with the given negative phase, η = 0.1, no momentum, no
    /// weight decay, batches of 10, 10 epochs, seed 0.
    pub fn new(negatives: Negatives) -> Self {
        Self {
            negatives,
            learning_rate: LearningRate::Constant(0.1),
            momentum: 0.0,
            weight_decay: 0.0,
            batch_size: 10,
            epochs: 10,
            seed: 0,
        }
    }

    /// Sets the learning-rate schedule.
    pub fn learning_rate(mut self, rate: LearningRate) -> Self {
        self.learning_rate = rate;
        self
    }

    /// Sets the momentum μ ∈ [0, 1): v ← μ v + η g.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets the L2 weight decay λ ≥ 0 (on W only): g ← g − λ W.
    pub fn weight_decay(mut self, decay: f64) -> Self {
        self.weight_decay = decay;
        self
    }

    /// Sets the minibatch size.
    pub fn batch_size(mut self, size: usize) -> Self {
        self.batch_size = size;
        self
    }

    /// Sets the number of epochs.
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the seed of every random draw.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the visible biases to the data's log-odds, a_i = log(p_i/(1 − p_i))
    /// with p_i the (smoothed) mean of unit i, the usual starting point
    /// (Hinton, 2010): with W = 0 the model then matches the data's marginals.
    pub fn initialise_visible_bias(rbm: &mut BernoulliRbm, data: &DMatrix<f32>) -> Result<()> {
        let bias = base_rate_bias(data, 1.0)?;
        if bias.len() != rbm.visible() {
            return Err(Error::ShapeMismatch {
                what: "data columns".into(),
                expected: rbm.visible(),
                found: bias.len(),
            });
        }
        *rbm.parameters_mut().1 = bias;
        Ok(())
    }

    fn check(&self, rbm: &BernoulliRbm, data: &DMatrix<f32>) -> Result<()> {
        self.learning_rate.check()?;
        let valid =
            (0.0..1.0).contains(&self.momentum) && self.weight_decay >= 0.0 && self.weight_decay.is_finite();
        if !valid || self.batch_size == 0 {
            return Err(Error::Invalid {
                what: "training settings".into(),
                reason: format!(
                    "momentum {} must be in [0, 1), weight decay {} ≥ 0, batch size {} ≥ 1",
                    self.momentum, self.weight_decay, self.batch_size
                ),
            });
        }
        if data.ncols() != rbm.visible() {
            return Err(Error::ShapeMismatch {
                what: "data columns".into(),
                expected: rbm.visible(),
                found: data.ncols(),
            });
        }
        if let Some(index) = data.iter().position(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::Invalid {
                what: "training data".into(),
                reason: format!("entry {index} is {}, not 0 or 1 (binarise the data first)", data[index]),
            });
        }
        Ok(())
    }

    /// Trains `rbm` on the rows of `data` (0/1 values). If the parameters
    /// stop being finite, training stops with an error naming the epoch and
    /// batch, and `rbm` keeps the last finite parameters.
    pub fn train(
        &self,
        rbm: &mut BernoulliRbm,
        data: &DMatrix<f32>,
        observer: &mut impl TrainingObserver,
    ) -> Result<Vec<EpochReport>> {
        self.check(rbm, data)?;
        let mut rng = seeded(self.seed);
        let mut negatives = NegativeSampler::new(self.negatives.clone(), rbm, data, &mut rng)?;
        let mut velocity = Velocity {
            weights: DMatrix::zeros(rbm.visible(), rbm.hidden()),
            visible_bias: DVector::zeros(rbm.visible()),
            hidden_bias: DVector::zeros(rbm.hidden()),
        };
        let mut reports = Vec::with_capacity(self.epochs);
        for epoch in 0..self.epochs {
            let start = Instant::now();
            let rate = self.learning_rate.at(epoch, self.epochs);
            let batches: Vec<Vec<usize>> =
                Minibatches::new(data.nrows(), self.batch_size, &mut rng)?.collect();
            let mut squared_error = 0.0;
            for (b, indices) in batches.iter().enumerate() {
                let batch = DMatrix::from_fn(indices.len(), data.ncols(), |r, c| data[(indices[r], c)]);
                let last_good = rbm.clone();
                squared_error += self.update(rbm, &batch, rate, &mut velocity, &mut negatives, &mut rng)?;
                let finite = rbm
                    .weights()
                    .iter()
                    .chain(rbm.visible_bias().iter())
                    .chain(rbm.hidden_bias().iter())
                    .all(|v| v.is_finite());
                if !finite {
                    *rbm = last_good;
                    return Err(Error::NonFinite {
                        what: format!(
                            "RBM parameters after batch {b} of epoch {epoch} (training diverged; the last finite parameters are kept — lower the learning rate)"
                        ),
                        index: b,
                        value: f64::NAN,
                    });
                }
                observer.batch(b + 1, batches.len());
            }
            let report = EpochReport {
                epoch,
                learning_rate: rate,
                reconstruction_error: squared_error / data.len().max(1) as f64,
                swap_rates: negatives
                    .swaps
                    .iter()
                    .map(|&(a, t)| if t == 0 { 0.0 } else { a as f64 / t as f64 })
                    .collect(),
                seconds: start.elapsed().as_secs_f64(),
            };
            observer.epoch(&report, rbm);
            reports.push(report);
        }
        Ok(reports)
    }

    /// One gradient step on `batch`; returns the batch's summed squared reconstruction error.
    fn update(
        &self,
        rbm: &mut BernoulliRbm,
        batch: &DMatrix<f32>,
        rate: f64,
        velocity: &mut Velocity,
        negatives: &mut NegativeSampler,
        rng: &mut ebm_mcmc::rng::SamplerRng,
    ) -> Result<f64> {
        // One Gibbs step from the data, shared by the reconstruction error and
        // CD: h₀ ~ P(h | v), then P(v | h₀) and v₁ drawn from it. The positive
        // statistics use the probabilities P(h | v), not the draws.
        let positive_hidden = rbm.hidden_probabilities(batch)?;
        let reconstruction = rbm.visible_probabilities(&draw_units(&positive_hidden, rng))?;
        let squared: f64 =
            batch.iter().zip(reconstruction.iter()).map(|(&v, &r)| f64::from(v - r).powi(2)).sum();
        let negative_visible = negatives.sample(rbm, draw_units(&reconstruction, rng), rng)?;
        let negative_hidden = rbm.hidden_probabilities(&negative_visible)?;
        let (np, nn) = (batch.nrows() as f32, negative_visible.nrows() as f32);
        // g_W = Vᵀ P(h|V)/B − Ṽᵀ P(h|Ṽ)/B̃, the two terms as matrix products
        // (nalgebra's blocked product; its in-place `gemm_tr` is far slower here).
        let mut gradient = batch.transpose() * &positive_hidden;
        let negative = negative_visible.transpose() * &negative_hidden;
        gradient.zip_apply(&negative, |g, n| *g = *g / np - n / nn);
        let column_means = |m: &DMatrix<f32>| -> DVector<f32> {
            DVector::from_iterator(m.ncols(), m.column_iter().map(|c| c.sum() / m.nrows() as f32))
        };
        let visible_gradient = column_means(batch) - column_means(&negative_visible);
        let hidden_gradient = column_means(&positive_hidden) - column_means(&negative_hidden);
        let (eta, mu, decay) = (rate as f32, self.momentum as f32, self.weight_decay as f32);
        let (weights, visible_bias, hidden_bias) = rbm.parameters_mut();
        if decay != 0.0 {
            gradient.zip_apply(&*weights, |g, w| *g -= decay * w);
        }
        // v ← μ v + η g, in place; then θ ← θ + v.
        velocity.weights.zip_apply(&gradient, |v, g| *v = mu * *v + eta * g);
        velocity.visible_bias.axpy(eta, &visible_gradient, mu);
        velocity.hidden_bias.axpy(eta, &hidden_gradient, mu);
        *weights += &velocity.weights;
        *visible_bias += &velocity.visible_bias;
        *hidden_bias += &velocity.hidden_bias;
        Ok(squared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbm::exact::exact_average_log_likelihood;
    use ebm_core::Domain;

    fn bars_and_stripes() -> DMatrix<f32> {
        ebm_data::bars_stripes::all(3, Domain::Bit).unwrap().to_matrix()
    }

    fn trained(negatives: Negatives, seed: u64) -> (f64, f64) {
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::random(9, 8, 0.01, &mut seeded(seed)).unwrap();
        RbmTrainer::initialise_visible_bias(&mut rbm, &data).unwrap();
        let before = exact_average_log_likelihood(&rbm, &data).unwrap();
        RbmTrainer::new(negatives)
            .learning_rate(LearningRate::Constant(0.1))
            .momentum(0.5)
            .batch_size(2)
            .epochs(300)
            .seed(seed)
            .train(&mut rbm, &data, &mut ())
            .unwrap();
        (before, exact_average_log_likelihood(&rbm, &data).unwrap())
    }

    #[test]
    fn every_negative_phase_raises_the_likelihood_of_bars_and_stripes() {
        // The uniform distribution over the 14 patterns has log-likelihood −log 14 ≈ −2.64.
        for negatives in [
            Negatives::ContrastiveDivergence { steps: 1 },
            Negatives::Persistent { steps: 1, chains: 14 },
            Negatives::Tempering { steps: 1, chains: 14, temperatures: vec![1.0, 1.5, 2.2, 3.3] },
        ] {
            let (before, after) = trained(negatives.clone(), 3);
            assert!(after > before + 1.5, "{negatives:?}: {before} → {after}");
        }
    }

    #[test]
    fn divergence_is_caught_and_the_last_good_parameters_kept() {
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::random(9, 8, 1.0, &mut seeded(1)).unwrap();
        let trainer = RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 })
            .learning_rate(LearningRate::Constant(1e300))
            .epochs(5);
        let error = trainer.train(&mut rbm, &data, &mut ()).unwrap_err().to_string();
        assert!(error.contains("diverged"), "{error}");
        assert!(rbm.weights().iter().all(|w| w.is_finite()));
    }

    #[test]
    fn bad_settings_and_data_are_refused() {
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::zeros(9, 4);
        let cd = || RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 });
        assert!(cd().momentum(1.0).train(&mut rbm, &data, &mut ()).is_err());
        assert!(cd().batch_size(0).train(&mut rbm, &data, &mut ()).is_err());
        assert!(cd().learning_rate(LearningRate::Constant(-1.0)).train(&mut rbm, &data, &mut ()).is_err());
        assert!(cd().train(&mut BernoulliRbm::zeros(8, 4), &data, &mut ()).is_err());
        assert!(cd().train(&mut rbm, &(data.clone() * 0.5), &mut ()).is_err());
        let bad_ladder = Negatives::Tempering { steps: 1, chains: 2, temperatures: vec![2.0, 3.0] };
        assert!(RbmTrainer::new(bad_ladder).train(&mut rbm, &data, &mut ()).is_err());
        assert!(
            RbmTrainer::new(Negatives::Persistent { steps: 0, chains: 2 })
                .train(&mut rbm, &data, &mut ())
                .is_err()
        );
    }
}
