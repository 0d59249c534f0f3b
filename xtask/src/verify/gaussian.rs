//! Checks of the Gaussian–Bernoulli RBM: exact log Z against quadrature,
//! the exact gradient against finite differences, AIS against exact log Z,
//! and what learned variances buy on the ring of Gaussians.

use super::{Check, Context, Measurement, fail};
use ebm_boltzmann::GaussianRbm;
use ebm_boltzmann::ais::AisOptions;
use ebm_boltzmann::rbm::gaussian::ais::{AisBase, ais_log_partition};
use ebm_boltzmann::rbm::gaussian::partition::log_partition;
use ebm_core::quadrature::Grid;
use ebm_core::worst::{Worst, nan_max};
use ebm_data::plane::Plane;
use ebm_data::standardize::Standardization;
use ebm_mcmc::rng::stream;
use ebm_train::density::{fit_gaussian, mean_log_density};
use ebm_train::rbm::gaussian::{
    GaussianNegatives, GaussianTrainer, exact_average_log_likelihood, exact_gradient,
};
use ebm_train::{LearningRate, SgdBuilder};
use nalgebra::{DMatrix, DVector};
use rand::RngExt;

/// The checks of this model.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "gaussian.logz.quadrature",
            claim: "log Z summed over the hidden states equals the integral of e^{−F(v)} over the plane",
            run: log_z_matches_quadrature,
        },
        Check {
            name: "gaussian.gradient.fd",
            claim: "the exact gradient in (W, a, b, log σ²) matches central differences of the log-likelihood",
            run: gradient_matches_differences,
        },
        Check {
            name: "gaussian.ais.exact",
            claim: "AIS from independent Gaussians estimates a GB-RBM's log Z within 0.1 nats",
            run: ais_matches_exact,
        },
        Check {
            name: "gaussian.ring8.learned-variance",
            claim: "on the standardised ring, learned variances beat a single Gaussian and σ = 1 by far",
            run: ring_with_learned_variances,
        },
    ]
}

/// W ~ N(0, w²), a, b and log σ² uniform on (−1, 1).
fn random_model(seed: u64, n: usize, m: usize, w: f32) -> Result<GaussianRbm, String> {
    let mut rng = stream(seed, 0);
    let weights = GaussianRbm::random(n, m, w, &mut rng).map_err(fail)?.weights().clone();
    let mut uniform = |len: usize| DVector::from_fn(len, |_, _| rng.random_range(-1.0f32..1.0));
    let (a, b, z) = (uniform(n), uniform(m), uniform(n));
    GaussianRbm::new(weights, a, b, z).map_err(fail)
}

fn log_z_matches_quadrature(ctx: &Context) -> Result<Measurement, String> {
    let (models, cells) = (ctx.size(3, 8), ctx.size(600, 1500));
    let grid = Grid::square(25.0, cells).map_err(fail)?;
    let mut worst = Worst::new();
    for k in 0..models {
        let rbm = random_model(ctx.rng().random::<u64>() ^ k as u64, 2, 6, 0.8)?;
        let quadrature = grid.density(&rbm, 1.0).map_err(fail)?.log_partition();
        worst.add((quadrature - log_partition(&rbm).map_err(fail)?).abs());
    }
    Ok(Measurement::at_most(
        format!("max |exact − quadrature| log Z, {models} models of 2×6 units, {cells}² cells on [−25, 25]²"),
        worst,
        1e-4,
    ))
}

fn gradient_matches_differences(ctx: &Context) -> Result<Measurement, String> {
    let mut worst = Worst::new();
    for k in 0..ctx.size(4, 12) as u64 {
        let seed = ctx.rng().random::<u64>() ^ k;
        let rbm = random_model(seed, 3, 3, 0.8)?;
        let mut rng = stream(seed, 1);
        let data = DMatrix::from_fn(8, 3, |_, _| rng.random_range(-2.0f32..2.0));
        let exact = exact_gradient(&rbm, &data).map_err(fail)?;
        let eps = 1e-2f32;
        let difference = |block: usize, index: usize| -> Result<f64, String> {
            let mut values = [0.0; 2];
            for (value, sign) in values.iter_mut().zip([1.0f32, -1.0]) {
                let mut moved = rbm.clone();
                let p = moved.parameters_mut();
                let slice = match block {
                    0 => p.weights.as_mut_slice(),
                    1 => p.visible_bias.as_mut_slice(),
                    2 => p.hidden_bias.as_mut_slice(),
                    _ => p.log_variance.as_mut_slice(),
                };
                slice[index] += sign * eps;
                *value = exact_average_log_likelihood(&moved, &data).map_err(fail)?;
            }
            Ok((values[0] - values[1]) / (2.0 * f64::from(eps)))
        };
        let blocks = [
            exact.weights.as_slice(),
            exact.visible_bias.as_slice(),
            exact.hidden_bias.as_slice(),
            exact.log_variance.as_slice(),
        ];
        for (block, values) in blocks.iter().enumerate() {
            for (index, &g) in values.iter().enumerate() {
                let numeric = difference(block, index)?;
                worst.add((g - numeric).abs() / (1.0 + numeric.abs()));
            }
        }
    }
    Ok(Measurement::at_most(
        "max |exact − central difference| / (1 + |difference|) over all parameters, 3×3 models, ε = 0.01",
        worst,
        2e-3,
    ))
}

/// Standardised training and held-out points of the ring, and the
/// held-out log-likelihoods (standardised units) of the truth and of the fitted Gaussian.
fn standardised_ring(points: usize, seed: u64) -> Result<(DMatrix<f32>, DMatrix<f32>, f64, f64), String> {
    let train = Plane::Ring8.sample(points, &mut stream(seed, 0)).map_err(fail)?.to_matrix();
    let held = Plane::Ring8.sample(points / 2, &mut stream(seed, 1)).map_err(fail)?.to_matrix();
    let standard = Standardization::fit(&train, 1e-6).map_err(fail)?;
    let flat = |m: &DMatrix<f32>| m.transpose().iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let truth = mean_log_density(&Plane::Ring8.true_density(), 0.0, &flat(&held)).map_err(fail)?
        + standard.log_jacobian();
    let (train, held) = (standard.apply(&train).map_err(fail)?, standard.apply(&held).map_err(fail)?);
    let fit = fit_gaussian(&flat(&train), 2).map_err(fail)?;
    let gaussian =
        mean_log_density(&fit, fit.log_partition(1.0).map_err(fail)?, &flat(&held)).map_err(fail)?;
    Ok((train, held, truth, gaussian))
}

/// A GB-RBM trained by CD-1 on `data` (weights from N(0, 1/2), visible units
/// at the data's moments).
fn train_ring(
    data: &DMatrix<f32>,
    hidden: usize,
    epochs: usize,
    learn: bool,
    seed: u64,
) -> Result<GaussianRbm, String> {
    let trainer = GaussianTrainer::new(GaussianNegatives::ContrastiveDivergence { steps: 1 })
        .learning_rate(LearningRate::Linear { start: 0.05, end: 0.005 })
        .learn_variance(learn)
        .momentum(0.5)
        .batch_size(50)
        .epochs(epochs)
        .seed(seed);
    let mut rbm = GaussianRbm::random(2, hidden, 0.7, &mut stream(seed, 2)).map_err(fail)?;
    trainer.initialise_visible(&mut rbm, data).map_err(fail)?;
    trainer.train(&mut rbm, data, &mut []).map_err(fail)?;
    Ok(rbm)
}

fn ais_matches_exact(ctx: &Context) -> Result<Measurement, String> {
    let (steps, runs) = (ctx.size(2_000, 5_000), ctx.size(128, 256));
    let seed = ctx.rng().random::<u64>();
    let mut cases = Vec::new();
    for (k, w) in [0.3f32, 0.6].into_iter().enumerate() {
        let rbm = random_model(seed ^ k as u64, 10, 20, w)?;
        cases.push((AisBase::from_model(&rbm), rbm));
    }
    let (train, _, _, _) = standardised_ring(2_000, seed)?;
    let trained = train_ring(&train, 20, ctx.size(20, 60), true, seed)?;
    cases.push((AisBase::from_data(&train).map_err(fail)?, trained));
    let mut worst = Worst::new();
    for (k, (base, rbm)) in cases.iter().enumerate() {
        let estimate =
            ais_log_partition(rbm, base, &AisOptions::staged(steps, runs, seed ^ k as u64)).map_err(fail)?;
        worst.add((estimate.log_z - log_partition(rbm).map_err(fail)?).abs());
    }
    Ok(Measurement::at_most(
        format!(
            "max |AIS − exact| log Z, 2 random 10×20 GB-RBMs and 1 trained on ring8 ({steps} βs, {runs} runs)"
        ),
        worst,
        0.1,
    ))
}

fn ring_with_learned_variances(ctx: &Context) -> Result<Measurement, String> {
    let (points, hidden, epochs) = (ctx.size(4_000, 10_000), ctx.size(16, 20), ctx.size(40, 100));
    let seed = ctx.rng().random::<u64>();
    let (train, held, truth, gaussian) = standardised_ring(points, seed)?;
    let learned = exact_average_log_likelihood(&train_ring(&train, hidden, epochs, true, seed)?, &held)
        .map_err(fail)?;
    let fixed = exact_average_log_likelihood(&train_ring(&train, hidden, epochs, false, seed)?, &held)
        .map_err(fail)?;
    Ok(Measurement::at_least(
        format!(
            "held-out ℓ(learned σ) − max(ℓ Gaussian, ℓ σ=1): {learned:.3} vs {gaussian:.3}, {fixed:.3} (truth {truth:.3}); {hidden} hidden"
        ),
        learned - nan_max(gaussian, fixed),
        if ctx.is_quick() { 0.25 } else { 0.6 },
    ))
}
