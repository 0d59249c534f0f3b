//! The versioned model-file format, atomic writes and JSON export.
//!
//! A model file is laid out as follows (integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `\x89EBM\r\n\x1a\n` |
//! | 2 | format version (u16, currently [`FORMAT_VERSION`]) |
//! | 1 | length k of the model kind (1 ≤ k ≤ 64) |
//! | k | model kind, ASCII (e.g. `pairwise-dense`) |
//! | 8 | payload length p (u64) |
//! | p | payload: the model, serialised with bincode (serde, standard configuration) |
//! | 4 | CRC-32 (IEEE) of every byte before it |
//!
//! Reading checks, in order: length, magic, version, kind, payload size
//! against a limit, exact file length, checksum, requested kind, and that the
//! payload decodes completely into a valid model (deserialisation runs the
//! model's own validation). Any failure is an [`Error::File`] that says what
//! was wrong; a damaged file never panics or allocates without bound.
//!
//! The magic starts with a non-ASCII byte and contains CR LF and LF, so files
//! mangled by text-mode transfers are caught at once, as in PNG.
//!
//! Writes go to a temporary file in the target directory, are flushed to disk
//! and then renamed over the target, so a crash leaves either the old file or
//! the new one, never a partial file.
//!
//! The codec (bincode) is confined to this module, so it can be replaced by a
//! new format version without touching any model.

use crate::error::{Error, FileError, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::io::Write;
use std::path::Path;

/// The eight bytes every model file starts with.
pub const MAGIC: [u8; 8] = *b"\x89EBM\r\n\x1a\n";

/// The format version this build writes, and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;

/// The default largest payload accepted when reading (1 GiB).
pub const DEFAULT_PAYLOAD_LIMIT: u64 = 1 << 30;

/// Longest model-kind tag.
const MAX_KIND_LEN: usize = 64;

/// Bytes after the payload (the checksum).
const TRAILER_LEN: usize = 4;

/// The bincode configuration of format version 1. Its limit bounds what the
/// decoder may claim for a collection before reading it.
fn codec_config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<{ DEFAULT_PAYLOAD_LIMIT as usize }>,
> {
    bincode::config::standard().with_limit::<{ DEFAULT_PAYLOAD_LIMIT as usize }>()
}

/// A model that can be stored in a model file.
///
/// Deserialising must validate the model (for instance through
/// `#[serde(try_from = ...)]`), so that a crafted file cannot yield an invalid one.
pub trait ModelFile: Serialize + DeserializeOwned {
    /// The kind tag written into the file: lowercase ASCII letters, digits and '-'.
    const KIND: &'static str;
}

impl<C> ModelFile for crate::pairwise::PairwiseModel<C>
where
    C: crate::couplings::Couplings + Serialize + DeserializeOwned,
{
    const KIND: &'static str = C::MODEL_KIND;
}

/// The header of a model file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version.
    pub version: u16,
    /// Model kind.
    pub kind: String,
    /// Payload length in bytes.
    pub payload_len: u64,
    /// Offset of the payload from the start of the file.
    pub payload_offset: usize,
}

fn malformed(message: impl Into<String>) -> Error {
    Error::file(None, FileError::Malformed(message.into()))
}

fn truncated(needed: u64, available: usize) -> Error {
    Error::file(None, FileError::Truncated { needed, available: available as u64 })
}

fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= MAX_KIND_LEN
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Serialises `model` into the bytes of a model file.
pub fn encode<M: ModelFile>(model: &M) -> Result<Vec<u8>> {
    debug_assert!(valid_kind(M::KIND), "invalid model kind tag {:?}", M::KIND);
    let payload = bincode::serde::encode_to_vec(model, codec_config())
        .map_err(|e| Error::file(None, FileError::Malformed(format!("cannot encode the model: {e}"))))?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + 11 + M::KIND.len() + payload.len() + TRAILER_LEN);
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.push(M::KIND.len() as u8);
    bytes.extend_from_slice(M::KIND.as_bytes());
    bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&payload);
    let checksum = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    Ok(bytes)
}

/// Reads and checks the header of model-file bytes (magic, version, kind,
/// payload size within `payload_limit`). Does not check the length or checksum.
pub fn read_header(bytes: &[u8], payload_limit: u64) -> Result<Header> {
    let need = |n: usize| {
        if bytes.len() < n { Err(truncated(n as u64, bytes.len())) } else { Ok(()) }
    };
    need(MAGIC.len())?;
    if bytes[..MAGIC.len()] != MAGIC {
        return Err(Error::file(None, FileError::BadMagic { format: "an ebm model file".into() }));
    }
    let mut at = MAGIC.len();
    need(at + 3)?;
    let version = u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    if version == 0 {
        return Err(malformed("format version 0 does not exist"));
    }
    if version > FORMAT_VERSION {
        return Err(Error::file(
            None,
            FileError::UnsupportedVersion { found: version, supported: FORMAT_VERSION },
        ));
    }
    let kind_len = usize::from(bytes[at + 2]);
    at += 3;
    need(at + kind_len + 8)?;
    let kind = std::str::from_utf8(&bytes[at..at + kind_len])
        .ok()
        .filter(|k| valid_kind(k))
        .ok_or_else(|| malformed("the model kind is not a valid tag"))?
        .to_string();
    at += kind_len;
    let payload_len = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    at += 8;
    if payload_len > payload_limit {
        return Err(Error::file(
            None,
            FileError::PayloadTooLarge { found: payload_len, limit: payload_limit },
        ));
    }
    Ok(Header { version, kind, payload_len, payload_offset: at })
}

/// Decodes a model of kind `M::KIND` from model-file bytes, with the default payload limit.
pub fn decode<M: ModelFile>(bytes: &[u8]) -> Result<M> {
    decode_with_limit(bytes, DEFAULT_PAYLOAD_LIMIT)
}

/// Decodes a model from model-file bytes whose payload is at most `payload_limit` bytes.
pub fn decode_with_limit<M: ModelFile>(bytes: &[u8], payload_limit: u64) -> Result<M> {
    let header = read_header(bytes, payload_limit.min(DEFAULT_PAYLOAD_LIMIT))?;
    let payload_end = header.payload_offset + header.payload_len as usize;
    let total = payload_end + TRAILER_LEN;
    if bytes.len() < total {
        return Err(truncated(total as u64, bytes.len()));
    }
    if bytes.len() > total {
        return Err(malformed(format!("{} unexpected bytes after the checksum", bytes.len() - total)));
    }
    let stored = u32::from_le_bytes(bytes[payload_end..].try_into().expect("4 bytes"));
    let computed = crc32fast::hash(&bytes[..payload_end]);
    if stored != computed {
        return Err(Error::file(None, FileError::ChecksumMismatch { stored, computed }));
    }
    if header.kind != M::KIND {
        return Err(Error::file(None, FileError::WrongKind { expected: M::KIND.into(), found: header.kind }));
    }
    let payload = &bytes[header.payload_offset..payload_end];
    let (model, used) = bincode::serde::decode_from_slice::<M, _>(payload, codec_config()).map_err(|e| {
        let message = e.to_string();
        // Validation failures surface through serde's custom errors.
        malformed(format!("the payload does not decode: {message}"))
    })?;
    if used != payload.len() {
        return Err(malformed(format!("{} unused bytes at the end of the payload", payload.len() - used)));
    }
    Ok(model)
}

/// Writes `model` to `path` atomically.
pub fn save<M: ModelFile>(path: impl AsRef<Path>, model: &M) -> Result<()> {
    let path = path.as_ref();
    let bytes = encode(model).map_err(|e| with_path(e, path))?;
    write_atomic(path, &bytes)
}

/// Reads a model of kind `M::KIND` from `path` (payload at most [`DEFAULT_PAYLOAD_LIMIT`]).
pub fn load<M: ModelFile>(path: impl AsRef<Path>) -> Result<M> {
    let path = path.as_ref();
    let bytes = read_bounded(path, DEFAULT_PAYLOAD_LIMIT)?;
    decode(&bytes).map_err(|e| with_path(e, path))
}

/// Reads the header of the model file at `path`, e.g. to learn its kind.
pub fn peek_header(path: impl AsRef<Path>) -> Result<Header> {
    use std::io::Read;
    let path = path.as_ref();
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take((MAGIC.len() + 3 + MAX_KIND_LEN + 8) as u64).read_to_end(&mut head))
        .map_err(|e| Error::file(Some(path), FileError::Io(e)))?;
    read_header(&head, DEFAULT_PAYLOAD_LIMIT).map_err(|e| with_path(e, path))
}

/// Reads a whole file, refusing files larger than a model file with a payload of `payload_limit` can be.
fn read_bounded(path: &Path, payload_limit: u64) -> Result<Vec<u8>> {
    let io = |e| Error::file(Some(path), FileError::Io(e));
    let size = std::fs::metadata(path).map_err(io)?.len();
    let max_size = payload_limit + (MAGIC.len() + 3 + MAX_KIND_LEN + 8 + TRAILER_LEN) as u64;
    if size > max_size {
        return Err(Error::file(Some(path), FileError::PayloadTooLarge { found: size, limit: max_size }));
    }
    std::fs::read(path).map_err(io)
}

fn with_path(error: Error, path: &Path) -> Error {
    match error {
        Error::File { path: None, kind } => Error::File { path: Some(path.to_path_buf()), kind },
        other => other,
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory is written, flushed to disk and renamed over `path`.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let path = path.as_ref();
    let io = |e: std::io::Error| Error::file(Some(path), FileError::Io(e));
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".ebm-write-").tempfile_in(dir).map_err(io)?;
    // Temporary files are private (0600); give the result the permissions of
    // the file it replaces, or those of an ordinary new file.
    let permissions = match std::fs::metadata(path) {
        Ok(existing) => existing.permissions(),
        Err(_) => default_permissions(tmp.as_file().metadata().map_err(io)?.permissions()),
    };
    tmp.as_file().set_permissions(permissions).map_err(io)?;
    tmp.write_all(bytes).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The permissions of a newly written file, from those of its private
/// temporary file: rw-r--r-- on Unix, writable elsewhere.
fn default_permissions(temporary: std::fs::Permissions) -> std::fs::Permissions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = temporary;
        std::fs::Permissions::from_mode(0o644)
    }
    #[cfg(not(unix))]
    {
        let mut permissions = temporary;
        permissions.set_readonly(false);
        permissions
    }
}

/// The model as pretty-printed JSON, for inspection from other tools.
pub fn to_json<M: Serialize>(model: &M) -> Result<String> {
    serde_json::to_string_pretty(model)
        .map_err(|e| malformed(format!("cannot express the model as JSON: {e}")))
}

/// Writes the model as JSON to `path`, atomically.
pub fn export_json<M: Serialize>(path: impl AsRef<Path>, model: &M) -> Result<()> {
    let path = path.as_ref();
    let mut json = to_json(model).map_err(|e| with_path(e, path))?;
    json.push('\n');
    write_atomic(path, json.as_bytes())
}

/// Parses a model from JSON (as written by [`to_json`] or by hand). The
/// model's own validation runs, so invalid couplings or biases are refused
/// with [`FileError::Malformed`] naming the problem.
pub fn from_json<M: DeserializeOwned>(text: &str) -> Result<M> {
    serde_json::from_str(text).map_err(|e| malformed(format!("invalid JSON model: {e}")))
}

/// Reads a model from the JSON file at `path` (at most [`DEFAULT_PAYLOAD_LIMIT`] bytes).
pub fn import_json<M: DeserializeOwned>(path: impl AsRef<Path>) -> Result<M> {
    let path = path.as_ref();
    let bytes = read_bounded(path, DEFAULT_PAYLOAD_LIMIT)?;
    let text =
        std::str::from_utf8(&bytes).map_err(|e| with_path(malformed(format!("not UTF-8: {e}")), path))?;
    from_json(text).map_err(|e| with_path(e, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::couplings::{DenseCouplings, SparseCouplings};
    use crate::energy::DiscreteEnergy;
    use crate::lattice::SquareLattice;
    use crate::pairwise::{DensePairwise, SparsePairwise, tests::dense_model};
    use crate::state::Domain;
    use proptest::prelude::*;

    fn small_model() -> DensePairwise {
        let m = nalgebra::DMatrix::from_row_slice(3, 3, &[0.0, 0.5, -1.0, 0.5, 0.0, 2.0, -1.0, 2.0, 0.0]);
        DensePairwise::new(Domain::Spin, DenseCouplings::new(m).unwrap(), vec![0.1, -0.2, 0.3])
            .unwrap()
            .with_offset(1.5)
            .unwrap()
    }

    fn file_kind(e: &Error) -> &FileError {
        match e {
            Error::File { kind, .. } => kind,
            other => panic!("expected a file error, got {other}"),
        }
    }

    #[test]
    fn round_trip_on_disk_and_wrong_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.ebm");
        let model = small_model();
        save(&path, &model).unwrap();
        assert_eq!(load::<DensePairwise>(&path).unwrap(), model);
        assert_eq!(peek_header(&path).unwrap().kind, "pairwise-dense");
        let err = load::<SparsePairwise>(&path).unwrap_err();
        assert!(matches!(file_kind(&err), FileError::WrongKind { .. }));
        assert!(err.to_string().contains("model.ebm"), "{err}");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn overwrite_replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.ebm");
        let big = SquareLattice::square(6).build().unwrap();
        save(&path, &big).unwrap();
        let small = SparsePairwise::without_bias(
            Domain::Bit,
            SparseCouplings::from_edges(2, &[(0, 1, 1.0)]).unwrap(),
        );
        save(&path, &small).unwrap();
        assert_eq!(load::<SparsePairwise>(&path).unwrap(), small);
    }

    #[test]
    fn too_new_and_foreign_files_are_refused() {
        let mut bytes = encode(&small_model()).unwrap();
        bytes[8..10].copy_from_slice(&2u16.to_le_bytes());
        let err = decode::<DensePairwise>(&bytes).unwrap_err();
        assert!(matches!(file_kind(&err), FileError::UnsupportedVersion { found: 2, .. }), "{err}");
        assert!(matches!(
            file_kind(&decode::<DensePairwise>(b"PK\x03\x04 a zip file").unwrap_err()),
            FileError::BadMagic { .. }
        ));
        assert!(matches!(file_kind(&decode::<DensePairwise>(b"").unwrap_err()), FileError::Truncated { .. }));
    }

    #[test]
    fn payload_limit_is_enforced_before_reading_the_payload() {
        let bytes = encode(&small_model()).unwrap();
        let err = decode_with_limit::<DensePairwise>(&bytes, 4).unwrap_err();
        assert!(matches!(file_kind(&err), FileError::PayloadTooLarge { .. }));
    }

    #[test]
    fn valid_checksum_but_invalid_model_is_refused() {
        // Build a payload holding an asymmetric matrix, bypassing validation.
        #[derive(Serialize)]
        struct Raw {
            domain: Domain,
            couplings: Vec<Vec<f32>>,
            bias: Vec<f32>,
            offset: f64,
        }
        let raw = Raw {
            domain: Domain::Spin,
            couplings: vec![vec![0.0, 1.0], vec![2.0, 0.0]],
            bias: vec![0.0, 0.0],
            offset: 0.0,
        };
        let payload = bincode::serde::encode_to_vec(&raw, codec_config()).unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.push(14);
        bytes.extend_from_slice(b"pairwise-dense");
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        let err = decode::<DensePairwise>(&bytes).unwrap_err().to_string();
        assert!(err.contains("not symmetric"), "{err}");
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_refused() {
        let bytes = encode(&small_model()).unwrap();
        for len in 0..bytes.len() {
            assert!(
                decode::<DensePairwise>(&bytes[..len]).is_err(),
                "truncation to {len} bytes was accepted"
            );
        }
        for at in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = bytes.clone();
                bad[at] ^= mask;
                assert!(
                    decode::<DensePairwise>(&bad).is_err(),
                    "flipping byte {at} with {mask:#x} was accepted"
                );
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode::<DensePairwise>(&longer).is_err());
    }

    #[test]
    fn json_export_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let model = small_model();
        export_json(&path, &model).unwrap();
        assert_eq!(import_json::<DensePairwise>(&path).unwrap(), model);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // An ordinary file, not the temporary file's private 0600.
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(serde_json::from_str::<DensePairwise>(&text).unwrap(), model);
    }

    #[test]
    fn invalid_json_models_are_refused_with_the_reason() {
        let asymmetric = r#"{"domain": "spin", "couplings": [[0, 1], [2, 0]], "bias": [0, 0]}"#;
        let error = from_json::<DensePairwise>(asymmetric).unwrap_err().to_string();
        assert!(error.contains("not symmetric"), "{error}");
        let short_bias = r#"{"domain": "bit", "couplings": [[0, 1], [1, 0]], "bias": [0]}"#;
        assert!(from_json::<DensePairwise>(short_bias).unwrap_err().to_string().contains("bias"));
        assert!(from_json::<DensePairwise>("{").is_err());
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(model in (0usize..8, any::<bool>()).prop_flat_map(|(n, s)| dense_model(n, if s { Domain::Spin } else { Domain::Bit }))) {
            let bytes = encode(&model).unwrap();
            prop_assert_eq!(decode::<DensePairwise>(&bytes).unwrap(), model.clone());
            let sparse = SparsePairwise::new(model.domain(), SparseCouplings::from_dense(model.couplings()), model.biases().to_vec()).unwrap();
            prop_assert_eq!(decode::<SparsePairwise>(&encode(&sparse).unwrap()).unwrap(), sparse);
        }

        #[test]
        fn random_corruption_never_panics(at in 0usize..200, value in any::<u8>(), cut in 0usize..200) {
            let bytes = encode(&small_model()).unwrap();
            let mut bad = bytes.clone();
            let at = at % bad.len();
            bad[at] = value;
            bad.truncate(cut.max(1).min(bad.len()));
            let result = decode::<DensePairwise>(&bad);
            if bad != bytes {
                prop_assert!(result.is_err());
            }
        }
    }
}
