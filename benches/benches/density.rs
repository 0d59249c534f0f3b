//! Ten Langevin steps on a batch of 1,000 chains of a neural energy (2-D,
//! two hidden layers of 64 SiLU units): `BatchLangevin`, which evaluates the
//! energies and gradients of all chains as matrix products, against the
//! baseline of the single-chain ULA sampler stepping each chain in turn (the
//! same mathematics, one matrix-vector pass per chain), measured in the
//! same run; plus the batched energy-and-gradient evaluation alone, to show
//! what the step costs beyond it.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebm_core::DifferentiableEnergy;
use ebm_density::{Activation, NeuralEnergy};
use ebm_mcmc::continuous::{BatchLangevin, ContinuousSampler, Ula};
use ebm_mcmc::rng::seeded;
use rand::SeedableRng;
use std::hint::black_box;

const CHAINS: usize = 1000;

/// Steps per measured call (the starting energy of each call is amortised
/// over them, as in training, where every call runs K steps).
const STEPS: usize = 10;

fn langevin_step(c: &mut Criterion) {
    let energy =
        NeuralEnergy::new(2, &[64, 64], Activation::Silu, 0.05, &mut rand_pcg::Pcg64Mcg::seed_from_u64(1))
            .expect("valid network");
    let start: Vec<f64> = (0..2 * CHAINS).map(|i| ((i * 7919) % 1000) as f64 / 125.0 - 4.0).collect();
    let mut group = c.benchmark_group("density/langevin_step");
    group.throughput(Throughput::Elements((CHAINS * STEPS) as u64));
    group.bench_function(BenchmarkId::new("baseline", CHAINS), |b| {
        let mut chains = start.clone();
        let mut ula = Ula::new(0.01).expect("valid step");
        let mut rng = seeded(2);
        b.iter(|| {
            for x in chains.chunks_exact_mut(2) {
                ula.steps(black_box(&energy), x, STEPS, &mut rng).expect("finite chain");
            }
        })
    });
    group.bench_function(BenchmarkId::new("ebm", CHAINS), |b| {
        let mut chains = start.clone();
        let mut sampler = BatchLangevin::new(0.01).expect("valid step");
        let mut rng = seeded(2);
        b.iter(|| sampler.steps(black_box(&energy), &mut chains, STEPS, &mut rng).expect("finite chains"))
    });
    group.bench_function(BenchmarkId::new("energy_and_gradient_only", CHAINS), |b| {
        let (mut energies, mut gradients) = (vec![0.0; CHAINS], vec![0.0; 2 * CHAINS]);
        b.iter(|| {
            for _ in 0..STEPS {
                energy.energy_and_gradient_batch(black_box(&start), &mut energies, &mut gradients);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, langevin_step);
criterion_main!(benches);
