"""Constant, piecewise and exponential-family schedules (base lr ``b``, step ``k``)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import ValidationInfo, field_validator

from .base import Bool, Float, NonNegFloat, NonNegInt, PosInt, ScheduleBase


def strictly_increasing(values):
    """Validator body: milestones and boundaries must be strictly increasing."""
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"must be strictly increasing, got {list(values)}")
    return values


class Constant(ScheduleBase):
    """lr(k) = b."""

    kind: Literal["constant"] = "constant"

    def lr(self, k, base):
        return np.broadcast_to(np.asarray(base, np.float64), np.broadcast_shapes(np.shape(base), np.shape(k))).copy()


class ConstantFactor(ScheduleBase):
    """lr(k) = b·factor for k < total_iters, else b  (torch/OneFlow ``ConstantLR``)."""

    kind: Literal["constant_factor"] = "constant_factor"
    factor: NonNegFloat = 1.0 / 3
    total_iters: NonNegInt = 5

    def lr(self, k, base):
        return base * np.where(k < self.total_iters, self.factor, 1.0)


class LinearRamp(ScheduleBase):
    """lr(k) = b·(s + (e − s)·min(k, T)/T)  (``LinearLR``; s = 0 is MindSpore ``WarmUpLR``).

    T = 0 gives b·e at every step.
    """

    kind: Literal["linear"] = "linear"
    start_factor: NonNegFloat = 1.0 / 3
    end_factor: NonNegFloat = 1.0
    total_iters: NonNegInt = 5

    def lr(self, k, base):
        if self.total_iters == 0:
            return base * np.full(np.shape(k), self.end_factor)
        frac = np.minimum(k, self.total_iters) / self.total_iters
        return base * (self.start_factor + (self.end_factor - self.start_factor) * frac)


class Step(ScheduleBase):
    """lr(k) = b·γ^⌊k / step_size⌋  (``StepLR``)."""

    kind: Literal["step"] = "step"
    step_size: PosInt
    gamma: NonNegFloat = 0.1

    def lr(self, k, base):
        return base * np.power(self.gamma, np.floor(k / self.step_size))


class MultiStep(ScheduleBase):
    """lr(k) = b·γ^(number of milestones ≤ k)  (``MultiStepLR``)."""

    kind: Literal["multistep"] = "multistep"
    milestones: tuple[NonNegInt, ...]
    gamma: NonNegFloat = 0.1

    @field_validator("milestones")
    @classmethod
    def _sorted(cls, v):
        return strictly_increasing(v)

    def lr(self, k, base):
        count = np.searchsorted(np.asarray(self.milestones, np.float64), k, side="right")
        return base * np.power(self.gamma, count)


class Piecewise(ScheduleBase):
    """lr(k) = values[i] for boundaries[i−1] ≤ k < boundaries[i]  (MindSpore ``piecewise_constant_lr``).

    ``values`` has one entry more than ``boundaries``. With ``relative`` they are
    multipliers of b, otherwise absolute learning rates.
    """

    kind: Literal["piecewise"] = "piecewise"
    boundaries: tuple[NonNegInt, ...]
    values: tuple[Float, ...]
    relative: Bool = False

    @field_validator("boundaries")
    @classmethod
    def _sorted(cls, v):
        return strictly_increasing(v)

    @field_validator("values")
    @classmethod
    def _one_more(cls, v, info: ValidationInfo):
        if "boundaries" in info.data and len(v) != len(info.data["boundaries"]) + 1:
            raise ValueError(f"needs len(boundaries) + 1 = {len(info.data['boundaries']) + 1} entries, got {len(v)}")
        return v

    def _own_equivariance(self) -> bool:
        return self.relative

    def lr(self, k, base):
        idx = np.searchsorted(np.asarray(self.boundaries, np.float64), k, side="right")
        vals = np.asarray(self.values, np.float64)[idx]
        return base * vals if self.relative else np.broadcast_to(vals, np.broadcast_shapes(np.shape(base), vals.shape)).copy()


def _decay_clock(k, decay_steps: int, staircase: bool):
    p = np.asarray(k, np.float64) / decay_steps
    return np.floor(p) if staircase else p


class Exponential(ScheduleBase):
    """lr(k) = b·γ^p, p = k / decay_steps (⌊·⌋ with staircase)  (``ExponentialLR``, MindSpore ``ExponentialDecayLR``)."""

    kind: Literal["exponential"] = "exponential"
    gamma: NonNegFloat
    decay_steps: PosInt = 1
    staircase: Bool = False

    def lr(self, k, base):
        return base * np.power(self.gamma, _decay_clock(k, self.decay_steps, self.staircase))


class NaturalExpDecay(ScheduleBase):
    """lr(k) = b·exp(−r·t), t = k, or decay_steps·⌊k / decay_steps⌋ with staircase.

    This is MindSpore's ``natural_exp_decay_lr`` / ``NaturalExpDecayLR`` as it really
    runs: without staircase ``decay_steps`` has no effect.
    """

    kind: Literal["natural_exp"] = "natural_exp"
    decay_rate: NonNegFloat
    decay_steps: PosInt = 1
    staircase: Bool = False

    def lr(self, k, base):
        t = self.decay_steps * np.floor(k / self.decay_steps) if self.staircase else np.asarray(k, np.float64)
        return base * np.exp(-self.decay_rate * t)


class InverseTimeDecay(ScheduleBase):
    """lr(k) = b / (1 + r·p), p = k / decay_steps (⌊·⌋ with staircase)  (MindSpore ``InverseDecayLR``)."""

    kind: Literal["inverse_time"] = "inverse_time"
    decay_rate: NonNegFloat
    decay_steps: PosInt = 1
    staircase: Bool = False

    def lr(self, k, base):
        return base / (1.0 + self.decay_rate * _decay_clock(k, self.decay_steps, self.staircase))
