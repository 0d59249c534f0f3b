//! Seeded, shuffled minibatches.

use crate::dataset::Dataset;
use ebm_core::{Error, Result};
use nalgebra::DMatrix;
use rand::Rng;
use rand::seq::SliceRandom;

/// One epoch of minibatches over `len` examples: a uniformly random
/// permutation of the indices, cut into consecutive batches of
/// `batch_size`. The last, shorter batch is kept unless `drop_last` is set.
///
/// Every index appears in exactly one batch (with `drop_last`, at most one),
/// and the same generator state gives the same batches.
///
/// ```
/// use rand::SeedableRng;
/// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
/// let batches = ebm_data::batches::Minibatches::new(10, 4, &mut rng)?;
/// let sizes: Vec<usize> = batches.map(|b| b.len()).collect();
/// assert_eq!(sizes, vec![4, 4, 2]);
/// # Ok::<(), ebm_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Minibatches {
    order: Vec<usize>,
    batch_size: usize,
    next: usize,
    drop_last: bool,
}

impl Minibatches {
    /// A shuffled epoch over `len` examples in batches of `batch_size` (≥ 1).
    pub fn new(len: usize, batch_size: usize, rng: &mut impl Rng) -> Result<Self> {
        if batch_size == 0 {
            return Err(Error::Invalid { what: "batch size".into(), reason: "must be at least 1".into() });
        }
        let mut order: Vec<usize> = (0..len).collect();
        order.shuffle(rng);
        Ok(Self { order, batch_size, next: 0, drop_last: false })
    }

    /// Drops the final batch when it is shorter than the batch size.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }
}

impl Iterator for Minibatches {
    type Item = Vec<usize>;

    fn next(&mut self) -> Option<Vec<usize>> {
        let remaining = self.order.len() - self.next;
        if remaining == 0 || (self.drop_last && remaining < self.batch_size) {
            return None;
        }
        let end = self.next + remaining.min(self.batch_size);
        let batch = self.order[self.next..end].to_vec();
        self.next = end;
        Some(batch)
    }
}

impl Dataset {
    /// One shuffled epoch of this data set in minibatches of `batch_size`
    /// examples (the last one possibly shorter), each a [`Dataset`]. To drop
    /// a short last batch, iterate [`Minibatches`] with
    /// [`Minibatches::drop_last`] and [`Dataset::select`] each batch.
    pub fn minibatches<'a>(
        &'a self,
        batch_size: usize,
        rng: &mut impl Rng,
    ) -> Result<impl Iterator<Item = Dataset> + 'a> {
        let batches = Minibatches::new(self.len(), batch_size, rng)?;
        // Indices come from 0..len, so selection cannot fail.
        Ok(batches.filter_map(move |indices| self.select(&indices).ok()))
    }
}

impl Dataset {
    /// One shuffled epoch of this data set as `batch × features` matrices
    /// (rows = examples), the form RBM training consumes. The last, shorter
    /// batch is dropped when `drop_last` is set; the same generator state
    /// gives the same batches.
    ///
    /// ```
    /// use rand::SeedableRng;
    /// let data = ebm_data::Dataset::from_rows((0..20).map(|v| v as f32).collect(), 2)?;
    /// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
    /// let shapes: Vec<_> = data.minibatch_matrices(4, true, &mut rng)?.map(|m| m.shape()).collect();
    /// assert_eq!(shapes, vec![(4, 2), (4, 2)]);
    /// # Ok::<(), ebm_core::Error>(())
    /// ```
    pub fn minibatch_matrices<'a>(
        &'a self,
        batch_size: usize,
        drop_last: bool,
        rng: &mut impl Rng,
    ) -> Result<impl Iterator<Item = DMatrix<f32>> + 'a> {
        let batches = Minibatches::new(self.len(), batch_size, rng)?.drop_last(drop_last);
        // Indices come from 0..len, so selection cannot fail.
        Ok(batches.filter_map(move |indices| self.rows_matrix(&indices).ok()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    proptest! {
        #[test]
        fn every_index_once_per_epoch(len in 0usize..300, batch in 1usize..40, seed in any::<u64>(), drop in any::<bool>()) {
            let batches: Vec<Vec<usize>> =
                Minibatches::new(len, batch, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap().drop_last(drop).collect();
            let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
            seen.sort_unstable();
            let kept = if drop { len - len % batch } else { len };
            prop_assert_eq!(seen.len(), kept);
            seen.dedup();
            prop_assert_eq!(seen.len(), kept);
            prop_assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= batch));
            prop_assert!(batches.iter().rev().skip(1).all(|b| b.len() == batch));
            let again: Vec<Vec<usize>> =
                Minibatches::new(len, batch, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap().drop_last(drop).collect();
            prop_assert_eq!(batches, again);
        }
    }

    #[test]
    fn data_set_batches_hold_the_selected_rows() {
        let data = Dataset::from_rows((0..20).map(|v| v as f32).collect(), 2).unwrap();
        let batches: Vec<Dataset> = data.minibatches(3, &mut Pcg64Mcg::seed_from_u64(9)).unwrap().collect();
        assert_eq!(batches.iter().map(Dataset::len).collect::<Vec<_>>(), vec![3, 3, 3, 1]);
        let mut firsts: Vec<f32> = batches.iter().flat_map(|b| b.rows().map(|r| r[0])).collect();
        firsts.sort_by(f32::total_cmp);
        assert_eq!(firsts, (0..10).map(|v| (2 * v) as f32).collect::<Vec<_>>());
        assert!(Minibatches::new(5, 0, &mut Pcg64Mcg::seed_from_u64(0)).is_err());
    }

    #[test]
    fn matrix_batches_match_index_batches() {
        let data = Dataset::from_rows((0..30).map(|v| v as f32).collect(), 3).unwrap();
        for drop in [false, true] {
            let indices: Vec<Vec<usize>> =
                Minibatches::new(10, 4, &mut Pcg64Mcg::seed_from_u64(4)).unwrap().drop_last(drop).collect();
            let matrices: Vec<DMatrix<f32>> =
                data.minibatch_matrices(4, drop, &mut Pcg64Mcg::seed_from_u64(4)).unwrap().collect();
            assert_eq!(matrices.len(), if drop { 2 } else { 3 });
            for (m, idx) in matrices.iter().zip(&indices) {
                assert_eq!(m, &data.select(idx).unwrap().to_matrix());
            }
        }
        assert!(data.minibatch_matrices(0, false, &mut Pcg64Mcg::seed_from_u64(0)).is_err());
    }
}
