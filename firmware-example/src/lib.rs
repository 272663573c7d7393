//! # firmware-example
//!
//! What an embedded product built on `stacknn` looks like: a `no_std`, `no_main` Cortex-M4F
//! program that runs a model trained on the desktop straight from flash, and fine-tunes its last
//! layer on the device. It runs in QEMU's `mps2-an386` machine; see `README.md`.
//!
//! The binaries (`src/bin/`) share this library:
//! - [`assets`]: the model file and MNIST images built into flash;
//! - [`board`]: `embedded-hal` 1.0 implementations for the AN386's LEDs, PL022 SPI and SysTick —
//!   the only module with `unsafe` (memory-mapped registers);
//! - [`sensor`]: a sample source written against `SpiBus` + `DelayNs`, not against this board;
//! - [`model`]: the network types, inference and last-layer fine-tuning;
//! - [`report`]: the machine-readable report (semihosting stderr), exit codes, the panic and
//!   HardFault handlers, and memory figures.
//!
//! Logs for people go through `defmt` (semihosting stdout, decoded by `defmt-print`); the report
//! lines that the workspace tests parse go to semihosting stderr as plain text.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod assets;
pub mod board;
pub mod model;
pub mod report;
pub mod sensor;

// The defmt global logger, over semihosting.
use defmt_semihosting as _;
