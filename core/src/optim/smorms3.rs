//! SMORMS3.

use super::{check_positive, check_rate, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// SMORMS3, "squared mean over root mean squared cubed" (Funk 2015, "RMSprop loses to SMORMS3 —
/// beware the epsilon!", blog post at sifter.org/~simon/journal/20150420.html):
///
/// ```text
/// r   = 1/(mem + 1)
/// ḡ   ← (1 − r)·ḡ + r·g
/// ḡ₂  ← (1 − r)·ḡ₂ + r·g²
/// x   = ḡ²/(ḡ₂ + ε)
/// θ   ← θ − g·min(η, x)/(√ḡ₂ + ε)
/// mem ← 1 + mem·(1 − x)
/// ```
///
/// State: `[S; 3]` = (mem, ḡ, ḡ₂) per parameter, `3·S::BYTES` bytes; mem starts at 1, set lazily
/// at t = 1 (the state is zero-initialised). Defaults: η = 1e-3 (the seed's), ε = 1e-16
/// (Funk's). The seed weights the new gradient by 1 − r instead of r, overwrites one parameter
/// group's x with the other's, and puts ε inside the square root; none of that is done here.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::optim::{Smorms3, Optimizer};
/// use stacknn::{math::Libm, Rng};
/// let opt = Smorms3::<f64>::default();
/// let (mut p, mut s) = ([1.0], [[0.0; 3]]);
/// let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
/// opt.update::<Libm>(&step, &mut p, &[2.0], &mut s, &mut Rng::seed(0));
/// // mem = 1: ḡ = 1, ḡ₂ = 2, x ≈ ½ > η, so the step is g·η/√ḡ₂
/// assert!((p[0] - (1.0 - 2.0 * 1e-3 / 2f64.sqrt())).abs() < 1e-15);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Smorms3<S> {
    /// Maximum learning rate η (default 1e-3).
    pub lr: S,
    /// ε (default 1e-16; must be > 0).
    pub eps: S,
}

/// Per-step flag of [`Smorms3`]: whether this is the first step (t = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Smorms3Step {
    first: bool,
}

impl<S: Scalar> Smorms3<S> {
    /// SMORMS3 with maximum learning rate `lr` and the default ε.
    pub fn new(lr: S) -> Self {
        Self {
            lr,
            ..Self::default()
        }
    }

    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(&self, step: &Smorms3Step, p: &mut S, g: S, s: &mut [S; 3]) {
        let mem = if step.first { S::ONE } else { s[0] };
        let r = S::ONE / (mem + S::ONE);
        let m = (S::ONE - r) * s[1] + r * g;
        let v = (S::ONE - r) * s[2] + r * g * g;
        let x = m * m / (v + self.eps);
        *p -= g * self.lr.min(x) / (M::sqrt(v) + self.eps);
        *s = [S::ONE + mem * (S::ONE - x), m, v];
    }
}

impl<S: Scalar> Default for Smorms3<S> {
    fn default() -> Self {
        Self {
            lr: S::from_f64(1e-3),
            eps: S::from_f64(1e-16),
        }
    }
}

impl<S: Scalar> Optimizer<S> for Smorms3<S> {
    type State = [S; 3];
    type Global = ();
    type Step = Smorms3Step;

    fn validate(&self) -> Result<(), Error> {
        check_rate(self.lr, "lr")?;
        check_positive(self.eps, "eps")
    }

    #[inline]
    fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> Smorms3Step {
        Smorms3Step { first: t <= 1 }
    }

    #[inline]
    fn update<M: Math<S>>(
        &self,
        step: &Smorms3Step,
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
    fn first_step_uses_memory_one() {
        // mem = 1 → r = ½: ḡ = g/2, ḡ₂ = g²/2, x = (g²/4)/(g²/2 + ε) ≈ ½, step g·η/(|g|/√2 + ε).
        let opt = Smorms3::<f64>::default();
        let (mut p, mut s) = ([1.0], [[0.0; 3]]);
        let step = opt.begin_step::<Libm>(&mut (), 1, 0.0);
        opt.update::<Libm>(&step, &mut p, &[2.0], &mut s, &mut Rng::seed(0));
        assert_eq!(s[0][1], 1.0);
        assert_eq!(s[0][2], 2.0);
        assert!((p[0] - (1.0 - 2.0 * 1e-3 / 2f64.sqrt())).abs() < 1e-15);
        // mem ← 1 + 1·(1 − ½) = 1.5.
        assert!((s[0][0] - 1.5).abs() < 1e-15);
    }

    #[test]
    fn rejects_zero_eps() {
        let opt = Smorms3 {
            eps: 0.0,
            ..Smorms3::<f32>::default()
        };
        assert_eq!(opt.validate(), Err(Error::InvalidParameter("eps")));
    }
}
