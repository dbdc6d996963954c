"""Group rules every backend applies the same way, written once.

- **ReduceOnPlateau** is metric-driven: it has no closed form, so a backend runs the
  framework's own plateau class, which drives every group of one optimizer. The plan must
  therefore use it as its whole scheduler, the same for every group (each group may have
  its own ``min_lr``: torch and OneFlow take a list), with ``lr_scale`` 1 (its ``min_lr``
  and ``eps`` are absolute).
- **lr_scale folds into the lr** (base·scale given to a scheduler that ignores scales, as
  OneFlow eager and torch do) only for schedules that merely multiply their base
  (``is_scale_equivariant``); one holding absolute values (eta_min, end_lr, ...) differs.
"""

from __future__ import annotations

PLATEAU = "reduce_on_plateau"


def uses_plateau(plan) -> bool:
    return any(n.kind == PLATEAU for s in plan.schedules() for n in s.walk())


def plateau_problems(plan) -> list[str]:
    """Why a framework's own ReduceLROnPlateau cannot run ``plan`` (empty when it can, or when no plateau)."""
    if not uses_plateau(plan):
        return []
    problems = []
    scheds = [plan.group_schedule(g) for g in plan.groups]
    for g, s in zip(plan.groups, scheds):
        if s.kind != PLATEAU:
            where = "has no reduce_on_plateau" if all(n.kind != PLATEAU for n in s.walk()) else f"reduce_on_plateau nested in '{s.kind}'"
            problems.append(f"group '{g.name}': {where} (a ReduceLROnPlateau is a whole scheduler driving every group)")
    if problems:
        return problems
    first = scheds[0].model_copy(update={"min_lr": 0.0})
    if any(s.model_copy(update={"min_lr": 0.0}) != first for s in scheds):
        problems.append("groups' reduce_on_plateau differ in more than min_lr; one ReduceLROnPlateau drives every group alike")
    scaled = [g.name for g in plan.groups if g.lr_scale != 1.0]
    if scaled:
        problems.append(f"groups {scaled}: lr_scale with reduce_on_plateau (its min_lr and eps are absolute)")
    if plan.horizon.past != "continue":
        problems.append(f"horizon.past '{plan.horizon.past}': a ReduceLROnPlateau neither holds nor stops at "
                        f"horizon.steps={plan.horizon.steps}; use past: continue")
    return problems


def plateau_kwargs(plan) -> dict:
    """The framework plateau class's keywords for a plan ``plateau_problems`` accepts (min_lr per group)."""
    scheds = [plan.group_schedule(g) for g in plan.groups]
    s = scheds[0]
    kw = {k: getattr(s, k) for k in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")}
    mins = [x.min_lr for x in scheds]
    kw["min_lr"] = mins[0] if len(set(mins)) == 1 else mins
    return kw


def lr_scale_fold_problem(plan, schedule) -> str | None:
    """Why the groups' ``lr_scale`` cannot fold into their lr under ``schedule``, or None when it can."""
    if all(g.lr_scale == 1.0 for g in plan.groups) or schedule.is_scale_equivariant():
        return None
    return f"lr_scale cannot fold into the lr of '{schedule.kind}', which holds absolute values (eta_min, end_lr, ...)"
