//! The run-time catalogue: every optimizer behind one enum, looked up by name.

use super::{
    AdaBound, AdaDelta, AdaGrad, AdaMax, AdaMaxStep, Adam, AdamStep, AmsBound, AmsGrad,
    AmsGradStep, BoundStep, Eve, EveStep, Msgd, Nadam, NadamStep, Nag, Optimizer, RmsProp,
    RmsPropGraves, SantaE, SantaSss, SantaStep, Sgd, Smorms3, Smorms3Step,
};
use crate::error::{Error, NameKind};
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

macro_rules! catalogue {
    ($($key:literal => $variant:ident($ty:ident)),* $(,)?) => {
        /// Any optimizer of the catalogue, chosen at run time (e.g. from a command line), without
        /// allocation.
        ///
        /// Implements [`Optimizer`] by dispatching to the variant. Its state is sized for the
        /// largest member: [`Optimizer::State`] = `[S; 4]` (`4·S::BYTES` bytes per parameter,
        /// Santa's u, α, v, gₜ₋₁; smaller optimizers use the first 1–3 entries) and
        /// [`Optimizer::Global`] = `[S; 2]` (Eve's f̂ and d). A concrete type (e.g. [`Adam`])
        /// has exactly its own state size; use one when the optimizer is known at compile time.
        /// Each variant computes bit-for-bit what its type computes.
        #[derive(Debug, Clone, Copy, PartialEq)]
        #[non_exhaustive]
        pub enum AnyOptimizer<S> {
            $(
                #[doc = concat!("`", $key, "`: [`", stringify!($ty), "`].")]
                $variant($ty<S>),
            )*
        }

        /// The registry keys of the catalogue, in the seed's order (with its `SDG` corrected to
        /// `SGD`).
        pub const NAMES: &[&str] = &[$($key),*];

        impl<S: Scalar> AnyOptimizer<S> {
            /// The registry key of this optimizer (an entry of [`NAMES`]).
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $key,)*
                }
            }

            /// The learning rate (step size) of this optimizer.
            pub fn lr(&self) -> S {
                match self {
                    $(Self::$variant(o) => o.lr,)*
                }
            }

            /// The same optimizer with learning rate (step size) `lr`.
            pub fn with_lr(mut self, lr: S) -> Self {
                match &mut self {
                    $(Self::$variant(o) => o.lr = lr,)*
                }
                self
            }

            /// The optimizer registered under `name` (exact, case-sensitive) with its default
            /// hyper-parameters; `None` for an unknown name.
            pub fn default_for(name: &str) -> Option<Self> {
                match name {
                    $($key => Some(Self::$variant($ty::default())),)*
                    _ => None,
                }
            }
        }

        $(
            impl<S: Scalar> From<$ty<S>> for AnyOptimizer<S> {
                fn from(o: $ty<S>) -> Self {
                    Self::$variant(o)
                }
            }
        )*
    };
}

catalogue! {
    "SGD" => Sgd(Sgd),
    "MSGD" => Msgd(Msgd),
    "NAG" => Nag(Nag),
    "AdaGrad" => AdaGrad(AdaGrad),
    "RMSprop" => RmsProp(RmsProp),
    "AdaDelta" => AdaDelta(AdaDelta),
    "Adam" => Adam(Adam),
    "RMSpropGraves" => RmsPropGraves(RmsPropGraves),
    "SMORMS3" => Smorms3(Smorms3),
    "AdaMax" => AdaMax(AdaMax),
    "Nadam" => Nadam(Nadam),
    "Eve" => Eve(Eve),
    "SantaE" => SantaE(SantaE),
    "SantaSSS" => SantaSss(SantaSss),
    "AMSGrad" => AmsGrad(AmsGrad),
    "AdaBound" => AdaBound(AdaBound),
    "AMSBound" => AmsBound(AmsBound),
}

/// Sets a Santa hyper-parameter; `Err` for an invalid `burnin` or `noise` value.
macro_rules! santa_param {
    ($o:ident, $key:ident, $value:ident, $set:ident) => {
        match $key {
            "sigma" => $set(&mut $o.sigma),
            "lambda" => $set(&mut $o.lambda),
            "gamma" => $set(&mut $o.gamma),
            "c" => $set(&mut $o.c),
            "n" => $set(&mut $o.n),
            "burnin" => {
                let v = $value.to_f64();
                // Whole numbers in 0..2⁵³ convert exactly.
                let whole = (0.0..=9_007_199_254_740_992.0).contains(&v) && v == (v as u64) as f64;
                if !whole {
                    return Err(Error::InvalidParameter("burnin"));
                }
                $o.burnin = v as u64;
                true
            }
            "noise" => {
                $o.noise = if $value == S::ONE {
                    true
                } else if $value == S::ZERO {
                    false
                } else {
                    return Err(Error::InvalidParameter("noise"));
                };
                true
            }
            _ => false,
        }
    };
}

/// Sets an AdaBound/AMSBound hyper-parameter.
macro_rules! bound_param {
    ($o:ident, $key:ident, $set:ident) => {
        match $key {
            "beta1" => $set(&mut $o.beta1),
            "beta2" => $set(&mut $o.beta2),
            "final_lr" => $set(&mut $o.final_lr),
            "gamma" => $set(&mut $o.gamma),
            "eps" => $set(&mut $o.eps),
            _ => false,
        }
    };
}

impl<S: Scalar> AnyOptimizer<S> {
    /// The names of the hyper-parameters [`AnyOptimizer::with_param`] accepts for this
    /// optimizer (its struct's field names), `lr` first.
    pub fn param_names(&self) -> &'static [&'static str] {
        match self {
            Self::Sgd(_) => &["lr"],
            Self::Msgd(_) | Self::Nag(_) => &["lr", "momentum"],
            Self::AdaGrad(_) | Self::Smorms3(_) => &["lr", "eps"],
            Self::RmsProp(_) | Self::AdaDelta(_) => &["lr", "rho", "eps"],
            Self::Adam(_) | Self::AmsGrad(_) => &["lr", "beta1", "beta2", "eps"],
            Self::RmsPropGraves(_) => &["lr", "rho", "momentum", "eps"],
            Self::AdaMax(_) => &["lr", "beta1", "beta2"],
            Self::Nadam(_) => &["lr", "mu", "nu", "eps"],
            Self::Eve(_) => &["lr", "beta1", "beta2", "beta3", "small_k", "big_k", "eps"],
            Self::SantaE(_) | Self::SantaSss(_) => &[
                "lr", "sigma", "lambda", "gamma", "burnin", "c", "n", "noise",
            ],
            Self::AdaBound(_) | Self::AmsBound(_) => {
                &["lr", "beta1", "beta2", "final_lr", "gamma", "eps"]
            }
        }
    }

    /// The same optimizer with the hyper-parameter `name` (one of
    /// [`AnyOptimizer::param_names`]) set to `value`, validated. Santa's `burnin` takes a
    /// whole number and `noise` takes 0 (off) or 1 (on).
    ///
    /// Errors: [`Error::UnknownName`]`(`[`NameKind::Hyperparameter`]`)` for a name this optimizer
    /// does not have; [`Error::InvalidParameter`] naming the first hyper-parameter out of range.
    ///
    /// ```
    /// use stacknn::optim::by_name;
    /// use stacknn::{Error, NameKind};
    /// let adam = by_name::<f32>("Adam", None).unwrap().with_param("beta2", 0.99).unwrap();
    /// assert_eq!(adam.param_names(), ["lr", "beta1", "beta2", "eps"]);
    /// assert_eq!(adam.with_param("beta2", 1.0), Err(Error::InvalidParameter("beta2")));
    /// assert_eq!(adam.with_param("mu", 0.9), Err(Error::UnknownName(NameKind::Hyperparameter)));
    /// ```
    pub fn with_param(mut self, name: &str, value: S) -> Result<Self, Error> {
        let set = |field: &mut S| {
            *field = value;
            true
        };
        let found = match (&mut self, name) {
            (o, "lr") => {
                *o = o.with_lr(value);
                true
            }
            (Self::Msgd(o), "momentum") => set(&mut o.momentum),
            (Self::Nag(o), "momentum") => set(&mut o.momentum),
            (Self::AdaGrad(o), "eps") => set(&mut o.eps),
            (Self::Smorms3(o), "eps") => set(&mut o.eps),
            (Self::RmsProp(o), "rho") => set(&mut o.rho),
            (Self::RmsProp(o), "eps") => set(&mut o.eps),
            (Self::AdaDelta(o), "rho") => set(&mut o.rho),
            (Self::AdaDelta(o), "eps") => set(&mut o.eps),
            (Self::Adam(o), "beta1") => set(&mut o.beta1),
            (Self::Adam(o), "beta2") => set(&mut o.beta2),
            (Self::Adam(o), "eps") => set(&mut o.eps),
            (Self::AmsGrad(o), "beta1") => set(&mut o.beta1),
            (Self::AmsGrad(o), "beta2") => set(&mut o.beta2),
            (Self::AmsGrad(o), "eps") => set(&mut o.eps),
            (Self::RmsPropGraves(o), "rho") => set(&mut o.rho),
            (Self::RmsPropGraves(o), "momentum") => set(&mut o.momentum),
            (Self::RmsPropGraves(o), "eps") => set(&mut o.eps),
            (Self::AdaMax(o), "beta1") => set(&mut o.beta1),
            (Self::AdaMax(o), "beta2") => set(&mut o.beta2),
            (Self::Nadam(o), "mu") => set(&mut o.mu),
            (Self::Nadam(o), "nu") => set(&mut o.nu),
            (Self::Nadam(o), "eps") => set(&mut o.eps),
            (Self::Eve(o), "beta1") => set(&mut o.beta1),
            (Self::Eve(o), "beta2") => set(&mut o.beta2),
            (Self::Eve(o), "beta3") => set(&mut o.beta3),
            (Self::Eve(o), "small_k") => set(&mut o.small_k),
            (Self::Eve(o), "big_k") => set(&mut o.big_k),
            (Self::Eve(o), "eps") => set(&mut o.eps),
            (Self::SantaE(o), key) => santa_param!(o, key, value, set),
            (Self::SantaSss(o), key) => santa_param!(o, key, value, set),
            (Self::AdaBound(o), key) => bound_param!(o, key, set),
            (Self::AmsBound(o), key) => bound_param!(o, key, set),
            _ => false,
        };
        if !found {
            return Err(Error::UnknownName(NameKind::Hyperparameter));
        }
        self.validate()?;
        Ok(self)
    }
}

/// Looks an optimizer up by its registry key (one of [`NAMES`], exact and case-sensitive), with
/// its default hyper-parameters and, if given, the learning rate (step size) `lr`.
///
/// Errors: [`Error::UnknownName`]`(`[`NameKind::Optimizer`]`)` for a name not in [`NAMES`];
/// [`Error::InvalidParameter`]`("lr")` for a negative or non-finite `lr`.
///
/// ```
/// use stacknn::optim::{by_name, AnyOptimizer, Nadam};
/// use stacknn::{Error, NameKind};
/// let o = by_name::<f64>("Nadam", None).unwrap();
/// assert_eq!(o, AnyOptimizer::Nadam(Nadam::default()));
/// assert_eq!(by_name::<f64>("adam", None), Err(Error::UnknownName(NameKind::Optimizer)));
/// assert_eq!(by_name("SGD", Some(-0.1f32)), Err(Error::InvalidParameter("lr")));
/// ```
pub fn by_name<S: Scalar>(name: &str, lr: Option<S>) -> Result<AnyOptimizer<S>, Error> {
    let o = AnyOptimizer::default_for(name).ok_or(Error::UnknownName(NameKind::Optimizer))?;
    let o = match lr {
        Some(lr) => o.with_lr(lr),
        None => o,
    };
    o.validate()?;
    Ok(o)
}

/// Per-step constants of an [`AnyOptimizer`]: the step of its variant.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum AnyStep<S> {
    /// Optimizers with nothing to precompute.
    None,
    /// [`Adam`].
    Adam(AdamStep<S>),
    /// [`Smorms3`].
    Smorms3(Smorms3Step),
    /// [`AdaMax`].
    AdaMax(AdaMaxStep<S>),
    /// [`Nadam`].
    Nadam(NadamStep<S>),
    /// [`Eve`].
    Eve(EveStep<S>),
    /// [`SantaE`] and [`SantaSss`].
    Santa(SantaStep<S>),
    /// [`AmsGrad`].
    AmsGrad(AmsGradStep<S>),
    /// [`AdaBound`] and [`AmsBound`].
    Bound(BoundStep<S>),
}

/// Runs `$body` on each (parameter, gradient, first `$k` state entries).
macro_rules! each {
    ($params:ident, $grads:ident, $state:ident, $k:literal,
     |$p:ident, $g:ident, $s:ident| $body:expr) => {
        for (($p, &$g), s) in $params.iter_mut().zip($grads).zip($state.iter_mut()) {
            if let Some($s) = s.first_chunk_mut::<$k>() {
                $body;
            }
        }
    };
}

impl<S: Scalar> Optimizer<S> for AnyOptimizer<S> {
    type State = [S; 4];
    type Global = [S; 2];
    type Step = AnyStep<S>;

    fn uses_rng(&self) -> bool {
        matches!(self, Self::SantaE(_) | Self::SantaSss(_))
    }

    fn validate(&self) -> Result<(), Error> {
        match self {
            Self::Sgd(o) => o.validate(),
            Self::Msgd(o) => o.validate(),
            Self::Nag(o) => o.validate(),
            Self::AdaGrad(o) => o.validate(),
            Self::RmsProp(o) => o.validate(),
            Self::AdaDelta(o) => o.validate(),
            Self::Adam(o) => o.validate(),
            Self::RmsPropGraves(o) => o.validate(),
            Self::Smorms3(o) => o.validate(),
            Self::AdaMax(o) => o.validate(),
            Self::Nadam(o) => o.validate(),
            Self::Eve(o) => o.validate(),
            Self::SantaE(o) => o.validate(),
            Self::SantaSss(o) => o.validate(),
            Self::AmsGrad(o) => o.validate(),
            Self::AdaBound(o) => o.validate(),
            Self::AmsBound(o) => o.validate(),
        }
    }

    fn begin_step<M: Math<S>>(&self, global: &mut [S; 2], t: u64, loss: S) -> AnyStep<S> {
        let u = &mut ();
        match self {
            Self::Sgd(_)
            | Self::Msgd(_)
            | Self::Nag(_)
            | Self::AdaGrad(_)
            | Self::RmsProp(_)
            | Self::AdaDelta(_)
            | Self::RmsPropGraves(_) => AnyStep::None,
            Self::Adam(o) => AnyStep::Adam(o.begin_step::<M>(u, t, loss)),
            Self::Smorms3(o) => AnyStep::Smorms3(o.begin_step::<M>(u, t, loss)),
            Self::AdaMax(o) => AnyStep::AdaMax(o.begin_step::<M>(u, t, loss)),
            Self::Nadam(o) => AnyStep::Nadam(o.begin_step::<M>(u, t, loss)),
            Self::Eve(o) => AnyStep::Eve(o.begin_step::<M>(global, t, loss)),
            Self::SantaE(o) => AnyStep::Santa(o.begin_step::<M>(u, t, loss)),
            Self::SantaSss(o) => AnyStep::Santa(o.begin_step::<M>(u, t, loss)),
            Self::AmsGrad(o) => AnyStep::AmsGrad(o.begin_step::<M>(u, t, loss)),
            Self::AdaBound(o) => AnyStep::Bound(o.begin_step::<M>(u, t, loss)),
            Self::AmsBound(o) => AnyStep::Bound(o.begin_step::<M>(u, t, loss)),
        }
    }

    /// Dispatches to the variant. A `step` from a different variant (only possible by mixing
    /// optimizers by hand) leaves everything unchanged.
    fn update<M: Math<S>>(
        &self,
        step: &AnyStep<S>,
        params: &mut [S],
        grads: &[S],
        state: &mut [[S; 4]],
        rng: &mut Rng,
    ) {
        match (self, step) {
            (Self::Sgd(o), _) => {
                for (p, &g) in params.iter_mut().zip(grads) {
                    o.apply(p, g);
                }
            }
            (Self::Msgd(o), _) => each!(params, grads, state, 1, |p, g, s| o.apply::<M>(p, g, s)),
            (Self::Nag(o), _) => each!(params, grads, state, 1, |p, g, s| o.apply::<M>(p, g, s)),
            (Self::AdaGrad(o), _) => {
                each!(params, grads, state, 1, |p, g, s| o.apply::<M>(p, g, s))
            }
            (Self::RmsProp(o), _) => {
                each!(params, grads, state, 1, |p, g, s| o.apply::<M>(p, g, s))
            }
            (Self::AdaDelta(o), _) => {
                each!(params, grads, state, 2, |p, g, s| o.apply::<M>(p, g, s))
            }
            (Self::RmsPropGraves(o), _) => {
                each!(params, grads, state, 3, |p, g, s| o.apply::<M>(p, g, s))
            }
            (Self::Adam(o), AnyStep::Adam(st)) => {
                each!(params, grads, state, 2, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            (Self::Smorms3(o), AnyStep::Smorms3(st)) => {
                each!(params, grads, state, 3, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            (Self::AdaMax(o), AnyStep::AdaMax(st)) => {
                each!(params, grads, state, 2, |p, g, s| o.apply(st, p, g, s))
            }
            (Self::Nadam(o), AnyStep::Nadam(st)) => {
                each!(params, grads, state, 2, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            (Self::Eve(o), AnyStep::Eve(st)) => {
                each!(params, grads, state, 2, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            (Self::SantaE(o), AnyStep::Santa(st)) => {
                each!(params, grads, state, 4, |p, g, s| o
                    .apply::<M>(st, p, g, s, rng))
            }
            (Self::SantaSss(o), AnyStep::Santa(st)) => {
                each!(params, grads, state, 4, |p, g, s| o
                    .apply::<M>(st, p, g, s, rng))
            }
            (Self::AmsGrad(o), AnyStep::AmsGrad(st)) => {
                each!(params, grads, state, 3, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            (Self::AdaBound(o), AnyStep::Bound(st)) => {
                each!(params, grads, state, 2, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            (Self::AmsBound(o), AnyStep::Bound(st)) => {
                each!(params, grads, state, 3, |p, g, s| o.apply::<M>(st, p, g, s))
            }
            _ => {}
        }
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::math::Libm;

    #[test]
    fn a_step_of_another_variant_changes_nothing() {
        let adam: AnyOptimizer<f64> = Adam::default().into();
        let amsgrad: AnyOptimizer<f64> = AmsGrad::default().into();
        let step = amsgrad.begin_step::<Libm>(&mut [0.0; 2], 1, 1.0);
        let (mut p, mut s) = ([1.0], [[0.0; 4]]);
        adam.update::<Libm>(&step, &mut p, &[1.0], &mut s, &mut Rng::seed(0));
        assert_eq!((p, s), ([1.0], [[0.0; 4]]));
    }

    #[test]
    fn state_is_sized_for_the_largest_member() {
        assert_eq!(
            core::mem::size_of::<<AnyOptimizer<f32> as Optimizer<f32>>::State>(),
            16
        );
        assert_eq!(
            core::mem::size_of::<<SantaE<f32> as Optimizer<f32>>::State>(),
            16
        );
        assert_eq!(
            core::mem::size_of::<<Adam<f64> as Optimizer<f64>>::State>(),
            16
        );
        assert_eq!(
            core::mem::size_of::<<Sgd<f64> as Optimizer<f64>>::State>(),
            0
        );
    }
}
