//! Random discrete patterns and their corruption: the memories and probes of
//! Hopfield-network experiments.

use crate::dataset::Dataset;
use ebm_core::{Domain, Error, Result};
use rand::{Rng, RngExt};

fn check_probability(what: &str, p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Error::Invalid { what: what.into(), reason: format!("must lie in [0, 1], got {p}") })
    }
}

/// `count` patterns of `units` units, each unit independently on (+1 or 1)
/// with probability `p_on` and off (−1 or 0) otherwise. `p_on = ½` gives the
/// unbiased patterns of the classical capacity analysis; the mean activity of
/// a ±1 unit is then 2·p_on − 1.
pub fn random(
    count: usize,
    units: usize,
    p_on: f64,
    domain: Domain,
    rng: &mut impl Rng,
) -> Result<Vec<Vec<i8>>> {
    check_probability("probability of an on unit", p_on)?;
    crate::check_generated("random patterns", count, units)?;
    Ok((0..count).map(|_| (0..units).map(|_| domain.value(rng.random_bool(p_on))).collect()).collect())
}

/// [`random`] patterns as a [`Dataset`].
pub fn random_dataset(
    count: usize,
    units: usize,
    p_on: f64,
    domain: Domain,
    rng: &mut impl Rng,
) -> Result<Dataset> {
    let patterns = random(count, units, p_on, domain, rng)?;
    let mut data = Dataset::from_states(&patterns, domain)?;
    if patterns.is_empty() {
        data = Dataset::from_rows(Vec::new(), units)?;
    }
    Ok(data)
}

/// A copy of `state` with exactly round(fraction · N) distinct units, chosen
/// uniformly, flipped. The overlap with the original is then
/// m = 1 − 2k/N for ±1 units.
pub fn corrupt(state: &[i8], domain: Domain, fraction: f64, rng: &mut impl Rng) -> Result<Vec<i8>> {
    check_probability("fraction of flipped units", fraction)?;
    domain.check(state, state.len())?;
    let flips = (fraction * state.len() as f64).round() as usize;
    let mut out = state.to_vec();
    for unit in rand::seq::index::sample(rng, state.len(), flips.min(state.len())) {
        out[unit] = domain.flipped(out[unit]);
    }
    Ok(out)
}

/// A rectangular part of an image to hide, in fractions of its width and height.
///
/// The textual form (its [`FromStr`](std::str::FromStr) and
/// [`Display`](std::fmt::Display)) is `bottom:F`, `top:F`, `left:F`,
/// `right:F` (that fraction of the rows or columns on that side) or
/// `box:X,Y,W,H` (a box whose top-left corner is at (X, Y) and whose size is
/// W × H, all fractions of the image, X + W ≤ 1 and Y + H ≤ 1); a bare `F`
/// means `bottom:F`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Occlusion {
    /// The bottom fraction of the rows.
    Bottom(f64),
    /// The top fraction of the rows.
    Top(f64),
    /// The left fraction of the columns.
    Left(f64),
    /// The right fraction of the columns.
    Right(f64),
    /// A box: left edge `x`, top edge `y`, width `w`, height `h`.
    Box {
        /// Left edge.
        x: f64,
        /// Top edge.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
    },
}

impl Occlusion {
    /// The box (x, y, w, h) this occlusion covers, in fractions of the image.
    fn as_box(self) -> (f64, f64, f64, f64) {
        match self {
            Occlusion::Bottom(f) => (0.0, 1.0 - f, 1.0, f),
            Occlusion::Top(f) => (0.0, 0.0, 1.0, f),
            Occlusion::Left(f) => (0.0, 0.0, f, 1.0),
            Occlusion::Right(f) => (1.0 - f, 0.0, f, 1.0),
            Occlusion::Box { x, y, w, h } => (x, y, w, h),
        }
    }

    /// An error unless every fraction lies in [0, 1] and a box fits in the image.
    pub fn check(self) -> Result<()> {
        let (x, y, w, h) = self.as_box();
        for (name, v) in [("left edge", x), ("top edge", y), ("width", w), ("height", h)] {
            check_probability(&format!("occlusion {name}"), v)?;
        }
        // A small tolerance for sums such as 0.7 + 0.3 in floating point.
        if x + w > 1.0 + 1e-9 || y + h > 1.0 + 1e-9 {
            return Err(Error::Invalid {
                what: "occlusion box".into(),
                reason: format!("x + w = {} and y + h = {} must not exceed 1", x + w, y + h),
            });
        }
        Ok(())
    }

    /// The half-open row and column ranges hidden in a `width × height` image:
    /// edges at round(fraction · side).
    pub fn ranges(self, width: usize, height: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (x, y, w, h) = self.as_box();
        let edge = |f: f64, side: usize| ((f * side as f64).round() as usize).min(side);
        let (r0, c0) = (edge(y, height), edge(x, width));
        let (r1, c1) = (edge(y + h, height).max(r0), edge(x + w, width).max(c0));
        (r0..r1, c0..c1)
    }
}

impl std::str::FromStr for Occlusion {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Occlusion> {
        let bad = |reason: String| Error::Invalid { what: format!("occlusion {spec:?}"), reason };
        let number = |text: &str| {
            text.trim().parse::<f64>().map_err(|_| bad(format!("{:?} is not a number", text.trim())))
        };
        let spec = spec.trim();
        let occlusion = match spec.split_once(':') {
            None => Occlusion::Bottom(number(spec)?),
            Some((side, value)) => match side.trim().to_ascii_lowercase().as_str() {
                "bottom" => Occlusion::Bottom(number(value)?),
                "top" => Occlusion::Top(number(value)?),
                "left" => Occlusion::Left(number(value)?),
                "right" => Occlusion::Right(number(value)?),
                "box" => {
                    let parts = value.split(',').map(number).collect::<Result<Vec<f64>>>()?;
                    let [x, y, w, h] = parts[..] else {
                        return Err(bad(format!("a box takes four fractions x,y,w,h, got {}", parts.len())));
                    };
                    Occlusion::Box { x, y, w, h }
                }
                other => {
                    return Err(bad(format!(
                        "unknown side {other:?}; use bottom:F, top:F, left:F, right:F, box:X,Y,W,H or F"
                    )));
                }
            },
        };
        occlusion.check().map_err(|e| bad(e.to_string()))?;
        Ok(occlusion)
    }
}

impl std::fmt::Display for Occlusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Occlusion::Bottom(v) => write!(f, "bottom:{v}"),
            Occlusion::Top(v) => write!(f, "top:{v}"),
            Occlusion::Left(v) => write!(f, "left:{v}"),
            Occlusion::Right(v) => write!(f, "right:{v}"),
            Occlusion::Box { x, y, w, h } => write!(f, "box:{x},{y},{w},{h}"),
        }
    }
}

/// A copy of `state`, a `width × height` image stored row by row, with the
/// units in `region` set to "off" (−1 or 0): the part of the picture is blanked
/// to the background, as a torn or covered photograph. The overlap with the
/// original then counts only the hidden units that were on.
///
/// An error if `state` is not `width · height` values of `domain`, or if
/// `region` does not lie within the image ([`Occlusion::check`]).
///
/// ```
/// use ebm_core::Domain;
/// use ebm_data::patterns::{Occlusion, occlude};
///
/// let state = vec![1i8; 6]; // 3 wide, 2 high, all on
/// let hidden = occlude(&state, Domain::Spin, 3, 2, "bottom:0.5".parse()?)?;
/// assert_eq!(hidden, [1, 1, 1, -1, -1, -1]);
/// let hidden = occlude(&state, Domain::Spin, 3, 2, Occlusion::Right(0.34))?;
/// assert_eq!(hidden, [1, 1, -1, 1, 1, -1]);
/// # Ok::<(), ebm_core::Error>(())
/// ```
pub fn occlude(
    state: &[i8],
    domain: Domain,
    width: usize,
    height: usize,
    region: Occlusion,
) -> Result<Vec<i8>> {
    region.check()?;
    let units = width.checked_mul(height).ok_or_else(|| Error::Invalid {
        what: "image shape".into(),
        reason: format!("{width} × {height} overflows"),
    })?;
    domain.check(state, units)?;
    let (rows, columns) = region.ranges(width, height);
    let mut out = state.to_vec();
    for r in rows {
        out[r * width + columns.start..r * width + columns.end].fill(domain.low());
    }
    Ok(out)
}

/// A copy of `state` with each unit flipped independently with probability
/// `p` (binary symmetric noise).
pub fn flip_noise(state: &[i8], domain: Domain, p: f64, rng: &mut impl Rng) -> Result<Vec<i8>> {
    check_probability("flip probability", p)?;
    domain.check(state, state.len())?;
    Ok(state.iter().map(|&v| if rng.random_bool(p) { domain.flipped(v) } else { v }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    proptest! {
        #[test]
        fn corruption_flips_exactly_the_requested_number(
            units in 1usize..200, fraction in 0.0f64..=1.0, seed in any::<u64>(), spin in any::<bool>()
        ) {
            let domain = if spin { Domain::Spin } else { Domain::Bit };
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            let state = random(1, units, 0.5, domain, &mut rng).unwrap().remove(0);
            let corrupted = corrupt(&state, domain, fraction, &mut rng).unwrap();
            let flipped = state.iter().zip(&corrupted).filter(|(a, b)| a != b).count();
            prop_assert_eq!(flipped, (fraction * units as f64).round() as usize);
            prop_assert!(domain.check(&corrupted, units).is_ok());
        }

        #[test]
        fn same_seed_same_patterns(seed in any::<u64>()) {
            let draw = || random(5, 17, 0.3, Domain::Spin, &mut Pcg64Mcg::seed_from_u64(seed)).unwrap();
            prop_assert_eq!(draw(), draw());
        }
    }

    #[test]
    fn the_bias_sets_the_mean_activity() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        for p in [0.1, 0.5, 0.8] {
            let patterns = random(100, 1000, p, Domain::Bit, &mut rng).unwrap();
            let mean = patterns.iter().flatten().map(|&v| f64::from(v)).sum::<f64>() / 100_000.0;
            // Standard error √(p(1−p)/10⁵) ≤ 0.0016; allow five of them.
            assert!((mean - p).abs() < 0.008, "p = {p}: mean {mean}");
        }
        let noisy_flips: usize = (0..200)
            .map(|_| {
                let s = vec![1i8; 100];
                flip_noise(&s, Domain::Spin, 0.2, &mut rng).unwrap().iter().filter(|&&v| v == -1).count()
            })
            .sum();
        assert!((noisy_flips as f64 / 20_000.0 - 0.2).abs() < 0.015, "{noisy_flips}");
    }

    #[test]
    fn bad_input_is_refused() {
        let mut rng = Pcg64Mcg::seed_from_u64(0);
        assert!(random(2, 3, 1.5, Domain::Bit, &mut rng).is_err());
        assert!(random(usize::MAX, 1 << 20, 0.5, Domain::Bit, &mut rng).is_err());
        assert!(corrupt(&[1, -1], Domain::Spin, -0.1, &mut rng).is_err());
        assert!(corrupt(&[1, 0], Domain::Spin, 0.1, &mut rng).is_err());
        assert!(flip_noise(&[0, 1], Domain::Bit, f64::NAN, &mut rng).is_err());
        assert_eq!(random_dataset(0, 7, 0.5, Domain::Bit, &mut rng).unwrap().features(), 7);
    }
    #[test]
    fn occlusion_hides_exactly_its_region() {
        let (width, height) = (5usize, 4usize);
        let state = vec![1i8; width * height];
        let hidden = |spec: &str| {
            let out = occlude(&state, Domain::Spin, width, height, spec.parse().unwrap()).unwrap();
            (0..height)
                .map(|r| {
                    (0..width).map(|c| if out[r * width + c] == 1 { '#' } else { '.' }).collect::<String>()
                })
                .collect::<Vec<_>>()
                .join("/")
        };
        assert_eq!(hidden("bottom:0.5"), "#####/#####/...../.....");
        assert_eq!(hidden("0.25"), "#####/#####/#####/.....");
        assert_eq!(hidden("top:0.25"), "...../#####/#####/#####");
        assert_eq!(hidden("left:0.4"), "..###/..###/..###/..###");
        assert_eq!(hidden("right:0.2"), "####./####./####./####.");
        assert_eq!(hidden("box:0.2,0.25,0.6,0.5"), "#####/#...#/#...#/#####");
        assert_eq!(hidden("bottom:0"), "#####/#####/#####/#####");
        assert_eq!(hidden("right:1"), "...../...../...../.....");
        // Bits: hidden units become 0; units already off stay off.
        let bits = [1i8, 0, 1, 1];
        assert_eq!(occlude(&bits, Domain::Bit, 2, 2, Occlusion::Bottom(0.5)).unwrap(), [1, 0, 0, 0]);
    }

    #[test]
    fn occlusion_specs_parse_print_and_refuse() {
        for spec in ["bottom:0.5", "top:0.25", "left:0.3", "right:1", "box:0.1,0.2,0.3,0.4"] {
            assert_eq!(spec.parse::<Occlusion>().unwrap().to_string(), spec);
        }
        assert_eq!(" 0.3 ".parse::<Occlusion>().unwrap(), Occlusion::Bottom(0.3));
        assert_eq!("Right: 0.3".parse::<Occlusion>().unwrap(), Occlusion::Right(0.3));
        for bad in [
            "",
            "half",
            "bottom:",
            "bottom:1.5",
            "left:-0.1",
            "middle:0.5",
            "box:0.1,0.2,0.3",
            "box:0.5,0,0.6,1",
            "top:NaN",
        ] {
            let error = bad.parse::<Occlusion>().unwrap_err().to_string();
            assert!(error.contains("occlusion"), "{bad}: {error}");
        }
        assert!(occlude(&[1, -1, 1], Domain::Spin, 2, 2, Occlusion::Top(0.5)).is_err());
        assert!(occlude(&[1, 0], Domain::Spin, 2, 1, Occlusion::Top(0.5)).is_err());
        assert!(occlude(&[1, 1], Domain::Spin, usize::MAX, 2, Occlusion::Top(0.5)).is_err());
        assert!(occlude(&[1, 1], Domain::Spin, 2, 1, Occlusion::Top(2.0)).is_err());
    }

    proptest! {
        #[test]
        fn occlusion_only_turns_units_off_inside_the_region(
            width in 1usize..12, height in 1usize..12, x in 0.0f64..=1.0, y in 0.0f64..=1.0,
            w in 0.0f64..=1.0, h in 0.0f64..=1.0, seed in any::<u64>(),
        ) {
            let region = Occlusion::Box { x, y, w: w * (1.0 - x), h: h * (1.0 - y) };
            let mut rng = Pcg64Mcg::seed_from_u64(seed);
            let state = random(1, width * height, 0.5, Domain::Spin, &mut rng).unwrap().remove(0);
            let out = occlude(&state, Domain::Spin, width, height, region).unwrap();
            let (rows, columns) = region.ranges(width, height);
            for r in 0..height {
                for c in 0..width {
                    let k = r * width + c;
                    let inside = rows.contains(&r) && columns.contains(&c);
                    prop_assert_eq!(out[k], if inside { -1 } else { state[k] });
                }
            }
        }
    }
}
