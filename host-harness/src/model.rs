//! A trained or trainable f32 MNIST model whose architecture is chosen at run time, and the
//! model file (`.snn`, [`stacknn::model_file`]) it is saved in.

use std::path::{Path, PathBuf};

use crate::math::Host;
use stacknn::activation::{self, ActivationKind};
use stacknn::init::Init;
use stacknn::layer::Layer;
use stacknn::loss::LossKind;
use stacknn::model_file::{self, Header};
use stacknn::online::OnlineSgd;
use stacknn::optim::AnyOptimizer;
use stacknn::zerocopy::FromZeros;
use stacknn::{Network, TrainState};

use crate::parallel::{ParallelError, ParallelTrainer};

use crate::arch::{
    arch_name, dispatch, Activations, Family, SparseFirst, SparseNet, UnknownArch, Visitor,
};
use crate::idx::PIXELS;

/// One image as the network's input.
pub type Image = [f32; PIXELS];

/// Why a model could not be built, read or written. Each variant names the file where there is
/// one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The architecture is not built in.
    #[error(transparent)]
    UnknownArch(#[from] UnknownArch),
    /// An activation name is not in the catalogue.
    #[error("unknown activation `{0}` (known: {list})", list = activation::NAMES.join(", "))]
    UnknownActivation(String),
    /// The number of activations differs from the number of layers.
    #[error("{found} activations given for {layers} layers")]
    ActivationCount {
        /// Layers of the architecture.
        layers: usize,
        /// Activations given.
        found: usize,
    },
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The core rejected the file (bad magic, version, checksum, length, shape, NaN/∞ weight).
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The core's error.
        source: stacknn::Error,
    },
    /// The file's architecture is not built in.
    #[error("{}: {source}", path.display())]
    FileArch {
        /// The file.
        path: PathBuf,
        /// The unknown architecture.
        source: UnknownArch,
    },
    /// The file names an activation that is not in the catalogue.
    #[error("{}: layer {layer} has unknown activation `{name}`", path.display())]
    FileActivation {
        /// The file.
        path: PathBuf,
        /// The layer (0 = first).
        layer: usize,
        /// The name found.
        name: String,
    },
    /// Imported parameters have the wrong shape.
    #[error("{what}: shape {found:?}, expected {expected:?}")]
    ParamShape {
        /// Which tensor.
        what: String,
        /// Expected shape.
        expected: Vec<usize>,
        /// Shape found.
        found: Vec<usize>,
    },
}

/// Samples per chunk of the batched kernels (any chunk size gives the same bits).
const CHUNK: usize = 32;

/// The layers of architecture `F` as the harness trains and runs them: the first layer skips
/// zero pixels ([`SparseFirst`]; the same bits as [`Family::Net`]).
type Fast<F> = SparseNet<F, f32>;

/// The trainer state type of architecture `F` in f32 with any optimizer.
type State<F> = TrainState<f32, Fast<F>, AnyOptimizer<f32>, CHUNK>;

/// The trainer of architecture `F`: one thread, or data-parallel.
enum Trainer<F: Family> {
    One(Box<State<F>>),
    Many(ParallelTrainer<f32, Fast<F>, AnyOptimizer<f32>, CHUNK>),
}

/// An f32 network of a built-in architecture, with its training state once training starts.
///
/// The network is held with its first layer skipping zero pixels ([`SparseFirst`]), which
/// computes the bits of the output-major [`Family::Net`] faster on images; initialisation, model
/// files and parameter lists go through a [`Family::Net`] copy, so they are those of the
/// output-major layout. Everything is allocated in place on the heap (`new_box_zeroed`): never
/// built on the stack.
pub struct Typed<F: Family> {
    net: Box<Network<f32, Fast<F>, Host>>,
    state: Option<Trainer<F>>,
    /// Single-thread steps of one sample with plain SGD: applied during the backward pass, no
    /// gradient buffer, the bits of the `TrainState` step (see [`OnlineSgd`]).
    online: Option<Box<OnlineSgd<f32, Fast<F>>>>,
}

/// Why a training step failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainStepError {
    /// The core rejected the step (nothing was changed).
    #[error(transparent)]
    Core(#[from] stacknn::Error),
    /// The trainer could not be set up.
    #[error(transparent)]
    Parallel(#[from] ParallelError),
    /// Out of memory for the trainer state.
    #[error("out of memory for the training state")]
    Alloc,
}

/// An f32 MNIST network (784 inputs, 10 outputs) of any built-in architecture.
pub trait Model: Send + Sync {
    /// The `--arch` name.
    fn arch(&self) -> &'static str;
    /// Layer widths, input first.
    fn widths(&self) -> &'static [u32];
    /// Number of parameters.
    fn param_count(&self) -> usize;
    /// Each layer's activation, input first.
    fn activations(&self) -> Vec<ActivationKind<f32>>;
    /// Initialises the parameters from `seed` with `scheme` ([`Init::Uniform`] is PyTorch's
    /// `nn.Linear` default).
    fn init(&mut self, seed: u64, scheme: Init);
    /// The output (logits or probabilities, per the last activation) for one image.
    fn forward(&self, x: &Image) -> [f32; 10];
    /// One training step on a batch; the batch-mean loss before the update. A step whose loss or
    /// gradient is not finite is rejected and changes nothing. The trainer state is created
    /// (seeded with `seed`) on the first call, on `threads` threads (1: [`TrainState::step`],
    /// or [`OnlineSgd::step`] — the same bits — for one sample with plain SGD; more:
    /// [`ParallelTrainer`], bit-reproducible for a given thread count).
    fn step(
        &mut self,
        optimizer: &AnyOptimizer<f32>,
        loss: LossKind,
        xs: &[Image],
        ys: &[u8],
        seed: u64,
        threads: usize,
    ) -> Result<f32, TrainStepError>;
    /// Calls `f` with this model, on one of the training threads when training on several
    /// (creating the trainer as [`Model::step`] would): a training loop run inside `f` saves
    /// every [`Model::step`] the hand-over to the pool (see [`ParallelTrainer::pool`]), and the
    /// other training threads stay awake for the steps' work until `f` returns
    /// ([`crate::parallel::run_awake`]).
    fn run(
        &mut self,
        seed: u64,
        threads: usize,
        f: &mut (dyn FnMut(&mut dyn Model) + Send),
    ) -> Result<(), TrainStepError>;
    /// The model file bytes.
    fn to_file_bytes(&self) -> Vec<u8>;
    /// Loads parameters from model file bytes of this architecture.
    fn load_file_bytes(&mut self, bytes: &[u8]) -> Result<Header, stacknn::Error>;
    /// Parameter slices in file order: per layer, weights (row-major `[out][in]`), then bias.
    fn params(&self) -> Vec<Vec<f32>>;
    /// Sets all parameters from slices in [`Model::params`] order (lengths must match).
    fn set_params(&mut self, slices: &[Vec<f32>]) -> Result<(), ModelError>;
    /// `true` if every parameter is finite.
    fn is_finite(&self) -> bool;
}

/// The trainer held in `state`, created on first use (seeded with `seed`) for `threads` threads.
fn trainer<F: Family>(
    state: &mut Option<Trainer<F>>,
    seed: u64,
    threads: usize,
) -> Result<&mut Trainer<F>, TrainStepError> {
    Ok(match state {
        Some(t) => t,
        slot @ None => slot.insert(if threads <= 1 {
            let mut s = State::<F>::new_box_zeroed().map_err(|_| TrainStepError::Alloc)?;
            s.reset(seed);
            Trainer::One(s)
        } else {
            let mut t = ParallelTrainer::new(threads, seed)?;
            // The first layer's gradient summed per shard, as for the output-major network the
            // model file describes: the same bits, so the same file.
            t.set_row_split(false);
            Trainer::Many(t)
        }),
    })
}

impl<F: Family> Typed<F> {
    /// A zeroed network with the given activations.
    pub fn new(acts: &[ActivationKind<f32>]) -> Result<Self, ModelError> {
        let layers = <F::Net<f32> as Activations<f32>>::LAYERS;
        if acts.len() != layers {
            return Err(ModelError::ActivationCount {
                layers,
                found: acts.len(),
            });
        }
        let mut net =
            Network::<f32, Fast<F>, Host>::new_box_zeroed().expect("allocation of the network");
        net.layers.set_activations(acts);
        Ok(Self {
            net,
            state: None,
            online: None,
        })
    }

    /// The network in the output-major layout of [`Family::Net`] (a copy, on the heap).
    pub fn network(&self) -> Box<Network<f32, F::Net<f32>, Host>> {
        let mut d =
            Network::<f32, F::Net<f32>, Host>::new_box_zeroed().expect("allocation of the network");
        d.layers.set_from_sparse(&self.net.layers);
        d
    }

    /// Replaces the parameters and activations by those of `d` (output-major).
    fn set_network(&mut self, d: &Network<f32, F::Net<f32>, Host>) {
        d.layers.write_sparse(&mut self.net.layers);
    }
}

impl<F: Family> Model for Typed<F> {
    fn arch(&self) -> &'static str {
        F::NAME
    }
    fn widths(&self) -> &'static [u32] {
        F::WIDTHS
    }
    fn param_count(&self) -> usize {
        <F::Net<f32> as Layer<f32>>::WEIGHT_COUNT
    }
    fn activations(&self) -> Vec<ActivationKind<f32>> {
        let mut v = Vec::new();
        self.net.layers.activations(&mut v);
        v
    }
    fn init(&mut self, seed: u64, scheme: Init) {
        // Drawn in the output-major order, so that a seed gives the weights it always gave.
        let mut d = self.network();
        d.init_with(seed, scheme);
        self.set_network(&d);
    }
    fn forward(&self, x: &Image) -> [f32; 10] {
        let mut y = [0.0; 10];
        self.net.forward(x, &mut y);
        y
    }
    fn step(
        &mut self,
        optimizer: &AnyOptimizer<f32>,
        loss: LossKind,
        xs: &[Image],
        ys: &[u8],
        seed: u64,
        threads: usize,
    ) -> Result<f32, TrainStepError> {
        if let (AnyOptimizer::Sgd(sgd), [x], [y], true) = (optimizer, xs, ys, threads <= 1) {
            // A batch of one with plain SGD: the same bits as `TrainState::step`, faster (no
            // gradient buffer to clear, fill, check and read: 2× on 784-100-10).
            let online = match &mut self.online {
                Some(o) => o,
                slot @ None => {
                    slot.insert(OnlineSgd::new_box_zeroed().map_err(|_| TrainStepError::Alloc)?)
                }
            };
            return Ok(online.step(&mut self.net, sgd, &loss, x, y)?);
        }
        let trainer = trainer(&mut self.state, seed, threads)?;
        Ok(match trainer {
            Trainer::One(s) => s.step(&mut self.net, optimizer, &loss, xs, ys)?,
            Trainer::Many(p) => p.step(&mut self.net, optimizer, &loss, xs, ys)?,
        })
    }
    fn run(
        &mut self,
        seed: u64,
        threads: usize,
        f: &mut (dyn FnMut(&mut dyn Model) + Send),
    ) -> Result<(), TrainStepError> {
        if threads > 1 {
            if let Trainer::Many(p) = trainer(&mut self.state, seed, threads)? {
                let pool = p.pool();
                crate::parallel::run_awake(&pool, || f(self));
                return Ok(());
            }
        }
        f(self);
        Ok(())
    }
    fn to_file_bytes(&self) -> Vec<u8> {
        let names: Vec<&str> = self.activations().iter().map(|a| a.name()).collect();
        let header = Header::new(4, F::WIDTHS, &names).expect("built-in widths and names fit");
        let mut out = vec![0u8; model_file::encoded_len::<f32, F::Net<f32>>()];
        model_file::encode::<f32, F::Net<f32>>(&self.network().layers, &header, &mut out)
            .expect("buffer has the encoded length");
        out
    }
    fn load_file_bytes(&mut self, bytes: &[u8]) -> Result<Header, stacknn::Error> {
        // Into the output-major copy (`load_into` leaves it unchanged if the file is refused).
        let mut d = self.network();
        let header = model_file::load_into::<f32, F::Net<f32>>(bytes, &mut d.layers)?;
        self.set_network(&d);
        Ok(header)
    }
    fn params(&self) -> Vec<Vec<f32>> {
        let mut v = Vec::new();
        self.network().layers.weights(&mut |w| v.push(w.to_vec()));
        v
    }
    fn set_params(&mut self, slices: &[Vec<f32>]) -> Result<(), ModelError> {
        let mut d = self.network();
        let mut lens = Vec::new();
        d.layers.weights(&mut |w| lens.push(w.len()));
        if lens.len() != slices.len() || lens.iter().zip(slices).any(|(&n, s)| n != s.len()) {
            return Err(ModelError::ParamShape {
                what: "parameters".into(),
                expected: lens,
                found: slices.iter().map(|s| s.len()).collect(),
            });
        }
        let mut it = slices.iter();
        d.layers.weights_mut(&mut |w| {
            if let Some(s) = it.next() {
                w.copy_from_slice(s);
            }
        });
        self.set_network(&d);
        Ok(())
    }
    fn is_finite(&self) -> bool {
        self.net.is_finite()
    }
}

struct Build<'a>(&'a [ActivationKind<f32>]);

impl Visitor for Build<'_> {
    type Out = Result<Box<dyn Model>, ModelError>;
    fn visit<F: Family>(self) -> Self::Out {
        Ok(Box::new(Typed::<F>::new(self.0)?))
    }
}

/// The output activation that suits a loss: `softmax` for `Cross`, `sigmoid` for `Binary`,
/// `identity` (logits) otherwise.
pub fn output_activation(loss: LossKind) -> ActivationKind<f32> {
    match loss {
        LossKind::Cross => ActivationKind::Softmax,
        LossKind::Binary => ActivationKind::Sigmoid,
        _ => ActivationKind::Identity,
    }
}

/// Looks an activation up by name.
pub fn activation(name: &str) -> Result<ActivationKind<f32>, ModelError> {
    activation::by_name(name).map_err(|_| ModelError::UnknownActivation(name.to_string()))
}

/// A zeroed model of architecture `arch` with activation `hidden` on every hidden layer and
/// `output` on the last.
pub fn build(
    arch: &str,
    hidden: ActivationKind<f32>,
    output: ActivationKind<f32>,
) -> Result<Box<dyn Model>, ModelError> {
    let layers = arch.split('-').count().saturating_sub(1).max(1);
    let mut acts = vec![hidden; layers];
    acts[layers - 1] = output;
    dispatch(arch, Build(&acts))?
}

/// Builds the model a model file describes and loads it. `path` names the file in errors.
pub fn from_file_bytes(bytes: &[u8], path: &Path) -> Result<Box<dyn Model>, ModelError> {
    let file_err = |source| ModelError::File {
        path: path.to_path_buf(),
        source,
    };
    let (header, _) = model_file::parse(bytes).map_err(file_err)?;
    // A file written for a device (an input-major layer, e.g. the firmware's model) is read as
    // the same numbers in the harness's output-major layers.
    let converted;
    let bytes = if (0..header.layers as usize)
        .any(|k| header.layout(k) == Some(stacknn::layer::WeightLayout::InputMajor))
    {
        let mut out = vec![0u8; bytes.len()];
        model_file::to_output_major(bytes, &mut out).map_err(file_err)?;
        converted = out;
        &converted[..]
    } else {
        bytes
    };
    let mut acts = Vec::new();
    for i in 0..header.layers as usize {
        let name = header.activation(i).unwrap_or("<not UTF-8>");
        acts.push(
            activation::by_name(name).map_err(|_| ModelError::FileActivation {
                path: path.to_path_buf(),
                layer: i,
                name: name.to_string(),
            })?,
        );
    }
    let name = arch_name(header.widths());
    let mut model = dispatch(&name, Build(&acts)).map_err(|source| ModelError::FileArch {
        path: path.to_path_buf(),
        source,
    })??;
    model.load_file_bytes(bytes).map_err(file_err)?;
    Ok(model)
}

/// Reads a model file.
pub fn load(path: &Path) -> Result<Box<dyn Model>, ModelError> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_file_bytes(&bytes, path)
}

/// Writes a model file atomically (to a temporary name, then renamed).
pub fn save(model: &dyn Model, path: &Path) -> Result<(), ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("snn.tmp");
    std::fs::write(&tmp, model.to_file_bytes()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parallel::ParallelTrainer;

    /// [`State`] over the output-major layers of [`Family::Net`].
    type DenseState<F> = TrainState<f32, <F as Family>::Net<f32>, AnyOptimizer<f32>, CHUNK>;

    /// `n` images whose pixels are four in five +0 (some −0), the rest in (0, 1), with one
    /// image of no zeros at all (the first layer then multiplies every pixel).
    fn images(n: usize, seed: u64) -> Vec<Image> {
        let mut r = stacknn::Rng::seed(seed);
        let mut xs = vec![[0.0f32; 784]; n];
        for (k, x) in xs.iter_mut().enumerate() {
            for p in x.iter_mut() {
                *p = match r.below(10) {
                    _ if k == 2 => r.uniform_in(0.01, 1.0),
                    0 => -0.0,
                    1 | 2 => r.uniform_in(0.0, 1.0),
                    _ => 0.0,
                };
            }
        }
        xs
    }

    /// Training the model (first layer skipping zero pixels) gives the bits of training the
    /// output-major network of its model file: losses and parameters after every step, with
    /// Adam on batches of 32 (one thread) and of 100 and 32 (two threads, against the
    /// data-parallel trainer on the output-major network; at 32 the shards fit a chunk, where the
    /// model's trainer would split its first layer by rows if the CLI had not turned that off).
    #[test]
    fn training_has_the_bits_of_the_output_major_network() {
        type F = crate::arch::Arch784x16x10;
        let acts = [ActivationKind::Relu, ActivationKind::Identity];
        let adam = AnyOptimizer::Adam(stacknn::optim::Adam::new(1e-2));
        let loss = LossKind::SoftmaxCrossEntropy;
        let xs = images(300, 5);
        let ys: Vec<u8> = (0..300).map(|k| (k * 7 % 10) as u8).collect();
        for (threads, batch) in [(1, 32), (2, 100), (2, 32)] {
            let mut m = Typed::<F>::new(&acts).unwrap();
            m.init(11, Init::Uniform);
            let mut net = m.network();
            let mut one = DenseState::<F>::new_box_zeroed().unwrap();
            one.reset(11);
            let mut many =
                ParallelTrainer::<f32, <F as Family>::Net<f32>, AnyOptimizer<f32>, CHUNK>::new(
                    threads, 11,
                )
                .unwrap();
            for (x, y) in xs.chunks(batch).zip(ys.chunks(batch)) {
                let a = m.step(&adam, loss, x, y, 11, threads).unwrap();
                let b = if threads == 1 {
                    one.step(&mut net, &adam, &loss, x, y).unwrap()
                } else {
                    many.step(&mut net, &adam, &loss, x, y).unwrap()
                };
                assert_eq!(a.to_bits(), b.to_bits(), "loss, {threads} threads");
                let mut w = Vec::new();
                net.layers.weights(&mut |s| w.push(s.to_vec()));
                assert_eq!(m.params(), w, "parameters, {threads} threads");
            }
            // And the model file is the output-major network's.
            let mut d = Typed::<F>::new(&acts).unwrap();
            d.set_network(&net);
            assert_eq!(m.to_file_bytes(), d.to_file_bytes());
            let mut y = [0.0f32; 10];
            net.forward(&xs[2], &mut y);
            assert_eq!(m.forward(&xs[2]).map(f32::to_bits), y.map(f32::to_bits));
        }
        // Activations other than the zeroed layers' default go through both conversions.
        let acts = [ActivationKind::Tanh, ActivationKind::Sigmoid];
        let mut m = Typed::<F>::new(&acts).unwrap();
        let mut seen = Vec::new();
        m.network().layers.activations(&mut seen);
        assert_eq!(seen, acts);
        m.set_network(
            &Typed::<F>::new(&[ActivationKind::Relu; 2])
                .unwrap()
                .network(),
        );
        assert_eq!(m.activations(), [ActivationKind::Relu; 2]);
    }

    /// Batches of one with plain SGD take the `OnlineSgd` path; the result must be that of
    /// `TrainState::step` on the same network, bit for bit, including a rejected step.
    #[test]
    fn online_sgd_steps_match_the_train_state() {
        type F = crate::arch::Arch784x100x10;
        let acts = [ActivationKind::Relu, ActivationKind::Identity];
        let mut m = Typed::<F>::new(&acts).unwrap();
        m.init(3, Init::Uniform);
        let mut net = Network::<f32, <F as Family>::Net<f32>, Host>::new_box_zeroed().unwrap();
        // Copied slice by slice: the layers are 318 KB, not to be moved through the stack.
        let mut src = m.params().into_iter();
        net.layers
            .weights_mut(&mut |w| w.copy_from_slice(&src.next().unwrap()));
        net.layers.set_activations(&acts);
        // The reference trains the output-major network the model file describes.
        let mut st = DenseState::<F>::new_box_zeroed().unwrap();
        st.reset(3);
        let sgd = AnyOptimizer::Sgd(stacknn::optim::Sgd::new(0.05));
        let loss = LossKind::SoftmaxCrossEntropy;
        let mut r = stacknn::Rng::seed(4);
        for k in 0..20 {
            let mut x = [0.0f32; 784];
            for p in x.iter_mut() {
                if r.below(5) == 0 {
                    *p = r.uniform_in(0.0, 1.0);
                }
            }
            let y = (k % 10) as u8;
            let a = m.step(&sgd, loss, &[x], &[y], 3, 1).unwrap();
            let b = st.step(&mut net, &sgd, &loss, &[x], &[y]).unwrap();
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert!(m.online.is_some() && m.state.is_none());
        assert_eq!(m.params(), {
            let mut v = Vec::new();
            net.layers.weights(&mut |w| v.push(w.to_vec()));
            v
        });
        // A NaN input is refused and changes nothing.
        let before = m.params();
        let e = m
            .step(&sgd, loss, &[[f32::NAN; 784]], &[0], 3, 1)
            .unwrap_err();
        assert!(matches!(
            e,
            TrainStepError::Core(stacknn::Error::NonFiniteLoss)
        ));
        assert_eq!(m.params(), before);
    }

    #[test]
    fn file_round_trip_and_typed_errors() {
        let mut m = build("784-16-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        m.init(5, Init::Uniform);
        let bytes = m.to_file_bytes();
        let p = Path::new("m.snn");
        let back = from_file_bytes(&bytes, p).unwrap();
        assert_eq!(back.params(), m.params());
        assert_eq!(back.activations(), m.activations());
        let x = [0.3f32; 784];
        assert_eq!(back.forward(&x), m.forward(&x));
        // Truncated, corrupted, wrong version.
        assert!(matches!(
            from_file_bytes(&bytes[..bytes.len() - 1], p),
            Err(ModelError::File {
                source: stacknn::Error::LengthMismatch { .. },
                ..
            })
        ));
        let mut b = bytes.clone();
        b[300] ^= 1;
        let e = from_file_bytes(&b, p).err().expect("corrupt file accepted");
        assert!(
            e.to_string().starts_with("m.snn: model checksum mismatch"),
            "{e}"
        );
        let mut b = bytes.clone();
        b[4] = 3;
        assert!(matches!(
            from_file_bytes(&b, p),
            Err(ModelError::File {
                source: stacknn::Error::UnsupportedVersion(3),
                ..
            })
        ));
        // A firmware file (first layer input-major, version 2) reads as the same network.
        let mut mlp = build("784-100-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        mlp.init(5, Init::Uniform);
        let fw = crate::firmware::firmware_model(&mlp.to_file_bytes()).unwrap();
        assert_eq!(u16::from_le_bytes([fw[4], fw[5]]), 2);
        let back = from_file_bytes(&fw, p).unwrap();
        assert_eq!(back.params(), mlp.params());
        assert_eq!(back.forward(&x), mlp.forward(&x));
        assert_eq!(back.to_file_bytes(), mlp.to_file_bytes());
        // NaN weight with a valid checksum.
        let mut b = bytes.clone();
        b[256..260].copy_from_slice(&f32::NAN.to_le_bytes());
        let head: [u8; 256] = b[..256].try_into().unwrap();
        let crc = model_file::checksum(&head, &b[256..]);
        b[12..16].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            from_file_bytes(&b, p),
            Err(ModelError::File {
                source: stacknn::Error::NonFiniteWeight,
                ..
            })
        ));
        // An architecture that is not built in.
        let mut odd = build("784-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
        odd.init(1, Init::Uniform);
        let mut b = odd.to_file_bytes();
        b[16..20].copy_from_slice(&783u32.to_le_bytes());
        let head: [u8; 256] = b[..256].try_into().unwrap();
        let crc = model_file::checksum(&head, &b[256..]);
        b[12..16].copy_from_slice(&crc.to_le_bytes());
        assert!(matches!(
            from_file_bytes(&b, p),
            Err(ModelError::FileArch { .. })
        ));
        assert!(matches!(
            build("784-7-10", ActivationKind::Relu, ActivationKind::Identity),
            Err(ModelError::UnknownArch(_))
        ));
    }
}
