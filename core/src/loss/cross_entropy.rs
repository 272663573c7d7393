//! Cross-entropy losses, on probabilities and (fused) on logits.

use super::Loss;
use crate::math::{stable, Math};
use crate::Scalar;

/// Floor for log-probabilities: ln y is clamped to ≥ −100, as PyTorch's `BCELoss` does, so that a
/// probability of exactly 0 gives a large finite loss instead of ∞.
const LOG_FLOOR: f64 = -100.0;
/// Floor of the denominators of the probability-form gradients (PyTorch's `BCELoss` uses 1e-12).
const GRAD_FLOOR: f64 = 1e-12;

#[inline]
fn clamped_ln<S: Scalar, M: Math<S>>(p: S) -> S {
    M::ln(p).max(S::from_f64(LOG_FLOOR))
}

/// Binary cross-entropy on probabilities y ∈ [0, 1] with (soft) targets t ∈ [0, 1]:
/// L = −Σᵢ[tᵢ ln yᵢ + (1 − tᵢ) ln(1 − yᵢ)], ∂L/∂yᵢ = (yᵢ − tᵢ)/(yᵢ(1 − yᵢ)).
///
/// ln is clamped at −100 and the gradient's denominator at 1e-12 (PyTorch's `BCELoss`), so y = 0
/// or 1 gives finite values. Prefer [`SigmoidCrossEntropy`] on logits for training.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BinaryCrossEntropy;

impl<S: Scalar> Loss<S> for BinaryCrossEntropy {
    fn value<M: Math<S>>(&self, y: &[S], t: &[S]) -> S {
        -y.iter().zip(t).fold(S::ZERO, |a, (&y, &t)| {
            a + t * clamped_ln::<S, M>(y) + (S::ONE - t) * clamped_ln::<S, M>(S::ONE - y)
        })
    }
    fn value_grad<M: Math<S>>(&self, y: &[S], t: &[S], dy: &mut [S]) -> S {
        let floor = S::from_f64(GRAD_FLOOR);
        for ((d, &y), &t) in dy.iter_mut().zip(y).zip(t) {
            *d = (y - t) / (y * (S::ONE - y)).max(floor);
        }
        self.value::<M>(y, t)
    }
}

/// Categorical cross-entropy on probabilities y (a softmax output) with targets t:
/// L = −Σᵢ tᵢ ln yᵢ, ∂L/∂yᵢ = −tᵢ/yᵢ.
///
/// ln is clamped at −100 and yᵢ at ≥ 1e-12 in the gradient. Prefer [`SoftmaxCrossEntropy`] on logits
/// for training: composing `Softmax` with this loss is exact but loses precision when a
/// probability underflows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrossEntropy;

impl<S: Scalar> Loss<S> for CrossEntropy {
    fn value<M: Math<S>>(&self, y: &[S], t: &[S]) -> S {
        -y.iter()
            .zip(t)
            .fold(S::ZERO, |a, (&y, &t)| a + t * clamped_ln::<S, M>(y))
    }
    fn value_grad<M: Math<S>>(&self, y: &[S], t: &[S], dy: &mut [S]) -> S {
        let floor = S::from_f64(GRAD_FLOOR);
        for ((d, &y), &t) in dy.iter_mut().zip(y).zip(t) {
            *d = -t / y.max(floor);
        }
        self.value::<M>(y, t)
    }
}

/// Sigmoid and binary cross-entropy fused, on logits x with soft targets t ∈ [0, 1]:
/// L = Σᵢ max(xᵢ, 0) − xᵢtᵢ + ln(1 + e^{−|xᵢ|}), ∂L/∂xᵢ = σ(xᵢ) − tᵢ.
///
/// Equal to `BinaryCrossEntropy(sigmoid(x), t)` but finite for every finite x (Chainer's
/// `sigmoid_cross_entropy`, seed 000).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigmoidCrossEntropy;

impl<S: Scalar> Loss<S> for SigmoidCrossEntropy {
    fn value<M: Math<S>>(&self, x: &[S], t: &[S]) -> S {
        x.iter().zip(t).fold(S::ZERO, |a, (&x, &t)| {
            a + x.max(S::ZERO) - x * t + M::ln_1p(M::exp(-x.abs()))
        })
    }
    fn value_grad<M: Math<S>>(&self, x: &[S], t: &[S], dx: &mut [S]) -> S {
        for ((d, &x), &t) in dx.iter_mut().zip(x).zip(t) {
            *d = stable::sigmoid::<S, M>(x) - t;
        }
        self.value::<M>(x, t)
    }
}

/// Softmax and categorical cross-entropy fused, on logits x with targets t:
/// L = −Σᵢ tᵢ(xᵢ − lse(x)) = lse(x)·Σᵢtᵢ − Σᵢ tᵢxᵢ, with lse(x) = m + ln Σⱼ e^{xⱼ − m}, m = max x;
/// ∂L/∂xᵢ = softmax(x)ᵢ·Σⱼtⱼ − tᵢ (= softmax(x)ᵢ − tᵢ for one-hot targets).
///
/// Finite for every finite x; needs no `1e-7` guard inside the log (seed 002's guard shifts its
/// printed value to 2.355810776839421 from the exact 2.3558145299634488).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::loss::{Loss, SoftmaxCrossEntropy};
/// let mut dx = [0.0f32; 3];
/// let v = SoftmaxCrossEntropy.value_grad::<stacknn::math::Libm>(&[1000.0, -1000.0, 0.0], &[0.0, 1.0, 0.0], &mut dx);
/// assert_eq!(v, 2000.0);
/// assert_eq!(dx, [1.0, -1.0, 0.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SoftmaxCrossEntropy;

impl<S: Scalar> Loss<S> for SoftmaxCrossEntropy {
    fn value<M: Math<S>>(&self, x: &[S], t: &[S]) -> S {
        let lse = stable::log_sum_exp::<S, M>(x);
        x.iter()
            .zip(t)
            .fold(S::ZERO, |a, (&x, &t)| a + t * (lse - x))
    }
    fn value_grad<M: Math<S>>(&self, x: &[S], t: &[S], dx: &mut [S]) -> S {
        let m = x.iter().fold(S::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = S::ZERO;
        for (d, &x) in dx.iter_mut().zip(x) {
            *d = M::exp(x - m);
            sum += *d;
        }
        let lse = m + M::ln(sum);
        let mut loss = S::ZERO;
        let mut t_sum = S::ZERO;
        for (&x, &t) in x.iter().zip(t) {
            loss += t * (lse - x);
            t_sum += t;
        }
        for (d, &t) in dx.iter_mut().zip(t) {
            *d = *d / sum * t_sum - t;
        }
        loss
    }
}
