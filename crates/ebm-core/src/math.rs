//! Numerically stable scalar functions (and the f32 sigmoid of 16 values at once).
//!
//! All functions are exact in the sense that they do not overflow or lose the
//! result to cancellation for any finite input:
//!
//! - `sigmoid(x) = 1 / (1 + e^{-x})`
//! - `log_sigmoid(x) = log σ(x) = -softplus(-x)`
//! - `softplus(x) = log(1 + e^{x})`
//! - `log_sum_exp(x) = log Σ_k e^{x_k}`

use ebm_kernels::lanes::Lanes;

/// The logistic function σ(x) = 1 / (1 + e^{−x}), evaluated without overflow.
///
/// For x ≥ 0 it uses 1 / (1 + e^{−x}); for x < 0 the equal form e^{x} / (1 + e^{x}),
/// so the exponential never exceeds 1.
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Single-precision σ(x), for hot loops over f32 activations.
///
/// With e = e^{−|x|} ≤ 1 it returns 1/(1 + e) for x ≥ 0 and e/(1 + e) for
/// x < 0, so nothing overflows. It has no branches (the choices compile to
/// selects), so a loop applying it to a slice runs on SIMD lanes; the error
/// is a few units in the last place. NaN gives NaN.
#[inline]
pub fn sigmoid_f32(x: f32) -> f32 {
    sigmoid_lanes(x)
}

/// [`sigmoid_f32`] of 16 values, lane by lane the same bits; in one pass of
/// 512-bit instructions where the build has AVX-512F (compilers would
/// otherwise use two 256-bit halves on such processors).
#[inline]
pub fn sigmoid_f32x16(x: [f32; 16]) -> [f32; 16] {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
    {
        bytemuck::cast(sigmoid_lanes(ebm_kernels::lanes::F32x16(bytemuck::cast(x))).0)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "avx512f")))]
    {
        x.map(sigmoid_f32)
    }
}

/// σ on any [`Lanes`]: the definition behind [`sigmoid_f32`] and [`sigmoid_f32x16`].
#[inline(always)]
fn sigmoid_lanes<V: Lanes>(x: V) -> V {
    let e = exp_nonpositive(x.negated_magnitude());
    let s = V::splat(1.0) / (V::splat(1.0) + e);
    V::select(x.at_least(V::splat(0.0)), s, e * s)
}

/// e^y for y ≤ 0 in single precision, without branches (so that it vectorises).
///
/// Writes y = n ln 2 + r with n an integer and |r| ≤ ln 2 / 2 (Cody–Waite:
/// ln 2 split in two parts so n ln 2 is exact), evaluates e^r by its Taylor
/// polynomial of degree 7 (truncation error below 3·10⁻⁹ relative) and
/// multiplies by 2ⁿ built from the exponent bits. Below −87, where e^y is
/// under the smallest normal f32, it returns 0.
#[inline(always)]
fn exp_nonpositive<V: Lanes>(y: V) -> V {
    // Adding 1.5·2²³ rounds to an integer held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HIGH: f32 = 0.693_145_75;
    const LN2_LOW: f32 = 1.428_606_8e-6;
    let c = V::splat;
    let underflows = y.less_than(c(-87.0));
    let clamped = V::select(underflows, c(-87.0), y);
    let shifted = clamped * c(std::f32::consts::LOG2_E) + c(ROUND);
    let n = shifted - c(ROUND);
    let r = clamped - n * c(LN2_HIGH) - n * c(LN2_LOW);
    let taylor = c(1.0)
        + r * (c(1.0)
            + r * (c(0.5)
                + r * (c(1.0 / 6.0)
                    + r * (c(1.0 / 24.0)
                        + r * (c(1.0 / 120.0) + r * (c(1.0 / 720.0) + r * c(1.0 / 5040.0)))))));
    V::select(underflows, c(0.0), taylor * shifted.power_of_two(ROUND))
}

/// softplus(x) = log(1 + e^{x}) = max(x, 0) + log1p(e^{−|x|}).
#[inline]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Single-precision softplus.
#[inline]
pub fn softplus_f32(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// log σ(x) = −softplus(−x), accurate for large |x|.
#[inline]
pub fn log_sigmoid(x: f64) -> f64 {
    -softplus(-x)
}

/// The central finite differences of `f` at `point`, one per coordinate:
/// ∂f/∂x_k ≈ (f(x + h e_k) − f(x − h e_k)) / (2h), with error O(h²) for
/// smooth f. The reference against which hand-written gradients are tested.
pub fn central_differences(point: &[f64], step: f64, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let mut shifted = point.to_vec();
    (0..point.len())
        .map(|k| {
            shifted[k] = point[k] + step;
            let up = f(&shifted);
            shifted[k] = point[k] - step;
            let down = f(&shifted);
            shifted[k] = point[k];
            (up - down) / (2.0 * step)
        })
        .collect()
}

/// log Σ_k e^{x_k}, shifted by the maximum so that no term overflows.
///
/// Returns −∞ for an empty slice (the log of an empty sum), +∞ if any term is
/// +∞, and NaN if any term is NaN.
pub fn log_sum_exp(values: &[f64]) -> f64 {
    let mut acc = LogSumExp::new();
    for &v in values {
        acc.add(v);
    }
    acc.value()
}

/// log((1/n) Σ_k e^{x_k}): the log of the mean of exponentials, as used for
/// importance weights. Returns −∞ for an empty slice.
pub fn log_mean_exp(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NEG_INFINITY;
    }
    log_sum_exp(values) - (values.len() as f64).ln()
}

/// A streaming log-sum-exp accumulator: add terms one at a time, read
/// log Σ e^{x_k} at any point.
///
/// It keeps the running maximum m and the sum s = Σ e^{x_k − m}; when a new
/// maximum arrives the sum is rescaled by e^{m_old − m_new}.
#[derive(Clone, Copy, Debug)]
pub struct LogSumExp {
    max: f64,
    scaled_sum: f64,
}

impl Default for LogSumExp {
    fn default() -> Self {
        Self::new()
    }
}

impl LogSumExp {
    /// An empty accumulator (value −∞).
    pub fn new() -> Self {
        Self { max: f64::NEG_INFINITY, scaled_sum: 0.0 }
    }

    /// Adds the term e^{x}.
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            self.max = f64::NAN;
            return;
        }
        if x == f64::NEG_INFINITY || self.max.is_nan() {
            return;
        }
        if x <= self.max {
            self.scaled_sum += (x - self.max).exp();
        } else {
            self.scaled_sum = self.scaled_sum * (self.max - x).exp() + 1.0;
            self.max = x;
        }
    }

    /// Merges another accumulator into this one.
    pub fn merge(&mut self, other: &LogSumExp) {
        if other.max.is_nan() {
            self.max = f64::NAN;
        }
        if other.scaled_sum == 0.0 || self.max.is_nan() {
            return;
        }
        if other.max <= self.max {
            self.scaled_sum += other.scaled_sum * (other.max - self.max).exp();
        } else {
            self.scaled_sum = self.scaled_sum * (self.max - other.max).exp() + other.scaled_sum;
            self.max = other.max;
        }
    }

    /// log Σ e^{x_k} over the terms added so far.
    pub fn value(&self) -> f64 {
        if self.max.is_nan() {
            f64::NAN
        } else if self.scaled_sum == 0.0 {
            f64::NEG_INFINITY
        } else if self.max == f64::INFINITY {
            f64::INFINITY
        } else {
            self.max + self.scaled_sum.ln()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_lse(v: &[f64]) -> f64 {
        v.iter().map(|x| x.exp()).sum::<f64>().ln()
    }

    /// Arguments far outside the range where e^x is a normal f64 (|x| > 708),
    /// through the subnormal tail (−745 < x < −708) to the largest finite values.
    fn wide() -> impl Strategy<Value = f64> {
        prop_oneof![
            3 => -1e4f64..1e4,
            2 => -800.0f64..800.0,
            1 => -745.0f64..-700.0,
            1 => -1e300f64..1e300,
            1 => prop_oneof![
                Just(f64::MAX),
                Just(-f64::MAX),
                Just(0.0),
                Just(-0.0),
                Just(710.0),
                Just(-710.0),
            ],
        ]
    }

    /// Single-precision arguments of any magnitude, infinities included.
    fn wide_f32() -> impl Strategy<Value = f32> {
        prop_oneof![
            -1e4f32..1e4,
            -120.0f32..120.0,
            prop_oneof![Just(f32::MAX), Just(-f32::MAX), Just(f32::INFINITY), Just(f32::NEG_INFINITY)],
        ]
    }

    #[test]
    fn sigmoid_extremes_do_not_overflow() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!(sigmoid(-700.0) > 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid_f32(-200.0), 0.0);
        assert_eq!(sigmoid_f32(200.0), 1.0);
        assert!(sigmoid_f32(f32::NAN).is_nan());
    }

    #[test]
    fn softplus_and_log_sigmoid_extremes() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert!((log_sigmoid(-1000.0) + 1000.0).abs() < 1e-9);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn log_sum_exp_special_values() {
        assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[f64::NEG_INFINITY, f64::NEG_INFINITY]), f64::NEG_INFINITY);
        assert_eq!(log_sum_exp(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(log_sum_exp(&[1.0, f64::NAN]).is_nan());
        assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert!((log_mean_exp(&[5.0, 5.0, 5.0]) - 5.0).abs() < 1e-12);
    }

    proptest! {
        #[test]
        fn sigmoid_matches_definition_and_symmetry(x in -30.0f64..30.0) {
            let direct = 1.0 / (1.0 + (-x).exp());
            prop_assert!((sigmoid(x) - direct).abs() < 1e-14);
            prop_assert!((sigmoid(x) + sigmoid(-x) - 1.0).abs() < 1e-14);
            prop_assert!((log_sigmoid(x) - direct.ln()).abs() < 1e-12);
            prop_assert!((softplus(x) - (1.0 + x.exp()).ln()).abs() < 1e-12);
            prop_assert!((sigmoid_f32(x as f32) as f64 - direct).abs() < 1e-6);
            prop_assert!((softplus_f32(x as f32) as f64 - softplus(x)).abs() < 1e-5 * (1.0 + x.abs()));
        }

        #[test]
        fn sixteen_sigmoids_at_once_equal_sixteen_alone(
            x in proptest::array::uniform16(prop_oneof![-100.0f32..100.0, any::<f32>()]),
        ) {
            let together = sigmoid_f32x16(x);
            for (t, &value) in x.iter().enumerate() {
                let alone = sigmoid_f32(value);
                prop_assert!(
                    together[t].to_bits() == alone.to_bits() || (together[t].is_nan() && alone.is_nan()),
                    "σ({value}): {} together, {alone} alone", together[t]
                );
            }
        }

        #[test]
        fn sigmoid_f32_has_a_small_relative_error(x in -86.0f32..90.0) {
            let exact = sigmoid(f64::from(x));
            let relative = (f64::from(sigmoid_f32(x)) - exact).abs() / exact;
            prop_assert!(relative < 5e-7, "σ({x}): {} vs {exact}", sigmoid_f32(x));
        }

        #[test]
        fn log_sum_exp_matches_naive(v in prop::collection::vec(-50.0f64..50.0, 1..40)) {
            let exact = naive_lse(&v);
            prop_assert!((log_sum_exp(&v) - exact).abs() < 1e-10);
        }

        #[test]
        fn log_sum_exp_is_shift_equivariant(v in prop::collection::vec(-50.0f64..50.0, 1..40), c in -1e4f64..1e4) {
            let shifted: Vec<f64> = v.iter().map(|x| x + c).collect();
            prop_assert!((log_sum_exp(&shifted) - log_sum_exp(&v) - c).abs() < 1e-8);
        }

        #[test]
        fn log_sum_exp_stays_finite_and_bounded_at_any_magnitude(v in prop::collection::vec(wide(), 1..40)) {
            // max ≤ log Σ e^{x_k} ≤ max + ln n, whatever the magnitude; the streaming and
            // merged accumulators agree with it.
            let value = log_sum_exp(&v);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let rounding = 4.0 * f64::EPSILON * max.abs() + 1e-12;
            prop_assert!(value.is_finite(), "log-sum-exp = {value}");
            let ln_n = (v.len() as f64).ln();
            prop_assert!(value >= max - rounding && value <= max + ln_n + rounding, "{value} vs max {max}");
            let (left, right) = v.split_at(v.len() / 2);
            let mut merged = LogSumExp::new();
            left.iter().for_each(|&x| merged.add(x));
            let mut other = LogSumExp::new();
            right.iter().for_each(|&x| other.add(x));
            merged.merge(&other);
            prop_assert!((merged.value() - value).abs() <= rounding, "merged {} vs {value}", merged.value());
            let mean = log_mean_exp(&v);
            prop_assert!(mean.is_finite() && mean <= value && mean >= max - ln_n - rounding);
        }

        #[test]
        fn log_sum_exp_of_equal_terms_is_exact_far_out(x in wide(), copies in 1usize..50) {
            let value = log_sum_exp(&vec![x; copies]);
            let expected = x + (copies as f64).ln();
            let rounding = 4.0 * f64::EPSILON * x.abs() + 1e-12;
            prop_assert!((value - expected).abs() <= rounding, "{value} vs {expected}");
        }

        #[test]
        fn log_sum_exp_shifts_with_huge_offsets(
            v in prop::collection::vec(-1e4f64..1e4, 1..40),
            c in -1e6f64..1e6,
        ) {
            let shifted: Vec<f64> = v.iter().map(|x| x + c).collect();
            let error = (log_sum_exp(&shifted) - log_sum_exp(&v) - c).abs();
            prop_assert!(error <= 8.0 * f64::EPSILON * (c.abs() + 1e4) + 1e-12, "error {error:e}");
        }

        #[test]
        fn softplus_and_log_sigmoid_are_finite_with_exact_identities(x in wide()) {
            let rounding = 4.0 * f64::EPSILON * x.abs() + 1e-15;
            let (up, down) = (softplus(x), softplus(-x));
            // max(x, 0) ≤ softplus(x) ≤ max(x, 0) + ln 2, and softplus(x) − softplus(−x) = x.
            prop_assert!(up.is_finite() && up >= x.max(0.0), "softplus({x}) = {up}");
            prop_assert!(up <= x.max(0.0) + std::f64::consts::LN_2 + rounding, "softplus({x}) = {up}");
            prop_assert!((up - down - x).abs() <= rounding, "softplus(±{x}) differ by {}", up - down);
            // log σ(x) = −softplus(−x) ≤ 0, and log σ(x) − log σ(−x) = x.
            let (ls, ls_minus) = (log_sigmoid(x), log_sigmoid(-x));
            let lowest = x.min(0.0) - std::f64::consts::LN_2 - rounding;
            prop_assert!(ls.is_finite() && ls <= 0.0 && ls >= lowest, "log σ({x}) = {ls}");
            prop_assert!((ls - ls_minus - x).abs() <= rounding);
            // Far tails: softplus(x) = e^x (1 − e^x/2 + …) for x ≤ −40, log σ(x) = x − e^x.
            if x <= -40.0 {
                let e = x.exp();
                prop_assert!((up - e).abs() <= 1e-15 * e + 1e-323, "softplus({x}) = {up:e}, e^x = {e:e}");
                prop_assert!((ls - x).abs() <= rounding, "log σ({x}) = {ls}");
            }
        }

        #[test]
        fn sigmoid_is_a_probability_with_exact_tails(x in wide()) {
            let s = sigmoid(x);
            prop_assert!((0.0..=1.0).contains(&s), "σ({x}) = {s}");
            let both = s + sigmoid(-x);
            prop_assert!((both - 1.0).abs() <= 4.0 * f64::EPSILON, "σ({x}) + σ(−x) = {both}");
            // σ(x) = e^x/(1 + e^x) = e^x to within e^{2x} for x ≤ −40, into the subnormals
            // (e^x > 0 down to x ≈ −745).
            if x <= -40.0 {
                let e = x.exp();
                prop_assert!((s - e).abs() <= 1e-15 * e + 1e-323, "σ({x}) = {s:e}, e^x = {e:e}");
            }
            if x >= -700.0 {
                let through_log = log_sigmoid(x).exp();
                prop_assert!((s - through_log).abs() <= 1e-12 * s, "σ({x}) = {s:e} ≠ {through_log:e}");
            }
        }

        #[test]
        fn the_stable_functions_are_monotone(a in wide(), b in wide(), nearby in 0.0f64..1.0) {
            for (x, y) in [(a.min(b), a.max(b)), (a, a + nearby * (1e-12 * a.abs() + 1e-9))] {
                prop_assert!(sigmoid(x) <= sigmoid(y), "σ({x}) = {} > σ({y}) = {}", sigmoid(x), sigmoid(y));
                prop_assert!(softplus(x) <= softplus(y), "softplus({x}) > softplus({y})");
                prop_assert!(log_sigmoid(x) <= log_sigmoid(y), "log σ({x}) > log σ({y})");
                prop_assert!(log_sum_exp(&[x, 1.0]) <= log_sum_exp(&[y, 1.0]), "log-sum-exp at {x}, {y}");
                let (xf, yf) = (x as f32, y as f32);
                prop_assert!(sigmoid_f32(xf) <= sigmoid_f32(yf), "σ_f32({xf}) > σ_f32({yf})");
                prop_assert!(softplus_f32(xf) <= softplus_f32(yf), "softplus_f32({xf}) > softplus_f32({yf})");
            }
        }

        #[test]
        fn single_precision_functions_hold_far_out(x in wide_f32()) {
            let s = sigmoid_f32(x);
            prop_assert!((0.0..=1.0).contains(&s), "σ_f32({x}) = {s}");
            let both = s + sigmoid_f32(-x);
            prop_assert!((both - 1.0).abs() <= 8.0 * f32::EPSILON, "σ_f32({x}) + σ_f32(−x) = {both}");
            // Relative error 5·10⁻⁷; below −87 the result is flushed to 0 (σ < 1.7·10⁻³⁸).
            let exact = sigmoid(f64::from(x));
            let error = (f64::from(s) - exact).abs();
            prop_assert!(error <= 5e-7 * exact + 1.7e-38, "σ_f32({x}) = {s:e}, σ = {exact:e}");
            let sixteen = sigmoid_f32x16([x; 16]);
            prop_assert!(sixteen.iter().all(|v| v.to_bits() == s.to_bits()));
            if x.is_finite() {
                let (up, down) = (softplus_f32(x), softplus_f32(-x));
                prop_assert!(up.is_finite() && up >= x.max(0.0), "softplus_f32({x}) = {up}");
                let rounding = 4.0 * f32::EPSILON * x.abs() + 1e-6;
                prop_assert!((up - down - x).abs() <= rounding, "softplus_f32(±{x}): {up}, {down}");
            }
        }

        #[test]
        fn merge_equals_sequential(a in prop::collection::vec(-50.0f64..50.0, 0..20), b in prop::collection::vec(-50.0f64..50.0, 0..20)) {
            let mut left = LogSumExp::new();
            a.iter().for_each(|&x| left.add(x));
            let mut right = LogSumExp::new();
            b.iter().for_each(|&x| right.add(x));
            left.merge(&right);
            let all: Vec<f64> = a.iter().chain(&b).copied().collect();
            let expect = log_sum_exp(&all);
            if expect.is_finite() {
                prop_assert!((left.value() - expect).abs() < 1e-10);
            } else {
                prop_assert_eq!(left.value(), expect);
            }
        }
    }
}
