"""Schedules from transformer recipes: inverse square root and Noam."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import NonNegInt, PosFloat, PosInt, ScheduleBase
from .xp import Formula


def inverse_sqrt_lr(xp, c, k, base):
    """b·k/W for k < W, else b / sqrt((max(k, W) + τ − W)/τ)."""
    decay = xp.one / xp.sqrt((xp.maximum(k, c.warmup_steps) + c.timescale - c.warmup_steps) / c.timescale)
    if c.has_warmup:
        return base * xp.where(k < c.warmup_steps, k / c.warmup_steps, decay)
    return base * decay


class InverseSqrt(ScheduleBase):
    """Linear warmup, then inverse square-root decay (transformers ``get_inverse_sqrt_schedule``).

    lr(k) = b·k/W for k < W, else b / sqrt((k + τ − W)/τ) with timescale τ
    (default W, or 10000 when W = 0).
    """

    kind: Literal["inverse_sqrt"] = "inverse_sqrt"
    warmup_steps: NonNegInt = 0
    timescale: PosInt | None = None

    formula: ClassVar[Formula] = Formula(
        inverse_sqrt_lr,
        lambda node: {
            "warmup_steps": node.warmup_steps,
            "timescale": node.timescale or (node.warmup_steps or 10_000),
            "has_warmup": node.warmup_steps > 0,
        },
    )


def noam_lr(xp, c, k, base):
    """b·d^−½·min(s^−½, s·W^−3/2), s = k + 1."""
    s = k + xp.one
    return base * c.scale * xp.minimum(xp.pow(s, c.neg_half), s * c.ramp)


class Noam(ScheduleBase):
    """lr(k) = b·d_model^−½·min(s^−½, s·W^−3/2), s = k + 1  ("Attention is all you need")."""

    kind: Literal["noam"] = "noam"
    d_model: PosFloat
    warmup_steps: PosInt

    formula: ClassVar[Formula] = Formula(
        noam_lr,
        lambda node: {"scale": node.d_model**-0.5, "neg_half": -0.5, "ramp": node.warmup_steps**-1.5},
    )
