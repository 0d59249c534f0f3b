//! A Hopfield network of pictures as a model file: [`NetworkFile`], kind
//! [`hopfield`](ebm_core::file::ModelFile::KIND) in the [`ebm_core::file`] format.
//!
//! The file keeps everything that recall from a probe image needs:
//!
//! - the network — the symmetric weights with zero diagonal, the biases
//!   (thresholds) and the unit domain, which is always ±1;
//! - the image shape, width × height = N, so that a probe can be resized to
//!   it and states drawn as pictures;
//! - the stored patterns themselves, with a name for each (the image file it
//!   came from), so that a recalled state can be named by the stored pattern
//!   it ends nearest to — a Hopfield network's weights alone do not list its
//!   memories (the pseudo-inverse and contrastive rules cannot be inverted);
//! - the storage rule, as metadata (free text, e.g. `pseudo-inverse`).
//!
//! Loading runs [`NetworkFile::new`]'s checks on the decoded payload, so a
//! crafted file with valid checksum but a wrong shape, a non-±1 pattern or an
//! asymmetric matrix is refused like a damaged one.
//!
//! ```
//! use ebm_hopfield::file::NetworkFile;
//! use ebm_hopfield::{Hopfield, storage::pseudo_inverse};
//!
//! // Two 4 × 2 pictures.
//! let patterns = vec![vec![1, 1, -1, -1, 1, 1, -1, -1], vec![1, -1, 1, -1, 1, -1, 1, -1]];
//! let net = Hopfield::new(pseudo_inverse(&patterns)?)?;
//! let names = vec!["bars".to_string(), "stripes".to_string()];
//! let file = NetworkFile::new(net, 4, 2, "pseudo-inverse", patterns, names)?;
//! let dir = std::env::temp_dir().join(format!("ebm-hopfield-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("net.ebm");
//! ebm_core::file::save(&path, &file)?;
//! let loaded: NetworkFile = ebm_core::file::load(&path)?;
//! assert_eq!(loaded, file);
//! assert_eq!((loaded.width(), loaded.height(), loaded.rule()), (4, 2, "pseudo-inverse"));
//! assert_eq!(loaded.fixed_points()?, 2);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), ebm_core::Error>(())
//! ```

use crate::analysis::overlaps;
use crate::network::Hopfield;
use ebm_core::{DensePairwise, Domain, Error, Result};
use serde::{Deserialize, Serialize};

/// Longest storage-rule label, in bytes.
pub const MAX_RULE_LEN: usize = 64;

/// Longest pattern name, in bytes.
pub const MAX_NAME_LEN: usize = 4096;

/// A Hopfield network over pictures with the patterns it stores: the
/// contents of a `hopfield` model file (see the [module](self) docs).
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkFile {
    network: Hopfield<DensePairwise>,
    width: usize,
    height: usize,
    rule: String,
    patterns: Vec<Vec<i8>>,
    names: Vec<String>,
}

/// What the payload holds, field by field (the written form).
#[derive(Serialize)]
struct RawRef<'a> {
    model: &'a DensePairwise,
    width: usize,
    height: usize,
    rule: &'a str,
    patterns: &'a [Vec<i8>],
    names: &'a [String],
}

/// The read form, checked by [`NetworkFile::new`] before it becomes a file.
#[derive(Deserialize)]
struct Raw {
    model: DensePairwise,
    width: usize,
    height: usize,
    rule: String,
    patterns: Vec<Vec<i8>>,
    names: Vec<String>,
}

impl Serialize for NetworkFile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        RawRef {
            model: self.network.model(),
            width: self.width,
            height: self.height,
            rule: &self.rule,
            patterns: &self.patterns,
            names: &self.names,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for NetworkFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = Raw::deserialize(deserializer)?;
        let network = Hopfield::new(raw.model).map_err(serde::de::Error::custom)?;
        NetworkFile::new(network, raw.width, raw.height, raw.rule, raw.patterns, raw.names)
            .map_err(serde::de::Error::custom)
    }
}

impl ebm_core::file::ModelFile for NetworkFile {
    const KIND: &'static str = "hopfield";
}

fn invalid(what: &str, reason: String) -> Error {
    Error::Invalid { what: what.into(), reason }
}

impl NetworkFile {
    /// A file for `network`, whose N units are the pixels of a `width × height`
    /// image row by row, storing `patterns` (each N values ±1, at least one)
    /// named by `names` (one each, at most [`MAX_NAME_LEN`] bytes), stored by
    /// `rule` (at most [`MAX_RULE_LEN`] bytes).
    pub fn new(
        network: Hopfield<DensePairwise>,
        width: usize,
        height: usize,
        rule: impl Into<String>,
        patterns: Vec<Vec<i8>>,
        names: Vec<String>,
    ) -> Result<Self> {
        let units = network.len();
        if width == 0 || height == 0 || width.checked_mul(height) != Some(units) {
            return Err(invalid(
                "image shape",
                format!("{width} × {height} pixels does not match the network's {units} units"),
            ));
        }
        let rule = rule.into();
        if rule.len() > MAX_RULE_LEN {
            return Err(invalid("storage rule", format!("its label is longer than {MAX_RULE_LEN} bytes")));
        }
        if patterns.is_empty() {
            return Err(invalid(
                "stored patterns",
                "there are none; a network file keeps at least one".into(),
            ));
        }
        if names.len() != patterns.len() {
            return Err(Error::shape("pattern names", patterns.len(), names.len()));
        }
        if let Some(k) = names.iter().position(|n| n.len() > MAX_NAME_LEN) {
            return Err(invalid("pattern name", format!("name {k} is longer than {MAX_NAME_LEN} bytes")));
        }
        for (k, pattern) in patterns.iter().enumerate() {
            Domain::Spin
                .check(pattern, units)
                .map_err(|e| invalid("stored pattern", format!("pattern {k} ({}): {e}", names[k])))?;
        }
        Ok(Self { network, width, height, rule, patterns, names })
    }

    /// The network.
    pub fn network(&self) -> &Hopfield<DensePairwise> {
        &self.network
    }

    /// Image width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Image height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of units N = width × height.
    pub fn units(&self) -> usize {
        self.network.len()
    }

    /// The storage rule the network was made with (metadata).
    pub fn rule(&self) -> &str {
        &self.rule
    }

    /// The stored patterns, ±1 row by row.
    pub fn patterns(&self) -> &[Vec<i8>] {
        &self.patterns
    }

    /// The name of each stored pattern.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The load α = P / N: stored patterns per unit.
    pub fn load(&self) -> f64 {
        self.patterns.len() as f64 / self.units() as f64
    }

    /// How many stored patterns are fixed points of the network.
    pub fn fixed_points(&self) -> Result<usize> {
        let mut count = 0;
        for pattern in &self.patterns {
            count += usize::from(self.network.is_fixed_point(pattern)?);
        }
        Ok(count)
    }

    /// The overlap of `state` with each stored pattern, and the index of the
    /// largest (the first of equals): the stored pattern `state` is nearest to
    /// in Hamming distance. An error unless `state` is N values ±1.
    pub fn nearest(&self, state: &[i8]) -> Result<(usize, Vec<f64>)> {
        Domain::Spin.check(state, self.units())?;
        let m = overlaps(state, &self.patterns)?;
        let best = (0..m.len()).fold(0, |best, k| if m[k] > m[best] { k } else { best });
        Ok((best, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{hebbian, pseudo_inverse};
    use ebm_core::file::{self, FORMAT_VERSION, MAGIC};
    use ebm_core::{DenseCouplings, FileError};
    use proptest::prelude::*;

    fn example() -> NetworkFile {
        let patterns = vec![vec![1, 1, 1, -1, -1, -1], vec![1, -1, 1, -1, 1, -1], vec![-1, -1, 1, 1, 1, -1]];
        let net = Hopfield::new(pseudo_inverse(&patterns).unwrap()).unwrap();
        let names = vec!["a.png".into(), "b.png".into(), "c.png".into()];
        NetworkFile::new(net, 3, 2, "pseudo-inverse", patterns, names).unwrap()
    }

    fn file_kind(e: &Error) -> &FileError {
        match e {
            Error::File { kind, .. } => kind,
            other => panic!("expected a file error, got {other}"),
        }
    }

    #[test]
    fn round_trip_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("net.ebm");
        let net = example();
        file::save(&path, &net).unwrap();
        assert_eq!(file::peek_header(&path).unwrap().kind, "hopfield");
        let loaded: NetworkFile = file::load(&path).unwrap();
        assert_eq!(loaded, net);
        assert_eq!(loaded.network().model(), net.network().model());
        assert_eq!(loaded.fixed_points().unwrap(), 3);
        assert_eq!(loaded.nearest(&net.patterns()[2]).unwrap().0, 2);
        // A pairwise model is not a network file, and the other way round.
        let err = file::load::<DensePairwise>(&path).unwrap_err();
        assert!(matches!(file_kind(&err), FileError::WrongKind { .. }), "{err}");
        file::save(&path, net.network().model()).unwrap();
        let err = file::load::<NetworkFile>(&path).unwrap_err();
        assert!(err.to_string().contains("`pairwise-dense`, expected `hopfield`"), "{err}");
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let bytes = file::encode(&example()).unwrap();
        for len in 0..bytes.len() {
            assert!(
                file::decode::<NetworkFile>(&bytes[..len]).is_err(),
                "truncation to {len} bytes accepted"
            );
        }
        for at in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[at] ^= 0x41;
            assert!(file::decode::<NetworkFile>(&bad).is_err(), "flipping byte {at} accepted");
        }
    }

    /// A file with a valid checksum around the payload `raw`.
    fn forge<T: Serialize>(raw: &T) -> Vec<u8> {
        // Encode through a model file of the right kind, then splice the payload in.
        struct Forged<'a, T>(&'a T);
        impl<T: Serialize> Serialize for Forged<'_, T> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                self.0.serialize(s)
            }
        }
        impl<'de, T> Deserialize<'de> for Forged<'_, T> {
            fn deserialize<D: serde::Deserializer<'de>>(_: D) -> std::result::Result<Self, D::Error> {
                Err(serde::de::Error::custom("write only"))
            }
        }
        impl<T: Serialize> file::ModelFile for Forged<'_, T> {
            const KIND: &'static str = "hopfield";
        }
        let bytes = file::encode(&Forged(raw)).unwrap();
        assert_eq!(&bytes[..8], &MAGIC);
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), FORMAT_VERSION);
        bytes
    }

    #[test]
    fn hostile_payloads_with_valid_checksums_are_refused() {
        let good = example();
        let raw = |width: usize, height: usize, patterns: Vec<Vec<i8>>, names: Vec<String>| {
            forge(&RawRef {
                model: good.network().model(),
                width,
                height,
                rule: "x",
                patterns: &patterns,
                names: &names,
            })
        };
        let (p, n) = (good.patterns().to_vec(), good.names().to_vec());
        assert!(file::decode::<NetworkFile>(&raw(3, 2, p.clone(), n.clone())).is_ok());
        let refused = |bytes: Vec<u8>, needle: &str| {
            let err = file::decode::<NetworkFile>(&bytes).unwrap_err().to_string();
            assert!(err.contains(needle), "expected {needle:?} in {err}");
        };
        refused(raw(2, 2, p.clone(), n.clone()), "does not match");
        refused(raw(usize::MAX, 2, p.clone(), n.clone()), "does not match");
        refused(raw(3, 2, Vec::new(), Vec::new()), "there are none");
        refused(raw(3, 2, p.clone(), n[..2].to_vec()), "pattern names");
        let mut zeros = p.clone();
        zeros[1][4] = 0;
        refused(raw(3, 2, zeros, n.clone()), "pattern 1 (b.png)");
        let mut short = p.clone();
        short[0].pop();
        refused(raw(3, 2, short, n), "pattern 0");
        // A 0/1 model is not a Hopfield network.
        let bits = good.network().model().to_domain(Domain::Bit);
        let bytes =
            forge(&RawRef { model: &bits, width: 3, height: 2, rule: "x", patterns: &p, names: &good.names });
        refused(bytes, "±1 units");
        // A payload claiming an enormous pattern list is refused without allocating it.
        #[derive(Serialize)]
        struct Claim<'a> {
            model: &'a DensePairwise,
            width: usize,
            height: usize,
            rule: &'a str,
            patterns: u64,
        }
        let claim = forge(&Claim {
            model: good.network().model(),
            width: 3,
            height: 2,
            rule: "x",
            patterns: u64::MAX / 2,
        });
        let err = file::decode::<NetworkFile>(&claim).unwrap_err().to_string();
        // (serde preallocates at most a cautious amount; the decoder runs out of bytes.)
        assert!(err.contains("does not decode"), "{err}");
    }

    #[test]
    fn bad_arguments_are_refused() {
        let good = example();
        let net = || good.network().clone();
        let p = good.patterns().to_vec();
        let n = good.names().to_vec();
        assert!(NetworkFile::new(net(), 6, 1, "hebbian", p.clone(), n.clone()).is_ok());
        assert!(NetworkFile::new(net(), 0, 0, "hebbian", p.clone(), n.clone()).is_err());
        assert!(NetworkFile::new(net(), 3, 2, "x".repeat(65), p.clone(), n.clone()).is_err());
        let long = vec!["a".into(), "b".repeat(MAX_NAME_LEN + 1), "c".into()];
        assert!(NetworkFile::new(net(), 3, 2, "hebbian", p.clone(), long).is_err());
        assert!(good.nearest(&[1, 1, 1]).is_err());
        let w = nalgebra::DMatrix::zeros(6, 6);
        let zero = Hopfield::new(
            DensePairwise::new(Domain::Spin, DenseCouplings::new(w).unwrap(), vec![0.0; 6]).unwrap(),
        )
        .unwrap();
        // Every state is a fixed point of the zero network (ties keep their value).
        assert_eq!(NetworkFile::new(zero, 2, 3, "", p, n).unwrap().fixed_points().unwrap(), 3);
    }

    proptest! {
        #[test]
        fn save_load_round_trips(
            width in 1usize..6, height in 1usize..6, count in 1usize..4, seed in any::<u64>(),
        ) {
            let mut rng = ebm_mcmc::rng::seeded(seed);
            let units = width * height;
            let patterns = ebm_data::patterns::random(count, units, 0.5, Domain::Spin, &mut rng).unwrap();
            let names: Vec<String> = (0..count).map(|k| format!("pattern {k} é")).collect();
            let net = Hopfield::new(hebbian(&patterns).unwrap()).unwrap();
            let file = NetworkFile::new(net, width, height, "hebbian", patterns, names).unwrap();
            let decoded: NetworkFile = file::decode(&file::encode(&file).unwrap()).unwrap();
            prop_assert_eq!(decoded, file);
        }
    }
}
