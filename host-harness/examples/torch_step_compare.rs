//! The stacknn half of `scripts/torch_step_compare.py`: 200 Adam steps (lr 1e-3) of a 784-100-10
//! ReLU network from its seed-1 initialisation, on the MNIST training images in file order,
//! batches of 32. Writes `init.safetensors` and `after.safetensors` into the directory given as
//! the first argument (default `out/torch-compare`).
//!
//! ```sh
//! cargo run --release -p host-harness --example torch_step_compare
//! bench/.venv/bin/python scripts/torch_step_compare.py
//! ```

use std::path::PathBuf;

use anyhow::Result;
use host_harness::{idx, interop, model};
use stacknn::activation::ActivationKind;
use stacknn::loss::LossKind;

fn main() -> Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "out/torch-compare".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let mut m = model::build("784-100-10", ActivationKind::Relu, ActivationKind::Identity)?;
    m.init(1, stacknn::init::Init::Uniform);
    std::fs::write(dir.join("init.safetensors"), interop::to_safetensors(&*m)?)?;
    let train = idx::load(&idx::data_dir(None), idx::Split::Train)?;
    let adam = stacknn::optim::by_name::<f32>("Adam", Some(1e-3)).map_err(anyhow::Error::msg)?;
    for k in 0..200 {
        let range = 32 * k..32 * (k + 1);
        let xs: Vec<[f32; 784]> = train.pixels[range.clone()]
            .iter()
            .map(idx::image_f32)
            .collect();
        m.step(
            &adam,
            LossKind::SoftmaxCrossEntropy,
            &xs,
            &train.labels[range],
            1,
            1,
        )
        .map_err(anyhow::Error::msg)?;
    }
    std::fs::write(dir.join("after.safetensors"), interop::to_safetensors(&*m)?)?;
    println!(
        "wrote {}/init.safetensors and after.safetensors",
        dir.display()
    );
    Ok(())
}
