"""Single-family fits on a window: each reads a few points, estimates the parameters, rounds and checks them."""

from __future__ import annotations

import math

import numpy as np

from ..schedules import Constant, Exponential, InverseSqrt, InverseTimeDecay, LinearRamp, Polynomial

from .cosine import _fit_cosine
from .numeric import _around, _bisect, _last_change, _line
from .rounding import _build, _refine
from .stages import Stage
from .verify import _sample_idx, _sample_ok


def _fit_constant(t, y, rest, tol):
    idx = _sample_idx(len(y))
    if np.all(np.abs(y[idx] - y[0]) <= tol.bound(y[idx])) and np.all(np.abs(y - y[0]) <= tol.bound(y)):
        return [Stage(Constant(), float(y[0]), 1)]
    return []


def _fit_linear(t, y, rest, tol):
    m = len(y)
    if m < 2 or y[0] == y[-1]:
        return []
    slope = (y[-1] - y[0]) / (t[-1] - t[0])
    t0 = float(t[0])
    v0 = y[0] - slope * t0  # value at clock 0
    out = []
    for T in (int(t[-1]) + 1, int(t[-1])):
        if T < 1:
            continue
        vT = v0 + slope * T
        if v0 < 0 or vT < 0:
            continue
        b = max(v0, vT)
        raw = {"s": v0 / b, "e": vT / b, "b": b}
        order = [k for k in ("s", "e") if raw[k] != 1.0] + ["b"]

        def make(p, T=T):
            return _build(LinearRamp, start_factor=p["s"], end_factor=p["e"], total_iters=T)

        fit = _refine(make, raw, order, t, y, "b", tol, {"s": 1.0, "e": 1.0})
        if fit:
            out.append(Stage(fit[0], fit[1], 2))
    return out


def _fit_exponential(t, y, rest, tol):
    if len(y) < 3 or np.any(y <= 0) or y[0] == y[-1]:
        return []
    gamma = float((y[-1] / y[0]) ** (1.0 / (t[-1] - t[0])))
    raw = {"g": gamma, "b": float(y[0] / gamma ** t[0])}
    fit = _refine(lambda p: _build(Exponential, gamma=p["g"]), raw, ["g", "b"], t, y, "b", tol)
    return [Stage(fit[0], fit[1], 2)] if fit else []


def _fit_inverse_time(t, y, rest, tol):
    """b / (1 + r·t): 1/y is linear in t."""
    if len(y) < 3 or np.any(y <= 0) or y[0] == y[-1]:
        return []
    slope, z0 = _line(t[[0, -1]], 1.0 / y[[0, -1]])
    if z0 <= 0 or slope <= 0:
        return []
    b = 1.0 / z0
    fit = _refine(lambda p: _build(InverseTimeDecay, decay_rate=p["r"]), {"r": slope * b, "b": b}, ["r", "b"], t, y, "b", tol)
    return [Stage(fit[0], fit[1], 2)] if fit else []


def _fit_inverse_sqrt(t, y, rest, tol):
    """b·sqrt(τ/(t + τ)) (inverse_sqrt without warmup): 1/y² is linear in t."""
    if len(y) < 3 or np.any(y <= 0) or y[0] <= y[-1]:
        return []
    ends = y[[0, -1]]
    slope, z0 = _line(t[[0, -1]], 1.0 / (ends * ends))
    if slope <= 0 or z0 <= 0:
        return []
    tau = z0 / slope
    out = []
    for tau_i in sorted({max(1, round(tau)), max(1, round(tau) + 1), max(1, round(tau) - 1)}, key=lambda v: abs(v - tau)):
        b = float(y[0] * math.sqrt((t[0] + tau_i) / tau_i))
        fit = _refine(lambda p, ti=tau_i: _build(InverseSqrt, warmup_steps=0, timescale=ti), {"b": b}, ["b"], t, y, "b", tol)
        if fit and _sample_ok(fit[0], fit[1], t, y, tol):
            out.append(Stage(fit[0], fit[1], 2))
            break
    return out


def _fit_polynomial(t, y, rest, tol):
    """(b − e)·(1 − t/T)^p + e on the stage's own clock (t starts at 0)."""
    m = len(y)
    if m < 5 or t[0] != 0 or y[0] <= y[-1] or np.any(np.diff(y[_sample_idx(m)]) > 0):
        return []
    b = float(y[0])
    options = []
    # the floor e and horizon T where the rest of the curve goes flat, if it does
    last = _last_change(rest)
    if 0 <= last and last + 2 < len(rest):
        r = last + 1
        options += [(float(rest[r]), T) for T in (r, r - 1) if T >= 2]
    if y[-1] > 0:  # e = 0, T past the window: solve log(y/b) = p·log(1 − t/T) for T
        j, last = m // 2, m - 1
        ratio = math.log(y[j] / b) / math.log(y[last] / b) if y[last] != b and y[j] > 0 else None
        if ratio:
            f = lambda T: math.log1p(-t[j] / T) / math.log1p(-t[last] / T) - ratio  # noqa: E731
            T = _bisect(f, t[last] * (1 + 1e-12) + 1e-9, t[last] * 1e6 + 1e6)
            if T:
                options += [(0.0, v) for v in _around(T, int(t[last]) + 1)[:3]]
    elif y[-1] == 0:
        options += [(0.0, int(t[-1]))]
    out = []
    for e, T in options:
        j = next((i for i in (m // 2, m // 3, 1) if 0 < t[i] < T and y[i] > e), None)
        if j is None or b <= e:
            continue
        power = math.log((y[j] - e) / (b - e)) / math.log1p(-t[j] / T)
        if not (power > 0 and math.isfinite(power)):
            continue

        def make(p, T=T):
            return _build(Polynomial, total_iters=T, power=p["power"], end_lr=p["e"])

        fit = _refine(make, {"power": power, "e": e, "b": b}, ["power", "e", "b"], t, y, "b", tol, {"e": b})
        if fit and _sample_ok(fit[0], fit[1], t, y, tol):
            out.append(Stage(fit[0], fit[1], 3))
            break
    return out


_SMOOTH = (_fit_constant, _fit_linear, _fit_exponential, _fit_inverse_time, _fit_inverse_sqrt, _fit_cosine, _fit_polynomial)
