//! The error type shared by every `ebm-core` API.

use std::path::PathBuf;

/// Result alias used throughout `ebm-core`. The error type defaults to
/// [`Error`] and can be named, so that `Result<T, E>` still means the
/// standard result where this alias is glob-imported (as by `ebm::prelude`).
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `ebm-core`: each variant says what was
/// wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Two sizes that must agree do not.
    #[error("shape mismatch in {what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// The object whose shape is wrong.
        what: String,
        /// The size that was required.
        expected: usize,
        /// The size that was given.
        found: usize,
    },
    /// A coupling matrix is not symmetric: `w[i][j] != w[j][i]`.
    #[error("couplings are not symmetric: w[{i}][{j}] = {w_ij} but w[{j}][{i}] = {w_ji}")]
    NotSymmetric {
        /// Row of the offending entry.
        i: usize,
        /// Column of the offending entry.
        j: usize,
        /// The entry `w[i][j]`.
        w_ij: f64,
        /// The mirrored entry `w[j][i]`.
        w_ji: f64,
    },
    /// A self-coupling `w[i][i]` is non-zero.
    #[error("self-coupling w[{unit}][{unit}] = {value} must be zero")]
    NonZeroDiagonal {
        /// The unit with a self-coupling.
        unit: usize,
        /// Its value.
        value: f64,
    },
    /// A value is NaN or infinite.
    #[error("non-finite value {value} in {what} at index {index}")]
    NonFinite {
        /// Where the value was found (e.g. "bias").
        what: String,
        /// Position of the value within `what`.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A value lies outside the set it must belong to.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// The parameter or input that is invalid.
        what: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A size exceeds what the operation supports.
    #[error("{what} is too large: {found} exceeds the limit of {limit}")]
    TooLarge {
        /// What is too large.
        what: String,
        /// The limit.
        limit: u64,
        /// The size that was asked for.
        found: u64,
    },
    /// Training diverged: an update would have made a parameter non-finite
    /// or larger in magnitude than the divergence bound. The model keeps the
    /// parameters from before that update.
    #[error(
        "training diverged at batch {batch} of epoch {epoch}: {reason}; the last good parameters are kept (lower the learning rate)"
    )]
    Diverged {
        /// The epoch, from 0.
        epoch: usize,
        /// The batch within the epoch, from 0.
        batch: usize,
        /// What the update would have done.
        reason: String,
    },
    /// A file (a model file, a data file) could not be read, written or decoded.
    #[error("file {}: {kind}", path.as_ref().map_or("<memory>".to_string(), |p| p.display().to_string()))]
    File {
        /// The file, when there is one.
        path: Option<PathBuf>,
        /// What went wrong.
        kind: FileError,
    },
}

/// What went wrong with a model file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The operating system refused to read or write.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file ends before its declared contents.
    #[error("truncated: {needed} bytes needed, only {available} present")]
    Truncated {
        /// Bytes the header requires.
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// The file does not start with the magic bytes of its format.
    #[error("not {format} (bad magic bytes)")]
    BadMagic {
        /// The format expected, e.g. "an ebm model file".
        format: String,
    },
    /// The file was written by a newer (or unknown) format version.
    #[error("format version {found} is not supported (this build reads up to version {supported})")]
    UnsupportedVersion {
        /// Version found in the file.
        found: u16,
        /// Newest version this build reads.
        supported: u16,
    },
    /// The file holds another kind of model than the one asked for.
    #[error("holds a model of kind `{found}`, expected `{expected}`")]
    WrongKind {
        /// Kind requested by the caller.
        expected: String,
        /// Kind stored in the file.
        found: String,
    },
    /// The stored checksum does not match the contents.
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): the file is corrupt")]
    ChecksumMismatch {
        /// Checksum stored in the file.
        stored: u32,
        /// Checksum of the bytes read.
        computed: u32,
    },
    /// The header or payload is malformed.
    #[error("malformed: {0}")]
    Malformed(String),
    /// The payload is larger than the permitted limit.
    #[error("payload of {found} bytes exceeds the limit of {limit} bytes")]
    PayloadTooLarge {
        /// Payload size declared or produced.
        found: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The payload decoded, but the model it holds is invalid.
    #[error("invalid model: {0}")]
    InvalidModel(Box<Error>),
}

impl Error {
    /// A [`Error::ShapeMismatch`]: `what` should have had `expected` entries and has `found`.
    pub fn shape(what: impl Into<String>, expected: usize, found: usize) -> Self {
        Error::ShapeMismatch { what: what.into(), expected, found }
    }

    /// An [`Error::Invalid`]: `what` is invalid because of `reason`.
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid { what: what.into(), reason: reason.into() }
    }

    /// File-error helper.
    pub(crate) fn file(path: Option<&std::path::Path>, kind: FileError) -> Self {
        Error::File { path: path.map(|p| p.to_path_buf()), kind }
    }
}

/// Returns an error naming the first non-finite entry of `values`, the
/// check every API applies to numeric input.
pub fn check_finite<T: Copy + Into<f64>>(what: &str, values: &[T]) -> Result<()> {
    match values.iter().position(|v| !(*v).into().is_finite()) {
        None => Ok(()),
        Some(index) => Err(Error::NonFinite { what: what.to_string(), index, value: values[index].into() }),
    }
}

/// Returns an error unless `value` is finite and strictly positive (a
/// temperature, a step size, a scale).
pub fn check_positive(what: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(what, format!("must be finite and > 0, got {value}")))
    }
}
