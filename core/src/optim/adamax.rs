//! AdaMax.

use super::{check_rate, check_unit, step_scalar, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// AdaMax (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 2): Adam
/// with the infinity norm.
///
/// ```text
/// m ← β₁·m + (1 − β₁)·g
/// u ← max(β₂·u, |g|)
/// θ ← θ − (α/(1 − β₁ᵗ))·m/u          (no step where u = 0)
/// ```
///
/// State: `[S; 2]` = (m, u) per parameter, `2·S::BYTES` bytes. Defaults (the paper's): α = 2e-3,
/// β₁ = 0.9, β₂ = 0.999. Deviation: where u = 0 (every gradient so far was zero, so m = 0 too)
/// the parameter is left unchanged instead of dividing 0 by 0. `torch.optim.Adamax(eps=0)`
/// computes the same trajectory whenever u > 0 (its default ε = 1e-8 is added to |g|).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{AdaMax, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = AdaMax::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0; 2]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[-3.0], &mut s, &mut Rng::seed(0));
/// // m = −0.3, u = 3, α/(1 − β₁) = 0.02: the first step is α·sign(g)
/// assert!((p[0] - 1.002).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaMax<S> {
    /// Step size α (default 2e-3).
    pub lr: S,
    /// Decay of the first moment β₁ ∈ [0, 1) (default 0.9).
    pub beta1: S,
    /// Decay of the infinity norm β₂ ∈ [0, 1) (default 0.999).
    pub beta2: S,
}

/// Per-step constant of [`AdaMax`]: α/(1 − β₁ᵗ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaMaxStep<S> {
    lr_t: S,
}

impl<S: Scalar> AdaMax<S> {
    /// AdaMax with step size `lr` and the paper's other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply(&self, step: &AdaMaxStep<S>, p: &mut S, g: S, s: &mut [S; 2]) {
        let m = self.beta1 * s[0] + (S::ONE - self.beta1) * g;
        let u = (self.beta2 * s[1]).max(g.abs());
        *s = [m, u];
        if u > S::ZERO {
            *p -= step.lr_t * m / u;
        }
    }
}

impl<S: Scalar> Default for AdaMax<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(2e-3),
            beta1: S::from_f64(0.9),
            beta2: S::from_f64(0.999),
        }
    }
}

impl<S: Scalar> Optimizer<S> for AdaMax<S> {
    type State = [S; 2];
    type Global = ();
    type Step = AdaMaxStep<S>;

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_unit(self.beta1, "beta1")?;
        check_unit(self.beta2, "beta2")
    }

    #[inline]
    fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> AdaMaxStep<S> {
        AdaMaxStep {
            lr_t: self.lr / (S::ONE - M::powf(self.beta1, step_scalar(t))),
        }
    }

    #[inline]
    fn update<M: Math<S>>(
        &self,
        step: &AdaMaxStep<S>,
        params: &mut [S],
        grads: &[S],
        state: &mut [[S; 2]],
        _rng: &mut Rng,
    ) {
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(state) {
            self.apply(step, p, g, s);
        }
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::math::Libm;

    #[test]
    fn zero_norm_means_no_step() {
        let opt = AdaMax::<f32>::default();
        let (mut p, mut s) = ([1.0, 1.0], [[0.0; 2]; 2]);
        let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
        opt.update::<Libm>(&step, &mut p, &[0.0, 1.0], &mut s, &mut Rng::seed(0));
        assert_eq!(p[0], 1.0);
        assert!((p[1] - (1.0 - 2e-3)).abs() < 1e-7);
    }
}
