//! `ebm dbm`: train, evaluate, sample and export deep Boltzmann machines.

use crate::likelihood::Likelihood;
use crate::output::say;
use crate::progress::Progress;
use crate::rbm::{DataArgs, load_data, square_side, write_filters, write_visible_grid};
use crate::render;
use crate::training::{CheckpointArgs, Session, metrics_csv, series};
use anyhow::{anyhow, bail};
use ebm_boltzmann::DeepBoltzmannMachine;
use ebm_boltzmann::ais::AisOptions;
use ebm_boltzmann::dbm::DbmChains;
use ebm_boltzmann::dbm::ais::ais_log_partition;
use ebm_boltzmann::dbm::exact::{free_energy, log_partition};
use ebm_boltzmann::dbm::mean_field::{MeanFieldOptions, mean_field, variational_bound};
use ebm_boltzmann::rbm::ais::base_rate_bias;
use ebm_core::file;
use ebm_mcmc::rng::seeded;
use ebm_train::dbm::{DbmLearner, DbmTrainer, MEAN_FIELD_ROUNDS, Pretraining, pretrain};
use ebm_train::fit::{Control, Fit, Moment, Observer};
use ebm_train::{LearningRate, SgdBuilder};
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

/// Subcommands of `ebm dbm`.
#[derive(clap::Subcommand)]
pub enum DbmCommand {
    /// Train a DBM (optionally pretrained layer by layer); writes the model
    /// and PNGs of first-layer filters, samples and metrics.
    Train(TrainArgs),
    /// Average log-likelihood of data: exact for small machines, or the
    /// mean-field lower bound with log Z by AIS.
    Eval(EvalArgs),
    /// Draw samples by block Gibbs and write them as a PNG grid.
    Sample(SampleArgs),
    /// Print a model as JSON.
    Export(ExportArgs),
}

/// Options of `ebm dbm train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Hidden layer sizes, bottom first (e.g. `--layers 12,6`).
    #[arg(long, value_delimiter = ',', default_values_t = [16, 8])]
    layers: Vec<usize>,
    /// Epochs of greedy layer-wise pretraining per layer (0: start from small random weights).
    #[arg(long, default_value_t = 0)]
    pretrain_epochs: usize,
    /// Epochs of joint training.
    #[arg(long, default_value_t = 100)]
    epochs: usize,
    /// Learning rate (falls linearly to a tenth of it by the last epoch).
    #[arg(long, default_value_t = 0.05)]
    lr: f64,
    /// Minibatch size.
    #[arg(long, default_value_t = 20)]
    batch: usize,
    /// Momentum.
    #[arg(long, default_value_t = 0.5)]
    momentum: f64,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Persistent chains.
    #[arg(long, default_value_t = 100)]
    chains: usize,
    /// Block-Gibbs steps per update.
    #[arg(short, long, default_value_t = 5)]
    k: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// AIS intermediate distributions for the final estimate (large machines).
    #[arg(long, default_value_t = 2_000)]
    ais_betas: usize,
    /// AIS runs for the final estimate (large machines).
    #[arg(long, default_value_t = 100)]
    ais_runs: usize,
    /// The model file to write.
    #[command(flatten)]
    checkpoint: CheckpointArgs,
    #[arg(short, long, default_value = "dbm.ebm")]
    out: PathBuf,
}

/// Options of `ebm dbm eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The model file.
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Estimate log Z by AIS and report the mean-field lower bound, instead of enumerating.
    #[arg(long)]
    ais: bool,
    /// AIS intermediate distributions.
    #[arg(long, default_value_t = 10_000)]
    betas: usize,
    /// AIS runs.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `ebm dbm sample`.
#[derive(clap::Args)]
pub struct SampleArgs {
    /// The model file.
    model: PathBuf,
    /// Chains (one image each).
    #[arg(long, default_value_t = 64)]
    chains: usize,
    /// Block-Gibbs steps.
    #[arg(long, default_value_t = 1000)]
    steps: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The PNG to write.
    #[arg(short, long, default_value = "dbm-samples.png")]
    out: PathBuf,
    /// Also write what the PNG shows as CSV, one row per chain: P(v = 1 | x₁)
    /// of its final first hidden layer.
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// Options of `ebm dbm export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The model file.
    model: PathBuf,
}

/// Runs `ebm dbm`.
pub fn run(command: &DbmCommand) -> anyhow::Result<()> {
    let load = |path: &Path| file::load::<DeepBoltzmannMachine>(path).map_err(anyhow::Error::from);
    match command {
        DbmCommand::Train(args) => train(args),
        DbmCommand::Eval(args) => eval(args),
        DbmCommand::Sample(args) => {
            let means = draw_samples(&load(&args.model)?, args.chains, args.steps, args.seed)?;
            write_visible_grid(&means, &args.out)?;
            say!("wrote {}", args.out.display());
            args.csv.as_ref().map_or(Ok(()), |path| crate::output::write_rows_csv(path, &means))
        }
        DbmCommand::Export(args) => {
            crate::output::print_result(&file::to_json(&load(&args.model)?)?)?;
            Ok(())
        }
    }
}

/// The exact average log-likelihood, or `None` when the machine is too large to enumerate.
fn exact_likelihood(dbm: &DeepBoltzmannMachine, data: &DMatrix<f32>) -> Option<Likelihood> {
    let log_z = log_partition(dbm).ok()?;
    let free = free_energy(dbm, data).ok()?;
    Some(Likelihood::exact(-free.iter().sum::<f64>() / data.nrows() as f64, log_z))
}

/// The mean-field lower bound on the average log-likelihood, with log Z by
/// AIS from the base-rate model of `data`.
fn bound_with_ais(
    dbm: &DeepBoltzmannMachine,
    data: &DMatrix<f32>,
    betas: usize,
    runs: usize,
    seed: u64,
) -> anyhow::Result<Likelihood> {
    let base = base_rate_bias(data, 1.0)?;
    let estimate = ais_log_partition(dbm, &base, &AisOptions::staged(betas, runs, seed))?;
    let field = mean_field(dbm, data, MeanFieldOptions::default())?;
    let bounds = variational_bound(dbm, &field)?;
    Ok(Likelihood::ais(bounds.iter().sum::<f64>() / data.nrows() as f64, &estimate))
}

/// The metric the exact log-likelihood of the training data is logged as.
const LOG_LIKELIHOOD: &str = "log_likelihood";

/// Scores each epoch (the exact log-likelihood, when the DBM is small
/// enough), adds the score to its report and prints it.
struct EpochLog<'a> {
    data: &'a DMatrix<f32>,
    exact: bool,
    epochs: usize,
    progress: Progress,
}

impl Observer<DeepBoltzmannMachine> for EpochLog<'_> {
    fn observe(&mut self, moment: Moment<'_>, dbm: &DeepBoltzmannMachine) -> ebm_core::Result<Control> {
        let Moment::Epoch(report) = moment else {
            return Ok(Control::Continue);
        };
        let rounds = report.metric(MEAN_FIELD_ROUNDS).unwrap_or(f64::NAN);
        let likelihood = if self.exact {
            exact_likelihood(dbm, self.data).map_or(f64::NAN, |l| l.value)
        } else {
            f64::NAN
        };
        report.set_metric(LOG_LIKELIHOOD, likelihood);
        let done = report.epoch + 1;
        self.progress.set(done as u64);
        let shown = if self.exact { format!("  log-likelihood {likelihood:>10.4}") } else { String::new() };
        self.progress
            .println(&format!("epoch {done:>4}/{}{shown}  mean-field rounds {rounds:.1}", self.epochs));
        Ok(Control::Continue)
    }
}

/// The run to train: resumed from a checkpoint, or a DBM (pretrained if
/// asked) and a new run.
fn start_fit(args: &TrainArgs, data: &DMatrix<f32>) -> anyhow::Result<Fit<DbmLearner>> {
    if let Some(fit) = Session::resume::<DbmLearner>(&args.checkpoint, args.epochs)? {
        if fit.model().visible() != data.ncols() {
            bail!(
                "the checkpoint holds a DBM of {} visible units, the data have {} columns",
                fit.model().visible(),
                data.ncols()
            );
        }
        return Ok(fit);
    }
    let sizes: Vec<usize> = std::iter::once(data.ncols()).chain(args.layers.iter().copied()).collect();
    let dbm = if args.pretrain_epochs > 0 {
        say!("pretraining {} layers for {} epochs each", args.layers.len(), args.pretrain_epochs);
        let settings = Pretraining {
            epochs: args.pretrain_epochs,
            learning_rate: LearningRate::Constant(args.lr),
            momentum: args.momentum,
            batch_size: args.batch,
            seed: args.seed,
            ..Pretraining::default()
        };
        pretrain(&sizes, data, &settings)?
    } else {
        DeepBoltzmannMachine::random(&sizes, 0.01, &mut seeded(args.seed))?
    };
    say!("{} examples of {} units, DBM layers {sizes:?}", data.nrows(), data.ncols());
    DbmTrainer::new()
        .learning_rate(LearningRate::Linear { start: args.lr, end: args.lr / 10.0 })
        .momentum(args.momentum)
        .weight_decay(args.weight_decay)
        .batch_size(args.batch)
        .epochs(args.epochs)
        .chains(args.chains)
        .gibbs_steps(args.k)
        .seed(args.seed)
        .fit(dbm, data)
        .map_err(anyhow::Error::from)
}

fn train(args: &TrainArgs) -> anyhow::Result<()> {
    crate::output::check_output_directory(&args.out)?;
    let data = load_data(&args.data, args.seed)?;
    let visible = data.ncols();
    let mut fit = start_fit(args, &data)?;
    let exact = exact_likelihood(fit.model(), &data).is_some();
    let remaining = args.epochs.saturating_sub(fit.epochs_done());
    let mut log = EpochLog {
        data: &data,
        exact,
        epochs: args.epochs,
        progress: Progress::new(remaining as u64, 0, "epochs"),
    };
    let mut session = Session::new(&args.checkpoint, &args.out);
    let outcome = session.run(&mut fit, &data, &mut [&mut log]);
    log.progress.finish();
    // The model is written even when training diverged or was interrupted:
    // it holds the last good parameters.
    let dbm = fit.model();
    file::save(&args.out, dbm)?;
    say!("wrote {}", args.out.display());
    let dir = args.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = args.out.file_stem().map_or("dbm".into(), |s| s.to_string_lossy().into_owned());
    let metrics_log = dir.join(format!("{stem}-metrics.csv"));
    let columns = [MEAN_FIELD_ROUNDS, LOG_LIKELIHOOD].map(String::from);
    file::write_atomic(&metrics_log, metrics_csv(fit.history(), &columns).as_bytes())?;
    say!("wrote {} (one row per epoch)", metrics_log.display());
    session.finish(outcome?, &fit);
    if !exact {
        let bound = bound_with_ais(dbm, &data, args.ais_betas, args.ais_runs, args.seed)?;
        say!(
            "mean-field lower bound on the average log-likelihood (log Z by AIS): {:.4} [{:.4}, {:.4}]",
            bound.value,
            bound.low,
            bound.high
        );
    }
    if square_side(visible).is_some() {
        let filters = dir.join(format!("{stem}-filters.png"));
        write_filters(dbm.weights(1), &filters)?;
        say!("wrote {} (first-layer weights of each unit, black = most negative)", filters.display());
        let samples = dir.join(format!("{stem}-samples.png"));
        write_samples(dbm, 64, 1000, args.seed, &samples)?;
        say!("wrote {}", samples.display());
    }
    if exact {
        let plot = dir.join(format!("{stem}-metrics.png"));
        render::write_line_plot(&plot, &[&series(fit.history(), LOG_LIKELIHOOD)], None)?;
        say!("wrote {} (exact log-likelihood per epoch)", plot.display());
    }
    Ok(())
}

/// Runs `chains` block-Gibbs chains `steps` steps from random states and
/// writes P(v = 1 | x₁) of their final states as a grid of grey images.
fn write_samples(
    dbm: &DeepBoltzmannMachine,
    chains: usize,
    steps: usize,
    seed: u64,
    out: &Path,
) -> anyhow::Result<()> {
    write_visible_grid(&draw_samples(dbm, chains, steps, seed)?, out)
}

/// Runs `chains` block-Gibbs chains `steps` steps from random states and
/// returns P(v = 1 | x₁) of their final states, one row per chain.
fn draw_samples(
    dbm: &DeepBoltzmannMachine,
    chains: usize,
    steps: usize,
    seed: u64,
) -> anyhow::Result<DMatrix<f32>> {
    let mut rng = seeded(seed);
    let mut state = DbmChains::random(dbm, chains, &mut rng);
    for _ in 0..steps {
        state.step(dbm, &mut rng)?;
    }
    dbm.layer_probabilities(&state.layers, 0).map_err(anyhow::Error::from)
}

fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let dbm: DeepBoltzmannMachine = file::load(&args.model)?;
    let data = load_data(&args.data, args.seed)?;
    if args.ais {
        let bound = bound_with_ais(&dbm, &data, args.betas, args.runs, args.seed)?;
        bound.print("ais", "average log-likelihood lower bound", data.nrows(), args.json)
    } else {
        let exact = exact_likelihood(&dbm, &data).ok_or_else(|| {
            anyhow!("the machine is too large to enumerate; use --ais for the mean-field bound with AIS")
        })?;
        exact.print("exact", "average log-likelihood", data.nrows(), args.json)
    }
}
