//! Wolff updates grouped into sweeps, with the group size calibrated from
//! the mean cluster size.

use super::{ClusterStats, Wolff};
use crate::sweep::Sweep;
use ebm_core::{Error, Result};
use rand::Rng;

/// [`Wolff`] updates counted in sweeps, so that a Wolff chain is measured
/// at the same pace as a single-spin one: a sweep is a fixed number n of
/// cluster updates flipping about N spins in all.
///
/// A Wolff update flips one cluster of mean size ⟨|C|⟩ (which depends on
/// the temperature, from 1 at T → ∞ to N at T → 0), so
///
/// n = ⌈N / ⟨|C|⟩⌉ = ⌈N · updates / flipped⌉,  at least 1,
///
/// with ⟨|C|⟩ measured on the chain. n must then stay fixed: ending each
/// sweep once N spins have flipped would make the times at which the chain
/// is measured depend on the cluster sizes, which biases every average.
///
/// [`WolffSweeps::calibrated`] measures ⟨|C|⟩ during the burn-in: each of
/// its first max(1, c) sweeps is a single update, and n is fixed at the end
/// of the last of them from the clusters of all of them. Later sweeps make n
/// updates each. [`WolffSweeps::fixed`] takes n as given.
#[derive(Clone, Debug, PartialEq)]
pub struct WolffSweeps {
    wolff: Wolff,
    /// n, once known.
    per_sweep: Option<usize>,
    /// The sweeps that calibrate n (at least 1 is made).
    calibration_sweeps: usize,
    /// Calibration so far: sweeps (= updates) made and spins flipped.
    updates: usize,
    flipped: usize,
}

impl WolffSweeps {
    /// Sweeps whose size is calibrated on the chain over its first
    /// max(1, `calibration_sweeps`) sweeps — the burn-in, typically.
    pub fn calibrated(wolff: Wolff, calibration_sweeps: usize) -> Self {
        Self { wolff, per_sweep: None, calibration_sweeps, updates: 0, flipped: 0 }
    }

    /// Sweeps of `updates_per_sweep` Wolff updates each (at least 1).
    pub fn fixed(wolff: Wolff, updates_per_sweep: usize) -> Result<Self> {
        if updates_per_sweep == 0 {
            return Err(Error::Invalid {
                what: "Wolff updates per sweep".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(Self { per_sweep: Some(updates_per_sweep), ..Self::calibrated(wolff, 0) })
    }

    /// n, the updates per sweep; `None` while it is being calibrated.
    pub fn updates_per_sweep(&self) -> Option<usize> {
        self.per_sweep
    }

    /// The Wolff updater.
    pub fn wolff(&self) -> &Wolff {
        &self.wolff
    }
}

impl Sweep<[i8]> for WolffSweeps {
    type Stats = ClusterStats;

    fn sweep<R: Rng + ?Sized>(&mut self, state: &mut [i8], rng: &mut R) -> Result<ClusterStats> {
        let updates = match self.per_sweep {
            Some(n) => n,
            None => {
                let flipped = self.wolff.update(state, rng)?;
                (self.updates, self.flipped) = (self.updates + 1, self.flipped + flipped);
                if self.updates >= self.calibration_sweeps {
                    let n = self.wolff.num_units();
                    self.per_sweep = Some((n * self.updates).div_ceil(self.flipped.max(1)).max(1));
                }
                return Ok(ClusterStats { updates: 1, clusters: 1, flipped });
            }
        };
        let flipped = self.wolff.run(state, rng, updates)?;
        Ok(ClusterStats { updates, clusters: updates, flipped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::seeded;
    use ebm_core::SquareLattice;

    #[test]
    fn calibration_sets_n_from_the_mean_cluster_size_and_then_holds_it() {
        let model = SquareLattice::square(8).build().unwrap();
        let mut sweeps = WolffSweeps::calibrated(Wolff::new(&model, 2.6).unwrap(), 50);
        let mut rng = seeded(3);
        let mut state = vec![1i8; 64];
        let mut flipped = 0;
        for k in 0..50 {
            assert_eq!(sweeps.updates_per_sweep(), None, "fixed before sweep {k}");
            let stats = sweeps.sweep(&mut state[..], &mut rng).unwrap();
            assert_eq!((stats.updates, stats.clusters), (1, 1));
            flipped += stats.flipped;
        }
        let n = sweeps.updates_per_sweep().unwrap();
        assert_eq!(n, (64 * 50usize).div_ceil(flipped));
        assert!(n > 1, "above T_c clusters are small: n = {n}");
        // Later sweeps: n updates, the same chain as n single updates.
        let (mut replay, mut replay_rng, mut wolff) = (state.clone(), rng.clone(), sweeps.wolff().clone());
        let stats = sweeps.sweep(&mut state[..], &mut rng).unwrap();
        let expected = wolff.run(&mut replay, &mut replay_rng, n).unwrap();
        assert_eq!((stats.updates, stats.clusters, stats.flipped), (n, n, expected));
        assert_eq!(state, replay);
    }

    #[test]
    fn at_least_one_calibration_sweep_and_one_update_per_sweep() {
        let model = SquareLattice::square(4).build().unwrap();
        let mut rng = seeded(4);
        let mut state = [1i8; 16];
        // No burn-in: the first sweep calibrates. Far below T_c a cluster is the whole lattice: n = 1.
        let mut sweeps = WolffSweeps::calibrated(Wolff::new(&model, 0.05).unwrap(), 0);
        assert_eq!(sweeps.sweep(&mut state[..], &mut rng).unwrap().flipped, 16);
        assert_eq!(sweeps.updates_per_sweep(), Some(1));
        assert!(WolffSweeps::fixed(Wolff::new(&model, 1.0).unwrap(), 0).is_err());
        let mut fixed = WolffSweeps::fixed(Wolff::new(&model, 1e6).unwrap(), 3).unwrap();
        assert_eq!(
            fixed.sweep(&mut state[..], &mut rng).unwrap(),
            ClusterStats { updates: 3, clusters: 3, flipped: 3 }
        );
        assert!(fixed.sweep(&mut [1i8; 5][..], &mut rng).is_err());
    }
}
