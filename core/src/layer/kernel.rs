//! Dense-layer kernels: register tiles that LLVM vectorises while every output keeps the
//! summation order documented on [`Dense`](super::Dense).
//!
//! The plain loops compute each output as one chain of dependent adds, which cannot be
//! vectorised without changing the rounding. These kernels instead compute many *independent*
//! chains at once — one per output, sample or input index — in a fixed-size accumulator tile
//! `[[S; L]; R]` that stays in registers, and each chain still adds its terms in the canonical
//! order. The results are therefore bit-for-bit those of the plain loops (checked by the tests at
//! the bottom of this file at odd sizes), on every target.
//!
//! | kernel | computes | canonical order kept | tile |
//! |---|---|---|---|
//! | [`affine`] | `z[o] = Σ_i w[o][i]·x[i] + b[o]`, one sample | i ascending from 0, then `+ b` | 8 outputs (independent chains; 4 on a Cortex-M) |
//! | [`affine_batch`] | the same for blocks of [`BLOCK`] samples | same | [`ROWS`] outputs × 16 samples (more outputs for blocks of 4 or 8) over a transposed input panel, each weight read in place |
//! | [`input_gradient_batch`] | `dx[s][i] = Σ_o w[o][i]·dz[s][o]` | o ascending from 0 | [`ROWS`] samples × 16 inputs |
//! | [`weight_gradient_batch`] | `g[o][i] += dz[s][o]·x[s][i]`, `gb[o] += dz[s][o]` | sample by sample, batch order | [`ROWS`] outputs × 16 inputs (one sample on a Cortex-M: 16 inputs in registers, every row) |
//! | [`weight_gradient_batch_skipping_zero_dz`] | the same, without the terms of zero `dz[s][o]` | same | one output × `ROWS`·16 inputs, over the samples marked for that output; used by `Dense` where [`SKIP_ZERO_DZ`] |
//!
//! Multiplies and adds are separate operations (Rust never fuses them), so the order fixes the
//! bits.
//!
//! # Memory (stack)
//! [`affine_batch`] keeps a transposed panel of the inputs, `S::BYTES · I · NB` bytes with
//! NB ∈ {4, 8, 16} (50,176 bytes for I = 784 and 16 samples); it is only used for two or more
//! samples.
//! [`input_gradient_batch`] keeps a `S::BYTES · O · ROWS` panel of dz, and
//! [`weight_gradient_batch_skipping_zero_dz`] one `u32` sample mask per output (`4 · O` bytes).
//! The other kernels use only their register tiles.

use crate::Scalar;

/// Samples processed together by the batched kernels (the transposed-panel width).
pub const BLOCK: usize = 16;

/// Lanes of one accumulator row: 16 adjacent outputs, inputs or samples.
const LANES: usize = 16;

/// Rows of a batched tile with AVX2 or AVX-512 (see the SSE2 / scalar variant).
#[cfg(target_feature = "avx2")]
pub const ROWS: usize = 4;
/// Rows of a batched tile: enough independent accumulators (`ROWS · 16 / lanes per register`)
/// to hide the add latency — 2 with SSE2 or a scalar FPU, 4 with AVX2. It only changes how many
/// chains run side by side, never the order within a chain, so every choice gives the same bits.
///
/// AVX-512 keeps 4: built with `-C target-cpu=znver5` (rustc 1.95), 8 rows — or 4 rows of 32
/// lanes — made LLVM vectorise the tiles across their rows and write them back with scatter
/// stores, and the 784-100-10 step ran 10× slower (docs/BENCHMARKS.md, "What limits each").
#[cfg(not(target_feature = "avx2"))]
pub const ROWS: usize = 2;

/// Independent output chains of the single-sample forward kernel: 8 on targets with vector
/// registers to spare, 4 on a scalar FPU (Cortex-M4F: 4 accumulators and 4 row pointers fit in
/// registers; 8 spill).
#[cfg(not(target_arch = "arm"))]
const CHAINS: usize = 8;
/// Independent output chains of the single-sample forward kernel (see the other variant).
#[cfg(target_arch = "arm")]
const CHAINS: usize = 4;

/// `z = W·x + b` for one sample; each output summed over i ascending from 0, then `+ b`.
///
/// Off Cortex-M: blocks of 16 outputs, their weights transposed 4 inputs at a time into a small
/// tile so that the 16 sums advance together in vector registers; the remaining outputs (and all
/// of them on a Cortex-M) as 8 (4) independent chains side by side.
#[inline]
pub fn affine<S: Scalar, const I: usize, const O: usize>(
    w: &[[S; I]; O],
    b: &[S; O],
    x: &[S; I],
    z: &mut [S; O],
) {
    #[cfg(not(target_arch = "arm"))]
    {
        let mut rows = w.chunks_exact(LANES);
        let mut zs = z.chunks_exact_mut(LANES);
        let mut bs = b.chunks_exact(LANES);
        for ((rb, zb), bb) in (&mut rows).zip(&mut zs).zip(&mut bs) {
            let mut a = [S::ZERO; LANES];
            wide(rb, x, &mut a);
            for ((z, &a), &bo) in zb.iter_mut().zip(&a).zip(bb) {
                *z = a + bo;
            }
        }
        affine_rows(rows.remainder(), bs.remainder(), x, zs.into_remainder());
    }
    #[cfg(target_arch = "arm")]
    affine_rows(w, b, x, z);
}

/// `a[k] += Σ_i rb[k][i]·x[i]` for 16 rows: 4 inputs at a time, the 16 × 4 weights are copied
/// transposed into a tile, then added input by input (each `a[k]` still sums over i ascending).
#[cfg(any(not(target_arch = "arm"), test))]
#[inline(always)]
fn wide<S: Scalar, const I: usize>(rb: &[[S; I]], x: &[S; I], a: &mut [S; LANES]) {
    let mut xq = x.chunks_exact(4);
    let mut i0 = 0;
    for q in &mut xq {
        let mut t = [[S::ZERO; LANES]; 4];
        for (k, r) in rb.iter().enumerate() {
            if let Some(seg) = r.get(i0..i0 + 4) {
                for (tj, &v) in t.iter_mut().zip(seg) {
                    if let Some(d) = tj.get_mut(k) {
                        *d = v;
                    }
                }
            }
        }
        for (tj, &xj) in t.iter().zip(q) {
            for (a, &wv) in a.iter_mut().zip(tj) {
                *a += wv * xj;
            }
        }
        i0 += 4;
    }
    let tail = xq.remainder();
    for (a, r) in a.iter_mut().zip(rb) {
        for (&wv, &xj) in r.get(i0..).unwrap_or(&[]).iter().zip(tail) {
            *a += wv * xj;
        }
    }
}

/// [`affine`] for any number of rows: `CHAINS` at a time, then one by one.
#[inline(always)]
fn affine_rows<S: Scalar, const I: usize>(w: &[[S; I]], b: &[S], x: &[S; I], z: &mut [S]) {
    let mut rows = w.chunks_exact(CHAINS);
    let mut zs = z.chunks_exact_mut(CHAINS);
    let mut bs = b.chunks_exact(CHAINS);
    for ((rb, zb), bb) in (&mut rows).zip(&mut zs).zip(&mut bs) {
        let mut a = [S::ZERO; CHAINS];
        chains(rb, x, &mut a);
        for ((z, &a), &bo) in zb.iter_mut().zip(&a).zip(bb) {
            *z = a + bo;
        }
    }
    for ((z, r), &bo) in zs
        .into_remainder()
        .iter_mut()
        .zip(rows.remainder())
        .zip(bs.remainder())
    {
        let mut acc = S::ZERO;
        for (&wv, &xi) in r.iter().zip(x) {
            acc += wv * xi;
        }
        *z = acc + bo;
    }
}

/// `a[k] += Σ_i rb[k][i]·x[i]`, the `CHAINS` rows walked in lock-step over i.
#[cfg(not(target_arch = "arm"))]
#[inline(always)]
fn chains<S: Scalar, const I: usize>(rb: &[[S; I]], x: &[S; I], a: &mut [S; CHAINS]) {
    if let [r0, r1, r2, r3, r4, r5, r6, r7] = rb {
        let rows8 = r0
            .iter()
            .zip(r1)
            .zip(r2)
            .zip(r3)
            .zip(r4)
            .zip(r5)
            .zip(r6)
            .zip(r7)
            .zip(x);
        for ((((((((&w0, &w1), &w2), &w3), &w4), &w5), &w6), &w7), &xi) in rows8 {
            let wv = [w0, w1, w2, w3, w4, w5, w6, w7];
            for (a, &wv) in a.iter_mut().zip(&wv) {
                *a += wv * xi;
            }
        }
    }
}

#[cfg(target_arch = "arm")]
use chains4 as chains;

/// Inputs per iteration of [`chains4`]: 28 divides 784 and, measured under QEMU (instruction
/// counts of the 784×100 forward per multiply-add, cut to two decimals: 16 → 2.37, 28 → 2.32
/// (2.33 rounded), 56 → 2.70, where LLVM stops unrolling), shares the loop overhead best.
#[cfg(any(target_arch = "arm", test))]
const DEVICE_STEP: usize = 28;

/// `a[k] += Σ_i rb[k][i]·x[i]` for 4 rows walked in lock-step over i (the Cortex-M4F shape).
#[cfg(any(target_arch = "arm", test))]
#[inline(always)]
fn chains4<S: Scalar, const I: usize>(rb: &[[S; I]], x: &[S; I], a: &mut [S; 4]) {
    if let [r0, r1, r2, r3] = rb {
        // DEVICE_STEP inputs per iteration: each row segment is read behind one pointer with
        // immediate offsets, and the loop overhead is shared by 4·DEVICE_STEP multiply-adds.
        let mut xs = x.chunks_exact(DEVICE_STEP);
        let mut c0 = r0.chunks_exact(DEVICE_STEP);
        let mut c1 = r1.chunks_exact(DEVICE_STEP);
        let mut c2 = r2.chunks_exact(DEVICE_STEP);
        let mut c3 = r3.chunks_exact(DEVICE_STEP);
        for ((((xq, q0), q1), q2), q3) in (&mut xs)
            .zip(&mut c0)
            .zip(&mut c1)
            .zip(&mut c2)
            .zip(&mut c3)
        {
            for ((((&xi, &w0), &w1), &w2), &w3) in xq.iter().zip(q0).zip(q1).zip(q2).zip(q3) {
                let wv = [w0, w1, w2, w3];
                for (a, &wv) in a.iter_mut().zip(&wv) {
                    *a += wv * xi;
                }
            }
        }
        let tails = xs
            .remainder()
            .iter()
            .zip(c0.remainder())
            .zip(c1.remainder());
        for (((&xi, &w0), &w1), (&w2, &w3)) in tails.zip(c2.remainder().iter().zip(c3.remainder()))
        {
            let wv = [w0, w1, w2, w3];
            for (a, &wv) in a.iter_mut().zip(&wv) {
                *a += wv * xi;
            }
        }
    }
}

/// Outputs per tile of [`affine_input_major`] with AVX2: 12 of the 16 256-bit registers hold
/// sums.
#[cfg(all(not(target_arch = "arm"), target_feature = "avx2"))]
const OUT_TILE: usize = 96;
/// Outputs per tile of [`affine_input_major`] off Cortex-M without AVX2: 12 of the 16 SSE2
/// registers hold sums, enough independent adds to hide their latency (784×100 on the host:
/// 16 → 5.2 µs, 32 → 4.1, 48 → 3.8, 56 → 4.4, where the tile spills).
#[cfg(all(not(target_arch = "arm"), not(target_feature = "avx2")))]
const OUT_TILE: usize = 48;
/// Outputs per tile of [`affine_input_major`] on a Cortex-M4F: 16 of its 32 single-precision
/// registers hold sums.
#[cfg(target_arch = "arm")]
const OUT_TILE: usize = 16;

/// `z = W·x + b` for one sample with W stored **input-major**, `wt[i][o]` (the layout of
/// [`TransposedDense`](super::TransposedDense)); each output summed over i ascending from 0, then
/// `+ b` — the order of [`affine`], so the same bits as a [`Dense`](super::Dense) holding Wᵀ.
///
/// Tiles of adjacent outputs (48 with SSE2, 96 with AVX2, 16 on a Cortex-M4F) keep their sums
/// in registers while each input's row segment `wt[i][o0..]` is read behind one pointer: no
/// transposing copy (as [`affine`] needs off Cortex-M) and no per-output row pointers (which
/// limit [`affine`] on a Cortex-M4F). The last `O mod tile` outputs are summed the same way in a
/// shorter tile. Stack: the register tile only.
#[inline]
pub fn affine_input_major<S: Scalar, const I: usize, const O: usize>(
    wt: &[[S; O]; I],
    b: &[S; O],
    x: &[S; I],
    z: &mut [S; O],
) {
    let full = O / OUT_TILE * OUT_TILE;
    let mut o0 = 0;
    while o0 < full {
        let mut a = [S::ZERO; OUT_TILE];
        for (row, &xi) in wt.iter().zip(x) {
            if let Some(seg) = row
                .get(o0..o0 + OUT_TILE)
                .and_then(|s| <&[S; OUT_TILE]>::try_from(s).ok())
            {
                for (p, &wv) in a.iter_mut().zip(seg) {
                    *p += wv * xi;
                }
            }
        }
        if let (Some(zb), Some(bb)) = (z.get_mut(o0..o0 + OUT_TILE), b.get(o0..o0 + OUT_TILE)) {
            for ((z, &a), &bo) in zb.iter_mut().zip(&a).zip(bb) {
                *z = a + bo;
            }
        }
        o0 += OUT_TILE;
    }
    if full < O {
        let mut a = [S::ZERO; OUT_TILE];
        for (row, &xi) in wt.iter().zip(x) {
            for (p, &wv) in a.iter_mut().zip(row.get(full..).unwrap_or(&[])) {
                *p += wv * xi;
            }
        }
        let zt = z.get_mut(full..).unwrap_or(&mut []);
        for ((z, &a), &bo) in zt.iter_mut().zip(&a).zip(b.get(full..).unwrap_or(&[])) {
            *z = a + bo;
        }
    }
}

/// The tiles of [`affine_input_major`] over the nonzero inputs of `x` only, gathered first
/// (`2·I` bytes of stack): the shared tail of the two zero-skipping forwards. A macro, not a
/// function, so that each forward compiles as if written out in place: sharing a function
/// instead cost one or the other speed (see
/// [`affine_input_major_skipping_counted_zeros`]).
macro_rules! gathered_tiles {
    ($wt:expr, $b:expr, $x:expr, $z:expr) => {{
        let (wt, x) = ($wt, $x);
        let mut nonzero = [0u16; I];
        let nonzero = nonzero_indices(x, &mut nonzero);
        input_major_tiles(
            $b,
            $z,
            nonzero.iter().filter_map(|&i| {
                let i = usize::from(i);
                Some((wt.get(i)?, x.get(i)?))
            }),
        );
    }};
}

/// [`affine_input_major`] for inputs that are mostly zero, as a camera's dark pixels are: an
/// input equal to zero (+0 or −0) is skipped. With finite weights the bits are the same: the
/// skipped term w·0 is ±0, a sum started at +0 is never −0 (round to nearest gives −0 only for
/// (−0) + (−0)), and s + (±0) = s for every other s. Only a non-finite weight met by a zero input
/// differs: the plain loop's `∞·0` makes that output NaN, here the term is absent. (Model files
/// with non-finite weights are refused on loading, and a training step that makes any weight
/// non-finite is rejected.)
///
/// The indices of the nonzero inputs are gathered first (`2·I` bytes of stack, one pass over x),
/// then the tiles of [`affine_input_major`] run over those inputs only: a 784×100 forward on an
/// MNIST digit (about 19 % of its pixels nonzero) costs about a quarter of the dense one
/// (`docs/BENCHMARKS.md`). With fewer than a quarter of the inputs zero, and above 65,536 inputs
/// (whose indices do not fit in 16 bits), [`affine_input_major`] runs instead, after one pass
/// counting the zeros.
#[inline]
pub fn affine_input_major_skipping_zeros<S: Scalar, const I: usize, const O: usize>(
    wt: &[[S; O]; I],
    b: &[S; O],
    x: &[S; I],
    z: &mut [S; O],
) {
    // A gathered input costs about a third more than one of the dense tiles (its row found
    // through its index): unless at least a quarter of the inputs are zero, the dense tiles win.
    // Counting first keeps the cost of a dense input to one short pass.
    if I > 1 << 16 || zero_count(x) * 4 < I {
        return affine_input_major(wt, b, x, z);
    }
    gathered_tiles!(wt, b, x, z);
}

/// How many entries of `x` are zero (+0 or −0).
#[inline]
pub(crate) fn zero_count<S: Scalar, const I: usize>(x: &[S; I]) -> usize {
    x.iter().filter(|&&v| v == S::ZERO).count()
}

/// [`affine_input_major_skipping_zeros`] with the number of zero inputs already counted
/// ([`zero_count`]), for a batch whose inputs were counted together.
///
/// It shares the gather and the tiles with [`affine_input_major_skipping_zeros`] through a
/// macro that writes them out in each: the two ways of sharing them as functions that were tried
/// each made one of the two slower — a call of this function with a fresh count cost the
/// Cortex-M4F 720 more instructions for a digit (45,800 against 45,080), and a shared
/// `#[inline(always)]` tail cost the host's batched forward about a tenth of its speed
/// (784-50-10 SGD, 414–418k against 485k samples/s, alternated runs).
#[inline]
pub(crate) fn affine_input_major_skipping_counted_zeros<
    S: Scalar,
    const I: usize,
    const O: usize,
>(
    wt: &[[S; O]; I],
    b: &[S; O],
    x: &[S; I],
    z: &mut [S; O],
    zeros: usize,
) {
    if I > 1 << 16 || zeros * 4 < I {
        return affine_input_major(wt, b, x, z);
    }
    gathered_tiles!(wt, b, x, z);
}

/// The indices of the nonzero entries of `x`, ascending, gathered into `buf`; returns them as a
/// slice of it. Eight entries at a time: a group that is all zero (an image's dark border) is
/// passed over after one test; within the others the compaction is branch-free (a digit's zero
/// and nonzero pixels alternate too irregularly for a branch to be predicted). Indices above
/// 65,535 are not representable: `x` is at most 65,536 long (callers check).
#[inline]
pub(crate) fn nonzero_indices<'b, S: Scalar, const I: usize>(
    x: &[S; I],
    buf: &'b mut [u16; I],
) -> &'b [u16] {
    const GROUP: usize = 8;
    let mut n = 0;
    let mut push = |i: usize, xi: S| {
        // Always write, advance past nonzero inputs only. `i < 2^16`.
        if let Some(slot) = buf.get_mut(n) {
            *slot = i as u16;
        }
        n += usize::from(xi != S::ZERO);
    };
    let mut groups = x.chunks_exact(GROUP);
    for (g, group) in (&mut groups).enumerate() {
        if group.iter().fold(true, |z, &v| z & (v == S::ZERO)) {
            continue;
        }
        for (j, &xi) in group.iter().enumerate() {
            push(g * GROUP + j, xi);
        }
    }
    let tail = I - groups.remainder().len();
    for (j, &xi) in groups.remainder().iter().enumerate() {
        push(tail + j, xi);
    }
    buf.get(..n).unwrap_or(&[])
}

/// The tiles of [`affine_input_major`] over the inputs `rows` yields (each input's weight row
/// and value, in ascending input order). [`affine_input_major`] keeps its own copy of these
/// loops: called through this function with all the inputs, a whole 784-100-10 inference took
/// 7.5 µs instead of 4.4 on the host (the loops compiled differently); the gathered inputs, on
/// the other hand, ran slower written out in place (2.7 µs) than here (1.9).
#[inline]
fn input_major_tiles<'a, S: Scalar + 'a, const O: usize>(
    b: &[S; O],
    z: &mut [S; O],
    rows: impl Iterator<Item = (&'a [S; O], &'a S)> + Clone,
) {
    let full = O / OUT_TILE * OUT_TILE;
    let mut o0 = 0;
    while o0 < full {
        let mut a = [S::ZERO; OUT_TILE];
        for (row, &xi) in rows.clone() {
            if let Some(seg) = row
                .get(o0..o0 + OUT_TILE)
                .and_then(|s| <&[S; OUT_TILE]>::try_from(s).ok())
            {
                for (p, &wv) in a.iter_mut().zip(seg) {
                    *p += wv * xi;
                }
            }
        }
        if let (Some(zb), Some(bb)) = (z.get_mut(o0..o0 + OUT_TILE), b.get(o0..o0 + OUT_TILE)) {
            for ((z, &a), &bo) in zb.iter_mut().zip(&a).zip(bb) {
                *z = a + bo;
            }
        }
        o0 += OUT_TILE;
    }
    if full < O {
        let mut a = [S::ZERO; OUT_TILE];
        for (row, &xi) in rows {
            for (p, &wv) in a.iter_mut().zip(row.get(full..).unwrap_or(&[])) {
                *p += wv * xi;
            }
        }
        let zt = z.get_mut(full..).unwrap_or(&mut []);
        for ((z, &a), &bo) in zt.iter_mut().zip(&a).zip(b.get(full..).unwrap_or(&[])) {
            *z = a + bo;
        }
    }
}

/// Elements of the `∂L/∂z` block that [`TransposedDense`](super::TransposedDense)'s batched
/// backward keeps on the stack when it skips zero inputs: `DZ_SCRATCH / O` samples (at most 32)
/// per block. 8 KiB for f32 off Cortex-M; 2 KiB on a Cortex-M4F, where stack is scarce.
#[cfg(not(target_arch = "arm"))]
pub(crate) const DZ_SCRATCH: usize = 2048;
/// Elements of the `∂L/∂z` block (see the other variant).
#[cfg(target_arch = "arm")]
pub(crate) const DZ_SCRATCH: usize = 512;

/// `g[i][o] += dz[s][o]·x[s][first + i]` for a block of at most 32 samples, s ascending, over the
/// pairs (s, i) whose bit `1 << s` is set in `mask[i]` (the nonzero inputs); clears `mask`. `g`
/// (rows of `O`, one after the other) and `mask` are the weight-gradient rows of inputs
/// `first..` (all of them: `first = 0`). The rows of `dz` are `dz[s·O..(s+1)·O]`.
///
/// Each weight-gradient row receives its samples' terms in sample order, as sample-by-sample
/// accumulation would add them, so the bits are the same; but the row is loaded and stored once
/// per block rather than once per sample: a tile of adjacent outputs (the tiles of
/// [`affine_input_major`]) stays in registers while the row's samples, found one by one from the
/// mask's set bits, are added. An input that is zero in the whole block costs one test.
pub(crate) fn weight_gradient_input_major_masked<S, X, const I: usize, const O: usize>(
    g: &mut [S],
    mask: &mut [u32],
    first: usize,
    xs: &[X],
    dz: &[S],
) where
    S: Scalar,
    X: core::borrow::Borrow<[S; I]>,
{
    if O == 0 {
        return;
    }
    let full = O / OUT_TILE * OUT_TILE;
    for (i, (row, m)) in (first..).zip(g.chunks_exact_mut(O).zip(mask.iter_mut())) {
        let bits = core::mem::take(m);
        if bits == 0 {
            continue;
        }
        // The samples of row i, ascending: (x[s][i], s·O).
        let terms = core::iter::successors(Some(bits), |&b| Some(b & b.wrapping_sub(1)))
            .take_while(|&b| b != 0)
            .filter_map(|b| {
                let s = b.trailing_zeros() as usize;
                Some((*xs.get(s)?.borrow().get(i)?, s * O))
            });
        let mut o0 = 0;
        while o0 < full {
            if let Some(seg) = row
                .get_mut(o0..o0 + OUT_TILE)
                .and_then(|s| <&mut [S; OUT_TILE]>::try_from(s).ok())
            {
                let mut a = *seg;
                for (xi, at) in terms.clone() {
                    if let Some(e) = dz
                        .get(at + o0..at + o0 + OUT_TILE)
                        .and_then(|e| <&[S; OUT_TILE]>::try_from(e).ok())
                    {
                        for (p, &ev) in a.iter_mut().zip(e) {
                            *p += ev * xi;
                        }
                    }
                }
                *seg = a;
            }
            o0 += OUT_TILE;
        }
        if full < O {
            let tail = row.get_mut(full..).unwrap_or(&mut []);
            let mut a = [S::ZERO; OUT_TILE];
            for (p, &v) in a.iter_mut().zip(tail.iter()) {
                *p = v;
            }
            for (xi, at) in terms {
                for (p, &ev) in a.iter_mut().zip(dz.get(at + full..at + O).unwrap_or(&[])) {
                    *p += ev * xi;
                }
            }
            for (v, &p) in tail.iter_mut().zip(&a) {
                *v = p;
            }
        }
    }
}

/// `z[s] = W·x[s] + b` for a batch of samples, bit-identical to [`affine`] per sample.
///
/// Works through the batch in blocks of [`BLOCK`] samples; a block of one sample uses
/// [`affine`].
pub fn affine_batch<S: Scalar, const I: usize, const O: usize>(
    w: &[[S; I]; O],
    b: &[S; O],
    xs: &[[S; I]],
    zs: &mut [[S; O]],
) {
    for (xb, zb) in xs.chunks(BLOCK).zip(zs.chunks_mut(BLOCK)) {
        match xb.len().min(zb.len()) {
            0 => {}
            1 => {
                if let (Some(x), Some(z)) = (xb.first(), zb.first_mut()) {
                    affine(w, b, x, z);
                }
            }
            2..=4 => affine_block::<S, I, O, 4, { block_rows(4) }>(w, b, xb, zb),
            5..=8 => affine_block::<S, I, O, 8, { block_rows(8) }>(w, b, xb, zb),
            _ => affine_block::<S, I, O, 16, { block_rows(16) }>(w, b, xb, zb),
        }
    }
}

/// Output rows of an [`affine_block`] tile of `nb` samples: [`ROWS`] for a full block; off
/// Cortex-M, narrower blocks take more rows (up to 8; `rows · nb` = 16 · [`ROWS`]) so that a short
/// block still has enough independent chains to hide the add latency — with [`ROWS`] rows a block
/// of 4 samples took about half a full block's time (784×100 with SSE2: 46–57 µs against 69–78
/// µs for 16 samples; with 8 rows 28–29 µs). A Cortex-M4F has no registers to spare.
const fn block_rows(nb: usize) -> usize {
    let rows = ROWS * BLOCK / nb;
    if cfg!(target_arch = "arm") || rows < ROWS {
        ROWS
    } else if rows > 8 {
        8
    } else {
        rows
    }
}

/// One block of at most `NB` samples: the inputs are transposed into a panel `xt[i][s]`; then,
/// for each group of `R` outputs, a tile of `R` outputs × `NB` samples is accumulated over i
/// (`R` from [`block_rows`]), each weight `w[o][i]` read where it lies (R rows walked side by
/// side). An earlier version first copied the group's weights into a panel `wp[i][r]`: the copy
/// cost more than it saved (784-100-10 Adam batch 100, `bench_compare`, alternated: 110,700 →
/// 121,000 samples/s portable, 201,800 → 247,500 with AVX2, on dropping it).
#[inline(never)]
fn affine_block<S: Scalar, const I: usize, const O: usize, const NB: usize, const R: usize>(
    w: &[[S; I]; O],
    b: &[S; O],
    xs: &[[S; I]],
    zs: &mut [[S; O]],
) {
    let mut xt = [[S::ZERO; NB]; I];
    for (s, x) in xs.iter().take(NB).enumerate() {
        for (row, &v) in xt.iter_mut().zip(x) {
            if let Some(slot) = row.get_mut(s) {
                *slot = v;
            }
        }
    }
    let mut rows = w.chunks_exact(R);
    let mut bs = b.chunks_exact(R);
    let mut o = 0;
    for (rb, bb) in (&mut rows).zip(&mut bs) {
        let Ok(rb) = <&[[S; I]; R]>::try_from(rb) else {
            continue;
        };
        let mut acc = [[S::ZERO; NB]; R];
        for (i, xr) in xt.iter().enumerate() {
            for (a, row) in acc.iter_mut().zip(rb) {
                // In bounds (i < I): no panic path, and no check left after optimisation.
                let wv = row.get(i).copied().unwrap_or(S::ZERO);
                for (p, &xv) in a.iter_mut().zip(xr) {
                    *p += wv * xv;
                }
            }
        }
        for (s, z) in zs.iter_mut().enumerate() {
            if let Some(z) = z.get_mut(o..o + R) {
                for ((z, a), &bo) in z.iter_mut().zip(&acc).zip(bb) {
                    if let Some(&v) = a.get(s) {
                        *z = v + bo;
                    }
                }
            }
        }
        o += R;
    }
    for (w0, &b0) in rows.remainder().iter().zip(bs.remainder()) {
        let mut a0 = [S::ZERO; NB];
        for (&u0, xr) in w0.iter().zip(&xt) {
            for (p0, &xv) in a0.iter_mut().zip(xr) {
                *p0 += u0 * xv;
            }
        }
        for (z, &p0) in zs.iter_mut().zip(&a0) {
            if let Some(z) = z.get_mut(o) {
                *z = p0 + b0;
            }
        }
        o += 1;
    }
}

/// `dx[s] = Wᵀ·dz[s]` for a batch; each `dx[s][i]` summed over o ascending from 0.
///
/// Tiles of [`ROWS`] samples × 16 inputs: each weight row segment `w[o][i..i+16]` is loaded once
/// and used for all the samples of the tile (their `dz[s][o]` gathered into a panel first).
pub fn input_gradient_batch<S: Scalar, const I: usize, const O: usize>(
    w: &[[S; I]; O],
    dz: &[[S; O]],
    dx: &mut [[S; I]],
) {
    let n = dz.len().min(dx.len());
    let (dz, dx) = (
        dz.get(..n).unwrap_or(&[]),
        dx.get_mut(..n).unwrap_or(&mut []),
    );
    let full = I / LANES * LANES;
    let mut dzp = dz.chunks_exact(ROWS);
    let mut dxp = dx.chunks_exact_mut(ROWS);
    for (dzs, dxs) in (&mut dzp).zip(&mut dxp) {
        // dzt[o][r] = dz[s + r][o]
        let mut dzt = [[S::ZERO; ROWS]; O];
        for (r, d) in dzs.iter().enumerate() {
            for (p, &v) in dzt.iter_mut().zip(d) {
                if let Some(slot) = p.get_mut(r) {
                    *slot = v;
                }
            }
        }
        let mut i0 = 0;
        while i0 < full {
            let mut acc = [[S::ZERO; LANES]; ROWS];
            for (row, e) in w.iter().zip(&dzt) {
                if let Some(seg) = lanes::<S>(row, i0) {
                    for (a, &ev) in acc.iter_mut().zip(e) {
                        for (p, &wv) in a.iter_mut().zip(seg) {
                            *p += wv * ev;
                        }
                    }
                }
            }
            for (x, a) in dxs.iter_mut().zip(&acc) {
                store(x, i0, a);
            }
            i0 += LANES;
        }
    }
    for (d0, x0) in dzp.remainder().iter().zip(dxp.into_remainder()) {
        let mut i0 = 0;
        while i0 < full {
            let mut a0 = [S::ZERO; LANES];
            for (row, &e0) in w.iter().zip(d0) {
                if let Some(seg) = lanes::<S>(row, i0) {
                    for (p0, &wv) in a0.iter_mut().zip(seg) {
                        *p0 += wv * e0;
                    }
                }
            }
            store(x0, i0, &a0);
            i0 += LANES;
        }
    }
    // Remaining inputs (I mod 16), same order.
    if full < I {
        for (d, x) in dz.iter().zip(dx.iter_mut()) {
            let tail = x.get_mut(full..).unwrap_or(&mut []);
            tail.fill(S::ZERO);
            for (row, &e) in w.iter().zip(d) {
                for (xv, &wv) in tail.iter_mut().zip(row.get(full..).unwrap_or(&[])) {
                    *xv += wv * e;
                }
            }
        }
    }
}

/// `g[o][i] += dz[s][o]·x[s][i]` and `gb[o] += dz[s][o]` for s in batch order.
///
/// Tiles of [`ROWS`] outputs × 16 inputs of the gradient are held in registers while the samples
/// are added one after the other, so each gradient entry sees exactly the plain loop's sequence
/// of adds.
pub fn weight_gradient_batch<S: Scalar, const I: usize, const O: usize>(
    g: &mut [[S; I]; O],
    gb: &mut [S; O],
    dz: &[[S; O]],
    xs: &[[S; I]],
) {
    let (dz, xs) = paired(dz, xs);
    #[cfg(target_arch = "arm")]
    if let ([d], [x]) = (dz, xs) {
        weight_gradient_one(g, gb, d, x);
        return;
    }
    for d in dz {
        for (b, &e) in gb.iter_mut().zip(d) {
            *b += e;
        }
    }
    let full = I / LANES * LANES;
    let mut rows = g.chunks_exact_mut(ROWS);
    let mut o = 0;
    for rb in &mut rows {
        let mut i0 = 0;
        while i0 < full {
            let mut acc = [[S::ZERO; LANES]; ROWS];
            for (a, row) in acc.iter_mut().zip(rb.iter()) {
                *a = load(row, i0);
            }
            for (d, x) in dz.iter().zip(xs) {
                let e = d
                    .get(o..o + ROWS)
                    .and_then(|e| <&[S; ROWS]>::try_from(e).ok());
                if let (Some(e), Some(seg)) = (e, lanes::<S>(x, i0)) {
                    for (a, &ev) in acc.iter_mut().zip(e) {
                        for (p, &xv) in a.iter_mut().zip(seg) {
                            *p += ev * xv;
                        }
                    }
                }
            }
            for (row, a) in rb.iter_mut().zip(&acc) {
                store(row, i0, a);
            }
            i0 += LANES;
        }
        if full < I {
            for (d, x) in dz.iter().zip(xs) {
                let xt = x.get(full..).unwrap_or(&[]);
                for (row, &e) in rb.iter_mut().zip(d.get(o..).unwrap_or(&[])) {
                    for (p, &xv) in row.get_mut(full..).unwrap_or(&mut []).iter_mut().zip(xt) {
                        *p += e * xv;
                    }
                }
            }
        }
        o += ROWS;
    }
    for g0 in rows.into_remainder() {
        for (d, x) in dz.iter().zip(xs) {
            if let Some(&e0) = d.get(o) {
                for (p, &xv) in g0.iter_mut().zip(x) {
                    *p += e0 * xv;
                }
            }
        }
        o += 1;
    }
}

/// Width of a [`weight_gradient_batch_skipping_zero_dz`] tile: `ROWS · 16` inputs of one
/// gradient row, as many accumulators as a [`weight_gradient_batch`] tile.
const ROW_TILE: usize = ROWS * LANES;

/// Samples marked at a time per gradient row by [`weight_gradient_batch_skipping_zero_dz`] (the
/// bits of a `u32`).
const SKIP_BLOCK: usize = 32;

/// Whether [`Dense`](super::Dense) hands a block of samples with at least a quarter of its dz
/// zero to [`weight_gradient_batch_skipping_zero_dz`]: on targets without AVX2. On this
/// project's x86-64 machine (ReLU layers on MNIST, 20–50 % of a block's dz zero) it made the
/// 784-100-10 and 784-50-10 `Dense` training steps 5–9 % faster with SSE2, and 1–4 % slower with
/// AVX2, whose 4-row tiles share each loaded x segment among four rows (docs/BENCHMARKS.md).
pub const SKIP_ZERO_DZ: bool = cfg!(not(target_feature = "avx2"));

/// [`weight_gradient_batch`] without the terms whose `dz[s][o]` is ±0 — the outputs a ReLU
/// switched off (20–50 % of them in the first layer of a 784-100-10 network training on MNIST).
///
/// For up to 32 samples at a time, each gradient row o gets a bit mask of the samples with
/// `dz[s][o] ≠ 0`; then, for each tile of `ROWS · 16` inputs and each row in turn, the row's
/// tile is held in registers while the marked samples' terms are added in sample order. A
/// skipped term is `±0 · x[s][i] = ±0` when `x[s][i]` is finite, and adding ±0 changes no entry
/// except −0 (−0 + +0 = +0); an entry that started at +0 is never −0 (x + y = −0 only when both
/// are −0). So the result is
/// [`weight_gradient_batch`]'s, bit for bit, when **`g` has no −0 entry** — true of a gradient
/// zeroed with +0 and only accumulated since, as every trainer here keeps it. If any `x[s][i]`
/// is NaN or ±∞ (where `0 · x` is NaN) the whole batch goes through [`weight_gradient_batch`].
///
/// It loads an x segment per row where [`weight_gradient_batch`] shares one among `ROWS` rows, so
/// [`Dense`](super::Dense) calls it only where that pays ([`SKIP_ZERO_DZ`]) and when at least a
/// quarter of a block's dz are zero.
pub fn weight_gradient_batch_skipping_zero_dz<S: Scalar, const I: usize, const O: usize>(
    g: &mut [[S; I]; O],
    gb: &mut [S; O],
    dz: &[[S; O]],
    xs: &[[S; I]],
) {
    let (dz, xs) = paired(dz, xs);
    if !xs.iter().flatten().all(|v| v.is_finite()) {
        weight_gradient_batch(g, gb, dz, xs);
        return;
    }
    for d in dz {
        for (b, &e) in gb.iter_mut().zip(d) {
            *b += e;
        }
    }
    let full = I / ROW_TILE * ROW_TILE;
    for (dzc, xc) in dz.chunks(SKIP_BLOCK).zip(xs.chunks(SKIP_BLOCK)) {
        // Bit s of `masks[o]`: dz[s][o] ≠ 0.
        let mut masks = [0u32; O];
        for (s, d) in dzc.iter().enumerate() {
            for (m, &e) in masks.iter_mut().zip(d) {
                if e != S::ZERO {
                    *m |= 1 << s;
                }
            }
        }
        // Tiles of inputs outermost: their x segments stay in L1 while every row takes its terms.
        let mut i0 = 0;
        while i0 < full {
            for (o, (row, &mask)) in g.iter_mut().zip(&masks).enumerate() {
                let tile = row
                    .get_mut(i0..i0 + ROW_TILE)
                    .and_then(|t| <&mut [S; ROW_TILE]>::try_from(t).ok());
                let Some(tile) = tile else {
                    continue;
                };
                let mut acc = *tile;
                for s in marked(mask) {
                    let e = dzc.get(s).and_then(|d| d.get(o));
                    let seg = xc
                        .get(s)
                        .and_then(|x| x.get(i0..i0 + ROW_TILE))
                        .and_then(|v| <&[S; ROW_TILE]>::try_from(v).ok());
                    if let (Some(&e), Some(seg)) = (e, seg) {
                        for (p, &xv) in acc.iter_mut().zip(seg) {
                            *p += e * xv;
                        }
                    }
                }
                *tile = acc;
            }
            i0 += ROW_TILE;
        }
        if full < I {
            for (o, (row, &mask)) in g.iter_mut().zip(&masks).enumerate() {
                let tail = row.get_mut(full..).unwrap_or(&mut []);
                for s in marked(mask) {
                    let e = dzc.get(s).and_then(|d| d.get(o));
                    let seg = xc.get(s).and_then(|x| x.get(full..));
                    if let (Some(&e), Some(seg)) = (e, seg) {
                        for (p, &xv) in tail.iter_mut().zip(seg) {
                            *p += e * xv;
                        }
                    }
                }
            }
        }
    }
}

/// The samples both slices hold: their first `min(a.len(), b.len())` elements.
#[inline]
fn paired<'a, A, B>(a: &'a [A], b: &'a [B]) -> (&'a [A], &'a [B]) {
    let n = a.len().min(b.len());
    (a.get(..n).unwrap_or(&[]), b.get(..n).unwrap_or(&[]))
}

/// The positions of the set bits of `mask`, lowest first.
#[inline]
fn marked(mut mask: u32) -> impl Iterator<Item = usize> {
    core::iter::from_fn(move || {
        (mask != 0).then(|| {
            let s = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            s
        })
    })
}

/// One sample's `g[o][i] += dz[o]·x[i]`, `gb[o] += dz[o]` on a scalar FPU: 16 inputs are held in
/// registers while every gradient row's 16-entry segment (one base pointer, immediate offsets)
/// is updated. Each entry receives one add, as in the plain loop.
#[cfg(any(target_arch = "arm", test))]
fn weight_gradient_one<S: Scalar, const I: usize, const O: usize>(
    g: &mut [[S; I]; O],
    gb: &mut [S; O],
    dz: &[S; O],
    x: &[S; I],
) {
    for (b, &e) in gb.iter_mut().zip(dz) {
        *b += e;
    }
    let mut segs = x.chunks_exact(LANES);
    let mut i0 = 0;
    for seg in &mut segs {
        let xs: [S; LANES] = seg.try_into().unwrap_or([S::ZERO; LANES]);
        for (row, &e) in g.iter_mut().zip(dz) {
            if let Some(dst) = row.get_mut(i0..i0 + LANES) {
                for (p, &xv) in dst.iter_mut().zip(&xs) {
                    *p += e * xv;
                }
            }
        }
        i0 += LANES;
    }
    let tail = segs.remainder();
    for (row, &e) in g.iter_mut().zip(dz) {
        for (p, &xv) in row.get_mut(i0..).unwrap_or(&mut []).iter_mut().zip(tail) {
            *p += e * xv;
        }
    }
}

/// Plain SGD from one sample's outer-product gradient, in place, without forming the gradient:
/// `w[r][c] ← w[r][c] − η·(0 + a[r]·b[c])` for every row r, the rows with `a[r] = 0` skipped.
///
/// These are the bits of adding `a[r]·b[c]` to a gradient buffer that starts at +0 (what
/// [`weight_gradient_batch`] does for one sample) and then applying
/// [`Sgd`](crate::optim::Sgd), `w ← w − η·g` (IEEE multiplication is commutative, so
/// [`Dense`](super::Dense) passes (dz, x) and an input-major layer (x, dz)). A skipped row is
/// left as that update leaves it: its gradient is +0 + (±0) = +0, and w − η·(+0) = w for every
/// w, −0 included, whenever η is not −0 (for η = −0 no row is skipped). For `Dense` the skipped
/// rows are the outputs with dz = 0 (ReLU units that are off); for an input-major layer the
/// zero inputs (about four in five of an MNIST digit's pixels).
///
/// The rows to update are gathered first (`2·R` bytes of stack, the branch-free gather of the
/// zero-skipping forward): testing every row instead mispredicts on a digit's irregular zeros
/// (784-100-10 online SGD on MNIST: 213k samples/s row by row, 245k gathered).
pub fn sgd_outer<S: Scalar, const R: usize, const C: usize>(
    w: &mut [[S; C]; R],
    a: &[S; R],
    b: &[S; C],
    lr: S,
) {
    // 1/η > 0 holds for η = +0 and every positive η, not for η = −0.
    if R <= 1 << 16 && S::ONE / lr > S::ZERO {
        let mut buf = [0u16; R];
        for &r in nonzero_indices(a, &mut buf) {
            let r = usize::from(r);
            if let (Some(row), Some(&ar)) = (w.get_mut(r), a.get(r)) {
                sgd_row(row, ar, b, lr);
            }
        }
    } else {
        for (row, &ar) in w.iter_mut().zip(a) {
            sgd_row(row, ar, b, lr);
        }
    }
}

/// `w[c] ← w[c] − η·(0 + a·b[c])` for every c: one row of [`sgd_outer`].
#[inline]
pub fn sgd_row<S: Scalar>(w: &mut [S], a: S, b: &[S], lr: S) {
    for (w, &bc) in w.iter_mut().zip(b) {
        *w -= lr * (S::ZERO + a * bc);
    }
}

/// `b[o] ← b[o] − η·(0 + d[o])`: plain SGD on a bias from one sample's gradient d, with the
/// bits of a gradient buffer started at +0 (see [`sgd_outer`]).
#[inline]
pub fn sgd_bias<S: Scalar>(b: &mut [S], d: &[S], lr: S) {
    for (b, &d) in b.iter_mut().zip(d) {
        *b -= lr * (S::ZERO + d);
    }
}

/// `row[i0..i0 + 16]` as an array reference (`None` past the end).
#[inline(always)]
fn lanes<S>(row: &[S], i0: usize) -> Option<&[S; LANES]> {
    row.get(i0..i0 + LANES).and_then(|s| s.try_into().ok())
}

/// `row[i0..i0 + 16]` copied into a tile row (zeros past the end).
#[inline(always)]
fn load<S: Scalar>(row: &[S], i0: usize) -> [S; LANES] {
    lanes(row, i0).copied().unwrap_or([S::ZERO; LANES])
}

/// Writes a tile row to `row[i0..i0 + 16]` (nothing past the end).
#[inline(always)]
fn store<S: Scalar>(row: &mut [S], i0: usize, v: &[S; LANES]) {
    if let Some(dst) = row.get_mut(i0..i0 + LANES) {
        dst.copy_from_slice(v);
    }
}

/// The plain loops that define the canonical order (reference for the tests and benches).
#[cfg(test)]
pub(crate) mod reference {
    use crate::Scalar;

    pub fn affine<S: Scalar, const I: usize, const O: usize>(
        w: &[[S; I]; O],
        b: &[S; O],
        x: &[S; I],
        z: &mut [S; O],
    ) {
        for ((z, w), &b) in z.iter_mut().zip(w).zip(b) {
            let mut acc = S::ZERO;
            for (&w, &x) in w.iter().zip(x) {
                acc += w * x;
            }
            *z = acc + b;
        }
    }

    pub fn input_gradient<S: Scalar, const I: usize, const O: usize>(
        w: &[[S; I]; O],
        dz: &[S; O],
        dx: &mut [S; I],
    ) {
        dx.fill(S::ZERO);
        for (w, &d) in w.iter().zip(dz) {
            for (dx, &w) in dx.iter_mut().zip(w) {
                *dx += w * d;
            }
        }
    }

    pub fn weight_gradient<S: Scalar, const I: usize, const O: usize>(
        g: &mut [[S; I]; O],
        gb: &mut [S; O],
        dz: &[S; O],
        x: &[S; I],
    ) {
        for ((gw, gb), &d) in g.iter_mut().zip(gb.iter_mut()).zip(dz) {
            *gb += d;
            for (g, &x) in gw.iter_mut().zip(x) {
                *g += d * x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::boxed::Box;
    use std::vec::Vec;

    fn fill<S: Scalar>(v: &mut [S], seed: u64) {
        let mut r = crate::Rng::seed(seed);
        for x in v {
            *x = r.uniform_in(-S::ONE, S::ONE);
        }
    }

    fn bits_eq(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
    }

    /// All kernels against the plain loops, bit for bit, for `n` samples.
    fn check<const I: usize, const O: usize>(n: usize, seed: u64) {
        let mut w: Box<[[f32; I]; O]> = Box::new([[0.0; I]; O]);
        fill(w.as_flattened_mut(), seed);
        let mut b = [0.0f32; O];
        fill(&mut b, seed + 1);
        let mut xs = std::vec![[0.0f32; I]; n];
        fill(xs.as_flattened_mut(), seed + 2);
        let mut dz = std::vec![[0.0f32; O]; n];
        fill(dz.as_flattened_mut(), seed + 3);

        // Forward.
        let mut z_ref = std::vec![[0.0f32; O]; n];
        for (x, z) in xs.iter().zip(&mut z_ref) {
            reference::affine(&w, &b, x, z);
        }
        let mut z = std::vec![[0.0f32; O]; n];
        affine_batch(&w, &b, &xs, &mut z);
        assert!(
            bits_eq(z.as_flattened(), z_ref.as_flattened()),
            "forward {I}x{O} n={n}"
        );
        for (x, zr) in xs.iter().zip(&z_ref) {
            let mut z1 = [0.0f32; O];
            affine(&w, &b, x, &mut z1);
            assert!(bits_eq(&z1, zr), "single forward {I}x{O}");
        }

        // Input gradient.
        let mut dx_ref = std::vec![[0.0f32; I]; n];
        for (d, dx) in dz.iter().zip(&mut dx_ref) {
            reference::input_gradient(&w, d, dx);
        }
        let mut dx = std::vec![[7.0f32; I]; n];
        input_gradient_batch(&w, &dz, &mut dx);
        assert!(
            bits_eq(dx.as_flattened(), dx_ref.as_flattened()),
            "dx {I}x{O} n={n}"
        );

        // Weight gradient, accumulated onto a non-zero gradient.
        let mut g0: Box<[[f32; I]; O]> = Box::new([[0.0; I]; O]);
        fill(g0.as_flattened_mut(), seed + 4);
        let mut gb0 = [0.0f32; O];
        fill(&mut gb0, seed + 5);
        let ((g, gb), (g_ref, gb_ref)) =
            weight_gradients(weight_gradient_batch, &g0, gb0, &dz, &xs);
        assert!(
            bits_eq(g.as_flattened(), g_ref.as_flattened()),
            "dW {I}x{O} n={n}"
        );
        assert!(bits_eq(&gb, &gb_ref), "db {I}x{O} n={n}");
    }

    /// A weight gradient and its bias gradient.
    type Gradients<const I: usize, const O: usize> = (Box<[[f32; I]; O]>, [f32; O]);

    /// A weight-gradient kernel: `(g, gb, dz, xs)`.
    type WeightKernel<const I: usize, const O: usize> =
        fn(&mut [[f32; I]; O], &mut [f32; O], &[[f32; O]], &[[f32; I]]);

    /// `kernel` and the plain loops, each adding the batch's terms to a copy of `g0`, `gb0`:
    /// `((kernel's g, gb), (plain g, gb))`.
    fn weight_gradients<const I: usize, const O: usize>(
        kernel: WeightKernel<I, O>,
        g0: &[[f32; I]; O],
        gb0: [f32; O],
        dz: &[[f32; O]],
        xs: &[[f32; I]],
    ) -> (Gradients<I, O>, Gradients<I, O>) {
        let (mut g, mut gb): Gradients<I, O> = (Box::new(*g0), gb0);
        let (mut g_ref, mut gb_ref): Gradients<I, O> = (Box::new(*g0), gb0);
        for (d, x) in dz.iter().zip(xs) {
            reference::weight_gradient(&mut g_ref, &mut gb_ref, d, x);
        }
        kernel(&mut g, &mut gb, dz, xs);
        ((g, gb), (g_ref, gb_ref))
    }

    /// [`weight_gradient_batch_skipping_zero_dz`] against the plain loops (every term added),
    /// with half the dz ±0, some inputs ±0 and a gradient holding +0 entries (never −0).
    fn check_skipping<const I: usize, const O: usize>(n: usize, seed: u64) {
        let mut r = crate::Rng::seed(seed);
        let mut xs = std::vec![[0.0f32; I]; n];
        for v in xs.as_flattened_mut() {
            *v = match r.uniform_in(0.0f32, 1.0) {
                u if u < 0.1 => 0.0,
                u if u < 0.2 => -0.0,
                _ => r.uniform_in(-1.0, 1.0),
            };
        }
        let mut dz = std::vec![[0.0f32; O]; n];
        for v in dz.as_flattened_mut() {
            *v = match r.uniform_in(0.0f32, 1.0) {
                u if u < 0.3 => 0.0,
                u if u < 0.5 => -0.0,
                _ => r.uniform_in(-1.0, 1.0),
            };
        }
        let mut g0: Box<[[f32; I]; O]> = Box::new([[0.0; I]; O]);
        for v in g0.as_flattened_mut() {
            *v = if r.uniform_in(0.0f32, 1.0) < 0.3 {
                0.0
            } else {
                r.uniform_in(-1.0, 1.0)
            };
        }
        let skipping = weight_gradient_batch_skipping_zero_dz::<f32, I, O>;
        let ((g, gb), (g_ref, gb_ref)) = weight_gradients(skipping, &g0, [0.25; O], &dz, &xs);
        assert!(
            bits_eq(g.as_flattened(), g_ref.as_flattened()),
            "dW skipping {I}x{O} n={n}"
        );
        assert!(bits_eq(&gb, &gb_ref), "db skipping {I}x{O} n={n}");

        // A non-finite input: 0·∞ is NaN, so nothing may be skipped.
        if let Some(x) = xs.last_mut() {
            x[I / 2] = f32::INFINITY;
        }
        let ((g, _), (g_ref, _)) = weight_gradients(skipping, &g0, [0.25; O], &dz, &xs);
        let same = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
        };
        assert!(
            same(g.as_flattened(), g_ref.as_flattened()),
            "dW skipping, infinite input, {I}x{O} n={n}"
        );
        assert!(
            g_ref.as_flattened().iter().any(|v| v.is_nan()),
            "the infinite input makes some plain-loop entry NaN"
        );
    }

    #[test]
    fn skipping_zero_dz_has_the_bits_of_every_term() {
        for n in [1, 2, 3, 16, 17, 33, 40] {
            check_skipping::<7, 13>(n, n as u64);
            check_skipping::<100, 10>(n, 50 + n as u64);
            check_skipping::<33, 17>(n, 90 + n as u64);
        }
        check_skipping::<784, 100>(16, 7);
    }

    /// The Cortex-M4F-only kernel shapes, run on the host.
    fn check_device_shapes<const I: usize, const O: usize>(seed: u64) {
        let mut w: Box<[[f32; I]; O]> = Box::new([[0.0; I]; O]);
        fill(w.as_flattened_mut(), seed);
        let mut x = [0.0f32; I];
        fill(&mut x, seed + 1);
        let mut dz = [0.0f32; O];
        fill(&mut dz, seed + 2);
        for (k, rb) in w.chunks_exact(4).enumerate() {
            let mut a = [0.0f32; 4];
            chains4(rb, &x, &mut a);
            for (r, (&a, row)) in a.iter().zip(rb).enumerate() {
                let mut acc = 0.0f32;
                for (&wv, &xv) in row.iter().zip(&x) {
                    acc += wv * xv;
                }
                assert_eq!(a.to_bits(), acc.to_bits(), "row {}", 4 * k + r);
            }
        }
        let mut g_ref: Box<[[f32; I]; O]> = Box::new([[0.0; I]; O]);
        fill(g_ref.as_flattened_mut(), seed + 3);
        let mut gb_ref = [0.5f32; O];
        let mut g = g_ref.clone();
        let mut gb = gb_ref;
        reference::weight_gradient(&mut g_ref, &mut gb_ref, &dz, &x);
        weight_gradient_one(&mut g, &mut gb, &dz, &x);
        assert!(bits_eq(g.as_flattened(), g_ref.as_flattened()));
        assert!(bits_eq(&gb, &gb_ref));
    }

    #[test]
    fn device_shapes_are_bit_identical() {
        check_device_shapes::<7, 13>(1);
        check_device_shapes::<784, 100>(2);
        check_device_shapes::<100, 10>(3);
        check_device_shapes::<33, 17>(4);
    }

    #[test]
    fn bit_identical_to_plain_loops_at_odd_sizes() {
        for n in [1, 2, 3, 5, 16, 17, 33] {
            check::<7, 13>(n, n as u64);
            check::<13, 7>(n, 10 + n as u64);
            check::<100, 10>(n, 20 + n as u64);
            check::<33, 17>(n, 30 + n as u64);
        }
        for n in [1, 3, 32] {
            check::<784, 100>(n, 40 + n as u64);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn bit_identical_random_batches(n in 1usize..40, seed in 0u64..1000) {
            check::<19, 11>(n, seed);
            check::<100, 10>(n, seed);
        }

        #[test]
        fn bit_identical_with_extreme_values(vals in proptest::collection::vec(
            prop_oneof![Just(0.0f32), Just(-0.0), Just(1e30), Just(-1e-30), -1e3f32..1e3], 7 * 5 + 3 * 7)) {
            // Values that overflow or cancel: still the same bits as the plain loops.
            let mut w = [[0.0f32; 7]; 5];
            for (d, s) in w.as_flattened_mut().iter_mut().zip(&vals) { *d = *s; }
            let xs: Vec<[f32; 7]> = vals[35..].chunks_exact(7).map(|c| c.try_into().unwrap()).collect();
            let b = [0.5f32; 5];
            let mut z = std::vec![[0.0f32; 5]; xs.len()];
            affine_batch(&w, &b, &xs, &mut z);
            for (x, z) in xs.iter().zip(&z) {
                let mut r = [0.0f32; 5];
                reference::affine(&w, &b, x, &mut r);
                prop_assert!(bits_eq(z, &r) || z.iter().zip(&r).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())));
            }
        }
    }
}
