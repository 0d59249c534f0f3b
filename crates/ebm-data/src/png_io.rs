//! Grey-level PNG images: reading any PNG as grey values in [0, 1], and
//! writing grey images atomically.

use crate::dataset::Dataset;
use ebm_core::{Error, FileError, Result};
use std::path::Path;

/// Largest image read, in pixels (width × height), so that a crafted header
/// cannot make the decoder allocate without bound.
pub const MAX_PIXELS: u64 = 1 << 26;

fn file_error(path: &Path, kind: FileError) -> Error {
    Error::File { path: Some(path.to_path_buf()), kind }
}

fn malformed(path: &Path, message: impl Into<String>) -> Error {
    file_error(path, FileError::Malformed(message.into()))
}

/// A grey image: `height` rows of `width` values in [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct GreyImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Values row by row, 0 black and 1 white.
    pub pixels: Vec<f32>,
}

impl GreyImage {
    /// The image as a one-example data set with its shape.
    pub fn to_dataset(&self) -> Result<Dataset> {
        Dataset::from_rows(self.pixels.clone(), self.width * self.height)?
            .with_image_shape(self.height, self.width)
    }

    /// The image resampled to `height × width` by nearest neighbour.
    pub fn resized(&self, height: usize, width: usize) -> GreyImage {
        let pixels = (0..height * width)
            .map(|k| {
                let (r, c) = (k / width.max(1), k % width.max(1));
                self.pixels[(r * self.height / height) * self.width + c * self.width / width]
            })
            .collect();
        GreyImage { width, height, pixels }
    }
}

/// Reads a PNG (any colour type and bit depth) as grey values: luminance
/// 0.299 R + 0.587 G + 0.114 B, and transparent pixels composited on white.
pub fn read(path: impl AsRef<Path>) -> Result<GreyImage> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| file_error(path, FileError::Io(e)))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| malformed(path, format!("not a readable PNG: {e}")))?;
    let (width, height) = (reader.info().width as usize, reader.info().height as usize);
    if (width as u64) * (height as u64) > MAX_PIXELS || width == 0 || height == 0 {
        return Err(malformed(path, format!("{width}×{height} pixels is empty or above {MAX_PIXELS}")));
    }
    let size = reader.output_buffer_size().ok_or_else(|| malformed(path, "image too large"))?;
    let mut buffer = vec![0; size];
    let frame =
        reader.next_frame(&mut buffer).map_err(|e| malformed(path, format!("corrupt PNG data: {e}")))?;
    let channels = frame.color_type.samples();
    let bytes = &buffer[..frame.buffer_size()];
    let pixels = bytes
        .chunks_exact(channels)
        .take(width * height)
        .map(|p| {
            let v = |k: usize| f32::from(p[k]) / 255.0;
            let (grey, alpha) = match channels {
                1 => (v(0), 1.0),
                2 => (v(0), v(1)),
                3 => (0.299 * v(0) + 0.587 * v(1) + 0.114 * v(2), 1.0),
                _ => (0.299 * v(0) + 0.587 * v(1) + 0.114 * v(2), v(3)),
            };
            alpha * grey + (1.0 - alpha)
        })
        .collect();
    Ok(GreyImage { width, height, pixels })
}

/// Writes an 8-bit grey PNG of `width × height` pixels (row by row), atomically.
pub fn write(path: impl AsRef<Path>, width: usize, height: usize, pixels: &[u8]) -> Result<()> {
    encode(path.as_ref(), width, height, pixels, png::ColorType::Grayscale)
}

/// Writes an 8-bit RGB PNG of `width × height` pixels (three bytes each, row by row), atomically.
pub fn write_rgb(path: impl AsRef<Path>, width: usize, height: usize, pixels: &[u8]) -> Result<()> {
    encode(path.as_ref(), width, height, pixels, png::ColorType::Rgb)
}

fn encode(path: &Path, width: usize, height: usize, pixels: &[u8], colour: png::ColorType) -> Result<()> {
    let expected = width * height * colour.samples();
    if pixels.len() != expected {
        return Err(Error::ShapeMismatch { what: "PNG pixels".into(), expected, found: pixels.len() });
    }
    let (w, h) = (u32::try_from(width), u32::try_from(height));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(Error::Invalid {
            what: "PNG size".into(),
            reason: format!("{width}×{height} is too large"),
        });
    };
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(pixels))
        .map_err(|e| malformed(path, format!("cannot encode PNG: {e}")))?;
    ebm_core::file::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grey_images_round_trip_and_resize() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("g.png");
        let pixels: Vec<u8> = (0..12).map(|v| (v * 20) as u8).collect();
        write(&path, 4, 3, &pixels).unwrap();
        let image = read(&path).unwrap();
        assert_eq!((image.width, image.height), (4, 3));
        assert!(image.pixels.iter().zip(&pixels).all(|(a, &b)| (a * 255.0 - f32::from(b)).abs() < 1e-3));
        let bigger = image.resized(6, 8);
        assert_eq!(bigger.pixels[0], image.pixels[0]);
        assert_eq!(bigger.pixels.len(), 48);
        assert_eq!(image.to_dataset().unwrap().image_shape(), Some((3, 4)));
    }

    #[test]
    fn broken_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.png");
        std::fs::write(&path, b"\x89PNG\r\n\x1a\n then garbage").unwrap();
        assert!(read(&path).is_err());
        let good = dir.path().join("good.png");
        write(&good, 2, 2, &[0, 255, 255, 0]).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 20]).unwrap();
        assert!(read(&path).is_err());
        assert!(write(&good, 3, 3, &[0; 4]).is_err());
        let rgb = dir.path().join("rgb.png");
        write_rgb(&rgb, 2, 1, &[255, 0, 0, 0, 0, 255]).unwrap();
        let image = read(&rgb).unwrap();
        assert!((image.pixels[0] - 0.299).abs() < 0.01 && (image.pixels[1] - 0.114).abs() < 0.01);
        assert!(write_rgb(&rgb, 2, 1, &[0; 5]).is_err());
        assert!(read(dir.path().join("missing.png")).is_err());
    }
}
