//! Nadam.

use super::{check_positive, check_rate, check_unit, step_scalar, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// Nadam, Adam with Nesterov momentum (Dozat 2016, "Incorporating Nesterov momentum into Adam",
/// ICLR workshop, Algorithm 2), with a constant momentum μ:
///
/// ```text
/// m ← μ·m + (1 − μ)·g                  n ← ν·n + (1 − ν)·g²
/// m̂ = μ·m/(1 − μᵗ⁺¹) + (1 − μ)·g/(1 − μᵗ)
/// n̂ = n/(1 − νᵗ)
/// θ ← θ − α·m̂/(√n̂ + ε)                (ε outside the square root)
/// ```
///
/// State: `[S; 2]` = (m, n) per parameter, `2·S::BYTES` bytes. Defaults (the seed's, as the
/// issue specifies): α = 2e-3, μ = 0.975, ν = 0.999, ε = 1e-8. Deviation from the paper: its
/// momentum schedule μₜ is replaced by a constant μ (so Πμᵢ = μᵗ). The seed's n̂ = ν·n/(1 − νᵗ)
/// and ε inside the square root are not used. `torch.optim.NAdam` uses a warm-up schedule for
/// μₜ and cannot express a constant μ = 0.975, so it is not an oracle here.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{Nadam, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = Nadam::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0; 2]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
/// // m = 0.025, n̂ = 1, m̂ = 0.975·0.025/(1 − 0.975²) + 0.025/(1 − 0.975)
/// let m_hat = 0.975 * 0.025 / (1.0 - 0.975f64.powi(2)) + 1.0;
/// assert!((p[0] - (1.0 - 2e-3 * m_hat / (1.0 + 1e-8))).abs() < 1e-12);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nadam<S> {
    /// Step size α (default 2e-3).
    pub lr: S,
    /// Momentum μ ∈ [0, 1) (default 0.975).
    pub mu: S,
    /// Decay of the second moment ν ∈ [0, 1) (default 0.999).
    pub nu: S,
    /// ε added to √n̂ (default 1e-8; must be > 0).
    pub eps: S,
}

/// Per-step constants of [`Nadam`]: 1 − μᵗ⁺¹, 1 − μᵗ, 1 − νᵗ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NadamStep<S> {
    c_next: S,
    c_now: S,
    c_v: S,
}

impl<S: Scalar> Nadam<S> {
    /// Nadam with step size `lr` and the other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &NadamStep<S>, p: &mut S, g: S, s: &mut [S; 2]) {
        let mu = self.mu;
        let m = mu * s[0] + (S::ONE - mu) * g;
        let n = self.nu * s[1] + (S::ONE - self.nu) * g * g;
        *s = [m, n];
        let m_hat = mu * m / step.c_next + (S::ONE - mu) * g / step.c_now;
        let n_hat = n / step.c_v;
        *p -= self.lr * m_hat / (M::sqrt(n_hat) + self.eps);
    }
}

impl<S: Scalar> Default for Nadam<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(2e-3),
            mu: S::from_f64(0.975),
            nu: S::from_f64(0.999),
            eps: S::from_f64(1e-8),
        }
    }
}

impl<S: Scalar> Optimizer<S> for Nadam<S> {
    type State = [S; 2];
    type Global = ();
    type Step = NadamStep<S>;

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_unit(self.mu, "mu")?;
        check_unit(self.nu, "nu")?;
        check_positive(self.eps, "eps")
    }

    #[inline]
    fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> NadamStep<S> {
        NadamStep {
            c_next: S::ONE - M::powf(self.mu, step_scalar(t.saturating_add(1))),
            c_now: S::ONE - M::powf(self.mu, step_scalar(t)),
            c_v: S::ONE - M::powf(self.nu, step_scalar(t)),
        }
    }

    #[inline]
    fn update<M: Math<S>>(
        &self,
        step: &NadamStep<S>,
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
