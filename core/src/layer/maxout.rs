//! The maxout layer (Goodfellow, Warde-Farley, Mirza, Courville & Bengio 2013).

use super::{Layer, ParamStore};
use crate::init::Init;
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;
use zerocopy::{FromBytes, FromZeros, Immutable, KnownLayout};

/// A maxout layer: K affine pieces per output unit, output = the largest piece.
///
/// Goodfellow et al. 2013, "Maxout Networks", eq. 1: hₒ(x) = max_{k<K} zₒₖ with
/// zₒₖ = Σᵢ Wₒₖᵢ·xᵢ + bₒₖ, W ∈ S^{O×K×I}, b ∈ S^{O×K}. It has weights of its own, so it is a
/// layer rather than an activation (the seed's maxout activation does not run).
///
/// # Backward (vector-Jacobian product)
/// Let k*ₒ = argmax_k zₒₖ (the **first** maximum on ties, the sub-gradient chosen where pieces
/// are equal). Only the winning piece receives gradient:
/// ∂L/∂W_{o,k*ₒ,i} += dyₒ·xᵢ, ∂L/∂b_{o,k*ₒ} += dyₒ, ∂L/∂xᵢ = Σₒ W_{o,k*ₒ,i}·dyₒ; all other pieces
/// get 0. The cache holds k*ₒ for each output.
///
/// Summation order: as [`Dense`](super::Dense), `acc += W[o][k][i]·x[i]` for i ascending, then
/// `+ b[o][k]`, never fused.
///
/// # Memory
/// `size_of::<Maxout<S, I, O, K>>() = S::BYTES · (O·K·I + O·K)`; cache `size_of::<usize>()·O`.
/// `K = 0` does not compile:
///
/// ```compile_fail
/// use stacknn::layer::Maxout;
/// let no_pieces = Maxout::<f32, 2, 3, 0>::new([[]; 3], [[]; 3]);
/// ```
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::layer::Maxout;
/// use stacknn::math::Libm;
/// use stacknn::Layer;
/// // One output, two pieces: max(x, −x) = |x|.
/// let m = Maxout::<f32, 1, 1, 2>::new([[[1.0], [-1.0]]], [[0.0, 0.0]]);
/// let mut y = [0.0];
/// m.forward::<Libm>(&[-3.0], &mut y);
/// assert_eq!(y, [3.0]);
/// # }
/// ```
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct Maxout<S: Scalar, const I: usize, const O: usize, const K: usize> {
    /// Weights, `weight[o][k][i]`.
    pub weight: [[[S; I]; K]; O],
    /// Biases, `bias[o][k]`.
    pub bias: [[S; K]; O],
}

/// One `T` per parameter of a [`Maxout`] layer: its gradient (`T = S`) or optimizer state.
///
/// `size_of::<MaxoutParams<T, I, O, K>>() = size_of::<T>() · (O·K·I + O·K)`.
#[derive(Debug, Clone, Copy, FromBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct MaxoutParams<T, const I: usize, const O: usize, const K: usize> {
    /// Per weight, `weight[o][k][i]`.
    pub weight: [[[T; I]; K]; O],
    /// Per bias, `bias[o][k]`.
    pub bias: [[T; K]; O],
}

impl<T, const I: usize, const O: usize, const K: usize> ParamStore<T> for MaxoutParams<T, I, O, K>
where
    Self: FromZeros,
{
    const COUNT: usize = O * K * I + O * K;
    #[inline]
    fn for_each_slice(&self, f: &mut impl FnMut(&[T])) {
        f(self.weight.as_flattened().as_flattened());
        f(self.bias.as_flattened());
    }
    #[inline]
    fn for_each_slice_mut(&mut self, f: &mut impl FnMut(&mut [T])) {
        f(self.weight.as_flattened_mut().as_flattened_mut());
        f(self.bias.as_flattened_mut());
    }
}

impl<S: Scalar, const I: usize, const O: usize, const K: usize> Maxout<S, I, O, K> {
    /// A layer with the given weights and biases (usable in `const`/`static`).
    pub const fn new(weight: [[[S; I]; K]; O], bias: [[S; K]; O]) -> Self {
        const { assert!(K > 0, "a maxout unit needs at least one piece") };
        Self { weight, bias }
    }

    /// y = max over pieces, writing the winning piece of each output into `arg`.
    #[inline]
    pub fn forward_argmax(&self, x: &[S; I], y: &mut [S; O], arg: &mut [usize; O]) {
        const { assert!(K > 0, "a maxout unit needs at least one piece") };
        for (((y, arg), w), b) in y
            .iter_mut()
            .zip(arg.iter_mut())
            .zip(&self.weight)
            .zip(&self.bias)
        {
            let mut best = S::NEG_INFINITY;
            let mut best_k = 0;
            for (k, (w, &b)) in w.iter().zip(b).enumerate() {
                let mut acc = S::ZERO;
                for (&w, &x) in w.iter().zip(x) {
                    acc += w * x;
                }
                let z = acc + b;
                if k == 0 || z > best {
                    best = z;
                    best_k = k;
                }
            }
            *y = best;
            *arg = best_k;
        }
    }

    /// dx = Σₒ W[o][k*ₒ]·dyₒ.
    #[inline]
    fn input_gradient(&self, arg: &[usize; O], dy: &[S; O], dx: &mut [S; I]) {
        dx.fill(S::ZERO);
        for ((w, &k), &d) in self.weight.iter().zip(arg).zip(dy) {
            if let Some(w) = w.get(k) {
                for (dx, &w) in dx.iter_mut().zip(w) {
                    *dx += w * d;
                }
            }
        }
    }
}

impl<S: Scalar, const I: usize, const O: usize, const K: usize> Layer<S> for Maxout<S, I, O, K> {
    type Input = [S; I];
    type Output = [S; O];
    /// The winning piece k*ₒ of each output.
    type Cache = [usize; O];
    type Params<T: Copy + FromZeros + Send + Sync> = MaxoutParams<T, I, O, K>;

    #[inline]
    fn forward<M: Math<S>>(&self, x: &[S; I], y: &mut [S; O]) {
        let mut arg = [0usize; O];
        self.forward_argmax(x, y, &mut arg);
    }

    #[inline]
    fn forward_cached<M: Math<S>>(&self, x: &[S; I], cache: &mut [usize; O], y: &mut [S; O]) {
        self.forward_argmax(x, y, cache);
    }

    fn backward<M: Math<S>>(
        &self,
        x: &[S; I],
        arg: &[usize; O],
        _y: &[S; O],
        dy: &[S; O],
        dx: Option<&mut [S; I]>,
        grad: &mut MaxoutParams<S, I, O, K>,
    ) {
        for (((gw, gb), &k), &d) in grad.weight.iter_mut().zip(&mut grad.bias).zip(arg).zip(dy) {
            if let (Some(gw), Some(gb)) = (gw.get_mut(k), gb.get_mut(k)) {
                *gb += d;
                for (g, &x) in gw.iter_mut().zip(x) {
                    *g += d * x;
                }
            }
        }
        if let Some(dx) = dx {
            self.input_gradient(arg, dy, dx);
        }
    }

    fn backward_input<M: Math<S>>(
        &self,
        _x: &[S; I],
        arg: &[usize; O],
        _y: &[S; O],
        dy: &[S; O],
        dx: &mut [S; I],
    ) {
        self.input_gradient(arg, dy, dx);
    }

    /// For each output o with selected piece k and gradient `d[o]`: `W[o][k][i] −= η·(0 +
    /// d[o]·x[i])`, `b[o][k] −= η·(0 + d[o])`; the other pieces have a +0 gradient, which leaves
    /// them as they are (see [`kernel::sgd_outer`](super::kernel::sgd_outer)). ∂L/∂x for
    /// `below` is computed first.
    fn backward_sgd<M: Math<S>, F: FnOnce(&[S; I]) -> bool>(
        &mut self,
        x: &[S; I],
        arg: &[usize; O],
        _y: &[S; O],
        dy: &[S; O],
        lr: S,
        below: Option<F>,
    ) -> bool {
        if !super::outer_is_finite(dy, x) {
            return false;
        }
        if let Some(below) = below {
            let mut dx = [S::ZERO; I];
            self.input_gradient(arg, dy, &mut dx);
            if !below(&dx) {
                return false;
            }
        }
        // 1/η > 0 unless η = −0; see `kernel::sgd_outer` for why zero rows may then be skipped.
        let may_skip = S::ONE / lr > S::ZERO;
        for (((w, b), &k), &d) in self.weight.iter_mut().zip(&mut self.bias).zip(arg).zip(dy) {
            for (piece, (w, b)) in w.iter_mut().zip(b.iter_mut()).enumerate() {
                let d = if piece == k { d } else { S::ZERO };
                if may_skip && d == S::ZERO {
                    continue;
                }
                super::kernel::sgd_row(w, d, x, lr);
                super::kernel::sgd_bias(core::slice::from_mut(b), &[d], lr);
            }
        }
        true
    }

    fn for_each_param<T: Copy + FromZeros + Send + Sync>(
        &mut self,
        grad: &MaxoutParams<S, I, O, K>,
        state: &mut MaxoutParams<T, I, O, K>,
        f: &mut impl FnMut(&mut [S], &[S], &mut [T]),
    ) {
        f(
            self.weight.as_flattened_mut().as_flattened_mut(),
            grad.weight.as_flattened().as_flattened(),
            state.weight.as_flattened_mut().as_flattened_mut(),
        );
        f(
            self.bias.as_flattened_mut(),
            grad.bias.as_flattened(),
            state.bias.as_flattened_mut(),
        );
    }

    const WEIGHT_COUNT: usize = O * K * I + O * K;

    fn weights(&self, f: &mut impl FnMut(&[S])) {
        f(self.weight.as_flattened().as_flattened());
        f(self.bias.as_flattened());
    }

    fn weights_mut(&mut self, f: &mut impl FnMut(&mut [S])) {
        f(self.weight.as_flattened_mut().as_flattened_mut());
        f(self.bias.as_flattened_mut());
    }

    /// As [`Dense`](super::Dense) with fan-in I and fan-out O (each of the K pieces is a dense
    /// map of that shape).
    fn init<M: Math<S>>(&mut self, scheme: Init, rng: &mut Rng) {
        let (w, b) = (&mut self.weight, &mut self.bias);
        scheme.fill::<S, M>(
            I,
            O,
            w.as_flattened_mut().as_flattened_mut(),
            b.as_flattened_mut(),
            rng,
        );
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::math::Libm;

    const I: usize = 4;
    const O: usize = 3;
    const K: usize = 3;
    type Mx = Maxout<f64, I, O, K>;

    fn layer(seed: u64) -> Mx {
        let mut m = Mx::new_zeroed();
        m.init::<Libm>(Init::Uniform, &mut Rng::seed(seed));
        m
    }

    /// L(x, θ) = Σₒ cₒ·yₒ, whose gradient the backward pass computes with dy = c.
    fn loss(m: &Mx, x: &[f64; I], c: &[f64; O]) -> f64 {
        let mut y = [0.0; O];
        m.forward::<Libm>(x, &mut y);
        y.iter().zip(c).map(|(y, c)| y * c).sum()
    }

    /// Smallest gap between the best and second-best piece over all outputs (kink distance).
    fn margin(m: &Mx, x: &[f64; I]) -> f64 {
        let mut gap = f64::INFINITY;
        for (w, b) in m.weight.iter().zip(&m.bias) {
            let mut z: Vec<f64> = w
                .iter()
                .zip(b)
                .map(|(w, b)| w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + b)
                .collect();
            z.sort_by(|a, b| b.total_cmp(a));
            gap = gap.min(z[0] - z[1]);
        }
        gap
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / a.abs().max(b.abs()).max(1e-8)
    }

    #[test]
    fn gradient_check_input_weights_bias() {
        // The loss is piecewise linear in x, W and b: central differences are exact up to
        // rounding while no piece changes rank, which a margin of 1e-3 > 4h guarantees.
        let h = 1e-4;
        let mut checked = 0;
        let mut worst: f64 = 0.0;
        for seed in 0..40u64 {
            let m = layer(seed + 1);
            let mut rng = Rng::seed(1000 + seed);
            let x: [f64; I] = core::array::from_fn(|_| rng.uniform_in(-2.0, 2.0));
            let c: [f64; O] = core::array::from_fn(|_| rng.uniform_in(-1.0, 1.0));
            if margin(&m, &x) < 1e-3 {
                continue; // too close to a kink for central differences
            }
            let (mut y, mut arg) = ([0.0; O], [0usize; O]);
            m.forward_cached::<Libm>(&x, &mut arg, &mut y);
            let mut dx = [0.0; I];
            let mut grad = MaxoutParams::<f64, I, O, K>::new_zeroed();
            m.backward::<Libm>(&x, &arg, &y, &c, Some(&mut dx), &mut grad);
            let mut dx2 = [0.0; I];
            m.backward_input::<Libm>(&x, &arg, &y, &c, &mut dx2);
            assert_eq!(dx, dx2);
            for i in 0..I {
                let (mut xp, mut xm) = (x, x);
                xp[i] += h;
                xm[i] -= h;
                let fd = (loss(&m, &xp, &c) - loss(&m, &xm, &c)) / (2.0 * h);
                worst = worst.max(rel(dx[i], fd));
                assert!(rel(dx[i], fd) < 1e-6, "dx[{i}]: {} vs {fd}", dx[i]);
            }
            for o in 0..O {
                for k in 0..K {
                    for i in 0..I {
                        let (mut mp, mut mm) = (m, m);
                        mp.weight[o][k][i] += h;
                        mm.weight[o][k][i] -= h;
                        let fd = (loss(&mp, &x, &c) - loss(&mm, &x, &c)) / (2.0 * h);
                        let g = grad.weight[o][k][i];
                        worst = worst.max(rel(g, fd));
                        assert!(rel(g, fd) < 1e-6, "w[{o}][{k}][{i}]: {g} vs {fd}");
                    }
                    let (mut mp, mut mm) = (m, m);
                    mp.bias[o][k] += h;
                    mm.bias[o][k] -= h;
                    let fd = (loss(&mp, &x, &c) - loss(&mm, &x, &c)) / (2.0 * h);
                    let g = grad.bias[o][k];
                    worst = worst.max(rel(g, fd));
                    assert!(rel(g, fd) < 1e-6, "b[{o}][{k}]: {g} vs {fd}");
                }
            }
            checked += 1;
        }
        assert!(checked >= 30, "only {checked} samples away from kinks");
        std::println!("maxout gradient check: {checked} samples, worst relative error {worst:.2e}");
    }

    #[test]
    fn first_piece_wins_ties_and_only_it_gets_gradient() {
        let m = Maxout::<f64, 1, 1, 3>::new([[[1.0], [1.0], [0.0]]], [[0.0, 0.0, -1.0]]);
        let (mut y, mut arg) = ([0.0], [9usize]);
        m.forward_cached::<Libm>(&[2.0], &mut arg, &mut y);
        assert_eq!((y, arg), ([2.0], [0]));
        let mut g = MaxoutParams::<f64, 1, 1, 3>::new_zeroed();
        m.backward::<Libm>(&[2.0], &arg, &y, &[1.5], None, &mut g);
        assert_eq!(g.weight, [[[3.0], [0.0], [0.0]]]);
        assert_eq!(g.bias, [[1.5, 0.0, 0.0]]);
    }

    #[test]
    fn trains_xor_in_a_chain() {
        use crate::activation::Identity;
        use crate::layer::{Chain, Dense};
        use crate::loss::SigmoidCrossEntropy;
        use crate::optim::Adam;
        use crate::{Network, TrainState};
        // XOR is not linearly separable; two units of max over 2 pieces each solve it.
        type Net = Chain<Maxout<f64, 2, 4, 2>, Dense<f64, 4, 1, Identity>>;
        let mut net = Network::<f64, Net>::new_zeroed();
        net.init(3);
        let mut state = TrainState::<f64, Net, Adam<f64>>::new(3);
        let adam = Adam::new(0.05);
        let xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
        let ts = [[0.0], [1.0], [1.0], [0.0]];
        let mut last = f64::INFINITY;
        for _ in 0..1000 {
            last = state
                .step(&mut net, &adam, &SigmoidCrossEntropy, &xs, &ts)
                .unwrap();
        }
        assert!(last < 0.05, "final loss {last}");
        for (x, t) in xs.iter().zip(&ts) {
            let mut y = [0.0];
            net.forward(x, &mut y);
            assert_eq!(y[0] > 0.0, t[0] > 0.5, "{x:?} -> {y:?}");
        }
    }

    #[test]
    fn sizes_are_as_documented() {
        assert_eq!(
            core::mem::size_of::<Maxout<f32, 4, 3, 2>>(),
            4 * (3 * 2 * 4 + 3 * 2)
        );
        assert_eq!(<Maxout<f32, 4, 3, 2> as Layer<f32>>::WEIGHT_COUNT, 30);
        assert_eq!(<MaxoutParams<f32, 4, 3, 2> as ParamStore<f32>>::COUNT, 30);
    }
}
