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

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::error::Error;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromZeros, Immutable, IntoBytes};

/// An optimization algorithm.
pub trait Optimizer<S: Scalar>: Copy {
    /// Per-parameter state (zero-initialised). `()` for plain SGD.
    type State: Copy + FromZeros + IntoBytes + Immutable;
    /// Per-optimizer state besides the step counter (zero-initialised).
    type Global: Copy + FromZeros + IntoBytes + Immutable;
    /// What [`Optimizer::begin_step`] computes once per step for [`Optimizer::update`].
    type Step: Copy;

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
}
