//! [`Lanes`]: the arithmetic that [`crate::math::sigmoid_f32`] is written in,
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
pub(crate) trait Lanes:
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
pub(crate) use wide::F32x16;

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
    pub(crate) struct F32x16(pub(crate) __m512);

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
