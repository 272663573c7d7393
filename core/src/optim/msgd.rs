//! Momentum SGD.

use super::{check_rate, check_unit, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
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
    pub(crate) fn apply(&self, p: &mut S, g: S, s: &mut [S; 1]) {
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

impl<S: Scalar> Optimizer<S> for Msgd<S> {
    type State = [S; 1];
    type Global = ();
    type Step = ();

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_unit(self.momentum, "momentum")
    }

    #[inline]
    fn begin_step<M: Math<S>>(&self, _global: &mut (), _t: u64, _loss: S) {}

    #[inline]
    fn update<M: Math<S>>(
        &self,
        _step: &(),
        params: &mut [S],
        grads: &[S],
        state: &mut [[S; 1]],
        _rng: &mut Rng,
    ) {
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(state) {
            self.apply(p, g, s);
        }
    }
}
