"""Polynomial decay (torch ``PolynomialLR``, OneFlow ``PolynomialLR``, MindSpore ``PolynomialDecayLR``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from .base import Bool, NonNegFloat, NonNegInt, PosInt, ScheduleBase
from .xp import Formula


def polynomial_lr(xp, c, k, base):
    """(b − end)·(1 − t/D)^power + end; t = min(k, T), D = T, or with cycle t = max(k, k_min), D = T·max(⌈t/T⌉, 1)."""
    if c.cycle:
        t = xp.maximum(k, c.cycle_min_step)
        horizon = c.total_iters * xp.maximum(xp.ceil(t / c.total_iters), xp.one)
    else:
        t = xp.minimum(k, c.total_iters)
        horizon = c.total_iters
    return (base - c.end_lr) * xp.pow(xp.one - t / horizon, c.power) + c.end_lr


class Polynomial(ScheduleBase):
    """lr(k) = (b − end)·(1 − t/D)^power + end.

    Without ``cycle``: t = min(k, T), D = T (T = total_iters); torch's
    ``PolynomialLR`` is end_lr = 0. With ``cycle`` the decay restarts with a longer
    horizon: t = max(k, cycle_min_step), D = T·max(⌈t/T⌉, 1). MindSpore
    (``update_decay_steps``) has cycle_min_step = 0; OneFlow treats k = 0 as 1
    (cycle_min_step = 1), so its first step already decays. ``end_lr`` is absolute.
    """

    kind: Literal["polynomial"] = "polynomial"
    total_iters: PosInt
    power: NonNegFloat = 1.0
    end_lr: NonNegFloat = 0.0
    cycle: Bool = False
    cycle_min_step: NonNegInt = 0

    def settles_at(self) -> int | None:
        """Without cycle: total_iters T (min(k, T) = T, the end lr); with cycle the horizon grows (None)."""
        return None if self.cycle else self.total_iters

    def _own_equivariance(self):
        return self.end_lr == 0.0

    formula: ClassVar[Formula] = Formula(
        polynomial_lr,
        lambda node: {
            "total_iters": node.total_iters,
            "power": node.power,
            "end_lr": node.end_lr,
            "cycle": node.cycle,
            "cycle_min_step": node.cycle_min_step,
        },
    )
