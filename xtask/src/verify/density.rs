//! Checks of general continuous EBMs: gradients of the neural energy against
//! finite differences, quadrature log Z against the closed form, the note's
//! Metropolis slip, and (full mode) trained energies whose held-out
//! log-likelihood, computed exactly by quadrature, comes within 0.3 nats of
//! the true density's and far above a single Gaussian's.

use ebm_core::worst::Worst;
use super::{Check, Context, Measurement, fail};
use ebm_core::Quadratic;
use ebm_core::gradient_check::{input_gradient_error, parameter_gradient_error};
use ebm_core::quadrature::Grid;
use ebm_data::plane::{HALF_WIDTH, Plane};
use ebm_density::{Activation, NeuralEnergy};
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

/// Random-walk Metropolis on E = x²/2 with the correct acceptance and with
/// the note's: the correct chain's variance is T = 1, the note's chain
/// (which accepts everything) diffuses away.
fn note_acceptance(ctx: &Context) -> Result<Measurement, String> {
    let energy = |x: f64| 0.5 * x * x;
    let steps = ctx.size(100_000, 1_000_000);
    let run = |note: bool, seed: u64| {
        let mut rng = stream(seed, 0);
        let (mut x, mut sum) = (0.0f64, 0.0);
        let mut series = Vec::with_capacity(steps);
        for _ in 0..steps {
            let y = x + rng.random_range(-1.5..1.5);
            let (e, e_new) = (energy(x), energy(y));
            let accept = if note {
                // "If the energy rose, jump; otherwise jump with exp(E(s) − E(s'))" — at least 1.
                e_new > e || rng.random::<f64>() < (e - e_new).exp()
            } else {
                rng.random::<f64>() < (-(e_new - e)).exp().min(1.0)
            };
            if accept {
                x = y;
            }
            sum += x * x;
            series.push(x * x);
        }
        (sum / steps as f64, series)
    };
    let (note_variance, _) = run(true, 1);
    if note_variance < 10.0 {
        return Err(format!("the note's rule kept the variance at {note_variance:.2}; it should run away"));
    }
    let (variance, series) = run(false, 2);
    let error = ebm_mcmc::diagnostics::mcse(&series).map_err(fail)?;
    Ok(Measurement::at_most(
        format!("|Var − 1|/s.e. with min(1, e^−ΔE) (the note's rule: Var = {note_variance:.0})"),
        (variance - 1.0).abs() / error,
        5.0,
    ))
}

/// Held-out log-likelihoods (model, truth, single Gaussian), in nats per point.
type Likelihoods = (f64, f64, f64);

/// The trained models' likelihoods by (data set, quick mode).
type Cache = Mutex<HashMap<(&'static str, bool), Likelihoods>>;

/// The [`Likelihoods`] of a neural energy trained on `plane`, trained once
/// per run and shared by its checks.
fn trained(ctx: &Context, plane: Plane) -> Result<Likelihoods, String> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (plane.name(), ctx.is_quick());
    if let Some(hit) = CACHE.get_or_init(Default::default).lock().map_err(|e| e.to_string())?.get(&key) {
        return Ok(*hit);
    }
    let to_f64 =
        |d: ebm_data::Dataset| d.rows().flat_map(|r| r.iter().map(|&v| f64::from(v))).collect::<Vec<f64>>();
    let seed = 20_261_125;
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
        .train(&mut energy, &train, &mut ())
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

/// Quick mode trains briefly, so its bounds are looser.
fn gap(ctx: &Context, plane: Plane) -> Result<Measurement, String> {
    let (model, truth, _) = trained(ctx, plane)?;
    Ok(Measurement::at_most(
        format!("truth − model held-out log-likelihood (model {model:.3}, truth {truth:.3} nats)"),
        truth - model,
        if ctx.is_quick() { 1.0 } else { 0.3 },
    ))
}

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
