//! `firmware-example/` built for the Cortex-M4F and run in QEMU (`mps2-an386`), its report checked
//! against the host running the same core code.
//!
//! Needs, once per machine (the tests install nothing and fail naming what is missing):
//! `rustup target add thumbv7em-none-eabihf`,
//! `apt-get install -y --no-install-recommends qemu-system-arm`,
//! `cargo install defmt-print --locked` (to decode the defmt log).
//!
//! The firmware is built once per test binary (`cargo build --release --bins` in
//! `firmware-example/`, its own target directory). Each binary runs in QEMU under a timeout: a
//! hang fails the test. The firmware writes machine-readable lines to semihosting stderr
//! (format in `firmware-example/README.md`) and defmt frames to stdout.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use stacknn::activation::{Identity, Relu};
use stacknn::layer::{Chain, Dense};
use stacknn::loss::SoftmaxCrossEntropy;
use stacknn::math::Libm;
use stacknn::optim::Adam;
use stacknn::{Error, Layer, Network, TrainState};

type Mlp = Chain<Dense<f32, 784, 100, Relu>, Dense<f32, 100, 10, Identity>>;
type Head = Dense<f32, 100, 10, Identity>;

const TARGET: &str = "thumbv7em-none-eabihf";
const SETUP: &str = "rustup target add thumbv7em-none-eabihf && \
     apt-get install -y --no-install-recommends qemu-system-arm && \
     cargo install defmt-print --locked";
/// Exit codes of the firmware (`firmware-example/src/report.rs`).
const EXIT_PASS: i32 = 0;
const EXIT_MODEL_REFUSED: i32 = 2;
/// The flash region of the declared part (`memory.x`): 1 MiB from 0.
const FLASH_END: usize = 0x0010_0000;

fn firmware_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("firmware-example")
}

fn assets() -> PathBuf {
    firmware_dir().join("assets")
}

fn read_asset(name: &str) -> Vec<u8> {
    let p = assets().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

fn images(name: &str) -> Vec<[f32; 784]> {
    let bytes = read_asset(name);
    assert_eq!(bytes.len() % 784, 0, "{name}: not whole images");
    bytes
        .chunks_exact(784)
        .map(|c| {
            let mut x = [0.0f32; 784];
            for (x, &p) in x.iter_mut().zip(c) {
                *x = p as f32 / 255.0; // the firmware's (and host harness's) normalisation
            }
            x
        })
        .collect()
}

/// The model file, loaded on the host with the same core and backend as the firmware — but as
/// the output-major `Dense` network the host trains (the firmware stores its first layer
/// input-major), so bit-for-bit agreement also shows the two layouts compute the same bits.
fn host_model() -> Box<Network<f32, Mlp, Libm>> {
    host_harness::firmware::host_model(&read_asset("model.snn")).expect("a valid model.snn")
}

fn require_tools() {
    let mut missing = Vec::new();
    if Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        missing
            .push("qemu-system-arm (apt-get install -y --no-install-recommends qemu-system-arm)");
    }
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if !sysroot.is_some_and(|s| s.join("lib/rustlib").join(TARGET).is_dir()) {
        missing.push("the thumbv7em-none-eabihf target (rustup target add thumbv7em-none-eabihf)");
    }
    assert!(
        missing.is_empty(),
        "firmware tests need: {}. Set up with: {SETUP}",
        missing.join("; ")
    );
}

/// Builds every firmware binary once; returns the directory holding the ELF files.
fn built() -> &'static Path {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| {
        require_tools();
        let dir = firmware_dir();
        let target_dir = dir.join("target");
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--bins", "--target-dir"])
            .arg(&target_dir)
            .current_dir(&dir)
            // Host settings must not leak into the cross build (RUSTFLAGS would replace the
            // firmware's link arguments from its .cargo/config.toml).
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .env_remove("CARGO_BUILD_TARGET")
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .map_err(|e| format!("running cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "building firmware-example failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(target_dir.join(TARGET).join("release"))
    })
    .as_ref()
    .map(PathBuf::as_path)
    .unwrap_or_else(|e| panic!("{e}"))
}

struct Run {
    elf: PathBuf,
    code: i32,
    /// defmt frames.
    stdout: Vec<u8>,
    /// The report lines.
    stderr: String,
}

impl Run {
    /// Report lines starting with `key `, split into words after the key.
    fn lines<'a>(&'a self, key: &'a str) -> impl Iterator<Item = Vec<&'a str>> + 'a {
        self.stderr.lines().filter_map(move |l| {
            let rest = l.strip_prefix(key)?.strip_prefix(' ')?;
            Some(rest.split_whitespace().collect())
        })
    }

    /// The single report line starting with `key`.
    fn line<'a>(&'a self, key: &'a str) -> Vec<&'a str> {
        let mut all: Vec<_> = self.lines(key).collect();
        assert_eq!(
            all.len(),
            1,
            "one `{key}` line expected in:\n{}",
            self.stderr
        );
        all.pop().unwrap_or_default()
    }

    /// `key=value` from the line starting with `line`.
    fn field(&self, line: &str, key: &str) -> usize {
        let words = self.line(line);
        words
            .iter()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("no {key}= in `{line}` line: {words:?}"))
    }

    /// `(correct, total)` from a line `key correct total`.
    fn score(&self, key: &str) -> (usize, usize) {
        let w = self.line(key);
        (w[0].parse().unwrap(), w[1].parse().unwrap())
    }

    /// The defmt log, decoded by `defmt-print`.
    fn defmt_log(&self) -> String {
        let child = Command::new("defmt-print")
            .arg("-e")
            .arg(&self.elf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = child.unwrap_or_else(|e| {
            panic!("defmt-print is needed to decode the firmware's log ({e}): cargo install defmt-print --locked")
        });
        child.stdin.take().unwrap().write_all(&self.stdout).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Runs a firmware binary in QEMU; a run longer than `timeout` is killed and fails the test.
fn run(bin: &str, timeout: Duration) -> Run {
    run_elf(&built().join(bin), &[], timeout)
}

fn run_elf(elf: &Path, qemu_args: &[&str], timeout: Duration) -> Run {
    let bin = elf
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let elf = elf.to_path_buf();
    let mut child = Command::new("qemu-system-arm")
        .args(["-machine", "mps2-an386", "-cpu", "cortex-m4"])
        .args(["-display", "none", "-serial", "none", "-monitor", "none"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .args(qemu_args)
        .arg("-kernel")
        .arg(&elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting qemu-system-arm");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("waiting for qemu") {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{bin} did not finish within {timeout:?} in QEMU (hang?); report so far:\n{}",
                t_err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        elf,
        code: status.code().expect("qemu killed by a signal"),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

fn hex_f32(w: &str) -> f32 {
    f32::from_bits(u32::from_str_radix(w, 16).unwrap_or_else(|e| panic!("{w}: {e}")))
}

#[test]
fn inference_matches_host_bit_for_bit() {
    // QEMU traces the FPGAIO LEDs to stderr, next to the report.
    let r = run_elf(
        &built().join("infer"),
        &["-trace", "led_change_intensity"],
        Duration::from_secs(60),
    );
    assert_eq!(r.code, EXIT_PASS, "report:\n{}", r.stderr);
    // Weights used in place, in flash: the network's address lies in the flash region.
    let addr = r.line("model-ok")[1].trim_start_matches("addr=0x");
    assert!(usize::from_str_radix(addr, 16).unwrap() < FLASH_END);

    let net = host_model();
    let xs = images("test-images.u8");
    let labels = read_asset("test-labels.u8");
    assert!(xs.len() >= 200);
    let lines: Vec<_> = r.lines("logits").collect();
    assert_eq!(lines.len(), xs.len(), "one logits line per image");
    let mut host_correct = 0;
    for (i, ((x, &label), w)) in xs.iter().zip(&labels).zip(&lines).enumerate() {
        assert_eq!(w[0].parse::<usize>().unwrap(), i);
        assert_eq!(w[1].parse::<u8>().unwrap(), label);
        let mut y = [0.0f32; 10];
        net.forward(x, &mut y);
        let device: Vec<u32> = w[3..].iter().map(|h| hex_f32(h).to_bits()).collect();
        let host: Vec<u32> = y.iter().map(|v| v.to_bits()).collect();
        assert_eq!(
            device, host,
            "image {i}: device logits differ from the host's"
        );
        let class = net.predict(x);
        assert_eq!(w[2].parse::<usize>().unwrap(), class, "image {i}: class");
        host_correct += usize::from(class == label as usize);
    }
    assert_eq!(r.score("accuracy"), (host_correct, xs.len()));

    // LED 0 (an `OutputPin`) showed each predicted class's parity: QEMU saw it change exactly
    // when the parity changed (after the two changes of reset and `Board::take`).
    let mut lit = false;
    let mut changes = 0;
    for x in &xs {
        let odd = net.predict(x) % 2 == 1;
        changes += usize::from(odd != lit);
        lit = odd;
    }
    let led0: Vec<_> = r
        .stderr
        .lines()
        .filter(|l| l.contains("'USERLED0'"))
        .collect();
    assert_eq!(
        led0.len(),
        2 + changes,
        "LED 0 changes:\n{}",
        led0.join("\n")
    );
    assert_eq!(led0.last().unwrap().ends_with("-> 100%"), lit);
    assert!(
        host_correct * 100 >= 95 * xs.len(),
        "accuracy {host_correct}/{}",
        xs.len()
    );

    // Inference RAM (statics + stack high-water) within 8 KiB; the 318 KB model is not in RAM.
    let total = r.field("ram", "total");
    assert!(total <= 8 * 1024, "inference RAM {total} B");
    assert_eq!(
        total,
        r.field("ram", "bss") + r.field("ram", "data") + r.field("ram", "stack")
    );

    let log = r.defmt_log();
    assert!(
        log.contains(&format!(
            "accuracy on 200 MNIST test images: {host_correct}/200"
        )),
        "defmt log:\n{log}"
    );
}

#[test]
fn corrupt_model_is_refused() {
    let r = run("corrupt_model", Duration::from_secs(60));
    assert_eq!(r.code, EXIT_MODEL_REFUSED, "report:\n{}", r.stderr);
    let line = r.line("model-refused").join(" ");
    assert!(line.contains("checksum mismatch"), "{line}");
    assert_eq!(r.lines("model-ok").count(), 0);
    assert!(r.defmt_log().contains("model refused: ChecksumMismatch"));
}

/// Replays the device's fine-tuning on the host with the core (same data, order, batch size,
/// optimizer and backend) and compares every step's loss, the accuracies and the final weights
/// bit for bit.
#[test]
fn fine_tuning_improves_held_out_accuracy_and_matches_host() {
    let r = run("finetune", Duration::from_secs(120));
    assert_eq!(r.code, EXIT_PASS, "report:\n{}", r.stderr);
    let batch = r.field("config", "batch");
    let epochs = r.field("config", "epochs");
    let seed = r.field("config", "seed") as u64;
    let lr_word = r.line("config")[2].trim_start_matches("lr=").to_string();
    let lr = hex_f32(&lr_word);

    let net = host_model();
    let feats = |name: &str| -> Vec<[f32; 100]> {
        images(name)
            .iter()
            .map(|x| {
                let mut h = [0.0f32; 100];
                net.layers.first.forward::<Libm>(x, &mut h);
                h
            })
            .collect()
    };
    let (sx, sl) = (feats("stream-images.u8"), read_asset("stream-labels.u8"));
    let (hx, hl) = (feats("heldout-images.u8"), read_asset("heldout-labels.u8"));
    let (tx, tl) = (feats("test-images.u8"), read_asset("test-labels.u8"));
    let correct = |head: &Network<f32, Head, Libm>, x: &[[f32; 100]], l: &[u8]| {
        x.iter()
            .zip(l)
            .filter(|(x, &l)| head.predict(x) == l as usize)
            .count()
    };

    let mut head = Network::<f32, Head, Libm>::new(net.layers.second);
    assert_eq!(
        r.score("heldout-before"),
        (correct(&head, &hx, &hl), hx.len())
    );
    assert_eq!(r.score("test-before"), (correct(&head, &tx, &tl), tx.len()));

    let mut state = TrainState::<f32, Head, Adam<f32>>::new(seed);
    let steps: Vec<_> = r.lines("step").collect();
    let mut k = 0;
    for epoch in 0..epochs {
        for (b, (x, t)) in sx.chunks(batch).zip(sl.chunks(batch)).enumerate() {
            let loss = state
                .step(&mut head, &Adam::new(lr), &SoftmaxCrossEntropy, x, t)
                .unwrap();
            let w = &steps[k];
            assert_eq!((w[0], w[1]), (&*epoch.to_string(), &*b.to_string()));
            assert_eq!(
                hex_f32(w[2]).to_bits(),
                loss.to_bits(),
                "epoch {epoch} batch {b}: device loss {} host loss {loss}",
                hex_f32(w[2])
            );
            k += 1;
        }
    }
    assert_eq!(k, steps.len(), "step count");

    // The device's refused step: a NaN feature in the last batch.
    let rejected = r.line("rejected");
    assert_eq!(rejected[0], "unchanged=true", "{rejected:?}");
    let mut glitch: Vec<[f32; 100]> = sx[sx.len() - batch..].to_vec();
    glitch[0][0] = f32::NAN;
    let before = head.layers;
    let err = state
        .step(
            &mut head,
            &Adam::new(lr),
            &SoftmaxCrossEntropy,
            &glitch,
            &sl[sl.len() - batch..],
        )
        .unwrap_err();
    assert!(matches!(
        err,
        Error::NonFiniteLoss | Error::NonFiniteGradient
    ));
    assert_eq!(rejected[1..].join(" "), err.to_string());
    assert!(head
        .layers
        .weight
        .as_flattened()
        .iter()
        .zip(before.weight.as_flattened())
        .all(|(a, b)| a.to_bits() == b.to_bits()));

    // Every trained weight, bit for bit.
    let rows: Vec<_> = r.lines("head").collect();
    assert_eq!(rows.len(), 10);
    for (o, w) in rows.iter().enumerate() {
        assert_eq!(w[0], o.to_string());
        let device: Vec<u32> = w[1..].iter().map(|h| hex_f32(h).to_bits()).collect();
        let mut host: Vec<u32> = head.layers.weight[o].iter().map(|v| v.to_bits()).collect();
        host.push(head.layers.bias[o].to_bits());
        assert_eq!(device, host, "head row {o}");
    }

    // The improvement is real: held-out accuracy on the inverted sensor, same set before and after.
    let (before, n) = r.score("heldout-before");
    let (after, _) = r.score("heldout-after");
    assert_eq!(after, correct(&head, &hx, &hl));
    assert_eq!(r.score("test-after").0, correct(&head, &tx, &tl));
    assert!(before * 100 <= 20 * n, "before {before}/{n}");
    assert!(after * 100 >= 70 * n, "after {after}/{n}");

    // RAM: the trainable part fits its compile-time budget; the whole program 32 KiB.
    let t = r.line("trainable-ram");
    let (trainable, budget): (usize, usize) = (t[0].parse().unwrap(), t[1].parse().unwrap());
    assert_eq!(
        trainable,
        std::mem::size_of::<Network<f32, Head, Libm>>()
            + std::mem::size_of::<TrainState<f32, Head, Adam<f32>>>()
            + batch * (4 * 100 + 1)
    );
    assert!(trainable <= budget);
    let total = r.field("ram", "total");
    assert!(total <= 32 * 1024, "fine-tuning RAM {total} B");

    // Loss per step in the defmt log, as the host computes it.
    let log = r.defmt_log();
    let first = hex_f32(steps[0][2]);
    assert!(
        log.contains(&format!("epoch 0 batch 0 loss {first}")),
        "defmt log lacks the first step's loss {first}:\n{}",
        &log[..log.len().min(2000)]
    );
    assert_eq!(log.matches(" loss ").count(), steps.len());
}

#[test]
fn hardfault_and_panic_exit_with_failure_instead_of_hanging() {
    let r = run("fault_hardfault", Duration::from_secs(30));
    assert_eq!(r.code, 3, "HardFault exit code; report:\n{}", r.stderr);
    assert_eq!(r.lines("hardfault").count(), 1);
    assert!(r.defmt_log().contains("HardFault at pc"));

    let r = run("fault_panic", Duration::from_secs(30));
    assert_eq!(r.code, 4, "panic exit code; report:\n{}", r.stderr);
    let line = r.line("panic").join(" ");
    assert!(line.contains("fault_panic.rs"), "{}", r.stderr);
    assert!(r.stderr.contains("index out of bounds"), "{}", r.stderr);
    assert!(r.defmt_log().contains("index out of bounds"));
}

/// The measurement tool of `measure.sh`: the `bench` build runs under `-icount shift=0` and gives
/// the same instruction counts twice; the counts are plausible for an M4F (at least one
/// instruction per multiply-add: there is no SIMD f32 on it).
#[test]
fn bench_counts_instructions_deterministically() {
    let dir = firmware_dir();
    let target_dir = dir.join("target");
    require_tools();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "build",
            "--release",
            "--features",
            "bench",
            "--bin",
            "bench",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(&dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("running cargo");
    assert!(
        out.status.success(),
        "building the bench failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let elf = target_dir.join(TARGET).join("release").join("bench");
    let counts = || {
        let r = run_elf(&elf, &["-icount", "shift=0"], Duration::from_secs(60));
        assert_eq!(r.code, EXIT_PASS, "report:\n{}", r.stderr);
        r.lines("bench")
            .filter(|w| w.len() > 1 && w[1].starts_with("instructions="))
            .map(|w| {
                let n: u64 = w[1].strip_prefix("instructions=").unwrap().parse().unwrap();
                (w[0].to_string(), n)
            })
            .collect::<Vec<_>>()
    };
    let a = counts();
    assert_eq!(a, counts(), "instruction counts must be deterministic");
    let get = |name: &str| {
        a.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} in {a:?}"))
            .1
    };
    for k in [
        "dense784x100_forward",
        "transposed784x100_forward",
        "sparse784x100_forward_no_zeros",
        "dense784x100_dx",
        "dense784x100_dw",
    ] {
        let per_mac = get(k) as f64 / 78_400.0;
        assert!(
            (1.0..10.0).contains(&per_mac),
            "{k}: {per_mac} instructions per multiply-add"
        );
    }
    // Skipping a digit's zero pixels (about four in five) must save most of the dense forward,
    // and a whole inference on a digit then costs less than the dense layer alone.
    assert!(get("sparse784x100_forward_digit") * 2 < get("transposed784x100_forward"));
    assert!(get("inference_per_image") < get("transposed784x100_forward"));
    assert!(get("inference_per_image") > get("sparse784x100_forward_digit") / 2);
    assert!(get("finetune_step_per_sample") > get("head_step_per_sample"));
}
