//! A small, seeded, portable pseudo-random number generator.
//!
//! xoshiro256++ (Blackman & Vigna 2018, "Scrambled linear pseudorandom number generators"),
//! seeded through SplitMix64 (Steele, Lea & Flood 2014). Written here rather than taken from
//! `rand_xoshiro` so that the generator is `FromZeros` (it lives inside zero-initialised training
//! buffers) and its Gaussian draws go through the crate's own math backend — the same bits on the
//! host and on the device for a given seed.

use crate::math::Math;
use crate::Scalar;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// xoshiro256++ generator. 32 bytes.
///
/// ```
/// use stacknn::Rng;
/// let mut a = Rng::seed(42);
/// let mut b = Rng::seed(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// let u: f64 = a.uniform();
/// assert!((0.0..1.0).contains(&u));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose state is expanded from `seed` by SplitMix64 (never the all-zero state).
    pub const fn seed(seed: u64) -> Self {
        let mut x = seed;
        let mut s = [0u64; 4];
        let mut i = 0;
        while i < 4 {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            s[i] = z ^ (z >> 31);
            i += 1;
        }
        Self { s }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..n` (`n > 0`; returns 0 for `n == 0`), by Lemire's multiply-shift
    /// (bias below 2⁻³² for the n used here).
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// A uniform value in [0, 1): the top 53 bits scaled by 2⁻⁵³, then rounded to `S`
    /// (in f32 the rounding can reach 1.0 with probability 2⁻²⁵).
    #[inline]
    pub fn uniform<S: Scalar>(&mut self) -> S {
        S::from_f64((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64))
    }

    /// A uniform value in [lo, hi).
    #[inline]
    pub fn uniform_in<S: Scalar>(&mut self, lo: S, hi: S) -> S {
        lo + (hi - lo) * self.uniform::<S>()
    }

    /// A standard normal draw N(0, 1) by the Box–Muller transform (Box & Muller 1958):
    /// z = √(−2 ln u₁)·cos(2π u₂), u₁ ∈ (0, 1].
    #[inline]
    pub fn normal<S: Scalar, M: Math<S>>(&mut self) -> S {
        let u1 = S::ONE - self.uniform::<S>();
        let u1 = if u1 > S::ZERO { u1 } else { S::EPSILON };
        let u2 = self.uniform::<S>();
        let two_pi = S::from_f64(core::f64::consts::TAU);
        M::sqrt(-S::TWO * M::ln(u1)) * M::cos(two_pi * u2)
    }

    /// Shuffles `xs` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i + 1);
            xs.swap(i, j);
        }
    }
}

impl Default for Rng {
    fn default() -> Self {
        Self::seed(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_sequence() {
        // xoshiro256++ reference output for state [1, 2, 3, 4] (from the authors' C code).
        let mut r = Rng { s: [1, 2, 3, 4] };
        assert_eq!(r.next_u64(), 41943041);
        assert_eq!(r.next_u64(), 58720359);
        assert_eq!(r.next_u64(), 3588806011781223);
    }

    #[cfg(feature = "libm")]
    #[test]
    fn normal_moments() {
        let mut r = Rng::seed(7);
        let n = 200_000;
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let z: f64 = r.normal::<f64, crate::math::Libm>();
            s += z;
            s2 += z * z;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut r = Rng::seed(1);
        let mut v: [usize; 50] = core::array::from_fn(|i| i);
        r.shuffle(&mut v);
        let mut sorted = v;
        sorted.sort();
        assert_eq!(sorted, core::array::from_fn::<usize, 50, _>(|i| i));
        assert_ne!(v, sorted);
    }
}
