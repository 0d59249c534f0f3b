//! The replay buffer of persistent negatives.

use ebm_core::{Error, Result};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// A store of earlier negative samples (Du & Mordatch 2019).
///
/// Short-run Langevin from noise only reaches where K steps can go; chains
/// that persist across parameter updates keep travelling, and since θ
/// changes little per update, a chain that was near equilibrium for θ_t is
/// near equilibrium for θ_{t+1} — the argument of persistent contrastive
/// divergence. The buffer holds `capacity` points; each iteration draws
/// chains from random slots, restarts each from uniform noise on the box
/// with probability `restart` (so that new modes keep being discovered and
/// the buffer does not collapse onto the modes already found), runs the
/// Langevin steps and writes the chains back into their slots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayBuffer {
    dim: usize,
    points: Vec<f64>,
    bounds: Vec<(f64, f64)>,
}

impl ReplayBuffer {
    /// A buffer of `capacity` points drawn uniformly from the box
    /// Π_j [low_j, high_j) given by `bounds` (one finite, non-empty interval
    /// per dimension). Capacity 0 gives a buffer that never persists: every
    /// draw is fresh noise.
    pub fn new<R: Rng + ?Sized>(capacity: usize, bounds: Vec<(f64, f64)>, rng: &mut R) -> Result<Self> {
        check_box(&bounds)?;
        let dim = bounds.len();
        let size = capacity.checked_mul(dim).filter(|&s| s <= crate::density::trainer::MAX_CHAIN_VALUES);
        let Some(size) = size else {
            return Err(Error::TooLarge {
                what: "replay buffer (points × dimension)".into(),
                limit: crate::density::trainer::MAX_CHAIN_VALUES as u64,
                found: capacity.saturating_mul(dim) as u64,
            });
        };
        let mut buffer = Self { dim, points: vec![0.0; size], bounds };
        for slot in 0..capacity {
            buffer.fill_noise(slot, rng);
        }
        Ok(buffer)
    }

    /// The dimension of the points.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Checks, for a buffer read back from a checkpoint, its box and that it
    /// holds whole, finite points of its dimension.
    pub(crate) fn check(&self) -> Result<()> {
        check_box(&self.bounds)?;
        if self.dim != self.bounds.len() || !self.points.len().is_multiple_of(self.dim) {
            return Err(Error::invalid("replay buffer", "its points do not match its dimension"));
        }
        ebm_core::error::check_finite("replay buffer", &self.points)
    }

    /// The number of stored points.
    pub fn len(&self) -> usize {
        self.points.len() / self.dim
    }

    /// Whether the buffer stores nothing (every draw is noise).
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The stored points, row by row.
    pub fn points(&self) -> &[f64] {
        &self.points
    }

    fn fill_noise<R: Rng + ?Sized>(&mut self, slot: usize, rng: &mut R) {
        for (v, &(low, high)) in
            self.points[slot * self.dim..(slot + 1) * self.dim].iter_mut().zip(&self.bounds)
        {
            *v = low + (high - low) * rng.random::<f64>();
        }
    }

    /// `n` starting points, row by row, and the slot each came from (`None`
    /// for fresh noise): each is a random stored point, or with probability
    /// `restart` (and always when the buffer is empty) uniform noise on the box.
    pub fn draw<R: Rng + ?Sized>(
        &self,
        n: usize,
        restart: f64,
        rng: &mut R,
    ) -> (Vec<f64>, Vec<Option<usize>>) {
        let mut points = Vec::with_capacity(n * self.dim);
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            let slot = if self.is_empty() || rng.random::<f64>() < restart {
                None
            } else {
                Some(rng.random_range(0..self.len()))
            };
            match slot {
                Some(s) => points.extend_from_slice(&self.points[s * self.dim..(s + 1) * self.dim]),
                None => points
                    .extend(self.bounds.iter().map(|&(low, high)| low + (high - low) * rng.random::<f64>())),
            }
            slots.push(slot);
        }
        (points, slots)
    }

    /// Writes the chains back: chain i goes to its slot, or (fresh noise) to a random slot.
    pub fn store<R: Rng + ?Sized>(&mut self, chains: &[f64], slots: &[Option<usize>], rng: &mut R) {
        if self.is_empty() {
            return;
        }
        for (chain, slot) in chains.chunks_exact(self.dim).zip(slots) {
            let s = slot.unwrap_or_else(|| rng.random_range(0..self.len()));
            self.points[s * self.dim..(s + 1) * self.dim].copy_from_slice(chain);
        }
    }
}

/// Checks that `bounds` is a box: at least one interval, each finite and non-empty.
fn check_box(bounds: &[(f64, f64)]) -> Result<()> {
    if bounds.is_empty() {
        return Err(Error::invalid("replay buffer", "needs at least one dimension"));
    }
    match bounds.iter().enumerate().find(|(_, (l, h))| !(l.is_finite() && h.is_finite() && l < h)) {
        Some((j, (low, high))) => Err(Error::invalid(
            format!("noise box in dimension {j}"),
            format!("[{low}, {high}) is empty or not finite"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_mcmc::rng::seeded;

    #[test]
    fn draws_come_from_the_buffer_or_the_box_and_go_back_to_their_slots() {
        let mut rng = seeded(1);
        let mut buffer = ReplayBuffer::new(50, vec![(-1.0, 1.0), (2.0, 3.0)], &mut rng).unwrap();
        assert_eq!(buffer.len(), 50);
        assert!(buffer.points().chunks(2).all(|p| (-1.0..1.0).contains(&p[0]) && (2.0..3.0).contains(&p[1])));
        let (points, slots) = buffer.draw(1000, 0.2, &mut rng);
        let fresh = slots.iter().filter(|s| s.is_none()).count();
        assert!((fresh as f64 - 200.0).abs() < 5.0 * (1000.0f64 * 0.2 * 0.8).sqrt(), "{fresh}");
        for (p, s) in points.chunks(2).zip(&slots) {
            if let Some(s) = s {
                assert_eq!(p, &buffer.points()[2 * s..2 * s + 2]);
            }
        }
        let (_, slots) = buffer.draw(3, 0.0, &mut rng);
        let moved = vec![9.0; 6];
        buffer.store(&moved, &slots, &mut rng);
        for s in slots.iter().flatten() {
            assert_eq!(&buffer.points()[2 * s..2 * s + 2], &[9.0, 9.0]);
        }
    }

    #[test]
    fn an_empty_buffer_always_gives_noise_and_bad_boxes_are_refused() {
        let mut rng = seeded(2);
        let buffer = ReplayBuffer::new(0, vec![(0.0, 1.0)], &mut rng).unwrap();
        let (points, slots) = buffer.draw(10, 0.0, &mut rng);
        assert!(slots.iter().all(Option::is_none) && points.len() == 10);
        assert!(ReplayBuffer::new(5, vec![], &mut rng).is_err());
        assert!(ReplayBuffer::new(5, vec![(1.0, 1.0)], &mut rng).is_err());
        assert!(ReplayBuffer::new(5, vec![(0.0, f64::INFINITY)], &mut rng).is_err());
        assert!(matches!(
            ReplayBuffer::new(usize::MAX, vec![(0.0, 1.0)], &mut rng),
            Err(Error::TooLarge { .. })
        ));
    }
}
