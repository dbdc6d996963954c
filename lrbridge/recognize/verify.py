"""Verification: when a fitted value counts as the recorded one, and how many leading points a node reproduces."""

from __future__ import annotations

import functools

from dataclasses import dataclass

import numpy as np

from .limits import _SAMPLE


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
