//! Frozen layers: used in the forward and backward passes, never trained.

use super::{Layer, LayerShape, Vector};
use crate::init::Init;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, FromZeros, Immutable, KnownLayout};

/// A layer whose parameters are not trained.
///
/// Its gradient and optimizer state are `()`: a trainer for `Chain<Frozen<L1>, L2>` holds gradient
/// and optimizer buffers for `L2` only, which `size_of` shows. This is how a device fine-tunes the
/// last layer of a deployed model. Gradients still flow *through* a frozen layer when an earlier
/// layer trains.
///
/// # Memory
/// `size_of::<Frozen<L>>() = size_of::<L>()` (`#[repr(transparent)]`); its gradient and optimizer
/// state are `()`, 0 bytes.
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::layer::{Chain, Dense, Frozen};
/// use stacknn::{activation::Relu, Layer};
/// type Net = Chain<Frozen<Dense<f32, 784, 100, Relu>>, Dense<f32, 100, 10>>;
/// type Grad = <Net as Layer<f32>>::Params<f32>;
/// assert_eq!(core::mem::size_of::<Grad>(), 4 * (100 * 10 + 10));
/// # }
/// ```
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct Frozen<L>(pub L);

impl<S: Scalar, L: Layer<S>> Layer<S> for Frozen<L> {
    type Input = L::Input;
    type Output = L::Output;
    type Cache = L::Cache;
    type Params<T: Copy + FromZeros + Send + Sync> = ();

    #[inline]
    fn forward<M: Math<S>>(&self, x: &Self::Input, y: &mut Self::Output) {
        self.0.forward::<M>(x, y);
    }

    #[inline]
    fn forward_cached<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &mut Self::Cache,
        y: &mut Self::Output,
    ) {
        self.0.forward_cached::<M>(x, cache, y);
    }

    #[inline]
    fn forward_batch<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &mut [Self::Output],
    ) {
        self.0.forward_batch::<M>(x, cache, y);
    }

    fn backward<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        dx: Option<&mut Self::Input>,
        _grad: &mut (),
    ) {
        if let Some(dx) = dx {
            self.0.backward_input::<M>(x, cache, y, dy, dx);
        }
    }

    fn backward_input<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        dx: &mut Self::Input,
    ) {
        self.0.backward_input::<M>(x, cache, y, dy, dx);
    }

    /// Trains nothing: passes ∂L/∂x to `below`, if given.
    fn backward_sgd<M: Math<S>, K: FnOnce(&Self::Input) -> bool>(
        &mut self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        _lr: S,
        below: Option<K>,
    ) -> bool {
        match below {
            Some(below) => {
                let mut dx = <L::Input as Vector<S>>::ZEROS;
                self.0.backward_input::<M>(x, cache, y, dy, &mut dx);
                below(&dx)
            }
            None => true,
        }
    }

    fn for_each_param<T: Copy + FromZeros + Send + Sync>(
        &mut self,
        _grad: &(),
        _state: &mut (),
        _f: &mut impl FnMut(&mut [S], &[S], &mut [T]),
    ) {
    }

    const WEIGHT_COUNT: usize = L::WEIGHT_COUNT;

    fn weights(&self, f: &mut impl FnMut(&[S])) {
        self.0.weights(f);
    }

    fn weights_mut(&mut self, f: &mut impl FnMut(&mut [S])) {
        self.0.weights_mut(f);
    }

    /// Initialises the wrapped layer (a frozen layer is usually loaded, not initialised).
    fn init<M: Math<S>>(&mut self, scheme: Init, rng: &mut Rng) {
        self.0.init::<M>(scheme, rng);
    }

    fn shapes(f: &mut impl FnMut(LayerShape)) {
        L::shapes(f);
    }
}
