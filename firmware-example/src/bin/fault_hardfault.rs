//! Fault handling check: executes a permanently undefined instruction. The UsageFault escalates to
//! HardFault, whose handler reports and exits with code 3 — QEMU must not hang.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
// The library brings the HardFault and panic handlers and the defmt logger.
use firmware_example as _;

#[entry]
fn main() -> ! {
    cortex_m::asm::udf()
}
