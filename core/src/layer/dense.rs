//! The dense (fully connected) layer.

use super::{Layer, ParamStore};
use crate::activation::{Activation, Identity};
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, FromZeros, Immutable, KnownLayout};

/// A dense layer followed by an activation: y = f(W·x + b), W ∈ S^{O×I}, b ∈ S^O.
///
/// Weights are stored output-major, `weight[o][i]`, as PyTorch's `nn.Linear` and dfdx store them.
/// The activation `A` is a zero-sized type (default [`Identity`]).
///
/// Summation order (fixed, so that every target computes the same bits): for each output o,
/// `acc = 0; for i in 0..I { acc += weight[o][i] * x[i] }; z[o] = acc + bias[o]`, multiplies and
/// adds never fused.
///
/// # Memory
/// `size_of::<Dense<S, I, O, A>>() = S::BYTES · (I·O + O)` (the activation is zero-sized). A
/// `Dense` in a `static` lives in flash; inference reads it there.
///
/// # Backward (vector-Jacobian product)
/// With dz = J_f(z)ᵀ·dy: ∂L/∂W += dz·xᵀ, ∂L/∂b += dz, ∂L/∂x = Wᵀ·dz.
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Dense<S: Scalar, const I: usize, const O: usize, A = Identity> {
    /// Weights, `weight[o][i]`.
    pub weight: [[S; I]; O],
    /// Bias, one per output.
    pub bias: [S; O],
    /// The activation applied after the affine map (zero-sized).
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
}

impl<S: Scalar, const I: usize, const O: usize, A: Copy> Dense<S, I, O, A> {
    /// A layer with the given weights, bias and activation (usable in `const`/`static`).
    pub const fn new(weight: [[S; I]; O], bias: [S; O], activation: A) -> Self {
        Self { weight, bias, activation }
    }

    /// z = W·x + b in the fixed summation order documented on the type.
    #[inline]
    pub fn affine(&self, x: &[S; I], z: &mut [S; O]) {
        for ((z, w), &b) in z.iter_mut().zip(&self.weight).zip(&self.bias) {
            let mut acc = S::ZERO;
            for (&w, &x) in w.iter().zip(x) {
                acc += w * x;
            }
            *z = acc + b;
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
    type Params<T: Copy + FromZeros> = DenseParams<T, I, O>;

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
        for ((gw, gb), &d) in grad.weight.iter_mut().zip(&mut grad.bias).zip(&dz) {
            *gb += d;
            for (g, &x) in gw.iter_mut().zip(x) {
                *g += d * x;
            }
        }
        if let Some(dx) = dx {
            input_gradient(&self.weight, &dz, dx);
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
        input_gradient(&self.weight, &dz, dx);
    }

    fn for_each_param<T: Copy + FromZeros>(
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

    fn init<M: Math<S>>(&mut self, rng: &mut Rng) {
        let bound = S::ONE / M::sqrt(S::from_usize(I));
        for w in self.weight.as_flattened_mut() {
            *w = rng.uniform_in::<S>(-bound, bound);
        }
        for b in &mut self.bias {
            *b = rng.uniform_in::<S>(-bound, bound);
        }
    }
}

/// dx = Wᵀ·dz, each dx[i] summed over o in ascending order starting from 0.
#[inline]
pub(crate) fn input_gradient<S: Scalar, const I: usize, const O: usize>(
    weight: &[[S; I]; O],
    dz: &[S; O],
    dx: &mut [S; I],
) {
    dx.fill(S::ZERO);
    for (w, &d) in weight.iter().zip(dz) {
        for (dx, &w) in dx.iter_mut().zip(w) {
            *dx += w * d;
        }
    }
}
