//! `ebm density`: train general energy-based models on 2-D data, sample
//! them, and evaluate them exactly by quadrature.

use crate::output::say;
use crate::progress::Progress;
use crate::render;
use crate::training::{CheckpointArgs, Session};
use anyhow::bail;
use ebm_core::quadrature::Grid;
use ebm_core::{ParametricEnergy, file};
use ebm_data::plane::{self, HALF_WIDTH, Plane, TrueDensity};
use ebm_density::{Activation, NeuralEnergy};
use ebm_mcmc::continuous::{Adaptation, Hmc, Mala, RandomWalk, run_chains};
use ebm_mcmc::rng::stream;
use ebm_train::density::{
    DATA_ENERGY, DensityLearner, DensityTrainer, GRADIENT_NORM, NEGATIVE_ENERGY, Points as TrainingPoints,
    fit_gaussian, mean_log_density,
};
use ebm_train::fit::{Control, Every, Moment, Observer};
use ebm_train::optim::OptimizerKind;
use rand::seq::SliceRandom;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Cells per side of the quadrature grid.
const GRID_CELLS: usize = 400;

/// Pixels per side of each picture panel.
const PANEL: usize = 400;

/// Subcommands of `ebm density`.
#[derive(clap::Subcommand)]
pub enum DensityCommand {
    /// Train a neural energy on 2-D data; writes the model, a heat map of the
    /// learned density beside the true one, and a scatter of samples.
    Train(TrainArgs),
    /// Draw samples from a trained energy by MH, MALA or HMC; writes a scatter PNG (and CSV).
    Sample(SampleArgs),
    /// Held-out log-likelihood by quadrature, against the truth and a single Gaussian; KL to the truth.
    Eval(EvalArgs),
}

/// Where the points come from.
#[derive(clap::Args)]
pub struct DataArgs {
    /// `ring8`, `moons`, `checkerboard`, `spiral` (generated, with their true
    /// densities) or `csv:FILE` (two comma-separated numbers per line).
    #[arg(long)]
    data: String,
    /// Training points generated from a built-in data set (CSV: 90 % of the
    /// file trains, 10 % is held out).
    #[arg(long, default_value_t = 20_000)]
    points: usize,
    /// Held-out points generated from a built-in data set.
    #[arg(long, default_value_t = 10_000)]
    held_out: usize,
}

/// The optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Optimizer {
    /// Adam.
    Adam,
    /// SGD with momentum 0.9.
    Sgd,
}

/// Options of `ebm density train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Width of each hidden layer.
    #[arg(long, default_value_t = 64)]
    hidden: usize,
    /// Hidden layers.
    #[arg(long, default_value_t = 2)]
    layers: usize,
    /// Activation.
    #[arg(long, value_enum, default_value_t = ActivationArg::Silu)]
    activation: ActivationArg,
    /// Fixed confinement γ of the energy's (γ/2)|x|² term.
    #[arg(long, default_value_t = 0.05)]
    confinement: f64,
    /// Parameter updates, rounded up to whole passes over the training
    /// points (each pass shuffles them into batches of --batch).
    #[arg(long, default_value_t = 4000)]
    iterations: usize,
    /// Data points and negatives per update.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Langevin steps per update.
    #[arg(long, default_value_t = 20)]
    langevin_steps: usize,
    /// Langevin time step h.
    #[arg(long, default_value_t = 0.02)]
    step_size: f64,
    /// Langevin noise σ for unadjusted steps (default √(2h), true Langevin dynamics).
    #[arg(long, requires = "unadjusted")]
    noise: Option<f64>,
    /// Unadjusted Langevin negatives (ULA, or short-run with --noise) instead of MALA.
    #[arg(long)]
    unadjusted: bool,
    /// Replay-buffer chains (0: every update starts from noise).
    #[arg(long, default_value_t = 2_000)]
    buffer: usize,
    /// Probability that a buffer chain restarts from noise.
    #[arg(long, default_value_t = 0.05)]
    restart: f64,
    /// α of the energy regulariser α E².
    #[arg(long, default_value_t = 0.01)]
    alpha: f64,
    /// Gradient-norm clipping.
    #[arg(long, default_value_t = 10.0)]
    clip: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value_t = Optimizer::Adam)]
    optimizer: Optimizer,
    /// Learning rate.
    #[arg(long, default_value_t = 2e-3)]
    lr: f64,
    /// Keep the learning rate constant instead of letting it fall linearly to 1/100 of --lr.
    #[arg(long)]
    no_decay: bool,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Pixels per side of each picture panel (heat maps and scatters).
    #[arg(long, default_value_t = 400)]
    picture: usize,
    #[command(flatten)]
    checkpoint: CheckpointArgs,
    /// The model file to write; the pictures go beside it (`NAME-density.png`, `NAME-samples.png`).
    #[arg(short, long, default_value = "density.ebm")]
    out: PathBuf,
}

/// The activation, as an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ActivationArg {
    /// SiLU (swish).
    Silu,
    /// Softplus.
    Softplus,
    /// tanh.
    Tanh,
}

/// The sampler of `ebm density sample`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SamplerArg {
    /// Random-walk Metropolis–Hastings (the note's sampler).
    Mh,
    /// Metropolis-adjusted Langevin.
    Mala,
    /// Hamiltonian Monte Carlo.
    Hmc,
}

/// Options of `ebm density sample`.
#[derive(clap::Args)]
pub struct SampleArgs {
    /// The model file.
    model: PathBuf,
    /// Sampler.
    #[arg(long, value_enum, default_value_t = SamplerArg::Mala)]
    sampler: SamplerArg,
    /// Independent chains (one sample each), started uniformly on [−4, 4]².
    #[arg(long, default_value_t = 2000)]
    chains: usize,
    /// Burn-in transitions per chain (the step size adapts).
    #[arg(long, default_value_t = 300)]
    burn_in: usize,
    /// Transitions after burn-in.
    #[arg(long, default_value_t = 300)]
    steps: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The scatter PNG to write.
    #[arg(short, long, default_value = "density-samples.png")]
    out: PathBuf,
    /// Also write the samples as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// Options of `ebm density eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The model file.
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Seed of the generated points.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `ebm density`.
pub fn run(command: &DensityCommand) -> anyhow::Result<()> {
    match command {
        DensityCommand::Train(args) => train(args),
        DensityCommand::Sample(args) => sample(args),
        DensityCommand::Eval(args) => eval(args),
    }
}

/// Training and held-out points (row by row), the true density when known,
/// and the quadrature grid that covers them.
struct Points {
    train: Vec<f64>,
    held_out: Vec<f64>,
    truth: Option<TrueDensity>,
    grid: Grid,
}

/// Loads or generates the points of `args`.
fn load_points(args: &DataArgs, seed: u64) -> anyhow::Result<Points> {
    let as_f64 =
        |d: ebm_data::Dataset| d.rows().flat_map(|r| r.iter().map(|&v| f64::from(v))).collect::<Vec<f64>>();
    if let Some(path) = args.data.strip_prefix("csv:") {
        let mut rows: Vec<[f64; 2]> =
            as_f64(plane::read_csv(path)?).chunks_exact(2).map(|r| [r[0], r[1]]).collect();
        if rows.len() < 10 {
            bail!("{path}: {} points are too few to train and hold out (at least 10)", rows.len());
        }
        rows.shuffle(&mut stream(seed, 2));
        let cut = rows.len() - rows.len() / 10;
        let train: Vec<f64> = rows[..cut].concat();
        let (low, high) =
            rows.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
        let margin = 0.25 * (high - low).max(1e-3);
        let range = (low - margin, high + margin);
        let grid = Grid::new(range, range, GRID_CELLS, GRID_CELLS)?;
        return Ok(Points { train, held_out: rows[cut..].concat(), truth: None, grid });
    }
    let plane = Plane::from_name(&args.data)?;
    let train = as_f64(plane.sample(args.points, &mut stream(seed, 0))?);
    let held_out = as_f64(plane.sample(args.held_out, &mut stream(seed, 1))?);
    let grid = Grid::square(HALF_WIDTH + 0.5, GRID_CELLS)?;
    Ok(Points { train, held_out, truth: Some(plane.true_density()), grid })
}

/// What `eval` reports.
struct Evaluation {
    log_partition: f64,
    model: f64,
    truth: Option<f64>,
    gaussian: f64,
    kl: Option<f64>,
}

/// Held-out log-likelihoods of the model, the truth and the Gaussian fitted
/// to the training points, and KL(truth ‖ model) on the grid.
fn evaluate(energy: &NeuralEnergy, points: &Points) -> anyhow::Result<Evaluation> {
    let model_density = points.grid.density(energy, 1.0)?;
    let model = mean_log_density(energy, model_density.log_partition(), &points.held_out)?;
    let gaussian_energy = fit_gaussian(&points.train, 2)?;
    let gaussian = mean_log_density(&gaussian_energy, gaussian_energy.log_partition(1.0)?, &points.held_out)?;
    let (truth, kl) = match &points.truth {
        Some(t) => {
            let density = points.grid.density(t, 1.0)?;
            let ll = mean_log_density(t, 0.0, &points.held_out)?;
            let kl = density.kl_divergence(&model_density)?;
            (Some(ll), Some(kl))
        }
        None => (None, None),
    };
    Ok(Evaluation { log_partition: model_density.log_partition(), model, truth, gaussian, kl })
}

fn print_evaluation(e: &Evaluation) {
    say!("held-out log-likelihood (nats per point):");
    say!("  trained energy   {:>9.4}   (log Z = {:.4} by quadrature)", e.model, e.log_partition);
    if let Some(t) = e.truth {
        say!("  true density     {t:>9.4}   (gap {:.4})", t - e.model);
    }
    say!("  single Gaussian  {:>9.4}", e.gaussian);
    if let Some(kl) = e.kl {
        say!("KL(truth ‖ model) = {kl:.4} nats");
    }
}

/// The progress bar over the updates, and a log line of the epoch's means
/// every tenth of the run.
struct TrainingLog {
    bar: Progress,
    /// Updates per epoch.
    batches: usize,
    /// Epochs of the run.
    epochs: usize,
}

impl Observer<NeuralEnergy> for TrainingLog {
    fn every(&self) -> Every {
        Every::Batch
    }

    fn observe(&mut self, moment: Moment<'_>, _: &NeuralEnergy) -> ebm_core::Result<Control> {
        match moment {
            Moment::Batch { epoch, done, .. } => self.bar.set((epoch * self.batches + done) as u64),
            Moment::Epoch(report) => {
                let (done, total) = (report.epoch + 1, self.epochs);
                if done.is_multiple_of((total / 10).max(1)) || done == total {
                    let metric = |name| report.metric(name).unwrap_or(f64::NAN);
                    self.bar.println(&format!(
                        "epoch {done:>4}/{total} (update {:>6}/{}): E(data) {:+.3}  E(negatives) {:+.3}  |grad| {:.3}",
                        done * self.batches,
                        total * self.batches,
                        metric(DATA_ENERGY),
                        metric(NEGATIVE_ENERGY),
                        metric(GRADIENT_NORM)
                    ));
                }
            }
        }
        Ok(Control::Continue)
    }
}

/// A sibling of `out` named `STEM-suffix`.
fn beside(out: &Path, suffix: &str) -> PathBuf {
    let stem = out.file_stem().map_or("density".into(), |s| s.to_string_lossy().into_owned());
    out.with_file_name(format!("{stem}-{suffix}"))
}

fn train(args: &TrainArgs) -> anyhow::Result<()> {
    crate::output::check_output_directory(&args.out)?;
    let points = load_points(&args.data, args.seed)?;
    let activation = match args.activation {
        ActivationArg::Silu => Activation::Silu,
        ActivationArg::Softplus => Activation::Softplus,
        ActivationArg::Tanh => Activation::Tanh,
    };
    let hidden = vec![args.hidden; args.layers];
    let energy = NeuralEnergy::new(2, &hidden, activation, args.confinement, &mut stream(args.seed, 3))?;
    let optimizer = match args.optimizer {
        Optimizer::Adam => OptimizerKind::adam(args.lr),
        Optimizer::Sgd => OptimizerKind::Sgd { learning_rate: args.lr, momentum: 0.9 },
    };
    let (x, y) = (points.grid.x_range(), points.grid.y_range());
    let mut trainer = DensityTrainer::new()
        .iterations(args.iterations)
        .batch_size(args.batch)
        .langevin_steps(args.langevin_steps)
        .step_size(args.step_size)
        .adjusted(!args.unadjusted)
        .buffer(args.buffer)
        .restart(args.restart)
        .regularization(args.alpha)
        .clip(args.clip)
        .optimizer(optimizer)
        .decay(!args.no_decay)
        .noise_box(vec![x, y])
        .seed(args.seed);
    if let Some(noise) = args.noise {
        trainer = trainer.noise(noise);
    }
    let work = args.batch.saturating_mul(args.langevin_steps + 2).saturating_mul(energy.num_parameters());
    let train = TrainingPoints::new(points.train.clone(), 2)?;
    let epochs = trainer.plan(train.len()).epochs;
    let mut fit = match Session::resume::<DensityLearner<NeuralEnergy>>(&args.checkpoint, epochs)? {
        Some(fit) => fit,
        None => trainer.fit(energy, &train)?,
    };
    let batches = train.len().div_ceil(args.batch);
    let remaining = epochs.saturating_sub(fit.epochs_done());
    let bar = Progress::new(remaining.saturating_mul(batches) as u64, work as u64, "training");
    let mut log = TrainingLog { bar, batches, epochs };
    let mut session = Session::new(&args.checkpoint, &args.out);
    let outcome = session.run(&mut fit, &train, &mut [&mut log]);
    log.bar.finish();
    // Written even when training diverged or was interrupted: the last good parameters.
    file::save(&args.out, fit.model())?;
    say!("wrote {}", args.out.display());
    session.finish(outcome?, &fit);
    let energy = fit.into_model();
    let evaluation = evaluate(&energy, &points)?;
    print_evaluation(&evaluation);
    if !(16..=2000).contains(&args.picture) {
        bail!("--picture must lie between 16 and 2000 pixels, got {}", args.picture);
    }
    let picture = Grid::new(x, y, args.picture, args.picture)?;
    let shape = picture.shape();
    let mut panels = vec![render::heat_map(picture.density(&energy, 1.0)?.log_density(), shape)];
    if let Some(truth) = &points.truth {
        panels.push(render::heat_map(picture.density(truth, 1.0)?.log_density(), shape));
    }
    let density_png = beside(&args.out, "density.png");
    render::write_panels(&density_png, &panels, (shape.1, shape.0))?;
    say!(
        "wrote {} (learned density{})",
        density_png.display(),
        if panels.len() > 1 { " | true density" } else { "" }
    );
    let mut chains = uniform_starts(2000, &points.grid, args.seed);
    let mala = Mala::new(0.05)?.with_adaptation(Adaptation::new());
    run_chains(&mala, &energy, &mut chains, 300, 300, args.seed)?;
    let samples_png = beside(&args.out, "samples.png");
    let size = args.picture;
    let panels = [
        render::scatter(&points.train[..points.train.len().min(4000)], x, y, size),
        render::scatter(&chains, x, y, size),
    ];
    render::write_panels(&samples_png, &panels, (size, size))?;
    say!("wrote {} (training data | MALA samples of the model)", samples_png.display());
    Ok(())
}

/// `n` points uniform on the grid's box, from the seed.
fn uniform_starts(n: usize, grid: &Grid, seed: u64) -> Vec<f64> {
    use rand::RngExt;
    let mut rng = stream(seed, 4);
    let (x, y) = (grid.x_range(), grid.y_range());
    (0..n)
        .flat_map(|_| [x.0 + (x.1 - x.0) * rng.random::<f64>(), y.0 + (y.1 - y.0) * rng.random::<f64>()])
        .collect()
}

fn sample(args: &SampleArgs) -> anyhow::Result<()> {
    let energy: NeuralEnergy = file::load(&args.model)?;
    if args.chains == 0 || args.chains > 1_000_000 {
        bail!("--chains must lie between 1 and 1000000, got {}", args.chains);
    }
    let grid = Grid::square(HALF_WIDTH, 1)?;
    let mut chains = uniform_starts(args.chains, &grid, args.seed);
    let (burn, steps, seed) = (args.burn_in, args.steps, args.seed);
    let stats = match args.sampler {
        SamplerArg::Mh => {
            let rw = RandomWalk::new(0.5)?.with_adaptation(Adaptation::new());
            run_chains(&rw, &energy, &mut chains, burn, steps, seed)
        }
        SamplerArg::Mala => {
            let mala = Mala::new(0.05)?.with_adaptation(Adaptation::new());
            run_chains(&mala, &energy, &mut chains, burn, steps, seed)
        }
        SamplerArg::Hmc => {
            let hmc = Hmc::new(0.1, 10)?.with_jitter(0.2)?.with_adaptation(Adaptation::new());
            run_chains(&hmc, &energy, &mut chains, burn, steps, seed)
        }
    }?;
    say!("{} chains, acceptance {:.3} after burn-in", args.chains, stats.rate());
    let range = (-HALF_WIDTH, HALF_WIDTH);
    render::write_panels(&args.out, &[render::scatter(&chains, range, range, PANEL)], (PANEL, PANEL))?;
    say!("wrote {}", args.out.display());
    if let Some(path) = &args.csv {
        let mut csv = String::from("x,y\n");
        for p in chains.chunks_exact(2) {
            csv.push_str(&format!("{},{}\n", p[0], p[1]));
        }
        file::write_atomic(path, csv.as_bytes())?;
        say!("wrote {}", path.display());
    }
    Ok(())
}

fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let energy: NeuralEnergy = file::load(&args.model)?;
    let points = load_points(&args.data, args.seed)?;
    let e = evaluate(&energy, &points)?;
    if args.json {
        let value = json!({
            "data": args.data.data,
            "held_out_points": points.held_out.len() / 2,
            "log_partition": e.log_partition,
            "log_likelihood": e.model,
            "true_log_likelihood": e.truth,
            "gaussian_log_likelihood": e.gaussian,
            "kl_truth_model": e.kl,
            "grid": { "x": points.grid.x_range(), "y": points.grid.y_range(), "cells": points.grid.shape() },
        });
        crate::output::print_result(&serde_json::to_string_pretty(&value)?)?;
    } else {
        print_evaluation(&e);
    }
    Ok(())
}
