"""Cosine schedules: periodic annealing, clamped decay, and warm restarts.

Each family's lr is one function of ``(xp, c, k, base)`` (see ``xp``): the
reference runs it with numpy, the MindSpore cells with MindSpore float64 ops.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np

from ..limits import MAX_STEP
from .base import NonNegFloat, NonNegInt, PosInt, ScheduleBase, within_steps
from .xp import NUMPY, Formula, numpy_constants


def cosine_lr(xp, c, k, base):
    """η + (b − η)·(1 + cos(π·(k mod 2T)/T)) / 2.

    k is reduced by the period 2·T first (exact in float64): π·k/T itself carries an
    absolute rounding error ~ulp(π·k/T), 3e-12 relative at k = 10^4, T = 7, and
    growing with k.
    """
    return xp.half_cos(xp.mod(k, c.period) / c.T_max) * (base - c.eta_min) + c.eta_min


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

    formula: ClassVar[Formula] = Formula(
        cosine_lr, lambda node: {"eta_min": node.eta_min, "T_max": node.T_max, "period": 2 * node.T_max}
    )


def cosine_decay_lr(xp, c, k, base):
    """m + (b − m)·(1 + cos(π·min(k, S)/S)) / 2 with m = min_lr + alpha·b."""
    floor = c.min_lr + c.alpha * base
    return xp.half_cos(xp.minimum(k, c.decay_steps) / c.decay_steps) * (base - floor) + floor


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

    def settles_at(self) -> int:
        """decay_steps S: min(k, S) = S from there on (the floor m)."""
        return self.decay_steps

    def _own_equivariance(self):
        return self.min_lr == 0.0

    formula: ClassVar[Formula] = Formula(
        cosine_decay_lr, lambda node: {"min_lr": node.min_lr, "alpha": node.alpha, "decay_steps": node.decay_steps}
    )


#: Cycle starts are tabulated while they are exact float64 integers (steps beyond are not exact either).
EXACT_STEPS = 2**53


def restart_constants(T_0: int, T_mult: int) -> dict:
    """The cycle table of ``cycles``: start and length of every cycle starting below 2**53.

    Cycle c starts at T_0·(m^c − 1)/(m − 1), computed with Python integers (at most
    53 cycles for m ≥ 2).
    """
    starts, lengths, start, length = [], [], 0, T_0
    while T_mult != 1 and start < EXACT_STEPS:
        starts.append(start)
        lengths.append(length)
        start, length = start + length, length * T_mult
    return {
        "T_0": T_0,
        "geometric": T_mult != 1,
        "starts": np.asarray(starts or [0], np.float64),
        "lengths": np.asarray(lengths or [T_0], np.float64),
    }


def cycles(xp, c, k):
    """Cycle index c, step within the cycle τ and cycle length T_c, exact.

    Each k is placed by counting the tabulated cycle starts ≤ k (an integer search),
    never by a float log: ⌊log_m(...)⌋ in floating point is off by one at exact
    powers (torch ``step(epoch)`` and OneFlow return 0.0 at k = 121 for T_0 = 1,
    T_mult = 3). With T_mult = 1, c = ⌊k / T_0⌋ (exact below 2**53).
    """
    if c.geometric:
        cycle = xp.count_le(c.starts, k) - 1
        return cycle, k - xp.take(c.starts, cycle), xp.take(c.lengths, cycle)
    cycle = xp.floor(k / c.T_0)
    return cycle, k - cycle * c.T_0, xp.fill(c.T_0, k, k)


def restart_cycles(k: np.ndarray, T_0: int, T_mult: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``cycles`` in numpy for integer steps k: (cycle index, step within the cycle, cycle length)."""
    return cycles(NUMPY, numpy_constants(restart_constants(T_0, T_mult)), np.asarray(k, np.float64))


def cosine_restarts_lr(xp, c, k, base):
    """η + (b·d^c − η)·(1 + cos(π·τ/T_c)) / 2 in cycle c (τ steps into it); η from cycle ``restart_limit`` on."""
    cycle, tau, length = cycles(xp, c, k)
    peak = base * xp.pow(c.decay_rate, cycle)
    out = xp.half_cos(tau / length) * (peak - c.eta_min) + c.eta_min
    if c.limited:
        out = xp.where(cycle < c.restart_limit, out, c.eta_min)
    return out


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

    def settles_at(self) -> int | None:
        """With restart_limit L > 0: the start of cycle L (η from there on); without, restarts forever (None)."""
        if self.restart_limit == 0:
            return None
        if self.T_mult == 1:
            return within_steps(self.restart_limit * self.T_0)
        start, length = 0, self.T_0
        for _ in range(self.restart_limit):  # at most ~53 cycles start below 2**53
            start, length = start + length, length * self.T_mult
            if start >= MAX_STEP:  # not tabulated (``restart_constants``): never reached exactly
                return None
        return start

    def _own_equivariance(self):
        return self.eta_min == 0.0

    formula: ClassVar[Formula] = Formula(
        cosine_restarts_lr,
        lambda node: {
            **restart_constants(node.T_0, node.T_mult),
            "eta_min": node.eta_min,
            "decay_rate": node.decay_rate,
            "restart_limit": node.restart_limit,
            "limited": node.restart_limit > 0,
        },
    )
