//! Two-dimensional data sets with their true densities, for training and
//! judging continuous energy-based models, and a reader for points in CSV.
//!
//! Each data set is defined by its generative process, and each has a true
//! density p(x) that can be evaluated, given as the normalised energy
//! E(x) = −log p(x) ([`TrueDensity`], a [`ContinuousEnergy`] with Z = 1).
//! Every set lies well inside the square [−4, 4]² ([`HALF_WIDTH`]).
//!
//! | name | generative process | true density |
//! |---|---|---|
//! | `ring8` | k uniform in {0, …, 7}; x = 2 (cos 2πk/8, sin 2πk/8) + 0.25 ξ | the mixture of the 8 Gaussians |
//! | `moons` | moon m ∈ {+1, −1} and j ∈ {0, …, 199} uniform, t = π(j + ½)/200; x = 2m (cos t − ½, sin t − ¼) + 0.2 ξ | the mixture of the 400 Gaussians |
//! | `spiral` | j ∈ {0, …, 399} uniform, t = (j + ½)/400, r = ½ + 2.5 t, φ = 4π t; x = r (cos φ, sin φ) + 0.15 ξ | the mixture of the 400 Gaussians |
//! | `checkerboard` | a square chosen uniformly among the 8 dark squares (i + j even) of the 4 × 4 board of unit squares on [−2, 2)²; x uniform in it | 1/8 on the dark squares, 0 elsewhere |
//!
//! with ξ ~ N(0, I). The curves of `moons` and `spiral` are discretised
//! finely (points 0.03 and at most 0.07 apart, against noise of 0.2 and
//! 0.15), so the data look like points scattered along continuous curves,
//! while the density stays an exact, finite mixture: nothing about the
//! truth is approximated.

use crate::dataset::Dataset;
use ebm_core::{ContinuousEnergy, Error, FileError, GaussianMixture, Result};
use rand::{Rng, RngExt};
use std::f64::consts::PI;
use std::path::Path;

/// Half the side of the square [−4, 4]² that holds every data set (beyond
/// four noise deviations).
pub const HALF_WIDTH: f64 = 4.0;

/// The largest CSV file read (256 MiB).
pub const MAX_CSV_BYTES: u64 = 256 << 20;

/// One of the built-in 2-D data sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plane {
    /// Eight Gaussians on a circle of radius 2.
    Ring8,
    /// Two interleaved half circles.
    Moons,
    /// Uniform on the dark squares of a 4 × 4 board.
    Checkerboard,
    /// A two-turn spiral.
    Spiral,
}

impl Plane {
    /// Every data set, in the order of the table above.
    pub const ALL: [Plane; 4] = [Plane::Ring8, Plane::Moons, Plane::Spiral, Plane::Checkerboard];

    /// The data set called `name` (`ring8`, `moons`, `checkerboard`, `spiral`).
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| {
            Error::invalid(
                "2-D data set",
                format!("`{name}` is not one of ring8, moons, checkerboard, spiral"),
            )
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Plane::Ring8 => "ring8",
            Plane::Moons => "moons",
            Plane::Checkerboard => "checkerboard",
            Plane::Spiral => "spiral",
        }
    }

    /// The true density as a normalised energy E = −log p.
    pub fn true_density(self) -> TrueDensity {
        match self {
            Plane::Checkerboard => TrueDensity::Checkerboard,
            curve => TrueDensity::Mixture(curve.mixture()),
        }
    }

    /// The Gaussian mixture of the curve data sets.
    fn mixture(self) -> GaussianMixture {
        let (centres, std_dev): (Vec<[f64; 2]>, f64) = match self {
            Plane::Ring8 => ((0..8).map(|k| polar(2.0, 2.0 * PI * k as f64 / 8.0)).collect(), 0.25),
            Plane::Moons => {
                let upper = (0..200).map(|j| {
                    let t = PI * (j as f64 + 0.5) / 200.0;
                    [2.0 * (t.cos() - 0.5), 2.0 * (t.sin() - 0.25)]
                });
                let upper: Vec<[f64; 2]> = upper.collect();
                let lower = upper.iter().map(|[x, y]| [-x, -y]);
                (upper.iter().copied().chain(lower).collect(), 0.2)
            }
            Plane::Spiral => (
                (0..400)
                    .map(|j| {
                        let t = (j as f64 + 0.5) / 400.0;
                        polar(0.5 + 2.5 * t, 4.0 * PI * t)
                    })
                    .collect(),
                0.15,
            ),
            Plane::Checkerboard => unreachable!("the checkerboard is not a mixture"),
        };
        GaussianMixture::isotropic(2, centres.concat(), std_dev).expect("valid built-in mixture")
    }

    /// `n` points drawn from the data set, as a data set with 2 features.
    pub fn sample<R: Rng + ?Sized>(self, n: usize, rng: &mut R) -> Result<Dataset> {
        if n as u64 > crate::MAX_GENERATED_VALUES / 2 {
            return Err(Error::TooLarge {
                what: "2-D data set (points)".into(),
                limit: crate::MAX_GENERATED_VALUES / 2,
                found: n as u64,
            });
        }
        let mut values = Vec::with_capacity(2 * n);
        let mut x = [0.0; 2];
        let truth = self.true_density();
        for _ in 0..n {
            match &truth {
                TrueDensity::Mixture(m) => m.sample(rng, &mut x),
                TrueDensity::Checkerboard => {
                    let square = rng.random_range(0..8usize);
                    let (row, pair) = (square / 2, square % 2);
                    // Dark squares of row `row` are the columns with (column + row) even.
                    let column = 2 * pair + row % 2;
                    x = [column as f64 - 2.0 + rng.random::<f64>(), row as f64 - 2.0 + rng.random::<f64>()];
                }
            }
            values.extend(x.iter().map(|&v| v as f32));
        }
        Dataset::from_rows(values, 2)
    }
}

/// (r cos φ, r sin φ).
fn polar(r: f64, phi: f64) -> [f64; 2] {
    [r * phi.cos(), r * phi.sin()]
}

/// The true density of a [`Plane`] data set as the energy E(x) = −log p(x)
/// (so Z = 1): +∞ where p vanishes.
#[derive(Clone, Debug, PartialEq)]
pub enum TrueDensity {
    /// A Gaussian mixture (`ring8`, `moons`, `spiral`).
    Mixture(GaussianMixture),
    /// Uniform on the dark squares of the board: E = log 8 there.
    Checkerboard,
}

impl ContinuousEnergy for TrueDensity {
    fn dim(&self) -> usize {
        2
    }

    fn energy(&self, x: &[f64]) -> f64 {
        match self {
            TrueDensity::Mixture(m) => m.energy(x),
            TrueDensity::Checkerboard => {
                let (column, row) = ((x[0] + 2.0).floor(), (x[1] + 2.0).floor());
                let inside = (0.0..4.0).contains(&column) && (0.0..4.0).contains(&row);
                if inside && (column + row) as i64 % 2 == 0 { 8f64.ln() } else { f64::INFINITY }
            }
        }
    }

    fn energy_batch(&self, points: &[f64], energies: &mut [f64]) {
        match self {
            TrueDensity::Mixture(m) => m.energy_batch(points, energies),
            TrueDensity::Checkerboard => {
                points.chunks_exact(2).zip(energies).for_each(|(x, e)| *e = self.energy(x));
            }
        }
    }
}

/// Reads 2-D points from a CSV file: one point per line as two numbers
/// separated by a comma (spaces around them allowed). Empty lines and lines
/// starting with `#` are skipped, and so is a first line that is not numeric
/// (a header). Files over [`MAX_CSV_BYTES`], lines with another number of
/// fields, values that are not finite numbers and files without points are
/// refused with the line at fault.
pub fn read_csv(path: impl AsRef<Path>) -> Result<Dataset> {
    let path = path.as_ref();
    let io = |e| Error::File { path: Some(path.to_path_buf()), kind: FileError::Io(e) };
    let bad =
        |message: String| Error::File { path: Some(path.to_path_buf()), kind: FileError::Malformed(message) };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_CSV_BYTES {
        return Err(bad(format!("{size} bytes exceeds the limit of {MAX_CSV_BYTES} bytes for a CSV file")));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    parse_csv(&text).map_err(bad)
}

/// The points of CSV `text` (see [`read_csv`]); errors name the line.
pub fn parse_csv(text: &str) -> std::result::Result<Dataset, String> {
    let mut values = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if number == 0 && parsed.iter().all(Option::is_none) {
            continue;
        }
        if fields.len() != 2 {
            return Err(format!(
                "line {}: expected 2 comma-separated numbers, found {} fields",
                number + 1,
                fields.len()
            ));
        }
        for (field, value) in fields.iter().zip(parsed) {
            match value {
                Some(v) if v.is_finite() && v.abs() <= f64::from(f32::MAX) => values.push(v as f32),
                _ => return Err(format!("line {}: `{field}` is not a finite number", number + 1)),
            }
        }
    }
    if values.is_empty() {
        return Err("no points".into());
    }
    Dataset::from_rows(values, 2).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebm_core::quadrature::Grid;
    use rand::SeedableRng;

    #[test]
    fn every_true_density_is_normalised_and_lies_in_the_square() {
        let grid = Grid::square(HALF_WIDTH, 200).unwrap();
        for plane in Plane::ALL {
            let density = grid.density(&plane.true_density(), 1.0).unwrap();
            assert!(
                density.log_partition().abs() < 1e-6,
                "{}: log Z = {}",
                plane.name(),
                density.log_partition()
            );
        }
    }

    #[test]
    fn samples_follow_the_true_density() {
        // The average log-density of samples estimates −H(p) = ∫ p log p, by quadrature.
        let grid = Grid::square(HALF_WIDTH, 200).unwrap();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
        for plane in Plane::ALL {
            let truth = plane.true_density();
            let density = grid.density(&truth, 1.0).unwrap();
            let negative_entropy: f64 = density
                .log_density()
                .iter()
                .filter(|l| l.is_finite())
                .map(|l| l.exp() * l * grid.cell_area())
                .sum();
            let n = 4000;
            let data = plane.sample(n, &mut rng).unwrap();
            let logs: Vec<f64> =
                data.rows().map(|x| -truth.energy(&[f64::from(x[0]), f64::from(x[1])])).collect();
            let mean = logs.iter().sum::<f64>() / n as f64;
            let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
            assert!(
                (mean - negative_entropy).abs() < 5.0 * sd / (n as f64).sqrt() + 1e-9,
                "{}: {mean} vs {negative_entropy}",
                plane.name()
            );
            assert!(data.rows().all(|x| x.iter().all(|v| v.abs() < HALF_WIDTH as f32)));
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_points_and_names_round_trip() {
        for plane in Plane::ALL {
            let draw = |seed| plane.sample(50, &mut rand_pcg::Pcg64Mcg::seed_from_u64(seed)).unwrap();
            assert_eq!(draw(1), draw(1));
            assert_ne!(draw(1), draw(2));
            assert_eq!(Plane::from_name(plane.name()).unwrap(), plane);
        }
        assert!(Plane::from_name("rings").is_err());
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0);
        assert!(matches!(Plane::Moons.sample(usize::MAX, &mut rng), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn the_checkerboard_is_uniform_on_the_dark_squares() {
        let board = TrueDensity::Checkerboard;
        assert_eq!(board.energy(&[-1.5, -1.5]), 8f64.ln());
        assert_eq!(board.energy(&[-0.5, -1.5]), f64::INFINITY);
        assert_eq!(board.energy(&[0.5, 0.5]), 8f64.ln());
        assert_eq!(board.energy(&[2.5, 0.5]), f64::INFINITY);
        let data = Plane::Checkerboard.sample(1000, &mut rand_pcg::Pcg64Mcg::seed_from_u64(3)).unwrap();
        assert!(data.rows().all(|x| board.energy(&[f64::from(x[0]), f64::from(x[1])]).is_finite()));
    }

    #[test]
    fn csv_points_are_read_and_bad_files_refused_with_the_line() {
        let data = parse_csv("x,y\n1.5, -2\n\n# comment\n3e-1,4\n").unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data.get(1).unwrap(), &[0.3, 4.0]);
        assert!(parse_csv("1,2\n3,4,5\n").unwrap_err().contains("line 2"));
        assert!(parse_csv("1,2\n3,nan\n").unwrap_err().contains("line 2"));
        assert!(parse_csv("1,2\n3,abc\n").unwrap_err().contains("`abc`"));
        assert!(parse_csv("1,1e300\n").is_err());
        assert!(parse_csv("x,y\n").unwrap_err().contains("no points"));
        assert!(parse_csv("1\n").is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("points.csv");
        std::fs::write(&path, "0,0\n1,1\n").unwrap();
        assert_eq!(read_csv(&path).unwrap().len(), 2);
        let error = read_csv(dir.path().join("missing.csv")).unwrap_err().to_string();
        assert!(error.contains("missing.csv"), "{error}");
        std::fs::write(&path, "0,0\n1,x\n").unwrap();
        let error = read_csv(&path).unwrap_err().to_string();
        assert!(error.contains("points.csv") && error.contains("line 2"), "{error}");
    }
}
