//! The energy traits that samplers and learning algorithms see models through.
//!
//! Convention throughout the workspace: lower energy means more probable,
//! P(x) = exp(−E(x)/T) / Z at temperature T.
//!
//! - [`DiscreteEnergy`]: an energy over N units, each taking one of the two
//!   values of a [`Domain`]. Besides E(s) it gives the *flip energy*
//!   ΔE_i(s) = E(s with unit i flipped) − E(s), so that a Metropolis or Gibbs
//!   step costs what one unit's neighbourhood costs, not a whole energy.
//! - [`PairwiseEnergy`]: a discrete energy E(s) = −½ sᵀWs − bᵀs + c with
//!   symmetric W and zero diagonal, which also exposes the *local field*
//!   h_i = Σ_j W_ij s_j + b_i and the couplings of each unit, so that samplers
//!   can keep fields up to date incrementally.
//! - [`ContinuousEnergy`] and [`DifferentiableEnergy`]: energies over x ∈ ℝᵈ,
//!   the latter with ∇E for Langevin dynamics and HMC.

use crate::error::Result;
use crate::state::Domain;

/// An energy over N discrete units whose values lie in [`DiscreteEnergy::domain`].
///
/// The state arguments of the methods must have [`num_units`](Self::num_units)
/// entries, each in the model's domain, and unit indices must be below
/// `num_units`; implementations may panic otherwise. Validate untrusted states
/// with [`check_state`](Self::check_state) first.
pub trait DiscreteEnergy: Send + Sync {
    /// Number of units N.
    fn num_units(&self) -> usize;

    /// The values a unit takes (±1 or 0/1).
    fn domain(&self) -> Domain;

    /// The energy E(s).
    fn energy(&self, state: &[i8]) -> f64;

    /// ΔE_i(s) = E(s with unit `i` flipped) − E(s).
    fn flip_energy(&self, state: &[i8], unit: usize) -> f64;

    /// Checks that `state` has N entries, all in the model's domain.
    fn check_state(&self, state: &[i8]) -> Result<()> {
        self.domain().check(state, self.num_units())
    }
}

/// A pairwise energy E(s) = −½ sᵀWs − bᵀs + c, with W symmetric and zero on
/// the diagonal, so that E(s) = −Σ_{i<j} W_ij s_i s_j − Σ_i b_i s_i + c.
///
/// Changing unit i by Δ = s_i' − s_i changes the energy by −Δ·h_i, where
/// h_i = Σ_{j≠i} W_ij s_j + b_i is the local field. Hence the flip energies
/// ΔE_i = 2 s_i h_i for spins and ΔE_i = −(1 − 2 x_i) h_i for bits x, and the
/// Gibbs conditionals at temperature T
///
/// - P(s_i = +1 | rest) = σ(2 h_i / T) for ±1 units,
/// - P(x_i = 1 | rest) = σ(h_i / T) for 0/1 units.
pub trait PairwiseEnergy: DiscreteEnergy {
    /// The bias b_i of unit `unit`.
    fn bias(&self, unit: usize) -> f32;

    /// The coupling W_ij.
    fn coupling(&self, i: usize, j: usize) -> f32;

    /// The local field h_i = Σ_j W_ij s_j + b_i.
    fn local_field(&self, state: &[i8], unit: usize) -> f64;

    /// Calls `f(j, W_ij)` for every stored coupling of unit i (every j for
    /// dense couplings, where W_ii = 0 appears too; the neighbours for sparse
    /// ones). This is what a sampler uses to update all local fields after
    /// unit i changes by Δ: h_j += W_ij Δ.
    fn for_each_coupling(&self, unit: usize, f: impl FnMut(usize, f32));

    /// Number of units `unit` is coupled to (its degree).
    fn degree(&self, unit: usize) -> usize;
}

/// An energy over real vectors x ∈ ℝᵈ.
///
/// `x` must have [`dim`](Self::dim) entries; implementations may panic otherwise.
pub trait ContinuousEnergy: Send + Sync {
    /// The dimension d.
    fn dim(&self) -> usize;

    /// The energy E(x).
    fn energy(&self, x: &[f64]) -> f64;
}

/// A continuous energy with a gradient ∇ₓE, as Langevin dynamics and HMC need.
pub trait DifferentiableEnergy: ContinuousEnergy {
    /// Writes ∇ₓE(x) into `gradient` (length d) and returns E(x).
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64;
}
