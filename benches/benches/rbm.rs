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
use ebm_benches::rbm::{
    BATCH, BATCHES, Cd1States, data_and_model, epoch_states, sparse_products, trainer, updates,
};
use ebm_boltzmann::ais::AisOptions;
use ebm_boltzmann::rbm::ais::{ais_log_partition, base_rate_bias};
use ebm_kernels::panels::Panels;
use ebm_kernels::workers::with_workers_awake;
use nalgebra::DMatrix;
use std::hint::black_box;
use std::time::Duration;

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
    let states = epoch_states(&rbm, &data);
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
    for (name, negatives, track) in updates() {
        let trainer = trainer(negatives, track);
        // Every epoch starts from the same model, so that all measure the same
        // states. The time is the epoch's own (`EpochReport::seconds`): its
        // updates, without the one-off set-up of a `train` call.
        group.bench_function(BenchmarkId::new(name, parameter), |b| {
            b.iter_custom(|iterations| {
                (0..iterations)
                    .map(|_| {
                        let mut model = rbm.clone();
                        let reports =
                            with_workers_awake(|| trainer.train(&mut model, black_box(&data), &mut []))
                                .expect("finite");
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
