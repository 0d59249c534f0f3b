//! Built-in glyphs: capital letters drawn on an 8 × 8 grid and scaled up,
//! the stock memories of Hopfield-network demonstrations.
//!
//! The letters are deliberately ordinary — they share strokes and are far
//! from orthogonal (their overlaps reach 0.5 and more), which is what makes
//! them a hard test for a storage rule: the Hebbian rule, built for random
//! uncorrelated patterns, confuses them, while the pseudo-inverse rule does not.

use crate::dataset::Dataset;
use ebm_core::{Domain, Error, Result};

/// The side of the hand-drawn grid.
const BASE: usize = 8;

/// The letters, 8 rows of 8 cells each ('#' on, '.' off).
const LETTERS: [(char, [&str; 8]); 12] = [
    ('A', ["...##...", "..#..#..", ".#....#.", ".#....#.", ".######.", ".#....#.", ".#....#.", ".#....#."]),
    ('B', [".#####..", ".#....#.", ".#....#.", ".#####..", ".#....#.", ".#....#.", ".#....#.", ".#####.."]),
    ('C', ["..####..", ".#....#.", ".#......", ".#......", ".#......", ".#......", ".#....#.", "..####.."]),
    ('E', [".######.", ".#......", ".#......", ".#####..", ".#......", ".#......", ".#......", ".######."]),
    ('H', [".#....#.", ".#....#.", ".#....#.", ".######.", ".#....#.", ".#....#.", ".#....#.", ".#....#."]),
    ('K', [".#....#.", ".#...#..", ".#..#...", ".###....", ".#..#...", ".#...#..", ".#....#.", ".#.....#"]),
    ('L', [".#......", ".#......", ".#......", ".#......", ".#......", ".#......", ".#......", ".######."]),
    ('O', ["..####..", ".#....#.", ".#....#.", ".#....#.", ".#....#.", ".#....#.", ".#....#.", "..####.."]),
    ('S', ["..#####.", ".#......", ".#......", "..####..", "......#.", "......#.", "......#.", ".#####.."]),
    ('T', ["########", "...##...", "...##...", "...##...", "...##...", "...##...", "...##...", "...##..."]),
    ('X', [".#....#.", "..#..#..", "...##...", "...##...", "...##...", "..#..#..", ".#....#.", "#......#"]),
    ('Z', ["########", "......#.", ".....#..", "....#...", "...#....", "..#.....", ".#......", "########"]),
];

/// The characters available, in order.
pub fn names() -> Vec<char> {
    LETTERS.iter().map(|(c, _)| *c).collect()
}

/// Every glyph scaled by `scale` (side 8·scale, e.g. 2 → 16 × 16) as a data
/// set of images whose cells take the low/high values of `domain`.
pub fn letters(scale: usize, domain: Domain) -> Result<Dataset> {
    if scale == 0 || scale > 16 {
        return Err(Error::Invalid {
            what: "glyph scale".into(),
            reason: format!("{scale} is not in 1..=16"),
        });
    }
    let side = BASE * scale;
    let (low, high) = (f32::from(domain.low()), f32::from(domain.high()));
    let values = LETTERS
        .iter()
        .flat_map(|(_, rows)| {
            (0..side * side).map(move |cell| {
                let (r, c) = (cell / side / scale, cell % side / scale);
                if rows[r].as_bytes()[c] == b'#' { high } else { low }
            })
        })
        .collect();
    Dataset::from_rows(values, side * side)?.with_image_shape(side, side)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_are_distinct_well_formed_and_scaled() {
        assert!(LETTERS.iter().all(|(_, rows)| {
            rows.iter().all(|r| r.len() == BASE && r.bytes().all(|b| b == b'#' || b == b'.'))
        }));
        let glyphs = letters(2, Domain::Spin).unwrap();
        assert_eq!((glyphs.len(), glyphs.features(), glyphs.image_shape()), (12, 256, Some((16, 16))));
        let states = glyphs.to_states(Domain::Spin).unwrap();
        for a in 0..states.len() {
            for b in (a + 1)..states.len() {
                assert_ne!(states[a], states[b], "glyphs {a} and {b} coincide");
            }
        }
        // Scaling by 2 turns each cell into a 2 × 2 block.
        let small = letters(1, Domain::Bit).unwrap();
        let big = letters(2, Domain::Bit).unwrap();
        assert_eq!(big.get(0).unwrap()[2 * 16 + 7], small.get(0).unwrap()[8 + 3]);
        assert!(letters(0, Domain::Bit).is_err());
        assert_eq!(names().len(), 12);
    }
}
