//! The stacknn side of `bench/compare`: trains the issue-8 workloads on MNIST (already in memory
//! as f32) and prints one JSON object per line with samples/s (or µs/sample for inference).
//!
//! ```text
//! cargo run --release -p host-harness --example bench_compare -- [--data DIR] [--seconds S]
//!     [--repeats R] [--threads T] [--only NAME,NAME] [--label NAME]
//! ```
//! Each figure is the best of R timed runs of at least S seconds each, after a warm-up. With
//! T > 1 each batch workload is also trained by the data-parallel trainer on T threads, and as T
//! independent single-thread trainings at once (what the machine gives T cores), the three
//! measured by turns.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use host_harness::idx::{self, Split};
use host_harness::math::Host;
use host_harness::parallel::ParallelTrainer;
use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense, Frozen, Layer, SparseInputDense, TransposedDense};
use stacknn::loss::SoftmaxCrossEntropy;
use stacknn::online::OnlineSgd;
use stacknn::optim::{Adam, Optimizer, Sgd};
use stacknn::zerocopy::FromZeros;
use stacknn::{Network, TrainState};

type Mlp<const H: usize> = Chain<Dense<f32, 784, H, Relu>, Dense<f32, H, 10, Identity>>;
/// [`Mlp`] with its first layer input-major, skipping zero inputs (the same bits).
type SparseMlp<const H: usize> =
    Chain<SparseInputDense<f32, 784, H, Relu>, Dense<f32, H, 10, Identity>>;

struct Opts {
    data: PathBuf,
    seconds: f64,
    repeats: usize,
    threads: usize,
    only: Option<Vec<String>>,
    /// Name of this build in the output (`portable`: default target; `native`: host CPU).
    label: String,
}

fn parse() -> Opts {
    let mut o = Opts {
        data: idx::default_data_dir(),
        seconds: 1.0,
        repeats: 3,
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        only: None,
        label: "portable".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().expect("missing value");
        match a.as_str() {
            "--data" => o.data = v().into(),
            "--seconds" => o.seconds = v().parse().expect("--seconds"),
            "--repeats" => o.repeats = v().parse().expect("--repeats"),
            "--threads" => o.threads = v().parse().expect("--threads"),
            "--label" => o.label = v(),
            "--only" => o.only = Some(v().split(',').map(str::to_owned).collect()),
            _ => panic!("unknown argument {a}"),
        }
    }
    o
}

/// Best of `repeats` measurements of `f` (each returns samples processed), each run for at least
/// `seconds`; returns samples per second. The best, not the median: on a shared machine other
/// processes only ever slow a run down.
fn measure(seconds: f64, repeats: usize, f: impl FnMut() -> usize) -> f64 {
    let mut fs: [Box<dyn FnMut() -> usize + '_>; 1] = [Box::new(f)];
    measure_alternating(seconds, repeats, &mut fs)[0]
}

/// [`measure`] for several functions at once, their runs alternated (f₀, f₁, f₀, f₁, …) so that
/// every one of them meets the same spells of load from other processes; best of `repeats` each.
fn measure_alternating(
    seconds: f64,
    repeats: usize,
    fs: &mut [Box<dyn FnMut() -> usize + '_>],
) -> Vec<f64> {
    for f in fs.iter_mut() {
        let warm = Instant::now();
        while warm.elapsed().as_secs_f64() < seconds.min(0.5) {
            f();
        }
    }
    let mut best = vec![0.0f64; fs.len()];
    for _ in 0..repeats.max(1) {
        for (f, best) in fs.iter_mut().zip(&mut best) {
            let t = Instant::now();
            let mut n = 0;
            while t.elapsed().as_secs_f64() < seconds {
                n += f();
            }
            *best = best.max(n as f64 / t.elapsed().as_secs_f64());
        }
    }
    best
}

fn emit(name: &str, variant: &str, threads: usize, value: f64, unit: &str) {
    println!(
        "{{\"impl\":\"stacknn\",\"variant\":\"{variant}\",\"workload\":\"{name}\",\"threads\":{threads},\"value\":{value:.3},\"unit\":\"{unit}\"}}"
    );
}

/// Trains one workload single-threaded (chunks of CH samples) and with `threads` threads.
fn train<L, O, const CH: usize>(
    name: &str,
    o: &Opts,
    xs: &[[f32; 784]],
    ys: &[u8],
    opt: O,
    batch: usize,
    threads: usize,
) where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]> + FromZeros + Sync,
    O: Optimizer<f32>,
    TrainState<f32, L, Sgd<f32>, CH>: Send,
    TrainState<f32, L, O, CH>: Send,
    Network<f32, L, Host>: Send,
{
    let steps = xs.len() / batch;
    // The k-th batch of the training set, in file order (wrapping around).
    let at = |k: usize| {
        let i = (k % steps) * batch;
        (&xs[i..i + batch], &ys[i..i + batch])
    };
    let (net, mut st) = fresh::<L, O, CH>();
    let net = std::cell::RefCell::new(net);
    let net = &net;
    let mut k = 0;
    let mut fs: Vec<Box<dyn FnMut() -> usize + '_>> = vec![Box::new(move || {
        let (x, y) = at(k);
        k += 1;
        st.step(&mut *net.borrow_mut(), &opt, &SoftmaxCrossEntropy, x, y)
            .expect("step");
        batch
    })];
    if threads > 1 {
        let mut tr = ParallelTrainer::<f32, L, O, CH>::new(threads, 1).expect("pool");
        let mut k = 0;
        fs.push(Box::new(move || {
            // Ten steps at a time on the trainer's own threads, as `stacknn train` runs its loop
            // (`ParallelTrainer::run`): no hand-over to the pool and back at every step.
            let net = &mut *net.borrow_mut();
            let k = &mut k;
            tr.run(|tr| {
                for _ in 0..10 {
                    let (x, y) = at(*k);
                    *k += 1;
                    tr.step(net, &opt, &SoftmaxCrossEntropy, x, y)
                        .expect("step");
                }
            });
            10 * batch
        }));
        // What the machine gives `threads` cores at the moment: as many independent
        // single-thread trainings at once, each with its own network, state and batches, run by
        // turns with the two above so that all three meet the same load from other processes.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let solo: Vec<_> = (0..threads)
            .map(|t| {
                let (net, st) = fresh::<L, O, CH>();
                std::sync::Mutex::new((net, st, t * steps / threads))
            })
            .collect();
        fs.push(Box::new(move || {
            // Each thread trains until the same deadline and counts its own samples, so a
            // slower core costs only its own share (and at most one step of waiting at the end).
            let deadline = Instant::now() + SOLO_WINDOW;
            pool.broadcast(|ctx| {
                let mut guard = solo[ctx.index()].lock().expect("one thread each");
                let (net, st, k) = &mut *guard;
                let mut done = 0;
                while Instant::now() < deadline {
                    let (x, y) = at(*k);
                    *k += 1;
                    st.step(net, &opt, &SoftmaxCrossEntropy, x, y)
                        .expect("step");
                    done += batch;
                }
                done
            })
            .into_iter()
            .sum()
        }));
    }
    // Single thread, `threads` threads and the independent ones alternated, so that their ratios
    // compare like with like.
    let rates = measure_alternating(o.seconds, o.repeats, &mut fs);
    let variants = [
        (o.label.clone(), 1),
        (format!("{}, {threads} threads", o.label), threads),
        (
            format!("{}, {threads} threads, independent", o.label),
            threads,
        ),
    ];
    for ((variant, t), rate) in variants.iter().zip(rates) {
        emit(name, variant, *t, rate, "samples/s");
    }
}

/// How long the independent trainings of `train` run per hand-out to the pool: long enough that
/// waking the threads (13–80 µs measured here) and the wait for the last step (half a step on
/// average: up to 1.8 ms for 784-1000-10) cost about 1 % of it.
const SOLO_WINDOW: std::time::Duration = std::time::Duration::from_millis(200);

/// A network and its training state, on the heap.
type Trainee<L, O, const CH: usize> = (Box<Network<f32, L, Host>>, Box<TrainState<f32, L, O, CH>>);

/// A network initialised with seed 1 and a training state reset with seed 1, on the heap.
fn fresh<L, O, const CH: usize>() -> Trainee<L, O, CH>
where
    L: Layer<f32> + FromZeros,
    O: Optimizer<f32>,
{
    let mut net = Network::<f32, L, Host>::new_box_zeroed().expect("alloc");
    net.init(1);
    let mut st = TrainState::<f32, L, O, CH>::new_box_zeroed().expect("alloc");
    st.reset(1);
    (net, st)
}

fn main() {
    let o = parse();
    let data = idx::load(&o.data, Split::Train).expect("MNIST training set");
    let xs = data.images_f32();
    let ys = data.labels.clone();
    let want = |n: &str| o.only.as_ref().is_none_or(|v| v.iter().any(|x| x == n));
    let t = o.threads;
    if want("mlp100_adam_b32") {
        train::<Mlp<100>, _, 32>("mlp100_adam_b32", &o, &xs, &ys, Adam::new(1e-3), 32, t);
    }
    if want("mlp100_adam_b100") {
        train::<Mlp<100>, _, 100>("mlp100_adam_b100", &o, &xs, &ys, Adam::new(1e-3), 100, t);
    }
    if want("mlp50_sgd_b100") {
        train::<Mlp<50>, _, 100>("mlp50_sgd_b100", &o, &xs, &ys, Sgd::new(0.1), 100, t);
    }
    if want("mlp1000_sgd_b100") {
        train::<Mlp<1000>, _, 100>("mlp1000_sgd_b100", &o, &xs, &ys, Sgd::new(0.1), 100, t);
    }
    // The same workloads with the first layer skipping the digits' zero pixels.
    if want("mlp100s_adam_b32") {
        train::<SparseMlp<100>, _, 32>("mlp100s_adam_b32", &o, &xs, &ys, Adam::new(1e-3), 32, t);
    }
    if want("mlp100s_adam_b100") {
        let (name, opt) = ("mlp100s_adam_b100", Adam::new(1e-3));
        train::<SparseMlp<100>, _, 100>(name, &o, &xs, &ys, opt, 100, t);
    }
    if want("mlp50s_sgd_b100") {
        train::<SparseMlp<50>, _, 100>("mlp50s_sgd_b100", &o, &xs, &ys, Sgd::new(0.1), 100, t);
    }
    if want("mlp1000s_sgd_b100") {
        let (name, opt) = ("mlp1000s_sgd_b100", Sgd::new(0.1));
        train::<SparseMlp<1000>, _, 100>(name, &o, &xs, &ys, opt, 100, t);
    }
    if want("mlp100_sgd_b1") {
        train::<Mlp<100>, _, 1>("mlp100_sgd_b1", &o, &xs, &ys, Sgd::new(0.01), 1, 1);
    }
    if want("mlp100o_sgd_b1") {
        train_online::<Mlp<100>>("mlp100o_sgd_b1", &o, &xs, &ys, 0.01);
    }
    if want("mlp100so_sgd_b1") {
        train_online::<SparseMlp<100>>("mlp100so_sgd_b1", &o, &xs, &ys, 0.01);
    }
    if want("mlp100_infer_b1") {
        let mut net = Network::<f32, Mlp<100>, Host>::new_box_zeroed().expect("alloc");
        net.init(1);
        infer("mlp100_infer_b1", &o, &xs, &net);
    }
    if want("mlp100t_infer_b1") {
        infer_input_major::<false>("mlp100t_infer_b1", &o, &xs);
    }
    if want("mlp100s_infer_b1") {
        infer_input_major::<true>("mlp100s_infer_b1", &o, &xs);
    }
}

/// Online SGD (one sample per step) with [`OnlineSgd`]: the bits of the `mlp100_sgd_b1` row's
/// `TrainState` steps (for the same layer types), without the gradient buffer.
fn train_online<L>(name: &str, o: &Opts, xs: &[[f32; 784]], ys: &[u8], lr: f32)
where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]> + FromZeros,
{
    let mut net = Network::<f32, L, Host>::new_box_zeroed().expect("alloc");
    net.init(1);
    let mut st = OnlineSgd::<f32, L>::new_box_zeroed().expect("alloc");
    let sgd = Sgd::new(lr);
    let mut k = 0;
    let rate = measure(o.seconds, o.repeats, || {
        for _ in 0..100 {
            let i = k % xs.len();
            k += 1;
            st.step(&mut net, &sgd, &SoftmaxCrossEntropy, &xs[i], &ys[i])
                .expect("step");
        }
        100
    });
    emit(name, &o.label, 1, rate, "samples/s");
}

/// [`infer`] with the network's first layer stored input-major, zero inputs skipped or not.
fn infer_input_major<const SKIP_ZEROS: bool>(name: &str, o: &Opts, xs: &[[f32; 784]]) {
    type First<const Z: bool> = Frozen<TransposedDense<f32, 784, 100, Relu, Z>>;
    type Net<const Z: bool> = Chain<First<Z>, Dense<f32, 100, 10, Identity>>;
    let mut dense = Network::<f32, Mlp<100>, Host>::new_box_zeroed().expect("alloc");
    dense.init(1);
    let mut net = Network::<f32, Net<SKIP_ZEROS>, Host>::new_box_zeroed().expect("alloc");
    net.layers.first.0.set_from_dense(&dense.layers.first);
    net.layers.second = dense.layers.second;
    infer(name, o, xs, &net);
}

/// Single-sample inference latency of `net` over the training images, in µs per sample.
fn infer<L>(name: &str, o: &Opts, xs: &[[f32; 784]], net: &Network<f32, L, Host>)
where
    L: Layer<f32, Input = [f32; 784], Output = [f32; 10]>,
{
    let mut k = 0;
    let rate = measure(o.seconds, o.repeats, || {
        let mut y = [0.0f32; 10];
        for _ in 0..100 {
            net.forward(black_box(&xs[k % xs.len()]), &mut y);
            black_box(&y);
            k += 1;
        }
        100
    });
    emit(name, &o.label, 1, 1e6 / rate, "us/sample");
}
