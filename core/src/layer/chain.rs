//! Sequential composition of two layers.

use super::{Layer, LayerShape, ParamStore, Vector};
use crate::init::Init;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, FromZeros, Immutable, KnownLayout};

/// `B ∘ A`: the output of `A` feeds `B`. Only compiles when `B::Input == A::Output`.
///
/// Chains nest: `Chain<L1, Chain<L2, L3>>` is a three-layer network.
///
/// # Memory
/// `size_of::<Chain<A, B>>() = size_of::<A>() + size_of::<B>()` (`#[repr(C)]`, no padding between
/// arrays of the same scalar).
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Chain<A, B> {
    /// The first layer.
    pub first: A,
    /// The second layer.
    pub second: B,
}

impl<A, B> Chain<A, B> {
    /// `second ∘ first`.
    pub const fn new(first: A, second: B) -> Self {
        Self { first, second }
    }
}

/// A pair of parameter containers (the gradient or optimizer state of a [`Chain`]).
///
/// `size_of::<Pair<A, B>>() = size_of::<A>() + size_of::<B>()` plus alignment padding (none when
/// both hold the same scalar type).
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Pair<A, B>(pub A, pub B);

impl<T, A: ParamStore<T>, B: ParamStore<T>> ParamStore<T> for Pair<A, B>
where
    Self: FromZeros,
{
    const COUNT: usize = A::COUNT + B::COUNT;
    #[inline]
    fn for_each_slice(&self, f: &mut impl FnMut(&[T])) {
        self.0.for_each_slice(f);
        self.1.for_each_slice(f);
    }
    #[inline]
    fn for_each_slice_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
        self.0.for_each_slice_mut(f);
        self.1.for_each_slice_mut(f);
    }
}

/// What a [`Chain`] keeps between forward and backward: both layers' caches and the hidden vector
/// between them.
#[derive(FromZeros)]
pub struct ChainCache<CA, H, CB> {
    /// The first layer's cache.
    pub first: CA,
    /// The first layer's output (the second layer's input).
    pub hidden: H,
    /// The second layer's cache.
    pub second: CB,
}

impl<S, A, B> Layer<S> for Chain<A, B>
where
    S: Scalar,
    A: Layer<S>,
    B: Layer<S, Input = A::Output>,
{
    type Input = A::Input;
    type Output = B::Output;
    type Cache = ChainCache<A::Cache, A::Output, B::Cache>;
    type Params<T: Copy + FromZeros + Send + Sync> = Pair<A::Params<T>, B::Params<T>>;

    #[inline]
    fn forward<M: Math<S>>(&self, x: &Self::Input, y: &mut Self::Output) {
        let mut h = A::Output::ZEROS;
        self.first.forward::<M>(x, &mut h);
        self.second.forward::<M>(&h, y);
    }

    #[inline]
    fn forward_cached<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &mut Self::Cache,
        y: &mut Self::Output,
    ) {
        self.first
            .forward_cached::<M>(x, &mut cache.first, &mut cache.hidden);
        self.second
            .forward_cached::<M>(&cache.hidden, &mut cache.second, y);
    }

    fn backward<M: Math<S>>(
        &self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        dx: Option<&mut Self::Input>,
        grad: &mut Self::Params<S>,
    ) {
        // ∂L/∂h is only needed if the first layer trains or the caller wants ∂L/∂x.
        let need_dh = <A::Params<S> as ParamStore<S>>::COUNT > 0 || dx.is_some();
        let mut dh = A::Output::ZEROS;
        self.second.backward::<M>(
            &cache.hidden,
            &cache.second,
            y,
            dy,
            if need_dh { Some(&mut dh) } else { None },
            &mut grad.1,
        );
        if need_dh {
            self.first
                .backward::<M>(x, &cache.first, &cache.hidden, &dh, dx, &mut grad.0);
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
        let mut dh = A::Output::ZEROS;
        self.second
            .backward_input::<M>(&cache.hidden, &cache.second, y, dy, &mut dh);
        self.first
            .backward_input::<M>(x, &cache.first, &cache.hidden, &dh, dx);
    }

    fn forward_batch<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &mut [Self::Output],
    ) {
        if x.len() <= 1 {
            for ((x, c), y) in x.iter().zip(cache.iter_mut()).zip(y.iter_mut()) {
                self.forward_cached::<M>(x, c, y);
            }
        } else {
            self.forward_blocks::<S, M>(x, cache, y);
        }
    }

    fn backward_batch<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &[Self::Output],
        dy: &[Self::Output],
        dx: Option<&mut [Self::Input]>,
        grad: &mut Self::Params<S>,
    ) {
        if x.len() <= 1 {
            super::backward_each::<S, Self, M>(self, x, cache, y, dy, dx, grad);
        } else {
            self.backward_blocks::<S, M>(x, cache, y, dy, dx, grad, false);
        }
    }

    const DEFERRED_ROWS: usize = A::DEFERRED_ROWS;

    /// The second layer's [`Layer::backward_batch`], then the first layer's
    /// [`Layer::backward_batch_deferred`], in blocks as [`Layer::backward_batch`].
    fn backward_batch_deferred<M: Math<S>>(
        &self,
        x: &[Self::Input],
        cache: &mut [Self::Cache],
        y: &[Self::Output],
        dy: &[Self::Output],
        grad: &mut Self::Params<S>,
    ) {
        self.backward_blocks::<S, M>(x, cache, y, dy, None, grad, true);
    }

    /// The first layer's.
    fn deferred_weight_gradient<'a, It>(&self, samples: It, first_row: usize, rows: &mut [S])
    where
        It: Iterator<Item = (&'a Self::Input, &'a Self::Cache)>,
    {
        self.first
            .deferred_weight_gradient(samples.map(|(x, c)| (x, &c.first)), first_row, rows);
    }

    /// The first layer's.
    fn deferred_weight_grad(grad: &mut Self::Params<S>) -> &mut [S] {
        A::deferred_weight_grad(&mut grad.0)
    }

    /// The second layer first (checked, then ∂L/∂h passed down), the first layer inside its
    /// `below`: the first layer's update, and everything under it, happens only once the second
    /// layer's gradient is known to be finite, and the second layer updates last.
    fn backward_sgd<M: Math<S>, K: FnOnce(&Self::Input) -> bool>(
        &mut self,
        x: &Self::Input,
        cache: &Self::Cache,
        y: &Self::Output,
        dy: &Self::Output,
        lr: S,
        below: Option<K>,
    ) -> bool {
        // ∂L/∂h is only needed if the first layer trains or the caller wants ∂L/∂x.
        let need_dh = <A::Params<S> as ParamStore<S>>::COUNT > 0 || below.is_some();
        let first = &mut self.first;
        let inner = |dh: &A::Output| {
            first.backward_sgd::<M, K>(x, &cache.first, &cache.hidden, dh, lr, below)
        };
        self.second.backward_sgd::<M, _>(
            &cache.hidden,
            &cache.second,
            y,
            dy,
            lr,
            if need_dh { Some(inner) } else { None },
        )
    }

    fn for_each_param<T: Copy + FromZeros + Send + Sync>(
        &mut self,
        grad: &Self::Params<S>,
        state: &mut Self::Params<T>,
        f: &mut impl FnMut(&mut [S], &[S], &mut [T]),
    ) {
        self.first.for_each_param(&grad.0, &mut state.0, f);
        self.second.for_each_param(&grad.1, &mut state.1, f);
    }

    const WEIGHT_COUNT: usize = A::WEIGHT_COUNT + B::WEIGHT_COUNT;

    fn weights(&self, f: &mut impl FnMut(&[S])) {
        self.first.weights(f);
        self.second.weights(f);
    }

    fn weights_mut(&mut self, f: &mut impl FnMut(&mut [S])) {
        self.first.weights_mut(f);
        self.second.weights_mut(f);
    }

    fn init<M: Math<S>>(&mut self, scheme: Init, rng: &mut Rng) {
        self.first.init::<M>(scheme, rng);
        self.second.init::<M>(scheme, rng);
    }

    fn shapes(f: &mut impl FnMut(LayerShape)) {
        A::shapes(f);
        B::shapes(f);
    }
}

/// Samples a [`Chain`] hands to its layers' batched methods at once.
const CHAIN_BLOCK: usize = crate::layer::kernel::BLOCK;

impl<A, B> Chain<A, B> {
    /// Batched forward in blocks of [`CHAIN_BLOCK`] samples. The layers' batched methods need
    /// each layer's caches and the hidden vectors contiguous, so they are computed in local
    /// arrays and then swapped into the per-sample [`ChainCache`]s. Stack:
    /// `CHAIN_BLOCK · (size_of A::Cache + size_of A::Output + size_of B::Cache)`.
    #[inline(never)]
    fn forward_blocks<S, M>(
        &self,
        x: &[A::Input],
        cache: &mut [ChainCache<A::Cache, A::Output, B::Cache>],
        y: &mut [B::Output],
    ) where
        S: Scalar,
        M: Math<S>,
        A: Layer<S>,
        B: Layer<S, Input = A::Output>,
    {
        let mut c1 = <[A::Cache; CHAIN_BLOCK]>::new_zeroed();
        let mut h = <[A::Output; CHAIN_BLOCK]>::new_zeroed();
        let mut c2 = <[B::Cache; CHAIN_BLOCK]>::new_zeroed();
        for ((xb, cb), yb) in x
            .chunks(CHAIN_BLOCK)
            .zip(cache.chunks_mut(CHAIN_BLOCK))
            .zip(y.chunks_mut(CHAIN_BLOCK))
        {
            let n = xb.len().min(cb.len()).min(yb.len());
            let (Some(c1), Some(h), Some(c2)) = (c1.get_mut(..n), h.get_mut(..n), c2.get_mut(..n))
            else {
                continue;
            };
            self.first.forward_batch::<M>(xb, c1, h);
            self.second.forward_batch::<M>(h, c2, yb);
            for (((slot, a), hh), b) in cb.iter_mut().zip(c1).zip(h).zip(c2) {
                core::mem::swap(&mut slot.first, a);
                core::mem::swap(&mut slot.hidden, hh);
                core::mem::swap(&mut slot.second, b);
            }
        }
    }

    /// Batched backward in blocks of [`CHAIN_BLOCK`] samples: the cached values are swapped out
    /// of the [`ChainCache`]s into local arrays, used, and swapped back. Each parameter still
    /// receives its per-sample contributions in batch order. With `deferred`, the first layer
    /// runs [`Layer::backward_batch_deferred`] (and `dx` is not written). Stack: as
    /// [`Chain::forward_blocks`] plus `CHAIN_BLOCK · size_of A::Output` for ∂L/∂hidden.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn backward_blocks<S, M>(
        &self,
        x: &[A::Input],
        cache: &mut [ChainCache<A::Cache, A::Output, B::Cache>],
        y: &[B::Output],
        dy: &[B::Output],
        mut dx: Option<&mut [A::Input]>,
        grad: &mut Pair<A::Params<S>, B::Params<S>>,
        deferred: bool,
    ) where
        S: Scalar,
        M: Math<S>,
        A: Layer<S>,
        B: Layer<S, Input = A::Output>,
    {
        let need_dh = <A::Params<S> as ParamStore<S>>::COUNT > 0 || dx.is_some();
        let mut c1 = <[A::Cache; CHAIN_BLOCK]>::new_zeroed();
        let mut h = <[A::Output; CHAIN_BLOCK]>::new_zeroed();
        let mut c2 = <[B::Cache; CHAIN_BLOCK]>::new_zeroed();
        let mut dh = <[A::Output; CHAIN_BLOCK]>::new_zeroed();
        let mut start = 0;
        for (((xb, cb), yb), dyb) in x
            .chunks(CHAIN_BLOCK)
            .zip(cache.chunks_mut(CHAIN_BLOCK))
            .zip(y.chunks(CHAIN_BLOCK))
            .zip(dy.chunks(CHAIN_BLOCK))
        {
            let n = xb.len().min(cb.len()).min(yb.len()).min(dyb.len());
            let (Some(c1), Some(h), Some(c2), Some(dh)) = (
                c1.get_mut(..n),
                h.get_mut(..n),
                c2.get_mut(..n),
                dh.get_mut(..n),
            ) else {
                continue;
            };
            for (((slot, a), hh), b) in cb
                .iter_mut()
                .zip(c1.iter_mut())
                .zip(h.iter_mut())
                .zip(c2.iter_mut())
            {
                core::mem::swap(&mut slot.first, a);
                core::mem::swap(&mut slot.hidden, hh);
                core::mem::swap(&mut slot.second, b);
            }
            self.second.backward_batch::<M>(
                h,
                c2,
                yb,
                dyb,
                if need_dh { Some(&mut *dh) } else { None },
                &mut grad.1,
            );
            if need_dh && deferred {
                self.first
                    .backward_batch_deferred::<M>(xb, c1, h, dh, &mut grad.0);
            } else if need_dh {
                let dxb = dx.as_deref_mut().and_then(|d| d.get_mut(start..start + n));
                self.first
                    .backward_batch::<M>(xb, c1, h, dh, dxb, &mut grad.0);
            }
            for (((slot, a), hh), b) in cb.iter_mut().zip(c1).zip(h).zip(c2) {
                core::mem::swap(&mut slot.first, a);
                core::mem::swap(&mut slot.hidden, hh);
                core::mem::swap(&mut slot.second, b);
            }
            start += n;
        }
    }
}
