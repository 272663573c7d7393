//! A sample source read over SPI, written against `embedded-hal` 1.0 traits only.

use embedded_hal::delay::DelayNs;
use embedded_hal::spi::SpiBus;

use crate::model::PIXELS;

/// A 28 × 28 image sensor on an SPI bus: after a conversion time, a frame of 784 bytes is clocked
/// in. Generic over the bus and the delay, so a product passes its own HAL's types.
///
/// In QEMU the PL022 runs in loopback and nothing is attached to it: the bytes clocked out (the
/// `stimulus`, a frame stored in flash) are the bytes clocked in. The data still travels through
/// the controller's FIFOs and registers, as a real sensor's would.
pub struct SpiSensor<SPI, D> {
    spi: SPI,
    delay: D,
    conversion_ns: u32,
}

impl<SPI: SpiBus<u8>, D: DelayNs> SpiSensor<SPI, D> {
    /// A sensor on `spi` that needs `conversion_ns` before each frame.
    pub fn new(spi: SPI, delay: D, conversion_ns: u32) -> Self {
        SpiSensor {
            spi,
            delay,
            conversion_ns,
        }
    }

    /// Waits for a conversion, then reads one frame into `frame` while clocking out `stimulus`.
    pub fn read_frame(
        &mut self,
        stimulus: &[u8; PIXELS],
        frame: &mut [u8; PIXELS],
    ) -> Result<(), SPI::Error> {
        self.delay.delay_ns(self.conversion_ns);
        self.spi.transfer(frame, stimulus)?;
        self.spi.flush()
    }

    /// Gives the bus and the delay back.
    pub fn release(self) -> (SPI, D) {
        (self.spi, self.delay)
    }
}
