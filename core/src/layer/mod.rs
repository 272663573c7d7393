//! Layers and their composition.
//!
//! A [`Layer`] maps an input vector `[S; I]` to an output vector `[S; O]`. Layers compose with
//! [`Chain`]; the composition only type-checks when the first layer's output type equals the
//! second layer's input type, so a shape mismatch is a compile error:
//!
//! ```compile_fail
//! use stacknn::activation::{Identity, Relu};
//! use stacknn::layer::{Chain, Dense};
//! // 784 → 100 followed by 50 → 10: 100 ≠ 50, rejected by the compiler.
//! type Broken = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 50, 10, Identity>>;
//! fn build(net: &Broken) {
//!     let x = [0.0f32; 784];
//!     let mut y = [0.0f32; 10];
//!     stacknn::Layer::forward::<stacknn::math::Libm>(net, &x, &mut y);
//! }
//! ```
//!
//! The same chain with matching widths compiles:
//!
//! ```
//! # #[cfg(feature = "libm")] {
//! use stacknn::activation::{Identity, Relu};
//! use stacknn::layer::{Chain, Dense};
//! use stacknn::zerocopy::FromZeros;
//! type Mlp = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;
//! let net = Mlp::new_zeroed();
//! let mut y = [0.0f32; 10];
//! stacknn::Layer::forward::<stacknn::math::Libm>(&net, &[0.5; 784], &mut y);
//! assert_eq!(y, [0.0; 10]);
//! # }
//! ```

mod chain;
mod dense;
mod frozen;
pub mod kernel;
mod maxout;
mod transposed;

pub use chain::{Chain, ChainCache, Pair};
pub use dense::{Dense, DenseParams};
pub use frozen::Frozen;
pub use maxout::{Maxout, MaxoutParams};
pub use transposed::{SparseInputDense, TransposedDense, TransposedParams};

use crate::init::Init;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::FromZeros;

/// A fixed-length vector of scalars: implemented for `[S; N]`.
pub trait Vector<S: Scalar>: Copy + FromZeros + Send + Sync + 'static {
    /// Number of elements.
    const LEN: usize;
    /// The vector of zeros.
    const ZEROS: Self;
    /// The elements.
    fn as_slice(&self) -> &[S];
    /// The elements, mutably.
    fn as_mut_slice(&mut self) -> &mut [S];
}

impl<S: Scalar, const N: usize> Vector<S> for [S; N] {
    const LEN: usize = N;
    const ZEROS: Self = [S::ZERO; N];
    #[inline(always)]
    fn as_slice(&self) -> &[S] {
        self
    }
    #[inline(always)]
    fn as_mut_slice(&mut self) -> &mut [S] {
        self
    }
}

/// How a layer stores its weight matrix; a model file records it for every layer, so bytes
/// written in one layout are never read as the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WeightLayout {
    /// `weight[o][i]`, one row per output, as PyTorch's `nn.Linear` ([`Dense`], [`Maxout`]).
    /// Code 0 in a model file.
    OutputMajor,
    /// `weight[i][o]`, one row per input ([`TransposedDense`]). Code 1 in a model file.
    InputMajor,
}

impl WeightLayout {
    /// The byte a model file stores for this layout.
    pub const fn code(self) -> u8 {
        match self {
            WeightLayout::OutputMajor => 0,
            WeightLayout::InputMajor => 1,
        }
    }

    /// The layout stored as `code`, if it is one.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(WeightLayout::OutputMajor),
            1 => Some(WeightLayout::InputMajor),
            _ => None,
        }
    }
}

/// One layer as a model file's header describes it: its widths and weight layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LayerShape {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// How the weights are stored.
    pub layout: WeightLayout,
}

/// A container holding one `T` for every trainable parameter of a layer: the layer's gradient
/// (`T = S`) or its optimizer state (`T = O::State`). `()` for a layer with nothing to train.
pub trait ParamStore<T>: FromZeros {
    /// Number of trainable parameters.
    const COUNT: usize;
    /// Calls `f` on each contiguous slice of values, in a fixed order (weights, then bias, layer by
    /// layer from input to output).
    fn for_each_slice(&self, f: &mut impl FnMut(&[T]));
    /// [`ParamStore::for_each_slice`] with mutable slices, in the same order.
    fn for_each_slice_mut(&mut self, f: &mut impl FnMut(&mut [T]));
}

impl<T> ParamStore<T> for () {
    const COUNT: usize = 0;
    #[inline(always)]
    fn for_each_slice(&self, _f: &mut impl FnMut(&[T])) {}
    #[inline(always)]
    fn for_each_slice_mut(&mut self, _f: &mut impl FnMut(&mut [T])) {}
}

/// A differentiable map from `Self::Input` to `Self::Output`.
///
/// Forward passes take `&self` and need no training buffers: a network in a `static` (flash) runs
/// with only its activation vectors in RAM. Training keeps per-sample intermediate values in
/// [`Layer::Cache`] and accumulates gradients in a [`Layer::Params`] container owned by the
/// trainer.
///
/// Layers, their caches and parameter stores are plain data (`Send + Sync`): a host trainer may
/// share a network between threads.
pub trait Layer<S: Scalar>: Send + Sync {
    /// The input vector type, `[S; I]`.
    type Input: Vector<S>;
    /// The output vector type, `[S; O]`.
    type Output: Vector<S>;
    /// Values the forward pass keeps for the backward pass of one sample.
    type Cache: FromZeros + Send + Sync + 'static;
    /// One `T` per trainable parameter (`()` when the layer is frozen or has no parameters).
    type Params<T: Copy + FromZeros + Send + Sync>: ParamStore<T> + Send + Sync;

    /// y = f(x) for one sample.
    fn forward<M: Math<S>>(&self, x: &Self::Input, y: &mut Self::Output);

    /// y = f(x) for one sample, keeping what [`Layer::backward`] needs in `cache`.
    fn forward_cached<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &mut Self::Cache,
        y: &mut Self::Output,
    );

    /// Backward pass of one sample, as a vector-Jacobian product.
    ///
    /// Given the upstream gradient `dy` = ∂L/∂y, **adds** ∂L/∂θ to `grad` and, if `dx` is given,
    /// writes ∂L/∂x = J_x(f)ᵀ·dy into it. `x`, `cache` and `y` are from [`Layer::forward_cached`].
    fn backward<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        dx: Option<&mut Self::Input>,
        grad: &mut Self::Params<S>,
    );

    /// Backward pass of one sample for the input only: writes ∂L/∂x = J_x(f)ᵀ·dy into `dx` and
    /// computes no parameter gradient.
    fn backward_input<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        dx: &mut Self::Input,
    );

    /// Backward pass of one sample that trains the layer in place with plain SGD instead of
    /// adding to a gradient buffer: θ ← θ − η·(0 + ∂L/∂θ) for each of its own parameters,
    /// exactly the arithmetic of [`TrainState::step`](crate::train::TrainState::step) with
    /// [`Sgd`](crate::optim::Sgd) on a batch of one (whose gradient buffer starts at +0), so the
    /// same bits. Used by [`OnlineSgd`](crate::online::OnlineSgd); needs no gradient buffer.
    ///
    /// All or nothing, layer by layer from the output down: the layer first checks that every
    /// entry of its parameter gradient would be finite; then, if `below` is given (the layers
    /// underneath, or the caller wanting ∂L/∂x), computes ∂L/∂x with its weights as they are and
    /// passes it to `below`, which checks and updates the layers underneath the same way and
    /// returns whether it did; only then does the layer update itself. Returns `false`, having
    /// changed nothing, if its own gradient is not finite or `below` returned `false`.
    ///
    /// Stack: the layer's ∂L/∂z (`S::BYTES·O`), with `below` ∂L/∂x (`S::BYTES·I`), and for the
    /// dense layers the list of weight rows to update (2 bytes per row: `O` for
    /// [`Dense`], `I` for [`TransposedDense`] and [`SparseInputDense`]).
    ///
    /// A layer of one's own with no cheaper way can follow the same contract through its
    /// other methods: [`Layer::backward`] into a zeroed `Self::Params<S>` (with `dx` for
    /// `below`), a finite check of it, `below`, then `θ −= η·g` through
    /// [`Layer::for_each_param`] — at the cost of that buffer.
    fn backward_sgd<M: Math<S>, K: FnOnce(&Self::Input) -> bool>(
        &mut self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        lr: S,
        below: Option<K>,
    ) -> bool;

    /// Applies `f(params, grads, state)` to each trainable parameter slice with the matching
    /// gradient and optimizer-state slices, in [`ParamStore::for_each_slice`] order.
    fn for_each_param<T: Copy + FromZeros + Send + Sync>(
        &mut self,
        grad: &Self::Params<S>,
        state: &mut Self::Params<T>,
        f: &mut impl FnMut(&mut [S], &[S], &mut [T]),
    );

    /// Calls `f` on every parameter slice of the layer, trainable or frozen, in a fixed order
    /// (weights then bias, input to output). Used to save and checksum a model.
    fn weights(&self, f: &mut impl FnMut(&[S]));

    /// Mutable version of [`Layer::weights`], same order. Used to load a model.
    fn weights_mut(&mut self, f: &mut impl FnMut(&mut [S]));

    /// Total number of parameters visited by [`Layer::weights`].
    const WEIGHT_COUNT: usize;

    /// Initialises the parameters with `scheme` ([`Init`]; [`Init::Uniform`], PyTorch's
    /// `nn.Linear` default, is what [`Network::init`](crate::Network::init) uses), layer by layer
    /// from input to output, from `rng`.
    fn init<M: Math<S>>(&mut self, scheme: Init, rng: &mut Rng);

    /// Calls `f` once per layer, input to output, with its widths and weight layout (what a
    /// model file's header records and [`crate::model_file`] checks). The default describes one
    /// output-major layer from `Self::Input` to `Self::Output`; [`Chain`] visits both halves,
    /// [`TransposedDense`] reports [`WeightLayout::InputMajor`].
    fn shapes(f: &mut impl FnMut(LayerShape))
    where
        Self: Sized,
    {
        f(LayerShape {
            inputs: Self::Input::LEN,
            outputs: Self::Output::LEN,
            layout: WeightLayout::OutputMajor,
        });
    }

    /// [`Layer::forward_cached`] for a batch of samples: `x[s]` → `cache[s]`, `y[s]` for every s
    /// (the three slices have the same length; extra elements of a longer one are left alone).
    ///
    /// Results are bit-identical to calling [`Layer::forward_cached`] on each sample; layers with
    /// batched kernels (e.g. [`Dense`]) override it for speed. The default loops over samples.
    fn forward_batch<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &mut [Self::Output],
    ) {
        for ((x, c), y) in x.iter().zip(cache.iter_mut()).zip(y.iter_mut()) {
            self.forward_cached::<M>(x, c, y);
        }
    }

    /// [`Layer::backward`] for a batch of samples, in batch order: adds every sample's ∂L/∂θ to
    /// `grad` (sample 0 first, so each gradient entry receives the same sequence of additions as
    /// per-sample calls) and, if `dx` is given, writes each sample's ∂L/∂x.
    ///
    /// `cache` is taken mutably so that a composite layer may move cached values in and out of
    /// it; on return it holds what it held on entry. Results are bit-identical to calling
    /// [`Layer::backward`] on each sample in order. The default loops over samples.
    fn backward_batch<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &[Self::Output],
        dy: &[Self::Output],
        dx: Option<&mut [Self::Input]>,
        grad: &mut Self::Params<S>,
    ) {
        backward_each::<S, Self, M>(self, x, cache, y, dy, dx, grad);
    }

    /// Rows of the weight gradient that [`Layer::backward_batch_deferred`] leaves out, to be
    /// computed later, by rows, by [`Layer::deferred_weight_gradient`]; 0 if the layer cannot
    /// (the default). For a [`Chain`], its first layer's.
    ///
    /// A data-parallel trainer uses it to split that gradient between threads by rows, each row
    /// summed over the whole batch in batch order, instead of summing one copy per thread and
    /// then adding the copies: [`SparseInputDense`] and [`TransposedDense`] with at most 16,384
    /// inputs defer their `I` rows of `O` entries. An output-major [`Dense`] does not: its rows
    /// are outputs, so each thread would read every sample's whole input, which was slower on
    /// the host than the sum it saves.
    const DEFERRED_ROWS: usize = 0;

    /// [`Layer::backward_batch`] without ∂L/∂x and, if [`Layer::DEFERRED_ROWS`] is not 0,
    /// without the deferred weight gradient: it leaves in each sample's cache what
    /// [`Layer::deferred_weight_gradient`] needs (for the dense layers, ∂L/∂z in place of z). The
    /// other parameters' gradients are added as [`Layer::backward_batch`] adds them. The default
    /// is [`Layer::backward_batch`].
    fn backward_batch_deferred<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &[Self::Output],
        dy: &[Self::Output],
        grad: &mut Self::Params<S>,
    ) {
        self.backward_batch::<M>(x, cache, y, dy, None, grad);
    }

    /// Adds the deferred weight-gradient terms of `samples` (each input with its cache as
    /// [`Layer::backward_batch_deferred`] left it), sample by sample in the given order, to
    /// `rows`: the rows `first_row..` of that gradient, laid out as in
    /// [`Layer::deferred_weight_grad`]. Each entry receives the terms [`Layer::backward_batch`]
    /// would have added, in the same order, so the bits are the same. Does nothing if
    /// [`Layer::DEFERRED_ROWS`] is 0 (the default).
    fn deferred_weight_gradient<'a, It>(&self, samples: It, first_row: usize, rows: &mut [S])
    where
        It: Iterator<Item = (&'a Self::Input, &'a Self::Cache)>,
    {
        let _ = (samples, first_row, rows);
    }

    /// The deferred weight gradient within `grad`: [`Layer::DEFERRED_ROWS`] rows one after the
    /// other, and the first slice of [`ParamStore::for_each_slice`]. Empty by default.
    fn deferred_weight_grad(grad: &mut Self::Params<S>) -> &mut [S] {
        let _ = grad;
        &mut []
    }
}

/// [`Layer::backward`] on each sample in batch order: the default [`Layer::backward_batch`], and
/// the one-sample path of the layers that override it.
pub(crate) fn backward_each<S: Scalar, L: Layer<S> + ?Sized, M: Math<S>>(
    layer: &L,
    x: &[L::Input],
    cache: &[L::Cache],
    y: &[L::Output],
    dy: &[L::Output],
    dx: Option<&mut [L::Input]>,
    grad: &mut L::Params<S>,
) {
    let samples = x.iter().zip(cache).zip(y).zip(dy);
    match dx {
        Some(dx) => {
            for ((((x, c), y), dy), dx) in samples.zip(dx.iter_mut()) {
                layer.backward::<M>(x, c, y, dy, Some(dx), grad);
            }
        }
        None => {
            for (((x, c), y), dy) in samples {
                layer.backward::<M>(x, c, y, dy, None, grad);
            }
        }
    }
}

/// `true` if every product `d[o]·x[i]` and every `d[o]` is finite — whether the gradient of a
/// dense map (∂L/∂W = d·xᵀ, ∂L/∂b = d) is finite — without forming the products.
///
/// With d and x finite, |fl(d[o]·x[i])| ≤ fl(max|d|·max|x|) (rounding is monotonic) and the
/// right-hand side is itself one of the products, so the products are all finite exactly when
/// it is. An infinite or NaN x[i] makes some product non-finite whatever d is (∞·0 is NaN).
pub(crate) fn outer_is_finite<S: Scalar>(d: &[S], x: &[S]) -> bool {
    let (fd, md) = finite_max_abs(d);
    let (fx, mx) = finite_max_abs(x);
    fd & fx && (md * mx).is_finite()
}

/// Whether every value is finite, and the largest magnitude among them; 16 lanes at a time so
/// that the scan vectorises (it runs over a layer's input on every online step).
fn finite_max_abs<S: Scalar>(v: &[S]) -> (bool, S) {
    let mut ok = [true; 16];
    let mut m = [S::ZERO; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for ((ok, m), &a) in ok.iter_mut().zip(m.iter_mut()).zip(c) {
            *ok &= a.is_finite();
            let a = a.abs();
            *m = if a > *m { a } else { *m };
        }
    }
    let mut all = ok.iter().all(|&ok| ok);
    let mut max = m.iter().fold(S::ZERO, |a, &b| if b > a { b } else { a });
    for &a in chunks.remainder() {
        all &= a.is_finite();
        max = if a.abs() > max { a.abs() } else { max };
    }
    (all, max)
}
