//! Periodic square lattices: the 2-D Ising model.

use crate::couplings::SparseCouplings;
use crate::error::{Error, Result, check_finite};
use crate::pairwise::SparsePairwise;
use crate::state::Domain;
use std::collections::BTreeMap;

/// Builder for the Ising model on a periodic `rows × cols` square lattice,
///
/// E(s) = −J Σ_⟨ij⟩ s_i s_j − h Σ_i s_i,
///
/// where ⟨ij⟩ runs over nearest-neighbour bonds (each once) with wrap-around
/// at the edges. Site (r, c) is unit `r * cols + c`. J > 0 is ferromagnetic.
/// The result is a [`SparsePairwise`] model over ±1 spins with W_ij = J on
/// bonds and b_i = h, so that −½ sᵀWs counts each bond once.
///
/// A periodic dimension of length 2 wraps onto the same neighbour from both
/// sides, so that bond appears twice in the sum and carries coupling 2J.
///
/// ```
/// use ebm_core::{SquareLattice, DiscreteEnergy};
/// let model = SquareLattice::new(4, 4).coupling(1.0).build()?;
/// assert_eq!(model.num_units(), 16);
/// // All spins up: 32 bonds, each contributing −J.
/// assert_eq!(model.energy(&[1; 16]), -32.0);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SquareLattice {
    rows: usize,
    cols: usize,
    coupling: f32,
    field: f32,
}

impl SquareLattice {
    /// A `rows × cols` lattice with J = 1 and h = 0.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self { rows, cols, coupling: 1.0, field: 0.0 }
    }

    /// An L × L lattice with J = 1 and h = 0.
    pub fn square(side: usize) -> Self {
        Self::new(side, side)
    }

    /// Sets the coupling J.
    pub fn coupling(mut self, coupling: f32) -> Self {
        self.coupling = coupling;
        self
    }

    /// Sets the external field h.
    pub fn field(mut self, field: f32) -> Self {
        self.field = field;
        self
    }

    /// The unit index of site (row, col).
    pub fn site(&self, row: usize, col: usize) -> usize {
        row * self.cols + col
    }

    /// Builds the model; both dimensions must be at least 2 and J, h finite.
    /// Checks the parameters — both dimensions at least 2, J and h finite,
    /// at most 2³² sites — and returns the number of sites.
    pub fn validate(&self) -> Result<usize> {
        if self.rows < 2 || self.cols < 2 {
            return Err(Error::invalid(
                "lattice size",
                format!(
                    "{}×{} has a dimension below 2 (a periodic chain of one site couples to itself)",
                    self.rows, self.cols
                ),
            ));
        }
        check_finite("lattice coupling J and field h", &[self.coupling, self.field])?;
        self.rows.checked_mul(self.cols).filter(|&n| n <= u32::MAX as usize).ok_or_else(|| Error::TooLarge {
            what: "lattice".into(),
            limit: u64::from(u32::MAX),
            found: (self.rows as u64).saturating_mul(self.cols as u64),
        })
    }

    /// Builds the model, after [`SquareLattice::validate`].
    pub fn build(&self) -> Result<SparsePairwise> {
        let units = self.validate()?;
        let mut bonds: BTreeMap<(usize, usize), f32> = BTreeMap::new();
        for r in 0..self.rows {
            for c in 0..self.cols {
                let here = self.site(r, c);
                for there in [self.site(r, (c + 1) % self.cols), self.site((r + 1) % self.rows, c)] {
                    *bonds.entry((here.min(there), here.max(there))).or_insert(0.0) += self.coupling;
                }
            }
        }
        let edges: Vec<_> = bonds.into_iter().map(|((i, j), w)| (i, j, w)).collect();
        let couplings = SparseCouplings::from_edges(units, &edges)?;
        SparsePairwise::new(Domain::Spin, couplings, vec![self.field; units])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::couplings::Couplings;
    use crate::energy::{DiscreteEnergy, PairwiseEnergy};

    #[test]
    fn every_site_has_four_neighbours() {
        let m = SquareLattice::new(3, 5).coupling(0.5).field(-0.25).build().unwrap();
        for i in 0..15 {
            assert_eq!(m.degree(i), 4);
            assert_eq!(m.couplings().row_sum(i), 2.0);
            assert_eq!(m.bias(i), -0.25);
        }
        // Site (0,0) neighbours (0,1), (0,4), (1,0), (2,0).
        assert_eq!(m.couplings().neighbours(0), &[1, 4, 5, 10]);
    }

    #[test]
    fn checkerboard_energy_is_the_ferromagnets_maximum() {
        let l = 4;
        let lat = SquareLattice::square(l);
        let m = lat.build().unwrap();
        let s: Vec<i8> = (0..l * l).map(|i| if (i / l + i % l) % 2 == 0 { 1 } else { -1 }).collect();
        assert_eq!(m.energy(&s), 2.0 * (l * l) as f64);
    }

    #[test]
    fn length_two_dimensions_double_the_bond() {
        let m = SquareLattice::new(2, 3).build().unwrap();
        // Vertical neighbours of site 0: site 3 from both sides.
        assert_eq!(m.coupling(0, 3), 2.0);
        assert_eq!(m.energy(&[1; 6]), -12.0);
    }

    #[test]
    fn refuses_bad_parameters() {
        assert!(SquareLattice::new(1, 5).build().is_err());
        assert!(SquareLattice::square(3).coupling(f32::NAN).build().is_err());
        assert!(SquareLattice::new(usize::MAX, 2).build().is_err());
    }
}
