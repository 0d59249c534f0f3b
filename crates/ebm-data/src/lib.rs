//! `ebm-data`: the data sets energy-based models learn from.
//!
//! - [`Dataset`]: examples as rows of `f32`, with an optional image shape,
//!   conversion to and from discrete states, and matrices;
//! - [`bars_stripes`]: every bars-and-stripes pattern of an n × n grid, or
//!   uniform samples over them;
//! - [`patterns`]: random ±1 / 0-1 patterns with a chosen bias, and
//!   corruption by flipping a fraction of units;
//! - [`idx`]: the IDX (MNIST) format, plain or gzip, validated;
//! - [`binarize`]: threshold and stochastic binarisation;
//! - [`batches`]: seeded, shuffled minibatches;
//! - [`glyphs`]: built-in letter bitmaps, the stock memories of Hopfield demos;
//! - [`png_io`]: grey-level PNG reading and atomic writing;
//! - [`plane`]: 2-D data sets (ring of 8 Gaussians, two moons, spiral,
//!   checkerboard) with their exact true densities, and points from CSV;
//! - [`shapes`]: small binary images of bars, boxes, crosses and diagonals
//!   with pixel noise, labelled by kind — structure for deep models, no download;
//! - [`standardize`]: per-feature mean and deviation, u = (x − μ)/s, and back.
//!
//! Every generator takes the caller's random generator, so the same seed
//! gives the same data.
//!
//! ```
//! use ebm_core::Domain;
//! use ebm_data::{bars_stripes, patterns};
//! use rand::SeedableRng;
//!
//! let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(42);
//! let data = bars_stripes::sample(4, 100, Domain::Bit, &mut rng)?;
//! assert_eq!((data.len(), data.features()), (100, 16));
//!
//! let memory = patterns::random(1, 64, 0.5, Domain::Spin, &mut rng)?.remove(0);
//! let probe = patterns::corrupt(&memory, Domain::Spin, 0.25, &mut rng)?;
//! assert_eq!(memory.iter().zip(&probe).filter(|(a, b)| a != b).count(), 16);
//! # Ok::<(), ebm_core::Error>(())
//! ```

pub mod bars_stripes;
pub mod batches;
pub mod binarize;
mod dataset;
pub mod glyphs;
pub mod idx;
pub mod patterns;
pub mod plane;
pub mod png_io;
pub mod shapes;
pub mod standardize;

pub use dataset::Dataset;

/// The most values a generator produces in one call (2³⁰), so that a
/// mistaken count fails cleanly instead of exhausting memory.
pub const MAX_GENERATED_VALUES: u64 = 1 << 30;

/// `examples × features` as a number of values, or an error naming `what`
/// if it exceeds [`MAX_GENERATED_VALUES`].
pub(crate) fn check_generated(what: &str, examples: usize, features: usize) -> ebm_core::Result<u64> {
    let cells = (examples as u64).saturating_mul(features as u64);
    if cells > MAX_GENERATED_VALUES {
        return Err(ebm_core::Error::TooLarge {
            what: what.into(),
            limit: MAX_GENERATED_VALUES,
            found: cells,
        });
    }
    Ok(cells)
}
