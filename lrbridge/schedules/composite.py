"""Composite schedules: explicit clocks and compositions of other schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import ValidationInfo, field_validator, model_validator

from .base import Bool, NonNegFloat, NonNegInt, PosInt, ScheduleBase
from .basic import strictly_increasing

if TYPE_CHECKING:  # the union of every schedule, defined in the package __init__
    from . import Schedule


def _is_sorted(k) -> bool:
    return k.ndim == 1 and bool(np.all(k[1:] >= k[:-1]))


def _select(k, lo, hi, ordered: bool):
    """The steps with lo ≤ k < hi and their number.

    A slice when k is sorted (evaluate's usual 0..N−1: stages then get views of k and
    write into slices of the output, no masks or copies), else a boolean mask.
    """
    if ordered:
        a, b = np.searchsorted(k, (lo, hi))
        return slice(int(a), int(b)), int(b - a)
    mask = (k >= lo) & (k < hi)
    return mask, int(np.count_nonzero(mask))


def _base_at(base, sel, n: int):
    """The base lr of the steps selected by ``sel`` (out of n).

    A base is either per group (shape (G, 1) or scalar) or per step (shape (..., n),
    the output of an earlier stage of a ``Chained``); a per-step base is sliced with k.
    """
    if np.ndim(base) and np.shape(base)[-1] == n:
        return np.asarray(base)[..., sel]
    return base


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

    def lr(self, k, base):
        k = np.asarray(k, np.float64)
        out = np.empty(np.broadcast_shapes(np.shape(base), k.shape))
        ordered = _is_sorted(k)
        for stage, (lo, hi) in zip(self.stages, self.segments()):
            here, count = _select(k, lo, hi, ordered)
            if not count:
                continue
            local = k[here] - lo if self.clock == "restart" else k[here]
            out[..., here] = stage.lr(local, _base_at(base, here, k.size))
        return out


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

    def lr(self, k, base):
        out = base
        for schedule in self.schedules:
            out = schedule.lr(k, out)
        return np.broadcast_to(out, np.broadcast_shapes(np.shape(base), np.shape(k))).copy()


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

    def lr(self, k, base):
        k = np.asarray(k, np.float64)
        w = self.warmup_steps
        out = np.empty(np.broadcast_shapes(np.shape(base), k.shape))
        ordered = _is_sorted(k)
        after, n_after = _select(k, w, np.inf, ordered)
        if n_after:
            out[..., after] = self.schedule.lr(k[after] - w if self.prefix else k[after], _base_at(base, after, k.size))
        warm, n_warm = _select(k, -np.inf, w, ordered)
        if n_warm:
            b = _base_at(base, warm, k.size)
            start = np.multiply(b, self.warmup_factor)
            if self.method == "constant":
                out[..., warm] = np.broadcast_to(start, out[..., warm].shape) if np.ndim(start) else start
            else:
                # schedule(W) at every warm step, so a per-step base lines up with k
                end = b if self.prefix else self.schedule.lr(np.full(n_warm, np.float64(w)), b)
                out[..., warm] = start + (end - start) * (k[warm] / w)
        return out


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

    def lr(self, k, base):
        epochs = np.asarray(k, np.float64) / self.steps_per_epoch
        return self.schedule.lr(np.floor(epochs) if self.cadence == "epoch" else epochs, base)


_INTEGER_CLOCK_KINDS = {"tabulated", "cosine_restarts"}
