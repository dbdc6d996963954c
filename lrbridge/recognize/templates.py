"""Multi-phase whole-curve templates: noam, inverse_sqrt with warmup, one_cycle, cyclic, cosine warm restarts."""

from __future__ import annotations

import math

import numpy as np

from ..schedules import CosineWarmRestarts, Cyclic, InverseSqrt, Noam, OneCycle, Sequential

from .numeric import _around
from .rounding import _build, _refine
from .verify import _sample_ok


def _peak(y):
    return int(np.argmax(y))


def _fit_noam(y, tol, pref):
    """Noam (s = k + 1) and the Annotated Transformer's s = max(k, 1) (a one-step stage in front)."""
    n = len(y)
    P = _peak(y)
    out = []
    for variant, W in (("noam", P + 1), ("max1", P)):
        if W < 1 or n < 4 or P in (0, n - 1) and n - 1 < 2:
            continue
        scale = float(y[P] * math.sqrt(W))  # b·d^−½
        b = pref or 1.0
        raw = {"d": (b / scale) ** 2}

        def make(p, W=W, variant=variant):
            noam = _build(Noam, d_model=p["d"], warmup_steps=W)
            if noam is None or variant == "noam":
                return noam
            return Sequential(stages=(noam, noam), milestones=(1,), clock="restart")

        t = np.arange(n, dtype=np.float64)
        fit = _refine(lambda p: make(p), {**raw, "b": b}, ["d"], t, y, "b", tol)
        if fit:
            out.append((fit[0], fit[1], 2))
    return out


def _fit_inverse_sqrt_warmup(y, tol, pref):
    """inverse_sqrt with warmup W (lr = b·k/W before, b/√((k + τ − W)/τ) after)."""
    n = len(y)
    W = _peak(y)
    if n < 4 or W == 0 or y[0] != 0 or W >= n - 2:
        return []
    b, k = float(y[W]), n - 1
    ratio = (b / y[k]) ** 2 - 1.0
    if ratio <= 0:
        return []
    tau = (k - W) / ratio
    t = np.arange(n, dtype=np.float64)
    for tau_i in _around(tau)[:3]:
        fit = _refine(lambda p, ti=tau_i: _build(InverseSqrt, warmup_steps=W, timescale=ti), {"b": b}, ["b"], t, y, "b", tol)
        if fit and _sample_ok(fit[0], fit[1], t, y, tol):
            return [(fit[0], fit[1], 3)]
    return []


def _fit_one_cycle(y, tol, pref):
    n = len(y)
    peaks = np.flatnonzero(y == y.max())  # several when float32 rounding flattens the top
    first, last = int(peaks[0]), int(peaks[-1])
    if n < 6 or first == 0 or last >= n - 2 or y[0] <= 0 or y[-1] <= 0 or y[last + 1] >= y[last]:
        return []
    t = np.arange(n, dtype=np.float64)
    out = []
    for P, total in ((P, total) for total in (n, n + 1) for P in _simplest_peaks(first, last, total)):
        for three in (False, True):
            initial, mx = float(y[0]), float(y[last])
            final = float(y[total - 1]) if total - 1 < n else None
            if final is None or final <= 0:
                continue
            raw = {"pct": (P + 1) / total, "div": mx / initial, "fdiv": initial / final, "mx": mx}
            for anneal in ("cos", "linear"):
                def make(p, total=total, three=three, anneal=anneal):
                    return _build(OneCycle, total_steps=total, max_lr=p["mx"], pct_start=p["pct"], anneal_strategy=anneal,
                                  div_factor=p["div"], final_div_factor=p["fdiv"], three_phase=three)

                fit = _refine(make, raw, ["pct", "mx", "div", "fdiv"], t, y, "_", tol)
                if fit and _sample_ok(fit[0], 1.0, t, y, tol):
                    return [(fit[0], pref or fit[0].max_lr, 5)]
    return out


def _simplest_peaks(first, last, total):
    """Peak steps P = pct·total − 1 in [first, last] with the simplest pct (fewest digits) first."""
    lo, hi = (first + 1) / total, (last + 1) / total
    out = []
    for d in range(1, 10):
        v = round((lo + hi) / 2, d)
        if lo <= v <= hi and v * total - 1 not in out:
            out.append(v * total - 1)
    return (out + [float(first)])[:3]


def _fit_cyclic(y, tol, pref):
    n = len(y)
    if n < 6:
        return []
    d = np.diff(y)
    up = int(np.argmax(d < 0)) if np.any(d < 0) else 0  # first step where it falls: the first peak
    if up < 1 or not np.all(d[:up] > 0):
        return []
    after = d[up:]
    down = int(np.argmax(after > 0)) if np.any(after > 0) else len(after)
    if down < 1:
        return []
    t = np.arange(n, dtype=np.float64)
    lo, hi = float(y[0]), float(y[up])
    for mode in ("triangular", "triangular2"):
        raw = {"lo": lo, "hi": hi}

        def make(p, mode=mode):
            return _build(Cyclic, base_lr=p["lo"], max_lr=p["hi"], step_size_up=up, step_size_down=down, mode=mode)

        fit = _refine(make, raw, ["lo", "hi"], t, y, "_", tol, {"lo": hi})
        if fit and _sample_ok(fit[0], 1.0, t, y, tol):
            return [(fit[0], pref or fit[0].max_lr, 4)]
    return []


def _fit_restarts(y, tol, pref):
    """Cosine annealing restarted at jumps up: T_0, T_mult from the first two restarts."""
    n = len(y)
    d = np.diff(y)
    if n < 6 or d[0] >= 0:
        return []
    jumps = np.flatnonzero(d > 0) + 1
    if jumps.size == 0:
        return []
    T0 = int(jumps[0])
    mult = 1
    if jumps.size > 1 and d[jumps[1] - 1] > 0 and jumps[1] - 1 not in jumps[:1]:
        mult = max(1, round((jumps[1] - T0) / T0))
    b = float(y[0])
    h = 0.5 * (1 + math.cos(math.pi * (T0 - 1) / T0))
    eta = max(0.0, float((y[T0 - 1] - b * h) / (1 - h))) if h < 1 else 0.0
    decay = float(y[T0] / b) if T0 < n else 1.0
    t = np.arange(n, dtype=np.float64)
    raw = {"b": b, "eta": eta, "d": decay}
    make = lambda p: _build(CosineWarmRestarts, T_0=T0, T_mult=mult, eta_min=p["eta"], decay_rate=p["d"])  # noqa: E731
    fit = _refine(make, raw, ["eta", "d", "b"], t, y, "b", tol, {"eta": b})
    if fit and _sample_ok(fit[0], fit[1], t, y, tol):
        return [(fit[0], fit[1], 4)]
    return []


_TEMPLATES = (_fit_noam, _fit_inverse_sqrt_warmup, _fit_one_cycle, _fit_cyclic, _fit_restarts)
