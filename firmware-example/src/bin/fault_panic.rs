//! Fault handling check: an out-of-bounds index panics; the panic is logged and exits with code 4 —
//! QEMU must not hang.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware_example::{model, report};

#[entry]
fn main() -> ! {
    // An index the compiler cannot see through.
    let i = core::hint::black_box(model::CLASSES);
    let classes = [0u8; model::CLASSES];
    let class = classes[i];
    report::exit(report::EXIT_PASS + i32::from(class))
}
