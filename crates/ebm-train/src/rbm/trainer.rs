//! The Bernoulli RBM's learner: one minibatch step of gradient ascent with
//! momentum and weight decay, for the [`Fit`] driver.

use super::data::{Batch, BernoulliData, DataTerm};
use super::negatives::{NegativeSampler, Negatives};
use crate::fit::{
    Checkpointed, EpochReport, Examples, Fit, Guard, Learner, Observer, Plan, StepReport, Update,
};
use crate::sgd::{SgdBuilder, SgdSettings, refusal};
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::rbm::ais::base_rate_bias;
use ebm_boltzmann::rbm::{draw_columns, skip_draw};
use ebm_core::{Error, Result};
use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::{PANEL, Panels, sum_four_panel_columns, sum_panel_columns};
use ebm_mcmc::exchange::SwapStats;
use ebm_mcmc::rng::{SamplerRng, seeded};
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The name of the reconstruction-error metric in epoch reports: the mean
/// squared error of the one-step reconstruction P(v | h₀), h₀ drawn from
/// P(h | v), over every entry of the epoch's batches (before each update).
pub const RECONSTRUCTION_ERROR: &str = "reconstruction_error";

/// The name of the metric "exchange acceptance rate between temperatures k
/// and k + 1" in the epoch reports of tempering.
pub fn swap_rate_metric(k: usize) -> String {
    format!("swap_rate_{k}")
}

/// The exchange acceptance rates of an epoch of tempering, coldest pair
/// first (empty for CD and PCD).
pub fn swap_rates(report: &EpochReport) -> Vec<f64> {
    (0..).map_while(|k| report.metric(&swap_rate_metric(k))).collect()
}

impl Examples for BernoulliData {
    fn examples(&self) -> usize {
        BernoulliData::examples(self)
    }

    fn width(&self) -> usize {
        BernoulliData::width(self)
    }
}

/// RBM training by minibatch stochastic gradient ascent on the log-likelihood.
///
/// The learning rate, momentum, weight decay (on W only), batch size, epochs
/// and seed are set through [`SgdBuilder`]. [`RbmTrainer::fit`] starts a
/// [`Fit`] that can be run, stopped, checkpointed and resumed;
/// [`RbmTrainer::train`] runs one from start to end.
#[derive(Clone, Debug, PartialEq)]
pub struct RbmTrainer {
    negatives: Negatives,
    sgd: SgdSettings,
    track_reconstruction: bool,
}

impl SgdBuilder for RbmTrainer {
    fn sgd_mut(&mut self) -> &mut SgdSettings {
        &mut self.sgd
    }
}

/// The state of RBM training between steps: the velocities, the negative
/// phase's chains, and the step's settings.
#[derive(Serialize, Deserialize)]
pub struct RbmLearner {
    negatives: NegativeSampler,
    velocity: Velocity,
    momentum: f64,
    weight_decay: f64,
    track_reconstruction: bool,
    #[serde(skip)]
    workspace: Workspace,
}

/// The parameters' velocities (momentum buffers), W's in the layout of
/// [`BernoulliRbm::transposed_weights`].
#[derive(Serialize, Deserialize)]
struct Velocity {
    weights: Panels,
    visible_bias: DVector<f32>,
    hidden_bias: DVector<f32>,
}

/// Buffers of one update, reused from batch to batch: probabilities, one
/// column per sample (units × batch).
#[derive(Default)]
struct Workspace {
    /// P(h | v) of the data.
    positive: Panels,
    /// P(v | h₀), the one-step reconstruction.
    reconstruction: Panels,
}

/// The data phase of the gradient: the batch and P(h | v) of each of its
/// rows (one column per sample).
#[derive(Clone, Copy)]
struct DataPhase<'a> {
    batch: &'a Batch,
    hidden: &'a Panels,
}

/// The model phase of the gradient: 0/1 visible states (one per row) and
/// P(h | v) of each (one column per sample).
#[derive(Clone, Copy)]
struct ModelPhase<'a> {
    states: &'a BinaryRows,
    hidden: &'a Panels,
}

/// The step sizes of one update: η, μ, λ, and the guard on the new values.
#[derive(Clone, Copy)]
struct Step {
    rate: f32,
    momentum: f32,
    decay: f32,
    guard: Guard,
}

/// The mean over samples (columns) of each row of `columns`: (1/B) Σ_r x_{·r},
/// summed panel by panel in order of r.
fn row_means(columns: &Panels) -> DVector<f32> {
    let samples = columns.cols() as f32;
    let sums: Vec<[f32; PANEL]> = columns
        .panels()
        .map(|panel| {
            panel.chunks_exact(PANEL).fold([0.0; PANEL], |mut sum, column| {
                sum.iter_mut().zip(column).for_each(|(s, &x)| *s += x);
                sum
            })
        })
        .collect();
    DVector::from_iterator(columns.rows(), sums.iter().flatten().take(columns.rows()).map(|&s| s / samples))
}

/// v ← μ v + η g for one block of parameters θ and their gradient g(k, θ_k)
/// of entry k; returns whether the guard admits every θ + v.
fn momentum_step(
    parameters: &[f32],
    velocity: &mut [f32],
    gradient: impl Fn(usize, f32) -> f32,
    step: Step,
) -> bool {
    let mut admitted = true;
    for (k, (&theta, v)) in parameters.iter().zip(velocity.iter_mut()).enumerate() {
        *v = step.momentum * *v + step.rate * gradient(k, theta);
        admitted &= step.guard.admits_f32(theta + *v);
    }
    admitted
}

impl RbmTrainer {
    /// A trainer with the given negative phase, η = 0.1, no momentum, no
    /// weight decay, batches of 10, 10 epochs, seed 0, tracking the
    /// reconstruction error.
    pub fn new(negatives: Negatives) -> Self {
        Self { negatives, sgd: SgdSettings::default(), track_reconstruction: true }
    }

    /// Whether each epoch reports its reconstruction error (the default).
    ///
    /// CD starts its chains at the reconstruction, so there the error costs
    /// only its sum. PCD and tempering need the reconstruction for nothing
    /// else: it costs them a draw of h₀ and the product H₀Wᵀ, about a quarter
    /// of a PCD-1 update at 784 × 500 (the RBM benchmark). Training is the
    /// same either way: the random stream advances as if h₀ had been drawn.
    pub fn track_reconstruction_error(mut self, track: bool) -> Self {
        self.track_reconstruction = track;
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
        *rbm.biases_mut().0 = bias;
        Ok(())
    }

    /// A run of this trainer on `rbm` and `data`, not yet started: the
    /// random stream seeded, persistent chains started at random rows of
    /// `data`, velocities zero. [`Fit::run`] trains it.
    pub fn fit(&self, rbm: BernoulliRbm, data: &BernoulliData) -> Result<Fit<RbmLearner>> {
        self.sgd.check()?;
        check_width(&rbm, data)?;
        let mut rng = seeded(self.sgd.seed);
        let negatives = NegativeSampler::new(self.negatives.clone(), &rbm, data, &mut rng)?;
        let learner = RbmLearner {
            negatives,
            velocity: Velocity {
                weights: Panels::zeros(rbm.hidden(), rbm.visible()),
                visible_bias: DVector::zeros(rbm.visible()),
                hidden_bias: DVector::zeros(rbm.hidden()),
            },
            momentum: self.sgd.momentum,
            weight_decay: self.sgd.weight_decay,
            track_reconstruction: self.track_reconstruction,
            workspace: Workspace::default(),
        };
        Fit::new(learner, rbm, Plan::from_settings(&self.sgd), rng)
    }

    /// Trains `rbm` on the rows of `data` (0/1 states or intensities in [0, 1], see [`BernoulliData`]) from start to end,
    /// calling `observers`, and returns each epoch's report. If training
    /// diverges, the error names the epoch and batch, and `rbm` keeps the
    /// last good parameters.
    ///
    /// For a run to stop and resume, or to continue with more epochs, use
    /// [`RbmTrainer::fit`]. For speed, wrap the call in
    /// [`ebm_kernels::workers::with_workers_awake`], which keeps the pool's
    /// other threads spinning between the short parallel steps of a batch
    /// (and their cores busy while training runs).
    pub fn train(
        &self,
        rbm: &mut BernoulliRbm,
        data: &DMatrix<f32>,
        observers: &mut [&mut dyn Observer<BernoulliRbm>],
    ) -> Result<Vec<EpochReport>> {
        let data = BernoulliData::new(data)?;
        self.fit(rbm.clone(), &data)?.run_into(&data, observers, rbm)
    }
}

/// Refuses data whose width is not the RBM's visible layer.
fn check_width(rbm: &BernoulliRbm, data: &BernoulliData) -> Result<()> {
    if data.width() != rbm.visible() {
        return Err(Error::ShapeMismatch {
            what: "data columns".into(),
            expected: rbm.visible(),
            found: data.width(),
        });
    }
    Ok(())
}

impl Learner for RbmLearner {
    type Model = BernoulliRbm;
    type Data = BernoulliData;

    /// One gradient step on the batch, not taken (leaving `rbm` as it was)
    /// if the guard refuses a new parameter value.
    fn step(
        &mut self,
        rbm: &mut BernoulliRbm,
        data: &BernoulliData,
        indices: &[usize],
        update: Update,
        rng: &mut SamplerRng,
    ) -> Result<StepReport> {
        let batch = data.select(indices);
        let step = Step {
            rate: update.rate as f32,
            momentum: self.momentum as f32,
            decay: self.weight_decay as f32,
            guard: update.guard,
        };
        // One Gibbs step from the data, shared by the reconstruction error and
        // CD: h₀ ~ P(h | v), then P(v | h₀) (CD draws v₁ from it). The positive
        // statistics use the probabilities P(h | v), not the draws.
        let workspace = &mut self.workspace;
        batch.hidden_probabilities(rbm, &mut workspace.positive)?;
        if self.negatives.reads_reconstruction() || self.track_reconstruction {
            let first_hidden = draw_columns(&workspace.positive, rng);
            rbm.map_visible_probabilities(&first_hidden, 1.0, &mut workspace.reconstruction);
        } else {
            skip_draw(rng);
        }
        let squared = self.track_reconstruction.then(|| batch.squared_error(&workspace.reconstruction));
        let (negative_visible, negative_hidden) =
            self.negatives.sample(rbm, &workspace.reconstruction, rng)?;
        let positive = DataPhase { batch: &batch, hidden: &workspace.positive };
        let negative = ModelPhase { states: &negative_visible, hidden: negative_hidden };
        if !apply_gradient(rbm, positive, negative, &mut self.velocity, step)? {
            return Ok(StepReport::refused(self.velocity.refusal(rbm, step.guard)));
        }
        let mut report = StepReport::new();
        if let Some(squared) = squared {
            report = report.tally(RECONSTRUCTION_ERROR, squared, batch.values() as f64);
        }
        for (k, stats) in self.negatives.swaps.iter_mut().enumerate() {
            report = report.tally(swap_rate_metric(k), stats.accepted as f64, stats.attempted as f64);
            *stats = SwapStats::default();
        }
        Ok(report)
    }

    fn check(&self, rbm: &BernoulliRbm, data: &BernoulliData) -> Result<()> {
        check_width(rbm, data)
    }

    fn check_state(&self, rbm: &BernoulliRbm) -> Result<()> {
        let velocity = &self.velocity;
        let shapes = (
            (velocity.weights.rows(), velocity.weights.cols()),
            velocity.visible_bias.len(),
            velocity.hidden_bias.len(),
        );
        if shapes != ((rbm.hidden(), rbm.visible()), rbm.visible(), rbm.hidden()) {
            return Err(Error::invalid("checkpoint", "the velocities do not match the RBM's shape"));
        }
        let finite =
            velocity.weights.as_slice().iter().chain(&velocity.visible_bias).chain(&velocity.hidden_bias);
        if !finite.into_iter().all(|v| v.is_finite()) {
            return Err(Error::invalid("checkpoint", "a velocity is not finite"));
        }
        crate::sgd::check_momentum_and_decay(self.momentum, self.weight_decay)?;
        self.negatives.check_state(rbm)
    }
}

impl Checkpointed for RbmLearner {
    const KIND: &'static str = "checkpoint-rbm";
}

impl Velocity {
    /// Why the guard refused the update θ + v: the first block, in the
    /// order visible biases, hidden biases, weights, with a refused value.
    fn refusal(&self, rbm: &BernoulliRbm, guard: Guard) -> String {
        refusal("a visible bias", rbm.visible_bias().as_slice(), self.visible_bias.as_slice(), guard)
            .or_else(|| {
                refusal("a hidden bias", rbm.hidden_bias().as_slice(), self.hidden_bias.as_slice(), guard)
            })
            .or_else(|| {
                refusal("a weight", rbm.transposed_weights().as_slice(), self.weights.as_slice(), guard)
            })
            .unwrap_or_else(|| "the guard refused the update".into())
    }
}

/// The gradient step with momentum and weight decay (on W only):
/// g_W = Vᵀ P(h|V)/B − Ṽᵀ P(h|Ṽ)/B̃ − λW, g_a = mean(V) − mean(Ṽ),
/// g_b = mean P(h|V) − mean P(h|Ṽ); v ← μ v + η g, θ ← θ + v. Row i of
/// ṼᵀP is the sum of P's columns for the samples with ṽ_i = 1, computed
/// panel by panel beside Wᵀ, and so is VᵀP for 0/1 data ([`DataTerm`]).
/// The velocities are updated first; the parameters only if the guard
/// admits every new value, and then the result is true.
fn apply_gradient(
    rbm: &mut BernoulliRbm,
    data: DataPhase<'_>,
    model: ModelPhase<'_>,
    velocity: &mut Velocity,
    step: Step,
) -> Result<bool> {
    let negative = model.states;
    let (per_positive, per_negative) = (1.0 / data.batch.rows() as f32, 1.0 / negative.rows() as f32);
    // The data statistics, and row i of the negatives' transpose: the samples
    // whose visible unit i is on. The three jobs run side by side: a serial
    // stretch would let rayon's other worker fall asleep, and waking it
    // costs more than they do.
    let (((data_means, data_term), negative_by_unit), hidden_gradient) = rayon::join(
        || rayon::join(|| data.batch.statistics(data.hidden), || negative.transpose()),
        || row_means(data.hidden) - row_means(model.hidden),
    );
    let negative_means = DVector::from_fn(negative_by_unit.rows(), |i, _| {
        negative_by_unit.row(i).len() as f32 / negative.rows() as f32
    });
    let visible_gradient = data_means - negative_means;
    let visible_admitted = momentum_step(
        rbm.visible_bias().as_slice(),
        velocity.visible_bias.as_mut_slice(),
        |i, _| visible_gradient[i],
        step,
    );
    let hidden_admitted = momentum_step(
        rbm.hidden_bias().as_slice(),
        velocity.hidden_bias.as_mut_slice(),
        |j, _| hidden_gradient[j],
        step,
    );
    // Unit i's row of W: v ← μ v + η (data_i/B − model_i/B̃ − λ w).
    let unit_step = |w: &[f32], v: &mut [f32], data: [f32; PANEL], model: [f32; PANEL]| {
        let gradient = |t: usize, w: f32| data[t] * per_positive - model[t] * per_negative - step.decay * w;
        momentum_step(w, v, gradient, step)
    };
    let weights_admitted = rbm
        .transposed_weights()
        .panels()
        .zip(velocity.weights.panels_mut())
        .zip(data_term.panels(data.hidden).zip(model.hidden.panels()))
        .map(|((w, v), (p, q))| {
            // Two units at a time, so that four sums run side by side.
            let (mut w_pairs, mut v_pairs) = (w.chunks_exact(2 * PANEL), v.chunks_exact_mut(2 * PANEL));
            let pairs_admitted =
                w_pairs.by_ref().zip(v_pairs.by_ref()).enumerate().fold(true, |admitted, (pair, (w, v))| {
                    let (i, j) = (2 * pair, 2 * pair + 1);
                    let [data_i, model_i, data_j, model_j] = match &data_term {
                        DataTerm::Ones(by_unit) => sum_four_panel_columns([
                            (p, by_unit.row(i)),
                            (q, negative_by_unit.row(i)),
                            (p, by_unit.row(j)),
                            (q, negative_by_unit.row(j)),
                        ]),
                        DataTerm::Product(_) => [
                            data_term.unit_sum(p, i),
                            sum_panel_columns(q, negative_by_unit.row(i)),
                            data_term.unit_sum(p, j),
                            sum_panel_columns(q, negative_by_unit.row(j)),
                        ],
                    };
                    let ((w_i, w_j), (v_i, v_j)) = (w.split_at(PANEL), v.split_at_mut(PANEL));
                    unit_step(w_i, v_i, data_i, model_i) & unit_step(w_j, v_j, data_j, model_j) & admitted
                });
            let (w_last, v_last) = (w_pairs.remainder(), v_pairs.into_remainder());
            let last_admitted = w_last.is_empty() || {
                let i = negative_by_unit.rows() - 1;
                let (data, model) = (data_term.unit_sum(p, i), sum_panel_columns(q, negative_by_unit.row(i)));
                unit_step(w_last, v_last, data, model)
            };
            pairs_admitted & last_admitted
        })
        .collect::<Vec<bool>>()
        .into_iter()
        .all(|admitted| admitted);
    let accepted = visible_admitted && hidden_admitted && weights_admitted;
    if accepted {
        rbm.add_to_weights(&velocity.weights)?;
        let (a, b) = rbm.biases_mut();
        *a += &velocity.visible_bias;
        *b += &velocity.hidden_bias;
    }
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::testing::assert_resume_is_exact;
    use crate::rbm::exact::exact_average_log_likelihood;
    use crate::schedule::LearningRate;
    use ebm_core::Domain;
    use rand::RngExt;

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
            .train(&mut rbm, &data, &mut [])
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
    fn training_gives_the_same_parameters_on_one_thread_and_on_two() {
        // Layers of 40 and 37 units leave partial panels, batches of 16 a short last batch.
        let mut rng = seeded(9);
        let data = DMatrix::from_fn(70, 40, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.3)));
        for negatives in [
            Negatives::ContrastiveDivergence { steps: 2 },
            Negatives::Persistent { steps: 1, chains: 12 },
            Negatives::Tempering { steps: 1, chains: 6, temperatures: vec![1.0, 2.0] },
        ] {
            let train = |threads: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| {
                    let mut rbm = BernoulliRbm::random(40, 37, 0.1, &mut seeded(2)).unwrap();
                    let reports = RbmTrainer::new(negatives.clone())
                        .momentum(0.5)
                        .weight_decay(1e-3)
                        .batch_size(16)
                        .epochs(3)
                        .seed(4)
                        .train(&mut rbm, &data, &mut [])
                        .unwrap();
                    let errors: Vec<Option<f64>> =
                        reports.iter().map(|r| r.metric(RECONSTRUCTION_ERROR)).collect();
                    (rbm, errors)
                })
            };
            let (one, two) = (train(1), train(2));
            assert_eq!(one, two, "{negatives:?}");
            assert_ne!(one.0, BernoulliRbm::random(40, 37, 0.1, &mut seeded(2)).unwrap());
        }
    }

    #[test]
    fn tracking_the_reconstruction_error_does_not_change_training() {
        let data = bars_and_stripes();
        for negatives in [
            Negatives::ContrastiveDivergence { steps: 1 },
            Negatives::Persistent { steps: 2, chains: 5 },
            Negatives::Tempering { steps: 1, chains: 4, temperatures: vec![1.0, 2.0] },
        ] {
            let train = |track: bool| {
                let mut rbm = BernoulliRbm::random(9, 6, 0.1, &mut seeded(3)).unwrap();
                let trainer = RbmTrainer::new(negatives.clone()).track_reconstruction_error(track);
                let reports =
                    trainer.batch_size(4).epochs(3).seed(8).train(&mut rbm, &data, &mut []).unwrap();
                (rbm, reports.iter().map(|r| r.metric(RECONSTRUCTION_ERROR)).collect::<Vec<_>>())
            };
            let ((tracked, errors), (untracked, none)) = (train(true), train(false));
            assert_eq!(tracked, untracked, "{negatives:?}");
            assert!(errors.iter().all(|e| e.is_some_and(|e| e > 0.0 && e < 1.0)), "{errors:?}");
            assert!(none.iter().all(Option::is_none));
        }
    }

    /// One update from data rows `v` (0/1 or intensities) and 0/1 negatives
    /// ṽ, checked against the gradient written with dense f64 products.
    fn assert_step_follows_the_stated_gradient(v: DMatrix<f32>, rng: &mut SamplerRng) {
        let (rows, visible, hidden) = (v.nrows(), v.ncols(), 21);
        let v_tilde = DMatrix::from_fn(6, visible, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.4)));
        let batch = BernoulliData::new(&v).unwrap().select(&(0..rows).collect::<Vec<_>>());
        let negative = BinaryRows::from_matrix(&v_tilde).unwrap();
        let mut rbm = BernoulliRbm::random(visible, hidden, 0.5, rng).unwrap();
        let before = rbm.clone();
        let (mut positive_hidden, mut negative_hidden) = (Panels::default(), Panels::default());
        batch.hidden_probabilities(&rbm, &mut positive_hidden).unwrap();
        rbm.map_hidden_probabilities(&negative, 1.0, &mut negative_hidden);
        let (mut p, mut q) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
        positive_hidden.write_transpose_to(&mut p);
        negative_hidden.write_transpose_to(&mut q);
        let (p, q) = (p.map(f64::from), q.map(f64::from));
        // P(h | v) itself: σ(vW + b) in f64.
        let inputs = v.map(f64::from) * before.weights().map(f64::from);
        let exact = DMatrix::from_fn(rows, hidden, |r, j| {
            1.0 / (1.0 + (-(inputs[(r, j)] + f64::from(before.hidden_bias()[j]))).exp())
        });
        assert!((&p - &exact).amax() < 1e-5, "P(h | v) is off by {}", (&p - &exact).amax());
        let mut velocity = Velocity {
            weights: Panels::zeros(hidden, visible),
            visible_bias: DVector::zeros(visible),
            hidden_bias: DVector::zeros(hidden),
        };
        let step = Step { rate: 0.3, momentum: 0.0, decay: 0.01, guard: Guard::default() };
        let data = DataPhase { batch: &batch, hidden: &positive_hidden };
        let model = ModelPhase { states: &negative, hidden: &negative_hidden };
        assert!(apply_gradient(&mut rbm, data, model, &mut velocity, step).unwrap());
        let (v, v_tilde) = (v.map(f64::from), v_tilde.map(f64::from));
        let w = before.weights().map(f64::from);
        let mean = |m: &DMatrix<f64>| m.row_mean().transpose();
        let expected_weights =
            &w + (v.transpose() * &p / rows as f64 - v_tilde.transpose() * &q / 6.0 - &w * 0.01) * 0.3;
        let expected_visible = before.visible_bias().map(f64::from) + (mean(&v) - mean(&v_tilde)) * 0.3;
        let expected_hidden = before.hidden_bias().map(f64::from) + (mean(&p) - mean(&q)) * 0.3;
        let close = |a: &[f32], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(&a, &b)| (f64::from(a) - b).abs() < 1e-5)
        };
        assert!(close(rbm.weights().as_slice(), expected_weights.as_slice()));
        assert!(close(rbm.visible_bias().as_slice(), expected_visible.as_slice()));
        assert!(close(rbm.hidden_bias().as_slice(), expected_hidden.as_slice()));
    }

    #[test]
    fn one_step_moves_the_parameters_along_the_stated_gradient() {
        // 37 visible units (odd: one unit left after the pairs), 21 hidden (two
        // panels), batches of 9 data and 6 negative samples.
        let mut rng = seeded(5);
        let bits = DMatrix::from_fn(9, 37, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.4)));
        assert_step_follows_the_stated_gradient(bits, &mut rng);
    }

    #[test]
    fn intensities_enter_the_gradient_with_their_values() {
        // Grey levels, with some exact 0s and 1s among them.
        let mut rng = seeded(7);
        let grey = DMatrix::from_fn(9, 37, |_, _| match rng.random_range(0..4) {
            0 => 0.0,
            1 => 1.0,
            _ => rng.random::<f32>(),
        });
        assert!(BernoulliData::new(&grey).unwrap().is_intensities());
        assert_step_follows_the_stated_gradient(grey, &mut rng);
    }

    #[test]
    fn divergence_is_caught_and_the_last_good_parameters_kept() {
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::random(9, 8, 1.0, &mut seeded(1)).unwrap();
        let original = rbm.clone();
        // η = 10³⁰⁰ is infinite in f32: the first step already fails and changes nothing.
        let trainer = RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 })
            .learning_rate(LearningRate::Constant(1e300))
            .epochs(5);
        let error = trainer.train(&mut rbm, &data, &mut []).unwrap_err().to_string();
        assert!(error.contains("diverged") && error.contains("batch 0 of epoch 0"), "{error}");
        assert_eq!(rbm, original);
        // With ηλ = 1000, decay multiplies W by about −999 a step: after a dozen
        // steps W overflows, and the last finite parameters remain.
        let trainer = trainer.learning_rate(LearningRate::Constant(1.0)).weight_decay(1000.0).epochs(20);
        assert!(trainer.train(&mut rbm, &data, &mut []).is_err());
        assert!(rbm.weights().iter().chain(rbm.visible_bias().iter()).all(|w| w.is_finite()));
        assert_ne!(rbm, original);
    }

    #[test]
    fn a_run_stopped_saved_and_resumed_ends_with_the_same_bytes() {
        // 14 patterns in batches of 4: 4 batches an epoch; stop mid-epoch 1.
        let data = BernoulliData::new(&bars_and_stripes()).unwrap();
        for negatives in [
            Negatives::ContrastiveDivergence { steps: 2 },
            Negatives::Persistent { steps: 1, chains: 5 },
            Negatives::Tempering { steps: 1, chains: 3, temperatures: vec![1.0, 1.7, 3.0] },
        ] {
            let trainer = RbmTrainer::new(negatives.clone())
                .learning_rate(LearningRate::Linear { start: 0.2, end: 0.05 })
                .momentum(0.6)
                .weight_decay(1e-3)
                .batch_size(4)
                .epochs(4)
                .seed(5);
            let start =
                || trainer.fit(BernoulliRbm::random(9, 6, 0.1, &mut seeded(8)).unwrap(), &data).unwrap();
            assert_resume_is_exact(start, &data, 6);
        }
    }

    #[test]
    fn a_checkpoint_whose_velocities_do_not_fit_or_data_of_another_width_is_refused() {
        let data = BernoulliData::new(&bars_and_stripes()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rbm.ckpt");
        let trainer = RbmTrainer::new(Negatives::Persistent { steps: 1, chains: 5 }).batch_size(4).epochs(1);
        let mut fit = trainer.fit(BernoulliRbm::zeros(9, 6), &data).unwrap();
        fit.run(&data, &mut []).unwrap();
        fit.learner.negatives.check_state(fit.model()).unwrap();
        let mut chains = fit.learner.velocity.weights.clone();
        chains.reshape(6, 4);
        std::mem::swap(&mut fit.learner.velocity.weights, &mut chains);
        fit.save(&path).unwrap();
        let error = Fit::<RbmLearner>::load(&path).err().unwrap().to_string();
        assert!(error.contains("velocities"), "{error}");
        // Data of another width cannot resume the run.
        let mut fit = trainer.fit(BernoulliRbm::zeros(9, 6), &data).unwrap();
        let narrow = BernoulliData::new(&DMatrix::zeros(14, 8)).unwrap();
        assert!(fit.run(&narrow, &mut []).unwrap_err().to_string().contains("data columns"));
    }

    #[test]
    fn a_huge_learning_rate_is_a_divergence_error_and_the_model_is_kept() {
        // η = 10³⁰ is finite in f32, and so are the weights it makes: only
        // the bound on |θ| sees the blow-up.
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::random(9, 8, 0.1, &mut seeded(1)).unwrap();
        let original = rbm.clone();
        let trainer = RbmTrainer::new(Negatives::Persistent { steps: 1, chains: 4 })
            .learning_rate(LearningRate::Constant(1e30))
            .epochs(3);
        let error = trainer.train(&mut rbm, &data, &mut []).unwrap_err();
        assert!(matches!(error, Error::Diverged { epoch: 0, batch: 0, .. }), "{error}");
        assert!(error.to_string().contains("beyond the divergence bound"), "{error}");
        assert_eq!(rbm, original);
    }

    #[test]
    fn bad_settings_and_data_are_refused() {
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::zeros(9, 4);
        let cd = || RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 });
        assert!(cd().momentum(1.0).train(&mut rbm, &data, &mut []).is_err());
        assert!(cd().batch_size(0).train(&mut rbm, &data, &mut []).is_err());
        assert!(cd().learning_rate(LearningRate::Constant(-1.0)).train(&mut rbm, &data, &mut []).is_err());
        assert!(cd().train(&mut BernoulliRbm::zeros(8, 4), &data, &mut []).is_err());
        let mut outside = data.clone();
        outside[(3, 4)] = 1.5;
        let message = cd().train(&mut rbm, &outside, &mut []).unwrap_err().to_string();
        assert!(message.contains("row 3, column 4 is 1.5"), "{message}");
        outside[(3, 4)] = f32::NAN;
        assert!(cd().train(&mut rbm, &outside, &mut []).is_err());
        assert!(cd().train(&mut rbm, &(data.clone() * 0.5), &mut []).is_ok());
        let bad_ladder = Negatives::Tempering { steps: 1, chains: 2, temperatures: vec![2.0, 3.0] };
        assert!(RbmTrainer::new(bad_ladder).train(&mut rbm, &data, &mut []).is_err());
        assert!(
            RbmTrainer::new(Negatives::Persistent { steps: 0, chains: 2 })
                .train(&mut rbm, &data, &mut [])
                .is_err()
        );
    }

    #[test]
    fn tempering_reports_one_swap_rate_per_pair_and_bad_ladders_are_refused() {
        let data = bars_and_stripes();
        let mut rbm = BernoulliRbm::random(9, 4, 0.1, &mut seeded(2)).unwrap();
        let tempering = Negatives::Tempering { steps: 1, chains: 4, temperatures: vec![1.0, 1.5, 2.5] };
        let reports =
            RbmTrainer::new(tempering).batch_size(7).epochs(1).train(&mut rbm, &data, &mut []).unwrap();
        // Three temperatures, two pairs; each rate accepted / attempted.
        let rates = swap_rates(&reports[0]);
        assert_eq!(rates.len(), 2, "{rates:?}");
        assert!(rates.iter().all(|r| (0.0..=1.0).contains(r)), "{rates:?}");
        assert_eq!(Some(rates[1]), reports[0].metric("swap_rate_1"));
        // Temperatures must start at 1 and strictly increase, all finite.
        for temperatures in [vec![1.0, 1.0, 2.0], vec![1.0, f64::INFINITY], vec![1.0]] {
            let bad = Negatives::Tempering { steps: 1, chains: 2, temperatures: temperatures.clone() };
            assert!(RbmTrainer::new(bad).train(&mut rbm, &data, &mut []).is_err(), "{temperatures:?}");
        }
    }
}
