//! The assets built into flash (`firmware-example/assets/`, written by
//! `host_harness::firmware::write_assets`; layout in `assets/README.md`).

use crate::model::PIXELS;

/// Bytes aligned for in-place use: `stacknn::model_file::view` needs the model file 8-aligned.
#[repr(C, align(8))]
pub struct Aligned<B: ?Sized>(pub B);

/// The model file (SNNM v1, 784-100-10 ReLU/identity f32), verified at boot and then used in
/// place: the weights are read from flash, never copied to RAM.
pub static MODEL_FILE: &Aligned<[u8]> = &Aligned(*include_bytes!("../assets/model.snn"));

/// `n × 784` bytes as `n` images, checked at compile time.
const fn images(bytes: &'static [u8]) -> &'static [[u8; PIXELS]] {
    let (images, rest) = bytes.as_chunks::<PIXELS>();
    assert!(
        rest.is_empty(),
        "an images file is not a whole number of 784-byte images"
    );
    images
}

/// Original-domain MNIST test images (`test[0..200]`).
pub static TEST_IMAGES: &[[u8; PIXELS]] = images(include_bytes!("../assets/test-images.u8"));
/// Their labels.
pub static TEST_LABELS: &[u8] = include_bytes!("../assets/test-labels.u8");

/// The fine-tuning stream: MNIST training images from the inverted-polarity sensor.
pub static STREAM_IMAGES: &[[u8; PIXELS]] = images(include_bytes!("../assets/stream-images.u8"));
/// Their labels.
pub static STREAM_LABELS: &[u8] = include_bytes!("../assets/stream-labels.u8");

/// Held-out MNIST test images (`test[200..400]`) from the inverted-polarity sensor, disjoint from
/// everything else.
pub static HELDOUT_IMAGES: &[[u8; PIXELS]] = images(include_bytes!("../assets/heldout-images.u8"));
/// Their labels.
pub static HELDOUT_LABELS: &[u8] = include_bytes!("../assets/heldout-labels.u8");

const _: () = {
    assert!(TEST_IMAGES.len() == TEST_LABELS.len() && TEST_IMAGES.len() >= 200);
    assert!(STREAM_IMAGES.len() == STREAM_LABELS.len());
    assert!(HELDOUT_IMAGES.len() == HELDOUT_LABELS.len());
};
