//! Exact enumeration: the Gray-code, blocked, parallel `exact::log_partition`
//! against the textbook loop that evaluates E(s) from scratch for every state
//! (the baseline, measured in the same run).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ebm_core::spin_glass::SpinGlass;
use ebm_core::{DiscreteEnergy, exact, math::LogSumExp};
use rand::SeedableRng;
use std::hint::black_box;

/// log Z by visiting the 2ᴺ states in index order and computing each energy in O(N²).
fn naive_log_partition(model: &impl DiscreteEnergy, temperature: f64) -> f64 {
    let n = model.num_units();
    let mut state = vec![0i8; n];
    let mut acc = LogSumExp::new();
    for index in 0..1u64 << n {
        model.domain().state_from_index(index, &mut state);
        acc.add(-model.energy(&state) / temperature);
    }
    acc.value()
}

fn log_partition(c: &mut Criterion) {
    let mut group = c.benchmark_group("exact/log_partition");
    group.sample_size(10);
    for units in [16, 20] {
        let model = SpinGlass::sherrington_kirkpatrick(units)
            .field_std(0.3)
            .sample(&mut rand_pcg::Pcg64Mcg::seed_from_u64(1))
            .expect("valid spin glass");
        group.bench_with_input(BenchmarkId::new("baseline", units), &model, |b, m| {
            b.iter(|| naive_log_partition(black_box(m), 1.0))
        });
        group.bench_with_input(BenchmarkId::new("ebm", units), &model, |b, m| {
            b.iter(|| exact::log_partition(black_box(m), 1.0).expect("small model"))
        });
    }
    group.finish();
}

criterion_group!(benches, log_partition);
criterion_main!(benches);
