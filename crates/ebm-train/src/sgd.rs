//! The settings that every minibatch-SGD trainer shares, validated in one
//! place, and the builder methods that set them.
//!
//! [`RbmTrainer`](crate::rbm::RbmTrainer),
//! [`LabelledTrainer`](crate::rbm::labelled::LabelledTrainer),
//! [`GaussianTrainer`](crate::rbm::gaussian::GaussianTrainer),
//! [`DbmTrainer`](crate::dbm::DbmTrainer) and
//! [`MachineTrainer`](crate::boltzmann::MachineTrainer) each hold an
//! [`SgdSettings`] and implement [`SgdBuilder`], so their learning rate,
//! momentum, weight decay, batch size, epochs and seed are set the same way:
//!
//! ```
//! use ebm_train::rbm::{LearningRate, Negatives, RbmTrainer};
//! use ebm_train::SgdBuilder;
//!
//! let trainer = RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 })
//!     .learning_rate(LearningRate::Constant(0.05))
//!     .momentum(0.5)
//!     .weight_decay(1e-4)
//!     .batch_size(20)
//!     .epochs(5)
//!     .seed(7);
//! let data = ebm_data::bars_stripes::all(2, ebm_core::Domain::Bit)?.to_matrix();
//! let mut rbm = ebm_boltzmann::BernoulliRbm::zeros(4, 3);
//! assert_eq!(trainer.train(&mut rbm, &data, &mut [])?.len(), 5);
//!
//! // Every trainer validates its settings with one check when it trains.
//! use ebm_train::SgdSettings;
//! let settings = SgdSettings { momentum: 1.0, ..SgdSettings::default() };
//! assert!(settings.check().unwrap_err().to_string().contains("momentum"));
//! # Ok::<(), ebm_core::Error>(())
//! ```

use crate::fit::Guard;
use crate::schedule::LearningRate;
use ebm_core::{Error, Result};

/// The settings of minibatch stochastic gradient ascent with momentum and
/// L2 weight decay.
///
/// Each epoch shuffles the data into minibatches of
/// [`batch_size`](Self::batch_size) (seeded by [`seed`](Self::seed)); for each
/// batch the trainer estimates the gradient g of its objective and updates
/// every parameter θ with its velocity u (zero at the start):
///
/// ```text
/// g ← g − λW        (weight decay, on the weights only, never the biases)
/// u ← μu + ηg       (momentum)
/// θ ← θ + u
/// ```
///
/// with η = [`learning_rate`](Self::learning_rate) in the current epoch,
/// μ = [`momentum`](Self::momentum) and λ = [`weight_decay`](Self::weight_decay).
/// [`check`](Self::check) validates all of them.
#[derive(Clone, Debug, PartialEq)]
pub struct SgdSettings {
    /// The learning-rate schedule η(e) over the epochs; every rate finite,
    /// the first positive and none negative.
    pub learning_rate: LearningRate,
    /// The momentum μ ∈ [0, 1) of u ← μu + ηg (0: plain SGD).
    pub momentum: f64,
    /// The L2 weight decay λ ≥ 0 (finite) of g ← g − λW, on the weights only.
    pub weight_decay: f64,
    /// Examples per minibatch, ≥ 1; [`SgdSettings::FULL_BATCH`] (or any size
    /// at least the number of examples) makes one batch of all the data.
    pub batch_size: usize,
    /// Passes over the data (0 trains nothing).
    pub epochs: usize,
    /// The seed of every random draw (batches, chains, samples): the same
    /// seed gives the same result.
    pub seed: u64,
}

impl Default for SgdSettings {
    /// η = 0.1, no momentum, no weight decay, batches of 10, 10 epochs, seed 0.
    fn default() -> Self {
        Self {
            learning_rate: LearningRate::Constant(0.1),
            momentum: 0.0,
            weight_decay: 0.0,
            batch_size: 10,
            epochs: 10,
            seed: 0,
        }
    }
}

impl SgdSettings {
    /// A batch size no data set reaches: one batch of all the data, i.e.
    /// full-batch gradient ascent.
    pub const FULL_BATCH: usize = usize::MAX;

    /// η in epoch `epoch` (from 0) of [`epochs`](Self::epochs).
    pub fn rate(&self, epoch: usize) -> f64 {
        self.learning_rate.at(epoch, self.epochs)
    }

    /// Checks every setting: the learning rates finite, the first positive
    /// and none negative; μ ∈ [0, 1); λ finite and ≥ 0; batch size ≥ 1. The
    /// error names the first setting that is wrong and its value.
    pub fn check(&self) -> Result<()> {
        self.learning_rate.check()?;
        check_momentum_and_decay(self.momentum, self.weight_decay)?;
        if self.batch_size == 0 {
            return Err(Error::invalid("batch size", "0 must be at least 1"));
        }
        Ok(())
    }
}

/// Checks μ ∈ [0, 1) and λ finite and ≥ 0: what a learner keeps of its
/// [`SgdSettings`] (and checks again when read back from a checkpoint).
pub(crate) fn check_momentum_and_decay(momentum: f64, weight_decay: f64) -> Result<()> {
    if !(0.0..1.0).contains(&momentum) {
        return Err(Error::invalid("momentum μ", format!("{momentum} must lie in [0, 1) (u ← μu + ηg)")));
    }
    if !(weight_decay.is_finite() && weight_decay >= 0.0) {
        return Err(Error::invalid(
            "weight decay λ",
            format!("{weight_decay} must be finite and ≥ 0 (g ← g − λW)"),
        ));
    }
    Ok(())
}

/// The builder methods of the [`SgdSettings`] a trainer holds, written once:
/// a trainer implements [`sgd_mut`](Self::sgd_mut) and gets the setters.
///
/// Bring the trait into scope to call them: `use ebm_train::SgdBuilder;`.
/// The setters only record values; the trainer checks them (with
/// [`SgdSettings::check`]) when it trains.
pub trait SgdBuilder: Sized {
    /// The settings, to change.
    fn sgd_mut(&mut self) -> &mut SgdSettings;

    /// Replaces all the settings at once.
    fn sgd_settings(mut self, settings: SgdSettings) -> Self {
        *self.sgd_mut() = settings;
        self
    }

    /// Sets the learning-rate schedule η(e).
    fn learning_rate(mut self, rate: LearningRate) -> Self {
        self.sgd_mut().learning_rate = rate;
        self
    }

    /// Sets the momentum μ ∈ [0, 1): u ← μu + ηg, θ ← θ + u.
    fn momentum(mut self, momentum: f64) -> Self {
        self.sgd_mut().momentum = momentum;
        self
    }

    /// Sets the L2 weight decay λ ≥ 0 on the weights (never the biases):
    /// g ← g − λW.
    fn weight_decay(mut self, decay: f64) -> Self {
        self.sgd_mut().weight_decay = decay;
        self
    }

    /// Sets the minibatch size (≥ 1; [`SgdSettings::FULL_BATCH`] for one
    /// batch of all the data).
    fn batch_size(mut self, size: usize) -> Self {
        self.sgd_mut().batch_size = size;
        self
    }

    /// Sets the number of epochs (passes over the data).
    fn epochs(mut self, epochs: usize) -> Self {
        self.sgd_mut().epochs = epochs;
        self
    }

    /// Sets the seed of every random draw.
    fn seed(mut self, seed: u64) -> Self {
        self.sgd_mut().seed = seed;
        self
    }
}

/// A velocity entry: f32 for models whose updates are computed in single
/// precision, f64 where the gradient is summed in double.
pub(crate) trait Velocity: Copy {
    /// μu + ηg.
    fn advance(self, momentum: f64, rate: f64, gradient: Self) -> Self;
    /// The velocity as added to an f32 parameter.
    fn to_f32(self) -> f32;
    /// The velocity as added to an f64 parameter.
    fn to_f64(self) -> f64;
}

impl Velocity for f32 {
    fn advance(self, momentum: f64, rate: f64, gradient: f32) -> f32 {
        momentum as f32 * self + rate as f32 * gradient
    }

    fn to_f32(self) -> f32 {
        self
    }

    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Velocity for f64 {
    fn advance(self, momentum: f64, rate: f64, gradient: f64) -> f64 {
        momentum * self + rate * gradient
    }

    fn to_f32(self) -> f32 {
        self as f32
    }

    fn to_f64(self) -> f64 {
        self
    }
}

/// A parameter entry: f32 where the model's own storage is updated, f64
/// where a learner keeps the parameters in double precision between steps.
pub(crate) trait Parameter: Copy {
    /// θ + u, in the parameter's precision.
    fn moved<V: Velocity>(self, velocity: V) -> Self;
    /// Whether `guard` admits the value.
    fn admitted(self, guard: Guard) -> bool;
    /// The value, for a refusal's message.
    fn to_f64(self) -> f64;
}

impl Parameter for f32 {
    fn moved<V: Velocity>(self, velocity: V) -> f32 {
        self + velocity.to_f32()
    }

    fn admitted(self, guard: Guard) -> bool {
        guard.admits_f32(self)
    }

    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Parameter for f64 {
    fn moved<V: Velocity>(self, velocity: V) -> f64 {
        self + velocity.to_f64()
    }

    fn admitted(self, guard: Guard) -> bool {
        guard.admits(self)
    }

    fn to_f64(self) -> f64 {
        self
    }
}

/// One block of parameters in a momentum step: its name (for a refusal),
/// its values θ (f32 unless said otherwise), their velocity u and gradient
/// g, and the block's rate η.
pub(crate) struct Block<'a, V, T = f32> {
    pub name: &'static str,
    pub values: &'a mut [T],
    pub velocity: &'a mut [V],
    pub gradient: &'a [V],
    pub rate: f64,
}

/// Why `guard` refuses the update θ + u of the block `name`: its first new
/// value that is not admitted, if any.
pub(crate) fn refusal<V: Velocity, T: Parameter>(
    name: &str,
    values: &[T],
    velocity: &[V],
    guard: Guard,
) -> Option<String> {
    let new_values = values.iter().zip(velocity).map(|(&theta, &u)| theta.moved(u));
    new_values
        .into_iter()
        .find(|&value| !value.admitted(guard))
        .map(|value| guard.refusal(name, value.to_f64()))
}

/// The momentum step u ← μu + ηg, θ ← θ + u over every block, applied whole
/// or not at all: the velocities move first; if `guard` admits every new
/// value θ + u the values move and the result is `None`, otherwise they stay
/// as they were and the result says which value was refused.
pub(crate) fn momentum_step<V: Velocity, T: Parameter>(
    blocks: &mut [Block<'_, V, T>],
    momentum: f64,
    guard: Guard,
) -> Option<String> {
    for block in blocks.iter_mut() {
        for (u, &g) in block.velocity.iter_mut().zip(block.gradient) {
            *u = u.advance(momentum, block.rate, g);
        }
    }
    for block in blocks.iter() {
        if let Some(reason) = refusal(block.name, block.values, block.velocity, guard) {
            return Some(reason);
        }
    }
    for block in blocks.iter_mut() {
        block.values.iter_mut().zip(block.velocity.iter()).for_each(|(theta, &u)| *theta = theta.moved(u));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_momentum_step_moves_every_block_or_none() {
        let (mut w, mut b) = (vec![1.0f32, -2.0], vec![0.5f32]);
        let (mut u, mut v) = (vec![0.1, 0.0], vec![0.0]);
        let step = |w: &mut Vec<f32>, u: &mut Vec<f64>, b: &mut Vec<f32>, v: &mut Vec<f64>, g: f64| {
            let mut blocks = [
                Block { name: "W", values: w, velocity: u, gradient: &[g, -g], rate: 0.5 },
                Block { name: "b", values: b, velocity: v, gradient: &[g], rate: 0.1 },
            ];
            momentum_step(&mut blocks, 0.9, Guard::new(10.0).unwrap())
        };
        assert_eq!(step(&mut w, &mut u, &mut b, &mut v, 1.0), None);
        // u = 0.9 u + η g: W (0.59, −0.5), b 0.1.
        let expected = (vec![1.0 + (0.9 * 0.1 + 0.5) as f32, -2.5], vec![0.6f32]);
        assert_eq!((w.clone(), b.clone()), expected);
        // A gradient that takes W past the bound moves nothing, and says which value.
        let refusal = step(&mut w, &mut u, &mut b, &mut v, 100.0).unwrap();
        assert!(refusal.starts_with("W would become 5"), "{refusal}");
        assert_eq!((w, b), expected);
    }

    #[test]
    fn a_momentum_step_on_double_precision_values_keeps_their_precision() {
        let (mut theta, mut u) = (vec![1.0f64], vec![0.0f64]);
        let mut step = |g: f64| {
            let mut blocks =
                [Block { name: "θ", values: &mut theta, velocity: &mut u, gradient: &[g], rate: 1.0 }];
            momentum_step(&mut blocks, 0.5, Guard::default())
        };
        assert_eq!(step(1e-9), None);
        // 1 + 10⁻⁹ is 1 in f32.
        assert_eq!(step(2e-9), None);
        let refusal = step(1e7).unwrap();
        assert!(refusal.starts_with("θ would become 1"), "{refusal}");
        assert_eq!(theta, vec![1.0 + 1e-9 + (0.5e-9 + 2e-9)]);
    }

    #[test]
    fn the_defaults_pass_and_each_bad_setting_is_named() {
        assert!(SgdSettings::default().check().is_ok());
        assert!(
            SgdSettings { batch_size: SgdSettings::FULL_BATCH, epochs: 0, ..Default::default() }
                .check()
                .is_ok()
        );
        let cases = [
            (
                SgdSettings { learning_rate: LearningRate::Constant(-1.0), ..Default::default() },
                "learning rate",
            ),
            (
                SgdSettings { learning_rate: LearningRate::Constant(f64::NAN), ..Default::default() },
                "learning rate",
            ),
            (SgdSettings { momentum: 1.0, ..Default::default() }, "momentum"),
            (SgdSettings { momentum: -0.1, ..Default::default() }, "momentum"),
            (SgdSettings { momentum: f64::NAN, ..Default::default() }, "momentum"),
            (SgdSettings { weight_decay: -1e-3, ..Default::default() }, "weight decay"),
            (SgdSettings { weight_decay: f64::INFINITY, ..Default::default() }, "weight decay"),
            (SgdSettings { batch_size: 0, ..Default::default() }, "batch size"),
        ];
        for (settings, name) in cases {
            let error = settings.check().unwrap_err().to_string();
            assert!(error.contains(name), "{settings:?}: {error}");
        }
    }

    #[test]
    fn the_setters_change_only_their_setting() {
        struct Trainer(SgdSettings);
        impl SgdBuilder for Trainer {
            fn sgd_mut(&mut self) -> &mut SgdSettings {
                &mut self.0
            }
        }
        let rate = LearningRate::Linear { start: 0.2, end: 0.02 };
        let trainer = Trainer(SgdSettings::default())
            .learning_rate(rate)
            .momentum(0.9)
            .weight_decay(1e-4)
            .batch_size(7);
        let trainer = trainer.epochs(3).seed(11);
        let expected = SgdSettings {
            learning_rate: rate,
            momentum: 0.9,
            weight_decay: 1e-4,
            batch_size: 7,
            epochs: 3,
            seed: 11,
        };
        assert_eq!(trainer.0, expected);
        assert_eq!(trainer.0.rate(0), 0.2);
        assert!((trainer.0.rate(2) - 0.02).abs() < 1e-12);
        let replaced = Trainer(expected).sgd_settings(SgdSettings::default());
        assert_eq!(replaced.0, SgdSettings::default());
    }
}
