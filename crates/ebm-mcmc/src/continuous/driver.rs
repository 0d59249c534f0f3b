//! The machinery all samplers share: validation of the starting point, the
//! transition loop with burn-in adaptation and thinning, and the
//! [`ContinuousSampler`] implementation on top of each sampler's kernel.

use super::adapt::Adapter;
use super::settings::Settings;
use super::{AcceptanceStats, ContinuousSampler, Draws};
use crate::metropolis;
use crate::runner::{MAX_TRACE_VALUES, RunLength};
use ebm_core::{ContinuousEnergy, Error, Result};
use rand::{Rng, RngExt};

/// A point of the chain with its energy and (for gradient samplers) gradient.
#[derive(Clone, Debug)]
pub(super) struct Point {
    pub(super) x: Vec<f64>,
    pub(super) energy: f64,
    pub(super) gradient: Vec<f64>,
}

impl Point {
    /// Whether the energy and the gradient are finite.
    pub(super) fn is_finite(&self) -> bool {
        self.energy.is_finite() && self.gradient.iter().all(|g| g.is_finite())
    }
}

/// What one transition did.
#[derive(Clone, Copy, Debug)]
pub(super) struct Move {
    pub(super) accepted: bool,
    pub(super) probability: f64,
    pub(super) divergent: bool,
}

impl Move {
    /// A rejection caused by a non-finite or exploding proposal.
    pub(super) const DIVERGENT: Move = Move { accepted: false, probability: 0.0, divergent: true };

    /// The Metropolis–Hastings decision for log acceptance ratio `log_ratio`
    /// ([`metropolis`]): accept with probability α = min(1, exp(log_ratio))
    /// (α = 0 for NaN), one uniform draw per proposal.
    pub(super) fn metropolis<R: Rng + ?Sized>(log_ratio: f64, rng: &mut R) -> Move {
        let probability = metropolis::probability(log_ratio);
        Move { accepted: metropolis::accept(log_ratio, rng), probability, divergent: false }
    }
}

/// The transition kernel of one sampler, as the shared driver sees it.
pub(super) trait Kernel<E: ContinuousEnergy + ?Sized> {
    /// Whether points carry a gradient.
    const GRADIENT: bool;

    /// The target acceptance rate when the [`Adaptation`] sets none.
    fn default_target(dim: usize) -> f64;

    /// The common parameters.
    fn settings(&self) -> &Settings;

    /// The common parameters, mutably.
    fn settings_mut(&mut self) -> &mut Settings;

    /// Checks sampler parameters that depend on the dimension.
    fn check_dim(&self, _dim: usize) -> Result<()> {
        Ok(())
    }

    /// Fills `point.energy` (and `point.gradient`) at `point.x`.
    fn evaluate(energy: &E, point: &mut Point);

    /// Proposes from `current` into `proposal` with step size `step` and
    /// decides; the driver swaps the two points on acceptance.
    fn transition<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        step: f64,
        current: &Point,
        proposal: &mut Point,
        rng: &mut R,
    ) -> Move;
}

/// Validates `x` against `energy` and evaluates the starting point.
fn start<E: ContinuousEnergy + ?Sized, K: Kernel<E>>(kernel: &K, energy: &E, x: &[f64]) -> Result<Point> {
    let dim = energy.dim();
    if dim == 0 {
        return Err(Error::Invalid {
            what: "energy".into(),
            reason: "its dimension is 0; continuous samplers need d ≥ 1".into(),
        });
    }
    if x.len() != dim {
        return Err(Error::ShapeMismatch {
            what: "starting point (entries of x against energy.dim())".into(),
            expected: dim,
            found: x.len(),
        });
    }
    kernel.check_dim(dim)?;
    ebm_core::error::check_finite("starting point x", x)?;
    let gradient = if K::GRADIENT { vec![0.0; dim] } else { Vec::new() };
    let mut point = Point { x: x.to_vec(), energy: 0.0, gradient };
    K::evaluate(energy, &mut point);
    if !point.energy.is_finite() {
        return Err(Error::NonFinite {
            what: "energy at the starting point".into(),
            index: 0,
            value: point.energy,
        });
    }
    if let Some(index) = point.gradient.iter().position(|g| !g.is_finite()) {
        return Err(Error::NonFinite {
            what: "energy gradient at the starting point".into(),
            index,
            value: point.gradient[index],
        });
    }
    Ok(point)
}

/// Runs `n` transitions from `current`, adapting the step size if `adapter`
/// is given, and calls `visit(i, point)` after transition i = 1, …, n.
fn run_phase<E, K, R>(
    kernel: &mut K,
    energy: &E,
    (current, proposal): (&mut Point, &mut Point),
    n: usize,
    mut adapter: Option<&mut Adapter>,
    mut visit: impl FnMut(usize, &Point),
    rng: &mut R,
) -> AcceptanceStats
where
    E: ContinuousEnergy + ?Sized,
    K: Kernel<E>,
    R: Rng + ?Sized,
{
    let mut stats = AcceptanceStats::default();
    let fixed = kernel.settings().step_size;
    for i in 1..=n {
        let step = adapter.as_ref().map_or(fixed, |a| a.step());
        let outcome = kernel.transition(energy, step, current, proposal, rng);
        if outcome.accepted {
            std::mem::swap(current, proposal);
        }
        stats.record(outcome.accepted, outcome.probability, outcome.divergent);
        if let Some(a) = adapter.as_deref_mut() {
            a.update(outcome.probability);
        }
        visit(i, current);
    }
    kernel.settings_mut().stats += stats;
    stats
}

/// Burn-in (adapting if configured), then `samples × thin` transitions that
/// record every `thin`-th state into `draws` (when given).
fn drive<E, K, R>(
    kernel: &mut K,
    energy: &E,
    x: &mut [f64],
    (burn_in, samples, thin): (usize, usize, usize),
    mut draws: Option<&mut Draws>,
    rng: &mut R,
) -> Result<(AcceptanceStats, AcceptanceStats)>
where
    E: ContinuousEnergy + ?Sized,
    K: Kernel<E>,
    R: Rng + ?Sized,
{
    let mut current = start(kernel, energy, x)?;
    let mut proposal = current.clone();
    let mut adapter = match (burn_in > 0, kernel.settings().adaptation) {
        (true, Some(settings)) => {
            Some(Adapter::new(&settings, kernel.settings().step_size, K::default_target(energy.dim())))
        }
        _ => None,
    };
    let burn =
        run_phase(kernel, energy, (&mut current, &mut proposal), burn_in, adapter.as_mut(), |_, _| {}, rng);
    if let Some(adapter) = adapter {
        kernel.settings_mut().step_size = adapter.finish();
    }
    let record = |i: usize, point: &Point| {
        if let Some(d) = draws.as_deref_mut()
            && i.is_multiple_of(thin)
        {
            d.push(&point.x);
        }
    };
    let sampling =
        run_phase(kernel, energy, (&mut current, &mut proposal), samples * thin, None, record, rng);
    x.copy_from_slice(&current.x);
    Ok((burn, sampling))
}

impl<E, K> ContinuousSampler<E> for K
where
    E: ContinuousEnergy + ?Sized,
    K: Kernel<E>,
{
    fn steps<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        x: &mut [f64],
        n: usize,
        rng: &mut R,
    ) -> Result<AcceptanceStats> {
        drive(self, energy, x, (0, n, 1), None, rng).map(|(_, sampling)| sampling)
    }

    fn adapt<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        x: &mut [f64],
        n: usize,
        rng: &mut R,
    ) -> Result<AcceptanceStats> {
        drive(self, energy, x, (n, 0, 1), None, rng).map(|(burn, _)| burn)
    }

    fn sample<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        x: &mut [f64],
        burn_in: usize,
        samples: usize,
        thin: usize,
        rng: &mut R,
    ) -> Result<Draws> {
        RunLength::new(burn_in, samples, thin)?;
        let dim = energy.dim();
        if samples.saturating_mul(dim) > MAX_TRACE_VALUES {
            return Err(Error::TooLarge {
                what: "draws (samples × dimension)".into(),
                limit: MAX_TRACE_VALUES as u64,
                found: samples.saturating_mul(dim) as u64,
            });
        }
        // Validate before allocating the draws.
        start(self, energy, x)?;
        let mut draws = Draws::new(dim, samples);
        let (burn, sampling) = drive(self, energy, x, (burn_in, samples, thin), Some(&mut draws), rng)?;
        draws.burn_in = burn;
        draws.sampling = sampling;
        draws.step_size = self.settings().step_size;
        Ok(draws)
    }
}

/// Adds scale · ξ, ξ ~ N(0, I), to `x`: the Gaussian move of the
/// random-walk and Langevin proposals.
pub(super) fn add_noise<R: Rng + ?Sized>(x: &mut [f64], scale: f64, rng: &mut R) {
    for v in x {
        let xi: f64 = rng.sample(rand_distr::StandardNormal);
        *v += scale * xi;
    }
}
