//! Issue 4's verification of the activation catalogue:
//! 1. f64 finite-difference check of every activation's backward (≥ 50 points away from kinks);
//! 2. reference values from `scripts/activation_reference.py` (mpmath, independent of this
//!    crate) at 1e-12 (f64) and 1e-5 (f32), both with the libm backend;
//! 3. finiteness for every finite input in [−1e4, 1e4] (proptest, f32 and f64, both backends);
//! 4. the micromath backend's worst error per activation over a dense grid, against a stated
//!    bound (`cargo test -p stacknn --all-features --test activations micromath -- --nocapture`
//!    prints the table that is in docs/RESULTS.md).
#![cfg(feature = "libm")]

use proptest::prelude::*;
use stacknn::activation::{by_name, Activation, ActivationKind, NAMES};
use stacknn::math::{Libm, Math};
use stacknn::Scalar;

// ---------------------------------------------------------------------------------------------
// A minimal JSON reader for the reference file (objects, arrays, strings, numbers). Numbers are
// parsed by `str::parse::<f64>`, which is correctly rounded, so Python's shortest round-trip
// `repr` comes back bit-exact.

#[derive(Debug, Clone)]
enum Json {
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s[self.i] as char, c as char,
            "JSON: expected '{}' at {}",
            c as char, self.i
        );
        self.i += 1;
    }
    fn string(&mut self) -> String {
        self.eat(b'"');
        let start = self.i;
        while self.s[self.i] != b'"' {
            assert_ne!(
                self.s[self.i], b'\\',
                "JSON: escapes are not used by the generator"
            );
            self.i += 1;
        }
        self.i += 1;
        String::from_utf8(self.s[start..self.i - 1].to_vec()).unwrap()
    }
    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let mut fields = Vec::new();
                self.ws();
                if self.s[self.i] == b'}' {
                    self.i += 1;
                    return Json::Obj(fields);
                }
                loop {
                    let k = self.string();
                    self.eat(b':');
                    fields.push((k, self.value()));
                    self.ws();
                    self.i += 1;
                    if self.s[self.i - 1] == b'}' {
                        return Json::Obj(fields);
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s[self.i] == b']' {
                    self.i += 1;
                    return Json::Arr(items);
                }
                loop {
                    items.push(self.value());
                    self.ws();
                    self.i += 1;
                    if self.s[self.i - 1] == b']' {
                        return Json::Arr(items);
                    }
                }
            }
            b'"' => Json::Str(self.string()),
            _ => {
                let start = self.i;
                while self.i < self.s.len() && b"+-0123456789.eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                Json::Num(
                    t.parse()
                        .unwrap_or_else(|_| panic!("JSON: bad number {t:?}")),
                )
            }
        }
    }
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Obj(f) => &f.iter().find(|(k, _)| k == key).unwrap().1,
            _ => panic!("not an object"),
        }
    }
    fn nums(&self) -> Vec<f64> {
        match self {
            Json::Arr(a) => a
                .iter()
                .map(|v| match v {
                    Json::Num(n) => *n,
                    _ => panic!("not a number"),
                })
                .collect(),
            _ => panic!("not an array"),
        }
    }
    fn str(&self) -> &str {
        match self {
            Json::Str(s) => s,
            _ => panic!("not a string"),
        }
    }
}

struct Case {
    name: String,
    params: Vec<f64>,
    x: Vec<f64>,
    dy: Vec<f64>,
    y: Vec<f64>,
    dx: Vec<f64>,
}

fn reference_cases() -> Vec<Case> {
    let text = include_str!("data/activations_reference.json");
    let root = Parser {
        s: text.as_bytes(),
        i: 0,
    }
    .value();
    let Json::Arr(cases) = root.get("cases") else {
        panic!("cases")
    };
    cases
        .iter()
        .map(|c| Case {
            name: c.get("name").str().to_string(),
            params: c.get("params").nums(),
            x: c.get("x").nums(),
            dy: c.get("dy").nums(),
            y: c.get("y").nums(),
            dx: c.get("dx").nums(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn kind<S: Scalar>(name: &str, params: &[f64]) -> ActivationKind<S> {
    let p: Vec<S> = params.iter().map(|&v| S::from_f64(v)).collect();
    ActivationKind::with_params(name, &p).unwrap_or_else(|e| panic!("{name} {params:?}: {e}"))
}

/// (y, dx) of `act` at x with upstream gradient dy, in scalar S and backend M.
fn run<S: Scalar, M: Math<S>>(act: &ActivationKind<S>, x: &[f64], dy: &[f64]) -> (Vec<S>, Vec<S>) {
    let xs: Vec<S> = x.iter().map(|&v| S::from_f64(v)).collect();
    let dys: Vec<S> = dy.iter().map(|&v| S::from_f64(v)).collect();
    let mut y = vec![S::ZERO; x.len()];
    let mut dx = vec![S::ZERO; x.len()];
    act.forward::<M>(&xs, &mut y);
    act.backward::<M>(&xs, &y, &dys, &mut dx);
    (y, dx)
}

/// The parameter sets exercised: the defaults of every name, plus one non-default set for each
/// parametrised activation (the same as the reference script's `EXTRA_PARAMS`).
fn all_configs() -> Vec<(&'static str, Vec<f64>)> {
    let mut v: Vec<(&'static str, Vec<f64>)> = NAMES.iter().map(|&n| (n, vec![])).collect();
    v.extend([
        ("hard-shrink", vec![0.25]),
        ("soft-shrink", vec![1.5]),
        ("threshold", vec![0.75, -2.0]),
        ("leaky-ReLU", vec![0.25]),
        ("ELU", vec![0.5]),
        ("CELU", vec![2.5]),
        ("Swish", vec![1.75]),
    ]);
    v
}

/// Points where the activation is not differentiable (or, for ELU/SELU/CELU, not twice
/// differentiable), which a finite-difference stencil must not straddle.
fn kinks(k: &ActivationKind<f64>) -> Vec<f64> {
    match *k {
        ActivationKind::Step | ActivationKind::Relu => vec![0.0],
        ActivationKind::LeakyRelu(_) | ActivationKind::Elu(_) => vec![0.0],
        ActivationKind::Selu | ActivationKind::Celu(_) => vec![0.0],
        ActivationKind::Relu6 => vec![0.0, 6.0],
        ActivationKind::HardShrink(a) => vec![-a.lambda, a.lambda],
        ActivationKind::SoftShrink(a) => vec![-a.lambda, a.lambda],
        ActivationKind::Threshold(a) => vec![a.threshold],
        ActivationKind::HardSigmoid => vec![-2.5, 2.5],
        ActivationKind::HardTanh => vec![-1.0, 1.0],
        _ => vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Finite differences (f64, libm).

/// Relative error with a floor on the denominator: |a − b| / max(|a|, |b|, 1e-6). Below 1e-6 in
/// magnitude (e.g. where Mish′ crosses zero, or σ′ far in the tails) it is an absolute error
/// scaled by 1e6.
fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-6)
}

/// ∂/∂x_j ⟨dy, f(x)⟩ by the fourth-order five-point stencil with step h,
/// (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h))/(12h) per output, then weighted by dy (so outputs
/// that do not depend on x_j contribute exactly 0, not rounding noise).
fn fd_vjp(act: &ActivationKind<f64>, x: &[f64], dy: &[f64], j: usize, h: f64) -> f64 {
    let f = |t: f64| {
        let mut xs = x.to_vec();
        xs[j] = t;
        let mut y = vec![0.0; x.len()];
        act.forward::<Libm>(&xs, &mut y);
        y
    };
    let x0 = x[j];
    let (p2, p1, m1, m2) = (f(x0 + 2.0 * h), f(x0 + h), f(x0 - h), f(x0 - 2.0 * h));
    (0..x.len())
        .map(|i| dy[i] * ((m2[i] - p2[i]) + 8.0 * (p1[i] - m1[i])) / (12.0 * h))
        .sum()
}

#[test]
fn finite_difference_check_of_every_backward() {
    let h = 1e-3;
    let mut rng = stacknn::Rng::seed(4);
    let mut report = Vec::new();
    for (name, params) in all_configs() {
        let act = kind::<f64>(name, &params);
        let kinks = kinks(&act);
        let mut worst: f64 = 0.0;
        let mut points = 0;
        if act.is_elementwise() {
            // 61 points in [−5.96, 6.04], off the dyadic grid, minus any within 10h of a kink.
            let x: Vec<f64> = (0..=60)
                .map(|j| -6.0 + 0.2 * j as f64 + 0.0371)
                .filter(|x| kinks.iter().all(|k| (x - k).abs() > 10.0 * h))
                .collect();
            let dy: Vec<f64> = x.iter().map(|_| rng.uniform_in(-1.5, 1.5)).collect();
            let (_, dx) = run::<f64, Libm>(&act, &x, &dy);
            for j in 0..x.len() {
                let fd = fd_vjp(&act, &x, &dy, j, h);
                let e = rel_err(dx[j], fd);
                assert!(
                    e < 1e-6,
                    "{name} {params:?} at x = {}: {} vs fd {fd} ({e:e})",
                    x[j],
                    dx[j]
                );
                worst = worst.max(e);
                points += 1;
            }
        } else {
            // 50 vectors of 5 entries in [−6, 6] (every entry checked: 250 points).
            for _ in 0..50 {
                let x: Vec<f64> = (0..5).map(|_| rng.uniform_in(-6.0, 6.0)).collect();
                let dy: Vec<f64> = (0..5).map(|_| rng.uniform_in(-1.5, 1.5)).collect();
                let (_, dx) = run::<f64, Libm>(&act, &x, &dy);
                for (j, &d) in dx.iter().enumerate() {
                    let fd = fd_vjp(&act, &x, &dy, j, h);
                    let e = rel_err(d, fd);
                    assert!(e < 1e-6, "{name} at {x:?}[{j}]: {d} vs fd {fd} ({e:e})");
                    worst = worst.max(e);
                    points += 1;
                }
            }
        }
        assert!(points >= 50, "{name}: only {points} points");
        report.push(format!(
            "{name} {params:?}: {points} points, worst {worst:.1e}"
        ));
    }
    println!("{}", report.join("\n"));
}

#[test]
fn softmax_family_backward_is_the_full_jacobian_product() {
    // Not the seed's diagonal: with dy = e₀ only y₀ is pulled, but every x_j moves.
    let x = [0.5, -1.0, 2.0];
    let dy = [1.0, 0.0, 0.0];
    for name in ["softmax", "softmin", "log-softmax"] {
        let (_, dx) = run::<f64, Libm>(&kind(name, &[]), &x, &dy);
        assert!(dx.iter().all(|d| d.abs() > 1e-3), "{name}: {dx:?}");
        // Rows of the softmax Jacobians sum to 0, so ⟨1, dx⟩ = 0 for softmax and softmin; for
        // log-softmax Σᵢ dxᵢ = Σᵢ dyᵢ − Σᵢ softmaxᵢ·Σⱼ dyⱼ = 0 as well.
        assert!(dx.iter().sum::<f64>().abs() < 1e-15, "{name}: {dx:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Reference values.

/// |a − b| ≤ rtol·|b| + atol.
fn check_case<S: Scalar, M: Math<S>>(c: &Case, rtol: f64, atol: f64) -> f64 {
    let act = kind::<S>(&c.name, &c.params);
    let (y, dx) = run::<S, M>(&act, &c.x, &c.dy);
    let mut worst: f64 = 0.0;
    for (what, got, want) in [("y", &y, &c.y), ("dx", &dx, &c.dx)] {
        for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
            let g = g.to_f64();
            let err = (g - w).abs();
            assert!(
                err <= rtol * w.abs() + atol,
                "{} {:?} in {}: {what}[{i}] at x = {}: {g:e} vs reference {w:e} (rel {:e})",
                c.name,
                c.params,
                S::NAME,
                c.x[i],
                err / w.abs()
            );
            if rtol * w.abs() > atol {
                worst = worst.max(err / w.abs());
            }
        }
    }
    worst
}

#[test]
fn reference_values_cover_the_catalogue() {
    let cases = reference_cases();
    for &name in NAMES {
        assert!(
            cases.iter().any(|c| c.name == name),
            "no reference for {name}"
        );
    }
    assert!(cases.iter().all(|c| NAMES.contains(&c.name.as_str())));
    let points: usize = cases.iter().map(|c| c.x.len()).sum();
    assert!(points > 1000, "{points}");
}

#[test]
fn reference_values_f64_libm() {
    let mut worst: f64 = 0.0;
    for c in reference_cases() {
        // atol: below f64's normal range only.
        worst = worst.max(check_case::<f64, Libm>(&c, 1e-12, 1e-300));
    }
    println!("f64 + libm: worst relative error against the reference {worst:.2e}");
}

#[test]
fn reference_values_f32_libm() {
    let mut worst: f64 = 0.0;
    for c in reference_cases() {
        // atol: below f32's normal range (1.18e-38) only; results there are subnormal or 0.
        worst = worst.max(check_case::<f32, Libm>(&c, 1e-5, 1e-37));
    }
    println!(
        "f32 + libm: worst relative error against the reference {worst:.2e} (|reference| > 1e-32)"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Finiteness.

fn assert_finite<S: Scalar, M: Math<S>>(act: &ActivationKind<S>, x: &[f64], dy: &[f64]) {
    let (y, dx) = run::<S, M>(act, x, dy);
    assert!(
        y.iter().chain(&dx).all(|v| v.is_finite()),
        "{} {act:?} in {}: x = {x:?} gives y = {y:?}, dx = {dx:?}",
        act.name(),
        S::NAME
    );
}

fn assert_finite_everywhere(name: &str, params: &[f64], x: &[f64], dy: &[f64]) {
    assert_finite::<f32, Libm>(&kind(name, params), x, dy);
    assert_finite::<f64, Libm>(&kind(name, params), x, dy);
    #[cfg(feature = "micromath")]
    {
        use stacknn::math::Micromath;
        assert_finite::<f32, Micromath>(&kind(name, params), x, dy);
        assert_finite::<f64, Micromath>(&kind(name, params), x, dy);
    }
}

/// The inputs where the seed's forms overflow, and the ends of the range.
const EDGES: [f64; 18] = [
    -1e4, -1000.0, -710.0, -104.0, -88.7, -44.5, -20.0, -1e-30, 0.0, 1e-30, 4.0, 20.0, 44.5, 88.7,
    104.0, 710.0, 1000.0, 1e4,
];

#[test]
fn finite_at_the_edges() {
    for (name, params) in all_configs() {
        let dy: Vec<f64> = EDGES.iter().map(|_| 0.75).collect();
        assert_finite_everywhere(name, &params, &EDGES, &dy);
        for v in [[1000.0, -1000.0, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]] {
            assert_finite_everywhere(name, &params, &v, &[1.0, -0.5, 0.25]);
        }
    }
    let (y, _) = run::<f32, Libm>(&kind("softmax", &[]), &[1000.0, -1000.0, 0.0], &[0.0; 3]);
    assert_eq!(y, [1.0, 0.0, 0.0]);
}

/// A name and a valid parameter set drawn from each parameter's documented range.
fn config() -> impl Strategy<Value = (&'static str, Vec<f64>)> {
    (0..NAMES.len(), 0.0f64..1.0, -1e4f64..1e4, -1e4f64..1e4).prop_map(|(i, u, a, b)| {
        let name = NAMES[i];
        let params = match name {
            "hard-shrink" | "soft-shrink" => vec![10.0 * u],
            "threshold" => vec![a, b],
            "leaky-ReLU" => vec![u],
            "ELU" => vec![10.0 * u],
            "CELU" => vec![0.01 + 10.0 * u],
            "Swish" => vec![10.0 * u],
            _ => vec![],
        };
        (name, params)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn finite_for_every_finite_input(
        (name, params) in config(),
        x in prop::collection::vec(-1e4f64..=1e4, 1..9),
        dy_seed in prop::collection::vec(-1.0f64..=1.0, 9),
    ) {
        let dy = &dy_seed[..x.len()];
        assert_finite_everywhere(name, &params, &x, dy);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Micromath accuracy.

/// Bounds asserted on the micromath backend (f32), per activation: (name, forward, backward),
/// on the error |a − b| / max(|b|, 1) against libm in f64 — relative for |b| ≥ 1, absolute
/// below (where the relative error of an approximated exponential near a zero of f is
/// meaningless). Each bound is the worst value measured (docs/RESULTS.md) with a margin of
/// about 1.5×, rounded up; the non-zero values for hard-sigmoid and leaky-ReLU are f32 rounding
/// of 0.2 and 0.01, not micromath.
#[cfg(feature = "micromath")]
const MICROMATH_BOUNDS: &[(&str, f64, f64)] = &[
    ("step", 0.0, 0.0),
    ("identity", 0.0, 0.0),
    ("bent-identity", 1.1e-2, 3e-2),
    ("hard-shrink", 0.0, 0.0),
    ("soft-shrink", 0.0, 0.0),
    ("threshold", 0.0, 0.0),
    ("sigmoid", 8e-4, 4e-4),
    ("hard-sigmoid", 1e-7, 1e-8),
    ("log-sigmoid", 1.2e-3, 8e-4),
    ("tanh", 5e-4, 1.4e-3),
    ("tanh-shrink", 5e-4, 5e-4),
    ("hard-tanh", 0.0, 0.0),
    ("ReLU", 0.0, 0.0),
    ("ReLU6", 0.0, 0.0),
    ("leaky-ReLU", 2e-8, 1e-9),
    ("ELU", 2e-3, 2e-3),
    ("SELU", 3.2e-3, 3.2e-3),
    ("CELU", 2e-3, 2e-3),
    ("softmax", 8e-4, 5e-4),
    ("softmin", 8e-4, 5e-4),
    ("log-softmax", 1.5e-3, 5.5e-3),
    ("softplus", 1.2e-3, 8e-4),
    ("softsign", 5e-8, 5e-8),
    ("Swish", 8e-4, 6e-4),
    ("Mish", 1e-3, 8e-4),
    ("tanhExp", 1e-3, 9e-4),
];

#[cfg(feature = "micromath")]
#[test]
fn micromath_worst_error_table() {
    use stacknn::math::Micromath;
    let err = |a: f64, b: f64| (a - b).abs() / b.abs().max(1.0);
    let mut rng = stacknn::Rng::seed(2013);
    println!("| activation | forward worst | backward worst | forward bound | backward bound |");
    println!("|---|---|---|---|---|");
    let mut failures = Vec::new();
    for &name in NAMES {
        let fast = kind::<f32>(name, &[]);
        let exact = kind::<f64>(name, &[]);
        let (mut wf, mut wb) = (0.0f64, 0.0f64);
        let mut measure = |x: &[f64], dy: &[f64]| {
            // Inputs rounded to f32 first, so both sides see the same x.
            let x: Vec<f64> = x.iter().map(|&v| v as f32 as f64).collect();
            let dy: Vec<f64> = dy.iter().map(|&v| v as f32 as f64).collect();
            let (y32, dx32) = run::<f32, Micromath>(&fast, &x, &dy);
            let (y64, dx64) = run::<f64, Libm>(&exact, &x, &dy);
            for (a, b) in y32.iter().zip(&y64) {
                wf = wf.max(err(*a as f64, *b));
            }
            for (a, b) in dx32.iter().zip(&dx64) {
                wb = wb.max(err(*a as f64, *b));
            }
        };
        if fast.is_elementwise() {
            // Dense grid: x ∈ [−20, 20] in steps of 2⁻⁸ (10,241 points), dy = 1.
            let x: Vec<f64> = (-5120..=5120).map(|i| i as f64 / 256.0).collect();
            let dy = vec![1.0; x.len()];
            measure(&x, &dy);
        } else {
            // 5,000 vectors of 8 entries uniform in [−20, 20], dy uniform in [−1, 1].
            for _ in 0..5000 {
                let x: Vec<f64> = (0..8).map(|_| rng.uniform_in(-20.0, 20.0)).collect();
                let dy: Vec<f64> = (0..8).map(|_| rng.uniform_in(-1.0, 1.0)).collect();
                measure(&x, &dy);
            }
        }
        let &(_, bf, bb) = MICROMATH_BOUNDS.iter().find(|b| b.0 == name).unwrap();
        println!("| `{name}` | {wf:.1e} | {wb:.1e} | {bf:.1e} | {bb:.1e} |");
        if wf > bf || wb > bb {
            failures.push(format!(
                "{name}: forward {wf:e} (bound {bf:e}), backward {wb:e} (bound {bb:e})"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn static_types_and_run_time_kinds_agree_bit_for_bit() {
    use stacknn::activation::{Mish, Softmin, Swish};
    let x = [-3.25f32, -0.5, 0.0, 0.75, 12.0];
    let dy = [0.5f32, -1.0, 2.0, 0.25, -0.75];
    type Pass<'a> = &'a dyn Fn(&[f32], &mut [f32], &mut [f32]);
    let check = |stat: Pass, name: &str| {
        let (mut y, mut dx) = ([0.0; 5], [0.0; 5]);
        stat(&x, &mut y, &mut dx);
        let (yk, dxk) = run::<f32, Libm>(
            &by_name(name).unwrap(),
            &x.map(f64::from),
            &dy.map(f64::from),
        );
        assert_eq!((y.to_vec(), dx.to_vec()), (yk, dxk), "{name}");
    };
    check(
        &|x, y, dx| {
            Mish.forward::<Libm>(x, y);
            Mish.backward::<Libm>(x, y, &dy, dx);
        },
        "Mish",
    );
    check(
        &|x, y, dx| {
            Softmin.forward::<Libm>(x, y);
            Softmin.backward::<Libm>(x, y, &dy, dx);
        },
        "softmin",
    );
    check(
        &|x, y, dx| {
            let s = Swish::<f32>::default();
            s.forward::<Libm>(x, y);
            s.backward::<Libm>(x, y, &dy, dx);
        },
        "Swish",
    );
}
