//! Shapes: a generated set of small binary images with parts that combine.
//!
//! Each image is a `side × side` grid (8 × 8 by default) holding one shape of
//! one of five kinds, drawn uniformly, at a uniformly drawn position and size:
//!
//! | class | kind | made of |
//! |---|---|---|
//! | 0 | horizontal bar | one or two adjacent full rows |
//! | 1 | vertical bar | one or two adjacent full columns |
//! | 2 | rectangle | the outline of a box at least 3 × 3: two row segments and two column segments |
//! | 3 | cross | a plus sign with arms of length 1 or 2: a row segment and a column segment |
//! | 4 | diagonal | a full line r − c = k or r + c = k, at least 4 pixels long |
//!
//! after which every pixel flips independently with probability `noise`
//! ([`crate::patterns::flip_noise`]). The clean images form a small set
//! ([`count_clean`]); the noise spreads probability around each of them.
//!
//! The set is built for deep models: the useful features are short segments,
//! and which segments appear together — the two sides of a rectangle, the
//! two arms of a cross meeting at one point — is a dependence *between*
//! features, which a second hidden layer can represent and a single layer of
//! independent hidden units can only approximate.
//!
//! Everything is drawn from the caller's generator, so a seed fixes the set.

use crate::dataset::Dataset;
use crate::patterns::flip_noise;
use ebm_core::{Domain, Error, Result};
use rand::{Rng, RngExt};

/// The default side: 8 × 8 images of 64 pixels.
pub const SIDE: usize = 8;

/// The default pixel-flip probability.
pub const NOISE: f64 = 0.02;

/// The smallest side that fits every kind (a cross with arms of length 2).
pub const MIN_SIDE: usize = 5;

/// The largest supported side.
pub const MAX_SIDE: usize = 32;

/// Class names, by class index.
pub const CLASS_NAMES: [&str; 5] = ["horizontal bar", "vertical bar", "rectangle", "cross", "diagonal"];

fn check_side(side: usize) -> Result<()> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&side) {
        return Err(Error::invalid("shapes side", format!("{side} is outside {MIN_SIDE}..={MAX_SIDE}")));
    }
    Ok(())
}

/// Every clean image of class `class` on a `side × side` grid, as on/off
/// cells row by row, in a fixed order.
pub fn clean(class: usize, side: usize) -> Result<Vec<Vec<bool>>> {
    check_side(side)?;
    let n = side as isize;
    let image = |on: &dyn Fn(isize, isize) -> bool| -> Vec<bool> {
        (0..side * side).map(|cell| on((cell / side) as isize, (cell % side) as isize)).collect()
    };
    let mut images = Vec::new();
    match class {
        0 | 1 => {
            for thickness in 1..=2 {
                for first in 0..=n - thickness {
                    let inside = move |x: isize| (first..first + thickness).contains(&x);
                    images.push(image(&|r, c| inside(if class == 0 { r } else { c })));
                }
            }
        }
        2 => {
            for (top, left) in (0..n).flat_map(|t| (0..n).map(move |l| (t, l))) {
                for (bottom, right) in (top + 2..n).flat_map(|b| (left + 2..n).map(move |r| (b, r))) {
                    images.push(image(&|r, c| {
                        let rows = (top..=bottom).contains(&r);
                        let cols = (left..=right).contains(&c);
                        (rows && (c == left || c == right)) || (cols && (r == top || r == bottom))
                    }));
                }
            }
        }
        3 => {
            for arm in 1..=2 {
                for (row, col) in (arm..n - arm).flat_map(|r| (arm..n - arm).map(move |c| (r, c))) {
                    images.push(image(&|r, c| {
                        (r == row && (c - col).abs() <= arm) || (c == col && (r - row).abs() <= arm)
                    }));
                }
            }
        }
        4 => {
            // Lines of at least 4 pixels: |k| ≤ n − 4.
            for k in -(n - 4)..=n - 4 {
                images.push(image(&|r, c| r - c == k));
                images.push(image(&|r, c| r + c == n - 1 + k));
            }
        }
        _ => {
            return Err(Error::invalid(
                "shape class",
                format!("{class} is not below the {} classes", CLASS_NAMES.len()),
            ));
        }
    }
    Ok(images)
}

/// The number of clean images of each class on a `side × side` grid.
pub fn count_clean(side: usize) -> Result<Vec<usize>> {
    (0..CLASS_NAMES.len()).map(|class| Ok(clean(class, side)?.len())).collect()
}

/// `count` images, each of a uniformly drawn class and a uniformly drawn
/// clean image of that class, with each pixel then flipped with probability
/// `noise`; returns the images (0/1, with their image shape) and their classes.
///
/// ```
/// use ebm_data::shapes;
/// use rand::SeedableRng;
///
/// let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
/// let (images, classes) = shapes::sample(100, shapes::SIDE, shapes::NOISE, &mut rng)?;
/// assert_eq!((images.len(), images.features(), classes.len()), (100, 64, 100));
/// assert!(classes.iter().all(|&c| c < shapes::CLASS_NAMES.len()));
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn sample(count: usize, side: usize, noise: f64, rng: &mut impl Rng) -> Result<(Dataset, Vec<usize>)> {
    check_side(side)?;
    let cells = crate::check_generated("shapes sample", count, side * side)?;
    let catalogue: Vec<Vec<Vec<bool>>> =
        (0..CLASS_NAMES.len()).map(|class| clean(class, side)).collect::<Result<_>>()?;
    let mut values = Vec::with_capacity(cells as usize);
    let mut classes = Vec::with_capacity(count);
    for _ in 0..count {
        let class = rng.random_range(0..catalogue.len());
        let images = &catalogue[class];
        let cells: Vec<i8> =
            images[rng.random_range(0..images.len())].iter().map(|&on| i8::from(on)).collect();
        values.extend(flip_noise(&cells, Domain::Bit, noise, rng)?.into_iter().map(f32::from));
        classes.push(class);
    }
    Ok((Dataset::from_rows(values, side * side)?.with_image_shape(side, side)?, classes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;
    use std::collections::HashSet;

    /// The cells of row `r` (or column, `by_column`) that are on.
    fn line(image: &[bool], side: usize, k: usize, by_column: bool) -> Vec<usize> {
        (0..side).filter(|&i| image[if by_column { i * side + k } else { k * side + i }]).collect()
    }

    #[test]
    fn clean_images_have_the_shape_of_their_class() {
        let side = SIDE;
        for class in 0..CLASS_NAMES.len() {
            for image in clean(class, side).unwrap() {
                let on = image.iter().filter(|&&x| x).count();
                let full_rows = (0..side).filter(|&r| line(&image, side, r, false).len() == side).count();
                let full_cols = (0..side).filter(|&c| line(&image, side, c, true).len() == side).count();
                match class {
                    0 => assert!((1..=2).contains(&full_rows) && on == full_rows * side),
                    1 => assert!((1..=2).contains(&full_cols) && on == full_cols * side),
                    2 => {
                        // A box outline: exactly two rows and two columns with more than two cells on.
                        let long_rows = (0..side).filter(|&r| line(&image, side, r, false).len() > 2).count();
                        let long_cols = (0..side).filter(|&c| line(&image, side, c, true).len() > 2).count();
                        assert_eq!((long_rows, long_cols), (2, 2), "{image:?}");
                    }
                    3 => {
                        assert!(on == 5 || on == 9, "{image:?}");
                        assert_eq!((0..side).filter(|&r| line(&image, side, r, false).len() > 1).count(), 1);
                    }
                    _ => {
                        assert!(on >= 4 && (0..side).all(|r| line(&image, side, r, false).len() <= 1));
                    }
                }
            }
        }
    }

    #[test]
    fn the_catalogue_has_the_expected_size_and_no_image_in_two_classes() {
        // Bars: 8 + 7 of each direction; boxes: (6+5+…+1)²; crosses: 6² + 4²; diagonals: 2·9.
        assert_eq!(count_clean(8).unwrap(), vec![15, 15, 441, 52, 18]);
        let mut seen = HashSet::new();
        for class in 0..CLASS_NAMES.len() {
            for image in clean(class, 8).unwrap() {
                assert!(seen.insert(image), "an image of class {class} is also in another class");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn noiseless_samples_are_clean_images_of_their_class(seed in any::<u64>(), side in MIN_SIDE..12) {
            let (images, classes) = sample(50, side, 0.0, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(images.image_shape(), Some((side, side)));
            for (row, &class) in images.rows().zip(&classes) {
                let cells: Vec<bool> = row.iter().map(|&x| x == 1.0).collect();
                prop_assert!(clean(class, side).unwrap().contains(&cells));
            }
            let again = sample(50, side, 0.0, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(again, (images, classes));
        }
    }

    #[test]
    fn classes_are_uniform_and_noise_flips_the_requested_fraction() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let draws = 5_000;
        let (noisy, classes) = sample(draws, SIDE, 0.1, &mut rng).unwrap();
        let expected = draws as f64 / 5.0;
        let chi2: f64 = (0..5)
            .map(|c| (classes.iter().filter(|&&k| k == c).count() as f64 - expected).powi(2) / expected)
            .sum();
        // χ² with 4 degrees of freedom: P(χ² > 25) < 10⁻⁴.
        assert!(chi2 < 25.0, "χ² = {chi2}");
        // The flips: the distance from each image to the nearest clean image of
        // its class is at most the number of flips, so its mean is at most 6.4.
        let catalogue: Vec<Vec<Vec<bool>>> = (0..5).map(|c| clean(c, SIDE).unwrap()).collect();
        let mut distance = 0.0;
        for (row, &class) in noisy.rows().zip(&classes) {
            let nearest = catalogue[class]
                .iter()
                .map(|image| image.iter().zip(row).filter(|&(&on, &x)| on != (x == 1.0)).count())
                .min()
                .unwrap();
            distance += nearest as f64 / draws as f64;
        }
        assert!((5.0..=6.4 + 0.2).contains(&distance), "mean distance to the nearest clean image {distance}");
    }

    #[test]
    fn bad_arguments_are_refused() {
        let mut rng = Pcg64Mcg::seed_from_u64(0);
        assert!(sample(10, MIN_SIDE - 1, 0.0, &mut rng).is_err());
        assert!(sample(10, MAX_SIDE + 1, 0.0, &mut rng).is_err());
        assert!(sample(10, SIDE, 1.5, &mut rng).is_err());
        assert!(sample(usize::MAX, SIDE, 0.0, &mut rng).is_err());
        assert!(clean(5, SIDE).is_err());
    }
}
