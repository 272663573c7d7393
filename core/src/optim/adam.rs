//! Adam.

use super::{check_positive, check_rate, check_unit, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", Algorithm 1):
///
/// ```text
/// m ← β₁m + (1 − β₁)g          v ← β₂v + (1 − β₂)g²
/// m̂ = m/(1 − β₁ᵗ)              v̂ = v/(1 − β₂ᵗ)
/// θ ← θ − α·m̂/(√v̂ + ε)        (ε outside the square root)
/// ```
///
/// computed as `torch.optim.Adam` groups it: with the per-step constants
/// s = α/(1 − β₁ᵗ) and r = √(1 − β₂ᵗ), θ ← θ − s·(m/(√v/r + ε)) — two divisions per parameter.
///
/// State: `[S; 2]` = (m, v) per parameter, `2·S::BYTES` bytes. Defaults (the paper's): α = 1e-3,
/// β₁ = 0.9, β₂ = 0.999, ε = 1e-8. This is the form `torch.optim.Adam` computes. The seed's
/// form (ε inside the square root, bias correction folded into α) is not used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Adam<S> {
    /// Step size α (default 1e-3).
    pub lr: S,
    /// Decay of the first moment β₁ (default 0.9).
    pub beta1: S,
    /// Decay of the second moment β₂ (default 0.999).
    pub beta2: S,
    /// ε added to √v̂ (default 1e-8; must be > 0).
    pub eps: S,
}

impl<S: Scalar> Adam<S> {
    /// Adam with step size `lr` and the paper's other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }
}

impl<S: Scalar> Adam<S> {
    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &AdamStep<S>, p: &mut S, g: S, s: &mut [S; 2]) {
        let (b1, b2) = (self.beta1, self.beta2);
        let m = b1 * s[0] + (S::ONE - b1) * g;
        let v = b2 * s[1] + (S::ONE - b2) * g * g;
        *s = [m, v];
        // √v̂ + ε as √v/√(1 − β₂ᵗ) + ε, and α·m̂ as (α/(1 − β₁ᵗ))·m: two divisions per
        // parameter instead of three (the divider bounds this loop), in PyTorch's grouping.
        let denom = M::sqrt(v) / step.c2_sqrt + self.eps;
        *p -= step.step_size * (m / denom);
    }
}

impl<S: Scalar> Default for Adam<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(1e-3),
            beta1: S::from_f64(0.9),
            beta2: S::from_f64(0.999),
            eps: S::from_f64(1e-8),
        }
    }
}

/// Per-step constants of [`Adam`]: the bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ, the step size
/// α/(1 − β₁ᵗ) and √(1 − β₂ᵗ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamStep<S> {
    c1: S,
    c2: S,
    step_size: S,
    c2_sqrt: S,
}

impl<S: Scalar> Optimizer<S> for Adam<S> {
    type State = [S; 2];
    type Global = ();
    type Step = AdamStep<S>;

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_unit(self.beta1, "beta1")?;
        check_unit(self.beta2, "beta2")?;
        check_positive(self.eps, "eps")
    }

    fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> AdamStep<S> {
        let t = super::step_scalar::<S>(t);
        let c1 = S::ONE - M::powf(self.beta1, t);
        let c2 = S::ONE - M::powf(self.beta2, t);
        AdamStep {
            c1,
            c2,
            step_size: self.lr / c1,
            c2_sqrt: M::sqrt(c2),
        }
    }

    fn update<M: Math<S>>(
        &self,
        step: &AdamStep<S>,
        params: &mut [S],
        grads: &[S],
        state: &mut [[S; 2]],
        _rng: &mut Rng,
    ) {
        for ((p, &g), s) in params.iter_mut().zip(grads).zip(state) {
            self.apply::<M>(step, p, g, s);
        }
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::math::Libm;

    #[test]
    fn first_step_moves_by_lr() {
        // At t = 1, m̂ = g and v̂ = g², so the step is α·g/(|g| + ε) ≈ α·sign(g).
        let adam = Adam::<f64>::default();
        let mut p = [0.5, -0.5];
        let mut st = [[0.0; 2]; 2];
        let step = adam.begin_step::<Libm>(&mut (), 1, 0.0);
        adam.update::<Libm>(&step, &mut p, &[3.0, -0.25], &mut st, &mut Rng::seed(0));
        assert!((p[0] - (0.5 - 1e-3 * 3.0 / (3.0 + 1e-8))).abs() < 1e-15);
        assert!((p[1] - (-0.5 + 1e-3 * 0.25 / (0.25 + 1e-8))).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_hyper_parameters() {
        let bad = Adam {
            beta1: 1.0,
            ..Adam::<f32>::default()
        };
        assert_eq!(bad.validate(), Err(Error::InvalidParameter("beta1")));
        assert_eq!(
            Adam::new(-1.0f32).validate(),
            Err(Error::InvalidParameter("lr"))
        );
    }
}
