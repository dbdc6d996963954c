"""Parameter groups: which parameters a group holds, and its lr and hyperparameters."""

from __future__ import annotations

import fnmatch
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from .errors import PlanError
from .schedules import Schedule
from .schedules.base import Bool, Node, NonNegFloat

REGEX_PREFIX = "re:"
#: hyperparameters a group may schedule (``hparam_schedulers``)
SCHEDULABLE_HPARAMS = ("momentum", "beta1", "weight_decay")


def selector_problem(selector: str) -> str | None:
    """Why a selector is refused, or None. ``re:`` regexes must be of the safe subset of
    ``lrbridge.limits.regex_problem`` (no nested or alternated repetition: they could take
    exponential time); globs always match in linear time (fnmatch)."""
    if not isinstance(selector, str):
        return f"selector {selector!r} must be a string"
    if selector.startswith(REGEX_PREFIX):
        from .limits import regex_problem

        problem = regex_problem(selector[len(REGEX_PREFIX):])
        if problem:
            return f"selector {selector!r} is refused: {problem}; write it as a glob or a simpler regex"
    return None


def selector_matches(selector: str, name: str) -> bool:
    """A selector is a glob over parameter names (``encoder.*.bias``) or ``re:<regex>`` (full match)."""
    if selector.startswith(REGEX_PREFIX):
        problem = selector_problem(selector)
        if problem:
            raise PlanError("params", problem)
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
    #: The precision the framework holds and computes this group's lr in. "float32": torch keeps it as a
    #: float32 tensor (``lr=torch.tensor(0.5)``, capturable/fused optimizers, torch.compile), so its
    #: schedulers multiply in float32 and write with ``fill_``. The reference then gives this group's lr
    #: rounded to float32 (``lrbridge.reference.evaluate``); exporters hold it as a float32 tensor.
    lr_dtype: Literal["float64", "float32"] = "float64"
    weight_decay: NonNegFloat | None = None
    hparams: dict[str, Any] = Field(default_factory=dict)
    scheduler: Schedule | None = None
    #: Scheduled hyperparameters (torch CyclicLR/OneCycleLR momentum cycling): name -> schedule,
    #: evaluated like an lr with ``base`` = the group's value of that hyperparameter.
    #: Names: "momentum" (SGD, RMSprop), "beta1" (the first of Adam's ``betas``) or "weight_decay"
    #: (base: the group's ``weight_decay``, else the optimizer's; mmengine's param_name='weight_decay').
    hparam_schedulers: dict[str, Schedule] = Field(default_factory=dict)
    #: May select no parameter: config systems whose keys apply only where they match (mmengine
    #: ``custom_keys``, detectron2 overrides) write such groups; a user's own selector must match.
    optional: Bool = False

    @field_validator("params")
    @classmethod
    def _valid_selectors(cls, v):
        for sel in v:
            if sel.startswith(REGEX_PREFIX):
                try:
                    re.compile(sel[len(REGEX_PREFIX):])
                except re.error as exc:
                    raise ValueError(f"selector {sel!r} is not a valid regular expression: {exc}") from None
            problem = selector_problem(sel)
            if problem:
                raise ValueError(problem)
        return v

    @field_validator("hparams")
    @classmethod
    def _plain_data(cls, v):
        for key, value in v.items():
            if key in {"lr", "lr_scale", "lr_dtype", "weight_decay", "params"}:
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


def closest_names(selector: str, names, n: int = 3) -> list[str]:
    """The parameter names most like ``selector`` (a typo'd ``bakbone.*`` -> ``backbone.0.weight``)."""
    import difflib

    pattern = selector[len(REGEX_PREFIX):] if selector.startswith(REGEX_PREFIX) else selector
    stem = pattern.rstrip("*?.$\\")  # compare the literal part: 'bakbone' of 'bakbone.*'
    scored = sorted(names, key=lambda nm: -difflib.SequenceMatcher(None, stem, nm[: len(stem) + 4]).ratio())
    return scored[:n]


def _group_list(groups) -> list:
    from .errors import expect_type

    expect_type(groups, (list, tuple), "assign_params", "groups", "pass plan.groups")
    for g in groups:
        expect_type(g, ParamGroup, "assign_params", "groups[i]")
    return list(groups)


def _name_list(names) -> list[str]:
    from .errors import ArgumentTypeError

    if isinstance(names, (str, bytes)) or not hasattr(names, "__iter__"):
        raise ArgumentTypeError(f"assign_params: names must be an iterable of parameter names, got {type(names).__name__}")
    names = list(names)
    for n in names:
        if not isinstance(n, str):
            raise ArgumentTypeError(f"assign_params: parameter names must be str, got {type(n).__name__} ({n!r})")
    return names


def check_selectors_match(groups, names) -> None:
    """Every selector of every group selects at least one of ``names``, else PlanError naming the
    group, the selector and the closest parameter names.

    A typo'd selector must never leave its parameters to the catch-all with the catch-all's lr.
    The catch-all group (rest: true) and ``optional`` groups may be empty. Every builder of framework
    param groups calls this.
    """
    names = list(names)
    for i, g in enumerate(groups):
        for sel in () if g.optional else g.params:
            if not any(selector_matches(sel, nm) for nm in names):
                near = closest_names(sel, names)
                hint = f"closest parameter names: {', '.join(near)}" if near else "the model has no parameters"
                raise PlanError(
                    f"groups[{i}].params", f"group '{g.name}': selector {sel!r} matches no parameter; {hint}"
                )


def assign_params(groups, names, *, require_matches: bool = True) -> dict[str, list[str]]:
    """Map each group name to the parameter names it holds, in the order given.

    A parameter matched by two groups, or by none when no group is the catch-all,
    is an error naming the parameter; so is a selector that matches no parameter
    (``check_selectors_match``) unless ``require_matches`` is False.
    """
    groups, names = _group_list(groups), _name_list(names)
    if require_matches:
        check_selectors_match(groups, names)
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


def exact_selector(name: str) -> str:
    """A selector matching exactly the parameter called ``name`` (importers write these).

    The name itself, unless it holds glob characters or starts with ``re:``: then an
    anchored, escaped regex, so every adapter reads it back as that one name.
    """
    import re

    return f"re:{re.escape(name)}" if re.search(r"[*?\[\]]", name) or name.startswith("re:") else name


def plan_for_param_groups(plan, names: list, builder: str = "the backend's param-group builder"):
    """``plan`` with its groups in the order of an optimizer's param groups, one rule for every backend.

    ``names``: each param group's ``"name"`` (None where it has none). When every param group
    is named (as lrbridge's builders name them) each maps to the plan group of that name;
    otherwise they map by position, and the counts must match.
    """
    by_name = {g.name: g for g in plan.groups}
    if names and all(isinstance(n, str) for n in names):
        missing = [n for n in names if n not in by_name]
        if missing:
            raise PlanError("groups", f"optimizer param groups {missing} are not plan groups {plan.group_names}")
        return plan.model_copy(update={"groups": tuple(by_name[n] for n in names)})
    if len(names) != len(plan.groups):
        raise PlanError(
            "groups",
            f"the optimizer has {len(names)} param groups and the plan {len(plan.groups)} groups "
            f"({plan.group_names}); build the optimizer with {builder} (named groups, in the plan's order)",
        )
    return plan
