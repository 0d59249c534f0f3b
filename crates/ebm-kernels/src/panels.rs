//! [`Panels`]: a matrix stored in horizontal strips of [`PANEL`] rows, and
//! its product with a 0/1 matrix, [`sum_selected_columns`].
//!
//! A strip ("panel") holds rows PANEL·p … PANEL·p + PANEL − 1 of every column,
//! column after column, so the PANEL values of one column within a panel are
//! contiguous and a panel of a few hundred columns fits in the core's cache.
//! The last panel is padded with zeros. Adding a selection of columns panel by
//! panel then streams cached memory into PANEL accumulators that live in
//! vector registers.
//!
//! The product out = T·Bᵀ of a table T (m × n) with a 0/1 matrix B (b × n) is
//! out_{·r} = Σ_{k : B_{rk} = 1} T_{·k}: each output column is the sum of the
//! table columns its row of B selects, added in increasing k. Each output
//! value is computed by the same sequence of additions however the work is
//! split between threads, so results do not depend on the thread count.

use crate::aligned::AlignedValues;
use crate::binary::BinaryRows;
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
use crate::lanes::{F32x16, Lanes};
use nalgebra::DMatrix;
use rayon::prelude::*;

/// Rows per panel (16 single-precision values: one or a few vector registers).
pub const PANEL: usize = 16;

/// A rows × cols matrix of f32 in panels of [`PANEL`] rows (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panels {
    rows: usize,
    cols: usize,
    /// Panel p, column c, row-in-panel t at ((p · cols) + c) · PANEL + t;
    /// each column of a panel fills one cache line.
    data: AlignedValues,
}

/// Stored as the matrix it holds (nalgebra's column-major form), not as its
/// panels: the layout is this build's business, not the file's.
impl serde::Serialize for Panels {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut matrix = DMatrix::zeros(0, 0);
        self.write_to(&mut matrix);
        matrix.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Panels {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let matrix = DMatrix::<f32>::deserialize(deserializer)?;
        let mut panels = Panels::default();
        panels.copy_from_matrix(&matrix);
        Ok(panels)
    }
}

impl Panels {
    /// A rows × cols matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self { rows, cols, data: AlignedValues::zeros(rows.div_ceil(PANEL) * cols * PANEL) }
    }

    /// Gives the matrix the shape rows × cols, keeping its allocation when it
    /// is large enough; the values are then unspecified (callers overwrite them).
    pub fn reshape(&mut self, rows: usize, cols: usize) {
        if (self.rows, self.cols) != (rows, cols) {
            self.rows = rows;
            self.cols = cols;
            self.data.resize_zeroed(rows.div_ceil(PANEL) * cols * PANEL);
        }
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Number of panels, ⌈rows / PANEL⌉.
    pub fn panel_count(&self) -> usize {
        self.rows.div_ceil(PANEL)
    }

    /// Entry (r, c).
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f32 {
        self.data.as_slice()[((r / PANEL) * self.cols + c) * PANEL + r % PANEL]
    }

    /// The values of column c, rows 0, 1, … in order.
    pub fn column(&self, c: usize) -> impl Iterator<Item = f32> + '_ {
        (0..self.rows).map(move |r| self.get(r, c))
    }

    /// Each panel's storage (cols × PANEL values), in order.
    pub fn panels(&self) -> rayon::slice::Chunks<'_, f32> {
        self.data.as_slice().par_chunks(self.panel_len())
    }

    /// Each panel's storage, mutable, for parallel work panel by panel.
    pub fn panels_mut(&mut self) -> rayon::slice::ChunksMut<'_, f32> {
        let len = self.panel_len();
        self.data.as_mut_slice().par_chunks_mut(len)
    }

    /// Values per panel; at least 1 so that empty matrices split into no work rather than panic.
    fn panel_len(&self) -> usize {
        (self.cols * PANEL).max(1)
    }

    /// All values, panel after panel (padding rows included).
    pub fn as_slice(&self) -> &[f32] {
        self.data.as_slice()
    }

    /// All values, mutable.
    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        self.data.as_mut_slice()
    }

    /// Sets this matrix to `matrix` (rows × cols).
    pub fn copy_from_matrix(&mut self, matrix: &DMatrix<f32>) {
        self.reshape(matrix.nrows(), matrix.ncols());
        let rows = self.rows;
        self.panels_mut().enumerate().for_each(|(p, panel)| {
            let (top, height) = (p * PANEL, PANEL.min(rows - p * PANEL));
            for (chunk, column) in panel.chunks_exact_mut(PANEL).zip(matrix.column_iter()) {
                chunk[..height].copy_from_slice(&column.as_slice()[top..top + height]);
            }
        });
    }

    /// Sets this matrix to the transpose of `matrix` (so it is cols × rows of `matrix`).
    pub fn copy_from_transpose(&mut self, matrix: &DMatrix<f32>) {
        self.reshape(matrix.ncols(), matrix.nrows());
        let (rows, source_rows) = (self.rows, matrix.nrows());
        let source = matrix.as_slice();
        self.panels_mut().enumerate().for_each(|(p, panel)| {
            let height = PANEL.min(rows - p * PANEL);
            for t in 0..height {
                let column = &source[(p * PANEL + t) * source_rows..][..source_rows];
                panel.chunks_exact_mut(PANEL).zip(column).for_each(|(chunk, &v)| chunk[t] = v);
            }
        });
    }

    /// Writes this matrix into `out` (rows × cols), reshaping it if needed.
    pub fn write_to(&self, out: &mut DMatrix<f32>) {
        if out.shape() != (self.rows, self.cols) {
            *out = DMatrix::zeros(self.rows, self.cols);
        }
        for (c, mut column) in out.column_iter_mut().enumerate() {
            for (r, value) in column.iter_mut().enumerate() {
                *value = self.get(r, c);
            }
        }
    }

    /// Writes the transpose of this matrix into `out` (cols × rows), reshaping it if needed.
    pub fn write_transpose_to(&self, out: &mut DMatrix<f32>) {
        if out.shape() != (self.cols, self.rows) {
            *out = DMatrix::zeros(self.cols, self.rows);
        }
        let out_rows = self.cols;
        if out_rows == 0 {
            return;
        }
        // Out's columns PANEL·p … belong to panel p alone.
        out.as_mut_slice().par_chunks_mut(PANEL * out_rows).zip(self.panels()).for_each(
            |(columns, panel)| {
                for (t, column) in columns.chunks_exact_mut(out_rows).enumerate() {
                    column.iter_mut().zip(panel.chunks_exact(PANEL)).for_each(|(v, chunk)| *v = chunk[t]);
                }
            },
        );
    }
}

/// Σ_{k ∈ selection} column k of one panel (PANEL values per column), added in
/// the order of `selection`.
#[inline]
pub fn sum_panel_columns(panel: &[f32], selection: &[u32]) -> [f32; PANEL] {
    add_panel_columns(Sum::zero(), panel.as_chunks().0, selection).values()
}

/// Four sums at once: entry j is Σ_{k ∈ selection_j} column k of panel_j for
/// the pair (panel_j, selection_j) of `sources`, added in the order of
/// selection_j, exactly as [`sum_panel_columns`] adds it.
///
/// One sum alone is a chain of additions, each waiting for the one before;
/// four chains are independent, so the processor overlaps them. They advance
/// in step over the shortest selection's length; the rest of each is then
/// added on its own.
#[inline]
pub fn sum_four_panel_columns(sources: [(&[f32], &[u32]); 4]) -> [[f32; PANEL]; 4] {
    let common = sources.iter().map(|(_, selection)| selection.len()).min().unwrap_or(0);
    let [(p0, s0), (p1, s1), (p2, s2), (p3, s3)] = sources;
    let (c0, c1, c2, c3) = (p0.as_chunks().0, p1.as_chunks().0, p2.as_chunks().0, p3.as_chunks().0);
    // Four named sums, not an array indexed in a loop, so that they stay in registers.
    let (mut a, mut b, mut c, mut d) = (Sum::zero(), Sum::zero(), Sum::zero(), Sum::zero());
    let steps = s0[..common].iter().zip(&s1[..common]).zip(&s2[..common]).zip(&s3[..common]);
    for (((&k0, &k1), &k2), &k3) in steps {
        a = a.add(&c0[k0 as usize]);
        b = b.add(&c1[k1 as usize]);
        c = c.add(&c2[k2 as usize]);
        d = d.add(&c3[k3 as usize]);
    }
    [
        add_panel_columns(a, c0, &s0[common..]).values(),
        add_panel_columns(b, c1, &s1[common..]).values(),
        add_panel_columns(c, c2, &s2[common..]).values(),
        add_panel_columns(d, c3, &s3[common..]).values(),
    ]
}

/// sum + Σ_{k ∈ selection} `columns[k]`, added in order.
#[inline]
fn add_panel_columns(sum: Sum, columns: &[[f32; PANEL]], selection: &[u32]) -> Sum {
    selection.iter().fold(sum, |sum, &k| sum.add(&columns[k as usize]))
}

/// PANEL running sums that one instruction adds a column to.
trait PanelSum: Copy {
    /// All zeros.
    fn zero() -> Self;
    /// self + column, value by value.
    fn add(self, column: &[f32; PANEL]) -> Self;
    /// The PANEL sums.
    fn values(self) -> [f32; PANEL];
}

/// The sums as an array, which the compiler turns into vector instructions
/// of the width it prefers for the target.
impl PanelSum for [f32; PANEL] {
    #[inline(always)]
    fn zero() -> Self {
        [0.0; PANEL]
    }

    #[inline(always)]
    fn add(mut self, column: &[f32; PANEL]) -> Self {
        self.iter_mut().zip(column).for_each(|(s, &v)| *s += v);
        self
    }

    #[inline(always)]
    fn values(self) -> [f32; PANEL] {
        self
    }
}

/// The sums in one AVX-512 register. A build for a processor with AVX-512
/// would otherwise add 16 values as two halves of 8 (see [`crate::lanes`]);
/// lane by lane these are the same IEEE additions, so the results equal the
/// array's.
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
impl PanelSum for F32x16 {
    #[inline(always)]
    fn zero() -> Self {
        F32x16::splat(0.0)
    }

    #[inline(always)]
    fn add(self, column: &[f32; PANEL]) -> Self {
        self + F32x16(bytemuck::cast(*column))
    }

    #[inline(always)]
    fn values(self) -> [f32; PANEL] {
        bytemuck::cast(self.0)
    }
}

/// The running sums of the kernels: one AVX-512 register where the build
/// has AVX-512F, else an array.
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
type Sum = F32x16;

/// The running sums of the kernels: one AVX-512 register where the build
/// has AVX-512F, else an array.
#[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
type Sum = [f32; PANEL];

/// Output columns whose sums [`sum_selected_columns`] computes together
/// (see [`sum_four_panel_columns`]).
const CHAINS: usize = 4;

/// out = f(table · selectionᵀ): output column r is Σ_{k ∈ selection.row(r)} table column k
/// (table is m × n, selection b × n, out becomes m × b), and `finish(p, values)`
/// then transforms the PANEL values of panel p of each output column in place
/// (to add a bias and apply a nonlinearity while they are in registers).
///
/// Panels are computed in parallel; every output value goes through the same
/// additions whatever the thread count.
///
/// # Panics
/// If the selection's width differs from the table's column count.
pub fn sum_selected_columns(
    table: &Panels,
    selection: &BinaryRows,
    out: &mut Panels,
    finish: impl Fn(usize, &mut [f32; PANEL]) + Sync,
) {
    assert_eq!(selection.width(), table.cols(), "selection width must equal the table's column count");
    out.reshape(table.rows(), selection.rows());
    let store = |p: usize, chunk: &mut [f32], mut sum: [f32; PANEL]| {
        finish(p, &mut sum);
        chunk.copy_from_slice(&sum);
    };
    out.panels_mut().zip(table.panels()).enumerate().for_each(|(p, (out_panel, table_panel))| {
        let mut groups = out_panel.chunks_exact_mut(PANEL * CHAINS);
        for (g, group) in groups.by_ref().enumerate() {
            let sources = std::array::from_fn(|j| (table_panel, selection.row(g * CHAINS + j)));
            group
                .chunks_exact_mut(PANEL)
                .zip(sum_four_panel_columns(sources))
                .for_each(|(c, s)| store(p, c, s));
        }
        let first = selection.rows() - selection.rows() % CHAINS;
        for (r, chunk) in (first..).zip(groups.into_remainder().chunks_exact_mut(PANEL)) {
            store(p, chunk, sum_panel_columns(table_panel, selection.row(r)));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_round_trip_through_serde_as_the_matrix_they_hold() {
        // 37 rows: two full panels and a padded one.
        let matrix = DMatrix::from_fn(37, 5, |r, c| (r * 5 + c) as f32 - 40.5);
        let mut panels = Panels::default();
        panels.copy_from_matrix(&matrix);
        let json = serde_json::to_string(&panels).unwrap();
        assert_eq!(json, serde_json::to_string(&matrix).unwrap());
        let back: Panels = serde_json::from_str(&json).unwrap();
        assert_eq!(back, panels);
    }
    use proptest::prelude::*;

    fn matrix(rows: usize, cols: usize, seed: u32) -> DMatrix<f32> {
        DMatrix::from_fn(rows, cols, |r, c| ((r * 31 + c * 17 + seed as usize) % 23) as f32 * 0.25 - 2.0)
    }

    proptest! {
        #[test]
        fn packing_round_trips(rows in 0usize..40, cols in 0usize..6, seed in any::<u32>()) {
            let m = matrix(rows, cols, seed);
            let mut panels = Panels::default();
            panels.copy_from_matrix(&m);
            let mut back = DMatrix::zeros(0, 0);
            panels.write_to(&mut back);
            prop_assert_eq!(&back, &m);
            panels.write_transpose_to(&mut back);
            prop_assert_eq!(&back, &m.transpose());
            panels.copy_from_transpose(&m);
            panels.write_to(&mut back);
            prop_assert_eq!(&back, &m.transpose());
            if rows > 0 {
                let first: Vec<f32> = panels.column(0).collect();
                prop_assert_eq!(first, m.row(0).iter().copied().collect::<Vec<f32>>());
            }
        }

        #[test]
        fn every_kind_of_running_sum_adds_like_scalars(
            columns in proptest::collection::vec(proptest::array::uniform16(-1e3f32..1e3), 0..20),
        ) {
            let mut expected = [0.0f32; PANEL];
            columns.iter().for_each(|column| (0..PANEL).for_each(|t| expected[t] += column[t]));
            let array = columns.iter().fold(<[f32; PANEL]>::zero(), |sum, column| sum.add(column));
            prop_assert_eq!(array.values(), expected);
            // The kind the kernels use, an AVX-512 register where the build has AVX-512F.
            let kernels = columns.iter().fold(Sum::zero(), |sum, column| sum.add(column));
            prop_assert_eq!(kernels.values(), expected);
        }

        /// The kernels against plain scalar loops, bit for bit, on values whose sums
        /// round (so that a wrong lane, a lost column or another order shows):
        /// one sum, four sums of unequal lengths (the common part in step, then
        /// each remainder), and the product with every count of output columns
        /// modulo the four chains.
        #[test]
        fn kernels_equal_scalar_sums_in_order(
            rows in 1usize..50,
            cols in 1usize..40,
            values in proptest::collection::vec(-1e3f32..1e3, 50 * 40),
            selections in proptest::collection::vec(proptest::collection::btree_set(0u32..40, 0..40), 1..11),
        ) {
            let table = DMatrix::from_fn(rows, cols, |r, c| values[r * 40 + c]);
            let mut packed = Panels::default();
            packed.copy_from_matrix(&table);
            let within = |s: &std::collections::BTreeSet<u32>| s.range(..cols as u32).copied().collect();
            let selections: Vec<Vec<u32>> = selections.iter().map(within).collect();
            // Σ_{k ∈ selection} table[(i, k)], one f32 addition at a time in increasing k.
            let scalar = |i: usize, selection: &[u32]| {
                let mut sum = 0.0f32;
                for &k in selection {
                    sum += table[(i, k as usize)];
                }
                sum
            };
            let same = |a: f32, b: f32| a.to_bits() == b.to_bits();
            let panel_len = cols * PANEL;
            for (p, panel) in packed.as_slice().chunks_exact(panel_len).enumerate() {
                let height = PANEL.min(rows - p * PANEL);
                let four: [&[u32]; 4] = std::array::from_fn(|j| selections[j % selections.len()].as_slice());
                let together = sum_four_panel_columns(four.map(|s| (panel, s)));
                for (j, selection) in four.iter().enumerate() {
                    let alone = sum_panel_columns(panel, selection);
                    for t in 0..PANEL {
                        let expected = if t < height { scalar(p * PANEL + t, selection) } else { 0.0 };
                        let (one, four) = (alone[t], together[j][t]);
                        prop_assert!(same(one, expected), "panel {p}, row {t}: {one} alone vs {expected}");
                        prop_assert!(same(four, expected), "panel {p}, row {t}, sum {j}: {four} vs {expected}");
                    }
                }
            }
            let mut binary = BinaryRows::new(cols);
            selections.iter().for_each(|s| binary.push_row(s));
            let mut out = Panels::default();
            sum_selected_columns(&packed, &binary, &mut out, |_, _| {});
            for (r, selection) in selections.iter().enumerate() {
                for i in 0..rows {
                    let (value, expected) = (out.get(i, r), scalar(i, selection));
                    prop_assert!(same(value, expected), "output ({i}, {r}): {value} vs {expected}");
                }
            }
        }

        #[test]
        fn the_product_adds_the_selected_columns_in_order(
            rows in 1usize..40, cols in 1usize..30, batch in 0usize..11, seed in any::<u32>(),
        ) {
            let table = matrix(rows, cols, seed);
            let bits = DMatrix::from_fn(batch, cols, |r, k| f32::from(u8::from((r * 7 + k * 3 + seed as usize) % 5 < 2)));
            let selection = BinaryRows::from_matrix(&bits).unwrap();
            let mut packed = Panels::default();
            packed.copy_from_matrix(&table);
            let mut out = Panels::default();
            sum_selected_columns(&packed, &selection, &mut out, |_, values| values.iter_mut().for_each(|v| *v *= 2.0));
            prop_assert_eq!((out.rows(), out.cols()), (rows, batch));
            for r in 0..batch {
                for i in 0..rows {
                    let mut expected = 0.0f32;
                    selection.row(r).iter().for_each(|&k| expected += table[(i, k as usize)]);
                    prop_assert_eq!(out.get(i, r), 2.0 * expected);
                }
            }
        }
    }
}
