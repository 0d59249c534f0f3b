//! Training a [`LabelledRbm`]: generatively, discriminatively or both
//! (Larochelle and Bengio, 2008).
//!
//! - **Generative**: ascend log P(v, y). The gradient is the usual
//!   difference of data and model statistics, ⟨v hᵀ⟩, ⟨e_y hᵀ⟩, ⟨v⟩, ⟨e_y⟩,
//!   ⟨h⟩, with h replaced by P(h | v, y) and the model term from Gibbs chains
//!   over (v, y, h): k steps from the data (CD-k) or persistent chains (PCD).
//! - **Discriminative**: ascend log P(y | v), whose gradient is exact. With
//!   s_c = σ(o_c) the hidden probabilities for class c and p_c = P(c | v),
//!
//!   ∂/∂b = s_y − Σ_c p_c s_c,  ∂/∂W = v (s_y − Σ_c p_c s_c)ᵀ,
//!   ∂/∂U_c = (1[c = y] − p_c) s_c,  ∂/∂d_c = 1[c = y] − p_c,  ∂/∂a = 0.
//! - **Hybrid**: ascend log P(y | v) + α log P(v, y).

use crate::fit::{
    Checkpointed, Control, EpochReport, Examples, Fit, Learner, Moment, Observer, Plan, StepReport, Update,
};
use crate::schedule::LearningRate;
use crate::sgd::{Block, SgdBuilder, SgdSettings, momentum_step};
use ebm_boltzmann::rbm::LabelledRbm;
use ebm_core::{Error, Result};
use ebm_mcmc::rng::{SamplerRng, seeded};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// What training maximises.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// log P(v, y).
    Generative,
    /// log P(y | v). Start from weights of a few tenths: near W = U = 0 every
    /// class sees the same hidden probabilities, the gradient on W vanishes
    /// and learning sits at a saddle (from N(0, 0.01²) weights, 300 epochs on
    /// 4×4 bars-and-stripes left the accuracy at chance; from N(0, 0.3²) it reached 93%).
    Discriminative,
    /// log P(y | v) + α log P(v, y).
    Hybrid {
        /// α ≥ 0.
        generative_weight: f64,
    },
}

/// Where the model statistics of the generative gradient come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelledNegatives {
    /// k Gibbs steps over (v, y, h) from each example.
    ContrastiveDivergence {
        /// k ≥ 1.
        steps: usize,
    },
    /// `chains` persistent chains advanced `steps` Gibbs steps per update.
    Persistent {
        /// Gibbs steps per update.
        steps: usize,
        /// Number of chains.
        chains: usize,
    },
}

/// The name of the metric "fraction of the training examples classified
/// correctly after the epoch" in the epoch reports of [`LabelledTrainer::train`].
pub const TRAINING_ACCURACY: &str = "training_accuracy";

/// The name of the metric "mean log P(y | v) over the training examples
/// after the epoch" in the epoch reports of [`LabelledTrainer::train`].
pub const CONDITIONAL_LOG_LIKELIHOOD: &str = "conditional_log_likelihood";

/// Labelled training data: rows of 0/1 values and the class of each.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledData {
    examples: DMatrix<f32>,
    labels: Vec<usize>,
}

impl LabelledData {
    /// The rows of `examples` (0/1 values) with classes `labels`, one per row.
    pub fn new(examples: DMatrix<f32>, labels: Vec<usize>) -> Result<Self> {
        if labels.len() != examples.nrows() {
            return Err(Error::shape("labels", examples.nrows(), labels.len()));
        }
        if examples.nrows() == 0 || examples.iter().any(|&v| v != 0.0 && v != 1.0) {
            return Err(Error::invalid("training data", "needs rows of 0/1 values"));
        }
        Ok(Self { examples, labels })
    }

    /// The rows.
    pub fn examples(&self) -> &DMatrix<f32> {
        &self.examples
    }

    /// The class of each row.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }
}

impl Examples for LabelledData {
    fn examples(&self) -> usize {
        self.examples.nrows()
    }

    fn width(&self) -> usize {
        self.examples.ncols()
    }
}

/// The fraction of `data` that `rbm` classifies correctly, and the mean log
/// P(y | v) of the true classes.
pub fn training_scores(rbm: &LabelledRbm, data: &LabelledData) -> Result<(f64, f64)> {
    let (examples, labels) = (&data.examples, &data.labels);
    let log_p = rbm.class_log_probabilities(examples)?;
    let correct = rbm.classify(examples)?.iter().zip(labels).filter(|(a, b)| a == b).count();
    let n = examples.nrows() as f64;
    let log_likelihood = labels.iter().enumerate().map(|(r, &y)| log_p[(r, y)]).sum::<f64>() / n;
    Ok((correct as f64 / n, log_likelihood))
}

/// An observer that adds [`TRAINING_ACCURACY`] and
/// [`CONDITIONAL_LOG_LIKELIHOOD`] of a data set to each epoch's report.
pub struct TrainingScores<'a>(pub &'a LabelledData);

impl Observer<LabelledRbm> for TrainingScores<'_> {
    fn observe(&mut self, moment: Moment<'_>, rbm: &LabelledRbm) -> Result<Control> {
        if let Moment::Epoch(report) = moment {
            let (accuracy, log_likelihood) = training_scores(rbm, self.0)?;
            report.set_metric(TRAINING_ACCURACY, accuracy);
            report.set_metric(CONDITIONAL_LOG_LIKELIHOOD, log_likelihood);
        }
        Ok(Control::Continue)
    }
}

/// Minibatch gradient ascent for a [`LabelledRbm`], with momentum and L2
/// weight decay on W and U.
///
/// The learning rate, momentum, weight decay (on W and U), batch size,
/// epochs and seed are set through [`SgdBuilder`].
#[derive(Clone, Debug, PartialEq)]
pub struct LabelledTrainer {
    objective: Objective,
    negatives: LabelledNegatives,
    sgd: SgdSettings,
}

impl SgdBuilder for LabelledTrainer {
    fn sgd_mut(&mut self) -> &mut SgdSettings {
        &mut self.sgd
    }
}

/// A gradient (or velocity) of every parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Step {
    weights: DMatrix<f32>,
    label_weights: DMatrix<f32>,
    visible_bias: DVector<f32>,
    label_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

impl Step {
    fn zeros(rbm: &LabelledRbm) -> Self {
        let (v, c, h) = (rbm.visible(), rbm.classes(), rbm.hidden());
        Self {
            weights: DMatrix::zeros(v, h),
            label_weights: DMatrix::zeros(c, h),
            visible_bias: DVector::zeros(v),
            label_bias: DVector::zeros(c),
            hidden_bias: DVector::zeros(h),
        }
    }

    /// Adds `weight` × the statistics of rows (v, e_y, q) to the gradient:
    /// v qᵀ, e_y qᵀ, v, e_y, q, each averaged over the rows.
    fn add_statistics(
        &mut self,
        visible: &DMatrix<f32>,
        labels: &[usize],
        hidden: &DMatrix<f32>,
        weight: f32,
    ) {
        let scale = weight / visible.nrows() as f32;
        self.weights += visible.tr_mul(hidden) * scale;
        for (r, &y) in labels.iter().enumerate() {
            add_scaled(self.label_weights.row_mut(y).iter_mut(), hidden.row(r).iter(), scale);
            self.label_bias[y] += scale;
            self.visible_bias.axpy(scale, &visible.row(r).transpose(), 1.0);
            self.hidden_bias.axpy(scale, &hidden.row(r).transpose(), 1.0);
        }
    }

    /// Adds `weight` × the exact gradient of the mean log P(y | v) over the rows.
    fn add_discriminative(
        &mut self,
        rbm: &LabelledRbm,
        visible: &DMatrix<f32>,
        labels: &[usize],
        weight: f32,
    ) -> Result<()> {
        let posterior = rbm.class_log_probabilities(visible)?.map(|l| l.exp() as f32);
        let scale = weight / visible.nrows() as f32;
        let mut hidden_error = DMatrix::zeros(visible.nrows(), rbm.hidden());
        let shared = rbm.shared_hidden_input(visible)?;
        for c in 0..rbm.classes() {
            let s = rbm.class_hidden_probabilities(&shared, c)?;
            for (r, &y) in labels.iter().enumerate() {
                // (1[c = y] − p_c) for this example and class.
                let error = f32::from(u8::from(c == y)) - posterior[(r, c)];
                self.label_bias[c] += scale * error;
                add_scaled(self.label_weights.row_mut(c).iter_mut(), s.row(r).iter(), scale * error);
                add_scaled(hidden_error.row_mut(r).iter_mut(), s.row(r).iter(), error);
            }
        }
        self.weights += visible.tr_mul(&hidden_error) * scale;
        for row in hidden_error.row_iter() {
            self.hidden_bias.axpy(scale, &row.transpose(), 1.0);
        }
        Ok(())
    }

    /// Its shapes are those of `rbm`'s parameters, and its entries finite.
    fn fits(&self, rbm: &LabelledRbm) -> bool {
        let (v, c, h) = (rbm.visible(), rbm.classes(), rbm.hidden());
        let shapes = (
            self.weights.shape(),
            self.label_weights.shape(),
            self.visible_bias.len(),
            self.label_bias.len(),
            self.hidden_bias.len(),
        );
        let values = [
            self.weights.as_slice(),
            self.label_weights.as_slice(),
            self.visible_bias.as_slice(),
            self.label_bias.as_slice(),
            self.hidden_bias.as_slice(),
        ];
        shapes == ((v, h), (c, h), v, c, h) && values.iter().all(|v| v.iter().all(|x| x.is_finite()))
    }
}

/// target ← target + scale · source, entrywise.
fn add_scaled<'a>(
    target: impl Iterator<Item = &'a mut f32>,
    source: impl Iterator<Item = &'a f32>,
    scale: f32,
) {
    target.zip(source).for_each(|(t, &s)| *t += scale * s);
}

impl LabelledTrainer {
    /// A trainer for `objective` with CD-1 negatives, η = 0.05, momentum 0.5,
    /// no decay, batches of 10, 10 epochs, seed 0.
    pub fn new(objective: Objective) -> Self {
        Self {
            objective,
            negatives: LabelledNegatives::ContrastiveDivergence { steps: 1 },
            sgd: SgdSettings {
                learning_rate: LearningRate::Constant(0.05),
                momentum: 0.5,
                ..SgdSettings::default()
            },
        }
    }

    /// Sets where the generative model statistics come from.
    pub fn negatives(mut self, negatives: LabelledNegatives) -> Self {
        self.negatives = negatives;
        self
    }

    /// Checks the settings.
    fn check_settings(&self) -> Result<()> {
        self.sgd.check()?;
        settings(self.objective, self.negatives)
    }

    /// A run of this trainer on `rbm` and `data`, not yet started: the
    /// random stream seeded, persistent chains started at random examples,
    /// velocities zero. [`Fit::run`] trains it.
    pub fn fit(&self, rbm: LabelledRbm, data: &LabelledData) -> Result<Fit<LabelledLearner>> {
        self.check_settings()?;
        rbm.check_examples(&data.examples, &data.labels)?;
        let mut rng = seeded(self.sgd.seed);
        let chains = match self.negatives {
            LabelledNegatives::Persistent { chains, .. } => {
                let rows: Vec<usize> =
                    (0..chains).map(|_| rng.random_range(0..data.examples.nrows())).collect();
                Some((data.examples.select_rows(&rows), rows.iter().map(|&r| data.labels[r]).collect()))
            }
            LabelledNegatives::ContrastiveDivergence { .. } => None,
        };
        let learner = LabelledLearner {
            objective: self.objective,
            negatives: self.negatives,
            chains,
            velocity: Step::zeros(&rbm),
            momentum: self.sgd.momentum,
            weight_decay: self.sgd.weight_decay,
        };
        Fit::new(learner, rbm, Plan::from_settings(&self.sgd), rng)
    }

    /// Trains `rbm` on the rows of `data` (0/1) with classes `labels` from
    /// start to end, calling `observers`, and returns each epoch's report,
    /// with the [`TRAINING_ACCURACY`] and [`CONDITIONAL_LOG_LIKELIHOOD`] of
    /// the training data after the epoch (computed before `observers` see
    /// it). If training diverges, the error names the epoch and batch, and
    /// `rbm` keeps the last good parameters. For a run to stop and resume,
    /// use [`LabelledTrainer::fit`].
    pub fn train(
        &self,
        rbm: &mut LabelledRbm,
        data: &DMatrix<f32>,
        labels: &[usize],
        observers: &mut [&mut dyn Observer<LabelledRbm>],
    ) -> Result<Vec<EpochReport>> {
        self.check_settings()?;
        rbm.check_examples(data, labels)?;
        let data = LabelledData::new(data.clone(), labels.to_vec())?;
        let fit = self.fit(rbm.clone(), &data)?;
        let mut scores = TrainingScores(&data);
        let mut all: Vec<&mut dyn Observer<LabelledRbm>> = vec![&mut scores];
        for observer in observers.iter_mut() {
            all.push(&mut **observer);
        }
        fit.run_into(&data, &mut all, rbm)
    }
}

/// Checks the negative phase and the hybrid weight.
fn settings(objective: Objective, negatives: LabelledNegatives) -> Result<()> {
    let (steps, chains) = match negatives {
        LabelledNegatives::ContrastiveDivergence { steps } => (steps, 1),
        LabelledNegatives::Persistent { steps, chains } => (steps, chains),
    };
    if steps == 0 || chains == 0 {
        return Err(Error::invalid("negative phase", format!("{negatives:?} needs steps and chains ≥ 1")));
    }
    if let Objective::Hybrid { generative_weight } = objective
        && !(generative_weight.is_finite() && generative_weight >= 0.0)
    {
        return Err(Error::invalid(
            "hybrid objective",
            format!("the generative weight α = {generative_weight} must be finite and ≥ 0"),
        ));
    }
    Ok(())
}

/// The state of labelled-RBM training between steps: the velocities, the
/// persistent chains (states and classes), and the step's settings.
#[derive(Serialize, Deserialize)]
pub struct LabelledLearner {
    objective: Objective,
    negatives: LabelledNegatives,
    chains: Option<(DMatrix<f32>, Vec<usize>)>,
    velocity: Step,
    momentum: f64,
    weight_decay: f64,
}

impl LabelledLearner {
    /// The gradient of the objective on one batch.
    fn gradient(
        &mut self,
        rbm: &LabelledRbm,
        batch: &DMatrix<f32>,
        labels: &[usize],
        rng: &mut SamplerRng,
    ) -> Result<Step> {
        let mut gradient = Step::zeros(rbm);
        let (discriminative, generative) = match self.objective {
            Objective::Generative => (0.0, 1.0),
            Objective::Discriminative => (1.0, 0.0),
            Objective::Hybrid { generative_weight } => (1.0, generative_weight as f32),
        };
        if discriminative > 0.0 {
            gradient.add_discriminative(rbm, batch, labels, discriminative)?;
        }
        if generative > 0.0 {
            gradient.add_statistics(batch, labels, &rbm.hidden_probabilities(batch, labels)?, generative);
            let (mut visible, mut negative_labels, steps) = match (self.negatives, &self.chains) {
                (LabelledNegatives::Persistent { steps, .. }, Some((v, y))) => (v.clone(), y.clone(), steps),
                (LabelledNegatives::ContrastiveDivergence { steps }, _)
                | (LabelledNegatives::Persistent { steps, .. }, None) => {
                    (batch.clone(), labels.to_vec(), steps)
                }
            };
            for _ in 0..steps {
                rbm.gibbs_step(&mut visible, &mut negative_labels, false, rng)?;
            }
            let hidden = rbm.hidden_probabilities(&visible, &negative_labels)?;
            gradient.add_statistics(&visible, &negative_labels, &hidden, -generative);
            if let (LabelledNegatives::Persistent { .. }, Some(state)) = (self.negatives, &mut self.chains) {
                *state = (visible, negative_labels);
            }
        }
        Ok(gradient)
    }
}

impl Learner for LabelledLearner {
    type Model = LabelledRbm;
    type Data = LabelledData;

    /// The gradient of the objective on the batch, weight decay on W and U
    /// (g ← g − λθ), then u ← μu + ηg, θ ← θ + u, applied only if the guard
    /// admits every new value.
    fn step(
        &mut self,
        rbm: &mut LabelledRbm,
        data: &LabelledData,
        indices: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let batch = data.examples.select_rows(indices);
        let labels: Vec<usize> = indices.iter().map(|&i| data.labels[i]).collect();
        let mut gradient = self.gradient(rbm, &batch, &labels, rng)?;
        let decay = self.weight_decay as f32;
        let p = rbm.parameters_mut();
        gradient.weights.zip_apply(p.weights, |g, w| *g -= decay * w);
        gradient.label_weights.zip_apply(p.label_weights, |g, w| *g -= decay * w);
        let (u, g, rate) = (&mut self.velocity, &gradient, update.rate);
        let mut blocks = [
            Block {
                name: "a weight",
                values: p.weights.as_mut_slice(),
                velocity: u.weights.as_mut_slice(),
                gradient: g.weights.as_slice(),
                rate,
            },
            Block {
                name: "a label weight",
                values: p.label_weights.as_mut_slice(),
                velocity: u.label_weights.as_mut_slice(),
                gradient: g.label_weights.as_slice(),
                rate,
            },
            Block {
                name: "a visible bias",
                values: p.visible_bias.as_mut_slice(),
                velocity: u.visible_bias.as_mut_slice(),
                gradient: g.visible_bias.as_slice(),
                rate,
            },
            Block {
                name: "a label bias",
                values: p.label_bias.as_mut_slice(),
                velocity: u.label_bias.as_mut_slice(),
                gradient: g.label_bias.as_slice(),
                rate,
            },
            Block {
                name: "a hidden bias",
                values: p.hidden_bias.as_mut_slice(),
                velocity: u.hidden_bias.as_mut_slice(),
                gradient: g.hidden_bias.as_slice(),
                rate,
            },
        ];
        Ok(match momentum_step(&mut blocks, self.momentum, update.guard) {
            Some(refusal) => StepReport::refused(refusal),
            None => StepReport::new(),
        })
    }

    fn check(&self, rbm: &LabelledRbm, data: &LabelledData) -> Result<()> {
        rbm.check_examples(&data.examples, &data.labels)
    }

    fn check_state(&self, rbm: &LabelledRbm) -> Result<()> {
        settings(self.objective, self.negatives)?;
        crate::sgd::check_momentum_and_decay(self.momentum, self.weight_decay)?;
        let chains_fit = match (self.negatives, &self.chains) {
            (LabelledNegatives::ContrastiveDivergence { .. }, None) => true,
            (LabelledNegatives::Persistent { chains, .. }, Some((states, labels))) => {
                rbm.check_examples(states, labels).is_ok()
                    && states.nrows() == chains
                    && states.iter().all(|&x| x == 0.0 || x == 1.0)
            }
            _ => false,
        };
        if !(chains_fit && self.velocity.fits(rbm)) {
            return Err(Error::invalid("checkpoint", "the chains or velocities do not fit the labelled RBM"));
        }
        Ok(())
    }
}

impl Checkpointed for LabelledLearner {
    const KIND: &'static str = "checkpoint-labelled-rbm";
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_boltzmann::rbm::LabelledParameters;
    use ebm_core::Domain;

    fn labelled_bars(side: usize) -> (DMatrix<f32>, Vec<usize>) {
        let data = ebm_data::bars_stripes::all(side, Domain::Bit).unwrap().to_matrix();
        (data, ebm_data::bars_stripes::labels(side).unwrap())
    }

    #[test]
    fn the_discriminative_gradient_is_the_derivative_of_the_conditional_likelihood() {
        let (data, labels) = labelled_bars(2);
        let mut rbm = LabelledRbm::random(4, 3, 3, 1.0, &mut seeded(1)).unwrap();
        {
            let p = rbm.parameters_mut();
            p.label_bias.iter_mut().enumerate().for_each(|(c, x)| *x = 0.3 * c as f32 - 0.2);
            p.hidden_bias.iter_mut().enumerate().for_each(|(j, x)| *x = 0.5 - 0.4 * j as f32);
        }
        let mut gradient = Step::zeros(&rbm);
        gradient.add_discriminative(&rbm, &data, &labels, 1.0).unwrap();
        let objective = |rbm: &LabelledRbm| {
            let log_p = rbm.class_log_probabilities(&data).unwrap();
            labels.iter().enumerate().map(|(r, &y)| log_p[(r, y)]).sum::<f64>() / data.nrows() as f64
        };
        let step = 1e-2f32;
        let numeric = |change: &dyn Fn(LabelledParameters<'_>, f32)| {
            let (mut up, mut down) = (rbm.clone(), rbm.clone());
            change(up.parameters_mut(), step);
            change(down.parameters_mut(), -step);
            (objective(&up) - objective(&down)) / (2.0 * f64::from(step))
        };
        let close = |numeric: f64, analytic: f32| (numeric - f64::from(analytic)).abs() < 1e-3;
        for i in 0..4 {
            for j in 0..3 {
                assert!(close(numeric(&|p, d| p.weights[(i, j)] += d), gradient.weights[(i, j)]), "W_{i}{j}");
            }
            assert!(close(numeric(&|p, d| p.visible_bias[i] += d), gradient.visible_bias[i]), "a_{i}");
        }
        for c in 0..3 {
            for j in 0..3 {
                assert!(
                    close(numeric(&|p, d| p.label_weights[(c, j)] += d), gradient.label_weights[(c, j)]),
                    "U_{c}{j}"
                );
            }
            assert!(close(numeric(&|p, d| p.label_bias[c] += d), gradient.label_bias[c]), "d_{c}");
        }
        for j in 0..3 {
            assert!(close(numeric(&|p, d| p.hidden_bias[j] += d), gradient.hidden_bias[j]), "b_{j}");
        }
    }

    #[test]
    fn every_objective_learns_to_tell_bars_from_stripes() {
        // Train on the clean 4×4 patterns, test on copies with one pixel flipped.
        let (data, labels) = labelled_bars(4);
        let mut rng = seeded(2);
        let rows: Vec<usize> = (0..300).map(|_| rng.random_range(0..data.nrows())).collect();
        let mut noisy = data.select_rows(&rows);
        for r in 0..noisy.nrows() {
            let pixel = rng.random_range(0..16);
            noisy[(r, pixel)] = 1.0 - noisy[(r, pixel)];
        }
        let noisy_labels: Vec<usize> = rows.iter().map(|&r| labels[r]).collect();
        // Each objective from three starting points: one start can land in a
        // poor optimum, so the claims are about the mean.
        for objective in
            [Objective::Generative, Objective::Discriminative, Objective::Hybrid { generative_weight: 0.1 }]
        {
            let (mut accuracy, mut training_accuracy) = (0.0, 0.0);
            for start in 3..6 {
                let mut rbm = LabelledRbm::random(16, 3, 20, 0.3, &mut seeded(start)).unwrap();
                let trainer = LabelledTrainer::new(objective)
                    .negatives(LabelledNegatives::Persistent { steps: 1, chains: 30 })
                    .learning_rate(LearningRate::Constant(0.05))
                    .batch_size(5)
                    .epochs(300)
                    .seed(start + 1);
                let reports = trainer.train(&mut rbm, &data, &labels, &mut []).unwrap();
                let correct =
                    rbm.classify(&noisy).unwrap().iter().zip(&noisy_labels).filter(|(a, b)| a == b).count();
                accuracy += correct as f64 / noisy.nrows() as f64 / 3.0;
                training_accuracy += reports.last().unwrap().metric(TRAINING_ACCURACY).unwrap() / 3.0;
            }
            // Chance is at most 14/30 (always answering "bars").
            assert!(accuracy > 0.8, "{objective:?}: mean accuracy on noisy patterns {accuracy}");
            assert!(training_accuracy > 0.9, "{objective:?}: mean training accuracy {training_accuracy}");
        }
    }

    #[test]
    fn bad_settings_and_divergence_are_reported() {
        let (data, labels) = labelled_bars(2);
        let mut rbm = LabelledRbm::random(4, 3, 3, 1.0, &mut seeded(5)).unwrap();
        let trainer = || LabelledTrainer::new(Objective::Generative).epochs(2);
        assert!(trainer().momentum(1.0).train(&mut rbm, &data, &labels, &mut []).is_err());
        assert!(trainer().batch_size(0).train(&mut rbm, &data, &labels, &mut []).is_err());
        let hybrid = LabelledTrainer::new(Objective::Hybrid { generative_weight: -1.0 });
        assert!(hybrid.train(&mut rbm, &data, &labels, &mut []).is_err());
        assert!(trainer().train(&mut rbm, &data, &labels[1..], &mut []).is_err());
        assert!(trainer().train(&mut rbm, &data, &vec![3; labels.len()], &mut []).is_err());
        assert!(trainer().train(&mut rbm, &(data.clone() * 0.5), &labels, &mut []).is_err());
        let no_chains = trainer().negatives(LabelledNegatives::Persistent { steps: 1, chains: 0 });
        assert!(no_chains.train(&mut rbm, &data, &labels, &mut []).is_err());
        let before = rbm.clone();
        let error =
            trainer().learning_rate(LearningRate::Constant(1e300)).train(&mut rbm, &data, &labels, &mut []);
        assert!(error.unwrap_err().to_string().contains("diverged"));
        assert_eq!(rbm, before, "the diverging first update was not applied");
    }

    #[test]
    fn a_labelled_run_stopped_saved_and_resumed_ends_with_the_same_bytes() {
        let (data, labels) = labelled_bars(3);
        let data = LabelledData::new(data, labels).unwrap();
        for (objective, negatives) in [
            (
                Objective::Hybrid { generative_weight: 0.5 },
                LabelledNegatives::Persistent { steps: 2, chains: 4 },
            ),
            (Objective::Generative, LabelledNegatives::ContrastiveDivergence { steps: 1 }),
        ] {
            let trainer = LabelledTrainer::new(objective)
                .negatives(negatives)
                .learning_rate(LearningRate::Linear { start: 0.1, end: 0.02 })
                .weight_decay(1e-3)
                .batch_size(4)
                .epochs(3)
                .seed(6);
            let start =
                || trainer.fit(LabelledRbm::random(9, 3, 5, 0.3, &mut seeded(2)).unwrap(), &data).unwrap();
            crate::fit::testing::assert_resume_is_exact(start, &data, 9);
        }
    }
}
