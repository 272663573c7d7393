//! Where a data-parallel step's time goes on two threads, with rayon's own joins (a waiting
//! thread may fall asleep) and with the harness's [`parallel::join`] inside
//! [`parallel::run_awake`] (waiting threads look for work and spin), measured in one run.
//!
//! ```text
//! cargo run --release -p host-harness --example parallel_phases -- [--data DIR] [--steps N]
//! ```
//! For each network (first layer `SparseInputDense`, and also `Dense`; batch 100): one whole
//! single-thread step; one 50-sample shard's gradient alone; the two shards' gradients at once;
//! the combination of the two gradients with the optimizer update, on one thread and split over
//! two. Then, for a first layer that defers its weight gradient (the trainer's split by rows):
//! the two shards without it at once; its rows, half on each thread, each over the whole batch;
//! and the combination of the rest with the update, on two threads. µs per step, mean of N steps
//! after as many warm-up steps.

use std::time::Instant;

use host_harness::idx::{self, Split};
use host_harness::math::Host;
use host_harness::parallel;
use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense, Layer, SparseInputDense};
use stacknn::loss::SoftmaxCrossEntropy;
use stacknn::optim::{Adam, Optimizer, Sgd};
use stacknn::train::{Join, Sequential};
use stacknn::zerocopy::FromZeros;
use stacknn::{Network, TrainState};

type SparseMlp<const H: usize> =
    Chain<SparseInputDense<f32, 784, H, Relu>, Dense<f32, H, 10, Identity>>;
type DenseMlp<const H: usize> = Chain<Dense<f32, 784, H, Relu>, Dense<f32, H, 10, Identity>>;

/// rayon's own join: the thread done first waits in rayon, and may fall asleep.
struct RayonJoin;
impl Join for RayonJoin {
    fn join<A: FnOnce() + Send, B: FnOnce() + Send>(&self, a: A, b: B) {
        rayon::join(a, b);
    }
}

/// The harness's join: the thread done first looks for work and spins.
struct SpinJoin;
impl Join for SpinJoin {
    fn join<A: FnOnce() + Send, B: FnOnce() + Send>(&self, a: A, b: B) {
        parallel::join(a, b);
    }
}

fn phases<L, O, J>(xs: &[[f32; 784]], ys: &[u8], opt: &O, join: &J, steps: usize) -> [f64; 8]
where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]> + FromZeros + Sync,
    O: Optimizer<f32>,
    J: Join + Sync,
    TrainState<f32, L, Sgd<f32>, 100>: Send,
{
    let mut net = Network::<f32, L, Host>::new_box_zeroed().expect("alloc");
    net.init(1);
    let mut st = TrainState::<f32, L, O, 100>::new_box_zeroed().expect("alloc");
    st.reset(1);
    let mut w0 = TrainState::<f32, L, Sgd<f32>, 100>::new_box_zeroed().expect("alloc");
    let mut w1 = TrainState::<f32, L, Sgd<f32>, 100>::new_box_zeroed().expect("alloc");
    let mut t = [0f64; 8];
    for round in 0..2 {
        t = [0.0; 8];
        for k in 0..steps {
            let i = (k * 100 + round * 31_000) % (xs.len() - 100);
            let (xa, xb, ya, yb) = (
                &xs[i..i + 50],
                &xs[i + 50..i + 100],
                &ys[i..i + 50],
                &ys[i + 50..i + 100],
            );
            let c = Instant::now();
            st.step(
                &mut net,
                opt,
                &SoftmaxCrossEntropy,
                &xs[i..i + 100],
                &ys[i..i + 100],
            )
            .expect("step");
            t[0] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            w0.gradients(&*net, &SoftmaxCrossEntropy, xa, ya)
                .expect("gradient");
            t[1] += c.elapsed().as_secs_f64();
            let shared: &Network<f32, L, Host> = &net;
            let c = Instant::now();
            join.join(
                || {
                    w0.gradients(shared, &SoftmaxCrossEntropy, xa, ya)
                        .expect("gradient");
                },
                || {
                    w1.gradients(shared, &SoftmaxCrossEntropy, xb, yb)
                        .expect("gradient");
                },
            );
            t[2] += c.elapsed().as_secs_f64();
            let parts = [(w0.grad(), 0.5f32), (w1.grad(), 0.5f32)];
            let c = Instant::now();
            st.apply_weighted_gradient_with(&mut net, &parts, opt, 1.0, &Sequential)
                .expect("update");
            t[3] += c.elapsed().as_secs_f64();
            let c = Instant::now();
            st.apply_weighted_gradient_with(&mut net, &parts, opt, 1.0, join)
                .expect("update");
            t[4] += c.elapsed().as_secs_f64();
            if L::DEFERRED_ROWS == 0 {
                continue;
            }
            let shared: &Network<f32, L, Host> = &net;
            let c = Instant::now();
            join.join(
                || {
                    w0.gradients_deferred(shared, &SoftmaxCrossEntropy, xa, ya, 100)
                        .expect("gradient");
                },
                || {
                    w1.gradients_deferred(shared, &SoftmaxCrossEntropy, xb, yb, 100)
                        .expect("gradient");
                },
            );
            t[5] += c.elapsed().as_secs_f64();
            let half = L::DEFERRED_ROWS / 2;
            let rows = st.deferred_grad_mut();
            let (ra, rb) = rows.split_at_mut(rows.len() / L::DEFERRED_ROWS * half);
            let (w0, w1) = (&*w0, &*w1);
            let c = Instant::now();
            join.join(
                || {
                    ra.fill(0.0);
                    w0.deferred_weight_gradient(shared, xa, 0, ra);
                    w1.deferred_weight_gradient(shared, xb, 0, ra);
                },
                || {
                    rb.fill(0.0);
                    w0.deferred_weight_gradient(shared, xa, half, rb);
                    w1.deferred_weight_gradient(shared, xb, half, rb);
                },
            );
            t[6] += c.elapsed().as_secs_f64();
            let parts = [(w0.grad(), 1.0f32), (w1.grad(), 1.0f32)];
            let c = Instant::now();
            st.apply_deferred_gradient_with(&mut net, &parts, opt, 1.0, join)
                .expect("update");
            t[7] += c.elapsed().as_secs_f64();
        }
    }
    t.map(|x| x / steps as f64 * 1e6)
}

fn report<L, O>(name: &str, xs: &[[f32; 784]], ys: &[u8], opt: O, steps: usize)
where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]> + FromZeros + Sync,
    O: Optimizer<f32> + Sync,
    TrainState<f32, L, Sgd<f32>, 100>: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("pool");
    let plain = pool.install(|| phases::<L, O, _>(xs, ys, &opt, &RayonJoin, steps));
    let awake = parallel::run_awake(&pool, || phases::<L, O, _>(xs, ys, &opt, &SpinJoin, steps));
    for (how, t) in [("rayon::join", plain), ("run_awake + join", awake)] {
        let split = if L::DEFERRED_ROWS == 0 {
            "— | — | —".to_string()
        } else {
            format!("{:.0} | {:.0} | {:.0}", t[5], t[6], t[7])
        };
        println!(
            "| {name} | {how} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {split} |",
            t[0], t[1], t[2], t[3], t[4]
        );
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut data, mut steps) = (idx::default_data_dir(), 300usize);
    while let Some(a) = args.next() {
        let mut v = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = v().into(),
            "--steps" => steps = v().parse().expect("--steps N"),
            _ => panic!("usage: parallel_phases [--data DIR] [--steps N]"),
        }
    }
    let set = idx::load(&data, Split::Train).expect("MNIST training set");
    let (xs, ys) = (set.images_f32(), set.labels.clone());
    println!("| network | joins | 1-thread step | 1 shard's gradient | 2 shards at once | combine + update, 1 thread | … on 2 threads | split by rows: 2 shards at once | rows, 2 threads | combine + update, 2 threads |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    report::<DenseMlp<100>, _>("784-100-10 Adam, `Dense`", &xs, &ys, Adam::new(1e-3), steps);
    report::<SparseMlp<100>, _>("784-100-10 Adam", &xs, &ys, Adam::new(1e-3), steps);
    report::<SparseMlp<50>, _>("784-50-10 SGD", &xs, &ys, Sgd::new(0.1), steps);
    report::<SparseMlp<1000>, _>("784-1000-10 SGD", &xs, &ys, Sgd::new(0.1), steps / 5);
    report::<DenseMlp<50>, _>("784-50-10 SGD, `Dense`", &xs, &ys, Sgd::new(0.1), steps);
    report::<DenseMlp<1000>, _>(
        "784-1000-10 SGD, `Dense`",
        &xs,
        &ys,
        Sgd::new(0.1),
        steps / 5,
    );
}
