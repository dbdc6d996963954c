"""Cosine fits on a window: the period T of y = A + B·cos(π t / T), then cosine annealing / cosine decay."""

from __future__ import annotations

import math

import numpy as np

from ..schedules import CosineAnnealing, CosineDecay

from .numeric import _around, _bisect
from .rounding import _build, _refine
from .stages import Stage
from .verify import _sample_idx, _sample_ok


def _cosine_periods(t, y, float32=False):
    """Candidate T of y = A + B·cos(π t / T): from an interior minimum, else from the shape ratio."""
    m = len(y)
    i_min = int(np.argmin(y))
    if 0 < i_min < m - 1 and y[-1] > y[i_min]:
        return _around(float(t[i_min]))
    i1, i2, i3 = 0, m // 2, m - 1
    if y[i1] == y[i3]:
        return []
    ratio = (y[i1] - y[i2]) / (y[i1] - y[i3])
    ta, tb, tc = float(t[i1]), float(t[i2]), float(t[i3])

    def f(T):
        ca, cb, cc = (math.cos(math.pi * v / T) for v in (ta, tb, tc))
        return (ca - cb) / (ca - cc) - ratio if ca != cc else float("nan")

    T = _bisect(f, tc, tc * 1e6 + 1e6)
    if not T:
        return []
    spread = max(1, int(T * (2e-5 if float32 else 1e-9)))
    if spread == 1:
        return _around(T, max(1, int(tc)))
    # rounded values pin T only to ~1e-5 relative: rank the nearby integers by their residual
    lo = max(1, int(tc), int(T) - spread)
    Ts = np.arange(lo, int(T) + spread + 2, dtype=np.float64)
    idx = _sample_idx(m)
    c = np.cos(np.pi * t[idx][None, :] / Ts[:, None])
    B = (y[idx][:, None][0] - y[idx][-1]) / (c[:, 0] - c[:, -1])
    A = y[idx][0] - B * c[:, 0]
    resid = np.max(np.abs(A[:, None] + B[:, None] * c - y[idx][None, :]), axis=1)
    return [int(v) for v in Ts[np.argsort(resid)[:4]]]


def _fit_cosine(t, y, rest, tol):
    m = len(y)
    if m < 5 or y[0] == y[-1] or y[0] < y[m // 2]:
        return []
    out = []
    for T in _cosine_periods(t, y, tol.float32)[:4]:
        idx = _sample_idx(m)
        c = np.cos(np.pi * np.mod(t[idx], 2 * T) / T)
        i, j = int(np.argmax(c)), int(np.argmin(c))
        c, i, j = c[[i, j]], int(idx[i]), int(idx[j])
        c = {i: c[0], j: c[1]}
        if c[i] == c[j]:
            continue
        B = (y[i] - y[j]) / (c[i] - c[j])
        A = y[i] - B * c[i]
        b, eta = float(A + B), float(A - B)
        if eta < 0:
            eta = 0.0 if abs(eta) <= (1e-5 if tol.float32 else 1e-9) * abs(b) else eta  # rounding noise
        if eta < 0 or b <= 0:
            continue
        raw = {"b": b, "eta": eta}
        for cls, key in ((CosineAnnealing, "T_max"), (CosineDecay, "decay_steps")):
            if cls is CosineDecay and t[-1] < T and (len(rest) <= m or rest[m] != rest[m - 1]):
                continue  # clamping is only evidenced when the curve stays at the floor past T

            def make(p, cls=cls, key=key, T=T):
                kw = {key: T, ("eta_min" if cls is CosineAnnealing else "min_lr"): p["eta"]}
                return _build(cls, **kw)

            fit = _refine(make, raw, ["eta", "b"], t, y, "b", tol, {"eta": b})
            if fit and _sample_ok(fit[0], fit[1], t, y, tol):
                out.append(Stage(fit[0], fit[1], 3))
        if out:
            break
    return out
