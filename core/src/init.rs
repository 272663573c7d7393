//! Initialisation schemes for the weights of dense layers.
//!
//! A scheme draws each weight of a layer with fan-in I (inputs) and fan-out O (outputs) from a
//! distribution scaled by I and O; [`Init::Uniform`] also draws the bias, the others set it to 0.
//! Layers apply it through [`Layer::init`](crate::Layer::init); a network through
//! [`Network::init_with`](crate::Network::init_with).
//!
//! | name ([`Init::NAMES`]) | weights | bias | reference | default of |
//! |---|---|---|---|---|
//! | `uniform` | U(−1/√I, 1/√I) | U(−1/√I, 1/√I) | He et al. 2015's uniform bound with a = √5 | PyTorch `nn.Linear` (and stacknn) |
//! | `glorot-uniform` | U(−√(6/(I+O)), √(6/(I+O))) | 0 | Glorot & Bengio 2010, eq. 16 | Keras `Dense` |
//! | `he-normal` | N(0, 2/I) | 0 | He et al. 2015, §2.2 (for ReLU layers) | |
//! | `lecun-normal` | N(0, 1/I) | 0 | LeCun et al. 1998, "Efficient BackProp", §4.6 | Chainer `Linear` |
//!
//! ```
//! use stacknn::init::Init;
//! assert_eq!(Init::from_name("he-normal"), Ok(Init::HeNormal));
//! assert!(Init::NAMES.iter().all(|n| Init::from_name(n).map(Init::name) == Ok(*n)));
//! assert!(Init::from_name("xavier").is_err());
//! ```

use crate::error::{Error, NameKind};
use crate::math::Math;
use crate::rng::Rng;
use crate::Scalar;

/// How a dense layer's parameters are drawn (see the [module docs](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Init {
    /// W, b ~ U(−1/√I, 1/√I): PyTorch's `nn.Linear` default (the default here too).
    #[default]
    Uniform,
    /// W ~ U(−√(6/(I+O)), √(6/(I+O))), b = 0 (Glorot & Bengio 2010, "Understanding the
    /// difficulty of training deep feedforward neural networks", eq. 16). Keras' default.
    GlorotUniform,
    /// W ~ N(0, 2/I), b = 0 (He et al. 2015, "Delving Deep into Rectifiers", §2.2): keeps the
    /// variance of ReLU activations constant from layer to layer.
    HeNormal,
    /// W ~ N(0, 1/I), b = 0 (LeCun et al. 1998, "Efficient BackProp", §4.6). Chainer's default.
    LecunNormal,
}

impl Init {
    /// The names of the schemes, in declaration order.
    pub const NAMES: [&'static str; 4] = ["uniform", "glorot-uniform", "he-normal", "lecun-normal"];

    /// The scheme called `name` (one of [`Init::NAMES`]); [`Error::UnknownName`] otherwise.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "uniform" => Ok(Init::Uniform),
            "glorot-uniform" => Ok(Init::GlorotUniform),
            "he-normal" => Ok(Init::HeNormal),
            "lecun-normal" => Ok(Init::LecunNormal),
            _ => Err(Error::UnknownName(NameKind::Init)),
        }
    }

    /// The scheme's name (an element of [`Init::NAMES`]).
    pub fn name(self) -> &'static str {
        match self {
            Init::Uniform => "uniform",
            Init::GlorotUniform => "glorot-uniform",
            Init::HeNormal => "he-normal",
            Init::LecunNormal => "lecun-normal",
        }
    }

    /// Fills `weights` and `bias` of a layer with fan-in `fan_in` and fan-out `fan_out`, weights
    /// first, in slice order.
    pub fn fill<S: Scalar, M: Math<S>>(
        self,
        fan_in: usize,
        fan_out: usize,
        weights: &mut [S],
        bias: &mut [S],
        rng: &mut Rng,
    ) {
        let n = S::from_usize(fan_in.max(1));
        match self {
            Init::Uniform => {
                let bound = S::ONE / M::sqrt(n);
                for v in weights.iter_mut().chain(bias.iter_mut()) {
                    *v = rng.uniform_in::<S>(-bound, bound);
                }
                return;
            }
            Init::GlorotUniform => {
                let fans = S::from_usize((fan_in + fan_out).max(1));
                let bound = M::sqrt(S::from_f64(6.0) / fans);
                for w in weights.iter_mut() {
                    *w = rng.uniform_in::<S>(-bound, bound);
                }
            }
            Init::HeNormal | Init::LecunNormal => {
                let gain = if self == Init::HeNormal {
                    S::TWO
                } else {
                    S::ONE
                };
                let std = M::sqrt(gain / n);
                for w in weights.iter_mut() {
                    *w = std * rng.normal::<S, M>();
                }
            }
        }
        bias.fill(S::ZERO);
    }
}

#[cfg(all(test, feature = "libm"))]
mod tests {
    use super::*;
    use crate::math::Libm;

    /// Mean and variance of 200,000 weights against each scheme's formula.
    #[test]
    fn moments_follow_the_formulas() {
        let (i, o) = (400usize, 100usize);
        let mut w = vec![0.0f64; 200_000];
        for (scheme, var) in [
            (Init::Uniform, 1.0 / (3.0 * i as f64)),
            (Init::GlorotUniform, 2.0 / (i + o) as f64),
            (Init::HeNormal, 2.0 / i as f64),
            (Init::LecunNormal, 1.0 / i as f64),
        ] {
            let mut b = [7.0f64; 3];
            scheme.fill::<f64, Libm>(i, o, &mut w, &mut b, &mut Rng::seed(3));
            let mean = w.iter().sum::<f64>() / w.len() as f64;
            let v = w.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / w.len() as f64;
            assert!(
                mean.abs() < 4.0 * (var / w.len() as f64).sqrt(),
                "{scheme:?} mean {mean}"
            );
            assert!((v / var - 1.0).abs() < 0.02, "{scheme:?} var {v} vs {var}");
            if scheme == Init::Uniform {
                let bound = 1.0 / (i as f64).sqrt();
                assert!(b.iter().all(|x| x.abs() <= bound && *x != 7.0));
            } else {
                assert_eq!(b, [0.0; 3]);
            }
        }
    }
}
