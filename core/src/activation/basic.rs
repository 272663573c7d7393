//! Piecewise-linear and near-linear element-wise activations: step, identity, bent identity,
//! threshold.

use super::{check_param, elementwise_activation, Elementwise};
use crate::math::Math;
use crate::{Error, Scalar};
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Heaviside step (the threshold unit of McCulloch & Pitts 1943 and Rosenblatt's 1958
/// perceptron): f(x) = 1 if x > 0, else 0.
///
/// f′(x) = 0 for x ≠ 0 and is undefined at 0, where 0 is chosen: the backward pass is zero
/// everywhere, so **a layer with this activation is not trainable by gradient** (and no
/// gradient flows through it to earlier layers). It is offered for inference and for
/// completeness of the catalogue.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, Step};
/// use stacknn::math::Libm;
/// let mut y = [0.0f32; 3];
/// Step.forward::<Libm>(&[-1.0, 0.0, 2.0], &mut y);
/// assert_eq!(y, [0.0, 0.0, 1.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Step;

impl Step {
    /// The catalogue name, `"step"`.
    pub const NAME: &'static str = "step";
}

impl<S: Scalar> Elementwise<S> for Step {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > S::ZERO {
            S::ONE
        } else {
            S::ZERO
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, _x: S, _y: S) -> S {
        S::ZERO
    }
}

/// Identity (linear activation): f(x) = x, f′(x) = 1.
///
/// The usual output activation for regression and for losses that take logits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Identity;

impl Identity {
    /// The catalogue name, `"identity"`.
    pub const NAME: &'static str = "identity";
}

impl<S: Scalar> Elementwise<S> for Identity {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        x
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, _x: S, _y: S) -> S {
        S::ONE
    }
}

/// Bent identity: f(x) = (√(x² + 1) − 1)/2 + x, f′(x) = x/(2√(x² + 1)) + 1.
///
/// No original paper is known; the function is listed in the seed catalogue and in the table of
/// activation functions of Wikipedia's "Activation function" article. It is smooth everywhere.
///
/// Evaluated without cancellation or overflow: with a = |x| and s = √(x² + 1) computed as
/// a·√(1 + 1/a²) for a > 1, f(x) = a·(a/(s + 1))/2 + x (since √(x²+1) − 1 = x²/(s + 1)).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, BentIdentity};
/// use stacknn::math::Libm;
/// let mut y = [0.0f64; 1];
/// BentIdentity.forward::<Libm>(&[1.0], &mut y);
/// assert!((y[0] - ((2.0f64.sqrt() - 1.0) / 2.0 + 1.0)).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct BentIdentity;

impl BentIdentity {
    /// The catalogue name, `"bent-identity"`.
    pub const NAME: &'static str = "bent-identity";
}

/// √(x² + 1) without overflow for large |x|.
#[inline]
fn hypot1<S: Scalar, M: Math<S>>(x: S) -> S {
    let a = x.abs();
    if a > S::ONE {
        let r = S::ONE / a;
        a * M::sqrt(S::ONE + r * r)
    } else {
        M::sqrt(x * x + S::ONE)
    }
}

impl<S: Scalar> Elementwise<S> for BentIdentity {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        let a = x.abs();
        let s = hypot1::<S, M>(x);
        a * (a / (s + S::ONE)) * S::HALF + x
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        x / (S::TWO * hypot1::<S, M>(x)) + S::ONE
    }
}

/// Threshold (PyTorch's `nn.Threshold`): f(x) = x if x > threshold, else `value`.
///
/// f′(x) = 1 for x > threshold, 0 for x < threshold; at x = threshold the sub-gradient 0 is
/// chosen (the branch that is taken). When `value ≠ threshold` the function jumps there.
///
/// The seed gives no defaults; this crate's are threshold = 0, value = 0 (which makes it a
/// ReLU). No paper: the definition is PyTorch's.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, Threshold};
/// use stacknn::math::Libm;
/// let t = Threshold::new(1.0f32, -5.0).unwrap();
/// let mut y = [0.0f32; 2];
/// t.forward::<Libm>(&[0.5, 2.0], &mut y);
/// assert_eq!(y, [-5.0, 2.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Threshold<S> {
    /// Inputs above this pass through (default 0).
    pub threshold: S,
    /// Output for inputs at or below the threshold (default 0).
    pub value: S,
}

impl<S: Scalar> Threshold<S> {
    /// The catalogue name, `"threshold"`.
    pub const NAME: &'static str = "threshold";

    /// A threshold unit; both parameters must be finite (else
    /// `Error::InvalidParameter("threshold")` or `("value")`).
    pub fn new(threshold: S, value: S) -> Result<Self, Error> {
        Ok(Self {
            threshold: check_param(threshold, -S::MAX, S::MAX, "threshold")?,
            value: check_param(value, -S::MAX, S::MAX, "value")?,
        })
    }
}

impl<S: Scalar> Elementwise<S> for Threshold<S> {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > self.threshold {
            x
        } else {
            self.value
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > self.threshold {
            S::ONE
        } else {
            S::ZERO
        }
    }
}

elementwise_activation!(Step, Identity, BentIdentity, Threshold<S>);
