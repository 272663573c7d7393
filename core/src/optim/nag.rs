//! Nesterov's accelerated gradient.

use super::per_parameter_optimizer;
use crate::math::Math;
use crate::Scalar;

/// Nesterov's accelerated gradient (Nesterov 1983), in the form of Sutskever et al. 2013 (§2.1)
/// rewritten by Bengio, Boulanger-Lewandowski & Pascanu 2013 ("Advances in optimizing recurrent
/// networks", eq. 7) so that it needs only the gradient at the current parameters:
///
/// ```text
/// v ← μ·v − η·g
/// θ ← θ + μ·v − η·g         (= θ + μ²·v_old − (1 + μ)·η·g)
/// ```
///
/// State: `[S; 1]` = v per parameter, `S::BYTES` bytes. Defaults (the seed's): η = 0.01,
/// μ = 0.9. `torch.optim.SGD(momentum=μ, nesterov=True)` computes the same trajectory. The seed
/// re-evaluates the gradient at a look-ahead point through a callback and scales the gradient by
/// (1 − μ); neither is done here.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{Nag, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = Nag::new(0.1f64);
/// let (mut p, mut s) = ([1.0], [[0.0]]);
/// for t in 1..=2 {
///     let step = opt.begin_step::<Libm>(&mut (), t, 0.0);
///     opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
/// }
/// // v₁ = −0.1, θ₁ = 1 + 0.9·v₁ − 0.1 = 0.81; v₂ = −0.19, θ₂ = θ₁ + 0.9·v₂ − 0.1 = 0.539
/// assert!((p[0] - 0.539).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nag<S> {
    /// Learning rate η (default 0.01).
    pub lr: S,
    /// Momentum μ ∈ [0, 1) (default 0.9).
    pub momentum: S,
}

impl<S: Scalar> Nag<S> {
    /// NAG with learning rate `lr` and the default momentum.
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
        let step = self.lr * g;
        let v = self.momentum * s[0] - step;
        s[0] = v;
        *p += self.momentum * v - step;
    }
}

impl<S: Scalar> Default for Nag<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(0.01),
            momentum: S::from_f64(0.9),
        }
    }
}

per_parameter_optimizer!(Nag, 1, [check_rate(lr), check_unit(momentum)]);
