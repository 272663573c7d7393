//! PyTorch interoperability: a state dict written by PyTorch (`safetensors.torch.save_file`) loads
//! into `--arch 784-16-10` and gives PyTorch's logits on MNIST test images.
//!
//! The fixture is made by `scripts/make_safetensors_fixture.py` (see `tests/data/README.md`).
//! Tolerance: |ours − torch| ≤ 1e-5 · max(|torch|, 1) per logit (float32; PyTorch's matrix
//! product sums in a different order than the core's fixed ascending order).

use std::path::Path;

use host_harness::idx::{self, Split};
use host_harness::interop;
use host_harness::model;
use safetensors::SafeTensors;
use stacknn::activation::ActivationKind;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

#[test]
fn pytorch_state_dict_gives_pytorch_logits() {
    let mut m = model::build("784-16-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
    interop::import_file(&mut *m, &data("torch_784_16_10.safetensors")).unwrap();

    let bytes = std::fs::read(data("torch_784_16_10_logits.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let logits = st.tensor("logits").unwrap();
    assert_eq!(logits.shape(), &[20, 10]);
    let torch: Vec<f32> = logits
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let labels: Vec<i64> = st
        .tensor("labels")
        .unwrap()
        .data()
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect();

    let test = idx::load(&idx::default_data_dir(), Split::Test).unwrap();
    let mut worst = 0.0f32;
    for i in 0..20 {
        assert_eq!(
            test.labels[i] as i64, labels[i],
            "same images as the script"
        );
        let y = m.forward(&idx::image_f32(&test.pixels[i]));
        for k in 0..10 {
            let t = torch[10 * i + k];
            worst = worst.max((y[k] - t).abs() / t.abs().max(1.0));
        }
        // Same predicted class.
        let torch_pred = stacknn::network::argmax(&torch[10 * i..10 * i + 10]);
        assert_eq!(stacknn::network::argmax(&y), torch_pred, "image {i}");
    }
    assert!(worst <= 1e-5, "max relative logit error {worst:e}");
    // The logits are not trivially small (the fixture model is trained).
    assert!(torch.iter().any(|v| v.abs() > 3.0));
}

#[test]
fn wrong_architecture_is_a_shape_error() {
    let mut m = model::build("784-50-10", ActivationKind::Relu, ActivationKind::Identity).unwrap();
    let e = interop::import_file(&mut *m, &data("torch_784_16_10.safetensors")).unwrap_err();
    assert!(matches!(e, interop::InteropError::Shape { .. }), "{e}");
    assert!(e.to_string().contains("torch_784_16_10.safetensors"), "{e}");
}
