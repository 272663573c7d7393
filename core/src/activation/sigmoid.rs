//! Bounded, S-shaped (squashing) activations and their relatives: sigmoid, hard sigmoid, log
//! sigmoid, tanh, hard tanh, softsign.

use super::{elementwise_activation, Elementwise};
use crate::math::{stable, Math};
use crate::Scalar;
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Logistic sigmoid (Rumelhart, Hinton & Williams 1986): σ(x) = 1/(1 + e⁻ˣ),
/// σ′(x) = σ(x)(1 − σ(x)).
///
/// Evaluated in the overflow-free form of [`stable::sigmoid`] (e⁻|ˣ| only), so σ(−10⁴) = 0 and
/// σ(10⁴) = 1 without an infinite intermediate. σ′ is evaluated as e/(1 + e)² with e = e⁻|ˣ|
/// rather than y(1 − y), which loses all relative accuracy once y rounds to 1 (x > 17 in f64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Sigmoid;

impl Sigmoid {
    /// The catalogue name, `"sigmoid"`.
    pub const NAME: &'static str = "sigmoid";
}

impl<S: Scalar> Elementwise<S> for Sigmoid {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        stable::sigmoid::<S, M>(x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        sigmoid_slope::<S, M>(x)
    }
}

/// Hard sigmoid: f(x) = clip(0.2·x + 0.5, 0, 1), f′(x) = 0.2 for |x| < 2.5, else 0.
///
/// The piecewise-linear approximation of σ introduced as the "hard sigmoid" by Courbariaux,
/// Bengio & David 2015 (BinaryConnect, Sec. 2.3, with slope ½); the slope 0.2 is the seed's, as
/// in Theano's and Keras' `hard_sigmoid`. At the kinks x = ±2.5 the sub-gradient 0 is chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct HardSigmoid;

impl HardSigmoid {
    /// The catalogue name, `"hard-sigmoid"`.
    pub const NAME: &'static str = "hard-sigmoid";
}

impl<S: Scalar> Elementwise<S> for HardSigmoid {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        (S::from_f64(0.2) * x + S::HALF).max(S::ZERO).min(S::ONE)
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        let edge = S::from_f64(2.5);
        if x > -edge && x < edge {
            S::from_f64(0.2)
        } else {
            S::ZERO
        }
    }
}

/// Log-sigmoid (PyTorch's `nn.LogSigmoid`): f(x) = ln σ(x) = −ln(1 + e⁻ˣ),
/// f′(x) = 1 − σ(x) = σ(−x).
///
/// Evaluated as min(x, 0) − ln(1 + e⁻|ˣ|) (the seed's `−log(1 + exp(−x))` overflows for
/// x < −88 in f32), and f′ as the stable σ(−x).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct LogSigmoid;

impl LogSigmoid {
    /// The catalogue name, `"log-sigmoid"`.
    pub const NAME: &'static str = "log-sigmoid";
}

impl<S: Scalar> Elementwise<S> for LogSigmoid {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        -stable::softplus::<S, M>(-x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        stable::sigmoid::<S, M>(-x)
    }
}

/// Hyperbolic tangent (LeCun, Bottou, Orr & Müller 1998, "Efficient BackProp", Sec. 4.4):
/// f(x) = tanh x, f′(x) = 1 − tanh² x = sech² x.
///
/// f′ is evaluated as 4e/(1 + e)² with e = e^{−2|x|}, which keeps its relative accuracy where
/// 1 − tanh² x cancels (|x| > 1) and is exactly 0 only when it underflows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Tanh;

impl Tanh {
    /// The catalogue name, `"tanh"`.
    pub const NAME: &'static str = "tanh";
}

impl<S: Scalar> Elementwise<S> for Tanh {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        M::tanh(x)
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, y: S) -> S {
        if x.abs() < S::HALF {
            S::ONE - y * y
        } else {
            let e = M::exp(-S::TWO * x.abs());
            let d = S::ONE + e;
            S::TWO * S::TWO * e / (d * d)
        }
    }
}

/// Hard tanh (Collobert 2004, PhD thesis "Large Scale Machine Learning"):
/// f(x) = clip(x, −1, 1), f′(x) = 1 for |x| < 1, else 0.
///
/// At the kinks x = ±1 the sub-gradient 0 is chosen (as PyTorch's `hardtanh_backward`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct HardTanh;

impl HardTanh {
    /// The catalogue name, `"hard-tanh"`.
    pub const NAME: &'static str = "hard-tanh";
}

impl<S: Scalar> Elementwise<S> for HardTanh {
    #[inline(always)]
    fn f<M: Math<S>>(&self, x: S) -> S {
        x.max(-S::ONE).min(S::ONE)
    }
    #[inline(always)]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        if x > -S::ONE && x < S::ONE {
            S::ONE
        } else {
            S::ZERO
        }
    }
}

/// Softsign (Turian, Bergstra & Bengio 2009; studied by Glorot & Bengio 2010):
/// f(x) = x/(1 + |x|), f′(x) = 1/(1 + |x|)².
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromBytes, Immutable, KnownLayout)]
pub struct Softsign;

impl Softsign {
    /// The catalogue name, `"softsign"`.
    pub const NAME: &'static str = "softsign";
}

impl<S: Scalar> Elementwise<S> for Softsign {
    #[inline]
    fn f<M: Math<S>>(&self, x: S) -> S {
        x / (S::ONE + x.abs())
    }
    #[inline]
    fn df<M: Math<S>>(&self, x: S, _y: S) -> S {
        let d = S::ONE + x.abs();
        S::ONE / (d * d)
    }
}

/// σ′(x) = σ(x)·σ(−x) = e/(1 + e)² with e = e^{−|x|}: no overflow, no cancellation.
#[inline]
pub(crate) fn sigmoid_slope<S: Scalar, M: Math<S>>(x: S) -> S {
    let e = M::exp(-x.abs());
    let d = S::ONE + e;
    e / (d * d)
}

elementwise_activation!(Sigmoid, HardSigmoid, LogSigmoid, Tanh, HardTanh, Softsign);
