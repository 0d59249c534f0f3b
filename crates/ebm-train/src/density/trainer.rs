//! The training loop: minibatch maximum likelihood with Langevin negatives.

use super::replay::ReplayBuffer;
use crate::optim::{OptimizerKind, clip_norm};
use crate::schedule::LearningRate;
use ebm_core::energy::check_batch;
use ebm_core::{DifferentiableEnergy, Error, ParametricEnergy, Result};
use ebm_mcmc::continuous::BatchLangevin;
use ebm_mcmc::rng::seeded;
use rand::RngExt;

/// The most values (chains × dimension) the replay buffer may hold.
pub const MAX_CHAIN_VALUES: usize = 1 << 28;

/// What one iteration did.
#[derive(Clone, Debug, PartialEq)]
pub struct IterationReport {
    /// The iteration, from 0.
    pub iteration: usize,
    /// Mean energy of the data batch, (1/B) Σ_b E(x_b).
    pub data_energy: f64,
    /// Mean energy of the negatives after the Langevin steps, (1/B) Σ_b E(x′_b).
    pub negative_energy: f64,
    /// Norm of the loss gradient before clipping.
    pub gradient_norm: f64,
    /// Acceptance rate of the Langevin proposals (1 unless adjusted, bar divergences).
    pub acceptance: f64,
}

/// Told of progress; does nothing by default.
pub trait TrainingObserver {
    /// After each iteration, with the number done and the total.
    fn iteration(&mut self, _report: &IterationReport, _done: usize, _total: usize) {}
}

impl TrainingObserver for () {}

/// Maximum-likelihood training of an energy E(x; θ) from data, minimising
///
/// ```text
/// L(θ) = (1/B) Σ_b E(x_b; θ) − (1/B) Σ_b E(x'_b; θ) + α (1/B) Σ_b (E(x_b; θ)² + E(x'_b; θ)²)
/// ```
///
/// per iteration, where x_b are B data points drawn uniformly (with
/// replacement) and x'_b are B negatives, held fixed while differentiating.
/// Its gradient is the likelihood gradient E_data[∂E/∂θ] − E_model[∂E/∂θ]
/// plus the regulariser's 2α (E ∂E/∂θ), which stops the energies of data and
/// negatives drifting apart without bound (only differences of E matter for
/// p, so nothing else pins them). The gradient is clipped to a maximum norm
/// and handed to the optimiser (Adam by default), whose learning rate may
/// decay linearly ([`decay`](Self::decay)).
///
/// Negatives: B chains from the [`ReplayBuffer`] (or from uniform noise on a
/// box around the data when the buffer is 0), each moved by K steps of
/// [`BatchLangevin`] with step h: unadjusted with σ = √(2h) by default, or
/// with a smaller noise σ, or Metropolis-adjusted (MALA).
///
/// Everything random comes from one generator seeded with the seed, so the
/// same seed gives the same parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct DensityTrainer {
    iterations: usize,
    batch_size: usize,
    langevin_steps: usize,
    step_size: f64,
    noise: Option<f64>,
    adjusted: bool,
    buffer: usize,
    restart: f64,
    regularization: f64,
    clip: f64,
    optimizer: OptimizerKind,
    decay: bool,
    noise_box: Option<Vec<(f64, f64)>>,
    seed: u64,
}

impl Default for DensityTrainer {
    fn default() -> Self {
        Self::new()
    }
}

impl DensityTrainer {
    /// The defaults: 2000 iterations of batches of 128, K = 20 unadjusted
    /// Langevin steps of h = 0.01 (σ = √(2h)), a buffer of 10 000 chains
    /// restarted with probability 0.05, α = 0.1, clipping at norm 10, Adam
    /// with η = 10⁻³, seed 1.
    pub fn new() -> Self {
        Self {
            iterations: 2000,
            batch_size: 128,
            langevin_steps: 20,
            step_size: 0.01,
            noise: None,
            adjusted: false,
            buffer: 10_000,
            restart: 0.05,
            regularization: 0.1,
            clip: 10.0,
            optimizer: OptimizerKind::adam(1e-3),
            decay: false,
            noise_box: None,
            seed: 1,
        }
    }

    /// Number of parameter updates.
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// B: data points and negatives per update (≥ 1).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// K: Langevin steps per update.
    pub fn langevin_steps(mut self, steps: usize) -> Self {
        self.langevin_steps = steps;
        self
    }

    /// h: the Langevin time step (finite, > 0).
    pub fn step_size(mut self, step_size: f64) -> Self {
        self.step_size = step_size;
        self
    }

    /// σ: the Langevin noise in place of √(2h) (unadjusted steps only).
    pub fn noise(mut self, noise: f64) -> Self {
        self.noise = Some(noise);
        self
    }

    /// Metropolis-adjusted (MALA) negatives.
    pub fn adjusted(mut self, adjusted: bool) -> Self {
        self.adjusted = adjusted;
        self
    }

    /// Chains kept in the replay buffer (0: every update starts from noise).
    pub fn buffer(mut self, size: usize) -> Self {
        self.buffer = size;
        self
    }

    /// Probability that a chain drawn from the buffer restarts from noise (in [0, 1]).
    pub fn restart(mut self, probability: f64) -> Self {
        self.restart = probability;
        self
    }

    /// α of the regulariser α E² (finite, ≥ 0).
    pub fn regularization(mut self, alpha: f64) -> Self {
        self.regularization = alpha;
        self
    }

    /// The largest gradient norm passed to the optimiser (finite, > 0).
    pub fn clip(mut self, max_norm: f64) -> Self {
        self.clip = max_norm;
        self
    }

    /// The optimiser.
    pub fn optimizer(mut self, optimizer: OptimizerKind) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// Whether the learning rate falls linearly from the optimiser's η in
    /// the first iteration to η/100 in the last ([`LearningRate::Linear`]),
    /// which removes most of the stochastic-gradient noise from the final
    /// parameters.
    pub fn decay(mut self, decay: bool) -> Self {
        self.decay = decay;
        self
    }

    /// The box whose uniform noise starts chains (one interval per
    /// dimension); by default the data's bounding box widened by a quarter
    /// of its extent on each side.
    pub fn noise_box(mut self, bounds: Vec<(f64, f64)>) -> Self {
        self.noise_box = Some(bounds);
        self
    }

    /// The seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the settings.
    fn check(&self) -> Result<()> {
        let invalid = |what: &str, reason: String| Err(Error::invalid(what, reason));
        if self.batch_size == 0 {
            return invalid("batch size", "must be at least 1".into());
        }
        ebm_core::error::check_positive("gradient clipping norm", self.clip)?;
        if !(self.regularization.is_finite() && self.regularization >= 0.0) {
            return invalid(
                "regularisation α",
                format!("must be finite and ≥ 0, got {}", self.regularization),
            );
        }
        if !(0.0..=1.0).contains(&self.restart) {
            return invalid("restart probability", format!("must lie in [0, 1], got {}", self.restart));
        }
        if self.batch_size.saturating_mul(2) > MAX_CHAIN_VALUES {
            return Err(Error::TooLarge {
                what: "batch size".into(),
                limit: MAX_CHAIN_VALUES as u64 / 2,
                found: self.batch_size as u64,
            });
        }
        self.optimizer.check()?;
        self.sampler().map(|_| ())
    }

    /// The Langevin sampler of the negatives.
    fn sampler(&self) -> Result<BatchLangevin> {
        let sampler = BatchLangevin::new(self.step_size)?;
        match (self.adjusted, self.noise) {
            (true, Some(_)) => {
                Err(Error::invalid("Langevin noise", "adjusted (MALA) negatives need σ = √(2h)"))
            }
            (true, None) => Ok(sampler.adjusted()),
            (false, Some(noise)) => sampler.with_noise(noise),
            (false, None) => Ok(sampler),
        }
    }

    /// The data's bounding box widened by a quarter of its extent on each side.
    fn default_box(data: &[f64], dim: usize) -> Vec<(f64, f64)> {
        (0..dim)
            .map(|j| {
                let (low, high) = data
                    .iter()
                    .skip(j)
                    .step_by(dim)
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &v| (l.min(v), h.max(v)));
                let margin = 0.25 * (high - low).max(1e-3);
                (low - margin, high + margin)
            })
            .collect()
    }

    /// Trains `energy` on the points of `data` (row by row, `energy.dim()`
    /// values each, finite, at least one point) and returns the report of
    /// every iteration. If an update would make the parameters or the
    /// gradient non-finite, training stops with an error naming the
    /// iteration and `energy` keeps the last finite parameters.
    pub fn train<E, O>(&self, energy: &mut E, data: &[f64], observer: &mut O) -> Result<Vec<IterationReport>>
    where
        E: ParametricEnergy + DifferentiableEnergy + ?Sized,
        O: TrainingObserver + ?Sized,
    {
        self.check()?;
        let dim = energy.dim();
        let n = check_batch(dim, data)?;
        if n == 0 {
            return Err(Error::invalid("training data", "there are no points"));
        }
        let mut rng = seeded(self.seed);
        let bounds = self.noise_box.clone().unwrap_or_else(|| Self::default_box(data, dim));
        if bounds.len() != dim {
            return Err(Error::shape("noise box (intervals)", dim, bounds.len()));
        }
        let mut buffer = ReplayBuffer::new(self.buffer, bounds, &mut rng)?;
        let mut sampler = self.sampler()?;
        let p = energy.num_parameters();
        let mut optimizer = self.optimizer.build(p)?;
        let mut theta = vec![0.0; p];
        energy.parameters(&mut theta);
        let (b, alpha) = (self.batch_size, self.regularization);
        let mut reports = Vec::with_capacity(self.iterations);
        let mut batch = vec![0.0; b * dim];
        let mut energies = vec![0.0; b];
        let mut gradient = vec![0.0; p];
        let eta = self.optimizer.learning_rate();
        let schedule = if self.decay {
            LearningRate::Linear { start: eta, end: eta / 100.0 }
        } else {
            LearningRate::Constant(eta)
        };
        for iteration in 0..self.iterations {
            optimizer.set_learning_rate(schedule.at(iteration, self.iterations));
            for row in batch.chunks_exact_mut(dim) {
                let i = rng.random_range(0..n);
                row.copy_from_slice(&data[i * dim..(i + 1) * dim]);
            }
            let (mut negatives, slots) = buffer.draw(b, self.restart, &mut rng);
            let stats = sampler.steps(&*energy, &mut negatives, self.langevin_steps, &mut rng)?;
            buffer.store(&negatives, &slots, &mut rng);
            gradient.iter_mut().for_each(|g| *g = 0.0);
            let scale = 1.0 / b as f64;
            energy.parameter_gradient(
                &batch,
                &mut energies,
                &mut |_, e| scale * (1.0 + 2.0 * alpha * e),
                &mut gradient,
            );
            let data_energy = energies.iter().sum::<f64>() * scale;
            energy.parameter_gradient(
                &negatives,
                &mut energies,
                &mut |_, e| scale * (-1.0 + 2.0 * alpha * e),
                &mut gradient,
            );
            let negative_energy = energies.iter().sum::<f64>() * scale;
            let gradient_norm = clip_norm(&mut gradient, self.clip);
            if !gradient_norm.is_finite() {
                return Err(diverged(iteration, "the loss gradient"));
            }
            optimizer.step(&mut theta, &gradient);
            if energy.set_parameters(&theta).is_err() {
                return Err(diverged(iteration, "the parameters"));
            }
            let report = IterationReport {
                iteration,
                data_energy,
                negative_energy,
                gradient_norm,
                acceptance: stats.rate(),
            };
            observer.iteration(&report, iteration + 1, self.iterations);
            reports.push(report);
        }
        Ok(reports)
    }
}

/// The error for a training run that stopped being finite.
fn diverged(iteration: usize, what: &str) -> Error {
    Error::NonFinite {
        what: format!(
            "{what} at iteration {iteration} (training diverged; the model keeps the last finite parameters — lower the learning rate or the Langevin step)"
        ),
        index: iteration,
        value: f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::{GaussianMixture, Quadratic};

    fn gaussian_data(n: usize) -> Vec<f64> {
        let truth = GaussianMixture::new(2, vec![1.0], vec![1.0, -0.5], vec![0.7, 0.4]).unwrap();
        let mut rng = seeded(9);
        let mut points = vec![0.0; 2 * n];
        points.chunks_exact_mut(2).for_each(|x| truth.sample(&mut rng, x));
        points
    }

    /// A Gaussian energy trained with MALA negatives from a replay buffer
    /// reaches the data's mean and variances, starting far from them.
    #[test]
    fn a_gaussian_energy_learns_the_data_moments() {
        let data = gaussian_data(2000);
        let mut energy = Quadratic::isotropic(vec![-1.0, 1.0], 2.0).unwrap();
        let trainer = DensityTrainer::new()
            .iterations(600)
            .batch_size(128)
            .langevin_steps(5)
            .step_size(0.05)
            .adjusted(true)
            .buffer(1000)
            .regularization(0.0)
            .optimizer(OptimizerKind::adam(0.02))
            .seed(3);
        let reports = trainer.train(&mut energy, &data, &mut ()).unwrap();
        assert_eq!(reports.len(), 600);
        let (mean, cov) = (energy.mean(), energy.covariance(1.0));
        assert!((mean[0] - 1.0).abs() < 0.1 && (mean[1] + 0.5).abs() < 0.1, "{mean}");
        assert!((cov[(0, 0)] / 0.49 - 1.0).abs() < 0.3 && (cov[(1, 1)] / 0.16 - 1.0).abs() < 0.3, "{cov}");
        assert!(reports.last().unwrap().acceptance > 0.5);
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let data = gaussian_data(200);
        let run = |seed| {
            let mut energy = Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap();
            DensityTrainer::new()
                .iterations(20)
                .batch_size(16)
                .buffer(64)
                .seed(seed)
                .train(&mut energy, &data, &mut ())
                .unwrap();
            energy
        };
        assert_eq!(run(4), run(4));
        assert_ne!(run(4), run(5));
    }

    #[test]
    fn bad_settings_and_data_are_refused() {
        let data = gaussian_data(10);
        let mut energy = Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap();
        let base = || DensityTrainer::new().iterations(1);
        assert!(base().batch_size(0).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().step_size(0.0).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().noise(-1.0).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().adjusted(true).noise(0.1).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().restart(1.5).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().regularization(f64::NAN).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().clip(0.0).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().optimizer(OptimizerKind::sgd(-1.0)).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().noise_box(vec![(0.0, 1.0)]).train(&mut energy, &data, &mut ()).is_err());
        assert!(base().train(&mut energy, &data[..3], &mut ()).is_err());
        assert!(base().train(&mut energy, &[], &mut ()).is_err());
        assert!(base().train(&mut energy, &[0.0, f64::NAN], &mut ()).is_err());
        assert_eq!(energy, Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap());
    }
}
