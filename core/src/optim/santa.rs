//! Santa: stochastic annealing thermostats with adaptive momentum.

use super::{check_positive, check_rate, check_unit, step_scalar, Optimizer};
use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// The hyper-parameters shared by [`SantaE`] and [`SantaSss`].
macro_rules! santa_config {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $name<S> {
            /// Learning rate η (default 1e-2, the seed's).
            pub lr: S,
            /// Decay σ ∈ [0, 1) of the second moment v (default 0.95, the seed's).
            pub sigma: S,
            /// λ inside the preconditioner g = 1/√(λ + √v) (default 1e-8; must be > 0).
            pub lambda: S,
            /// Exponent γ ≥ 0 of the annealing schedule βₜ = t^γ (default 0.5).
            pub gamma: S,
            /// Steps t < `burnin` explore (thermostat and noise), later steps refine
            /// (default 100, the seed's).
            pub burnin: u64,
            /// C in the initial thermostat α₀ = √η·C (default 5, the seed's).
            pub c: S,
            /// N in v ← σ·v + (1 − σ)/N²·g² (default 16, the seed's; must be > 0).
            pub n: S,
            /// Draw the Gaussian noise ζₜ and u₀ from the trainer's generator (default `true`).
            /// `false` sets ζₜ = 0 and u₀ = 0: the deterministic limit.
            pub noise: bool,
        }

        impl<S: Scalar> $name<S> {
            /// Santa with learning rate `lr` and the other defaults.
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
                    lr: S::from_f64(1e-2),
                    sigma: S::from_f64(0.95),
                    lambda: S::from_f64(1e-8),
                    gamma: S::HALF,
                    burnin: 100,
                    c: S::from_f64(5.0),
                    n: S::from_f64(16.0),
                    noise: true,
                }
            }
        }

        impl<S: Scalar> Optimizer<S> for $name<S> {
            type State = [S; 4];
            type Global = ();
            type Step = SantaStep<S>;

            fn uses_rng(&self) -> bool {
                true
            }

            fn validate(&self) -> Result<(), Error> {
                check_rate(self.lr, "lr")?;
                check_unit(self.sigma, "sigma")?;
                check_positive(self.lambda, "lambda")?;
                check_rate(self.gamma, "gamma")?;
                if !self.c.is_finite() {
                    return Err(Error::InvalidParameter("c"));
                }
                check_positive(self.n, "n")
            }

            #[inline]
            fn begin_step<M: Math<S>>(&self, _global: &mut (), t: u64, _loss: S) -> SantaStep<S> {
                let beta = M::powf(step_scalar(t), self.gamma);
                SantaStep {
                    first: t <= 1,
                    explore: t < self.burnin,
                    eta_beta: self.lr / beta,
                    v_weight: (S::ONE - self.sigma) / (self.n * self.n),
                    alpha0: M::sqrt(self.lr) * self.c,
                    u0: M::sqrt(self.lr),
                }
            }

            #[inline]
            fn update<M: Math<S>>(
                &self,
                step: &SantaStep<S>,
                params: &mut [S],
                grads: &[S],
                state: &mut [[S; 4]],
                rng: &mut Rng,
            ) {
                for ((p, &g), s) in params.iter_mut().zip(grads).zip(state) {
                    self.apply::<M>(step, p, g, s, rng);
                }
            }
        }
    };
}

/// Per-step constants of [`SantaE`] and [`SantaSss`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SantaStep<S> {
    first: bool,
    explore: bool,
    /// η/βₜ.
    eta_beta: S,
    /// (1 − σ)/N².
    v_weight: S,
    /// √η·C.
    alpha0: S,
    /// √η.
    u0: S,
}

impl<S: Scalar> SantaStep<S> {
    /// Whether this step explores (t < burn-in) rather than refines.
    pub fn exploring(&self) -> bool {
        self.explore
    }
}

/// The common start of a Santa step for one parameter: lazy initialisation at t = 1, the second
/// moment and the preconditioner. Returns (gₜ, gₜ₋₁).
#[inline(always)]
fn santa_prelude<S: Scalar, M: Math<S>>(
    step: &SantaStep<S>,
    sigma: S,
    lambda: S,
    noise: bool,
    g: S,
    s: &mut [S; 4],
    rng: &mut Rng,
) -> (S, S) {
    if step.first {
        // u₀ = √η·ζ₀, α₀ = √η·C, v₀ = 0.
        s[0] = if noise {
            step.u0 * rng.normal::<S, M>()
        } else {
            S::ZERO
        };
        s[1] = step.alpha0;
        s[2] = S::ZERO;
    }
    let v = sigma * s[2] + step.v_weight * (g * g);
    s[2] = v;
    let gt = S::ONE / M::sqrt(lambda + M::sqrt(v));
    let gp = if step.first { gt } else { s[3] };
    s[3] = gt;
    (gt, gp)
}

/// The exploration terms shared by both schemes: the Gaussian draw ζₜ (0 without noise) and the
/// correction (η/βₜ)·(1 − gₜ₋₁/gₜ)/u (0 where u = 0).
#[inline(always)]
fn santa_zeta_and_correction<S: Scalar, M: Math<S>>(
    noise: bool,
    eb: S,
    gt: S,
    gp: S,
    u: S,
    rng: &mut Rng,
) -> (S, S) {
    let zeta = if noise { rng.normal::<S, M>() } else { S::ZERO };
    let corr = if u != S::ZERO {
        eb * (S::ONE - gp / gt) / u
    } else {
        S::ZERO
    };
    (zeta, corr)
}

impl<S: Scalar> SantaE<S> {
    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(
        &self,
        step: &SantaStep<S>,
        p: &mut S,
        g: S,
        s: &mut [S; 4],
        rng: &mut Rng,
    ) {
        let (gt, gp) = santa_prelude::<S, M>(step, self.sigma, self.lambda, self.noise, g, s, rng);
        let u = s[0];
        let mut alpha = s[1];
        let eb = step.eta_beta;
        let mut un = if step.explore {
            alpha += u * u - eb;
            let (zeta, corr) = santa_zeta_and_correction::<S, M>(self.noise, eb, gt, gp, u, rng);
            corr + M::sqrt(S::TWO * eb * gp) * zeta
        } else {
            S::ZERO
        };
        un = un + (S::ONE - alpha).max(S::ZERO) * u - self.lr * gt * g;
        *p += gt * un;
        s[0] = un;
        s[1] = alpha;
    }
}

impl<S: Scalar> SantaSss<S> {
    /// One parameter.
    #[inline(always)]
    pub(crate) fn apply<M: Math<S>>(
        &self,
        step: &SantaStep<S>,
        p: &mut S,
        g: S,
        s: &mut [S; 4],
        rng: &mut Rng,
    ) {
        let (gt, gp) = santa_prelude::<S, M>(step, self.sigma, self.lambda, self.noise, g, s, rng);
        let u = s[0];
        let mut alpha = s[1];
        let eb = step.eta_beta;
        *p += gt * u * S::HALF;
        let un = if step.explore {
            alpha += (u * u - eb) * S::HALF;
            let e = M::exp(-alpha * S::HALF);
            let mut un = e * u;
            let (zeta, corr) = santa_zeta_and_correction::<S, M>(self.noise, eb, gt, gp, u, rng);
            un = un - gt * g * self.lr + M::sqrt(S::TWO * gp * eb) * zeta + corr;
            un = e * un;
            alpha += (un * un - eb) * S::HALF;
            un
        } else {
            let e = M::exp(-alpha * S::HALF);
            e * (e * u - gt * g * self.lr)
        };
        *p += gt * un * S::HALF;
        s[0] = un;
        s[1] = alpha;
    }
}

santa_config! {
    /// Santa with the Euler scheme (Chen, Carlson, Gan, Li & Carin 2016, "Bridging the gap
    /// between stochastic gradient MCMC and stochastic optimization", AISTATS, Algorithm 1).
    ///
    /// With gradient g (the paper's f̃ₜ), βₜ = t^γ and ζₜ ~ N(0, 1):
    ///
    /// ```text
    /// v ← σ·v + (1 − σ)/N²·g²;   gₜ = 1/√(λ + √v)
    /// explore (t < burn-in):
    ///     α ← α + u² − η/βₜ
    ///     u' = (η/βₜ)·(1 − gₜ₋₁/gₜ)/u + √(2·(η/βₜ)·gₜ₋₁)·ζₜ
    /// refine:  u' = 0   (α unchanged)
    /// u' ← u' + max(1 − α, 0)·u − η·gₜ·g
    /// θ ← θ + gₜ·u';   u ← u'
    /// ```
    ///
    /// State: `[S; 4]` = (u, α, v, gₜ₋₁) per parameter, `4·S::BYTES` bytes, initialised lazily
    /// at t = 1: u₀ = √η·ζ₀, α₀ = √η·C, v₀ = 0. Defaults: the seed's (η = 1e-2, σ = 0.95,
    /// λ = 1e-8, γ = 0.5, burn-in 100, C = 5, N = 16).
    ///
    /// Noise: ζ₀ (once per parameter at t = 1, before ζ₁) and ζₜ (once per parameter per
    /// exploration step) are Box–Muller draws from the trainer's seeded generator, in parameter
    /// order, so a run is reproducible from its seed. With `noise: false` both are 0.
    ///
    /// Deliberate deviations (the paper leaves these undefined): g₀ is taken equal to g₁, so the
    /// first step's correction term (1 − gₜ₋₁/gₜ)/u vanishes and its noise uses g₁; the
    /// correction term is 0 where u = 0 (always so at t = 1 with the noise off) instead of a
    /// division by zero. The seed's `anne_func` callback is replaced by the exponent γ.
    ///
    /// Stability guard (deviation): the paper's friction factor 1 − α is clamped at 0. The Euler
    /// step u ← (1 − α)·u discretises du = −α·u dt and amplifies u once α > 2; the thermostat
    /// drives α towards the preconditioner gₜ, which reaches 1/√λ = 10⁴ when gradients vanish,
    /// so without the clamp a run with zero gradients overflows within a few dozen steps. With
    /// it, friction can stop the momentum but not reverse it; for α ≤ 1 nothing changes.
    /// [`SantaSss`] (factor e^{−α/2}) needs no guard.
    ///
    /// ```
    /// # #[cfg(feature = "libm")] {
    /// use stacknn::optim::{Optimizer, SantaE};
    /// use stacknn::{math::Libm, Rng};
    /// // Minimise ½(θ₀ − ½)² + ½(θ₁ + ½)² for 20 steps from a seeded generator.
    /// let run = |opt: SantaE<f64>, seed| {
    ///     let (mut p, mut s, mut rng) = ([1.0, -1.0], [[0.0; 4]; 2], Rng::seed(seed));
    ///     for t in 1..=20 {
    ///         let g = [p[0] - 0.5, p[1] + 0.5];
    ///         let step = opt.begin_step::<Libm>(&mut (), t, 0.0);
    ///         opt.update::<Libm>(&step, &mut p, &g, &mut s, &mut rng);
    ///     }
    ///     p
    /// };
    /// let noisy = SantaE::default();
    /// assert_eq!(run(noisy, 7), run(noisy, 7)); // reproducible from the seed
    /// assert_ne!(run(noisy, 7), run(noisy, 8));
    /// let quiet = SantaE { noise: false, ..noisy };
    /// assert_eq!(run(quiet, 7), run(quiet, 8)); // the deterministic limit
    /// # }
    /// ```
    SantaE
}

santa_config! {
    /// Santa with the symmetric splitting scheme (Chen, Carlson, Gan, Li & Carin 2016,
    /// "Bridging the gap between stochastic gradient MCMC and stochastic optimization",
    /// AISTATS, Algorithm 2, "SSS").
    ///
    /// With gradient g (the paper's f̃ₜ), βₜ = t^γ and ζₜ ~ N(0, 1):
    ///
    /// ```text
    /// v ← σ·v + (1 − σ)/N²·g²;   gₜ = 1/√(λ + √v)
    /// θ ← θ + gₜ·u/2
    /// explore (t < burn-in):
    ///     α ← α + (u² − η/βₜ)/2
    ///     u' = e^{−α/2}·u
    ///     u' ← u' − gₜ·g·η + √(2·gₜ₋₁·η/βₜ)·ζₜ + (η/βₜ)·(1 − gₜ₋₁/gₜ)/u
    ///     u' ← e^{−α/2}·u'
    ///     α ← α + (u'² − η/βₜ)/2
    /// refine (α unchanged):
    ///     u' = e^{−α/2}·(e^{−α/2}·u − gₜ·g·η)
    /// θ ← θ + gₜ·u'/2;   u ← u'
    /// ```
    ///
    /// State, defaults, noise and deviations: as [`SantaE`]. The seed's version loses the first
    /// half-step θ ← θ + gₜ·u/2 (its `dw` is overwritten); it is applied here.
    ///
    /// ```
    /// # #[cfg(feature = "libm")] {
    /// use stacknn::optim::{Optimizer, SantaSss};
    /// use stacknn::{math::Libm, Rng};
    /// // Minimise ½(θ₀ − ½)² + ½(θ₁ + ½)² for 20 steps from a seeded generator.
    /// let run = |opt: SantaSss<f64>, seed| {
    ///     let (mut p, mut s, mut rng) = ([1.0, -1.0], [[0.0; 4]; 2], Rng::seed(seed));
    ///     for t in 1..=20 {
    ///         let g = [p[0] - 0.5, p[1] + 0.5];
    ///         let step = opt.begin_step::<Libm>(&mut (), t, 0.0);
    ///         opt.update::<Libm>(&step, &mut p, &g, &mut s, &mut rng);
    ///     }
    ///     p
    /// };
    /// let noisy = SantaSss::default();
    /// assert_eq!(run(noisy, 7), run(noisy, 7)); // reproducible from the seed
    /// assert_ne!(run(noisy, 7), run(noisy, 8));
    /// let quiet = SantaSss { noise: false, ..noisy };
    /// assert_eq!(run(quiet, 7), run(quiet, 8)); // the deterministic limit
    /// # }
    /// ```
    SantaSss
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::math::Libm;

    #[test]
    fn noiseless_zero_gradient_is_a_fixed_point() {
        let e = SantaE {
            noise: false,
            ..SantaE::<f64>::default()
        };
        let sss = SantaSss {
            noise: false,
            ..SantaSss::<f64>::default()
        };
        let mut rng = Rng::seed(1);
        let (mut p1, mut p2) = ([0.5, -2.0], [0.5, -2.0]);
        let (mut s1, mut s2) = ([[0.0; 4]; 2], [[0.0; 4]; 2]);
        for t in 1..=150 {
            let st = e.begin_step::<Libm>(&mut (), t, 0.0);
            assert_eq!(st.exploring(), t < 100);
            e.update::<Libm>(&st, &mut p1, &[0.0; 2], &mut s1, &mut rng);
            let st = sss.begin_step::<Libm>(&mut (), t, 0.0);
            sss.update::<Libm>(&st, &mut p2, &[0.0; 2], &mut s2, &mut rng);
        }
        assert_eq!(p1, [0.5, -2.0]);
        assert_eq!(p2, [0.5, -2.0]);
        assert_eq!(rng, Rng::seed(1), "no draws without noise");
    }

    #[test]
    fn first_step_initialises_the_thermostat() {
        // t = 1 without noise: u₀ = 0, α₀ = √η·C, g₀ = g₁, so u₁ = −η·g₁·g and θ moves by g₁·u₁.
        let e = SantaE {
            noise: false,
            ..SantaE::<f64>::default()
        };
        let (mut p, mut s) = ([1.0], [[0.0; 4]]);
        let st = e.begin_step::<Libm>(&mut (), 1, 0.0);
        e.update::<Libm>(&st, &mut p, &[3.0], &mut s, &mut Rng::seed(0));
        let v = 0.05 / 256.0 * 9.0;
        let g1 = 1.0 / (1e-8 + f64::sqrt(v)).sqrt();
        let u1 = -0.01 * g1 * 3.0;
        assert!(
            (s[0][1] - (0.1 * 5.0 - 0.01)).abs() < 1e-15,
            "α₁ = α₀ + u₀² − η/β₁"
        );
        assert!((s[0][0] - u1).abs() < 1e-15);
        assert!((p[0] - (1.0 + g1 * u1)).abs() < 1e-14);
    }
}
