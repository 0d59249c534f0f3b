//! Training on the plane: held-out exact log-likelihoods against a single
//! Gaussian and the true density.

use super::*;
use crate::density::{fit_gaussian, mean_log_density};
use crate::{LearningRate, SgdBuilder};
use ebm_boltzmann::GaussianRbm;
use ebm_data::plane::Plane;
use ebm_data::standardize::Standardization;
use ebm_mcmc::rng::stream;
use nalgebra::DMatrix;

/// Standardised training and held-out points of `plane`, and the held-out
/// log-likelihoods (standardised units) of the truth and of the fitted Gaussian.
struct Plane2d {
    train: DMatrix<f32>,
    held_out: DMatrix<f32>,
    truth: f64,
    gaussian: f64,
}

fn plane(plane: Plane, n: usize, seed: u64) -> Plane2d {
    let train = plane.sample(n, &mut stream(seed, 0)).unwrap().to_matrix();
    let held_out = plane.sample(n / 2, &mut stream(seed, 1)).unwrap().to_matrix();
    let standard = Standardization::fit(&train, 1e-6).unwrap();
    let as_f64 = |m: &DMatrix<f32>| m.transpose().iter().map(|&x| f64::from(x)).collect::<Vec<f64>>();
    let truth =
        mean_log_density(&plane.true_density(), 0.0, &as_f64(&held_out)).unwrap() + standard.log_jacobian();
    let (train, held_out) = (standard.apply(&train).unwrap(), standard.apply(&held_out).unwrap());
    let fit = fit_gaussian(&as_f64(&train), 2).unwrap();
    let gaussian = mean_log_density(&fit, fit.log_partition(1.0).unwrap(), &as_f64(&held_out)).unwrap();
    Plane2d { train, held_out, truth, gaussian }
}

/// Trains a GB-RBM with `hidden` units (weights from N(0, 1), visible
/// units at the data's moments) and returns it with its exact held-out
/// log-likelihood.
fn trained(
    data: &Plane2d,
    hidden: usize,
    negatives: GaussianNegatives,
    learn: bool,
    seed: u64,
) -> (GaussianRbm, f64) {
    let trainer = GaussianTrainer::new(negatives)
        .learning_rate(LearningRate::Linear { start: 0.05, end: 0.005 })
        .learn_variance(learn)
        .variance_rate(0.3)
        .momentum(0.5)
        .batch_size(50)
        .epochs(60)
        .seed(seed);
    let mut rbm = GaussianRbm::random(2, hidden, 1.0, &mut stream(seed, 2)).unwrap();
    trainer.initialise_visible(&mut rbm, &data.train).unwrap();
    trainer.train(&mut rbm, &data.train, &mut []).unwrap();
    let ll = exact_average_log_likelihood(&rbm, &data.held_out).unwrap();
    (rbm, ll)
}

#[test]
fn learned_variances_fit_the_ring_far_better_than_a_gaussian_and_fixed_variances() {
    let data = plane(Plane::Ring8, 4000, 1);
    let cd = GaussianNegatives::ContrastiveDivergence { steps: 1 };
    let (rbm, learned) = trained(&data, 16, cd.clone(), true, 3);
    let (_, fixed) = trained(&data, 16, cd, false, 3);
    // Standardised ring: truth ≈ −1.43, Gaussian ≈ −2.84. With σ = 1 the
    // mixture's variance is at least the data's, so it cannot beat the Gaussian.
    assert!(data.truth > learned, "{learned} above the truth {}", data.truth);
    assert!(learned > data.gaussian + 0.6, "learned σ {learned} vs Gaussian {}", data.gaussian);
    assert!(fixed < data.gaussian + 0.05, "σ = 1: {fixed} vs Gaussian {}", data.gaussian);
    assert!(learned > fixed + 0.6, "learned {learned} vs fixed {fixed}");
    // The learned deviations approach the ring's noise, 0.25/1.44 ≈ 0.17 in standard units.
    assert!(rbm.std_dev().iter().all(|&s| s < 0.5), "{:?}", rbm.std_dev().as_slice());
}

#[test]
fn persistent_chains_fit_the_moons_better_than_a_gaussian() {
    let data = plane(Plane::Moons, 4000, 2);
    let pcd = GaussianNegatives::Persistent { steps: 1, chains: 100 };
    let (_, ll) = trained(&data, 16, pcd, true, 4);
    assert!(
        ll > data.gaussian + 0.1 && ll < data.truth,
        "PCD {ll}, Gaussian {}, truth {}",
        data.gaussian,
        data.truth
    );
}

#[test]
fn the_same_seed_gives_the_same_model_and_divergence_is_caught() {
    let data = plane(Plane::Ring8, 400, 3);
    let cd = GaussianNegatives::ContrastiveDivergence { steps: 2 };
    assert_eq!(trained(&data, 4, cd.clone(), true, 5), trained(&data, 4, cd.clone(), true, 5));
    let mut rbm = GaussianRbm::random(2, 4, 1.0, &mut stream(1, 1)).unwrap();
    let error = GaussianTrainer::new(cd)
        .learning_rate(LearningRate::Constant(1e30))
        .train(&mut rbm, &data.train, &mut [])
        .unwrap_err()
        .to_string();
    assert!(error.contains("diverged") && error.contains("epoch 0"), "{error}");
    assert!(rbm.validate().is_ok());
}

#[test]
fn bad_settings_and_data_are_refused() {
    let data = plane(Plane::Moons, 100, 4).train;
    let mut rbm = GaussianRbm::zeros(2, 3);
    let cd = || GaussianTrainer::new(GaussianNegatives::ContrastiveDivergence { steps: 1 });
    assert!(cd().momentum(1.0).train(&mut rbm, &data, &mut []).is_err());
    assert!(cd().batch_size(0).train(&mut rbm, &data, &mut []).is_err());
    assert!(cd().min_variance(0.0).train(&mut rbm, &data, &mut []).is_err());
    assert!(cd().variance_rate(-1.0).train(&mut rbm, &data, &mut []).is_err());
    assert!(cd().learning_rate(LearningRate::Constant(f64::NAN)).train(&mut rbm, &data, &mut []).is_err());
    assert!(cd().train(&mut GaussianRbm::zeros(3, 3), &data, &mut []).is_err());
    assert!(cd().train(&mut rbm, &DMatrix::from_element(2, 2, f32::NAN), &mut []).is_err());
    assert!(cd().train(&mut rbm, &DMatrix::zeros(0, 2), &mut []).is_err());
    let none = GaussianNegatives::Persistent { steps: 1, chains: 0 };
    assert!(GaussianTrainer::new(none).train(&mut rbm, &data, &mut []).is_err());
    assert!(
        GaussianTrainer::new(GaussianNegatives::ContrastiveDivergence { steps: 0 })
            .train(&mut rbm, &data, &mut [])
            .is_err()
    );
}

#[test]
fn a_gaussian_run_stopped_saved_and_resumed_ends_with_the_same_bytes() {
    let data = DMatrix::from_fn(23, 3, |r, c| ((r * 7 + c * 3) % 11) as f32 / 5.0 - 1.0);
    for (negatives, learn_variance) in [
        (GaussianNegatives::ContrastiveDivergence { steps: 1 }, false),
        (GaussianNegatives::Persistent { steps: 2, chains: 4 }, true),
    ] {
        let trainer = GaussianTrainer::new(negatives)
            .learn_variance(learn_variance)
            .learning_rate(LearningRate::Linear { start: 0.05, end: 0.01 })
            .momentum(0.5)
            .weight_decay(1e-3)
            .batch_size(5)
            .epochs(3)
            .seed(2);
        let start = || {
            let rbm = GaussianRbm::random(3, 4, 0.3, &mut ebm_mcmc::rng::seeded(1)).unwrap();
            trainer.fit(rbm, &data).unwrap()
        };
        crate::fit::testing::assert_resume_is_exact(start, &data, 7);
    }
}
