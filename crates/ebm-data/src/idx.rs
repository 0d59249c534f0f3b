//! The IDX format of the MNIST files: reading (plain or gzip) with full
//! validation, and writing.
//!
//! An IDX file is: two zero bytes; a type byte (0x08 = unsigned byte, the
//! only type MNIST uses and the only one read here); the number of
//! dimensions d; d big-endian u32 sizes; then the product of the sizes in
//! values, last index fastest. Images are `[count, rows, cols]`, labels
//! `[count]`. A file whose first two bytes are the gzip magic 1f 8b is
//! decompressed first.
//!
//! A file is refused, with an [`Error::File`] saying why, if it is shorter
//! or longer than its header declares, has a bad magic or type, or would
//! decompress past [`MAX_IDX_BYTES`]; nothing is allocated beyond what the
//! file really holds.

use crate::dataset::Dataset;
use ebm_core::{Error, FileError, Result};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};
use std::path::Path;

/// The largest IDX content read, after decompression (1 GiB; MNIST's
/// training images are 47 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// The type byte of unsigned 8-bit data.
const UNSIGNED_BYTE: u8 = 0x08;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An n-dimensional array of bytes, as stored in an IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: Vec<u8>,
}

fn file_error(kind: FileError) -> Error {
    Error::File { path: None, kind }
}

fn malformed(message: impl Into<String>) -> Error {
    file_error(FileError::Malformed(message.into()))
}

fn with_path(error: Error, path: &Path) -> Error {
    match error {
        Error::File { path: None, kind } => Error::File { path: Some(path.to_path_buf()), kind },
        other => other,
    }
}

impl IdxArray {
    /// An array with sizes `dims` (at least one, each < 2³²) holding `data`
    /// (exactly their product of values).
    pub fn new(dims: Vec<usize>, data: Vec<u8>) -> Result<Self> {
        if dims.is_empty() || dims.len() > usize::from(u8::MAX) {
            return Err(malformed(format!("{} dimensions; IDX needs 1 to 255", dims.len())));
        }
        if let Some(&d) = dims.iter().find(|&&d| u32::try_from(d).is_err()) {
            return Err(malformed(format!("dimension {d} does not fit in 32 bits")));
        }
        let expected = element_count(&dims)?;
        if expected != data.len() as u64 {
            return Err(Error::ShapeMismatch {
                what: format!("IDX data of shape {dims:?}"),
                expected: expected as usize,
                found: data.len(),
            });
        }
        Ok(Self { dims, data })
    }

    /// The sizes of the dimensions.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The values, last index fastest.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The values, consuming the array.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

/// The product of the sizes, refusing overflow.
fn element_count(dims: &[usize]) -> Result<u64> {
    dims.iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .ok_or_else(|| malformed(format!("the sizes {dims:?} overflow")))
}

/// Parses the bytes of an uncompressed IDX file.
pub fn parse(bytes: &[u8]) -> Result<IdxArray> {
    let truncated = |needed: usize| {
        file_error(FileError::Truncated { needed: needed as u64, available: bytes.len() as u64 })
    };
    let header = bytes.get(..4).ok_or_else(|| truncated(4))?;
    if header[..2] != [0, 0] {
        return Err(file_error(FileError::BadMagic { format: "an IDX file".into() }));
    }
    if header[2] != UNSIGNED_BYTE {
        return Err(malformed(format!(
            "IDX type byte {:#04x} is not supported (only unsigned bytes, 0x08)",
            header[2]
        )));
    }
    let rank = usize::from(header[3]);
    if rank == 0 {
        return Err(malformed("an IDX file with zero dimensions"));
    }
    let data_start = 4 + 4 * rank;
    let sizes = bytes.get(4..data_start).ok_or_else(|| truncated(data_start))?;
    let dims: Vec<usize> =
        sizes.chunks_exact(4).map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize).collect();
    let declared = element_count(&dims)?;
    let present = (bytes.len() - data_start) as u64;
    if present < declared {
        return Err(file_error(FileError::Truncated {
            needed: data_start as u64 + declared,
            available: bytes.len() as u64,
        }));
    }
    if present > declared {
        return Err(malformed(format!(
            "{} bytes after the {declared} values the header declares",
            present - declared
        )));
    }
    IdxArray::new(dims, bytes[data_start..].to_vec())
}

/// The bytes of `array` as an uncompressed IDX file.
pub fn encode(array: &IdxArray) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 + 4 * array.dims.len() + array.data.len());
    bytes.extend_from_slice(&[0, 0, UNSIGNED_BYTE, array.dims.len() as u8]);
    for &d in &array.dims {
        bytes.extend_from_slice(&(d as u32).to_be_bytes());
    }
    bytes.extend_from_slice(&array.data);
    bytes
}

/// Reads at most `limit` bytes from `reader`, refusing more.
fn read_limited(reader: impl Read, limit: u64) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes).map_err(|e| file_error(FileError::Io(e)))?;
    if bytes.len() as u64 > limit {
        return Err(file_error(FileError::PayloadTooLarge { found: bytes.len() as u64, limit }));
    }
    Ok(bytes)
}

/// Gunzips `raw` when it starts with the gzip magic, producing at most `limit` bytes.
fn decompress(raw: &[u8], limit: u64) -> Result<Option<Vec<u8>>> {
    if raw.starts_with(&GZIP_MAGIC) {
        read_limited(GzDecoder::new(raw), limit).map(Some).map_err(|e| match e {
            Error::File { kind: FileError::Io(io), .. } => malformed(format!("corrupt gzip stream: {io}")),
            other => other,
        })
    } else {
        Ok(None)
    }
}

/// Decodes the bytes of an IDX file held in memory, plain or gzip-compressed
/// (recognised by the magic bytes 1f 8b), allowing at most [`MAX_IDX_BYTES`]
/// after decompression.
pub fn decode(bytes: &[u8]) -> Result<IdxArray> {
    decode_with_limit(bytes, MAX_IDX_BYTES)
}

/// [`decode`] with a caller-chosen limit on the bytes of the (decompressed)
/// file: a larger file, or a gzip stream that inflates past `limit`, is
/// refused with [`FileError::PayloadTooLarge`] after reading at most
/// `limit + 1` bytes of it.
pub fn decode_with_limit(bytes: &[u8], limit: u64) -> Result<IdxArray> {
    match decompress(bytes, limit)? {
        Some(plain) => parse(&plain),
        None if bytes.len() as u64 > limit => {
            Err(file_error(FileError::PayloadTooLarge { found: bytes.len() as u64, limit }))
        }
        None => parse(bytes),
    }
}

/// Reads an IDX file, plain or gzip-compressed, of at most [`MAX_IDX_BYTES`]
/// (compressed and decompressed).
pub fn read(path: impl AsRef<Path>) -> Result<IdxArray> {
    read_with_limit(path, MAX_IDX_BYTES)
}

/// [`read`] with a caller-chosen limit: neither the file nor its decompressed
/// content may exceed `limit` bytes, and no more than `limit + 1` bytes of
/// either are ever held, whatever the header or the gzip stream claims.
pub fn read_with_limit(path: impl AsRef<Path>, limit: u64) -> Result<IdxArray> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| with_path(file_error(FileError::Io(e)), path))?;
    read_limited(file, limit).and_then(|raw| decode_with_limit(&raw, limit)).map_err(|e| with_path(e, path))
}

/// Writes `array` to `path` as IDX, gzip-compressed if `gzip`, atomically.
pub fn write(path: impl AsRef<Path>, array: &IdxArray, gzip: bool) -> Result<()> {
    let path = path.as_ref();
    let plain = encode(array);
    let bytes = if gzip {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(&plain)
            .and_then(|_| encoder.finish())
            .map_err(|e| with_path(file_error(FileError::Io(e)), path))?
    } else {
        plain
    };
    ebm_core::file::write_atomic(path, &bytes)
}

/// Reads a file of images `[count, rows, cols]` (IDX magic 00 00 08 03) as a
/// data set of `rows × cols` images with pixel values scaled from 0…255 to
/// [0, 1], x = v / 255.
pub fn load_images(path: impl AsRef<Path>) -> Result<Dataset> {
    let path = path.as_ref();
    let array = read(path)?;
    let &[count, rows, cols] = array.dims() else {
        return Err(with_path(
            malformed(format!("images need 3 dimensions, found {:?}", array.dims())),
            path,
        ));
    };
    let pixels = rows
        .checked_mul(cols)
        .filter(|&p| p > 0 || count == 0)
        .ok_or_else(|| with_path(malformed(format!("{count} images of {rows}×{cols} pixels")), path))?;
    let values = array.into_data().into_iter().map(|v| f32::from(v) / 255.0).collect();
    Dataset::from_rows(values, pixels)?.with_image_shape(rows, cols)
}

/// Reads a file of labels `[count]` (IDX magic 00 00 08 01).
pub fn load_labels(path: impl AsRef<Path>) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let array = read(path)?;
    if array.dims().len() != 1 {
        return Err(with_path(malformed(format!("labels need 1 dimension, found {:?}", array.dims())), path));
    }
    Ok(array.into_data())
}

/// Reads images and their labels (e.g. MNIST's `train-images-idx3-ubyte.gz`
/// and `train-labels-idx1-ubyte.gz`), refusing files of different lengths.
pub fn load_labelled(images: impl AsRef<Path>, labels: impl AsRef<Path>) -> Result<(Dataset, Vec<u8>)> {
    let data = load_images(images)?;
    let labels = load_labels(labels)?;
    if labels.len() != data.len() {
        return Err(Error::ShapeMismatch {
            what: "labels for the images".into(),
            expected: data.len(),
            found: labels.len(),
        });
    }
    Ok((data, labels))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn images() -> IdxArray {
        IdxArray::new(vec![3, 2, 4], (0..24).map(|v| (v * 10) as u8).collect()).unwrap()
    }

    proptest! {
        #[test]
        fn encode_parse_round_trips(dims in prop::collection::vec(0usize..5, 1..4), seed in any::<u8>()) {
            let len: usize = dims.iter().product();
            let array = IdxArray::new(dims, (0..len).map(|i| (i as u8).wrapping_mul(seed)).collect()).unwrap();
            prop_assert_eq!(parse(&encode(&array)).unwrap(), array);
        }
    }

    #[test]
    fn every_truncation_and_extension_is_refused() {
        let bytes = encode(&images());
        for len in 0..bytes.len() {
            assert!(parse(&bytes[..len]).is_err(), "accepted a file cut to {len} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(7);
        assert!(parse(&longer).unwrap_err().to_string().contains("after the"));
    }

    #[test]
    fn bad_headers_are_refused_without_allocating() {
        let kind = |bytes: &[u8]| match parse(bytes).unwrap_err() {
            Error::File { kind, .. } => kind,
            other => panic!("not a file error: {other}"),
        };
        assert!(matches!(kind(b"PK\x03\x04"), FileError::BadMagic { .. }));
        assert!(matches!(kind(&[0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0]), FileError::Malformed(_)));
        assert!(matches!(kind(&[0, 0, 8, 0]), FileError::Malformed(_)));
        // Declares 4 × 10⁹ values but holds none: refused as truncated, not allocated.
        assert!(matches!(kind(&[0, 0, 8, 1, 0xee, 0x6b, 0x28, 0]), FileError::Truncated { .. }));
        // Sizes whose product overflows 64 bits.
        let mut huge = vec![0, 0, 8, 3];
        huge.extend_from_slice(&[0xff; 12]);
        assert!(matches!(kind(&huge), FileError::Malformed(_)));
    }

    #[test]
    fn files_round_trip_plain_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        for gzip in [false, true] {
            let path = dir.path().join(format!("images-{gzip}"));
            write(&path, &images(), gzip).unwrap();
            assert_eq!(read(&path).unwrap(), images());
            let raw = std::fs::read(&path).unwrap();
            assert_eq!(raw.starts_with(&GZIP_MAGIC), gzip);
            let data = load_images(&path).unwrap();
            assert_eq!((data.len(), data.image_shape()), (3, Some((2, 4))));
            assert_eq!(data.get(1).unwrap()[0], 80.0 / 255.0);
        }
    }

    #[test]
    fn decompression_stops_at_the_limit() {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&[0u8; 100_000]).unwrap();
        let bomb = encoder.finish().unwrap();
        assert!(bomb.len() < 1000);
        let refused = read_limited(GzDecoder::new(bomb.as_slice()), 50_000).unwrap_err();
        assert!(matches!(
            refused,
            Error::File { kind: FileError::PayloadTooLarge { limit: 50_000, .. }, .. }
        ));
        assert_eq!(read_limited(GzDecoder::new(bomb.as_slice()), 100_000).unwrap().len(), 100_000);
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    proptest! {
        #[test]
        fn damaged_files_are_refused_or_valid_never_a_panic(
            at in 0usize..64, value in any::<u8>(), cut in 0usize..64, compress in any::<bool>()
        ) {
            let plain = encode(&images());
            let mut bytes = if compress { gzip(&plain) } else { plain.clone() };
            let at = at % bytes.len();
            bytes[at] = value;
            bytes.truncate(cut.min(bytes.len()));
            // Any outcome but a panic is fine; an accepted file must be self-consistent.
            if let Ok(array) = decode(&bytes) {
                prop_assert_eq!(element_count(array.dims()).unwrap(), array.data().len() as u64);
            }
        }
    }

    #[test]
    fn in_memory_gzip_round_trips_and_every_gzip_truncation_is_refused() {
        let plain = encode(&images());
        let packed = gzip(&plain);
        assert_eq!(decode(&packed).unwrap(), images());
        assert_eq!(decode(&plain).unwrap(), images());
        for len in 0..packed.len() {
            assert!(decode(&packed[..len]).is_err(), "accepted gzip cut to {len} bytes");
        }
        // A plain or inflated file above the limit is refused.
        assert!(matches!(
            decode_with_limit(&plain, 10),
            Err(Error::File { kind: FileError::PayloadTooLarge { limit: 10, .. }, .. })
        ));
        assert!(matches!(
            decode_with_limit(&packed, plain.len() as u64 - 1),
            Err(Error::File { kind: FileError::PayloadTooLarge { .. }, .. })
        ));
        assert_eq!(decode_with_limit(&packed, plain.len() as u64).unwrap(), images());
    }

    #[test]
    fn gzip_bombs_and_huge_headers_are_refused_through_the_public_readers() {
        // 64 MB of zeros behind a header declaring (2³² − 1) images of 28 × 28 (3.4 TB).
        let mut header = vec![0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28];
        header.resize(header.len() + (64 << 20), 0);
        let bomb = gzip(&header);
        assert!(bomb.len() < 1 << 20);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.gz");
        std::fs::write(&path, &bomb).unwrap();
        let err = read_with_limit(&path, 1 << 20).unwrap_err();
        assert!(matches!(err, Error::File { kind: FileError::PayloadTooLarge { .. }, .. }), "{err}");
        assert!(err.to_string().contains("bomb.gz"), "{err}");
        // Under the default limit the stream inflates (64 MB) but the header's
        // declared size is compared with what is present before any copy.
        let err = read(&path).unwrap_err();
        assert!(matches!(err, Error::File { kind: FileError::Truncated { .. }, .. }), "{err}");
        assert!(load_images(&path).is_err());
    }

    #[test]
    fn empty_and_degenerate_image_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("i");
        write(&path, &IdxArray::new(vec![0, 28, 28], vec![]).unwrap(), false).unwrap();
        let empty = load_images(&path).unwrap();
        assert_eq!((empty.len(), empty.features(), empty.image_shape()), (0, 784, Some((28, 28))));
        write(&path, &IdxArray::new(vec![5, 0, 28], vec![]).unwrap(), false).unwrap();
        assert!(load_images(&path).is_err());
    }

    #[test]
    fn corrupt_gzip_and_mismatched_labels_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("images.gz");
        write(&path, &images(), true).unwrap();
        let mut raw = std::fs::read(&path).unwrap();
        let cut = raw.len() - 10;
        raw.truncate(cut);
        std::fs::write(&path, &raw).unwrap();
        let message = read(&path).unwrap_err().to_string();
        assert!(message.contains("images.gz"), "{message}");

        let (images_path, labels_path) = (dir.path().join("i"), dir.path().join("l"));
        write(&images_path, &images(), false).unwrap();
        write(&labels_path, &IdxArray::new(vec![2], vec![1, 2]).unwrap(), false).unwrap();
        assert!(matches!(load_labelled(&images_path, &labels_path), Err(Error::ShapeMismatch { .. })));
        write(&labels_path, &IdxArray::new(vec![3], vec![1, 2, 3]).unwrap(), false).unwrap();
        assert_eq!(load_labelled(&images_path, &labels_path).unwrap().1, vec![1, 2, 3]);
        assert!(load_labels(&images_path).is_err());
        assert!(load_images(&labels_path).is_err());
    }
}
