//! AdaDelta.

use super::per_parameter_optimizer;
use crate::math::Math;
use crate::Scalar;

/// AdaDelta (Zeiler 2012, "ADADELTA: an adaptive learning rate method", arXiv:1212.5701,
/// Algorithm 1):
///
/// ```text
/// E[g²]  ← ρ·E[g²] + (1 − ρ)·g²
/// Δ      = (√(E[Δ²] + ε) / √(E[g²] + ε))·g     (RMS[Δ]ₜ₋₁ / RMS[g]ₜ)
/// E[Δ²]  ← ρ·E[Δ²] + (1 − ρ)·Δ²
/// θ      ← θ − η·Δ
/// ```
///
/// State: `[S; 2]` = (E\[g²\], E\[Δ²\]) per parameter, `2·S::BYTES` bytes. Defaults (the paper's
/// experiments, §4): ρ = 0.95, ε = 1e-6. The paper has no learning rate; η (default 1) scales the
/// applied step only, not the accumulated Δ, as `torch.optim.Adadelta(lr=η)` does — with η = 1
/// this is exactly Algorithm 1, and the form `torch.optim.Adadelta` computes.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{AdaDelta, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = AdaDelta::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0; 2]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
/// // E[g²] = 0.05, Δ = √(0 + 1e-6)/√(0.05 + 1e-6)·1
/// let delta = 1e-3 / (0.05f64 + 1e-6).sqrt();
/// assert!((p[0] - (1.0 - delta)).abs() < 1e-15);
/// assert!((s[0][1] - 0.05 * delta * delta).abs() < 1e-18);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaDelta<S> {
    /// Scale of the applied step η (default 1; the paper has none).
    pub lr: S,
    /// Decay ρ ∈ [0, 1) (default 0.95).
    pub rho: S,
    /// ε inside both RMS (default 1e-6; must be > 0).
    pub eps: S,
}

impl<S: Scalar> AdaDelta<S> {
    /// AdaDelta with step scale `lr` and the paper's other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, p: &mut S, g: S, s: &mut [S; 2]) {
        let rho = self.rho;
        let eg = rho * s[0] + (S::ONE - rho) * g * g;
        let delta = M::sqrt(s[1] + self.eps) / M::sqrt(eg + self.eps) * g;
        let ed = rho * s[1] + (S::ONE - rho) * delta * delta;
        *s = [eg, ed];
        *p -= self.lr * delta;
    }
}

impl<S: Scalar> Default for AdaDelta<S> {
    fn default() -> Self {
        Self {
            lr: S::ONE,
            rho: S::from_f64(0.95),
            eps: S::from_f64(1e-6),
        }
    }
}

per_parameter_optimizer!(
    AdaDelta,
    2,
    [check_rate(lr), check_unit(rho), check_positive(eps)]
);
