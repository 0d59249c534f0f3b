//! Hopfield recall: probes recalled per second for N = 1024 and 4096 with
//! 100 Hebbian patterns and probes with 20% of units flipped, asynchronous
//! dynamics. Baseline (same run): the textbook loop that recomputes each
//! unit's field from the whole weight row at every visit.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebm_core::Domain;
use ebm_hopfield::batch::asynchronous_batch;
use ebm_hopfield::{Hopfield, RecallOptions, Update};
use ebm_mcmc::rng::seeded;
use nalgebra::DMatrix;
use std::hint::black_box;

/// Sequential asynchronous recall recomputing h_i = Σ_j w_ij s_j at every visit.
fn textbook_recall(w: &DMatrix<f32>, probe: &[i8]) -> Vec<i8> {
    let (n, weights) = (probe.len(), w.as_slice());
    let mut s = probe.to_vec();
    loop {
        let mut changed = false;
        for i in 0..s.len() {
            let h: f32 =
                weights[i * n..(i + 1) * n].iter().zip(&s).map(|(&wij, &sj)| wij * f32::from(sj)).sum();
            if f32::from(s[i]) * h < 0.0 {
                s[i] = -s[i];
                changed = true;
            }
        }
        if !changed {
            return s;
        }
    }
}

fn recall(c: &mut Criterion) {
    let mut group = c.benchmark_group("hopfield/recall");
    group.sample_size(10);
    for (n, probes) in [(1024, 400), (4096, 40)] {
        let mut rng = seeded(n as u64);
        let patterns = ebm_data::patterns::random(100, n, 0.5, Domain::Spin, &mut rng).expect("valid");
        let model = ebm_hopfield::storage::hebbian(&patterns).expect("valid patterns");
        let w = model.couplings().matrix().clone();
        let probes: Vec<Vec<i8>> = (0..probes)
            .map(|k| {
                ebm_data::patterns::corrupt(&patterns[k % 100], Domain::Spin, 0.2, &mut rng).expect("valid")
            })
            .collect();
        let net = Hopfield::new(model).expect("spins");
        let options = RecallOptions::with(Update::Sequential);
        group.throughput(Throughput::Elements(probes.len() as u64));
        group.bench_function(BenchmarkId::new("baseline", n), |b| {
            b.iter(|| probes.iter().map(|p| textbook_recall(&w, black_box(p))).collect::<Vec<_>>())
        });
        group.bench_function(BenchmarkId::new("ebm-generic", n), |b| {
            b.iter(|| net.recall_all(black_box(&probes), &options, 1).expect("valid"))
        });
        group.bench_function(BenchmarkId::new("ebm-dense-batch", n), |b| {
            b.iter(|| asynchronous_batch(&net, black_box(&probes), &options, 1).expect("valid"))
        });
    }
    group.finish();
}

criterion_group!(benches, recall);
criterion_main!(benches);
