//! Checks of RBMs with label units: the closed-form P(y | v) against brute
//! force, classification of unseen noisy bars-and-stripes under each
//! objective, and class-clamped sampling.

use super::{Check, Context, Measurement, fail};
use ebm_boltzmann::rbm::LabelledRbm;
use ebm_core::Domain;
use ebm_core::worst::{Worst, max_abs, nan_min};
use ebm_data::bars_stripes;
use ebm_mcmc::rng::stream;
use ebm_train::rbm::labelled::{LabelledNegatives, LabelledTrainer, Objective};
use ebm_train::{LearningRate, SgdBuilder};
use nalgebra::DMatrix;
use rand::{Rng, RngExt};

/// The checks of this layer.
pub fn checks() -> Vec<Check> {
    vec![
        Check {
            name: "labels.posterior.exact",
            claim: "P(y | v) = softmax(−F(v, y)) equals the ratio of sums of e^{−E(v, y, h)} over every h",
            run: posterior_exact,
        },
        Check {
            name: "labels.bars.accuracy",
            claim: "labelled RBMs trained generatively, discriminatively and hybrid classify unseen noisy bars-and-stripes far above chance",
            run: bars_accuracy,
        },
        Check {
            name: "labels.class-samples",
            claim: "Gibbs samples with the label clamped are mostly valid patterns of the clamped class",
            run: class_samples,
        },
    ]
}

/// The side of the bars-and-stripes grid the trained checks use.
const SIDE: usize = 4;

fn posterior_exact(ctx: &Context) -> Result<Measurement, String> {
    let machines = ctx.size(20, 100);
    let mut rng = ctx.rng();
    let mut worst = Worst::new();
    for _ in 0..machines {
        let (visible, classes, hidden) =
            (rng.random_range(1..7), rng.random_range(2..5), rng.random_range(1..7));
        let mut rbm = LabelledRbm::random(visible, classes, hidden, 1.0, &mut rng).map_err(fail)?;
        let p = rbm.parameters_mut();
        for x in p.visible_bias.iter_mut().chain(p.label_bias.iter_mut()).chain(p.hidden_bias.iter_mut()) {
            *x = rng.random_range(-2.0..2.0);
        }
        let every_v = DMatrix::from_fn(1 << visible, visible, |r, i| f32::from(u8::from(r >> i & 1 == 1)));
        let closed = rbm.class_log_probabilities(&every_v).map_err(fail)?;
        let enumerated = rbm.enumerated_class_log_probabilities().map_err(fail)?;
        worst.add(max_abs((closed - enumerated).iter().copied()));
    }
    Ok(Measurement::at_most(
        format!("max |log P(y | v) closed form − brute force| over every v, y of {machines} random machines"),
        worst,
        1e-4,
    ))
}

/// The labelled bars-and-stripes patterns: every distinct pattern once, and its class.
fn labelled_bars() -> Result<(DMatrix<f32>, Vec<usize>), String> {
    let data = bars_stripes::all(SIDE, Domain::Bit).map_err(fail)?.to_matrix();
    Ok((data, bars_stripes::labels(SIDE).map_err(fail)?))
}

/// A 16–20 labelled RBM trained for `objective` on every labelled pattern
/// (1,000 epochs, batches of 5, η from 0.05 to 0.005, 30 persistent chains advanced
/// `steps` Gibbs steps per update).
fn trained(objective: Objective, steps: usize, seed: u64) -> Result<LabelledRbm, String> {
    let (data, labels) = labelled_bars()?;
    let mut rbm = LabelledRbm::random(data.ncols(), 3, 20, 0.3, &mut stream(seed, 0)).map_err(fail)?;
    LabelledTrainer::new(objective)
        .negatives(LabelledNegatives::Persistent { steps, chains: 30 })
        .learning_rate(LearningRate::Linear { start: 0.05, end: 0.005 })
        .batch_size(5)
        .epochs(1_000)
        .seed(seed)
        .train(&mut rbm, &data, &labels, &mut [])
        .map_err(fail)?;
    Ok(rbm)
}

/// `count` copies of random patterns with `flips` distinct pixels flipped,
/// keeping only those whose nearest patterns (in Hamming distance) all have
/// one class — that class is then the right answer; copies as close to two
/// classes (e.g. a blank grid with two pixels on in one column, as near a
/// one-column bar) have none and are left out.
fn noisy_copies(
    count: usize,
    flips: usize,
    rng: &mut impl Rng,
) -> Result<(DMatrix<f32>, Vec<usize>), String> {
    let (data, labels) = labelled_bars()?;
    let mut rows = Vec::new();
    let mut classes = Vec::new();
    for _ in 0..count {
        let k = rng.random_range(0..data.nrows());
        let mut copy: Vec<f32> = data.row(k).iter().copied().collect();
        for pixel in rand::seq::index::sample(rng, copy.len(), flips) {
            copy[pixel] = 1.0 - copy[pixel];
        }
        let distance = |r: usize| data.row(r).iter().zip(&copy).filter(|(a, b)| a != b).count();
        let nearest = (0..data.nrows()).map(distance).min().unwrap_or(0);
        let mut nearest_classes = (0..data.nrows()).filter(|&r| distance(r) == nearest).map(|r| labels[r]);
        let first = nearest_classes.next().unwrap_or(labels[k]);
        if nearest_classes.all(|c| c == first) {
            rows.push(nalgebra::RowDVector::from_vec(copy));
            classes.push(first);
        }
    }
    Ok((DMatrix::from_rows(&rows), classes))
}

fn bars_accuracy(ctx: &Context) -> Result<Measurement, String> {
    let seeds = ctx.size(1, 3);
    let mut rng = ctx.rng();
    let (test, truth) = noisy_copies(1_000, 2, &mut rng)?;
    let majority = (0..3).map(|c| truth.iter().filter(|&&y| y == c).count()).max().unwrap_or(0);
    let mut lowest: f64 = 1.0;
    let mut accuracies = Vec::new();
    for (name, objective) in [
        ("generative", Objective::Generative),
        ("discriminative", Objective::Discriminative),
        ("hybrid α = 0.1", Objective::Hybrid { generative_weight: 0.1 }),
    ] {
        let mut mean = 0.0;
        for seed in 0..seeds as u64 {
            let rbm = trained(objective, 5, rng.random::<u64>() ^ seed)?;
            let predicted = rbm.classify(&test).map_err(fail)?;
            let correct = predicted.iter().zip(&truth).filter(|(a, b)| a == b).count();
            mean += correct as f64 / truth.len() as f64 / seeds as f64;
        }
        accuracies.push(format!("{name} {mean:.3}"));
        lowest = nan_min(lowest, mean);
    }
    Ok(Measurement::at_least(
        format!(
            "min accuracy on {} unambiguous 2-flip 4×4 copies ({}; majority class {:.3}, {seeds} seed(s))",
            truth.len(),
            accuracies.join(", "),
            majority as f64 / truth.len() as f64
        ),
        lowest,
        0.8,
    ))
}

fn class_samples(ctx: &Context) -> Result<Measurement, String> {
    let (chains, steps) = (ctx.size(100, 500), 200);
    let mut rng = ctx.rng();
    let rbm = trained(Objective::Generative, 5, rng.random())?;
    let (patterns, labels) = labelled_bars()?;
    let mut valid = 0usize;
    let mut per_class = Vec::new();
    for class in 0..rbm.classes() {
        let members: Vec<Vec<f32>> = (0..patterns.nrows())
            .filter(|&r| labels[r] == class)
            .map(|r| patterns.row(r).iter().copied().collect())
            .collect();
        let mut visible =
            DMatrix::from_fn(chains, rbm.visible(), |_, _| f32::from(u8::from(rng.random::<bool>())));
        let mut clamped = vec![class; chains];
        for _ in 0..steps {
            rbm.gibbs_step(&mut visible, &mut clamped, true, &mut rng).map_err(fail)?;
        }
        let hits = visible
            .row_iter()
            .filter(|row| members.iter().any(|m| m.iter().zip(row.iter()).all(|(a, b)| a == b)))
            .count();
        per_class.push(format!("{} {:.2}", bars_stripes::CLASS_NAMES[class], hits as f64 / chains as f64));
        valid += hits;
    }
    let fraction = valid as f64 / (chains * rbm.classes()) as f64;
    Ok(Measurement::at_least(
        format!(
            "fraction of class-clamped samples (4×4, {chains} chains × {steps} steps per class) in their class's exact set ({})",
            per_class.join(", ")
        ),
        fraction,
        0.5,
    ))
}
