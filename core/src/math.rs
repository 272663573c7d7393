//! Math backends: where the transcendental functions come from.
//!
//! The core never calls `std` float methods. Every exponential, logarithm and square root goes
//! through a type implementing [`Math`], chosen by the user as a type parameter (for example
//! `Network<L, Libm>`):
//!
//! | backend | feature | scalars | accuracy |
//! |---|---|---|---|
//! | [`Libm`] | `libm` (default) | `f32`, `f64` | correctly rounded or within 1 ulp (musl's libm) |
//! | [`Micromath`] | `micromath` | `f32` (and `f64` through `f32`) | fast approximations; see the table in [`Micromath`] |
//!
//! A user may implement [`Math`] for a backend of their own (e.g. a vendor DSP library). The host
//! harness does: its `host_harness::math::Host` is [`Libm`] with the CPU's square root, which
//! LLVM vectorises in optimizer updates (same bits: square roots are correctly rounded).

use crate::Scalar;

/// The elementary functions a network needs, for one scalar type.
///
/// Implementations must be deterministic (same input, same bits) so that host and device agree.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::math::{Libm, Math};
/// assert!((<Libm as Math<f64>>::exp(1.0) - core::f64::consts::E).abs() < 1e-15);
/// # }
/// ```
pub trait Math<S: Scalar>: 'static + Send + Sync {
    /// eˣ.
    fn exp(x: S) -> S;
    /// eˣ − 1, accurate for small |x|.
    fn exp_m1(x: S) -> S;
    /// ln x (natural logarithm).
    fn ln(x: S) -> S;
    /// ln(1 + x), accurate for small |x|.
    fn ln_1p(x: S) -> S;
    /// √x.
    fn sqrt(x: S) -> S;
    /// tanh x.
    fn tanh(x: S) -> S;
    /// xʸ.
    fn powf(x: S, y: S) -> S;
    /// cos x (used for Gaussian draws, Box–Muller).
    fn cos(x: S) -> S;
}

/// Exact backend: the [`libm`](https://docs.rs/libm) crate (a port of musl's libm).
///
/// Enabled by the default feature `libm`. This is the reference backend: every test that compares
/// against independently computed values uses it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Libm;

#[cfg(feature = "libm")]
impl Math<f32> for Libm {
    #[inline]
    fn exp(x: f32) -> f32 {
        libm::expf(x)
    }
    #[inline]
    fn exp_m1(x: f32) -> f32 {
        libm::expm1f(x)
    }
    #[inline]
    fn ln(x: f32) -> f32 {
        libm::logf(x)
    }
    #[inline]
    fn ln_1p(x: f32) -> f32 {
        libm::log1pf(x)
    }
    #[inline]
    fn sqrt(x: f32) -> f32 {
        libm::sqrtf(x)
    }
    #[inline]
    fn tanh(x: f32) -> f32 {
        libm::tanhf(x)
    }
    #[inline]
    fn powf(x: f32, y: f32) -> f32 {
        libm::powf(x, y)
    }
    #[inline]
    fn cos(x: f32) -> f32 {
        libm::cosf(x)
    }
}

#[cfg(feature = "libm")]
impl Math<f64> for Libm {
    #[inline]
    fn exp(x: f64) -> f64 {
        libm::exp(x)
    }
    #[inline]
    fn exp_m1(x: f64) -> f64 {
        libm::expm1(x)
    }
    #[inline]
    fn ln(x: f64) -> f64 {
        libm::log(x)
    }
    #[inline]
    fn ln_1p(x: f64) -> f64 {
        libm::log1p(x)
    }
    #[inline]
    fn sqrt(x: f64) -> f64 {
        libm::sqrt(x)
    }
    #[inline]
    fn tanh(x: f64) -> f64 {
        libm::tanh(x)
    }
    #[inline]
    fn powf(x: f64, y: f64) -> f64 {
        libm::pow(x, y)
    }
    #[inline]
    fn cos(x: f64) -> f64 {
        libm::cos(x)
    }
}

/// Fast backend: the [`micromath`](https://docs.rs/micromath) crate's f32 approximations.
///
/// Enabled by the feature `micromath`. `micromath` has no `tanh`, `ln_1p` or `exp_m1`; they are
/// built here from its `exp` and `ln` in overflow-safe forms:
/// `tanh x = sign(x)·(1 − 2/(e^{2|x|} + 1))`, `ln_1p x = ln(1 + x)`, `exp_m1 x = eˣ − 1`
/// (so they lose relative accuracy for |x| ≪ 1, which the measured error table in
/// `docs/RESULTS.md` shows). `f64` is served by rounding to `f32` and back: this backend trades
/// precision for speed by design.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Micromath;

#[cfg(feature = "micromath")]
impl Math<f32> for Micromath {
    #[inline]
    fn exp(x: f32) -> f32 {
        // micromath's exp returns garbage far outside the representable range; clamp to the
        // range where the result is finite and non-zero, as an exact exp would saturate.
        if x > 88.7 {
            f32::INFINITY
        } else if x < -103.9 {
            0.0
        } else {
            micromath::F32Ext::exp(x)
        }
    }
    #[inline]
    fn exp_m1(x: f32) -> f32 {
        <Self as Math<f32>>::exp(x) - 1.0
    }
    #[inline]
    fn ln(x: f32) -> f32 {
        if x == 0.0 {
            f32::NEG_INFINITY
        } else if x < 0.0 || x.is_nan() {
            f32::NAN
        } else if x == f32::INFINITY {
            f32::INFINITY
        } else {
            micromath::F32Ext::ln(x)
        }
    }
    #[inline]
    fn ln_1p(x: f32) -> f32 {
        <Self as Math<f32>>::ln(1.0 + x)
    }
    #[inline]
    fn sqrt(x: f32) -> f32 {
        if x == 0.0 {
            0.0
        } else {
            micromath::F32Ext::sqrt(x)
        }
    }
    #[inline]
    fn tanh(x: f32) -> f32 {
        let e = <Self as Math<f32>>::exp(2.0 * x.abs());
        let t = 1.0 - 2.0 / (e + 1.0);
        if x < 0.0 {
            -t
        } else {
            t
        }
    }
    #[inline]
    fn powf(x: f32, y: f32) -> f32 {
        micromath::F32Ext::powf(x, y)
    }
    #[inline]
    fn cos(x: f32) -> f32 {
        micromath::F32Ext::cos(x)
    }
}

#[cfg(feature = "micromath")]
impl Math<f64> for Micromath {
    #[inline]
    fn exp(x: f64) -> f64 {
        <Self as Math<f32>>::exp(x as f32) as f64
    }
    #[inline]
    fn exp_m1(x: f64) -> f64 {
        <Self as Math<f32>>::exp_m1(x as f32) as f64
    }
    #[inline]
    fn ln(x: f64) -> f64 {
        <Self as Math<f32>>::ln(x as f32) as f64
    }
    #[inline]
    fn ln_1p(x: f64) -> f64 {
        <Self as Math<f32>>::ln_1p(x as f32) as f64
    }
    #[inline]
    fn sqrt(x: f64) -> f64 {
        <Self as Math<f32>>::sqrt(x as f32) as f64
    }
    #[inline]
    fn tanh(x: f64) -> f64 {
        <Self as Math<f32>>::tanh(x as f32) as f64
    }
    #[inline]
    fn powf(x: f64, y: f64) -> f64 {
        <Self as Math<f32>>::powf(x as f32, y as f32) as f64
    }
    #[inline]
    fn cos(x: f64) -> f64 {
        <Self as Math<f32>>::cos(x as f32) as f64
    }
}

/// Numerically stable building blocks shared by activations and losses.
pub mod stable {
    use super::Math;
    use crate::Scalar;

    /// Logistic sigmoid σ(x) = 1/(1 + e⁻ˣ), evaluated without overflow:
    /// for x ≥ 0, 1/(1 + e⁻ˣ); for x < 0, eˣ/(1 + eˣ).
    #[inline]
    pub fn sigmoid<S: Scalar, M: Math<S>>(x: S) -> S {
        if x >= S::ZERO {
            S::ONE / (S::ONE + M::exp(-x))
        } else {
            let e = M::exp(x);
            e / (S::ONE + e)
        }
    }

    /// softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^{−|x|}), finite for every finite x.
    #[inline]
    pub fn softplus<S: Scalar, M: Math<S>>(x: S) -> S {
        x.max(S::ZERO) + M::ln_1p(M::exp(-x.abs()))
    }

    /// ln Σᵢ e^{xᵢ} with the maximum subtracted first (finite for every finite input).
    /// Returns −∞ for an empty slice.
    #[inline]
    pub fn log_sum_exp<S: Scalar, M: Math<S>>(x: &[S]) -> S {
        let m = x.iter().fold(S::NEG_INFINITY, |m, &v| m.max(v));
        if !m.is_finite() {
            return m;
        }
        let s = x.iter().fold(S::ZERO, |s, &v| s + M::exp(v - m));
        m + M::ln(s)
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::stable::*;
    use super::*;

    #[test]
    fn stable_forms_do_not_overflow() {
        assert_eq!(sigmoid::<f32, Libm>(-1000.0), 0.0);
        assert_eq!(sigmoid::<f32, Libm>(1000.0), 1.0);
        assert_eq!(softplus::<f64, Libm>(1000.0), 1000.0);
        let lse = log_sum_exp::<f64, Libm>(&[1000.0, -1000.0, 0.0]);
        assert_eq!(lse, 1000.0);
    }

    #[cfg(feature = "micromath")]
    #[test]
    fn micromath_is_close_to_libm() {
        for i in -200..200 {
            let x = i as f32 * 0.05;
            let e = <Micromath as Math<f32>>::exp(x);
            let r = <Libm as Math<f32>>::exp(x);
            assert!(((e - r) / r).abs() < 1e-2, "exp({x}): {e} vs {r}");
            let t = <Micromath as Math<f32>>::tanh(x);
            let rt = <Libm as Math<f32>>::tanh(x);
            assert!((t - rt).abs() < 1e-2, "tanh({x}): {t} vs {rt}");
        }
    }
}
