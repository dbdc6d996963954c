"""Parameter groups: which parameters a group holds, and its lr and hyperparameters."""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from .errors import PlanError
from .schedules import Schedule
from .schedules.base import Bool, Node, NonNegFloat

REGEX_PREFIX = "re:"
#: hyperparameters a group may schedule (``hparam_schedulers``)
SCHEDULABLE_HPARAMS = ("momentum", "beta1")


def selector_matches(selector: str, name: str) -> bool:
    """A selector is a glob over parameter names (``encoder.*.bias``) or ``re:<regex>`` (full match)."""
    if selector.startswith(REGEX_PREFIX):
        return re.fullmatch(selector[len(REGEX_PREFIX):], name) is not None
    return fnmatch.fnmatchcase(name, selector)


class ParamGroup(Node):
    """One optimizer parameter group.

    The lr applied to the group at step k is ``lr_scale · schedule(k, base)`` where
    ``base`` is the group's ``lr`` (default: the optimizer's lr) and ``schedule`` is
    the group's own ``scheduler`` (default: the plan's). ``lr_scale`` is OneFlow's
    graph-mode multiplier; where the schedule only multiplies its base lr it is the
    same as scaling ``lr``.
    """

    name: str = Field(min_length=1)
    params: tuple[str, ...] = ()
    rest: Bool = False
    lr: NonNegFloat | None = None
    lr_scale: NonNegFloat = 1.0
    weight_decay: NonNegFloat | None = None
    hparams: dict[str, Any] = Field(default_factory=dict)
    scheduler: Schedule | None = None
    #: Scheduled hyperparameters (torch CyclicLR/OneCycleLR momentum cycling): name -> schedule,
    #: evaluated like an lr with ``base`` = the group's value of that hyperparameter.
    #: Names: "momentum" (SGD, RMSprop) or "beta1" (the first of Adam's ``betas``).
    hparam_schedulers: dict[str, Schedule] = Field(default_factory=dict)

    @field_validator("params")
    @classmethod
    def _valid_selectors(cls, v):
        for sel in v:
            if sel.startswith(REGEX_PREFIX):
                try:
                    re.compile(sel[len(REGEX_PREFIX):])
                except re.error as exc:
                    raise ValueError(f"selector {sel!r} is not a valid regular expression: {exc}") from None
        return v

    @field_validator("hparams")
    @classmethod
    def _plain_data(cls, v):
        for key, value in v.items():
            if key in {"lr", "lr_scale", "weight_decay", "params"}:
                raise ValueError(f"'{key}' is a field of the group itself; move it out of hparams")
            if not isinstance(value, (int, float, bool, str, list, tuple)) or value is None:
                raise ValueError(f"hparams.{key} must be a number, bool, string or list, got {type(value).__name__}")
        return v

    @field_validator("hparam_schedulers")
    @classmethod
    def _scheduled_names(cls, v):
        for key in v:
            if key not in SCHEDULABLE_HPARAMS:
                raise ValueError(f"cannot schedule '{key}'; schedulable: {', '.join(SCHEDULABLE_HPARAMS)}")
        return v

    @model_validator(mode="after")
    def _selects_something(self):
        if self.rest and self.params:
            raise ValueError(f"group '{self.name}': a catch-all group (rest: true) takes no params selectors")
        if not self.rest and not self.params:
            raise ValueError(f"group '{self.name}': give params selectors or rest: true")
        return self

    def matches(self, name: str) -> bool:
        return any(selector_matches(sel, name) for sel in self.params)


def assign_params(groups, names) -> dict[str, list[str]]:
    """Map each group name to the parameter names it holds, in the order given.

    A parameter matched by two groups, or by none when no group is the catch-all,
    is an error naming the parameter.
    """
    names = list(names)
    owned: dict[str, list[str]] = {g.name: [] for g in groups}
    rest = [g for g in groups if g.rest]
    for pname in names:
        hits = [g.name for g in groups if not g.rest and g.matches(pname)]
        if len(hits) > 1:
            raise PlanError("groups", f"parameter '{pname}' is selected by groups {hits}; make the selectors disjoint")
        if hits:
            owned[hits[0]].append(pname)
        elif rest:
            owned[rest[0].name].append(pname)
        else:
            raise PlanError(
                "groups",
                f"parameter '{pname}' is selected by no group; add a selector for it or a catch-all group (rest: true)",
            )
    return owned
