//! Activation functions: forward and vector-Jacobian-product backward.
//!
//! Every activation implements [`Activation`]: `forward` computes y = f(x) and `backward` computes
//! dx = J_f(x)ᵀ·dy without forming the Jacobian. Element-wise activations implement the smaller
//! [`Elementwise`] trait (f and f′) and get [`Activation`] from it, with dx = f′(x)·dy.
//!
//! # Two ways to use an activation
//! - **Static** (zero cost): each activation is its own type, a zero-sized struct (`Relu`, `Mish`,
//!   …) or a small `Copy` struct holding its hyper-parameters (`LeakyRelu<S> { alpha }`), used as
//!   the type parameter of a layer: `Dense<f32, 784, 100, Relu>`.
//! - **By name** at run time, without allocation: [`by_name`] / [`ActivationKind::with_params`]
//!   turn one of the [`NAMES`] (the seed's keys, exactly) into an [`ActivationKind`], an enum that
//!   implements [`Activation`] by dispatching once per vector.
//!
//! # The catalogue
//! | name | type | parameters (defaults) | element-wise |
//! |---|---|---|---|
//! | `step` | [`Step`] | | yes |
//! | `identity` | [`Identity`] | | yes |
//! | `bent-identity` | [`BentIdentity`] | | yes |
//! | `hard-shrink` | [`HardShrink`] | λ = 0.5 | yes |
//! | `soft-shrink` | [`SoftShrink`] | λ = 0.5 | yes |
//! | `threshold` | [`Threshold`] | threshold = 0, value = 0 | yes |
//! | `sigmoid` | [`Sigmoid`] | | yes |
//! | `hard-sigmoid` | [`HardSigmoid`] | | yes |
//! | `log-sigmoid` | [`LogSigmoid`] | | yes |
//! | `tanh` | [`Tanh`] | | yes |
//! | `tanh-shrink` | [`TanhShrink`] | | yes |
//! | `hard-tanh` | [`HardTanh`] | | yes |
//! | `ReLU` | [`Relu`] | | yes |
//! | `ReLU6` | [`Relu6`] | | yes |
//! | `leaky-ReLU` | [`LeakyRelu`] | α = 0.01 | yes |
//! | `ELU` | [`Elu`] | α = 1 | yes |
//! | `SELU` | [`Selu`] | (fixed constants λ₀₁, α₀₁) | yes |
//! | `CELU` | [`Celu`] | α = 1 | yes |
//! | `softmax` | [`Softmax`] | | no |
//! | `softmin` | [`Softmin`] | | no |
//! | `log-softmax` | [`LogSoftmax`] | | no |
//! | `softplus` | [`Softplus`] | | yes |
//! | `softsign` | [`Softsign`] | | yes |
//! | `Swish` | [`Swish`] | β = 1 | yes |
//! | `Mish` | [`Mish`] | | yes |
//! | `tanhExp` | [`TanhExp`] | | yes |
//!
//! Maxout (Goodfellow et al. 2013) has weights of its own, so it is a layer:
//! [`crate::layer::Maxout`].
//!
//! # Numerics
//! Every forward and backward is finite for every finite input in [−10⁴, 10⁴] (checked by
//! property tests in f32 and f64 with both math backends): exponentials are only taken of
//! non-positive arguments or after subtracting a maximum, `ln(1 + e⁻|ˣ|)` replaces
//! `ln(1 + e⁻ˣ)`, and the Mish and tanhExp derivatives are written in forms that cannot form
//! ∞·0. Kinks: the sub-gradient chosen at each non-differentiable point is stated on each type.
//!
//! # Parameters of zero-initialised layers
//! The parametrised activations store their parameters as scalars, so a layer built with
//! `FromZeros::new_zeroed()` holds zero parameters (`LeakyRelu { alpha: 0 }` is a ReLU,
//! `Swish { beta: 0 }` is x/2): set the activation explicitly (`Default` gives the defaults
//! above) when building a layer that way.

mod basic;
mod kind;
mod rectifier;
mod shrink;
mod sigmoid;
mod smooth;
mod softmax;

pub use basic::{BentIdentity, Identity, Step, Threshold};
pub use kind::{by_name, ActivationKind, NAMES};
pub use rectifier::{Celu, Elu, LeakyRelu, Relu, Relu6, Selu};
pub use shrink::{HardShrink, SoftShrink, TanhShrink};
pub use sigmoid::{HardSigmoid, HardTanh, LogSigmoid, Sigmoid, Softsign, Tanh};
pub use smooth::{Mish, Softplus, Swish, TanhExp};
pub use softmax::{LogSoftmax, Softmax, Softmin};

use crate::math::Math;
use crate::Scalar;

/// A differentiable activation over a vector.
///
/// `x`, `y`, `dy`, `dx` all have the layer's width; a network guarantees that by its types.
pub trait Activation<S: Scalar>: Copy + Send + Sync {
    /// y = f(x).
    fn forward<M: Math<S>>(&self, x: &[S], y: &mut [S]);
    /// dx = J_f(x)ᵀ·dy, given the input `x` and the output `y = f(x)` of the forward pass.
    fn backward<M: Math<S>>(&self, x: &[S], y: &[S], dy: &[S], dx: &mut [S]);
}

/// An activation applied to each element independently: y_i = f(x_i).
///
/// The Jacobian is diagonal, so the vector-Jacobian product is dx_i = f′(x_i)·dy_i.
pub trait Elementwise<S: Scalar>: Copy {
    /// f(x).
    fn f<M: Math<S>>(&self, x: S) -> S;
    /// f′(x), given x and y = f(x) (whichever is cheaper or more stable to use).
    fn df<M: Math<S>>(&self, x: S, y: S) -> S;
}

/// y_i = f(x_i) for every element.
#[inline]
pub fn elementwise_forward<S: Scalar, M: Math<S>, E: Elementwise<S>>(e: &E, x: &[S], y: &mut [S]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y = e.f::<M>(x);
    }
}

/// dx_i = f′(x_i)·dy_i for every element (the vector-Jacobian product of a diagonal Jacobian).
#[inline]
pub fn elementwise_backward<S: Scalar, M: Math<S>, E: Elementwise<S>>(
    e: &E,
    x: &[S],
    y: &[S],
    dy: &[S],
    dx: &mut [S],
) {
    for (((dx, &x), &y), &dy) in dx.iter_mut().zip(x).zip(y).zip(dy) {
        *dx = e.df::<M>(x, y) * dy;
    }
}

/// Implements [`Activation`] for types implementing [`Elementwise`] (a blanket impl would
/// conflict with the vector activations). Accepts `Type` or `Type<S>` for parametrised ones.
macro_rules! elementwise_activation {
    ($($t:ident $(<$p:ident>)?),* $(,)?) => {$(
        impl<S: $crate::Scalar> $crate::activation::Activation<S> for $t $(<$p>)? {
            #[inline]
            fn forward<M: $crate::math::Math<S>>(&self, x: &[S], y: &mut [S]) {
                $crate::activation::elementwise_forward::<S, M, Self>(self, x, y)
            }
            #[inline]
            fn backward<M: $crate::math::Math<S>>(&self, x: &[S], y: &[S], dy: &[S], dx: &mut [S]) {
                $crate::activation::elementwise_backward::<S, M, Self>(self, x, y, dy, dx)
            }
        }
    )*};
}
pub(crate) use elementwise_activation;

/// `Ok(v)` if `v` is finite and `lo ≤ v ≤ hi`, else `Error::InvalidParameter(name)`.
#[inline]
pub(crate) fn check_param<S: Scalar>(
    v: S,
    lo: S,
    hi: S,
    name: &'static str,
) -> Result<S, crate::Error> {
    if v.is_finite() && v >= lo && v <= hi {
        Ok(v)
    } else {
        Err(crate::Error::InvalidParameter(name))
    }
}
