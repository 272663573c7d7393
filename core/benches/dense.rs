//! Criterion benches of the dense kernels and of whole training steps at the issue-8 shapes.
//!
//! ```text
//! cargo bench -p stacknn --bench dense                 # everything (about 1 minute)
//! cargo bench -p stacknn --bench dense -- train_step   # one group
//! ```
//! The networks use the core's `Libm` backend, whose `libm::sqrtf` keeps Adam's update scalar;
//! the host harness trains with its `Host` backend (the CPU's square root, same bits), which
//! `bench/compare` measures.
//! Throughput is reported in samples (elements) per second. The inputs are random numbers in
//! [0, 1) (the kernels' speed does not depend on the values).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense, SparseInputDense, TransposedDense};
use stacknn::loss::SoftmaxCrossEntropy;
use stacknn::online::OnlineSgd;
use stacknn::optim::{Adam, Optimizer, Sgd};
use stacknn::zerocopy::FromZeros;
use stacknn::{Layer, Network, Rng, TrainState};

type Mlp<const H: usize> = Chain<Dense<f32, 784, H, Relu>, Dense<f32, H, 10, Identity>>;
/// [`Mlp`] with the first layer skipping zero inputs (same bits).
type SparseMlp<const H: usize> =
    Chain<SparseInputDense<f32, 784, H, Relu>, Dense<f32, H, 10, Identity>>;

fn inputs<const I: usize>(n: usize, seed: u64) -> Vec<[f32; I]> {
    let mut r = Rng::seed(seed);
    (0..n)
        .map(|_| std::array::from_fn(|_| r.uniform_in(0.0f32, 1.0)))
        .collect()
}

/// `n` inputs with four in five entries zero (about an MNIST digit's share of zero pixels), for
/// layers that skip zero inputs.
fn sparse_inputs<const I: usize>(n: usize, seed: u64) -> Vec<[f32; I]> {
    let mut xs = inputs::<I>(n, seed);
    let mut r = Rng::seed(seed + 1);
    for v in xs.iter_mut().flatten() {
        if r.below(5) != 0 {
            *v = 0.0;
        }
    }
    xs
}

fn layer<const I: usize, const O: usize>() -> Box<Dense<f32, I, O, Relu>> {
    let mut d = Dense::<f32, I, O, Relu>::new_box_zeroed().unwrap();
    d.init::<stacknn::math::Libm>(stacknn::init::Init::Uniform, &mut Rng::seed(1));
    d
}

fn forward_case<const I: usize, const O: usize>(c: &mut Criterion, n: usize) {
    let d = layer::<I, O>();
    let xs = inputs::<I>(n, 2);
    let mut z = vec![[0.0f32; O]; n];
    let mut y = vec![[0.0f32; O]; n];
    let mut g = c.benchmark_group("dense_forward");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(
        BenchmarkId::new(format!("{I}x{O}"), format!("batch{n}")),
        |b| {
            b.iter(|| {
                if n == 1 {
                    d.forward::<stacknn::math::Libm>(black_box(&xs[0]), &mut y[0]);
                } else {
                    d.forward_batch::<stacknn::math::Libm>(black_box(&xs), &mut z, &mut y);
                }
                black_box(&y);
            })
        },
    );
    g.finish();
}

/// The single-sample forward of the same layer stored input-major (`TransposedDense`, same bits).
fn transposed_forward_case<const I: usize, const O: usize>(c: &mut Criterion) {
    let d = layer::<I, O>();
    let mut t = TransposedDense::<f32, I, O, Relu>::new_box_zeroed().unwrap();
    t.set_from_dense(&d);
    let x = inputs::<I>(1, 2);
    let mut y = [0.0f32; O];
    let mut g = c.benchmark_group("dense_forward");
    g.throughput(Throughput::Elements(1));
    g.bench_function(
        BenchmarkId::new(format!("{I}x{O}"), "batch1/input-major"),
        |b| {
            b.iter(|| {
                t.forward::<stacknn::math::Libm>(black_box(&x[0]), &mut y);
                black_box(&y);
            })
        },
    );
    g.finish();
}

fn backward_case<const I: usize, const O: usize>(c: &mut Criterion, n: usize, with_dx: bool) {
    let d = layer::<I, O>();
    let xs = inputs::<I>(n, 2);
    let mut z = vec![[0.0f32; O]; n];
    let mut y = vec![[0.0f32; O]; n];
    d.forward_batch::<stacknn::math::Libm>(&xs, &mut z, &mut y);
    let dy = inputs::<O>(n, 3);
    let mut dx = vec![[0.0f32; I]; n];
    let mut grad = stacknn::layer::DenseParams::<f32, I, O>::new_box_zeroed().unwrap();
    let mut g = c.benchmark_group("dense_backward");
    g.throughput(Throughput::Elements(n as u64));
    let what = if with_dx { "dW+db+dx" } else { "dW+db" };
    g.bench_function(
        BenchmarkId::new(format!("{I}x{O}/{what}"), format!("batch{n}")),
        |b| {
            b.iter(|| {
                let dx = if with_dx { Some(&mut dx[..]) } else { None };
                d.backward_batch::<stacknn::math::Libm>(
                    black_box(&xs),
                    &mut z,
                    &y,
                    &dy,
                    dx,
                    &mut grad,
                );
                black_box(&grad);
            })
        },
    );
    g.finish();
}

/// The batched backward of a [`SparseInputDense`] (dW + db) on inputs four fifths zero, against
/// the same layer's per-sample backward called in a loop (its path before the blocked kernel;
/// same bits).
fn sparse_backward_case<const I: usize, const O: usize>(c: &mut Criterion, n: usize) {
    let d = layer::<I, O>();
    let mut t = SparseInputDense::<f32, I, O, Relu>::new_box_zeroed().unwrap();
    t.set_from_dense(&d);
    let xs = sparse_inputs::<I>(n, 2);
    let mut z = vec![[0.0f32; O]; n];
    let mut y = vec![[0.0f32; O]; n];
    t.forward_batch::<stacknn::math::Libm>(&xs, &mut z, &mut y);
    let dy = inputs::<O>(n, 3);
    let mut grad = stacknn::layer::TransposedParams::<f32, I, O>::new_box_zeroed().unwrap();
    let mut g = c.benchmark_group("dense_backward");
    g.throughput(Throughput::Elements(n as u64));
    let id = format!("{I}x{O}/dW+db/SparseInputDense, 4/5 zero inputs");
    g.bench_function(BenchmarkId::new(&id, format!("batch{n}")), |b| {
        b.iter(|| {
            t.backward_batch::<stacknn::math::Libm>(
                black_box(&xs),
                &mut z,
                &y,
                &dy,
                None,
                &mut grad,
            );
            black_box(&grad);
        })
    });
    g.bench_function(BenchmarkId::new(&id, format!("batch{n}/per-sample")), |b| {
        b.iter(|| {
            for (((x, z), y), dy) in xs.iter().zip(&z).zip(&y).zip(&dy) {
                t.backward::<stacknn::math::Libm>(black_box(x), z, y, dy, None, &mut grad);
            }
            black_box(&grad);
        })
    });
    g.finish();
}

/// A [`TrainState`] step of `n` samples (dense random inputs, or with `zeros` four fifths zero).
fn step_case<L, O: Optimizer<f32>, const CH: usize>(
    c: &mut Criterion,
    name: &str,
    opt: O,
    n: usize,
    zeros: bool,
) where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]> + FromZeros,
{
    let mut net = Network::<f32, L>::new_box_zeroed().unwrap();
    net.init(1);
    let mut st = TrainState::<f32, L, O, CH>::new_box_zeroed().unwrap();
    st.reset(1);
    let xs = if zeros {
        sparse_inputs::<784>(n, 4)
    } else {
        inputs::<784>(n, 4)
    };
    let ts: Vec<usize> = (0..n).map(|i| i % 10).collect();
    let mut g = c.benchmark_group("train_step");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::new(name, format!("batch{n}/chunk{CH}")), |b| {
        b.iter(|| {
            black_box(
                st.step(&mut net, &opt, &SoftmaxCrossEntropy, black_box(&xs), &ts)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

/// One-sample plain SGD steps with [`OnlineSgd`] (no gradient buffer; the bits of the
/// `TrainState` step of the `784-100-10 SGD batch1` case) over 32 inputs in turn: dense random
/// inputs, or inputs with four in five entries zero (about an MNIST digit's share of zero
/// pixels) for a first layer that skips them.
fn online_case<L>(c: &mut Criterion, name: &str, zeros: bool)
where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]> + FromZeros,
{
    let mut net = Network::<f32, L>::new_box_zeroed().unwrap();
    net.init(1);
    let mut st = OnlineSgd::<f32, L>::new_box_zeroed().unwrap();
    let xs = if zeros {
        sparse_inputs::<784>(32, 4)
    } else {
        inputs::<784>(32, 4)
    };
    let sgd = Sgd::new(0.01);
    let mut k = 0;
    let mut g = c.benchmark_group("train_step");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new(name, "batch1/online"), |b| {
        b.iter(|| {
            k = (k + 1) % xs.len();
            black_box(
                st.step(
                    &mut net,
                    &sgd,
                    &SoftmaxCrossEntropy,
                    black_box(&xs[k]),
                    &(k % 10),
                )
                .unwrap(),
            )
        })
    });
    g.finish();
}

fn forward(c: &mut Criterion) {
    forward_case::<784, 100>(c, 1);
    transposed_forward_case::<784, 100>(c);
    forward_case::<784, 100>(c, 4);
    forward_case::<784, 100>(c, 16);
    forward_case::<784, 100>(c, 32);
    forward_case::<784, 100>(c, 100);
    forward_case::<784, 50>(c, 100);
    forward_case::<784, 1000>(c, 100);
    forward_case::<100, 10>(c, 32);
}

fn backward(c: &mut Criterion) {
    backward_case::<784, 100>(c, 1, false);
    backward_case::<784, 100>(c, 32, false);
    backward_case::<784, 100>(c, 32, true);
    backward_case::<784, 1000>(c, 100, false);
    backward_case::<100, 10>(c, 32, true);
    sparse_backward_case::<784, 100>(c, 32);
    sparse_backward_case::<784, 50>(c, 100);
}

fn train_step(c: &mut Criterion) {
    let adam = || Adam::new(1e-3);
    step_case::<Mlp<100>, _, 32>(c, "784-100-10 Adam", adam(), 32, false);
    step_case::<Mlp<100>, _, 1>(c, "784-100-10 Adam", adam(), 32, false);
    step_case::<Mlp<100>, _, 100>(c, "784-100-10 Adam", adam(), 100, false);
    step_case::<Mlp<50>, _, 100>(c, "784-50-10 SGD", Sgd::new(0.1), 100, false);
    step_case::<Mlp<1000>, _, 100>(c, "784-1000-10 SGD", Sgd::new(0.1), 100, false);
    step_case::<Mlp<100>, _, 1>(c, "784-100-10 SGD", Sgd::new(0.01), 1, false);
    let sparse = "SparseInputDense, 4/5 zero inputs";
    let name = format!("784-100-10 Adam, {sparse}");
    step_case::<SparseMlp<100>, _, 32>(c, &name, adam(), 32, true);
    let name = format!("784-50-10 SGD, {sparse}");
    step_case::<SparseMlp<50>, _, 100>(c, &name, Sgd::new(0.1), 100, true);
    online_case::<Mlp<100>>(c, "784-100-10 SGD", false);
    online_case::<SparseMlp<100>>(c, &format!("784-100-10 SGD, {sparse}"), true);
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = forward, backward, train_step
}
criterion_main!(benches);
