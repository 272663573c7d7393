//! The dense (fully connected) layer.

use super::{kernel, Layer, ParamStore};
use crate::activation::{Activation, Identity};
use crate::init::Init;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, FromZeros, Immutable, KnownLayout};

/// A dense layer followed by an activation: y = f(W·x + b), W ∈ S^{O×I}, b ∈ S^O.
///
/// Weights are stored output-major, `weight[o][i]`, as PyTorch's `nn.Linear` and dfdx store them.
/// The activation `A` is usually a zero-sized type (default [`Identity`]); parametrised ones
/// (`LeakyRelu<S>`, the run-time `ActivationKind<S>`) hold their few parameters.
///
/// Summation order (fixed, so that every target computes the same bits): for each output o,
/// `acc = 0; for i in 0..I { acc += weight[o][i] * x[i] }; z[o] = acc + bias[o]`, multiplies and
/// adds never fused.
///
/// # Memory
/// `size_of::<Dense<S, I, O, A>>() = S::BYTES · (I·O + O) + size_of::<A>()` (0 for the zero-sized
/// activations, plus any alignment padding). A
/// `Dense` in a `static` lives in flash; inference reads it there.
///
/// # Backward (vector-Jacobian product)
/// With dz = J_f(z)ᵀ·dy: ∂L/∂W += dz·xᵀ, ∂L/∂b += dz, ∂L/∂x = Wᵀ·dz.
///
/// The batched backward ([`Layer::backward_batch`]) may leave out the ∂L/∂W terms of a zero
/// dz\[o\] (the outputs a ReLU switched off; [`kernel::SKIP_ZERO_DZ`]). Those terms are ±0 for
/// finite inputs and change no entry of a gradient that holds no −0 — as a gradient zeroed with
/// +0 and accumulated since never does — so the bits are still those of per-sample
/// [`Layer::backward`] calls ([`kernel::weight_gradient_batch_skipping_zero_dz`]).
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Dense<S: Scalar, const I: usize, const O: usize, A = Identity> {
    /// Weights, `weight[o][i]`.
    pub weight: [[S; I]; O],
    /// Bias, one per output.
    pub bias: [S; O],
    /// The activation applied after the affine map.
    pub activation: A,
}

/// One `T` per parameter of a [`Dense`] layer: its gradient (`T = S`) or optimizer state.
///
/// `size_of::<DenseParams<T, I, O>>() = size_of::<T>() · (I·O + O)`.
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct DenseParams<T, const I: usize, const O: usize> {
    /// Per weight, `weight[o][i]`.
    pub weight: [[T; I]; O],
    /// Per bias.
    pub bias: [T; O],
}

impl<T, const I: usize, const O: usize> ParamStore<T> for DenseParams<T, I, O>
where
    Self: FromZeros,
{
    const COUNT: usize = I * O + O;
    #[inline]
    fn for_each_slice(&self, f: &mut impl FnMut(&[T])) {
        f(self.weight.as_flattened());
        f(&self.bias);
    }
    #[inline]
    fn for_each_slice_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
        f(self.weight.as_flattened_mut());
        f(&mut self.bias);
    }
}

impl<S: Scalar, const I: usize, const O: usize, A: Copy> Dense<S, I, O, A> {
    /// A layer with the given weights, bias and activation (usable in `const`/`static`).
    pub const fn new(weight: [[S; I]; O], bias: [S; O], activation: A) -> Self {
        Self {
            weight,
            bias,
            activation,
        }
    }

    /// z = W·x + b in the fixed summation order documented on the type.
    ///
    /// Computed by [`kernel::affine`] (several outputs at once, each in the documented order),
    /// bit-identical to the plain loop.
    #[inline]
    pub fn affine(&self, x: &[S; I], z: &mut [S; O]) {
        kernel::affine(&self.weight, &self.bias, x, z);
    }
}

impl<S: Scalar, const I: usize, const O: usize, A: Activation<S>> Dense<S, I, O, A> {
    /// The batched backward pass in blocks of [`kernel::BLOCK`] samples: dz for the block, then
    /// its weight gradient (without the terms of zero dz where [`kernel::SKIP_ZERO_DZ`] and a
    /// quarter of the block's dz are zero) and input gradient. Stack: `S::BYTES · O · BLOCK`
    /// bytes for dz, and `4 · O` for the skipping kernel's sample masks.
    #[inline(never)]
    fn backward_blocks<M: Math<S>>(
        &self,
        x: &[[S; I]],
        cache: &[[S; O]],
        y: &[[S; O]],
        dy: &[[S; O]],
        mut dx: Option<&mut [[S; I]]>,
        grad: &mut DenseParams<S, I, O>,
    ) {
        let mut dz = [[S::ZERO; O]; kernel::BLOCK];
        let mut start = 0;
        for (((xb, zb), yb), dyb) in x
            .chunks(kernel::BLOCK)
            .zip(cache.chunks(kernel::BLOCK))
            .zip(y.chunks(kernel::BLOCK))
            .zip(dy.chunks(kernel::BLOCK))
        {
            let mut n = 0;
            for (((d, z), y), dy) in dz.iter_mut().zip(zb).zip(yb).zip(dyb) {
                self.activation.backward::<M>(z, y, dy, d);
                n += 1;
            }
            let dzb = dz.get(..n).unwrap_or(&[]);
            let skip = kernel::SKIP_ZERO_DZ
                && 4 * dzb.iter().flatten().filter(|&&e| e == S::ZERO).count() >= n * O;
            if skip {
                kernel::weight_gradient_batch_skipping_zero_dz(
                    &mut grad.weight,
                    &mut grad.bias,
                    dzb,
                    xb,
                );
            } else {
                kernel::weight_gradient_batch(&mut grad.weight, &mut grad.bias, dzb, xb);
            }
            if let Some(dx) = dx.as_deref_mut() {
                if let Some(dxb) = dx.get_mut(start..start + n) {
                    kernel::input_gradient_batch(&self.weight, dzb, dxb);
                }
            }
            start += n;
        }
    }
}

impl<S, const I: usize, const O: usize, A> Layer<S> for Dense<S, I, O, A>
where
    S: Scalar,
    A: Activation<S>,
{
    type Input = [S; I];
    type Output = [S; O];
    /// The pre-activation z = W·x + b.
    type Cache = [S; O];
    type Params<T: Copy + FromZeros + Send + Sync> = DenseParams<T, I, O>;

    #[inline]
    fn forward<M: Math<S>>(&self, x: &[S; I], y: &mut [S; O]) {
        let mut z = [S::ZERO; O];
        self.affine(x, &mut z);
        self.activation.forward::<M>(&z, y);
    }

    #[inline]
    fn forward_cached<M: Math<S>>(&self, x: &[S; I], cache: &mut [S; O], y: &mut [S; O]) {
        self.affine(x, cache);
        self.activation.forward::<M>(cache, y);
    }

    fn backward<M: Math<S>>(
        &self,
        x: &[S; I],
        z: &[S; O],
        y: &[S; O],
        dy: &[S; O],
        dx: Option<&mut [S; I]>,
        grad: &mut DenseParams<S, I, O>,
    ) {
        let mut dz = [S::ZERO; O];
        self.activation.backward::<M>(z, y, dy, &mut dz);
        let dz = core::slice::from_ref(&dz);
        kernel::weight_gradient_batch(
            &mut grad.weight,
            &mut grad.bias,
            dz,
            core::slice::from_ref(x),
        );
        if let Some(dx) = dx {
            kernel::input_gradient_batch(&self.weight, dz, core::slice::from_mut(dx));
        }
    }

    fn forward_batch<M: Math<S>>(&self, x: &[[S; I]], cache: &mut [[S; O]], y: &mut [[S; O]]) {
        kernel::affine_batch(&self.weight, &self.bias, x, cache);
        for (z, y) in cache.iter().zip(y.iter_mut()) {
            self.activation.forward::<M>(z, y);
        }
    }

    fn backward_batch<M: Math<S>>(
        &self,
        x: &[[S; I]],
        cache: &mut [[S; O]],
        y: &[[S; O]],
        dy: &[[S; O]],
        dx: Option<&mut [[S; I]]>,
        grad: &mut DenseParams<S, I, O>,
    ) {
        if x.len() <= 1 {
            // One sample: no block buffer on the stack (a device trains this way).
            super::backward_each::<S, Self, M>(self, x, cache, y, dy, dx, grad);
        } else {
            self.backward_blocks::<M>(x, cache, y, dy, dx, grad);
        }
    }

    fn backward_input<M: Math<S>>(
        &self,
        _x: &[S; I],
        z: &[S; O],
        y: &[S; O],
        dy: &[S; O],
        dx: &mut [S; I],
    ) {
        let mut dz = [S::ZERO; O];
        self.activation.backward::<M>(z, y, dy, &mut dz);
        kernel::input_gradient_batch(
            &self.weight,
            core::slice::from_ref(&dz),
            core::slice::from_mut(dx),
        );
    }

    /// dz = J_f(z)ᵀ·dy; ∂L/∂x = Wᵀ·dz (for `below`, before the update); then
    /// `W[o][i] −= η·(0 + dz[o]·x[i])` for the outputs with `dz[o] ≠ 0` ([`kernel::sgd_outer`]) and
    /// `b −= η·(0 + dz)`.
    fn backward_sgd<M: Math<S>, K: FnOnce(&[S; I]) -> bool>(
        &mut self,
        x: &[S; I],
        z: &[S; O],
        y: &[S; O],
        dy: &[S; O],
        lr: S,
        below: Option<K>,
    ) -> bool {
        let mut dz = [S::ZERO; O];
        self.activation.backward::<M>(z, y, dy, &mut dz);
        if !super::outer_is_finite(&dz, x) {
            return false;
        }
        if let Some(below) = below {
            let mut dx = [S::ZERO; I];
            kernel::input_gradient_batch(
                &self.weight,
                core::slice::from_ref(&dz),
                core::slice::from_mut(&mut dx),
            );
            if !below(&dx) {
                return false;
            }
        }
        kernel::sgd_outer(&mut self.weight, &dz, x, lr);
        kernel::sgd_bias(&mut self.bias, &dz, lr);
        true
    }

    fn for_each_param<T: Copy + FromZeros + Send + Sync>(
        &mut self,
        grad: &DenseParams<S, I, O>,
        state: &mut DenseParams<T, I, O>,
        f: &mut impl FnMut(&mut [S], &[S], &mut [T]),
    ) {
        f(
            self.weight.as_flattened_mut(),
            grad.weight.as_flattened(),
            state.weight.as_flattened_mut(),
        );
        f(&mut self.bias, &grad.bias, &mut state.bias);
    }

    const WEIGHT_COUNT: usize = I * O + O;

    fn weights(&self, f: &mut impl FnMut(&[S])) {
        f(self.weight.as_flattened());
        f(&self.bias);
    }

    fn weights_mut(&mut self, f: &mut impl FnMut(&mut [S])) {
        f(self.weight.as_flattened_mut());
        f(&mut self.bias);
    }

    fn init<M: Math<S>>(&mut self, scheme: Init, rng: &mut Rng) {
        scheme.fill::<S, M>(I, O, self.weight.as_flattened_mut(), &mut self.bias, rng);
    }
}
