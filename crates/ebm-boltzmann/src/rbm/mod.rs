//! The Bernoulli–Bernoulli restricted Boltzmann machine.
//!
//! Visible units v ∈ {0,1}ⁿᵛ and hidden units h ∈ {0,1}ⁿʰ interact only
//! across the layers:
//!
//! E(v, h) = −vᵀWh − aᵀv − bᵀh,
//!
//! so each layer is conditionally independent given the other:
//!
//! P(h_j = 1 | v) = σ(b_j + Σ_i v_i W_ij),  P(v_i = 1 | h) = σ(a_i + Σ_j W_ij h_j).
//!
//! Summing out h gives the free energy F(v) = −aᵀv − Σ_j softplus(b_j + (vᵀW)_j)
//! with P(v) = e^{−F(v)}/Z. Parameters are f32; sums over many terms (free
//! energies, log Z) are taken in f64.
//!
//! Its partition function is exact in [`partition`] (enumerating the
//! smaller layer) and estimated in [`ais`] (annealed importance sampling).
//!
//! [`LabelledRbm`] adds a softmax group of label units: P(y | v) exactly,
//! and P(v | y) by Gibbs sampling with the label clamped.
//!
//! [`GaussianRbm`] ([`gaussian`]) has real visible units with a variance
//! each: exact log Z over the hidden layer, and AIS.

pub mod ais;
mod draw;
pub mod gaussian;
mod labelled;
mod model;
pub mod partition;

pub use draw::{draw_columns, draw_units, skip_draw};
pub use gaussian::GaussianRbm;
pub use labelled::{LabelledParameters, LabelledRbm};
pub use model::BernoulliRbm;
