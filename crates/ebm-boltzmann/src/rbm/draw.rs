//! Drawing 0/1 units from their probabilities: the sampling step shared by
//! Gibbs chains, AIS and training.
//!
//! Sample r of a call draws from its own generator, the stream (s, r) of
//! [`ebm_mcmc::rng::stream`] with s taken once per call from the caller's
//! generator, so the result depends on the seed alone, never on how the
//! samples are split between threads. Each 64-bit output gives two uniforms of
//! 24 bits, U = k / 2²⁴, and unit i is on when U < p_i.

use ebm_core::binary::BinaryRows;
use ebm_core::panels::{PANEL, Panels};
use ebm_mcmc::rng::{SamplerRng, stream};
use nalgebra::DMatrix;
use rand::Rng;
use rayon::prelude::*;

/// 2²⁴: a probability p scaled so that "U < p" becomes "k < p · 2²⁴" for U = k / 2²⁴.
const UNIFORM_STEPS: f32 = 16_777_216.0;

/// Draws one sample's `units` units: unit i (in order) is on with probability
/// `probabilities[i]`; returns the indices of the units that are on.
fn draw_sample(units: usize, probabilities: impl Iterator<Item = f32>, rng: &mut SamplerRng) -> Vec<u32> {
    // Every index is written and kept only if its unit is on: no branch on the draw.
    let mut on = vec![0u32; units];
    let mut count = 0;
    let mut bits = 0u64;
    for (i, p) in probabilities.enumerate() {
        // Two 24-bit uniforms per 64-bit draw: the high bits, then the next 24.
        let k = if i % 2 == 0 {
            bits = rng.next_u64();
            bits >> 40
        } else {
            (bits >> 16) & 0xff_ffff
        };
        on[count] = i as u32;
        count += usize::from((k as f32) < p * UNIFORM_STEPS);
    }
    on.truncate(count);
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

/// Draws `samples` samples, sample r from the units' probabilities `column(r)`, in parallel.
fn draw_samples<R, I>(
    samples: usize,
    width: usize,
    column: impl Fn(usize) -> I + Sync,
    rng: &mut R,
) -> BinaryRows
where
    R: Rng + ?Sized,
    I: Iterator<Item = f32>,
{
    let seed = draw_seed(rng);
    let drawn: Vec<Vec<u32>> = (0..samples)
        .into_par_iter()
        .map(|r| draw_sample(width, column(r), &mut stream(seed, r as u64)))
        .collect();
    let mut result = BinaryRows::new(width);
    drawn.iter().for_each(|row| result.push_row(row));
    result
}

/// 0/1 units drawn independently for the samples that are the columns of
/// `probabilities` (units × samples): unit i of sample r is on with
/// probability `probabilities[(i, r)]`. Returns row r = the units on in sample r.
pub fn draw_columns<R: Rng + ?Sized>(probabilities: &Panels, rng: &mut R) -> BinaryRows {
    let units = probabilities.rows();
    let data = probabilities.as_slice();
    let panel_len = probabilities.cols() * PANEL;
    let column = |r: usize| (0..units).map(move |i| data[(i / PANEL) * panel_len + r * PANEL + i % PANEL]);
    draw_samples(probabilities.cols(), units, column, rng)
}

/// 0/1 units drawn independently, entry (r, c) on with probability
/// `probabilities[(r, c)]` (one sample per row), as a dense matrix.
pub fn draw_units<R: Rng + ?Sized>(probabilities: &DMatrix<f32>, rng: &mut R) -> DMatrix<f32> {
    let (samples, units) = probabilities.shape();
    let column = |r: usize| (0..units).map(move |i| probabilities[(r, i)]);
    draw_samples(samples, units, column, rng).to_matrix()
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
