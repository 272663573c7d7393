//! Rectifiers: ReLU, ReLU6, leaky ReLU, and the exponential linear units ELU, SELU, CELU.

use super::{check_param, elementwise_activation, Elementwise};
use crate::math::Math;
use crate::{Error, Scalar};
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Rectified linear unit (Nair & Hinton 2010; Glorot, Bordes & Bengio 2011):
/// f(x) = max(x, 0); f′(x) = 1 for x > 0, 0 for x < 0.
///
/// At the kink x = 0 the sub-gradient 0 is chosen, as PyTorch does. NaN propagates: f(NaN) = NaN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Relu;

impl Relu {
    /// The catalogue name, `"ReLU"`.
    pub const NAME: &'static str = "ReLU";
}

impl<S: Scalar> Elementwise<S> for Relu {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        // Written so that NaN propagates (NaN < 0 is false), as in PyTorch: a NaN input must not
        // turn into a plausible-looking 0.
        if x < S::ZERO {
            S::ZERO
        } else {
            x
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

/// ReLU capped at 6 (Krizhevsky 2010, "Convolutional Deep Belief Networks on CIFAR-10"):
/// f(x) = min(max(x, 0), 6); f′(x) = 1 for 0 < x < 6, else 0.
///
/// At the kinks x = 0 and x = 6 the sub-gradient 0 is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Relu6;

impl Relu6 {
    /// The catalogue name, `"ReLU6"`.
    pub const NAME: &'static str = "ReLU6";
}

impl<S: Scalar> Elementwise<S> for Relu6 {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        let six = S::from_f64(6.0);
        // NaN falls through both comparisons and propagates.
        if x < S::ZERO {
            S::ZERO
        } else if x > six {
            six
        } else {
            x
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > S::ZERO && x < S::from_f64(6.0) {
            S::ONE
        } else {
            S::ZERO
        }
    }
}

/// Leaky ReLU (Maas, Hannun & Ng 2013, "Rectifier nonlinearities improve neural network
/// acoustic models", ICML workshop): f(x) = x for x > 0, α·x otherwise; f′(x) = 1 for x > 0, α
/// otherwise.
///
/// At the kink x = 0 the sub-gradient α is chosen. Default α = 0.01; valid α: 0 ≤ α ≤ 1.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Activation, LeakyRelu};
/// use stacknn::math::Libm;
/// let mut y = [0.0f64; 2];
/// LeakyRelu::default().forward::<Libm>(&[-2.0, 3.0], &mut y);
/// assert_eq!(y, [-0.02, 3.0]);
/// assert!(LeakyRelu::new(-0.1f32).is_err());
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct LeakyRelu<S> {
    /// Slope α for negative inputs (default 0.01).
    pub alpha: S,
}

impl<S: Scalar> LeakyRelu<S> {
    /// The catalogue name, `"leaky-ReLU"`.
    pub const NAME: &'static str = "leaky-ReLU";
    /// A leaky ReLU with negative slope α; `Error::InvalidParameter("alpha")` unless 0 ≤ α ≤ 1.
    pub fn new(alpha: S) -> Result<Self, Error> {
        Ok(Self {
            alpha: check_param(alpha, S::ZERO, S::ONE, "alpha")?,
        })
    }
}

impl<S: Scalar> Default for LeakyRelu<S> {
    /// α = 0.01.
    fn default() -> Self {
        Self {
            alpha: S::from_f64(0.01),
        }
    }
}

impl<S: Scalar> Elementwise<S> for LeakyRelu<S> {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > S::ZERO {
            x
        } else {
            self.alpha * x
        }
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > S::ZERO {
            S::ONE
        } else {
            self.alpha
        }
    }
}

/// Exponential linear unit (Clevert, Unterthiner & Hochreiter 2016, ICLR; as restated in Barron
/// 2017, eqs. 1–2): f(x) = x for x > 0, α·(eˣ − 1) otherwise; f′(x) = 1 for x > 0, α·eˣ
/// otherwise.
///
/// eˣ − 1 is evaluated with `exp_m1` (no cancellation near 0). At x = 0 the left derivative α is
/// chosen (f is differentiable there only for α = 1). Default α = 1; valid α: finite, ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Elu<S> {
    /// Saturation value −α for large negative inputs (default 1).
    pub alpha: S,
}

impl<S: Scalar> Elu<S> {
    /// The catalogue name, `"ELU"`.
    pub const NAME: &'static str = "ELU";
    /// An ELU; `Error::InvalidParameter("alpha")` unless α is finite and ≥ 0.
    pub fn new(alpha: S) -> Result<Self, Error> {
        Ok(Self {
            alpha: check_param(alpha, S::ZERO, S::MAX, "alpha")?,
        })
    }
}

impl<S: Scalar> Default for Elu<S> {
    /// α = 1.
    fn default() -> Self {
        Self { alpha: S::ONE }
    }
}

impl<S: Scalar> Elementwise<S> for Elu<S> {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x > S::ZERO {
            x
        } else {
            self.alpha * M::exp_m1(x)
        }
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > S::ZERO {
            S::ONE
        } else {
            self.alpha * M::exp(x)
        }
    }
}

/// Scaled exponential linear unit (Klambauer, Unterthiner, Mayr & Hochreiter 2017,
/// "Self-Normalizing Neural Networks", eq. 2): f(x) = λ·x for x > 0, λ·α·(eˣ − 1) otherwise;
/// f′(x) = λ for x > 0, λ·α·eˣ otherwise.
///
/// The constants are the paper's fixed point λ₀₁, α₀₁ to full precision (not the seed's
/// truncated 1.0507, 1.67326): [`Selu::LAMBDA`], [`Selu::ALPHA`]. At x = 0 the left derivative
/// λ·α is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Selu;

impl Selu {
    /// The catalogue name, `"SELU"`.
    pub const NAME: &'static str = "SELU";
    /// λ₀₁ = 1.0507009873554804934193349852946.
    #[allow(clippy::excessive_precision)]
    pub const LAMBDA: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;
    /// α₀₁ = 1.6732632423543772848170429916717.
    #[allow(clippy::excessive_precision)]
    pub const ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
}

impl<S: Scalar> Elementwise<S> for Selu {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        let lambda = S::from_f64(Selu::LAMBDA);
        if x > S::ZERO {
            lambda * x
        } else {
            S::from_f64(Selu::LAMBDA * Selu::ALPHA) * M::exp_m1(x)
        }
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > S::ZERO {
            S::from_f64(Selu::LAMBDA)
        } else {
            S::from_f64(Selu::LAMBDA * Selu::ALPHA) * M::exp(x)
        }
    }
}

/// Continuously differentiable ELU (Barron 2017, "Continuously Differentiable Exponential Linear
/// Units", eqs. 3 and 5): f(x) = x for x ≥ 0, α·(e^{x/α} − 1) otherwise; f′(x) = 1 for x ≥ 0,
/// e^{x/α} otherwise.
///
/// C¹ for every α > 0, so no sub-gradient choice is needed (1 is used at 0). Default α = 1;
/// valid α: finite and > 0 (α ≥ the smallest positive normal number).
#[derive(Debug, Clone, Copy, PartialEq, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Celu<S> {
    /// Shape α (default 1).
    pub alpha: S,
}

impl<S: Scalar> Celu<S> {
    /// The catalogue name, `"CELU"`.
    pub const NAME: &'static str = "CELU";
    /// A CELU; `Error::InvalidParameter("alpha")` unless α is finite and > 0.
    pub fn new(alpha: S) -> Result<Self, Error> {
        let min_positive = S::from_f64(1.2e-38); // above f32's smallest normal
        Ok(Self {
            alpha: check_param(alpha, min_positive, S::MAX, "alpha")?,
        })
    }
}

impl<S: Scalar> Default for Celu<S> {
    /// α = 1.
    fn default() -> Self {
        Self { alpha: S::ONE }
    }
}

impl<S: Scalar> Elementwise<S> for Celu<S> {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        if x >= S::ZERO {
            x
        } else {
            self.alpha * M::exp_m1(x / self.alpha)
        }
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x >= S::ZERO {
            S::ONE
        } else {
            M::exp(x / self.alpha)
        }
    }
}

elementwise_activation!(Relu, Relu6, LeakyRelu<S>, Elu<S>, Selu, Celu<S>);
