//! [`ClusterStats`]: what cluster updates did.

use std::ops::AddAssign;

/// What cluster updates did: the [`Sweep`](crate::Sweep) statistics of
/// [`SwendsenWang`](super::SwendsenWang) and [`WolffSweeps`](super::WolffSweeps).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClusterStats {
    /// Cluster updates made (Wolff: clusters grown; Swendsen–Wang: whole-lattice updates).
    pub updates: usize,
    /// Clusters formed (Wolff: one per update; Swendsen–Wang: every
    /// connected component, N / clusters being the mean cluster size).
    pub clusters: usize,
    /// Spins flipped.
    pub flipped: usize,
}

impl AddAssign for ClusterStats {
    fn add_assign(&mut self, other: Self) {
        self.updates += other.updates;
        self.clusters += other.clusters;
        self.flipped += other.flipped;
    }
}
