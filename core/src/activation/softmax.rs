//! Softmax over the vector of one sample.

use super::Activation;
use crate::math::Math;
use crate::Scalar;
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Softmax over one sample's vector (Bridle 1990): yᵢ = e^{xᵢ − m} / Σⱼ e^{xⱼ − m}, m = maxⱼ xⱼ.
///
/// Normalised per sample (seed 001 normalised over the whole batch, which breaks both the forward
/// value and the gradient). The vector-Jacobian product is dxᵢ = yᵢ·(dyᵢ − Σⱼ yⱼ·dyⱼ), computed in
/// O(N) without forming the Jacobian diag(y) − y·yᵀ.
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

impl<S: Scalar> Activation<S> for Softmax {
    fn forward<M: Math<S>>(&self, x: &[S], y: &mut [S]) {
        let m = x.iter().fold(S::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = S::ZERO;
        for (y, &x) in y.iter_mut().zip(x) {
            *y = M::exp(x - m);
            sum += *y;
        }
        for y in y.iter_mut() {
            *y /= sum;
        }
    }

    fn backward<M: Math<S>>(&self, _x: &[S], y: &[S], dy: &[S], dx: &mut [S]) {
        let dot = y.iter().zip(dy).fold(S::ZERO, |a, (&y, &d)| a + y * d);
        for ((dx, &y), &dy) in dx.iter_mut().zip(y).zip(dy) {
            *dx = y * (dy - dot);
        }
    }
}
