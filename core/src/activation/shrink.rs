//! Shrinkage activations: hard shrink, soft shrink, tanh shrink.

use super::{check_param, elementwise_activation, Elementwise};
use crate::math::Math;
use crate::{Error, Scalar};
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Hard shrinkage (the hard-thresholding rule η_H of Donoho & Johnstone 1994, "Ideal spatial
/// adaptation by wavelet shrinkage"; PyTorch's `nn.Hardshrink`):
/// f(x) = x if |x| > λ, else 0.
///
/// f′(x) = 1 for |x| > λ, 0 for |x| < λ; at x = ±λ (where f jumps) the sub-gradient 0 is chosen.
/// Default λ = 0.5; valid λ: finite and ≥ 0.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, HardShrink};
/// use stacknn::math::Libm;
/// let mut y = [0.0f64; 3];
/// HardShrink::default().forward::<Libm>(&[-0.7, 0.5, 0.2], &mut y);
/// assert_eq!(y, [-0.7, 0.0, 0.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct HardShrink<S> {
    /// Half-width λ of the dead zone (default 0.5).
    pub lambda: S,
}

impl<S: Scalar> HardShrink<S> {
    /// The catalogue name, `"hard-shrink"`.
    pub const NAME: &'static str = "hard-shrink";
    /// A hard shrink with dead zone [−λ, λ]; `Error::InvalidParameter("lambda")` unless λ is
    /// finite and ≥ 0.
    pub fn new(lambda: S) -> Result<Self, Error> {
        Ok(Self {
            lambda: check_param(lambda, S::ZERO, S::MAX, "lambda")?,
        })
    }
}

impl<S: Scalar> Default for HardShrink<S> {
    /// λ = 0.5.
    fn default() -> Self {
        Self { lambda: S::HALF }
    }
}

impl<S: Scalar> Elementwise<S> for HardShrink<S> {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > self.lambda || x < -self.lambda {
            x
        } else {
            S::ZERO
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > self.lambda || x < -self.lambda {
            S::ONE
        } else {
            S::ZERO
        }
    }
}

/// Soft shrinkage (the soft-thresholding rule η_S of Donoho 1995, "De-noising by
/// soft-thresholding"; PyTorch's `nn.Softshrink`):
/// f(x) = x − λ if x > λ, x + λ if x < −λ, else 0.
///
/// f′(x) = 1 for |x| > λ, 0 for |x| < λ; at the kinks x = ±λ the sub-gradient 0 is chosen.
/// Default λ = 0.5; valid λ: finite and ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SoftShrink<S> {
    /// Amount λ subtracted from the magnitude (default 0.5).
    pub lambda: S,
}

impl<S: Scalar> SoftShrink<S> {
    /// The catalogue name, `"soft-shrink"`.
    pub const NAME: &'static str = "soft-shrink";
    /// A soft shrink by λ; `Error::InvalidParameter("lambda")` unless λ is finite and ≥ 0.
    pub fn new(lambda: S) -> Result<Self, Error> {
        Ok(Self {
            lambda: check_param(lambda, S::ZERO, S::MAX, "lambda")?,
        })
    }
}

impl<S: Scalar> Default for SoftShrink<S> {
    /// λ = 0.5.
    fn default() -> Self {
        Self { lambda: S::HALF }
    }
}

impl<S: Scalar> Elementwise<S> for SoftShrink<S> {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > self.lambda {
            x - self.lambda
        } else if x < -self.lambda {
            x + self.lambda
        } else {
            S::ZERO
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > self.lambda || x < -self.lambda {
            S::ONE
        } else {
            S::ZERO
        }
    }
}

/// Tanh shrink (PyTorch's `nn.Tanhshrink`; no original paper): f(x) = x − tanh x,
/// f′(x) = tanh² x.
///
/// For |x| < 0.1 the difference x − tanh x cancels, so it is evaluated from the Taylor series
/// x³/3 − 2x⁵/15 + 17x⁷/315 − 62x⁹/2835 + 1382x¹¹/155925 − 21844x¹³/6081075 (the tanh series,
/// Abramowitz & Stegun 4.5.64), whose truncation error there is below 5·10⁻¹⁵ relative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct TanhShrink;

impl TanhShrink {
    /// The catalogue name, `"tanh-shrink"`.
    pub const NAME: &'static str = "tanh-shrink";
}

impl<S: Scalar> Elementwise<S> for TanhShrink {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x.abs() < S::from_f64(0.1) {
            let x2 = x * x;
            // Horner form of the series divided by x³.
            let c = |n: f64, d: f64| S::from_f64(n / d);
            let p = c(-21844.0, 6081075.0);
            let p = p * x2 + c(1382.0, 155925.0);
            let p = p * x2 + c(-62.0, 2835.0);
            let p = p * x2 + c(17.0, 315.0);
            let p = p * x2 + c(-2.0, 15.0);
            let p = p * x2 + c(1.0, 3.0);
            p * x2 * x
        } else {
            x - M::tanh(x)
        }
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        let t = M::tanh(x);
        t * t
    }
}

elementwise_activation!(HardShrink<S>, SoftShrink<S>, TanhShrink);
