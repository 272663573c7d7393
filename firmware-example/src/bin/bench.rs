#![no_std]
#![no_main]
#[cortex_m_rt::entry]
fn main() -> ! {
    firmware_example::report::exit(0)
}
