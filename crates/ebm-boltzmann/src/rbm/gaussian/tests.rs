//! The Gaussian–Bernoulli RBM against brute force: conditionals and free
//! energy against the joint, log Z against quadrature, AIS against exact.

use super::ais::{AisBase, ais_log_partition};
use super::partition::{average_log_likelihood, log_marginal_hidden, log_partition};
use super::*;
use crate::ais::AisOptions;
use ebm_core::math::{LogSumExp, log_sum_exp};
use ebm_core::quadrature::Grid;
use ebm_core::{ContinuousEnergy, file};
use ebm_mcmc::block::BlockChains;
use ebm_mcmc::rng::seeded;
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;
use rand::RngExt;

/// A model with W ~ N(0, w²), a, b uniform on (−1, 1) and log σ² uniform on (−1, 1).
fn random_model(seed: u64, n: usize, m: usize, w: f32) -> GaussianRbm {
    let mut rng = seeded(seed);
    let weights = GaussianRbm::random(n, m, w, &mut rng).unwrap().weights().clone();
    let mut uniform = |len: usize| DVector::from_fn(len, |_, _| rng.random_range(-1.0f32..1.0));
    let (a, b, z) = (uniform(n), uniform(m), uniform(n));
    GaussianRbm::new(weights, a, b, z).unwrap()
}

fn bits(index: u32, len: usize) -> Vec<f32> {
    (0..len).map(|j| (index >> j & 1) as f32).collect()
}

/// Every hidden state as the rows of a 2ᵐ × m matrix.
fn all_hidden(m: usize) -> DMatrix<f32> {
    DMatrix::from_fn(1 << m, m, |s, j| (s >> j & 1) as f32)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn conditionals_and_free_energy_match_the_joint(
        seed in any::<u64>(), n in 1usize..4, m in 1usize..5, v in prop::collection::vec(-3.0f32..3.0, 3),
    ) {
        let rbm = random_model(seed, n, m, 1.0);
        let v = &v[..n];
        let batch = DMatrix::from_row_slice(1, n, v);
        // F(v) = −log Σ_h e^{−E(v, h)}; P(h_j = 1 | v) from the same sum.
        let minus_e: Vec<f64> = (0..1u32 << m).map(|s| -rbm.energy(v, &bits(s, m)).unwrap()).collect();
        let free = rbm.free_energy(&batch).unwrap()[0];
        prop_assert!((free + log_sum_exp(&minus_e)).abs() < 1e-4 * (1.0 + free.abs()));
        prop_assert!((ContinuousEnergy::energy(&rbm, &v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>()) - free).abs() < 1e-4 * (1.0 + free.abs()));
        let p = rbm.hidden_probabilities(&batch).unwrap();
        for j in 0..m {
            let on: Vec<f64> = (0..1u32 << m).filter(|s| s >> j & 1 == 1).map(|s| minus_e[s as usize]).collect();
            let exact = (log_sum_exp(&on) - log_sum_exp(&minus_e)).exp();
            prop_assert!((f64::from(p[(0, j)]) - exact).abs() < 1e-5);
        }
        // log p(v | h) = −E(v, h) − log ∫ e^{−E(v′, h)} dv′ is the Gaussian N(a + σ ⊙ Wh, σ²).
        let hidden = all_hidden(m);
        let marginal = log_marginal_hidden(&rbm, &hidden).unwrap();
        let means = rbm.visible_means(&hidden).unwrap();
        let sigma = rbm.std_dev();
        for s in 0..1usize << m {
            let gaussian: f64 = (0..n).map(|i| {
                let (x, mu, sd) = (f64::from(v[i]), f64::from(means[(s, i)]), f64::from(sigma[i]));
                -0.5 * ((x - mu) / sd).powi(2) - (sd * std::f64::consts::TAU.sqrt()).ln()
            }).sum();
            let conditional = minus_e[s] - marginal[s];
            prop_assert!((conditional - gaussian).abs() < 1e-4 * (1.0 + gaussian.abs()), "{conditional} vs {gaussian}");
        }
        // log Z over the hidden marginals equals the Gray-code enumeration.
        let log_z = log_partition(&rbm).unwrap();
        prop_assert!((log_z - log_sum_exp(&marginal)).abs() < 1e-9 * (1.0 + log_z.abs()));
    }

    #[test]
    fn rescaling_moves_the_density_by_the_jacobian(
        seed in any::<u64>(), offset in prop::collection::vec(-5.0f32..5.0, 3), scale in prop::collection::vec(0.1f32..10.0, 3),
    ) {
        let rbm = random_model(seed, 3, 4, 0.7);
        let moved = rbm.rescaled(&offset, &scale).unwrap();
        let u = DMatrix::from_row_slice(2, 3, &[0.3, -1.0, 0.5, 1.2, 0.1, -0.7]);
        let x = DMatrix::from_fn(2, 3, |r, i| offset[i] + scale[i] * u[(r, i)]);
        let log_jacobian: f64 = scale.iter().map(|&s| f64::from(s).ln()).sum();
        for r in 0..2 {
            let pu = average_log_likelihood(&rbm, &u.rows(r, 1).into(), log_partition(&rbm).unwrap()).unwrap();
            let px = average_log_likelihood(&moved, &x.rows(r, 1).into(), log_partition(&moved).unwrap()).unwrap();
            prop_assert!((px - (pu - log_jacobian)).abs() < 1e-3, "{px} vs {pu} − {log_jacobian}");
        }
        let back = moved
            .rescaled(&offset.iter().zip(&scale).map(|(o, s)| -o / s).collect::<Vec<_>>(), &scale.iter().map(|s| 1.0 / s).collect::<Vec<_>>())
            .unwrap();
        prop_assert!((log_partition(&back).unwrap() - log_partition(&rbm).unwrap()).abs() < 1e-3);
    }
}

#[test]
fn log_partition_matches_quadrature_over_the_visible_units() {
    // One visible unit: the midpoint rule on a fine line.
    for seed in 0..4 {
        let rbm = random_model(seed, 1, 5, 1.0);
        let (half, cells) = (40.0, 200_000);
        let h = 2.0 * half / cells as f64;
        let mut acc = LogSumExp::new();
        for k in 0..cells {
            acc.add(-ContinuousEnergy::energy(&rbm, &[-half + (k as f64 + 0.5) * h]));
        }
        let (quadrature, exact) = (acc.value() + h.ln(), log_partition(&rbm).unwrap());
        assert!((quadrature - exact).abs() < 1e-6, "seed {seed}: {quadrature} vs {exact}");
    }
    // Two visible units: the shared 2-D grid.
    for seed in 4..7 {
        let rbm = random_model(seed, 2, 6, 0.8);
        let density = Grid::square(25.0, 1000).unwrap().density(&rbm, 1.0).unwrap();
        let exact = log_partition(&rbm).unwrap();
        assert!(
            (density.log_partition() - exact).abs() < 1e-5,
            "seed {seed}: {} vs {exact}",
            density.log_partition()
        );
    }
}

#[test]
fn enumeration_over_many_blocks_matches_the_hidden_marginals() {
    // 15 hidden units: 8 blocks of 2¹² states; 40 visible units.
    let rbm = random_model(11, 40, 15, 0.2);
    let direct = log_sum_exp(&log_marginal_hidden(&rbm, &all_hidden(15)).unwrap());
    let fast = log_partition(&rbm).unwrap();
    assert!((fast - direct).abs() < 1e-9 * direct.abs(), "{fast} vs {direct}");
    assert!(log_partition(&GaussianRbm::zeros(2, 31)).is_err());
    // W = 0: Z = 2ᵐ Π √(2π) σᵢ e^{0} up to the hidden biases: Π (1 + e^{b_j}).
    let zero = GaussianRbm::zeros(3, 4);
    let expected = 4.0 * std::f64::consts::LN_2 + 1.5 * std::f64::consts::TAU.ln();
    assert!((log_partition(&zero).unwrap() - expected).abs() < 1e-12);
}

#[test]
fn block_gibbs_reproduces_the_exact_mean_and_variance() {
    let rbm = random_model(21, 2, 4, 1.0);
    let hidden = all_hidden(4);
    let log_z = log_partition(&rbm).unwrap();
    let weights: Vec<f64> =
        log_marginal_hidden(&rbm, &hidden).unwrap().iter().map(|l| (l - log_z).exp()).collect();
    let means = rbm.visible_means(&hidden).unwrap();
    // E[v] = Σ_h P(h) μ(h); Var[v] = σ² + Σ_h P(h) μ(h)² − E[v]².
    let exact_mean: Vec<f64> =
        (0..2).map(|i| (0..16).map(|s| weights[s] * f64::from(means[(s, i)])).sum()).collect();
    let exact_var: Vec<f64> = (0..2)
        .map(|i| {
            let second: f64 = (0..16).map(|s| weights[s] * f64::from(means[(s, i)]).powi(2)).sum();
            f64::from(rbm.std_dev()[i]).powi(2) + second - exact_mean[i].powi(2)
        })
        .collect();
    let mut rng = seeded(5);
    let mut chains = BlockChains::from_visible(&rbm, DMatrix::zeros(2000, 2)).unwrap();
    let (mut sum, mut squares, mut count) = ([0.0; 2], [0.0; 2], 0.0);
    for step in 0..300 {
        chains.step(&rbm, 1.0, &mut rng).unwrap();
        if step >= 100 {
            for r in 0..2000 {
                for i in 0..2 {
                    let x = f64::from(chains.visible[(r, i)]);
                    sum[i] += x;
                    squares[i] += x * x;
                }
            }
            count += 2000.0;
        }
    }
    for i in 0..2 {
        let (mean, var) = (sum[i] / count, squares[i] / count - (sum[i] / count).powi(2));
        // 2000 independent chains: the mean's standard error is about √(Var/2000).
        let se = (exact_var[i] / 2000.0).sqrt();
        assert!((mean - exact_mean[i]).abs() < 5.0 * se, "unit {i}: mean {mean} vs {}", exact_mean[i]);
        assert!((var / exact_var[i] - 1.0).abs() < 0.1, "unit {i}: variance {var} vs {}", exact_var[i]);
    }
}

#[test]
fn ais_agrees_with_the_exact_value_for_20_hidden_units() {
    for (seed, w) in [(31, 0.3), (32, 0.6)] {
        let rbm = random_model(seed, 10, 20, w);
        let exact = log_partition(&rbm).unwrap();
        let options = AisOptions::staged(2000, 64, seed);
        for base in [
            AisBase::from_model(&rbm),
            AisBase::new(DVector::zeros(10), DVector::from_element(10, 1.5)).unwrap(),
        ] {
            let estimate = ais_log_partition(&rbm, &base, &options).unwrap();
            assert!(
                (estimate.log_z - exact).abs() < 0.1,
                "seed {seed}: AIS {} vs exact {exact}",
                estimate.log_z
            );
            assert!(estimate.log_z_low <= estimate.log_z && estimate.log_z <= estimate.log_z_high);
        }
    }
}

#[test]
fn ais_is_the_same_on_one_and_two_threads() {
    let rbm = random_model(41, 6, 8, 0.5);
    let options = AisOptions::staged(200, 40, 3);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            (
                ais_log_partition(&rbm, &AisBase::from_model(&rbm), &options).unwrap(),
                log_partition(&rbm).unwrap(),
            )
        })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn ais_base_from_data_matches_the_columns() {
    let data = DMatrix::from_row_slice(4, 2, &[1.0, 5.0, 3.0, 5.0, 1.0, 5.0, 3.0, 5.0]);
    let base = AisBase::from_data(&data).unwrap();
    // Means 2 and 5; deviations 1 and (no spread) 10⁻³ · 1.
    let expected = 2.0 * std::f64::consts::LN_2 + std::f64::consts::TAU.ln() + (1e-3f64).ln();
    assert!((base.log_partition(2) - expected).abs() < 1e-12);
    assert!(AisBase::from_data(&DMatrix::from_element(3, 2, 1.0)).is_err());
    assert!(AisBase::from_data(&DMatrix::zeros(1, 2)).is_err());
    assert!(AisBase::new(DVector::zeros(2), DVector::from_element(2, 0.0)).is_err());
    let rbm = GaussianRbm::zeros(3, 2);
    assert!(ais_log_partition(&rbm, &base, &AisOptions::staged(10, 2, 0)).is_err());
    // The model with W = 0 and b = 0 is its own base: the estimate is exact.
    let own = ais_log_partition(&rbm, &AisBase::from_model(&rbm), &AisOptions::staged(10, 2, 0)).unwrap();
    assert!((own.log_z - log_partition(&rbm).unwrap()).abs() < 1e-12);
}

#[test]
fn model_files_round_trip_and_refuse_corruption() {
    let rbm = random_model(51, 5, 3, 1.0);
    let bytes = file::encode(&rbm).unwrap();
    assert_eq!(file::decode::<GaussianRbm>(&bytes).unwrap(), rbm);
    for len in 0..bytes.len() {
        assert!(file::decode::<GaussianRbm>(&bytes[..len]).is_err());
    }
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 8;
    assert!(file::decode::<GaussianRbm>(&flipped).is_err());
    let bernoulli = file::encode(&crate::BernoulliRbm::zeros(5, 3)).unwrap();
    let error = file::decode::<GaussianRbm>(&bernoulli).unwrap_err().to_string();
    assert!(error.contains("rbm-gaussian"), "{error}");
    let json = serde_json::to_string(&rbm).unwrap();
    assert_eq!(serde_json::from_str::<GaussianRbm>(&json).unwrap(), rbm);
}

#[test]
fn bad_parameters_and_batches_are_refused() {
    let (w, v2, v3) = (DMatrix::zeros(2, 3), DVector::zeros(2), DVector::zeros(3));
    assert!(GaussianRbm::new(w.clone(), v3.clone(), v3.clone(), v2.clone()).is_err());
    assert!(GaussianRbm::new(w.clone(), v2.clone(), v2.clone(), v2.clone()).is_err());
    assert!(GaussianRbm::new(w.clone(), v2.clone(), v3.clone(), v3.clone()).is_err());
    assert!(GaussianRbm::new(w.clone(), v2.clone(), v3.clone(), DVector::from_element(2, 41.0)).is_err());
    assert!(GaussianRbm::new(w.clone(), v2.clone(), v3.clone(), DVector::from_element(2, f32::NAN)).is_err());
    assert!(
        GaussianRbm::with_std_dev(w.clone(), v2.clone(), v3.clone(), &DVector::from_element(2, 0.0)).is_err()
    );
    assert!(
        GaussianRbm::with_std_dev(w.clone(), v2.clone(), v3.clone(), &DVector::from_element(2, -1.0))
            .is_err()
    );
    let ok = GaussianRbm::with_std_dev(w, v2, v3, &DVector::from_element(2, 2.0)).unwrap();
    assert!((ok.std_dev()[0] - 2.0).abs() < 1e-6);
    assert!(GaussianRbm::random(2, 3, -1.0, &mut seeded(0)).is_err());
    assert!(ok.hidden_probabilities(&DMatrix::zeros(1, 3)).is_err());
    assert!(ok.free_energy(&DMatrix::from_element(1, 2, f32::INFINITY)).is_err());
    assert!(ok.visible_means(&DMatrix::zeros(1, 2)).is_err());
    assert!(ok.draw_visible(&DMatrix::zeros(1, 2), &mut seeded(0)).is_err());
    assert!(ok.draw_hidden(&DMatrix::zeros(1, 3), &mut seeded(0)).is_err());
    assert!(ok.energy(&[0.0; 2], &[0.0; 2]).is_err());
    assert!(ok.rescaled(&[0.0; 2], &[1.0, 0.0]).is_err());
    assert!(ok.rescaled(&[0.0; 3], &[1.0; 3]).is_err());
    assert!(average_log_likelihood(&ok, &DMatrix::zeros(0, 2), 0.0).is_err());
    assert!(log_marginal_hidden(&ok, &DMatrix::zeros(1, 2)).is_err());
    let json = serde_json::to_string(&ok).unwrap();
    let broken = json.replace("0.0]", "0.0,0.0]");
    assert!(serde_json::from_str::<GaussianRbm>(&broken).is_err());
}
