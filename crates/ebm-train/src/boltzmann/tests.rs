//! Tests of maximum-likelihood learning against enumeration.

use super::*;
use crate::SgdBuilder;
use crate::schedule::LearningRate;
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::worst::{max_abs, max_abs_difference, nan_max};
use ebm_core::{Domain, exact};
use ebm_mcmc::rng::seeded;
use proptest::prelude::*;
use rand::RngExt;

/// A machine with N(0, 0.8²) couplings and biases uniform in (−1, 1).
fn random_machine(seed: u64, domain: Domain, visible: usize, hidden: usize) -> BoltzmannMachine {
    let mut rng = seeded(seed);
    let machine = BoltzmannMachine::random(domain, visible, hidden, 0.8, &mut rng).unwrap();
    let bias = (0..visible + hidden).map(|_| rng.random_range(-1.0f32..1.0)).collect();
    machine.with_parameters(machine.couplings().clone(), bias).unwrap()
}

/// `count` visible configurations drawn exactly from the teacher's P(v).
fn samples(teacher: &BoltzmannMachine, count: usize, seed: u64) -> Vec<Vec<i8>> {
    let draws = exact::draw(teacher.model(), 1.0, count, &mut seeded(seed)).unwrap();
    draws.into_iter().map(|y| y[..teacher.visible()].to_vec()).collect()
}

fn max_difference(a: &Gradient, b: &Gradient) -> f64 {
    let couplings = max_abs((&a.couplings - &b.couplings).iter().copied());
    nan_max(couplings, max_abs((&a.biases - &b.biases).iter().copied()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn exact_gradient_matches_finite_differences(
        seed in any::<u64>(), spins in any::<bool>(), visible in 1usize..4, hidden in 0usize..3,
    ) {
        let domain = if spins { Domain::Spin } else { Domain::Bit };
        let machine = random_machine(seed, domain, visible, hidden);
        let data = samples(&random_machine(seed ^ 1, domain, visible, 1), 7, seed);
        let gradient = exact_gradient(&machine, &data).unwrap();
        let likelihood = |w: nalgebra::DMatrix<f32>, b: Vec<f32>| {
            machine.with_parameters(w, b).unwrap().average_log_likelihood(&data).unwrap()
        };
        let step = 1e-2f32;
        let n = machine.units();
        for i in 0..n {
            for j in i + 1..n {
                let shifted = |d: f32| {
                    let mut w = machine.couplings().clone();
                    w[(i, j)] += d;
                    w[(j, i)] += d;
                    likelihood(w, machine.biases().to_vec())
                };
                let numeric = (shifted(step) - shifted(-step)) / (2.0 * f64::from(step));
                prop_assert!((numeric - gradient.couplings[(i, j)]).abs() < 1e-3, "W_{i}{j}: {numeric} vs {}", gradient.couplings[(i, j)]);
            }
            let shifted = |d: f32| {
                let mut b = machine.biases().to_vec();
                b[i] += d;
                likelihood(machine.couplings().clone(), b)
            };
            let numeric = (shifted(step) - shifted(-step)) / (2.0 * f64::from(step));
            prop_assert!((numeric - gradient.biases[i]).abs() < 1e-3, "b_{i}: {numeric} vs {}", gradient.biases[i]);
        }
    }
}

#[test]
fn long_sampled_phases_estimate_the_exact_gradient() {
    for domain in [Domain::Spin, Domain::Bit] {
        let machine = random_machine(3, domain, 3, 2);
        let data = samples(&random_machine(4, domain, 3, 2), 200, 5);
        let exact = exact_gradient(&machine, &data).unwrap();
        let views: Vec<&[i8]> = data.iter().map(Vec::as_slice).collect();
        for free_chains in [FreeChains::FromData, FreeChains::Persistent { chains: 400 }] {
            let sampling = Sampling::new().burn_in(50).sweeps(400).free_chains(free_chains.clone());
            let mut phases = SampledPhases::new(sampling, &machine, &data, &mut seeded(6)).unwrap();
            let sampled = phases.gradient(&machine, &views, 7).unwrap();
            // Each moment is a mean of ≥ 4,000 correlated draws of size ≤ 1: its error is a few 0.01.
            let error = max_difference(&sampled, &exact);
            assert!(error < 0.06, "{domain:?} {free_chains:?}: max error {error}");
        }
    }
}

/// Trains a copy of `start` on `data` and returns it.
fn trained(start: &BoltzmannMachine, data: &[Vec<i8>], trainer: MachineTrainer) -> BoltzmannMachine {
    let mut machine = start.clone();
    trainer.train(&mut machine, data, &mut []).unwrap();
    machine
}

fn sampled_ml(chains: usize) -> MachineTrainer {
    let sampling = Sampling::new().burn_in(2).sweeps(2).free_chains(FreeChains::Persistent { chains });
    MachineTrainer::new(Estimator::Sampled(sampling))
}

#[test]
fn sampled_ml_without_hidden_units_reaches_the_exact_ml_parameters() {
    // Without hidden units ℓ is concave and, for data whose moments lie
    // inside the marginal polytope (here: data that visit every state), has
    // one finite maximiser; exact gradient ascent finds it.
    let teacher = BoltzmannMachine::random(Domain::Spin, 4, 0, 0.4, &mut seeded(11)).unwrap();
    let data = samples(&teacher, 1000, 12);
    for k in 0..16 {
        let mut v = vec![0; 4];
        Domain::Spin.state_from_index(k, &mut v);
        assert!(data.contains(&v), "the data visit state {v:?}");
    }
    let start = BoltzmannMachine::zeros(Domain::Spin, 4, 0).unwrap();
    let rate = LearningRate::Constant(0.2);
    let exact_ml = MachineTrainer::new(Estimator::Exact).learning_rate(rate).momentum(0.8).epochs(600);
    let exact = trained(&start, &data, exact_ml);
    let norm = exact_gradient(&exact, &data).unwrap().norm();
    assert!(norm < 1e-4, "exact ascent converged: gradient norm {norm}");
    let decaying = LearningRate::Linear { start: 0.2, end: 0.01 };
    let sampled = trained(&start, &data, sampled_ml(200).learning_rate(decaying).epochs(600).seed(13));
    let coupling_error = max_abs((sampled.couplings() - exact.couplings()).iter().copied());
    let bias_error = max_abs_difference(sampled.biases(), exact.biases());
    assert!(coupling_error < 0.05 && bias_error < 0.05, "W error {coupling_error}, b error {bias_error}");
    let (ll_exact, ll_sampled) =
        (exact.average_log_likelihood(&data).unwrap(), sampled.average_log_likelihood(&data).unwrap());
    assert!(ll_exact - ll_sampled < 2e-3, "ℓ exact {ll_exact}, sampled {ll_sampled}");
}

#[test]
fn sampled_ml_with_hidden_units_approaches_exact_ml() {
    // Data from a teacher with hidden units; a student with 4 visible and 2
    // hidden units, fully connected, trained from the same start by exact
    // and by sampled gradients, ends with the same likelihood and visible
    // distribution.
    let teacher = random_machine(21, Domain::Spin, 4, 2);
    let data = samples(&teacher, 300, 22);
    let start = BoltzmannMachine::random(Domain::Spin, 4, 2, 0.1, &mut seeded(23)).unwrap();
    let rate = LearningRate::Linear { start: 0.1, end: 0.02 };
    let exact = trained(&start, &data, MachineTrainer::new(Estimator::Exact).learning_rate(rate).epochs(400));
    let sampled = trained(&start, &data, sampled_ml(200).learning_rate(rate).epochs(400).seed(24));
    let ll = |m: &BoltzmannMachine| m.average_log_likelihood(&data).unwrap();
    let (ll_start, ll_exact, ll_sampled) = (ll(&start), ll(&exact), ll(&sampled));
    assert!(ll_exact > ll_start + 0.1, "exact ML learns: {ll_start} → {ll_exact}");
    assert!((ll_exact - ll_sampled).abs() < 0.01, "ℓ exact {ll_exact}, sampled {ll_sampled}");
    // KL(P_exact ‖ P_sampled) over the 16 visible configurations.
    let marginal = |m: &BoltzmannMachine| -> Vec<f64> {
        let log_z = m.log_partition().unwrap();
        (0..16u64)
            .map(|k| {
                let mut v = vec![0; 4];
                Domain::Spin.state_from_index(k, &mut v);
                (-m.free_energy(&v).unwrap() - log_z).exp()
            })
            .collect()
    };
    let (p, q) = (marginal(&exact), marginal(&sampled));
    let kl: f64 = p.iter().zip(&q).map(|(p, q)| p * (p / q).ln()).sum();
    assert!(kl < 5e-3, "KL {kl}");
}

#[test]
fn sampled_training_gives_the_same_machine_on_any_number_of_threads() {
    let teacher = random_machine(31, Domain::Bit, 3, 1);
    let data = samples(&teacher, 20, 32);
    let start = BoltzmannMachine::random(Domain::Bit, 3, 2, 0.1, &mut seeded(33)).unwrap();
    let ladder = ebm_mcmc::tempering::Ladder::geometric(1.0, 3.0, 3).unwrap();
    for free_chains in [FreeChains::Persistent { chains: 7 }, FreeChains::Tempering { chains: 3, ladder }] {
        let sampling = Sampling::new().burn_in(1).sweeps(2).free_chains(free_chains);
        let trainer = MachineTrainer::new(Estimator::Sampled(sampling)).batch_size(6).epochs(5).seed(34);
        let runs: Vec<BoltzmannMachine> = [1, 2, 3]
            .into_iter()
            .map(|threads| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                pool.install(|| trained(&start, &data, trainer.clone()))
            })
            .collect();
        assert_ne!(runs[0], start);
        assert!(runs.iter().all(|m| m == &runs[0]));
    }
}

#[test]
fn connectivity_limits_which_couplings_learn() {
    let data = samples(&random_machine(41, Domain::Bit, 3, 2), 30, 42);
    let start = BoltzmannMachine::zeros(Domain::Bit, 3, 2).unwrap();
    let restricted = trained(
        &BoltzmannMachine::random(Domain::Bit, 3, 2, 0.0, &mut seeded(1)).unwrap(),
        &data,
        MachineTrainer::new(Estimator::Exact).connectivity(Connectivity::Bipartite).epochs(20),
    );
    let w = restricted.couplings();
    for i in 0..5 {
        for j in 0..5 {
            let bipartite = (i < 3) != (j < 3);
            assert_eq!(w[(i, j)] == 0.0, !bipartite || i == j, "W_{i}{j} = {}", w[(i, j)]);
        }
    }
    let mut mask = nalgebra::DMatrix::from_element(5, 5, false);
    mask[(0, 1)] = true;
    let train = |c: Connectivity| {
        MachineTrainer::new(Estimator::Exact).connectivity(c).epochs(1).train(
            &mut start.clone(),
            &data,
            &mut [],
        )
    };
    assert!(train(Connectivity::Custom(mask.clone())).is_err(), "an asymmetric mask is refused");
    mask[(1, 0)] = true;
    assert!(train(Connectivity::Custom(mask)).is_ok());
    assert!(train(Connectivity::Custom(nalgebra::DMatrix::from_element(4, 4, true))).is_err());
}

#[test]
fn bad_settings_and_data_are_refused() {
    let data = samples(&random_machine(51, Domain::Spin, 3, 1), 10, 52);
    let mut machine = random_machine(53, Domain::Spin, 3, 1);
    let exact = || MachineTrainer::new(Estimator::Exact).epochs(2);
    assert!(exact().momentum(1.0).train(&mut machine, &data, &mut []).is_err());
    assert!(exact().batch_size(0).train(&mut machine, &data, &mut []).is_err());
    assert!(exact().weight_decay(f64::NAN).train(&mut machine, &data, &mut []).is_err());
    assert!(exact().train(&mut machine, &[], &mut []).is_err());
    assert!(exact().train(&mut machine, &[vec![1, 1]], &mut []).is_err());
    assert!(exact().train(&mut machine, &[vec![1, 0, 1]], &mut []).is_err(), "0 is not a spin");
    let no_sweeps = Estimator::Sampled(Sampling::new().sweeps(0));
    assert!(MachineTrainer::new(no_sweeps).train(&mut machine, &data, &mut []).is_err());
    let no_chains = Estimator::Sampled(Sampling::new().free_chains(FreeChains::Persistent { chains: 0 }));
    assert!(MachineTrainer::new(no_chains).train(&mut machine, &data, &mut []).is_err());
}

#[test]
fn sampled_ml_with_tempering_learns_parity() {
    // Even 3-bit parity needs strong couplings to hidden units, and the
    // learned distribution has four separated modes. Tempered free chains
    // keep sampling all of them; the optimum is ℓ = −log 4.
    let data = vec![vec![-1, -1, -1], vec![-1, 1, 1], vec![1, -1, 1], vec![1, 1, -1]];
    let ladder = ebm_mcmc::tempering::Ladder::geometric(1.0, 8.0, 6).unwrap();
    let sampling =
        Sampling::new().burn_in(2).sweeps(2).free_chains(FreeChains::Tempering { chains: 50, ladder });
    for seed in [1, 2] {
        let start = BoltzmannMachine::random(Domain::Spin, 3, 3, 0.5, &mut seeded(seed)).unwrap();
        let trainer = MachineTrainer::new(Estimator::Sampled(sampling.clone()))
            .learning_rate(LearningRate::Linear { start: 0.1, end: 0.01 })
            .momentum(0.5)
            .epochs(1500)
            .seed(seed);
        let ll = trained(&start, &data, trainer).average_log_likelihood(&data).unwrap();
        assert!(ll > -(4f64).ln() - 0.05, "seed {seed}: ℓ = {ll}");
    }
    let bad = ebm_mcmc::tempering::Ladder::new(vec![0.5, 1.0]).unwrap();
    let cold = Sampling::new().free_chains(FreeChains::Tempering { chains: 2, ladder: bad });
    let machine = BoltzmannMachine::zeros(Domain::Spin, 3, 1).unwrap();
    assert!(
        SampledPhases::new(cold, &machine, &data, &mut seeded(3)).is_err(),
        "the ladder must start at T = 1"
    );
}
