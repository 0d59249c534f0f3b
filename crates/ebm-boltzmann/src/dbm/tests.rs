//! DBM tests against enumeration of every unit.

use super::exact::{average_log_likelihood, free_energy, log_partition};
use super::mean_field::{MeanFieldOptions, mean_field, variational_bound};
use super::{DbmChains, DeepBoltzmannMachine};
use ebm_core::math::log_sum_exp;
use ebm_mcmc::histogram::{StateHistogram, expected_total_variation};
use ebm_mcmc::rng::seeded;
use nalgebra::DMatrix;
use proptest::prelude::*;
use rand::RngExt;

/// Weights N(0, σ²), biases uniform in (−1, 1).
fn random_dbm(seed: u64, sizes: &[usize], std: f32) -> DeepBoltzmannMachine {
    let mut rng = seeded(seed);
    let mut dbm = DeepBoltzmannMachine::random(sizes, std, &mut rng).unwrap();
    for b in dbm.parameters_mut().1 {
        b.iter_mut().for_each(|x| *x = rng.random_range(-1.0..1.0));
    }
    dbm
}

/// Configuration `index` of all units as one-row layers (bit k of the index is unit k, visible first).
fn configuration(sizes: &[usize], index: u64) -> Vec<DMatrix<f32>> {
    let mut bit = 0;
    sizes
        .iter()
        .map(|&n| {
            DMatrix::from_fn(1, n, |_, _| {
                bit += 1;
                f32::from(u8::from(index >> (bit - 1) & 1 == 1))
            })
        })
        .collect()
}

/// −E of every configuration of all units.
fn minus_energies(dbm: &DeepBoltzmannMachine) -> Vec<f64> {
    let sizes = dbm.sizes();
    let total: usize = sizes.iter().sum();
    (0..1u64 << total).map(|k| -dbm.energy(&configuration(&sizes, k)).unwrap()[0]).collect()
}

fn sizes_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..4, 2..5).prop_filter("at most 11 units", |s| s.iter().sum::<usize>() <= 11)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn log_partition_free_energy_and_conditionals_match_enumeration(seed in any::<u64>(), sizes in sizes_strategy()) {
        let dbm = random_dbm(seed, &sizes, 1.0);
        let minus_e = minus_energies(&dbm);
        let log_z = log_sum_exp(&minus_e);
        let fast = log_partition(&dbm).unwrap();
        prop_assert!((fast - log_z).abs() < 1e-5 * (1.0 + log_z.abs()), "log Z {fast} vs {log_z}");
        let nv = sizes[0];
        let visible = DMatrix::from_fn(1 << nv, nv, |r, i| f32::from(u8::from(r >> i & 1 == 1)));
        let free = free_energy(&dbm, &visible).unwrap();
        for (r, f) in free.iter().enumerate() {
            // The configurations whose low nv bits equal r.
            let terms: Vec<f64> = minus_e.iter().enumerate().filter(|(k, _)| k & ((1 << nv) - 1) == r).map(|(_, &e)| e).collect();
            let exact = -log_sum_exp(&terms);
            prop_assert!((f - exact).abs() < 1e-5 * (1.0 + exact.abs()), "F(v{r}) {f} vs {exact}");
        }
        // Σ_v P(v) = 1.
        let total: f64 = free.iter().map(|f| (-f - fast).exp()).sum();
        prop_assert!((total - 1.0).abs() < 1e-4);
        prop_assert!((average_log_likelihood(&dbm, &visible.rows(0, 1).into_owned()).unwrap() + free[0] + fast).abs() < 1e-9);
        // P(x_{l,j} = 1 | rest) from the energy difference of flipping it.
        let state = configuration(&sizes, seed % (1 << sizes.iter().sum::<usize>()));
        for l in 0..sizes.len() {
            let p = dbm.layer_probabilities(&state, l).unwrap();
            for j in 0..sizes[l] {
                let with = |x: f32| { let mut s = state.clone(); s[l][(0, j)] = x; dbm.energy(&s).unwrap()[0] };
                let exact = 1.0 / (1.0 + (with(1.0) - with(0.0)).exp());
                prop_assert!((f64::from(p[(0, j)]) - exact).abs() < 1e-5);
            }
        }
    }

    #[test]
    fn mean_field_reaches_a_fixed_point_and_bounds_the_free_energy(seed in any::<u64>(), sizes in sizes_strategy()) {
        let dbm = random_dbm(seed, &sizes, 0.7);
        let nv = sizes[0];
        let visible = DMatrix::from_fn(1 << nv, nv, |r, i| f32::from(u8::from(r >> i & 1 == 1)));
        let options = MeanFieldOptions { max_iterations: 500, tolerance: 1e-6 };
        let field = mean_field(&dbm, &visible, options).unwrap();
        prop_assert!(field.converged);
        for l in 1..sizes.len() {
            let again = dbm.layer_probabilities(&field.layers, l).unwrap();
            let gap = ebm_core::worst::max_abs((again - &field.layers[l]).iter().copied());
            prop_assert!(gap < 1e-5, "layer {l}: μ − σ(input) = {gap}");
        }
        let bound = variational_bound(&dbm, &field).unwrap();
        for (b, f) in bound.iter().zip(free_energy(&dbm, &visible).unwrap()) {
            prop_assert!(*b <= -f + 1e-6, "bound {b} above −F = {}", -f);
        }
        // Coordinate ascent: more rounds never lower the bound.
        let mut previous = vec![f64::NEG_INFINITY; visible.nrows()];
        for rounds in 0..8 {
            let partial = mean_field(&dbm, &visible, MeanFieldOptions { max_iterations: rounds, tolerance: 0.0 }).unwrap();
            let now = variational_bound(&dbm, &partial).unwrap();
            for (n, p) in now.iter().zip(&previous) {
                prop_assert!(*n >= p - 1e-6, "round {rounds}: bound fell from {p} to {n}");
            }
            previous = now;
        }
    }
}

#[test]
fn block_gibbs_samples_the_joint_distribution() {
    let sizes = [3, 2, 2];
    let dbm = random_dbm(5, &sizes, 1.0);
    let minus_e = minus_energies(&dbm);
    let log_z = log_sum_exp(&minus_e);
    let exact: Vec<f64> = minus_e.iter().map(|l| (l - log_z).exp()).collect();
    let mut rng = seeded(6);
    let mut chains = DbmChains::random(&dbm, 200, &mut rng);
    for _ in 0..20 {
        chains.step(&dbm, &mut rng).unwrap();
    }
    let mut histogram = StateHistogram::new(7, ebm_core::Domain::Bit).unwrap();
    let steps = 200;
    for _ in 0..steps {
        chains.step(&dbm, &mut rng).unwrap();
        for c in 0..chains.batch() {
            let state: Vec<i8> = chains
                .layers
                .iter()
                .flat_map(|x| x.row(c).iter().map(|&v| v as i8).collect::<Vec<_>>())
                .collect();
            histogram.add(&state);
        }
    }
    let tv = histogram.total_variation(&exact).unwrap();
    assert!(tv < 3.0 * expected_total_variation(&exact, (200 * steps) as f64), "TV {tv}");
}

#[test]
fn model_files_round_trip_and_bad_input_is_refused() {
    let dbm = random_dbm(7, &[4, 3, 2], 1.0);
    let bytes = ebm_core::file::encode(&dbm).unwrap();
    assert_eq!(ebm_core::file::decode::<DeepBoltzmannMachine>(&bytes).unwrap(), dbm);
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 2;
    assert!(ebm_core::file::decode::<DeepBoltzmannMachine>(&flipped).is_err());
    assert!(ebm_core::file::decode::<crate::BernoulliRbm>(&bytes).is_err());

    let (w, b) = (DMatrix::zeros(2, 3), nalgebra::DVector::zeros(2));
    assert!(DeepBoltzmannMachine::new(vec![], vec![b.clone()]).is_err());
    assert!(
        DeepBoltzmannMachine::new(vec![w.clone()], vec![b.clone(), b.clone()]).is_err(),
        "W is 2×3 but b₁ has 2"
    );
    assert!(
        DeepBoltzmannMachine::new(vec![DMatrix::from_element(2, 2, f32::NAN)], vec![b.clone(), b.clone()])
            .is_err()
    );
    assert!(DeepBoltzmannMachine::random(&[3], 1.0, &mut seeded(1)).is_err());
    assert!(DeepBoltzmannMachine::random(&[3, 0, 2], 1.0, &mut seeded(1)).is_err());
    assert!(free_energy(&dbm, &DMatrix::zeros(1, 3)).is_err());
    assert!(mean_field(&dbm, &DMatrix::from_element(1, 4, 2.0), MeanFieldOptions::default()).is_err());
    assert!(dbm.energy(&[DMatrix::zeros(1, 4), DMatrix::zeros(1, 3)]).is_err());
    assert!(dbm.layer_probabilities(&configuration(&[4, 3, 2], 0), 3).is_err());
    assert!(log_partition(&random_dbm(8, &[30, 30, 30], 0.1)).is_err(), "too many units to enumerate");
    assert!(average_log_likelihood(&dbm, &DMatrix::zeros(0, 4)).is_err());
}

#[test]
fn ais_matches_exact_log_partition_within_a_tenth_of_a_nat() {
    use super::ais::{ais_log_partition, likelihood_lower_bound};
    use crate::ais::AisOptions;
    for (seed, sizes, std) in
        [(11, vec![12, 8, 6], 0.5), (12, vec![6, 5, 4, 3], 1.0), (13, vec![10, 10], 0.8)]
    {
        let dbm = random_dbm(seed, &sizes, std);
        let exact = log_partition(&dbm).unwrap();
        let base = nalgebra::DVector::from_element(sizes[0], 0.0f32);
        let estimate = ais_log_partition(&dbm, &base, &AisOptions::staged(2_000, 64, seed)).unwrap();
        assert!((estimate.log_z - exact).abs() < 0.1, "{sizes:?}: AIS {} vs exact {exact}", estimate.log_z);
        assert!(
            estimate.log_z_low <= exact + 0.05 && exact - 0.05 <= estimate.log_z_high,
            "{estimate:?} vs {exact}"
        );
        // The mean-field bound with the exact log Z never exceeds the exact likelihood.
        let data = DMatrix::from_fn(8, sizes[0], |r, i| f32::from(u8::from((r * 7 + i * 3) % 5 < 2)));
        let bound = likelihood_lower_bound(&dbm, &data, exact, MeanFieldOptions::default()).unwrap();
        let exact_ll = average_log_likelihood(&dbm, &data).unwrap();
        assert!(bound <= exact_ll + 1e-5 * exact_ll.abs(), "{sizes:?}: bound {bound} above ℓ = {exact_ll}");
    }
    let dbm = random_dbm(14, &[4, 3], 1.0);
    let bad = AisOptions { betas: vec![0.0, 0.5], runs: 4, seed: 1 };
    assert!(ais_log_partition(&dbm, &nalgebra::DVector::zeros(4), &bad).is_err());
    assert!(ais_log_partition(&dbm, &nalgebra::DVector::zeros(3), &AisOptions::staged(10, 4, 1)).is_err());
}

#[test]
fn ais_from_a_base_with_biases_and_several_chunks_of_runs_matches_exact_log_z() {
    use super::ais::ais_log_partition;
    use crate::ais::AisOptions;
    // A base of its own biases (not zero), and 40 runs: chunks of 16, 16 and 8.
    let dbm = random_dbm(21, &[8, 6, 4], 0.7);
    let exact = log_partition(&dbm).unwrap();
    let base = nalgebra::DVector::from_fn(8, |i, _| 0.8 - 0.3 * i as f32);
    let estimate = ais_log_partition(&dbm, &base, &AisOptions::staged(3_000, 40, 5)).unwrap();
    assert_eq!(estimate.log_weights.len(), 40);
    assert!((estimate.log_z - exact).abs() < 0.05, "AIS {} vs exact {exact}", estimate.log_z);
}

#[test]
fn the_mean_field_bound_of_a_one_hidden_layer_dbm_is_its_likelihood() {
    // With one hidden layer, P(h | v) factorises: mean field finds it
    // exactly, and the variational bound is the log-likelihood itself.
    use super::ais::likelihood_lower_bound;
    let dbm = random_dbm(22, &[6, 4], 0.9);
    let data = DMatrix::from_fn(9, 6, |r, i| f32::from(u8::from((r * 5 + i * 2) % 7 < 3)));
    let exact_ll = average_log_likelihood(&dbm, &data).unwrap();
    let log_z = log_partition(&dbm).unwrap();
    let bound = likelihood_lower_bound(&dbm, &data, log_z, MeanFieldOptions::default()).unwrap();
    assert!((bound - exact_ll).abs() < 1e-4, "bound {bound} vs ℓ = {exact_ll}");
    // A log Z one nat larger lowers the bound by one nat.
    let shifted = likelihood_lower_bound(&dbm, &data, log_z + 1.0, MeanFieldOptions::default()).unwrap();
    assert!((bound - shifted - 1.0).abs() < 1e-9);
}
