//! RMSprop.

use super::per_parameter_optimizer;
use crate::math::Math;
use crate::Scalar;

/// RMSprop (Tieleman & Hinton 2012, "Lecture 6.5 — RMSprop: divide the gradient by a running
/// average of its recent magnitude", COURSERA: Neural Networks for Machine Learning):
///
/// ```text
/// v ← ρ·v + (1 − ρ)·g²
/// θ ← θ − η·g/(√v + ε)      (ε outside the square root)
/// ```
///
/// State: `[S; 1]` = v per parameter, `S::BYTES` bytes. Defaults: ρ = 0.9 (the lecture's
/// `MeanSquare(w, t) = 0.9 MeanSquare(w, t−1) + 0.1 (∂E/∂w)²`), η = 0.01 and ε = 1e-8 (the
/// seed's; the lecture gives neither). The seed puts ε inside the square root; it is outside here,
/// which is the form `torch.optim.RMSprop` computes.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{RmsProp, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = RmsProp::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[2.0], &mut s, &mut Rng::seed(0));
/// // v = 0.1·g² = 0.4
/// assert!((p[0] - (1.0 - 0.01 * 2.0 / (0.4f64.sqrt() + 1e-8))).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsProp<S> {
    /// Learning rate η (default 0.01).
    pub lr: S,
    /// Decay of the mean square ρ ∈ [0, 1) (default 0.9).
    pub rho: S,
    /// ε added to √v (default 1e-8; must be > 0).
    pub eps: S,
}

impl<S: Scalar> RmsProp<S> {
    /// RMSprop with learning rate `lr` and the other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, p: &mut S, g: S, s: &mut [S; 1]) {
        let v = self.rho * s[0] + (S::ONE - self.rho) * g * g;
        s[0] = v;
        *p -= self.lr * g / (M::sqrt(v) + self.eps);
    }
}

impl<S: Scalar> Default for RmsProp<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(0.01),
            rho: S::from_f64(0.9),
            eps: S::from_f64(1e-8),
        }
    }
}

per_parameter_optimizer!(
    RmsProp,
    1,
    [check_rate(lr), check_unit(rho), check_positive(eps)]
);
