//! PyTorch interoperability: `safetensors` files holding the `state_dict` of an `nn.Sequential`
//! of `nn.Linear` layers.
//!
//! For `nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))` the keys are
//! `0.weight` (shape `[100, 784]`), `0.bias` (`[100]`), `2.weight` (`[10, 100]`), `2.bias`
//! (`[10]`): the Linear layers sit at every other index, with the activations between them. The
//! weight layout `[out, in]` is the core's `[[S; I]; O]`, so tensors copy over unchanged. Other
//! key layouts are accepted if they hold exactly one `*.weight`/`*.bias` pair per layer; the pairs
//! are ordered by the numeric value of their prefix (`fc1`, `fc2` sort as text).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::model::{Model, ModelError};

/// Why a safetensors file could not be imported or exported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InteropError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a valid safetensors file.
    #[error("{}: not a safetensors file: {source}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        source: safetensors::SafeTensorError,
    },
    /// A tensor is not f32 or f64.
    #[error("{}: tensor `{name}` has dtype {dtype:?}; f32 or f64 expected", path.display())]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its dtype.
        dtype: Dtype,
    },
    /// The tensors do not form one weight/bias pair per layer.
    #[error("{}: expected {layers} `<prefix>.weight`/`<prefix>.bias` pairs, found keys {keys:?}", path.display())]
    Layout {
        /// The file.
        path: PathBuf,
        /// Layers of the architecture.
        layers: usize,
        /// The keys found.
        keys: Vec<String>,
    },
    /// A tensor's shape does not match the architecture.
    #[error("{}: tensor `{name}` has shape {found:?}, architecture {arch} needs {expected:?}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// The architecture.
        arch: String,
        /// Needed shape.
        expected: Vec<usize>,
        /// Shape found.
        found: Vec<usize>,
    },
    /// A tensor holds NaN or ±∞.
    #[error("{}: tensor `{name}` holds NaN or infinity", path.display())]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
    },
    /// Building the model failed.
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The state-dict key prefix of dense layer `i` in an `nn.Sequential` with activations between
/// the Linear layers: `0`, `2`, `4`, …
pub fn sequential_prefix(i: usize) -> String {
    (2 * i).to_string()
}

/// Serialises the model's parameters as a PyTorch `nn.Sequential` state dict (f32).
pub fn to_safetensors(model: &dyn Model) -> Result<Vec<u8>, safetensors::SafeTensorError> {
    let params = model.params();
    let widths = model.widths();
    let bytes: Vec<Vec<u8>> = params
        .iter()
        .map(|p| p.iter().flat_map(|v| v.to_le_bytes()).collect())
        .collect();
    let mut views = Vec::new();
    for (i, w) in widths.windows(2).enumerate() {
        let (inp, out) = (w[0] as usize, w[1] as usize);
        let pre = sequential_prefix(i);
        views.push((
            format!("{pre}.weight"),
            TensorView::new(Dtype::F32, vec![out, inp], &bytes[2 * i])?,
        ));
        views.push((
            format!("{pre}.bias"),
            TensorView::new(Dtype::F32, vec![out], &bytes[2 * i + 1])?,
        ));
    }
    let mut meta = HashMap::new();
    meta.insert("arch".to_string(), model.arch().to_string());
    let acts: Vec<&str> = model.activations().iter().map(|a| a.name()).collect();
    meta.insert("activations".to_string(), acts.join(","));
    safetensors::serialize(views, Some(meta))
}

fn numeric_key(prefix: &str) -> (u64, String) {
    let digits: String = prefix
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (digits.parse().unwrap_or(u64::MAX), prefix.to_string())
}

/// Loads a state dict (bytes of a safetensors file) into `model`, whose architecture fixes the
/// shapes expected. `path` names the file in errors.
pub fn load_safetensors(
    model: &mut dyn Model,
    bytes: &[u8],
    path: &Path,
) -> Result<(), InteropError> {
    let st = SafeTensors::deserialize(bytes).map_err(|source| InteropError::Format {
        path: path.to_path_buf(),
        source,
    })?;
    let widths = model.widths();
    let layers = widths.len() - 1;
    let mut names: Vec<String> = st.names().iter().map(|s| s.to_string()).collect();
    names.sort();
    let mut prefixes: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_suffix(".weight").map(str::to_string))
        .collect();
    prefixes.sort_by_key(|p| numeric_key(p));
    let layout_ok = prefixes.len() == layers
        && names.len() == 2 * layers
        && prefixes
            .iter()
            .all(|p| names.contains(&format!("{p}.bias")));
    if !layout_ok {
        return Err(InteropError::Layout {
            path: path.to_path_buf(),
            layers,
            keys: names,
        });
    }
    let mut slices = Vec::with_capacity(2 * layers);
    for (i, p) in prefixes.iter().enumerate() {
        let (inp, out) = (widths[i] as usize, widths[i + 1] as usize);
        for (suffix, shape) in [("weight", vec![out, inp]), ("bias", vec![out])] {
            let name = format!("{p}.{suffix}");
            let t = st.tensor(&name).map_err(|source| InteropError::Format {
                path: path.to_path_buf(),
                source,
            })?;
            if t.shape() != shape.as_slice() {
                return Err(InteropError::Shape {
                    path: path.to_path_buf(),
                    name,
                    arch: model.arch().to_string(),
                    expected: shape,
                    found: t.shape().to_vec(),
                });
            }
            let values: Vec<f32> = match t.dtype() {
                Dtype::F32 => t
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                Dtype::F64 => t
                    .data()
                    .chunks_exact(8)
                    .map(|c| {
                        let mut a = [0u8; 8];
                        a.copy_from_slice(c);
                        f64::from_le_bytes(a) as f32
                    })
                    .collect(),
                dtype => {
                    return Err(InteropError::Dtype {
                        path: path.to_path_buf(),
                        name,
                        dtype,
                    })
                }
            };
            if values.iter().any(|v| !v.is_finite()) {
                return Err(InteropError::NonFinite {
                    path: path.to_path_buf(),
                    name,
                });
            }
            slices.push(values);
        }
    }
    model.set_params(&slices)?;
    Ok(())
}

/// Reads a safetensors file into `model`.
pub fn import_file(model: &mut dyn Model, path: &Path) -> Result<(), InteropError> {
    let bytes = std::fs::read(path).map_err(|source| InteropError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_safetensors(model, &bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::build;
    use stacknn::activation::ActivationKind;

    #[test]
    fn round_trip_and_shape_errors() {
        let mut a = build("784-16-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        a.init(9, stacknn::init::Init::Uniform);
        let bytes = to_safetensors(&*a).unwrap();
        let mut b = build("784-16-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        load_safetensors(&mut *b, &bytes, Path::new("a.safetensors")).unwrap();
        assert_eq!(a.params(), b.params());
        let mut c = build("784-50-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        let e = load_safetensors(&mut *c, &bytes, Path::new("a.safetensors")).unwrap_err();
        assert!(matches!(e, InteropError::Shape { .. }), "{e}");
        assert!(
            e.to_string().contains("`0.weight` has shape [16, 784]"),
            "{e}"
        );
        let mut d = build("784-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        let e = load_safetensors(&mut *d, &bytes, Path::new("a.safetensors")).unwrap_err();
        assert!(matches!(e, InteropError::Layout { .. }), "{e}");
        let e = load_safetensors(&mut *d, b"garbage", Path::new("g")).unwrap_err();
        assert!(matches!(e, InteropError::Format { .. }), "{e}");
    }
}
