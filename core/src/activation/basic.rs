//! The basic element-wise activations used by the examples and the default network.

use super::{elementwise_activation, Elementwise};
use crate::math::{stable, Math};
use crate::Scalar;
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Identity: f(x) = x, f′(x) = 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Identity;

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

/// Rectified linear unit (Nair & Hinton 2010): f(x) = max(x, 0); f′(x) = 1 for x > 0, else 0
/// (the sub-gradient 0 is chosen at the kink x = 0, as PyTorch does).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Relu;

impl<S: Scalar> Elementwise<S> for Relu {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > S::ZERO {
            x
        } else {
            S::ZERO
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > S::ZERO {
            S::ONE
        } else {
            S::ZERO
        }
    }
}

/// Logistic sigmoid: σ(x) = 1/(1 + e⁻ˣ), σ′(x) = σ(x)(1 − σ(x)); evaluated in the overflow-free
/// form of [`stable::sigmoid`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Sigmoid;

impl<S: Scalar> Elementwise<S> for Sigmoid {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        stable::sigmoid::<S, M>(x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, _x: S, y: S) -> S {
        y * (S::ONE - y)
    }
}

/// Hyperbolic tangent: f(x) = tanh x, f′(x) = 1 − tanh² x.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Tanh;

impl<S: Scalar> Elementwise<S> for Tanh {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        M::tanh(x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, _x: S, y: S) -> S {
        S::ONE - y * y
    }
}

elementwise_activation!(Identity, Relu, Sigmoid, Tanh);
