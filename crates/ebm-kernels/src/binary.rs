//! [`BinaryRows`]: a 0/1 matrix kept as the positions of its ones.
//!
//! States of binary units are mostly zeros or at least far from dense, and a
//! product of a 0/1 matrix B with a real matrix T is a sum of selected rows:
//! (BT)_{r·} = Σ_{k : B_{rk} = 1} T_{k·}. Storing, for each row r, the sorted
//! column indices k with B_{rk} = 1 (compressed sparse rows without values)
//! makes such products cost (number of ones) × (row length) additions instead
//! of (rows × columns) × (row length) multiply–adds; see
//! [`crate::panels::sum_selected_columns`].

use nalgebra::DMatrix;
use rayon::prelude::*;

/// Rows converted together by [`BinaryRows::from_matrix`].
const BLOCK: usize = 64;

/// The ones of rows `top` … `top` + BLOCK − 1 of a 0/1 matrix, row by row, or
/// `None` if an entry is neither 0 nor 1. The block is read column by column
/// (the storage order); each column's part becomes a bit mask of its ones, and
/// only the ones are visited.
fn ones_of_block(matrix: &DMatrix<f32>, top: usize) -> Option<Vec<Vec<u32>>> {
    let height = BLOCK.min(matrix.nrows() - top);
    let mut rows = vec![Vec::new(); height];
    for (c, column) in matrix.column_iter().enumerate() {
        let (mut ones, mut others) = (0u64, 0u64);
        for (t, &value) in column.as_slice()[top..top + height].iter().enumerate() {
            ones |= u64::from(value == 1.0) << t;
            others |= u64::from(value != 0.0 && value != 1.0) << t;
        }
        if others != 0 {
            return None;
        }
        while ones != 0 {
            rows[ones.trailing_zeros() as usize].push(c as u32);
            ones &= ones - 1;
        }
    }
    Some(rows)
}

/// A 0/1 matrix of `rows()` × `width()`, stored as the increasing column
/// indices of the ones of each row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BinaryRows {
    width: usize,
    /// Row r's ones are `ones[starts[r]..starts[r + 1]]`.
    starts: Vec<usize>,
    ones: Vec<u32>,
}

impl BinaryRows {
    /// A matrix of no rows and `width` columns, to which rows are then pushed.
    pub fn new(width: usize) -> Self {
        assert!(u32::try_from(width).is_ok(), "BinaryRows: width {width} does not fit u32 indices");
        Self { width, starts: vec![0], ones: Vec::new() }
    }

    /// Appends a row whose ones sit at `columns`, which must be increasing and below the width.
    pub fn push_row(&mut self, columns: &[u32]) {
        debug_assert!(columns.windows(2).all(|w| w[0] < w[1]));
        debug_assert!(columns.last().is_none_or(|&c| (c as usize) < self.width));
        self.ones.extend_from_slice(columns);
        self.starts.push(self.ones.len());
    }

    /// The rows of a 0/1 matrix (rows × width), or `None` if an entry is neither 0 nor 1.
    pub fn from_matrix(matrix: &DMatrix<f32>) -> Option<Self> {
        let blocks: Vec<Vec<Vec<u32>>> = (0..matrix.nrows().div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| ones_of_block(matrix, b * BLOCK))
            .collect::<Option<_>>()?;
        let mut result = Self::new(matrix.ncols());
        blocks.iter().flatten().for_each(|row| result.push_row(row));
        Some(result)
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// Number of columns.
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    /// The increasing column indices of the ones of row `r`.
    #[inline]
    pub fn row(&self, r: usize) -> &[u32] {
        &self.ones[self.starts[r]..self.starts[r + 1]]
    }

    /// Number of ones in the whole matrix.
    pub fn count_ones(&self) -> usize {
        self.ones.len()
    }

    /// Number of ones in each column.
    pub fn column_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.width];
        self.ones.iter().for_each(|&c| counts[c as usize] += 1);
        counts
    }

    /// The transpose Bᵀ (width × rows): row k lists the rows of B with a one in column k.
    pub fn transpose(&self) -> Self {
        let mut starts = Vec::with_capacity(self.width + 1);
        starts.push(0);
        for count in self.column_counts() {
            starts.push(starts.last().copied().unwrap_or(0) + count);
        }
        let mut cursors = starts[..self.width].to_vec();
        let mut ones = vec![0; self.ones.len()];
        for r in 0..self.rows() {
            for &c in self.row(r) {
                ones[cursors[c as usize]] = r as u32;
                cursors[c as usize] += 1;
            }
        }
        Self { width: self.rows(), starts, ones }
    }

    /// The matrix made of rows `indices` of this one, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut result = Self::new(self.width);
        result.ones.reserve(indices.iter().map(|&r| self.row(r).len()).sum());
        indices.iter().for_each(|&r| result.push_row(self.row(r)));
        result
    }

    /// Writes the dense matrix (rows × width, zeros and ones) into `out`, reshaping it if needed.
    pub fn write_to(&self, out: &mut DMatrix<f32>) {
        if out.shape() == (self.rows(), self.width) {
            out.fill(0.0);
        } else {
            *out = DMatrix::zeros(self.rows(), self.width);
        }
        for r in 0..self.rows() {
            self.row(r).iter().for_each(|&c| out[(r, c as usize)] = 1.0);
        }
    }

    /// The dense matrix (rows × width) of zeros and ones.
    pub fn to_matrix(&self) -> DMatrix<f32> {
        let mut out = DMatrix::zeros(self.rows(), self.width);
        self.write_to(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits(rows: usize, width: usize, pattern: &[bool]) -> DMatrix<f32> {
        DMatrix::from_fn(rows, width, |r, c| f32::from(u8::from(pattern[(r * width + c) % pattern.len()])))
    }

    proptest! {
        #[test]
        fn conversions_transpose_and_selection_agree_with_the_dense_matrix(
            rows in 0usize..140, width in 1usize..9, pattern in prop::collection::vec(any::<bool>(), 1..40),
        ) {
            let dense = bits(rows, width, &pattern);
            let sparse = BinaryRows::from_matrix(&dense).unwrap();
            prop_assert_eq!(sparse.rows(), rows);
            prop_assert_eq!(sparse.to_matrix(), dense.clone());
            prop_assert_eq!(sparse.count_ones(), dense.iter().filter(|&&v| v == 1.0).count());
            prop_assert_eq!(sparse.transpose().to_matrix(), dense.transpose());
            prop_assert_eq!(sparse.transpose().transpose(), sparse.clone());
            let picked: Vec<usize> = (0..rows).rev().chain(0..rows.min(2)).collect();
            let expected = DMatrix::from_fn(picked.len(), width, |r, c| dense[(picked[r], c)]);
            prop_assert_eq!(sparse.select(&picked).to_matrix(), expected);
        }
    }

    #[test]
    fn entries_other_than_zero_and_one_are_refused() {
        assert!(BinaryRows::from_matrix(&DMatrix::from_element(2, 2, 0.5)).is_none());
        assert!(BinaryRows::from_matrix(&DMatrix::from_element(1, 1, f32::NAN)).is_none());
        let mut built = BinaryRows::new(4);
        built.push_row(&[0, 3]);
        built.push_row(&[]);
        assert_eq!(built.row(0), &[0, 3]);
        assert_eq!(built.column_counts(), vec![1, 0, 0, 1]);
    }
}
