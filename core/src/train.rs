//! Training: batch gradients and optimizer steps, with non-finite steps rejected.

use crate::error::Error;
use crate::layer::{Layer, ParamStore, Vector};
use crate::loss::Loss;
use crate::math::Math;
use crate::network::Network;
use crate::optim::Optimizer;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::FromZeros;

/// A training target for a network with output type `V`: a full target vector, or a class label
/// (turned into a one-hot vector).
pub trait Target<S: Scalar, V: Vector<S>> {
    /// Writes the target vector into `t`.
    fn write_to(&self, t: &mut V) -> Result<(), Error>;
}

impl<S: Scalar, const N: usize> Target<S, [S; N]> for [S; N] {
    #[inline]
    fn write_to(&self, t: &mut [S; N]) -> Result<(), Error> {
        *t = *self;
        Ok(())
    }
}

impl<S: Scalar, const N: usize> Target<S, [S; N]> for usize {
    #[inline]
    fn write_to(&self, t: &mut [S; N]) -> Result<(), Error> {
        let slot = t.get_mut(*self).ok_or(Error::LabelOutOfRange { label: *self, classes: N })?;
        *slot = S::ONE;
        for (i, v) in t.iter_mut().enumerate() {
            if i != *self {
                *v = S::ZERO;
            }
        }
        Ok(())
    }
}

impl<S: Scalar, const N: usize> Target<S, [S; N]> for u8 {
    #[inline]
    fn write_to(&self, t: &mut [S; N]) -> Result<(), Error> {
        Target::<S, [S; N]>::write_to(&(*self as usize), t)
    }
}

/// Everything training needs besides the network and the optimizer's hyper-parameters: the
/// gradient, the optimizer state, the step counter, the generator and one sample's intermediate
/// values.
///
/// All of it is zero-initialisable (`FromZeros`), so a large one can be built in place on the
/// heap with `TrainState::new_box_zeroed()` (zerocopy's `alloc` feature) or placed in a `static`
/// without ever being built on the stack; call [`TrainState::reset`] before use.
///
/// # Memory
/// With P trainable parameters (frozen layers excluded):
/// `size_of = S::BYTES·P` (gradient) `+ size_of::<O::State>()·P` (optimizer state)
/// `+ size_of::<O::Global>() + 8` (step) `+ 32` (generator) `+ size_of::<L::Cache>()`
/// `+ 3·S::BYTES·OUT` (output, its gradient, the target), rounded up to alignment.
/// For 784-100-10 f32 with Adam: 4·79,510 + 8·79,510 + 40 + 4·(100 + 100 + 10 + 10) + 120.
#[derive(FromZeros)]
pub struct TrainState<S: Scalar, L: Layer<S>, O: Optimizer<S>> {
    grad: L::Params<S>,
    opt_state: L::Params<O::State>,
    global: O::Global,
    step: u64,
    rng: Rng,
    cache: L::Cache,
    out: L::Output,
    dy: L::Output,
    target: L::Output,
}

impl<S: Scalar, L: Layer<S>, O: Optimizer<S>> TrainState<S, L, O> {
    /// A fresh state (on the stack: for small networks; see the type docs for large ones).
    pub fn new(seed: u64) -> Self {
        let mut s = Self::new_zeroed();
        s.reset(seed);
        s
    }

    /// Clears the optimizer state and the step counter and reseeds the generator, in place.
    pub fn reset(&mut self, seed: u64) {
        self.zero();
        self.rng = Rng::seed(seed);
    }

    /// Number of optimizer steps taken.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The gradient computed by the last [`TrainState::gradients`] or [`TrainState::step`].
    pub fn grad(&self) -> &L::Params<S> {
        &self.grad
    }

    /// The optimizer's per-parameter state.
    pub fn optimizer_state(&self) -> &L::Params<O::State> {
        &self.opt_state
    }

    /// The optimizer's global state.
    pub fn optimizer_global(&self) -> &O::Global {
        &self.global
    }

    /// The generator used by stochastic optimizers.
    pub fn rng(&self) -> &Rng {
        &self.rng
    }

    /// Computes the batch-mean loss and its gradient with respect to the trainable parameters
    /// (kept in [`TrainState::grad`]) without changing the network or the optimizer state.
    ///
    /// Errors: [`Error::EmptyBatch`], [`Error::BatchLengthMismatch`], [`Error::LabelOutOfRange`].
    pub fn gradients<M, Lo, T>(
        &mut self,
        net: &Network<S, L, M>,
        loss: &Lo,
        inputs: &[L::Input],
        targets: &[T],
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S>,
        T: Target<S, L::Output>,
    {
        if inputs.is_empty() {
            return Err(Error::EmptyBatch);
        }
        if inputs.len() != targets.len() {
            return Err(Error::BatchLengthMismatch { inputs: inputs.len(), targets: targets.len() });
        }
        for t in targets {
            t.write_to(&mut self.target)?;
        }
        self.grad.zero();
        let n = S::from_usize(inputs.len());
        let mut total = S::ZERO;
        for (x, t) in inputs.iter().zip(targets) {
            t.write_to(&mut self.target)?;
            net.layers.forward_cached::<M>(x, &mut self.cache, &mut self.out);
            total += loss.value_grad::<M>(
                self.out.as_slice(),
                self.target.as_slice(),
                self.dy.as_mut_slice(),
            );
            for d in self.dy.as_mut_slice() {
                *d /= n;
            }
            net.layers
                .backward::<M>(x, &self.cache, &self.out, &self.dy, None, &mut self.grad);
        }
        Ok(total / n)
    }

    /// One training step on a batch: the batch-mean loss and its gradient, then one optimizer
    /// update. Returns the loss (before the update).
    ///
    /// A step whose loss or any gradient is NaN or ±∞ is rejected with [`Error::NonFiniteLoss`] or
    /// [`Error::NonFiniteGradient`], and then the network, the optimizer state, the step counter
    /// and the generator are exactly as they were. Invalid hyper-parameters are rejected the same
    /// way ([`Error::InvalidParameter`]).
    pub fn step<M, Lo, T>(
        &mut self,
        net: &mut Network<S, L, M>,
        optimizer: &O,
        loss: &Lo,
        inputs: &[L::Input],
        targets: &[T],
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S>,
        T: Target<S, L::Output>,
    {
        optimizer.validate()?;
        let value = self.gradients(net, loss, inputs, targets)?;
        if !value.is_finite() {
            return Err(Error::NonFiniteLoss);
        }
        let mut finite = true;
        self.grad
            .for_each_slice(&mut |g| finite &= g.iter().all(|v| v.is_finite()));
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
        self.step += 1;
        let step = optimizer.begin_step::<M>(&mut self.global, self.step, value);
        let rng = &mut self.rng;
        net.layers
            .for_each_param(&self.grad, &mut self.opt_state, &mut |p, g, s| {
                optimizer.update::<M>(&step, p, g, s, rng)
            });
        Ok(value)
    }
}
