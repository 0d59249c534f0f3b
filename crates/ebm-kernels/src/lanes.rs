//! [`Lanes`]: the arithmetic that `ebm_core::math::sigmoid_f32` is written in,
//! so that one definition serves a single f32 and, where the build has
//! AVX-512F, 16 values in one register (`F32x16`), which also holds the
//! running sums of the [`crate::panels`] kernels.
//!
//! Compilers vectorise loops over f32 themselves, but on processors with
//! AVX-512 they prefer 256-bit vectors unless told otherwise, and Rust cannot
//! tell them; `F32x16` spells out the 512-bit instructions. Every operation
//! is the same IEEE operation lane by lane (no fused multiply–adds, no
//! approximate reciprocals), so both give identical bits. This is the one
//! module of the workspace with `unsafe` code: the intrinsics' calls.

use std::ops::{Add, Div, Mul, Sub};

/// Values on which the sigmoid's operations act lane by lane.
pub trait Lanes:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    /// One truth value per lane.
    type Mask: Copy;
    /// `value` in every lane.
    fn splat(value: f32) -> Self;
    /// −|x|: the sign bit set.
    fn negated_magnitude(self) -> Self;
    /// x < bound, false where either is NaN.
    fn less_than(self, bound: Self) -> Self::Mask;
    /// x ≥ bound, false where either is NaN.
    fn at_least(self, bound: Self) -> Self::Mask;
    /// `if_true` where `mask` holds, else `if_false`.
    fn select(mask: Self::Mask, if_true: Self, if_false: Self) -> Self;
    /// The f32 whose bits are ((bits of x) − (bits of `base`) + 127) · 2²³,
    /// in wrapping 32-bit arithmetic: 2ⁿ when x = `base` + n for a `base`
    /// whose last mantissa bits hold the integer n.
    fn power_of_two(self, base: f32) -> Self;
}

impl Lanes for f32 {
    type Mask = bool;

    #[inline(always)]
    fn splat(value: f32) -> Self {
        value
    }

    #[inline(always)]
    fn negated_magnitude(self) -> Self {
        -self.abs()
    }

    #[inline(always)]
    fn less_than(self, bound: Self) -> bool {
        self < bound
    }

    #[inline(always)]
    fn at_least(self, bound: Self) -> bool {
        self >= bound
    }

    #[inline(always)]
    fn select(mask: bool, if_true: Self, if_false: Self) -> Self {
        if mask { if_true } else { if_false }
    }

    #[inline(always)]
    fn power_of_two(self, base: f32) -> Self {
        f32::from_bits(self.to_bits().wrapping_sub(base.to_bits()).wrapping_add(127) << 23)
    }
}

#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
pub use wide::F32x16;

/// The 512-bit lanes. Every intrinsic here needs AVX-512F, which the whole
/// build targets wherever this module is compiled
/// (`cfg(target_feature = "avx512f")`), so each call is sound.
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
#[allow(unsafe_code)]
mod wide {
    use super::Lanes;
    use std::arch::x86_64::*;
    use std::ops::{Add, Div, Mul, Sub};

    /// 16 f32 in one AVX-512 register.
    #[derive(Clone, Copy)]
    pub struct F32x16(pub __m512);

    /// A binary operation as one AVX-512 instruction.
    macro_rules! operation {
        ($trait:ident, $method:ident, $intrinsic:ident) => {
            impl $trait for F32x16 {
                type Output = Self;
                #[inline(always)]
                fn $method(self, other: Self) -> Self {
                    // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
                    Self(unsafe { $intrinsic(self.0, other.0) })
                }
            }
        };
    }
    operation!(Add, add, _mm512_add_ps);
    operation!(Sub, sub, _mm512_sub_ps);
    operation!(Mul, mul, _mm512_mul_ps);
    operation!(Div, div, _mm512_div_ps);

    impl Lanes for F32x16 {
        type Mask = __mmask16;

        #[inline(always)]
        fn splat(value: f32) -> Self {
            // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
            Self(unsafe { _mm512_set1_ps(value) })
        }

        #[inline(always)]
        fn negated_magnitude(self) -> Self {
            // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
            Self(unsafe {
                _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(self.0), _mm512_set1_epi32(i32::MIN)))
            })
        }

        #[inline(always)]
        fn less_than(self, bound: Self) -> __mmask16 {
            // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
            unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, bound.0) }
        }

        #[inline(always)]
        fn at_least(self, bound: Self) -> __mmask16 {
            // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
            unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, bound.0) }
        }

        #[inline(always)]
        fn select(mask: __mmask16, if_true: Self, if_false: Self) -> Self {
            // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
            Self(unsafe { _mm512_mask_blend_ps(mask, if_false.0, if_true.0) })
        }

        #[inline(always)]
        fn power_of_two(self, base: f32) -> Self {
            // SAFETY: AVX-512F is enabled for the whole build (see the module docs).
            Self(unsafe {
                let bits =
                    _mm512_sub_epi32(_mm512_castps_si512(self.0), _mm512_set1_epi32(base.to_bits() as i32));
                _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(bits, _mm512_set1_epi32(127))))
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 1.5·2²³, as in the sigmoid's exponential: adding it rounds to an integer
    /// held in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;

    #[test]
    fn power_of_two_builds_every_normal_power() {
        for n in -126i32..=127 {
            let expected = 2f32.powi(n);
            assert_eq!((ROUND + n as f32).power_of_two(ROUND), expected, "2^{n}");
            #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
            {
                let wide: [f32; 16] = bytemuck::cast(F32x16::splat(ROUND + n as f32).power_of_two(ROUND).0);
                assert!(wide.iter().all(|&v| v == expected), "2^{n} in 16 lanes: {wide:?}");
            }
        }
    }

    fn value() -> impl Strategy<Value = f32> {
        prop_oneof![-100.0f32..100.0, any::<f32>()]
    }

    proptest! {
        /// Every operation of the 16-lane type against the same operation on each
        /// lane's f32, bit for bit (NaN for NaN): the AVX-512 path checked against
        /// the scalar one. Lanes where `ties` has a bit set compare equal values,
        /// where < and ≥ part from ≤ and >.
        #[cfg(all(target_arch = "x86_64", target_feature = "avx512f"))]
        #[test]
        fn sixteen_lanes_equal_sixteen_scalars(
            x in proptest::array::uniform16(value()),
            y in proptest::array::uniform16(value()),
            ties in any::<u16>(),
            exponents in proptest::array::uniform16(-126i32..=127),
        ) {
            let y: [f32; 16] = std::array::from_fn(|t| if ties >> t & 1 == 1 { x[t] } else { y[t] });
            let wide = |v: [f32; 16]| F32x16(bytemuck::cast(v));
            let lanes = |v: F32x16| -> [f32; 16] { bytemuck::cast(v.0) };
            let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            let (a, b) = (wide(x), wide(y));
            type Scalar = fn(f32, f32) -> f32;
            let operations: [(&str, [f32; 16], Scalar); 4] = [
                ("+", lanes(a + b), |p, q| p + q),
                ("−", lanes(a - b), |p, q| p - q),
                ("×", lanes(a * b), |p, q| p * q),
                ("÷", lanes(a / b), |p, q| p / q),
            ];
            for (name, result, scalar) in operations {
                for t in 0..16 {
                    let (lane, alone) = (result[t], scalar(x[t], y[t]));
                    prop_assert!(same(lane, alone), "{} {name} {}: {lane} vs {alone}", x[t], y[t]);
                }
            }
            let negated = lanes(a.negated_magnitude());
            let (less, at_least) = (a.less_than(b), a.at_least(b));
            let chosen = lanes(F32x16::select(less, a, b));
            for t in 0..16 {
                prop_assert!(same(negated[t], x[t].negated_magnitude()), "−|{}|: {}", x[t], negated[t]);
                prop_assert_eq!(less >> t & 1 == 1, x[t].less_than(y[t]), "{} < {}", x[t], y[t]);
                prop_assert_eq!(at_least >> t & 1 == 1, x[t].at_least(y[t]), "{} ≥ {}", x[t], y[t]);
                prop_assert!(same(chosen[t], f32::select(x[t].less_than(y[t]), x[t], y[t])));
            }
            let shifted = exponents.map(|n| ROUND + n as f32);
            let powers = lanes(wide(shifted).power_of_two(ROUND));
            for t in 0..16 {
                let alone = shifted[t].power_of_two(ROUND);
                prop_assert!(same(powers[t], alone), "2^{}: {} vs {alone}", exponents[t], powers[t]);
            }
        }

        /// The scalar masks follow IEEE comparisons: false whenever either side is NaN.
        #[test]
        fn scalar_comparisons_are_false_with_nan(x in value()) {
            prop_assert!(!f32::NAN.less_than(x) && !x.less_than(f32::NAN));
            prop_assert!(!f32::NAN.at_least(x) && !x.at_least(f32::NAN));
            prop_assert_eq!(x.less_than(0.0), x < 0.0);
            prop_assert!(x.negated_magnitude() <= 0.0 || x.is_nan());
        }
    }
}
