//! AdaGrad.

use super::per_parameter_optimizer;
use crate::math::Math;
use crate::Scalar;

/// AdaGrad (Duchi, Hazan & Singer 2011, "Adaptive subgradient methods for online learning and
/// stochastic optimization", JMLR 12, Figure 1: AdaGrad with diagonal matrices,
/// Hₜ = δI + diag(G)^½):
///
/// ```text
/// G ← G + g²
/// θ ← θ − η·g/(√G + ε)      (ε outside the square root: the paper's δ)
/// ```
///
/// State: `[S; 1]` = G per parameter, `S::BYTES` bytes. Defaults: η = 1e-3 (the seed's; the
/// paper fixes none), ε = 1e-10 (the paper allows any δ ≥ 0 and gives no value; the seed has
/// none and divides by zero on a zero gradient; 1e-10 is `torch.optim.Adagrad`'s). Deviation:
/// δ = 0 is rejected, so that a zero gradient cannot divide 0 by 0. This is the form
/// `torch.optim.Adagrad` computes.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{AdaGrad, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = AdaGrad::new(0.1f64);
/// let (mut p, mut s) = ([1.0], [[0.0]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[2.0], &mut s, &mut Rng::seed(0));
/// assert_eq!(s[0][0], 4.0); // G = g²
/// assert!((p[0] - (1.0 - 0.1 * 2.0 / (2.0 + 1e-10))).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaGrad<S> {
    /// Learning rate η (default 1e-3).
    pub lr: S,
    /// δ added to √G (default 1e-10; must be > 0).
    pub eps: S,
}

impl<S: Scalar> AdaGrad<S> {
    /// AdaGrad with learning rate `lr` and the default ε.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, p: &mut S, g: S, s: &mut [S; 1]) {
        let acc = s[0] + g * g;
        s[0] = acc;
        *p -= self.lr * g / (M::sqrt(acc) + self.eps);
    }
}

impl<S: Scalar> Default for AdaGrad<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(1e-3),
            eps: S::from_f64(1e-10),
        }
    }
}

per_parameter_optimizer!(AdaGrad, 1, [check_rate(lr), check_positive(eps)]);
