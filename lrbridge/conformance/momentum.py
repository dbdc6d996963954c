"""The momentum a target really applies, recovered from parameter updates (never read from param_groups).

Probe: per group one float32 scalar, gradient 1 at every step, SGD with momentum and
dampening 0, the parameter read and reset to 0 after every step. Heavy-ball SGD
(torch, MindSpore's ``SGD``/``ApplyMomentum``, OneFlow) keeps a buffer

    buf_0 = g = 1,        buf_k = m_k · buf_{k−1} + 1

and moves the parameter by Δ_k = lr_k · buf_k. With lr_k known (the applied lr,
measured separately to 0 ulp), buf_k = Δ_k / lr_k, and

    m_k = (buf_k − 1) / buf_{k−1}        (k ≥ 1; step 0 never reads the momentum)

Each Δ_k carries one float32 rounding, so m_k is recovered to about 1e-6 absolute
for momenta of order 0.5–0.99 (compare with ``MOMENTUM_ATOL``).
"""

from __future__ import annotations

import numpy as np

#: absolute tolerance on a recovered momentum (float32 updates, a ratio of two of them)
MOMENTUM_ATOL = 1e-5


def momentum_from_updates(deltas, lrs) -> np.ndarray:
    """Applied momentum per group and step from updates ``deltas`` (G, N) and applied lrs (G, N).

    Column 0 is NaN: the first step uses the gradient as the buffer, whatever the momentum.
    """
    deltas = np.asarray(deltas, np.float64)
    lrs = np.asarray(lrs, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        buf = deltas / lrs
        out = np.full(deltas.shape, np.nan)
        out[:, 1:] = (buf[:, 1:] - 1.0) / buf[:, :-1]
    return out
