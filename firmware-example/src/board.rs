//! The board: `embedded-hal` 1.0 implementations for the peripherals QEMU models on the MPS2
//! AN386 FPGA image. A product replaces this module with its own HAL; the rest of the firmware is
//! written against the traits.
//!
//! This is the only module with `unsafe`: volatile accesses to memory-mapped registers at fixed,
//! documented addresses (ARM DAI 0386 / QEMU `hw/arm/mps2.c`). Each register block is owned by
//! exactly one value, handed out once by [`Board::take`].
#![allow(unsafe_code)]

use core::convert::Infallible;
use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType as PinErrorType, OutputPin, StatefulOutputPin};
use embedded_hal::spi::{ErrorType as SpiErrorType, SpiBus};

/// Core clock of the AN386 image: 25 MHz.
pub const CORE_HZ: u32 = 25_000_000;

/// A 32-bit memory-mapped register.
#[derive(Clone, Copy)]
struct Reg(usize);

impl Reg {
    #[inline]
    fn read(self) -> u32 {
        // SAFETY: `self.0` is one of the fixed, 4-aligned peripheral register addresses below,
        // valid for volatile 32-bit access on this machine.
        unsafe { core::ptr::read_volatile(self.0 as *const u32) }
    }
    #[inline]
    fn write(self, v: u32) {
        // SAFETY: as in `read`.
        unsafe { core::ptr::write_volatile(self.0 as *mut u32, v) }
    }
}

/// FPGAIO LED register (`LED0`): bit n drives user LED n (2 LEDs).
const FPGAIO_LED: Reg = Reg(0x4002_8000);

/// One of the two FPGAIO user LEDs, as an `OutputPin` (high = lit). Visible in QEMU with
/// `-trace 'mps2_fpgaio_*'`.
pub struct Led {
    bit: u32,
}

impl PinErrorType for Led {
    type Error = Infallible;
}

impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        FPGAIO_LED.write(FPGAIO_LED.read() & !self.bit);
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        FPGAIO_LED.write(FPGAIO_LED.read() | self.bit);
        Ok(())
    }
}

impl StatefulOutputPin for Led {
    fn is_set_high(&mut self) -> Result<bool, Infallible> {
        Ok(FPGAIO_LED.read() & self.bit != 0)
    }
    fn is_set_low(&mut self) -> Result<bool, Infallible> {
        Ok(FPGAIO_LED.read() & self.bit == 0)
    }
}

/// PL022 SPI controller 0 of the AN386 (base 0x4002_0000), 8-bit Motorola frames, in loopback
/// mode: every byte clocked out is clocked back in. (On a product this is the bus to a sensor;
/// here the bytes sent are the sample, so the data path through the controller is real.)
pub struct Spi {
    base: usize,
}

const SSP_CR0: usize = 0x00;
const SSP_CR1: usize = 0x04;
const SSP_DR: usize = 0x08;
const SSP_SR: usize = 0x0C;
const SSP_CPSR: usize = 0x10;
const SR_TNF: u32 = 1 << 1;
const SR_RNE: u32 = 1 << 2;
const SR_BSY: u32 = 1 << 4;
const CR1_LBM: u32 = 1 << 0;
const CR1_SSE: u32 = 1 << 1;

impl Spi {
    fn reg(&self, offset: usize) -> Reg {
        Reg(self.base + offset)
    }

    fn init(base: usize) -> Self {
        let spi = Spi { base };
        spi.reg(SSP_CR1).write(0); // disabled while configuring
        spi.reg(SSP_CR0).write(0x07); // DSS = 8 bits, SPI frame format, mode 0, SCR = 0
        spi.reg(SSP_CPSR).write(2); // SSPCLK / 2
        spi.reg(SSP_CR1).write(CR1_LBM | CR1_SSE); // loopback, enabled, master
        while spi.reg(SSP_SR).read() & SR_RNE != 0 {
            let _ = spi.reg(SSP_DR).read(); // drain stale receive data
        }
        spi
    }

    fn exchange(&mut self, out: u8) -> u8 {
        while self.reg(SSP_SR).read() & SR_TNF == 0 {}
        self.reg(SSP_DR).write(out as u32);
        while self.reg(SSP_SR).read() & SR_RNE == 0 {}
        self.reg(SSP_DR).read() as u8
    }
}

impl SpiErrorType for Spi {
    type Error = Infallible;
}

impl SpiBus<u8> for Spi {
    fn read(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
        words.iter_mut().for_each(|w| *w = self.exchange(0));
        Ok(())
    }
    fn write(&mut self, words: &[u8]) -> Result<(), Infallible> {
        words.iter().for_each(|&w| {
            self.exchange(w);
        });
        Ok(())
    }
    fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), Infallible> {
        for i in 0..read.len().max(write.len()) {
            let r = self.exchange(write.get(i).copied().unwrap_or(0));
            if let Some(slot) = read.get_mut(i) {
                *slot = r;
            }
        }
        Ok(())
    }
    fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
        words.iter_mut().for_each(|w| *w = self.exchange(*w));
        Ok(())
    }
    fn flush(&mut self) -> Result<(), Infallible> {
        while self.reg(SSP_SR).read() & SR_BSY != 0 {}
        Ok(())
    }
}

/// SysTick on the core clock: a `DelayNs` and, with QEMU's `-icount shift=0` (one instruction per
/// nanosecond), an instruction counter: one tick = 40 instructions.
pub struct SysTick {
    syst: SYST,
}

impl SysTick {
    fn init(mut syst: SYST) -> Self {
        syst.set_clock_source(SystClkSource::Core);
        syst.set_reload(0x00FF_FFFF);
        syst.clear_current();
        syst.enable_counter();
        SysTick { syst }
    }

    /// The current count (counts down from 2²⁴ − 1, wraps).
    #[inline]
    pub fn now(&self) -> u32 {
        SYST::get_current()
    }

    /// Ticks elapsed from `start` (a value of [`SysTick::now`]) to now, modulo 2²⁴.
    #[inline]
    pub fn ticks_since(&self, start: u32) -> u32 {
        start.wrapping_sub(self.now()) & 0x00FF_FFFF
    }

    /// Releases the SysTick peripheral.
    pub fn free(self) -> SYST {
        self.syst
    }
}

impl DelayNs for SysTick {
    fn delay_ns(&mut self, ns: u32) {
        // 25 ticks per µs; waits in chunks well inside the 24-bit counter.
        let mut ticks = (ns as u64 * (CORE_HZ as u64) / 1_000_000_000) as u32;
        while ticks > 0 {
            let chunk = ticks.min(0x007F_FFFF);
            let start = self.now();
            while self.ticks_since(start) < chunk {}
            ticks -= chunk;
        }
    }
}

/// The board's peripherals, each owned once.
pub struct Board {
    /// User LED 0.
    pub led0: Led,
    /// User LED 1.
    pub led1: Led,
    /// SPI controller 0 (loopback).
    pub spi: Spi,
    /// SysTick: delays and instruction counts.
    pub systick: SysTick,
}

static TAKEN: AtomicBool = AtomicBool::new(false);

impl Board {
    /// The peripherals, the first time; `None` afterwards.
    pub fn take() -> Option<Board> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return None;
        }
        let core = cortex_m::Peripherals::take()?;
        FPGAIO_LED.write(0);
        Some(Board {
            led0: Led { bit: 1 << 0 },
            led1: Led { bit: 1 << 1 },
            spi: Spi::init(0x4002_0000),
            systick: SysTick::init(core.SYST),
        })
    }
}

extern "C" {
    static __sbss: u32;
    static __ebss: u32;
    static __sdata: u32;
    static __edata: u32;
}

/// Bytes of `.bss` and `.data`, from the linker's section symbols (cortex-m-rt's `link.x`).
pub fn static_ram() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, never their contents.
    let bss = (&raw const __ebss) as usize - (&raw const __sbss) as usize;
    let data = (&raw const __edata) as usize - (&raw const __sdata) as usize;
    (bss, data)
}

/// The stack high-water mark in bytes: cortex-m-rt (feature `paint-stack`) fills the stack with
/// `0xCCCC_CCCC` at reset; the deepest overwritten word marks the most stack ever used.
pub fn stack_high_water() -> usize {
    (cortex_m_stack::stack_size() - cortex_m_stack::stack_painted()) as usize
}
