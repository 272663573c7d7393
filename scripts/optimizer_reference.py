#!/usr/bin/env python3
"""Reference trajectories for the 17 optimizers of `stacknn::optim` (GitHub issue 5).

Writes core/tests/data/optimizers.json, read by core/tests/optimizers.rs.

Each optimizer is implemented here independently, in float64 numpy, from its paper (the
citations are on each class), without importing or reading the Rust crate. Where PyTorch (or
the AdaBound authors' `adabound` package) implements the same algorithm, the same runs are
repeated with it and must agree to 1e-12 relative, or this script fails; the agreement is
recorded in the JSON (`torch` field of each case).

Two runs per case, both from fixed data stored in the JSON:
  * `fixed`: 5 parameters, 8 steps, a fixed gradient sequence and a fixed loss sequence (the
    loss only matters to Eve);
  * `quadratic`: 5 parameters, 25 steps on f(θ) = ½ Σ aᵢ (θᵢ − cᵢ)², the optimizer seeing the
    real gradient aᵢ(θᵢ − cᵢ) and loss at the current θ.

Santa needs Gaussian draws. The `noise-off` cases set them to zero (the deterministic limit).
The `seed-42` cases reproduce the crate's generator bit for bit (xoshiro256++ seeded by
SplitMix64, Box–Muller, draws in parameter order: ζ₀ at t = 1 then ζₜ), which is part of the
crate's documented behaviour, not of its code.

Usage:  bench/.venv/bin/python scripts/optimizer_reference.py  [--no-torch]
"""

import json
import math
import os
import sys

import numpy as np

P = 5
FIXED_STEPS = 8
QUAD_STEPS = 25

THETA0 = np.array([2.5, -3.25, 4.0, -2.75, 3.5])
# Fixed gradients: g[t][i] = sin(1.3 (t + 1) + 0.7 i) · (1 + 0.5 i), rounded to 6 decimals so
# that the JSON holds them exactly as written.
GRADS = np.array([[round(math.sin(1.3 * (t + 1) + 0.7 * i) * (1 + 0.5 * i), 6) for i in range(P)]
                  for t in range(FIXED_STEPS)])
# Fixed positive losses, rising and falling (both branches of Eve's feedback).
LOSSES = np.array([1.0, 0.8, 0.9, 0.5, 0.55, 0.3, 0.35, 0.2])

QA = np.array([1.0, 2.0, 0.5, 4.0, 0.25])
QC = np.array([2.0, 3.0, 4.0, 2.5, 3.5])
QTHETA0 = np.array([4.0, 5.0, 2.0, 3.5, 6.0])


def quad_loss_grad(theta):
    s = 0.0
    for i in range(P):
        d = theta[i] - QC[i]
        s += QA[i] * d * d
    return 0.5 * s, QA * (theta - QC)


# ---------------------------------------------------------------------------------------------
# The generator: xoshiro256++ (Blackman & Vigna 2018) seeded by SplitMix64, Box–Muller.
M64 = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro:
    def __init__(self, seed):
        x = seed & M64
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & M64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        result = (rotl((s[0] + s[3]) & M64, 23) + s[0]) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * (1.0 / (1 << 53))

    def normal(self):
        u1 = 1.0 - self.uniform()
        if not u1 > 0.0:
            u1 = sys.float_info.epsilon
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


# Check the port against the xoshiro256++ authors' reference output for state [1, 2, 3, 4].
_x = Xoshiro(0)
_x.s = [1, 2, 3, 4]
assert [_x.next() for _ in range(3)] == [41943041, 58720359, 3588806011781223]


# ---------------------------------------------------------------------------------------------
# The optimizers. Each: __init__(**hyper), step(theta, g, t, loss, rng) -> new theta.

class SGD:  # Robbins & Monro 1951
    def __init__(self, lr=0.01):
        self.lr = lr

    def step(self, th, g, t, loss, rng):
        return th - self.lr * g


class MSGD:  # Polyak 1964; Sutskever et al. 2013 eqs. 1-2
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.mu, self.v = lr, momentum, np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.v = self.mu * self.v - self.lr * g
        return th + self.v


class NAG:  # Bengio et al. 2013 eq. 7 (Sutskever et al. 2013 NAG, current gradient only)
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.mu, self.v = lr, momentum, np.zeros(P)

    def step(self, th, g, t, loss, rng):
        v_old = self.v
        self.v = self.mu * v_old - self.lr * g
        # θ + μ·v_new − η·g  (= θ + μ²·v_old − (1 + μ)·η·g)
        return th + (self.mu * self.v - self.lr * g)


class AdaGrad:  # Duchi, Hazan & Singer 2011, diagonal H = δI + diag(G)^½
    def __init__(self, lr=1e-3, eps=1e-10):
        self.lr, self.eps, self.G = lr, eps, np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.G = self.G + g * g
        return th - self.lr * g / (np.sqrt(self.G) + self.eps)


class RMSprop:  # Tieleman & Hinton 2012, lecture 6e
    def __init__(self, lr=0.01, rho=0.9, eps=1e-8):
        self.lr, self.rho, self.eps, self.v = lr, rho, eps, np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.v = self.rho * self.v + (1 - self.rho) * g * g
        return th - self.lr * g / (np.sqrt(self.v) + self.eps)


class AdaDelta:  # Zeiler 2012, Algorithm 1 (lr scales the applied step only)
    def __init__(self, lr=1.0, rho=0.95, eps=1e-6):
        self.lr, self.rho, self.eps = lr, rho, eps
        self.eg, self.ed = np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.eg = self.rho * self.eg + (1 - self.rho) * g * g
        delta = np.sqrt(self.ed + self.eps) / np.sqrt(self.eg + self.eps) * g
        self.ed = self.rho * self.ed + (1 - self.rho) * delta * delta
        return th - self.lr * delta


class Adam:  # Kingma & Ba 2015, Algorithm 1
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.m, self.v = np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1 ** t)
        v_hat = self.v / (1 - self.b2 ** t)
        return th - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class RMSpropGraves:  # Graves 2013, arXiv:1308.0850, eqs. 38-41
    def __init__(self, lr=1e-4, rho=0.95, momentum=0.9, eps=1e-4):
        self.lr, self.rho, self.mom, self.eps = lr, rho, momentum, eps
        self.n, self.gbar, self.d = np.zeros(P), np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.n = self.rho * self.n + (1 - self.rho) * g * g            # (38)
        self.gbar = self.rho * self.gbar + (1 - self.rho) * g          # (39)
        var = np.maximum(self.n - self.gbar * self.gbar, 0.0)
        self.d = self.mom * self.d - self.lr * g / np.sqrt(var + self.eps)  # (40)
        return th + self.d                                             # (41)


class SMORMS3:  # Funk 2015
    def __init__(self, lr=1e-3, eps=1e-16):
        self.lr, self.eps = lr, eps
        self.mem, self.g1, self.g2 = np.ones(P), np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        r = 1.0 / (self.mem + 1.0)
        self.g1 = (1 - r) * self.g1 + r * g
        self.g2 = (1 - r) * self.g2 + r * g * g
        x = self.g1 * self.g1 / (self.g2 + self.eps)
        th = th - g * np.minimum(self.lr, x) / (np.sqrt(self.g2) + self.eps)
        self.mem = 1.0 + self.mem * (1 - x)
        return th


class AdaMax:  # Kingma & Ba 2015, Algorithm 2
    def __init__(self, lr=2e-3, beta1=0.9, beta2=0.999):
        self.lr, self.b1, self.b2 = lr, beta1, beta2
        self.m, self.u = np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.u = np.maximum(self.b2 * self.u, np.abs(g))
        lr_t = self.lr / (1 - self.b1 ** t)
        safe = np.where(self.u > 0, self.u, 1.0)
        return np.where(self.u > 0, th - lr_t * self.m / safe, th)


class Nadam:  # Dozat 2016, Algorithm 2, constant mu
    def __init__(self, lr=2e-3, mu=0.975, nu=0.999, eps=1e-8):
        self.lr, self.mu, self.nu, self.eps = lr, mu, nu, eps
        self.m, self.n = np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        mu = self.mu
        self.m = mu * self.m + (1 - mu) * g
        self.n = self.nu * self.n + (1 - self.nu) * g * g
        m_hat = mu * self.m / (1 - mu ** (t + 1)) + (1 - mu) * g / (1 - mu ** t)
        n_hat = self.n / (1 - self.nu ** t)
        return th - self.lr * m_hat / (np.sqrt(n_hat) + self.eps)


class Eve:  # Koushik & Hayashi 2016, arXiv:1611.01505 v1, Algorithm 1
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, beta3=0.999, small_k=0.1, big_k=10.0,
                 eps=1e-8):
        self.lr, self.b1, self.b2, self.b3 = lr, beta1, beta2, beta3
        self.k, self.K, self.eps = small_k, big_k, eps
        self.m, self.v = np.zeros(P), np.zeros(P)
        self.f_hat, self.d = None, None

    def step(self, th, g, t, loss, rng):
        if t == 1:
            self.f_hat, self.d = loss, 1.0
        else:
            if loss >= self.f_hat:
                lo, hi = self.k + 1, self.K + 1
            else:
                lo, hi = 1 / (self.K + 1), 1 / (self.k + 1)
            c = min(max(lo, loss / self.f_hat), hi)
            f_new = c * self.f_hat
            r = abs(f_new - self.f_hat) / min(f_new, self.f_hat)
            self.d = self.b3 * self.d + (1 - self.b3) * r
            self.f_hat = f_new
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        m_hat = self.m / (1 - self.b1 ** t)
        v_hat = self.v / (1 - self.b2 ** t)
        return th - self.lr * m_hat / (self.d * np.sqrt(v_hat) + self.eps)


class _Santa:  # Chen, Carlson, Gan, Li & Carin 2016 (AISTATS)
    def __init__(self, lr=1e-2, sigma=0.95, lam=1e-8, gamma=0.5, burnin=100, C=5.0, N=16.0,
                 noise=True):
        self.lr, self.sigma, self.lam, self.gamma = lr, sigma, lam, gamma
        self.burnin, self.C, self.N, self.noise = burnin, C, N, noise
        self.u, self.alpha, self.v, self.gp = [0.0] * P, [0.0] * P, [0.0] * P, [0.0] * P

    def _prelude(self, i, g, t, rng):
        """Lazy init at t = 1 (u0 = sqrt(eta) zeta0, alpha0 = sqrt(eta) C), v, g_t; g_0 = g_1."""
        if t == 1:
            self.u[i] = math.sqrt(self.lr) * rng.normal() if self.noise else 0.0
            self.alpha[i] = math.sqrt(self.lr) * self.C
            self.v[i] = 0.0
        v_weight = (1 - self.sigma) / (self.N * self.N)
        self.v[i] = self.sigma * self.v[i] + v_weight * (g * g)
        gt = 1.0 / math.sqrt(self.lam + math.sqrt(self.v[i]))
        gp = gt if t == 1 else self.gp[i]
        self.gp[i] = gt
        return gt, gp

    def _zeta_corr(self, eb, gt, gp, u, rng):
        zeta = rng.normal() if self.noise else 0.0
        corr = eb * (1 - gp / gt) / u if u != 0.0 else 0.0
        return zeta, corr


class SantaE(_Santa):  # Algorithm 1 (Euler scheme)
    def step(self, th, g, t, loss, rng):
        eb = self.lr / (float(t) ** self.gamma)
        th = th.copy()
        for i in range(P):
            gt, gp = self._prelude(i, g[i], t, rng)
            u, alpha = self.u[i], self.alpha[i]
            if t < self.burnin:
                alpha = alpha + (u * u - eb)
                zeta, corr = self._zeta_corr(eb, gt, gp, u, rng)
                un = corr + math.sqrt(2.0 * eb * gp) * zeta
            else:
                un = 0.0
            # Friction factor 1 − α, clamped at 0 (stated deviation: see the Rust doc comment).
            un = un + max(1 - alpha, 0.0) * u - self.lr * gt * g[i]
            th[i] = th[i] + gt * un
            self.u[i], self.alpha[i] = un, alpha
        return th


class SantaSSS(_Santa):  # Algorithm 2 (symmetric splitting scheme)
    def step(self, th, g, t, loss, rng):
        eb = self.lr / (float(t) ** self.gamma)
        th = th.copy()
        for i in range(P):
            gt, gp = self._prelude(i, g[i], t, rng)
            u, alpha = self.u[i], self.alpha[i]
            th[i] = th[i] + gt * u * 0.5
            if t < self.burnin:
                alpha = alpha + (u * u - eb) * 0.5
                e = math.exp(-alpha * 0.5)
                un = e * u
                zeta, corr = self._zeta_corr(eb, gt, gp, u, rng)
                un = un - gt * g[i] * self.lr + math.sqrt(2.0 * gp * eb) * zeta + corr
                un = e * un
                alpha = alpha + (un * un - eb) * 0.5
            else:
                e = math.exp(-alpha * 0.5)
                un = e * (e * u - gt * g[i] * self.lr)
            th[i] = th[i] + gt * un * 0.5
            self.u[i], self.alpha[i] = un, alpha
        return th


class AMSGrad:  # Reddi, Kale & Kumar 2018, Algorithm 2, alpha_t = alpha / sqrt(t)
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.m, self.v, self.vh = np.zeros(P), np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        self.vh = np.maximum(self.vh, self.v)
        lr_t = self.lr / math.sqrt(t)
        return th - lr_t * self.m / (np.sqrt(self.vh) + self.eps)


class _Bound:  # Luo, Xiong, Liu & Sun 2019, as the authors' `adabound` package runs it
    AMS = False

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, final_lr=0.1, gamma=1e-3, eps=1e-8):
        self.lr, self.b1, self.b2, self.final_lr, self.gamma, self.eps = (
            lr, beta1, beta2, final_lr, gamma, eps)
        self.m, self.v, self.vmax = np.zeros(P), np.zeros(P), np.zeros(P)

    def step(self, th, g, t, loss, rng):
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.v = self.b2 * self.v + (1 - self.b2) * g * g
        if self.AMS:
            self.vmax = np.maximum(self.vmax, self.v)
            denom = np.sqrt(self.vmax) + self.eps
        else:
            denom = np.sqrt(self.v) + self.eps
        step_size = self.lr * math.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t)
        lower = self.final_lr * (1 - 1 / (self.gamma * t + 1))
        upper = self.final_lr * (1 + 1 / (self.gamma * t))
        eta = np.minimum(np.maximum(step_size / denom, lower), upper)
        return th - eta * self.m


class AdaBound(_Bound):
    AMS = False


class AMSBound(_Bound):
    AMS = True


# ---------------------------------------------------------------------------------------------
# The cases.

CASES = [
    ("SGD", "SGD", SGD, {}),
    ("MSGD", "MSGD", MSGD, {}),
    ("NAG", "NAG", NAG, {}),
    ("AdaGrad", "AdaGrad", AdaGrad, {}),
    ("RMSprop", "RMSprop", RMSprop, {}),
    ("AdaDelta", "AdaDelta", AdaDelta, {}),
    ("Adam", "Adam", Adam, {}),
    ("RMSpropGraves", "RMSpropGraves", RMSpropGraves, {}),
    ("SMORMS3", "SMORMS3", SMORMS3, {}),
    ("AdaMax", "AdaMax", AdaMax, {}),
    ("Nadam", "Nadam", Nadam, {}),
    ("Eve", "Eve", Eve, {}),
    ("SantaE/noise-off", "SantaE", SantaE, {"noise": False}),
    ("SantaE/noise-off/burnin-4", "SantaE", SantaE, {"noise": False, "burnin": 4}),
    ("SantaE/seed-42/burnin-4", "SantaE", SantaE, {"burnin": 4}),
    ("SantaSSS/noise-off", "SantaSSS", SantaSSS, {"noise": False}),
    ("SantaSSS/noise-off/burnin-4", "SantaSSS", SantaSSS, {"noise": False, "burnin": 4}),
    ("SantaSSS/seed-42/burnin-4", "SantaSSS", SantaSSS, {"burnin": 4}),
    ("AMSGrad", "AMSGrad", AMSGrad, {}),
    ("AdaBound", "AdaBound", AdaBound, {}),
    ("AMSBound", "AMSBound", AMSBound, {}),
    # Non-default hyper-parameters, so a wrong default cannot hide a wrong formula.
    ("Adam/lr-0.1", "Adam", Adam, {"lr": 0.1}),
    ("RMSpropGraves/momentum-0", "RMSpropGraves", RMSpropGraves, {"momentum": 0.0}),
    ("AdaDelta/lr-0.5", "AdaDelta", AdaDelta, {"lr": 0.5}),
]
SEED = 42


def run(cls, hyper, quadratic):
    opt = cls(**hyper)
    rng = Xoshiro(SEED)
    th = (QTHETA0 if quadratic else THETA0).astype(np.float64).copy()
    traj, losses = [], []
    steps = QUAD_STEPS if quadratic else FIXED_STEPS
    for k in range(steps):
        t = k + 1
        if quadratic:
            loss, g = quad_loss_grad(th)
            losses.append(loss)
        else:
            loss, g = float(LOSSES[k]), GRADS[k]
        th = opt.step(th, g, t, loss, rng)
        traj.append(th.tolist())
    return traj, losses


# ---------------------------------------------------------------------------------------------
# Cross-checks against torch.optim and the AdaBound authors' package.

def torch_factories():
    import torch

    factories = {
        "SGD": lambda p: torch.optim.SGD(p, lr=0.01),
        "MSGD": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
        "NAG": lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True),
        "AdaGrad": lambda p: torch.optim.Adagrad(p, lr=1e-3, eps=1e-10),
        "RMSprop": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8),
        "AdaDelta": lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6),
        "Adam": lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.9, 0.999), eps=1e-8),
        # eps = 0: the paper's u = max(β₂u, |g|) (torch adds eps to |g|).
        "AdaMax": lambda p: torch.optim.Adamax(p, lr=2e-3, betas=(0.9, 0.999), eps=0.0),
        "Adam/lr-0.1": lambda p: torch.optim.Adam(p, lr=0.1),
        "AdaDelta/lr-0.5": lambda p: torch.optim.Adadelta(p, lr=0.5, rho=0.95, eps=1e-6),
    }
    try:
        import adabound  # the authors' reference implementation (Luo et al. 2019)

        factories["AdaBound"] = lambda p: adabound.AdaBound(p, lr=1e-3, final_lr=0.1)
        factories["AMSBound"] = lambda p: adabound.AdaBound(p, lr=1e-3, final_lr=0.1,
                                                             amsbound=True)
    except ImportError:
        pass
    return torch, factories


def torch_run(torch, factory, quadratic):
    th0 = QTHETA0 if quadratic else THETA0
    p = torch.tensor(th0, dtype=torch.float64, requires_grad=True)
    opt = factory([p])
    traj = []
    steps = QUAD_STEPS if quadratic else FIXED_STEPS
    for k in range(steps):
        with torch.no_grad():
            if quadratic:
                _, g = quad_loss_grad(p.detach().numpy())
            else:
                g = GRADS[k]
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        traj.append(p.detach().numpy().copy().tolist())
    return traj


def max_rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def min_abs(trajs):
    return min(float(np.min(np.abs(np.asarray(t)))) for t in trajs)


def main():
    use_torch = "--no-torch" not in sys.argv
    torch = factories = None
    if use_torch:
        try:
            torch, factories = torch_factories()
            torch_version = torch.__version__
        except ImportError:
            print("torch not installed: numpy-only reference", file=sys.stderr)
            use_torch = False
    cases = []
    for case, name, cls, hyper in CASES:
        fixed, _ = run(cls, hyper, False)
        quad, quad_losses = run(cls, hyper, True)
        entry = {
            "case": case,
            "optimizer": name,
            "overrides": hyper,
            "fixed": fixed,
            "quadratic": quad,
            "quadratic_loss": quad_losses,
            "torch": None,
        }
        # Relative comparison needs values away from zero: no parameter may pass near 0.
        assert min_abs([fixed, quad]) > 0.05, (case, min_abs([fixed, quad]))
        if use_torch and case in factories:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tf = torch_run(torch, factories[case], False)
                tq = torch_run(torch, factories[case], True)
            err = max(max_rel(tf, fixed), max_rel(tq, quad))
            print(f"{case:28s} torch max rel diff {err:.3e}")
            if not err <= 1e-12:
                raise SystemExit(f"{case}: numpy reference and torch disagree ({err:.3e})")
            entry["torch"] = {"max_rel_diff": err}
        else:
            print(f"{case:28s} numpy only")
        cases.append(entry)

    out = {
        "generator": "scripts/optimizer_reference.py",
        "torch_version": torch_version if use_torch else None,
        "numpy_version": np.__version__,
        "seed": SEED,
        "theta0": THETA0.tolist(),
        "grads": GRADS.tolist(),
        "losses": LOSSES.tolist(),
        "quadratic": {"a": QA.tolist(), "c": QC.tolist(), "theta0": QTHETA0.tolist(),
                      "steps": QUAD_STEPS},
        "cases": cases,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "core", "tests", "data", "optimizers.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(path)}: {len(cases)} cases")


if __name__ == "__main__":
    main()
