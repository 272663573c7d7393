//! Plain stochastic gradient descent.

use super::Optimizer;
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// Stochastic gradient descent (Robbins & Monro 1951): θ ← θ − η·g.
///
/// State: none (0 bytes per parameter). Default η = 0.01 (the seed's; the paper fixes no rate).
/// Registry key `SGD` (the seed's `SDG` is a typo). This is `torch.optim.SGD` without momentum.
///
/// ```
/// use stacknn::optim::{Optimizer, Sgd};
/// let sgd = Sgd::new(0.1f32);
/// let mut p = [1.0f32];
/// let step = sgd.begin_step::<stacknn::math::Libm>(&mut (), 1, 0.0);
/// sgd.update::<stacknn::math::Libm>(&step, &mut p, &[2.0], &mut [()], &mut stacknn::Rng::seed(0));
/// assert_eq!(p, [0.8]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd<S> {
    /// Learning rate η (default 0.01).
    pub lr: S,
}

impl<S: Scalar> Sgd<S> {
    /// SGD with learning rate `lr`.
    pub const fn new(lr: S) -> Self {
        Self { lr }
    }
}

impl<S: Scalar> Sgd<S> {
    /// One parameter: θ ← θ − η·g.
    #[inline(always)]
    pub(crate) fn apply(&self, p: &mut S, g: S) {
        *p -= self.lr * g;
    }
}

impl<S: Scalar> Default for Sgd<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(0.01),
        }
    }
}

impl<S: Scalar> Optimizer<S> for Sgd<S> {
    type State = ();
    type Global = ();
    type Step = ();

    fn validate(&self) -> Result<(), Error> {
        super::check_rate(self.lr, "lr")
    }

    #[inline]
    fn begin_step<M: Math<S>>(&self, _global: &mut (), _t: u64, _loss: S) {}

    #[inline]
    fn update<M: Math<S>>(
        &self,
        _step: &(),
        params: &mut [S],
        grads: &[S],
        _state: &mut [()],
        _rng: &mut Rng,
    ) {
        for (p, &g) in params.iter_mut().zip(grads) {
            self.apply(p, g);
        }
    }
}
