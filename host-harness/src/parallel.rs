//! Data-parallel training on several threads, bit-reproducible for a given thread count.
//!
//! A batch of n samples is cut into `threads` contiguous shards of ⌈n/T⌉ samples, the last one
//! taking the rest (empty shards are skipped). Each shard's mean
//! loss and mean gradient are computed on its own thread with the core's batched kernels, then
//! combined **in shard order**, each weighted by its share nₖ/n, and one optimizer update is
//! applied ([`TrainState::apply_weighted_gradient_with`], with the same rejection of non-finite
//! steps as [`TrainState::step`]). The combination, the finite check and the update are element-wise:
//! they too run on the pool, each thread on its own range of parameters (the core's
//! [`Join`] hook), which changes no bit. Which thread ran which shard never matters, so a run is the same bit
//! for bit every time with the same thread count. With one thread the result is that of
//! [`TrainState::step`] (the shard weight is 1); with more threads it differs from it by rounding
//! only (the sum over the batch is grouped by shard).
//!
//! **First layer split by rows.** When the network's first layer can defer its weight gradient
//! ([`Layer::DEFERRED_ROWS`]: a [`SparseInputDense`](stacknn::layer::SparseInputDense) or
//! [`TransposedDense`](stacknn::layer::TransposedDense) first layer) and every shard fits in a
//! chunk (`CH` samples), that gradient is not summed per shard and then combined: each thread
//! computes its shard with it left out ([`TrainState::gradients_deferred`], ∂L/∂y divided by the
//! batch length), then, after a hand-over, a contiguous share of its rows over the **whole
//! batch**, in batch order ([`TrainState::deferred_weight_gradient`]), which is the order of
//! one thread: those rows have the bits of [`TrainState::step`]. The other gradients are added
//! in shard order, `(0 + g₀) + g₁ + …`. This leaves out the pass that read every shard's copy
//! of the largest gradient (half of it from the other core's cache) and each thread's clearing
//! of its copy: on 2 threads at batch 100, 784-1000-10 went from 1.74–1.78× to 1.83–1.85× its
//! one-thread throughput, 784-50-10 from 1.74–1.75× to 1.78–1.82× (alternated runs,
//! docs/BENCHMARKS.md). An output-major [`Dense`](stacknn::layer::Dense) first
//! layer does not defer: each thread would read every sample's whole input for its rows, and
//! that was slower than the combination it saves (1.4–1.75× against 1.8× at batch 100).
//! [`ParallelTrainer::set_row_split`] turns the split off (the `stacknn` CLI does, so that its
//! model files stay those of the output-major network, byte for byte).
//!
//! A step hands work between threads twice or more (the shards, then the pieces of the update).
//! Each hand-over goes through [`join`], whose waiting side keeps looking for work instead of
//! sleeping, and a training loop runs inside [`ParallelTrainer::run`] ([`run_awake`]), which
//! keeps the other threads polling between steps: a thread woken from sleep took long enough on
//! the 2-core development VM to cost a third of a small step (`parallel_phases` example,
//! docs/BENCHMARKS.md).
//!
//! ```
//! use host_harness::parallel::ParallelTrainer;
//! use stacknn::activation::Relu;
//! use stacknn::layer::{Chain, Dense};
//! use stacknn::loss::SoftmaxCrossEntropy;
//! use stacknn::optim::Sgd;
//! use stacknn::{zerocopy::FromZeros, Network};
//!
//! type Mlp = Chain<Dense<f32, 4, 8, Relu>, Dense<f32, 8, 3>>;
//! let mut net = Network::<f32, Mlp>::new_zeroed();
//! net.init(1);
//! let mut trainer = ParallelTrainer::<f32, Mlp, Sgd<f32>, 16>::new(2, 7).unwrap();
//! let xs = [[0.5f32, -1.0, 0.25, 2.0]; 10];
//! let ts = [1usize; 10];
//! let loss = trainer.step(&mut net, &Sgd::new(0.1), &SoftmaxCrossEntropy, &xs, &ts).unwrap();
//! assert!(loss > 0.0);
//! ```

use core::sync::atomic::{AtomicBool, Ordering};

use stacknn::layer::Layer;
use stacknn::loss::Loss;
use stacknn::math::Math;
use stacknn::optim::{Optimizer, Sgd};
use stacknn::train::{Join, Target};
use stacknn::zerocopy::FromZeros;
use stacknn::{Error, Network, Scalar, TrainState};

/// Trains on `threads` threads: one [`TrainState`] holding the gradient and the optimizer state,
/// and one gradient-only state (`Sgd`, no per-parameter state) per thread, each processing its
/// shard in chunks of `CH` samples.
///
/// Memory: `size_of::<TrainState<S, L, O, CH>>() + threads · size_of::<TrainState<S, L, Sgd<S>,
/// CH>>()`, all on the heap.
pub struct ParallelTrainer<S: Scalar, L: Layer<S>, O: Optimizer<S>, const CH: usize = 32> {
    main: Box<TrainState<S, L, O, CH>>,
    workers: Vec<Box<TrainState<S, L, Sgd<S>, CH>>>,
    pool: std::sync::Arc<rayon::ThreadPool>,
    row_split: bool,
}

/// Why a [`ParallelTrainer`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ParallelError {
    /// The thread pool could not be started.
    #[error("could not start {threads} training threads: {source}")]
    Pool {
        /// Threads asked for.
        threads: usize,
        /// Rayon's reason.
        source: rayon::ThreadPoolBuildError,
    },
    /// Out of memory for the training states.
    #[error("out of memory for the training state")]
    Alloc,
}

impl<S, L, O, const CH: usize> ParallelTrainer<S, L, O, CH>
where
    S: Scalar,
    L: Layer<S>,
    O: Optimizer<S>,
{
    /// A trainer on `threads` threads (0 = one per core), its optimizer state zeroed and its
    /// generator seeded with `seed`.
    pub fn new(threads: usize, seed: u64) -> Result<Self, ParallelError> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("stacknn-train-{i}"))
            .build()
            .map_err(|source| ParallelError::Pool { threads, source })?;
        let mut main =
            TrainState::<S, L, O, CH>::new_box_zeroed().map_err(|_| ParallelError::Alloc)?;
        main.reset(seed);
        let workers = (0..threads)
            .map(|_| {
                let mut w = TrainState::<S, L, Sgd<S>, CH>::new_box_zeroed()
                    .map_err(|_| ParallelError::Alloc)?;
                w.reset(0);
                Ok(w)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            main,
            workers,
            pool: std::sync::Arc::new(pool),
            row_split: true,
        })
    }

    /// Whether a network whose first layer defers its weight gradient has it split between the
    /// threads by rows, summed over the whole batch (on by default; see the module docs), or
    /// summed per shard like every other gradient. The two differ by rounding only.
    pub fn set_row_split(&mut self, on: bool) {
        self.row_split = on;
    }

    /// The trainer's thread pool, to run a whole training loop on it (best through
    /// [`run_awake`], as [`ParallelTrainer::run`] does): [`ParallelTrainer::step`] called from
    /// outside the pool hands the batch to a pool thread and sleeps until the step is done, and
    /// waking up again cost 15–20 µs a step on the 2-core development VM (measured between the
    /// end of the update on the pool and the return to the caller: 7 % of a 784-50-10 batch-100
    /// step on two threads). Called from one of the pool's own threads, the step runs there
    /// directly and nothing sleeps. The results are the same bits either way.
    pub fn pool(&self) -> std::sync::Arc<rayon::ThreadPool> {
        std::sync::Arc::clone(&self.pool)
    }

    /// Runs `f` with this trainer on one of the trainer's own threads, the others kept awake
    /// for the steps' work while it runs ([`run_awake`]), and returns its result: the way to
    /// run a training loop.
    pub fn run<R: Send>(&mut self, f: impl FnOnce(&mut Self) -> R + Send) -> R
    where
        Self: Send,
    {
        let pool = self.pool();
        run_awake(&pool, || f(self))
    }

    /// Number of threads (and shards per batch).
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The state holding the combined gradient, the optimizer state and the step counter.
    pub fn state(&self) -> &TrainState<S, L, O, CH> {
        &self.main
    }

    /// One data-parallel training step on a batch; returns the batch-mean loss (before the
    /// update). Errors and the rejection of non-finite steps are those of [`TrainState::step`];
    /// a rejected step changes nothing.
    pub fn step<M, Lo, T>(
        &mut self,
        net: &mut Network<S, L, M>,
        optimizer: &O,
        loss: &Lo,
        inputs: &[L::Input],
        targets: &[T],
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S> + Sync,
        T: Target<S, L::Output> + Sync,
        Network<S, L, M>: Sync,
        L::Input: Sync,
        TrainState<S, L, Sgd<S>, CH>: Send,
    {
        optimizer.validate()?;
        if inputs.is_empty() {
            return Err(Error::EmptyBatch);
        }
        if inputs.len() != targets.len() {
            return Err(Error::BatchLengthMismatch {
                inputs: inputs.len(),
                targets: targets.len(),
            });
        }
        let n = inputs.len();
        let ranges = shards(n, self.workers.len());
        if self.row_split
            && L::DEFERRED_ROWS > 0
            && ranges.len() > 1
            && ranges.iter().all(|r| r.len() <= CH)
        {
            return self.step_deferred(net, optimizer, loss, inputs, targets, &ranges);
        }
        let (workers, main) = (&mut self.workers, &mut self.main);
        // The whole step runs inside the pool: the scope and the joins below are then cheap
        // pushes onto a worker's queue, not injections from outside.
        self.pool.install(|| {
            let shared: &Network<S, L, M> = net;
            let results = on_shards(workers, &ranges, &|w, r| {
                w.gradients(shared, loss, &inputs[r.clone()], &targets[r])
            });
            // Combine in shard order: loss and gradient weighted by each shard's share.
            let total = S::from_usize(n);
            let mut value = S::ZERO;
            let mut parts = Vec::with_capacity(workers.len());
            for ((w, r), range) in workers.iter().zip(&results).zip(&ranges) {
                if let Some(r) = r {
                    let share = S::from_usize(range.len()) / total;
                    value += share * (*r)?;
                    parts.push((w.grad(), share));
                }
            }
            main.apply_weighted_gradient_with(net, &parts, optimizer, value, &Rayon)
        })
    }
}

impl<S, L, O, const CH: usize> ParallelTrainer<S, L, O, CH>
where
    S: Scalar,
    L: Layer<S>,
    O: Optimizer<S>,
{
    /// [`ParallelTrainer::step`] with the first layer's weight gradient split by rows instead of
    /// by samples: each thread runs its shard with that gradient deferred
    /// ([`TrainState::gradients_deferred`]), then sums its share of the rows over the whole
    /// batch in batch order ([`TrainState::deferred_weight_gradient`]), and the other
    /// gradients are added in shard order ([`TrainState::apply_deferred_gradient_with`]).
    fn step_deferred<M, Lo, T>(
        &mut self,
        net: &mut Network<S, L, M>,
        optimizer: &O,
        loss: &Lo,
        inputs: &[L::Input],
        targets: &[T],
        ranges: &[core::ops::Range<usize>],
    ) -> Result<S, Error>
    where
        M: Math<S>,
        Lo: Loss<S> + Sync,
        T: Target<S, L::Output> + Sync,
        Network<S, L, M>: Sync,
        L::Input: Sync,
        TrainState<S, L, Sgd<S>, CH>: Send,
    {
        let n = inputs.len();
        let (workers, main) = (&mut self.workers, &mut self.main);
        self.pool.install(|| {
            let shared: &Network<S, L, M> = net;
            let results = on_shards(workers, ranges, &|w, r| {
                w.gradients_deferred(shared, loss, &inputs[r.clone()], &targets[r], n)
            });
            let mut value = S::ZERO;
            for r in results.iter().flatten() {
                value += (*r)?;
            }
            // The deferred rows, cut between the threads; each row summed over every shard.
            let rows = L::DEFERRED_ROWS;
            let dg = main.deferred_grad_mut();
            let row_len = dg.len() / rows.max(1);
            let mut pieces: Vec<(usize, &mut [S])> = Vec::with_capacity(workers.len());
            let mut rest = dg;
            let mut first = 0;
            for (k, _) in workers.iter().enumerate() {
                let end = rows * (k + 1) / workers.len();
                let (piece, tail) = rest.split_at_mut((end - first) * row_len);
                pieces.push((first, piece));
                rest = tail;
                first = end;
            }
            let workers: &Vec<_> = workers;
            for_each(&mut pieces, &|(first, piece)| {
                piece.fill(S::ZERO);
                for (w, range) in workers.iter().zip(ranges) {
                    if !range.is_empty() {
                        w.deferred_weight_gradient(shared, &inputs[range.clone()], *first, piece);
                    }
                }
            });
            drop(pieces);
            let parts: Vec<_> = workers
                .iter()
                .zip(ranges)
                .filter(|(_, r)| !r.is_empty())
                .map(|(w, _)| (w.grad(), S::ONE))
                .collect();
            main.apply_deferred_gradient_with(net, &parts, optimizer, value, &Rayon)
        })
    }
}

/// The shards of a batch of `n` samples: ⌈n/T⌉ each, the last one taking the rest (100 on 2
/// threads: 50 + 50). Shards aligned to the kernels' block of 16 samples (48 + 52) were tried:
/// the thread with the partial block then took 470 µs against 421 µs for the other
/// (784-100-10, Adam), where 50 + 50 take 461 µs each; with an input-major first layer, which
/// runs sample by sample, only the sample counts matter.
fn shards(n: usize, threads: usize) -> Vec<core::ops::Range<usize>> {
    let t = threads.max(1);
    let m = n.div_ceil(t);
    (0..t)
        .map(|k| {
            let start = (k * m).min(n);
            let end = if k + 1 == t { n } else { ((k + 1) * m).min(n) };
            start..end
        })
        .collect()
}

/// The core's [`Join`] hook: [`join`] on the current pool (the trainer's, inside `install`).
struct Rayon;

impl Join for Rayon {
    fn join<A: FnOnce() + Send, B: FnOnce() + Send>(&self, a: A, b: B) {
        join(a, b);
    }
}

/// `f(worker, shard)` for every non-empty shard, possibly all at the same time ([`for_each`]);
/// the results in shard order, `None` for an empty shard.
fn on_shards<W: Send, R: Send + Clone>(
    workers: &mut [W],
    ranges: &[core::ops::Range<usize>],
    f: &(impl Fn(&mut W, core::ops::Range<usize>) -> R + Sync),
) -> Vec<Option<R>> {
    let mut results = vec![None; workers.len()];
    let mut jobs: Vec<_> = workers
        .iter_mut()
        .zip(ranges)
        .zip(results.iter_mut())
        .filter(|((_, range), _)| !range.is_empty())
        .collect();
    for_each(&mut jobs, &|((w, range), r)| {
        **r = Some(f(w, (*range).clone()))
    });
    drop(jobs);
    results
}

/// `f` on every item, the items split in halves through [`join`] (possibly all at the same time).
fn for_each<T: Send>(items: &mut [T], f: &(impl Fn(&mut T) + Sync)) {
    match items {
        [] => {}
        [one] => f(one),
        _ => {
            let (a, b) = items.split_at_mut(items.len() / 2);
            join(|| for_each(a, f), || for_each(b, f));
        }
    }
}

/// Runs `a` and `b`, possibly at the same time: `rayon::join`, except that the caller, once
/// done with `a`, waits for `b` by looking for work and spinning instead of falling asleep.
/// On a pool kept awake by [`run_awake`] a hand-over then costs a few µs. With rayon's own
/// wait, a thread that waited more than a few µs slept and had to be woken, which on the 2-core
/// development VM cost so much that two 50-sample gradients of 784-100-10 took 198 µs "at
/// once" against 131–133 µs for one; with this join and [`run_awake`], 140 µs (`parallel_phases`
/// example, docs/BENCHMARKS.md). Outside a rayon pool it is `rayon::join`.
pub fn join<A, B>(a: A, b: B)
where
    A: FnOnce() + Send,
    B: FnOnce() + Send,
{
    if rayon::current_thread_index().is_none() {
        rayon::join(a, b);
        return;
    }
    let done = AtomicBool::new(false);
    rayon::join(
        || {
            a();
            wait_for(&done);
        },
        || {
            // Set when `b` returns or panics: the other side must not wait for ever (rayon
            // hands the panic on to the caller of `join`).
            let _done = StopOnDrop(&done);
            let _depth = InJob::enter();
            b();
        },
    );
}

std::thread_local! {
    /// How many [`join`] jobs this thread is inside: a keep-awake loop started there returns at
    /// once rather than hold the thread (and the job under it) until the end of the run.
    static IN_JOB: core::cell::Cell<u32> = const { core::cell::Cell::new(0) };
}

/// Until `flag` is set: runs any job the pool has for this thread (its own, then stolen), and
/// between looks spins briefly; every 64 empty looks it gives the core to the OS scheduler
/// (`sched_yield`), so that more threads than cores still make progress.
fn wait_for(flag: &AtomicBool) {
    let mut empty = 0u32;
    while !flag.load(Ordering::Acquire) {
        if rayon::yield_now() == Some(rayon::Yield::Executed) {
            empty = 0;
            continue;
        }
        empty = empty.wrapping_add(1);
        if empty % 64 == 0 {
            std::thread::yield_now();
        } else {
            for _ in 0..16 {
                core::hint::spin_loop();
            }
        }
    }
}

/// Runs `f` on one of `pool`'s threads while the pool's other threads stay awake, looking for
/// work and spinning instead of sleeping between jobs, and returns its result.
///
/// A training loop run this way hands each step's shards and update pieces to threads that are
/// already running: woken from sleep instead, a thread took tens to hundreds of µs to start on
/// the 2-core development VM, several times a step. The price is that the other threads keep
/// their cores busy until `f` returns, even while `f` does serial work (they give way to other
/// processes through `sched_yield`). With one thread it is `pool.install(f)`.
pub fn run_awake<R: Send>(pool: &rayon::ThreadPool, f: impl FnOnce() -> R + Send) -> R {
    if pool.current_num_threads() < 2 {
        return pool.install(f);
    }
    pool.install(|| {
        let me = rayon::current_thread_index();
        let stop = AtomicBool::new(false);
        rayon::scope(|s| {
            s.spawn_broadcast(|_, ctx| {
                if Some(ctx.index()) != me && IN_JOB.with(|d| d.get()) == 0 {
                    wait_for(&stop);
                }
            });
            // Set on the way out, also when `f` panics: the scope waits for the loops to end.
            let _stop = StopOnDrop(&stop);
            f()
        })
    })
}

/// This thread inside a [`join`] job: raises its `IN_JOB` count, and lowers it again when
/// dropped, also on a panic.
struct InJob;

impl InJob {
    fn enter() -> Self {
        IN_JOB.with(|d| d.set(d.get() + 1));
        InJob
    }
}

impl Drop for InJob {
    fn drop(&mut self) {
        IN_JOB.with(|d| d.set(d.get() - 1));
    }
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// One data-parallel step with a trainer built for the purpose: the form the CLI calls.
///
/// Equivalent to [`ParallelTrainer::step`]; keep the trainer between steps (it holds the
/// optimizer state).
pub fn step_parallel<S, L, O, M, Lo, T, const CH: usize>(
    trainer: &mut ParallelTrainer<S, L, O, CH>,
    net: &mut Network<S, L, M>,
    optimizer: &O,
    loss: &Lo,
    inputs: &[L::Input],
    targets: &[T],
) -> Result<S, Error>
where
    S: Scalar,
    L: Layer<S>,
    O: Optimizer<S>,
    M: Math<S>,
    Lo: Loss<S> + Sync,
    T: Target<S, L::Output> + Sync,
    Network<S, L, M>: Sync,
    L::Input: Sync,
    TrainState<S, L, Sgd<S>, CH>: Send,
{
    trainer.step(net, optimizer, loss, inputs, targets)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shards_cover_the_batch_evenly() {
        assert_eq!(shards(100, 2), vec![0..50, 50..100]);
        assert_eq!(shards(32, 2), vec![0..16, 16..32]);
        assert_eq!(shards(10, 2), vec![0..5, 5..10]);
        assert_eq!(shards(3, 4), vec![0..1, 1..2, 2..3, 3..3]);
        assert_eq!(shards(100, 3), vec![0..34, 34..68, 68..100]);
        assert_eq!(shards(7, 1), vec![0..7]);
    }

    use super::*;
    use stacknn::activation::{Identity, Relu};
    use stacknn::layer::{Chain, Dense};
    use stacknn::loss::SoftmaxCrossEntropy;
    use stacknn::optim::Adam;
    use stacknn::Rng;

    type Mlp = Chain<Dense<f32, 20, 16, Relu>, Dense<f32, 16, 4, Identity>>;

    fn data(n: usize, seed: u64) -> (Vec<[f32; 20]>, Vec<usize>) {
        let mut r = Rng::seed(seed);
        let xs = (0..n)
            .map(|_| std::array::from_fn(|_| r.uniform_in(-1.0f32, 1.0)))
            .collect();
        (xs, (0..n).map(|i| i % 4).collect())
    }

    fn bits(net: &Network<f32, Mlp>) -> Vec<u32> {
        let mut v = Vec::new();
        net.layers
            .weights(&mut |w| v.extend(w.iter().map(|x| x.to_bits())));
        v
    }

    fn run(threads: usize) -> Vec<u32> {
        let mut net = Network::<f32, Mlp>::new_zeroed();
        net.init(4);
        let mut tr = ParallelTrainer::<f32, Mlp, Adam<f32>, 8>::new(threads, 1).unwrap();
        for k in 0..6 {
            let (xs, ts) = data(37 + k, k as u64);
            tr.step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts)
                .unwrap();
        }
        bits(&net)
    }

    #[test]
    fn reproducible_for_a_given_thread_count() {
        for t in [1, 2, 3] {
            assert_eq!(run(t), run(t), "{t} threads");
        }
    }

    /// The same steps inside [`ParallelTrainer::run`] (other threads kept awake, spinning joins)
    /// as called one by one from outside the pool; also with more threads than this machine's
    /// two cores.
    #[test]
    fn a_loop_in_run_has_the_bits_of_single_steps() {
        for threads in [2, 4] {
            let mut net = Network::<f32, Mlp>::new_zeroed();
            net.init(4);
            let mut tr = ParallelTrainer::<f32, Mlp, Adam<f32>, 8>::new(threads, 1).unwrap();
            let losses = tr.run(|tr| {
                (0..6)
                    .map(|k| {
                        let (xs, ts) = data(37 + k, k as u64);
                        tr.step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts)
                            .unwrap()
                            .to_bits()
                    })
                    .collect::<Vec<_>>()
            });
            assert_eq!(losses.len(), 6);
            assert_eq!(bits(&net), run(threads), "{threads} threads");
        }
    }

    /// With a first layer that defers its weight gradient, a step on 2 or 3 threads sums that
    /// gradient over the whole batch: the bits of one thread's; with the split turned off it
    /// is summed per shard and differs by rounding; a run is reproducible either way.
    #[test]
    fn a_deferring_first_layer_gets_the_one_thread_gradient() {
        use stacknn::layer::{ParamStore, SparseInputDense};
        type Sparse = Chain<SparseInputDense<f32, 20, 16, Relu>, Dense<f32, 16, 4, Identity>>;
        let (mut xs, ts) = data(37, 3);
        for (k, x) in xs.iter_mut().enumerate() {
            for (i, v) in x.iter_mut().enumerate() {
                if (i * 3 + k) % 4 == 0 {
                    *v = 0.0;
                }
            }
        }
        let first = |g: &<Sparse as Layer<f32>>::Params<f32>| {
            let mut v = Vec::new();
            g.for_each_slice(&mut |s| v.push(s.iter().map(|x| x.to_bits()).collect::<Vec<_>>()));
            v.swap_remove(0)
        };
        let fresh = || {
            let mut net = Network::<f32, Sparse>::new_zeroed();
            net.init(4);
            net
        };
        let mut one = TrainState::<f32, Sparse, Adam<f32>, 8>::new(1);
        one.gradients(&fresh(), &SoftmaxCrossEntropy, &xs, &ts)
            .unwrap();
        for threads in [2, 3] {
            let mut runs = Vec::new();
            for split in [true, true, false] {
                let mut net = fresh();
                let mut tr =
                    ParallelTrainer::<f32, Sparse, Adam<f32>, 64>::new(threads, 1).unwrap();
                tr.set_row_split(split);
                tr.step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts)
                    .unwrap();
                let g = first(tr.state().grad());
                assert_eq!(
                    g == first(one.grad()),
                    split,
                    "{threads} threads, split {split}"
                );
                let mut w = Vec::new();
                net.layers
                    .weights(&mut |s| w.extend(s.iter().map(|x| x.to_bits())));
                runs.push(w);
            }
            assert_eq!(runs[0], runs[1], "{threads} threads, reproducible");
        }
    }

    #[test]
    fn a_panic_in_run_awake_reaches_the_caller_and_the_pool_goes_on() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_awake(&pool, || -> u32 { panic!("inside the loop") })
        }));
        assert!(r.is_err());
        let (mut a, mut b) = (0, 0);
        let n = run_awake(&pool, || {
            join(|| a = 1, || b = 2);
            7
        });
        assert_eq!((n, a, b), (7, 1, 2));
    }

    /// A panic on either side of [`join`] reaches its caller; the side that finished first does
    /// not wait for ever (checked with a time limit, so that a regression fails, not hangs).
    #[test]
    fn a_panic_in_either_side_of_join_reaches_the_caller() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap();
            for left in [true, false] {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_awake(&pool, || {
                        join(
                            || assert!(!left, "left side"),
                            || assert!(left, "right side"),
                        )
                    })
                }));
                tx.send(r.is_err()).unwrap();
            }
        });
        for side in ["left", "right"] {
            let limit = std::time::Duration::from_secs(60);
            assert_eq!(rx.recv_timeout(limit), Ok(true), "a panic on the {side}");
        }
    }

    #[test]
    fn one_thread_is_exactly_the_serial_step() {
        let mut net = Network::<f32, Mlp>::new_zeroed();
        net.init(4);
        let mut st = TrainState::<f32, Mlp, Adam<f32>, 8>::new(1);
        for k in 0..6 {
            let (xs, ts) = data(37 + k, k as u64);
            st.step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts)
                .unwrap();
        }
        assert_eq!(bits(&net), run(1));
    }

    #[test]
    fn two_threads_agree_with_serial_to_rounding() {
        let a = run(2);
        let mut net = Network::<f32, Mlp>::new_zeroed();
        net.init(4);
        let mut st = TrainState::<f32, Mlp, Adam<f32>, 8>::new(1);
        for k in 0..6 {
            let (xs, ts) = data(37 + k, k as u64);
            st.step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts)
                .unwrap();
        }
        for (x, y) in a.iter().zip(bits(&net)) {
            let (x, y) = (f32::from_bits(*x), f32::from_bits(y));
            assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn rejected_steps_change_nothing() {
        let mut net = Network::<f32, Mlp>::new_zeroed();
        net.init(4);
        let before = bits(&net);
        let mut tr = ParallelTrainer::<f32, Mlp, Adam<f32>, 8>::new(2, 1).unwrap();
        let (mut xs, ts) = data(10, 0);
        xs[7][3] = f32::NAN;
        let r = tr.step(&mut net, &Adam::new(0.01), &SoftmaxCrossEntropy, &xs, &ts);
        assert!(matches!(
            r,
            Err(Error::NonFiniteLoss | Error::NonFiniteGradient)
        ));
        assert_eq!(bits(&net), before);
        assert_eq!(tr.state().steps(), 0);
        let r = tr.step(
            &mut net,
            &Adam::new(0.01),
            &SoftmaxCrossEntropy,
            &xs,
            &ts[..3],
        );
        assert!(matches!(r, Err(Error::BatchLengthMismatch { .. })));
    }
}
