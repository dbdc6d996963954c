"""The plan: optimizer spec + parameter groups + schedule(s) + horizon. The unit lrbridge ports."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .groups import ParamGroup
from .optim import OptimizerSpec
from .schedules import Constant, Schedule
from .schedules.base import Node, PosInt

SCHEMA_VERSION = 1


class Horizon(Node):
    """How many optimizer steps the plan is meant for, and what happens past them.

    ``past``: ``continue`` evaluates the formula beyond ``steps``; ``hold`` keeps the
    lr of step ``steps − 1``; ``error`` refuses to evaluate past the horizon.
    """

    steps: PosInt | None = None
    past: Literal["continue", "hold", "error"] = "continue"

    @model_validator(mode="after")
    def _steps_for_policy(self):
        if self.past != "continue" and self.steps is None:
            raise ValueError(f"past: {self.past} needs steps (the horizon it applies past)")
        return self


def _default_groups() -> tuple[ParamGroup, ...]:
    return (ParamGroup(name="default", rest=True),)


class Plan(Node):
    """Everything lrbridge needs to reproduce a run's learning rates in any framework."""

    version: Literal[1] = SCHEMA_VERSION
    optimizer: OptimizerSpec
    groups: tuple[ParamGroup, ...] = Field(default_factory=_default_groups)
    scheduler: Schedule = Field(default_factory=Constant)
    horizon: Horizon = Field(default_factory=Horizon)

    @field_validator("groups")
    @classmethod
    def _distinct(cls, v):
        if not v:
            raise ValueError("needs at least one group")
        names = [g.name for g in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"group names must be unique, repeated: {dupes}")
        if sum(g.rest for g in v) > 1:
            raise ValueError("at most one group may be the catch-all (rest: true)")
        return v

    @model_validator(mode="after")
    def _sound_groups(self):
        from .optim import hparam_problem

        for i, g in enumerate(self.groups):
            for key, value in g.hparams.items():
                problem = hparam_problem(key, value)
                if problem:
                    raise ValueError(f"groups[{i}].hparams.{key} (group '{g.name}') {problem}")
            lr = self.group_base_lr(g) * g.lr_scale
            if not math.isfinite(lr):
                raise ValueError(f"group '{g.name}': lr × lr_scale = {self.group_base_lr(g)!r} × {g.lr_scale!r} "
                                 "overflows to infinity; give a finite learning rate")
        return self

    def group_schedule(self, group: ParamGroup):
        """The schedule a group follows: its own, else the plan's."""
        return group.scheduler if group.scheduler is not None else self.scheduler

    def group_base_lr(self, group: ParamGroup) -> float:
        return group.lr if group.lr is not None else self.optimizer.lr

    def group_weight_decay(self, group: ParamGroup) -> float:
        if group.weight_decay is not None:
            return group.weight_decay
        return float(self.optimizer.resolved().get("weight_decay", 0.0))

    @property
    def group_names(self) -> list[str]:
        return [g.name for g in self.groups]

    def lr_settles_at(self) -> int | None:
        """A step from which every group's lr is constant (the formulas continued), or None if unproven.

        The latest ``settles_at`` of the schedules the groups follow (group lr = lr_scale·schedule(k, b)):
        an upper bound, see ``ScheduleBase.settles_at``. The horizon is not read.
        """
        steps = [self.group_schedule(g).settles_at() for g in self.groups]
        return None if None in steps else max(steps)

    def holds_as_it_continues(self) -> bool:
        """Whether holding lr(N − 1) past a horizon of N steps is exactly continuing the formulas:
        the lr is constant from a step ≤ N − 1 on. Then ``hold`` and ``continue`` are the same plan."""
        settled = self.lr_settles_at()
        return self.horizon.steps is not None and settled is not None and settled <= self.horizon.steps - 1

    def schedules(self):
        """Every schedule the plan uses (the plan's and groups' own), each once."""
        seen = [self.scheduler]
        for g in self.groups:
            if g.scheduler is not None and all(g.scheduler is not s for s in seen):
                seen.append(g.scheduler)
        return seen


def resolve_steps(plan: Plan, steps: int | None) -> int:
    """Steps to run: ``steps`` when given (≥ 1), else the plan's horizon (an error when it has none)."""
    from .errors import PlanError

    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int):
            raise PlanError("steps", f"must be an integer number of steps, got {steps!r}")
        if steps < 1:
            raise PlanError("steps", f"must be at least 1, got {steps}")
        return steps
    if plan.horizon.steps is None:
        raise PlanError("horizon.steps", "the plan sets no horizon; give the number of steps to run")
    return plan.horizon.steps


@dataclass
class ImportResult:
    """What the importers (``from_torch``, ``from_oneflow``) return.

    ``plan``: the imported plan. ``exact``: True when every schedule is modelled in
    closed form (valid at every step); False when some part is a table sampled from
    the framework, exact only over the sampled steps (the plan's horizon then ends
    there, past: error). ``notes``: what was modelled how, and why.
    """

    plan: Plan
    exact: bool = True
    notes: list[str] = field(default_factory=list)
