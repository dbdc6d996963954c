"""IR -> a MindSpore ``LearningRateSchedule`` cell for one group (float64 inside, float32 out)."""

from __future__ import annotations

from lrbridge.errors import UnrepresentableError

from .capability import check
from .lists import group_index


def to_mindspore_schedule(plan, group=0):
    """A graph-compilable cell: global_step -> fp32(lr_scale·schedule(k, base)) for ``group`` (index or name).

    O(1) memory for closed forms and composites, a table gather for ``Tabulated``.
    Within 1 float32 ulp of the reference (see ``cells``).
    """
    from lrbridge.errors import expect_type
    from lrbridge.plan import Plan

    expect_type(plan, Plan, "to_mindspore_schedule", "plan", "load a file with lrbridge.load_plan")
    result = check(plan, "cell")
    reasons = [r for r in result.reasons if "groups[" not in r or f"'{plan.groups[group_index(plan, group)].name}'" in r]
    reasons = [r for r in reasons if "hold only" not in r]  # per-group hparams concern group_params, not a cell
    if reasons:
        raise UnrepresentableError("mindspore (cell)", reasons, result.alternative)
    from .cells import PlanSchedule

    g = plan.groups[group_index(plan, group)]
    hold, stop = horizon_clamps(plan)
    return PlanSchedule(plan.group_schedule(g), plan.group_base_lr(g), g.lr_scale, hold_last=hold, stop_at=stop)


def horizon_clamps(plan) -> tuple[int | None, int | None]:
    """(hold_last, stop_at) of a plan's cells: ``hold`` clamps k to steps − 1; ``error`` gives NaN from steps on."""
    h = plan.horizon
    return (h.steps - 1 if h.past == "hold" else None), (h.steps if h.past == "error" else None)
