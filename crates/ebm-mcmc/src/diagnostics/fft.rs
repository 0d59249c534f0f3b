//! A radix-2 fast Fourier transform, just enough for autocovariances.
//!
//! The lagged sums S(t) = Σ_{i=0}^{n−1−t} x_i x_{i+t} for all t < n are a
//! correlation, which the Wiener–Khinchin theorem turns into two transforms:
//! pad x with zeros to a length m ≥ 2n (so the circular correlation does not
//! wrap around), take X = F(x), then S = F⁻¹(|X|²) on the first n lags. Cost
//! O(m log m) instead of O(n²).
//!
//! The forward transform is decimation in frequency (natural order in,
//! bit-reversed order out) and the inverse decimation in time (bit-reversed
//! in, natural out), so the squared modulus, taken entry by entry, never
//! needs the bit-reversal permutation, whose scattered accesses dominate a
//! large transform. Both recurse into halves until a block fits in cache and
//! finish it there, so that only the top log₂(m/[`LEAF`]) stages stream the
//! whole array through memory.

use std::f64::consts::PI;

/// Blocks of at most this many entries (64 KiB) are transformed stage by stage in cache.
const LEAF: usize = 4096;

/// A complex number (re, im).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Complex {
    re: f64,
    im: f64,
}

impl Complex {
    fn add(self, o: Complex) -> Complex {
        Complex { re: self.re + o.re, im: self.im + o.im }
    }

    fn sub(self, o: Complex) -> Complex {
        Complex { re: self.re - o.re, im: self.im - o.im }
    }

    fn mul(self, o: Complex) -> Complex {
        Complex { re: self.re * o.re - self.im * o.im, im: self.re * o.im + self.im * o.re }
    }

    fn conj(self) -> Complex {
        Complex { re: self.re, im: -self.im }
    }
}

/// The twiddle factors e^{−2πik/m} for k < m/2 (m a power of two). The
/// first quarter is computed with `sin_cos` (no recurrence, so no growing
/// rounding error) and the second from e^{−2πi(k + m/4)/m} = −i·e^{−2πik/m}.
struct Twiddles {
    table: Vec<Complex>,
    len: usize,
}

impl Twiddles {
    fn new(m: usize) -> Self {
        let quarter = m / 4;
        let mut table: Vec<Complex> = (0..quarter.max(1).min(m / 2))
            .map(|k| {
                let (sin, cos) = (-2.0 * PI * k as f64 / m as f64).sin_cos();
                Complex { re: cos, im: sin }
            })
            .collect();
        if quarter > 0 {
            table.extend_from_within(..);
            table[quarter..].iter_mut().for_each(|w| *w = Complex { re: w.im, im: -w.re });
        }
        Self { table, len: m }
    }

    /// e^{−2πik/len} for k = 0, 1, … < len/2, for a block of length `len` dividing m.
    fn of_block(&self, len: usize) -> impl Iterator<Item = Complex> + '_ {
        self.table.iter().step_by(self.len / len).copied()
    }
}

/// Forward DFT X_k = Σ_j a_j e^{−2πijk/m} of `data` in natural order,
/// leaving X in bit-reversed order (decimation in frequency).
fn forward(data: &mut [Complex], w: &Twiddles) {
    let len = data.len();
    if len <= LEAF {
        let mut block = len;
        while block >= 2 {
            data.chunks_exact_mut(block).for_each(|b| forward_butterflies(b, w));
            block /= 2;
        }
    } else {
        forward_butterflies(data, w);
        let (low, high) = data.split_at_mut(len / 2);
        forward(low, w);
        forward(high, w);
    }
}

fn forward_butterflies(block: &mut [Complex], w: &Twiddles) {
    let len = block.len();
    let (low, high) = block.split_at_mut(len / 2);
    for ((a, b), twiddle) in low.iter_mut().zip(high.iter_mut()).zip(w.of_block(len)) {
        let (sum, difference) = (a.add(*b), a.sub(*b));
        *a = sum;
        *b = difference.mul(twiddle);
    }
}

/// Unnormalised inverse DFT a_j = Σ_k X_k e^{+2πijk/m} of `data` in
/// bit-reversed order, leaving the result in natural order (decimation in time).
fn inverse(data: &mut [Complex], w: &Twiddles) {
    let len = data.len();
    if len <= LEAF {
        let mut block = 2;
        while block <= len {
            data.chunks_exact_mut(block).for_each(|b| inverse_butterflies(b, w));
            block *= 2;
        }
    } else {
        let (low, high) = data.split_at_mut(len / 2);
        inverse(low, w);
        inverse(high, w);
        inverse_butterflies(data, w);
    }
}

fn inverse_butterflies(block: &mut [Complex], w: &Twiddles) {
    let len = block.len();
    let (low, high) = block.split_at_mut(len / 2);
    for ((a, b), twiddle) in low.iter_mut().zip(high.iter_mut()).zip(w.of_block(len)) {
        let t = b.mul(twiddle.conj());
        (*a, *b) = (a.add(t), a.sub(t));
    }
}

/// The lagged sums S(t) = Σ_{i=0}^{n−1−t} x_i x_{i+t} for t = 0, …, n − 1.
pub(super) fn lagged_sums(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let m = (2 * n).next_power_of_two();
    let w = Twiddles::new(m);
    let mut data = vec![Complex::default(); m];
    for (d, &v) in data.iter_mut().zip(x) {
        d.re = v;
    }
    forward(&mut data, &w);
    for d in &mut data {
        *d = Complex { re: d.re * d.re + d.im * d.im, im: 0.0 };
    }
    inverse(&mut data, &w);
    data.iter().take(n).map(|d| d.re / m as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::RngExt;

    fn dft_at(a: &[Complex], k: usize) -> Complex {
        let m = a.len();
        a.iter().enumerate().fold(Complex::default(), |acc, (j, x)| {
            let (sin, cos) = (-2.0 * PI * ((j * k) % m) as f64 / m as f64).sin_cos();
            acc.add(x.mul(Complex { re: cos, im: sin }))
        })
    }

    proptest! {
        #[test]
        fn transforms_match_the_definition(log_m in 0u32..14, seed in any::<u64>()) {
            let m = 1usize << log_m;
            let mut rng = crate::rng::seeded(seed);
            let a: Vec<Complex> = (0..m)
                .map(|_| Complex { re: rng.random_range(-10.0..10.0), im: rng.random_range(-10.0..10.0) })
                .collect();
            let w = Twiddles::new(m);
            let mut fast = a.clone();
            forward(&mut fast, &w);
            // Compare with the definition at up to 40 frequencies (bit-reversed positions).
            let bits = log_m;
            for j in (0..m).step_by((m / 40).max(1)) {
                let k = if bits == 0 { 0 } else { j.reverse_bits() >> (usize::BITS - bits) };
                let exact = dft_at(&a, k);
                let tol = 1e-11 * m as f64 * 10.0;
                prop_assert!((fast[j].re - exact.re).abs() < tol && (fast[j].im - exact.im).abs() < tol,
                    "m = {}, k = {}: {:?} vs {:?}", m, k, fast[j], exact);
            }
            inverse(&mut fast, &w);
            for (back, orig) in fast.iter().zip(&a) {
                prop_assert!((back.re / m as f64 - orig.re).abs() < 1e-11 && (back.im / m as f64 - orig.im).abs() < 1e-11);
            }
        }

        #[test]
        fn lagged_sums_match_the_definition(x in prop::collection::vec(-10.0f64..10.0, 0..200)) {
            let fast = lagged_sums(&x);
            prop_assert_eq!(fast.len(), x.len());
            for (t, f) in fast.iter().enumerate() {
                let direct: f64 = x.iter().zip(&x[t..]).map(|(a, b)| a * b).sum();
                prop_assert!((f - direct).abs() < 1e-9 * (1.0 + direct.abs()), "lag {}: {} vs {}", t, f, direct);
            }
        }
    }
}
