"""Schedules from transformer recipes: inverse square root and Noam."""

from __future__ import annotations

from typing import Literal

import numpy as np

from .base import NonNegInt, PosFloat, PosInt, ScheduleBase


class InverseSqrt(ScheduleBase):
    """Linear warmup, then inverse square-root decay (transformers ``get_inverse_sqrt_schedule``).

    lr(k) = b·k/W for k < W, else b / sqrt((k + τ − W)/τ) with timescale τ
    (default W, or 10000 when W = 0).
    """

    kind: Literal["inverse_sqrt"] = "inverse_sqrt"
    warmup_steps: NonNegInt = 0
    timescale: PosInt | None = None

    def lr(self, k, base):
        w = self.warmup_steps
        tau = self.timescale or (w or 10_000)
        decay = 1.0 / np.sqrt((np.maximum(k, w) + tau - w) / tau)
        warm = k / w if w else 1.0
        return base * np.where(k < w, warm, decay)


class Noam(ScheduleBase):
    """lr(k) = b·d_model^−½·min(s^−½, s·W^−3/2), s = k + 1  ("Attention is all you need")."""

    kind: Literal["noam"] = "noam"
    d_model: PosFloat
    warmup_steps: PosInt

    def lr(self, k, base):
        s = np.asarray(k, np.float64) + 1.0
        return base * self.d_model**-0.5 * np.minimum(s**-0.5, s * self.warmup_steps**-1.5)
