"""The weight decay a target really applies, recovered from parameter updates (never read from param_groups).

Probe: per group one float32 scalar set to p = 1 before every step, gradient 0, and an
optimizer whose zero-gradient update is the decay alone:

- SGD without momentum (L2 decay):  p ← p − lr_k·(0 + wd_k·p)
- AdamW (decoupled decay):          p ← p·(1 − lr_k·wd_k) − lr_k·0/(0 + eps)

Either way the update is Δ_k = 1 − p_{k+1} = lr_k · wd_k, so with lr_k the applied lr
(measured separately to 0 ulp)

    wd_k = Δ_k / lr_k

Δ_k carries the float32 rounding of a number near 1 (half an ulp of 1: 6e-8), so the
decay lr_k·wd_k is recovered to ``DECAY_ATOL`` absolute; steps with lr_k = 0 decay
nothing and give NaN (unobservable).
"""

from __future__ import annotations

import numpy as np

#: absolute tolerance on a recovered decay lr_k·wd_k (a few float32 roundings near 1)
DECAY_ATOL = 2.5e-7


def weight_decay_from_updates(deltas, lrs) -> np.ndarray:
    """Applied weight decay per group and step from updates ``deltas`` (G, N) of p = 1 and applied lrs (G, N)."""
    deltas = np.asarray(deltas, np.float64)
    lrs = np.asarray(lrs, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(lrs != 0, deltas / lrs, np.nan)


def max_decay_gap(got, want, lrs) -> float:
    """max_k |lr_k·got_k − lr_k·want_k| over observable steps: the decay the target applied vs the plan's
    (compare with ``DECAY_ATOL``)."""
    gap = np.abs((np.asarray(got, np.float64) - np.asarray(want, np.float64)) * np.asarray(lrs, np.float64))
    return float(np.nanmax(gap))
