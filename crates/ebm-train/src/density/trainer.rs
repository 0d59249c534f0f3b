//! [`DensityTrainer`]: the settings of maximum-likelihood training of a
//! continuous energy with Langevin negatives, and how it starts a [`Fit`].

use super::learner::{DensityLearner, StepSettings};
use super::points::Points;
use super::replay::ReplayBuffer;
use crate::fit::{EpochReport, Fit, Guard, Observer, Plan};
use crate::optim::OptimizerKind;
use crate::schedule::LearningRate;
use ebm_core::{DifferentiableEnergy, Error, ParametricEnergy, Result};
use ebm_mcmc::rng::seeded;

/// The most values (chains × dimension) the replay buffer may hold.
pub const MAX_CHAIN_VALUES: usize = 1 << 28;

/// How long a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    /// At least this many parameter updates, in whole epochs.
    Iterations(usize),
    /// This many passes over the data.
    Epochs(usize),
}

/// Maximum-likelihood training of an energy E(x; θ) from data, minimising
///
/// ```text
/// L(θ) = (1/B) Σ_b E(x_b; θ) − (1/B) Σ_b E(x'_b; θ) + α (1/B) Σ_b (E(x_b; θ)² + E(x'_b; θ)²)
/// ```
///
/// per update, where x_b are the B data points of a minibatch and x'_b are B
/// negatives, held fixed while differentiating. Its gradient is the
/// likelihood gradient E_data[∂E/∂θ] − E_model[∂E/∂θ] plus the
/// regulariser's 2α (E ∂E/∂θ), which stops the energies of data and
/// negatives drifting apart without bound (only differences of E matter for
/// p, so nothing else pins them). The gradient is clipped to a maximum norm
/// and handed to the optimiser (Adam by default), whose learning rate may
/// decay linearly over the epochs ([`decay`](Self::decay)).
///
/// Training runs on the [`fit`](crate::fit) driver: each epoch is one pass
/// over the data, shuffled into minibatches of B points (the last one
/// shorter when B does not divide n), one update per minibatch, with as
/// many negatives as the batch has points. The length is set in updates
/// ([`iterations`](Self::iterations), rounded up to whole epochs) or in
/// epochs ([`epochs`](Self::epochs)).
///
/// Negatives: chains from the [`ReplayBuffer`] (or from uniform noise on a
/// box around the data when the buffer is 0), each moved by K steps of
/// [`BatchLangevin`](ebm_mcmc::continuous::BatchLangevin) with step h:
/// unadjusted with σ = √(2h) by default, or with a smaller noise σ, or
/// Metropolis-adjusted (MALA).
///
/// Everything random — the buffer's first points, the batches, the
/// Langevin noise, the restarts — comes from the run's one generator,
/// seeded with the seed, so the same seed gives the same parameters; the
/// buffer and the optimiser's state live in the run's
/// [`DensityLearner`], so a run stopped, saved and resumed gives them too.
#[derive(Clone, Debug, PartialEq)]
pub struct DensityTrainer {
    length: Length,
    batch_size: usize,
    step: StepSettings,
    buffer: usize,
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
            length: Length::Iterations(2000),
            batch_size: 128,
            step: StepSettings {
                langevin_steps: 20,
                step_size: 0.01,
                noise: None,
                adjusted: false,
                restart: 0.05,
                regularization: 0.1,
                clip: 10.0,
            },
            buffer: 10_000,
            optimizer: OptimizerKind::adam(1e-3),
            decay: false,
            noise_box: None,
            seed: 1,
        }
    }

    /// Trains for at least `iterations` parameter updates: the run takes
    /// ⌈`iterations` / ⌈n/B⌉⌉ epochs of ⌈n/B⌉ updates each (n points in
    /// batches of B), the fewest whole passes over the data that make as
    /// many updates. Replaces an earlier [`epochs`](Self::epochs).
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.length = Length::Iterations(iterations);
        self
    }

    /// Trains for `epochs` passes over the data (⌈n/B⌉ updates each).
    /// Replaces an earlier [`iterations`](Self::iterations).
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.length = Length::Epochs(epochs);
        self
    }

    /// B: data points (and negatives) per update (≥ 1).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// K: Langevin steps per update.
    pub fn langevin_steps(mut self, steps: usize) -> Self {
        self.step.langevin_steps = steps;
        self
    }

    /// h: the Langevin time step (finite, > 0).
    pub fn step_size(mut self, step_size: f64) -> Self {
        self.step.step_size = step_size;
        self
    }

    /// σ: the Langevin noise in place of √(2h) (unadjusted steps only).
    pub fn noise(mut self, noise: f64) -> Self {
        self.step.noise = Some(noise);
        self
    }

    /// Metropolis-adjusted (MALA) negatives.
    pub fn adjusted(mut self, adjusted: bool) -> Self {
        self.step.adjusted = adjusted;
        self
    }

    /// Chains kept in the replay buffer (0: every update starts from noise).
    pub fn buffer(mut self, size: usize) -> Self {
        self.buffer = size;
        self
    }

    /// Probability that a chain drawn from the buffer restarts from noise (in [0, 1]).
    pub fn restart(mut self, probability: f64) -> Self {
        self.step.restart = probability;
        self
    }

    /// α of the regulariser α E² (finite, ≥ 0).
    pub fn regularization(mut self, alpha: f64) -> Self {
        self.step.regularization = alpha;
        self
    }

    /// The largest gradient norm passed to the optimiser (finite, > 0).
    pub fn clip(mut self, max_norm: f64) -> Self {
        self.step.clip = max_norm;
        self
    }

    /// The optimiser.
    pub fn optimizer(mut self, optimizer: OptimizerKind) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// Whether the learning rate falls linearly from the optimiser's η in
    /// the first epoch to η/100 in the last ([`LearningRate::Linear`]),
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
        if self.batch_size == 0 {
            return Err(Error::invalid("batch size", "must be at least 1"));
        }
        if self.batch_size.saturating_mul(2) > MAX_CHAIN_VALUES {
            return Err(Error::TooLarge {
                what: "batch size".into(),
                limit: MAX_CHAIN_VALUES as u64 / 2,
                found: self.batch_size as u64,
            });
        }
        self.optimizer.check()?;
        self.step.check()
    }

    /// The plan of a run on `points` points: batches of B, the epochs of
    /// the length, η constant or falling linearly to η/100.
    pub fn plan(&self, points: usize) -> Plan {
        let eta = self.optimizer.learning_rate();
        let epochs = match self.length {
            Length::Epochs(epochs) => epochs,
            Length::Iterations(iterations) => iterations.div_ceil(points.div_ceil(self.batch_size)),
        };
        Plan {
            learning_rate: if self.decay {
                LearningRate::Linear { start: eta, end: eta / 100.0 }
            } else {
                LearningRate::Constant(eta)
            },
            batch_size: self.batch_size,
            epochs,
            guard: Guard::default(),
        }
    }

    /// A run of this trainer on `energy` and `data`, not yet started: the
    /// random stream seeded, the replay buffer filled with noise on the
    /// box, the optimiser's state zero. [`Fit::run`] trains it.
    pub fn fit<E>(&self, energy: E, data: &Points) -> Result<Fit<DensityLearner<E>>>
    where
        E: ParametricEnergy + DifferentiableEnergy,
    {
        self.check()?;
        let dim = energy.dim();
        if data.dim() != dim {
            return Err(Error::shape("training data (values per point)", dim, data.dim()));
        }
        let mut rng = seeded(self.seed);
        let bounds = self.noise_box.clone().unwrap_or_else(|| data.widened_box());
        if bounds.len() != dim {
            return Err(Error::shape("noise box (intervals)", dim, bounds.len()));
        }
        let buffer = ReplayBuffer::new(self.buffer, bounds, &mut rng)?;
        let optimizer = self.optimizer.build(energy.num_parameters())?;
        let learner = DensityLearner::new(self.step.clone(), buffer, optimizer);
        Fit::new(learner, energy, self.plan(data.len()), rng)
    }

    /// Trains `energy` on the points of `data` (row by row, `energy.dim()`
    /// values each, finite, at least one point) from start to end, calling
    /// `observers`, and returns each epoch's report, with the means of its
    /// [`DATA_ENERGY`](super::DATA_ENERGY),
    /// [`NEGATIVE_ENERGY`](super::NEGATIVE_ENERGY),
    /// [`GRADIENT_NORM`](super::GRADIENT_NORM) and
    /// [`ACCEPTANCE`](super::ACCEPTANCE). If an update would make the
    /// gradient or a parameter non-finite (or a parameter larger than the
    /// divergence bound), training stops with
    /// [`Error::Diverged`](ebm_core::Error::Diverged), naming the epoch and
    /// batch, and `energy` keeps the last good parameters. For a run to
    /// stop and resume, use [`DensityTrainer::fit`].
    pub fn train<E>(
        &self,
        energy: &mut E,
        data: &[f64],
        observers: &mut [&mut dyn Observer<E>],
    ) -> Result<Vec<EpochReport>>
    where
        E: ParametricEnergy + DifferentiableEnergy + Clone,
    {
        let points = Points::new(data.to_vec(), energy.dim())?;
        self.fit(energy.clone(), &points)?.run_into(&points, observers, energy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::density::ACCEPTANCE;
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
        let reports = trainer.train(&mut energy, &data, &mut []).unwrap();
        // 2000 points in batches of 128 make 16 updates an epoch: 600
        // updates take 38 epochs (608 updates).
        assert_eq!(reports.len(), 38);
        let (mean, cov) = (energy.mean(), energy.covariance(1.0));
        assert!((mean[0] - 1.0).abs() < 0.1 && (mean[1] + 0.5).abs() < 0.1, "{mean}");
        assert!((cov[(0, 0)] / 0.49 - 1.0).abs() < 0.3 && (cov[(1, 1)] / 0.16 - 1.0).abs() < 0.3, "{cov}");
        assert!(reports.last().unwrap().metric(ACCEPTANCE).unwrap() > 0.5);
    }

    #[test]
    fn iterations_round_up_to_whole_epochs() {
        // 100 points in batches of 16: 7 updates an epoch.
        let points = Points::new(gaussian_data(100), 2).unwrap();
        let epochs = |trainer: DensityTrainer| {
            let energy = Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap();
            trainer.fit(energy, &points).unwrap().plan().epochs
        };
        let base = || DensityTrainer::new().batch_size(16);
        assert_eq!([0, 1, 7, 8, 14, 15].map(|n| epochs(base().iterations(n))), [0, 1, 1, 2, 2, 3]);
        assert_eq!(epochs(base().iterations(15).epochs(4)), 4, "the last setting wins");
        assert_eq!(epochs(base().epochs(4).iterations(7)), 1);
        assert_eq!(epochs(base().batch_size(1000)), 2000, "one batch an epoch: an epoch an iteration");
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
                .train(&mut energy, &data, &mut [])
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
        assert!(base().batch_size(0).train(&mut energy, &data, &mut []).is_err());
        assert!(base().step_size(0.0).train(&mut energy, &data, &mut []).is_err());
        assert!(base().noise(-1.0).train(&mut energy, &data, &mut []).is_err());
        assert!(base().adjusted(true).noise(0.1).train(&mut energy, &data, &mut []).is_err());
        assert!(base().restart(1.5).train(&mut energy, &data, &mut []).is_err());
        assert!(base().regularization(f64::NAN).train(&mut energy, &data, &mut []).is_err());
        assert!(base().clip(0.0).train(&mut energy, &data, &mut []).is_err());
        assert!(base().optimizer(OptimizerKind::sgd(-1.0)).train(&mut energy, &data, &mut []).is_err());
        assert!(base().noise_box(vec![(0.0, 1.0)]).train(&mut energy, &data, &mut []).is_err());
        assert!(base().train(&mut energy, &data[..3], &mut []).is_err());
        assert!(base().train(&mut energy, &[], &mut []).is_err());
        assert!(base().train(&mut energy, &[0.0, f64::NAN], &mut []).is_err());
        assert_eq!(energy, Quadratic::isotropic(vec![0.0, 0.0], 1.0).unwrap());
    }
}
