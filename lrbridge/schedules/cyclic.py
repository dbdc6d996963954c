"""Cyclical schedules with absolute lr bounds: one-cycle and cyclic (triangular, exp_range)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from typing import Annotated

from pydantic import Field, model_validator

from .base import Bool, NonNegFloat, PosFloat, PosInt, ScheduleBase


def _anneal(start, end, pct, strategy: str):
    if strategy == "cos":
        return end + (start - end) * 0.5 * (1.0 + np.cos(np.pi * pct))
    return start + (end - start) * pct


class OneCycle(ScheduleBase):
    """torch ``OneCycleLR`` (lr part), phases in optimizer steps k, N = total_steps.

    initial = max_lr / div_factor, final = initial / final_div_factor. Two phases:
    initial → max_lr over k ∈ [0, pct·N − 1], then max_lr → final until N − 1.
    ``three_phase``: initial → max → initial → final with ends pct·N − 1, 2·pct·N − 2,
    N − 1. Inside a phase lr = anneal(start, end, (k − k0)/(k1 − k0)), cosine or
    linear. The last phase continues its formula past N − 1.
    """

    kind: Literal["one_cycle"] = "one_cycle"
    total_steps: PosInt
    max_lr: PosFloat
    pct_start: Annotated[float, Field(strict=True, ge=0.0, le=1.0)] = 0.3
    anneal_strategy: Literal["cos", "linear"] = "cos"
    div_factor: PosFloat = 25.0
    final_div_factor: PosFloat = 1e4
    three_phase: Bool = False

    @model_validator(mode="after")
    def _first_phase_not_empty(self):
        # A phase is used for k in (previous end, end]; only the first can be empty *and* used
        # (at k = 0, when pct_start·total_steps = 1), where torch raises ZeroDivisionError.
        if self.pct_start * self.total_steps == 1:
            raise ValueError(
                "pct_start·total_steps = 1 leaves the warm-up phase of one_cycle empty at step 0 "
                "(torch divides by zero there); adjust pct_start or total_steps"
            )
        return self

    def _own_equivariance(self):
        return False

    def phases(self) -> list[tuple[float, float, float]]:
        """(end_step, start_lr, end_lr) per phase, as torch builds them."""
        n, p = self.total_steps, self.pct_start
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        if self.three_phase:
            return [(p * n - 1, initial, self.max_lr), (2 * p * n - 2, self.max_lr, initial), (n - 1, initial, final)]
        return [(p * n - 1, initial, self.max_lr), (n - 1, self.max_lr, final)]

    def lr(self, k, base):
        k = np.asarray(k, np.float64)
        out = np.empty(k.shape)
        done = np.zeros(k.shape, bool)
        start = 0.0
        phases = self.phases()
        for i, (end, lo, hi) in enumerate(phases):
            here = ~done & ((k <= end) | (i == len(phases) - 1))
            out[here] = _anneal(lo, hi, (k[here] - start) / (end - start), self.anneal_strategy)
            done |= here
            start = end
        return np.broadcast_to(out, np.broadcast_shapes(np.shape(base), out.shape)).copy()


class Cyclic(ScheduleBase):
    """torch ``CyclicLR`` (lr part): triangular waves between absolute base_lr and max_lr.

    L = up + down, c = ⌊1 + k/L⌋, x = 1 + k/L − c, s = x/r if x ≤ r else (x − 1)/(r − 1)
    with r = up/L; lr = base_lr + (max_lr − base_lr)·s·f, where f = 1 (triangular),
    1/2^(c−1) (triangular2) or γ^k (exp_range).
    """

    kind: Literal["cyclic"] = "cyclic"
    base_lr: NonNegFloat
    max_lr: NonNegFloat
    step_size_up: PosInt = 2000
    step_size_down: PosInt | None = None
    mode: Literal["triangular", "triangular2", "exp_range"] = "triangular"
    gamma: NonNegFloat = 1.0

    def _own_equivariance(self):
        return False

    def lr(self, k, base):
        k = np.asarray(k, np.float64)
        up = float(self.step_size_up)
        down = float(self.step_size_down if self.step_size_down is not None else self.step_size_up)
        total = up + down
        ratio = up / total
        cycle = np.floor(1.0 + k / total)
        x = 1.0 + k / total - cycle
        scale = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
        if self.mode == "triangular":
            f = 1.0
        elif self.mode == "triangular2":
            f = 1.0 / np.power(2.0, cycle - 1.0)
        else:
            f = np.power(self.gamma, k)
        out = self.base_lr + (self.max_lr - self.base_lr) * scale * f
        return np.broadcast_to(out, np.broadcast_shapes(np.shape(base), out.shape)).copy()
