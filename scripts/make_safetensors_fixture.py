#!/usr/bin/env python3
"""Writes the PyTorch interoperability fixture of `host-harness/tests/interop.rs`.

A PyTorch `nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10))` with PyTorch's default
initialisation (seed 0), trained for 300 Adam steps (batch 64) on the MNIST training set so that its
logits are not near zero, is saved with `safetensors.torch.save_file` (keys `0.weight` [16, 784],
`0.bias` [16], `2.weight` [10, 16], `2.bias` [10]). Its float32 logits on the first 20 MNIST test
images (pixels / 255, read from data/mnist/t10k-images-idx3-ubyte.gz) are saved in a second file
(`logits` [20, 10], `labels` [20]).

Run from the repository root:
    python3 -m venv bench/.venv && bench/.venv/bin/pip install torch safetensors numpy
    bench/.venv/bin/python scripts/make_safetensors_fixture.py
"""
import pathlib

import numpy as np
import torch
from safetensors.torch import save_file
from mnist_torch import idx

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "host-harness" / "tests" / "data"
N = 20


def main():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10)
    ).float()
    train_x = idx(ROOT / "data" / "mnist" / "train-images-idx3-ubyte.gz")
    train_y = idx(ROOT / "data" / "mnist" / "train-labels-idx1-ubyte.gz")
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for step in range(300):
        xb = train_x[64 * step : 64 * (step + 1)].reshape(-1, 784).astype(np.float32) / np.float32(255.0)
        yb = train_y[64 * step : 64 * (step + 1)].astype(np.int64)
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(xb)), torch.from_numpy(yb))
        opt.zero_grad()
        loss.backward()
        opt.step()
    images = idx(ROOT / "data" / "mnist" / "t10k-images-idx3-ubyte.gz")[:N]
    labels = idx(ROOT / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz")[:N]
    x = torch.from_numpy(images.reshape(N, 784).astype(np.float32) / np.float32(255.0))
    with torch.no_grad():
        logits = net(x)
    OUT.mkdir(parents=True, exist_ok=True)
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(state, str(OUT / "torch_784_16_10.safetensors"), metadata={"torch": torch.__version__})
    save_file(
        {"logits": logits.contiguous(), "labels": torch.from_numpy(labels.astype(np.int64))},
        str(OUT / "torch_784_16_10_logits.safetensors"),
        metadata={"torch": torch.__version__, "images": "MNIST test 0..20, pixels / 255"},
    )
    print("keys:", {k: list(v.shape) for k, v in state.items()})
    print("logits[0]:", logits[0].tolist())
    print("accuracy on the 20 images:", (logits.argmax(1).numpy() == labels).mean())


if __name__ == "__main__":
    main()
