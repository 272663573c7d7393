//! Run-time choice of an activation: [`ActivationKind`], looked up by name without allocation.

use super::*;
use crate::error::{Error, NameKind};
use zerocopy::{FromZeros, Immutable, KnownLayout};

/// The names of all activations, exactly as the seed's `get_act` keys, in the seed's order.
///
/// ```
/// assert_eq!(stacknn::activation::NAMES.len(), 26);
/// assert_eq!(stacknn::activation::NAMES[12], "ReLU");
/// ```
pub const NAMES: &[&str] = &[
    "step",
    "identity",
    "bent-identity",
    "hard-shrink",
    "soft-shrink",
    "threshold",
    "sigmoid",
    "hard-sigmoid",
    "log-sigmoid",
    "tanh",
    "tanh-shrink",
    "hard-tanh",
    "ReLU",
    "ReLU6",
    "leaky-ReLU",
    "ELU",
    "SELU",
    "CELU",
    "softmax",
    "softmin",
    "log-softmax",
    "softplus",
    "softsign",
    "Swish",
    "Mish",
    "tanhExp",
];

/// Any activation of the catalogue, chosen at run time; implements [`Activation`] by dispatching
/// once per vector (a `match`, then the static type's loop).
///
/// Built from a name with [`by_name`] (default parameters) or [`ActivationKind::with_params`].
/// A zeroed value (`FromZeros`) is [`ActivationKind::Identity`].
///
/// # Memory
/// `size_of::<ActivationKind<S>>() = 3·S::BYTES` (tag padded to `S`'s alignment, plus the
/// largest parameter set, [`Threshold`]'s two scalars).
///
/// ```
/// # #[cfg(feature = "libm")] {
/// use stacknn::activation::{by_name, Activation, ActivationKind};
/// use stacknn::math::Libm;
/// let act: ActivationKind<f32> = by_name("leaky-ReLU").unwrap();
/// let mut y = [0.0f32; 2];
/// act.forward::<Libm>(&[-1.0, 2.0], &mut y);
/// assert_eq!(y, [-0.01, 2.0]);
/// let steep = ActivationKind::<f32>::with_params("leaky-ReLU", &[0.2]).unwrap();
/// steep.forward::<Libm>(&[-1.0, 2.0], &mut y);
/// assert_eq!(y, [-0.2, 2.0]);
/// assert!(ActivationKind::<f32>::with_params("leaky-ReLU", &[-1.0]).is_err());
/// assert!(by_name::<f32>("relu").is_err()); // names are case-sensitive
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, FromZeros, Immutable, KnownLayout)]
#[repr(u8)]
#[non_exhaustive]
pub enum ActivationKind<S: Scalar> {
    /// `identity` (the zero value).
    Identity = 0,
    /// `step`.
    Step,
    /// `bent-identity`.
    BentIdentity,
    /// `hard-shrink` (λ).
    HardShrink(HardShrink<S>),
    /// `soft-shrink` (λ).
    SoftShrink(SoftShrink<S>),
    /// `threshold` (threshold, value).
    Threshold(Threshold<S>),
    /// `sigmoid`.
    Sigmoid,
    /// `hard-sigmoid`.
    HardSigmoid,
    /// `log-sigmoid`.
    LogSigmoid,
    /// `tanh`.
    Tanh,
    /// `tanh-shrink`.
    TanhShrink,
    /// `hard-tanh`.
    HardTanh,
    /// `ReLU`.
    Relu,
    /// `ReLU6`.
    Relu6,
    /// `leaky-ReLU` (α).
    LeakyRelu(LeakyRelu<S>),
    /// `ELU` (α).
    Elu(Elu<S>),
    /// `SELU`.
    Selu,
    /// `CELU` (α).
    Celu(Celu<S>),
    /// `softmax`.
    Softmax,
    /// `softmin`.
    Softmin,
    /// `log-softmax`.
    LogSoftmax,
    /// `softplus`.
    Softplus,
    /// `softsign`.
    Softsign,
    /// `Swish` (β).
    Swish(Swish<S>),
    /// `Mish`.
    Mish,
    /// `tanhExp`.
    TanhExp,
}

impl<S: Scalar> Default for ActivationKind<S> {
    /// [`ActivationKind::Identity`].
    fn default() -> Self {
        Self::Identity
    }
}

/// The activation called `name` with default parameters (see the table in [`crate::activation`]).
///
/// `Error::UnknownName(NameKind::Activation)` if `name` is not one of [`NAMES`] (exact,
/// case-sensitive match).
pub fn by_name<S: Scalar>(name: &str) -> Result<ActivationKind<S>, Error> {
    ActivationKind::with_params(name, &[])
}

impl<S: Scalar> ActivationKind<S> {
    /// The activation called `name`, with its parameters taken in order from `params` and the
    /// rest at their defaults.
    ///
    /// Parameter order ([`ActivationKind::param_names`]): `hard-shrink`, `soft-shrink`: `[λ]`;
    /// `threshold`: `[threshold, value]`; `leaky-ReLU`, `ELU`, `CELU`: `[α]`; `Swish`: `[β]`; all
    /// others take none.
    ///
    /// # Errors
    /// - `Error::UnknownName(NameKind::Activation)` for a name not in [`NAMES`];
    /// - `Error::InvalidParameter(p)` for a value out of range (λ < 0, α outside its range, a
    ///   non-finite value; `p` names it) or `Error::InvalidParameter("params")` for more values
    ///   than the activation takes.
    pub fn with_params(name: &str, params: &[S]) -> Result<Self, Error> {
        let kind = match name {
            "step" => Self::Step,
            "identity" => Self::Identity,
            "bent-identity" => Self::BentIdentity,
            "hard-shrink" => Self::HardShrink(HardShrink::default()),
            "soft-shrink" => Self::SoftShrink(SoftShrink::default()),
            "threshold" => Self::Threshold(Threshold::default()),
            "sigmoid" => Self::Sigmoid,
            "hard-sigmoid" => Self::HardSigmoid,
            "log-sigmoid" => Self::LogSigmoid,
            "tanh" => Self::Tanh,
            "tanh-shrink" => Self::TanhShrink,
            "hard-tanh" => Self::HardTanh,
            "ReLU" => Self::Relu,
            "ReLU6" => Self::Relu6,
            "leaky-ReLU" => Self::LeakyRelu(LeakyRelu::default()),
            "ELU" => Self::Elu(Elu::default()),
            "SELU" => Self::Selu,
            "CELU" => Self::Celu(Celu::default()),
            "softmax" => Self::Softmax,
            "softmin" => Self::Softmin,
            "log-softmax" => Self::LogSoftmax,
            "softplus" => Self::Softplus,
            "softsign" => Self::Softsign,
            "Swish" => Self::Swish(Swish::default()),
            "Mish" => Self::Mish,
            "tanhExp" => Self::TanhExp,
            _ => return Err(Error::UnknownName(NameKind::Activation)),
        };
        if params.len() > kind.param_names().len() {
            return Err(Error::InvalidParameter("params"));
        }
        let p = |i: usize, default: S| params.get(i).copied().unwrap_or(default);
        Ok(match kind {
            Self::HardShrink(d) => Self::HardShrink(HardShrink::new(p(0, d.lambda))?),
            Self::SoftShrink(d) => Self::SoftShrink(SoftShrink::new(p(0, d.lambda))?),
            Self::Threshold(d) => {
                Self::Threshold(Threshold::new(p(0, d.threshold), p(1, d.value))?)
            }
            Self::LeakyRelu(d) => Self::LeakyRelu(LeakyRelu::new(p(0, d.alpha))?),
            Self::Elu(d) => Self::Elu(Elu::new(p(0, d.alpha))?),
            Self::Celu(d) => Self::Celu(Celu::new(p(0, d.alpha))?),
            Self::Swish(d) => Self::Swish(Swish::new(p(0, d.beta))?),
            other => other,
        })
    }

    /// The catalogue name (one of [`NAMES`]).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Step => Step::NAME,
            Self::Identity => Identity::NAME,
            Self::BentIdentity => BentIdentity::NAME,
            Self::HardShrink(_) => HardShrink::<S>::NAME,
            Self::SoftShrink(_) => SoftShrink::<S>::NAME,
            Self::Threshold(_) => Threshold::<S>::NAME,
            Self::Sigmoid => Sigmoid::NAME,
            Self::HardSigmoid => HardSigmoid::NAME,
            Self::LogSigmoid => LogSigmoid::NAME,
            Self::Tanh => Tanh::NAME,
            Self::TanhShrink => TanhShrink::NAME,
            Self::HardTanh => HardTanh::NAME,
            Self::Relu => Relu::NAME,
            Self::Relu6 => Relu6::NAME,
            Self::LeakyRelu(_) => LeakyRelu::<S>::NAME,
            Self::Elu(_) => Elu::<S>::NAME,
            Self::Selu => Selu::NAME,
            Self::Celu(_) => Celu::<S>::NAME,
            Self::Softmax => Softmax::NAME,
            Self::Softmin => Softmin::NAME,
            Self::LogSoftmax => LogSoftmax::NAME,
            Self::Softplus => Softplus::NAME,
            Self::Softsign => Softsign::NAME,
            Self::Swish(_) => Swish::<S>::NAME,
            Self::Mish => Mish::NAME,
            Self::TanhExp => TanhExp::NAME,
        }
    }

    /// The names of the parameters [`ActivationKind::with_params`] takes, in order
    /// (e.g. `["threshold", "value"]`; empty for most).
    pub fn param_names(&self) -> &'static [&'static str] {
        match self {
            Self::HardShrink(_) | Self::SoftShrink(_) => &["lambda"],
            Self::Threshold(_) => &["threshold", "value"],
            Self::LeakyRelu(_) | Self::Elu(_) | Self::Celu(_) => &["alpha"],
            Self::Swish(_) => &["beta"],
            _ => &[],
        }
    }

    /// `true` for the activations applied to each element independently (all but `softmax`,
    /// `softmin` and `log-softmax`); only these make sense in a hidden layer of any width.
    pub fn is_elementwise(&self) -> bool {
        !matches!(self, Self::Softmax | Self::Softmin | Self::LogSoftmax)
    }
}

/// Expands to a `match` over every variant, binding the static activation as `$a`.
macro_rules! dispatch {
    ($self:expr, $a:ident => $body:expr) => {
        match $self {
            ActivationKind::Step => {
                let $a = Step;
                $body
            }
            ActivationKind::Identity => {
                let $a = Identity;
                $body
            }
            ActivationKind::BentIdentity => {
                let $a = BentIdentity;
                $body
            }
            ActivationKind::HardShrink($a) => $body,
            ActivationKind::SoftShrink($a) => $body,
            ActivationKind::Threshold($a) => $body,
            ActivationKind::Sigmoid => {
                let $a = Sigmoid;
                $body
            }
            ActivationKind::HardSigmoid => {
                let $a = HardSigmoid;
                $body
            }
            ActivationKind::LogSigmoid => {
                let $a = LogSigmoid;
                $body
            }
            ActivationKind::Tanh => {
                let $a = Tanh;
                $body
            }
            ActivationKind::TanhShrink => {
                let $a = TanhShrink;
                $body
            }
            ActivationKind::HardTanh => {
                let $a = HardTanh;
                $body
            }
            ActivationKind::Relu => {
                let $a = Relu;
                $body
            }
            ActivationKind::Relu6 => {
                let $a = Relu6;
                $body
            }
            ActivationKind::LeakyRelu($a) => $body,
            ActivationKind::Elu($a) => $body,
            ActivationKind::Selu => {
                let $a = Selu;
                $body
            }
            ActivationKind::Celu($a) => $body,
            ActivationKind::Softmax => {
                let $a = Softmax;
                $body
            }
            ActivationKind::Softmin => {
                let $a = Softmin;
                $body
            }
            ActivationKind::LogSoftmax => {
                let $a = LogSoftmax;
                $body
            }
            ActivationKind::Softplus => {
                let $a = Softplus;
                $body
            }
            ActivationKind::Softsign => {
                let $a = Softsign;
                $body
            }
            ActivationKind::Swish($a) => $body,
            ActivationKind::Mish => {
                let $a = Mish;
                $body
            }
            ActivationKind::TanhExp => {
                let $a = TanhExp;
                $body
            }
        }
    };
}

impl<S: Scalar> Activation<S> for ActivationKind<S> {
    #[inline]
    fn forward<M: Math<S>>(&self, x: &[S], y: &mut [S]) {
        dispatch!(*self, a => a.forward::<M>(x, y))
    }

    #[inline]
    fn backward<M: Math<S>>(&self, x: &[S], y: &[S], dy: &[S], dx: &mut [S]) {
        dispatch!(*self, a => a.backward::<M>(x, y, dy, dx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        assert_eq!(NAMES.len(), 26);
        for &name in NAMES {
            let k = by_name::<f64>(name).unwrap();
            assert_eq!(k.name(), name);
        }
    }

    #[test]
    fn unknown_and_invalid_are_typed_errors() {
        assert_eq!(
            by_name::<f32>("maxout"),
            Err(Error::UnknownName(NameKind::Activation))
        );
        assert_eq!(
            by_name::<f32>("Relu"),
            Err(Error::UnknownName(NameKind::Activation))
        );
        let inv = |n, p: &[f64]| ActivationKind::<f64>::with_params(n, p);
        assert_eq!(
            inv("hard-shrink", &[-0.1]),
            Err(Error::InvalidParameter("lambda"))
        );
        assert_eq!(
            inv("soft-shrink", &[f64::NAN]),
            Err(Error::InvalidParameter("lambda"))
        );
        assert_eq!(
            inv("leaky-ReLU", &[1.5]),
            Err(Error::InvalidParameter("alpha"))
        );
        assert_eq!(inv("ELU", &[-1.0]), Err(Error::InvalidParameter("alpha")));
        assert_eq!(inv("CELU", &[0.0]), Err(Error::InvalidParameter("alpha")));
        assert_eq!(
            inv("Swish", &[f64::INFINITY]),
            Err(Error::InvalidParameter("beta"))
        );
        assert_eq!(
            inv("threshold", &[0.0, f64::NAN]),
            Err(Error::InvalidParameter("value"))
        );
        assert_eq!(inv("ReLU", &[1.0]), Err(Error::InvalidParameter("params")));
        assert_eq!(
            inv("threshold", &[1.0, 2.0, 3.0]),
            Err(Error::InvalidParameter("params"))
        );
        assert_eq!(
            inv("threshold", &[1.0]),
            Ok(ActivationKind::Threshold(Threshold {
                threshold: 1.0,
                value: 0.0
            }))
        );
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        assert_eq!(
            by_name::<f64>("hard-shrink"),
            Ok(ActivationKind::HardShrink(HardShrink { lambda: 0.5 }))
        );
        assert_eq!(
            by_name::<f64>("soft-shrink"),
            Ok(ActivationKind::SoftShrink(SoftShrink { lambda: 0.5 }))
        );
        assert_eq!(
            by_name::<f64>("leaky-ReLU"),
            Ok(ActivationKind::LeakyRelu(LeakyRelu { alpha: 0.01 }))
        );
        assert_eq!(
            by_name::<f64>("ELU"),
            Ok(ActivationKind::Elu(Elu { alpha: 1.0 }))
        );
        assert_eq!(
            by_name::<f64>("CELU"),
            Ok(ActivationKind::Celu(Celu { alpha: 1.0 }))
        );
        assert_eq!(
            by_name::<f64>("Swish"),
            Ok(ActivationKind::Swish(Swish { beta: 1.0 }))
        );
        assert_eq!(
            by_name::<f64>("threshold"),
            Ok(ActivationKind::Threshold(Threshold {
                threshold: 0.0,
                value: 0.0
            }))
        );
        let elementwise = NAMES
            .iter()
            .filter(|n| by_name::<f32>(n).unwrap().is_elementwise());
        assert_eq!(elementwise.count(), 23);
    }

    #[test]
    fn zeroed_kind_is_identity_and_size_is_as_documented() {
        assert_eq!(
            ActivationKind::<f32>::new_zeroed(),
            ActivationKind::Identity
        );
        assert_eq!(core::mem::size_of::<ActivationKind<f32>>(), 12);
        assert_eq!(core::mem::size_of::<ActivationKind<f64>>(), 24);
    }
}

#[cfg(all(test, feature = "libm"))]
mod layer_tests {
    use super::*;
    use crate::layer::{Chain, Dense};
    use crate::Network;

    #[test]
    fn usable_as_a_layer_activation_and_zero_initialisable() {
        type Net = Chain<Dense<f32, 2, 3, ActivationKind<f32>>, Dense<f32, 3, 1, Identity>>;
        let mut net = Network::<f32, Net>::new_zeroed();
        assert_eq!(net.layers.first.activation, ActivationKind::Identity);
        net.layers.first.activation = by_name("Mish").unwrap();
        net.init(7);
        let mut y = [0.0f32];
        net.forward(&[0.5, -0.25], &mut y);
        assert!(y[0].is_finite());
    }
}
