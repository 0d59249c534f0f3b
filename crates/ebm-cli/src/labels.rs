//! `ebm rbm train --labels`, `ebm rbm classify` and `ebm rbm sample --class`:
//! RBMs with label units.

use crate::output::say;
use crate::progress::Progress;
use crate::rbm::{DataArgs, Settings, load_data, load_labels, square_side, write_visible_grid};
use crate::training::{CheckpointArgs, Session};
use anyhow::bail;
use ebm_boltzmann::rbm::LabelledRbm;
use ebm_core::Domain;
use ebm_core::file;
use ebm_data::patterns::flip_noise;
use ebm_mcmc::rng::seeded;
use ebm_train::fit::{EachEpoch, EpochReport, Fit};
use ebm_train::rbm::labelled::{
    CONDITIONAL_LOG_LIKELIHOOD, LabelledData, LabelledLearner, LabelledNegatives, LabelledTrainer, Objective,
    TRAINING_ACCURACY, TrainingScores,
};
use ebm_train::{LearningRate, SgdBuilder};
use nalgebra::{DMatrix, RowDVector};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The objective, as a command-line choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectiveArg {
    /// log P(v, y), by persistent chains.
    Generative,
    /// log P(y | v), exactly.
    Discriminative,
    /// log P(y | v) + α log P(v, y).
    Hybrid,
}

/// The training objective for `choice` with hybrid weight `alpha`.
pub fn objective(choice: ObjectiveArg, alpha: f64) -> Objective {
    match choice {
        ObjectiveArg::Generative => Objective::Generative,
        ObjectiveArg::Discriminative => Objective::Discriminative,
        ObjectiveArg::Hybrid => Objective::Hybrid { generative_weight: alpha },
    }
}

/// Options of `ebm rbm classify`.
#[derive(clap::Args)]
pub struct ClassifyArgs {
    /// A model trained with `ebm rbm train --labels`.
    model: PathBuf,
    #[command(flatten)]
    data: DataArgs,
    /// Flip each pixel with this probability before classifying: a test on
    /// noisy copies the model never saw.
    #[arg(long, default_value_t = 0.0)]
    noise: f64,
    /// Noisy copies of each example to classify (with --noise).
    #[arg(long, default_value_t = 1)]
    copies: usize,
    /// Seed of the noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Trains a labelled RBM on `data` with its classes and writes it, with a
/// PNG of class-conditional samples when the inputs are square images.
pub fn train(
    data: &DataArgs,
    settings: &Settings,
    objective: Objective,
    seed: u64,
    checkpoint: &CheckpointArgs,
    out: &Path,
) -> anyhow::Result<()> {
    let examples = load_data(data, seed)?;
    let labels = load_labels(data)?;
    let classes = labels.iter().max().map_or(0, |&c| c + 1).max(2);
    let data = LabelledData::new(examples, labels)?;
    let mut fit = match Session::resume::<LabelledLearner>(checkpoint, settings.epochs)? {
        Some(fit) => fit,
        None => start(&data, classes, settings, objective, seed)?,
    };
    let remaining = settings.epochs.saturating_sub(fit.epochs_done());
    let progress = Progress::new(remaining as u64, 0, "epochs");
    let mut scores = TrainingScores(&data);
    let mut log = EachEpoch(|report: &EpochReport, _: &LabelledRbm| {
        progress.set(report.epoch as u64 + 1);
        let metric = |name| report.metric(name).unwrap_or(f64::NAN);
        progress.println(&format!(
            "epoch {:>4}/{}  training accuracy {:.4}  mean log P(y | v) {:.4}",
            report.epoch + 1,
            settings.epochs,
            metric(TRAINING_ACCURACY),
            metric(CONDITIONAL_LOG_LIKELIHOOD)
        ));
    });
    let mut session = Session::new(checkpoint, out);
    let outcome = session.run(&mut fit, &data, &mut [&mut scores, &mut log]);
    progress.finish();
    // Written even when training diverged or was interrupted: the model holds the last good parameters.
    let rbm = fit.model();
    file::save(out, rbm)?;
    say!("wrote {}", out.display());
    session.finish(outcome?, &fit);
    if square_side(data.examples().ncols()).is_some() {
        let path = out.with_file_name(format!(
            "{}-classes.png",
            out.file_stem().map_or("rbm".into(), |s| s.to_string_lossy().into_owned())
        ));
        write_class_samples(rbm, 8, 1000, seed, &path)?;
        say!("wrote {} (one row of samples of P(v | y) per class)", path.display());
    }
    Ok(())
}

/// A new run: a labelled RBM with weights from N(0, 0.3²) — the
/// discriminative gradient needs weights away from zero to start — trained
/// with persistent chains.
fn start(
    data: &LabelledData,
    classes: usize,
    settings: &Settings,
    objective: Objective,
    seed: u64,
) -> anyhow::Result<Fit<LabelledLearner>> {
    let examples = data.examples();
    let rbm = LabelledRbm::random(examples.ncols(), classes, settings.hidden, 0.3, &mut seeded(seed))?;
    let rate = match settings.lr_end {
        Some(end) => LearningRate::Linear { start: settings.lr, end },
        None => LearningRate::Constant(settings.lr),
    };
    let trainer = LabelledTrainer::new(objective)
        .negatives(LabelledNegatives::Persistent { steps: settings.k, chains: settings.chains })
        .learning_rate(rate)
        .momentum(settings.momentum)
        .weight_decay(settings.weight_decay)
        .batch_size(settings.batch)
        .epochs(settings.epochs)
        .seed(seed);
    say!(
        "{} examples of {} units in {classes} classes, {} hidden, {objective:?}",
        examples.nrows(),
        examples.ncols(),
        settings.hidden
    );
    trainer.fit(rbm, data).map_err(anyhow::Error::from)
}

/// Writes `per_class` samples of P(v | y) for every class, one class after another.
fn write_class_samples(
    rbm: &LabelledRbm,
    per_class: usize,
    steps: usize,
    seed: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let mut rng = seeded(seed);
    let mut rows = Vec::new();
    for class in 0..rbm.classes() {
        let samples = rbm.class_samples(class, per_class, steps, &mut rng)?;
        rows.extend(samples.row_iter().map(|r| r.into_owned()));
    }
    write_visible_grid(&DMatrix::from_rows(&rows), out)
}

/// `ebm rbm sample --class C`: samples of P(v | C) from a labelled model.
pub fn sample(args: &crate::rbm::SampleArgs, class: usize) -> anyhow::Result<()> {
    let rbm: LabelledRbm = file::load(&args.model)?;
    let samples = rbm.class_samples(class, args.chains, args.steps, &mut seeded(args.seed))?;
    write_visible_grid(&samples, &args.out)?;
    say!("wrote {}", args.out.display());
    args.write_csv(&samples)
}

/// `copies` copies of each row of `examples` (0/1) with each pixel flipped
/// with probability `noise`, and their labels; the rows themselves when
/// `noise` is 0 and `copies` 1.
fn noisy_copies(
    examples: &DMatrix<f32>,
    labels: &[usize],
    noise: f64,
    copies: usize,
    seed: u64,
) -> anyhow::Result<(DMatrix<f32>, Vec<usize>)> {
    if noise == 0.0 && copies == 1 {
        return Ok((examples.clone(), labels.to_vec()));
    }
    if examples.nrows() == 0 {
        bail!("no examples to classify");
    }
    if copies == 0 || copies.saturating_mul(examples.len()) > 1 << 28 {
        bail!("--copies {copies}: need between 1 and 2²⁸ pixels in all");
    }
    let mut rng = seeded(seed);
    let mut rows = Vec::with_capacity(examples.nrows() * copies);
    for row in examples.row_iter() {
        let cells: Vec<i8> = row.iter().map(|&x| x as i8).collect();
        for _ in 0..copies {
            let noisy = flip_noise(&cells, Domain::Bit, noise, &mut rng)?;
            rows.push(RowDVector::from_iterator(noisy.len(), noisy.into_iter().map(f32::from)));
        }
    }
    let labels = labels.iter().flat_map(|&y| std::iter::repeat_n(y, copies)).collect();
    Ok((DMatrix::from_rows(&rows), labels))
}

/// `ebm rbm classify`: accuracy and confusion matrix (rows: true class, columns: predicted).
pub fn classify(args: &ClassifyArgs) -> anyhow::Result<()> {
    let rbm: LabelledRbm = file::load(&args.model)?;
    let (examples, labels) = noisy_copies(
        &load_data(&args.data, 1)?,
        &load_labels(&args.data)?,
        args.noise,
        args.copies,
        args.seed,
    )?;
    let predicted = rbm.classify(&examples)?;
    let classes = rbm.classes();
    if let Some(&bad) = labels.iter().find(|&&y| y >= classes) {
        bail!("the data have class {bad}, the model only {classes} classes");
    }
    let mut confusion = vec![vec![0usize; classes]; classes];
    for (&truth, &guess) in labels.iter().zip(&predicted) {
        confusion[truth][guess] += 1;
    }
    let correct: usize = (0..classes).map(|c| confusion[c][c]).sum();
    let accuracy = correct as f64 / labels.len().max(1) as f64;
    if args.json {
        let value = json!({ "examples": labels.len(), "accuracy": accuracy, "confusion": confusion });
        crate::output::print_result(&serde_json::to_string_pretty(&value)?)?;
    } else {
        say!("accuracy {accuracy:.4} ({correct} of {} examples)", labels.len());
        say!("confusion (rows: true class, columns: predicted)");
        for (c, row) in confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(|n| format!("{n:>6}")).collect();
            say!("{c:>3} {}", cells.join(""));
        }
    }
    Ok(())
}
