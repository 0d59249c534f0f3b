//! The driver against paths whose answer is known.

use super::*;
use ebm_core::math::{LogSumExp, sigmoid};
use ebm_mcmc::rng::{SamplerRng, seeded};
use nalgebra::DMatrix;
use rand::RngExt;
use std::sync::Mutex;

/// A fully connected Boltzmann machine over x ∈ {0,1}ⁿ, annealed from the
/// uniform distribution: f_β(x) = exp(β (½ xᵀJx + bᵀx)), so f₀ = 1 and
/// Z₀ = 2ⁿ; the transition is one sweep of single-site Gibbs at β.
struct Pairwise {
    coupling: DMatrix<f64>,
    bias: Vec<f64>,
}

impl Pairwise {
    fn random(n: usize, seed: u64) -> Self {
        let mut rng = seeded(seed);
        let upper = DMatrix::from_fn(n, n, |i, j| if i < j { rng.random_range(-1.0..1.0) } else { 0.0 });
        let coupling = &upper + upper.transpose();
        Self { coupling, bias: (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() }
    }

    /// −E(x) = ½ xᵀJx + bᵀx.
    fn log_f1(&self, x: &[bool]) -> f64 {
        let on = |i: usize| f64::from(u8::from(x[i]));
        (0..x.len())
            .map(|i| {
                on(i)
                    * (self.bias[i] + 0.5 * (0..x.len()).map(|j| self.coupling[(i, j)] * on(j)).sum::<f64>())
            })
            .sum()
    }

    /// log Z by summing over all 2ⁿ states.
    fn exact_log_partition(&self) -> f64 {
        let n = self.bias.len();
        let mut acc = LogSumExp::new();
        for s in 0u32..1 << n {
            acc.add(self.log_f1(&(0..n).map(|i| s >> i & 1 == 1).collect::<Vec<_>>()));
        }
        acc.value()
    }
}

impl AnnealingPath for Pairwise {
    type State = Vec<Vec<bool>>;
    type Inputs = ();

    fn log_base_partition(&self) -> f64 {
        self.bias.len() as f64 * std::f64::consts::LN_2
    }

    fn sample_base(&self, runs: usize, rng: &mut SamplerRng) -> Self::State {
        (0..runs).map(|_| (0..self.bias.len()).map(|_| rng.random::<bool>()).collect()).collect()
    }

    fn inputs(&self, _: &Self::State, _: &mut ()) {}

    fn log_weight_increments(&self, state: &Self::State, _: &(), beta: f64, next: f64) -> Vec<f64> {
        state.iter().map(|x| (next - beta) * self.log_f1(x)).collect()
    }

    fn transition(&self, state: &mut Self::State, _: &(), beta: f64, rng: &mut SamplerRng) {
        for x in state {
            for i in 0..x.len() {
                let field: f64 =
                    self.bias[i] + (0..x.len()).filter(|&j| x[j]).map(|j| self.coupling[(i, j)]).sum::<f64>();
                x[i] = rng.random::<f64>() < sigmoid(beta * field);
            }
        }
    }
}

#[test]
fn run_agrees_with_enumeration_of_a_small_boltzmann_machine() {
    for seed in [1, 2, 3] {
        let model = Pairwise::random(6, seed);
        let exact = model.exact_log_partition();
        let estimate = run(&model, &AisOptions::staged(300, 128, seed)).unwrap();
        assert!(
            (estimate.log_z - exact).abs() < 0.05,
            "seed {seed}: AIS {} vs exact {exact}",
            estimate.log_z
        );
        assert!(
            estimate.log_z_low <= exact && exact <= estimate.log_z_high,
            "[{}, {}] vs {exact}",
            estimate.log_z_low,
            estimate.log_z_high
        );
        assert_eq!(estimate.log_weights.len(), 128);
        assert_eq!(estimate.log_z_base, 6.0 * std::f64::consts::LN_2);
    }
}

#[test]
fn a_short_schedule_is_unbiased_for_z() {
    // Two steps only: the weights spread, but their mean still estimates Z / Z₀.
    let model = Pairwise::random(5, 4);
    let exact = model.exact_log_partition();
    let estimate = run(&model, &AisOptions { betas: vec![0.0, 0.5, 1.0], runs: 4000, seed: 9 }).unwrap();
    assert!(
        estimate.log_z_low <= exact && exact <= estimate.log_z_high,
        "[{}, {}] vs {exact}",
        estimate.log_z_low,
        estimate.log_z_high
    );
    assert!(estimate.log_z_high - estimate.log_z_low > 0.01, "the weights vary");
}

#[test]
fn run_is_the_same_on_one_and_two_threads_and_chunked_by_the_seed() {
    let model = Pairwise::random(5, 5);
    let options = AisOptions::staged(40, 40, 3);
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| run(&model, &options).unwrap())
    };
    let one = on(1);
    assert_eq!(one, on(2));
    // Chunk 0 draws from the stream (seed, 0) alone: the first 16 runs are the
    // same whether 16 or 40 are asked for.
    let first = run(&model, &AisOptions { runs: RUNS_PER_CHUNK, ..options.clone() }).unwrap();
    assert_eq!(first.log_weights, one.log_weights[..RUNS_PER_CHUNK]);
    assert_ne!(first.log_weights, one.log_weights[RUNS_PER_CHUNK..2 * RUNS_PER_CHUNK]);
    assert!(run(&model, &AisOptions { runs: 0, ..options }).is_err());
}

/// A path that records the driver's calls; f_β = f₀ = 1 for every β.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn note(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }
}

impl AnnealingPath for Recorder {
    type State = usize;
    type Inputs = f64;

    fn log_base_partition(&self) -> f64 {
        1.5
    }

    fn sample_base(&self, runs: usize, _: &mut SamplerRng) -> usize {
        self.note(format!("base {runs}"));
        runs
    }

    fn inputs(&self, _: &usize, inputs: &mut f64) {
        self.note(format!("inputs (last {inputs})"));
        *inputs += 1.0;
    }

    fn log_weight_increments(&self, runs: &usize, inputs: &f64, beta: f64, next: f64) -> Vec<f64> {
        self.note(format!("increment {beta} → {next} (inputs {inputs})"));
        vec![0.0; *runs]
    }

    fn transition(&self, _: &mut usize, inputs: &f64, beta: f64, _: &mut SamplerRng) {
        self.note(format!("transition at {beta} (inputs {inputs})"));
    }
}

#[test]
fn each_step_adds_the_increment_and_then_moves_at_the_new_beta() {
    let path = Recorder::default();
    let estimate = run(&path, &AisOptions { betas: vec![0.0, 0.25, 0.5, 1.0], runs: 3, seed: 0 }).unwrap();
    let calls = path.0.into_inner().unwrap();
    let expected = [
        "base 3",
        "inputs (last 0)",
        "increment 0 → 0.25 (inputs 1)",
        "transition at 0.25 (inputs 1)",
        "inputs (last 1)",
        "increment 0.25 → 0.5 (inputs 2)",
        "transition at 0.5 (inputs 2)",
        "inputs (last 2)",
        "increment 0.5 → 1 (inputs 3)",
    ];
    assert_eq!(calls, expected);
    // Equal weights: the estimate is log Z₀ exactly, with no spread.
    assert_eq!(estimate.log_weights, vec![0.0; 3]);
    assert_eq!((estimate.log_z, estimate.log_z_low, estimate.log_z_high), (1.5, 1.5, 1.5));
}

#[test]
fn the_estimate_is_the_log_mean_weight_with_three_standard_errors() {
    // w = (1, 3): mean 2; scaled (½, 3⁄2), s² = ½, s.e. = ½, so 3 s.e. = 3⁄2 ≥ 1.
    let estimate = AisEstimate::from_log_weights(0.5, vec![0.0, 3f64.ln()]);
    assert!((estimate.log_z - (0.5 + 2f64.ln())).abs() < 1e-12);
    assert_eq!(estimate.log_z_low, f64::NEG_INFINITY);
    assert!((estimate.log_z_high - (estimate.log_z + 2.5f64.ln())).abs() < 1e-12);
    assert_eq!(estimate.log_z_base, 0.5);
    // w = (1, 1.2, 0.8, 1) (mean 1, s² = 0.08/3): the lower bound is finite.
    let log_w: Vec<f64> = [1.0f64, 1.2, 0.8, 1.0].iter().map(|w| w.ln() + 700.0).collect();
    let estimate = AisEstimate::from_log_weights(-2.0, log_w);
    let three_se = 3.0 * (0.08f64 / 3.0 / 4.0).sqrt();
    assert!((estimate.log_z - 698.0).abs() < 1e-9, "no overflow at e^700: {}", estimate.log_z);
    assert!((estimate.log_z_low - (698.0 + (1.0 - three_se).ln())).abs() < 1e-9);
    assert!((estimate.log_z_high - (698.0 + (1.0 + three_se).ln())).abs() < 1e-9);
    // One run: no spread to measure.
    let one = AisEstimate::from_log_weights(1.0, vec![2.0]);
    assert_eq!((one.log_z, one.log_z_low, one.log_z_high), (3.0, 3.0, 3.0));
}

#[test]
fn staged_schedules_rise_from_0_to_1_and_bad_ones_are_refused() {
    for steps in [0, 1, 2, 9, 10, 100, 1001] {
        let options = AisOptions::staged(steps, 4, 0);
        assert!(options.check().is_ok(), "{steps}: {:?}", options.betas);
        assert!(options.betas.len() >= 2);
    }
    let options = AisOptions::staged(100, 4, 0);
    assert_eq!(options.betas.len(), 101);
    assert_eq!((options.betas[10], options.betas[50]), (0.5, 0.9));
    for betas in [
        vec![],
        vec![0.0],
        vec![0.0, 0.5],
        vec![0.1, 1.0],
        vec![0.0, 0.5, 0.5, 1.0],
        vec![0.0, f64::NAN, 1.0],
    ] {
        assert!(AisOptions { betas, runs: 1, seed: 0 }.check().is_err());
    }
}
