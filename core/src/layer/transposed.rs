//! The dense layer with its weights stored input-major, for the fastest single-sample forward.

use super::{kernel, Dense, Layer, LayerShape, ParamStore, WeightLayout};
use crate::activation::{Activation, Identity};
use crate::init::Init;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, FromZeros, Immutable, KnownLayout};

/// A dense layer whose weight matrix is stored transposed: y = f(Wᵀ·x + b) with
/// `weight[i][o]`, W ∈ S^{I×O}, b ∈ S^O.
///
/// It computes **the same function, bit for bit,** as a [`Dense`] holding the transposed matrix:
/// each output is summed in [`Dense`]'s documented order (`acc = 0; for i in 0..I { acc +=
/// weight[i][o] * x[i] }; z[o] = acc + bias[o]`), and so are the gradients. Only the memory
/// order differs, which suits the single-sample forward: [`kernel::affine_input_major`] reads 16
/// adjacent outputs' weights of one input behind a single pointer, with no transposing copy. On
/// a Cortex-M4F this is the layout for a large layer kept in flash for inference or as the
/// frozen body of a fine-tuned model (the 784×100 forward under QEMU: 2.26 instructions per
/// multiply-add, against 2.33 as [`Dense`] — `docs/BENCHMARKS.md`). Convert with
/// [`TransposedDense::set_from_dense`] and [`Dense::set_from_transposed`]; a model file records
/// the layout of every layer ([`WeightLayout`]), so the two are never confused.
///
/// Training works and gives [`Dense`]'s bits (dW accumulated sample by sample, dx = W·dz in
/// [`Dense`]'s order), but with plain loops: for training on the host prefer [`Dense`], whose
/// batched kernels are faster.
///
/// # Memory
/// `size_of::<TransposedDense<S, I, O, A>>() = S::BYTES · (I·O + O) + size_of::<A>()`, as
/// [`Dense`]. The forward needs only the register tile; [`Layer::forward_batch`] with two or more
/// samples and [`Layer::backward_input`] keep `S::BYTES · I · 4` (at most) and `S::BYTES · I` bytes
/// on the stack; a [`SparseInputDense`]'s [`Layer::backward_batch`] keeps a block of ∂L/∂z,
/// `S::BYTES · 2048` bytes (`S::BYTES · 512` on a Cortex-M), and a 4-byte mask per input (with
/// more than 16,384 inputs it works sample by sample instead).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::Relu;
/// use stacknn::layer::{Dense, TransposedDense};
/// use stacknn::{math::Libm, zerocopy::FromZeros, Layer};
///
/// let mut dense = Dense::<f32, 3, 2, Relu>::new_zeroed();
/// dense.weight = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]];
/// dense.bias = [0.5, -0.5];
/// let mut t = TransposedDense::<f32, 3, 2, Relu>::new_zeroed();
/// t.set_from_dense(&dense);
/// assert_eq!(t.weight, [[1.0, -1.0], [2.0, 0.5], [3.0, 0.25]]);
///
/// let x = [0.1, 0.2, 0.3];
/// let (mut a, mut b) = ([0.0; 2], [0.0; 2]);
/// dense.forward::<Libm>(&x, &mut a);
/// t.forward::<Libm>(&x, &mut b);
/// assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
/// # }
/// ```
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct TransposedDense<
    S: Scalar,
    const I: usize,
    const O: usize,
    A = Identity,
    const SKIP_ZEROS: bool = false,
> {
    /// Weights, `weight[i][o]` (the transpose of [`Dense::weight`]).
    pub weight: [[S; O]; I],
    /// Bias, one per output.
    pub bias: [S; O],
    /// The activation applied after the affine map.
    pub activation: A,
}

/// A [`TransposedDense`] that skips inputs equal to zero: for inputs that are mostly zero, such
/// as images on a dark background. Its forward ([`kernel::affine_input_major_skipping_zeros`],
/// batches sample by sample) leaves out their terms, its backward their weight-gradient rows,
/// and [`Layer::backward_sgd`] their weight rows. The same bits as [`TransposedDense`] and
/// [`Dense`] while the weights and gradients are finite (a skipped term is ±0, which changes no
/// sum started at +0); the same memory layout and model files (a model file does not record
/// the choice).
///
/// On an MNIST digit the 784×100 forward under QEMU takes about a quarter of
/// [`TransposedDense`]'s instructions; on an input with no zeros, about 2 % more; on the host,
/// training a 784-100-10 network with it is about 2.4× faster at batch 100 (Adam) and online
/// SGD 3.3× faster than with [`Dense`] (`docs/BENCHMARKS.md`).
pub type SparseInputDense<S, const I: usize, const O: usize, A = Identity> =
    TransposedDense<S, I, O, A, true>;

/// One `T` per parameter of a [`TransposedDense`] layer, in its order: `weight[i][o]`, then bias.
///
/// `size_of::<TransposedParams<T, I, O>>() = size_of::<T>() · (I·O + O)`.
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct TransposedParams<T, const I: usize, const O: usize> {
    /// Per weight, `weight[i][o]`.
    pub weight: [[T; O]; I],
    /// Per bias.
    pub bias: [T; O],
}

impl<T, const I: usize, const O: usize> ParamStore<T> for TransposedParams<T, I, O>
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

impl<S: Scalar, const I: usize, const O: usize, A: Copy, const Z: bool>
    TransposedDense<S, I, O, A, Z>
{
    /// A layer with the given (input-major) weights, bias and activation (usable in
    /// `const`/`static`).
    pub const fn new(weight: [[S; O]; I], bias: [S; O], activation: A) -> Self {
        Self {
            weight,
            bias,
            activation,
        }
    }

    /// Copies `dense`'s parameters and activation into `self`, transposing the weights. In place,
    /// so that a large layer is never built on the stack.
    pub fn set_from_dense(&mut self, dense: &Dense<S, I, O, A>) {
        transpose(&dense.weight, &mut self.weight);
        self.bias = dense.bias;
        self.activation = dense.activation;
    }

    /// z = Wᵀ·x + b in [`Dense`]'s summation order, by [`kernel::affine_input_major`] (by
    /// [`kernel::affine_input_major_skipping_zeros`] for a [`SparseInputDense`]).
    #[inline]
    pub fn affine(&self, x: &[S; I], z: &mut [S; O]) {
        if Z {
            kernel::affine_input_major_skipping_zeros(&self.weight, &self.bias, x, z);
        } else {
            kernel::affine_input_major(&self.weight, &self.bias, x, z);
        }
    }
}

impl<S: Scalar, const I: usize, const O: usize, A: Copy> Dense<S, I, O, A> {
    /// Copies a [`TransposedDense`]'s parameters and activation into `self` (the inverse of
    /// [`TransposedDense::set_from_dense`]), in place.
    pub fn set_from_transposed<const Z: bool>(&mut self, t: &TransposedDense<S, I, O, A, Z>) {
        transpose(&t.weight, &mut self.weight);
        self.bias = t.bias;
        self.activation = t.activation;
    }
}

/// `dst[c][r] = src[r][c]`, in place in `dst`.
fn transpose<S: Copy, const R: usize, const C: usize>(src: &[[S; C]; R], dst: &mut [[S; R]; C]) {
    for (r, row) in src.iter().enumerate() {
        for (d, &v) in dst.iter_mut().zip(row) {
            if let Some(slot) = d.get_mut(r) {
                *slot = v;
            }
        }
    }
}

impl<S: Scalar, const I: usize, const O: usize, A, const Z: bool> TransposedDense<S, I, O, A, Z> {
    /// dx[i] = Σ_o weight[i][o]·dz[o], o ascending from 0 ([`Dense`]'s order for dx).
    ///
    /// Each row of the input-major W is one such dot product, which [`kernel::affine`] computes
    /// in this order; with a zero bias its final `+ 0` changes nothing (a sum started at +0 is
    /// never −0, and s + (+0) = s for every other s), so the bits are [`Dense`]'s.
    #[inline]
    fn input_gradient(&self, dz: &[S; O], dx: &mut [S; I]) {
        kernel::affine(&self.weight, &[S::ZERO; I], dz, dx);
    }
}

impl<S, const I: usize, const O: usize, A, const Z: bool> Layer<S>
    for TransposedDense<S, I, O, A, Z>
where
    S: Scalar,
    A: Activation<S>,
{
    type Input = [S; I];
    type Output = [S; O];
    /// The pre-activation z = Wᵀ·x + b.
    type Cache = [S; O];
    type Params<T: Copy + FromZeros + Send + Sync> = TransposedParams<T, I, O>;

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

    /// With `SKIP_ZEROS`, sample by sample through the zero-skipping forward (a digit's zero
    /// pixels are most of the work of the batched kernel), the zeros of each block of 16 samples
    /// counted first in one pass; otherwise the batched kernel.
    fn forward_batch<M: Math<S>>(&self, x: &[[S; I]], cache: &mut [[S; O]], y: &mut [[S; O]]) {
        if Z {
            // The zeros of a block of samples counted first, in one pass over their inputs:
            // a stream the hardware prefetches, where counting each sample just before its
            // product waited on memory for every sample (inputs streamed from a large set).
            const BLOCK: usize = 16;
            let mut zeros = [0usize; BLOCK];
            for ((x, cache), y) in x
                .chunks(BLOCK)
                .zip(cache.chunks_mut(BLOCK))
                .zip(y.chunks_mut(BLOCK))
            {
                for (n, x) in zeros.iter_mut().zip(x) {
                    *n = kernel::zero_count(x);
                }
                for (((x, c), y), &n) in
                    x.iter().zip(cache.iter_mut()).zip(y.iter_mut()).zip(&zeros)
                {
                    kernel::affine_input_major_skipping_counted_zeros(
                        &self.weight,
                        &self.bias,
                        x,
                        c,
                        n,
                    );
                    self.activation.forward::<M>(c, y);
                }
            }
            return;
        }
        if x.len() <= 1 {
            for ((x, c), y) in x.iter().zip(cache.iter_mut()).zip(y.iter_mut()) {
                self.forward_cached::<M>(x, c, y);
            }
            return;
        }
        // Σ_i weight[i][o]·x[s][i] with i ascending is the product the dx kernel computes with
        // the roles of inputs and outputs exchanged; the bias is added last, as in `affine`.
        let n = x.len().min(cache.len());
        let cache = cache.get_mut(..n).unwrap_or(&mut []);
        kernel::input_gradient_batch(&self.weight, x.get(..n).unwrap_or(&[]), cache);
        for (z, y) in cache.iter_mut().zip(y.iter_mut()) {
            for (z, &b) in z.iter_mut().zip(&self.bias) {
                *z += b;
            }
            self.activation.forward::<M>(z, y);
        }
    }

    /// dz = J_f(z)ᵀ·dy; `∂L/∂W[i][o] += x[i]·dz[o]` (the product [`Dense`] forms, multiplication
    /// being commutative; with `SKIP_ZEROS` the rows of zero inputs are skipped); ∂L/∂b += dz;
    /// ∂L/∂x = W·dz.
    fn backward<M: Math<S>>(
        &self,
        x: &[S; I],
        z: &[S; O],
        y: &[S; O],
        dy: &[S; O],
        dx: Option<&mut [S; I]>,
        grad: &mut TransposedParams<S, I, O>,
    ) {
        let mut dz = [S::ZERO; O];
        self.activation.backward::<M>(z, y, dy, &mut dz);
        for (b, &e) in grad.bias.iter_mut().zip(&dz) {
            *b += e;
        }
        if Z && I <= 1 << 16 {
            // A zero input adds ±0 to its row, which changes no entry: a sum started at +0 is
            // never −0, and g + (±0) = g otherwise (finite dz: a non-finite dz is rejected).
            let mut buf = [0u16; I];
            for &i in kernel::nonzero_indices(x, &mut buf) {
                let i = usize::from(i);
                if let (Some(row), Some(&xi)) = (grad.weight.get_mut(i), x.get(i)) {
                    for (g, &e) in row.iter_mut().zip(&dz) {
                        *g += e * xi;
                    }
                }
            }
        } else {
            for (row, &xi) in grad.weight.iter_mut().zip(x) {
                for (g, &e) in row.iter_mut().zip(&dz) {
                    *g += e * xi;
                }
            }
        }
        if let Some(dx) = dx {
            self.input_gradient(&dz, dx);
        }
    }

    /// With `SKIP_ZEROS`, in blocks of up to 32 samples (`DZ_SCRATCH / O`, see the stack note
    /// on the type): each sample's dz, ∂L/∂b and ∂L/∂x in turn, its nonzero inputs marked in a
    /// per-input bit mask, then each weight-gradient row with a mark updated once for the whole
    /// block, its samples' terms added in sample order
    /// (`kernel::weight_gradient_input_major_masked`) — the bits of [`Layer::backward`] on
    /// each sample in turn. Otherwise (and for more than 16,384 inputs) sample by sample.
    fn backward_batch<M: Math<S>>(
        &self,
        x: &[[S; I]],
        cache: &mut [[S; O]],
        y: &[[S; O]],
        dy: &[[S; O]],
        mut dx: Option<&mut [[S; I]]>,
        grad: &mut TransposedParams<S, I, O>,
    ) {
        let block = (kernel::DZ_SCRATCH / O.max(1)).min(32);
        // The mask is 4 bytes per input on the stack: at most 64 KiB of it.
        if !Z || block < 2 || x.len() <= 1 || I > 1 << 14 {
            return super::backward_each::<S, Self, M>(self, x, cache, y, dy, dx, grad);
        }
        let n = x.len().min(cache.len()).min(y.len()).min(dy.len());
        let n = dx.as_deref().map_or(n, |dx| n.min(dx.len()));
        let mut dzs = [S::ZERO; kernel::DZ_SCRATCH];
        let mut mask = [0u32; I];
        let mut start = 0;
        while start < n {
            let end = n.min(start + block);
            for (k, s) in (start..end).enumerate() {
                let dz = dzs
                    .get_mut(k * O..(k + 1) * O)
                    .and_then(|d| <&mut [S; O]>::try_from(d).ok());
                let (Some(dz), Some(xs), Some(z), Some(ys), Some(dys)) =
                    (dz, x.get(s), cache.get(s), y.get(s), dy.get(s))
                else {
                    continue;
                };
                self.activation.backward::<M>(z, ys, dys, dz);
                for (b, &e) in grad.bias.iter_mut().zip(dz.iter()) {
                    *b += e;
                }
                if let Some(dx) = dx.as_deref_mut().and_then(|dx| dx.get_mut(s)) {
                    self.input_gradient(dz, dx);
                }
                for (m, &v) in mask.iter_mut().zip(xs) {
                    *m |= u32::from(v != S::ZERO) << k;
                }
            }
            kernel::weight_gradient_input_major_masked::<S, [S; I], I, O>(
                grad.weight.as_flattened_mut(),
                &mut mask,
                0,
                x.get(start..end).unwrap_or(&[]),
                &dzs,
            );
            start = end;
        }
    }

    const DEFERRED_ROWS: usize = if I <= 1 << 14 { I } else { 0 };

    /// Per sample, in order: dz = J_f(z)ᵀ·dy written over the cached z, and ∂L/∂b += dz.
    fn backward_batch_deferred<M: Math<S>>(
        &self,
        _x: &[[S; I]],
        cache: &mut [[S; O]],
        y: &[[S; O]],
        dy: &[[S; O]],
        grad: &mut TransposedParams<S, I, O>,
    ) {
        for ((z, ys), dys) in cache.iter_mut().zip(y).zip(dy) {
            let mut dz = [S::ZERO; O];
            self.activation.backward::<M>(z, ys, dys, &mut dz);
            for (b, &e) in grad.bias.iter_mut().zip(&dz) {
                *b += e;
            }
            *z = dz;
        }
    }

    /// In blocks of up to 32 samples, as [`Layer::backward_batch`]: the block's dz copied
    /// together, each row's samples marked in a bit mask (with `SKIP_ZEROS` only those whose
    /// input is not zero), then each marked row updated once for the block
    /// (`kernel::weight_gradient_input_major_masked`). Stack: `S::BYTES · 2048` (`S::BYTES ·
    /// 512` on a Cortex-M) for dz, 4 bytes per row and 32 references.
    fn deferred_weight_gradient<'a, It>(&self, samples: It, first_row: usize, rows: &mut [S])
    where
        It: Iterator<Item = (&'a [S; I], &'a [S; O])>,
    {
        if O == 0 || Self::DEFERRED_ROWS == 0 {
            return;
        }
        let block = (kernel::DZ_SCRATCH / O).clamp(1, 32);
        let n = (rows.len() / O).min(I.saturating_sub(first_row));
        let rows = rows.get_mut(..n * O).unwrap_or(&mut []);
        let mut samples = samples.peekable();
        let Some(&(x0, _)) = samples.peek() else {
            return;
        };
        let mut xs = [x0; 32];
        let mut dzs = [S::ZERO; kernel::DZ_SCRATCH];
        let mut mask = [0u32; I];
        let mask = mask.get_mut(..n).unwrap_or(&mut []);
        loop {
            let mut k = 0;
            while k < block {
                let Some((x, dz)) = samples.next() else {
                    break;
                };
                if let (Some(slot), Some(d)) = (xs.get_mut(k), dzs.get_mut(k * O..(k + 1) * O)) {
                    *slot = x;
                    d.copy_from_slice(dz);
                }
                let xr = x.get(first_row..first_row + n).unwrap_or(&[]);
                for (m, &v) in mask.iter_mut().zip(xr) {
                    *m |= u32::from(!Z || v != S::ZERO) << k;
                }
                k += 1;
            }
            if k == 0 {
                break;
            }
            kernel::weight_gradient_input_major_masked::<S, &[S; I], I, O>(
                rows,
                mask,
                first_row,
                xs.get(..k).unwrap_or(&[]),
                &dzs,
            );
            if k < block {
                break;
            }
        }
    }

    fn deferred_weight_grad(grad: &mut TransposedParams<S, I, O>) -> &mut [S] {
        if Self::DEFERRED_ROWS == 0 {
            return &mut [];
        }
        grad.weight.as_flattened_mut()
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
        self.input_gradient(&dz, dx);
    }

    /// dz = J_f(z)ᵀ·dy; ∂L/∂x = W·dz (for `below`, before the update); then
    /// `W[i][o] −= η·(0 + x[i]·dz[o])` for the inputs with `x[i] ≠ 0` ([`kernel::sgd_outer`]: a
    /// digit's zero pixels cost nothing) and `b −= η·(0 + dz)`.
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
            self.input_gradient(&dz, &mut dx);
            if !below(&dx) {
                return false;
            }
        }
        kernel::sgd_outer(&mut self.weight, x, &dz, lr);
        kernel::sgd_bias(&mut self.bias, &dz, lr);
        true
    }

    fn for_each_param<T: Copy + FromZeros + Send + Sync>(
        &mut self,
        grad: &TransposedParams<S, I, O>,
        state: &mut TransposedParams<T, I, O>,
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

    /// Weights in memory order (`weight[i][o]`, input by input), then the bias.
    fn weights(&self, f: &mut impl FnMut(&[S])) {
        f(self.weight.as_flattened());
        f(&self.bias);
    }

    fn weights_mut(&mut self, f: &mut impl FnMut(&mut [S])) {
        f(self.weight.as_flattened_mut());
        f(&mut self.bias);
    }

    /// As [`Dense`] (fan-in I, fan-out O), drawn in this layer's memory order: the same seed
    /// gives a [`Dense`] and a `TransposedDense` different (equally distributed) weights.
    fn init<M: Math<S>>(&mut self, scheme: Init, rng: &mut Rng) {
        scheme.fill::<S, M>(I, O, self.weight.as_flattened_mut(), &mut self.bias, rng);
    }

    fn shapes(f: &mut impl FnMut(LayerShape)) {
        f(LayerShape {
            inputs: I,
            outputs: O,
            layout: WeightLayout::InputMajor,
        });
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::activation::{Relu, Tanh};
    use crate::layer::DenseParams;
    use crate::math::Libm;
    use crate::rng::Rng;
    use std::boxed::Box;
    use zerocopy::FromZeros;

    fn fill<S: Scalar>(v: &mut [S], rng: &mut Rng) {
        for x in v {
            *x = rng.uniform_in(S::from_f64(-1.0), S::ONE);
        }
    }

    fn bits(v: &[f32]) -> std::vec::Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Every result of a `TransposedDense` has the bits of the `Dense` holding the same matrix.
    /// With `Z` (`SparseInputDense`), most inputs are ±0, so that skipped terms and rows abound.
    fn check<
        A: Activation<f32> + Copy + Default + FromBytes,
        const I: usize,
        const O: usize,
        const Z: bool,
    >(
        n: usize,
        seed: u64,
    ) {
        let mut rng = Rng::seed(seed);
        let mut d = Dense::<f32, I, O, A>::new_box_zeroed().unwrap();
        d.activation = A::default();
        fill(d.weight.as_flattened_mut(), &mut rng);
        fill(&mut d.bias, &mut rng);
        let mut t = TransposedDense::<f32, I, O, A, Z>::new_box_zeroed().unwrap();
        t.set_from_dense(&d);
        let mut back = Dense::<f32, I, O, A>::new_box_zeroed().unwrap();
        back.set_from_transposed(&t);
        assert_eq!(
            bits(back.weight.as_flattened()),
            bits(d.weight.as_flattened())
        );
        for i in 0..I {
            for o in 0..O {
                assert_eq!(t.weight[i][o].to_bits(), d.weight[o][i].to_bits());
            }
        }

        let mut xs = std::vec![[0.0f32; I]; n];
        let mut dys = std::vec![[0.0f32; O]; n];
        for (x, dy) in xs.iter_mut().zip(dys.iter_mut()) {
            fill(x, &mut rng);
            fill(dy, &mut rng);
            if Z {
                for v in x.iter_mut() {
                    match rng.below(5) {
                        0 | 1 => *v = 0.0,
                        2 => *v = -0.0,
                        _ => {}
                    }
                }
            }
        }
        // Signed zeros everywhere in one sample: the results' signs must agree too.
        if let (Some(x), Some(dy)) = (xs.get_mut(1), dys.get_mut(1)) {
            x.fill(-0.0);
            dy.fill(-0.0);
        }
        // Forward, one sample and batched.
        let (mut zd, mut yd) = (std::vec![[0.0f32; O]; n], std::vec![[0.0f32; O]; n]);
        let (mut zt, mut yt) = (std::vec![[0.0f32; O]; n], std::vec![[0.0f32; O]; n]);
        d.forward_batch::<Libm>(&xs, &mut zd, &mut yd);
        t.forward_batch::<Libm>(&xs, &mut zt, &mut yt);
        assert_eq!(
            bits(zd.as_flattened()),
            bits(zt.as_flattened()),
            "z, n = {n}"
        );
        assert_eq!(
            bits(yd.as_flattened()),
            bits(yt.as_flattened()),
            "y, n = {n}"
        );
        for (x, y) in xs.iter().zip(&yd) {
            let mut y1 = [0.0f32; O];
            t.forward::<Libm>(x, &mut y1);
            assert_eq!(bits(&y1), bits(y));
        }
        // Backward: parameter gradients over the batch and every sample's dx.
        let mut gd = Box::new(DenseParams::<f32, I, O>::new_zeroed());
        let mut gt = Box::new(TransposedParams::<f32, I, O>::new_zeroed());
        let (mut dxd, mut dxt) = (std::vec![[0.0f32; I]; n], std::vec![[0.0f32; I]; n]);
        d.backward_batch::<Libm>(&xs, &mut zd, &yd, &dys, Some(&mut dxd), &mut gd);
        t.backward_batch::<Libm>(&xs, &mut zt, &yt, &dys, Some(&mut dxt), &mut gt);
        assert_eq!(bits(dxd.as_flattened()), bits(dxt.as_flattened()), "dx");
        assert_eq!(bits(&gd.bias), bits(&gt.bias), "db");
        for i in 0..I {
            for o in 0..O {
                assert_eq!(gt.weight[i][o].to_bits(), gd.weight[o][i].to_bits(), "dW");
            }
        }
        let mut dx1 = [0.0f32; I];
        t.backward_input::<Libm>(&xs[0], &zt[0], &yt[0], &dys[0], &mut dx1);
        assert_eq!(bits(&dx1), bits(&dxd[0]));
    }

    #[test]
    fn bit_identical_to_dense() {
        fn both<A: Activation<f32> + Copy + Default + FromBytes, const I: usize, const O: usize>(
            n: usize,
            seed: u64,
        ) {
            check::<A, I, O, false>(n, seed);
            check::<A, I, O, true>(n, seed);
        }
        for (n, seed) in [(1, 1), (2, 2), (5, 3), (17, 4), (33, 5)] {
            both::<Relu, 7, 13>(n, seed);
            both::<Tanh, 13, 7>(n, seed);
            both::<Relu, 33, 17>(n, seed);
            both::<Identity, 100, 10>(n, seed);
        }
        // Widths that take the host's equal (overlapping) tiles or leave a short last tile.
        both::<Relu, 9, 50>(2, 8);
        both::<Tanh, 5, 97>(1, 9);
        both::<Relu, 3, 48>(1, 10);
        both::<Identity, 11, 130>(2, 11);
        both::<Relu, 6, 200>(1, 12);
        both::<Relu, 784, 100>(1, 6);
        both::<Relu, 784, 100>(3, 7);
        // The zero-skipping batched backward's blocks: 20 samples of 100 outputs (three blocks,
        // the last short), 2 of 1000, and 1100 outputs, one at a time.
        both::<Relu, 784, 100>(45, 13);
        both::<Tanh, 20, 1000>(5, 14);
        both::<Relu, 5, 1100>(3, 15);
    }

    /// `SparseInputDense` against `Dense` on inputs with mostly zeros of both signs (and weights
    /// with some signed zeros): the same bits, forward and forward_cached.
    fn check_sparse<const I: usize, const O: usize>(seed: u64) {
        let mut rng = Rng::seed(seed);
        let mut d = Dense::<f32, I, O, Relu>::new_box_zeroed().unwrap();
        fill(d.weight.as_flattened_mut(), &mut rng);
        fill(&mut d.bias, &mut rng);
        for (k, w) in d.weight.as_flattened_mut().iter_mut().enumerate() {
            match k % 11 {
                3 => *w = 0.0,
                7 => *w = -0.0,
                _ => {}
            }
        }
        let mut t = SparseInputDense::<f32, I, O, Relu>::new_box_zeroed().unwrap();
        t.set_from_dense(&d);
        let mut inputs = std::vec![[0.0f32; I], [-0.0f32; I], [0.0f32; I], [0.0f32; I]];
        fill(&mut inputs[2], &mut rng);
        for (k, v) in inputs[3].iter_mut().enumerate() {
            let u = rng.uniform_in(0.0f32, 1.0);
            *v = match u {
                u if u < 0.4 => 0.0,
                u if u < 0.8 => -0.0,
                _ => rng.uniform_in(-1.0f32, 1.0),
            };
            if k == I - 1 {
                *v = 0.5; // the last input nonzero: the gathered list reaches the end
            }
        }
        for x in &inputs {
            let (mut yd, mut yt) = ([0.0f32; O], [0.0f32; O]);
            let (mut zd, mut zt) = ([0.0f32; O], [0.0f32; O]);
            d.forward::<Libm>(x, &mut yd);
            t.forward::<Libm>(x, &mut yt);
            assert_eq!(bits(&yd), bits(&yt), "{I}x{O} forward");
            d.forward_cached::<Libm>(x, &mut zd, &mut yd);
            t.forward_cached::<Libm>(x, &mut zt, &mut yt);
            assert_eq!(bits(&zd), bits(&zt), "{I}x{O} z");
        }
    }

    #[test]
    fn sparse_input_dense_has_the_bits_of_dense() {
        check_sparse::<7, 13>(21);
        check_sparse::<13, 7>(22);
        check_sparse::<33, 17>(23);
        check_sparse::<9, 50>(24);
        check_sparse::<100, 10>(25);
        check_sparse::<784, 100>(26);
    }

    /// The one documented difference: an infinite weight met by a zero input is NaN in the plain
    /// order (∞·0) and absent when zeros are skipped.
    #[test]
    fn skipped_zero_meets_an_infinite_weight() {
        let mut d = Dense::<f32, 2, 1>::new_zeroed();
        d.weight = [[f32::INFINITY, 1.0]];
        let mut t = SparseInputDense::<f32, 2, 1>::new_zeroed();
        t.set_from_dense(&d);
        let (mut yd, mut yt) = ([0.0f32], [0.0f32]);
        d.forward::<Libm>(&[0.0, 2.0], &mut yd);
        t.forward::<Libm>(&[0.0, 2.0], &mut yt);
        assert!(yd[0].is_nan());
        assert_eq!(yt, [2.0]);
        // A nonzero input meets it in both: the same infinity.
        d.forward::<Libm>(&[1.0, 2.0], &mut yd);
        t.forward::<Libm>(&[1.0, 2.0], &mut yt);
        assert_eq!(yd, [f32::INFINITY]);
        assert_eq!(yt, [f32::INFINITY]);
    }

    #[test]
    fn shapes_report_the_layout() {
        use crate::layer::{Chain, Frozen};
        type Net = Chain<Frozen<TransposedDense<f32, 4, 3, Relu>>, Dense<f32, 3, 2>>;
        let mut seen = std::vec::Vec::new();
        Net::shapes(&mut |s| seen.push(s));
        assert_eq!(
            seen,
            [
                LayerShape {
                    inputs: 4,
                    outputs: 3,
                    layout: WeightLayout::InputMajor
                },
                LayerShape {
                    inputs: 3,
                    outputs: 2,
                    layout: WeightLayout::OutputMajor
                }
            ]
        );
    }
}
