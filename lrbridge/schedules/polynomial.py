"""Polynomial decay (torch ``PolynomialLR``, OneFlow ``PolynomialLR``, MindSpore ``PolynomialDecayLR``)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from .base import Bool, NonNegFloat, NonNegInt, PosInt, ScheduleBase


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

    def _own_equivariance(self):
        return self.end_lr == 0.0

    def lr(self, k, base):
        T = self.total_iters
        if self.cycle:
            t = np.maximum(k, self.cycle_min_step)
            horizon = T * np.maximum(np.ceil(t / T), 1.0)
        else:
            t, horizon = np.minimum(k, T), T
        return (base - self.end_lr) * np.power(1.0 - t / horizon, self.power) + self.end_lr
