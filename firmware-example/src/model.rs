//! The network, inference from flash, and last-layer fine-tuning in RAM.
//!
//! The deployed model is `784 → 100 (ReLU) → 10` in f32. On the device the first layer stays in
//! flash, frozen: it has no gradient and no optimizer state, and turns each image into 100
//! features. It is stored input-major ([`SparseInputDense`], a [`TransposedDense`]: the host's
//! `host_harness::firmware::firmware_model` transposes it when writing the assets), the layout
//! whose single-sample forward takes the fewest instructions on the Cortex-M4F, and its forward
//! skips the image's zero pixels (about four in five of an MNIST digit's); it computes the same
//! bits as the output-major [`Dense`] the host trained. Only the last layer ([`Head`], 1,010
//! parameters) is copied to RAM and trained, with Adam, on the features of a labelled stream,
//! batch by batch ([`step`]).

use core::mem::size_of;

use stacknn::activation::{Identity, Relu};
#[cfg(doc)]
use stacknn::layer::TransposedDense;
use stacknn::layer::{Chain, Dense, Frozen, SparseInputDense};
use stacknn::loss::SoftmaxCrossEntropy;
use stacknn::math::Libm;
use stacknn::optim::Adam;
use stacknn::{Error, Layer, Network, TrainState};

/// Pixels per image (28 × 28).
pub const PIXELS: usize = 784;
/// Hidden features.
pub const HIDDEN: usize = 100;
/// Classes.
pub const CLASSES: usize = 10;

/// The frozen first layer (read in place from flash), weights input-major, zero pixels skipped.
pub type Body = Frozen<SparseInputDense<f32, PIXELS, HIDDEN, Relu>>;
/// The last layer, the one the device trains.
pub type Head = Dense<f32, HIDDEN, CLASSES, Identity>;
/// The deployed network, as stored in the model file.
pub type Mlp = Chain<Body, Head>;
/// The trainable part on its own: a network of just the head, over the body's features.
pub type HeadNet = Network<f32, Head, Libm>;
/// The optimizer.
pub type Optimizer = Adam<f32>;
/// Training state of the head: gradient, Adam's m and v, one sample's buffers.
pub type HeadTrainState = TrainState<f32, Head, Optimizer>;

/// Samples per fine-tuning step.
pub const BATCH: usize = 10;
/// Passes over the stream.
pub const EPOCHS: usize = 5;
/// Adam's step size (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, the paper's defaults).
pub const LEARNING_RATE: f32 = 0.02;
/// Seed of the training state's generator (Adam does not draw from it; kept for other optimizers).
pub const SEED: u64 = 1;

/// RAM of the trainable part, bytes: the head's weights, its training state (gradient,
/// optimizer state, activation buffers of one sample) and one batch of features and labels.
pub const TRAINABLE_RAM: usize = size_of::<HeadNet>()
    + size_of::<HeadTrainState>()
    + size_of::<[[f32; HIDDEN]; BATCH]>()
    + size_of::<[u8; BATCH]>();
/// The budget for [`TRAINABLE_RAM`]: 24 KiB, which leaves 8 KiB of a 32 KiB allowance for the
/// stack of the rest of the program.
pub const TRAINABLE_RAM_BUDGET: usize = 24 * 1024;
const _: () = assert!(
    TRAINABLE_RAM <= TRAINABLE_RAM_BUDGET,
    "the trainable part exceeds its RAM budget"
);
// The frozen body really carries no training state: the whole state is the head's.
const _: () = assert!(
    size_of::<<Mlp as Layer<f32>>::Params<f32>>() == size_of::<<Head as Layer<f32>>::Params<f32>>()
);

/// The one normalisation of a pixel, the host's too: `p / 255`.
#[inline]
pub fn normalize(p: u8) -> f32 {
    p as f32 / 255.0
}

/// An image as the network's input vector.
pub fn input(pixels: &[u8; PIXELS], x: &mut [f32; PIXELS]) {
    for (x, &p) in x.iter_mut().zip(pixels) {
        *x = normalize(p);
    }
}

/// The frozen body's 100 features of an image.
pub fn features(body: &Body, pixels: &[u8; PIXELS], h: &mut [f32; HIDDEN]) {
    let mut x = [0.0; PIXELS];
    input(pixels, &mut x);
    body.forward::<Libm>(&x, h);
}

/// How many of `images` the body and `head` classify as their label.
pub fn correct(body: &Body, head: &HeadNet, images: &[[u8; PIXELS]], labels: &[u8]) -> usize {
    let mut h = [0.0; HIDDEN];
    images
        .iter()
        .zip(labels)
        .filter(|(img, &label)| {
            features(body, img, &mut h);
            head.predict(&h) == label as usize
        })
        .count()
}

/// One fine-tuning step on a batch of features: Adam on the head, softmax cross-entropy.
/// Returns the batch loss before the update; a non-finite step is refused and changes nothing.
pub fn step(
    head: &mut HeadNet,
    state: &mut HeadTrainState,
    features: &[[f32; HIDDEN]],
    labels: &[u8],
) -> Result<f32, Error> {
    state.step(
        head,
        &Adam::new(LEARNING_RATE),
        &SoftmaxCrossEntropy,
        features,
        labels,
    )
}

/// Calls `f` with every parameter of `layer` (weights row by row, then bias) as its bit pattern.
pub fn for_each_bits(layer: &impl Layer<f32>, mut f: impl FnMut(u32)) {
    layer.weights(&mut |w| w.iter().for_each(|v| f(v.to_bits())));
}

/// FNV-1a over the bit patterns of a layer's parameters: equal fingerprints before and after a
/// refused step show it changed nothing.
pub fn fingerprint(layer: &impl Layer<f32>) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for_each_bits(layer, |bits| {
        for b in bits.to_le_bytes() {
            h = (h ^ b as u32).wrapping_mul(0x0100_0193);
        }
    });
    h
}

/// Verifies the model file (magic, version, shape, CRC-32, finite weights) and returns the
/// network **in place**: its weights stay in flash. A refused file is logged and reported
/// (`model-refused <reason>`) and the program exits with
/// [`EXIT_MODEL_REFUSED`](crate::report::EXIT_MODEL_REFUSED).
pub fn verified(file: &'static [u8]) -> &'static Network<f32, Mlp, Libm> {
    match stacknn::model_file::view::<f32, Mlp, Libm>(file) {
        // The view checks widths and scalar type; the activations are checked here, so a model
        // trained with others is refused rather than run with the wrong ones.
        Ok(_) if !activations_are(file, &[Relu::NAME, Identity::NAME]) => {
            defmt::error!("model refused: its activations are not ReLU, identity");
            crate::report_line!("model-refused activations are not ReLU, identity");
            crate::report::exit(crate::report::EXIT_MODEL_REFUSED)
        }
        Ok(net) => {
            let at = core::ptr::from_ref(net) as usize;
            defmt::info!(
                "model verified: {=usize} parameters in place at {=usize:#010x} (flash)",
                Mlp::WEIGHT_COUNT,
                at
            );
            crate::report_line!("model-ok params={} addr={:#010x}", Mlp::WEIGHT_COUNT, at);
            net
        }
        Err(e) => {
            defmt::error!("model refused: {}", e);
            crate::report_line!("model-refused {}", e);
            crate::report::exit(crate::report::EXIT_MODEL_REFUSED)
        }
    }
}

/// `true` if the model file's header names exactly these activations, layer by layer (header
/// bytes 52.., 16 bytes a name, NUL-padded; see `stacknn::model_file`).
fn activations_are(file: &[u8], names: &[&str]) -> bool {
    use stacknn::model_file::NAME_LEN;
    names.iter().enumerate().all(|(i, name)| {
        let at = 52 + NAME_LEN * i;
        let Some(field) = file.get(at..at + NAME_LEN) else {
            return false;
        };
        let (head, pad) = field.split_at(name.len().min(NAME_LEN));
        head == name.as_bytes() && pad.iter().all(|&b| b == 0)
    })
}
