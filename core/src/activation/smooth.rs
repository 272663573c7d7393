//! Smooth rectifiers: softplus, Swish, Mish, tanhExp.

use super::sigmoid::sigmoid_slope;
use super::{check_param, elementwise_activation, Elementwise};
use crate::math::{stable, Math};
use crate::{Error, Scalar};
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Softplus (Dugas, Bengio, Bélisle, Nadeau & Garcia 2001, "Incorporating second-order
/// functional knowledge for better option pricing"): f(x) = ln(1 + eˣ), f′(x) = σ(x).
///
/// Evaluated as max(x, 0) + ln(1 + e⁻|ˣ|) ([`stable::softplus`]), finite for every finite x.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Softplus;

impl Softplus {
    /// The catalogue name, `"softplus"`.
    pub const NAME: &'static str = "softplus";
}

impl<S: Scalar> Elementwise<S> for Softplus {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        stable::softplus::<S, M>(x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        stable::sigmoid::<S, M>(x)
    }
}

/// Swish (Ramachandran, Zoph & Le 2017, "Searching for Activation Functions", arXiv:1710.05941):
/// f(x) = x·σ(βx), f′(x) = σ(βx) + βx·σ(βx)(1 − σ(βx)).
///
/// σ(βx)(1 − σ(βx)) is evaluated as e/(1 + e)² with e = e^{−|βx|}, so the derivative has no
/// overflow or cancellation. β = 1 is the SiLU of Elfwing, Uchibe & Doya 2018. Default β = 1;
/// valid β: finite and ≥ 0 (forward and backward are finite whenever βx is).
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Swish<S> {
    /// Sharpness β (default 1).
    pub beta: S,
}

impl<S: Scalar> Swish<S> {
    /// The catalogue name, `"Swish"`.
    pub const NAME: &'static str = "Swish";
    /// A Swish; `Error::InvalidParameter("beta")` unless β is finite and ≥ 0.
    pub fn new(beta: S) -> Result<Self, Error> {
        Ok(Self {
            beta: check_param(beta, S::ZERO, S::MAX, "beta")?,
        })
    }
}

impl<S: Scalar> Default for Swish<S> {
    /// β = 1.
    fn default() -> Self {
        Self { beta: S::ONE }
    }
}

impl<S: Scalar> Elementwise<S> for Swish<S> {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        x * stable::sigmoid::<S, M>(self.beta * x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        let bx = self.beta * x;
        stable::sigmoid::<S, M>(bx) + bx * sigmoid_slope::<S, M>(bx)
    }
}

/// Mish (Misra 2020, "Mish: A Self Regularized Non-Monotonic Activation Function", BMVC, eq. 1):
/// f(x) = x·tanh(softplus(x)),
/// f′(x) = tanh(sp(x)) + x·sech²(sp(x))·σ(x).
///
/// The seed's closed-form derivative (with e^{3x}) overflows for x > 30 in f32. Here both are
/// exact rewrites with no exponential of a positive argument. For x ≤ 0, with e = eˣ:
/// tanh(sp) = e(e + 2)/(e(e + 2) + 2), sech²(sp)·σ = 4e(1 + e)/(e² + 2e + 2)².
/// For x > 0, with u = e⁻ˣ: tanh(sp) = (1 + 2u)/(1 + 2u + 2u²),
/// sech²(sp)·σ = 4u²(1 + u)/(1 + 2u + 2u²)².
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, Mish};
/// use stacknn::math::Libm;
/// let (mut y, mut dx) = ([0.0f32; 2], [0.0f32; 2]);
/// let x = [0.0, 1.0e4];
/// Mish.forward::<Libm>(&x, &mut y);
/// Mish.backward::<Libm>(&x, &y, &[1.0, 1.0], &mut dx);
/// assert_eq!(y, [0.0, 1.0e4]);
/// assert!((dx[0] - 0.6).abs() < 1e-7 && dx[1] == 1.0);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Mish;

impl Mish {
    /// The catalogue name, `"Mish"`.
    pub const NAME: &'static str = "Mish";
}

/// (tanh(softplus(x)), sech²(softplus(x))·σ(x)) in the overflow-free forms documented on [`Mish`].
#[inline]
fn mish_parts<S: Scalar, M: Math<S>>(x: S) -> (S, S) {
    let two = S::TWO;
    let four = two * two;
    if x > S::ZERO {
        let u = M::exp(-x);
        let d = S::ONE + two * u + two * u * u;
        (
            (S::ONE + two * u) / d,
            four * u * u * (S::ONE + u) / (d * d),
        )
    } else {
        let e = M::exp(x);
        let n = e * (e + two);
        let d = n + two;
        (n / d, four * e * (S::ONE + e) / (d * d))
    }
}

impl<S: Scalar> Elementwise<S> for Mish {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        x * mish_parts::<S, M>(x).0
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        let (t, g) = mish_parts::<S, M>(x);
        t + x * g
    }
}

/// tanhExp (Liu & Di 2021, "TanhExp: A Smooth Activation Function with High Convergence Speed
/// for Lightweight Neural Networks", IET Computer Vision; arXiv:2003.09855): f(x) = x·tanh(eˣ),
/// f′(x) = tanh(eˣ) + x·eˣ·sech²(eˣ).
///
/// The seed's `x·eˣ·(tanh²(eˣ) − 1)` is ∞·0 = NaN once eˣ overflows. Here sech²(z), z = eˣ, is
/// evaluated as 4w/(1 + w)² with w = e^{−2z} (no cancellation), and for x > 4 the second term
/// (below 4·e⁴·e^{−2e⁴}·x < 10⁻⁴⁴) is dropped, so f′(x) = tanh(eˣ) there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct TanhExp;

impl TanhExp {
    /// The catalogue name, `"tanhExp"`.
    pub const NAME: &'static str = "tanhExp";
}

impl<S: Scalar> Elementwise<S> for TanhExp {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        x * M::tanh(M::exp(x))
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        let z = M::exp(x);
        let t = M::tanh(z);
        if x > S::from_f64(4.0) {
            t
        } else {
            let w = M::exp(-S::TWO * z);
            let d = S::ONE + w;
            t + x * z * (S::TWO * S::TWO * w / (d * d))
        }
    }
}

elementwise_activation!(Softplus, Swish<S>, Mish, TanhExp);
