//! On-device adaptation: the deployed model meets a sensor with inverted polarity (every pixel
//! `p` arrives as `255 − p`). The device trains its last layer with Adam on a labelled stream read
//! over SPI, batch by batch, the first layer frozen in flash (no gradient, no optimizer state),
//! and reports held-out accuracy before and after, the loss of every step, a refused non-finite
//! step, the trained weights' bits and the RAM used.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_hal::digital::OutputPin;
use firmware_example::assets::{
    HELDOUT_IMAGES, HELDOUT_LABELS, MODEL_FILE, STREAM_IMAGES, STREAM_LABELS, TEST_IMAGES,
    TEST_LABELS,
};
use firmware_example::board::Board;
use firmware_example::model::{
    self, HeadNet, HeadTrainState, BATCH, EPOCHS, HIDDEN, LEARNING_RATE, PIXELS, SEED,
    TRAINABLE_RAM, TRAINABLE_RAM_BUDGET,
};
use firmware_example::report::{self, Bits, RamUse};
use firmware_example::report_line;
use firmware_example::sensor::SpiSensor;
use stacknn::{Error, Network};

/// The sensor's conversion time before each frame.
const CONVERSION_NS: u32 = 20_000;
/// The device's own pass mark: held-out accuracy must rise by at least this many points.
const MIN_GAIN_PERCENT: usize = 30;

#[entry]
fn main() -> ! {
    let Some(mut board) = Board::take() else {
        report::exit(report::EXIT_CHECK_FAILED)
    };
    let net = model::verified(&MODEL_FILE.0);
    let body = &net.layers.first;
    // The trainable copy of the last layer, in RAM (4,040 bytes); the body stays in flash.
    let mut head: HeadNet = Network::new(net.layers.second);
    report_line!(
        "config batch={} epochs={} lr={:08x} seed={} stream={} heldout={}",
        BATCH,
        EPOCHS,
        LEARNING_RATE.to_bits(),
        SEED,
        STREAM_IMAGES.len(),
        HELDOUT_IMAGES.len()
    );
    defmt::info!(
        "trainable RAM {=usize} B (budget {=usize} B): head, gradient, Adam state, one batch of features",
        TRAINABLE_RAM,
        TRAINABLE_RAM_BUDGET
    );
    report_line!("trainable-ram {} {}", TRAINABLE_RAM, TRAINABLE_RAM_BUDGET);

    let n_test = TEST_IMAGES.len();
    let test_before = model::correct(body, &head, TEST_IMAGES, TEST_LABELS);
    let n_held = HELDOUT_IMAGES.len();
    let held_before = model::correct(body, &head, HELDOUT_IMAGES, HELDOUT_LABELS);
    defmt::info!(
        "before: original sensor {=usize}/{=usize}, inverted sensor (held-out) {=usize}/{=usize}",
        test_before,
        n_test,
        held_before,
        n_held
    );
    report_line!("test-before {} {}", test_before, n_test);
    report_line!("heldout-before {} {}", held_before, n_held);

    let mut state = HeadTrainState::new(SEED);
    let mut sensor = SpiSensor::new(board.spi, board.systick, CONVERSION_NS);
    let mut feats = [[0.0f32; HIDDEN]; BATCH];
    let mut labels = [0u8; BATCH];
    let mut frame = [0u8; PIXELS];
    // LED 1 is lit while training.
    let _ = board.led1.set_high();
    for epoch in 0..EPOCHS {
        let batches = STREAM_IMAGES.chunks(BATCH).zip(STREAM_LABELS.chunks(BATCH));
        for (b, (images, lbls)) in batches.enumerate() {
            for (k, (img, &label)) in images.iter().zip(lbls).enumerate() {
                let Ok(()) = sensor.read_frame(img, &mut frame);
                model::features(body, &frame, &mut feats[k]);
                labels[k] = label;
            }
            let n = images.len();
            match model::step(&mut head, &mut state, &feats[..n], &labels[..n]) {
                Ok(loss) => {
                    defmt::info!("epoch {=usize} batch {=usize} loss {=f32}", epoch, b, loss);
                    report_line!("step {} {} {:08x}", epoch, b, loss.to_bits());
                }
                Err(e) => {
                    defmt::error!("step failed: {}", e);
                    report_line!("step-failed {}", e);
                    report::exit(report::EXIT_CHECK_FAILED)
                }
            }
        }
    }
    let _ = board.led1.set_low();

    // A glitched reading (NaN) in a batch: the step must be refused and change nothing.
    let before = model::fingerprint(&head.layers);
    let steps = state.steps();
    feats[0][0] = f32::NAN;
    let rejected = match model::step(&mut head, &mut state, &feats, &labels) {
        Err(e @ (Error::NonFiniteLoss | Error::NonFiniteGradient)) => {
            let unchanged = model::fingerprint(&head.layers) == before && state.steps() == steps;
            defmt::info!(
                "non-finite step refused ({}); model unchanged: {=bool}",
                e,
                unchanged
            );
            report_line!("rejected unchanged={} {}", unchanged, e);
            unchanged
        }
        other => {
            defmt::error!("a non-finite step was not refused: {}", other);
            report_line!("not-rejected");
            false
        }
    };

    let held_after = model::correct(body, &head, HELDOUT_IMAGES, HELDOUT_LABELS);
    let test_after = model::correct(body, &head, TEST_IMAGES, TEST_LABELS);
    defmt::info!(
        "after {=u64} steps: inverted sensor (held-out) {=usize}/{=usize} (was {=usize}), original sensor {=usize}/{=usize}",
        state.steps(),
        held_after,
        n_held,
        held_before,
        test_after,
        n_test
    );
    report_line!("heldout-after {} {}", held_after, n_held);
    report_line!("test-after {} {}", test_after, n_test);
    for (o, (w, b)) in head.layers.weight.iter().zip(&head.layers.bias).enumerate() {
        report_line!("head {} {} {:08x}", o, Bits(w), b.to_bits());
    }
    RamUse::measure().report();
    let improved = held_after * 100 >= held_before * 100 + MIN_GAIN_PERCENT * n_held;
    report::exit(if improved && rejected {
        report::EXIT_PASS
    } else {
        report::EXIT_CHECK_FAILED
    })
}
