"""Constant, piecewise and exponential-family schedules (base lr ``b``, step ``k``).

Each family's lr is one function of ``(xp, c, k, base)`` (see ``xp``): the
reference runs it with numpy, the MindSpore cells with MindSpore float64 ops.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import ValidationInfo, field_validator

from .base import Bool, Float, NonNegFloat, NonNegInt, PosInt, ScheduleBase
from .xp import Formula, decay_clock


def strictly_increasing(values):
    """Validator body: milestones and boundaries must be strictly increasing."""
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"must be strictly increasing, got {list(values)}")
    return values


def constant_lr(xp, c, k, base):
    """b at every step."""
    return xp.fill(base, base, k)


class Constant(ScheduleBase):
    """lr(k) = b."""

    kind: Literal["constant"] = "constant"
    formula: ClassVar[Formula] = Formula(constant_lr, lambda node: {})

    def settles_at(self) -> int:
        """0: b at every step."""
        return 0


def constant_factor_lr(xp, c, k, base):
    """b·factor for k < total_iters, else b."""
    return base * xp.where(k < c.total_iters, c.factor, xp.one)


class ConstantFactor(ScheduleBase):
    """lr(k) = b·factor for k < total_iters, else b  (torch/OneFlow ``ConstantLR``)."""

    kind: Literal["constant_factor"] = "constant_factor"
    factor: NonNegFloat = 1.0 / 3
    total_iters: NonNegInt = 5

    def settles_at(self) -> int:
        """total_iters: b from there on (0 for factor 1, which is b·1 throughout)."""
        return 0 if self.factor == 1.0 else self.total_iters

    formula: ClassVar[Formula] = Formula(
        constant_factor_lr, lambda node: {"factor": node.factor, "total_iters": node.total_iters}
    )


def linear_lr(xp, c, k, base):
    """b·(s + (e − s)·min(k, T)/T); b·e at every step when T = 0."""
    if c.empty:
        return xp.fill(base * c.end_factor, base, k)
    return base * (c.start_factor + c.span * (xp.minimum(k, c.total_iters) / c.total_iters))


class LinearRamp(ScheduleBase):
    """lr(k) = b·(s + (e − s)·min(k, T)/T)  (``LinearLR``; s = 0 is MindSpore ``WarmUpLR``).

    T = 0 gives b·e at every step.
    """

    kind: Literal["linear"] = "linear"
    start_factor: NonNegFloat = 1.0 / 3
    end_factor: NonNegFloat = 1.0
    total_iters: NonNegInt = 5

    def settles_at(self) -> int:
        """total_iters T: min(k, T) = T from there on (T = 0: b·e at every step)."""
        return self.total_iters

    formula: ClassVar[Formula] = Formula(
        linear_lr,
        lambda node: {
            "start_factor": node.start_factor,
            "end_factor": node.end_factor,
            "span": node.end_factor - node.start_factor,
            "total_iters": node.total_iters or 1,  # never a divisor of 0: T = 0 takes the other branch
            "empty": node.total_iters == 0,
        },
    )


def step_lr(xp, c, k, base):
    """b·γ^⌊k / step_size⌋."""
    return base * xp.pow(c.gamma, xp.floor(k / c.step_size))


class Step(ScheduleBase):
    """lr(k) = b·γ^⌊k / step_size⌋  (``StepLR``)."""

    kind: Literal["step"] = "step"
    step_size: PosInt
    gamma: NonNegFloat = 0.1

    def settles_at(self) -> int | None:
        """γ = 1: 0 (1^n = 1); otherwise γ^n keeps changing (None; γ = −0.0 alternates the sign of 0)."""
        return 0 if self.gamma == 1.0 else None

    formula: ClassVar[Formula] = Formula(step_lr, lambda node: {"gamma": node.gamma, "step_size": node.step_size})


def multistep_lr(xp, c, k, base):
    """b·γ^(number of milestones ≤ k)."""
    return base * xp.pow(c.gamma, xp.count_le(c.milestones, k))


class MultiStep(ScheduleBase):
    """lr(k) = b·γ^(number of milestones ≤ k)  (``MultiStepLR``)."""

    kind: Literal["multistep"] = "multistep"
    milestones: tuple[NonNegInt, ...]
    gamma: NonNegFloat = 0.1

    def settles_at(self) -> int:
        """The last milestone: the count of milestones ≤ k is final there (0 without milestones or with γ = 1)."""
        return 0 if not self.milestones or self.gamma == 1.0 else self.milestones[-1]

    @field_validator("milestones")
    @classmethod
    def _sorted(cls, v):
        return strictly_increasing(v)

    formula: ClassVar[Formula] = Formula(
        multistep_lr, lambda node: {"gamma": node.gamma, "milestones": np.asarray(node.milestones, np.float64)}
    )


def piecewise_lr(xp, c, k, base):
    """values[number of boundaries ≤ k], times b when relative."""
    vals = xp.take(c.values, xp.count_le(c.boundaries, k))
    if c.relative:
        return base * vals
    return xp.fill(vals, base, k)


class Piecewise(ScheduleBase):
    """lr(k) = values[i] for boundaries[i−1] ≤ k < boundaries[i]  (MindSpore ``piecewise_constant_lr``).

    ``values`` has one entry more than ``boundaries``. With ``relative`` they are
    multipliers of b, otherwise absolute learning rates.
    """

    kind: Literal["piecewise"] = "piecewise"
    boundaries: tuple[NonNegInt, ...]
    values: tuple[Float, ...]
    relative: Bool = False

    def settles_at(self) -> int:
        """The last boundary: values[-1] from there on (0 without boundaries)."""
        return self.boundaries[-1] if self.boundaries else 0

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

    formula: ClassVar[Formula] = Formula(
        piecewise_lr,
        lambda node: {
            "boundaries": np.asarray(node.boundaries, np.float64),
            "values": np.asarray(node.values, np.float64),
            "relative": node.relative,
        },
    )


def _decay_constants(node, rate: str, value) -> dict:
    return {rate: value, "decay_steps": node.decay_steps, "staircase": node.staircase}


def exponential_lr(xp, c, k, base):
    """b·γ^p, p = k / decay_steps (⌊·⌋ with staircase)."""
    return base * xp.pow(c.gamma, decay_clock(xp, c, k))


class Exponential(ScheduleBase):
    """lr(k) = b·γ^p, p = k / decay_steps (⌊·⌋ with staircase)  (``ExponentialLR``, MindSpore ``ExponentialDecayLR``)."""

    kind: Literal["exponential"] = "exponential"
    gamma: NonNegFloat
    decay_steps: PosInt = 1
    staircase: Bool = False

    def settles_at(self) -> int | None:
        """γ = 1: 0 (1^p = 1); otherwise γ^p keeps changing (None)."""
        return 0 if self.gamma == 1.0 else None

    formula: ClassVar[Formula] = Formula(exponential_lr, lambda node: _decay_constants(node, "gamma", node.gamma))


def natural_exp_lr(xp, c, k, base):
    """b·exp(−r·t), t = k, or decay_steps·⌊k / decay_steps⌋ with staircase."""
    t = k
    if c.staircase:
        t = c.decay_steps * xp.floor(k / c.decay_steps)
    return base * xp.exp(c.neg_rate * t)


class NaturalExpDecay(ScheduleBase):
    """lr(k) = b·exp(−r·t), t = k, or decay_steps·⌊k / decay_steps⌋ with staircase.

    This is MindSpore's ``natural_exp_decay_lr`` / ``NaturalExpDecayLR`` as it really
    runs: without staircase ``decay_steps`` has no effect.
    """

    kind: Literal["natural_exp"] = "natural_exp"
    decay_rate: NonNegFloat
    decay_steps: PosInt = 1
    staircase: Bool = False

    def settles_at(self) -> int | None:
        """Rate 0: 0 (the factor is exactly 1 at every step); otherwise it keeps decaying (None)."""
        return 0 if self.decay_rate == 0.0 else None

    formula: ClassVar[Formula] = Formula(
        natural_exp_lr, lambda node: _decay_constants(node, "neg_rate", -node.decay_rate)
    )


def inverse_time_lr(xp, c, k, base):
    """b / (1 + r·p), p = k / decay_steps (⌊·⌋ with staircase)."""
    return base / (xp.one + c.decay_rate * decay_clock(xp, c, k))


class InverseTimeDecay(ScheduleBase):
    """lr(k) = b / (1 + r·p), p = k / decay_steps (⌊·⌋ with staircase)  (MindSpore ``InverseDecayLR``)."""

    kind: Literal["inverse_time"] = "inverse_time"
    decay_rate: NonNegFloat
    decay_steps: PosInt = 1
    staircase: Bool = False

    def settles_at(self) -> int | None:
        """Rate 0: 0 (the factor is exactly 1 at every step); otherwise it keeps decaying (None)."""
        return 0 if self.decay_rate == 0.0 else None

    formula: ClassVar[Formula] = Formula(
        inverse_time_lr, lambda node: _decay_constants(node, "decay_rate", node.decay_rate)
    )
