//! Hamiltonian Monte Carlo with a leapfrog integrator.

use super::DIVERGENCE_THRESHOLD;
use super::adapt::HMC_TARGET;
use super::driver::{Kernel, Move, Point};
use super::settings::{Settings, common_methods};
use ebm_core::{DifferentiableEnergy, Error, Result};
use rand::{Rng, RngExt};

/// Hamiltonian Monte Carlo.
///
/// The state is extended by a momentum p ∈ ℝᵈ with a diagonal mass matrix
/// M = diag(m) (unit by default), under the Hamiltonian
///
/// ```text
/// H(x, p) = U(x) + K(p),     U(x) = E(x)/T,     K(p) = ½ Σ_i p_i² / m_i,
/// ```
///
/// whose Boltzmann law exp(−H) has x-marginal π ∝ exp(−E/T). Each
/// transition draws a fresh momentum p ~ N(0, M), runs L leapfrog steps of
/// size ε,
///
/// ```text
/// p ← p − (ε/2) ∇U(x);   then L times:  x ← x + ε M⁻¹ p,  p ← p − ε ∇U(x)
/// (the last momentum update being a half step (ε/2) ∇U(x)),
/// ```
///
/// and accepts the end point (x', p') with probability
///
/// ```text
/// α = min(1, exp(H(x, p) − H(x', p'))).
/// ```
///
/// The leapfrog map is reversible (negating the final momentum retraces the
/// path) and volume-preserving, so this Metropolis test makes the chain
/// exact for every ε and L; ε only controls the energy error and hence the
/// acceptance rate. [`Adaptation`](super::Adaptation) tunes ε towards
/// acceptance 0.8 during burn-in.
///
/// Divergence guard: a trajectory that meets a non-finite position, energy
/// or gradient is abandoned, its proposal rejected and counted as divergent
/// in the [`AcceptanceStats`](super::AcceptanceStats); so is a proposal whose
/// H rose by more than [`DIVERGENCE_THRESHOLD`](super::DIVERGENCE_THRESHOLD)
/// (rejected in any case, as α < e^−1000).
///
/// Optional jitter j ∈ [0, 1) draws each transition's step uniformly from
/// [ε(1 − j), ε(1 + j)], independently of the state (so every transition
/// is still exact); it breaks the periodic orbits that a fixed εL can fall
/// into on near-Gaussian targets.
///
/// ```
/// use ebm_core::Quadratic;
/// use ebm_mcmc::continuous::{ContinuousSampler, Hmc};
/// use ebm_mcmc::rng::seeded;
///
/// let energy = Quadratic::isotropic(vec![0.0; 10], 1.0)?;
/// let mut hmc = Hmc::new(0.3, 5)?.with_jitter(0.2)?;
/// let mut x = vec![3.0; 10];
/// let stats = hmc.steps(&energy, &mut x, 200, &mut seeded(5))?;
/// assert!(stats.rate() > 0.8);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Hmc {
    settings: Settings,
    leapfrog_steps: usize,
    mass: Option<Vec<f64>>,
    jitter: f64,
    /// Scratch space for the momentum, reused across transitions.
    momentum: Vec<f64>,
}

impl PartialEq for Hmc {
    /// Compares the parameters and statistics (not the scratch momentum).
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
            && self.leapfrog_steps == other.leapfrog_steps
            && self.mass == other.mass
            && self.jitter == other.jitter
    }
}

impl Hmc {
    /// HMC with leapfrog step ε = `step_size` (finite, > 0) and L =
    /// `leapfrog_steps` (≥ 1) steps per transition, unit mass, T = 1, no
    /// jitter and no adaptation.
    pub fn new(step_size: f64, leapfrog_steps: usize) -> Result<Self> {
        if leapfrog_steps == 0 {
            return Err(Error::Invalid {
                what: "number of leapfrog steps".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self {
            settings: Settings::new(step_size)?,
            leapfrog_steps,
            mass: None,
            jitter: 0.0,
            momentum: Vec::new(),
        })
    }

    /// Sets the diagonal mass matrix M = diag(`mass`); entries must be finite
    /// and > 0, and there must be `energy.dim()` of them (checked when
    /// sampling). A good choice is m_i ≈ 1/Var_π(x_i).
    pub fn with_mass(mut self, mass: Vec<f64>) -> Result<Self> {
        if let Some(index) = mass.iter().position(|m| !(m.is_finite() && *m > 0.0)) {
            return Err(Error::Invalid {
                what: format!("mass entry {index}"),
                reason: format!("must be finite and > 0, got {}", mass[index]),
            });
        }
        self.mass = Some(mass);
        Ok(self)
    }

    /// Sets the step jitter j, which must lie in [0, 1).
    pub fn with_jitter(mut self, jitter: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&jitter) {
            return Err(Error::Invalid {
                what: "step-size jitter".into(),
                reason: format!("must lie in [0, 1), got {jitter}"),
            });
        }
        self.jitter = jitter;
        Ok(self)
    }

    /// The number L of leapfrog steps per transition.
    pub fn leapfrog_steps(&self) -> usize {
        self.leapfrog_steps
    }

    /// The diagonal of the mass matrix, if not the identity.
    pub fn mass(&self) -> Option<&[f64]> {
        self.mass.as_deref()
    }

    /// The step-size jitter j.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }
}

common_methods!(Hmc, adaptive);

fn evaluate<E: DifferentiableEnergy + ?Sized>(energy: &E, point: &mut Point) {
    point.energy = energy.energy_and_gradient(&point.x, &mut point.gradient);
}

/// m_i, or 1 without a mass matrix.
fn mass_of(mass: Option<&[f64]>, i: usize) -> f64 {
    mass.map_or(1.0, |m| m[i])
}

/// K(p) = ½ Σ p_i² / m_i.
pub(super) fn kinetic(momentum: &[f64], mass: Option<&[f64]>) -> f64 {
    0.5 * momentum.iter().enumerate().map(|(i, p)| p * p / mass_of(mass, i)).sum::<f64>()
}

/// Runs `steps` leapfrog steps of size `eps` on (point, momentum) in place,
/// with U = E/T; returns false (leaving a partial trajectory) as soon as a
/// position, energy or gradient is not finite.
pub(super) fn leapfrog<E: DifferentiableEnergy + ?Sized>(
    energy: &E,
    (point, momentum): (&mut Point, &mut [f64]),
    eps: f64,
    steps: usize,
    mass: Option<&[f64]>,
    temperature: f64,
) -> bool {
    let kick =
        |p: &mut [f64], g: &[f64], w: f64| p.iter_mut().zip(g).for_each(|(p, g)| *p -= w * g / temperature);
    kick(momentum, &point.gradient, 0.5 * eps);
    for step in 1..=steps {
        for (i, (x, p)) in point.x.iter_mut().zip(momentum.iter()).enumerate() {
            *x += eps * p / mass_of(mass, i);
        }
        if point.x.iter().any(|v| !v.is_finite()) {
            return false;
        }
        evaluate(energy, point);
        if !point.is_finite() {
            return false;
        }
        kick(momentum, &point.gradient, if step == steps { 0.5 * eps } else { eps });
    }
    momentum.iter().all(|p| p.is_finite())
}

impl<E: DifferentiableEnergy + ?Sized> Kernel<E> for Hmc {
    const GRADIENT: bool = true;

    fn default_target(_dim: usize) -> f64 {
        HMC_TARGET
    }

    fn settings(&self) -> &Settings {
        &self.settings
    }

    fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    fn check_dim(&self, dim: usize) -> Result<()> {
        match &self.mass {
            Some(m) if m.len() != dim => Err(Error::ShapeMismatch {
                what: "HMC mass diagonal (entries against energy.dim())".into(),
                expected: dim,
                found: m.len(),
            }),
            _ => Ok(()),
        }
    }

    fn evaluate(energy: &E, point: &mut Point) {
        evaluate(energy, point);
    }

    fn transition<R: Rng + ?Sized>(
        &mut self,
        energy: &E,
        step: f64,
        current: &Point,
        proposal: &mut Point,
        rng: &mut R,
    ) -> Move {
        let temperature = self.settings.temperature;
        let eps =
            if self.jitter > 0.0 { step * (1.0 + self.jitter * rng.random_range(-1.0..1.0)) } else { step };
        let mass = self.mass.as_deref();
        self.momentum.clear();
        for i in 0..current.x.len() {
            let xi: f64 = rng.sample(rand_distr::StandardNormal);
            self.momentum.push(mass_of(mass, i).sqrt() * xi);
        }
        let start = current.energy / temperature + kinetic(&self.momentum, mass);
        proposal.clone_from(current);
        let trajectory = (&mut *proposal, self.momentum.as_mut_slice());
        if !leapfrog(energy, trajectory, eps, self.leapfrog_steps, mass, temperature) {
            return Move::DIVERGENT;
        }
        let rise = proposal.energy / temperature + kinetic(&self.momentum, mass) - start;
        if !rise.is_finite() {
            return Move::DIVERGENT;
        }
        let mut outcome = Move::metropolis(-rise, rng);
        outcome.divergent = rise > DIVERGENCE_THRESHOLD;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::continuous::testing::{Banana, Boxed, check_gaussian, check_mixture, invariance_z};
    use crate::continuous::{Adaptation, ContinuousSampler};
    use crate::rng::stream;
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    fn point<E: DifferentiableEnergy>(energy: &E, x: &[f64]) -> Point {
        let mut p = Point { x: x.to_vec(), energy: 0.0, gradient: vec![0.0; x.len()] };
        evaluate(energy, &mut p);
        p
    }

    #[test]
    fn recovers_a_correlated_gaussian_at_two_temperatures() {
        let make = |t| {
            Hmc::new(0.05, 10)
                .unwrap()
                .with_jitter(0.2)
                .unwrap()
                .with_temperature(t)
                .unwrap()
                .with_adaptation(Adaptation::new())
        };
        check_gaussian(make, (2000, 40_000), Some(HMC_TARGET), "HMC");
    }

    #[test]
    fn recovers_a_gaussian_with_a_diagonal_mass() {
        let make =
            |t| Hmc::new(0.2, 8).unwrap().with_mass(vec![0.5, 1.0]).unwrap().with_temperature(t).unwrap();
        check_gaussian(make, (1000, 20_000), None, "HMC with mass");
    }

    #[test]
    fn recovers_the_weight_of_a_two_mode_mixture() {
        let make = |t| Hmc::new(0.5, 6).unwrap().with_jitter(0.3).unwrap().with_temperature(t).unwrap();
        check_mixture(make, 60_000, "HMC");
    }

    #[test]
    fn transitions_leave_the_target_invariant_even_with_a_large_step() {
        for t in [1.0, 2.0] {
            let mut hmc = Hmc::new(0.75 * f64::sqrt(t), 4).unwrap().with_temperature(t).unwrap();
            let z = invariance_z(&mut hmc, t, 2, 20_000);
            assert!(z < 5.0, "T = {t}: z = {z}");
            let rate = hmc.stats().rate();
            assert!(rate > 0.2 && rate < 0.8, "rate {rate}");
        }
    }

    #[test]
    fn divergent_trajectories_are_rejected_and_counted() {
        let energy = Boxed { dim: 3 };
        let mut hmc = Hmc::new(2.0, 5).unwrap();
        let mut x = vec![0.5, -0.5, 0.0];
        let draws = hmc.sample(&energy, &mut x, 0, 500, 1, &mut stream(3, 0)).unwrap();
        assert!(draws.stats().divergent > 100, "{:?}", draws.stats());
        assert!(draws.as_slice().iter().all(|v| v.abs() < 3.0));
        // Huge rises of H are flagged too: a far too long step on a steep quadratic.
        let energy = ebm_core::Quadratic::isotropic(vec![0.0; 2], 1e-4).unwrap();
        let mut hmc = Hmc::new(1.0, 3).unwrap();
        let stats = hmc.steps(&energy, &mut [0.01, 0.01], 50, &mut stream(3, 1)).unwrap();
        assert_eq!(stats.divergent, 50, "{stats:?}");
        assert_eq!(stats.accepted, 0);
    }

    proptest! {
        /// Leapfrog is reversible: flipping the final momentum and integrating
        /// again returns to the start with the opposite momentum.
        #[test]
        fn leapfrog_is_reversible(
            x in prop::collection::vec(-1.5f64..1.5, 2),
            p in prop::collection::vec(-2.0f64..2.0, 2),
            eps in 0.01f64..0.2,
            steps in 1usize..20,
            t in 0.5f64..2.0,
        ) {
            let mass = [0.7, 1.6];
            let start = point(&Banana, &x);
            let mut end = start.clone();
            let mut momentum = p.clone();
            prop_assume!(leapfrog(&Banana, (&mut end, &mut momentum), eps, steps, Some(&mass), t));
            momentum.iter_mut().for_each(|v| *v = -*v);
            prop_assume!(leapfrog(&Banana, (&mut end, &mut momentum), eps, steps, Some(&mass), t));
            for i in 0..2 {
                prop_assert!((end.x[i] - x[i]).abs() < 1e-8 * (1.0 + x[i].abs()), "x {:?} vs {:?}", end.x, x);
                prop_assert!((momentum[i] + p[i]).abs() < 1e-8 * (1.0 + p[i].abs()));
            }
        }

        /// Leapfrog preserves volume: the Jacobian of (x, p) ↦ (x', p') has determinant 1.
        #[test]
        fn leapfrog_preserves_volume(
            state in prop::collection::vec(-1.0f64..1.0, 4),
            eps in 0.01f64..0.2,
            steps in 1usize..10,
        ) {
            let map = |s: &[f64]| {
                let mut end = point(&Banana, &s[..2]);
                let mut momentum = s[2..].to_vec();
                assert!(leapfrog(&Banana, (&mut end, &mut momentum), eps, steps, None, 1.0));
                [end.x[0], end.x[1], momentum[0], momentum[1]]
            };
            let delta = 1e-6;
            let jacobian = DMatrix::from_fn(4, 4, |i, j| {
                let (mut plus, mut minus) = (state.clone(), state.clone());
                plus[j] += delta;
                minus[j] -= delta;
                (map(&plus)[i] - map(&minus)[i]) / (2.0 * delta)
            });
            prop_assert!((jacobian.determinant() - 1.0).abs() < 1e-5, "det = {}", jacobian.determinant());
        }
    }
}
