//! A network: layers plus the math backend they run with.

use core::marker::PhantomData;

use crate::init::Init;
use crate::layer::{Layer, Vector};
use crate::math::{Libm, Math};
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, Immutable, KnownLayout};

/// Layers `L` over scalar `S`, evaluated with math backend `M` (default [`Libm`]).
///
/// Inference needs nothing but this value and two activation vectors: a `Network` in a `static`
/// (flash on a device) is used in place. Training buffers live in a separate
/// [`TrainState`](crate::train::TrainState).
///
/// # Memory
/// `size_of::<Network<S, L, M>>() = size_of::<L>()` = `S::BYTES · L::WEIGHT_COUNT` for dense
/// layers (`#[repr(transparent)]`).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Identity, Relu};
/// use stacknn::layer::{Chain, Dense};
/// use stacknn::Network;
/// type Mlp = Chain<Dense<f32, 2, 3, Relu>, Dense<f32, 3, 2, Identity>>;
/// static NET: Network<f32, Mlp> = Network::new(Chain::new(
///     Dense::new([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [0.0; 3], Relu),
///     Dense::new([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [0.0, 0.5], Identity),
/// ));
/// let mut y = [0.0; 2];
/// NET.forward(&[2.0, -1.0], &mut y);
/// assert_eq!(y, [2.0, 1.5]);
/// assert_eq!(NET.predict(&[2.0, -1.0]), 0);
/// assert_eq!(core::mem::size_of_val(&NET), 4 * (2 * 3 + 3 + 3 * 2 + 2));
/// # }
/// ```
#[derive(Debug, FromBytes, Immutable, KnownLayout)]
#[repr(transparent)]
pub struct Network<S, L, M = Libm> {
    /// The layers, input to output.
    pub layers: L,
    backend: PhantomData<(S, M)>,
}

impl<S, L: Clone, M> Clone for Network<S, L, M> {
    fn clone(&self) -> Self {
        Self::new(self.layers.clone())
    }
}

impl<S, L, M> Network<S, L, M> {
    /// Wraps `layers` (usable in `const` and `static` items).
    pub const fn new(layers: L) -> Self {
        Self {
            layers,
            backend: PhantomData,
        }
    }
}

impl<S: Scalar, L: Layer<S>, M: Math<S>> Network<S, L, M> {
    /// Number of parameters (trainable and frozen).
    pub const WEIGHT_COUNT: usize = L::WEIGHT_COUNT;

    /// y = network(x) for one sample.
    #[inline]
    pub fn forward(&self, x: &L::Input, y: &mut L::Output) {
        self.layers.forward::<M>(x, y);
    }

    /// The index of the largest output (the first one on ties; NaN outputs are never chosen
    /// unless all are NaN, then 0).
    pub fn predict(&self, x: &L::Input) -> usize {
        let mut y = L::Output::ZEROS;
        self.forward(x, &mut y);
        argmax(y.as_slice())
    }

    /// Initialises every parameter from a generator seeded with `seed` with PyTorch's default
    /// scheme, [`Init::Uniform`] (see [`Layer::init`]).
    pub fn init(&mut self, seed: u64) {
        self.init_with(seed, Init::Uniform);
    }

    /// Initialises every parameter from a generator seeded with `seed` with `scheme`.
    pub fn init_with(&mut self, seed: u64, scheme: Init) {
        self.layers.init::<M>(scheme, &mut Rng::seed(seed));
    }

    /// `true` if every parameter is finite.
    pub fn is_finite(&self) -> bool {
        let mut ok = true;
        self.layers
            .weights(&mut |w| ok &= w.iter().all(|v| v.is_finite()));
        ok
    }
}

/// The index of the largest value (first on ties; NaN never wins; 0 for an empty slice).
pub fn argmax<S: Scalar>(y: &[S]) -> usize {
    let mut best = 0;
    let mut best_v = S::NEG_INFINITY;
    for (i, &v) in y.iter().enumerate() {
        if v > best_v {
            best = i;
            best_v = v;
        }
    }
    best
}
