//! The assets built into `firmware-example/`: a model file and MNIST images as flat binary files.
//!
//! The firmware embeds these files with `include_bytes!`, so their layout is deliberately trivial:
//!
//! | file | content |
//! |---|---|
//! | `model.snn` | the model file ([`stacknn::model_file`], SNNM v2) of a [`FirmwareNet`]: 784-100-10 ReLU/identity f32, the 784×100 layer stored input-major |
//! | `test-images.u8`, `test-labels.u8` | [`INFER_COUNT`] MNIST test images (`test[0..200]`) |
//! | `heldout-images.u8`, `heldout-labels.u8` | [`HELDOUT_COUNT`] MNIST test images (`test[200..400]`), **inverted** |
//! | `stream-images.u8`, `stream-labels.u8` | [`STREAM_COUNT`] MNIST training images (the last ones), **inverted** |
//!
//! An images file is `n × 784` bytes, one byte per pixel, row by row (0 = background in the
//! original domain); a labels file is `n` bytes, each 0..=9. The firmware normalises a pixel with
//! the same [`crate::idx::normalize`] as the host: `p as f32 / 255.0`.
//!
//! The shifted domain of the fine-tuning story is a sensor with inverted polarity: every pixel
//! `p` becomes `255 − p` ([`invert`]). The held-out set comes from the test split (never seen in
//! training in any polarity); the stream from the end of the training split.

use std::fs;
use std::path::Path;

use anyhow::{anyhow, ensure, Context, Result};
use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense, Frozen, SparseInputDense, WeightLayout};
use stacknn::model_file::{self, encode, encoded_len, load_into};
use stacknn::{zerocopy::FromZeros, Network};

use crate::idx::{Dataset, PIXELS};

/// The 784-100-10 network as the host trains it (both layers output-major, [`Dense`]).
pub type HostNet = Chain<Dense<f32, PIXELS, 100, Relu>, Dense<f32, 100, 10, Identity>>;

/// The same network as the firmware stores it: the 784×100 layer input-major
/// ([`SparseInputDense`], frozen on the device), whose single-sample forward reads flash with
/// fewer instructions and skips zero pixels; the head output-major. It computes the same bits as
/// [`HostNet`] (its weights are finite: model files with others are refused).
pub type FirmwareNet =
    Chain<Frozen<SparseInputDense<f32, PIXELS, 100, Relu>>, Dense<f32, 100, 10, Identity>>;

/// The firmware's model file for a model file of a [`HostNet`] (or of a [`FirmwareNet`], returned
/// unchanged after verification): the first layer's weights transposed, widths and activation
/// names kept. Errors name what is wrong (not 784-100-10 f32, corrupt, non-finite weights).
pub fn firmware_model(model_file: &[u8]) -> Result<Vec<u8>> {
    let (header, _) = model_file::parse(model_file)
        .map_err(|e| anyhow!("{e}"))
        .context("the model file to embed is not valid")?;
    ensure!(
        header.scalar_bytes == 4 && header.widths() == [PIXELS as u32, 100, 10],
        "the firmware runs f32 784-100-10 models; this one has widths {:?} and {}-byte scalars",
        header.widths(),
        header.scalar_bytes
    );
    let mut fw = zeroed::<FirmwareNet>()?;
    if header.layout(0) == Some(WeightLayout::InputMajor) {
        load_into(model_file, &mut fw.layers).map_err(|e| anyhow!("{e}"))?;
        return Ok(model_file.to_vec());
    }
    let mut host = zeroed::<HostNet>()?;
    load_into(model_file, &mut host.layers).map_err(|e| anyhow!("{e}"))?;
    fw.layers.first.0.set_from_dense(&host.layers.first);
    fw.layers.second = host.layers.second;
    let mut out = vec![0u8; encoded_len::<f32, FirmwareNet>()];
    encode(&fw.layers, &header, &mut out).map_err(|e| anyhow!("{e}"))?;
    Ok(out)
}

/// A zeroed network of type `L` on the heap (318 KB for these networks).
fn zeroed<L>() -> Result<Box<Network<f32, L>>>
where
    Network<f32, L>: FromZeros,
{
    Network::<f32, L>::new_box_zeroed().map_err(|_| anyhow!("out of memory"))
}

/// A firmware model file (see [`firmware_model`]) loaded back as the host's [`HostNet`], weights
/// transposed back: the reference the host/device agreement tests compute with.
pub fn host_model(firmware_file: &[u8]) -> Result<Box<Network<f32, HostNet>>> {
    let mut fw = zeroed::<FirmwareNet>()?;
    load_into(firmware_file, &mut fw.layers).map_err(|e| anyhow!("{e}"))?;
    let mut host = zeroed::<HostNet>()?;
    host.layers.first.set_from_transposed(&fw.layers.first.0);
    host.layers.second = fw.layers.second;
    Ok(host)
}

/// Number of original-domain test images for the inference check.
pub const INFER_COUNT: usize = 200;
/// Number of inverted held-out images (accuracy before and after fine-tuning).
pub const HELDOUT_COUNT: usize = 200;
/// Number of inverted labelled images in the fine-tuning stream.
pub const STREAM_COUNT: usize = 400;

/// The model file name inside the assets directory.
pub const MODEL_FILE: &str = "model.snn";

/// The shifted domain: a sensor with inverted polarity, `p ↦ 255 − p`.
pub fn invert(p: &[u8; PIXELS]) -> [u8; PIXELS] {
    p.map(|v| 255 - v)
}

/// Writes the firmware assets into `dir` (created if missing): the model file in the firmware's
/// layout ([`firmware_model`]), and the image sets described in the module docs, taken from
/// `test` and `train`.
///
/// Errors if `test` has fewer than [`INFER_COUNT`] + [`HELDOUT_COUNT`] images, `train` fewer than
/// [`STREAM_COUNT`], a label is not 0..=9, the model file is not a valid 784-100-10 f32 model,
/// or a file cannot be written.
pub fn write_assets(model_file: &[u8], test: &Dataset, train: &Dataset, dir: &Path) -> Result<()> {
    let model = firmware_model(model_file)?;
    ensure!(
        test.len() >= INFER_COUNT + HELDOUT_COUNT,
        "the test set has {} images, {} needed",
        test.len(),
        INFER_COUNT + HELDOUT_COUNT
    );
    ensure!(
        train.len() >= STREAM_COUNT,
        "the training set has {} images, {STREAM_COUNT} needed",
        train.len()
    );
    for d in [test, train] {
        ensure!(
            d.pixels.len() == d.labels.len(),
            "images and labels differ in count"
        );
        ensure!(d.labels.iter().all(|&l| l < 10), "a label is not 0..=9");
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    write(dir, MODEL_FILE, &model)?;

    let infer = 0..INFER_COUNT;
    write_set(
        dir,
        "test",
        &test.pixels[infer.clone()],
        &test.labels[infer],
        false,
    )?;
    let held = INFER_COUNT..INFER_COUNT + HELDOUT_COUNT;
    write_set(
        dir,
        "heldout",
        &test.pixels[held.clone()],
        &test.labels[held],
        true,
    )?;
    let stream = train.len() - STREAM_COUNT..train.len();
    write_set(
        dir,
        "stream",
        &train.pixels[stream.clone()],
        &train.labels[stream],
        true,
    )?;
    Ok(())
}

fn write_set(
    dir: &Path,
    stem: &str,
    pixels: &[[u8; PIXELS]],
    labels: &[u8],
    inverted: bool,
) -> Result<()> {
    let mut bytes = Vec::with_capacity(pixels.len() * PIXELS);
    for p in pixels {
        bytes.extend_from_slice(&if inverted { invert(p) } else { *p });
    }
    write(dir, &format!("{stem}-images.u8"), &bytes)?;
    write(dir, &format!("{stem}-labels.u8"), labels)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use stacknn::model_file::Header;

    type Mlp = HostNet;

    fn dataset(n: usize, seed: u8) -> Dataset {
        Dataset {
            pixels: (0..n)
                .map(|i| [seed.wrapping_add(i as u8); PIXELS])
                .collect(),
            labels: (0..n).map(|i| (i % 10) as u8).collect(),
        }
    }

    #[test]
    fn writes_the_documented_layout() {
        let mut net = Network::<f32, Mlp>::new_box_zeroed().unwrap();
        net.init(1);
        let mut model = vec![0u8; encoded_len::<f32, Mlp>()];
        let h = Header::new(4, &[784, 100, 10], &["ReLU", "identity"]).unwrap();
        encode(&net.layers, &h, &mut model).unwrap();
        let test = dataset(INFER_COUNT + HELDOUT_COUNT + 3, 7);
        let train = dataset(STREAM_COUNT + 5, 100);
        let dir = std::env::temp_dir().join(format!("stacknn-fw-assets-{}", std::process::id()));
        write_assets(&model, &test, &train, &dir).unwrap();

        // The model is stored in the firmware's layout and reads back as the same network.
        let fw = fs::read(dir.join(MODEL_FILE)).unwrap();
        assert_eq!(u16::from_le_bytes([fw[4], fw[5]]), 2);
        assert_eq!(fw.len(), model.len());
        let back = host_model(&fw).unwrap();
        assert_eq!(back.layers.first.weight, net.layers.first.weight);
        assert_eq!(back.layers.first.bias, net.layers.first.bias);
        assert_eq!(back.layers.second.weight, net.layers.second.weight);
        // Converting a file already in the firmware's layout changes nothing.
        assert_eq!(firmware_model(&fw).unwrap(), fw);
        // The host layout of the same model is refused where the firmware layout is expected.
        assert!(host_model(&model).is_err());
        let x = [0.25f32; PIXELS];
        let (mut a, mut b) = ([0.0f32; 10], [0.0f32; 10]);
        net.forward(&x, &mut a);
        back.forward(&x, &mut b);
        assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
        let ti = fs::read(dir.join("test-images.u8")).unwrap();
        assert_eq!(ti.len(), INFER_COUNT * PIXELS);
        assert_eq!(&ti[PIXELS..2 * PIXELS], &test.pixels[1][..]);
        let hi = fs::read(dir.join("heldout-images.u8")).unwrap();
        assert_eq!(hi[0], 255 - test.pixels[INFER_COUNT][0]);
        let hl = fs::read(dir.join("heldout-labels.u8")).unwrap();
        assert_eq!(hl, test.labels[INFER_COUNT..INFER_COUNT + HELDOUT_COUNT]);
        let si = fs::read(dir.join("stream-images.u8")).unwrap();
        assert_eq!(si.len(), STREAM_COUNT * PIXELS);
        assert_eq!(si[0], 255 - train.pixels[5][0]);
        let sl = fs::read(dir.join("stream-labels.u8")).unwrap();
        assert_eq!(sl, train.labels[5..]);

        // Too few images and a malformed model are refused.
        assert!(write_assets(&model, &dataset(10, 0), &train, &dir).is_err());
        assert!(write_assets(&model[..100], &test, &train, &dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
