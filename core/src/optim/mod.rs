//! Optimizers: how parameters move given their gradients.
//!
//! An [`Optimizer`] is a small `Copy` value holding hyper-parameters. Its state lives in the
//! trainer ([`crate::train::TrainState`]), sized at compile time:
//! - [`Optimizer::State`]: one per trainable parameter (e.g. `[S; 2]` for Adam's m and v);
//!   zero-initialised;
//! - [`Optimizer::Global`]: one per optimizer (e.g. Eve's smoothed loss); zero-initialised;
//! - the step counter t, kept by the trainer and passed to [`Optimizer::begin_step`], so a caller
//!   cannot forget to advance it.
//!
//! Each step, the trainer calls [`Optimizer::begin_step`] once with t and the batch loss (for
//! optimizers that use it), then [`Optimizer::update`] on every parameter slice with the matching
//! gradient and state slices, and a seeded [`Rng`] for stochastic optimizers.
//!
//! Optimizers whose state must start at a non-zero value (SMORMS3's memory, Santa's momentum and
//! thermostat) set it lazily at t = 1.
//!
//! # The catalogue
//!
//! | key ([`NAMES`]) | type | state per parameter | reference |
//! |---|---|---|---|
//! | `SGD` | [`Sgd`] | 0 | Robbins & Monro 1951 |
//! | `MSGD` | [`Msgd`] | `S::BYTES` | Polyak 1964; Sutskever et al. 2013 |
//! | `NAG` | [`Nag`] | `S::BYTES` | Nesterov 1983 as Sutskever et al. 2013 / Bengio et al. 2013 |
//! | `AdaGrad` | [`AdaGrad`] | `S::BYTES` | Duchi, Hazan & Singer 2011 |
//! | `RMSprop` | [`RmsProp`] | `S::BYTES` | Tieleman & Hinton 2012 |
//! | `AdaDelta` | [`AdaDelta`] | `2·S::BYTES` | Zeiler 2012, Alg. 1 |
//! | `Adam` | [`Adam`] | `2·S::BYTES` | Kingma & Ba 2015, Alg. 1 |
//! | `RMSpropGraves` | [`RmsPropGraves`] | `3·S::BYTES` | Graves 2013, eqs. 38–41 |
//! | `SMORMS3` | [`Smorms3`] | `3·S::BYTES` | Funk 2015 |
//! | `AdaMax` | [`AdaMax`] | `2·S::BYTES` | Kingma & Ba 2015, Alg. 2 |
//! | `Nadam` | [`Nadam`] | `2·S::BYTES` | Dozat 2016, Alg. 2 |
//! | `Eve` | [`Eve`] | `2·S::BYTES` (+ `2·S::BYTES` global) | Koushik & Hayashi 2016, Alg. 1 |
//! | `SantaE` | [`SantaE`] | `4·S::BYTES` | Chen et al. 2016, Alg. 1 |
//! | `SantaSSS` | [`SantaSss`] | `4·S::BYTES` | Chen et al. 2016, Alg. 2 |
//! | `AMSGrad` | [`AmsGrad`] | `3·S::BYTES` | Reddi, Kale & Kumar 2018, Alg. 2 |
//! | `AdaBound` | [`AdaBound`] | `2·S::BYTES` | Luo et al. 2019 |
//! | `AMSBound` | [`AmsBound`] | `3·S::BYTES` | Luo et al. 2019 |
//!
//! At run time, [`by_name`] returns an [`AnyOptimizer`] (no allocation):
//!
//! ```
//! # #[cfg(feature = "libm")] {
//! use stacknn::optim::{by_name, AnyOptimizer, Optimizer, NAMES};
//! let adam: AnyOptimizer<f32> = by_name("Adam", Some(0.01)).unwrap();
//! assert_eq!(adam.name(), "Adam");
//! assert!(NAMES.iter().all(|n| by_name::<f64>(n, None).is_ok()));
//! assert!(by_name::<f32>("SDG", None).is_err());
//! # }
//! ```

mod adabound;
mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod amsgrad;
mod any;
mod eve;
mod msgd;
mod nadam;
mod nag;
mod rmsprop;
mod rmsprop_graves;
mod santa;
mod sgd;
mod smorms3;

pub use adabound::{AdaBound, AmsBound, BoundStep};
pub use adadelta::AdaDelta;
pub use adagrad::AdaGrad;
pub use adam::{Adam, AdamStep};
pub use adamax::{AdaMax, AdaMaxStep};
pub use amsgrad::{AmsGrad, AmsGradStep};
pub use any::{by_name, AnyOptimizer, AnyStep, NAMES};
pub use eve::{Eve, EveStep};
pub use msgd::Msgd;
pub use nadam::{Nadam, NadamStep};
pub use nag::Nag;
pub use rmsprop::RmsProp;
pub use rmsprop_graves::RmsPropGraves;
pub use santa::{SantaE, SantaSss, SantaStep};
pub use sgd::Sgd;
pub use smorms3::{Smorms3, Smorms3Step};

use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromZeros, Immutable, IntoBytes};

/// An optimization algorithm.
///
/// Optimizers, their states and step constants are plain data (`Send + Sync`), so a host trainer
/// may update disjoint parameter ranges on several threads.
pub trait Optimizer<S: Scalar>: Copy + Send + Sync {
    /// Per-parameter state (zero-initialised). `()` for plain SGD.
    type State: Copy + FromZeros + IntoBytes + Immutable + Send + Sync;
    /// Per-optimizer state besides the step counter (zero-initialised).
    type Global: Copy + FromZeros + IntoBytes + Immutable + Send + Sync;
    /// What [`Optimizer::begin_step`] computes once per step for [`Optimizer::update`].
    type Step: Copy + Send + Sync;

    /// Checks the hyper-parameters; [`Error::InvalidParameter`] names the first bad one.
    fn validate(&self) -> Result<(), Error>;

    /// Starts step `t` (1 for the first step) with the batch loss `loss`.
    fn begin_step<M: Math<S>>(&self, global: &mut Self::Global, t: u64, loss: S) -> Self::Step;

    /// Updates one slice of parameters in place from their gradients (same length as `params`)
    /// and state.
    fn update<M: Math<S>>(
        &self,
        step: &Self::Step,
        params: &mut [S],
        grads: &[S],
        state: &mut [Self::State],
        rng: &mut Rng,
    );

    /// `true` if [`Optimizer::update`] draws from the generator (Santa). Every other optimizer
    /// updates each parameter from its own gradient and state alone, so its slices may be cut
    /// into pieces and updated in any order, or at the same time, with the same result
    /// ([`TrainState::apply_gradient_with`](crate::TrainState::apply_gradient_with)).
    fn uses_rng(&self) -> bool {
        false
    }
}

/// Implements [`Optimizer`] for an optimizer with no per-step constants and no global state:
/// `State = [S; N]`, and each parameter is updated by the type's own
/// `apply::<M>(&self, p: &mut S, g: S, s: &mut [S; N])`. `validate` checks the listed fields
/// with `check_rate` / `check_unit` / `check_positive`, in order.
macro_rules! per_parameter_optimizer {
    ($ty:ident, $n:literal, [$($check:ident($field:ident)),+ $(,)?]) => {
        impl<S: $crate::Scalar> $crate::optim::Optimizer<S> for $ty<S> {
            type State = [S; $n];
            type Global = ();
            type Step = ();

            fn validate(&self) -> Result<(), $crate::Error> {
                $($crate::optim::$check(self.$field, stringify!($field))?;)+
                Ok(())
            }

            #[inline]
            fn begin_step<M: $crate::math::Math<S>>(&self, _global: &mut (), _t: u64, _loss: S) {}

            #[inline]
            fn update<M: $crate::math::Math<S>>(
                &self,
                _step: &(),
                params: &mut [S],
                grads: &[S],
                state: &mut [[S; $n]],
                _rng: &mut $crate::Rng,
            ) {
                for ((p, &g), s) in params.iter_mut().zip(grads).zip(state) {
                    self.apply::<M>(p, g, s);
                }
            }
        }
    };
}
pub(crate) use per_parameter_optimizer;

/// A learning rate: finite and ≥ 0.
pub(crate) fn check_rate<S: Scalar>(x: S, name: &'static str) -> Result<(), Error> {
    if x.is_finite() && x >= S::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter(name))
    }
}

/// A decay rate: in [0, 1).
pub(crate) fn check_unit<S: Scalar>(x: S, name: &'static str) -> Result<(), Error> {
    if x >= S::ZERO && x < S::ONE {
        Ok(())
    } else {
        Err(Error::InvalidParameter(name))
    }
}

/// A guard against division by zero (ε): finite and > 0.
pub(crate) fn check_positive<S: Scalar>(x: S, name: &'static str) -> Result<(), Error> {
    if x.is_finite() && x > S::ZERO {
        Ok(())
    } else {
        Err(Error::InvalidParameter(name))
    }
}

/// The step number t as a scalar.
#[inline]
pub(crate) fn step_scalar<S: Scalar>(t: u64) -> S {
    S::from_f64(t as f64)
}
