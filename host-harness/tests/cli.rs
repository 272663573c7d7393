//! Drives the built `stacknn` binary in a temporary directory, on a small synthetic MNIST-shaped
//! data set written as IDX files (so the tests are quick and need no download).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use host_harness::idx::{encode_images, encode_labels};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stacknn"));
    c.env_remove("STACKNN_DATA");
    c
}

/// Class c lights up rows 2c..2c+3 of the image, plus deterministic noise.
fn toy(n: usize, seed: u64) -> (Vec<[u8; 784]>, Vec<u8>) {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let mut px = Vec::new();
    let mut lb = Vec::new();
    for _ in 0..n {
        let c = (next() % 10) as usize;
        let mut p = [0u8; 784];
        for (j, v) in p.iter_mut().enumerate() {
            let row = j / 28;
            *v = if row >= 2 * c + 2 && row < 2 * c + 5 {
                180 + (next() % 70) as u8
            } else {
                (next() % 60) as u8
            };
        }
        px.push(p);
        lb.push(c as u8);
    }
    (px, lb)
}

fn data_dir(root: &Path) -> PathBuf {
    let d = root.join("data");
    std::fs::create_dir_all(&d).unwrap();
    for (stem, n, seed) in [("train", 600, 1), ("t10k", 450, 2)] {
        let (px, lb) = toy(n, seed);
        std::fs::write(
            d.join(format!("{stem}-images-idx3-ubyte")),
            encode_images(&px),
        )
        .unwrap();
        std::fs::write(
            d.join(format!("{stem}-labels-idx1-ubyte")),
            encode_labels(&lb),
        )
        .unwrap();
    }
    d
}

fn run(args: &[&str], dir: &Path) -> Output {
    bin().args(args).current_dir(dir).output().unwrap()
}

fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "status {:?}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "one JSON object: {stdout}"
    );
    serde_json::from_str(&stdout).unwrap()
}

fn train_args<'a>(data: &'a str, out: &'a str, seed: &'a str) -> Vec<&'a str> {
    vec![
        "--json",
        "train",
        "--arch",
        "784-16-10",
        "--epochs",
        "2",
        "--batch",
        "20",
        "--lr",
        "0.01",
        "--seed",
        seed,
        "--data",
        data,
        "--out",
        out,
    ]
}

#[test]
fn train_is_reproducible_and_eval_agrees() {
    let t = tempfile::tempdir().unwrap();
    let data = data_dir(t.path());
    let d = data.to_str().unwrap();
    let a = ok_json(&run(&train_args(d, "a/m.snn", "7"), t.path()));
    let b = ok_json(&run(&train_args(d, "b/m.snn", "7"), t.path()));
    let c = ok_json(&run(&train_args(d, "c/m.snn", "8"), t.path()));
    let bytes = |p: &str| std::fs::read(t.path().join(p)).unwrap();
    assert_eq!(bytes("a/m.snn"), bytes("b/m.snn"), "same seed, same bits");
    assert_ne!(bytes("a/m.snn"), bytes("c/m.snn"));
    assert_eq!(a["epochs"].as_array().unwrap().len(), 2);
    assert_eq!(a["test_accuracy"], b["test_accuracy"]);
    let acc = a["test_accuracy"].as_f64().unwrap();
    assert!(acc > 0.9, "toy problem learned: {acc}");
    assert!(c["test_accuracy"].as_f64().unwrap() > 0.9);
    // The history is beside the model.
    let h: serde_json::Value = serde_json::from_slice(&bytes("a/m.history.json")).unwrap();
    assert_eq!(h["iteration_loss"].as_array().unwrap().len(), 60);

    let e = ok_json(&run(
        &["--json", "eval", "--model", "a/m.snn", "--data", d],
        t.path(),
    ));
    assert_eq!(e["accuracy"], a["test_accuracy"]);
    let conf = e["confusion"].as_array().unwrap();
    assert_eq!(conf.len(), 10);
    let total: u64 = conf
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 450);
    assert_eq!(e["per_class_accuracy"].as_array().unwrap().len(), 10);

    // Plots.
    let p = ok_json(&run(
        &["--json", "plot", "--model", "a/m.snn", "--data", d],
        t.path(),
    ));
    for f in p["files"].as_array().unwrap() {
        let f = t.path().join(f.as_str().unwrap());
        assert_eq!(&std::fs::read(&f).unwrap()[1..4], b"PNG", "{}", f.display());
    }

    // Export for firmware and PyTorch, and import back.
    let x = ok_json(&run(
        &[
            "--json",
            "export",
            "--model",
            "a/m.snn",
            "--out",
            "fw/model.snn",
        ],
        t.path(),
    ));
    assert_eq!(bytes("fw/model.snn"), bytes("a/m.snn"));
    assert!(String::from_utf8(bytes("fw/model.rs"))
        .unwrap()
        .contains("include_bytes!(\"model.snn\")"));
    assert_eq!(x["version"], 1);
    ok_json(&run(
        &[
            "--json",
            "export",
            "--model",
            "a/m.snn",
            "--format",
            "safetensors",
            "--out",
            "m.safetensors",
        ],
        t.path(),
    ));
    ok_json(&run(
        &[
            "--json",
            "import",
            "--safetensors",
            "m.safetensors",
            "--arch",
            "784-16-10",
            "--out",
            "imp.snn",
        ],
        t.path(),
    ));
    assert_eq!(
        bytes("imp.snn"),
        bytes("a/m.snn"),
        "safetensors round trip is exact"
    );
    let bad = run(
        &[
            "import",
            "--safetensors",
            "m.safetensors",
            "--arch",
            "784-50-10",
            "--out",
            "x.snn",
        ],
        t.path(),
    );
    assert_eq!(bad.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&bad.stderr);
    assert!(
        msg.contains("m.safetensors") && msg.contains("shape [16, 784]"),
        "{msg}"
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let data = data_dir(t.path());
    let d = data.to_str().unwrap();
    let check = |args: &[&str], code: i32, want: &str| {
        let out = run(args, t.path());
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    };
    check(
        &["train", "--optimizer", "SDG", "--data", d],
        1,
        "optimizer `SDG`",
    );
    check(
        &["train", "--arch", "784-3-10", "--data", d],
        1,
        "unknown architecture",
    );
    check(
        &["train", "--activation", "relu", "--data", d],
        1,
        "unknown activation",
    );
    check(
        &["train", "--loss", "Sqaure", "--data", d],
        1,
        "unknown loss",
    );
    check(
        &["train", "--data", "/nonexistent/dir"],
        1,
        "/nonexistent/dir",
    );
    check(
        &["train", "--epochs", "2", "--iterations", "3"],
        2,
        "cannot be used with",
    );
    check(
        &["eval", "--model", "missing.snn", "--data", d],
        1,
        "missing.snn",
    );
    // A corrupted model file.
    std::fs::write(t.path().join("junk.snn"), b"SNNM not really a model").unwrap();
    check(&["eval", "--model", "junk.snn", "--data", d], 1, "junk.snn");
    // A corrupted data file names the file.
    std::fs::write(
        data.join("t10k-labels-idx1-ubyte"),
        [0u8, 0, 8, 1, 0, 0, 0, 2, 3, 11],
    )
    .unwrap();
    check(
        &["train", "--arch", "784-10", "--data", d],
        1,
        "t10k-labels-idx1-ubyte: label 11 at index 1",
    );
}

#[test]
fn a_diverging_run_stops_and_keeps_the_last_good_model() {
    let t = tempfile::tempdir().unwrap();
    let data = data_dir(t.path());
    let d = data.to_str().unwrap();
    let out = run(
        &[
            "--json",
            "train",
            "--arch",
            "784-10",
            "--optimizer",
            "SGD",
            "--lr",
            "1e38",
            "--iterations",
            "40",
            "--batch",
            "20",
            "--data",
            d,
            "--out",
            "m.snn",
        ],
        t.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("training stopped"));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["stopped"].as_str().unwrap().contains("not finite"));
    // The saved model is the last good one: it loads (finite weights, valid checksum).
    let e = run(
        &["--json", "eval", "--model", "m.snn", "--data", d],
        t.path(),
    );
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
}

#[test]
fn verify_quick_passes_with_a_table() {
    let out = bin().args(["verify", "--quick"]).output().unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{s}");
    assert!(
        s.contains("max rel error") && s.contains("grad 784-100-10"),
        "{s}"
    );
    assert!(s.contains("checks passed"));
}

#[test]
fn demo_writes_model_plots_and_firmware_assets() {
    let t = tempfile::tempdir().unwrap();
    let data = data_dir(t.path());
    let out = run(
        &[
            "--json",
            "demo",
            "--epochs",
            "1",
            "--out-dir",
            "out",
            "--data",
            data.to_str().unwrap(),
        ],
        t.path(),
    );
    let j = ok_json(&out);
    for key in ["model", "safetensors"] {
        assert!(t.path().join(j[key].as_str().unwrap()).is_file(), "{key}");
    }
    assert_eq!(j["plots"].as_array().unwrap().len(), 3);
    assert!(t.path().join("out/firmware/model.snn").is_file());
}
