//! Langevin dynamics for many chains at once, with one batched energy and
//! gradient evaluation per step.

use super::driver::Move;
use super::langevin::log_langevin_density;
use super::stats::AcceptanceStats;
use ebm_core::energy::check_batch;
use ebm_core::{DifferentiableEnergy, Error, Result};
use rand::{Rng, RngExt};

/// Langevin steps on n chains stored row by row (n·d values), for training
/// energy-based models, where thousands of short chains move together.
///
/// Every chain makes the move of [`Ula`](super::Ula) and [`Mala`](super::Mala),
///
/// ```text
/// y = x − (h/T) ∇E(x) + σ ξ,     ξ ~ N(0, I),
/// ```
///
/// but the energies and gradients of all chains come from one call of
/// [`DifferentiableEnergy::energy_and_gradient_batch`], which a neural
/// energy turns into matrix products. Two modes:
///
/// - **unadjusted** (the default): every finite proposal is accepted. With
///   σ = √(2h) (the default) this is ULA, biased by O(h); a smaller σ
///   ([`with_noise`](Self::with_noise)) gives the "short-run" dynamics used to
///   train EBMs (Du & Mordatch 2019), which is gradient descent on E with a
///   little noise and samples a sharpened law, roughly exp(−E/T_eff) with
///   T_eff = σ²/(2h/T).
/// - **adjusted** ([`adjusted`](Self::adjusted)): MALA — each chain accepts
///   its proposal with probability
///   min(1, exp(−(E(y) − E(x))/T) q(x∣y) / q(y∣x)), q(y∣x) = N(y; x − (h/T)∇E(x), 2h I),
///   which leaves exp(−E/T)/Z exactly invariant; σ is then √(2h).
///
/// Proposals with a non-finite coordinate, energy or gradient are refused
/// (the chain stays put) and counted as divergent. The noise is drawn chain
/// by chain from the one generator passed in, so the same generator state
/// gives the same chains.
///
/// ```
/// use ebm_core::Quadratic;
/// use ebm_mcmc::continuous::BatchLangevin;
/// use ebm_mcmc::rng::seeded;
///
/// // 500 chains on N(1, I) in 2-D, from the origin.
/// let energy = Quadratic::isotropic(vec![1.0, 1.0], 1.0)?;
/// let mut chains = vec![0.0; 2 * 500];
/// let mut sampler = BatchLangevin::new(0.2)?.adjusted();
/// let stats = sampler.steps(&energy, &mut chains, 200, &mut seeded(2))?;
/// let mean = chains.iter().sum::<f64>() / chains.len() as f64;
/// assert!((mean - 1.0).abs() < 0.1 && stats.rate() > 0.8);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BatchLangevin {
    step_size: f64,
    noise: Option<f64>,
    temperature: f64,
    adjusted: bool,
    stats: AcceptanceStats,
}

/// Energies and gradients of a batch of points.
#[derive(Default)]
struct Evaluated {
    points: Vec<f64>,
    energies: Vec<f64>,
    gradients: Vec<f64>,
}

impl Evaluated {
    fn evaluate<E: DifferentiableEnergy + ?Sized>(&mut self, energy: &E) {
        energy.energy_and_gradient_batch(&self.points, &mut self.energies, &mut self.gradients);
    }
}

impl BatchLangevin {
    /// Unadjusted Langevin with time step h = `step_size` (finite, > 0),
    /// noise σ = √(2h), at T = 1.
    pub fn new(step_size: f64) -> Result<Self> {
        ebm_core::error::check_positive("Langevin step size", step_size)?;
        Ok(Self {
            step_size,
            noise: None,
            temperature: 1.0,
            adjusted: false,
            stats: AcceptanceStats::default(),
        })
    }

    /// Sets the noise scale σ (finite, ≥ 0) of the unadjusted dynamics in
    /// place of √(2h); refused for the adjusted (MALA) mode.
    pub fn with_noise(mut self, noise: f64) -> Result<Self> {
        if !(noise.is_finite() && noise >= 0.0) {
            return Err(Error::invalid(
                "Langevin noise scale",
                format!("must be finite and ≥ 0, got {noise}"),
            ));
        }
        if self.adjusted {
            return Err(Error::invalid("Langevin noise scale", "MALA needs σ = √(2h)"));
        }
        self.noise = Some(noise);
        Ok(self)
    }

    /// Makes every step a Metropolis-adjusted (MALA) step with σ = √(2h).
    pub fn adjusted(mut self) -> Self {
        self.adjusted = true;
        self.noise = None;
        self
    }

    /// Sets the temperature T (finite, > 0) of the target exp(−E/T).
    pub fn with_temperature(mut self, temperature: f64) -> Result<Self> {
        ebm_core::error::check_positive("temperature", temperature)?;
        self.temperature = temperature;
        Ok(self)
    }

    /// The time step h.
    pub fn step_size(&self) -> f64 {
        self.step_size
    }

    /// The noise scale σ.
    pub fn noise(&self) -> f64 {
        self.noise.unwrap_or((2.0 * self.step_size).sqrt())
    }

    /// Whether steps are Metropolis-adjusted.
    pub fn is_adjusted(&self) -> bool {
        self.adjusted
    }

    /// Statistics of every proposal since construction (one per chain and step).
    pub fn stats(&self) -> AcceptanceStats {
        self.stats
    }

    /// Runs `n` steps of every chain in `chains` (row by row, a whole number
    /// of `energy.dim()`-dimensional finite points with finite energies and
    /// gradients) and returns the statistics of these steps.
    pub fn steps<E, R>(
        &mut self,
        energy: &E,
        chains: &mut [f64],
        n: usize,
        rng: &mut R,
    ) -> Result<AcceptanceStats>
    where
        E: DifferentiableEnergy + ?Sized,
        R: Rng + ?Sized,
    {
        let d = energy.dim();
        let count = check_batch(d, chains)?;
        let mut current = Evaluated {
            points: chains.to_vec(),
            energies: vec![0.0; count],
            gradients: vec![0.0; count * d],
        };
        current.evaluate(energy);
        if let Some(i) = (0..count).find(|&i| !row_is_finite(&current, i, d)) {
            return Err(Error::NonFinite {
                what: format!("energy or gradient at the start of chain {i}"),
                index: i,
                value: current.energies[i],
            });
        }
        let mut proposal = Evaluated {
            points: vec![0.0; count * d],
            energies: vec![0.0; count],
            gradients: vec![0.0; count * d],
        };
        let (h, t, sigma) = (self.step_size, self.temperature, self.noise());
        let mut stats = AcceptanceStats::default();
        for _ in 0..n {
            let drift = h / t;
            for ((y, &x), &g) in proposal.points.iter_mut().zip(&current.points).zip(&current.gradients) {
                let xi: f64 = rng.sample(rand_distr::StandardNormal);
                *y = x - drift * g + sigma * xi;
            }
            proposal.evaluate(energy);
            for i in 0..count {
                let outcome = if !row_is_finite(&proposal, i, d) {
                    Move::DIVERGENT
                } else if self.adjusted {
                    let rows = i * d..(i + 1) * d;
                    let (x, y) = (&current.points[rows.clone()], &proposal.points[rows.clone()]);
                    let log_ratio = -(proposal.energies[i] - current.energies[i]) / t
                        + log_langevin_density(y, &proposal.gradients[rows.clone()], x, h, t)
                        - log_langevin_density(x, &current.gradients[rows], y, h, t);
                    Move::metropolis(log_ratio, rng)
                } else {
                    Move { accepted: true, probability: 1.0, divergent: false }
                };
                stats.record(outcome.accepted, outcome.probability, outcome.divergent);
                if outcome.accepted {
                    let rows = i * d..(i + 1) * d;
                    current.points[rows.clone()].copy_from_slice(&proposal.points[rows.clone()]);
                    current.gradients[rows.clone()].copy_from_slice(&proposal.gradients[rows]);
                    current.energies[i] = proposal.energies[i];
                }
            }
        }
        chains.copy_from_slice(&current.points);
        self.stats += stats;
        Ok(stats)
    }
}

/// Whether chain i of `batch` has finite coordinates, energy and gradient.
fn row_is_finite(batch: &Evaluated, i: usize, d: usize) -> bool {
    let rows = i * d..(i + 1) * d;
    batch.energies[i].is_finite()
        && batch.points[rows.clone()].iter().all(|v| v.is_finite())
        && batch.gradients[rows].iter().all(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuous::testing::{Boxed, correlated};
    use crate::continuous::{ContinuousSampler, Mala, Ula};
    use crate::rng::{seeded, stream};

    #[test]
    fn one_chain_moves_exactly_as_the_single_chain_samplers() {
        let energy = correlated();
        for adjusted in [false, true] {
            let mut batch = BatchLangevin::new(0.3).unwrap();
            if adjusted {
                batch = batch.adjusted();
            }
            let mut x = vec![0.5, -1.0];
            let batch_stats = batch.steps(&energy, &mut x, 50, &mut seeded(4)).unwrap();
            let mut y = vec![0.5, -1.0];
            let single_stats = if adjusted {
                Mala::new(0.3).unwrap().steps(&energy, &mut y, 50, &mut seeded(4)).unwrap()
            } else {
                Ula::new(0.3).unwrap().steps(&energy, &mut y, 50, &mut seeded(4)).unwrap()
            };
            assert_eq!(x, y, "adjusted = {adjusted}");
            assert_eq!(batch_stats.accepted, single_stats.accepted);
        }
    }

    #[test]
    fn adjusted_chains_sample_the_target_and_unadjusted_ones_over_disperse() {
        // 1-D E = x²/2: MALA chains have variance T; ULA chains T/(1 − h/(2T)).
        let energy = ebm_core::Quadratic::isotropic(vec![0.0], 1.0).unwrap();
        let (h, t, chains) = (0.5, 1.0, 20_000);
        let variance = |sampler: &mut BatchLangevin| {
            let mut x = vec![0.0; chains];
            sampler.steps(&energy, &mut x, 100, &mut stream(3, 0)).unwrap();
            x.iter().map(|v| v * v).sum::<f64>() / chains as f64
        };
        let error = t * (2.0 / chains as f64).sqrt();
        let mala = variance(&mut BatchLangevin::new(h).unwrap().adjusted());
        assert!((mala - t).abs() < 5.0 * error, "MALA variance {mala}");
        let ula = variance(&mut BatchLangevin::new(h).unwrap());
        let predicted = t / (1.0 - h / (2.0 * t));
        assert!((ula - predicted).abs() < 5.0 * error * predicted, "ULA variance {ula} vs {predicted}");
        // Without noise it is gradient descent: every chain goes to the minimum.
        let mut quiet = BatchLangevin::new(h).unwrap().with_noise(0.0).unwrap();
        assert!(variance(&mut quiet) < 1e-20);
    }

    #[test]
    fn bad_input_is_refused_and_divergent_proposals_are_rejected() {
        let energy = correlated();
        let mut sampler = BatchLangevin::new(0.1).unwrap();
        let mut rng = seeded(1);
        assert!(sampler.steps(&energy, &mut [0.0; 3], 1, &mut rng).is_err());
        assert!(sampler.steps(&energy, &mut [0.0, f64::NAN], 1, &mut rng).is_err());
        assert!(BatchLangevin::new(0.0).is_err());
        assert!(BatchLangevin::new(0.1).unwrap().with_noise(-1.0).is_err());
        assert!(BatchLangevin::new(0.1).unwrap().adjusted().with_noise(0.1).is_err());
        assert!(BatchLangevin::new(0.1).unwrap().with_temperature(0.0).is_err());
        let mut outside = vec![5.0, 0.0, 0.0, 0.0];
        assert!(sampler.steps(&Boxed { dim: 2 }, &mut outside, 1, &mut rng).is_err());
        let mut inside = vec![0.0; 2 * 100];
        let stats =
            BatchLangevin::new(4.0).unwrap().steps(&Boxed { dim: 2 }, &mut inside, 20, &mut rng).unwrap();
        assert!(stats.divergent > 0 && inside.iter().all(|v| v.abs() < 3.0));
    }
}
