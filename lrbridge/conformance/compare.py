"""Compare measured curves with the reference: float32 paths in ulps, float64 paths by relative error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _ordered_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> int64 such that adjacent floats differ by 1 (sign-magnitude made monotonic)."""
    bits = np.asarray(x, np.float32).view(np.int32).astype(np.int64)
    return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)


def ulp_distance(a, b) -> np.ndarray:
    """Number of float32 values between a and b (0 = identical after rounding to float32)."""
    return np.abs(_ordered_bits(a) - _ordered_bits(b))


@dataclass
class Comparison:
    """Result of comparing a measured (or native) curve with the reference.

    metric is "ulp" (float32 paths: measured vs the reference rounded to float32)
    or "rel" (float64 paths: |a − b| / |b|, with |b| = 0 compared absolutely).
    """

    metric: str
    tolerance: float
    worst: float
    worst_group: str
    worst_step: int
    measured_value: float
    reference_value: float

    @property
    def ok(self) -> bool:
        return self.worst <= self.tolerance

    def __str__(self) -> str:
        unit = "ulp (float32)" if self.metric == "ulp" else "relative error (float64)"
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"{verdict}: worst {self.worst:.3g} {unit} (tolerance {self.tolerance:g}) at group "
            f"'{self.worst_group}', step {self.worst_step}: measured {self.measured_value!r}, "
            f"reference {self.reference_value!r}"
        )


def compare(measured, reference, *, group_names=None, metric: str = "ulp", tolerance: float = 0.0) -> Comparison:
    """Compare arrays of shape (groups, steps) (1-D is one group).

    ``metric="ulp"``: the reference is rounded to float32 and the distance counted
    in float32 ulps. ``metric="rel"``: float64 relative error.
    """
    m = np.atleast_2d(np.asarray(measured, np.float64))
    r = np.atleast_2d(np.asarray(reference, np.float64))
    if m.shape != r.shape:
        raise ValueError(f"shapes differ: measured {m.shape}, reference {r.shape}")
    names = list(group_names) if group_names is not None else [str(i) for i in range(m.shape[0])]
    if metric == "ulp":
        err = ulp_distance(m, r.astype(np.float32)).astype(np.float64)
    elif metric == "rel":
        scale = np.abs(r)
        err = np.where(scale > 0, np.abs(m - r) / np.where(scale > 0, scale, 1.0), np.abs(m - r))
    else:
        raise ValueError(f"metric must be 'ulp' or 'rel', got {metric!r}")
    if err.size == 0:
        return Comparison(metric, tolerance, 0.0, names[0] if names else "", 0, float("nan"), float("nan"))
    g, k = np.unravel_index(int(np.argmax(err)), err.shape)
    return Comparison(metric, tolerance, float(err[g, k]), names[g], int(k), float(m[g, k]), float(r[g, k]))
