"""One curve: whole-curve families first, then templates, then stages; and where greedy staging stops (for the notes)."""

from __future__ import annotations

import numpy as np

from ..schedules import Constant, Piecewise, Sequential

from .limits import MAX_STAGES
from .rounding import _build
from .segment import _breakpoints, _fit_at, _sequence, _stages_at
from .smooth import _fit_constant
from .stairs import _fit_stairs, _runs
from .templates import _TEMPLATES
from .verify import Tolerance, _match_len


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
