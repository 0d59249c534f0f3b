//! Quadrature on a rectangular 2-D grid: log Z, normalised densities and the
//! KL divergence of continuous energies over the plane.
//!
//! For an energy E over ℝ² at temperature T the partition function
//! Z = ∫ exp(−E(x)/T) dx is approximated by the midpoint rule on the
//! `nx × ny` cells of a box [x₀, x₁] × [y₀, y₁] with centres c_ij and cell area
//! ΔA = (x₁ − x₀)(y₁ − y₀) / (nx·ny):
//!
//! ```text
//! log Z ≈ log ΔA + log Σ_ij exp(−E(c_ij)/T),
//! ```
//!
//! the sum taken as a log-sum-exp, so that energies of any size neither
//! overflow nor underflow. For a smooth density whose mass lies well inside
//! the box the error falls as ΔA (second order in the cell width), and much
//! faster for Gaussians, whose tails the midpoint rule integrates almost
//! exactly. Mass outside the box is not counted: choose the box to cover the
//! density.
//!
//! The energies are evaluated in blocks of rows through
//! [`ContinuousEnergy::energy_batch`], in parallel; the blocks are fixed and
//! combined in order, so the result is the same on any number of threads.
//!
//! ```
//! use ebm_core::{quadrature::Grid, Quadratic};
//! let energy = Quadratic::isotropic(vec![0.5, -0.5], 0.3)?;
//! let grid = Grid::new((-4.0, 4.0), (-4.0, 4.0), 200, 200)?;
//! let density = grid.density(&energy, 1.0)?;
//! // log Z of N(μ, 0.3 I) is log(2π · 0.3).
//! assert!((density.log_partition() - (2.0 * std::f64::consts::PI * 0.3).ln()).abs() < 1e-9);
//! # Ok::<(), ebm_core::Error>(())
//! ```

use crate::energy::ContinuousEnergy;
use crate::error::{Error, Result, check_positive};
use crate::math::LogSumExp;
use rayon::prelude::*;

/// The most cells a grid may have (2²⁴ ≈ 1.7·10⁷).
pub const MAX_CELLS: usize = 1 << 24;

/// Cells evaluated per parallel block (a fixed number, so that the result
/// does not depend on the number of threads).
const BLOCK: usize = 4096;

/// A box [x₀, x₁] × [y₀, y₁] cut into `nx × ny` equal cells.
///
/// Cells are numbered row by row from the bottom: cell k = j·nx + i has the
/// centre (x₀ + (i + ½)Δx, y₀ + (j + ½)Δy).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    x: (f64, f64),
    y: (f64, f64),
    nx: usize,
    ny: usize,
}

impl Grid {
    /// A grid over `x` = (x₀, x₁) and `y` = (y₀, y₁) with `nx × ny` cells;
    /// the bounds must be finite with x₀ < x₁, y₀ < y₁, and 1 ≤ nx·ny ≤ [`MAX_CELLS`].
    pub fn new(x: (f64, f64), y: (f64, f64), nx: usize, ny: usize) -> Result<Self> {
        for (name, (low, high)) in [("x range", x), ("y range", y)] {
            if !(low.is_finite() && high.is_finite() && low < high) {
                return Err(Error::invalid(
                    format!("quadrature grid {name}"),
                    format!("({low}, {high}) is not a finite interval with low < high"),
                ));
            }
        }
        let cells = nx.saturating_mul(ny);
        if nx == 0 || ny == 0 {
            return Err(Error::invalid("quadrature grid", "needs at least one cell in each direction"));
        }
        if cells > MAX_CELLS {
            return Err(Error::TooLarge {
                what: "quadrature grid (cells)".into(),
                limit: MAX_CELLS as u64,
                found: cells as u64,
            });
        }
        Ok(Self { x, y, nx, ny })
    }

    /// The square grid [−`half_width`, `half_width`]² with `n × n` cells.
    pub fn square(half_width: f64, n: usize) -> Result<Self> {
        check_positive("quadrature grid half width", half_width)?;
        Self::new((-half_width, half_width), (-half_width, half_width), n, n)
    }

    /// (nx, ny).
    pub fn shape(&self) -> (usize, usize) {
        (self.nx, self.ny)
    }

    /// The x range (x₀, x₁).
    pub fn x_range(&self) -> (f64, f64) {
        self.x
    }

    /// The y range (y₀, y₁).
    pub fn y_range(&self) -> (f64, f64) {
        self.y
    }

    /// The number of cells nx·ny.
    pub fn cells(&self) -> usize {
        self.nx * self.ny
    }

    /// The area ΔA of one cell.
    pub fn cell_area(&self) -> f64 {
        (self.x.1 - self.x.0) * (self.y.1 - self.y.0) / self.cells() as f64
    }

    /// The centre of cell k = j·nx + i.
    pub fn centre(&self, cell: usize) -> [f64; 2] {
        let (i, j) = (cell % self.nx, cell / self.nx);
        [
            self.x.0 + (i as f64 + 0.5) * (self.x.1 - self.x.0) / self.nx as f64,
            self.y.0 + (j as f64 + 0.5) * (self.y.1 - self.y.0) / self.ny as f64,
        ]
    }

    /// The centres of the cells `range`, row by row (two values each).
    fn centres(&self, range: std::ops::Range<usize>) -> Vec<f64> {
        range.flat_map(|k| self.centre(k)).collect()
    }

    /// The energies E(c_k) at every cell centre, in cell order, evaluated in
    /// parallel blocks. Refuses an energy whose dimension is not 2.
    pub fn energies<E: ContinuousEnergy + ?Sized>(&self, energy: &E) -> Result<Vec<f64>> {
        if energy.dim() != 2 {
            return Err(Error::shape("energy dimension for a 2-D quadrature grid", 2, energy.dim()));
        }
        let mut values = vec![0.0; self.cells()];
        values.par_chunks_mut(BLOCK).enumerate().for_each(|(b, out)| {
            let start = b * BLOCK;
            energy.energy_batch(&self.centres(start..start + out.len()), out);
        });
        Ok(values)
    }

    /// The Boltzmann density exp(−E/T)/Z of `energy` on this grid.
    ///
    /// Energies may be +∞ (zero density); NaN or −∞ anywhere, or +∞
    /// everywhere, is an error, as is a temperature that is not finite and > 0.
    pub fn density<E: ContinuousEnergy + ?Sized>(&self, energy: &E, temperature: f64) -> Result<GridDensity> {
        check_positive("temperature", temperature)?;
        let energies = self.energies(energy)?;
        GridDensity::from_energies(*self, &energies, temperature)
    }
}

/// A density on the cells of a [`Grid`]: log p(c_k) = −E(c_k)/T − log Z at
/// every centre, with log Z by the midpoint rule.
#[derive(Clone, Debug, PartialEq)]
pub struct GridDensity {
    grid: Grid,
    log_partition: f64,
    log_density: Vec<f64>,
}

impl GridDensity {
    /// The density with energies `energies` (one per cell, in cell order) at
    /// temperature T; see [`Grid::density`] for what is refused.
    pub fn from_energies(grid: Grid, energies: &[f64], temperature: f64) -> Result<Self> {
        check_positive("temperature", temperature)?;
        if energies.len() != grid.cells() {
            return Err(Error::shape("energies on the quadrature grid", grid.cells(), energies.len()));
        }
        if let Some(index) = energies.iter().position(|e| e.is_nan() || *e == f64::NEG_INFINITY) {
            return Err(Error::NonFinite {
                what: "energy on the quadrature grid".into(),
                index,
                value: energies[index],
            });
        }
        let mut sum = LogSumExp::new();
        energies.iter().for_each(|e| sum.add(-e / temperature));
        let log_sum = sum.value();
        if !log_sum.is_finite() {
            return Err(Error::invalid("energy on the quadrature grid", "it is +∞ in every cell"));
        }
        let log_partition = log_sum + grid.cell_area().ln();
        let log_density = energies.iter().map(|e| -e / temperature - log_partition).collect();
        Ok(Self { grid, log_partition, log_density })
    }

    /// The grid.
    pub fn grid(&self) -> &Grid {
        &self.grid
    }

    /// log Z ≈ log ΔA + log Σ_k exp(−E(c_k)/T).
    pub fn log_partition(&self) -> f64 {
        self.log_partition
    }

    /// log p(c_k) for every cell k (−∞ where the energy is +∞).
    pub fn log_density(&self) -> &[f64] {
        &self.log_density
    }

    /// KL(self ‖ other) = Σ_k p_k ΔA (log p_k − log q_k): the Kullback–Leibler
    /// divergence of `other` from `self` by the midpoint rule on the shared
    /// grid, each density renormalised to mass 1 on the grid so that the
    /// result is a divergence between two distributions over the cells
    /// (hence ≥ 0). It is +∞ where `other` vanishes and `self` does not.
    pub fn kl_divergence(&self, other: &GridDensity) -> Result<f64> {
        if self.grid != other.grid {
            return Err(Error::invalid("KL divergence", "the two densities live on different grids"));
        }
        let normalise = |d: &GridDensity| {
            let mut sum = LogSumExp::new();
            d.log_density.iter().for_each(|&v| sum.add(v));
            sum.value()
        };
        let (p_norm, q_norm) = (normalise(self), normalise(other));
        let mut kl = 0.0;
        for (&lp, &lq) in self.log_density.iter().zip(&other.log_density) {
            let lp = lp - p_norm;
            if lp == f64::NEG_INFINITY {
                continue;
            }
            kl += lp.exp() * (lp - (lq - q_norm));
        }
        Ok(kl.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Quadratic;
    use nalgebra::DMatrix;
    use proptest::prelude::*;

    #[test]
    fn refuses_bad_grids_and_energies() {
        assert!(Grid::new((1.0, 0.0), (0.0, 1.0), 4, 4).is_err());
        assert!(Grid::new((0.0, f64::NAN), (0.0, 1.0), 4, 4).is_err());
        assert!(Grid::new((0.0, 1.0), (0.0, 1.0), 0, 4).is_err());
        assert!(matches!(Grid::new((0.0, 1.0), (0.0, 1.0), 1 << 13, 1 << 13), Err(Error::TooLarge { .. })));
        assert!(matches!(Grid::new((0.0, 1.0), (0.0, 1.0), usize::MAX, 2), Err(Error::TooLarge { .. })));
        let grid = Grid::square(1.0, 4).unwrap();
        let one_d = Quadratic::isotropic(vec![0.0], 1.0).unwrap();
        assert!(matches!(grid.density(&one_d, 1.0), Err(Error::ShapeMismatch { .. })));
        let mut energies = vec![0.0; 16];
        energies[3] = f64::NAN;
        assert!(GridDensity::from_energies(grid, &energies, 1.0).is_err());
        assert!(GridDensity::from_energies(grid, &[f64::INFINITY; 16], 1.0).is_err());
        assert!(GridDensity::from_energies(grid, &[0.0; 15], 1.0).is_err());
        assert!(GridDensity::from_energies(grid, &[0.0; 16], 0.0).is_err());
    }

    #[test]
    fn centres_are_the_midpoints_of_cells_numbered_from_the_bottom_row() {
        let grid = Grid::new((0.0, 4.0), (-1.0, 1.0), 4, 2).unwrap();
        assert_eq!(grid.centre(0), [0.5, -0.5]);
        assert_eq!(grid.centre(3), [3.5, -0.5]);
        assert_eq!(grid.centre(4), [0.5, 0.5]);
        assert_eq!(grid.cell_area(), 1.0);
    }

    #[test]
    fn a_uniform_energy_has_the_log_area_and_zero_divergence_from_itself() {
        struct Flat;
        impl ContinuousEnergy for Flat {
            fn dim(&self) -> usize {
                2
            }
            fn energy(&self, _x: &[f64]) -> f64 {
                3.0
            }
        }
        let grid = Grid::new((0.0, 2.0), (0.0, 3.0), 7, 5).unwrap();
        let density = grid.density(&Flat, 1.5).unwrap();
        assert!((density.log_partition() - (6.0f64.ln() - 2.0)).abs() < 1e-12);
        assert_eq!(density.kl_divergence(&density).unwrap(), 0.0);
    }

    #[test]
    fn divergence_is_infinite_where_the_second_density_vanishes() {
        let grid = Grid::new((0.0, 2.0), (0.0, 1.0), 2, 1).unwrap();
        let p = GridDensity::from_energies(grid, &[0.0, 0.0], 1.0).unwrap();
        let q = GridDensity::from_energies(grid, &[0.0, f64::INFINITY], 1.0).unwrap();
        assert_eq!(p.kl_divergence(&q).unwrap(), f64::INFINITY);
        // KL(q ‖ p) = log 2: q puts all its mass on one of p's two equal cells.
        assert!((q.kl_divergence(&p).unwrap() - 2.0f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn the_result_does_not_depend_on_the_number_of_threads() {
        let energy = Quadratic::isotropic(vec![0.3, -0.2], 0.7).unwrap();
        let grid = Grid::square(5.0, 301).unwrap();
        let on = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| grid.density(&energy, 1.3).unwrap())
        };
        let one = on(1);
        assert_eq!(one, on(3));
        assert_eq!(one, on(2));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// The quadrature log Z of a Gaussian energy equals the closed form
        /// (d/2) log(2πT) − ½ log det A, and the KL divergence between two
        /// Gaussians equals ½(tr(Σ₂⁻¹Σ₁) + Δμᵀ Σ₂⁻¹ Δμ − 2 + log(det Σ₂ / det Σ₁)).
        #[test]
        fn gaussian_log_partition_and_divergence_match_closed_forms(
            a in 1.0f64..3.0, b in -0.4f64..0.4, c in 1.0f64..3.0,
            m in prop::collection::vec(-0.5f64..0.5, 4),
            t in 0.5f64..1.5,
        ) {
            let precision = DMatrix::from_row_slice(2, 2, &[a, b, b, c]);
            let first = Quadratic::new(m[..2].to_vec(), precision).unwrap();
            let second = Quadratic::isotropic(m[2..].to_vec(), 1.5).unwrap();
            let grid = Grid::square(9.0, 240).unwrap();
            let density = grid.density(&first, t).unwrap();
            let exact = first.log_partition(t).unwrap();
            prop_assert!((density.log_partition() - exact).abs() < 1e-8, "{} vs {}", density.log_partition(), exact);
            let s1 = first.covariance(t);
            let s2 = second.covariance(t);
            let s2_inv = s2.clone().try_inverse().unwrap();
            let dm = nalgebra::DVector::from_column_slice(&[m[0] - m[2], m[1] - m[3]]);
            let exact_kl = 0.5 * ((&s2_inv * &s1).trace() + (dm.transpose() * &s2_inv * &dm)[0] - 2.0
                + (s2.determinant() / s1.determinant()).ln());
            let kl = density.kl_divergence(&grid.density(&second, t).unwrap()).unwrap();
            prop_assert!((kl - exact_kl).abs() < 1e-6, "{} vs {}", kl, exact_kl);
        }
    }
}
