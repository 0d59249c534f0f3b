//! A specialised single-site sampler for the periodic square-lattice Ising
//! model: the same Markov chain as [`crate::SingleSite`] on the model
//! `SquareLattice::new(rows, cols).coupling(J).field(h)`, several times faster.
//!
//! On the lattice the local field of a spin takes only five values,
//! h = J m + h_ext with m = Σ_neighbours s_j ∈ {−4, −2, 0, 2, 4}, so every
//! acceptance probability — min(1, e^{−2 s h/T}) for Metropolis,
//! σ(2h/T) for the heat bath — is tabulated once per temperature as a
//! threshold t = ⌊p·2⁶³⌋, and an update costs one 63-bit random integer r,
//! the branch-free comparison r < t (exact for p = 0 and p = 1) and four
//! neighbour reads.

use crate::metropolis;
use crate::single_site::Rule;
use crate::sweep::{Sweep, SweepStats};
use ebm_core::error::check_positive;
use ebm_core::{Domain, Error, Result, SquareLattice};
use rand::Rng;
use std::cell::Cell;

/// 2⁶³: the number of values of a 63-bit random integer.
const SCALE: f64 = 9_223_372_036_854_775_808.0;

/// The probability p as a threshold t = ⌊p·2⁶³⌋, so that P(r < t) = p up to
/// 2⁻⁶³ for a uniform 63-bit r; p = 1 gives 2⁶³, which every r is below.
fn threshold(p: f64) -> u64 {
    if p >= 1.0 { 1 << 63 } else { (p.max(0.0) * SCALE) as u64 }
}

/// The order in which a sweep visits the sites.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Row by row, left to right: the order of [`crate::Scan::Sequential`],
    /// so the chain is step for step the generic sampler's.
    #[default]
    Typewriter,
    /// First every site with r + c even, then every site with r + c odd
    /// (each pass in typewriter order). On even dimensions no two sites of
    /// one pass are neighbours, so consecutive updates do not wait on each
    /// other and the processor overlaps them; any fixed order of single-site
    /// updates leaves the Boltzmann distribution invariant.
    Checkerboard,
}

/// Sweeps of a periodic `rows × cols` Ising lattice.
#[derive(Clone, Debug, PartialEq)]
pub struct LatticeSweeper {
    rows: usize,
    cols: usize,
    coupling: f32,
    field: f32,
    rule: Rule,
    order: Order,
    temperature: f64,
    /// Thresholds indexed by 2k + u, k = m/2 + 2 and u = 1 for an up spin
    /// (Metropolis: to flip; Gibbs, u = 0 only: to set the spin up). Sixteen
    /// entries so that an index masked with 15 needs no bounds check.
    table: [u64; 16],
}

impl LatticeSweeper {
    /// A sweeper for E(s) = −J Σ_⟨ij⟩ s_i s_j − h Σ_i s_i at temperature T.
    /// Both dimensions must be at least 2, as for [`SquareLattice`].
    pub fn new(
        rows: usize,
        cols: usize,
        coupling: f32,
        field: f32,
        rule: Rule,
        temperature: f64,
    ) -> Result<Self> {
        SquareLattice::new(rows, cols).coupling(coupling).field(field).validate()?;
        check_positive("temperature", temperature)?;
        let mut table = [0; 16];
        for (k, m) in [-4.0, -2.0, 0.0, 2.0, 4.0].into_iter().enumerate() {
            let h = f64::from(coupling) * m + f64::from(field);
            match rule {
                Rule::Metropolis => {
                    for (up, s) in [(0, -1.0), (1, 1.0)] {
                        // ΔE = 2 s h for flipping spin s in field h.
                        table[2 * k + up] = threshold(metropolis::probability(-2.0 * s * h / temperature));
                    }
                }
                Rule::Gibbs => table[2 * k] = threshold(Domain::Spin.on_probability(h, 1.0 / temperature)),
            }
        }
        Ok(Self { rows, cols, coupling, field, rule, order: Order::Typewriter, temperature, table })
    }

    /// Sets the visiting order.
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// The model this sweeper samples, as a lattice builder.
    pub fn lattice(&self) -> SquareLattice {
        SquareLattice::new(self.rows, self.cols).coupling(self.coupling).field(self.field)
    }

    /// The temperature.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// One sweep over `spins` (±1, site (r, c) at r·cols + c); returns the
    /// number of flips. (The [`Sweep`] form reports the site updates too.)
    pub fn sweep<R: Rng + ?Sized>(&self, spins: &mut [i8], rng: &mut R) -> Result<usize> {
        let (rows, cols) = (self.rows, self.cols);
        if spins.len() != rows * cols {
            return Err(Error::ShapeMismatch {
                what: "lattice spins".into(),
                expected: rows * cols,
                found: spins.len(),
            });
        }
        if let Some(i) = spins.iter().position(|&s| s != 1 && s != -1) {
            return Err(Error::Invalid {
                what: "lattice spins".into(),
                reason: format!("site {i} holds {}", spins[i]),
            });
        }
        let table = self.table;
        let flips = match self.rule {
            Rule::Metropolis => self.sweep_rows(spins, rng, |site, k, r| {
                // Branch-free: acceptance near ½ would make a branch unpredictable.
                let flip = i8::from(r < table[(2 * k + usize::from(site > 0)) & 15]);
                // Two's-complement negation when flip = 1: (s ⊕ −1) + 1 = −s.
                (site ^ -flip) + flip
            }),
            Rule::Gibbs => self.sweep_rows(spins, rng, |_, k, r| 2 * i8::from(r < table[(2 * k) & 15]) - 1),
        };
        Ok(flips)
    }

    /// Visits the sites in the sweeper's order, replacing each spin by
    /// `update(spin, k, r)` with k = (neighbour sum + 4)/2 and r a 63-bit random
    /// integer drawn for every site; returns the number of changed spins.
    #[inline(always)]
    fn sweep_rows<R: Rng + ?Sized>(
        &self,
        spins: &mut [i8],
        rng: &mut R,
        update: impl Fn(i8, usize, u64) -> i8,
    ) -> usize {
        let (rows, cols) = (self.rows, self.cols);
        let (passes, step) = match self.order {
            Order::Typewriter => (1, 1),
            Order::Checkerboard => (2, 2),
        };
        let mut flips = 0;
        // Cells let the three rows be read as slices while the middle one is written;
        // indices below `cols` into slices of length `cols` need no bounds checks.
        let cells = Cell::from_mut(spins).as_slice_of_cells();
        for pass in 0..passes {
            for r in 0..rows {
                let above = &cells[if r == 0 { rows - 1 } else { r - 1 } * cols..][..cols];
                let below = &cells[if r + 1 == rows { 0 } else { r + 1 } * cols..][..cols];
                let row = &cells[r * cols..][..cols];
                let mut c = if step == 2 { (r + pass) % 2 } else { 0 };
                while c < cols {
                    let left = if c == 0 { cols - 1 } else { c - 1 };
                    let right = if c + 1 == cols { 0 } else { c + 1 };
                    let m = above[c].get() + below[c].get() + row[left].get() + row[right].get();
                    let site = row[c].get();
                    let new = update(site, ((m + 4) >> 1) as usize, rng.next_u64() >> 1);
                    flips += usize::from(new != site);
                    row[c].set(new);
                    c += step;
                }
            }
        }
        flips
    }
}

impl Sweep<[i8]> for LatticeSweeper {
    type Stats = SweepStats;

    /// [`LatticeSweeper::sweep`]: every site updated once.
    fn sweep<R: Rng + ?Sized>(&mut self, spins: &mut [i8], rng: &mut R) -> Result<SweepStats> {
        let flips = LatticeSweeper::sweep(self, spins, rng)?;
        Ok(SweepStats { updates: self.rows * self.cols, flips })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::{StateHistogram, expected_total_variation};
    use crate::rng::stream;
    use crate::{PairwiseChain, SingleSite};
    use ebm_core::{DiscreteEnergy, Domain, exact};
    use rand::RngExt;

    #[test]
    fn matches_the_exact_distribution_including_doubled_bonds() {
        for (rows, cols, j, h, t) in [(3, 3, 1.0, 0.2, 2.0), (2, 3, -0.7, 0.0, 1.5), (2, 2, 0.5, -0.4, 1.0)] {
            let model = SquareLattice::new(rows, cols).coupling(j).field(h).build().unwrap();
            let exact = exact::probabilities(&model, t).unwrap();
            for (rule, order) in [
                (Rule::Metropolis, Order::Typewriter),
                (Rule::Gibbs, Order::Typewriter),
                (Rule::Metropolis, Order::Checkerboard),
                (Rule::Gibbs, Order::Checkerboard),
            ] {
                let sweeper = LatticeSweeper::new(rows, cols, j, h, rule, t).unwrap().order(order);
                let mut histogram = StateHistogram::new(rows * cols, Domain::Spin).unwrap();
                let chains = 12_000;
                for c in 0..chains {
                    let mut rng = stream(1, c);
                    let mut spins: Vec<i8> =
                        (0..rows * cols).map(|_| if rng.random() { 1 } else { -1 }).collect();
                    // Sequential Metropolis relaxes slowly on the ordered 3×3 lattice; 200 sweeps suffice.
                    for _ in 0..200 {
                        sweeper.sweep(&mut spins, &mut rng).unwrap();
                    }
                    histogram.add(&spins);
                }
                let tv = histogram.total_variation(&exact).unwrap();
                let iid = expected_total_variation(&exact, chains as f64);
                assert!(tv < 2.0 * iid, "{rows}×{cols} {rule:?} {order:?}: TV {tv} vs iid {iid}");
            }
        }
    }

    #[test]
    fn is_the_same_chain_as_the_generic_single_site_sampler() {
        // Same model, rule, scan order and random stream: identical trajectories.
        let model = SquareLattice::new(5, 4).coupling(0.8).field(-0.3).build().unwrap();
        for (rule, generic) in
            [(Rule::Metropolis, SingleSite::metropolis()), (Rule::Gibbs, SingleSite::gibbs())]
        {
            let sweeper = LatticeSweeper::new(5, 4, 0.8, -0.3, rule, 1.7).unwrap();
            let (mut fast_rng, mut generic_rng) = (stream(4, 0), stream(4, 0));
            let mut chain = PairwiseChain::random(&model, &mut generic_rng);
            let mut spins: Vec<i8> = (0..20).map(|_| if fast_rng.random() { 1 } else { -1 }).collect();
            for sweep in 0..300 {
                sweeper.sweep(&mut spins, &mut fast_rng).unwrap();
                generic.sweep(&mut chain, 1.7, &mut generic_rng).unwrap();
                assert_eq!(chain.state(), &spins[..], "{rule:?}: trajectories part at sweep {sweep}");
            }
        }
    }

    #[test]
    fn mean_energy_matches_kaufman_on_a_16x16_lattice() {
        // ⟨E⟩ = T² ∂log Z/∂T, with log Z from Kaufman's exact formula.
        let (side, t) = (16, 3.0);
        let exact_mean = ebm_core::kaufman::ising_mean_energy(side, side, 1.0, t).unwrap();
        let model = SquareLattice::square(side).build().unwrap();
        let sweeper = LatticeSweeper::new(side, side, 1.0, 0.0, Rule::Metropolis, t)
            .unwrap()
            .order(Order::Checkerboard);
        let mut rng = stream(3, 0);
        let mut spins = vec![1i8; side * side];
        for _ in 0..500 {
            sweeper.sweep(&mut spins, &mut rng).unwrap();
        }
        // 40 batch means of 500 sweeps each: far longer than the correlation time above T_c.
        let batch_means: Vec<f64> = (0..40)
            .map(|_| {
                (0..500)
                    .map(|_| {
                        sweeper.sweep(&mut spins, &mut rng).unwrap();
                        model.energy(&spins)
                    })
                    .sum::<f64>()
                    / 500.0
            })
            .collect();
        let mean = batch_means.iter().sum::<f64>() / 40.0;
        let var = batch_means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / 39.0;
        let standard_error = (var / 40.0).sqrt();
        assert!(
            (mean - exact_mean).abs() < 5.0 * standard_error + 1e-6 * exact_mean.abs(),
            "⟨E⟩ sampled {mean} ± {standard_error}, exact {exact_mean}"
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(LatticeSweeper::new(1, 4, 1.0, 0.0, Rule::Gibbs, 1.0).is_err());
        assert!(LatticeSweeper::new(4, 4, f32::NAN, 0.0, Rule::Gibbs, 1.0).is_err());
        assert!(LatticeSweeper::new(4, 4, 1.0, 0.0, Rule::Gibbs, 0.0).is_err());
        let sweeper = LatticeSweeper::new(2, 2, 1.0, 0.0, Rule::Metropolis, 1.0).unwrap();
        let mut rng = stream(0, 0);
        assert!(sweeper.sweep(&mut [1, 1, 1], &mut rng).is_err());
        assert!(sweeper.sweep(&mut [1, 0, 1, 1], &mut rng).is_err());
    }
}
