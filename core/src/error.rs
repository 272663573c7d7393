//! The crate's error type.

use core::fmt;

/// What kind of thing a name was looked up as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum NameKind {
    /// An activation function (`activation::by_name`).
    Activation,
    /// A loss function (`loss::LossKind::from_name`).
    Loss,
    /// An optimizer (`optim::by_name`).
    Optimizer,
    /// A hyper-parameter of an optimizer (`optim::AnyOptimizer::with_param`).
    Hyperparameter,
    /// An initialisation scheme (`init::Init::from_name`).
    Init,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Activation => "activation",
            NameKind::Loss => "loss",
            NameKind::Optimizer => "optimizer",
            NameKind::Hyperparameter => "hyper-parameter",
            NameKind::Init => "initialisation scheme",
        })
    }
}

/// Everything that can go wrong in the core.
///
/// Small and `Copy`, so it can be returned from an interrupt handler or logged with `defmt`
/// (feature `defmt`). Shapes that the types already guarantee are not errors: a `forward` over
/// correctly-typed arrays cannot fail and returns no `Result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A name was not found in the catalogue of its kind.
    UnknownName(NameKind),
    /// A hyper-parameter is out of its valid range; the field names it (e.g. `"beta1"`).
    InvalidParameter(&'static str),
    /// The loss of a training step was NaN or ±∞; nothing was changed.
    NonFiniteLoss,
    /// A gradient of a training step was NaN or ±∞; nothing was changed.
    NonFiniteGradient,
    /// An input contained NaN or ±∞.
    NonFiniteInput,
    /// A training step was given no samples.
    EmptyBatch,
    /// The inputs and targets of a batch have different lengths.
    BatchLengthMismatch {
        /// Number of inputs.
        inputs: usize,
        /// Number of targets.
        targets: usize,
    },
    /// A class label is not below the number of outputs.
    LabelOutOfRange {
        /// The label found.
        label: usize,
        /// The number of classes.
        classes: usize,
    },
    /// A model file does not start with the magic bytes `SNNM`.
    BadMagic,
    /// A model file has a format version this build does not read.
    UnsupportedVersion(u16),
    /// A model file's checksum does not match its contents.
    ChecksumMismatch {
        /// The CRC-32 stored in the header.
        stored: u32,
        /// The CRC-32 computed over the contents.
        computed: u32,
    },
    /// A model file's shapes or scalar type differ from the network it is loaded into.
    ShapeMismatch,
    /// A model file's weight layouts (output- or input-major, per layer) differ from the
    /// network's, or a layout code is unknown.
    LayoutMismatch,
    /// A model file holds a NaN or infinite parameter.
    NonFiniteWeight,
    /// Bytes to be viewed in place are not aligned for the scalar type.
    Misaligned,
    /// A serialized model or buffer has the wrong length.
    LengthMismatch {
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        found: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::UnknownName(kind) => write!(f, "unknown {kind} name"),
            Error::InvalidParameter(p) => write!(f, "invalid value for parameter `{p}`"),
            Error::NonFiniteLoss => f.write_str("training step rejected: loss is not finite"),
            Error::NonFiniteGradient => {
                f.write_str("training step rejected: a gradient is not finite")
            }
            Error::NonFiniteInput => f.write_str("input contains NaN or infinity"),
            Error::EmptyBatch => f.write_str("empty batch"),
            Error::BatchLengthMismatch { inputs, targets } => {
                write!(f, "batch has {inputs} inputs but {targets} targets")
            }
            Error::LabelOutOfRange { label, classes } => {
                write!(f, "label {label} out of range for {classes} classes")
            }
            Error::BadMagic => f.write_str("not a stacknn model (bad magic bytes)"),
            Error::UnsupportedVersion(v) => write!(f, "unsupported model format version {v}"),
            Error::ChecksumMismatch { stored, computed } => write!(
                f,
                "model checksum mismatch (stored {stored:#010x}, computed {computed:#010x})"
            ),
            Error::ShapeMismatch => f.write_str("model shapes do not match the network"),
            Error::LayoutMismatch => {
                f.write_str("model weight layouts (output-/input-major) do not match the network")
            }
            Error::NonFiniteWeight => f.write_str("model holds a NaN or infinite parameter"),
            Error::Misaligned => f.write_str("model bytes are not aligned for in-place use"),
            Error::LengthMismatch { expected, found } => {
                write!(f, "expected {expected} bytes, found {found}")
            }
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn display_names_the_problem() {
        assert_eq!(
            Error::UnknownName(NameKind::Optimizer).to_string(),
            "unknown optimizer name"
        );
        assert_eq!(
            Error::LabelOutOfRange {
                label: 12,
                classes: 10
            }
            .to_string(),
            "label 12 out of range for 10 classes"
        );
    }
}
