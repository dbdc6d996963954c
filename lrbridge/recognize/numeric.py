"""Small numeric helpers of the fits: a line through two points, the last change, bisection, integers near x."""

from __future__ import annotations

import math

import numpy as np


def _line(t, z):
    """Slope and value at clock 0 of the line through the first and last points of z(t)."""
    slope = (z[-1] - z[0]) / (t[-1] - t[0])
    return slope, z[0] - slope * t[0]


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
