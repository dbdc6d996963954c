"""Composite schedules: explicit clocks and compositions of other schedules.

Each composite's lr is one function of ``(xp, c, k, base)`` (see ``xp``) in which
a nested schedule is called as ``c.stage(k, base)``; ``xp.piecewise`` picks the
stage of each step (numpy evaluates each stage on its own steps only, a
framework evaluates all and selects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import ValidationInfo, field_validator, model_validator

from .base import Bool, NonNegFloat, NonNegInt, PosInt, ScheduleBase, within_steps
from .basic import strictly_increasing
from .xp import Formula

if TYPE_CHECKING:  # the union of every schedule, defined in the package __init__
    from . import Schedule


def sequential_stage(xp, c, k, base, i):
    """Stage i at k − milestones[i−1] (clock ``restart``) or at k (clock ``global``)."""
    if c.restart:
        return c.stages[i](k - c.starts[i], base)
    return c.stages[i](k, base)


def sequential_lr(xp, c, k, base):
    """Stage i for milestones[i−1] ≤ k < milestones[i]."""
    return xp.piecewise(k, base, c.milestones, sequential_stage, c, "left")


def _sequential_constants(node) -> dict:
    return {
        "stages": node.stages,
        "milestones": node.milestones,
        "starts": (0, *node.milestones),
        "restart": node.clock == "restart",
    }


class Sequential(ScheduleBase):
    """Stage i applies for milestones[i−1] ≤ k < milestones[i].

    ``clock = "restart"``: each stage sees k − milestones[i−1], starting again at 0
    (torch ``SequentialLR``, OneFlow ``interval_rescaling=True``).
    ``clock = "global"``: each stage sees k itself (OneFlow's default
    ``interval_rescaling=False``). A milestone of 0 means the stage before it
    never applies.
    """

    kind: Literal["sequential"] = "sequential"
    stages: tuple["Schedule", ...]
    milestones: tuple[NonNegInt, ...]
    clock: Literal["restart", "global"] = "restart"

    @field_validator("stages")
    @classmethod
    def _non_empty(cls, v):
        if not v:
            raise ValueError("needs at least one schedule")
        return v

    @field_validator("milestones")
    @classmethod
    def _one_per_boundary(cls, v, info: ValidationInfo):
        strictly_increasing(v)
        if "stages" in info.data and len(v) != len(info.data["stages"]) - 1:
            raise ValueError(f"needs len(stages) - 1 = {len(info.data['stages']) - 1} entries, got {len(v)}")
        return v

    def children(self):
        return self.stages

    def segments(self) -> list[tuple[float, float]]:
        """[start, end) of every stage in global steps."""
        edges = [0.0, *map(float, self.milestones), np.inf]
        return list(zip(edges[:-1], edges[1:]))

    def settles_at(self) -> int | None:
        """The last stage's settling on its clock, from its milestone M on (earlier stages never return).

        Clock restart: M + s_last (the stage sees k − M); clock global: max(M, s_last).
        """
        last = self.stages[-1].settles_at()
        if last is None:
            return None
        start = self.milestones[-1] if self.milestones else 0
        return within_steps(start + last) if self.clock == "restart" else max(start, last)

    formula: ClassVar[Formula] = Formula(sequential_lr, _sequential_constants)


def chained_lr(xp, c, k, base):
    """s_n(k, s_{n−1}(k, … s_1(k, b)))."""
    out = base
    for schedule in c.schedules:
        out = schedule(k, out)
    return xp.fill(out, base, k)


class Chained(ScheduleBase):
    """lr(k) = s_n(k, s_{n−1}(k, … s_1(k, b))): each schedule's output is the next one's base.

    This is OneFlow's ``ChainedScheduler``. For scale-equivariant schedules it is the
    product of their factors. (torch's ``ChainedScheduler`` composes recursive
    updates and is not this; importers model it separately.)
    """

    kind: Literal["chained"] = "chained"
    schedules: tuple["Schedule", ...]

    @field_validator("schedules")
    @classmethod
    def _non_empty(cls, v):
        if not v:
            raise ValueError("needs at least one schedule")
        return v

    def children(self):
        return self.schedules

    def settles_at(self) -> int | None:
        """The latest settling of the parts, when every part settles: from there each part's output is
        fixed for any base, so is the next part's input (None if one part never settles)."""
        steps = [s.settles_at() for s in self.schedules]
        return None if None in steps else max(steps)

    formula: ClassVar[Formula] = Formula(chained_lr, lambda node: {"schedules": node.schedules})


def warmup_phase(xp, c, k, base, i):
    """i = 0 (k < W): b·f + (e − b·f)·k/W, or b·f (constant); i = 1: the schedule, at k − W with prefix.

    e = b with prefix, else schedule(W).
    """
    if i == 1:
        if c.prefix:
            return c.schedule(k - c.warmup_steps, base)
        return c.schedule(k, base)
    start = base * c.warmup_factor
    if c.linear:
        if c.prefix:
            end = base
        else:
            end = c.schedule(xp.fill(c.warmup_steps, k, k), base)  # schedule(W) at every warm step
        return start + (end - start) * (k / c.warmup_steps)
    return xp.fill(start, base, k)


def warmup_lr(xp, c, k, base):
    """The warmup for k < W, the schedule from W on."""
    return xp.piecewise(k, base, c.edges, warmup_phase, c, "left")


class Warmup(ScheduleBase):
    """OneFlow ``WarmupLR``: a warmup of W steps in front of (or over) ``schedule``.

    For k < W: linear from b·f to e, lr = b·f + (e − b·f)·k/W, or constant b·f.
    For k ≥ W: ``schedule`` at k − W with ``prefix`` (it starts after the warmup),
    else at k. The ramp ends at e = b with ``prefix`` and at e = schedule(W)
    without, so the warmup joins the schedule where the schedule takes over.
    """

    kind: Literal["warmup"] = "warmup"
    schedule: "Schedule"
    warmup_steps: NonNegInt
    warmup_factor: NonNegFloat = 1.0 / 3
    method: Literal["linear", "constant"] = "linear"
    prefix: Bool = False

    def children(self):
        return (self.schedule,)

    def settles_at(self) -> int | None:
        """After the warmup W, the schedule's settling s on its clock: W + s with prefix (it sees k − W),
        else max(W, s)."""
        inner = self.schedule.settles_at()
        if inner is None:
            return None
        return within_steps(self.warmup_steps + inner) if self.prefix else max(self.warmup_steps, inner)

    formula: ClassVar[Formula] = Formula(
        warmup_lr,
        lambda node: {
            "schedule": node.schedule,
            "warmup_steps": node.warmup_steps,
            "edges": (node.warmup_steps,),
            "warmup_factor": node.warmup_factor,
            "linear": node.method == "linear",
            "prefix": node.prefix,
        },
    )


def by_epoch_lr(xp, c, k, base):
    """The schedule at ⌊k / spe⌋ (cadence epoch) or k / spe (cadence step)."""
    epochs = k / c.steps_per_epoch
    if c.staired:
        epochs = xp.floor(epochs)
    return c.schedule(epochs, base)


class ByEpoch(ScheduleBase):
    """Run ``schedule`` on an epoch clock: epochs of ``steps_per_epoch`` optimizer steps.

    ``cadence = "epoch"``: lr(k) = schedule(⌊k / spe⌋), held for the whole epoch
    (MindSpore ``dynamic_lr`` step_per_epoch/decay_epoch, mmengine ``by_epoch``).
    ``cadence = "step"``: lr(k) = schedule(k / spe), updated every step on a
    fractional epoch clock.
    """

    kind: Literal["by_epoch"] = "by_epoch"
    schedule: "Schedule"
    steps_per_epoch: PosInt
    cadence: Literal["epoch", "step"] = "epoch"

    @model_validator(mode="after")
    def _integer_clock(self):
        if self.cadence == "step":
            for node in self.schedule.walk():
                if node.kind in _INTEGER_CLOCK_KINDS:
                    raise ValueError(
                        f"cadence 'step' feeds fractional epochs to the schedule, but '{node.kind}' is only "
                        "defined at whole steps; use cadence 'epoch' or rescale the schedule to steps"
                    )
        return self

    def children(self):
        return (self.schedule,)

    def settles_at(self) -> int | None:
        """s·steps_per_epoch for a schedule settling at epoch s: from there ⌊k/spe⌋ (cadence epoch)
        and k/spe (cadence step, a real clock: ``settles_at`` holds for real t ≥ s) are ≥ s."""
        inner = self.schedule.settles_at()
        return None if inner is None else within_steps(inner * self.steps_per_epoch)

    formula: ClassVar[Formula] = Formula(
        by_epoch_lr,
        lambda node: {
            "schedule": node.schedule,
            "steps_per_epoch": node.steps_per_epoch,
            "staired": node.cadence == "epoch",
        },
    )


_INTEGER_CLOCK_KINDS = {"tabulated", "cosine_restarts"}
