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
//!   the latter with ∇E for Langevin dynamics and HMC. Both have batched
//!   forms ([`ContinuousEnergy::energy_batch`],
//!   [`DifferentiableEnergy::energy_and_gradient_batch`]) over n points
//!   stored row by row, which default to a loop and which models with
//!   matrix-shaped parameters override with matrix products.
//! - [`ParametricEnergy`]: a continuous energy E(x; θ) with a flat parameter
//!   vector θ and the batched parameter gradient Σ_i c_i ∂E(x_i; θ)/∂θ that
//!   maximum-likelihood training needs.

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

    /// P(s_i = on | rest) at temperature T: σ(2 h_i / T) for ±1 units and
    /// σ(h_i / T) for 0/1 units ([`Domain::on_probability`](crate::Domain::on_probability)
    /// of the [`local_field`](Self::local_field)).
    fn conditional_on_probability(&self, state: &[i8], unit: usize, temperature: f64) -> f64 {
        self.domain().on_probability(self.local_field(state, unit), 1.0 / temperature)
    }
}

/// An energy over real vectors x ∈ ℝᵈ.
///
/// `x` must have [`dim`](Self::dim) entries; implementations may panic otherwise.
pub trait ContinuousEnergy: Send + Sync {
    /// The dimension d.
    fn dim(&self) -> usize;

    /// The energy E(x).
    fn energy(&self, x: &[f64]) -> f64;

    /// The energies E(x₁), …, E(xₙ) of n points stored row by row in `points`
    /// (n·d values), written into `energies` (n values).
    ///
    /// The default evaluates the points one at a time; models whose energy
    /// is a chain of matrix products override it to evaluate all rows at
    /// once. `points.len()` must be `energies.len() · d`; implementations may
    /// panic otherwise (check with [`check_batch`]).
    fn energy_batch(&self, points: &[f64], energies: &mut [f64]) {
        let d = self.dim().max(1);
        for (x, e) in points.chunks_exact(d).zip(energies.iter_mut()) {
            *e = self.energy(x);
        }
    }
}

/// A continuous energy with a gradient ∇ₓE, as Langevin dynamics and HMC need.
pub trait DifferentiableEnergy: ContinuousEnergy {
    /// Writes ∇ₓE(x) into `gradient` (length d) and returns E(x).
    fn energy_and_gradient(&self, x: &[f64], gradient: &mut [f64]) -> f64;

    /// The energies of n points stored row by row in `points` (n·d values)
    /// into `energies` (n values), and their gradients ∇ₓE(xᵢ), row by row,
    /// into `gradients` (n·d values).
    ///
    /// The default loops over [`energy_and_gradient`](Self::energy_and_gradient);
    /// batched models override it. Lengths must agree as stated
    /// (see [`check_batch`]); implementations may panic otherwise.
    fn energy_and_gradient_batch(&self, points: &[f64], energies: &mut [f64], gradients: &mut [f64]) {
        let d = self.dim().max(1);
        for ((x, g), e) in points.chunks_exact(d).zip(gradients.chunks_exact_mut(d)).zip(energies.iter_mut())
        {
            *e = self.energy_and_gradient(x, g);
        }
    }
}

/// A continuous energy E(x; θ) whose parameters θ ∈ ℝᵖ can be read, replaced
/// and differentiated, as maximum-likelihood training needs.
///
/// The log-likelihood of data under p_θ(x) = exp(−E(x; θ)) / Z(θ) has the
/// gradient
///
/// ```text
/// ∇_θ log p_θ(x) = −∂E(x; θ)/∂θ + E_{x'~p_θ}[∂E(x'; θ)/∂θ],
/// ```
///
/// so a trainer needs weighted sums of ∂E/∂θ over a batch of data points
/// and a batch of model samples. [`parameter_gradient`](Self::parameter_gradient)
/// computes Σ_i c_i ∂E(x_i; θ)/∂θ in one batched forward and backward pass,
/// where the weight c_i may depend on E(x_i) itself (which is what a
/// regulariser α E(x)² needs: its derivative is 2α E(x) ∂E/∂θ).
pub trait ParametricEnergy: ContinuousEnergy {
    /// The number of parameters p.
    fn num_parameters(&self) -> usize;

    /// Writes θ into `parameters` (length p).
    fn parameters(&self, parameters: &mut [f64]);

    /// Replaces θ by `parameters` (length p). Refuses (and leaves the model
    /// unchanged) a wrong length or a non-finite entry.
    fn set_parameters(&mut self, parameters: &[f64]) -> Result<()>;

    /// For n points stored row by row in `points` (n·d values): evaluates
    /// the energies eᵢ = E(xᵢ; θ) into `energies` (n values), then adds
    /// Σᵢ cᵢ ∂E(xᵢ; θ)/∂θ to `gradient` (length p), where cᵢ = `weight(i, eᵢ)`.
    /// Lengths must agree as stated; implementations may panic otherwise.
    fn parameter_gradient(
        &self,
        points: &[f64],
        energies: &mut [f64],
        weight: &mut dyn FnMut(usize, f64) -> f64,
        gradient: &mut [f64],
    );
}

/// Checks that `points` holds a whole number of `dim`-dimensional rows, all
/// finite, and returns their number n: the validation a caller runs before
/// passing untrusted points to the batched methods.
pub fn check_batch(dim: usize, points: &[f64]) -> Result<usize> {
    if dim == 0 {
        return Err(crate::Error::invalid("energy", "its dimension is 0"));
    }
    if !points.len().is_multiple_of(dim) {
        return Err(crate::Error::invalid(
            "batch of points",
            format!("{} values are not a whole number of {dim}-dimensional points", points.len()),
        ));
    }
    crate::error::check_finite("batch of points", points)?;
    Ok(points.len() / dim)
}
