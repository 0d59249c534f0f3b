//! What AIS needs to know of a model: the annealing path.

use ebm_mcmc::rng::SamplerRng;

/// A path of unnormalised distributions f_β, 0 ≤ β ≤ 1, from a base f₀
/// (easy to sample, Z₀ known) to a model f₁, with a transition for each β —
/// everything in AIS that differs between models (see the [module
/// documentation](super)).
///
/// Every method works on a batch of runs at once: [`run`](super::run)
/// advances up to [`RUNS_PER_CHUNK`](super::RUNS_PER_CHUNK) runs together,
/// so a model can move them with one matrix product. Between two
/// inverse temperatures β → β′ the driver calls, in this order,
/// [`inputs`](Self::inputs), [`log_weight_increments`](Self::log_weight_increments)
/// and [`transition`](Self::transition) (the last at β′, and not after the
/// last increment, whose state no weight depends on).
///
/// The implementor is usually a pair of a model and its base (the model
/// alone does not fix f₀).
pub trait AnnealingPath: Sync {
    /// The states x of a batch of runs, one per run.
    type State;

    /// What both the increment and the transition compute from a state,
    /// computed once per step — for the models here the inputs of the units
    /// summed out of f_β; `()` when nothing is shared. Its storage is reused
    /// from step to step.
    type Inputs: Default;

    /// log Z₀, the log-normaliser of the base f₀.
    fn log_base_partition(&self) -> f64;

    /// `runs` independent draws from the base p₀ = f₀ / Z₀.
    fn sample_base(&self, runs: usize, rng: &mut SamplerRng) -> Self::State;

    /// Computes the shared quantities of `state` into `inputs`.
    fn inputs(&self, state: &Self::State, inputs: &mut Self::Inputs);

    /// log f_{β′}(x_r) − log f_β(x_r) for each run r of `state`, given its
    /// `inputs`; `(beta, next)` is (β, β′).
    fn log_weight_increments(
        &self,
        state: &Self::State,
        inputs: &Self::Inputs,
        beta: f64,
        next: f64,
    ) -> Vec<f64>;

    /// Moves every run of `state` (with its `inputs`) by a transition that
    /// leaves p_β = f_β / Z_β invariant.
    fn transition(&self, state: &mut Self::State, inputs: &Self::Inputs, beta: f64, rng: &mut SamplerRng);
}
