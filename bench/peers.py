"""The PyTorch and numpy side of bench/compare: the issue-8 workloads on MNIST, single thread.

Trains 784-H-10 ReLU MLPs (softmax cross-entropy, batch mean) on the MNIST training set, already
in memory as float32 (pixels / 255), taking minibatches in file order, and prints one JSON object
per line: samples/s for training, microseconds per sample for single-sample inference. Each figure
is the best of --repeats timed runs of at least --seconds each, after a warm-up — the protocol of
the Rust side (host-harness/examples/bench_compare.rs).

    python bench/peers.py --impl torch|numpy [--data data/mnist] [--seconds 1] [--repeats 3]
"""

import argparse
import gzip
import json
import os
import struct
import sys
import time

# One thread everywhere, set before numpy / torch load their BLAS.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402

WORKLOADS = [
    # name, hidden, optimizer, learning rate, batch
    ("mlp100_adam_b32", 100, "adam", 1e-3, 32),
    ("mlp100_adam_b100", 100, "adam", 1e-3, 100),
    ("mlp50_sgd_b100", 50, "sgd", 0.1, 100),
    ("mlp1000_sgd_b100", 1000, "sgd", 0.1, 100),
    ("mlp100_sgd_b1", 100, "sgd", 0.01, 1),
]
# stacknn rows that the peers' figures of another row stand for (the same computation for them).
ALSO_FOR = {
    "mlp100_adam_b32": {"mlp100s_adam_b32"},
    "mlp100_adam_b100": {"mlp100s_adam_b100"},
    "mlp50_sgd_b100": {"mlp50s_sgd_b100"},
    "mlp1000_sgd_b100": {"mlp1000s_sgd_b100"},
    "mlp100_sgd_b1": {"mlp100o_sgd_b1", "mlp100so_sgd_b1"},
    "mlp100_infer_b1": {"mlp100t_infer_b1", "mlp100s_infer_b1"},
}


def wanted(name, only):
    """Whether a peer workload is to run: no `--only`, or it or a row it stands for is listed."""
    return not only or name in only or bool(ALSO_FOR.get(name, set()) & only)


def find(data, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data, name)
        if os.path.exists(path):
            return path
    sys.exit(f"peers.py: {stem} not found in {data}")


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data):
    x = read_idx(find(data, "train-images-idx3-ubyte")).reshape(-1, 784)
    y = read_idx(find(data, "train-labels-idx1-ubyte"))
    return (x.astype(np.float32) / np.float32(255.0)), y.astype(np.int64)


def measure(seconds, repeats, step):
    """Best samples/s of `repeats` runs of at least `seconds`, after a warm-up (the best: on a
    shared machine other processes only ever slow a run down)."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < min(seconds, 0.5):
        step()
    rates = []
    for _ in range(max(repeats, 1)):
        n = 0
        t0 = time.perf_counter()
        while True:
            n += step()
            dt = time.perf_counter() - t0
            if dt >= seconds:
                break
        rates.append(n / dt)
    rates.sort()
    return rates[-1]


def emit(impl, workload, value, unit):
    print(
        json.dumps(
            {
                "impl": impl,
                "variant": "1 thread",
                "workload": workload,
                "threads": 1,
                "value": round(value, 3),
                "unit": unit,
            }
        ),
        flush=True,
    )


def batches(x, y, batch):
    steps = len(x) // batch
    k = 0
    while True:
        i = (k % steps) * batch
        k += 1
        yield x[i : i + batch], y[i : i + batch]


# --------------------------------------------------------------------------------------------
# PyTorch


def run_torch(args, x, y, only):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for name, hidden, opt_name, lr, batch in WORKLOADS:
        if not wanted(name, only):
            continue
        model = torch.nn.Sequential(
            torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
        )
        if opt_name == "adam":
            opt = torch.optim.Adam(model.parameters(), lr=lr)
        else:
            opt = torch.optim.SGD(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        it = batches(xt, yt, batch)

        def step():
            xb, yb = next(it)
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            return batch

        emit("torch", name, measure(args.seconds, args.repeats, step), "samples/s")
    if wanted("mlp100_infer_b1", only):
        model = torch.nn.Sequential(
            torch.nn.Linear(784, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10)
        )
        model.eval()
        k = [0]

        def infer():
            with torch.no_grad():
                for _ in range(100):
                    i = k[0] % len(xt)
                    model(xt[i : i + 1])
                    k[0] += 1
            return 100

        rate = measure(args.seconds, args.repeats, infer)
        emit("torch", "mlp100_infer_b1", 1e6 / rate, "us/sample")


# --------------------------------------------------------------------------------------------
# numpy (hand-written forward, backward, SGD and Adam)


class NumpyMlp:
    def __init__(self, hidden, rng):
        def uniform(shape, fan_in):
            b = 1.0 / np.sqrt(fan_in)
            return rng.uniform(-b, b, shape).astype(np.float32)

        self.params = [
            uniform((hidden, 784), 784),
            uniform((hidden,), 784),
            uniform((10, hidden), hidden),
            uniform((10,), hidden),
        ]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0

    def forward(self, x):
        w1, b1, w2, b2 = self.params
        h = np.maximum(x @ w1.T + b1, 0.0)
        return h @ w2.T + b2

    def grads(self, x, y):
        w1, b1, w2, b2 = self.params
        z1 = x @ w1.T + b1
        h = np.maximum(z1, 0.0)
        logits = h @ w2.T + b2
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        n = len(x)
        loss = -np.log(p[np.arange(n), y]).mean()
        p[np.arange(n), y] -= 1.0
        p /= n
        dw2 = p.T @ h
        db2 = p.sum(axis=0)
        dh = p @ w2
        dh[z1 <= 0.0] = 0.0
        dw1 = dh.T @ x
        db1 = dh.sum(axis=0)
        return loss, [dw1, db1, dw2, db2]

    def sgd(self, g, lr):
        for p, gp in zip(self.params, g):
            p -= np.float32(lr) * gp

    def adam(self, g, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.t += 1
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for p, gp, m, v in zip(self.params, g, self.m, self.v):
            m *= np.float32(b1)
            m += np.float32(1.0 - b1) * gp
            v *= np.float32(b2)
            v += np.float32(1.0 - b2) * gp * gp
            denom = np.sqrt(v / np.float32(c2))
            denom += np.float32(eps)
            p -= np.float32(lr / c1) * m / denom


def run_numpy(args, x, y, only):
    rng = np.random.default_rng(1)
    for name, hidden, opt_name, lr, batch in WORKLOADS:
        if not wanted(name, only):
            continue
        net = NumpyMlp(hidden, rng)
        it = batches(x, y, batch)

        def step():
            xb, yb = next(it)
            _, g = net.grads(xb, yb)
            if opt_name == "adam":
                net.adam(g, lr)
            else:
                net.sgd(g, lr)
            return batch

        emit("numpy", name, measure(args.seconds, args.repeats, step), "samples/s")
    if wanted("mlp100_infer_b1", only):
        net = NumpyMlp(100, rng)
        k = [0]

        def infer():
            for _ in range(100):
                net.forward(x[k[0] % len(x)])
                k[0] += 1
            return 100

        emit("numpy", "mlp100_infer_b1", 1e6 / measure(args.seconds, args.repeats, infer), "us/sample")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--impl", choices=["torch", "numpy"], required=True)
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="", help="comma-separated workload names")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    x, y = load(args.data)
    if args.impl == "torch":
        run_torch(args, x, y, only)
    else:
        run_numpy(args, x, y, only)


if __name__ == "__main__":
    main()
