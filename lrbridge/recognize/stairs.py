"""Stairs: closed forms of piecewise-constant curves (step, multistep, constant_factor, epoch stairs, piecewise)."""

from __future__ import annotations

import numpy as np

from ..schedules import ByEpoch, ConstantFactor, MultiStep, Piecewise, Step

from .limits import MAX_RUNS
from .rounding import _build, _refine
from .verify import Tolerance


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
    from .curve import _recognize_curve  # here, not at the top: curve -> segment -> stairs -> curve

    epochs = y[::spe]
    inner = _recognize_curve(epochs, tol, depth=depth + 1)
    if inner is None:
        return []
    node, base, params = inner
    wrapped = _build(ByEpoch, schedule=node, steps_per_epoch=int(spe), cadence="epoch")
    return [(wrapped, base, params + 1)] if wrapped is not None else []
