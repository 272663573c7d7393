//! The machine-readable report, exit codes, fault handling and memory figures.
//!
//! Report lines go to semihosting **stderr** as plain text, one record per line, so a test can
//! parse them without decoding defmt (which owns stdout). Formats are documented in `README.md`.

use core::fmt;

use cortex_m_rt::{exception, ExceptionFrame};

/// Exit code: every check passed.
pub const EXIT_PASS: i32 = 0;
/// Exit code: a check failed (accuracy below its floor, a non-finite step not refused, …).
pub const EXIT_CHECK_FAILED: i32 = 1;
/// Exit code: the model file was refused at boot (bad magic, version, shape or checksum).
pub const EXIT_MODEL_REFUSED: i32 = 2;
/// Exit code: a HardFault.
pub const EXIT_HARD_FAULT: i32 = 3;
/// Exit code: a panic.
pub const EXIT_PANIC: i32 = 4;

/// Writes one report line to semihosting stderr.
#[macro_export]
macro_rules! report_line {
    ($($arg:tt)*) => { ::semihosting::eprintln!($($arg)*) };
}

/// Ends the program: QEMU exits with `code` (semihosting `SYS_EXIT_EXTENDED`).
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

/// `f32` bit patterns as hex words, for exact comparison on the host.
pub struct Bits<'a>(pub &'a [f32]);

impl fmt::Display for Bits<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{:08x}", v.to_bits())?;
        }
        Ok(())
    }
}

/// Memory use measured on the running program, bytes.
#[derive(Debug, Clone, Copy)]
pub struct RamUse {
    /// `.bss` (zero-initialised statics).
    pub bss: usize,
    /// `.data` (initialised statics, copied from flash at boot).
    pub data: usize,
    /// Stack high-water mark: painted words overwritten since reset.
    pub stack: usize,
}

impl RamUse {
    /// Measures now: call at the end of the program.
    pub fn measure() -> Self {
        let (bss, data) = crate::board::static_ram();
        RamUse {
            bss,
            data,
            stack: crate::board::stack_high_water(),
        }
    }

    /// bss + data + stack.
    pub fn total(&self) -> usize {
        self.bss + self.data + self.stack
    }

    /// Logs and reports the figures (`ram bss=… data=… stack=… total=…`).
    pub fn report(&self) {
        defmt::info!(
            "RAM: bss {=usize} B, data {=usize} B, stack high-water {=usize} B, total {=usize} B",
            self.bss,
            self.data,
            self.stack,
            self.total()
        );
        report_line!(
            "ram bss={} data={} stack={} total={}",
            self.bss,
            self.data,
            self.stack,
            self.total()
        );
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    defmt::error!("panic: {}", defmt::Display2Format(info));
    report_line!("panic {}", info);
    exit(EXIT_PANIC)
}

// cortex-m-rt requires the HardFault handler to be an `unsafe fn`; the body is safe code.
#[allow(unsafe_code)]
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    defmt::error!("HardFault at pc {=u32:#010x}", frame.pc());
    report_line!("hardfault pc={:#010x}", frame.pc());
    exit(EXIT_HARD_FAULT)
}
