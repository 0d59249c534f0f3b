//! Greedy layer-wise pretraining of a DBM (Salakhutdinov and Hinton, 2009).
//!
//! Each pair of neighbouring layers (x_{l−1}, x_l) is trained as an RBM on
//! the layer below's bottom-up probabilities, and the RBMs' weights become
//! the DBM's. In the DBM a middle layer hears from both neighbours, while in
//! its RBM it heard from one; the weight-doubling correction trains each RBM
//! so that the one input it sees stands in for two:
//!
//! - the bottom RBM (l = 1) doubles its bottom-up input:
//!   P(x₁ | v) = σ(2 vW₁ + c), P(v | x₁) = σ(W₁x₁ + b);
//! - the top RBM (l = L) doubles its top-down input:
//!   P(x_L | x_{L−1}) = σ(x_{L−1}W_L + c), P(x_{L−1} | x_L) = σ(2 W_L x_L + b);
//! - RBMs in between double both directions;
//!
//! with a single hidden layer (L = 1) nothing is doubled. The DBM takes W_l
//! as trained; a middle layer's bias is the mean of the biases its two RBMs
//! learned for it. Each RBM is trained by CD-1 with momentum on the
//! probabilities of the layer below, themselves computed with the doubled
//! bottom-up input — the same pass that starts mean-field inference.

use crate::rbm::reference::{CdGradient, ScaledRbm};
use crate::schedule::LearningRate;
use crate::sgd::SgdSettings;
use ebm_boltzmann::DeepBoltzmannMachine;
use ebm_core::{Error, Result};
use ebm_data::batches::Minibatches;
use ebm_mcmc::rng::seeded;
use nalgebra::{DMatrix, DVector};
use rand::Rng;

/// Settings of [`pretrain`], shared by every layer's RBM.
#[derive(Clone, Debug, PartialEq)]
pub struct Pretraining {
    /// Epochs per RBM.
    pub epochs: usize,
    /// The learning-rate schedule of each RBM.
    pub learning_rate: LearningRate,
    /// Momentum μ ∈ [0, 1).
    pub momentum: f64,
    /// Minibatch size.
    pub batch_size: usize,
    /// Standard deviation of the initial weights.
    pub initial_std: f32,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Default for Pretraining {
    /// 100 epochs, η = 0.05, momentum 0.5, batches of 10, initial weights N(0, 0.01²), seed 0.
    fn default() -> Self {
        Self {
            epochs: 100,
            learning_rate: LearningRate::Constant(0.05),
            momentum: 0.5,
            batch_size: 10,
            initial_std: 0.01,
            seed: 0,
        }
    }
}

/// One CD-1 step with momentum on a batch of lower-layer rows
/// (probabilities allowed): u ← μu + ηg, θ ← θ + u, with g the reference
/// CD-1 estimate.
fn cd_update(
    rbm: &mut ScaledRbm,
    batch: &DMatrix<f32>,
    eta: f32,
    mu: f32,
    velocity: &mut CdGradient,
    rng: &mut impl Rng,
) {
    let gradient = rbm.cd1_gradient(batch, rng);
    velocity.weights.zip_apply(&gradient.weights, |v, g| *v = mu * *v + eta * g);
    velocity.visible_bias.axpy(eta, &gradient.visible_bias, mu);
    velocity.hidden_bias.axpy(eta, &gradient.hidden_bias, mu);
    rbm.weights += &velocity.weights;
    rbm.visible_bias += &velocity.visible_bias;
    rbm.hidden_bias += &velocity.hidden_bias;
}

/// A DBM with layer sizes `sizes` (visible first, at least one hidden layer)
/// pretrained greedily on the rows of `data` (0/1 states or intensities in [0, 1]).
pub fn pretrain(
    sizes: &[usize],
    data: &DMatrix<f32>,
    settings: &Pretraining,
) -> Result<DeepBoltzmannMachine> {
    SgdSettings {
        learning_rate: settings.learning_rate,
        momentum: settings.momentum,
        weight_decay: 0.0,
        batch_size: settings.batch_size,
        epochs: settings.epochs,
        seed: settings.seed,
    }
    .check()?;
    if sizes.first() != Some(&data.ncols()) {
        return Err(Error::shape(
            "data columns (visible units)",
            sizes.first().copied().unwrap_or(0),
            data.ncols(),
        ));
    }
    if data.nrows() == 0 {
        return Err(Error::invalid("training data", "no examples"));
    }
    crate::rbm::check_unit_interval(data)?;
    // Validates the sizes and gives the random initial weights.
    let mut rng = seeded(settings.seed);
    let mut dbm = DeepBoltzmannMachine::random(sizes, settings.initial_std, &mut rng)?;
    let top = sizes.len() - 1;
    let mut input = data.clone();
    let mut rbms = Vec::with_capacity(top);
    for l in 1..=top {
        let mut rbm = ScaledRbm {
            weights: dbm.weights(l).clone(),
            visible_bias: DVector::zeros(sizes[l - 1]),
            hidden_bias: DVector::zeros(sizes[l]),
            up: if l < top { 2.0 } else { 1.0 },
            down: if l > 1 { 2.0 } else { 1.0 },
        };
        let mut velocity = CdGradient {
            weights: DMatrix::zeros(sizes[l - 1], sizes[l]),
            visible_bias: DVector::zeros(sizes[l - 1]),
            hidden_bias: DVector::zeros(sizes[l]),
        };
        for epoch in 0..settings.epochs {
            let eta = settings.learning_rate.at(epoch, settings.epochs) as f32;
            for indices in Minibatches::new(input.nrows(), settings.batch_size, &mut rng)? {
                let batch = input.select_rows(&indices);
                cd_update(&mut rbm, &batch, eta, settings.momentum as f32, &mut velocity, &mut rng);
            }
        }
        ebm_core::error::check_finite(&format!("pretrained W_{l}"), rbm.weights.as_slice())?;
        input = rbm.hidden_probabilities(&input);
        rbms.push(rbm);
    }
    let weights = rbms.iter().map(|r| r.weights.clone()).collect();
    let biases = (0..=top)
        .map(|l| match (l.checked_sub(1).map(|k| &rbms[k]), rbms.get(l)) {
            (None, Some(above)) => above.visible_bias.clone(),
            (Some(below), None) => below.hidden_bias.clone(),
            (Some(below), Some(above)) => (&below.hidden_bias + &above.visible_bias) * 0.5,
            (None, None) => unreachable!("a DBM has at least two layers"),
        })
        .collect();
    dbm = DeepBoltzmannMachine::new(weights, biases)?;
    Ok(dbm)
}
