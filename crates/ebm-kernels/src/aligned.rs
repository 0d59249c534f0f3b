//! [`AlignedValues`]: a growable run of f32 whose first value sits on a
//! cache-line boundary.
//!
//! A vector load of 16 f32 (64 bytes) that starts off a cache line touches
//! two lines and costs about twice one that does not; an allocator only
//! promises 16-byte alignment. The [`Panels`](crate::panels::Panels) kernels
//! load whole 64-byte columns at random, so their storage starts on a line
//! and every column then fills exactly one.

use std::fmt;

/// Bytes per cache line, the alignment of the first value.
const LINE: usize = 64;

/// Values that fit in one cache line, the most the start may be shifted by.
const SLACK: usize = LINE / size_of::<f32>() - 1;

/// `len` values of f32 stored from the first 64-byte boundary of an
/// allocation `SLACK` values longer.
#[derive(Default)]
pub(crate) struct AlignedValues {
    storage: Vec<f32>,
    /// Index in `storage` of the first value.
    start: usize,
    len: usize,
}

impl AlignedValues {
    /// `len` zeros.
    pub(crate) fn zeros(len: usize) -> Self {
        let mut values = Self::default();
        values.resize_zeroed(len);
        values
    }

    /// Makes the run `len` long and all zeros, keeping the allocation when it is large enough.
    pub(crate) fn resize_zeroed(&mut self, len: usize) {
        self.storage.clear();
        self.storage.resize(len + SLACK, 0.0);
        // The allocation may have moved; find its first line boundary again.
        self.start = self.storage.as_ptr().align_offset(LINE).min(SLACK);
        self.len = len;
    }

    /// The values.
    #[inline]
    pub(crate) fn as_slice(&self) -> &[f32] {
        &self.storage[self.start..self.start + self.len]
    }

    /// The values, mutable.
    #[inline]
    pub(crate) fn as_mut_slice(&mut self) -> &mut [f32] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

impl Clone for AlignedValues {
    /// A copy in a new allocation, aligned in its own right.
    fn clone(&self) -> Self {
        let mut copy = Self::zeros(self.len);
        copy.as_mut_slice().copy_from_slice(self.as_slice());
        copy
    }
}

impl PartialEq for AlignedValues {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl fmt::Debug for AlignedValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn values_start_on_a_cache_line_and_survive_resizing_and_cloning(
            lengths in proptest::collection::vec(0usize..300, 1..6),
        ) {
            let mut values = AlignedValues::default();
            for len in lengths {
                values.resize_zeroed(len);
                prop_assert_eq!(values.as_slice().len(), len);
                prop_assert!(values.as_slice().iter().all(|&v| v == 0.0));
                prop_assert_eq!(values.as_slice().as_ptr() as usize % LINE, 0);
                values.as_mut_slice().iter_mut().enumerate().for_each(|(i, v)| *v = i as f32);
                let copy = values.clone();
                prop_assert_eq!(copy.as_slice().as_ptr() as usize % LINE, 0);
                prop_assert_eq!(&copy, &values);
            }
        }
    }
}
