//! Activation functions: forward and vector-Jacobian-product backward.
//!
//! Every activation implements [`Activation`]: `forward` computes y = f(x) and `backward` computes
//! dx = J_f(x)ᵀ·dy without forming the Jacobian. Element-wise activations implement the smaller
//! [`Elementwise`] trait (f and f′) and get [`Activation`] from it, with dx = f′(x)·dy.
//!
//! Activations are zero-sized types (`Relu`, `Sigmoid`, …), used as a static type parameter of a
//! layer at no cost.

mod basic;
mod softmax;

pub use basic::{Identity, Relu, Sigmoid, Tanh};
pub use softmax::Softmax;

use crate::math::Math;
use crate::Scalar;

/// A differentiable activation over a vector.
///
/// `x`, `y`, `dy`, `dx` all have the layer's width; a network guarantees that by its types.
pub trait Activation<S: Scalar>: Copy {
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
/// conflict with the vector activations).
macro_rules! elementwise_activation {
    ($($t:ty),* $(,)?) => {$(
        impl<S: $crate::Scalar> $crate::activation::Activation<S> for $t {
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
