"""Per-group scaling: a group that is a constant multiple of an earlier one shares its schedule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
