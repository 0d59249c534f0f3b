//! Cluster updates for ferromagnets: Wolff and Swendsen–Wang.
//!
//! Single-spin samplers slow down dramatically near a critical point: the
//! integrated autocorrelation time grows like ξ^z with z ≈ 2.17 for the 2-D
//! Ising model, ξ the correlation length. Cluster algorithms flip whole
//! correlated regions at once and reduce z to about 0.25 (Swendsen–Wang) or
//! less (Wolff). They apply to zero-field ferromagnets over ±1 spins,
//!
//! E(s) = −Σ_{i<j} w_ij s_i s_j,  w_ij ≥ 0,
//!
//! given as any [`PairwiseEnergy`](ebm_core::PairwiseEnergy) (lattices from
//! [`SquareLattice`](ebm_core::SquareLattice), general sparse or dense
//! models); the constructors refuse every other model with an error that
//! says why.
//!
//! # The Fortuin–Kasteleyn representation
//!
//! With K_ij = w_ij / T, every bond's Boltzmann factor splits in two terms,
//!
//! e^{K_ij s_i s_j} = e^{K_ij} [(1 − p_ij) + p_ij δ(s_i, s_j)],  p_ij = 1 − e^{−2K_ij}:
//!
//! for s_i = s_j the bracket is 1, and for s_i ≠ s_j it is 1 − p_ij = e^{−2K_ij},
//! which with the prefactor gives e^{−K_ij}, as it must. Expanding the
//! product over bonds introduces a bond variable b_ij ∈ {0, 1} for each term
//! and gives the Edwards–Sokal joint distribution
//!
//! P(s, b) ∝ Π_{ij} [(1 − p_ij)(1 − b_ij) + p_ij b_ij δ(s_i, s_j)],
//!
//! whose marginal over s is the Boltzmann distribution P(s) ∝ e^{−E(s)/T}
//! (and which requires p_ij ∈ [0, 1], i.e. w_ij ≥ 0 — hence ferromagnets
//! only). Its two conditionals are simple:
//!
//! - given s, the bonds are independent: b_ij = 1 with probability p_ij if
//!   s_i = s_j and b_ij = 0 otherwise;
//! - given b, every connected component of the active bonds must be
//!   aligned, and each is +1 or −1 with probability ½, independently
//!   (zero field: no energy distinguishes the two).
//!
//! [`SwendsenWang`] alternates the two draws; [`Wolff`] grows only the
//! component of one random site and always flips it. Both satisfy detailed
//! balance with respect to P(s); the tests check this exactly, by
//! enumerating every bond configuration of small models.
//!
//! Both are [`Sweep`](crate::Sweep)s for the chain runner: one
//! Swendsen–Wang update is a sweep, and [`WolffSweeps`] groups Wolff updates
//! into sweeps of about N flipped spins, calibrated on the chain.
//!
//! ```
//! use ebm_core::SquareLattice;
//! use ebm_mcmc::{cluster::SwendsenWang, rng::seeded};
//!
//! // Far below T_c ≈ 2.269 almost every aligned bond is active: an ordered
//! // state stays ordered (up to a global flip).
//! let model = SquareLattice::square(8).build()?;
//! let mut sw = SwendsenWang::new(&model, 1.0)?;
//! let mut spins = vec![1i8; 64];
//! let mut rng = seeded(1);
//! sw.run(&mut spins, &mut rng, 100)?;
//! let m: i32 = spins.iter().map(|&s| i32::from(s)).sum();
//! assert!(m.abs() > 56);
//! # Ok::<(), ebm_core::Error>(())
//! ```

mod bonds;
mod stats;
mod swendsen_wang;
#[cfg(test)]
mod tests;
mod union_find;
mod wolff;
mod wolff_sweeps;

pub use stats::ClusterStats;
pub use swendsen_wang::SwendsenWang;
pub use wolff::Wolff;
pub use wolff_sweeps::WolffSweeps;
