//! AMSGrad.

use super::{check_rate, check_unit, step_scalar, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// AMSGrad (Reddi, Kale & Kumar 2018, "On the convergence of Adam and beyond", ICLR,
/// Algorithm 2), with constant β₁ and αₜ = α/√t, no bias correction (the paper's form):
///
/// ```text
/// m ← β₁·m + (1 − β₁)·g
/// v ← β₂·v + (1 − β₂)·g²
/// v̂ ← max(v̂, v)
/// θ ← θ − (α/√t)·m/(√v̂ + ε)          (no step where √v̂ + ε = 0)
/// ```
///
/// State: `[S; 3]` = (m, v, v̂) per parameter, `3·S::BYTES` bytes. Defaults: α = 1e-3,
/// β₁ = 0.9, β₂ = 0.999 (the paper's experiments), ε = 1e-8 (the seed's). Deviation: the paper
/// has no ε; set `eps = 0` for its exact form (then a parameter whose gradients were all zero,
/// so v̂ = m = 0, is left unchanged). The seed puts ε inside the square root.
/// `torch.optim.Adam(amsgrad=True)` bias-corrects and uses a constant α, so it is not an oracle.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{AmsGrad, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = AmsGrad::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0; 3]]);
/// for t in 1..=2 {
///     let step = opt.begin_step::<Libm>(&mut (), t, 0.0);
///     opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
/// }
/// // t = 2: m = 0.19, v = v̂ = 0.001999, α₂ = 1e-3/√2
/// let p1 = 1.0 - 1e-3 * 0.1 / (0.001f64.sqrt() + 1e-8);
/// let p2 = p1 - 1e-3 / 2f64.sqrt() * 0.19 / (0.001999f64.sqrt() + 1e-8);
/// assert!((p[0] - p2).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmsGrad<S> {
    /// Step size α (default 1e-3); step t uses α/√t.
    pub lr: S,
    /// Decay of the first moment β₁ ∈ [0, 1) (default 0.9).
    pub beta1: S,
    /// Decay of the second moment β₂ ∈ [0, 1) (default 0.999).
    pub beta2: S,
    /// ε added to √v̂ (default 1e-8; ≥ 0).
    pub eps: S,
}

/// Per-step constant of [`AmsGrad`]: αₜ = α/√t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmsGradStep<S> {
    lr_t: S,
}

impl<S: Scalar> AmsGrad<S> {
    /// AMSGrad with step size `lr` and the other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &AmsGradStep<S>, p: &mut S, g: S, s: &mut [S; 3]) {
        let (b1, b2) = (self.beta1, self.beta2);
        let m = b1 * s[0] + (S::ONE - b1) * g;
        let v = b2 * s[1] + (S::ONE - b2) * g * g;
        let v_hat = s[2].max(v);
        *s = [m, v, v_hat];
        let denom = M::sqrt(v_hat) + self.eps;
        if denom > S::ZERO {
            *p -= step.lr_t * m / denom;
        }
    }
}

impl<S: Scalar> Default for AmsGrad<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(1e-3),
            beta1: S::from_f64(0.9),
            beta2: S::from_f64(0.999),
            eps: S::from_f64(1e-8),
        }
    }
}

impl<S: Scalar> Optimizer<S> for AmsGrad<S> {
    type State = [S; 3];
    type Global = ();
    type Step = AmsGradStep<S>;

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_unit(self.beta1, "beta1")?;
        check_unit(self.beta2, "beta2")?;
        check_rate(self.eps, "eps")
    }

    #[inline]
    fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> AmsGradStep<S> {
        AmsGradStep {
            lr_t: self.lr / M::sqrt(step_scalar(t)),
        }
    }

    #[inline]
    fn update<M: Math<S>>(
        &self,
        step: &AmsGradStep<S>,
        params: &mut [S],
        grads: &[S],
        state: &mut [[S; 3]],
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
    fn paper_form_without_eps_skips_zero_second_moments() {
        let opt = AmsGrad {
            eps: 0.0,
            ..AmsGrad::<f64>::default()
        };
        assert_eq!(opt.validate(), Ok(()));
        let (mut p, mut s) = ([1.0, 2.0], [[0.0; 3]; 2]);
        for t in 1..=3 {
            let step = opt.begin_step::<Libm>(&mut (), t, 0.0);
            opt.update::<Libm>(&step, &mut p, &[0.0, 1.0], &mut s, &mut Rng::seed(0));
        }
        assert_eq!(p[0], 1.0);
        assert!(p[1] < 2.0 && p[1].is_finite());
    }

    #[test]
    fn v_hat_never_decreases() {
        let opt = AmsGrad::<f64>::default();
        let (mut p, mut s) = ([0.0], [[0.0; 3]]);
        let mut last = 0.0;
        for (t, g) in [5.0, 0.1, 0.1, 0.1].into_iter().enumerate() {
            let step = opt.begin_step::<Libm>(&mut (), t as u64 + 1, 0.0);
            opt.update::<Libm>(&step, &mut p, &[g], &mut s, &mut Rng::seed(0));
            assert!(s[0][2] >= last && s[0][2] >= s[0][1]);
            last = s[0][2];
        }
        assert!(s[0][1] < s[0][2], "v decays while v̂ keeps its maximum");
    }
}
