//! The AIS driver: the runs of a schedule along any [`AnnealingPath`] and
//! their estimate.

use super::{AisEstimate, AisOptions, AnnealingPath};
use ebm_core::Result;
use ebm_mcmc::rng::{SamplerRng, stream};
use rayon::prelude::*;

/// Runs advanced together as one batch; chunk c of the runs draws from the
/// random stream (seed, c), whatever the number of threads.
pub const RUNS_PER_CHUNK: usize = 16;

/// The log weights of `runs` runs over `betas`, drawn from `rng`: from
/// x₀ ~ p₀, each step β → β′ adds log f_{β′}(x) − log f_β(x) to every log
/// weight and then (but for the last step) moves x by the transition at β′.
fn log_weights<P: AnnealingPath>(path: &P, runs: usize, betas: &[f64], rng: &mut SamplerRng) -> Vec<f64> {
    let mut state = path.sample_base(runs, rng);
    let mut inputs = P::Inputs::default();
    let mut log_w = vec![0.0; runs];
    let steps = betas.len() - 1;
    for (k, pair) in betas.windows(2).enumerate() {
        let (beta, next) = (pair[0], pair[1]);
        path.inputs(&state, &mut inputs);
        let increments = path.log_weight_increments(&state, &inputs, beta, next);
        log_w.iter_mut().zip(increments).for_each(|(w, d)| *w += d);
        if k + 1 < steps {
            path.transition(&mut state, &inputs, next, rng);
        }
    }
    log_w
}

/// Estimates log Z of the end of `path` by AIS with the schedule, runs and
/// seed of `options`.
///
/// The runs go in chunks of [`RUNS_PER_CHUNK`], in parallel; chunk c draws
/// from the stream (seed, c) of [`ebm_mcmc::rng::stream`], so the estimate
/// depends on the seed alone, not on the number of threads, and the first
/// runs' weights do not depend on how many runs follow.
pub fn run<P: AnnealingPath>(path: &P, options: &AisOptions) -> Result<AisEstimate> {
    options.check()?;
    let chunks = options.runs.div_ceil(RUNS_PER_CHUNK);
    let per_chunk: Vec<Vec<f64>> = (0..chunks)
        .into_par_iter()
        .map(|chunk| {
            let runs = RUNS_PER_CHUNK.min(options.runs - chunk * RUNS_PER_CHUNK);
            log_weights(path, runs, &options.betas, &mut stream(options.seed, chunk as u64))
        })
        .collect();
    Ok(AisEstimate::from_log_weights(path.log_base_partition(), per_chunk.into_iter().flatten().collect()))
}
