//! `ebm rbm`: train, evaluate, sample and export Bernoulli RBMs.

use crate::likelihood::Likelihood;
use crate::output::say;
use crate::progress::Progress;
use crate::render;
use crate::training::{CheckpointArgs, Session, metrics_csv, series};
use anyhow::{anyhow, bail};
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::ais::AisOptions;
use ebm_boltzmann::rbm::ais::{ais_log_partition, base_rate_bias};
use ebm_boltzmann::rbm::partition::{average_log_likelihood, log_partition};
use ebm_core::{Domain, file};
use ebm_mcmc::block::BlockChains;
use ebm_mcmc::rng::seeded;
use ebm_train::SgdBuilder;
use ebm_train::fit::{Control, Every, Fit, Moment, Observer, Outcome, Validation};
use ebm_train::rbm::{
    BernoulliData, LearningRate, LikelihoodCurve, Negatives, RECONSTRUCTION_ERROR, RbmLearner, RbmTrainer,
    exact_average_log_likelihood, pseudo_log_likelihood, swap_rate_metric, swap_rates,
};
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

/// The largest layer for which training reports the exact log-likelihood.
const EXACT_LAYER: usize = 20;

/// Subcommands of `ebm rbm`.
#[derive(clap::Subcommand)]
pub enum RbmCommand {
    /// Train an RBM; writes the model and PNGs of filters, samples and metrics.
    Train(TrainArgs),
    /// Train with CD-k, PCD and PT from the same starts; plot their exact log-likelihoods per epoch.
    Compare(CompareArgs),
    /// Average log-likelihood of data under a model (exact or AIS).
    Eval(EvalArgs),
    /// Draw samples by block Gibbs and write them as a PNG grid.
    Sample(SampleArgs),
    /// Print a model as JSON.
    Export(ExportArgs),
    /// Classify data with a model trained with --labels: accuracy and confusion matrix.
    Classify(crate::labels::ClassifyArgs),
}

/// The training algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// Contrastive divergence CD-k.
    Cd,
    /// Persistent CD.
    Pcd,
    /// Parallel-tempering training.
    Pt,
}

/// How grey images become 0/1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Binarize {
    /// Pixel > ½.
    Threshold,
    /// Pixel on with probability equal to its grey value (seeded).
    Stochastic,
}

/// Where the data come from.
#[derive(clap::Args)]
pub struct DataArgs {
    /// `bars:N` (all bars-and-stripes patterns on N×N), `mnist:DIR` (the
    /// standard IDX training images in DIR, gzip or not), `mnist-test:DIR`
    /// (the test images), `shapes:N` or `shapes-test:N` (N generated 8×8
    /// shape images, training or held-out set); with `--visible gaussian`
    /// also ring8, moons, spiral, checkerboard and csv:FILE (2-D points), and
    /// grey MNIST levels.
    #[arg(long)]
    data: String,
    /// Binarisation of grey images.
    #[arg(long, value_enum, default_value_t = Binarize::Threshold)]
    binarize: Binarize,
    /// Use only the first N examples.
    #[arg(long)]
    limit: Option<usize>,
}

/// The model size and the training settings shared by `train` and `compare`.
#[derive(clap::Args)]
pub struct Settings {
    /// Hidden units.
    #[arg(long, default_value_t = 16)]
    pub(crate) hidden: usize,
    /// Gibbs steps per update.
    #[arg(short, long, default_value_t = 1)]
    pub(crate) k: usize,
    /// Persistent chains (PCD, PT: per temperature).
    #[arg(long, default_value_t = 100)]
    pub(crate) chains: usize,
    /// Temperatures of PT, spaced geometrically from 1 to --max-temperature.
    #[arg(long, default_value_t = 5)]
    pub(crate) rungs: usize,
    /// The hottest PT temperature.
    #[arg(long, default_value_t = 2.9)]
    pub(crate) max_temperature: f64,
    /// Epochs.
    #[arg(long, default_value_t = 100)]
    pub(crate) epochs: usize,
    /// Learning rate.
    #[arg(long, default_value_t = 0.05)]
    pub(crate) lr: f64,
    /// If given, the learning rate falls linearly from --lr in the first epoch to this in the last.
    #[arg(long)]
    pub(crate) lr_end: Option<f64>,
    /// Minibatch size.
    #[arg(long, default_value_t = 20)]
    pub(crate) batch: usize,
    /// Momentum.
    #[arg(long, default_value_t = 0.5)]
    pub(crate) momentum: f64,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) weight_decay: f64,
}

impl Settings {
    /// The PT temperatures T_k = T_max^{k/(K−1)}, k = 0 … K−1: equal ratios
    /// between neighbours, so β is geometric too.
    fn ladder(&self) -> anyhow::Result<Vec<f64>> {
        if self.rungs < 2 || !(self.max_temperature.is_finite() && self.max_temperature > 1.0) {
            bail!(
                "PT needs --rungs ≥ 2 and --max-temperature > 1, got {} and {}",
                self.rungs,
                self.max_temperature
            );
        }
        let last = (self.rungs - 1) as f64;
        Ok((0..self.rungs).map(|k| self.max_temperature.powf(k as f64 / last)).collect())
    }

    fn negatives(&self, algo: Algorithm) -> anyhow::Result<Negatives> {
        Ok(match algo {
            Algorithm::Cd => Negatives::ContrastiveDivergence { steps: self.k },
            Algorithm::Pcd => Negatives::Persistent { steps: self.k, chains: self.chains },
            Algorithm::Pt => {
                Negatives::Tempering { steps: self.k, chains: self.chains, temperatures: self.ladder()? }
            }
        })
    }

    fn trainer(&self, algo: Algorithm, seed: u64) -> anyhow::Result<RbmTrainer> {
        Ok(RbmTrainer::new(self.negatives(algo)?)
            .learning_rate(match self.lr_end {
                Some(end) => LearningRate::Linear { start: self.lr, end },
                None => LearningRate::Constant(self.lr),
            })
            .momentum(self.momentum)
            .weight_decay(self.weight_decay)
            .batch_size(self.batch)
            .epochs(self.epochs)
            .seed(seed))
    }

    /// The starting model of a run: N(0, 0.01²) weights drawn from `seed`,
    /// visible biases at the data's log-odds.
    fn start(&self, data: &DMatrix<f32>, seed: u64) -> anyhow::Result<BernoulliRbm> {
        let mut rbm = BernoulliRbm::random(data.ncols(), self.hidden, 0.01, &mut seeded(seed))?;
        RbmTrainer::initialise_visible_bias(&mut rbm, data)?;
        Ok(rbm)
    }
}

/// Options of `ebm rbm train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    settings: Settings,
    /// Algorithm.
    #[arg(long, value_enum, default_value_t = Algorithm::Cd)]
    algo: Algorithm,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Every N epochs (and after the last) estimate the average
    /// log-likelihood of the training data by AIS, with its error bar; 0: never.
    #[arg(long, default_value_t = 0)]
    ais_every: usize,
    /// AIS intermediate distributions during training.
    #[arg(long, default_value_t = 1_000)]
    ais_betas: usize,
    /// AIS runs during training.
    #[arg(long, default_value_t = 100)]
    ais_runs: usize,
    /// Train with label units (one-hot classes: bars/stripes/blank-or-full for
    /// bars:N, digits for mnist:DIR, shape kinds for shapes:N); writes an `rbm-labelled` model.
    #[arg(long)]
    labels: bool,
    /// What a labelled RBM maximises.
    #[arg(long, value_enum, default_value_t = crate::labels::ObjectiveArg::Hybrid)]
    objective: crate::labels::ObjectiveArg,
    /// Weight α of log P(v, y) in the hybrid objective log P(y | v) + α log P(v, y).
    #[arg(long, default_value_t = 0.1)]
    alpha: f64,
    #[command(flatten)]
    gaussian: crate::gaussian::GaussianArgs,
    #[command(flatten)]
    checkpoint: CheckpointArgs,
    /// Hold out this fraction of the examples (a seeded random choice) and
    /// report their log-likelihood (exact, or pseudo- for large models)
    /// after every epoch, beside the training one.
    #[arg(long, value_name = "FRACTION")]
    validation: Option<f64>,
    /// With --validation: stop after N epochs in a row without a better
    /// held-out score, and write the model of the best epoch.
    #[arg(long, value_name = "N", requires = "validation")]
    patience: Option<usize>,
    /// The model file to write.
    #[arg(short, long, default_value = "rbm.ebm")]
    out: PathBuf,
}

/// Options of `ebm rbm compare`.
#[derive(clap::Args)]
pub struct CompareArgs {
    #[command(flatten)]
    data: DataArgs,
    #[command(flatten)]
    settings: Settings,
    /// Runs of each algorithm, from seeds --seed, --seed + 1, …
    #[arg(long, default_value_t = 4)]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Record the exact log-likelihood every this many epochs.
    #[arg(long, default_value_t = 1)]
    every: usize,
    /// The PNG plot to write: mean log-likelihood over the seeds per epoch,
    /// CD-k blue, PCD red, PT green.
    #[arg(short, long, default_value = "rbm-compare.png")]
    out: PathBuf,
}

/// Options of `ebm rbm eval`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// The model file.
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Estimate log Z by AIS instead of enumerating the smaller layer.
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

/// Options of `ebm rbm sample`.
#[derive(clap::Args)]
pub struct SampleArgs {
    /// The model file.
    pub(crate) model: PathBuf,
    /// Chains (one image each).
    #[arg(long, default_value_t = 64)]
    pub(crate) chains: usize,
    /// Block-Gibbs steps.
    #[arg(long, default_value_t = 1000)]
    pub(crate) steps: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Clamp the label to this class (a model trained with --labels): samples of P(v | class).
    #[arg(long)]
    pub(crate) class: Option<usize>,
    /// The PNG to write.
    #[arg(short, long, default_value = "rbm-samples.png")]
    pub(crate) out: PathBuf,
    /// Also write what the PNG shows as CSV, one row per chain: P(v = 1 | h)
    /// of its final hidden state (Gaussian models: the 2-D samples, or E[v | h]).
    #[arg(long)]
    pub(crate) csv: Option<PathBuf>,
}

impl SampleArgs {
    /// Writes `rows` to the `--csv` file, if one was asked for.
    pub(crate) fn write_csv(&self, rows: &DMatrix<f32>) -> anyhow::Result<()> {
        self.csv.as_ref().map_or(Ok(()), |path| crate::output::write_rows_csv(path, rows))
    }
}

/// Options of `ebm rbm export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The model file.
    model: PathBuf,
}

/// Runs `ebm rbm`.
pub fn run(command: &RbmCommand) -> anyhow::Result<()> {
    match command {
        RbmCommand::Train(args) => train(args),
        RbmCommand::Compare(args) => compare(args),
        RbmCommand::Eval(args) => eval(args),
        RbmCommand::Sample(args) => {
            if let Some(class) = args.class {
                return crate::labels::sample(args, class);
            }
            if crate::gaussian::is_gaussian(&args.model)? {
                return crate::gaussian::sample(args);
            }
            let rbm: BernoulliRbm = file::load(&args.model)?;
            let means = draw_samples(&rbm, args.chains, args.steps, args.seed)?;
            write_visible_grid(&means, &args.out)?;
            say!("wrote {}", args.out.display());
            args.write_csv(&means)
        }
        RbmCommand::Classify(args) => crate::labels::classify(args),
        RbmCommand::Export(args) if crate::gaussian::is_gaussian(&args.model)? => {
            crate::gaussian::export(&args.model)
        }
        RbmCommand::Export(args) => {
            let rbm: BernoulliRbm = file::load(&args.model)?;
            crate::output::print_result(&file::to_json(&rbm)?)?;
            Ok(())
        }
    }
}

/// Loads the data as 0/1 rows, with the image shape when known.
pub(crate) fn load_data(args: &DataArgs, seed: u64) -> anyhow::Result<DMatrix<f32>> {
    let data = match parse_source(&args.data)? {
        Source::Bars(side) => ebm_data::bars_stripes::all(side, Domain::Bit)?,
        Source::Shapes { count, test } => crate::shapes::load(count, test)?.0,
        Source::Mnist { dir, test } => {
            let grey = ebm_data::idx::load_images(mnist_file(&dir, test, "images-idx3-ubyte")?)?;
            match args.binarize {
                Binarize::Threshold => ebm_data::binarize::threshold(&grey, 0.5, Domain::Bit)?,
                Binarize::Stochastic => {
                    ebm_data::binarize::stochastic(&grey, Domain::Bit, &mut seeded(seed))?
                }
            }
        }
    };
    let rows = args.limit.unwrap_or(data.len()).min(data.len());
    let indices: Vec<usize> = (0..rows).collect();
    data.rows_matrix(&indices).map_err(anyhow::Error::from)
}

/// The class of each example [`load_data`] loads: bars / stripes / blank or
/// full for bars:N, the digit for MNIST.
pub(crate) fn load_labels(args: &DataArgs) -> anyhow::Result<Vec<usize>> {
    let labels: Vec<usize> = match parse_source(&args.data)? {
        Source::Bars(side) => ebm_data::bars_stripes::labels(side)?,
        Source::Shapes { count, test } => crate::shapes::load(count, test)?.1,
        Source::Mnist { dir, test } => {
            ebm_data::idx::load_labels(mnist_file(&dir, test, "labels-idx1-ubyte")?)?
                .into_iter()
                .map(usize::from)
                .collect()
        }
    };
    Ok(labels.into_iter().take(args.limit.unwrap_or(usize::MAX)).collect())
}

/// Where `--data` points.
enum Source {
    Bars(usize),
    Mnist { dir: PathBuf, test: bool },
    Shapes { count: usize, test: bool },
}

fn parse_source(data: &str) -> anyhow::Result<Source> {
    if let Some(side) = data.strip_prefix("bars:") {
        return side.parse().map(Source::Bars).map_err(|_| anyhow!("`{data}`: bars:N needs a number"));
    }
    if let Some(shapes) = crate::shapes::parse(data) {
        return shapes.map(|(count, test)| Source::Shapes { count, test });
    }
    if let Some(dir) = data.strip_prefix("mnist-test:") {
        return Ok(Source::Mnist { dir: dir.into(), test: true });
    }
    if let Some(dir) = data.strip_prefix("mnist:") {
        return Ok(Source::Mnist { dir: dir.into(), test: false });
    }
    Err(anyhow!("unknown data `{data}`: use bars:N, mnist:DIR, mnist-test:DIR, shapes:N or shapes-test:N"))
}

/// The MNIST file `{train|t10k}-{what}` in `dir`, gzipped or not.
fn mnist_file(dir: &Path, test: bool, what: &str) -> anyhow::Result<PathBuf> {
    let name = format!("{}-{what}", if test { "t10k" } else { "train" });
    [dir.join(&name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.exists())
        .ok_or_else(|| anyhow!("{}: no {name} or {name}.gz", dir.display()))
}

/// The side of a square image of `units` pixels, if there is one.
pub(crate) fn square_side(units: usize) -> Option<usize> {
    let side = (units as f64).sqrt().round() as usize;
    (side * side == units).then_some(side)
}

/// The average log-likelihood of `data` with log Z by AIS from the base-rate RBM of `data`.
fn ais_likelihood(
    rbm: &BernoulliRbm,
    data: &DMatrix<f32>,
    betas: usize,
    runs: usize,
    seed: u64,
) -> anyhow::Result<Likelihood> {
    let base = base_rate_bias(data, 1.0)?;
    let estimate = ais_log_partition(rbm, &base, &AisOptions::staged(betas, runs, seed))?;
    Ok(Likelihood::ais(average_log_likelihood(rbm, data, 0.0)?, &estimate))
}

/// AIS settings for estimates during training.
struct AisSchedule {
    every: usize,
    betas: usize,
    runs: usize,
    seed: u64,
}

/// The metrics [`EpochLog`] adds to each epoch's report besides the
/// likelihood: the AIS estimate and its bounds (NaN in the epochs without one).
const AIS_COLUMNS: [&str; 3] = ["ais_log_likelihood", "ais_low", "ais_high"];

/// Moves the progress bar, scores each epoch (adding the scores to its
/// report, so that they are kept with the run) and prints it.
struct EpochLog<'a> {
    data: &'a DMatrix<f32>,
    progress: Progress,
    /// Batches per epoch.
    batches: usize,
    /// The epochs done when this process started training.
    first_epoch: usize,
    epochs: usize,
    exact: bool,
    rng: ebm_mcmc::rng::SamplerRng,
    ais: AisSchedule,
}

impl EpochLog<'_> {
    /// The name of the likelihood metric: exact, or pseudo- for large models.
    fn likelihood_metric(&self) -> &'static str {
        if self.exact { "log_likelihood" } else { "pseudo_log_likelihood" }
    }
}

impl Observer<BernoulliRbm> for EpochLog<'_> {
    fn every(&self) -> Every {
        Every::Batch
    }

    fn observe(&mut self, moment: Moment<'_>, rbm: &BernoulliRbm) -> ebm_core::Result<Control> {
        let report = match moment {
            Moment::Batch { epoch, done, .. } => {
                self.progress.set(((epoch - self.first_epoch) * self.batches + done) as u64);
                return Ok(Control::Continue);
            }
            Moment::Epoch(report) => report,
        };
        let likelihood = if self.exact {
            exact_average_log_likelihood(rbm, self.data)
        } else {
            pseudo_log_likelihood(rbm, self.data, &mut self.rng)
        }?;
        report.set_metric(self.likelihood_metric(), likelihood);
        let done = report.epoch + 1;
        let ais_due = self.ais.every > 0 && (done.is_multiple_of(self.ais.every) || done == self.epochs);
        let ais = if ais_due {
            let seed = self.ais.seed.wrapping_add(done as u64);
            ais_likelihood(rbm, self.data, self.ais.betas, self.ais.runs, seed).ok()
        } else {
            None
        };
        let bounds = ais.as_ref().map_or([f64::NAN; 3], |l| [l.value, l.low, l.high]);
        for (name, value) in AIS_COLUMNS.into_iter().zip(bounds) {
            report.set_metric(name, value);
        }
        let ais_text = match &ais {
            Some(l) => format!("  AIS log-likelihood {:.4} [{:.4}, {:.4}]", l.value, l.low, l.high),
            None if ais_due => "  AIS failed".into(),
            None => String::new(),
        };
        let rates = swap_rates(report);
        let swaps = if rates.is_empty() { String::new() } else { format!("  swap rates {rates:.2?}") };
        let kind = if self.exact { "log-likelihood" } else { "pseudo-log-likelihood" };
        let error = report.metric(RECONSTRUCTION_ERROR).unwrap_or(f64::NAN);
        self.progress.println(&format!(
            "epoch {done:>4}/{}  {kind} {likelihood:>10.4}  reconstruction error {error:.5}{ais_text}{swaps}",
            self.epochs
        ));
        Ok(Control::Continue)
    }
}

/// The metric the held-out score is reported as.
const VALIDATION_COLUMN: &str = "validation_log_likelihood";

/// `data` split into training and held-out rows: a `fraction` of the rows,
/// chosen at random from `seed`, held out (at least one, and at least one
/// left to train on).
fn split_validation(
    data: DMatrix<f32>,
    fraction: f64,
    seed: u64,
) -> anyhow::Result<(DMatrix<f32>, DMatrix<f32>)> {
    if !(fraction > 0.0 && fraction < 1.0) {
        bail!("--validation {fraction}: the held-out fraction must lie strictly between 0 and 1");
    }
    let examples = data.nrows();
    let held_out = ((examples as f64 * fraction).round() as usize).max(1);
    if held_out >= examples {
        bail!("--validation {fraction} leaves none of the {examples} examples to train on");
    }
    let mut order: Vec<usize> = (0..examples).collect();
    rand::seq::SliceRandom::shuffle(order.as_mut_slice(), &mut seeded(seed));
    let (validation, training) = order.split_at(held_out);
    Ok((data.select_rows(training), data.select_rows(validation)))
}

/// The score of a model on held-out rows: the exact average log-likelihood
/// when the smaller layer can be enumerated, else the pseudo-log-likelihood.
fn held_out_score(
    held_out: DMatrix<f32>,
    exact: bool,
    seed: u64,
) -> impl FnMut(&BernoulliRbm) -> ebm_core::Result<f64> + Send {
    let mut rng = seeded(seed);
    move |rbm| {
        if exact {
            exact_average_log_likelihood(rbm, &held_out)
        } else {
            pseudo_log_likelihood(rbm, &held_out, &mut rng)
        }
    }
}

/// The run to train: resumed from a checkpoint, or started afresh.
fn start_fit(args: &TrainArgs, data: &DMatrix<f32>, rows: &BernoulliData) -> anyhow::Result<Fit<RbmLearner>> {
    let settings = &args.settings;
    let Some(fit) = Session::resume::<RbmLearner>(&args.checkpoint, settings.epochs)? else {
        let rbm = settings.start(data, args.seed)?;
        return settings.trainer(args.algo, args.seed)?.fit(rbm, rows).map_err(anyhow::Error::from);
    };
    if fit.model().visible() != data.ncols() {
        bail!(
            "the checkpoint holds an RBM of {} visible units, the data have {} columns",
            fit.model().visible(),
            data.ncols()
        );
    }
    Ok(fit)
}

fn train(args: &TrainArgs) -> anyhow::Result<()> {
    crate::output::check_output_directory(&args.out)?;
    let gaussian = args.gaussian.visible == crate::gaussian::Visible::Gaussian;
    if args.validation.is_some() && (args.labels || gaussian) {
        bail!("--validation is for Bernoulli RBMs without labels (for now)");
    }
    if args.labels {
        let objective = crate::labels::objective(args.objective, args.alpha);
        return crate::labels::train(
            &args.data,
            &args.settings,
            objective,
            args.seed,
            &args.checkpoint,
            &args.out,
        );
    }
    if gaussian {
        return crate::gaussian::train(&crate::gaussian::TrainOptions {
            source: (&args.data.data, args.data.limit),
            settings: &args.settings,
            gaussian: &args.gaussian,
            algo: args.algo,
            seed: args.seed,
            checkpoint: &args.checkpoint,
            out: &args.out,
        });
    }
    let (data, held_out) = match args.validation {
        Some(fraction) => {
            let (training, held_out) =
                split_validation(load_data(&args.data, args.seed)?, fraction, args.seed ^ 2)?;
            (training, Some(held_out))
        }
        None => (load_data(&args.data, args.seed)?, None),
    };
    let rows = BernoulliData::new(&data)?;
    let mut fit = start_fit(args, &data, &rows)?;
    let (examples, visible) = data.shape();
    let (hidden, epochs) = (fit.model().hidden(), fit.plan().epochs);
    let batches = examples.div_ceil(fit.plan().batch_size);
    let work = (visible * hidden * fit.plan().batch_size.min(examples)) as u64;
    let remaining = batches * epochs.saturating_sub(fit.epochs_done());
    let mut log = EpochLog {
        data: &data,
        progress: Progress::new(remaining as u64, work, "batches"),
        batches,
        first_epoch: fit.epochs_done(),
        epochs,
        exact: visible.min(hidden) <= EXACT_LAYER,
        rng: seeded(args.seed ^ 1),
        ais: AisSchedule {
            every: args.ais_every,
            betas: args.ais_betas,
            runs: args.ais_runs,
            seed: args.seed,
        },
    };
    if args.checkpoint.resume.is_none() {
        say!("{examples} examples of {visible} units, {hidden} hidden, {:?}", args.algo);
        if args.algo == Algorithm::Pt {
            say!("temperatures {:.3?}", args.settings.ladder()?);
        }
    }
    if let Some(held_out) = &held_out {
        say!("{} examples held out for validation", held_out.nrows());
    }
    let mut validation = held_out.map(|rows| {
        let validation = Validation::new(VALIDATION_COLUMN, held_out_score(rows, log.exact, args.seed ^ 3));
        match args.patience {
            Some(patience) => validation.patience(patience).keep_best(),
            None => validation,
        }
    });
    let mut session = Session::new(&args.checkpoint, &args.out).keep_workers_awake();
    let mut observers: Vec<&mut dyn Observer<BernoulliRbm>> = Vec::new();
    if let Some(validation) = validation.as_mut() {
        observers.push(validation);
    }
    observers.push(&mut log);
    let outcome = session.run(&mut fit, &rows, &mut observers);
    drop(observers);
    log.progress.finish();
    // Early stopping writes the model of the best epoch; otherwise the model
    // is written even when training diverged or was interrupted: it holds
    // the last good parameters.
    let best =
        validation.and_then(|v| v.into_best()).and_then(|best| Some((best.epoch, best.score, best.model?)));
    let rbm = match &best {
        Some((epoch, score, model)) => {
            say!("best held-out log-likelihood {score:.4} after epoch {}", epoch + 1);
            model
        }
        None => fit.model(),
    };
    file::save(&args.out, rbm)?;
    say!("wrote {}", args.out.display());
    let dir = args.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = args.out.file_stem().map_or("rbm".into(), |s| s.to_string_lossy().into_owned());
    let metrics_log = dir.join(format!("{stem}-metrics.csv"));
    let history = fit.history();
    let likelihood_metric = log.likelihood_metric();
    let swap_columns = history.first().map_or(0, |r| swap_rates(r).len());
    let validation_column = args.validation.map(|_| VALIDATION_COLUMN);
    let columns: Vec<String> = [RECONSTRUCTION_ERROR, likelihood_metric]
        .into_iter()
        .chain(AIS_COLUMNS)
        .chain(validation_column)
        .map(String::from)
        .chain((0..swap_columns).map(swap_rate_metric))
        .collect();
    file::write_atomic(&metrics_log, metrics_csv(history, &columns).as_bytes())?;
    say!("wrote {} (one row per epoch)", metrics_log.display());
    let outcome = outcome?;
    session.finish(outcome, &fit);
    if outcome == Outcome::Stopped {
        say!("stopped early: no better held-out score in {} epochs", args.patience.unwrap_or(0));
    }
    if square_side(visible).is_some() {
        let filters = dir.join(format!("{stem}-filters.png"));
        write_filters(rbm.weights(), &filters)?;
        say!("wrote {} (each hidden unit's weights, black = most negative)", filters.display());
        let samples = dir.join(format!("{stem}-samples.png"));
        write_samples(rbm, 64, 1000, args.seed, &samples)?;
        say!("wrote {}", samples.display());
    }
    let plot = dir.join(format!("{stem}-metrics.png"));
    let what = if log.exact { "exact " } else { "pseudo-" };
    let series = |name: &str| series(history, name);
    let likelihoods = series(likelihood_metric);
    let epochs = Some((1.0, likelihoods.len() as f64));
    let [ais, low, high] = AIS_COLUMNS.map(series);
    if let Some(column) = validation_column {
        render::write_line_plot(&plot, &[&likelihoods, &series(column)], epochs)?;
        say!("wrote {} ({what}log-likelihood per epoch: training in blue, held out in red)", plot.display());
    } else if ais.iter().any(|v| v.is_finite()) {
        render::write_line_plot(&plot, &[&likelihoods, &ais, &low, &high], epochs)?;
        say!(
            "wrote {} ({what}log-likelihood per epoch in blue; AIS estimates in red, their bounds in green and purple)",
            plot.display()
        );
    } else {
        render::write_line_plot(&plot, &[&likelihoods], epochs)?;
        say!("wrote {} ({what}log-likelihood per epoch)", plot.display());
    }
    Ok(())
}

fn compare(args: &CompareArgs) -> anyhow::Result<()> {
    let data = load_data(&args.data, args.seed)?;
    let (examples, visible) = data.shape();
    let settings = &args.settings;
    if visible.min(settings.hidden) > EXACT_LAYER {
        bail!(
            "compare needs exact log-likelihoods: the smaller layer has {} units, more than {EXACT_LAYER}",
            visible.min(settings.hidden)
        );
    }
    if args.seeds == 0 || args.every == 0 || args.every > settings.epochs {
        bail!("compare needs --seeds ≥ 1 and 1 ≤ --every ≤ --epochs");
    }
    let ladder = settings.ladder()?;
    say!(
        "{examples} examples of {visible} units, {} hidden; {} epochs, learning rate {}{}, batches of {}; \
         {} chains; PT temperatures {ladder:.3?}; optimum −log {examples} = {:.4}",
        settings.hidden,
        settings.epochs,
        settings.lr,
        settings.lr_end.map_or(String::new(), |end| format!(" → {end}")),
        settings.batch,
        settings.chains,
        -(examples as f64).ln()
    );
    let algorithms = [(Algorithm::Cd, "CD"), (Algorithm::Pcd, "PCD"), (Algorithm::Pt, "PT")];
    let mut means: Vec<Vec<f64>> = Vec::new();
    for (algo, name) in algorithms {
        let mut sum = vec![0.0; settings.epochs / args.every];
        let (mut finals, mut peaks) = (Vec::new(), Vec::new());
        for seed in args.seed..args.seed + args.seeds {
            let mut rbm = settings.start(&data, seed)?;
            let before = exact_average_log_likelihood(&rbm, &data)?;
            let mut curve = LikelihoodCurve::new(&data, args.every);
            let trainer = settings.trainer(algo, seed)?;
            ebm_kernels::workers::with_workers_awake(|| trainer.train(&mut rbm, &data, &mut [&mut curve]))?;
            let last = curve.likelihoods.last().copied().unwrap_or(f64::NAN);
            let peak = curve.likelihoods.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let swaps = if curve.swap_rates.is_empty() {
                String::new()
            } else {
                format!("  swap rates {:.2?}", curve.swap_rates)
            };
            say!("{name:<4} seed {seed:>3}: log-likelihood {before:.4} → {last:.4} (peak {peak:.4}){swaps}");
            sum.iter_mut().zip(&curve.likelihoods).for_each(|(s, l)| *s += l);
            finals.push(last);
            peaks.push(peak);
        }
        let n = args.seeds as f64;
        say!(
            "{name:<4} mean final {:.4}, mean peak {:.4}",
            finals.iter().sum::<f64>() / n,
            peaks.iter().sum::<f64>() / n
        );
        means.push(sum.iter().map(|s| s / n).collect());
    }
    let series: Vec<&[f64]> = means.iter().map(Vec::as_slice).collect();
    let x_range = (args.every as f64, (args.every * means[0].len()) as f64);
    render::write_line_plot(&args.out, &series, Some(x_range))?;
    say!(
        "wrote {} (mean exact log-likelihood against epoch: CD blue, PCD red, PT green)",
        args.out.display()
    );
    Ok(())
}

/// Runs `chains` block-Gibbs chains `steps` steps from random states and
/// writes the final P(v | h) as a grid of grey images.
fn write_samples(
    rbm: &BernoulliRbm,
    chains: usize,
    steps: usize,
    seed: u64,
    out: &Path,
) -> anyhow::Result<()> {
    write_visible_grid(&draw_samples(rbm, chains, steps, seed)?, out)
}

/// Runs `chains` block-Gibbs chains `steps` steps from random states and
/// returns P(v = 1 | h) of their final hidden states, one row per chain.
fn draw_samples(rbm: &BernoulliRbm, chains: usize, steps: usize, seed: u64) -> anyhow::Result<DMatrix<f32>> {
    let mut rng = seeded(seed);
    let start = DMatrix::from_fn(chains, rbm.visible(), |_, _| {
        f32::from(u8::from(rand::RngExt::random::<bool>(&mut rng)))
    });
    let mut blocks = BlockChains::from_visible(rbm, start)?;
    for _ in 0..steps {
        blocks.step(rbm, 1.0, &mut rng)?;
    }
    rbm.visible_probabilities(&blocks.hidden).map_err(anyhow::Error::from)
}

/// Writes each row of `means` (P(v = 1), one image per row) as a grid of
/// grey images, ink dark: 1 − P(v = 1). Square images when the width is a square.
pub(crate) fn write_visible_grid(means: &DMatrix<f32>, out: &Path) -> anyhow::Result<()> {
    let images: Vec<Vec<f32>> = means.row_iter().map(|row| row.iter().map(|&p| 1.0 - p).collect()).collect();
    let (h, w) = square_side(means.ncols()).map_or((1, means.ncols()), |s| (s, s));
    render::write_grey_grid(out, &images, (h, w), 8, if h < 10 { 8 } else { 2 })
}

/// Writes each column of `weights` (one hidden unit's weights to a square
/// image of visible units) as a grey image, black the most negative weight
/// of the whole matrix and white the most positive.
pub(crate) fn write_filters(weights: &DMatrix<f32>, out: &Path) -> anyhow::Result<()> {
    let side = square_side(weights.nrows()).ok_or_else(|| anyhow!("filters need a square visible layer"))?;
    let (low, high) =
        weights.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let span = (high - low).max(f32::MIN_POSITIVE);
    let images: Vec<Vec<f32>> =
        weights.column_iter().map(|column| column.iter().map(|&x| (x - low) / span).collect()).collect();
    render::write_grey_grid(out, &images, (side, side), 16, if side < 10 { 8 } else { 2 })
}

fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    if crate::gaussian::is_gaussian(&args.model)? {
        return crate::gaussian::eval(&crate::gaussian::EvalOptions {
            model: &args.model,
            source: &args.data.data,
            limit: args.data.limit,
            ais: args.ais.then_some((args.betas, args.runs)),
            seed: args.seed,
            json: args.json,
        });
    }
    let rbm: BernoulliRbm = file::load(&args.model)?;
    let data = load_data(&args.data, args.seed)?;
    let (likelihood, method) = if args.ais {
        (ais_likelihood(&rbm, &data, args.betas, args.runs, args.seed)?, "ais")
    } else {
        let log_z = log_partition(&rbm)?;
        (Likelihood::exact(average_log_likelihood(&rbm, &data, 0.0)?, log_z), "exact")
    };
    likelihood.print(method, "average log-likelihood", data.nrows(), args.json)
}
