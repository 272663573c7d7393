//! Graves' RMSprop (centred, with momentum).

use super::per_parameter_optimizer;
use crate::math::Math;
use crate::Scalar;

/// Graves' RMSprop (Graves 2013, "Generating sequences with recurrent neural networks",
/// arXiv:1308.0850, eqs. 38–41): RMSprop normalised by the gradient's running variance, with
/// momentum.
///
/// ```text
/// n ← ℵ·n + (1 − ℵ)·g²                         (38)
/// ḡ ← ℵ·ḡ + (1 − ℵ)·g                          (39)
/// Δ ← ℶ·Δ − ℷ·g/√(max(n − ḡ², 0) + ℸ)          (40)  (ε = ℸ inside the square root)
/// θ ← θ + Δ                                    (41)
/// ```
///
/// State: `[S; 3]` = (n, ḡ, Δ) per parameter, `3·S::BYTES` bytes. Defaults (the paper's,
/// given with eqs. 38–41): ℷ = η = 1e-4, ℵ = ρ = 0.95, ℶ = momentum = 0.9, ℸ = ε = 1e-4.
/// Momentum 0 gives the seed's form. Deviation: n − ḡ² ≥ 0 in exact arithmetic (a variance) but
/// can round below zero; it is clamped at 0. `torch.optim.RMSprop(centered=True)` differs (ε
/// outside the square root).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{RmsPropGraves, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = RmsPropGraves::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0; 3]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
/// // n = 0.05, ḡ = 0.05, n − ḡ² = 0.0475
/// assert!((p[0] - (1.0 - 1e-4 / (0.0475f64 + 1e-4).sqrt())).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropGraves<S> {
    /// Learning rate ℷ (default 1e-4).
    pub lr: S,
    /// Decay ℵ of both running averages, in [0, 1) (default 0.95).
    pub rho: S,
    /// Momentum ℶ ∈ [0, 1) (default 0.9).
    pub momentum: S,
    /// ℸ inside the square root (default 1e-4; must be > 0).
    pub eps: S,
}

impl<S: Scalar> RmsPropGraves<S> {
    /// Graves' RMSprop with learning rate `lr` and the paper's other defaults.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, p: &mut S, g: S, s: &mut [S; 3]) {
        let rho = self.rho;
        let n = rho * s[0] + (S::ONE - rho) * g * g;
        let m = rho * s[1] + (S::ONE - rho) * g;
        let var = (n - m * m).max(S::ZERO);
        let d = self.momentum * s[2] - self.lr * g / M::sqrt(var + self.eps);
        *s = [n, m, d];
        *p += d;
    }
}

impl<S: Scalar> Default for RmsPropGraves<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(1e-4),
            rho: S::from_f64(0.95),
            momentum: S::from_f64(0.9),
            eps: S::from_f64(1e-4),
        }
    }
}

per_parameter_optimizer!(
    RmsPropGraves,
    3,
    [
        check_rate(lr),
        check_unit(rho),
        check_unit(momentum),
        check_positive(eps)
    ]
);
