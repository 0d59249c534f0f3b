//! `ebm rbm … --visible gaussian`: Gaussian–Bernoulli RBMs on real-valued
//! data — trained on standardised data, written in the data's own units,
//! evaluated exactly (small hidden layers) or by AIS, sampled by block Gibbs.

use crate::likelihood::Likelihood;
use crate::output::say;
use crate::progress::Progress;
use crate::rbm::{Algorithm, Settings, square_side, write_visible_grid};
use crate::render;
use crate::training::{CheckpointArgs, Session};
use anyhow::{anyhow, bail};
use ebm_boltzmann::GaussianRbm;
use ebm_boltzmann::ais::AisOptions;
use ebm_boltzmann::rbm::gaussian::ais::{AisBase, ais_log_partition};
use ebm_boltzmann::rbm::gaussian::partition::{
    MAX_ENUMERATED_HIDDEN, average_log_likelihood, log_marginal_hidden, log_partition,
};
use ebm_core::file;
use ebm_core::quadrature::Grid;
use ebm_data::plane::{HALF_WIDTH, Plane, TrueDensity};
use ebm_data::standardize::Standardization;
use ebm_mcmc::block::BlockChains;
use ebm_mcmc::rng::{seeded, stream};
use ebm_train::density::{fit_gaussian, mean_log_density};
use ebm_train::fit::{Control, Every, Fit, Moment, Observer};
use ebm_train::rbm::RECONSTRUCTION_ERROR;
use ebm_train::rbm::gaussian::{GaussianLearner, GaussianNegatives, GaussianTrainer};
use ebm_train::{LearningRate, SgdBuilder};
use nalgebra::DMatrix;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use std::path::Path;

/// Training reports the exact log-likelihood every epoch up to this many hidden units.
const EXACT_HIDDEN: usize = 20;

/// Pixels per side of each picture panel.
const PANEL: usize = 400;

/// Standard deviations below this (in the data's units) are raised to it
/// before standardising, so constant features (image borders) stay finite.
const MIN_STD: f32 = 1e-2;

/// The visible units of `ebm rbm train`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Visible {
    /// 0/1 units (a Bernoulli RBM).
    Bernoulli,
    /// Real units with a variance each (a Gaussian–Bernoulli RBM on standardised data).
    Gaussian,
}

/// The options of `ebm rbm train` that concern Gaussian visible units.
#[derive(clap::Args)]
pub struct GaussianArgs {
    /// Visible units: `gaussian` for real-valued data (ring8, moons, spiral,
    /// checkerboard, csv:FILE, mnist:DIR grey levels).
    #[arg(long, value_enum, default_value_t = Visible::Bernoulli)]
    pub visible: Visible,
    /// Learn each visible unit's variance (otherwise σ = 1 in standardised units).
    #[arg(long)]
    learn_variance: bool,
    /// The log-variances' learning rate as a fraction of --lr.
    #[arg(long, default_value_t = 0.3)]
    variance_rate: f64,
    /// The smallest variance learning may reach, in standardised units.
    #[arg(long, default_value_t = 0.01)]
    min_variance: f64,
    /// Points generated from a 2-D data set for training (as many again, halved, are held out).
    #[arg(long, default_value_t = 10_000)]
    points: usize,
}

/// Real-valued data: the training rows, held-out rows, and the true
/// density of a generated 2-D set.
struct RealData {
    train: DMatrix<f32>,
    held_out: DMatrix<f32>,
    truth: Option<TrueDensity>,
}

/// Loads `source`: a built-in 2-D set (`points` training points and half as
/// many held out, from streams 0 and 1 of `seed`), `csv:FILE` (2-D points;
/// every tenth held out) or `mnist:DIR` / `mnist-test:DIR` (grey levels in
/// [0, 1]; the first `limit` images, every tenth held out).
fn load(source: &str, points: usize, limit: Option<usize>, seed: u64) -> anyhow::Result<RealData> {
    let split = |all: DMatrix<f32>| {
        let rows = limit.unwrap_or(all.nrows()).min(all.nrows());
        let (train, held): (Vec<usize>, Vec<usize>) = (0..rows).partition(|r| r % 10 != 9);
        let pick = |rows: &[usize]| DMatrix::from_fn(rows.len(), all.ncols(), |r, c| all[(rows[r], c)]);
        RealData { train: pick(&train), held_out: pick(&held), truth: None }
    };
    if let Some(path) = source.strip_prefix("csv:") {
        return Ok(split(ebm_data::plane::read_csv(path)?.to_matrix()));
    }
    for (prefix, test) in [("mnist-test:", true), ("mnist:", false)] {
        if let Some(dir) = source.strip_prefix(prefix) {
            let name = if test { "t10k-images-idx3-ubyte" } else { "train-images-idx3-ubyte" };
            let path = [Path::new(dir).join(name), Path::new(dir).join(format!("{name}.gz"))]
                .into_iter()
                .find(|p| p.exists())
                .ok_or_else(|| anyhow!("{dir}: no {name} or {name}.gz"))?;
            return Ok(split(ebm_data::idx::load_images(path)?.to_matrix()));
        }
    }
    let plane = Plane::from_name(source).map_err(|_| {
        anyhow!("unknown data `{source}` for Gaussian visible units: use ring8, moons, spiral, checkerboard, csv:FILE or mnist:DIR")
    })?;
    let held = (points / 2).max(1);
    Ok(RealData {
        train: plane.sample(points, &mut stream(seed, 0))?.to_matrix(),
        held_out: plane.sample(held, &mut stream(seed, 1))?.to_matrix(),
        truth: Some(plane.true_density()),
    })
}

/// Rows as one flat f64 vector (what the 2-D helpers take).
fn flat(m: &DMatrix<f32>) -> Vec<f64> {
    m.row_iter().flat_map(|r| r.iter().map(|&x| f64::from(x)).collect::<Vec<_>>()).collect()
}

/// Prints each epoch's exact log-likelihood of the training data (in the data's units).
struct EpochLog<'a> {
    train: &'a DMatrix<f32>,
    log_jacobian: f64,
    exact: bool,
    progress: Progress,
    batches: usize,
    epochs: usize,
    /// The epochs done when this process started training.
    first_epoch: usize,
}

impl Observer<GaussianRbm> for EpochLog<'_> {
    fn every(&self) -> Every {
        Every::Batch
    }

    fn observe(&mut self, moment: Moment<'_>, rbm: &GaussianRbm) -> ebm_core::Result<Control> {
        let report = match moment {
            Moment::Batch { epoch, done, .. } => {
                self.progress.set(((epoch - self.first_epoch) * self.batches + done) as u64);
                return Ok(Control::Continue);
            }
            Moment::Epoch(report) => report,
        };
        let likelihood = if self.exact {
            let ll = log_partition(rbm).and_then(|z| average_log_likelihood(rbm, self.train, z));
            format!("  log-likelihood {:>9.4}", ll.map_or(f64::NAN, |l| l - self.log_jacobian))
        } else {
            String::new()
        };
        let sigma = rbm.std_dev();
        let mean_sigma = sigma.iter().map(|&s| f64::from(s)).sum::<f64>() / sigma.len().max(1) as f64;
        self.progress.println(&format!(
            "epoch {:>4}/{}{likelihood}  reconstruction error {:.5}  mean σ {mean_sigma:.4} (standardised)",
            report.epoch + 1,
            self.epochs,
            report.metric(RECONSTRUCTION_ERROR).unwrap_or(f64::NAN)
        ));
        Ok(Control::Continue)
    }
}

/// What `ebm rbm train --visible gaussian` is asked to do.
pub struct TrainOptions<'a> {
    /// The data source and the first rows to keep.
    pub source: (&'a str, Option<usize>),
    /// The model size and the training settings.
    pub settings: &'a Settings,
    /// The Gaussian units' settings.
    pub gaussian: &'a GaussianArgs,
    /// CD or PCD.
    pub algo: Algorithm,
    /// The seed.
    pub seed: u64,
    /// The checkpoint flags.
    pub checkpoint: &'a CheckpointArgs,
    /// The model file to write.
    pub out: &'a Path,
}

/// `ebm rbm train --visible gaussian`: trains on the standardised data (the
/// standardisation is recomputed from the data, so a resumed run sees the
/// same numbers) and writes the model in the data's units.
pub fn train(options: &TrainOptions<'_>) -> anyhow::Result<()> {
    let (settings, seed, out) = (options.settings, options.seed, options.out);
    let data = load(options.source.0, options.gaussian.points, options.source.1, seed)?;
    let standard = Standardization::fit(&data.train, MIN_STD)?;
    let train = standard.apply(&data.train)?;
    let (examples, visible) = train.shape();
    let mut fit = match Session::resume::<GaussianLearner>(options.checkpoint, settings.epochs)? {
        Some(fit) => fit,
        None => start(options, &train)?,
    };
    let hidden = fit.model().hidden();
    let batches = examples.div_ceil(settings.batch.max(1));
    let work = (visible * hidden * settings.batch) as u64;
    let remaining = batches * settings.epochs.saturating_sub(fit.epochs_done());
    let mut log = EpochLog {
        train: &train,
        log_jacobian: standard.log_jacobian(),
        exact: hidden <= EXACT_HIDDEN,
        progress: Progress::new(remaining as u64, work, "batches"),
        batches,
        epochs: settings.epochs,
        first_epoch: fit.epochs_done(),
    };
    let mut session = Session::new(options.checkpoint, out);
    let outcome = session.run(&mut fit, &train, &mut [&mut log]);
    log.progress.finish();
    // Written in the data's units, even after a divergence or an interruption (the last good parameters).
    let model = fit.model().rescaled(standard.mean(), standard.std_dev())?;
    file::save(out, &model)?;
    say!("wrote {} (in the data's units)", out.display());
    session.finish(outcome?, &fit);
    if model.hidden() <= MAX_ENUMERATED_HIDDEN {
        let log_z = log_partition(&model)?;
        print_comparison(&model, log_z, &data)?;
    }
    pictures(&model, &data, seed, out)
}

/// A new run on the standardised rows `train`.
fn start(options: &TrainOptions<'_>, train: &DMatrix<f32>) -> anyhow::Result<Fit<GaussianLearner>> {
    let (settings, args, algo, seed) = (options.settings, options.gaussian, options.algo, options.seed);
    let (examples, visible) = train.shape();
    let negatives = match algo {
        Algorithm::Cd => GaussianNegatives::ContrastiveDivergence { steps: settings.k },
        Algorithm::Pcd => GaussianNegatives::Persistent { steps: settings.k, chains: settings.chains },
        Algorithm::Pt => return Err(anyhow!("Gaussian visible units train with --algo cd or pcd")),
    };
    let trainer = GaussianTrainer::new(negatives)
        .learning_rate(match settings.lr_end {
            Some(end) => LearningRate::Linear { start: settings.lr, end },
            None => LearningRate::Constant(settings.lr),
        })
        .learn_variance(args.learn_variance)
        .variance_rate(args.variance_rate)
        .min_variance(args.min_variance)
        .momentum(settings.momentum)
        .weight_decay(settings.weight_decay)
        .batch_size(settings.batch)
        .epochs(settings.epochs)
        .seed(seed);
    // Weights from N(0, 1/n): on standardised data every hidden input then
    // starts with unit variance, which breaks the data's symmetries at once.
    let scale = 1.0 / (visible as f32).sqrt();
    let mut rbm = GaussianRbm::random(visible, settings.hidden, scale, &mut stream(seed, 2))?;
    trainer.initialise_visible(&mut rbm, train)?;
    say!(
        "{examples} examples of {visible} real units (standardised), {} hidden, {algo:?}, variances {}",
        settings.hidden,
        if args.learn_variance { "learned" } else { "fixed at 1" }
    );
    trainer.fit(rbm, train).map_err(anyhow::Error::from)
}

/// Held-out log-likelihoods of the model (given log Z), the true density and
/// the Gaussian fitted to the training rows, all in nats per example in the data's units.
fn print_comparison(model: &GaussianRbm, log_z: f64, data: &RealData) -> anyhow::Result<()> {
    let ll = average_log_likelihood(model, &data.held_out, log_z)?;
    say!("held-out log-likelihood ({} examples, nats per example, a density):", data.held_out.nrows());
    say!("  Gaussian RBM     {ll:>10.4}   (exact log Z = {log_z:.4})");
    let held = flat(&data.held_out);
    if let Some(truth) = &data.truth {
        let t = mean_log_density(truth, 0.0, &held)?;
        say!("  true density     {t:>10.4}   (gap {:.4})", t - ll);
    }
    if let Ok(fit) = fit_gaussian(&flat(&data.train), data.train.ncols()) {
        let g = mean_log_density(&fit, fit.log_partition(1.0)?, &held)?;
        say!("  single Gaussian  {g:>10.4}");
    }
    Ok(())
}

/// Runs `chains` block-Gibbs chains for `steps` steps from the visible means a.
fn gibbs(model: &GaussianRbm, chains: usize, steps: usize, seed: u64) -> anyhow::Result<BlockChains> {
    if chains == 0 || chains > 1_000_000 {
        bail!("--chains must lie between 1 and 1000000, got {chains}");
    }
    let start = DMatrix::from_fn(chains, model.visible(), |_, i| model.visible_bias()[i]);
    let mut blocks = BlockChains::from_visible(model, start)?;
    let mut rng = seeded(seed);
    for _ in 0..steps {
        blocks.step(model, 1.0, &mut rng)?;
    }
    Ok(blocks)
}

/// The largest hidden layer whose marginal P(h) is tabulated for exact samples.
const ANCESTRAL_HIDDEN: usize = 20;

/// `count` exact samples by ancestral sampling — h from its marginal
/// P(h) ∝ ∫ e^{−E(v, h)} dv (tabulated over all 2ᵐ states), then v | h from
/// its Gaussian — when the hidden layer is small; otherwise the states of
/// as many block-Gibbs chains after `steps` steps. Returns the samples and
/// how they were drawn.
fn draw_2d(
    model: &GaussianRbm,
    count: usize,
    steps: usize,
    seed: u64,
) -> anyhow::Result<(DMatrix<f32>, &'static str)> {
    if model.hidden() > ANCESTRAL_HIDDEN {
        return Ok((gibbs(model, count, steps, seed)?.visible, "block-Gibbs samples"));
    }
    let m = model.hidden();
    let states = DMatrix::from_fn(1 << m, m, |s, j| (s >> j & 1) as f32);
    let log_z = log_partition(model)?;
    let weights: Vec<f64> = log_marginal_hidden(model, &states)?.iter().map(|l| (l - log_z).exp()).collect();
    let pick = WeightedIndex::new(&weights)?;
    let mut rng = seeded(seed);
    let rows: Vec<usize> = (0..count).map(|_| pick.sample(&mut rng)).collect();
    let hidden = DMatrix::from_fn(count, m, |r, j| states[(rows[r], j)]);
    Ok((model.draw_visible(&hidden, &mut rng)?, "exact (ancestral) samples"))
}

/// 2-D models: the density heat map (beside the truth) and samples beside
/// the data; square images: a grid of sample means. Nothing otherwise.
fn pictures(model: &GaussianRbm, data: &RealData, seed: u64, out: &Path) -> anyhow::Result<()> {
    let beside = |suffix: &str| {
        let stem = out.file_stem().map_or("rbm".into(), |s| s.to_string_lossy().into_owned());
        out.with_file_name(format!("{stem}-{suffix}"))
    };
    if model.visible() == 2 {
        let range = box_of(&data.train);
        let grid = Grid::new(range, range, PANEL, PANEL)?;
        let mut panels = vec![render::heat_map(grid.density(model, 1.0)?.log_density(), grid.shape())];
        if let Some(truth) = &data.truth {
            panels.push(render::heat_map(grid.density(truth, 1.0)?.log_density(), grid.shape()));
        }
        let density = beside("density.png");
        render::write_panels(&density, &panels, (PANEL, PANEL))?;
        say!(
            "wrote {} (learned density{})",
            density.display(),
            if panels.len() > 1 { " | true density" } else { "" }
        );
        let (samples, how) = draw_2d(model, 4000, 200, seed)?;
        let train = flat(&data.train);
        let panels = [
            render::scatter(&train[..train.len().min(8000)], range, range, PANEL),
            render::scatter(&flat(&samples), range, range, PANEL),
        ];
        let path = beside("samples.png");
        render::write_panels(&path, &panels, (PANEL, PANEL))?;
        say!("wrote {} (training data | {how} of the model)", path.display());
    } else if square_side(model.visible()).is_some() {
        let path = beside("samples.png");
        write_image_samples(model, 64, 1000, seed, &path)?;
        say!("wrote {}", path.display());
    }
    Ok(())
}

/// A square box around the points: [−4, 4] for the built-in sets, else the
/// points' range with a quarter of it as margin.
fn box_of(points: &DMatrix<f32>) -> (f64, f64) {
    let (low, high) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(f64::from(x)), h.max(f64::from(x))));
    if low >= -HALF_WIDTH && high <= HALF_WIDTH {
        return (-HALF_WIDTH, HALF_WIDTH);
    }
    let margin = 0.25 * (high - low).max(1e-3);
    (low - margin, high + margin)
}

/// Writes the means E[v | h] of the last hidden states of Gibbs chains as grey images.
fn write_image_samples(
    model: &GaussianRbm,
    chains: usize,
    steps: usize,
    seed: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let means = image_samples(model, chains, steps, seed)?;
    write_visible_grid(&means.map(|x| x.clamp(0.0, 1.0)), out)
}

/// The means E[v | h] of the last hidden states of `chains` Gibbs chains after `steps` steps.
fn image_samples(
    model: &GaussianRbm,
    chains: usize,
    steps: usize,
    seed: u64,
) -> anyhow::Result<DMatrix<f32>> {
    let blocks = gibbs(model, chains, steps, seed)?;
    model.visible_means(&blocks.hidden).map_err(anyhow::Error::from)
}

/// Whether the model file at `path` holds a Gaussian–Bernoulli RBM.
pub fn is_gaussian(path: &Path) -> anyhow::Result<bool> {
    let header = file::peek_header(path)?;
    Ok(header.kind == <GaussianRbm as file::ModelFile>::KIND)
}

/// Options of `ebm rbm eval` that a Gaussian model uses.
pub struct EvalOptions<'a> {
    /// The model file.
    pub model: &'a Path,
    /// `--data`.
    pub source: &'a str,
    /// `--limit`.
    pub limit: Option<usize>,
    /// Estimate log Z by AIS (`--betas`, `--runs`) even when it could be enumerated.
    pub ais: Option<(usize, usize)>,
    /// Seed.
    pub seed: u64,
    /// Print JSON.
    pub json: bool,
}

/// `ebm rbm eval` on a Gaussian model: the held-out average log-density,
/// exact when the hidden layer can be enumerated (and AIS not asked for).
pub fn eval(options: &EvalOptions<'_>) -> anyhow::Result<()> {
    let model: GaussianRbm = file::load(options.model)?;
    let data = load(options.source, 10_000, options.limit, options.seed)?;
    let mean = average_log_likelihood(&model, &data.held_out, 0.0)?;
    let exact_log_z = (options.ais.is_none() && model.hidden() <= MAX_ENUMERATED_HIDDEN)
        .then(|| log_partition(&model))
        .transpose()?;
    let (likelihood, method) = match exact_log_z {
        Some(log_z) => (Likelihood::exact(mean, log_z), "exact"),
        None => {
            let (betas, runs) = options.ais.unwrap_or((10_000, 100));
            let base = AisBase::from_data(&data.train)?;
            let estimate = ais_log_partition(&model, &base, &AisOptions::staged(betas, runs, options.seed))?;
            (Likelihood::ais(mean, &estimate), "ais")
        }
    };
    likelihood.print(method, "average log-likelihood", data.held_out.nrows(), options.json)?;
    if let (Some(log_z), false) = (exact_log_z, options.json) {
        print_comparison(&model, log_z, &data)?;
    }
    Ok(())
}

/// `ebm rbm sample` on a Gaussian model: a scatter for 2-D models (exact
/// samples when the hidden layer is small, `--steps` Gibbs steps otherwise), a grid
/// of sample means otherwise (as square images when the width is a square).
pub fn sample(args: &crate::rbm::SampleArgs) -> anyhow::Result<()> {
    let model: GaussianRbm = file::load(&args.model)?;
    let (chains, out) = (args.chains, &args.out);
    let rows = if model.visible() == 2 {
        let (samples, how) = draw_2d(&model, chains, args.steps, args.seed)?;
        let range = box_of(&samples);
        render::write_panels(out, &[render::scatter(&flat(&samples), range, range, PANEL)], (PANEL, PANEL))?;
        say!("{chains} {how}");
        samples
    } else {
        let means = image_samples(&model, chains, args.steps, args.seed)?;
        write_visible_grid(&means.map(|x| x.clamp(0.0, 1.0)), out)?;
        means
    };
    say!("wrote {}", out.display());
    args.write_csv(&rows)
}

/// `ebm rbm export` on a Gaussian model.
pub fn export(path: &Path) -> anyhow::Result<()> {
    let model: GaussianRbm = file::load(path)?;
    crate::output::print_result(&file::to_json(&model)?)?;
    Ok(())
}
