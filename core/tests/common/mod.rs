//! Shared helpers for the core's integration tests.
#![allow(dead_code)]

/// Relative error |a − b| / max(|a|, |b|, floor): the floor (1e-8) keeps entries whose true
/// value is ~0 from dividing by zero; it is stated with every check that uses it.
pub fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-8)
}

/// Asserts `|a - b| <= tol * max(|a|, |b|, floor)` element-wise, naming the index.
#[macro_export]
macro_rules! assert_close {
    ($a:expr, $b:expr, $tol:expr) => {{
        let (a, b) = (&$a, &$b);
        assert_eq!(a.len(), b.len(), "length");
        for (i, (&x, &y)) in a.iter().zip(b.iter()).enumerate() {
            let e = $crate::common::rel_err(x as f64, y as f64);
            assert!(
                e <= $tol,
                "index {i}: {x} vs {y} (relative error {e:e} > {:e})",
                $tol
            );
        }
    }};
}

/// A deterministic stream of uniform values in [lo, hi).
pub struct Uniform(pub stacknn::Rng);

impl Uniform {
    pub fn new(seed: u64) -> Self {
        Self(stacknn::Rng::seed(seed))
    }
    pub fn next(&mut self, lo: f64, hi: f64) -> f64 {
        self.0.uniform_in(lo, hi)
    }
    pub fn array<const N: usize>(&mut self, lo: f64, hi: f64) -> [f64; N] {
        core::array::from_fn(|_| self.next(lo, hi))
    }
}
