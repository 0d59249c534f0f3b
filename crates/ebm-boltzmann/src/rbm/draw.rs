//! Drawing 0/1 units from their probabilities: the sampling step shared by
//! Gibbs chains, AIS and training.
//!
//! Sample r of a call draws from its own generator, the stream (s, r) of
//! [`ebm_mcmc::rng::stream`] with s taken once per call from the caller's
//! generator, so the result depends on the seed alone, never on how the
//! samples are split between threads. Each 64-bit output gives two uniforms of
//! 24 bits, U = k / 2²⁴, and unit i is on when U < p_i.

use ebm_kernels::binary::BinaryRows;
use ebm_kernels::panels::{PANEL, Panels};
use ebm_mcmc::rng::{SamplerRng, stream};
use nalgebra::DMatrix;
use rand::Rng;
use rayon::prelude::*;

/// 2²⁴: a probability p scaled so that "U < p" becomes "k < p · 2²⁴" for U = k / 2²⁴.
const UNIFORM_STEPS: f32 = 16_777_216.0;

/// Samples drawn together: their generators advance side by side, so the
/// latency of one generator's multiplication hides behind the others'.
const GROUP: usize = 4;

/// Draws the `units` units of GROUP samples at once, sample j from the
/// generator `generators[j]`, PANEL units at a time: `block(j, c)` gives
/// sample j's probabilities of units PANEL·c … PANEL·c + PANEL − 1 (past the
/// last unit, anything). Returns the indices of each sample's units that are
/// on, in order.
fn draw_group(
    units: usize,
    block: impl Fn(usize, usize) -> [f32; PANEL],
    generators: &mut [SamplerRng; GROUP],
) -> [Vec<u32>; GROUP] {
    // Every index is written and kept only if its unit is on: no branch on
    // the draw. The last block may run PANEL − 1 units past the end.
    let mut on: [Vec<u32>; GROUP] = std::array::from_fn(|_| vec![0; units + PANEL]);
    let mut count = [0usize; GROUP];
    for c in 0..units.div_ceil(PANEL) {
        let blocks: [[f32; PANEL]; GROUP] = std::array::from_fn(|j| block(j, c));
        for pair in 0..PANEL / 2 {
            let bits: [u64; GROUP] = std::array::from_fn(|j| generators[j].next_u64());
            let i = c * PANEL + 2 * pair;
            for j in 0..GROUP {
                // Two 24-bit uniforms per 64-bit output: the high bits, then the next 24.
                let (even, odd) = ((bits[j] >> 40) as f32, ((bits[j] >> 16) & 0xff_ffff) as f32);
                on[j][count[j]] = i as u32;
                count[j] += usize::from(even < blocks[j][2 * pair] * UNIFORM_STEPS && i < units);
                on[j][count[j]] = i as u32 + 1;
                count[j] += usize::from(odd < blocks[j][2 * pair + 1] * UNIFORM_STEPS && i + 1 < units);
            }
        }
    }
    on.iter_mut().zip(count).for_each(|(on, count)| on.truncate(count));
    on
}

/// The seed s of a call's streams: one value from the caller's generator.
fn draw_seed<R: Rng + ?Sized>(rng: &mut R) -> u64 {
    rng.next_u64()
}

/// Advances `rng` exactly as a call of [`draw_columns`] or [`draw_units`]
/// does, without drawing: for a caller that skips a draw it can do without
/// (a metric, say) and must leave the rest of its random stream unchanged.
pub fn skip_draw<R: Rng + ?Sized>(rng: &mut R) {
    draw_seed(rng);
}

/// Draws `samples` samples in parallel, GROUP at a time, sample r from the
/// probabilities `block(r, c)` of its units PANEL·c … (see [`draw_group`]).
/// A last, partial group is filled with samples of probability 0, drawn
/// from their own streams and dropped.
fn draw_samples<R: Rng + ?Sized>(
    samples: usize,
    width: usize,
    block: impl Fn(usize, usize) -> [f32; PANEL] + Sync,
    rng: &mut R,
) -> BinaryRows {
    let seed = draw_seed(rng);
    let drawn: Vec<[Vec<u32>; GROUP]> = (0..samples.div_ceil(GROUP))
        .into_par_iter()
        .map(|g| {
            let first = g * GROUP;
            let mut generators = std::array::from_fn(|j| stream(seed, (first + j) as u64));
            let block =
                |j: usize, c: usize| if first + j < samples { block(first + j, c) } else { [0.0; PANEL] };
            draw_group(width, block, &mut generators)
        })
        .collect();
    let mut result = BinaryRows::new(width);
    drawn.iter().flatten().take(samples).for_each(|row| result.push_row(row));
    result
}

/// 0/1 units drawn independently for the samples that are the columns of
/// `probabilities` (units × samples): unit i of sample r is on with
/// probability `probabilities[(i, r)]`. Returns row r = the units on in sample r.
pub fn draw_columns<R: Rng + ?Sized>(probabilities: &Panels, rng: &mut R) -> BinaryRows {
    let data = probabilities.as_slice();
    let panel_len = probabilities.cols() * PANEL;
    // Panel c holds units PANEL·c … of every sample, sample r's PANEL values together.
    let block = |r: usize, c: usize| {
        data[c * panel_len + r * PANEL..][..PANEL].try_into().expect("a panel column holds PANEL values")
    };
    draw_samples(probabilities.cols(), probabilities.rows(), block, rng)
}

/// 0/1 units drawn independently, entry (r, c) on with probability
/// `probabilities[(r, c)]` (one sample per row), as a dense matrix.
pub fn draw_units<R: Rng + ?Sized>(probabilities: &DMatrix<f32>, rng: &mut R) -> DMatrix<f32> {
    let (samples, units) = probabilities.shape();
    let block = |r: usize, c: usize| {
        std::array::from_fn(|t| if c * PANEL + t < units { probabilities[(r, c * PANEL + t)] } else { 0.0 })
    };
    draw_samples(samples, units, block, rng).to_matrix()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_mcmc::rng::seeded;

    /// The definition, unit by unit: U_i = k_i / 2²⁴ with k_i the high 24 bits
    /// of a fresh 64-bit output for even i and its next 24 bits for odd i.
    fn unit_by_unit(probabilities: &DMatrix<f32>, rng: &mut SamplerRng) -> DMatrix<f32> {
        let seed = rng.next_u64();
        let mut out = DMatrix::zeros(probabilities.nrows(), probabilities.ncols());
        for r in 0..probabilities.nrows() {
            let (mut stream, mut bits) = (stream(seed, r as u64), 0u64);
            for i in 0..probabilities.ncols() {
                let k = if i % 2 == 0 {
                    bits = stream.next_u64();
                    bits >> 40
                } else {
                    (bits >> 16) & 0xff_ffff
                };
                out[(r, i)] =
                    f32::from(u8::from((k as f64) / 16_777_216.0 < f64::from(probabilities[(r, i)])));
            }
        }
        out
    }

    #[test]
    fn both_layouts_draw_by_the_unit_by_unit_definition() {
        // Widths below, at and across one panel of 16 units, odd and even.
        for units in [1, 5, 16, 33, 48] {
            let probabilities =
                DMatrix::from_fn(7, units, |r, i| [0.0, 1.0, 0.5, 0.03, 0.97][(r * 3 + i * 7) % 5]);
            let expected = unit_by_unit(&probabilities, &mut seeded(11));
            assert_eq!(draw_units(&probabilities, &mut seeded(11)), expected, "{units} units");
            let mut columns = Panels::default();
            columns.copy_from_transpose(&probabilities);
            assert_eq!(draw_columns(&columns, &mut seeded(11)).to_matrix(), expected, "{units} units");
        }
    }

    #[test]
    fn draws_follow_their_probabilities_and_agree_between_layouts() {
        let probabilities = DMatrix::from_fn(40, 33, |r, i| ((r * 7 + i * 3) % 11) as f32 / 10.0);
        let dense = draw_units(&probabilities, &mut seeded(5));
        let mut columns = Panels::default();
        columns.copy_from_transpose(&probabilities);
        assert_eq!(draw_columns(&columns, &mut seeded(5)).to_matrix(), dense);
        // Probabilities 0 and 1 are exact; the others are matched on average.
        for (p, v) in probabilities.iter().zip(dense.iter()) {
            if *p == 0.0 || *p == 1.0 {
                assert_eq!(p, v);
            }
        }
        let many = DMatrix::from_element(2000, 3, 0.3f32);
        let mean = draw_units(&many, &mut seeded(6)).mean();
        assert!((mean - 0.3).abs() < 0.02, "{mean}");
    }
}
