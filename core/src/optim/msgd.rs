//! Momentum SGD.

use super::per_parameter_optimizer;
use crate::math::Math;
use crate::Scalar;

/// SGD with classical momentum (Polyak 1964, "Some methods of speeding up the convergence of
/// iteration methods"; in the form of Sutskever, Martens, Dahl & Hinton 2013, "On the importance
/// of initialization and momentum in deep learning", eqs. 1–2):
///
/// ```text
/// v ← μ·v − η·g
/// θ ← θ + v
/// ```
///
/// State: `[S; 1]` = v per parameter, `S::BYTES` bytes. Defaults (the seed's; the papers fix
/// none): η = 0.01, μ = 0.9. `torch.optim.SGD(momentum=μ)` computes the same trajectory (its
/// buffer is −v/η). The seed's extra factor (1 − μ) on the gradient is not in the papers and is
/// not applied.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{Msgd, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = Msgd::new(0.1f64);
/// let (mut p, mut s) = ([1.0], [[0.0]]);
/// for _ in 0..2 {
///     let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
///     opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
/// }
/// // v₁ = −0.1, v₂ = 0.9·(−0.1) − 0.1 = −0.19
/// assert!((p[0] - (1.0 - 0.1 - 0.19)).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Msgd<S> {
    /// Learning rate η (default 0.01).
    pub lr: S,
    /// Momentum μ ∈ [0, 1) (default 0.9).
    pub momentum: S,
}

impl<S: Scalar> Msgd<S> {
    /// Momentum SGD with learning rate `lr` and the default momentum.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    // `M` is unused here but keeps the signature every `per_parameter_optimizer!` rule shares.
    #[allow(clippy::extra_unused_type_parameters)]
    pub(crate) fn apply<M: Math<S>>(&self, p: &mut S, g: S, s: &mut [S; 1]) {
        let v = self.momentum * s[0] - self.lr * g;
        s[0] = v;
        *p += v;
    }
}

impl<S: Scalar> Default for Msgd<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(0.01),
            momentum: S::from_f64(0.9),
        }
    }
}

per_parameter_optimizer!(Msgd, 1, [check_rate(lr), check_unit(momentum)]);
