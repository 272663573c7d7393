//! Training one sample at a time with plain SGD, without a gradient buffer.
//!
//! Plain SGD (Robbins & Monro 1951) on a batch of one needs no gradient buffer: each layer's
//! gradient, dz·xᵀ, can be applied as it is formed, θ ← θ − η·(0 + ∂L/∂θ), once the layers
//! below have been handed ∂L/∂x computed with the old weights. [`OnlineSgd`] does that through
//! [`Layer::backward_sgd`], with the bits of
//! [`TrainState::step`](crate::train::TrainState::step) and [`Sgd`] on one sample, and without
//! the gradient's memory (318 KB for 784-100-10 f32) or the passes over it (zeroing,
//! accumulating, the finite check, the update): only the rows whose gradient is not zero are
//! touched — the inputs that are not zero for an input-major layer such as
//! [`SparseInputDense`](crate::layer::SparseInputDense), the outputs with dz ≠ 0 for
//! [`Dense`](crate::layer::Dense).

use crate::error::Error;
use crate::layer::{Layer, Vector};
use crate::loss::Loss;
use crate::math::Math;
use crate::network::Network;
use crate::optim::{Optimizer, Sgd};
use crate::train::Target;
use crate::Scalar;
use zerocopy::FromZeros;

/// Online (one sample per step) plain SGD, applied to the network during the backward pass.
///
/// Each [`OnlineSgd::step`] gives the network the bits that
/// [`TrainState::step`](crate::train::TrainState::step) with the same [`Sgd`] gives it on a batch
/// of that one sample, and rejects the same steps: a step whose loss or any gradient entry is NaN
/// or ±∞ returns [`Error::NonFiniteLoss`] or [`Error::NonFiniteGradient`] and leaves the network
/// exactly as it was (every layer checks its gradient before any layer changes; see
/// [`Layer::backward_sgd`]).
///
/// # Memory
/// `size_of::<OnlineSgd<S, L>>() = size_of::<L::Cache>() + 3·S::BYTES·OUT + 8` (the forward
/// cache, the output, its gradient and the target; the step counter), rounded up to alignment —
/// for 784-100-10 f32, 840 + 120 + 8 = 968 bytes, where a `TrainState` with [`Sgd`] holds the
/// 318,040-byte gradient as well. The network itself must be writable (RAM). Stack during a step:
/// each layer's ∂L/∂z and, for every layer but the first, ∂L/∂x (`S::BYTES·(O + I)`), and the
/// list of rows to update (see [`Layer::backward_sgd`]).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{Identity, Relu};
/// use stacknn::layer::{Chain, Dense};
/// use stacknn::loss::SoftmaxCrossEntropy;
/// use stacknn::online::OnlineSgd;
/// use stacknn::optim::Sgd;
/// use stacknn::{Network, TrainState};
/// type Mlp = Chain<Dense<f32, 4, 8, Relu>, Dense<f32, 8, 3, Identity>>;
/// let mut a = Network::<f32, Mlp>::new(stacknn::zerocopy::FromZeros::new_zeroed());
/// a.init(7);
/// let mut b = a.clone();
/// let mut online = OnlineSgd::<f32, Mlp>::new();
/// let mut batched = TrainState::<f32, Mlp, Sgd<f32>>::new(0);
/// let (x, label) = ([0.5, 0.0, -1.0, 2.0], 2usize);
/// let sgd = Sgd::new(0.1);
/// let la = online.step(&mut a, &sgd, &SoftmaxCrossEntropy, &x, &label).unwrap();
/// let lb = batched.step(&mut b, &sgd, &SoftmaxCrossEntropy, &[x], &[label]).unwrap();
/// assert_eq!(la.to_bits(), lb.to_bits());
/// assert_eq!(a.layers.first.weight, b.layers.first.weight);
/// assert_eq!(a.layers.second.bias, b.layers.second.bias);
/// # }
/// ```
#[derive(FromZeros)]
pub struct OnlineSgd<S: Scalar, L: Layer<S>> {
    cache: L::Cache,
    out: L::Output,
    dy: L::Output,
    target: L::Output,
    step: u64,
}

impl<S: Scalar, L: Layer<S>> Default for OnlineSgd<S, L> {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl<S: Scalar, L: Layer<S>> OnlineSgd<S, L> {
    /// A fresh state (all buffers zero, no steps taken).
    pub fn new() -> Self {
        Self::new_zeroed()
    }

    /// Number of steps taken (rejected steps are not counted).
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One SGD step on one sample: the loss and its gradient, applied to the network as the
    /// backward pass goes. Returns the loss (before the update).
    ///
    /// Errors, with the network unchanged: [`Error::InvalidParameter`] (η not finite or
    /// negative), [`Error::LabelOutOfRange`], [`Error::NonFiniteLoss`],
    /// [`Error::NonFiniteGradient`].
    pub fn step<M, Lo, T>(
        &mut self,
        net: &mut Network<S, L, M>,
        sgd: &Sgd<S>,
        loss: &Lo,
        x: &L::Input,
        target: &T,
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S>,
        T: Target<S, L::Output>,
    {
        sgd.validate()?;
        target.write_to(&mut self.target)?;
        net.layers
            .forward_cached::<M>(x, &mut self.cache, &mut self.out);
        // A batch of one: the batch mean divides the loss and dy by 1, which changes no bit.
        let value = loss.value_grad::<M>(
            self.out.as_slice(),
            self.target.as_slice(),
            self.dy.as_mut_slice(),
        );
        if !value.is_finite() {
            return Err(Error::NonFiniteLoss);
        }
        let applied = net.layers.backward_sgd::<M, fn(&L::Input) -> bool>(
            x,
            &self.cache,
            &self.out,
            &self.dy,
            sgd.lr,
            None,
        );
        if !applied {
            return Err(Error::NonFiniteGradient);
        }
        self.step += 1;
        Ok(value)
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::activation::{Identity, Relu, Tanh};
    use crate::layer::{Chain, Dense, Frozen, Maxout, SparseInputDense, TransposedDense};
    use crate::loss::{SoftmaxCrossEntropy, SquaredError};
    use crate::train::TrainState;
    use crate::Rng;
    use std::boxed::Box;
    use std::vec::Vec;

    fn bits<L: Layer<f32>>(net: &Network<f32, L>) -> Vec<u32> {
        let mut v = Vec::new();
        net.layers
            .weights(&mut |w| v.extend(w.iter().map(|x| x.to_bits())));
        v
    }

    /// Inputs with about half the entries zero (some −0), the rest in (−2, 2).
    fn sparse_input<const I: usize>(r: &mut Rng) -> [f32; I] {
        core::array::from_fn(|_| match r.below(4) {
            0 => 0.0,
            1 => -0.0,
            _ => r.uniform_in(-2.0f32, 2.0),
        })
    }

    /// Trains two copies of one initialised network on the same samples, one with
    /// [`OnlineSgd`] and one with [`TrainState::step`] on batches of one, and checks the losses
    /// and every weight bit after every step. Some weights are set to ±0 first, and the rate may
    /// be ±0, so that the skipped rows' handling of signed zeros is exercised.
    fn check<L, const I: usize, const O: usize>(seed: u64, lr: f32)
    where
        L: Layer<f32, Input = [f32; I], Output = [f32; O]> + FromZeros + Clone,
    {
        let mut r = Rng::seed(seed);
        let mut a = Network::<f32, L>::new_zeroed();
        a.init(seed);
        a.layers.weights_mut(&mut |w| {
            for w in w.iter_mut() {
                match r.below(8) {
                    0 => *w = 0.0,
                    1 => *w = -0.0,
                    _ => {}
                }
            }
        });
        let mut b = a.clone();
        let mut online = Box::new(OnlineSgd::<f32, L>::new());
        let mut batched = Box::new(TrainState::<f32, L, Sgd<f32>>::new(0));
        let sgd = Sgd::new(lr);
        for step in 0..40 {
            let x = sparse_input::<I>(&mut r);
            let label = r.below(O);
            let la = online.step(&mut a, &sgd, &SoftmaxCrossEntropy, &x, &label);
            let lb = batched.step(&mut b, &sgd, &SoftmaxCrossEntropy, &[x], &[label]);
            assert_eq!(la.map(f32::to_bits), lb.map(f32::to_bits), "step {step}");
            assert_eq!(bits(&a), bits(&b), "weights after step {step}, η = {lr}");
        }
        assert_eq!(online.steps(), 40);
    }

    type Plain = Chain<Dense<f32, 13, 9, Relu>, Chain<Dense<f32, 9, 7, Tanh>, Dense<f32, 7, 3>>>;
    type Sparse = Chain<SparseInputDense<f32, 37, 20, Relu>, Dense<f32, 20, 4, Identity>>;
    type Transposed = Chain<TransposedDense<f32, 19, 33, Relu>, Dense<f32, 33, 5, Identity>>;
    type Tuned = Chain<Frozen<Dense<f32, 13, 9, Relu>>, Dense<f32, 9, 3, Identity>>;
    type UnderFrozen =
        Chain<Dense<f32, 11, 8, Relu>, Chain<Frozen<Dense<f32, 8, 6, Tanh>>, Dense<f32, 6, 3>>>;
    type Pieces = Chain<Maxout<f32, 10, 6, 3>, Dense<f32, 6, 3, Identity>>;

    #[test]
    fn online_steps_have_the_bits_of_batches_of_one() {
        for (seed, lr) in [(1, 0.1f32), (2, 0.5), (3, 0.0), (4, -0.0)] {
            check::<Plain, 13, 3>(seed, lr);
            check::<Sparse, 37, 4>(seed, lr);
            check::<Transposed, 19, 5>(seed, lr);
            check::<Tuned, 13, 3>(seed, lr);
            check::<UnderFrozen, 11, 3>(seed, lr);
            check::<Pieces, 10, 3>(seed, lr);
        }
    }

    #[test]
    fn the_784_100_10_step_has_the_bits_of_a_batch_of_one() {
        type Mlp = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;
        type Fast = Chain<SparseInputDense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;
        check::<Mlp, 784, 10>(5, 0.01);
        check::<Fast, 784, 10>(6, 0.01);
    }

    /// A gradient that overflows in the first layer (the second layer's is finite and checked
    /// first) is rejected, as by `TrainState`, and neither layer changes.
    #[test]
    fn an_overflowing_gradient_changes_nothing() {
        type Mlp = Chain<Dense<f32, 3, 2, Relu>, Dense<f32, 2, 2, Identity>>;
        let mut net = Network::<f32, Mlp>::new(Chain::new(
            // The huge input meets a zero weight, so the forward pass stays finite.
            Dense::new([[0.0, 1.0, 0.5], [0.0, 0.5, 1.0]], [0.1, 0.2], Relu),
            Dense::new([[1e10, -1e10], [-1e10, 2e10]], [0.0, 0.0], Identity),
        ));
        let x = [1e30f32, 1.0, 1.0];
        let before = bits(&net);
        let mut batched = TrainState::<f32, Mlp, Sgd<f32>>::new(0);
        let mut copy = net.clone();
        let sgd = Sgd::new(0.1);
        assert_eq!(
            batched.step(&mut copy, &sgd, &SoftmaxCrossEntropy, &[x], &[0usize]),
            Err(Error::NonFiniteGradient)
        );
        let mut online = OnlineSgd::<f32, Mlp>::new();
        assert_eq!(
            online.step(&mut net, &sgd, &SoftmaxCrossEntropy, &x, &0usize),
            Err(Error::NonFiniteGradient)
        );
        assert_eq!(bits(&net), before);
        assert_eq!(online.steps(), 0);
        // With a finite input the same step goes through.
        assert!(online
            .step(
                &mut net,
                &sgd,
                &SoftmaxCrossEntropy,
                &[1.0, 1.0, 1.0],
                &0usize
            )
            .is_ok());
        assert_ne!(bits(&net), before);
    }

    #[test]
    fn bad_steps_are_refused_and_change_nothing() {
        type Mlp = Chain<Dense<f32, 3, 4, Relu>, Dense<f32, 4, 2, Identity>>;
        let mut net = Network::<f32, Mlp>::new_zeroed();
        net.init(9);
        let before = bits(&net);
        let mut online = OnlineSgd::<f32, Mlp>::new();
        let x = [0.5f32, -1.0, 2.0];
        let ce = SoftmaxCrossEntropy;
        assert_eq!(
            online.step(&mut net, &Sgd::new(0.1), &ce, &x, &2usize),
            Err(Error::LabelOutOfRange {
                label: 2,
                classes: 2
            })
        );
        for lr in [f32::NAN, -0.1, f32::INFINITY] {
            assert_eq!(
                online.step(&mut net, &Sgd::new(lr), &ce, &x, &0usize),
                Err(Error::InvalidParameter("lr"))
            );
        }
        assert_eq!(
            online.step(
                &mut net,
                &Sgd::new(0.1),
                &ce,
                &[f32::NAN, 0.0, 0.0],
                &0usize
            ),
            Err(Error::NonFiniteLoss)
        );
        assert_eq!(
            online.step(
                &mut net,
                &Sgd::new(0.1),
                &SquaredError,
                &x,
                &[f32::INFINITY, 0.0]
            ),
            Err(Error::NonFiniteLoss)
        );
        assert_eq!(bits(&net), before);
        assert_eq!(online.steps(), 0);
    }

    #[test]
    fn outer_finite_check_matches_the_products() {
        use crate::layer::outer_is_finite;
        let cases: [(&[f32], &[f32]); 8] = [
            (&[1.0, -2.0], &[3.0, 0.0, -1.0]),
            (&[1e20, 1.0], &[1e20, 0.0]),
            (&[1e19, 0.0], &[-3e19]),
            (&[0.0, 0.0], &[f32::INFINITY]),
            (&[f32::NAN], &[0.0]),
            (&[1.0], &[f32::NAN, 1.0]),
            (&[f32::MAX], &[1.0, 0.5]),
            (&[f32::MAX, 0.0], &[1.0000001]),
        ];
        for (d, x) in cases {
            let products = d
                .iter()
                .all(|&d| d.is_finite() && x.iter().all(|&x| (d * x).is_finite()));
            assert_eq!(outer_is_finite(d, x), products, "{d:?} ⊗ {x:?}");
        }
        // Longer than one 16-lane group, the largest values in the remainder.
        let mut d = [0.5f32; 37];
        d[36] = 2e19;
        let mut x = [1.0f32; 40];
        assert!(outer_is_finite(&d, &x));
        x[39] = 2e19;
        assert!(!outer_is_finite(&d, &x));
    }
}
