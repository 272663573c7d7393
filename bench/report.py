"""Prints the bench/compare table from the JSON lines of the Rust and Python sides.

    python bench/report.py results.jsonl

Rows: the issue-8 workloads. Columns: PyTorch, numpy, each stacknn variant, and the ratios the
issue asks for (stacknn over the faster peer; for batch-1 training over PyTorch; for inference,
PyTorch's latency over stacknn's; parallel, and the same number of independent single-thread
trainings at once, over the same build's single thread).
"""

import json
import sys

ORDER = [
    ("mlp100_adam_b32", "784-100-10 ReLU, Adam, batch 32"),
    ("mlp100_adam_b100", "784-100-10 ReLU, Adam, batch 100"),
    ("mlp50_sgd_b100", "784-50-10 ReLU, SGD 0.1, batch 100"),
    ("mlp1000_sgd_b100", "784-1000-10 ReLU, SGD 0.1, batch 100"),
    ("mlp100_sgd_b1", "784-100-10 ReLU, online SGD, batch 1"),
    ("mlp100s_adam_b32", "784-100-10 ReLU, Adam, batch 32, stacknn's first layer input-major skipping zero pixels (`SparseInputDense`; same bits; peers as above)"),
    ("mlp100s_adam_b100", "784-100-10 ReLU, Adam, batch 100, first layer `SparseInputDense` (peers as above)"),
    ("mlp50s_sgd_b100", "784-50-10 ReLU, SGD 0.1, batch 100, first layer `SparseInputDense` (peers as above)"),
    ("mlp1000s_sgd_b100", "784-1000-10 ReLU, SGD 0.1, batch 100, first layer `SparseInputDense` (peers as above)"),
    ("mlp100o_sgd_b1", "784-100-10 ReLU, online SGD, batch 1, stacknn's `OnlineSgd` (updates during the backward pass, no gradient buffer; same bits; peers as above)"),
    ("mlp100so_sgd_b1", "784-100-10 ReLU, online SGD, batch 1, stacknn's `OnlineSgd` with the first layer input-major skipping zero pixels (`SparseInputDense`; same bits; peers as above)"),
    ("mlp100_infer_b1", "784-100-10 inference, batch 1"),
    ("mlp100t_infer_b1", "784-100-10 inference, batch 1, stacknn's first layer input-major (`TransposedDense`; peers as above)"),
    ("mlp100s_infer_b1", "784-100-10 inference, batch 1, stacknn's first layer input-major skipping zero pixels (`SparseInputDense`, the firmware's; peers as above)"),
]
# Rows whose peer figures are another row's (the same computation for PyTorch and numpy).
PEER_ROW = {
    "mlp100s_adam_b32": "mlp100_adam_b32",
    "mlp100s_adam_b100": "mlp100_adam_b100",
    "mlp50s_sgd_b100": "mlp50_sgd_b100",
    "mlp1000s_sgd_b100": "mlp1000_sgd_b100",
    "mlp100t_infer_b1": "mlp100_infer_b1",
    "mlp100s_infer_b1": "mlp100_infer_b1",
    "mlp100o_sgd_b1": "mlp100_sgd_b1",
    "mlp100so_sgd_b1": "mlp100_sgd_b1",
}


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    res = {}
    variants = []
    for r in rows:
        key = r["impl"] if r["impl"] != "stacknn" else "stacknn " + r["variant"]
        # Several rounds: keep the best (highest rate, lowest latency).
        k = (r["workload"], key)
        better = min if r["unit"] == "us/sample" else max
        res[k] = r["value"] if k not in res else better(res[k], r["value"])
        if r["impl"] == "stacknn" and key not in variants:
            variants.append(key)
    singles = [v for v in variants if "thread" not in v]
    header = ["workload", "PyTorch", "numpy"] + variants
    header += [f"{v} / best peer" for v in singles]
    header += [f"{v} / own 1 thread" for v in variants if "thread" in v]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for wl, title in ORDER:
        infer = wl.endswith("infer_b1")
        unit = "µs/sample" if infer else "samples/s"
        torch = res.get((PEER_ROW.get(wl, wl), "torch"))
        numpy = res.get((PEER_ROW.get(wl, wl), "numpy"))
        peers = [p for p in (torch, numpy) if p is not None]
        cells = [f"{title} ({unit})"]
        for v in [torch, numpy] + [res.get((wl, k)) for k in variants]:
            cells.append("—" if v is None else (f"{v:.1f}" if infer else f"{v:,.0f}"))
        for k in singles:
            v = res.get((wl, k))
            if v is None or not peers:
                cells.append("—")
            elif infer:
                # Latency: how many times faster than the faster peer (PyTorch's / stacknn's).
                cells.append(f"{min(peers) / v:.2f}× (PyTorch {torch / v:.2f}×)" if torch else f"{min(peers) / v:.2f}×")
            elif wl.endswith("_b1") and torch:
                cells.append(f"{v / max(peers):.2f}× (PyTorch {v / torch:.1f}×)")
            else:
                cells.append(f"{v / max(peers):.2f}×")
        for k in variants:
            if "thread" not in k:
                continue
            base = k.split(",")[0]
            v, b = res.get((wl, k)), res.get((wl, base))
            cells.append("—" if v is None or b is None else f"{v / b:.2f}×")
        print("| " + " | ".join(cells) + " |")
    if any("independent" in v for v in variants):
        print()
        print("\"…, independent\": as many independent single-thread trainings at once as the "
              "trainer has threads, run by turns with the other two columns: what the machine "
              "gave that many cores during the run.")


if __name__ == "__main__":
    main()
