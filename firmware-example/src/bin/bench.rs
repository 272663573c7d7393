//! Instruction counts of the dense kernels and of a fine-tuning step on the emulated Cortex-M4F.
//!
//! Run under QEMU with `-icount shift=0` (one instruction per nanosecond of virtual time; the
//! AN386 core clock is 25 MHz, so one SysTick tick = 40 instructions): see `measure.sh`. These
//! are instruction counts, not cycles — QEMU does not model pipeline timing.
//!
//! Built with the `bench` feature, which links against the AN386's whole RAM: the 784×100
//! gradient of the dW kernel alone is 313,600 bytes.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use firmware_example::assets::{MODEL_FILE, STREAM_IMAGES, STREAM_LABELS, TEST_IMAGES};
use firmware_example::board::{Board, SysTick};
use firmware_example::model::{
    self, HeadNet, HeadTrainState, BATCH, CLASSES, HIDDEN, PIXELS, SEED,
};
use firmware_example::report;
use firmware_example::report_line;
use stacknn::activation::Relu;
use stacknn::layer::{Dense, DenseParams, TransposedDense};
use stacknn::math::Libm;
use stacknn::zerocopy::FromZeros;
use stacknn::{Layer, Network};

/// Instructions per SysTick tick under `-icount shift=0` at 25 MHz.
const INSTRUCTIONS_PER_TICK: u32 = 40;

struct Bench<'a> {
    systick: &'a SysTick,
    /// Ticks of an empty measurement (two back-to-back counter reads), subtracted.
    overhead: u32,
}

impl Bench<'_> {
    fn ticks(&self, f: impl FnOnce()) -> u32 {
        let start = self.systick.now();
        f();
        self.systick.ticks_since(start)
    }

    /// Measures `f`, which performs `macs` multiply-adds (0: not a kernel), `per` times.
    fn run(&self, name: &str, macs: u32, per: u32, f: impl FnOnce()) {
        let ticks = self.ticks(f).saturating_sub(self.overhead);
        let instructions = ticks * INSTRUCTIONS_PER_TICK / per;
        if macs > 0 {
            // Rounded to the nearest hundredth (half up), not truncated.
            let per_mac_x100 = ((instructions as u64 * 100 + macs as u64 / 2) / macs as u64) as u32;
            defmt::info!(
                "{=str}: {=u32} instructions, {=u32}.{=u32:02} per multiply-add",
                name,
                instructions,
                per_mac_x100 / 100,
                per_mac_x100 % 100
            );
            report_line!(
                "bench {} instructions={} macs={} per_mac={}.{:02}",
                name,
                instructions,
                macs,
                per_mac_x100 / 100,
                per_mac_x100 % 100
            );
        } else {
            defmt::info!("{=str}: {=u32} instructions", name, instructions);
            report_line!("bench {} instructions={}", name, instructions);
        }
    }
}

type Forward<'a> = (&'a [f32; HIDDEN], &'a [f32; HIDDEN]);

/// Exits with a failure unless `got` (pre-activation, output) has the bits of `want`.
fn same(name: &str, want: Forward, got: Forward) {
    let bits = |v: &[f32; HIDDEN]| v.map(f32::to_bits);
    if bits(want.0) != bits(got.0) || bits(want.1) != bits(got.1) {
        report_line!("bench-mismatch {}", name);
        report::exit(report::EXIT_CHECK_FAILED)
    }
}

#[entry]
fn main() -> ! {
    let Some(board) = Board::take() else {
        report::exit(report::EXIT_CHECK_FAILED)
    };
    let net = model::verified(&MODEL_FILE.0);
    // The deployed 784×100 ReLU layer, in flash, input-major, zero pixels skipped.
    let body = &net.layers.first.0;
    // The same layer output-major, as the host trains it (`Dense`), and input-major without the
    // skipping (`TransposedDense`); in RAM: the bench build links against the AN386's 4 MiB, and
    // QEMU counts instructions, not memory timing.
    let mut dense = Dense::<f32, PIXELS, HIDDEN, Relu>::new_zeroed();
    dense.set_from_transposed(body);
    let dense = black_box(dense);
    let mut plain = TransposedDense::<f32, PIXELS, HIDDEN, Relu>::new_zeroed();
    plain.set_from_dense(&dense);
    let plain = black_box(plain);
    let st = &board.systick;
    let probe = Bench {
        systick: st,
        overhead: 0,
    };
    let b = Bench {
        systick: st,
        overhead: probe.ticks(|| {}),
    };
    report_line!(
        "bench overhead_ticks={} tick_instructions={}",
        b.overhead,
        INSTRUCTIONS_PER_TICK
    );

    let mut x = [0.0f32; PIXELS];
    model::input(&TEST_IMAGES[0], &mut x);
    let x = black_box(x);
    let macs = (PIXELS * HIDDEN) as u32;

    // y = relu(W·x + b): the output-major training layer, then the input-major one, then the
    // deployed one skipping zero pixels, on a test digit (its nonzero pixels reported) and on an
    // input with no zeros (same bits: checked here too).
    let mut z = [0.0f32; HIDDEN];
    let mut h = [0.0f32; HIDDEN];
    b.run("dense784x100_forward", macs, 1, || {
        dense.forward_cached::<Libm>(black_box(&x), &mut z, &mut h)
    });
    black_box(&h);
    let (mut zt, mut ht) = ([0.0f32; HIDDEN], [0.0f32; HIDDEN]);
    b.run("transposed784x100_forward", macs, 1, || {
        plain.forward_cached::<Libm>(black_box(&x), &mut zt, &mut ht)
    });
    same("transposed784x100_forward", (&z, &h), (&zt, &ht));
    let nonzero = x.iter().filter(|&&v| v != 0.0).count() as u32;
    b.run(
        "sparse784x100_forward_digit",
        nonzero * HIDDEN as u32,
        1,
        || body.forward_cached::<Libm>(black_box(&x), &mut zt, &mut ht),
    );
    same("sparse784x100_forward_digit", (&z, &h), (&zt, &ht));
    // No zeros: every input nonzero (the digit's pixels, zeros replaced by 1/255).
    let xd = black_box(x.map(|v| if v == 0.0 { 1.0 / 255.0 } else { v }));
    dense.forward_cached::<Libm>(&xd, &mut z, &mut h);
    b.run("sparse784x100_forward_no_zeros", macs, 1, || {
        body.forward_cached::<Libm>(black_box(&xd), &mut zt, &mut ht)
    });
    same("sparse784x100_forward_no_zeros", (&z, &h), (&zt, &ht));
    dense.forward_cached::<Libm>(&x, &mut z, &mut h);

    // dx = Wᵀ·dz (through the ReLU derivative: 100 more operations).
    let mut dy = [0.0f32; HIDDEN];
    for (i, d) in dy.iter_mut().enumerate() {
        *d = (i as f32 - 50.0) * 1e-3;
    }
    let mut dx = [0.0f32; PIXELS];
    b.run("dense784x100_dx", macs, 1, || {
        dense.backward_input::<Libm>(black_box(&x), &z, &h, black_box(&dy), &mut dx)
    });
    black_box(&dx);

    // dW += dz⊗x and db += dz, no dx.
    let mut grad = DenseParams::<f32, PIXELS, HIDDEN>::new_zeroed();
    b.run("dense784x100_dw", macs, 1, || {
        dense.backward::<Libm>(black_box(&x), &z, &h, black_box(&dy), None, &mut grad)
    });
    black_box(&grad);

    // One full inference: normalise the pixels, 784→100 ReLU, 100→10.
    let mut y = [0.0f32; CLASSES];
    b.run("inference_per_image", 0, 1, || {
        let mut xi = [0.0f32; PIXELS];
        model::input(black_box(&TEST_IMAGES[1]), &mut xi);
        net.forward(&xi, &mut y)
    });
    black_box(&y);

    // A fine-tuning step of the last layer, per sample: the frozen body's features of a batch of
    // BATCH stream images, then the head's Adam step on them (forward, backward, update).
    let mut head: HeadNet = Network::new(net.layers.second);
    let mut state = HeadTrainState::new(SEED);
    let mut feats = [[0.0f32; HIDDEN]; BATCH];
    let labels: [u8; BATCH] = core::array::from_fn(|k| STREAM_LABELS[k]);
    b.run("finetune_step_per_sample", 0, BATCH as u32, || {
        for (f, img) in feats.iter_mut().zip(STREAM_IMAGES) {
            model::features(&net.layers.first, img, f);
        }
        let _ = black_box(model::step(&mut head, &mut state, &feats, &labels));
    });
    // The head's step alone (features already computed), per sample.
    b.run("head_step_per_sample", 0, BATCH as u32, || {
        let _ = black_box(model::step(&mut head, &mut state, &feats, &labels));
    });
    report::exit(report::EXIT_PASS)
}
