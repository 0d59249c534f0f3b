//! First and second moments of a machine's units, and the gradient they give.

use super::sampled::check_data;
use ebm_boltzmann::BoltzmannMachine;
use ebm_core::exact::{self, ExactOptions};
use ebm_core::{DiscreteEnergy, Error, Result};
use nalgebra::{DMatrix, DVector};

/// ⟨y⟩ and ⟨y yᵀ⟩ of the N units of a machine under some distribution.
#[derive(Clone, Debug, PartialEq)]
pub struct Moments {
    /// ⟨y_i⟩.
    pub means: DVector<f64>,
    /// ⟨y_i y_j⟩ (N×N; the diagonal holds ⟨y_i²⟩).
    pub correlations: DMatrix<f64>,
}

/// The gradient of the average log-likelihood with respect to the
/// machine's parameters (the diagonal of `couplings` is zero).
#[derive(Clone, Debug, PartialEq)]
pub struct Gradient {
    /// ∂ℓ/∂W_ij = ⟨y_i y_j⟩_clamped − ⟨y_i y_j⟩_free for i ≠ j.
    pub couplings: DMatrix<f64>,
    /// ∂ℓ/∂b_i = ⟨y_i⟩_clamped − ⟨y_i⟩_free.
    pub biases: DVector<f64>,
}

impl Gradient {
    /// The Euclidean norm over all parameters, each coupling counted once.
    pub fn norm(&self) -> f64 {
        let n = self.biases.len();
        let pairs: f64 =
            (0..n).flat_map(|i| (i + 1..n).map(move |j| (i, j))).map(|p| self.couplings[p].powi(2)).sum();
        (pairs + self.biases.norm_squared()).sqrt()
    }
}

impl Moments {
    /// All moments zero, for N units.
    pub fn zeros(units: usize) -> Self {
        Self { means: DVector::zeros(units), correlations: DMatrix::zeros(units, units) }
    }

    /// Adds `weight` times the moments of the single state `state`.
    pub fn add_state(&mut self, state: &[i8], weight: f64) {
        for (i, &a) in state.iter().enumerate() {
            let a = f64::from(a);
            self.means[i] += weight * a;
            if a != 0.0 {
                for (j, &b) in state.iter().enumerate() {
                    self.correlations[(i, j)] += weight * (a * f64::from(b));
                }
            }
        }
    }

    /// Adds `weight` times `other`.
    pub fn add(&mut self, other: &Moments, weight: f64) {
        self.means.axpy(weight, &other.means, 1.0);
        self.correlations.zip_apply(&other.correlations, |a, b| *a += weight * b);
    }

    /// The gradient `self − free`, `self` being the clamped-phase moments:
    /// the log-likelihood gradient of a Boltzmann machine.
    pub fn minus(&self, free: &Moments) -> Gradient {
        let mut couplings = &self.correlations - &free.correlations;
        couplings.fill_diagonal(0.0);
        Gradient { couplings, biases: &self.means - &free.means }
    }
}

/// The exact moments of the machine's Boltzmann distribution P(y) (the free
/// phase), by enumerating all N units.
pub fn exact_free_moments(machine: &BoltzmannMachine) -> Result<Moments> {
    boltzmann_moments(machine.model())
}

/// The moments of the Boltzmann distribution of `model` at T = 1, by enumeration.
fn boltzmann_moments(model: &impl DiscreteEnergy) -> Result<Moments> {
    let summary = exact::summarize(model, &ExactOptions::new().correlations(true).max_ground_states(0))?;
    let correlations =
        summary.correlations.ok_or_else(|| Error::invalid("exact summary", "no correlations"))?;
    Ok(Moments { means: DVector::from_vec(summary.means), correlations })
}

/// The exact clamped-phase moments averaged over `data`:
/// (1/|D|) Σ_{v∈D} E_{P(h|v)}\[y\] and E_{P(h|v)}\[y yᵀ\] with y = (v, h), by
/// enumerating the hidden units for each distinct v.
pub fn exact_clamped_moments(machine: &BoltzmannMachine, data: &[Vec<i8>]) -> Result<Moments> {
    check_data(machine, data)?;
    let (nv, n) = (machine.visible(), machine.units());
    let mut total = Moments::zeros(n);
    let weight = 1.0 / data.len() as f64;
    for v in data {
        let hidden = boltzmann_moments(&machine.hidden_given(v)?)?;
        // y yᵀ in blocks: v vᵀ, v ⟨h⟩ᵀ, ⟨h⟩ vᵀ and ⟨h hᵀ⟩.
        for i in 0..n {
            let mean_i = if i < nv { f64::from(v[i]) } else { hidden.means[i - nv] };
            total.means[i] += weight * mean_i;
            for j in 0..n {
                let product = match (i < nv, j < nv) {
                    (true, true) => f64::from(v[i]) * f64::from(v[j]),
                    (true, false) => f64::from(v[i]) * hidden.means[j - nv],
                    (false, true) => hidden.means[i - nv] * f64::from(v[j]),
                    (false, false) => hidden.correlations[(i - nv, j - nv)],
                };
                total.correlations[(i, j)] += weight * product;
            }
        }
    }
    Ok(total)
}

/// The exact gradient of the average log-likelihood of `data` (visible
/// configurations in the machine's domain):
///
/// ∂ℓ/∂W_ij = ⟨y_i y_j⟩_clamped − ⟨y_i y_j⟩_free,  ∂ℓ/∂b_i = ⟨y_i⟩_clamped − ⟨y_i⟩_free,
///
/// the clamped average taken over the data with h ~ P(h | v), the free one
/// over P(v, h); both by enumeration (small machines only).
pub fn exact_gradient(machine: &BoltzmannMachine, data: &[Vec<i8>]) -> Result<Gradient> {
    Ok(exact_clamped_moments(machine, data)?.minus(&exact_free_moments(machine)?))
}
