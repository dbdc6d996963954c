"""Segmentation and composition: cut the curve at its breakpoints, fit stages, cover it with the fewest of them."""

from __future__ import annotations

import numpy as np

from ..schedules import Sequential

from .limits import MAX_RUNS, MAX_STAGES, _MAX_STARTS
from .rounding import _build
from .smooth import _SMOOTH
from .stages import Stage, _rebase
from .stairs import _fit_stairs, _runs
from .verify import Tolerance, _match_len


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
