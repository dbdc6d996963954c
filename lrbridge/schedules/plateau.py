"""Metric-driven schedules: kept in the IR, mapped to native mechanisms, never precomputed."""

from __future__ import annotations

from typing import Literal

from ..errors import EvaluationError
from .base import NonNegFloat, NonNegInt, ScheduleBase


class ReduceOnPlateau(ScheduleBase):
    """torch/OneFlow ``ReduceLROnPlateau``: lr ← max(lr·factor, min_lr) after ``patience`` bad epochs.

    The lr depends on a metric known only during training, so it has no closed
    form: evaluating it raises; adapters map it to the framework's plateau class.
    """

    kind: Literal["reduce_on_plateau"] = "reduce_on_plateau"
    mode: Literal["min", "max"] = "min"
    factor: NonNegFloat = 0.1
    patience: NonNegInt = 10
    threshold: NonNegFloat = 1e-4
    threshold_mode: Literal["rel", "abs"] = "rel"
    cooldown: NonNegInt = 0
    min_lr: NonNegFloat = 0.0
    eps: NonNegFloat = 1e-8

    def _own_equivariance(self):
        return False

    def lr(self, k, base):
        raise EvaluationError(
            "reduce_on_plateau depends on a validation metric seen during training, so its lr "
            "cannot be computed ahead of time; run it natively (to_torch / to_oneflow eager) instead"
        )
