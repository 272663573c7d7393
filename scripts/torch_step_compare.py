#!/usr/bin/env python3
"""Step-by-step agreement of stacknn's training with PyTorch.

Loads the initial 784-100-10 weights written by
`cargo run --release -p host-harness --example torch_step_compare`, runs the same 200 Adam steps
(lr 1e-3, batches of 32 MNIST training images in file order, pixels / 255, batch-mean
cross-entropy) with torch.optim.Adam, and prints, per tensor, the largest difference from
stacknn's weights after those steps and how far the weights moved.

    bench/.venv/bin/python scripts/torch_step_compare.py [out/torch-compare]
"""
import pathlib
import sys

import numpy as np
import torch
from safetensors.torch import load_file
from mnist_torch import idx

ROOT = pathlib.Path(__file__).resolve().parent.parent
DIR = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out" / "torch-compare"


def main():
    torch.set_num_threads(1)
    data = ROOT / "data" / "mnist"
    x = idx(data / "train-images-idx3-ubyte.gz")[:6400].reshape(-1, 784).astype(np.float32)
    x = torch.from_numpy(x / np.float32(255.0))
    y = torch.from_numpy(idx(data / "train-labels-idx1-ubyte.gz")[:6400].astype(np.int64))
    net = torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
    init = load_file(str(DIR / "init.safetensors"))
    net.load_state_dict(init)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for k in range(200):
        loss = torch.nn.functional.cross_entropy(net(x[32 * k : 32 * k + 32]), y[32 * k : 32 * k + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
    ours = load_file(str(DIR / "after.safetensors"))
    for name, v in net.state_dict().items():
        diff = (v - ours[name]).abs().max().item()
        moved = (v - init[name]).abs().max().item()
        print(f"{name:10} max |torch - stacknn| = {diff:.3e}   max |moved| = {moved:.3e}")


if __name__ == "__main__":
    main()
