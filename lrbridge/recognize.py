"""Closed-form recognition: the plan whose schedule reproduces a recorded lr curve at every step.

``from_trace(values)`` takes learning rates as a training loop applied them (an array
groups × steps, a dict name → array, a MindSpore lr list, or an .npy/.json/.csv file of
logged lrs) and looks for IR schedules that give every one of them back:

1. whole-curve families: constant, stairs (step, multistep, constant_factor, epoch
   stairs as ``by_epoch`` with the steps per epoch read off the run lengths, piecewise),
   inverse_sqrt and noam with their warmups (the Annotated Transformer's ``max(k, 1)``
   variant too), one_cycle, cyclic, cosine warm restarts;
2. stages: the curve is cut at its breakpoints (jumps and kinks: spikes of the second
   difference), each stage is fitted in closed form from a few of its points (linear,
   exponential, inverse-time, inverse-sqrt decay, cosine, cosine decay, polynomial,
   stairs) on a clock restarting at the stage (``sequential`` restart) or on the shared
   clock (``sequential`` global), then extended while it still matches;
3. per-group scale: a group that is a constant multiple of an earlier one shares its
   schedule with a scaled base lr.

A candidate is accepted only when the IR evaluator reproduces every value: |fit − v| ≤
rtol·|v| + 16·eps·max|v| (rtol 1e-12), plus half a float32 ulp of v when the source
stored float32. Nothing that differs anywhere is called closed form: the fallback is a
table (``exact=False``, horizon past: error) and the notes say from which step on no
family fits. Parameters are rounded to the fewest significant digits that still
reproduce the curve (0.1, not 0.10000000000000002).

Everything is vectorized numpy: fitting reads a few points, verification is one
evaluation per candidate, so 10^6 steps take a fraction of a second to a few seconds.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import PlanError
from .groups import ParamGroup
from .optim import OptimizerSpec
from .plan import Horizon, ImportResult, Plan
from .schedules import (
    ByEpoch,
    Constant,
    ConstantFactor,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    Cyclic,
    Exponential,
    InverseSqrt,
    InverseTimeDecay,
    LinearRamp,
    MultiStep,
    Noam,
    OneCycle,
    Piecewise,
    Polynomial,
    Sequential,
    Step,
    Tabulated,
    Chained,
)

EPS = 2.0**-52
#: most stages a recognised ``sequential`` may have (more is a table, not a closed form)
MAX_STAGES = 8
#: most constant runs a recognised ``piecewise`` may have
MAX_RUNS = 64
_SAMPLE = 257  # points a candidate is first checked on before the full check
_MAX_STARTS = 16  # stage starts the sequence search may try per curve and clock


# ---------------------------------------------------------------- tolerance and checks


@dataclass(frozen=True)
class Tolerance:
    """When a fitted value counts as the recorded one: |fit − v| ≤ rtol·|v| + atol (+ ½ ulp32(v))."""

    rtol: float = 1e-12
    atol: float = 0.0
    float32: bool = False

    def bound(self, y: np.ndarray) -> np.ndarray:
        b = self.rtol * np.abs(y) + self.atol
        if self.float32:
            b = b + 0.5 * np.spacing(np.abs(y).astype(np.float32)).astype(np.float64)
        return b


def _lr(node, t, base) -> np.ndarray | None:
    try:
        with np.errstate(all="ignore"):
            out = node.lr(np.asarray(t, np.float64), base)
    except (ValueError, ZeroDivisionError, OverflowError, ArithmeticError):
        return None
    return np.broadcast_to(out, np.shape(t))


def _match_len(node, base, t, y, tol: Tolerance) -> int:
    """How many leading points of y the node reproduces at clock t."""
    fit = _lr(node, t, base)
    if fit is None:
        return 0
    bad = ~(np.abs(fit - y) <= tol.bound(y))  # NaN counts as bad
    return int(np.argmax(bad)) if bad.any() else len(y)


@functools.lru_cache(maxsize=64)
def _sample_idx(n: int) -> np.ndarray:
    idx = np.unique(np.concatenate([np.linspace(0, n - 1, min(n, _SAMPLE)).round().astype(np.int64), [0, 1, n - 1]]))
    return idx[idx < n]


def _sample_ok(node, base, t, y, tol: Tolerance) -> bool:
    idx = _sample_idx(len(y))
    return _match_len(node, base, t[idx], y[idx], tol) == idx.size


def _nice(x: float, float32: bool = False) -> list[float]:
    """x rounded to 1, 2, ... significant digits (fewest first), then x itself.

    Only roundings within the estimate's own precision are offered (1e-9 relative, 1e-4
    for float32 sources): the others could not reproduce the curve anyway.
    """
    if not math.isfinite(x):
        return []
    if x == 0:
        return [0.0]
    window = 1e-4 if float32 else 1e-9
    out = []
    for d in range(1, 17):
        v = float(f"{x:.{d - 1}e}")
        if abs(v - x) <= window * abs(x) and v not in out:
            out.append(v)
    if x not in out:
        out.append(x)
    return out


def _build(cls, **kw):
    try:
        return cls(**kw)
    except (ValueError, TypeError):
        return None


def _refine(make, raw: dict, order, t, y, base_key, tol: Tolerance, scales=None):
    """Round each parameter in ``order`` to its simplest value that still fits (on a sample of y)."""
    chosen = dict(raw)
    node = make(chosen)
    loose = Tolerance(rtol=1e-5 if tol.float32 else 1e-8, atol=tol.atol * 1e3, float32=tol.float32)
    if node is None or not _sample_ok(node, chosen.get(base_key, 1.0), t, y, loose):
        return None  # not even close: no rounding of the parameters will fit
    window = 1e-4 if tol.float32 else 1e-9

    def rounded(d, tried):  # every parameter rounded to d significant digits at once (they interact)
        trial = dict(chosen)
        for key in order:
            x = chosen[key]
            room = window * max(abs(x), (scales or {}).get(key, 0.0))  # an offset's precision is its scale's
            v = 0.0 if abs(x) <= room and d == 1 else float(f"{x:.{d - 1}e}")
            if abs(v - x) <= room:
                trial[key] = v
        if trial in tried or trial == chosen:  # the unrounded estimate is the last resort, not the first
            return None
        tried.append(trial)
        node = make(trial)
        return (node, trial.get(base_key, 1.0)) if node is not None and _sample_ok(node, trial.get(base_key, 1.0), t, y, tol) else None

    tried = []
    for d in range(1, 17):  # fewest digits first; equal roundings are tried once
        got = rounded(d, tried)
        if got:
            return got
    for key in order:
        for v in _nice(chosen[key], tol.float32):
            trial = {**chosen, key: v}
            node = make(trial)
            if node is not None and _sample_ok(node, trial.get(base_key, 1.0), t, y, tol):
                chosen = trial
                break
    node = make(chosen)
    return (node, chosen.get(base_key, 1.0)) if node is not None else None


# ---------------------------------------------------------------- stages


@dataclass
class Stage:
    """A fitted piece: ``node`` evaluated at base lr ``base`` on its clock, with ``params`` free parameters."""

    node: object
    base: float
    params: int
    end: int = 0  # filled by the extension: first step it no longer matches


def _rebase(stage: Stage, B: float):
    """The stage's node evaluated at base B instead of its own base (same values)."""
    node, b = stage.node, stage.base
    if b == B:
        return node
    r = next(v for v in _nice(b / B) if abs(v - b / B) <= 4 * EPS * abs(b / B))  # 0.1, not 0.10000000000000002
    if node.kind == "constant":
        return Piecewise(boundaries=(), values=(r,), relative=True)
    if node.kind == "linear":
        return LinearRamp(start_factor=node.start_factor * r, end_factor=node.end_factor * r, total_iters=node.total_iters)
    if node.kind == "piecewise" and node.relative:
        return node.model_copy(update={"values": tuple(v * r for v in node.values)})
    if node.kind == "constant_factor":
        return Piecewise(boundaries=(node.total_iters,), values=(node.factor * r, r), relative=True)
    if not node.is_scale_equivariant() and not _uses_base(node):
        return node
    return Chained(schedules=(Piecewise(boundaries=(), values=(r,), relative=True), node))


def _uses_base(node) -> bool:
    return node.kind not in ("one_cycle", "cyclic") and not (node.kind == "piecewise" and not node.relative)


# ---------------------------------------------------------------- smooth families on a window


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


def _line(t, z):
    """Slope and value at clock 0 of the line through the first and last points of z(t)."""
    slope = (z[-1] - z[0]) / (t[-1] - t[0])
    return slope, z[0] - slope * t[0]


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


def _last_change(y) -> int:
    """Index of the last value differing from y[-1] (−1 when none), scanning back from the end."""
    v, hi, size = y[-1], len(y), 1024
    while hi > 0:
        lo = max(0, hi - size)
        idx = np.flatnonzero(y[lo:hi] != v)
        if idx.size:
            return lo + int(idx[-1])
        hi, size = lo, size * 4
    return -1


def _bisect(f, lo, hi, iters=200):
    """A root of f on [lo, hi] (f(lo), f(hi) of opposite signs), else None."""
    flo, fhi = f(lo), f(hi)
    if not (math.isfinite(flo) and math.isfinite(fhi)) or flo * fhi > 0:
        return None
    for _ in range(iters):
        mid = 0.5 * (lo + hi) if hi / max(lo, 1e-300) < 4 else math.sqrt(lo * hi)
        fm = f(mid)
        if not math.isfinite(fm):
            return None
        if (fm < 0) == (flo < 0):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo <= 1e-9 * hi:
            break
    return 0.5 * (lo + hi)


def _around(x: float, lo: int = 1) -> list[int]:
    r = round(x)
    return [v for v in dict.fromkeys((r, math.floor(x), math.ceil(x), r - 1, r + 1)) if v >= lo]


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


# ---------------------------------------------------------------- stairs (piecewise-constant curves)


def _runs(y, tol: Tolerance):
    """Starts and values of the constant runs of y (a change is a difference beyond tolerance)."""
    change = np.abs(np.diff(y)) > tol.bound(y[1:])
    starts = np.concatenate([[0], np.flatnonzero(change) + 1])
    return starts, y[starts]


def _fit_stairs(y, tol: Tolerance, steps_per_epoch=None, depth=0, piecewise=True):
    """Closed forms of a piecewise-constant curve: (node, base, params) candidates, simplest first."""
    n = len(y)
    starts, vals = _runs(y, tol)
    nr = len(starts)
    if nr < 2 or nr > MAX_RUNS * (4 if steps_per_epoch else 1):
        return []
    t = np.arange(n, dtype=np.float64)
    out = []
    ratios = vals[1:] / vals[:-1] if np.all(vals[:-1] != 0) else None
    lengths = np.diff(starts)
    if steps_per_epoch and steps_per_epoch > 1 and depth == 0 and np.all(starts % steps_per_epoch == 0):
        out += _by_epoch(y, steps_per_epoch, tol, depth)
    if ratios is not None and np.allclose(ratios, ratios[0], rtol=1e-6, atol=0):
        gamma = float(ratios[0])
        if np.all(lengths == lengths[0]) and n - starts[-1] <= lengths[0]:
            fit = _refine(lambda p, s=int(lengths[0]): _build(Step, step_size=s, gamma=p["g"]),
                          {"g": gamma, "b": float(vals[0])}, ["g", "b"], t, y, "b", tol)
            if fit:
                out.append((fit[0], fit[1], 3))
        fit = _refine(lambda p: _build(MultiStep, milestones=tuple(int(s) for s in starts[1:]), gamma=p["g"]),
                      {"g": gamma, "b": float(vals[0])}, ["g", "b"], t, y, "b", tol)
        if fit:
            out.append((fit[0], fit[1], nr + 1))
    if nr == 2 and vals[1] > 0:
        fit = _refine(lambda p: _build(ConstantFactor, factor=p["f"], total_iters=int(starts[1])),
                      {"f": float(vals[0] / vals[1]), "b": float(vals[1])}, ["f", "b"], t, y, "b", tol)
        if fit:
            out.insert(0 if vals[0] < vals[1] else len(out), (fit[0], fit[1], 3))
    if not steps_per_epoch and depth == 0 and nr > 2:
        spe = int(np.gcd.reduce(starts[1:]))
        if spe > 1:
            out += [c for c in _by_epoch(y, spe, tol, depth) if c[0].schedule.kind not in ("piecewise", "multistep", "step")]
    if nr <= MAX_RUNS and piecewise:
        b = float(np.max(np.abs(vals))) or 1.0
        node = _build(Piecewise, boundaries=tuple(int(s) for s in starts[1:]), values=tuple(float(v) / b for v in vals), relative=True)
        if node is not None:
            out.append((node, b, 2 * nr))
    return out


def _by_epoch(y, spe, tol, depth):
    epochs = y[::spe]
    inner = _recognize_curve(epochs, tol, depth=depth + 1)
    if inner is None:
        return []
    node, base, params = inner
    wrapped = _build(ByEpoch, schedule=node, steps_per_epoch=int(spe), cadence="epoch")
    return [(wrapped, base, params + 1)] if wrapped is not None else []


# ---------------------------------------------------------------- whole-curve templates


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


# ---------------------------------------------------------------- sequences of stages


def _breakpoints(y, tol: Tolerance) -> np.ndarray:
    """Steps where a new stage may start: spikes of |Δ²y| (kinks and jumps) and ends of constant runs."""
    n = len(y)
    if n < 4:
        return np.array([], np.int64)
    d1 = np.diff(y)
    a = np.abs(np.diff(d1))
    g = 8 * tol.bound(y[2:])
    left = np.concatenate([np.zeros(2), a[:-2]])
    right = np.concatenate([a[2:], np.zeros(2)])
    spike = np.flatnonzero(a > 4 * np.maximum(left, right) + g)
    # ends of constant runs (exactly equal neighbours) at least 8 long: shorter ones are the flat
    # top of a smooth curve or float32 quantization, not stages
    starts = np.concatenate([[0], np.flatnonzero(d1 != 0) + 1, [n]])
    long = np.flatnonzero(np.diff(starts) >= 8)
    edges = np.concatenate([starts[long], starts[long + 1]])
    return np.unique(np.concatenate([spike + 1, spike + 2, edges, edges + 1]))


def _extent(node, base, y, p, w, clock, tol) -> int:
    """First step from p on that the node (on its clock) no longer reproduces, checked in growing chunks."""
    n, q, size = len(y), p, max(w, 256)
    offset = 0 if clock == "global" else p
    while q < n:
        hi = min(n, q + size)
        m = _match_len(node, base, np.arange(q - offset, hi - offset, dtype=np.float64), y[q:hi], tol)
        q += m
        if q < hi:
            break
        size *= 4
    return q


def _fit_at(y, p, w, clock, tol, depth, run_starts=None):
    """Stages fitted on y[p:p+w] (clock restarting at p, or the shared clock), with their extents."""
    n = len(y)
    rest = y[p:]
    win = rest[:w]
    t_win = np.arange(w, dtype=np.float64) + (p if clock == "global" else 0)
    found = []
    for fit in _SMOOTH:
        for st in fit(t_win, win, rest, tol):
            st.end = _extent(st.node, st.base, y, p, w, clock, tol)
            if st.end >= p + w:
                found.append(st)
    later_runs = None if run_starts is None else int(np.count_nonzero(run_starts > p)) + 1
    stairs = later_runs and 2 <= later_runs <= MAX_RUNS and 4 * later_runs <= len(rest)  # runs, not single steps
    if clock == "restart" and depth == 0 and len(rest) > w and stairs:
        for node, base, params in _fit_stairs(rest, tol, depth=depth + 1):
            end = _extent(node, base, y, p, w, clock, tol)
            if end == n:
                found.append(Stage(node, base, params, end))
                break
    return found


def _stages_at(y, p, breaks, clock, tol, depth, run_starts):
    """Stages that can start at p (longest reach first).

    Windows tried: up to the next breakpoint, the whole rest when that fell short (a
    breakpoint may be a flat stretch inside a stage, e.g. the float32-rounded top of a
    cosine), then quarters of the first while nothing fits, down to one step.
    """
    n = len(y)
    nxt = breaks[breaks > p + 2]
    w = int(nxt[0]) - p if nxt.size else n - p
    found = _fit_at(y, p, w, clock, tol, depth, run_starts)
    if w < n - p and (not found or max(s.end for s in found) < n):
        found += _fit_at(y, p, n - p, clock, tol, depth, run_starts)
    while not found and w > 1:  # down to a single step: a one-step stage in front is common (k = 0 special)
        w = max(w // 4, 3) if w > 3 else w - 1
        found = _fit_at(y, p, w, clock, tol, depth, run_starts)
    return w, sorted(found, key=lambda s: -s.end)  # stable: ties keep the simplest first


def _cost(stages) -> int:
    """Fewer stages first, then fewer parameters."""
    return len(stages) * 1000 + sum(s.params for _, s in stages)


def _sequence(y, tol: Tolerance, clock: str, depth: int, pref):
    """Stages covering y, found by a memoized search over stage starts.

    A stage fitted at p reaches some step e (it matches up to there); the next stage may
    start at e or a little before (a ramp often also matches the next stage's first value),
    so those starts are tried too, each at most once.
    """
    n = len(y)
    breaks = _breakpoints(y, tol)
    run_starts = _runs(y, tol)[0]
    memo: dict[int, list | None] = {}

    def cover(p, budget):
        if p == n:
            return []
        if budget == 0 or len(memo) >= _MAX_STARTS:
            return None
        if p in memo:
            return memo[p]
        memo[p] = None
        w, cands = _stages_at(y, p, breaks, clock, tol, depth, run_starts)
        best = None
        for st in cands[:3]:
            for q in dict.fromkeys((p + w, st.end, st.end - 1, st.end - 2)):  # the breakpoint first
                if p < q <= st.end:
                    tail = cover(q, budget - 1)
                    if tail is not None and (best is None or _cost(tail) + 1000 + st.params < _cost(best)):
                        best = [(p, Stage(st.node, st.base, st.params, q))] + tail
                    if best is not None and len(best) <= 2:
                        break  # this stage and one to the end: search no further from here
            if best is not None and len(best) <= 2:
                break
        memo[p] = best
        return best

    found = cover(0, MAX_STAGES)
    if not found:
        return None
    starts = [p for p, _ in found]
    stages = [s for _, s in found]
    if sum(s.params for s in stages) * 2 > n:
        return None  # fits with as many parameters as points are interpolation, not recognition
    if len(stages) == 1:
        return stages[0].node, stages[0].base, stages[0].params
    B = pref or next((s.base for s in stages if s.node.kind not in ("constant", "linear")), stages[-1].base)
    nodes = tuple(_rebase(s, B) for s in stages)
    seq = _build(Sequential, stages=nodes, milestones=tuple(starts[1:]), clock=clock)
    return (seq, B, sum(s.params for s in stages) + len(stages)) if seq is not None else None


# ---------------------------------------------------------------- one curve


def _recognize_curve(y, tol: Tolerance, *, steps_per_epoch=None, depth=0, pref=None):
    """(node, base, parameter count) reproducing y at every step, or None."""
    n = len(y)
    t = np.arange(n, dtype=np.float64)

    def ok(node, base, params=0):
        # at least twice as many points as free parameters: fewer is interpolation, not recognition
        return node is not None and 2 * params <= n and _match_len(node, base, t, y, tol) == n

    const = _fit_constant(t, y, y, tol)
    if const:
        b = pref or const[0].base
        node = Constant() if b == const[0].base else Piecewise(boundaries=(), values=(const[0].base / b,), relative=True)
        return (node, b, 1) if ok(node, b) else None
    starts, _ = _runs(y, tol)
    stairs = len(starts) * 2 <= n
    if stairs:
        for node, base, params in _fit_stairs(y, tol, steps_per_epoch, depth, piecewise=False):
            if ok(node, base, params):
                return node, base, params
    whole = [st for st in _fit_at(y, 0, n, "restart", tol, depth) if st.end == n and 2 * st.params <= n]
    if whole:
        return whole[0].node, whole[0].base, whole[0].params
    if depth == 0:
        for template in _TEMPLATES:
            for node, base, params in template(y, tol, pref):
                if ok(node, base, params):
                    return node, base, params
        # a template after one special first value (step 0 special-cased, e.g. max(k, 1) with accumulation)
        for template in _TEMPLATES if n > 8 else ():
            for node, base, params in template(y[1:], tol, pref):
                first = Piecewise(boundaries=(), values=(float(y[0]) / base,), relative=True) if base else None
                seq = first and _build(Sequential, stages=(first, node), milestones=(1,), clock="restart")
                if ok(seq, base, params + 1):
                    return seq, base, params + 1
    found = []
    for clock in ("restart", "global"):
        fit = _sequence(y, tol, clock, depth, pref)
        if fit is not None and ok(*fit):
            found.append(fit)
            break
    if found:
        return min(found, key=lambda f: f[2])
    if stairs:
        for node, base, params in _fit_stairs(y, tol, steps_per_epoch, depth):
            if node.kind == "piecewise" and ok(node, base, params):
                return node, base, params
    return None


def _first_unfitted(y, tol: Tolerance) -> int:
    """The first step not covered when stages are grown greedily, as recognition does, up to
    ``MAX_STAGES`` of them (for the notes)."""
    p, n = 0, len(y)
    breaks = _breakpoints(y, tol)
    runs = _runs(y, tol)[0]
    for _ in range(MAX_STAGES):
        if p >= n:
            break
        _, cands = _stages_at(y, p, breaks, "restart", tol, 1, runs)
        if not cands:
            return p
        p = cands[0].end
    return p


# ---------------------------------------------------------------- inputs


def _load_file(path: Path):
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False), None
        text = path.read_text()
    except (OSError, ValueError) as exc:
        raise PlanError("values", f"cannot read lr file '{path}': {exc}") from None
    if suffix == ".json":
        data = json.loads(text)
        if isinstance(data, dict) and "groups" in data:  # lrbridge's own {"total_step", "groups": [{name, lr}]}
            return {g.get("name", f"group{i}"): g["lr"] for i, g in enumerate(data["groups"])}, None
        return data, None
    if suffix == ".csv":
        rows = [r.split(",") for r in text.strip().splitlines() if r.strip()]
        header = None
        try:
            float(rows[0][0])
        except ValueError:
            header, rows = [h.strip() for h in rows[0]], rows[1:]
        arr = np.array([[float(v) for v in r] for r in rows], np.float64)
        if header and header[0].lower() in ("step", "steps", "k", "iter", "iteration", "global_step"):
            header, arr = header[1:], arr[:, 1:]
        return arr.T, header
    raise PlanError("values", f"unknown lr file type '{suffix}'; accepted: .npy, .json, .csv")


def _as_groups(values, names, dtype):
    """(names, float64 array (G, N), float32 flag) from any accepted input."""
    file_names = None
    if isinstance(values, (str, Path)):
        values, file_names = _load_file(Path(values))
    if hasattr(values, "lr") and hasattr(values, "names"):  # a Trace
        values, file_names = values.lr, list(values.names)
    is32 = dtype == "float32"
    if isinstance(values, dict):
        file_names = list(values)
        rows = [np.asarray(getattr(v, "asnumpy", lambda v=v: v)()) for v in values.values()]
        is32 = is32 or all(r.dtype == np.float32 for r in rows)
        lengths = {r.shape for r in rows}
        if len(lengths) != 1:
            raise PlanError("values", f"every group needs the same number of steps, got shapes {sorted(lengths)}")
        arr = np.stack(rows).astype(np.float64)
    else:
        raw = np.asarray(values.asnumpy() if hasattr(values, "asnumpy") else values)
        is32 = is32 or raw.dtype == np.float32
        arr = raw.astype(np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise PlanError("values", f"expected lrs as groups × steps, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise PlanError("values", "learning rates must be finite and non-negative")
    names = list(names) if names is not None else file_names or (
        ["default"] if arr.shape[0] == 1 else [f"group{i}" for i in range(arr.shape[0])])
    if len(names) != arr.shape[0]:
        raise PlanError("names", f"{len(names)} names for {arr.shape[0]} groups")
    if dtype not in ("float64", "float32"):
        raise PlanError("dtype", f"must be 'float64' or 'float32', got {dtype!r}")
    return names, arr, is32


# ---------------------------------------------------------------- from_trace


@dataclass
class _Group:
    name: str
    schedule: object
    base: float
    shared_with: int | None = None


def _scaled_copy(y, prev_rows, prev_fits, tol):
    """(index, c) when y = c·(an earlier group's curve) with a scale-equivariant schedule."""
    peak = int(np.argmax(y))
    for j, (row, fit) in enumerate(zip(prev_rows, prev_fits)):
        if fit is None or row[peak] == 0 or not fit.schedule.is_scale_equivariant():
            continue
        c = float(y[peak] / row[peak])
        if np.all(np.abs(c * row - y) <= tol.bound(y)):
            return j, c
    return None


def from_trace(values, *, names=None, dtype: str = "float64", steps_per_epoch: int | None = None,
               rtol: float = 1e-12, base_lr=None, optimizer: str = "sgd", source: str = "trace") -> ImportResult:
    """The plan reproducing recorded learning rates at every step, closed form where one fits.

    ``values``: array (groups × steps, or one curve), dict name → curve, a list (a MindSpore
    lr list), a ``Trace``, or a path to .npy / .json / .csv of logged lrs (csv: one column per
    group, optional header, optional leading step column). ``dtype="float32"`` (implied by
    float32 input) accepts the source's float32 rounding. ``steps_per_epoch``: epoch stairs
    are looked for with that many steps per epoch (else detected from the run lengths).
    ``base_lr`` (a float or one per group): the base lr the plan should use where the
    family leaves it free (e.g. a LambdaLR's initial lr, so that Noam gets its d_model).

    Returns ``ImportResult(exact=True)`` with horizon ``past: continue`` when every group is
    reproduced in closed form; else every group that does not fit is a table (``exact=False``,
    horizon ``past: error``) and the notes say from which step on and why.
    """
    names, arr, is32 = _as_groups(values, names, dtype)
    G, N = arr.shape
    if steps_per_epoch is not None and (not isinstance(steps_per_epoch, int) or steps_per_epoch < 1):
        raise PlanError("steps_per_epoch", f"must be a positive int, got {steps_per_epoch!r}")
    prefs = list(base_lr) if isinstance(base_lr, (list, tuple, np.ndarray)) else [base_lr] * G
    fits: list[_Group | None] = []
    notes: list[str] = []
    for i in range(G):
        y = arr[i]
        tol = Tolerance(rtol=rtol, float32=is32)
        shared = _scaled_copy(y, arr[:i], fits, tol)
        if shared is not None:
            j, c = shared
            base = fits[j].base * c
            near = [v for v in ([prefs[i]] if prefs[i] else []) + _nice(base) if abs(v - base) <= 4 * EPS * base]
            fits.append(_Group(names[i], fits[j].schedule, near[0], shared_with=j))  # 0.02, not 0.020000000000000004
            notes.append(f"group '{names[i]}': {c:.12g} × group '{names[j]}' (same schedule, scaled base lr)")
            continue
        found = _recognize_curve(y, tol, steps_per_epoch=steps_per_epoch, pref=prefs[i])
        if found is None:
            fits.append(None)
            bad = _first_unfitted(y, tol)
            where = (f"from step {bad} on (with at most {MAX_STAGES} stages)" if bad < N
                     else "as a whole (stages fit, but with too many parameters)")
            notes.append(f"group '{names[i]}': no closed form reproduces the curve {where} within rel {rtol:g}"
                         f"{' (float32)' if is32 else ''}: kept as a table of {N} steps")
            continue
        node, base, _ = found
        fits.append(_Group(names[i], node, float(base)))
        notes.append(f"group '{names[i]}': recognised {node.describe()} at base lr {base:.12g}")
    exact = all(f is not None for f in fits)
    tables = {i: Tabulated(values=tuple(arr[i].tolist()), source=f"{source}: {N} recorded steps") for i, f in enumerate(fits) if f is None}
    plan = _assemble(names, fits, tables, arr, optimizer, N, exact)
    if exact:
        notes.append(f"every group in closed form over the {N} recorded steps; past them the formulas continue")
    return ImportResult(plan=plan, exact=exact, notes=notes)


def _assemble(names, fits, tables, arr, optimizer, N, exact) -> Plan:
    G = len(names)
    schedules = [fits[i].schedule if fits[i] is not None else tables[i] for i in range(G)]
    bases = [fits[i].base if fits[i] is not None else 1.0 for i in range(G)]
    shared = schedules[0]
    groups = []
    for i in range(G):
        sel = {"rest": True} if G == 1 or i == G - 1 else {"params": (f"{names[i]}.*",)}
        own = None if schedules[i] is shared else schedules[i]
        groups.append(ParamGroup(name=names[i], lr=bases[i], scheduler=own, **sel))
    horizon = Horizon(steps=N, past="continue" if exact else "error")
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=bases[0]), groups=tuple(groups), scheduler=shared, horizon=horizon)


__all__ = ["Tolerance", "from_trace"]
