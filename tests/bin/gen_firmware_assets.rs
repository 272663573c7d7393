//! Trains the 784-100-10 model the firmware embeds and writes `firmware-example/assets/`.
//!
//! `cargo run --release -p stacknn-workspace-tests --bin gen-firmware-assets [-- DATA_DIR OUT_DIR]`
//!
//! One epoch of Adam (lr 1e-3, batches of 32, seed 1) over the MNIST training images except the
//! last `STREAM_COUNT` (those become the device's fine-tuning stream), then
//! `host_harness::firmware::write_assets`. Deterministic: the same data gives the same bytes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use host_harness::firmware::{write_assets, STREAM_COUNT};
use host_harness::idx::{self, Split};
use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense};
use stacknn::loss::SoftmaxCrossEntropy;
use stacknn::model_file::{encode, encoded_len, Header};
use stacknn::optim::Adam;
use stacknn::{zerocopy::FromZeros, Network, TrainState};

type Mlp = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;

const SEED: u64 = 1;
const BATCH: usize = 32;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args = std::env::args_os().skip(1);
    let data = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| idx::data_dir(None));
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("firmware-example").join("assets"));
    let train =
        idx::load(&data, Split::Train).with_context(|| format!("loading {}", data.display()))?;
    let test =
        idx::load(&data, Split::Test).with_context(|| format!("loading {}", data.display()))?;

    let fit = train.take(train.len() - STREAM_COUNT);
    let xs = fit.images_f32();
    let mut net =
        Network::<f32, Mlp>::new_box_zeroed().map_err(|_| anyhow::anyhow!("out of memory"))?;
    net.init(SEED);
    let mut state = TrainState::<f32, Mlp, Adam<f32>>::new_box_zeroed()
        .map_err(|_| anyhow::anyhow!("out of memory"))?;
    state.reset(SEED);
    let adam = Adam::new(1e-3);
    for (i, (x, t)) in xs.chunks(BATCH).zip(fit.labels.chunks(BATCH)).enumerate() {
        let loss = state
            .step(&mut net, &adam, &SoftmaxCrossEntropy, x, t)
            .map_err(|e| anyhow::anyhow!("step {i}: {e}"))?;
        if i % 200 == 0 {
            eprintln!("step {i:5}  loss {loss:.4}");
        }
    }
    let correct = test
        .images_f32()
        .iter()
        .zip(&test.labels)
        .filter(|(x, &l)| net.predict(x) == l as usize)
        .count();
    eprintln!(
        "test accuracy {correct}/{} = {:.2}%",
        test.len(),
        100.0 * correct as f64 / test.len() as f64
    );

    let mut model = vec![0u8; encoded_len::<f32, Mlp>()];
    let header = Header::new(4, &[784, 100, 10], &[Relu::NAME, Identity::NAME])
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    encode(&net.layers, &header, &mut model).map_err(|e| anyhow::anyhow!("{e}"))?;
    write_assets(&model, &test, &train, &out)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}
