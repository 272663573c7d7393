#!/usr/bin/env python3
"""Reference values for stacknn's activation catalogue, computed without the crate.

Writes core/tests/data/activations_reference.json: for every activation of the catalogue (26
names, some also with non-default parameters) and fixed inputs x and upstream gradients dy, the
forward output y = f(x) and the vector-Jacobian product dx = J_f(x)^T dy, rounded to f64.

Independence from the Rust code:
- every forward is written from its paper's definition in the naive textbook form (no stable
  rewrites) and evaluated in mpmath at 500 significant digits, where overflow and cancellation do
  not occur;
- every derivative is taken NUMERICALLY by mpmath.diff (high-precision finite differences of the
  forward), never from a hand-derived formula; for softmax, softmin and log-softmax the full
  Jacobian is formed entry by entry and multiplied by dy;
- at a kink the one-sided derivative on the side the crate documents as its sub-gradient is
  taken (mpmath.diff with direction=-1 or +1).

Inputs and dy are dyadic rationals, exactly representable in f32, so the same file serves the
f32 comparison.

Usage: python3 scripts/activation_reference.py   (needs mpmath; numpy is not used)
"""

import json
import os
import random

import mpmath as mp

mp.mp.dps = 500

SELU_LAMBDA = mp.mpf("1.0507009873554804934193349852946")
SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")


def sigma(x):
    return 1 / (1 + mp.exp(-x))


# name -> (forward(x, params), default params, kinks(params) -> [(x0, direction)])
# direction -1: left derivative is the documented sub-gradient, +1: right derivative.
ELEMENTWISE = {
    "step": (lambda x, p: mp.mpf(1) if x > 0 else mp.mpf(0), [], lambda p: [(0, -1)]),
    "identity": (lambda x, p: x, [], lambda p: []),
    "bent-identity": (lambda x, p: (mp.sqrt(x * x + 1) - 1) / 2 + x, [], lambda p: []),
    "hard-shrink": (
        lambda x, p: x if abs(x) > p[0] else mp.mpf(0),
        ["0.5"],
        lambda p: [(p[0], -1), (-p[0], +1)],
    ),
    "soft-shrink": (
        lambda x, p: x - p[0] if x > p[0] else (x + p[0] if x < -p[0] else mp.mpf(0)),
        ["0.5"],
        lambda p: [(p[0], -1), (-p[0], +1)],
    ),
    "threshold": (lambda x, p: x if x > p[0] else p[1], ["0", "0"], lambda p: [(p[0], -1)]),
    "sigmoid": (lambda x, p: sigma(x), [], lambda p: []),
    "hard-sigmoid": (
        lambda x, p: min(max(mp.mpf("0.2") * x + mp.mpf("0.5"), 0), 1),
        [],
        lambda p: [(mp.mpf("2.5"), +1), (mp.mpf("-2.5"), -1)],
    ),
    "log-sigmoid": (lambda x, p: mp.log(sigma(x)), [], lambda p: []),
    "tanh": (lambda x, p: mp.tanh(x), [], lambda p: []),
    "tanh-shrink": (lambda x, p: x - mp.tanh(x), [], lambda p: []),
    "hard-tanh": (lambda x, p: min(max(x, -1), 1), [], lambda p: [(1, +1), (-1, -1)]),
    "ReLU": (lambda x, p: max(x, 0), [], lambda p: [(0, -1)]),
    "ReLU6": (lambda x, p: min(max(x, 0), 6), [], lambda p: [(0, -1), (6, +1)]),
    "leaky-ReLU": (lambda x, p: x if x > 0 else p[0] * x, ["0.01"], lambda p: [(0, -1)]),
    "ELU": (lambda x, p: x if x > 0 else p[0] * (mp.exp(x) - 1), ["1"], lambda p: [(0, -1)]),
    "SELU": (
        lambda x, p: SELU_LAMBDA * (x if x > 0 else SELU_ALPHA * (mp.exp(x) - 1)),
        [],
        lambda p: [(0, -1)],
    ),
    "CELU": (
        lambda x, p: x if x >= 0 else p[0] * (mp.exp(x / p[0]) - 1),
        ["1"],
        lambda p: [(0, +1)],
    ),
    "softplus": (lambda x, p: mp.log(1 + mp.exp(x)), [], lambda p: []),
    "softsign": (lambda x, p: x / (1 + abs(x)), [], lambda p: []),
    "Swish": (lambda x, p: x * sigma(p[0] * x), ["1"], lambda p: []),
    "Mish": (lambda x, p: x * mp.tanh(mp.log(1 + mp.exp(x))), [], lambda p: []),
    "tanhExp": (lambda x, p: x * mp.tanh(mp.exp(x)), [], lambda p: []),
}

# Non-default parameter sets exercised as well (all exactly representable in f32 except 0.01).
EXTRA_PARAMS = {
    "hard-shrink": ["0.25"],
    "soft-shrink": ["1.5"],
    "threshold": ["0.75", "-2"],
    "leaky-ReLU": ["0.25"],
    "ELU": ["0.5"],
    "CELU": ["2.5"],
    "Swish": ["1.75"],
}


def softmax(xs):
    m = max(xs)
    e = [mp.exp(v - m) for v in xs]
    s = mp.fsum(e)
    return [v / s for v in e]


VECTOR = {
    "softmax": lambda xs: [mp.exp(v) / mp.fsum(mp.exp(u) for u in xs) for v in xs],
    "softmin": lambda xs: [mp.exp(-v) / mp.fsum(mp.exp(-u) for u in xs) for v in xs],
    "log-softmax": lambda xs: [mp.log(mp.exp(v) / mp.fsum(mp.exp(u) for u in xs)) for v in xs],
}

ORDER = [
    "step", "identity", "bent-identity", "hard-shrink", "soft-shrink", "threshold", "sigmoid",
    "hard-sigmoid", "log-sigmoid", "tanh", "tanh-shrink", "hard-tanh", "ReLU", "ReLU6",
    "leaky-ReLU", "ELU", "SELU", "CELU", "softmax", "softmin", "log-softmax", "softplus",
    "softsign", "Swish", "Mish", "tanhExp",
]
assert len(ORDER) == 26 and set(ORDER) == set(ELEMENTWISE) | set(VECTOR)

# Element-wise inputs: dyadic, f32-exact; include every kink of the default parameters.
XS = [
    -100, -30, -20, -12.5, -7.25, -6, -3.5, -2.5, -2.25, -1.5, -1.25, -1, -0.875, -0.75, -0.5,
    -0.40625, -0.25, -0.125, -0.0625, -0.0078125, -2.0**-20, 0, 2.0**-20, 0.0078125, 0.0625,
    0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 1, 1.25, 1.5, 2, 2.5, 2.75, 3.5, 4.5, 5.75, 6, 6.5, 9,
    15, 30, 100,
]

rng = random.Random(20130218)  # fixed: dy is pseudo-random but reproducible


def dyadic_dy(n):
    out = []
    for _ in range(n):
        k = 0
        while k == 0:
            k = rng.randint(-96, 96)
        out.append(k / 64)
    return out


VECTOR_XS = [
    [1000, -1000, 0],
    [1, 2, 3, 4],
    [-0.5, 0.25, 0.125, -2, 3.5],
    [0, 0, 0],
    [5],
    [80, 88, 90, 95.5],
    [-9.75, 3.25, 7.5, -0.625, 0.0625, 8.875, -4.5, 1.375],
]


def f64(v):
    return float(mp.mpf(v))


def derivative(fun, x, kinks):
    for x0, direction in kinks:
        if x == x0:
            return mp.diff(fun, x, direction=direction)
    return mp.diff(fun, x)


def elementwise_case(name, params):
    fwd, _, kinks_of = ELEMENTWISE[name]
    p = [mp.mpf(v) for v in params]
    kinks = [(mp.mpf(k), d) for k, d in kinks_of(p)]
    xs = [mp.mpf(v) for v in XS]
    # Add the kinks of non-default parameters, so the sub-gradient choice is checked there too.
    for k, _ in kinks:
        if k not in xs:
            xs.append(k)
    dy = dyadic_dy(len(xs))
    ys, dxs = [], []
    for x, d in zip(xs, dy):
        ys.append(f64(fwd(x, p)))
        dxs.append(f64(derivative(lambda t: fwd(t, p), x, kinks) * mp.mpf(d)))
    return {
        "name": name,
        "params": [f64(v) for v in params],
        "x": [f64(v) for v in xs],
        "dy": dy,
        "y": ys,
        "dx": dxs,
    }


def vector_cases(name):
    fun = VECTOR[name]
    cases = []
    for xs in VECTOR_XS:
        x = [mp.mpf(v) for v in xs]
        n = len(x)
        dy = dyadic_dy(n)
        y = fun(x)
        # Full Jacobian J[i][j] = d y_i / d x_j by numerical differentiation, then dx = J^T dy.
        jac = [[None] * n for _ in range(n)]
        for i in range(n):
            for j in range(n):
                order = tuple(1 if k == j else 0 for k in range(n))
                jac[i][j] = mp.diff(lambda *args: fun(list(args))[i], tuple(x), order)
        dx = [mp.fsum(jac[i][j] * mp.mpf(dy[i]) for i in range(n)) for j in range(n)]
        cases.append({
            "name": name,
            "params": [],
            "x": [f64(v) for v in x],
            "dy": dy,
            "y": [f64(v) for v in y],
            "dx": [f64(v) for v in dx],
        })
    return cases


def main():
    cases = []
    for name in ORDER:
        if name in VECTOR:
            cases.extend(vector_cases(name))
        else:
            defaults = ELEMENTWISE[name][1]
            cases.append(elementwise_case(name, defaults))
            if name in EXTRA_PARAMS:
                cases.append(elementwise_case(name, EXTRA_PARAMS[name]))
    out = {
        "generator": "scripts/activation_reference.py (mpmath %s, %d digits)" % (mp.__version__, mp.mp.dps),
        "cases": cases,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "core", "tests", "data", "activations_reference.json")
    with open(path, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")
    print("wrote %d cases to %s" % (len(cases), os.path.normpath(path)))


if __name__ == "__main__":
    main()
