//! Wolff and Swendsen–Wang against exact enumeration: their transition
//! kernels, their stationary distributions, and the 16×16 Ising model at T_c.

use super::bonds::{Bonds, bond_probability};
use super::{SwendsenWang, Wolff};
use crate::diagnostics::{integrated_time, mcse};
use crate::histogram::{StateHistogram, expected_total_variation};
use crate::rng::seeded;
use ebm_core::{
    DenseCouplings, DensePairwise, DiscreteEnergy, Domain, Error, PairwiseModel, SparseCouplings,
    SparsePairwise, SquareLattice, exact, kaufman,
};
use proptest::prelude::*;
use rand::RngExt;

/// A random sparse ferromagnet: each pair is bonded with probability
/// `density`, with w ~ U(0.1, 1.2); one extra zero-weight edge (if any pair
/// is left) checks that zero couplings never bond.
fn random_ferromagnet(units: usize, density: f64, seed: u64) -> SparsePairwise {
    let mut rng = seeded(seed);
    let mut edges = Vec::new();
    let mut zero = None;
    for i in 0..units {
        for j in i + 1..units {
            if rng.random_bool(density) {
                edges.push((i, j, rng.random_range(0.1f32..1.2)));
            } else if zero.is_none() {
                zero = Some((i, j, 0.0));
            }
        }
    }
    edges.extend(zero);
    PairwiseModel::without_bias(Domain::Spin, SparseCouplings::from_edges(units, &edges).unwrap())
}

fn state_index(state: &[i8]) -> usize {
    state.iter().enumerate().fold(0, |k, (i, &s)| k | usize::from(s == 1) << i)
}

fn state_of(index: usize, units: usize) -> Vec<i8> {
    let mut s = vec![0; units];
    Domain::Spin.state_from_index(index as u64, &mut s);
    s
}

/// The exact transition matrices (Wolff, Swendsen–Wang) of a model with N ≤ 6
/// units, from the bond probabilities the updaters use: every subset of the
/// aligned bonds with its probability, its clusters, and then every seed
/// (Wolff) or every flip pattern of the clusters (SW).
fn exact_kernels(bonds: &Bonds) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let n = bonds.units();
    let states = 1 << n;
    let edges: Vec<(usize, usize, f64)> = (0..n)
        .flat_map(|i| {
            bonds
                .neighbours(i)
                .iter()
                .zip(bonds.probabilities(i))
                .filter(move |(j, _)| **j as usize > i)
                .map(move |(&j, &p)| (i, j as usize, p))
        })
        .collect();
    let mut wolff = vec![vec![0.0; states]; states];
    let mut sw = vec![vec![0.0; states]; states];
    for s in 0..states {
        let spin = |i: usize| (s >> i) & 1;
        let aligned: Vec<_> = edges.iter().filter(|&&(i, j, _)| spin(i) == spin(j)).collect();
        for active in 0..1usize << aligned.len() {
            let mut probability = 1.0;
            // Cluster masks by naive merging of the active bonds.
            let mut cluster: Vec<usize> = (0..n).map(|i| 1 << i).collect();
            for (k, &&(i, j, p)) in aligned.iter().enumerate() {
                if (active >> k) & 1 == 1 {
                    probability *= p;
                    let merged = cluster[i] | cluster[j];
                    for c in cluster.iter_mut().filter(|c| **c & merged != 0) {
                        *c = merged;
                    }
                } else {
                    probability *= 1.0 - p;
                }
            }
            for &c in &cluster {
                wolff[s][s ^ c] += probability / n as f64;
            }
            let mut distinct = cluster.clone();
            distinct.sort_unstable();
            distinct.dedup();
            let share = probability / (1u64 << distinct.len()) as f64;
            for flips in 0..1usize << distinct.len() {
                let mask =
                    (0..distinct.len()).filter(|b| (flips >> b) & 1 == 1).fold(0, |m, b| m | distinct[b]);
                sw[s][s ^ mask] += share;
            }
        }
    }
    (wolff, sw)
}

/// max over pairs of |π(s) P(s, s') − π(s') P(s', s)|.
fn detailed_balance_violation(pi: &[f64], kernel: &[Vec<f64>]) -> f64 {
    let mut worst = ebm_core::worst::Worst::new();
    for (s, row) in kernel.iter().enumerate() {
        for (t, &p) in row.iter().enumerate() {
            worst.add((pi[s] * p - pi[t] * kernel[t][s]).abs());
        }
    }
    worst.value()
}

fn tiny_ferromagnet() -> impl Strategy<Value = (DensePairwise, f64)> {
    (2usize..=5, any::<u64>(), 0.2f64..4.0).prop_map(|(n, seed, t)| {
        let mut rng = seeded(seed);
        let mut w = nalgebra::DMatrix::zeros(n, n);
        for i in 0..n {
            for j in i + 1..n {
                // Some couplings zero, the rest in (0, 1.5).
                let v = if rng.random_bool(0.3) { 0.0 } else { rng.random_range(0.01f32..1.5) };
                (w[(i, j)], w[(j, i)]) = (v, v);
            }
        }
        (PairwiseModel::without_bias(Domain::Spin, DenseCouplings::new(w).unwrap()), t)
    })
}

proptest! {
    #[test]
    fn exact_kernels_satisfy_detailed_balance((model, t) in tiny_ferromagnet()) {
        let bonds = Bonds::new(&model, t).unwrap();
        let pi = exact::probabilities(&model, t).unwrap();
        let (wolff, sw) = exact_kernels(&bonds);
        for kernel in [&wolff, &sw] {
            for row in kernel.iter() {
                prop_assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
            prop_assert!(detailed_balance_violation(&pi, kernel) < 1e-13);
        }
    }
}

#[test]
fn a_wrong_bond_probability_breaks_detailed_balance() {
    // The check above can fail: with p = 1 − e^{−w/T} (the factor 2 dropped)
    // the same enumeration violates detailed balance.
    let model = random_ferromagnet(4, 0.8, 5);
    let t = 1.3;
    let mut bonds = Bonds::new(&model, t).unwrap();
    bonds.set_temperature(2.0 * t).unwrap();
    let pi = exact::probabilities(&model, t).unwrap();
    let (wolff, sw) = exact_kernels(&bonds);
    assert!(detailed_balance_violation(&pi, &wolff) > 1e-3);
    assert!(detailed_balance_violation(&pi, &sw) > 1e-3);
    assert!((bond_probability(0.5, 1.0) - (1.0 - (-1.0f64).exp())).abs() < 1e-15);
}

/// Runs `trials` single updates from every start state and returns the
/// largest total-variation distance between an empirical row and the exact
/// kernel row, divided by the distance expected from sampling noise alone.
fn worst_kernel_row(
    exact_kernel: &[Vec<f64>],
    units: usize,
    trials: usize,
    mut update: impl FnMut(&mut [i8]),
) -> f64 {
    let mut worst = ebm_core::worst::Worst::new();
    for (start, row) in exact_kernel.iter().enumerate() {
        let mut histogram = StateHistogram::new(units, Domain::Spin).unwrap();
        for _ in 0..trials {
            let mut state = state_of(start, units);
            update(&mut state);
            histogram.add(&state);
        }
        let tv = histogram.total_variation(row).unwrap();
        let expected = expected_total_variation(row, trials as f64);
        worst.add(if tv == 0.0 { 0.0 } else { tv / expected });
    }
    worst.value()
}

#[test]
fn one_update_follows_the_exact_kernel() {
    let (units, t, trials) = (4, 1.1, 4_000);
    let model = random_ferromagnet(units, 0.7, 21);
    let (wolff_kernel, sw_kernel) = exact_kernels(&Bonds::new(&model, t).unwrap());
    let mut rng = seeded(22);
    let mut wolff = Wolff::new(&model, t).unwrap();
    let worst = worst_kernel_row(&wolff_kernel, units, trials, |s| {
        wolff.update(s, &mut rng).unwrap();
    });
    assert!(worst < 3.0, "Wolff: worst row at {worst}× the expected sampling distance");
    let mut sw = SwendsenWang::new(&model, t).unwrap();
    let worst = worst_kernel_row(&sw_kernel, units, trials, |s| {
        sw.update(s, &mut rng).unwrap();
    });
    assert!(worst < 3.0, "SW: worst row at {worst}× the expected sampling distance");
    // Swapping the kernels fails the same check: they really differ.
    let worst = worst_kernel_row(&wolff_kernel, units, trials, |s| {
        sw.update(s, &mut rng).unwrap();
    });
    assert!(worst > 5.0, "SW against the Wolff kernel: {worst}");
}

/// Samples `samples` states, one after each update, from a random start and
/// returns (TV to the exact distribution at T, TV to the exact distribution
/// at 1.2·T, the distance expected at the chain's effective sample size).
fn stationary_distances<M: DiscreteEnergy>(
    model: &M,
    t: f64,
    samples: usize,
    mut update: impl FnMut(&mut [i8]),
) -> (f64, f64, f64) {
    let units = model.num_units();
    let mut rng = seeded(31);
    let mut state: Vec<i8> = (0..units).map(|_| if rng.random() { 1 } else { -1 }).collect();
    for _ in 0..1_000 {
        update(&mut state);
    }
    let mut histogram = StateHistogram::new(units, Domain::Spin).unwrap();
    let mut energies = Vec::with_capacity(samples);
    for _ in 0..samples {
        update(&mut state);
        histogram.add(&state);
        energies.push(model.energy(&state));
    }
    let exact = exact::probabilities(model, t).unwrap();
    let hotter = exact::probabilities(model, 1.2 * t).unwrap();
    let tau = integrated_time(&energies).unwrap().tau.max(1.0);
    let expected = expected_total_variation(&exact, samples as f64 / tau);
    (histogram.total_variation(&exact).unwrap(), histogram.total_variation(&hotter).unwrap(), expected)
}

fn assert_stationary(name: &str, (tv, tv_hotter, expected): (f64, f64, f64)) {
    assert!(tv < 2.0 * expected, "{name}: TV {tv}, expected about {expected}");
    // The bound is tight enough to reject the distribution at a 20% higher temperature.
    assert!(tv_hotter > 2.0 * expected, "{name}: TV to the hotter distribution only {tv_hotter}");
}

#[test]
fn lattice_samples_match_enumeration() {
    let model = SquareLattice::square(3).build().unwrap();
    let t = 2.5;
    let mut rng = seeded(41);
    let mut wolff = Wolff::new(&model, t).unwrap();
    assert_stationary(
        "Wolff 3×3",
        stationary_distances(&model, t, 300_000, |s| {
            wolff.update(s, &mut rng).unwrap();
        }),
    );
    let mut sw = SwendsenWang::new(&model, t).unwrap();
    assert_stationary(
        "SW 3×3",
        stationary_distances(&model, t, 200_000, |s| {
            sw.update(s, &mut rng).unwrap();
        }),
    );
}

#[test]
fn sparse_ferromagnet_samples_match_enumeration() {
    let model = random_ferromagnet(10, 0.3, 51);
    let t = 1.0;
    let mut rng = seeded(52);
    let mut wolff = Wolff::new(&model, t).unwrap();
    assert_stationary(
        "Wolff sparse",
        stationary_distances(&model, t, 300_000, |s| {
            wolff.update(s, &mut rng).unwrap();
        }),
    );
    let mut sw = SwendsenWang::new(&model, t).unwrap();
    assert_stationary(
        "SW sparse",
        stationary_distances(&model, t, 200_000, |s| {
            sw.update(s, &mut rng).unwrap();
        }),
    );
}

/// Per-step energy per spin and |magnetisation| after `burn_in` updates.
fn lattice_series(
    model: &SparsePairwise,
    burn_in: usize,
    steps: usize,
    mut update: impl FnMut(&mut [i8]),
) -> (Vec<f64>, Vec<f64>) {
    let n = model.num_units() as f64;
    let mut state = vec![1i8; model.num_units()];
    for _ in 0..burn_in {
        update(&mut state);
    }
    (0..steps)
        .map(|_| {
            update(&mut state);
            let m = state.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
            (model.energy(&state) / n, m.abs())
        })
        .unzip()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

#[test]
fn critical_lattice_agrees_between_wolff_swendsen_wang_and_kaufman() {
    let side = 16;
    let tc = 2.0 / (1.0 + 2f64.sqrt()).ln();
    let model = SquareLattice::square(side).build().unwrap();
    let units = (side * side) as f64;
    // ⟨E⟩/N = T² ∂ log Z/∂T / N from Kaufman's exact log Z.
    let exact_energy = |t: f64| kaufman::ising_mean_energy(side, side, 1.0, t).unwrap() / units;
    let exact = exact_energy(tc);

    let mut rng = seeded(61);
    let mut wolff = Wolff::new(&model, tc).unwrap();
    let (we, wm) = lattice_series(&model, 1_000, 40_000, |s| {
        wolff.update(s, &mut rng).unwrap();
    });
    let mut sw = SwendsenWang::new(&model, tc).unwrap();
    let (se, sm) = lattice_series(&model, 200, 20_000, |s| {
        sw.update(s, &mut rng).unwrap();
    });

    for (name, energy) in [("Wolff", &we), ("SW", &se)] {
        let (e, error) = (mean(energy), mcse(energy).unwrap());
        assert!(error < 0.005, "{name}: MCSE {error} too large to test anything");
        assert!((e - exact).abs() < 4.0 * error, "{name}: ⟨E⟩/N = {e} ± {error}, Kaufman {exact}");
    }
    // A 5% change of temperature moves ⟨E⟩/N far outside these error bars.
    assert!((exact_energy(1.05 * tc) - exact).abs() > 0.05);

    let (wm_mean, sm_mean) = (mean(&wm), mean(&sm));
    let error = mcse(&wm).unwrap().hypot(mcse(&sm).unwrap());
    assert!(error < 0.01, "MCSE of |m| {error}");
    assert!((wm_mean - sm_mean).abs() < 4.0 * error, "⟨|m|⟩: Wolff {wm_mean}, SW {sm_mean} (± {error})");
    // Finite-size |m| at T_c is ≈ 1.0 · L^{−1/8} ≈ 0.7 (m ~ L^{−β/ν}, β/ν = 1/8).
    assert!((0.6..0.85).contains(&wm_mean), "⟨|m|⟩ = {wm_mean}");
}

#[test]
fn the_same_seed_gives_the_same_chain() {
    let model = random_ferromagnet(30, 0.2, 71);
    let run = |seed: u64| {
        let mut rng = seeded(seed);
        let mut wolff = Wolff::new(&model, 1.5).unwrap();
        let mut sw = SwendsenWang::new(&model, 1.5).unwrap();
        let mut state = vec![1i8; 30];
        let mut trace = Vec::new();
        for _ in 0..200 {
            trace.push(wolff.update(&mut state, &mut rng).unwrap());
            trace.push(sw.update(&mut state, &mut rng).unwrap());
            trace.push(state_index(&state));
        }
        trace
    };
    assert_eq!(run(5), run(5));
    assert_ne!(run(5), run(6));
}

#[test]
fn wolff_clusters_are_aligned_and_connected() {
    // At very low T every aligned neighbour joins: one update flips a whole
    // aligned connected region, here the whole (connected) lattice.
    let model = SquareLattice::square(6).build().unwrap();
    let mut wolff = Wolff::new(&model, 0.05).unwrap();
    let mut state = vec![1i8; 36];
    let mut rng = seeded(81);
    assert_eq!(wolff.update(&mut state, &mut rng).unwrap(), 36);
    assert!(state.iter().all(|&s| s == -1));
    // Rows 1 and 4 up, the rest down: the aligned regions are the two rows
    // (6 spins each) and the down rows {2, 3} and {5, 0} (12 each, with wrap-around).
    let mut state = vec![-1i8; 36];
    state[6..12].iter_mut().for_each(|s| *s = 1);
    state[24..30].iter_mut().for_each(|s| *s = 1);
    let before = state.clone();
    let size = wolff.update(&mut state, &mut rng).unwrap();
    let changed: Vec<usize> = (0..36).filter(|&i| state[i] != before[i]).collect();
    assert_eq!(changed.len(), size);
    let rows: Vec<usize> = changed.iter().map(|i| i / 6).collect();
    assert!(
        [vec![1], vec![4], vec![2, 3], vec![0, 5]].iter().any(|r| {
            let mut rows = rows.clone();
            rows.dedup();
            &rows == r
        }),
        "flipped {changed:?}"
    );
    // At very high T no bond forms: single spins.
    wolff.set_temperature(1e6).unwrap();
    assert_eq!(wolff.temperature(), 1e6);
    assert_eq!(wolff.run(&mut state, &mut rng, 50).unwrap(), 50);
}

#[test]
fn swendsen_wang_cluster_counts_follow_the_temperature() {
    let model = SquareLattice::square(6).build().unwrap();
    let mut sw = SwendsenWang::new(&model, 0.05).unwrap();
    let mut rng = seeded(91);
    let mut state = vec![1i8; 36];
    assert_eq!(sw.update(&mut state, &mut rng).unwrap(), 1);
    assert!(state.iter().all(|&s| s == state[0]));
    sw.set_temperature(1e6).unwrap();
    assert_eq!(sw.update(&mut state, &mut rng).unwrap(), 36);
    assert_eq!(sw.num_units(), 36);
}

#[test]
fn refuses_models_that_are_not_zero_field_ferromagnets() {
    let lattice = SquareLattice::square(3);
    let with_field = lattice.field(0.1).build().unwrap();
    assert!(
        matches!(Wolff::new(&with_field, 1.0), Err(Error::Invalid { what, .. }) if what.contains("bias"))
    );
    let antiferro = lattice.coupling(-1.0).build().unwrap();
    assert!(
        matches!(SwendsenWang::new(&antiferro, 1.0), Err(Error::Invalid { what, .. }) if what.contains("coupling"))
    );
    let bits = lattice.build().unwrap().to_domain(Domain::Bit);
    assert!(matches!(Wolff::new(&bits, 1.0), Err(Error::Invalid { what, .. }) if what == "model"));
    let model = lattice.build().unwrap();
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(Wolff::new(&model, t).is_err());
        assert!(SwendsenWang::new(&model, t).is_err());
    }
    let mut wolff = Wolff::new(&model, 1.0).unwrap();
    let mut sw = SwendsenWang::new(&model, 1.0).unwrap();
    assert!(wolff.set_temperature(0.0).is_err() && sw.set_temperature(f64::NAN).is_err());
    let mut rng = seeded(0);
    let mut short = vec![1i8; 8];
    assert!(matches!(wolff.update(&mut short, &mut rng), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(sw.update(&mut short, &mut rng), Err(Error::ShapeMismatch { .. })));
    let mut bad = vec![1i8; 9];
    bad[4] = 0;
    assert!(wolff.update(&mut bad, &mut rng).is_err() && sw.update(&mut bad, &mut rng).is_err());
    assert_eq!(bad[4], 0, "a refused state is left as it was");
}

#[test]
fn an_empty_model_has_nothing_to_flip() {
    let empty = PairwiseModel::without_bias(Domain::Spin, SparseCouplings::from_edges(0, &[]).unwrap());
    let mut rng = seeded(0);
    assert_eq!(Wolff::new(&empty, 1.0).unwrap().update(&mut [], &mut rng).unwrap(), 0);
    assert_eq!(SwendsenWang::new(&empty, 1.0).unwrap().update(&mut [], &mut rng).unwrap(), 0);
}
