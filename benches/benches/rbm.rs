//! One CD-1 update of a 784 × 500 Bernoulli RBM on a batch of 100 (f32),
//! beside the five matrix products such an update needs, in the same run:
//! V₀W, H₀Wᵀ, V₁W for the Gibbs step and the statistics V₀ᵀP₀, V₁ᵀP₁.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebm_boltzmann::BernoulliRbm;
use ebm_mcmc::rng::seeded;
use ebm_train::rbm::{LearningRate, Negatives, RbmTrainer};
use nalgebra::DMatrix;
use rand::RngExt;
use std::hint::black_box;

fn cd1(c: &mut Criterion) {
    let (visible, hidden, batch) = (784, 500, 100);
    let mut rng = seeded(1);
    let data = DMatrix::from_fn(batch, visible, |_, _| f32::from(u8::from(rng.random::<f32>() < 0.2)));
    let mut rbm = BernoulliRbm::random(visible, hidden, 0.01, &mut rng).expect("valid");
    let mut group = c.benchmark_group("rbm/cd1_784x500_batch100");
    group.throughput(Throughput::Elements(batch as u64));
    group.sample_size(20);
    let w = rbm.weights().clone();
    let h = DMatrix::from_fn(batch, hidden, |_, _| 0.5f32);
    group.bench_function(BenchmarkId::new("baseline", "784x500"), |b| {
        b.iter(|| {
            let a = black_box(&data) * &w;
            let v = &h * w.transpose();
            let a1 = &v * &w;
            let s0 = data.transpose() * &a;
            let s1 = v.transpose() * &a1;
            (s0, s1)
        })
    });
    let trainer = RbmTrainer::new(Negatives::ContrastiveDivergence { steps: 1 })
        .learning_rate(LearningRate::Constant(0.01))
        .batch_size(batch)
        .epochs(1);
    group.bench_function(BenchmarkId::new("ebm-cd1-update", "784x500"), |b| {
        b.iter(|| trainer.train(&mut rbm, black_box(&data), &mut ()).expect("finite"))
    });
    group.finish();
}

criterion_group!(benches, cd1);
criterion_main!(benches);
