//! The refusal path: the same model with one byte of its weights flipped (at compile time) must be
//! refused at boot with a checksum error (exit code 2), never used.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware_example::assets::Aligned;
use firmware_example::model;
use firmware_example::report;
use firmware_example::report_line;

const LEN: usize = stacknn::model_file::encoded_len::<f32, model::Mlp>();
// Only read at compile time, to build `CORRUPT`: the binary holds one copy, in flash.
#[allow(clippy::large_const_arrays)]
const MODEL: [u8; LEN] = *include_bytes!("../../assets/model.snn");
/// The byte to damage: inside the first layer's weights.
const FLIPPED_BYTE: usize = 256 + 40_000;

const fn flip(mut bytes: [u8; LEN], at: usize) -> [u8; LEN] {
    bytes[at] ^= 0x01;
    bytes
}

static CORRUPT: Aligned<[u8; LEN]> = Aligned(flip(MODEL, FLIPPED_BYTE));

#[entry]
fn main() -> ! {
    // Exits with EXIT_MODEL_REFUSED from inside `verified` when the file is refused.
    let _net = model::verified(&CORRUPT.0);
    defmt::error!("a corrupted model was accepted");
    report_line!("model-accepted");
    report::exit(report::EXIT_CHECK_FAILED)
}
