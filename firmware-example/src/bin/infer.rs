//! Inference only: verify the model at boot, classify the MNIST test images in flash, report
//! accuracy, every logit's bits, and the RAM used. The weights are read from flash in place.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use embedded_hal::digital::OutputPin;
use firmware_example::assets::{MODEL_FILE, TEST_IMAGES, TEST_LABELS};
use firmware_example::board::Board;
use firmware_example::model::{self, CLASSES, PIXELS};
use firmware_example::report::{self, Bits, RamUse};
use firmware_example::report_line;
use stacknn::network::argmax;

/// The device's own pass mark (the host's accuracy on these images is checked by the tests).
const MIN_ACCURACY_PERCENT: usize = 90;

#[entry]
fn main() -> ! {
    let Some(mut board) = Board::take() else {
        report::exit(report::EXIT_CHECK_FAILED)
    };
    let net = model::verified(&MODEL_FILE.0);
    let mut correct = 0;
    let mut x = [0.0f32; PIXELS];
    let mut y = [0.0f32; CLASSES];
    for (i, (img, &label)) in TEST_IMAGES.iter().zip(TEST_LABELS).enumerate() {
        model::input(img, &mut x);
        net.forward(&x, &mut y);
        let class = argmax(&y);
        // LED 0 shows the parity of the predicted class.
        let _ = if class % 2 == 1 {
            board.led0.set_high()
        } else {
            board.led0.set_low()
        };
        correct += usize::from(class == label as usize);
        report_line!("logits {} {} {} {}", i, label, class, Bits(&y));
    }
    let n = TEST_IMAGES.len();
    defmt::info!(
        "accuracy on {=usize} MNIST test images: {=usize}/{=usize}",
        n,
        correct,
        n
    );
    report_line!("accuracy {} {}", correct, n);
    RamUse::measure().report();
    report::exit(if correct * 100 >= MIN_ACCURACY_PERCENT * n {
        report::EXIT_PASS
    } else {
        report::EXIT_CHECK_FAILED
    })
}
