//! Prints the memory footprint of a 784-100-10 f32 network: inference, and training with SGD and
//! Adam (full network and last layer only), and online SGD without a gradient buffer.
//!
//! `cargo run -p stacknn --example sizes`

use core::mem::size_of;
use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense, Frozen};
use stacknn::online::OnlineSgd;
use stacknn::optim::{Adam, Sgd};
use stacknn::{Layer, Network, TrainState};

type Mlp = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;
type FineTune = Chain<Frozen<Dense<f32, 784, 100, Relu>>, Dense<f32, 100, 10, Identity>>;

fn main() {
    let weights = size_of::<Network<f32, Mlp>>();
    // Inference: the input, the hidden vector and the output (the weights can stay in flash).
    let activations = 4 * (784 + 100 + 10);
    let sgd = size_of::<TrainState<f32, Mlp, Sgd<f32>>>();
    let adam = size_of::<TrainState<f32, Mlp, Adam<f32>>>();
    let fine = size_of::<TrainState<f32, FineTune, Adam<f32>>>();
    let online = size_of::<OnlineSgd<f32, Mlp>>();
    let last = size_of::<Dense<f32, 100, 10, Identity>>();
    println!(
        "784-100-10 f32 ({} parameters)",
        <Mlp as Layer<f32>>::WEIGHT_COUNT
    );
    println!(
        "{:<52} {:>9} bytes",
        "weights (Network, flash or RAM)", weights
    );
    println!(
        "{:<52} {:>9} bytes",
        "inference activations (input + hidden + output)", activations
    );
    println!(
        "{:<52} {:>9} bytes",
        "training state, SGD (TrainState)", sgd
    );
    println!(
        "{:<52} {:>9} bytes",
        "online SGD, one sample per step (OnlineSgd)", online
    );
    println!(
        "{:<52} {:>9} bytes",
        "training state, Adam (TrainState)", adam
    );
    println!(
        "{:<52} {:>9} bytes",
        "Adam training total (weights + state)",
        weights + adam
    );
    println!(
        "{:<52} {:>9} bytes",
        "last-layer fine-tuning, Adam (TrainState)", fine
    );
    println!(
        "{:<52} {:>9} bytes",
        "last-layer fine-tuning RAM (last layer + state)",
        last + fine
    );
}
