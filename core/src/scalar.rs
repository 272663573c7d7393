//! The [`Scalar`] abstraction: the floating-point element type of every tensor.
//!
//! Implemented for `f32` and `f64`. Only operations that `core` provides without `std` are used;
//! transcendental functions live in the math backend ([`crate::math::Math`]).

use core::fmt::{Debug, Display};
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// A floating-point element type: `f32` or `f64`.
///
/// Sealed to the two IEEE 754 binary formats so that every numeric guarantee in this crate (finite
/// differences, stable forms, bit-exact host/device agreement) is made for a known format.
///
/// ```
/// use stacknn::Scalar;
/// fn mean<S: Scalar>(xs: &[S]) -> S {
///     xs.iter().fold(S::ZERO, |a, &x| a + x) / S::from_usize(xs.len())
/// }
/// assert_eq!(mean(&[1.0f32, 2.0, 3.0]), 2.0);
/// ```
pub trait Scalar:
    sealed::Sealed
    + Copy
    + Default
    + PartialEq
    + PartialOrd
    + Debug
    + Display
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + FromZeros
    + FromBytes
    + IntoBytes
    + Immutable
    + KnownLayout
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// 2.
    const TWO: Self;
    /// ½.
    const HALF: Self;
    /// Machine epsilon: the gap between 1 and the next representable value.
    const EPSILON: Self;
    /// Largest finite value.
    const MAX: Self;
    /// +∞.
    const INFINITY: Self;
    /// −∞.
    const NEG_INFINITY: Self;
    /// Size in bytes of one value (4 or 8).
    const BYTES: usize;
    /// A short name of the type (`"f32"`, `"f64"`).
    const NAME: &'static str;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` (exact).
    fn to_f64(self) -> f64;
    /// Converts from `usize` (exact for counts below 2²⁴ in f32).
    fn from_usize(n: usize) -> Self;
    /// `true` unless the value is NaN or ±∞.
    fn is_finite(self) -> bool;
    /// `true` if the value is NaN.
    fn is_nan(self) -> bool;
    /// |x|, by clearing the sign bit.
    fn abs(self) -> Self;
    /// The larger of two values; if one is NaN, the other.
    fn max(self, other: Self) -> Self;
    /// The smaller of two values; if one is NaN, the other.
    fn min(self, other: Self) -> Self;
    /// `self * a + b`, evaluated as a separate multiply and add (never fused), so that the result is
    /// the same bit pattern on every target.
    #[inline(always)]
    fn mul_add_unfused(self, a: Self, b: Self) -> Self {
        self * a + b
    }
    /// Writes the little-endian bytes of the value into `out[..Self::BYTES]`.
    ///
    /// Returns `false` (and writes nothing) if `out` is shorter than [`Self::BYTES`].
    fn write_le(self, out: &mut [u8]) -> bool;
    /// Reads a value from the little-endian bytes `bytes[..Self::BYTES]`; `None` if too short.
    fn read_le(bytes: &[u8]) -> Option<Self>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! impl_scalar {
    ($t:ty, $bytes:expr) => {
        impl Scalar for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const TWO: Self = 2.0;
            const HALF: Self = 0.5;
            const EPSILON: Self = <$t>::EPSILON;
            const MAX: Self = <$t>::MAX;
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const BYTES: usize = $bytes;
            const NAME: &'static str = stringify!($t);

            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline]
            fn write_le(self, out: &mut [u8]) -> bool {
                match out.get_mut(..$bytes) {
                    Some(dst) => {
                        dst.copy_from_slice(&self.to_le_bytes());
                        true
                    }
                    None => false,
                }
            }
            #[inline]
            fn read_le(bytes: &[u8]) -> Option<Self> {
                let arr: [u8; $bytes] = bytes.get(..$bytes)?.try_into().ok()?;
                Some(<$t>::from_le_bytes(arr))
            }
        }
    };
}

impl_scalar!(f32, 4);
impl_scalar!(f64, 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_round_trip() {
        let mut buf = [0u8; 8];
        assert!((-1.5f32).write_le(&mut buf));
        assert_eq!(f32::read_le(&buf), Some(-1.5));
        assert!(!1.0f64.write_le(&mut buf[..4]));
        assert_eq!(f64::read_le(&buf[..7]), None);
    }

    #[test]
    fn finite_and_abs() {
        assert!(!Scalar::is_finite(f32::NAN));
        assert!(!Scalar::is_finite(f64::INFINITY));
        assert_eq!(Scalar::abs(-2.0f64), 2.0);
        assert_eq!(Scalar::max(f32::NAN, 1.0), 1.0);
    }
}
