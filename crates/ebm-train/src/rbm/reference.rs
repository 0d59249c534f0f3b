//! CD-1 written plainly, with dense matrix products: the reference the fast
//! panel update of [`RbmTrainer`](super::RbmTrainer) is tested against, and
//! the update that DBM pretraining uses.
//!
//! For a batch V of n rows, one CD-1 estimate of the log-likelihood gradient
//! draws H₀ ~ P(h | V), V₁ ~ P(v | H₀) and takes
//!
//! g_W = (Vᵀ P(h | V) − V₁ᵀ P(h | V₁)) / n,
//! g_a = mean(V) − mean(V₁),  g_b = mean P(h | V) − mean P(h | V₁),
//!
//! with the probabilities, not the draws, in the hidden statistics.

use ebm_boltzmann::rbm::draw_units;
use ebm_core::math::sigmoid_f32;
use nalgebra::{DMatrix, DVector};
use rand::Rng;

/// An RBM in dense form whose conditionals may scale their input:
/// P(h = 1 | v) = σ(up · vW + b), P(v = 1 | h) = σ(down · Wh + a). With
/// up = down = 1 it is the ordinary RBM; DBM pretraining doubles one or both.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaledRbm {
    /// W, visible × hidden.
    pub weights: DMatrix<f32>,
    /// a.
    pub visible_bias: DVector<f32>,
    /// b.
    pub hidden_bias: DVector<f32>,
    /// The factor of the input to the hidden units.
    pub up: f32,
    /// The factor of the input to the visible units.
    pub down: f32,
}

/// The statistics of one CD-1 estimate, in the parameters' layout.
#[derive(Clone, Debug, PartialEq)]
pub struct CdGradient {
    /// g_W, visible × hidden.
    pub weights: DMatrix<f32>,
    /// g_a.
    pub visible_bias: DVector<f32>,
    /// g_b.
    pub hidden_bias: DVector<f32>,
}

/// σ(scale·X + 1cᵀ), entrywise.
fn affine_sigmoid(mut x: DMatrix<f32>, scale: f32, bias: &DVector<f32>) -> DMatrix<f32> {
    for mut row in x.row_iter_mut() {
        row.iter_mut().zip(bias.iter()).for_each(|(v, &c)| *v = sigmoid_f32(scale * *v + c));
    }
    x
}

/// The mean of each column.
fn column_means(m: &DMatrix<f32>) -> DVector<f32> {
    DVector::from_iterator(m.ncols(), m.column_iter().map(|c| c.sum() / m.nrows() as f32))
}

impl ScaledRbm {
    /// P(h = 1 | v) = σ(up · vW + b) for each row v.
    pub fn hidden_probabilities(&self, visible: &DMatrix<f32>) -> DMatrix<f32> {
        affine_sigmoid(visible * &self.weights, self.up, &self.hidden_bias)
    }

    /// P(v = 1 | h) = σ(down · Wh + a) for each row h.
    pub fn visible_probabilities(&self, hidden: &DMatrix<f32>) -> DMatrix<f32> {
        affine_sigmoid(hidden * self.weights.transpose(), self.down, &self.visible_bias)
    }

    /// One CD-1 estimate of the gradient on the rows of `batch` (0/1 values
    /// or probabilities).
    pub fn cd1_gradient(&self, batch: &DMatrix<f32>, rng: &mut impl Rng) -> CdGradient {
        let positive = self.hidden_probabilities(batch);
        let reconstruction = draw_units(&self.visible_probabilities(&draw_units(&positive, rng)), rng);
        let negative = self.hidden_probabilities(&reconstruction);
        let n = batch.nrows() as f32;
        CdGradient {
            weights: (batch.tr_mul(&positive) - reconstruction.tr_mul(&negative)) / n,
            visible_bias: column_means(batch) - column_means(&reconstruction),
            hidden_bias: column_means(&positive) - column_means(&negative),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SgdBuilder;
    use crate::rbm::{BernoulliData, LearningRate, Negatives, RbmTrainer};
    use ebm_boltzmann::BernoulliRbm;
    use ebm_mcmc::rng::seeded;

    /// The mean and the standard error of the mean of each entry of `draws`.
    fn mean_and_error(draws: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        let n = draws.len() as f64;
        let mean: Vec<f64> =
            (0..draws[0].len()).map(|k| draws.iter().map(|d| d[k]).sum::<f64>() / n).collect();
        let error = (0..mean.len())
            .map(|k| (draws.iter().map(|d| (d[k] - mean[k]).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt())
            .collect();
        (mean, error)
    }

    #[test]
    fn the_fast_cd1_update_moves_the_parameters_by_the_reference_gradient_on_average() {
        // One step of the trainer at η = 1 with no momentum or decay moves θ
        // by one CD-1 estimate: over many seeds its mean must match the mean
        // of the reference estimate (the two draw in different orders, so
        // only their distributions can agree).
        let mut rng = seeded(4);
        let rbm = BernoulliRbm::random(7, 5, 0.8, &mut rng).unwrap();
        let batch = DMatrix::from_fn(6, 7, |r, i| f32::from(u8::from((r * 3 + i * 5) % 4 < 2)));
        let data = BernoulliData::new(&batch).unwrap();
        let reference = ScaledRbm {
            weights: rbm.weights().clone(),
            visible_bias: rbm.visible_bias().clone(),
            hidden_bias: rbm.hidden_bias().clone(),
            up: 1.0,
            down: 1.0,
        };
        let flatten = |w: &DMatrix<f32>, a: &DVector<f32>, b: &DVector<f32>| -> Vec<f64> {
            w.iter().chain(a.iter()).chain(b.iter()).map(|&x| f64::from(x)).collect()
        };
        let before = flatten(rbm.weights(), rbm.visible_bias(), rbm.hidden_bias());
        let trainer = RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 })
            .learning_rate(LearningRate::Constant(1.0))
            .batch_size(6)
            .epochs(1);
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        for seed in 0..3000 {
            let mut fit = trainer.clone().seed(seed).fit(rbm.clone(), &data).unwrap();
            fit.run(&data, &mut []).unwrap();
            let after = fit.model();
            let moved = flatten(after.weights(), after.visible_bias(), after.hidden_bias());
            fast.push(moved.iter().zip(&before).map(|(x, y)| x - y).collect());
            let g = reference.cd1_gradient(&batch, &mut seeded(seed + 1_000_000));
            slow.push(flatten(&g.weights, &g.visible_bias, &g.hidden_bias));
        }
        let ((fast_mean, fast_error), (slow_mean, slow_error)) =
            (mean_and_error(&fast), mean_and_error(&slow));
        for k in 0..fast_mean.len() {
            let tolerance = 5.0 * fast_error[k].hypot(slow_error[k]) + 1e-6;
            assert!(
                (fast_mean[k] - slow_mean[k]).abs() < tolerance,
                "parameter {k}: fast {} vs reference {} (± {tolerance})",
                fast_mean[k],
                slow_mean[k]
            );
        }
        // And the test has power: the reference's mean is far from zero.
        let largest = slow_mean.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let widest = fast_error.iter().fold(0.0f64, |m, &x| m.max(x));
        assert!(largest > 20.0 * widest, "mean gradient {largest} vs standard error {widest}");
    }
}
