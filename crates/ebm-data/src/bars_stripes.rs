//! Bars and stripes: the classic toy distribution for Boltzmann machines.
//!
//! On an n × n grid a *bars* pattern switches on some set of whole columns and
//! a *stripes* pattern some set of whole rows. There are 2ⁿ of each; the
//! all-off and all-on grids are both, so the distinct patterns number
//! 2ⁿ⁺¹ − 2. The data distribution is uniform over them, which makes its
//! entropy log(2ⁿ⁺¹ − 2) and the exact log-likelihood of a model easy to
//! compare with.

use crate::dataset::Dataset;
use ebm_core::{Domain, Error, Result};
use rand::{Rng, RngExt};

/// Largest supported side: 2¹⁷ − 2 patterns of 256 units.
pub const MAX_SIDE: usize = 16;

fn check_side(side: usize) -> Result<()> {
    if side == 0 {
        return Err(Error::Invalid {
            what: "bars-and-stripes side".into(),
            reason: "must be at least 1".into(),
        });
    }
    if side > MAX_SIDE {
        return Err(Error::TooLarge {
            what: "bars-and-stripes side".into(),
            limit: MAX_SIDE as u64,
            found: side as u64,
        });
    }
    Ok(())
}

/// Number of distinct patterns on a `side × side` grid: 2^(side+1) − 2.
pub fn count(side: usize) -> Result<usize> {
    check_side(side)?;
    Ok((1usize << (side + 1)) - 2)
}

/// Pattern number `k` (0 ≤ k < [`count`]) as on/off cells, row by row.
///
/// Order: the 2ⁿ bars patterns by column mask (mask bit c switches column c
/// on; mask 0 is all off, mask 2ⁿ − 1 all on), then the 2ⁿ − 2 stripes
/// patterns with row masks 1 … 2ⁿ − 2 (skipping the two shared ones).
fn pattern(side: usize, k: usize) -> Vec<bool> {
    let bars = 1usize << side;
    let (is_bars, mask) = if k < bars { (true, k) } else { (false, k - bars + 1) };
    (0..side * side)
        .map(|cell| {
            let (row, col) = (cell / side, cell % side);
            mask >> if is_bars { col } else { row } & 1 == 1
        })
        .collect()
}

fn to_dataset(side: usize, patterns: impl Iterator<Item = Vec<bool>>, domain: Domain) -> Result<Dataset> {
    let (low, high) = (f32::from(domain.low()), f32::from(domain.high()));
    let values = patterns.flat_map(|p| p.into_iter().map(move |on| if on { high } else { low })).collect();
    Dataset::from_rows(values, side * side)?.with_image_shape(side, side)
}

/// Every distinct bars-and-stripes pattern on a `side × side` grid, once each,
/// with off/on cells as the low/high values of `domain`.
///
/// ```
/// use ebm_data::bars_stripes;
/// use ebm_core::Domain;
/// let all = bars_stripes::all(3, Domain::Bit)?;
/// assert_eq!(all.len(), 14); // 2⁴ − 2
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn all(side: usize, domain: Domain) -> Result<Dataset> {
    let n = count(side)?;
    to_dataset(side, (0..n).map(|k| pattern(side, k)), domain)
}

/// Class names of [`labels`]: index 0, 1, 2.
pub const CLASS_NAMES: [&str; 3] = ["bars", "stripes", "blank or full"];

/// A class for each pattern of [`all`] (same order): 0 for bars, 1 for
/// stripes, 2 for the all-off and all-on grids, which are both.
pub fn labels(side: usize) -> Result<Vec<usize>> {
    let bars = 1usize << side;
    Ok((0..count(side)?)
        .map(|k| {
            if k == 0 || k == bars - 1 {
                2
            } else if k < bars {
                0
            } else {
                1
            }
        })
        .collect())
}

/// `samples` patterns drawn independently from the uniform distribution over
/// the distinct patterns.
pub fn sample(side: usize, samples: usize, domain: Domain, rng: &mut impl Rng) -> Result<Dataset> {
    let n = count(side)?;
    crate::check_generated("bars-and-stripes sample", samples, side * side)?;
    let picks: Vec<usize> = (0..samples).map(|_| rng.random_range(0..n)).collect();
    to_dataset(side, picks.into_iter().map(|k| pattern(side, k)), domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_bars_stripes_and_the_two_shared_patterns() {
        for side in 2..6 {
            let data = all(side, Domain::Bit).unwrap();
            let classes = labels(side).unwrap();
            assert_eq!(classes.len(), data.len());
            for (row, &class) in data.rows().zip(&classes) {
                let cell = |r: usize, c: usize| row[r * side + c];
                let rows_constant = (0..side).all(|r| (0..side).all(|c| cell(r, c) == cell(r, 0)));
                let columns_constant = (0..side).all(|c| (0..side).all(|r| cell(r, c) == cell(0, c)));
                let expected = match (columns_constant, rows_constant) {
                    (true, true) => 2,
                    (true, false) => 0,
                    (false, true) => 1,
                    (false, false) => unreachable!("every pattern is bars or stripes"),
                };
                assert_eq!(class, expected, "side {side}: {row:?}");
            }
        }
    }
    use proptest::prelude::*;
    use rand::SeedableRng;
    use std::collections::HashSet;

    /// Whether `cells` is constant along every row (a stripes pattern) or every column (bars).
    fn is_bars_or_stripes(side: usize, cells: &[i8]) -> bool {
        let at = |r: usize, c: usize| cells[r * side + c];
        let stripes = (0..side).all(|r| (0..side).all(|c| at(r, c) == at(r, 0)));
        let bars = (0..side).all(|c| (0..side).all(|r| at(r, c) == at(0, c)));
        stripes || bars
    }

    proptest! {
        #[test]
        fn all_patterns_are_distinct_valid_and_complete(side in 1usize..7, spin in any::<bool>()) {
            let domain = if spin { Domain::Spin } else { Domain::Bit };
            let states = all(side, domain).unwrap().to_states(domain).unwrap();
            prop_assert_eq!(states.len(), (1 << (side + 1)) - 2);
            prop_assert!(states.iter().all(|s| is_bars_or_stripes(side, s)));
            let distinct: HashSet<_> = states.iter().collect();
            prop_assert_eq!(distinct.len(), states.len());
            // Completeness: every grid that is bars or stripes appears (checked exhaustively for small sides).
            if side <= 3 {
                let every = (0u32..1 << (side * side))
                    .map(|m| (0..side * side).map(|i| domain.value(m >> i & 1 == 1)).collect::<Vec<i8>>())
                    .filter(|s| is_bars_or_stripes(side, s))
                    .count();
                prop_assert_eq!(every, states.len());
            }
        }
    }

    #[test]
    fn samples_are_uniform_over_the_patterns() {
        let side = 3;
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let draws = 28_000;
        let data = sample(side, draws, Domain::Bit, &mut rng).unwrap();
        let patterns = all(side, Domain::Bit).unwrap();
        let counts: Vec<usize> = patterns.rows().map(|p| data.rows().filter(|r| r == &p).count()).collect();
        assert_eq!(counts.iter().sum::<usize>(), draws);
        // Pearson's χ² with 13 degrees of freedom: P(χ² > 40) < 10⁻⁴.
        let expected = draws as f64 / 14.0;
        let chi2: f64 = counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
        assert!(chi2 < 40.0, "χ² = {chi2}, counts {counts:?}");
        let again = sample(side, draws, Domain::Bit, &mut rand_pcg::Pcg64Mcg::seed_from_u64(11)).unwrap();
        assert_eq!(data, again);
    }

    #[test]
    fn bad_sides_are_refused() {
        assert!(all(0, Domain::Bit).is_err());
        assert!(all(MAX_SIDE + 1, Domain::Bit).is_err());
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0);
        assert!(sample(4, usize::MAX, Domain::Spin, &mut rng).is_err());
    }
}
