//! # stacknn
//!
//! Small dense neural networks for microcontrollers: trained and run with no heap, no `unsafe`,
//! and every shape checked at compile time.
//!
//! - Layers are const-generic arrays: [`layer::Dense<S, I, O, A>`](layer::Dense) stores
//!   `[[S; I]; O]` weights and `[S; O]` bias. Layers compose with [`layer::Chain`]; a width
//!   mismatch between consecutive layers does not compile. [`layer::TransposedDense`] computes
//!   the same bits with its weights stored input-major, the fastest layout for a single-sample
//!   forward (a model file records each layer's layout).
//! - Generic over the scalar ([`Scalar`]: `f32`, `f64`) and the math backend ([`math::Math`]:
//!   [`math::Libm`] exact, [`math::Micromath`] fast).
//! - Inference reads the weights in place (a `static` in flash) and needs only activation
//!   vectors; training state ([`train::TrainState`]) is separate, sized at compile time, and
//!   absent for [`layer::Frozen`] layers.
//! - Activations ([`activation`]), losses ([`loss`]) and optimizers ([`optim`]) are zero-cost
//!   types, and can also be found by name at run time without allocation.
//!
//! # Examples
//!
//! Train a 2-4-1 network on XOR with Adam:
//!
//! ```
//! # #[cfg(feature = "libm")] {
//! use stacknn::activation::{Identity, Tanh};
//! use stacknn::layer::{Chain, Dense};
//! use stacknn::loss::SigmoidCrossEntropy;
//! use stacknn::optim::Adam;
//! use stacknn::{zerocopy::FromZeros, Network, TrainState};
//!
//! type Xor = Chain<Dense<f64, 2, 4, Tanh>, Dense<f64, 4, 1, Identity>>;
//! let mut net = Network::<f64, Xor>::new_zeroed();
//! net.init(1);
//! let mut state = TrainState::<f64, Xor, Adam<f64>>::new(1);
//! let adam = Adam::new(0.05);
//! let xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
//! let ts = [[0.0], [1.0], [1.0], [0.0]];
//! for _ in 0..500 {
//!     state.step(&mut net, &adam, &SigmoidCrossEntropy, &xs, &ts).unwrap();
//! }
//! for (x, t) in xs.iter().zip(&ts) {
//!     let mut y = [0.0];
//!     net.forward(x, &mut y);
//!     assert_eq!(y[0] > 0.0, t[0] > 0.5);
//! }
//! # }
//! ```
//!
//! # Features
//! - `libm` (default): the exact math backend [`math::Libm`].
//! - `micromath`: the fast f32 backend [`math::Micromath`].
//! - `defmt`: `defmt::Format` for [`Error`] and the name enums.
//!
//! # Memory
//! Every public model and state type documents its size as a formula; for 784-100-10 in f32:
//! inference 318,040 bytes of weights (flash) plus 3,576 bytes of activations; training with
//! Adam adds the [`train::TrainState`].
//!
//! # MSRV
//! Rust 1.85.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod activation;
pub mod error;
pub mod init;
pub mod layer;
pub mod loss;
pub mod math;
pub mod model_file;
pub mod network;
pub mod online;
pub mod optim;
pub mod rng;
pub mod scalar;
pub mod train;

pub use error::{Error, NameKind};
pub use layer::Layer;
pub use network::Network;
pub use rng::Rng;
pub use scalar::Scalar;
pub use train::TrainState;
pub use zerocopy;

/// The README's example, compiled and run as a doctest so it cannot go stale.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
