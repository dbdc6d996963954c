"""Cosine schedules: periodic annealing, clamped decay, and warm restarts."""

from __future__ import annotations

from typing import Literal

import numpy as np

from .base import NonNegFloat, NonNegInt, PosInt, ScheduleBase


def _half_cosine(frac):
    """(1 + cos(π·frac)) / 2: 1 at frac = 0, 0 at frac = 1."""
    x = np.multiply(np.pi, frac)  # a fresh array, updated in place below (no temporaries)
    np.cos(x, out=x)
    x += 1.0
    x *= 0.5
    return x


class CosineAnnealing(ScheduleBase):
    """lr(k) = η + (b − η)·(1 + cos(π·k / T_max)) / 2  (``CosineAnnealingLR``).

    Periodic past T_max, exactly like torch and OneFlow: the lr rises again.
    ``eta_min`` (η) is an absolute lr.
    """

    kind: Literal["cosine"] = "cosine"
    T_max: PosInt
    eta_min: NonNegFloat = 0.0

    def _own_equivariance(self):
        return self.eta_min == 0.0

    def lr(self, k, base):
        # Reduce k by the period 2·T_max first (exact in float64): π·k/T_max itself carries an
        # absolute rounding error ~ulp(π·k/T_max), 3e-12 relative at k = 10^4, T_max = 7.
        return self.eta_min + (base - self.eta_min) * _half_cosine(np.mod(k, 2 * self.T_max) / self.T_max)


class CosineDecay(ScheduleBase):
    """lr(k) = m + (b − m)·(1 + cos(π·min(k, S)/S)) / 2, floor m = min_lr + alpha·b.

    Clamped at the floor from S = decay_steps on. MindSpore ``cosine_decay_lr`` /
    ``CosineDecayLR`` use an absolute ``min_lr``; OneFlow ``CosineDecayLR`` a
    fraction ``alpha`` of the base lr.
    """

    kind: Literal["cosine_decay"] = "cosine_decay"
    decay_steps: PosInt
    min_lr: NonNegFloat = 0.0
    alpha: NonNegFloat = 0.0

    def _own_equivariance(self):
        return self.min_lr == 0.0

    def lr(self, k, base):
        floor = self.min_lr + self.alpha * base
        frac = np.minimum(k, self.decay_steps)
        frac /= self.decay_steps
        return floor + (base - floor) * _half_cosine(frac)


def restart_cycles(k: np.ndarray, T_0: int, T_mult: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cycle index c, step within the cycle τ and cycle length T_c, computed exactly.

    Cycle c starts at T_0·(m^c − 1)/(m − 1). The starts are tabulated with Python
    integers (at most 63 cycles fit below 2**63) and each k is placed by an integer
    search, never a float log: ⌊log_m(...)⌋ in floating point is off by one at exact
    powers (torch ``step(epoch)`` and OneFlow return 0.0 at k = 121 for T_0 = 1,
    T_mult = 3). The search is also several times faster than powers per step.
    """
    k = np.asarray(k).astype(np.int64)
    if T_mult == 1:
        cycle = k // T_0
        return cycle, k - cycle * T_0, np.full_like(k, T_0)
    last = int(k.max()) if k.size else 0
    starts, length = [0], T_0
    while starts[-1] <= last:
        starts.append(starts[-1] + length)
        length *= T_mult
    starts_arr = np.array(starts[:-1], np.int64)
    cycle = np.searchsorted(starts_arr, k, side="right") - 1
    lengths = np.array([T_0 * T_mult**c for c in range(len(starts_arr))], np.int64)
    return cycle, k - starts_arr[cycle], lengths[cycle]


class CosineWarmRestarts(ScheduleBase):
    """Cosine annealing restarted after cycles of length T_0, T_0·m, T_0·m², ...

    lr(k) = η + (b·d^c − η)·(1 + cos(π·τ/T_c)) / 2 in cycle c (τ steps into it), with
    T_mult = m and decay_rate = d (OneFlow). With ``restart_limit`` > 0 the lr is η
    from cycle ``restart_limit`` on (OneFlow). torch ``CosineAnnealingWarmRestarts``
    is d = 1, restart_limit = 0.
    """

    kind: Literal["cosine_restarts"] = "cosine_restarts"
    T_0: PosInt
    T_mult: PosInt = 1
    eta_min: NonNegFloat = 0.0
    decay_rate: NonNegFloat = 1.0
    restart_limit: NonNegInt = 0

    def _own_equivariance(self):
        return self.eta_min == 0.0

    def lr(self, k, base):
        cycle, tau, length = restart_cycles(k, self.T_0, self.T_mult)
        peak = base * np.power(self.decay_rate, cycle)
        out = self.eta_min + (peak - self.eta_min) * _half_cosine(tau / length)
        if self.restart_limit:
            out = np.where(cycle < self.restart_limit, out, self.eta_min)
        return out
