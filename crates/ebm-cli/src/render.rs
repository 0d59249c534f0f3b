//! Pictures for the command line: sheets of ±1 images, line plots, heat
//! maps of 2-D densities and scatter plots, as PNG.

use anyhow::bail;
use std::path::Path;

/// How a grid of equally sized grey images is laid out.
struct Grid {
    /// (height, width) of each image.
    shape: (usize, usize),
    /// Images per row of the grid.
    columns: usize,
    /// Each image pixel becomes `zoom × zoom` PNG pixels.
    zoom: usize,
    /// Pixels between images and around the grid.
    gutter: usize,
    /// Grey of the gutter and of empty cells.
    background: u8,
}

/// Lays `images` (pixels row by row; `None` leaves a cell empty) out in
/// reading order on `grid`, with `background` in the gutters and empty
/// cells; returns (width, height, pixels).
fn layout<P: Copy>(
    images: &[Option<Vec<P>>],
    grid: &Grid,
    background: P,
) -> anyhow::Result<(usize, usize, Vec<P>)> {
    let ((height, width), zoom, gutter) = (grid.shape, grid.zoom.max(1), grid.gutter);
    let columns = grid.columns.max(1);
    let (cell_w, cell_h) = (width * zoom, height * zoom);
    let total_w = columns * (cell_w + gutter) + gutter;
    let total_h = images.len().div_ceil(columns) * (cell_h + gutter) + gutter;
    let mut pixels = vec![background; total_w * total_h];
    for (k, image) in images.iter().enumerate() {
        let Some(image) = image else { continue };
        if image.len() != height * width {
            bail!("image of {} values in a {height}×{width} grid", image.len());
        }
        let (top, left) =
            (gutter + (k / columns) * (cell_h + gutter), gutter + (k % columns) * (cell_w + gutter));
        for y in 0..cell_h {
            for x in 0..cell_w {
                pixels[(top + y) * total_w + left + x] = image[(y / zoom) * width + x / zoom];
            }
        }
    }
    Ok((total_w, total_h, pixels))
}

/// Writes grey `images` laid out on `grid` as a grey PNG.
fn write_grid(path: &Path, images: &[Option<Vec<u8>>], grid: &Grid) -> anyhow::Result<()> {
    let (width, height, pixels) = layout(images, grid, grid.background)?;
    ebm_data::png_io::write(path, width, height, &pixels).map_err(anyhow::Error::from)
}

/// Writes colour `panels` (each `shape` = (height, width) RGB pixels, row by
/// row from the top) side by side as one RGB PNG, with a grey gutter.
pub fn write_panels(path: &Path, panels: &[Vec<[u8; 3]>], shape: (usize, usize)) -> anyhow::Result<()> {
    let cells: Vec<Option<Vec<[u8; 3]>>> = panels.iter().cloned().map(Some).collect();
    let grid = Grid { shape, columns: panels.len(), zoom: 1, gutter: 6, background: 160 };
    let (width, height, pixels) = layout(&cells, &grid, [160; 3])?;
    ebm_data::png_io::write_rgb(path, width, height, &pixels.concat()).map_err(anyhow::Error::from)
}

/// The colour of t ∈ [0, 1] on a dark-blue → teal → yellow scale (close to
/// viridis), by linear interpolation between five stops.
fn colour_scale(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 } * (STOPS.len() - 1) as f64;
    let (k, f) = ((t.floor() as usize).min(STOPS.len() - 2), t - t.floor().min((STOPS.len() - 2) as f64));
    std::array::from_fn(|c| (STOPS[k][c] + f * (STOPS[k + 1][c] - STOPS[k][c])).round() as u8)
}

/// A heat map of a density given by its log on an `nx × ny` grid whose
/// cells are numbered row by row from the bottom (as in
/// `ebm_core::quadrature::Grid`): colour ∝ p / max p, the top row of the
/// image being the highest y.
pub fn heat_map(log_density: &[f64], (nx, ny): (usize, usize)) -> Vec<[u8; 3]> {
    let peak = log_density.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    (0..ny)
        .rev()
        .flat_map(|j| (0..nx).map(move |i| colour_scale((log_density[j * nx + i] - peak).exp())))
        .collect()
}

/// A scatter plot of 2-D `points` (row by row) over the box
/// [x₀, x₁] × [y₀, y₁] as a `size × size` RGB image: white paper, each point
/// a small dark-blue dot, points outside the box left out.
pub fn scatter(points: &[f64], (x0, x1): (f64, f64), (y0, y1): (f64, f64), size: usize) -> Vec<[u8; 3]> {
    let mut canvas = Canvas::new(size, size);
    for p in points.chunks_exact(2) {
        let x = ((p[0] - x0) / (x1 - x0) * size as f64).floor();
        let y = ((y1 - p[1]) / (y1 - y0) * size as f64).floor();
        if x.is_finite() && y.is_finite() {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                canvas.dot(x as i64 + dx, y as i64 + dy, [31, 70, 150]);
            }
        }
    }
    canvas.pixels.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
}

/// A grid of ±1 images (each `side × side`, row by row): one row of the
/// sheet per entry of `rows`, scaled by `zoom`, with a grey gutter between
/// images. +1 is black ink on white paper.
pub fn write_sheet(path: &Path, rows: &[Vec<Vec<i8>>], side: usize, zoom: usize) -> anyhow::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let ink = |image: &Vec<i8>| image.iter().map(|&v| if v > 0 { 0 } else { 255 }).collect::<Vec<u8>>();
    let cells: Vec<Option<Vec<u8>>> =
        rows.iter().flat_map(|row| (0..columns).map(move |c| row.get(c).map(ink))).collect();
    let grid = Grid { shape: (side, side), columns, zoom, gutter: 2 * zoom.max(1), background: 160 };
    write_grid(path, &cells, &grid)
}

/// A grid of grey images (`height × width` values each, row by row, 0 black
/// to 1 white), `columns` per row of the grid, scaled by `zoom`.
pub fn write_grey_grid(
    path: &Path,
    images: &[Vec<f32>],
    shape: (usize, usize),
    columns: usize,
    zoom: usize,
) -> anyhow::Result<()> {
    let grey = |image: &Vec<f32>| image.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8).collect();
    let cells: Vec<Option<Vec<u8>>> = images.iter().map(|image| Some(grey(image))).collect();
    write_grid(path, &cells, &Grid { shape, columns, zoom, gutter: zoom.max(1), background: 128 })
}

/// Glyphs of a 3 × 5 pixel font for axis labels: digits, minus, point, e.
fn glyph(c: char) -> Option<[u8; 5]> {
    // Each row is three bits, most significant on the left.
    Some(match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '-' => [0, 0, 7, 0, 0],
        '.' => [0, 0, 0, 0, 2],
        'e' => [0, 7, 7, 4, 7],
        _ => return None,
    })
}

/// An RGB canvas.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Self { width, height, pixels: vec![255; width * height * 3] }
    }

    fn dot(&mut self, x: i64, y: i64, colour: [u8; 3]) {
        if (0..self.width as i64).contains(&x) && (0..self.height as i64).contains(&y) {
            let k = 3 * (y as usize * self.width + x as usize);
            self.pixels[k..k + 3].copy_from_slice(&colour);
        }
    }

    /// A line from (x0, y0) to (x1, y1), two pixels thick (Bresenham).
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), colour: [u8; 3]) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.dot(x, y, colour);
            self.dot(x, y + 1, colour);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// `text` in the 3 × 5 font scaled by 2, its right end at x (or left, if `left_aligned`).
    fn text(&mut self, text: &str, x: i64, y: i64, left_aligned: bool) {
        let width = 8 * text.chars().count() as i64;
        let start = if left_aligned { x } else { x - width };
        for (k, c) in text.chars().enumerate() {
            let Some(rows) = glyph(c) else { continue };
            for (r, bits) in rows.iter().enumerate() {
                for col in 0..3 {
                    if bits >> (2 - col) & 1 == 1 {
                        for (ox, oy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                            self.dot(start + 8 * k as i64 + 2 * col + ox, y + 2 * r as i64 + oy, [0, 0, 0]);
                        }
                    }
                }
            }
        }
    }
}

/// Line colours, in the order the series are given.
pub const COLOURS: [(&str, [u8; 3]); 4] =
    [("blue", [31, 119, 180]), ("red", [214, 39, 40]), ("green", [44, 160, 44]), ("purple", [148, 103, 189])];

/// A line plot of up to four series against their index, as an RGB PNG with
/// numeric labels on both axes (series k is drawn in `COLOURS[k]`). The x
/// labels show the index, or the values of `x_range` (first, last) spread
/// evenly over the indices (rounded to whole numbers when both ends are whole
/// and at least 4 apart).
pub fn write_line_plot(path: &Path, series: &[&[f64]], x_range: Option<(f64, f64)>) -> anyhow::Result<()> {
    let (width, height, left, right, top, bottom) = (720usize, 420usize, 90i64, 40i64, 20i64, 40i64);
    let finite = series.iter().flat_map(|s| s.iter().copied()).filter(|v| v.is_finite());
    let (low, high) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !low.is_finite() {
        bail!("nothing finite to plot");
    }
    let span = if high > low { high - low } else { 1.0 };
    let longest = series.iter().map(|s| s.len()).max().unwrap_or(1).max(2) - 1;
    let plot_width = width as i64 - left - right;
    let plot_height = height as i64 - top - bottom;
    let x = |i: usize| left + plot_width * i as i64 / longest as i64;
    let y = |v: f64| top + ((1.0 - (v - low) / span) * plot_height as f64).round() as i64;
    let mut canvas = Canvas::new(width, height);
    let axis_bottom = top + plot_height;
    canvas.line((left, top), (left, axis_bottom), [0, 0, 0]);
    canvas.line((left, axis_bottom), (left + plot_width, axis_bottom), [0, 0, 0]);
    for k in 0..=4 {
        let value = low + span * f64::from(k) / 4.0;
        let label = if value.abs() >= 1e4 || (value != 0.0 && value.abs() < 1e-2) {
            format!("{value:.2e}")
        } else {
            format!("{value:.3}")
        };
        canvas.text(&label, left - 8, y(value) - 5, false);
        canvas.line((left - 4, y(value)), (left, y(value)), [0, 0, 0]);
        let step = longest * k as usize / 4;
        let x_label = match x_range {
            // Whole-number ranges (epochs) get whole-number labels.
            Some((first, last)) if first.fract() == 0.0 && last.fract() == 0.0 && last - first >= 4.0 => {
                format!("{}", (first + (last - first) * step as f64 / longest as f64).round())
            }
            Some((first, last)) => format!("{:.3}", first + (last - first) * step as f64 / longest as f64),
            None => step.to_string(),
        };
        canvas.text(&x_label, x(step) - 4, axis_bottom + 10, true);
    }
    for (values, (_, colour)) in series.iter().zip(COLOURS) {
        let points: Vec<(i64, i64)> =
            values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(i, &v)| (x(i), y(v))).collect();
        for pair in points.windows(2) {
            canvas.line(pair[0], pair[1], colour);
        }
        if let [only] = points[..] {
            canvas.line(only, only, colour);
        }
    }
    ebm_data::png_io::write_rgb(path, canvas.width, canvas.height, &canvas.pixels)
        .map_err(anyhow::Error::from)
}
