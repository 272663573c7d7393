//! `stacknn`: train, evaluate, verify, plot, import and export stacknn models of MNIST.
//!
//! Exit codes: 0 success, 1 error, 2 usage error, 3 training stopped on a non-finite step (the
//! last good model is kept), 4 a verification check failed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use host_harness::idx::{self, Dataset, Split};
use host_harness::model::{self, Model};
use host_harness::train::{self as trainer, Event, History, TrainConfig};
use host_harness::{interop, plot, verify};
use stacknn::loss::LossKind;

/// Train, evaluate, verify and export small dense networks for microcontrollers (MNIST).
#[derive(Parser)]
#[command(name = "stacknn", version, about, long_about = None)]
struct Cli {
    /// Print one machine-readable JSON summary object on stdout (human output goes to stderr).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a network on MNIST and save it (model file + history JSON beside it).
    Train(TrainArgs),
    /// Evaluate a model on the test set: loss, accuracy, per-class accuracy, confusion matrix.
    Eval(EvalArgs),
    /// Prove the core's numbers: gradient checks, f32-vs-f64 agreement, reference values.
    Verify(VerifyArgs),
    /// Draw PNGs: loss/accuracy curves, confusion matrix, misclassified digits.
    Plot(PlotArgs),
    /// Export a model: for the firmware (model file in flash) or as safetensors for PyTorch.
    Export(ExportArgs),
    /// Import a PyTorch state dict (safetensors) into a stacknn model file.
    Import(ImportArgs),
    /// Train, evaluate, plot and export in one go, with sensible defaults, into `out/`.
    Demo(DemoArgs),
    /// Train one configuration per optimizer or activation and tabulate the results.
    Sweep(SweepArgs),
}

#[derive(Args, Clone)]
struct DataArg {
    /// Directory holding the IDX files (`train-images-idx3-ubyte[.gz]`, …). Default: the
    /// STACKNN_DATA environment variable, else `data/mnist` in the workspace.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct TrainArgs {
    /// Architecture: layer widths input to output (built in: 784-10, 784-16-10, 784-50-10,
    /// 784-100-10, 784-1000-10, 784-1000-1000-10; see host-harness/src/arch.rs to add one).
    #[arg(long, default_value = "784-100-10")]
    arch: String,
    /// Activation of the hidden layers (an element-wise catalogue name: ReLU, sigmoid, tanh,
    /// ELU, Mish, …). The output layer is the identity (logits) for the losses on logits,
    /// softmax for `Cross`, sigmoid for `Binary`.
    #[arg(long, default_value = "ReLU")]
    activation: String,
    /// Optimizer (catalogue name: SGD, MSGD, NAG, AdaGrad, RMSprop, AdaDelta, Adam, …).
    #[arg(long, default_value = "Adam")]
    optimizer: String,
    /// Loss: Square, Binary, Cross, SigmoidCrossEntropy, SoftmaxCrossEntropy.
    #[arg(long, default_value = "SoftmaxCrossEntropy")]
    loss: String,
    /// Learning rate (default: the optimizer's own default, e.g. 1e-3 for Adam).
    #[arg(long)]
    lr: Option<f32>,
    /// Samples per training step.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Passes over the training set.
    #[arg(long, default_value_t = 5, conflicts_with = "iterations")]
    epochs: usize,
    /// Total training steps instead of epochs (the run may end mid-epoch).
    #[arg(long)]
    iterations: Option<usize>,
    /// Seed of initialisation, shuffling and stochastic optimizers: same seed, same model bits.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Initialisation of the dense layers: uniform (PyTorch's nn.Linear default, U(±1/√fan_in)
    /// for weights and bias), glorot-uniform (Keras' default), he-normal (for ReLU layers),
    /// lecun-normal (Chainer's default); the last three set biases to 0.
    #[arg(long, default_value = "uniform", value_name = "SCHEME")]
    init: String,
    /// Training threads: each batch is split into one shard per thread (0 = one per core). The
    /// result is the same bit for bit for a given thread count, and differs by rounding between
    /// counts.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Use only the first N training images (for quick runs).
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// Evaluate on only the first N test images (for quick runs).
    #[arg(long, value_name = "N")]
    test_limit: Option<usize>,
    /// Where to write the model file; the history goes beside it (`.history.json`).
    #[arg(long, default_value = "out/model.snn")]
    out: PathBuf,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct EvalArgs {
    /// The model file to evaluate.
    #[arg(long)]
    model: PathBuf,
    /// Loss to report (default: the one recorded in the history beside the model, else
    /// SoftmaxCrossEntropy).
    #[arg(long)]
    loss: Option<String>,
    /// Evaluate on only the first N test images.
    #[arg(long, value_name = "N")]
    test_limit: Option<usize>,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct VerifyArgs {
    /// Quick form: fewer parameters sampled per check and only the small architectures.
    #[arg(long)]
    quick: bool,
}

#[derive(Args)]
struct PlotArgs {
    /// The model file (its history JSON must be beside it for the curves).
    #[arg(long)]
    model: PathBuf,
    /// Directory for the PNGs (default: the model's directory).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The stacknn model file (versioned, CRC-32) plus a Rust snippet embedding it in flash.
    Snn,
    /// A PyTorch `nn.Sequential` state dict (`0.weight`, `0.bias`, `2.weight`, …).
    Safetensors,
}

#[derive(Args)]
struct ExportArgs {
    /// The model file to export.
    #[arg(long)]
    model: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "snn")]
    format: Format,
    /// Output file (default: beside the model, `.snn` → `.export.snn` / `.safetensors`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the firmware's assets (model + test images) into this directory.
    #[arg(long, value_name = "DIR")]
    firmware_dir: Option<PathBuf>,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Args)]
struct ImportArgs {
    /// The safetensors file (a state dict of nn.Linear layers).
    #[arg(long)]
    safetensors: PathBuf,
    /// The architecture it holds.
    #[arg(long)]
    arch: String,
    /// Hidden activation of the PyTorch model (stored in the model file).
    #[arg(long, default_value = "ReLU")]
    activation: String,
    /// Output activation (identity for logits).
    #[arg(long, default_value = "identity")]
    output_activation: String,
    /// Where to write the stacknn model file.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct DemoArgs {
    /// Output directory.
    #[arg(long, default_value = "out")]
    out_dir: PathBuf,
    /// Passes over the training set.
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Use only the first N training images (quick runs).
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// Evaluate on only the first N test images (quick runs).
    #[arg(long, value_name = "N")]
    test_limit: Option<usize>,
    #[command(flatten)]
    data: DataArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum SweepOver {
    /// Every optimizer of the catalogue (784-100-10, ReLU, 1 epoch).
    Optimizers,
    /// Every element-wise activation (784-100-10, Adam, 3 epochs).
    Activations,
}

#[derive(Args)]
struct SweepArgs {
    /// What to sweep.
    #[arg(value_enum)]
    over: SweepOver,
    /// Epochs per run (default: 1 for optimizers, 3 for activations).
    #[arg(long)]
    epochs: Option<usize>,
    /// Batch size.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Use only the first N training images.
    #[arg(long, value_name = "N")]
    train_limit: Option<usize>,
    /// Evaluate on only the first N test images.
    #[arg(long, value_name = "N")]
    test_limit: Option<usize>,
    /// Only these names (comma-separated; default all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Output directory for the table (Markdown + JSON) and the loss-curve PNG.
    #[arg(long, default_value = "out/sweep")]
    out_dir: PathBuf,
    #[command(flatten)]
    data: DataArg,
}

/// Exit code for a training run stopped by a non-finite step.
const EXIT_STOPPED: u8 = 3;
/// Exit code for a failed verification.
const EXIT_VERIFY_FAILED: u8 = 4;

/// Human-readable output: stdout normally, stderr under `--json` (stdout is then one JSON object).
struct Out {
    json: bool,
}

impl Out {
    fn line(&self, s: impl AsRef<str>) {
        if self.json {
            eprintln!("{}", s.as_ref());
        } else {
            println!("{}", s.as_ref());
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("stacknn: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let out = Out { json: cli.json };
    let (code, summary) = match cli.command {
        Command::Train(a) => cmd_train(&a, &out)?,
        Command::Eval(a) => cmd_eval(&a, &out)?,
        Command::Verify(a) => cmd_verify(&a, &out)?,
        Command::Plot(a) => cmd_plot(&a, &out)?,
        Command::Export(a) => cmd_export(&a, &out)?,
        Command::Import(a) => cmd_import(&a, &out)?,
        Command::Demo(a) => cmd_demo(&a, &out)?,
        Command::Sweep(a) => cmd_sweep(&a, &out)?,
    };
    if cli.json {
        println!("{}", serde_json::to_string(&summary)?);
    }
    Ok(code)
}

fn load_split(data: &DataArg, split: Split, limit: Option<usize>) -> Result<Dataset> {
    let dir = idx::data_dir(data.data.clone());
    let d = idx::load(&dir, split).with_context(|| format!("loading the MNIST {split} set"))?;
    Ok(match limit {
        Some(n) => d.take(n),
        None => d,
    })
}

fn progress(steps: usize, json: bool) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(steps as u64);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps  loss {msg}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

/// Trains and saves; returns the history and the exit code.
fn train_and_save(
    cfg: &TrainConfig,
    out_path: &Path,
    tr: &Dataset,
    te: &Dataset,
    out: &Out,
) -> Result<(History, Box<dyn Model>, u8)> {
    let mut pb = ProgressBar::hidden();
    out.line(format!(
        "training {} ({} hidden, {}, {}, batch {}) on {} images, testing on {}",
        cfg.arch,
        cfg.activation,
        cfg.optimizer,
        cfg.loss,
        cfg.batch,
        cfg.train_limit.unwrap_or(usize::MAX).min(tr.len()),
        te.len()
    ));
    out.line(format!(
        "{:>7} {:>7} {:>11} {:>10} {:>9} {:>8}",
        "epoch", "steps", "train loss", "test loss", "test acc", "time s"
    ));
    let json = out.json;
    let hist_path = History::path_for(out_path);
    let mut checkpoint_error = None;
    let trained = trainer::train(cfg, tr, te, &mut |ev| match ev {
        // Save after every epoch, so a long run that is interrupted keeps its progress.
        Event::Checkpoint { model, history } => {
            if let Err(e) = model::save(model, out_path)
                .map_err(anyhow::Error::from)
                .and_then(|()| history.save(&hist_path))
            {
                checkpoint_error.get_or_insert(e);
            }
        }
        Event::Start { steps } => pb = progress(steps, json),
        Event::Step { done, loss } => {
            pb.set_position(done as u64);
            if done % 20 == 0 {
                pb.set_message(format!("{loss:.4}"));
            }
        }
        Event::Epoch(r) => pb.suspend(|| {
            out.line(format!(
                "{:>7.2} {:>7} {:>11.6} {:>10.6} {:>8.2}% {:>8.1}",
                r.epoch,
                r.iterations,
                r.train_loss,
                r.test_loss,
                100.0 * r.test_accuracy,
                r.seconds
            ))
        }),
    })?;
    pb.finish_and_clear();
    if let Some(e) = checkpoint_error {
        return Err(e.context("saving a checkpoint"));
    }
    model::save(&*trained.model, out_path)?;
    trained.history.save(&hist_path)?;
    let code = match &trained.history.stopped {
        Some(why) => {
            eprintln!("stacknn: training stopped: {why}");
            EXIT_STOPPED
        }
        None => 0,
    };
    out.line(format!(
        "model: {}  history: {}  ({:.1} s)",
        out_path.display(),
        hist_path.display(),
        trained.history.seconds
    ));
    Ok((trained.history, trained.model, code))
}

fn config_of(a: &TrainArgs) -> TrainConfig {
    TrainConfig {
        arch: a.arch.clone(),
        activation: a.activation.clone(),
        optimizer: a.optimizer.clone(),
        loss: a.loss.clone(),
        lr: a.lr,
        batch: a.batch,
        epochs: a.epochs,
        iterations: a.iterations,
        seed: a.seed,
        init: a.init.clone(),
        threads: if a.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            a.threads
        },
        train_limit: a.train_limit,
    }
}

fn cmd_train(a: &TrainArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let cfg = config_of(a);
    // Check names before loading 60 000 images.
    trainer::resolve(&cfg)?;
    let tr = load_split(&a.data, Split::Train, None)?;
    let te = load_split(&a.data, Split::Test, a.test_limit)?;
    let (h, _, code) = train_and_save(&cfg, &a.out, &tr, &te, out)?;
    let last = h.epochs.last();
    Ok((
        code,
        json!({
            "command": "train",
            "model": a.out,
            "history": History::path_for(&a.out),
            "config": cfg,
            "lr": h.lr,
            "epochs": h.epochs,
            "test_loss": last.map(|r| r.test_loss),
            "test_accuracy": last.map(|r| r.test_accuracy),
            "seconds": h.seconds,
            "stopped": h.stopped,
        }),
    ))
}

fn loss_for(model_path: &Path, flag: Option<&str>) -> Result<LossKind> {
    let name = match flag {
        Some(n) => n.to_string(),
        None => History::load(&History::path_for(model_path))
            .map(|h| h.config.loss)
            .unwrap_or_else(|_| "SoftmaxCrossEntropy".into()),
    };
    LossKind::from_name(&name).map_err(|_| {
        anyhow::anyhow!(
            "unknown loss `{name}` (known: {})",
            LossKind::NAMES.join(", ")
        )
    })
}

fn cmd_eval(a: &EvalArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let m = model::load(&a.model)?;
    let loss = loss_for(&a.model, a.loss.as_deref())?;
    let te = load_split(&a.data, Split::Test, a.test_limit)?;
    let ev = trainer::evaluate(&*m, loss, &te);
    out.line(format!(
        "{} ({}): {} test images, {} loss {:.6}, accuracy {:.2}%",
        a.model.display(),
        m.arch(),
        te.len(),
        loss.name(),
        ev.loss,
        100.0 * ev.accuracy
    ));
    out.line("per-class accuracy:");
    for (c, acc) in ev.per_class.iter().enumerate() {
        out.line(format!("  {c}: {:.2}%", 100.0 * acc));
    }
    out.line("confusion matrix (rows: true class, columns: predicted):");
    out.line(format!(
        "     {}",
        (0..10).map(|c| format!("{c:>5}")).collect::<String>()
    ));
    for (c, row) in ev.confusion.iter().enumerate() {
        out.line(format!(
            "  {c}: {}",
            row.iter().map(|n| format!("{n:>5}")).collect::<String>()
        ));
    }
    Ok((
        0,
        json!({
            "command": "eval",
            "model": a.model,
            "arch": m.arch(),
            "images": te.len(),
            "loss_name": loss.name(),
            "loss": ev.loss,
            "accuracy": ev.accuracy,
            "per_class_accuracy": ev.per_class,
            "confusion": ev.confusion,
        }),
    ))
}

fn cmd_verify(a: &VerifyArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let report = verify::run_all(a.quick);
    out.line(report.table());
    let failed = report.failed();
    out.line(if failed == 0 {
        format!("all {} checks passed", report.checks.len())
    } else {
        format!("{failed} of {} checks FAILED", report.checks.len())
    });
    Ok((
        if failed == 0 { 0 } else { EXIT_VERIFY_FAILED },
        json!({ "command": "verify", "passed": failed == 0, "checks": report.checks }),
    ))
}

fn cmd_plot(a: &PlotArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let dir = a
        .out_dir
        .clone()
        .or_else(|| a.model.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let m = model::load(&a.model)?;
    let loss = loss_for(&a.model, None)?;
    let hist = History::load(&History::path_for(&a.model))
        .context("the training curves need the history written by `stacknn train`")?;
    let te = load_split(&a.data, Split::Test, None)?;
    let files = plot_all(&*m, loss, &hist, &te, &dir, &stem(&a.model))?;
    for f in &files {
        out.line(format!("wrote {}", f.display()));
    }
    Ok((0, json!({ "command": "plot", "files": files })))
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into())
}

fn plot_all(
    m: &dyn Model,
    loss: LossKind,
    hist: &History,
    te: &Dataset,
    dir: &Path,
    stem: &str,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let ev = trainer::evaluate(m, loss, te);
    let curves = dir.join(format!("{stem}-curves.png"));
    plot::curves(hist, &curves)?;
    let confusion = dir.join(format!("{stem}-confusion.png"));
    plot::confusion(&ev.confusion, &confusion)?;
    let wrong = dir.join(format!("{stem}-misclassified.png"));
    plot::misclassified(te, &ev.misclassified, &wrong)?;
    Ok(vec![curves, confusion, wrong])
}

/// A Rust snippet that embeds a model file in flash, 8-byte aligned, and views it in place.
fn rust_snippet(file_name: &str, m: &dyn Model, len: usize) -> String {
    let acts: Vec<&str> = m.activations().iter().map(|a| a.name()).collect();
    format!(
        "// Generated by `stacknn export`: {arch}, activations {acts:?}, {len} bytes.\n\
         // The model file stays in flash; `stacknn::model_file::view` checks magic, version,\n\
         // shapes and CRC-32 at boot and returns the network in place (no RAM copy).\n\
         #[repr(C, align(8))]\n\
         pub struct Aligned<T: ?Sized>(pub T);\n\
         pub static MODEL: &Aligned<[u8; {len}]> = &Aligned(*include_bytes!(\"{file_name}\"));\n",
        arch = m.arch(),
    )
}

fn cmd_export(a: &ExportArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let bytes =
        std::fs::read(&a.model).with_context(|| format!("reading {}", a.model.display()))?;
    let m = model::from_file_bytes(&bytes, &a.model)?;
    let mut files = Vec::new();
    match a.format {
        Format::Snn => {
            let dest = a
                .out
                .clone()
                .unwrap_or_else(|| a.model.with_extension("export.snn"));
            write(&dest, &bytes)?;
            let name = dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let rs = dest.with_extension("rs");
            write(&rs, rust_snippet(&name, &*m, bytes.len()).as_bytes())?;
            files.extend([dest, rs]);
        }
        Format::Safetensors => {
            let dest = a
                .out
                .clone()
                .unwrap_or_else(|| a.model.with_extension("safetensors"));
            let st = interop::to_safetensors(&*m).context("serialising safetensors")?;
            write(&dest, &st)?;
            files.push(dest);
        }
    }
    if let Some(dir) = &a.firmware_dir {
        let te = load_split(&a.data, Split::Test, None)?;
        let tr = load_split(&a.data, Split::Train, None)?;
        host_harness::firmware::write_assets(&bytes, &te, &tr, dir)
            .with_context(|| format!("writing firmware assets into {}", dir.display()))?;
        files.push(dir.clone());
    }
    let (header, _) = stacknn::model_file::parse(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    for f in &files {
        out.line(format!("wrote {}", f.display()));
    }
    out.line(format!(
        "{}: format v{}, CRC-32 {:#010x}, {} parameters",
        m.arch(),
        header.version(),
        header.crc,
        m.param_count()
    ));
    Ok((
        0,
        json!({ "command": "export", "files": files, "arch": m.arch(),
                "version": header.version(), "crc32": header.crc }),
    ))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn cmd_import(a: &ImportArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let hidden = model::activation(&a.activation)?;
    let output = model::activation(&a.output_activation)?;
    let mut m = model::build(&a.arch, hidden, output)?;
    interop::import_file(&mut *m, &a.safetensors)?;
    model::save(&*m, &a.out)?;
    out.line(format!(
        "imported {} ({}) into {}",
        a.safetensors.display(),
        m.arch(),
        a.out.display()
    ));
    Ok((
        0,
        json!({ "command": "import", "model": a.out, "arch": m.arch() }),
    ))
}

fn cmd_demo(a: &DemoArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let start = Instant::now();
    let cfg = TrainConfig {
        epochs: a.epochs,
        train_limit: a.train_limit,
        ..TrainConfig::default()
    };
    let tr = load_split(&a.data, Split::Train, None)?;
    let te = load_split(&a.data, Split::Test, a.test_limit)?;
    let model_path = a.out_dir.join("model.snn");
    let (h, m, code) = train_and_save(&cfg, &model_path, &tr, &te, out)?;
    if code != 0 {
        bail!("training stopped early; see the message above");
    }
    let loss = LossKind::SoftmaxCrossEntropy;
    let ev = trainer::evaluate(&*m, loss, &te);
    out.line(format!(
        "test accuracy {:.2}%, test loss {:.4}",
        100.0 * ev.accuracy,
        ev.loss
    ));
    let pngs = plot_all(&*m, loss, &h, &te, &a.out_dir, "model")?;
    let bytes = m.to_file_bytes();
    let fw = a.out_dir.join("firmware");
    host_harness::firmware::write_assets(&bytes, &te_full_or(&te, &a.data)?, &tr, &fw)
        .with_context(|| format!("writing firmware assets into {}", fw.display()))?;
    let st = a.out_dir.join("model.safetensors");
    write(
        &st,
        &interop::to_safetensors(&*m).context("serialising safetensors")?,
    )?;
    out.line(format!("model:     {}", model_path.display()));
    out.line(format!(
        "history:   {}",
        History::path_for(&model_path).display()
    ));
    for p in &pngs {
        out.line(format!("plot:      {}", p.display()));
    }
    out.line(format!(
        "firmware:  {}/ (model.snn + test images)",
        fw.display()
    ));
    out.line(format!("pytorch:   {}", st.display()));
    out.line(format!("done in {:.1} s", start.elapsed().as_secs_f64()));
    Ok((
        0,
        json!({ "command": "demo", "model": model_path, "plots": pngs, "firmware_dir": fw,
                "safetensors": st, "test_accuracy": ev.accuracy, "test_loss": ev.loss,
                "seconds": start.elapsed().as_secs_f64() }),
    ))
}

/// The firmware needs 400 test images; a demo limited to fewer reloads the full test set.
fn te_full_or(te: &Dataset, data: &DataArg) -> Result<Dataset> {
    if te.len() >= 400 {
        Ok(te.clone())
    } else {
        load_split(data, Split::Test, None)
    }
}

fn cmd_sweep(a: &SweepArgs, out: &Out) -> Result<(u8, serde_json::Value)> {
    let tr = load_split(&a.data, Split::Train, None)?;
    let te = load_split(&a.data, Split::Test, a.test_limit)?;
    let (names, epochs): (Vec<String>, usize) = match a.over {
        SweepOver::Optimizers => (
            stacknn::optim::NAMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            a.epochs.unwrap_or(1),
        ),
        SweepOver::Activations => (
            stacknn::activation::NAMES
                .iter()
                .filter(|n| model::activation(n).is_ok_and(|k| k.is_elementwise()))
                .map(|s| s.to_string())
                .collect(),
            a.epochs.unwrap_or(3),
        ),
    };
    let names: Vec<String> = if a.only.is_empty() {
        names
    } else {
        names.into_iter().filter(|n| a.only.contains(n)).collect()
    };
    std::fs::create_dir_all(&a.out_dir)
        .with_context(|| format!("creating {}", a.out_dir.display()))?;
    let mut rows = Vec::new();
    let mut curves = Vec::new();
    for name in &names {
        let mut cfg = TrainConfig {
            epochs,
            batch: a.batch,
            train_limit: a.train_limit,
            ..TrainConfig::default()
        };
        match a.over {
            SweepOver::Optimizers => cfg.optimizer = name.clone(),
            SweepOver::Activations => cfg.activation = name.clone(),
        }
        let path = a.out_dir.join(format!("{name}.snn"));
        let (h, _, _) = train_and_save(&cfg, &path, &tr, &te, out)?;
        let last = h.epochs.last();
        rows.push(json!({
            "name": name, "lr": h.lr,
            "test_accuracy": last.map(|r| r.test_accuracy),
            "test_loss": last.map(|r| r.test_loss),
            "seconds": h.seconds, "stopped": h.stopped,
        }));
        curves.push((name.clone(), h.iteration_loss.clone()));
    }
    let what = match a.over {
        SweepOver::Optimizers => "optimizer",
        SweepOver::Activations => "activation",
    };
    let mut md = format!(
        "| {what} | lr | test accuracy | test loss | seconds | note |\n|---|---|---|---|---|---|\n"
    );
    for r in &rows {
        md.push_str(&format!(
            "| `{}` | {} | {} | {} | {:.1} | {} |\n",
            r["name"].as_str().unwrap_or(""),
            r["lr"]
                .as_f64()
                .map_or("—".into(), |v| (v as f32).to_string()),
            r["test_accuracy"]
                .as_f64()
                .map_or("—".into(), |v| format!("{:.2} %", 100.0 * v)),
            r["test_loss"]
                .as_f64()
                .map_or("—".into(), |v| format!("{v:.4}")),
            r["seconds"].as_f64().unwrap_or(0.0),
            r["stopped"].as_str().unwrap_or(""),
        ));
    }
    let table = a.out_dir.join(format!("{what}s.md"));
    write(&table, md.as_bytes())?;
    write(
        &a.out_dir.join(format!("{what}s.json")),
        serde_json::to_string_pretty(&rows)?.as_bytes(),
    )?;
    let png = a.out_dir.join(format!("{what}s-loss.png"));
    plot::loss_curves(
        &curves,
        &format!("training loss per {what} (784-100-10)"),
        &png,
    )?;
    out.line(md);
    out.line(format!("wrote {} and {}", table.display(), png.display()));
    Ok((
        0,
        json!({ "command": "sweep", "over": what, "rows": rows, "table": table, "plot": png }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
        assert!(host_harness::arch::ARCH_NAMES.contains(&"784-1000-1000-10"));
    }
}
