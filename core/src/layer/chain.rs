//! Sequential composition of two layers.

use super::{Layer, ParamStore, Vector};
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
    type Params<T: Copy + FromZeros> = Pair<A::Params<T>, B::Params<T>>;

    #[inline]
    fn forward<M: Math<S>>(&self, x: &Self::Input, y: &mut Self::Output) {
        let mut h = A::Output::ZEROS;
        self.first.forward::<M>(x, &mut h);
        self.second.forward::<M>(&h, y);
    }

    #[inline]
    fn forward_cached<M: Math<S>>(&self, x: &Self::Input, cache: &mut Self::Cache, y: &mut Self::Output) {
        self.first.forward_cached::<M>(x, &mut cache.first, &mut cache.hidden);
        self.second.forward_cached::<M>(&cache.hidden, &mut cache.second, y);
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
            self.first.backward::<M>(x, &cache.first, &cache.hidden, &dh, dx, &mut grad.0);
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
        self.first.backward_input::<M>(x, &cache.first, &cache.hidden, &dh, dx);
    }

    fn for_each_param<T: Copy + FromZeros>(
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

    fn init<M: Math<S>>(&mut self, rng: &mut Rng) {
        self.first.init::<M>(rng);
        self.second.init::<M>(rng);
    }
}
