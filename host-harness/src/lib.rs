//! Host harness for stacknn: MNIST loading, training, verification, plots, import and export.
//!
//! The library behind the `stacknn` command-line tool.

pub mod arch;
pub mod firmware;
pub mod idx;
pub mod interop;
pub mod math;
pub mod model;
pub mod parallel;
pub mod plot;
pub mod train;
pub mod verify;
