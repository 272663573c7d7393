//! The built-in architectures, chosen at run time by name (`--arch 784-100-10`) and dispatched to
//! the core's static, const-generic network types.
//!
//! # Adding an architecture
//! Add one line to the [`archs!`](crate::archs) invocation at the bottom of this file:
//!
//! ```text
//! Arch784x300x10 = "784-300-10" [784, 300, 10];
//! ```
//!
//! The marker type, its network type `Chain<Dense<S, 784, 300, _>, Dense<S, 300, 10, _>>` for
//! every scalar, and its entry in [`ARCH_NAMES`] and [`dispatch`] are generated from that line.
//! Every layer is a [`Dense`] layer whose activation is chosen at run time
//! ([`ActivationKind`]); the input width must be 784 and the output width 10 (MNIST). The
//! harness trains and runs each network with its first layer a [`SparseInputDense`]
//! ([`SparseFirst`]: the same bits, an image's zero pixels skipped).

use stacknn::activation::ActivationKind;
use stacknn::layer::{Chain, Dense, Layer, SparseInputDense, TransposedDense};
use stacknn::zerocopy::FromZeros;
use stacknn::Scalar;

/// Reads and writes the run-time activation of every dense layer of a network, input first.
pub trait Activations<S: Scalar> {
    /// Number of dense layers.
    const LAYERS: usize;
    /// Sets the activations from `acts` (exactly [`Activations::LAYERS`] of them).
    fn set_activations(&mut self, acts: &[ActivationKind<S>]);
    /// Appends the activations, input layer first.
    fn activations(&self, out: &mut Vec<ActivationKind<S>>);
}

/// [`Activations`] for a single layer whose activation is its `activation` field.
macro_rules! one_layer_activations {
    ([$($generics:tt)*] $layer:ty) => {
        impl<S: Scalar, $($generics)*> Activations<S> for $layer {
            const LAYERS: usize = 1;
            fn set_activations(&mut self, acts: &[ActivationKind<S>]) {
                if let Some(&a) = acts.first() {
                    self.activation = a;
                }
            }
            fn activations(&self, out: &mut Vec<ActivationKind<S>>) {
                out.push(self.activation);
            }
        }
    };
}

one_layer_activations!([const I: usize, const O: usize] Dense<S, I, O, ActivationKind<S>>);
one_layer_activations!(
    [const I: usize, const O: usize, const Z: bool]
    TransposedDense<S, I, O, ActivationKind<S>, Z>
);

/// A network of dense layers and the same network with its first layer a [`SparseInputDense`]
/// (stored input-major, skipping zero inputs): the form the harness trains and runs, because
/// an image's zero pixels (four in five of an MNIST digit's) then cost nothing — 2.4× the
/// samples per second of a 784-100-10 Adam step at batch 100 (`docs/BENCHMARKS.md`). The two
/// compute the same bits while the weights are finite (test
/// `stacknn::layer::transposed::tests::bit_identical_to_dense`; the harness refuses non-finite
/// weights and rejects steps that would make them so). Model files, parameter lists and PyTorch
/// tensors keep the output-major layout of [`Family::Net`]; these convert, in place on the heap.
pub trait SparseFirst<S: Scalar>: Layer<S> + Activations<S> + FromZeros {
    /// The same network with its first layer a [`SparseInputDense`].
    type Sparse: Layer<S, Input = Self::Input, Output = Self::Output> + Activations<S> + FromZeros;
    /// Writes this network's parameters and activations into `out`.
    fn write_sparse(&self, out: &mut Self::Sparse);
    /// Reads the parameters and activations of `sparse` into this network.
    fn set_from_sparse(&mut self, sparse: &Self::Sparse);
}

/// The layers of architecture `F` over `S` as the harness trains and runs them: the first layer
/// a [`SparseInputDense`] ([`SparseFirst::Sparse`]).
pub type SparseNet<F, S> = <<F as Family>::Net<S> as SparseFirst<S>>::Sparse;

impl<S: Scalar, const I: usize, const O: usize> SparseFirst<S>
    for Dense<S, I, O, ActivationKind<S>>
{
    type Sparse = SparseInputDense<S, I, O, ActivationKind<S>>;
    fn write_sparse(&self, out: &mut Self::Sparse) {
        out.set_from_dense(self);
    }
    fn set_from_sparse(&mut self, sparse: &Self::Sparse) {
        self.set_from_transposed(sparse);
    }
}

impl<S, const I: usize, const O: usize, B> SparseFirst<S>
    for Chain<Dense<S, I, O, ActivationKind<S>>, B>
where
    S: Scalar,
    B: Layer<S, Input = [S; O]> + Activations<S> + FromZeros,
{
    type Sparse = Chain<SparseInputDense<S, I, O, ActivationKind<S>>, B>;
    fn write_sparse(&self, out: &mut Self::Sparse) {
        out.first.set_from_dense(&self.first);
        copy_layer(&self.second, &mut out.second);
    }
    fn set_from_sparse(&mut self, sparse: &Self::Sparse) {
        self.first.set_from_transposed(&sparse.first);
        copy_layer(&sparse.second, &mut self.second);
    }
}

/// Copies the parameters and activations of `src` into `dst`, slice by slice (a layer of
/// 1000 × 1000 weights is not moved through the stack).
fn copy_layer<S: Scalar, L: Layer<S> + Activations<S>>(src: &L, dst: &mut L) {
    let mut slices = Vec::new();
    src.weights(&mut |w| slices.push(w.to_vec()));
    let mut it = slices.iter();
    dst.weights_mut(&mut |w| {
        if let Some(s) = it.next() {
            w.copy_from_slice(s);
        }
    });
    let mut acts = Vec::new();
    src.activations(&mut acts);
    dst.set_activations(&acts);
}

impl<S: Scalar, A: Activations<S>, B: Activations<S>> Activations<S> for Chain<A, B> {
    const LAYERS: usize = A::LAYERS + B::LAYERS;
    fn set_activations(&mut self, acts: &[ActivationKind<S>]) {
        let k = A::LAYERS.min(acts.len());
        self.first.set_activations(&acts[..k]);
        self.second.set_activations(&acts[k..]);
    }
    fn activations(&self, out: &mut Vec<ActivationKind<S>>) {
        self.first.activations(out);
        self.second.activations(out);
    }
}

/// An architecture: a family of network types, one per scalar type.
pub trait Family: 'static {
    /// Its `--arch` name, e.g. `"784-100-10"`.
    const NAME: &'static str;
    /// Layer widths, input first.
    const WIDTHS: &'static [u32];
    /// The network's layers over scalar `S`.
    type Net<S: Scalar>: Layer<S, Input = [S; 784], Output = [S; 10]>
        + Activations<S>
        + FromZeros
        + SparseFirst<S>;
}

/// Something to run with a statically known architecture (see [`dispatch`]).
pub trait Visitor {
    /// What the visit returns.
    type Out;
    /// Runs with architecture `F`.
    fn visit<F: Family>(self) -> Self::Out;
}

/// `--arch` named an architecture that is not built in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown architecture `{0}` (built in: {list}; docs: host-harness/src/arch.rs shows how to add one)", list = ARCH_NAMES.join(", "))]
pub struct UnknownArch(pub String);

/// The chain type of dense layers with the given widths over scalar `$s`.
#[macro_export]
#[doc(hidden)]
macro_rules! dense_net {
    ($s:ty; $a:literal, $b:literal) => {
        stacknn::layer::Dense<$s, $a, $b, stacknn::activation::ActivationKind<$s>>
    };
    ($s:ty; $a:literal, $b:literal, $($rest:literal),+) => {
        stacknn::layer::Chain<
            stacknn::layer::Dense<$s, $a, $b, stacknn::activation::ActivationKind<$s>>,
            $crate::dense_net!($s; $b, $($rest),+)
        >
    };
}

/// Declares the built-in architectures: one line `Marker = "name" [widths];` each.
#[macro_export]
#[doc(hidden)]
macro_rules! archs {
    ($($(#[$doc:meta])* $id:ident = $name:literal [$($w:literal),+];)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $id;
            impl $crate::arch::Family for $id {
                const NAME: &'static str = $name;
                const WIDTHS: &'static [u32] = &[$($w),+];
                type Net<S: stacknn::Scalar> = $crate::dense_net!(S; $($w),+);
            }
        )*
        /// The `--arch` names of the built-in architectures.
        pub const ARCH_NAMES: &[&str] = &[$($name),*];

        /// Runs `v` with the architecture called `name`.
        pub fn dispatch<V: Visitor>(name: &str, v: V) -> Result<V::Out, UnknownArch> {
            match name {
                $($name => Ok(v.visit::<$id>()),)*
                _ => Err(UnknownArch(name.to_string())),
            }
        }
    };
}

/// The `--arch` name of a list of widths (`[784, 100, 10]` → `"784-100-10"`).
pub fn arch_name(widths: &[u32]) -> String {
    widths
        .iter()
        .map(|w| w.to_string())
        .collect::<Vec<_>>()
        .join("-")
}

archs! {
    /// One dense layer: multinomial logistic regression (seed 003).
    Arch784x10 = "784-10" [784, 10];
    /// The textbook two-layer net (seed 001).
    Arch784x50x10 = "784-50-10" [784, 50, 10];
    /// The default: 100 hidden units.
    Arch784x100x10 = "784-100-10" [784, 100, 10];
    /// 1000 hidden units.
    Arch784x1000x10 = "784-1000-10" [784, 1000, 10];
    /// Two hidden layers of 1000 units (seed 000, Chainer's MNIST example).
    Arch784x1000x1000x10 = "784-1000-1000-10" [784, 1000, 1000, 10];
    /// A small net for fixtures and quick tests.
    Arch784x16x10 = "784-16-10" [784, 16, 10];
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Widths;
    impl Visitor for Widths {
        type Out = (usize, &'static [u32], usize);
        fn visit<F: Family>(self) -> Self::Out {
            (
                <F::Net<f32> as Activations<f32>>::LAYERS,
                F::WIDTHS,
                <F::Net<f64> as Layer<f64>>::WEIGHT_COUNT,
            )
        }
    }

    #[test]
    fn names_dispatch_to_matching_types() {
        for &name in ARCH_NAMES {
            let (layers, widths, count) = dispatch(name, Widths).unwrap();
            assert_eq!(arch_name(widths), name);
            assert_eq!(layers, widths.len() - 1);
            let expected: usize = widths
                .windows(2)
                .map(|w| (w[0] * w[1] + w[1]) as usize)
                .sum();
            assert_eq!(count, expected);
        }
        assert_eq!(dispatch("784-100-11", Widths).unwrap_err().0, "784-100-11");
    }
}
