//! Frustrated spin glasses with a planted ground state: test instances for
//! annealers and other optimisers far beyond the reach of enumeration.
//!
//! The construction (frustrated-loop planting, after Hen et al., *Probing for
//! quantum speedup in spin-glass problems with planted solutions*, 2015):
//! draw a hidden configuration t ∈ {±1}ᴺ and M simple cycles of the periodic
//! L×C square lattice. Along each cycle ℓ put the coupling J_ij = t_i t_j on
//! every edge but one, chosen at random, which gets −t_i t_j. The energy
//!
//! E(s) = −Σ_ℓ Σ_{(i,j) ∈ ℓ} J^ℓ_ij s_i s_j
//!
//! is a sum of one term per cycle. Around a cycle the product of the
//! couplings is negative (the cycle is *frustrated*), so every configuration
//! leaves an odd number — at least one — of its edges unsatisfied:
//! E_ℓ(s) ≥ −(|ℓ| − 2). The planted t leaves exactly the one flipped edge
//! unsatisfied, so it reaches every term's minimum at once, and
//!
//! E₀ = −Σ_ℓ (|ℓ| − 2)
//!
//! is the ground-state energy (t and −t are ground states; others may tie).
//! Overlapping cycles add their couplings, which makes the landscape rugged:
//! with a few cycles per spin a single-flip descent from a random start
//! stalls far above E₀.
//!
//! ```
//! use ebm_core::planted::PlantedLoops;
//! use ebm_core::DiscreteEnergy;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
//! let instance = PlantedLoops::new(8, 8).loops_per_unit(0.6).sample(&mut rng)?;
//! assert_eq!(instance.model.num_units(), 64);
//! assert_eq!(instance.model.energy(&instance.planted), instance.ground_energy);
//! # Ok::<(), ebm_core::Error>(())
//! ```

use crate::couplings::SparseCouplings;
use crate::error::{Error, Result};
use crate::pairwise::SparsePairwise;
use crate::state::Domain;
use rand::{Rng, RngExt};
use std::collections::BTreeMap;

/// Builder of a frustrated-loop instance on the periodic `rows × cols`
/// square lattice (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlantedLoops {
    rows: usize,
    cols: usize,
    loops_per_unit: f64,
    min_length: usize,
}

/// A sampled instance: the model, its planted ground state and the ground energy.
#[derive(Clone, Debug)]
pub struct PlantedInstance {
    /// E(s) = −½ sᵀWs over ±1 spins, couplings on lattice edges only.
    pub model: SparsePairwise,
    /// The hidden configuration t: a ground state (so is −t).
    pub planted: Vec<i8>,
    /// E(t), the lowest energy any configuration reaches.
    pub ground_energy: f64,
    /// How many cycles were planted.
    pub loops: usize,
}

/// Random walks give up on a cycle after this many steps (a safeguard; on a
/// lattice a walk closes a cycle within a few tens of steps).
const MAX_WALK: usize = 10_000;

impl PlantedLoops {
    /// A `rows × cols` periodic lattice, 0.5 cycles per spin of length ≥ 6.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self { rows, cols, loops_per_unit: 0.5, min_length: 6 }
    }

    /// Sets α = M / N, the number of planted cycles per spin.
    pub fn loops_per_unit(mut self, alpha: f64) -> Self {
        self.loops_per_unit = alpha;
        self
    }

    /// Sets the shortest cycle kept (at least 4, the plaquette).
    pub fn min_length(mut self, length: usize) -> Self {
        self.min_length = length;
        self
    }

    fn validate(&self) -> Result<()> {
        if self.rows < 3 || self.cols < 3 {
            return Err(Error::invalid(
                "lattice",
                format!("a periodic {}×{} lattice needs at least 3 rows and 3 columns", self.rows, self.cols),
            ));
        }
        if self.rows.checked_mul(self.cols).is_none_or(|n| n > 1 << 24) {
            return Err(Error::invalid("lattice", "more than 2²⁴ spins".to_string()));
        }
        if !(self.loops_per_unit.is_finite() && self.loops_per_unit > 0.0 && self.loops_per_unit <= 100.0) {
            return Err(Error::invalid(
                "loops per unit",
                format!("{} is not in (0, 100]", self.loops_per_unit),
            ));
        }
        if !(4..=self.rows * self.cols).contains(&self.min_length) {
            return Err(Error::invalid(
                "minimum cycle length",
                format!("{} is not between 4 and the number of spins", self.min_length),
            ));
        }
        Ok(())
    }

    /// The four lattice neighbours of site `i` (periodic).
    fn neighbours(&self, i: usize) -> [usize; 4] {
        let (r, c) = (i / self.cols, i % self.cols);
        let at = |r: usize, c: usize| r * self.cols + c;
        [
            at((r + 1) % self.rows, c),
            at((r + self.rows - 1) % self.rows, c),
            at(r, (c + 1) % self.cols),
            at(r, (c + self.cols - 1) % self.cols),
        ]
    }

    /// One simple cycle: a non-backtracking random walk from a random site
    /// until it steps on its own trail; the loop it closes is the cycle.
    /// `None` if the loop is shorter than the minimum (the caller draws again).
    fn cycle<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<Vec<usize>> {
        let n = self.rows * self.cols;
        let mut position = vec![usize::MAX; n];
        let mut path = vec![rng.random_range(0..n)];
        position[path[0]] = 0;
        for _ in 0..MAX_WALK {
            let here = path[path.len() - 1];
            let previous = path.len().checked_sub(2).map(|k| path[k]);
            let next = loop {
                let candidate = self.neighbours(here)[rng.random_range(0..4)];
                if Some(candidate) != previous {
                    break candidate;
                }
            };
            if position[next] != usize::MAX {
                let cycle = path.split_off(position[next]);
                return (cycle.len() >= self.min_length).then_some(cycle);
            }
            position[next] = path.len();
            path.push(next);
        }
        None
    }

    /// Draws the planted state, the cycles and the couplings.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<PlantedInstance> {
        self.validate()?;
        let n = self.rows * self.cols;
        let planted: Vec<i8> = (0..n).map(|_| if rng.random::<bool>() { 1 } else { -1 }).collect();
        let loops = ((self.loops_per_unit * n as f64).round() as usize).max(1);
        let mut couplings: BTreeMap<(usize, usize), f32> = BTreeMap::new();
        let mut ground_energy = 0.0;
        let mut planted_loops = 0;
        while planted_loops < loops {
            let Some(cycle) = self.cycle(rng) else { continue };
            let frustrated = rng.random_range(0..cycle.len());
            for (k, &i) in cycle.iter().enumerate() {
                let j = cycle[(k + 1) % cycle.len()];
                let satisfied = f32::from(planted[i] * planted[j]);
                let coupling = if k == frustrated { -satisfied } else { satisfied };
                *couplings.entry((i.min(j), i.max(j))).or_insert(0.0) += coupling;
            }
            ground_energy -= (cycle.len() - 2) as f64;
            planted_loops += 1;
        }
        let edges: Vec<(usize, usize, f32)> =
            couplings.into_iter().filter(|&(_, w)| w != 0.0).map(|((i, j), w)| (i, j, w)).collect();
        let model = SparsePairwise::new(Domain::Spin, SparseCouplings::from_edges(n, &edges)?, vec![0.0; n])?;
        Ok(PlantedInstance { model, planted, ground_energy, loops })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DiscreteEnergy, exact};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// On lattices small enough to enumerate, the planted energy is the
        /// exact ground energy and the planted state one of the ground states.
        #[test]
        fn planted_state_is_a_ground_state(seed in any::<u64>(), rows in 3usize..5, cols in 3usize..5, alpha in 0.2..1.5f64) {
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            let instance = PlantedLoops::new(rows, cols).loops_per_unit(alpha).min_length(4).sample(&mut rng).unwrap();
            let (ground, states) = exact::ground_states(&instance.model, 4096).unwrap();
            prop_assert!((ground - instance.ground_energy).abs() < 1e-9, "{} vs {}", ground, instance.ground_energy);
            prop_assert!((instance.model.energy(&instance.planted) - ground).abs() < 1e-9);
            let negated: Vec<i8> = instance.planted.iter().map(|s| -s).collect();
            prop_assert!(states.contains(&instance.planted) || states.len() == 4096);
            prop_assert!((instance.model.energy(&negated) - ground).abs() < 1e-9);
        }

        /// Every cycle is simple, so each planted cycle contributes its length − 2.
        #[test]
        fn planted_energy_is_the_sum_over_cycles(seed in any::<u64>()) {
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            let instance = PlantedLoops::new(8, 8).sample(&mut rng).unwrap();
            prop_assert_eq!(instance.model.energy(&instance.planted), instance.ground_energy);
            prop_assert_eq!(instance.loops, 32);
            prop_assert!(instance.ground_energy <= -4.0 * 32.0);
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut rng = Pcg64Mcg::seed_from_u64(0);
        assert!(PlantedLoops::new(2, 8).sample(&mut rng).is_err());
        assert!(PlantedLoops::new(8, 8).loops_per_unit(f64::NAN).sample(&mut rng).is_err());
        assert!(PlantedLoops::new(8, 8).loops_per_unit(0.0).sample(&mut rng).is_err());
        assert!(PlantedLoops::new(8, 8).min_length(3).sample(&mut rng).is_err());
        assert!(PlantedLoops::new(usize::MAX, 8).sample(&mut rng).is_err());
    }
}
