//! Samplers: spin updates per second of single-site sweeps and parallel
//! tempering. Each group pairs the library's code with a baseline from the
//! same run: the generic single-site sampler on the lattice (against the
//! tabulated lattice sweeper), and a textbook dense Gibbs update that
//! recomputes every local field from the couplings.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ebm_core::spin_glass::SpinGlass;
use ebm_core::{DensePairwise, PairwiseEnergy, SquareLattice};
use ebm_mcmc::cluster::{SwendsenWang, Wolff};
use ebm_mcmc::lattice::{LatticeSweeper, Order};
use ebm_mcmc::rng::seeded;
use ebm_mcmc::tempering::{Ladder, ParallelTempering};
use ebm_mcmc::{PairwiseChain, Rule, SingleSite};
use rand::RngExt;
use std::hint::black_box;

/// T_c of the square-lattice Ising model, where single-site dynamics is slowest.
fn critical_temperature() -> f64 {
    2.0 / (1.0 + 2f64.sqrt()).ln()
}

fn lattice_sweeps(c: &mut Criterion) {
    let side = 256;
    let t = critical_temperature();
    let mut group = c.benchmark_group("mcmc/lattice_sweep");
    group.throughput(Throughput::Elements((side * side) as u64));
    let model = SquareLattice::square(side).build().expect("valid lattice");
    let mut rng = seeded(1);
    let mut chain = PairwiseChain::random(&model, &mut rng);
    group.bench_function(BenchmarkId::new("baseline", side), |b| {
        b.iter(|| SingleSite::metropolis().sweep(black_box(&mut chain), t, &mut rng).expect("valid"))
    });
    for (rule, order) in [
        (Rule::Metropolis, Order::Typewriter),
        (Rule::Gibbs, Order::Typewriter),
        (Rule::Metropolis, Order::Checkerboard),
        (Rule::Gibbs, Order::Checkerboard),
    ] {
        let sweeper = LatticeSweeper::new(side, side, 1.0, 0.0, rule, t).expect("valid").order(order);
        let mut spins: Vec<i8> = (0..side * side).map(|_| if rng.random() { 1 } else { -1 }).collect();
        let name = format!("{rule:?}-{order:?}").to_lowercase();
        group.bench_function(BenchmarkId::new(name, side), |b| {
            b.iter(|| sweeper.sweep(black_box(&mut spins), &mut rng).expect("valid"))
        });
    }
    group.finish();
}

/// One Gibbs sweep computing each local field from scratch, O(N²) per sweep
/// like the incremental version but with a full row pass per unit.
fn textbook_dense_sweep(model: &DensePairwise, state: &mut [i8], beta: f64, rng: &mut impl rand::Rng) {
    for i in 0..state.len() {
        let field = model.local_field(state, i);
        let p_on = 1.0 / (1.0 + (-2.0 * beta * field).exp());
        state[i] = if rng.random::<f64>() < p_on { 1 } else { -1 };
    }
}

fn dense_sweeps(c: &mut Criterion) {
    let units = 1024;
    let model = SpinGlass::sherrington_kirkpatrick(units).sample(&mut seeded(2)).expect("valid");
    let mut group = c.benchmark_group("mcmc/dense_sweep");
    group.throughput(Throughput::Elements(units as u64));
    let mut rng = seeded(3);
    let mut state: Vec<i8> = (0..units).map(|_| if rng.random() { 1 } else { -1 }).collect();
    group.bench_function(BenchmarkId::new("baseline", units), |b| {
        b.iter(|| textbook_dense_sweep(&model, black_box(&mut state), 1.0, &mut rng))
    });
    let mut chain = PairwiseChain::random(&model, &mut rng);
    group.bench_function(BenchmarkId::new("ebm-gibbs", units), |b| {
        b.iter(|| SingleSite::gibbs().sweep(black_box(&mut chain), 1.0, &mut rng).expect("valid"))
    });
    group.finish();
}

/// Cluster updates at T_c on a 64 × 64 lattice, per sweep-equivalent (about N
/// spins flipped), beside a checkerboard Metropolis sweep of the same lattice.
fn cluster_updates(c: &mut Criterion) {
    let side = 64;
    let n = side * side;
    let t = critical_temperature();
    let model = SquareLattice::square(side).build().expect("valid lattice");
    let mut group = c.benchmark_group("mcmc/cluster_sweep_tc");
    group.throughput(Throughput::Elements(n as u64));
    let mut rng = seeded(6);
    let mut spins: Vec<i8> = (0..n).map(|_| if rng.random() { 1 } else { -1 }).collect();
    let sweeper = LatticeSweeper::new(side, side, 1.0, 0.0, Rule::Metropolis, t)
        .expect("valid")
        .order(Order::Checkerboard);
    group.bench_function(BenchmarkId::new("baseline", side), |b| {
        b.iter(|| sweeper.sweep(black_box(&mut spins), &mut rng).expect("valid"))
    });
    let mut wolff = Wolff::new(&model, t).expect("ferromagnet");
    // Updates per sweep-equivalent, from the mean cluster size at equilibrium.
    wolff.run(&mut spins, &mut rng, 2000).expect("valid");
    let flipped = wolff.run(&mut spins, &mut rng, 2000).expect("valid");
    let per_sweep = (n * 2000).div_ceil(flipped.max(1));
    group.bench_function(BenchmarkId::new("ebm-wolff", side), |b| {
        b.iter(|| wolff.run(black_box(&mut spins), &mut rng, per_sweep).expect("valid"))
    });
    let mut sw = SwendsenWang::new(&model, t).expect("ferromagnet");
    group.bench_function(BenchmarkId::new("ebm-swendsen-wang", side), |b| {
        b.iter(|| sw.update(black_box(&mut spins), &mut rng).expect("valid"))
    });
    group.finish();
}

fn tempering(c: &mut Criterion) {
    let side = 64;
    let model = SquareLattice::square(side).build().expect("valid lattice");
    let ladder = Ladder::geometric(1.8, 3.2, 8).expect("valid ladder");
    let mut group = c.benchmark_group("mcmc/tempering_round");
    group.throughput(Throughput::Elements((8 * side * side) as u64));
    group.sample_size(20);
    // Baseline: the same 8 replicas swept one after another, without exchanges.
    let mut rng = seeded(4);
    let mut chains: Vec<_> = (0..8).map(|_| PairwiseChain::random(&model, &mut rng)).collect();
    group.bench_function(BenchmarkId::new("baseline", 8), |b| {
        b.iter(|| {
            for (chain, &t) in chains.iter_mut().zip(ladder.temperatures()) {
                SingleSite::metropolis().sweep(chain, t, &mut rng).expect("valid");
            }
        })
    });
    let mut pt = ParallelTempering::new(&model, ladder.clone(), 5);
    group.bench_function(BenchmarkId::new("ebm-parallel", 8), |b| b.iter(|| pt.round().expect("valid")));
    group.finish();
}

criterion_group!(benches, lattice_sweeps, dense_sweeps, cluster_updates, tempering);
criterion_main!(benches);
