//! The softmax family over the vector of one sample: softmax, softmin, log-softmax.
//!
//! These are not element-wise: each output depends on every input, and the backward pass is the
//! full Jacobian-transpose product, computed in O(N) without forming the N×N Jacobian. (The
//! seed's derivatives are element-wise diagonals, which is wrong for any dy that is not
//! one-hot-aligned.)

use super::Activation;
use crate::math::Math;
use crate::Scalar;
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// yᵢ = e^{s·xᵢ − m}/Σⱼ e^{s·xⱼ − m} with m = maxⱼ s·xⱼ (s = ±1).
#[inline]
fn softmax_signed<S: Scalar, M: Math<S>>(x: &[S], y: &mut [S], neg: bool) {
    let sx = |v: S| if neg { -v } else { v };
    let m = x.iter().fold(S::NEG_INFINITY, |m, &v| m.max(sx(v)));
    let mut sum = S::ZERO;
    for (y, &x) in y.iter_mut().zip(x) {
        *y = M::exp(sx(x) - m);
        sum += *y;
    }
    for y in y.iter_mut() {
        *y /= sum;
    }
}

/// Index of the largest element (the first on ties; 0 for an empty slice).
#[inline]
fn argmax<S: Scalar>(v: &[S]) -> usize {
    let mut best = 0;
    let mut best_v = S::NEG_INFINITY;
    for (i, &x) in v.iter().enumerate() {
        if x > best_v {
            best = i;
            best_v = x;
        }
    }
    best
}

/// dxᵢ = yᵢ·(dyᵢ − Σⱼ yⱼ·dyⱼ): the vector-Jacobian product of softmax (negated for softmin).
///
/// Because Σⱼ yⱼ = 1, dyᵢ − Σⱼ yⱼdyⱼ = (dyᵢ − c) − Σⱼ yⱼ(dyⱼ − c) for any c. With c = dy_k, k the
/// largest output, the dominant term of the sum is exactly 0: when y_k ≈ 1 the naive form
/// cancels (dx_k is a small difference of O(1) terms, 5·10⁻⁵ relative error in f32 for
/// softmin([80, 88, 90, 95.5])), this one does not. Still O(N).
#[inline]
fn softmax_vjp<S: Scalar>(y: &[S], dy: &[S], dx: &mut [S], neg: bool) {
    let c = dy.get(argmax(y)).copied().unwrap_or(S::ZERO);
    let dot = y
        .iter()
        .zip(dy)
        .fold(S::ZERO, |a, (&y, &d)| a + y * (d - c));
    for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
        let v = y * ((dy - c) - dot);
        *dx = if neg { -v } else { v };
    }
}

/// Softmax over one sample's vector (Bridle 1990, "Probabilistic interpretation of feedforward
/// classification network outputs"): yᵢ = e^{xᵢ − m} / Σⱼ e^{xⱼ − m}, m = maxⱼ xⱼ.
///
/// Normalised per sample (seed 001 normalised over the whole batch, which breaks both the forward
/// value and the gradient). Jacobian ∂yᵢ/∂xⱼ = yᵢ(δᵢⱼ − yⱼ); the vector-Jacobian product is
/// dxᵢ = yᵢ·(dyᵢ − Σⱼ yⱼ·dyⱼ), computed in O(N) without forming diag(y) − y·yᵀ (in the
/// cancellation-free arrangement described on `softmax_vjp`: the sum is taken of yⱼ·(dyⱼ − dy_k),
/// k the largest output).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, Softmax};
/// use stacknn::math::Libm;
/// let mut y = [0.0f64; 3];
/// Softmax.forward::<Libm>(&[1000.0, -1000.0, 0.0], &mut y);
/// assert_eq!(y, [1.0, 0.0, 0.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Softmax;

impl Softmax {
    /// The catalogue name, `"softmax"`.
    pub const NAME: &'static str = "softmax";
}

impl<S: Scalar> Activation<S> for Softmax {
    #[inline]
    fn forward<M: Math<S>>(&self, x: &[S], y: &mut [S]) {
        softmax_signed::<S, M>(x, y, false);
    }

    #[inline]
    fn backward<M: Math<S>>(&self, _x: &[S], y: &[S], dy: &[S], dx: &mut [S]) {
        softmax_vjp(y, dy, dx, false);
    }
}

/// Softmin (PyTorch's `nn.Softmin`): softmin(x) = softmax(−x),
/// yᵢ = e^{−xᵢ + m}/Σⱼ e^{−xⱼ + m}, m = minⱼ xⱼ.
///
/// By the chain rule through x ↦ −x, the vector-Jacobian product is
/// dxᵢ = −yᵢ·(dyᵢ − Σⱼ yⱼ·dyⱼ), in O(N).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, Softmin};
/// use stacknn::math::Libm;
/// let mut y = [0.0f64; 3];
/// Softmin.forward::<Libm>(&[1000.0, -1000.0, 0.0], &mut y);
/// assert_eq!(y, [0.0, 1.0, 0.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Softmin;

impl Softmin {
    /// The catalogue name, `"softmin"`.
    pub const NAME: &'static str = "softmin";
}

impl<S: Scalar> Activation<S> for Softmin {
    #[inline]
    fn forward<M: Math<S>>(&self, x: &[S], y: &mut [S]) {
        softmax_signed::<S, M>(x, y, true);
    }

    #[inline]
    fn backward<M: Math<S>>(&self, _x: &[S], y: &[S], dy: &[S], dx: &mut [S]) {
        softmax_vjp(y, dy, dx, true);
    }
}

/// Log-softmax: yᵢ = ln softmaxᵢ(x) = xᵢ − m − ln Σⱼ e^{xⱼ − m}, m = maxⱼ xⱼ (the max-subtracted
/// log-sum-exp; the seed's `log(exp(x)/sum(exp(x)))` overflows for x > 88 in f32 and gives
/// ln 0 = −∞ for entries far below the maximum).
///
/// Jacobian ∂yᵢ/∂xⱼ = δᵢⱼ − softmaxⱼ(x); the vector-Jacobian product is
/// dxᵢ = dyᵢ − softmaxᵢ(x)·Σⱼ dyⱼ with softmaxᵢ(x) = e^{yᵢ}, in O(N).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, LogSoftmax};
/// use stacknn::math::Libm;
/// let mut y = [0.0f64; 3];
/// LogSoftmax.forward::<Libm>(&[1000.0, -1000.0, 0.0], &mut y);
/// assert_eq!(y, [0.0, -2000.0, -1000.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct LogSoftmax;

impl LogSoftmax {
    /// The catalogue name, `"log-softmax"`.
    pub const NAME: &'static str = "log-softmax";
}

impl<S: Scalar> Activation<S> for LogSoftmax {
    /// ln Σⱼ e^{xⱼ − m} is evaluated as ln_1p(Σ_{j≠k} e^{xⱼ − m}) with k the arg-max (whose term
    /// is exactly 1), which keeps full relative accuracy when the other terms are small.
    #[inline]
    fn forward<M: Math<S>>(&self, x: &[S], y: &mut [S]) {
        let k = argmax(x);
        let m = x.get(k).copied().unwrap_or(S::ZERO);
        let mut others = S::ZERO;
        for (j, &v) in x.iter().enumerate() {
            if j != k {
                others += M::exp(v - m);
            }
        }
        let lse = M::ln_1p(others);
        for (y, &x) in y.iter_mut().zip(x) {
            *y = (x - m) - lse;
        }
    }

    /// dxᵢ = dyᵢ − e^{yᵢ}·Σⱼ dyⱼ, except at the largest output k, where e^{y_k} may be ≈ 1 and
    /// the difference cancels: there dx_k = −expm1(y_k)·dy_k − e^{y_k}·Σ_{j≠k} dyⱼ (exact
    /// rewrite).
    #[inline]
    fn backward<M: Math<S>>(&self, _x: &[S], y: &[S], dy: &[S], dx: &mut [S]) {
        let k = argmax(y);
        let mut others = S::ZERO;
        for (j, &d) in dy.iter().enumerate() {
            if j != k {
                others += d;
            }
        }
        let total = others + dy.get(k).copied().unwrap_or(S::ZERO);
        for (i, ((dx, &y), &dy)) in dx.iter_mut().zip(y).zip(dy).enumerate() {
            *dx = if i == k {
                -M::exp_m1(y) * dy - M::exp(y) * others
            } else {
                dy - M::exp(y) * total
            };
        }
    }
}
