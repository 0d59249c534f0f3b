//! Many independent chains of one sampler, in parallel and reproducibly.

use super::{AcceptanceStats, ContinuousSampler};
use crate::rng::stream;
use ebm_core::energy::check_batch;
use ebm_core::{ContinuousEnergy, Result};
use rayon::prelude::*;

/// Runs an independent chain from every point of `chains` (row by row,
/// `energy.dim()` values each): a copy of `sampler` adapts its step during
/// `burn_in` transitions ([`ContinuousSampler::adapt`]) and then makes
/// `steps` more; each row is replaced by its chain's final state. Returns
/// the summed statistics of the post-burn-in transitions.
///
/// Chain i draws from its own generator [`stream`]`(seed, i)`, so the result
/// is the same on any number of threads.
///
/// ```
/// use ebm_core::Quadratic;
/// use ebm_mcmc::continuous::{run_chains, RandomWalk};
/// let energy = Quadratic::isotropic(vec![2.0], 1.0)?;
/// let mut chains = vec![0.0; 400];
/// run_chains(&RandomWalk::new(2.0)?, &energy, &mut chains, 100, 100, 5)?;
/// let mean = chains.iter().sum::<f64>() / 400.0;
/// assert!((mean - 2.0).abs() < 0.3);
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn run_chains<E, S>(
    sampler: &S,
    energy: &E,
    chains: &mut [f64],
    burn_in: usize,
    steps: usize,
    seed: u64,
) -> Result<AcceptanceStats>
where
    E: ContinuousEnergy + ?Sized,
    S: ContinuousSampler<E> + Clone + Send + Sync,
{
    let d = energy.dim();
    check_batch(d, chains)?;
    let outcomes: Vec<Result<AcceptanceStats>> = chains
        .par_chunks_mut(d)
        .enumerate()
        .map(|(i, x)| {
            let mut own = sampler.clone();
            let mut rng = stream(seed, i as u64);
            own.adapt(energy, x, burn_in, &mut rng)?;
            own.steps(energy, x, steps, &mut rng)
        })
        .collect();
    let mut total = AcceptanceStats::default();
    for outcome in outcomes {
        total += outcome?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuous::{Adaptation, Hmc, Mala};
    use ebm_core::GaussianMixture;

    #[test]
    fn the_result_does_not_depend_on_the_number_of_threads() {
        let energy = GaussianMixture::isotropic(2, vec![-1.0, 0.0, 1.0, 0.5], 0.5).unwrap();
        let sampler = Mala::new(0.2).unwrap().with_adaptation(Adaptation::new());
        let run = |threads| {
            let mut chains: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin() * 2.0).collect();
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let stats = pool.install(|| run_chains(&sampler, &energy, &mut chains, 20, 30, 7).unwrap());
            (chains, stats.accepted)
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(3));
    }

    #[test]
    fn independent_chains_reach_the_mixture_moments_and_bad_input_is_refused() {
        let energy =
            GaussianMixture::new(2, vec![0.3, 0.7], vec![-1.0, 0.0, 1.0, 0.5], vec![0.5, 0.5, 0.6, 0.4])
                .unwrap();
        let n = 2000;
        let mut chains: Vec<f64> = (0..2 * n).map(|i| ((i * 7919) % 1000) as f64 / 250.0 - 2.0).collect();
        let hmc = Hmc::new(0.3, 5).unwrap().with_adaptation(Adaptation::new());
        run_chains(&hmc, &energy, &mut chains, 100, 100, 3).unwrap();
        let (mean, cov) = (energy.mean(), energy.covariance());
        for j in 0..2 {
            let m = chains.iter().skip(j).step_by(2).sum::<f64>() / n as f64;
            assert!(
                (m - mean[j]).abs() < 5.0 * (cov[3 * j] / n as f64).sqrt(),
                "mean {j}: {m} vs {}",
                mean[j]
            );
        }
        assert!(run_chains(&hmc, &energy, &mut [0.0; 3], 1, 1, 0).is_err());
        assert!(run_chains(&hmc, &energy, &mut [0.0, f64::NAN], 1, 1, 0).is_err());
    }
}
