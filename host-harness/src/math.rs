//! The harness's math backend.

use stacknn::math::{Libm, Math};

/// stacknn's exact [`Libm`] backend with the square root taken from `std` (`f32::sqrt`, the
/// CPU's `sqrtss`/`sqrtsd` instruction).
///
/// `libm::sqrtf` is an opaque call, so a loop that uses it stays scalar; `f32::sqrt` is an LLVM
/// intrinsic the loop vectoriser widens: Adam's update becomes `sqrtps`/`divps` over four
/// parameters at a time, and a 784-100-10 Adam step at batch 32 runs 1.5× faster. IEEE 754
/// square roots are correctly rounded, so both give the same bits (test
/// `sqrt_has_the_bits_of_libm`): models trained with `Host` are those trained with `Libm`, and
/// agree with the device bit for bit. Every other function is `Libm`'s.
///
/// This is the core's extension point at work (the core itself never calls `std`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Host;

macro_rules! host_math {
    ($s:ty) => {
        impl Math<$s> for Host {
            #[inline]
            fn exp(x: $s) -> $s {
                <Libm as Math<$s>>::exp(x)
            }
            #[inline]
            fn exp_m1(x: $s) -> $s {
                <Libm as Math<$s>>::exp_m1(x)
            }
            #[inline]
            fn ln(x: $s) -> $s {
                <Libm as Math<$s>>::ln(x)
            }
            #[inline]
            fn ln_1p(x: $s) -> $s {
                <Libm as Math<$s>>::ln_1p(x)
            }
            #[inline]
            fn sqrt(x: $s) -> $s {
                x.sqrt()
            }
            #[inline]
            fn tanh(x: $s) -> $s {
                <Libm as Math<$s>>::tanh(x)
            }
            #[inline]
            fn powf(x: $s, y: $s) -> $s {
                <Libm as Math<$s>>::powf(x, y)
            }
            #[inline]
            fn cos(x: $s) -> $s {
                <Libm as Math<$s>>::cos(x)
            }
        }
    };
}

host_math!(f32);
host_math!(f64);

#[cfg(test)]
mod tests {
    use super::*;
    use stacknn::Rng;

    /// `Host::sqrt` must return `Libm::sqrt`'s bits, or host and device would drift apart.
    #[test]
    fn sqrt_has_the_bits_of_libm() {
        let same32 = |x: f32| {
            let (a, b) = (<Host as Math<f32>>::sqrt(x), <Libm as Math<f32>>::sqrt(x));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "sqrt({x:e})"
            );
        };
        // Every 65,537th bit pattern (spread over all of f32: subnormals, ±0, ±∞ and NaNs
        // included) plus a dense run just above 1.
        for i in 0..=65_536u64 {
            same32(f32::from_bits((i * 65_537) as u32));
        }
        for i in 0..100_000u32 {
            same32(f32::from_bits(1.0f32.to_bits() + i));
        }
        let mut rng = Rng::seed(7);
        for _ in 0..100_000 {
            let x = f64::from_bits(rng.next_u64());
            let (a, b) = (<Host as Math<f64>>::sqrt(x), <Libm as Math<f64>>::sqrt(x));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "sqrt({x:e})"
            );
        }
    }
}
