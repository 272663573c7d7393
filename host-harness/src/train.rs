//! The MNIST training loop, its history, and evaluation.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::math::Host;
use serde::{Deserialize, Serialize};
use stacknn::activation::ActivationKind;
use stacknn::init::Init;
use stacknn::loss::{Loss, LossKind};
use stacknn::optim::{self, AnyOptimizer};
use stacknn::Rng;

use crate::idx::{image_f32, image_f32_into, Dataset, CLASSES};
use crate::model::{self, Image, Model, ModelError};

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Architecture name, e.g. `784-100-10`.
    pub arch: String,
    /// Activation of the hidden layers (catalogue name).
    pub activation: String,
    /// Optimizer (catalogue name).
    pub optimizer: String,
    /// Loss (catalogue name).
    pub loss: String,
    /// Learning rate; `None` for the optimizer's default.
    pub lr: Option<f32>,
    /// Samples per step.
    pub batch: usize,
    /// Number of passes over the training set (ignored if `iterations` is set).
    pub epochs: usize,
    /// Total number of steps, if given (may end mid-epoch).
    pub iterations: Option<usize>,
    /// Seed of the initialisation, the shuffling and stochastic optimizers.
    pub seed: u64,
    /// Initialisation scheme ([`Init::NAMES`]; histories written before it existed read as
    /// `uniform`, the scheme they used).
    #[serde(default = "default_init")]
    pub init: String,
    /// Training threads (data-parallel over each batch; results depend on the count, and are the
    /// same bit for bit for a given count). Histories without it were trained on 1.
    #[serde(default = "one")]
    pub threads: usize,
    /// Use only the first n training images (quick runs and tests).
    pub train_limit: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            arch: "784-100-10".into(),
            activation: "ReLU".into(),
            optimizer: "Adam".into(),
            loss: "SoftmaxCrossEntropy".into(),
            lr: None,
            batch: 32,
            epochs: 5,
            iterations: None,
            seed: 1,
            init: default_init(),
            threads: 1,
            train_limit: None,
        }
    }
}

fn one() -> usize {
    1
}

fn default_init() -> String {
    Init::Uniform.name().into()
}

/// One evaluation point (end of an epoch, or the last step of an `--iterations` run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epochs completed (fractional if the run ended mid-epoch).
    pub epoch: f64,
    /// Steps completed.
    pub iterations: usize,
    /// Mean batch loss over the steps since the previous record.
    pub train_loss: f64,
    /// Mean loss over the test set.
    pub test_loss: f64,
    /// Fraction of the test set classified correctly.
    pub test_accuracy: f64,
    /// Wall time since the start of training, in seconds (evaluation included).
    pub seconds: f64,
}

/// The record of a training run, kept beside the model (`model.snn` → `model.history.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The run's configuration.
    pub config: TrainConfig,
    /// The learning rate actually used.
    pub lr: f32,
    /// Per epoch.
    pub epochs: Vec<EpochRecord>,
    /// The batch loss of every step.
    pub iteration_loss: Vec<f32>,
    /// Why training stopped early, if it did.
    pub stopped: Option<String>,
    /// Total wall time in seconds.
    pub seconds: f64,
}

impl History {
    /// The history file beside a model file: `x/model.snn` → `x/model.history.json`.
    pub fn path_for(model: &Path) -> PathBuf {
        model.with_extension("history.json")
    }

    /// Writes the history as JSON.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        use anyhow::Context;
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }

    /// Reads a history JSON file.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

/// Why training could not start or had to stop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The model could not be built.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// An unknown initialisation scheme.
    #[error("unknown initialisation `{0}` (known: {list})", list = Init::NAMES.join(", "))]
    UnknownInit(String),
    /// An unknown loss name.
    #[error("unknown loss `{0}` (known: {list})", list = LossKind::NAMES.join(", "))]
    UnknownLoss(String),
    /// An unknown optimizer name or an invalid learning rate.
    #[error("optimizer `{name}`: {source} (known: {list})", list = optim::NAMES.join(", "))]
    Optimizer {
        /// The name given.
        name: String,
        /// The core's error.
        source: stacknn::Error,
    },
    /// A hidden activation that is not element-wise.
    #[error("activation `{0}` is not element-wise; a hidden layer needs one that is")]
    NotElementwise(String),
    /// Batch size 0, or an empty training set.
    #[error("invalid run: {0}")]
    Invalid(&'static str),
}

/// Events reported while training (for progress bars and logs).
#[derive(Clone, Copy)]
pub enum Event<'a> {
    /// Training starts: the total number of steps.
    Start {
        /// Total steps.
        steps: usize,
    },
    /// A step finished with this batch loss.
    Step {
        /// Steps completed.
        done: usize,
        /// Its batch loss.
        loss: f32,
    },
    /// An evaluation point.
    Epoch(&'a EpochRecord),
    /// After each evaluation point: the model and the history so far (to save a checkpoint).
    Checkpoint {
        /// The model.
        model: &'a dyn Model,
        /// The history so far.
        history: &'a History,
    },
}

/// The parts of a config resolved to core values.
pub struct Resolved {
    /// Loss.
    pub loss: LossKind,
    /// Optimizer with its learning rate.
    pub optimizer: AnyOptimizer<f32>,
    /// Hidden activation.
    pub hidden: ActivationKind<f32>,
    /// Initialisation scheme.
    pub init: Init,
}

/// Resolves names in a config, reporting the first unknown one.
pub fn resolve(cfg: &TrainConfig) -> Result<Resolved, TrainError> {
    let loss =
        LossKind::from_name(&cfg.loss).map_err(|_| TrainError::UnknownLoss(cfg.loss.clone()))?;
    let optimizer =
        optim::by_name::<f32>(&cfg.optimizer, cfg.lr).map_err(|source| TrainError::Optimizer {
            name: cfg.optimizer.clone(),
            source,
        })?;
    let hidden = model::activation(&cfg.activation)?;
    if !hidden.is_elementwise() {
        return Err(TrainError::NotElementwise(cfg.activation.clone()));
    }
    if cfg.batch == 0 {
        return Err(TrainError::Invalid("batch size must be at least 1"));
    }
    let init = Init::from_name(&cfg.init).map_err(|_| TrainError::UnknownInit(cfg.init.clone()))?;
    Ok(Resolved {
        loss,
        optimizer,
        hidden,
        init,
    })
}

/// Test-set evaluation of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Mean loss.
    pub loss: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// Fraction correct per true class.
    pub per_class: Vec<f64>,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<u32>>,
    /// Indices of misclassified images with (predicted, true).
    pub misclassified: Vec<(usize, u8, u8)>,
}

/// Evaluates `model` on `data` with `loss`.
///
/// On a thread of a rayon pool (the training loop's, with `--threads` above 1) the images are
/// split over two threads ([`crate::parallel::join`]); each image's prediction and loss are then
/// gathered in order, so the result is the same either way, bit for bit.
pub fn evaluate(model: &dyn Model, loss: LossKind, data: &Dataset) -> Evaluation {
    // Prediction and loss of each image, in order.
    let mut each = vec![(0u8, 0.0f32); data.len()];
    let run = |out: &mut [(u8, f32)], start: usize| {
        let images = data.pixels[start..].iter().zip(&data.labels[start..]);
        for (o, (px, &label)) in out.iter_mut().zip(images) {
            let y = model.forward(&image_f32(px));
            let mut t = [0.0f32; CLASSES];
            t[label as usize] = 1.0;
            *o = (
                stacknn::network::argmax(&y) as u8,
                Loss::<f32>::value::<Host>(&loss, &y, &t),
            );
        }
    };
    if rayon::current_thread_index().is_some() && each.len() > 1 {
        let mid = each.len() / 2;
        let (a, b) = each.split_at_mut(mid);
        crate::parallel::join(|| run(a, 0), || run(b, mid));
    } else {
        run(&mut each, 0);
    }
    let mut confusion = vec![vec![0u32; CLASSES]; CLASSES];
    let mut total = 0.0f64;
    let mut misclassified = Vec::new();
    for (i, (&(p, l), &label)) in each.iter().zip(&data.labels).enumerate() {
        total += l as f64;
        confusion[label as usize][p as usize] += 1;
        if p != label {
            misclassified.push((i, p, label));
        }
    }
    let n = data.len().max(1) as f64;
    let correct: u32 = (0..CLASSES).map(|c| confusion[c][c]).sum();
    let per_class = (0..CLASSES)
        .map(|c| {
            let row: u32 = confusion[c].iter().sum();
            if row == 0 {
                0.0
            } else {
                confusion[c][c] as f64 / row as f64
            }
        })
        .collect();
    Evaluation {
        loss: total / n,
        accuracy: correct as f64 / n,
        per_class,
        confusion,
        misclassified,
    }
}

/// The result of [`train`]: the model (the last good one if training stopped early) and its
/// history. `history.stopped` says why a run stopped early (a non-finite step).
pub struct Trained {
    /// The model.
    pub model: Box<dyn Model>,
    /// Its history.
    pub history: History,
}

/// Trains a model on `train`, evaluating on `test` after every epoch.
///
/// Deterministic: the same config and data give bit-identical parameters. Each epoch visits the
/// training set in an order shuffled by a generator seeded from `cfg.seed`; the last batch of an
/// epoch may be smaller. A step whose loss or gradient is not finite is rejected by the core
/// (the model keeps its last good parameters) and ends the run with `history.stopped` set.
pub fn train(
    cfg: &TrainConfig,
    train: &Dataset,
    test: &Dataset,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<Trained, TrainError> {
    let r = resolve(cfg)?;
    let mut model = model::build(&cfg.arch, r.hidden, model::output_activation(r.loss))?;
    model.init(cfg.seed, r.init);
    let n = cfg.train_limit.unwrap_or(usize::MAX).min(train.len());
    if n == 0 {
        return Err(TrainError::Invalid("the training set is empty"));
    }
    let steps_per_epoch = n.div_ceil(cfg.batch);
    let total = cfg.iterations.unwrap_or(cfg.epochs * steps_per_epoch);
    on_event(Event::Start { steps: total });
    let start = Instant::now();
    let mut rng = Rng::seed(cfg.seed ^ 0x5348_5546_464c_4531);
    let mut order: Vec<usize> = (0..n).collect();
    let mut xs: Vec<Image> = Vec::with_capacity(cfg.batch);
    let mut ys: Vec<u8> = Vec::with_capacity(cfg.batch);
    let mut history = History {
        config: cfg.clone(),
        lr: r.optimizer.lr(),
        epochs: Vec::new(),
        iteration_loss: Vec::with_capacity(total),
        stopped: None,
        seconds: 0.0,
    };
    let (mut since_sum, mut since_n) = (0.0f64, 0usize);
    let mut done = 0;
    // With several threads the loop runs on one of the trainer's threads (`Model::run`): each
    // step then starts there directly instead of being handed over and waited for.
    let mut body = |model: &mut dyn Model| {
        'outer: while done < total {
            rng.shuffle(&mut order);
            for (k, chunk) in order.chunks(cfg.batch).enumerate() {
                if done == total {
                    break;
                }
                // Converted in place: no image built on the stack and copied.
                xs.resize(chunk.len(), [0.0; crate::idx::PIXELS]);
                ys.clear();
                ys.extend(chunk.iter().map(|&i| train.labels[i]));
                let convert = |xs: &mut [Image], idx: &[usize]| {
                    for (x, &i) in xs.iter_mut().zip(idx) {
                        image_f32_into(&train.pixels[i], x);
                    }
                };
                if cfg.threads > 1 && rayon::current_thread_index().is_some() {
                    // Half on each of two training threads: the other thread, which has just
                    // finished its part of the update, takes the second half at once, instead
                    // of falling asleep while this one converts alone and being woken for the
                    // step (two context switches and tens of µs a step on the 2-core VM).
                    let mid = chunk.len() / 2;
                    let (a, b) = xs.split_at_mut(mid);
                    let (ia, ib) = chunk.split_at(mid);
                    crate::parallel::join(|| convert(a, ia), || convert(b, ib));
                } else {
                    convert(&mut xs, chunk);
                }
                match model.step(&r.optimizer, r.loss, &xs, &ys, cfg.seed, cfg.threads) {
                    Ok(l) => {
                        history.iteration_loss.push(l);
                        since_sum += l as f64;
                        since_n += 1;
                        done += 1;
                        on_event(Event::Step { done, loss: l });
                    }
                    Err(e) => {
                        history.stopped = Some(format!(
                            "step {} (epoch {}): {e}; kept the model from the last good step",
                            done + 1,
                            done / steps_per_epoch + 1
                        ));
                        break 'outer;
                    }
                }
                let end_of_epoch = k + 1 == steps_per_epoch;
                if end_of_epoch || done == total {
                    record(
                        &mut history,
                        &*model,
                        r.loss,
                        test,
                        done,
                        steps_per_epoch,
                        (since_sum, since_n),
                        start,
                        on_event,
                    );
                    (since_sum, since_n) = (0.0, 0);
                }
            }
        }
    };
    if model.run(cfg.seed, cfg.threads, &mut body).is_err() {
        // The trainer could not be set up: the first step reports why (and stops the run).
        body(&mut *model);
    }
    if history.stopped.is_some() && since_n > 0 {
        record(
            &mut history,
            &*model,
            r.loss,
            test,
            done,
            steps_per_epoch,
            (since_sum, since_n),
            start,
            on_event,
        );
    }
    history.seconds = start.elapsed().as_secs_f64();
    Ok(Trained { model, history })
}

#[allow(clippy::too_many_arguments)]
fn record(
    history: &mut History,
    model: &dyn Model,
    loss: LossKind,
    test: &Dataset,
    done: usize,
    steps_per_epoch: usize,
    (sum, n): (f64, usize),
    start: Instant,
    on_event: &mut dyn FnMut(Event<'_>),
) {
    let ev = evaluate(model, loss, test);
    let rec = EpochRecord {
        epoch: done as f64 / steps_per_epoch as f64,
        iterations: done,
        train_loss: if n == 0 { f64::NAN } else { sum / n as f64 },
        test_loss: ev.loss,
        test_accuracy: ev.accuracy,
        seconds: start.elapsed().as_secs_f64(),
    };
    on_event(Event::Epoch(&rec));
    history.epochs.push(rec);
    history.seconds = start.elapsed().as_secs_f64();
    on_event(Event::Checkpoint { model, history });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny synthetic "MNIST": class c lights up pixel block c.
    pub(crate) fn toy(n: usize, seed: u64) -> Dataset {
        let mut rng = Rng::seed(seed);
        let mut d = Dataset::default();
        for _ in 0..n {
            let c = rng.below(10);
            let mut p = [0u8; 784];
            for (j, v) in p.iter_mut().enumerate() {
                let noise = (rng.next_u64() % 40) as u8;
                *v = if j / 78 == c { 200 + noise / 2 } else { noise };
            }
            d.pixels.push(p);
            d.labels.push(c as u8);
        }
        d
    }

    /// Split over two threads (on a pool's thread) or not, the evaluation is that of one
    /// image after another, worked out here directly.
    #[test]
    fn evaluation_is_the_same_on_two_threads() {
        let te = toy(101, 3);
        let mut m =
            model::build("784-16-10", ActivationKind::Tanh, ActivationKind::Identity).unwrap();
        m.init(5, Init::Uniform);
        let loss = LossKind::SoftmaxCrossEntropy;
        let (mut total, mut wrong) = (0.0f64, Vec::new());
        for (i, (px, &label)) in te.pixels.iter().zip(&te.labels).enumerate() {
            let y = m.forward(&image_f32(px));
            let mut t = [0.0f32; CLASSES];
            t[label as usize] = 1.0;
            total += Loss::<f32>::value::<Host>(&loss, &y, &t) as f64;
            let p = stacknn::network::argmax(&y) as u8;
            if p != label {
                wrong.push((i, p, label));
            }
        }
        let one = evaluate(&*m, loss, &te);
        assert_eq!(one.loss, total / 101.0);
        assert_eq!(one.misclassified, wrong);
        assert!(!wrong.is_empty() && wrong.len() < 101);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let two = crate::parallel::run_awake(&pool, || evaluate(&*m, loss, &te));
        assert_eq!(two, one);
    }

    #[test]
    fn learns_a_toy_problem_deterministically() {
        let (tr, te) = (toy(400, 1), toy(100, 2));
        let cfg = TrainConfig {
            arch: "784-16-10".into(),
            batch: 20,
            epochs: 3,
            lr: Some(0.01),
            ..TrainConfig::default()
        };
        let a = train(&cfg, &tr, &te, &mut |_| {}).unwrap();
        let b = train(&cfg, &tr, &te, &mut |_| {}).unwrap();
        assert_eq!(a.model.to_file_bytes(), b.model.to_file_bytes());
        assert_eq!(a.history.epochs.len(), 3);
        assert_eq!(a.history.iteration_loss.len(), 60);
        let last = a.history.epochs.last().unwrap();
        assert!(last.test_accuracy > 0.9, "{last:?}");
        // Same as an independent evaluation.
        let ev = evaluate(&*a.model, LossKind::SoftmaxCrossEntropy, &te);
        assert_eq!(ev.accuracy, last.test_accuracy);
        let c: u32 = ev.confusion.iter().flatten().sum();
        assert_eq!(c, 100);
        // A different seed gives a different model.
        let c2 = train(
            &TrainConfig {
                seed: 2,
                ..cfg.clone()
            },
            &tr,
            &te,
            &mut |_| {},
        )
        .unwrap();
        assert_ne!(c2.model.to_file_bytes(), a.model.to_file_bytes());
        // Two threads: reproducible bit for bit, and the same training up to rounding.
        let two = TrainConfig {
            threads: 2,
            ..cfg.clone()
        };
        let p = train(&two, &tr, &te, &mut |_| {}).unwrap();
        let q = train(&two, &tr, &te, &mut |_| {}).unwrap();
        assert_eq!(p.model.to_file_bytes(), q.model.to_file_bytes());
        assert_ne!(p.model.to_file_bytes(), a.model.to_file_bytes());
        let (la, lp) = (a.history.iteration_loss[0], p.history.iteration_loss[0]);
        assert!((la - lp).abs() <= 1e-6 * la, "first loss: {la} vs {lp}");
        let last = p.history.epochs.last().unwrap();
        assert!(last.test_accuracy > 0.9, "{last:?}");
    }

    #[test]
    fn iterations_end_mid_epoch_and_non_finite_steps_stop() {
        let (tr, te) = (toy(100, 3), toy(20, 4));
        let cfg = TrainConfig {
            arch: "784-10".into(),
            batch: 30,
            iterations: Some(5),
            optimizer: "SGD".into(),
            lr: Some(0.1),
            ..TrainConfig::default()
        };
        let t = train(&cfg, &tr, &te, &mut |_| {}).unwrap();
        assert_eq!(t.history.iteration_loss.len(), 5);
        // 4 steps per epoch: records at step 4 (epoch 1) and step 5 (1.25).
        let e: Vec<f64> = t.history.epochs.iter().map(|r| r.epoch).collect();
        assert_eq!(e, vec![1.0, 1.25]);
        // An absurd learning rate makes the loss overflow: training stops, the model is finite.
        let wild = TrainConfig {
            lr: Some(1e38),
            iterations: Some(50),
            ..cfg
        };
        let t = train(&wild, &tr, &te, &mut |_| {}).unwrap();
        assert!(t.history.stopped.is_some(), "{:?}", t.history.epochs);
        assert!(t.model.is_finite());
        assert!(t.history.iteration_loss.len() < 50);
    }

    #[test]
    fn bad_names_are_typed_errors() {
        let d = toy(10, 1);
        for (cfg, want) in [
            (
                TrainConfig {
                    loss: "Sqaure".into(),
                    ..Default::default()
                },
                "unknown loss",
            ),
            (
                TrainConfig {
                    optimizer: "SDG".into(),
                    ..Default::default()
                },
                "optimizer `SDG`",
            ),
            (
                TrainConfig {
                    activation: "relu".into(),
                    ..Default::default()
                },
                "unknown activation",
            ),
            (
                TrainConfig {
                    activation: "softmax".into(),
                    ..Default::default()
                },
                "not element-wise",
            ),
            (
                TrainConfig {
                    arch: "784-3-10".into(),
                    ..Default::default()
                },
                "unknown architecture",
            ),
            (
                TrainConfig {
                    batch: 0,
                    ..Default::default()
                },
                "batch size",
            ),
            (
                TrainConfig {
                    init: "xavier".into(),
                    ..Default::default()
                },
                "unknown initialisation `xavier` (known: uniform, glorot-uniform",
            ),
        ] {
            let e = train(&cfg, &d, &d, &mut |_| {}).err().expect("must fail");
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}
