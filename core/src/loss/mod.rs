//! Loss functions: value and gradient with respect to the network output, per sample.
//!
//! A training step averages the per-sample loss over the batch (the batch mean), so its
//! gradient is the mean of the per-sample gradients.
//!
//! | name ([`LossKind::from_name`]) | type | network output | per-sample loss |
//! |---|---|---|---|
//! | `Square` | [`SquaredError`] | any | ½Σ(y − t)² |
//! | `Binary` | [`BinaryCrossEntropy`] | probabilities (sigmoid) | −Σ[t ln y + (1 − t) ln(1 − y)] |
//! | `Cross` | [`CrossEntropy`] | probabilities (softmax) | −Σ t ln y |
//! | `SigmoidCrossEntropy` | [`SigmoidCrossEntropy`] | logits | Σ max(x, 0) − x·t + ln(1 + e^{−\|x\|}) |
//! | `SoftmaxCrossEntropy` | [`SoftmaxCrossEntropy`] | logits | −Σ t·(x − lse(x)) |
//!
//! The fused forms on logits are the ones to train with: they are finite for every finite input
//! and their gradients (σ(x) − t and softmax(x)·Σt − t) need no division.

mod cross_entropy;
mod squared;

pub use cross_entropy::{
    BinaryCrossEntropy, CrossEntropy, SigmoidCrossEntropy, SoftmaxCrossEntropy,
};
pub use squared::SquaredError;

use crate::error::{Error, NameKind};
use crate::math::Math;
use crate::Scalar;

/// A loss over one sample's output vector `y` and target vector `t` (same length).
pub trait Loss<S: Scalar> {
    /// The loss value.
    fn value<M: Math<S>>(&self, y: &[S], t: &[S]) -> S;
    /// The loss value, and ∂loss/∂y written into `dy`.
    fn value_grad<M: Math<S>>(&self, y: &[S], t: &[S], dy: &mut [S]) -> S;
}

/// Any loss of the catalogue, chosen at run time (by name) — no allocation.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::loss::{Loss, LossKind};
/// use stacknn::math::Libm;
/// let loss = LossKind::from_name("SoftmaxCrossEntropy").unwrap();
/// let v = loss.value::<Libm>(&[0.0f64, 0.0], &[1.0, 0.0]);
/// assert!((v - core::f64::consts::LN_2).abs() < 1e-15);
/// assert!(LossKind::from_name("Sqaure").is_err());
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LossKind {
    /// [`SquaredError`], name `Square`.
    Square,
    /// [`BinaryCrossEntropy`], name `Binary`.
    Binary,
    /// [`CrossEntropy`], name `Cross`.
    Cross,
    /// [`SigmoidCrossEntropy`], name `SigmoidCrossEntropy`.
    SigmoidCrossEntropy,
    /// [`SoftmaxCrossEntropy`], name `SoftmaxCrossEntropy`.
    SoftmaxCrossEntropy,
}

impl LossKind {
    /// Every loss name, in catalogue order.
    pub const NAMES: &'static [&'static str] = &[
        "Square",
        "Binary",
        "Cross",
        "SigmoidCrossEntropy",
        "SoftmaxCrossEntropy",
    ];

    /// Every loss, in the order of [`LossKind::NAMES`].
    pub const ALL: &'static [LossKind] = &[
        LossKind::Square,
        LossKind::Binary,
        LossKind::Cross,
        LossKind::SigmoidCrossEntropy,
        LossKind::SoftmaxCrossEntropy,
    ];

    /// Looks a loss up by its exact name; [`Error::UnknownName`] if there is none.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        Self::NAMES
            .iter()
            .position(|&n| n == name)
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or(Error::UnknownName(NameKind::Loss))
    }

    /// The name of this loss.
    pub fn name(self) -> &'static str {
        match self {
            LossKind::Square => "Square",
            LossKind::Binary => "Binary",
            LossKind::Cross => "Cross",
            LossKind::SigmoidCrossEntropy => "SigmoidCrossEntropy",
            LossKind::SoftmaxCrossEntropy => "SoftmaxCrossEntropy",
        }
    }

    /// `true` for the losses that take logits (the network's last activation should be the
    /// identity); `false` for those that take probabilities or raw values.
    pub fn takes_logits(self) -> bool {
        matches!(
            self,
            LossKind::SigmoidCrossEntropy | LossKind::SoftmaxCrossEntropy
        )
    }
}

impl<S: Scalar> Loss<S> for LossKind {
    fn value<M: Math<S>>(&self, y: &[S], t: &[S]) -> S {
        match self {
            LossKind::Square => SquaredError.value::<M>(y, t),
            LossKind::Binary => BinaryCrossEntropy.value::<M>(y, t),
            LossKind::Cross => CrossEntropy.value::<M>(y, t),
            LossKind::SigmoidCrossEntropy => SigmoidCrossEntropy.value::<M>(y, t),
            LossKind::SoftmaxCrossEntropy => SoftmaxCrossEntropy.value::<M>(y, t),
        }
    }
    fn value_grad<M: Math<S>>(&self, y: &[S], t: &[S], dy: &mut [S]) -> S {
        match self {
            LossKind::Square => SquaredError.value_grad::<M>(y, t, dy),
            LossKind::Binary => BinaryCrossEntropy.value_grad::<M>(y, t, dy),
            LossKind::Cross => CrossEntropy.value_grad::<M>(y, t, dy),
            LossKind::SigmoidCrossEntropy => SigmoidCrossEntropy.value_grad::<M>(y, t, dy),
            LossKind::SoftmaxCrossEntropy => SoftmaxCrossEntropy.value_grad::<M>(y, t, dy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (&n, &k) in LossKind::NAMES.iter().zip(LossKind::ALL) {
            assert_eq!(LossKind::from_name(n), Ok(k));
            assert_eq!(k.name(), n);
        }
        assert_eq!(
            LossKind::from_name("square"),
            Err(Error::UnknownName(NameKind::Loss))
        );
    }
}
