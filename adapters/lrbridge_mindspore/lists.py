"""IR -> MindSpore dynamic_lr lists: ``lr[i]`` is the lr of the optimizer call with global_step i.

Generated vectorized by the float64 reference evaluator; MindSpore stores the
list as float32 (``np.float32`` of each value), which is the reference rounded
once: bit-exact (0 ulp). Framework-free.
"""

from __future__ import annotations

import numpy as np

from lrbridge.errors import PlanError, UnrepresentableError, expect_type
from lrbridge.limits import check_allocation
from lrbridge.plan import Plan
from lrbridge.reference import evaluate

from .capability import check


def group_index(plan, group) -> int:
    """A group given by index or by name, as an index (error listing the names otherwise)."""
    names = plan.group_names
    if isinstance(group, str):
        if group not in names:
            raise PlanError("group", f"no group named '{group}'; groups: {names}")
        return names.index(group)
    if not isinstance(group, (int, np.integer)) or not -len(names) <= group < len(names):
        raise PlanError("group", f"group index {group!r} out of range; the plan has {len(names)} groups: {names}")
    return int(group) % len(names)


class LrList(list):
    """An lr list (what MindSpore takes as ``learning_rate``) with ``notes``: what it does not carry
    (e.g. a scheduled momentum, which ``mindspore_optimizer`` applies or refuses)."""

    notes: list[str]


def list_length(plan, total_step: int | None) -> int:
    """The list length: ``total_step``, else the plan's horizon; too short or unknown is an error up front."""
    expect_type(plan, Plan, "to_mindspore_lr_list", "plan", "load a file with lrbridge.load_plan")
    if total_step is not None and (isinstance(total_step, bool) or not isinstance(total_step, (int, np.integer)) or total_step < 1):
        raise PlanError("total_step", f"must be a positive integer, got {total_step!r}")
    result = check(plan, "list", total_step=total_step)
    if not result.ok:
        raise UnrepresentableError("mindspore (list)", result.reasons, result.alternative)
    return int(total_step if total_step is not None else plan.horizon.steps)


def lr_table(plan, total_step: int | None = None) -> np.ndarray:
    """Every group's list at once: float64 array (groups, total_step)."""
    return evaluate(plan, list_length(plan, total_step))


def to_mindspore_lr_array(plan, total_step: int | None = None, group=0) -> np.ndarray:
    """The lr list of one group as a float32 array: ``mindspore.Tensor(arr)`` is a valid
    ``learning_rate`` (a 1-D Tensor is indexed by global_step like a list) and holds
    exactly the values MindSpore would store from the list. Skips building a Python
    float per step, which dominates ``to_mindspore_lr_list`` for long horizons.
    """
    n = list_length(plan, total_step)
    g = group_index(plan, group)
    sub = plan.model_copy(update={"groups": (plan.groups[g],)}) if len(plan.groups) > 1 else plan
    return evaluate(sub, n, dtype=np.float32)[0]


def to_mindspore_lr_list(plan, total_step: int | None = None, group=0) -> list[float]:
    """The lr list of one group (index or name), ``total_step`` long (default: the plan's horizon).

    Values are the float64 reference; MindSpore rounds them to float32 on use. The list's
    ``notes`` name the scheduled hyperparameters the plan has and the list does not carry.
    """
    from .capability import hparam_schedule_note

    n = list_length(plan, total_step)
    check_allocation(1, n, 32, "a Python list of")  # a float object and its pointer per step
    g = group_index(plan, group)
    sub = plan.model_copy(update={"groups": (plan.groups[g],)}) if len(plan.groups) > 1 else plan
    out = LrList(evaluate(sub, n)[0].tolist())
    note = hparam_schedule_note(sub)
    out.notes = [note] if note else []
    return out
