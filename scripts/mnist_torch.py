"""The committed MNIST (data/mnist, gzip IDX) as PyTorch tensors, for the reference scripts.

    from mnist_torch import load
    xtr, ytr, xte, yte = load()   # images (n, 784) float32 = pixel / 255; labels int64
"""
import gzip
import pathlib

import numpy as np
import torch

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "mnist"


def idx(path):
    """One IDX file as a numpy array (header: 2 zero bytes, type, rank, big-endian dims)."""
    raw = gzip.open(path).read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def load():
    """Train images, train labels, test images, test labels."""
    def images(name):
        return torch.from_numpy(idx(DATA / name).reshape(-1, 784).astype(np.float32) / 255)

    def labels(name):
        return torch.from_numpy(idx(DATA / name).astype(np.int64))

    return (
        images("train-images-idx3-ubyte.gz"),
        labels("train-labels-idx1-ubyte.gz"),
        images("t10k-images-idx3-ubyte.gz"),
        labels("t10k-labels-idx1-ubyte.gz"),
    )
