//! Squared error.

use super::Loss;
use crate::math::Math;
use crate::Scalar;

/// Squared error: L = ½Σᵢ(yᵢ − tᵢ)², ∂L/∂yᵢ = yᵢ − tᵢ. Over a batch the trainer takes the mean.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::loss::{Loss, SquaredError};
/// let mut dy = [0.0f32; 2];
/// let v = SquaredError.value_grad::<stacknn::math::Libm>(&[1.0, 3.0], &[0.0, 1.0], &mut dy);
/// assert_eq!((v, dy), (2.5, [1.0, 2.0]));
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SquaredError;

impl<S: Scalar> Loss<S> for SquaredError {
    fn value<M: Math<S>>(&self, y: &[S], t: &[S]) -> S {
        let s = y
            .iter()
            .zip(t)
            .fold(S::ZERO, |a, (&y, &t)| a + (y - t) * (y - t));
        S::HALF * s
    }
    fn value_grad<M: Math<S>>(&self, y: &[S], t: &[S], dy: &mut [S]) -> S {
        for ((d, &y), &t) in dy.iter_mut().zip(y).zip(t) {
            *d = y - t;
        }
        self.value::<M>(y, t)
    }
}
