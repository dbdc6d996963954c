"""Parameters rounded to the fewest significant digits that still reproduce the curve (0.1, not 0.10000000000000002)."""

from __future__ import annotations

import math

from .verify import Tolerance, _sample_ok


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
