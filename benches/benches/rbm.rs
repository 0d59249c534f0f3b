//! RBM speed at the MNIST shape, 784 × 500, f32, batches of 100, in one run:
//!
//! - `rbm/cd_784x500_batch100`: an epoch of 10 batches of CD-1 and of PCD-1
//!   updates beside `baseline`, the five matrix products those updates
//!   need (V₀W, H₀Wᵀ, V₁W for the Gibbs step and V₀ᵀP₀, V₁ᵀP₁ for the
//!   statistics) computed the way the updates compute them — sums of
//!   selected columns over 0/1 states, in parallel, from a loop on one of
//!   rayon's workers with the others kept awake — on states drawn from the
//!   same model; and
//!   `nalgebra-gemm`, the same products as single-threaded dense nalgebra
//!   products. Throughput counts training samples. An update's time is that
//!   of its epoch as the trainer reports it, which leaves out what a `train`
//!   call does once before its first epoch (turning the data set into 0/1
//!   rows, allocating the velocities, starting persistent chains). The
//!   updates report the reconstruction error of every batch, as by default;
//!   `ebm-pcd1-update-untracked` is PCD-1 without it (scikit-learn's `fit`
//!   computes no metric), which saves PCD the product H₀Wᵀ.
//! - `rbm/ais_784x500`: AIS estimates of log Z with 100 runs and 1,000
//!   intermediate distributions; throughput counts runs × distributions.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebm_boltzmann::BernoulliRbm;
use ebm_boltzmann::rbm::partition::{AisOptions, ais_log_partition, base_rate_bias};
use ebm_core::binary::BinaryRows;
use ebm_core::panels::{Panels, sum_selected_columns};
use ebm_core::workers::with_workers_awake;
use ebm_mcmc::rng::seeded;
use ebm_train::SgdBuilder;
use ebm_train::rbm::{LearningRate, Negatives, RbmTrainer};
use nalgebra::DMatrix;
use rand::RngExt;
use std::hint::black_box;
use std::time::Duration;

const VISIBLE: usize = 784;
const HIDDEN: usize = 500;
const BATCH: usize = 100;
const BATCHES: usize = 10;

/// Data with 20% ones and an RBM with small random weights whose visible
/// biases match the data's base rates, the usual starting point of training.
fn data_and_model() -> (DMatrix<f32>, BernoulliRbm) {
    let mut rng = seeded(1);
    let data =
        DMatrix::from_fn(BATCH * BATCHES, VISIBLE, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.2)));
    let mut rbm = BernoulliRbm::random(VISIBLE, HIDDEN, 0.01, &mut rng).expect("valid");
    RbmTrainer::initialise_visible_bias(&mut rbm, &data).expect("binary data");
    (data, rbm)
}

/// The states and probabilities of one CD-1 step on one batch, drawn from the model.
struct Cd1States {
    v0: BinaryRows,
    h0: BinaryRows,
    v1: BinaryRows,
    p0: Panels,
    p1: Panels,
}

fn cd1_states(rbm: &BernoulliRbm, batch: BinaryRows, seed: u64) -> Cd1States {
    let mut rng = seeded(seed);
    let (mut p0, mut reconstruction, mut p1) = (Panels::default(), Panels::default(), Panels::default());
    let h0 = rbm.sample_hidden_of(&batch, 1.0, &mut rng, &mut p0);
    let v1 = rbm.sample_visible_of(&h0, 1.0, &mut rng, &mut reconstruction);
    rbm.map_hidden_probabilities(&v1, 1.0, &mut p1);
    Cd1States { v0: batch, h0, v1, p0, p1 }
}

/// The five products of one CD-1 update, as the update computes them.
fn sparse_products(rbm: &BernoulliRbm, s: &Cd1States, out: &mut [Panels; 5]) {
    let identity = |_, x| x;
    rbm.map_hidden_inputs(&s.v0, identity, &mut out[0]);
    rbm.map_visible_inputs(&s.h0, identity, &mut out[1]);
    rbm.map_hidden_inputs(&s.v1, identity, &mut out[2]);
    sum_selected_columns(&s.p0, &s.v0.transpose(), &mut out[3], |_, _| {});
    sum_selected_columns(&s.p1, &s.v1.transpose(), &mut out[4], |_, _| {});
}

/// The same five products as dense single-threaded nalgebra products.
fn dense_products(w: &DMatrix<f32>, s: &Cd1States) -> [DMatrix<f32>; 5] {
    let (v0, h0, v1) = (s.v0.to_matrix(), s.h0.to_matrix(), s.v1.to_matrix());
    let (mut p0, mut p1) = (DMatrix::zeros(0, 0), DMatrix::zeros(0, 0));
    s.p0.write_transpose_to(&mut p0);
    s.p1.write_transpose_to(&mut p1);
    [&v0 * w, &h0 * w.transpose(), &v1 * w, v0.transpose() * &p0, v1.transpose() * &p1]
}

fn cd1_and_pcd1(c: &mut Criterion) {
    let (data, rbm) = data_and_model();
    let rows = BinaryRows::from_matrix(&data).expect("binary data");
    let states: Vec<Cd1States> = (0..BATCHES)
        .map(|b| cd1_states(&rbm, rows.select(&(b * BATCH..(b + 1) * BATCH).collect::<Vec<_>>()), b as u64))
        .collect();
    let mut group = c.benchmark_group("rbm/cd_784x500_batch100");
    group.throughput(Throughput::Elements((BATCH * BATCHES) as u64));
    group.sample_size(20);
    let parameter = "10 batches";
    let mut out: [Panels; 5] = Default::default();
    // As the trainer runs its loop: on a rayon worker, the others kept awake.
    group.bench_function(BenchmarkId::new("baseline", parameter), |b| {
        b.iter(|| {
            with_workers_awake(|| states.iter().for_each(|s| sparse_products(black_box(&rbm), s, &mut out)))
        })
    });
    group.bench_function(BenchmarkId::new("nalgebra-gemm", parameter), |b| {
        b.iter(|| states.iter().for_each(|s| drop(black_box(dense_products(black_box(rbm.weights()), s)))))
    });
    let (cd1, pcd1) =
        (Negatives::ContrastiveDivergence { steps: 1 }, Negatives::Persistent { steps: 1, chains: BATCH });
    for (name, negatives, track) in [
        ("ebm-cd1-update", cd1, true),
        ("ebm-pcd1-update", pcd1.clone(), true),
        ("ebm-pcd1-update-untracked", pcd1, false),
    ] {
        let trainer = RbmTrainer::new(negatives)
            .track_reconstruction_error(track)
            .learning_rate(LearningRate::Constant(0.01))
            .batch_size(BATCH)
            .epochs(1);
        // Every epoch starts from the same model, so that all measure the same
        // states. The time is the epoch's own (`EpochReport::seconds`): its
        // updates, without the one-off set-up of a `train` call.
        group.bench_function(BenchmarkId::new(name, parameter), |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| {
                        let mut model = rbm.clone();
                        let reports = trainer.train(&mut model, black_box(&data), &mut ()).expect("finite");
                        Duration::from_secs_f64(reports.iter().map(|report| report.seconds).sum())
                    })
                    .sum()
            })
        });
    }
    group.finish();
}

fn ais(c: &mut Criterion) {
    let (data, rbm) = data_and_model();
    let base = base_rate_bias(&data, 1.0).expect("data");
    let options = AisOptions::staged(1000, 100, 3);
    let mut group = c.benchmark_group("rbm/ais_784x500");
    group.throughput(Throughput::Elements((options.runs * (options.betas.len() - 1)) as u64));
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("ebm-ais", "100 runs x 1000 betas"), |b| {
        b.iter(|| ais_log_partition(black_box(&rbm), &base, &options).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, cd1_and_pcd1, ais);
criterion_main!(benches);
