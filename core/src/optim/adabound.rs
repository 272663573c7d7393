//! AdaBound and AMSBound.

use super::{check_positive, check_rate, check_unit, step_scalar, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// Per-step constants of [`AdaBound`] and [`AmsBound`]: the bias-corrected step size and the
/// bounds on the per-parameter rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundStep<S> {
    step_size: S,
    lower: S,
    upper: S,
}

impl<S: Scalar> BoundStep<S> {
    /// The bounds (ηₗ(t), ηᵤ(t)) of this step.
    pub fn bounds(&self) -> (S, S) {
        (self.lower, self.upper)
    }
}

macro_rules! bound_optimizer {
    ($(#[$doc:meta])* $name:ident, $k:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $name<S> {
            /// Step size α (default 1e-3).
            pub lr: S,
            /// Decay of the first moment β₁ ∈ [0, 1) (default 0.9).
            pub beta1: S,
            /// Decay of the second moment β₂ ∈ [0, 1) (default 0.999).
            pub beta2: S,
            /// The rate both bounds converge to, α* (default 0.1).
            pub final_lr: S,
            /// Convergence speed γ > 0 of the bounds (default 1e-3).
            pub gamma: S,
            /// ε added to √v (default 1e-8; must be > 0).
            pub eps: S,
        }

        impl<S: Scalar> $name<S> {
            /// With step size `lr` and the reference implementation's other defaults.
            pub fn new(lr: S) -> Self {
                Self {
                    lr,
                    ..Self::default()
                }
            }
        }

        impl<S: Scalar> Default for $name<S> {
            fn default() -> Self {
                Self {
                    lr: S::from_f64(1e-3),
                    beta1: S::from_f64(0.9),
                    beta2: S::from_f64(0.999),
                    final_lr: S::from_f64(0.1),
                    gamma: S::from_f64(1e-3),
                    eps: S::from_f64(1e-8),
                }
            }
        }

        impl<S: Scalar> Optimizer<S> for $name<S> {
            type State = [S; $k];
            type Global = ();
            type Step = BoundStep<S>;

            fn validate(&self) -> Result<(), Error> {
                check_rate(self.lr, "lr")?;
                check_unit(self.beta1, "beta1")?;
                check_unit(self.beta2, "beta2")?;
                check_rate(self.final_lr, "final_lr")?;
                check_positive(self.gamma, "gamma")?;
                check_positive(self.eps, "eps")
            }

            #[inline]
            fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> BoundStep<S> {
                let tt = step_scalar::<S>(t);
                let c1 = S::ONE - M::powf(self.beta1, tt);
                let c2 = S::ONE - M::powf(self.beta2, tt);
                BoundStep {
                    step_size: self.lr * M::sqrt(c2) / c1,
                    lower: self.final_lr * (S::ONE - S::ONE / (self.gamma * tt + S::ONE)),
                    upper: self.final_lr * (S::ONE + S::ONE / (self.gamma * tt)),
                }
            }

            #[inline]
            fn update<M: Math<S>>(
                &self,
                step: &BoundStep<S>,
                params: &mut [S],
                grads: &[S],
                state: &mut [[S; $k]],
                _rng: &mut Rng,
            ) {
                for ((p, &g), s) in params.iter_mut().zip(grads).zip(state) {
                    self.apply::<M>(step, p, g, s);
                }
            }
        }
    };
}

bound_optimizer! {
    /// AdaBound, Adam with dynamic bounds on the rate (Luo, Xiong, Liu & Sun 2019, "Adaptive
    /// gradient methods with dynamic bound of learning rate", ICLR, Algorithm 2), as the
    /// authors' reference implementation (`adabound` 0.0.5, `AdaBound`) runs it:
    ///
    /// ```text
    /// m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
    /// ηₗ(t) = α*·(1 − 1/(γt + 1))    ηᵤ(t) = α*·(1 + 1/(γt))
    /// η = clip(α·√(1 − β₂ᵗ)/(1 − β₁ᵗ) / (√v + ε), ηₗ(t), ηᵤ(t))
    /// θ ← θ − η·m
    /// ```
    ///
    /// State: `[S; 2]` = (m, v) per parameter, `2·S::BYTES` bytes. Defaults (the reference
    /// implementation's): α = 1e-3, β₁ = 0.9, β₂ = 0.999, α* = `final_lr` = 0.1, γ = 1e-3,
    /// ε = 1e-8. Deviations from the paper's Algorithm 2, as in the reference implementation: a
    /// bias-corrected step size and ε, and no extra 1/√t on η. A learning-rate override does not
    /// move α* (the reference implementation rescales it only under a scheduler).
    ///
    /// ```
    /// # #[cfg(feature = "libm")] {
    /// use stacknn::optim::{AdaBound, Optimizer};
    /// use stacknn::{math::Libm, Rng};
    /// let opt = AdaBound::<f64>::default();
    /// let (mut p, mut s) = ([1.0], [[0.0; 2]]);
    /// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
    /// let (lower, upper) = step.bounds();
    /// assert!((lower - 0.1 * (1.0 - 1.0 / 1.001)).abs() < 1e-15 && (upper - 100.1).abs() < 1e-12);
    /// opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
    /// // m = 0.1, v = 0.001: the rate α·√(1 − β₂)/(1 − β₁)/(√v + ε) ≈ 0.01 lies within the bounds
    /// let rate = 1e-3 * 0.001f64.sqrt() / 0.1 / (0.001f64.sqrt() + 1e-8);
    /// assert!((p[0] - (1.0 - rate.max(lower).min(upper) * 0.1)).abs() < 1e-15);
    /// # }
    /// ```
    AdaBound, 2
}

bound_optimizer! {
    /// AMSBound, AMSGrad with dynamic bounds on the rate (Luo, Xiong, Liu & Sun 2019, "Adaptive
    /// gradient methods with dynamic bound of learning rate", ICLR, Algorithm 3), as the
    /// authors' reference implementation (`adabound` 0.0.5, `AdaBound(amsbound=True)`) runs
    /// it: as [`AdaBound`] with v̂ ← max(v̂, v) in place of v in the denominator.
    ///
    /// State: `[S; 3]` = (m, v, v̂) per parameter, `3·S::BYTES` bytes. Defaults and deviations:
    /// as [`AdaBound`].
    AmsBound, 3
}

impl<S: Scalar> AdaBound<S> {
    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &BoundStep<S>, p: &mut S, g: S, s: &mut [S; 2]) {
        let (b1, b2) = (self.beta1, self.beta2);
        let m = b1 * s[0] + (S::ONE - b1) * g;
        let v = b2 * s[1] + (S::ONE - b2) * g * g;
        *s = [m, v];
        let denom = M::sqrt(v) + self.eps;
        let eta = (step.step_size / denom).max(step.lower).min(step.upper);
        *p -= eta * m;
    }
}

impl<S: Scalar> AmsBound<S> {
    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &BoundStep<S>, p: &mut S, g: S, s: &mut [S; 3]) {
        let (b1, b2) = (self.beta1, self.beta2);
        let m = b1 * s[0] + (S::ONE - b1) * g;
        let v = b2 * s[1] + (S::ONE - b2) * g * g;
        let v_max = s[2].max(v);
        *s = [m, v, v_max];
        let denom = M::sqrt(v_max) + self.eps;
        let eta = (step.step_size / denom).max(step.lower).min(step.upper);
        *p -= eta * m;
    }
}
