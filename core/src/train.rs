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
        let slot = t.get_mut(*self).ok_or(Error::LabelOutOfRange {
            label: *self,
            classes: N,
        })?;
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
/// gradient, the optimizer state, the step counter, the generator and the intermediate values of
/// a chunk of `CH` samples.
///
/// All of it is zero-initialisable (`FromZeros`), so a large one can be built in place on the
/// heap with `TrainState::new_box_zeroed()` (zerocopy's `alloc` feature) or placed in a `static`
/// without ever being built on the stack; call [`TrainState::reset`] before use.
///
/// # Chunks
/// A batch is processed `CH` samples at a time (default 1): the forward pass of the whole chunk,
/// then its backward pass, through the layers' batched methods ([`Layer::forward_batch`],
/// [`Layer::backward_batch`]), which let the dense kernels reuse each loaded weight across the
/// samples of the chunk. The result does not depend on `CH`: every gradient entry receives the
/// per-sample contributions in batch order, and each per-sample value is computed in the order
/// documented on [`Dense`](crate::layer::Dense), so any `CH` gives the same bits as `CH = 1`
/// (and as the device). A desktop trainer uses `CH = 32`; a microcontroller keeps `CH = 1`.
///
/// # Memory
/// With P trainable parameters (frozen layers excluded):
/// `size_of = S::BYTES·P` (gradient) `+ size_of::<O::State>()·P` (optimizer state)
/// `+ size_of::<O::Global>() + 8` (step) `+ 32` (generator)
/// `+ CH·(size_of::<L::Cache>() + 2·S::BYTES·OUT)` (caches, outputs and their gradients)
/// `+ S::BYTES·OUT` (the target), rounded up to alignment.
/// For 784-100-10 f32 with Adam and `CH = 1`:
/// 4·79,510 + 8·79,510 + 40 + 4·(210 + 2·10) + 4·10 = 955,120 bytes (`CH = 32`: 983,640).
///
/// Stack during a step with `CH > 1` (the batched kernels work on blocks of 16 samples): for each
/// [`Chain`](crate::layer::Chain) `16·(size_of caches + 2·size_of hidden)`; for each dense layer
/// `S::BYTES·16·I` in the forward pass and `S::BYTES·16·O` in the backward pass; `CH = 1` needs
/// none of these.
#[derive(FromZeros)]
pub struct TrainState<S: Scalar, L: Layer<S>, O: Optimizer<S>, const CH: usize = 1> {
    grad: L::Params<S>,
    opt_state: L::Params<O::State>,
    global: O::Global,
    step: u64,
    rng: Rng,
    cache: [L::Cache; CH],
    out: [L::Output; CH],
    dy: [L::Output; CH],
    target: L::Output,
}

impl<S: Scalar, L: Layer<S>, O: Optimizer<S>, const CH: usize> TrainState<S, L, O, CH> {
    /// A fresh state (on the stack: for small networks; see the type docs for large ones).
    pub fn new(seed: u64) -> Self {
        let mut s = Self::new_zeroed();
        s.reset(seed);
        s
    }

    /// Clears the optimizer state and the step counter and reseeds the generator, in place.
    pub fn reset(&mut self, seed: u64) {
        const { assert!(CH >= 1, "a TrainState needs a chunk of at least one sample") };
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
        self.check_batch(inputs, targets)?;
        self.grad.zero();
        let n = S::from_usize(inputs.len());
        Ok(self.accumulate(net, loss, inputs, targets, n, false)? / n)
    }

    /// The checks every batch starts with: not empty, a target per input, every target valid.
    fn check_batch<T: Target<S, L::Output>>(
        &mut self,
        inputs: &[L::Input],
        targets: &[T],
    ) -> Result<(), Error> {
        if inputs.is_empty() {
            return Err(Error::EmptyBatch);
        }
        if inputs.len() != targets.len() {
            return Err(Error::BatchLengthMismatch {
                inputs: inputs.len(),
                targets: targets.len(),
            });
        }
        for t in targets {
            t.write_to(&mut self.target)?;
        }
        Ok(())
    }

    /// Forward and backward passes chunk by chunk, each sample's loss gradient divided by `n`,
    /// adding to the held gradient ([`Layer::backward_batch_deferred`] if `deferred`); returns
    /// the sum of the losses, added sample by sample.
    fn accumulate<M, Lo, T>(
        &mut self,
        net: &Network<S, L, M>,
        loss: &Lo,
        inputs: &[L::Input],
        targets: &[T],
        n: S,
        deferred: bool,
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S>,
        T: Target<S, L::Output>,
    {
        let mut total = S::ZERO;
        for (xs, ts) in inputs.chunks(CH).zip(targets.chunks(CH)) {
            let k = xs.len();
            let (Some(cache), Some(out), Some(dy)) = (
                self.cache.get_mut(..k),
                self.out.get_mut(..k),
                self.dy.get_mut(..k),
            ) else {
                continue;
            };
            net.layers.forward_batch::<M>(xs, cache, out);
            for ((t, out), dy) in ts.iter().zip(out.iter()).zip(dy.iter_mut()) {
                t.write_to(&mut self.target)?;
                total +=
                    loss.value_grad::<M>(out.as_slice(), self.target.as_slice(), dy.as_mut_slice());
                for d in dy.as_mut_slice() {
                    *d /= n;
                }
            }
            if deferred {
                net.layers
                    .backward_batch_deferred::<M>(xs, cache, out, dy, &mut self.grad);
            } else {
                net.layers
                    .backward_batch::<M>(xs, cache, out, dy, None, &mut self.grad);
            }
        }
        Ok(total)
    }

    /// [`TrainState::gradients`] for `inputs`, one part of a batch of `batch_len` samples shared
    /// between several states (threads), with the first layer's weight gradient deferred
    /// ([`Layer::DEFERRED_ROWS`]): returns this part's share of the batch-mean loss,
    /// `Σ ℓ / batch_len`, and holds the gradient of that share (each sample's ∂L/∂y is its loss
    /// gradient divided by `batch_len`) except for the deferred rows, which it neither zeroes nor
    /// writes. Each sample's terms of those rows are left in the chunk for
    /// [`TrainState::deferred_weight_gradient`], called with the same `inputs`.
    ///
    /// Adding the parts' gradients in order with [`TrainState::apply_deferred_gradient_with`],
    /// after the deferred rows were summed over the whole batch by rows, gives a step whose
    /// first-layer weight gradient has the bits of [`TrainState::gradients`] on the whole batch.
    ///
    /// Errors: those of [`TrainState::gradients`]; [`Error::InvalidParameter`] if the network
    /// defers nothing, if `inputs` has more than `CH` samples (all of them must stay in the
    /// chunk) or if `batch_len` is smaller than `inputs`.
    pub fn gradients_deferred<M, Lo, T>(
        &mut self,
        net: &Network<S, L, M>,
        loss: &Lo,
        inputs: &[L::Input],
        targets: &[T],
        batch_len: usize,
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S>,
        T: Target<S, L::Output>,
    {
        self.check_batch(inputs, targets)?;
        if L::DEFERRED_ROWS == 0 {
            return Err(Error::InvalidParameter("deferred rows"));
        }
        if inputs.len() > CH || batch_len < inputs.len() {
            return Err(Error::InvalidParameter("batch_len"));
        }
        let mut slice = 0;
        self.grad.for_each_slice_mut(&mut |g| {
            if slice != 0 {
                g.fill(S::ZERO);
            }
            slice += 1;
        });
        let n = S::from_usize(batch_len);
        Ok(self.accumulate(net, loss, inputs, targets, n, true)? / n)
    }

    /// Adds the deferred first-layer weight-gradient terms of the samples of the last
    /// [`TrainState::gradients_deferred`] (`inputs` are the same inputs again), sample by sample
    /// in order, to `rows`: rows `first_row..` of that gradient, in the layout of
    /// [`TrainState::deferred_grad_mut`]. Called for every part of a batch in batch order on
    /// the same rows (starting from zeros), it gives those rows the bits
    /// [`TrainState::gradients`] gives them for the whole batch.
    pub fn deferred_weight_gradient<M: Math<S>>(
        &self,
        net: &Network<S, L, M>,
        inputs: &[L::Input],
        first_row: usize,
        rows: &mut [S],
    ) {
        net.layers
            .deferred_weight_gradient(inputs.iter().zip(self.cache.iter()), first_row, rows);
    }

    /// The deferred first-layer weight gradient within the held gradient
    /// ([`Layer::deferred_weight_grad`]; [`Layer::DEFERRED_ROWS`] rows), to be filled by rows
    /// through [`TrainState::deferred_weight_gradient`] before
    /// [`TrainState::apply_deferred_gradient_with`].
    pub fn deferred_grad_mut(&mut self) -> &mut [S] {
        L::deferred_weight_grad(&mut self.grad)
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
        self.apply_gradient(net, optimizer, value)
    }

    /// One optimizer update from the gradient currently held ([`TrainState::grad`]) with `value`
    /// as the batch loss: what [`TrainState::step`] does after computing the gradient, with the
    /// same rejection of non-finite losses and gradients and invalid hyper-parameters (then
    /// nothing changes). Returns `value`.
    ///
    /// With [`TrainState::set_weighted_gradient`] this lets a caller compute the gradient some
    /// other way, e.g. over shards of the batch on several threads.
    pub fn apply_gradient<M: Math<S>>(
        &mut self,
        net: &mut Network<S, L, M>,
        optimizer: &O,
        value: S,
    ) -> Result<S, Error> {
        check_step(optimizer, value)?;
        let mut finite = true;
        self.grad.for_each_slice(&mut |g| finite &= all_finite(g));
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

    /// [`TrainState::set_weighted_gradient_with`] followed by [`TrainState::apply_gradient_with`]
    /// in fewer passes: the first two parts are combined in one pass, and the finite check rides
    /// on the last part's accumulation. The same
    /// result, bits and rejection (a non-finite loss or combined gradient changes nothing but
    /// the gradient buffer).
    pub fn apply_weighted_gradient_with<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        parts: &[(&L::Params<S>, S)],
        optimizer: &O,
        value: S,
        join: &J,
    ) -> Result<S, Error> {
        self.apply_parts_with(net, parts, false, optimizer, value, join)
    }

    /// The step of a batch computed in parts by [`TrainState::gradients_deferred`]: the held
    /// gradient's deferred rows ([`TrainState::deferred_grad_mut`], filled by
    /// [`TrainState::deferred_weight_gradient`]) are kept as they are, every other entry is
    /// set to `0 + w₀·g₀ + w₁·g₁ + …` over `parts = [(g₀, w₀), …]` in order (the parts of
    /// [`TrainState::gradients_deferred`] are already divided by the batch length: wₖ = 1);
    /// then the finite check and the update of [`TrainState::apply_weighted_gradient_with`],
    /// with the same rejection.
    pub fn apply_deferred_gradient_with<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        parts: &[(&L::Params<S>, S)],
        optimizer: &O,
        value: S,
        join: &J,
    ) -> Result<S, Error> {
        self.apply_parts_with(net, parts, L::DEFERRED_ROWS > 0, optimizer, value, join)
    }

    /// `apply_weighted_gradient_with`, the first slice of the held gradient kept as it is if
    /// `keep`.
    fn apply_parts_with<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        parts: &[(&L::Params<S>, S)],
        keep: bool,
        optimizer: &O,
        value: S,
        join: &J,
    ) -> Result<S, Error> {
        if optimizer.uses_rng() || parts.is_empty() {
            self.set_parts_with(net, parts, keep, join);
            return self.apply_gradient_with(net, optimizer, value, join);
        }
        check_step(optimizer, value)?;
        let mut finite = true;
        let last = parts.len() - 1;
        // The first two parts in one pass (two threads' shards): each entry (0 + w₀·g₀) + w₁·g₁,
        // rounded after each operation exactly as two passes through the buffer round it.
        let mut fused = 0;
        if let [(g0, w0), (g1, w1), ..] = *parts {
            let mut slice = 0;
            net.layers
                .for_each_param::<S>(g0, &mut self.grad, &mut |_, a, acc| {
                    if keep && slice == 0 {
                        finite &= finite_split(join, acc);
                        slice += 1;
                        return;
                    }
                    // The matching slice of g₁: the same type, walked in the same order.
                    let mut k = 0;
                    g1.for_each_slice(&mut |b| {
                        if k == slice {
                            finite &= split_fold2(join, acc, a, b, &|acc, a, b| {
                                for ((o, &x), &y) in acc.iter_mut().zip(a).zip(b) {
                                    *o = (S::ZERO + w0 * x) + w1 * y;
                                }
                                last != 1 || all_finite(acc)
                            });
                        }
                        k += 1;
                    });
                    slice += 1;
                });
            fused = 2;
        }
        for (k, &(g, w)) in parts.iter().enumerate().skip(fused) {
            let first = k == 0;
            let mut slice = 0;
            net.layers
                .for_each_param::<S>(g, &mut self.grad, &mut |_, g, acc| {
                    slice += 1;
                    if keep && slice == 1 {
                        if first {
                            finite &= finite_split(join, acc);
                        }
                        return;
                    }
                    let ok = split_fold(join, acc, g, &|acc: &mut [S], g: &[S]| {
                        for (a, &g) in acc.iter_mut().zip(g) {
                            *a = if first { S::ZERO } else { *a } + w * g;
                        }
                        k != last || all_finite(acc)
                    });
                    finite &= ok;
                });
        }
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
        self.update_split(net, optimizer, value, join);
        Ok(value)
    }

    /// [`TrainState::apply_gradient`] with the finite check and the optimizer update cut into
    /// pieces of at least [`SPLIT_MIN`] parameters and run through `join` (e.g. on several
    /// threads). Bit-identical to [`TrainState::apply_gradient`]: every optimizer but Santa
    /// updates each parameter from its own gradient and state; for an optimizer that draws from
    /// the generator ([`Optimizer::uses_rng`]) the update runs in order on the calling thread.
    pub fn apply_gradient_with<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        optimizer: &O,
        value: S,
        join: &J,
    ) -> Result<S, Error> {
        if optimizer.uses_rng() {
            return self.apply_gradient(net, optimizer, value);
        }
        check_step(optimizer, value)?;
        let mut finite = true;
        self.grad
            .for_each_slice(&mut |g| finite &= finite_split(join, g));
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
        self.update_split(net, optimizer, value, join);
        Ok(value)
    }

    /// Counts the step and applies the optimizer to the held (checked) gradient, cut into
    /// pieces through `join`; only for optimizers that do not draw from the generator.
    fn update_split<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        optimizer: &O,
        value: S,
        join: &J,
    ) {
        self.step += 1;
        let step = optimizer.begin_step::<M>(&mut self.global, self.step, value);
        let update = |p: &mut [S], g: &[S], s: &mut [O::State]| {
            // Not drawn from: `uses_rng` is false.
            optimizer.update::<M>(&step, p, g, s, &mut Rng::seed(0))
        };
        net.layers
            .for_each_param(&self.grad, &mut self.opt_state, &mut |p, g, s| {
                split_update(join, p, g, s, &update)
            });
    }

    /// Sets the held gradient to `Σₖ wₖ·gₖ` over `parts = [(g₀, w₀), (g₁, w₁), …]`, summed in
    /// that order for every entry (`0 + w₀·g₀ + w₁·g₁ + …`), so the result is reproducible.
    ///
    /// Data-parallel training computes the mean gradient of each shard of a batch (shard k of
    /// nₖ samples out of n) and combines them with wₖ = nₖ/n. `net` is only borrowed mutably to
    /// walk the parameters; it is not changed.
    pub fn set_weighted_gradient<M: Math<S>>(
        &mut self,
        net: &mut Network<S, L, M>,
        parts: &[(&L::Params<S>, S)],
    ) {
        self.set_weighted_gradient_with(net, parts, &Sequential);
    }

    /// [`TrainState::set_weighted_gradient`] with the work cut into pieces of at least
    /// [`SPLIT_MIN`] values and run through `join` (e.g. on several threads); the same bits, since
    /// each gradient entry is computed on its own, as `0 + w₀·g₀ + w₁·g₁ + …`.
    pub fn set_weighted_gradient_with<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        parts: &[(&L::Params<S>, S)],
        join: &J,
    ) {
        self.set_parts_with(net, parts, false, join);
    }

    /// `set_weighted_gradient_with`, the first slice of the held gradient kept as it is if
    /// `keep`.
    fn set_parts_with<M: Math<S>, J: Join + Sync>(
        &mut self,
        net: &mut Network<S, L, M>,
        parts: &[(&L::Params<S>, S)],
        keep: bool,
        join: &J,
    ) {
        if parts.is_empty() {
            let mut slice = 0;
            self.grad.for_each_slice_mut(&mut |g| {
                if !(keep && slice == 0) {
                    g.fill(S::ZERO);
                }
                slice += 1;
            });
        }
        for (k, &(g, w)) in parts.iter().enumerate() {
            let first = k == 0;
            let mut slice = 0;
            net.layers
                .for_each_param::<S>(g, &mut self.grad, &mut |_, g, acc| {
                    slice += 1;
                    if keep && slice == 1 {
                        return;
                    }
                    split_mut(join, acc, g, &|acc: &mut [S], g: &[S]| {
                        for (a, &g) in acc.iter_mut().zip(g) {
                            *a = if first { S::ZERO } else { *a } + w * g;
                        }
                    });
                });
        }
    }
}

/// The checks every update starts with: valid hyper-parameters and a finite loss.
fn check_step<S: Scalar, O: Optimizer<S>>(optimizer: &O, value: S) -> Result<(), Error> {
    optimizer.validate()?;
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NonFiniteLoss)
    }
}

/// Runs two closures, possibly at the same time: the hook through which a host trainer spreads
/// the element-wise parts of a step (the gradient reduction, the finite check and the optimizer
/// update, see [`TrainState::apply_gradient_with`]) over threads, e.g. with `rayon::join`.
pub trait Join {
    /// Runs `a` and `b` and returns when both have finished.
    fn join<A: FnOnce() + Send, B: FnOnce() + Send>(&self, a: A, b: B);
}

/// A [`Join`] that runs both closures on the calling thread, `a` first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sequential;

impl Join for Sequential {
    #[inline]
    fn join<A: FnOnce() + Send, B: FnOnce() + Send>(&self, a: A, b: B) {
        a();
        b();
    }
}

/// Slices with at most this many values are not cut further by the `_with` methods of
/// [`TrainState`] (large enough that handing a piece to another thread costs little next to it).
pub const SPLIT_MIN: usize = 16_384;

/// `f(a, b)` over matching halves of `a` and `b`, recursively, pieces of at most [`SPLIT_MIN`].
fn split_mut<S: Send + Sync, J: Join + Sync>(
    join: &J,
    a: &mut [S],
    b: &[S],
    f: &(impl Fn(&mut [S], &[S]) + Sync),
) {
    if a.len() <= SPLIT_MIN {
        return f(a, b);
    }
    let mid = a.len() / 2;
    let (a0, a1) = a.split_at_mut(mid);
    let (b0, b1) = b.split_at(mid.min(b.len()));
    join.join(|| split_mut(join, a0, b0, f), || split_mut(join, a1, b1, f));
}

/// `f(a, b)` over matching halves of `a` and `b`, recursively, pieces of at most [`SPLIT_MIN`];
/// `true` if `f` returned `true` for every piece.
fn split_fold<S: Send + Sync, J: Join + Sync>(
    join: &J,
    a: &mut [S],
    b: &[S],
    f: &(impl Fn(&mut [S], &[S]) -> bool + Sync),
) -> bool {
    split_fold2(join, a, b, b, &|a, b, _| f(a, b))
}

/// [`split_fold`] with two slices read alongside `a`: `f(a, b, c)` over matching pieces.
fn split_fold2<S: Send + Sync, J: Join + Sync>(
    join: &J,
    a: &mut [S],
    b: &[S],
    c: &[S],
    f: &(impl Fn(&mut [S], &[S], &[S]) -> bool + Sync),
) -> bool {
    if a.len() <= SPLIT_MIN {
        return f(a, b, c);
    }
    let mid = a.len() / 2;
    let (a0, a1) = a.split_at_mut(mid);
    let (b0, b1) = b.split_at(mid.min(b.len()));
    let (c0, c1) = c.split_at(mid.min(c.len()));
    let (mut l, mut r) = (true, true);
    join.join(
        || l = split_fold2(join, a0, b0, c0, f),
        || r = split_fold2(join, a1, b1, c1, f),
    );
    l & r
}

/// `f(p, g, s)` over matching halves, recursively, pieces of at most [`SPLIT_MIN`].
fn split_update<S: Send + Sync, T: Send + Sync, J: Join + Sync>(
    join: &J,
    p: &mut [S],
    g: &[S],
    s: &mut [T],
    f: &(impl Fn(&mut [S], &[S], &mut [T]) + Sync),
) {
    if p.len() <= SPLIT_MIN {
        return f(p, g, s);
    }
    let mid = p.len() / 2;
    let (p0, p1) = p.split_at_mut(mid);
    let (g0, g1) = g.split_at(mid.min(g.len()));
    let (s0, s1) = s.split_at_mut(mid.min(s.len()));
    join.join(
        || split_update(join, p0, g0, s0, f),
        || split_update(join, p1, g1, s1, f),
    );
}

/// [`all_finite`] over halves, recursively, pieces of at most [`SPLIT_MIN`].
fn finite_split<S: Scalar, J: Join + Sync>(join: &J, g: &[S]) -> bool {
    if g.len() <= SPLIT_MIN {
        return all_finite(g);
    }
    let (g0, g1) = g.split_at(g.len() / 2);
    let (mut a, mut b) = (true, true);
    join.join(|| a = finite_split(join, g0), || b = finite_split(join, g1));
    a & b
}

/// `true` if no value is NaN or ±∞. Checks 16 values at a time without stopping early inside a
/// group, so that the check vectorises (a short-circuiting scan was a third of an online-SGD
/// step).
#[inline]
fn all_finite<S: Scalar>(g: &[S]) -> bool {
    let mut chunks = g.chunks_exact(16);
    let mut ok = true;
    for c in &mut chunks {
        ok &= c.iter().fold(true, |a, v| a & v.is_finite());
        if !ok {
            return false;
        }
    }
    ok & chunks.remainder().iter().all(|v| v.is_finite())
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::activation::{Identity, Relu, Tanh};
    use crate::layer::{Chain, Dense, Frozen};
    use crate::loss::SoftmaxCrossEntropy;
    use crate::math::Libm;
    use crate::optim::{Adam, Sgd};
    use std::boxed::Box;
    use std::vec::Vec;

    type Mlp = Chain<Dense<f32, 13, 9, Relu>, Chain<Dense<f32, 9, 7, Tanh>, Dense<f32, 7, 3>>>;
    type Tuned = Chain<Frozen<Dense<f32, 13, 9, Relu>>, Dense<f32, 9, 3, Identity>>;

    fn data(n: usize, seed: u64) -> (Vec<[f32; 13]>, Vec<usize>) {
        let mut r = Rng::seed(seed);
        let xs = (0..n)
            .map(|_| core::array::from_fn(|_| r.uniform_in(-2.0f32, 2.0)))
            .collect();
        let ts = (0..n).map(|i| (i * 7 + seed as usize) % 3).collect();
        (xs, ts)
    }

    fn weights<L: Layer<f32>>(net: &Network<f32, L>) -> Vec<u32> {
        let mut v = Vec::new();
        net.layers
            .weights(&mut |w| v.extend(w.iter().map(|x| x.to_bits())));
        v
    }

    /// Trains with chunks of `CH` samples; returns the weight bits and the loss bits.
    fn train<L: Layer<f32, Input = [f32; 13], Output = [f32; 3]> + FromZeros, const CH: usize>(
        batches: &[usize],
    ) -> (Vec<u32>, Vec<u32>) {
        let mut net = Network::<f32, L>::new_zeroed();
        net.init(3);
        let mut st = Box::new(TrainState::<f32, L, Adam<f32>, CH>::new(1));
        let mut losses = Vec::new();
        for (k, &b) in batches.iter().enumerate() {
            let (xs, ts) = data(b, k as u64);
            let l = st
                .step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts)
                .unwrap();
            losses.push(l.to_bits());
        }
        (weights(&net), losses)
    }

    /// A [`Join`] on two real threads.
    struct Threads;
    impl Join for Threads {
        fn join<A: FnOnce() + Send, B: FnOnce() + Send>(&self, a: A, b: B) {
            std::thread::scope(|s| {
                s.spawn(b);
                a();
            });
        }
    }

    /// The `_with` forms cut the 40,000-weight slice into pieces (some on another thread) and
    /// must give the bits of the plain forms: reduction, finite check and update, for Adam and
    /// for an optimizer that draws from the generator (SantaE, which falls back to one thread).
    #[test]
    fn split_steps_have_the_bits_of_plain_steps() {
        use crate::optim::{AnyOptimizer, SantaE};
        type Wide = Chain<Dense<f32, 400, 100, Relu>, Dense<f32, 100, 3, Identity>>;
        const { assert!(400 * 100 > 2 * SPLIT_MIN) };
        let xs: Vec<[f32; 400]> = (0..6)
            .map(|k| core::array::from_fn(|i| ((i * 31 + k * 17) % 23) as f32 / 23.0 - 0.4))
            .collect();
        let ts: Vec<usize> = (0..6).map(|k| k % 3).collect();
        for opt in [
            AnyOptimizer::Adam(Adam::new(0.01)),
            AnyOptimizer::SantaE(SantaE::default()),
        ] {
            let mut runs: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
            for how in 0..4 {
                let mut net = Box::new(Network::<f32, Wide>::new_zeroed());
                net.init(5);
                let mut main = Box::new(TrainState::<f32, Wide, AnyOptimizer<f32>>::new(9));
                let mut parts = [
                    Box::new(TrainState::<f32, Wide, Sgd<f32>>::new(0)),
                    Box::new(TrainState::<f32, Wide, Sgd<f32>>::new(0)),
                ];
                let mut losses = Vec::new();
                for _ in 0..4 {
                    let l0 = parts[0].gradients(&net, &SoftmaxCrossEntropy, &xs[..4], &ts[..4]);
                    let l1 = parts[1].gradients(&net, &SoftmaxCrossEntropy, &xs[4..], &ts[4..]);
                    let value = (4.0 * l0.unwrap() + 2.0 * l1.unwrap()) / 6.0;
                    let weighted = [(parts[0].grad(), 4.0 / 6.0), (parts[1].grad(), 2.0 / 6.0)];
                    let l = match how {
                        0 => {
                            main.set_weighted_gradient(&mut net, &weighted);
                            main.apply_gradient(&mut net, &opt, value)
                        }
                        1 => {
                            main.set_weighted_gradient_with(&mut net, &weighted, &Sequential);
                            main.apply_gradient_with(&mut net, &opt, value, &Sequential)
                        }
                        2 => {
                            main.set_weighted_gradient_with(&mut net, &weighted, &Threads);
                            main.apply_gradient_with(&mut net, &opt, value, &Threads)
                        }
                        _ => main.apply_weighted_gradient_with(
                            &mut net, &weighted, &opt, value, &Threads,
                        ),
                    };
                    losses.push(l.unwrap().to_bits());
                }
                let mut state = Vec::new();
                main.optimizer_state()
                    .for_each_slice(&mut |s| state.extend(s.iter().flatten().map(|v| v.to_bits())));
                let mut w = weights(&net);
                w.extend(state);
                runs.push((w, losses));
            }
            assert!(runs[0].0 != weights(&Network::<f32, Wide>::new_zeroed()));
            assert_eq!(runs[0], runs[1], "{}: split, one thread", opt.name());
            assert_eq!(runs[0], runs[2], "{}: split, two threads", opt.name());
            assert_eq!(runs[0], runs[3], "{}: fused, two threads", opt.name());
        }
    }

    /// The gradient of every slice of a network, as bits, in `for_each_slice` order.
    fn slices<L: Layer<f32>>(g: &L::Params<f32>) -> Vec<Vec<u32>> {
        let mut v = Vec::new();
        g.for_each_slice(&mut |s| v.push(s.iter().map(|x| x.to_bits()).collect()));
        v
    }

    /// A batch computed in parts with the first layer's weight gradient deferred, and its rows
    /// summed over the whole batch in uneven pieces: those rows have the bits of `gradients` on
    /// the whole batch, and so do the weights the step updates from them; the other slices are
    /// the parts added in order. With one part, every slice and the loss have the whole batch's
    /// bits. Both input-major first layers, on inputs a third of them zero.
    #[test]
    fn deferred_rows_have_the_bits_of_the_whole_batch() {
        use crate::layer::{SparseInputDense, TransposedDense};
        type Rest = Chain<Dense<f32, 9, 7, Tanh>, Dense<f32, 7, 3>>;
        fn check<F>(cuts: &[usize])
        where
            F: Layer<f32, Input = [f32; 13], Output = [f32; 9]> + FromZeros,
        {
            type Net<F> = Chain<F, Rest>;
            assert_eq!(<Net<F> as Layer<f32>>::DEFERRED_ROWS, 13);
            let (mut xs, ts) = data(12, 4);
            for (k, x) in xs.iter_mut().enumerate() {
                for (i, v) in x.iter_mut().enumerate() {
                    if (i + k) % 3 == 0 {
                        *v = 0.0;
                    }
                }
            }
            let mut net = Network::<f32, Net<F>>::new_zeroed();
            net.init(6);
            let mut whole = Box::new(TrainState::<f32, Net<F>, Sgd<f32>>::new(0));
            let value = whole
                .gradients(&net, &SoftmaxCrossEntropy, &xs, &ts)
                .unwrap();
            let expected = slices::<Net<F>>(whole.grad());
            let mut reference = Network::<f32, Net<F>>::new_zeroed();
            reference.init(6);
            whole
                .apply_gradient(&mut reference, &Sgd::new(0.1), value)
                .unwrap();

            type Part<F> = TrainState<f32, Net<F>, Sgd<f32>, 16>;
            let mut parts: Vec<Box<Part<F>>> = Vec::new();
            let mut total = 0.0;
            let bounds: Vec<usize> = core::iter::once(0).chain(cuts.iter().copied()).collect();
            for w in bounds.windows(2) {
                let mut p = Box::new(TrainState::new(0));
                let (x, t) = (&xs[w[0]..w[1]], &ts[w[0]..w[1]]);
                total += p
                    .gradients_deferred(&net, &SoftmaxCrossEntropy, x, t, 12)
                    .unwrap();
                parts.push(p);
            }
            let mut main = Box::new(TrainState::<f32, Net<F>, Sgd<f32>>::new(0));
            let rows = main.deferred_grad_mut();
            assert_eq!(rows.len(), 13 * 9);
            rows.fill(f32::NAN);
            let (a, rest) = rows.split_at_mut(4 * 9);
            let (b, c) = rest.split_at_mut(9);
            for (first, piece) in [(0, a), (4, b), (5, c)] {
                piece.fill(0.0);
                for (p, w) in parts.iter().zip(bounds.windows(2)) {
                    p.deferred_weight_gradient(&net, &xs[w[0]..w[1]], first, piece);
                }
            }
            let weighted: Vec<_> = parts.iter().map(|p| (p.grad(), 1.0f32)).collect();
            main.apply_deferred_gradient_with(
                &mut net,
                &weighted,
                &Sgd::new(0.1),
                total,
                &Sequential,
            )
            .unwrap();
            let got = slices::<Net<F>>(main.grad());
            assert_eq!(got[0], expected[0], "deferred rows, parts {cuts:?}");
            let mut w = Vec::new();
            net.layers
                .weights(&mut |s| w.push(s.iter().map(|x| x.to_bits()).collect::<Vec<_>>()));
            let mut r = Vec::new();
            reference
                .layers
                .weights(&mut |s| r.push(s.iter().map(|x| x.to_bits()).collect::<Vec<_>>()));
            assert_eq!(w[0], r[0], "updated first-layer weights, parts {cuts:?}");
            // The other slices: (0 + g₀) + g₁ + … worked here from the parts' own gradients.
            let own: Vec<Vec<Vec<u32>>> =
                parts.iter().map(|p| slices::<Net<F>>(p.grad())).collect();
            for (k, g) in got.iter().enumerate().skip(1) {
                let sum: Vec<u32> = (0..g.len())
                    .map(|e| {
                        own.iter()
                            .fold(0.0f32, |a, p| a + f32::from_bits(p[k][e]))
                            .to_bits()
                    })
                    .collect();
                assert_eq!(*g, sum, "slice {k}, parts {cuts:?}");
                for (&a, &b) in g.iter().zip(&expected[k]) {
                    let (a, b) = (f32::from_bits(a), f32::from_bits(b));
                    assert!(
                        (a - b).abs() <= 1e-6 * (1.0 + b.abs()),
                        "slice {k}: {a} vs {b}"
                    );
                }
            }
            if cuts == [12] {
                assert_eq!(got, expected, "one part");
                assert_eq!(total.to_bits(), value.to_bits(), "one part's loss");
                assert_eq!(w, r, "one part's step");
            }
        }
        for cuts in [&[12][..], &[5, 6, 12], &[1, 12]] {
            check::<SparseInputDense<f32, 13, 9, Relu>>(cuts);
            check::<TransposedDense<f32, 13, 9, Relu>>(cuts);
        }
    }

    /// With an optimizer that draws from the generator (SantaE: one thread, in order), a batch
    /// computed as one deferred part gives the bits of the plain step, its deferred rows kept.
    #[test]
    fn deferred_steps_with_a_drawing_optimizer_have_the_bits_of_plain_steps() {
        use crate::layer::SparseInputDense;
        use crate::optim::SantaE;
        type Sparse = Chain<SparseInputDense<f32, 13, 9, Relu>, Dense<f32, 9, 3>>;
        let (mut xs, ts) = data(7, 5);
        for x in &mut xs {
            x[3] = 0.0;
        }
        let opt = SantaE::default();
        let mut plain = Network::<f32, Sparse>::new_zeroed();
        plain.init(2);
        let mut net = Network::<f32, Sparse>::new_zeroed();
        net.init(2);
        let mut one = Box::new(TrainState::<f32, Sparse, SantaE<f32>>::new(8));
        let mut main = Box::new(TrainState::<f32, Sparse, SantaE<f32>>::new(8));
        let mut part = Box::new(TrainState::<f32, Sparse, Sgd<f32>, 8>::new(0));
        for _ in 0..3 {
            let a = one.step(&mut plain, &opt, &SoftmaxCrossEntropy, &xs, &ts);
            let v = part.gradients_deferred(&net, &SoftmaxCrossEntropy, &xs, &ts, 7);
            let rows = main.deferred_grad_mut();
            rows.fill(0.0);
            part.deferred_weight_gradient(&net, &xs, 0, rows);
            let b = main.apply_deferred_gradient_with(
                &mut net,
                &[(part.grad(), 1.0)],
                &opt,
                v.unwrap(),
                &Threads,
            );
            assert_eq!(a.unwrap().to_bits(), b.unwrap().to_bits());
            assert_eq!(weights(&net), weights(&plain));
        }
    }

    /// What `gradients_deferred` refuses, changing nothing; and a non-finite deferred row
    /// rejects the step with the network and the step counter as they were.
    #[test]
    fn deferred_steps_reject_what_they_cannot_do() {
        use crate::layer::SparseInputDense;
        type Sparse = Chain<SparseInputDense<f32, 13, 9, Relu>, Dense<f32, 9, 3>>;
        let (xs, ts) = data(6, 2);
        let mut dense = Network::<f32, Mlp>::new_zeroed();
        dense.init(1);
        let mut d = Box::new(TrainState::<f32, Mlp, Sgd<f32>, 8>::new(0));
        let e = d.gradients_deferred(&dense, &SoftmaxCrossEntropy, &xs, &ts, 6);
        assert_eq!(e, Err(Error::InvalidParameter("deferred rows")));
        assert!(<Mlp as Layer<f32>>::DEFERRED_ROWS == 0 && d.deferred_grad_mut().is_empty());
        let mut net = Network::<f32, Sparse>::new_zeroed();
        net.init(1);
        let mut p = Box::new(TrainState::<f32, Sparse, Sgd<f32>, 4>::new(0));
        let e = p.gradients_deferred(&net, &SoftmaxCrossEntropy, &xs, &ts, 6);
        assert_eq!(
            e,
            Err(Error::InvalidParameter("batch_len")),
            "more than CH samples"
        );
        let e = p.gradients_deferred(&net, &SoftmaxCrossEntropy, &xs[..3], &ts[..3], 2);
        assert_eq!(
            e,
            Err(Error::InvalidParameter("batch_len")),
            "a batch shorter than its part"
        );
        let v = p.gradients_deferred(&net, &SoftmaxCrossEntropy, &xs[..3], &ts[..3], 3);
        let before = weights(&net);
        let mut main = Box::new(TrainState::<f32, Sparse, Adam<f32>>::new(0));
        let rows = main.deferred_grad_mut();
        rows.fill(0.0);
        p.deferred_weight_gradient(&net, &xs[..3], 0, rows);
        rows[40] = f32::INFINITY;
        let e = main.apply_deferred_gradient_with(
            &mut net,
            &[(p.grad(), 1.0)],
            &Adam::new(0.01),
            v.unwrap(),
            &Threads,
        );
        assert_eq!(e, Err(Error::NonFiniteGradient));
        assert_eq!(weights(&net), before);
        assert_eq!(main.steps(), 0);
    }

    /// A non-finite gradient found in any piece rejects the split step and changes nothing.
    /// Three shards: the first two combined in one pass, the third added after, the bits of
    /// the plain combination.
    #[test]
    fn three_weighted_parts_have_the_bits_of_plain_steps() {
        type Wide = Chain<Dense<f32, 400, 100, Relu>, Dense<f32, 100, 3, Identity>>;
        let xs: Vec<[f32; 400]> = (0..6)
            .map(|k| core::array::from_fn(|i| ((i * 13 + k * 29) % 19) as f32 / 19.0 - 0.3))
            .collect();
        let ts: Vec<usize> = (0..6).map(|k| k % 3).collect();
        let mut parts = [
            Box::new(TrainState::<f32, Wide, Sgd<f32>>::new(0)),
            Box::new(TrainState::<f32, Wide, Sgd<f32>>::new(0)),
            Box::new(TrainState::<f32, Wide, Sgd<f32>>::new(0)),
        ];
        let mut results = Vec::new();
        for fused in [false, true] {
            let mut net = Box::new(Network::<f32, Wide>::new_zeroed());
            net.init(7);
            let mut main = Box::new(TrainState::<f32, Wide, Adam<f32>>::new(1));
            for _ in 0..3 {
                let mut value = 0.0;
                for (k, p) in parts.iter_mut().enumerate() {
                    let r = 2 * k..2 * k + 2;
                    value += p
                        .gradients(&net, &SoftmaxCrossEntropy, &xs[r.clone()], &ts[r])
                        .unwrap()
                        / 3.0;
                }
                let w = [
                    (parts[0].grad(), 0.25),
                    (parts[1].grad(), 0.5),
                    (parts[2].grad(), 0.25),
                ];
                let adam = Adam::new(0.01);
                if fused {
                    main.apply_weighted_gradient_with(&mut net, &w, &adam, value, &Threads)
                        .unwrap();
                } else {
                    main.set_weighted_gradient(&mut net, &w);
                    main.apply_gradient(&mut net, &adam, value).unwrap();
                }
            }
            results.push(weights(&net));
        }
        assert_eq!(results[0], results[1]);
    }

    #[test]
    fn split_steps_reject_non_finite_gradients() {
        type Wide = Chain<Dense<f32, 400, 100, Relu>, Dense<f32, 100, 3, Identity>>;
        let mut net = Box::new(Network::<f32, Wide>::new_zeroed());
        net.init(5);
        let xs = [[0.25f32; 400]; 2];
        let mut g = Box::new(TrainState::<f32, Wide, Sgd<f32>>::new(0));
        let v = g
            .gradients(&net, &SoftmaxCrossEntropy, &xs, &[0usize, 1])
            .unwrap();
        let mut main = Box::new(TrainState::<f32, Wide, Adam<f32>>::new(0));
        // An infinite weight: ∞·g is ±∞ (or NaN where g = 0) in every piece.
        let parts = [(g.grad(), f32::INFINITY)];
        main.set_weighted_gradient_with(&mut net, &parts, &Threads);
        let mut bad = 0;
        main.grad()
            .for_each_slice(&mut |s| bad += s.iter().filter(|v| !v.is_finite()).count());
        assert!(bad > 0);
        let before = weights(&net);
        let r = main.apply_gradient_with(&mut net, &Adam::new(0.01), v, &Threads);
        assert_eq!(r, Err(Error::NonFiniteGradient));
        assert_eq!(weights(&net), before);
        assert_eq!(main.steps(), 0);
        // The fused form finds it while combining: one part, two (combined in one pass; the
        // infinite one second or first) and three.
        let g = g.grad();
        for parts in [
            &[(g, f32::INFINITY)][..],
            &[(g, 0.5), (g, f32::INFINITY)],
            &[(g, f32::INFINITY), (g, 0.5)],
            &[(g, 0.5), (g, 0.25), (g, f32::INFINITY)],
            &[(g, 0.5), (g, f32::INFINITY), (g, 0.25)],
        ] {
            let r =
                main.apply_weighted_gradient_with(&mut net, parts, &Adam::new(0.01), v, &Threads);
            assert_eq!(r, Err(Error::NonFiniteGradient), "{} parts", parts.len());
            assert_eq!(weights(&net), before);
            assert_eq!(main.steps(), 0);
        }
        // And a finite gradient goes through.
        let parts = [(g, 1.0)];
        let r = main.apply_weighted_gradient_with(&mut net, &parts, &Adam::new(0.01), v, &Threads);
        assert_eq!(r, Ok(v));
        assert_ne!(weights(&net), before);
        assert_eq!(main.steps(), 1);
    }

    /// The memory table of docs/BENCHMARKS.md ("Memory: size_of for 784-100-10"), checked.
    #[test]
    fn sizes_of_the_784_100_10_network() {
        use core::mem::size_of;
        type Net = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;
        type Fine = Chain<Frozen<Dense<f32, 784, 100, Relu>>, Dense<f32, 100, 10, Identity>>;
        const P: usize = 784 * 100 + 100 + 100 * 10 + 10; // 79,510 parameters
        const HEAD: usize = 100 * 10 + 10; // 1,010 trainable when fine-tuning
        const CACHE: usize = 4 * (100 + 100 + 10); // z1, h, z2 of one sample
        const OUT: usize = 4 * 10;
        // step (8) + generator (32)
        let fixed = 8 + size_of::<Rng>();
        assert_eq!(size_of::<Rng>(), 32);
        assert_eq!(size_of::<Network<f32, Net>>(), 4 * P);
        assert_eq!(size_of::<Network<f32, Net>>(), 318_040);
        let sgd = |ch: usize| 4 * P + fixed + ch * (CACHE + 2 * OUT) + OUT;
        let adam = |ch: usize| 4 * P + 8 * P + fixed + ch * (CACHE + 2 * OUT) + OUT;
        assert_eq!(size_of::<TrainState<f32, Net, Sgd<f32>>>(), sgd(1));
        assert_eq!(size_of::<TrainState<f32, Net, Sgd<f32>>>(), 319_040);
        assert_eq!(size_of::<TrainState<f32, Net, Sgd<f32>, 32>>(), sgd(32));
        assert_eq!(size_of::<TrainState<f32, Net, Sgd<f32>, 32>>(), 347_560);
        assert_eq!(size_of::<TrainState<f32, Net, Adam<f32>>>(), adam(1));
        assert_eq!(size_of::<TrainState<f32, Net, Adam<f32>>>(), 955_120);
        assert_eq!(size_of::<TrainState<f32, Net, Adam<f32>, 32>>(), adam(32));
        assert_eq!(size_of::<TrainState<f32, Net, Adam<f32>, 32>>(), 983_640);
        let fine = 4 * HEAD + 8 * HEAD + fixed + (CACHE + 2 * OUT) + OUT;
        assert_eq!(size_of::<TrainState<f32, Fine, Adam<f32>>>(), fine);
        assert_eq!(size_of::<TrainState<f32, Fine, Adam<f32>>>(), 13_120);
        assert_eq!(size_of::<Network<f32, Fine>>(), 318_040);
        // Online SGD: no gradient, no generator; cache, output, its gradient, target, step.
        use crate::online::OnlineSgd;
        assert_eq!(size_of::<OnlineSgd<f32, Net>>(), CACHE + 3 * OUT + 8);
        assert_eq!(size_of::<OnlineSgd<f32, Net>>(), 968);
    }

    #[test]
    fn finite_check_finds_every_position() {
        for n in [0, 1, 15, 16, 17, 40] {
            let mut v = std::vec![1.0f32; n];
            assert!(all_finite(&v));
            for k in 0..n {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    v[k] = bad;
                    assert!(!all_finite(&v), "{n} {k}");
                    v[k] = 1.0;
                }
            }
        }
    }

    #[test]
    fn chunk_size_does_not_change_a_bit() {
        let batches = [1, 2, 5, 16, 17, 33, 40, 3];
        let one = train::<Mlp, 1>(&batches);
        assert_eq!(one, train::<Mlp, 2>(&batches));
        assert_eq!(one, train::<Mlp, 7>(&batches));
        assert_eq!(one, train::<Mlp, 32>(&batches));
        assert_eq!(one, train::<Mlp, 64>(&batches));
        let one = train::<Tuned, 1>(&batches);
        assert_eq!(one, train::<Tuned, 16>(&batches));
        assert_eq!(one, train::<Tuned, 33>(&batches));
    }

    #[test]
    fn batched_gradients_match_the_per_sample_plain_path() {
        // The per-sample path of the plain trait methods (no batching anywhere).
        let mut net = Network::<f32, Mlp>::new_zeroed();
        net.init(5);
        let (xs, ts) = data(37, 9);
        let mut st = Box::new(TrainState::<f32, Mlp, Sgd<f32>, 32>::new(0));
        let loss = st.gradients(&net, &SoftmaxCrossEntropy, &xs, &ts).unwrap();
        let mut grad = <Mlp as Layer<f32>>::Params::<f32>::new_zeroed();
        let mut cache = <Mlp as Layer<f32>>::Cache::new_zeroed();
        let mut total = 0.0f32;
        for (x, &t) in xs.iter().zip(&ts) {
            let mut y = [0.0f32; 3];
            net.layers.forward_cached::<Libm>(x, &mut cache, &mut y);
            let mut tv = [0.0f32; 3];
            tv[t] = 1.0;
            let mut dy = [0.0f32; 3];
            total += SoftmaxCrossEntropy.value_grad::<Libm>(&y, &tv, &mut dy);
            for d in &mut dy {
                *d /= 37.0;
            }
            net.layers
                .backward::<Libm>(x, &cache, &y, &dy, None, &mut grad);
        }
        assert_eq!((total / 37.0).to_bits(), loss.to_bits());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        grad.for_each_slice(&mut |g| a.extend(g.iter().map(|v| v.to_bits())));
        st.grad()
            .for_each_slice(&mut |g| b.extend(g.iter().map(|v| v.to_bits())));
        assert_eq!(a, b);
    }
}
