//! Eve.

use super::{check_positive, check_rate, check_unit, step_scalar, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// Eve, Adam with feedback from the objective (Koushik & Hayashi 2016, "Improving stochastic
/// gradient descent with feedback", arXiv:1611.01505 v1, Algorithm 1).
///
/// Once per step, from the loss f = f(θₜ₋₁) (the batch loss before the update):
///
/// ```text
/// t = 1:  f̂ ← f;  d ← 1
/// t > 1:  (δ, Δ) = (k + 1, K + 1) if f ≥ f̂ else (1/(K + 1), 1/(k + 1))
///         c = min(max(δ, f/f̂), Δ);  f̂' = c·f̂
///         r = |f̂' − f̂|/min(f̂', f̂);  d ← β₃·d + (1 − β₃)·r;  f̂ ← f̂'
/// ```
///
/// then for each parameter, Adam's bias-corrected moments scaled by d:
///
/// ```text
/// m ← β₁·m + (1 − β₁)·g       v ← β₂·v + (1 − β₂)·g²
/// θ ← θ − α·m̂/(d·√v̂ + ε)     with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)
/// ```
///
/// State: `[S; 2]` = (m, v) per parameter, `2·S::BYTES` bytes, plus a global `[S; 2]` = (f̂, d).
/// Defaults (the paper's): α = 1e-3, β₁ = 0.9, β₂ = 0.999, β₃ = 0.999, k = 0.1, K = 10,
/// ε = 1e-8. The algorithm assumes a positive loss (its later versions subtract a lower bound
/// f*, which v1 does not have). Deviation: if the smoothed loss f̂ is ≤ 0 the relative change is
/// undefined, so the feedback is skipped for that step (f̂ ← f, d unchanged). The seed's form
/// (relative change of the raw loss, clipped to [1/c, c], d̃ starting at 1 after the update) is
/// not used.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{Eve, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = Eve::<f64>::default();
/// let (mut p, mut s, mut global) = ([1.0], [[0.0; 2]], [0.0; 2]);
/// // t = 1: d = 1, the step is Adam's.
/// let step = opt.begin_step::<Libm>(&mut global, 1, 0.7);
/// opt.update::<Libm>(&step, &mut p, &[2.0], &mut s, &mut Rng::seed(0));
/// assert_eq!(global, [0.7, 1.0]);
/// assert!((p[0] - (1.0 - 1e-3 * 2.0 / (2.0 + 1e-8))).abs() < 1e-15);
/// // t = 2, loss 0.35: halved, within [1/11, 1/1.1]; r = 1, d = 0.999 + 0.001·1
/// let step = opt.begin_step::<Libm>(&mut global, 2, 0.35);
/// assert!((step.feedback() - 1.0).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Eve<S> {
    /// Step size α (default 1e-3).
    pub lr: S,
    /// Decay of the first moment β₁ ∈ [0, 1) (default 0.9).
    pub beta1: S,
    /// Decay of the second moment β₂ ∈ [0, 1) (default 0.999).
    pub beta2: S,
    /// Decay of the feedback d, β₃ ∈ [0, 1) (default 0.999).
    pub beta3: S,
    /// Lower clipping constant k ≥ 0 (default 0.1).
    pub small_k: S,
    /// Upper clipping constant K ≥ k (default 10).
    pub big_k: S,
    /// ε added to d·√v̂ (default 1e-8; must be > 0).
    pub eps: S,
}

/// Per-step constants of [`Eve`]: the feedback d and the bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EveStep<S> {
    d: S,
    c1: S,
    c2: S,
}

impl<S: Scalar> EveStep<S> {
    /// The feedback coefficient d of this step.
    pub fn feedback(&self) -> S {
        self.d
    }
}

impl<S: Scalar> Eve<S> {
    /// Eve with step size `lr` and the paper's other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &EveStep<S>, p: &mut S, g: S, s: &mut [S; 2]) {
        let (b1, b2) = (self.beta1, self.beta2);
        let m = b1 * s[0] + (S::ONE - b1) * g;
        let v = b2 * s[1] + (S::ONE - b2) * g * g;
        *s = [m, v];
        let m_hat = m / step.c1;
        let v_hat = v / step.c2;
        *p -= self.lr * m_hat / (step.d * M::sqrt(v_hat) + self.eps);
    }
}

impl<S: Scalar> Default for Eve<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(1e-3),
            beta1: S::from_f64(0.9),
            beta2: S::from_f64(0.999),
            beta3: S::from_f64(0.999),
            small_k: S::from_f64(0.1),
            big_k: S::from_f64(10.0),
            eps: S::from_f64(1e-8),
        }
    }
}

impl<S: Scalar> Optimizer<S> for Eve<S> {
    type State = [S; 2];
    /// (f̂, d).
    type Global = [S; 2];
    type Step = EveStep<S>;

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_unit(self.beta1, "beta1")?;
        check_unit(self.beta2, "beta2")?;
        check_unit(self.beta3, "beta3")?;
        check_rate(self.small_k, "small_k")?;
        if !(self.big_k.is_finite() && self.big_k >= self.small_k) {
            return Err(Error::InvalidParameter("big_k"));
        }
        check_positive(self.eps, "eps")
    }

    fn begin_step<M: Math<S>>(&self, global: &mut [S; 2], t: u64, loss: S) -> EveStep<S> {
        let [f_hat, d] = *global;
        *global = if t <= 1 || f_hat <= S::ZERO {
            [loss, if t <= 1 { S::ONE } else { d }]
        } else {
            let (k, big) = (self.small_k, self.big_k);
            let (lo, hi) = if loss >= f_hat {
                (k + S::ONE, big + S::ONE)
            } else {
                (S::ONE / (big + S::ONE), S::ONE / (k + S::ONE))
            };
            let c = (loss / f_hat).max(lo).min(hi);
            let f_new = c * f_hat;
            let r = (f_new - f_hat).abs() / f_new.min(f_hat);
            [f_new, self.beta3 * d + (S::ONE - self.beta3) * r]
        };
        let t = step_scalar::<S>(t);
        EveStep {
            d: global[1],
            c1: S::ONE - M::powf(self.beta1, t),
            c2: S::ONE - M::powf(self.beta2, t),
        }
    }

    #[inline]
    fn update<M: Math<S>>(
        &self,
        step: &EveStep<S>,
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
    fn feedback_follows_algorithm_1() {
        let eve = Eve::<f64>::default();
        let mut global = [0.0; 2];
        // t = 1: f̂ = f, d = 1.
        let s = eve.begin_step::<Libm>(&mut global, 1, 2.0);
        assert_eq!((global, s.feedback()), ([2.0, 1.0], 1.0));
        // A 50 % rise is within [k + 1, K + 1] = [1.1, 11]: f̂ = 3, r = 1/2.
        eve.begin_step::<Libm>(&mut global, 2, 3.0);
        assert_eq!(global[0], 3.0);
        assert!((global[1] - (0.999 + 0.001 * 0.5)).abs() < 1e-15);
        // A tiny rise is clipped up to k + 1 = 1.1: f̂ = 3.3, r = 0.3/3.
        let d = global[1];
        eve.begin_step::<Libm>(&mut global, 3, 3.000001);
        assert!((global[0] - 3.3).abs() < 1e-15);
        assert!((global[1] - (0.999 * d + 0.001 * (0.3 / 3.0))).abs() < 1e-15);
        // A fall to 1/100 is clipped to 1/(K + 1): f̂ = 0.3, r = (3.3 − 0.3)/0.3 = 10.
        let d = global[1];
        eve.begin_step::<Libm>(&mut global, 4, 0.033);
        assert!((global[0] - 0.3).abs() < 1e-15);
        assert!((global[1] - (0.999 * d + 0.001 * 10.0)).abs() < 1e-12);
    }

    #[test]
    fn non_positive_loss_skips_the_feedback() {
        let eve = Eve::<f32>::default();
        let mut global = [0.0; 2];
        eve.begin_step::<Libm>(&mut global, 1, 0.0);
        let s = eve.begin_step::<Libm>(&mut global, 2, 0.5);
        assert_eq!(global, [0.5, 1.0]);
        assert_eq!(s.feedback(), 1.0);
        // Feedback resumes from f̂ = 0.5: a fall to 0.25 is within [1/11, 1/1.1], r = 1.
        let s = eve.begin_step::<Libm>(&mut global, 3, 0.25);
        assert_eq!(global[0], 0.25);
        assert!((s.feedback() - (0.999 + 0.001 * 1.0)).abs() < 1e-6);
    }
}
