//! Checks of general continuous EBMs: gradients of the neural energy against
//! finite differences, quadrature log Z against the closed form, the note's
//! Metropolis slip, and (full mode) trained energies whose held-out
//! log-likelihood, computed exactly by quadrature, comes within 0.3 nats of
//! the true density's and far above a single Gaussian's.

use super::{Check, Context, Measurement, fail};
use ebm_core::Quadratic;
use ebm_core::gradient_check::{input_gradient_error, parameter_gradient_error};
use ebm_core::quadrature::Grid;
use ebm_core::worst::Worst;
use ebm_data::plane::{HALF_WIDTH, Plane};
use ebm_density::{Activation, NeuralEnergy};
use ebm_mcmc::continuous::{ContinuousSampler, RandomWalk};
use ebm_mcmc::rng::stream;
use ebm_train::density::{DensityTrainer, fit_gaussian, mean_log_density};
use ebm_train::optim::OptimizerKind;
use nalgebra::DMatrix;
use rand::RngExt;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The checks of this layer.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "density.gradients",
            claim: "the neural energy's ∇ₓE and ∂E/∂θ equal central finite differences",
            run: gradients,
        },
        Check {
            name: "density.quadrature.gaussian",
            claim: "log Z of Gaussian energies by 2-D quadrature equals (d/2) log 2πT − ½ log det A",
            run: quadrature_gaussian,
        },
        Check {
            name: "density.note-acceptance",
            claim: "Metropolis needs min(1, exp(−(E′ − E)/T)); the note's exp(E − E′) accepts every move",
            run: note_acceptance,
        },
        Check {
            name: "density.ring8.gap-to-truth",
            claim: "on the 8-Gaussian ring the trained energy's held-out log-likelihood is within 0.3 nats of the truth's",
            run: ring8_gap,
        },
        Check {
            name: "density.ring8.above-gaussian",
            claim: "on the 8-Gaussian ring the trained energy beats a fitted Gaussian by more than 1 nat",
            run: ring8_above_gaussian,
        },
        Check {
            name: "density.moons.gap-to-truth",
            claim: "on two moons the trained energy's held-out log-likelihood is within 0.3 nats of the truth's",
            run: moons_gap,
        },
        Check {
            name: "density.moons.above-gaussian",
            claim: "on two moons the trained energy beats a fitted Gaussian by more than 0.6 nats",
            run: moons_above_gaussian,
        },
    ]
}

fn gradients(ctx: &Context) -> Result<Measurement, String> {
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    let trials = ctx.size(5, 40);
    for t in 0..trials {
        let activation = [Activation::Silu, Activation::Softplus, Activation::Tanh][t % 3];
        let energy = NeuralEnergy::new(2, &[8, 8], activation, 0.1, &mut rng).map_err(fail)?;
        let x = [rng.random_range(-3.0..3.0), rng.random_range(-3.0..3.0)];
        let input = input_gradient_error(&energy, &x, 1e-6).map_err(fail)?;
        let parameters = parameter_gradient_error(&energy, &x, &[1.0], 1e-6).map_err(fail)?;
        worst = worst.with(input).with(parameters);
    }
    Ok(Measurement::at_most(format!("max relative error over {trials} networks (x and θ)"), worst, 1e-6))
}

fn quadrature_gaussian(ctx: &Context) -> Result<Measurement, String> {
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..ctx.size(4, 20) {
        let (a, c) = (rng.random_range(1.0..3.0), rng.random_range(1.0..3.0));
        let b = rng.random_range(-0.5..0.5);
        let mean = vec![rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5)];
        let energy = Quadratic::new(mean, DMatrix::from_row_slice(2, 2, &[a, b, b, c])).map_err(fail)?;
        let t = rng.random_range(0.5..1.5);
        let density = Grid::square(9.0, 300).map_err(fail)?.density(&energy, t).map_err(fail)?;
        worst.add((density.log_partition() - energy.log_partition(t).map_err(fail)?).abs());
    }
    Ok(Measurement::at_most("max |log Z(quadrature) − log Z(closed form)|", worst, 1e-8))
}

/// The library's random-walk Metropolis on E = x²/2 at T = 0.4 against the
/// note's acceptance rule: the library's chain has variance T, a chain with
/// the note's rule (which accepts every move) diffuses away.
fn note_acceptance(ctx: &Context) -> Result<Measurement, String> {
    let (t, steps, proposal) = (0.4, ctx.size(100_000, 1_000_000), 1.5);
    let seed: u64 = ctx.rng().random();
    let note_variance = {
        let energy = |x: f64| 0.5 * x * x;
        let mut rng = stream(seed, 0);
        let (mut x, mut sum) = (0.0f64, 0.0);
        for _ in 0..steps {
            let y = x + proposal * rng.random_range(-1.0..1.0);
            let (e, e_new) = (energy(x), energy(y));
            // "If the energy rose, jump; otherwise jump with exp(E(s) − E(s'))" — at least 1.
            if e_new > e || rng.random::<f64>() < ((e - e_new) / t).exp() {
                x = y;
            }
            sum += x * x;
        }
        sum / steps as f64
    };
    if note_variance < 10.0 {
        return Err(format!("the note's rule kept the variance at {note_variance:.2}; it should run away"));
    }
    let energy = Quadratic::isotropic(vec![0.0], 1.0).map_err(fail)?;
    let mut sampler = RandomWalk::new(proposal).and_then(|s| s.with_temperature(t)).map_err(fail)?;
    let draws = sampler.sample(&energy, &mut [0.0], 1000, steps, 1, &mut stream(seed, 1)).map_err(fail)?;
    let squares: Vec<f64> = draws.coordinate(0).iter().map(|x| x * x).collect();
    let variance = squares.iter().sum::<f64>() / squares.len() as f64;
    let error = ebm_mcmc::diagnostics::mcse(&squares).map_err(fail)?;
    Ok(Measurement::at_most(
        format!(
            "|Var − T|/s.e. of the library's random walk at T = {t} (Var {variance:.3}; the note's rule: Var = {note_variance:.0})"
        ),
        (variance - t).abs() / error,
        5.0,
    ))
}

/// Held-out log-likelihoods (model, truth, single Gaussian), in nats per point.
type Likelihoods = (f64, f64, f64);

/// The trained models' likelihoods by (data set, quick mode, run seed).
type Cache = Mutex<HashMap<(&'static str, bool, u64), Likelihoods>>;

/// The [`Likelihoods`] of a neural energy trained on `plane`, trained once
/// per run and shared by its checks.
fn trained(ctx: &Context, plane: Plane) -> Result<Likelihoods, String> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (plane.name(), ctx.is_quick(), ctx.seed());
    if let Some(hit) = CACHE.get_or_init(Default::default).lock().map_err(|e| e.to_string())?.get(&key) {
        return Ok(*hit);
    }
    let to_f64 =
        |d: ebm_data::Dataset| d.rows().flat_map(|r| r.iter().map(|&v| f64::from(v))).collect::<Vec<f64>>();
    let seed = ctx.seed();
    let train = to_f64(plane.sample(ctx.size(2000, 20_000), &mut stream(seed, 0)).map_err(fail)?);
    let held_out = to_f64(plane.sample(ctx.size(2000, 10_000), &mut stream(seed, 1)).map_err(fail)?);
    let width = ctx.size(32, 64);
    let mut energy =
        NeuralEnergy::new(2, &[width, width], Activation::Silu, 0.05, &mut stream(seed, 3)).map_err(fail)?;
    let grid = Grid::square(HALF_WIDTH + 0.5, ctx.size(200, 400)).map_err(fail)?;
    DensityTrainer::new()
        .iterations(ctx.size(1000, 4000))
        .batch_size(128)
        .langevin_steps(20)
        .step_size(0.02)
        .adjusted(true)
        .buffer(2000)
        .regularization(0.01)
        .optimizer(OptimizerKind::adam(2e-3))
        .decay(true)
        .noise_box(vec![grid.x_range(), grid.y_range()])
        .seed(seed)
        .train(&mut energy, &train, &mut [])
        .map_err(fail)?;
    let log_z = grid.density(&energy, 1.0).map_err(fail)?.log_partition();
    let model = mean_log_density(&energy, log_z, &held_out).map_err(fail)?;
    let truth = mean_log_density(&plane.true_density(), 0.0, &held_out).map_err(fail)?;
    let gaussian = fit_gaussian(&train, 2).map_err(fail)?;
    let baseline =
        mean_log_density(&gaussian, gaussian.log_partition(1.0).map_err(fail)?, &held_out).map_err(fail)?;
    let result = (model, truth, baseline);
    CACHE.get_or_init(Default::default).lock().map_err(|e| e.to_string())?.insert(key, result);
    Ok(result)
}

/// The full mode's gap to the truth must be under 0.3 nats. Quick mode
/// trains briefly, so it measures the gap as a fraction of the fitted
/// Gaussian's own gap to the truth (0.90 nats on two moons, 1.41 on the
/// ring): a bound below 1 still separates a model that learned from the
/// baseline.
fn gap(ctx: &Context, plane: Plane) -> Result<Measurement, String> {
    let (model, truth, gaussian) = trained(ctx, plane)?;
    if ctx.is_quick() {
        return Ok(Measurement::at_most(
            format!(
                "(truth − model) / (truth − Gaussian) held-out log-likelihood (model {model:.3}, truth {truth:.3}, Gaussian {gaussian:.3})"
            ),
            (truth - model) / (truth - gaussian),
            QUICK_GAP_FRACTION,
        ));
    }
    Ok(Measurement::at_most(
        format!("truth − model held-out log-likelihood (model {model:.3}, truth {truth:.3} nats)"),
        truth - model,
        0.3,
    ))
}

/// The largest fraction of the Gaussian's gap to the truth a quick-mode model may leave.
const QUICK_GAP_FRACTION: f64 = 0.7;

fn above_gaussian(ctx: &Context, plane: Plane, margin: f64) -> Result<Measurement, String> {
    let (model, _, gaussian) = trained(ctx, plane)?;
    Ok(Measurement::at_least(
        format!("model − Gaussian held-out log-likelihood (model {model:.3}, Gaussian {gaussian:.3})"),
        model - gaussian,
        if ctx.is_quick() { margin / 4.0 } else { margin },
    ))
}

fn ring8_gap(ctx: &Context) -> Result<Measurement, String> {
    gap(ctx, Plane::Ring8)
}

fn ring8_above_gaussian(ctx: &Context) -> Result<Measurement, String> {
    above_gaussian(ctx, Plane::Ring8, 1.0)
}

fn moons_gap(ctx: &Context) -> Result<Measurement, String> {
    gap(ctx, Plane::Moons)
}

fn moons_above_gaussian(ctx: &Context) -> Result<Measurement, String> {
    above_gaussian(ctx, Plane::Moons, 0.6)
}
