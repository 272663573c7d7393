//! The numerical proof behind `stacknn verify`.
//!
//! | check | what is compared | tolerance |
//! |---|---|---|
//! | `grad <arch>` | the core's backpropagated gradient of the batch-mean softmax cross-entropy, in f64, against central differences (h = 1e-5) for a sample of parameters of every weight and bias slice; tanh hidden layers, 3 random inputs | 1e-6 |
//! | `grad 784-50-10 ReLU` | the same for seed 001's network (ReLU hidden layer) | 1e-6 |
//! | `grad 784-16-10 <loss>` | the same for every loss, with the output activation the loss expects (softmax for `Cross`, sigmoid for `Binary`) and soft targets where the loss allows them | 1e-6 |
//! | `loss <loss>` | each loss's gradient with respect to the network output against central differences of its value (h = 1e-6 on probabilities, 1e-4 on logits), f64, 20 random cases; norm-wise relative error of each gradient vector | 1e-7 |
//! | `f32~f64 <arch>` | f32 and f64 forward passes of the same (f32-representable) weights on 50 random inputs | 1e-4 |
//! | `sparse <arch>` | the network as the harness trains and runs it, its first layer skipping zero inputs ([`SparseFirst`]), against the all-dense network of the model file: outputs on 40 inputs four fifths zero, then every weight after one SGD step on them in chunks of 32 as the harness trains (read back in the dense layout); bit for bit, signed zeros included | 0 |
//! | `ref seed-002` | the batch-mean softmax cross-entropy of seed 002's 3×10 example against the exact value 2.3558145299634488 (an independent f64 log-sum-exp gives the same), and its gradient against (softmax(A) − T)/3 | 1e-12 |
//!
//! Errors are relative: |a − b| / max(|a|, |b|, floor), with floor = 1e-3 for gradients (below it
//! the error is absolute: central differences lose relative precision on tiny gradients) and 1
//! for network outputs.

use serde::Serialize;
use stacknn::activation::ActivationKind;
use stacknn::layer::{Layer, ParamStore};
use stacknn::loss::{Loss, LossKind};
use stacknn::math::Libm;
use stacknn::optim::Sgd;
use stacknn::zerocopy::FromZeros;
use stacknn::{Network, Rng, TrainState};

use crate::arch::{dispatch, Activations, Family, SparseFirst, SparseNet, Visitor, ARCH_NAMES};

/// Result of one check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Name of the check.
    pub name: String,
    /// Number of values compared.
    pub compared: usize,
    /// Largest relative error found.
    pub max_rel_error: f64,
    /// The tolerance.
    pub tolerance: f64,
    /// `max_rel_error <= tolerance` (and finite).
    pub passed: bool,
}

impl Check {
    fn new(name: impl Into<String>, compared: usize, max_rel_error: f64, tolerance: f64) -> Self {
        Self {
            name: name.into(),
            compared,
            max_rel_error,
            tolerance,
            passed: max_rel_error <= tolerance,
        }
    }
}

/// All checks run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    /// Number of failed checks.
    pub fn failed(&self) -> usize {
        self.checks.iter().filter(|c| !c.passed).count()
    }

    /// A text table: check, values compared, max relative error, tolerance, verdict.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<38} {:>9} {:>14} {:>10}  result\n",
            "check", "compared", "max rel error", "tolerance"
        );
        for c in &self.checks {
            s.push_str(&format!(
                "{:<38} {:>9} {:>14.3e} {:>10.0e}  {}\n",
                c.name,
                c.compared,
                c.max_rel_error,
                c.tolerance,
                if c.passed { "ok" } else { "FAILED" }
            ));
        }
        s
    }
}

/// Relative error with a floor on the denominator.
pub fn rel_err(a: f64, b: f64, floor: f64) -> f64 {
    let e = (a - b).abs() / a.abs().max(b.abs()).max(floor);
    if e.is_nan() {
        f64::INFINITY
    } else {
        e
    }
}

const GRAD_TOL: f64 = 1e-6;
const GRAD_FLOOR: f64 = 1e-3;
const H: f64 = 1e-5;

/// Targets of a gradient check: one-hot labels or soft targets.
#[derive(Clone)]
enum Targets {
    Labels(Vec<usize>),
    Soft(Vec<[f64; 10]>),
}

fn targets_for(loss: LossKind, n: usize, rng: &mut Rng) -> Targets {
    match loss {
        // Losses over a probability distribution: one-hot labels.
        LossKind::Cross | LossKind::SoftmaxCrossEntropy => {
            Targets::Labels((0..n).map(|_| rng.below(10)).collect())
        }
        // Element-wise losses accept soft targets in [0, 1] (seed 000).
        _ => Targets::Soft(
            (0..n)
                .map(|_| core::array::from_fn(|_| rng.uniform::<f64>()))
                .collect(),
        ),
    }
}

fn output_for(loss: LossKind) -> ActivationKind<f64> {
    match loss {
        LossKind::Cross => ActivationKind::Softmax,
        LossKind::Binary => ActivationKind::Sigmoid,
        _ => ActivationKind::Identity,
    }
}

struct GradCheck<Lo> {
    hidden: ActivationKind<f64>,
    /// Which loss `loss` is (chooses the output activation and the targets).
    kind: LossKind,
    loss: Lo,
    per_slice: usize,
    seed: u64,
}

impl<Lo: Loss<f64>> Visitor for GradCheck<Lo> {
    type Out = (usize, f64);
    fn visit<F: Family>(self) -> (usize, f64) {
        type N<F> = Network<f64, <F as Family>::Net<f64>, Libm>;
        let mut net = N::<F>::new_box_zeroed().expect("allocation");
        let layers = <F::Net<f64> as Activations<f64>>::LAYERS;
        let mut acts = vec![self.hidden; layers];
        acts[layers - 1] = output_for(self.kind);
        net.layers.set_activations(&acts);
        net.init(self.seed);
        let mut rng = Rng::seed(self.seed + 1);
        let xs: Vec<[f64; 784]> = (0..3)
            .map(|_| core::array::from_fn(|_| rng.uniform::<f64>()))
            .collect();
        let targets = targets_for(self.kind, xs.len(), &mut rng);
        let mut state =
            TrainState::<f64, F::Net<f64>, Sgd<f64>>::new_box_zeroed().expect("allocation");
        state.reset(1);
        match &targets {
            Targets::Labels(t) => state.gradients(&net, &self.loss, &xs, t),
            Targets::Soft(t) => state.gradients(&net, &self.loss, &xs, t),
        }
        .expect("valid batch");
        let mut analytic: Vec<Vec<f64>> = Vec::new();
        state
            .grad()
            .for_each_slice(&mut |g| analytic.push(g.to_vec()));
        let loss_of = |net: &N<F>| -> f64 {
            let mut total = 0.0;
            for (i, x) in xs.iter().enumerate() {
                let mut y = [0.0f64; 10];
                net.forward(x, &mut y);
                let t: [f64; 10] = match &targets {
                    Targets::Labels(l) => core::array::from_fn(|k| (k == l[i]) as u8 as f64),
                    Targets::Soft(s) => s[i],
                };
                total += self.loss.value::<Libm>(&y, &t);
            }
            total / xs.len() as f64
        };
        let mut worst = 0.0f64;
        let mut compared = 0;
        for (s, grads) in analytic.iter().enumerate() {
            for _ in 0..self.per_slice.min(grads.len()) {
                let k = rng.below(grads.len());
                let perturb = |net: &mut N<F>, d: f64| {
                    let mut slice = 0;
                    net.layers.weights_mut(&mut |w| {
                        if slice == s {
                            w[k] += d;
                        }
                        slice += 1;
                    });
                };
                let orig = {
                    let mut slice = 0;
                    let mut v = 0.0;
                    net.layers.weights(&mut |w| {
                        if slice == s {
                            v = w[k];
                        }
                        slice += 1;
                    });
                    v
                };
                perturb(&mut net, H);
                let up = loss_of(&net);
                perturb(&mut net, -2.0 * H);
                let down = loss_of(&net);
                // Restore exactly.
                let mut slice = 0;
                net.layers.weights_mut(&mut |w| {
                    if slice == s {
                        w[k] = orig;
                    }
                    slice += 1;
                });
                let numeric = (up - down) / (2.0 * H);
                worst = worst.max(rel_err(grads[k], numeric, GRAD_FLOOR));
                compared += 1;
            }
        }
        (compared, worst)
    }
}

/// The gradient check of one architecture and loss, with tanh hidden layers.
pub fn grad_check(arch: &str, loss: LossKind, per_slice: usize, seed: u64) -> Check {
    grad_check_with(arch, ActivationKind::Tanh, loss, per_slice, seed)
}

/// The gradient check of one architecture, hidden activation and loss.
pub fn grad_check_with(
    arch: &str,
    hidden: ActivationKind<f64>,
    loss: LossKind,
    per_slice: usize,
    seed: u64,
) -> Check {
    let mut name = format!("grad {arch}");
    if hidden != ActivationKind::Tanh {
        name.push_str(&format!(" {}", hidden.name()));
    }
    if loss != LossKind::SoftmaxCrossEntropy {
        name.push_str(&format!(" {}", loss.name()));
    }
    match dispatch(
        arch,
        GradCheck {
            hidden,
            kind: loss,
            loss,
            per_slice,
            seed,
        },
    ) {
        Ok((n, e)) => Check::new(name, n, e, GRAD_TOL),
        Err(_) => Check::new(name, 0, f64::INFINITY, GRAD_TOL),
    }
}

/// Each loss's gradient with respect to the output against central differences of its value.
pub fn loss_check(loss: LossKind, seed: u64) -> Check {
    loss_check_of(loss, &loss, seed)
}

/// [`loss_check`] of any implementation `imp` of the loss `loss` (inputs sampled for `loss`).
pub fn loss_check_of(loss: LossKind, imp: &impl Loss<f64>, seed: u64) -> Check {
    let mut rng = Rng::seed(seed);
    let mut worst = 0.0f64;
    let mut compared = 0;
    for _ in 0..20 {
        let (y, t): ([f64; 10], [f64; 10]) = match loss {
            LossKind::Cross => {
                // Probabilities bounded away from 0, one-hot target.
                let mut y: [f64; 10] = core::array::from_fn(|_| 0.05 + rng.uniform::<f64>());
                let s: f64 = y.iter().sum();
                y.iter_mut().for_each(|v| *v /= s);
                let c = rng.below(10);
                (y, core::array::from_fn(|k| (k == c) as u8 as f64))
            }
            LossKind::Binary => (
                core::array::from_fn(|_| 0.05 + 0.9 * rng.uniform::<f64>()),
                core::array::from_fn(|_| rng.uniform::<f64>()),
            ),
            LossKind::SoftmaxCrossEntropy => {
                let c = rng.below(10);
                (
                    core::array::from_fn(|_| rng.uniform_in::<f64>(-5.0, 5.0)),
                    core::array::from_fn(|k| (k == c) as u8 as f64),
                )
            }
            _ => (
                core::array::from_fn(|_| rng.uniform_in::<f64>(-5.0, 5.0)),
                core::array::from_fn(|_| rng.uniform::<f64>()),
            ),
        };
        let mut dy = [0.0f64; 10];
        imp.value_grad::<Libm>(&y, &t, &mut dy);
        // h balances truncation (h²·f‴/6) and rounding (ε·|f|/h): logits and raw outputs vary
        // on a scale of 1, probabilities (down to ~0.01, where ln has a large f‴) on a finer one.
        let h = if matches!(loss, LossKind::Cross | LossKind::Binary) {
            1e-6
        } else {
            1e-4
        };
        let mut num = [0.0f64; 10];
        for k in 0..10 {
            let (mut a, mut b) = (y, y);
            a[k] += h;
            b[k] -= h;
            num[k] = (imp.value::<Libm>(&a, &t) - imp.value::<Libm>(&b, &t)) / (2.0 * h);
        }
        // Norm-wise relative error of the whole gradient vector.
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let diff: Vec<f64> = dy.iter().zip(&num).map(|(a, b)| a - b).collect();
        let e = norm(&diff) / norm(&dy).max(norm(&num)).max(GRAD_FLOOR);
        worst = worst.max(if e.is_nan() { f64::INFINITY } else { e });
        compared += 10;
    }
    Check::new(format!("loss {}", loss.name()), compared, worst, 1e-7)
}

struct Agreement {
    seed: u64,
}

impl Visitor for Agreement {
    type Out = (usize, f64);
    fn visit<F: Family>(self) -> (usize, f64) {
        let mut n32 = Network::<f32, F::Net<f32>, Libm>::new_box_zeroed().expect("allocation");
        let mut n64 = Network::<f64, F::Net<f64>, Libm>::new_box_zeroed().expect("allocation");
        let layers = <F::Net<f32> as Activations<f32>>::LAYERS;
        let mut a32 = vec![ActivationKind::Relu; layers];
        a32[layers - 1] = ActivationKind::Identity;
        let mut a64 = vec![ActivationKind::Relu; layers];
        a64[layers - 1] = ActivationKind::Identity;
        n32.layers.set_activations(&a32);
        n64.layers.set_activations(&a64);
        n32.init(self.seed);
        // The same weights, exactly (f32 values widened).
        let mut w32: Vec<Vec<f32>> = Vec::new();
        n32.layers.weights(&mut |w| w32.push(w.to_vec()));
        let mut it = w32.iter();
        n64.layers.weights_mut(&mut |w| {
            if let Some(src) = it.next() {
                for (d, &s) in w.iter_mut().zip(src) {
                    *d = s as f64;
                }
            }
        });
        let mut rng = Rng::seed(self.seed + 7);
        let mut worst = 0.0f64;
        let mut compared = 0;
        for _ in 0..50 {
            let x32: [f32; 784] = core::array::from_fn(|_| rng.uniform::<f32>());
            let x64: [f64; 784] = core::array::from_fn(|i| x32[i] as f64);
            let (mut y32, mut y64) = ([0.0f32; 10], [0.0f64; 10]);
            n32.forward(&x32, &mut y32);
            n64.forward(&x64, &mut y64);
            for (a, b) in y32.iter().zip(&y64) {
                worst = worst.max(rel_err(*a as f64, *b, 1.0));
                compared += 1;
            }
        }
        (compared, worst)
    }
}

/// f32 and f64 forward passes of the same weights.
pub fn agreement_check(arch: &str, seed: u64) -> Check {
    let name = format!("f32~f64 {arch}");
    match dispatch(arch, Agreement { seed }) {
        Ok((n, e)) => Check::new(name, n, e, 1e-4),
        Err(_) => Check::new(name, 0, f64::INFINITY, 1e-4),
    }
}

struct SparseAgreement {
    seed: u64,
}

/// 0 if `a` and `b` have the same bits, else their relative error (1 for ±0 against ∓0).
fn bit_err(a: f32, b: f32) -> f64 {
    if a.to_bits() == b.to_bits() {
        0.0
    } else {
        rel_err(f64::from(a), f64::from(b), 1.0).max(f64::MIN_POSITIVE)
    }
}

impl Visitor for SparseAgreement {
    type Out = (usize, f64);
    fn visit<F: Family>(self) -> (usize, f64) {
        type Sparse<F> = SparseNet<F, f32>;
        let mut dense = Network::<f32, F::Net<f32>, Libm>::new_box_zeroed().expect("allocation");
        let layers = <F::Net<f32> as Activations<f32>>::LAYERS;
        let mut acts = vec![ActivationKind::Relu; layers];
        acts[layers - 1] = ActivationKind::Identity;
        dense.layers.set_activations(&acts);
        dense.init(self.seed);
        let mut sparse = Network::<f32, Sparse<F>, Libm>::new_box_zeroed().expect("allocation");
        dense.layers.write_sparse(&mut sparse.layers);
        let mut rng = Rng::seed(self.seed + 3);
        let xs: Vec<[f32; 784]> = (0..40)
            .map(|_| {
                core::array::from_fn(|_| match rng.below(10) {
                    0 | 1 => rng.uniform::<f32>(),
                    2 => -0.0,
                    _ => 0.0,
                })
            })
            .collect();
        let ts: Vec<usize> = (0..xs.len()).map(|k| k % 10).collect();
        let (mut worst, mut compared) = (0.0f64, 0);
        for x in &xs {
            let (mut a, mut b) = ([0.0f32; 10], [0.0f32; 10]);
            dense.forward(x, &mut a);
            sparse.forward(x, &mut b);
            for (&a, &b) in a.iter().zip(&b) {
                worst = worst.max(bit_err(a, b));
                compared += 1;
            }
        }
        // One step each, then the weights in the dense layout.
        let sgd = Sgd::new(0.1);
        let loss = LossKind::SoftmaxCrossEntropy;
        let mut sd =
            TrainState::<f32, F::Net<f32>, Sgd<f32>, 32>::new_box_zeroed().expect("allocation");
        let mut ss =
            TrainState::<f32, Sparse<F>, Sgd<f32>, 32>::new_box_zeroed().expect("allocation");
        let (Ok(la), Ok(lb)) = (
            sd.step(&mut dense, &sgd, &loss, &xs, &ts),
            ss.step(&mut sparse, &sgd, &loss, &xs, &ts),
        ) else {
            return (compared, f64::INFINITY);
        };
        worst = worst.max(bit_err(la, lb));
        let mut back = Network::<f32, F::Net<f32>, Libm>::new_box_zeroed().expect("allocation");
        back.layers.set_from_sparse(&sparse.layers);
        let (mut wa, mut wb) = (Vec::new(), Vec::new());
        dense.layers.weights(&mut |w| wa.extend_from_slice(w));
        back.layers.weights(&mut |w| wb.extend_from_slice(w));
        for (&a, &b) in wa.iter().zip(&wb) {
            worst = worst.max(bit_err(a, b));
        }
        (compared + 1 + wa.len(), worst)
    }
}

/// The harness's zero-skipping network against the dense one, bit for bit.
pub fn sparse_check(arch: &str, seed: u64) -> Check {
    let name = format!("sparse {arch}");
    match dispatch(arch, SparseAgreement { seed }) {
        Ok((n, e)) => Check::new(name, n, e, 0.0),
        Err(_) => Check::new(name, 0, f64::INFINITY, 0.0),
    }
}

/// Seed 002's worked example: batch-mean softmax cross-entropy of a 3×10 input.
pub fn seed002_check() -> Check {
    const EXACT: f64 = 2.355_814_529_963_448_8;
    let a: [[f64; 10]; 3] = [
        [1.0, 3.0, 5.0, 7.0, 9.0, 1.5, 3.5, 5.5, 7.5, 9.5],
        [1.0; 10],
        [-10.0, -8.0, -6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 8.0],
    ];
    let labels = [7usize, 4, 9];
    let mut worst = 0.0f64;
    let mut total = 0.0;
    let mut compared = 0;
    for (x, &l) in a.iter().zip(&labels) {
        let t: [f64; 10] = core::array::from_fn(|k| (k == l) as u8 as f64);
        let mut dy = [0.0; 10];
        total += Loss::<f64>::value_grad::<Libm>(&LossKind::SoftmaxCrossEntropy, x, &t, &mut dy);
        // Independent softmax: exp(x − max) / Σ.
        let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = x.iter().map(|v| (v - m).exp()).sum();
        for k in 0..10 {
            let expected = ((x[k] - m).exp() / s - t[k]) / 3.0;
            worst = worst.max(rel_err(dy[k] / 3.0, expected, 1e-12));
            compared += 1;
        }
    }
    let mean = total / 3.0;
    // An independent log-sum-exp evaluation agrees with the committed constant.
    let independent: f64 = a
        .iter()
        .zip(&labels)
        .map(|(x, &l)| {
            let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln() - x[l]
        })
        .sum::<f64>()
        / 3.0;
    worst = worst
        .max(rel_err(mean, EXACT, 1e-12))
        .max(rel_err(independent, EXACT, 1e-12));
    Check::new("ref seed-002 softmax CE", compared + 2, worst, 1e-12)
}

/// Runs every check. `quick`: fewer sampled parameters, and the architectures up to 784-100-10.
pub fn run_all(quick: bool) -> Report {
    let per_slice = if quick { 8 } else { 40 };
    let mut checks = Vec::new();
    for (i, &arch) in ARCH_NAMES.iter().enumerate() {
        if quick && arch.contains("1000") {
            continue;
        }
        checks.push(grad_check(
            arch,
            LossKind::SoftmaxCrossEntropy,
            per_slice,
            10 + i as u64,
        ));
    }
    // Seed 001's network: ReLU (central differences straddle a kink with probability ~1e-5).
    checks.push(grad_check_with(
        "784-50-10",
        ActivationKind::Relu,
        LossKind::SoftmaxCrossEntropy,
        per_slice,
        30,
    ));
    for (i, &loss) in LossKind::ALL.iter().enumerate() {
        if loss != LossKind::SoftmaxCrossEntropy {
            checks.push(grad_check("784-16-10", loss, per_slice, 40 + i as u64));
        }
    }
    for (i, &loss) in LossKind::ALL.iter().enumerate() {
        checks.push(loss_check(loss, 60 + i as u64));
    }
    for (i, &arch) in ARCH_NAMES.iter().enumerate() {
        if quick && arch.contains("1000") {
            continue;
        }
        checks.push(agreement_check(arch, 80 + i as u64));
        checks.push(sparse_check(arch, 90 + i as u64));
    }
    checks.push(seed002_check());
    Report { checks }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_verification_passes() {
        let r = run_all(true);
        assert_eq!(r.failed(), 0, "\n{}", r.table());
        assert!(r.checks.len() >= 10);
        assert!(r.checks.iter().all(|c| c.compared > 0));
    }

    /// A loss whose gradient is off by 1e-4·(1 + |g|) in one component.
    struct Skewed(LossKind);
    impl Loss<f64> for Skewed {
        fn value<M: stacknn::math::Math<f64>>(&self, y: &[f64], t: &[f64]) -> f64 {
            Loss::<f64>::value::<M>(&self.0, y, t)
        }
        fn value_grad<M: stacknn::math::Math<f64>>(
            &self,
            y: &[f64],
            t: &[f64],
            dy: &mut [f64],
        ) -> f64 {
            let v = Loss::<f64>::value_grad::<M>(&self.0, y, t, dy);
            dy[3] += 1e-4 * (1.0 + dy[3].abs());
            v
        }
    }

    #[test]
    fn a_wrong_gradient_is_caught() {
        for kind in LossKind::ALL.iter().copied() {
            let c = loss_check_of(kind, &Skewed(kind), 5);
            assert!(!c.passed, "{kind:?}: {c:?}");
            let net = dispatch(
                "784-16-10",
                GradCheck {
                    hidden: ActivationKind::Tanh,
                    kind,
                    loss: Skewed(kind),
                    per_slice: 16,
                    seed: 3,
                },
            )
            .unwrap();
            assert!(net.1 > GRAD_TOL, "{kind:?}: {net:?}");
        }
        // rel_err flags a 1e-5 relative discrepancy and NaN.
        assert!(rel_err(1.0, 1.0 + 1e-5, 1e-3) > GRAD_TOL);
        assert!(rel_err(f64::NAN, 1.0, 1e-3).is_infinite());
        assert!(!Check::new("x", 1, f64::INFINITY, 1.0).passed);
    }
}
