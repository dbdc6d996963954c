"""IR groups -> MindSpore ``group_params`` (params, lr, weight_decay, grad_centralization, order_params).

Two MindSpore traps are handled here:
- When any group lr is dynamic (list or Cell), MindSpore wraps every float group
  lr in ``_ConvertToCell``, which computes ``lr + 1.0 - 1.0`` in float32: a 1e-9
  lr is applied as 0 and 1.234567e-5 as 1.2398e-5. So once one group is dynamic,
  every group gets an exact dynamic lr (a list or a float64 cell).
- Without groups, MindSpore skips weight decay for parameters whose name
  contains 'beta' or 'gamma'. Groups are always emitted with an explicit
  weight_decay, which MindSpore applies to every parameter of the group.
Per-group hyperparameters MindSpore's nn optimizers cannot hold (momentum,
betas, ...) are rejected naming the group and key; lr_scale folds into the lr.
A scheduled weight decay is carried here, as a weight-decay Cell per group (``weight_decay``;
applied by nn.Momentum, refused by nn.SGD). Other scheduled hyperparameters are not group_params'
business: the notes say so, and ``mindspore_optimizer`` applies a scheduled momentum or refuses.
"""

from __future__ import annotations

from lrbridge.errors import UnrepresentableError
from lrbridge.groups import assign_params

from .capability import group_hparam_problems


class GroupParams(list):
    """The group dicts to pass to a MindSpore optimizer, plus ``notes`` on what was done."""

    notes: list[str]
    rows: list[int]  # plan group index of each emitted group (empty groups are left out)


def is_static(plan) -> bool:
    """Every group's lr is one number for the whole run (then plain floats are exact)."""
    return all(plan.group_schedule(g).kind == "constant" for g in plan.groups)


def default_form(plan, total_step) -> str:
    return "list" if (total_step is not None or plan.horizon.steps is not None) else "cell"


def group_lrs(plan, form: str | None = None, total_step: int | None = None) -> list:
    """The lr carrier of every plan group: float (all static), list (form 'list') or ``PlanLR`` cell."""
    form = form or default_form(plan, total_step)
    if is_static(plan):
        # One float per group, stored by MindSpore as fp32(lr): exact, no _ConvertToCell involved.
        return [float(g.lr_scale * plan.group_base_lr(g)) for g in plan.groups]
    if form == "list":
        from .lists import lr_table

        return [row.tolist() for row in lr_table(plan, total_step)]
    if form == "cell":
        from .schedule import to_mindspore_schedule

        return [to_mindspore_schedule(plan, group=i) for i in range(len(plan.groups))]
    raise ValueError(f"form must be 'list' or 'cell', got {form!r}")


def _params_of(net) -> list:
    from lrbridge.errors import ArgumentTypeError

    if hasattr(net, "trainable_params"):
        return list(net.trainable_params())
    params = list(net) if hasattr(net, "__iter__") and not isinstance(net, (str, bytes, dict)) else None
    if params is None or not all(isinstance(getattr(p, "name", None), str) for p in params):
        raise ArgumentTypeError(f"mindspore_param_groups: net must be a mindspore.nn.Cell or a list of named "
                                f"Parameters (net.trainable_params()), got {type(net).__name__}")
    return params


def mindspore_param_groups(plan, net, *, form: str | None = None, total_step: int | None = None) -> GroupParams:
    """Group dicts for ``nn`` optimizers from the plan's groups and ``net.trainable_params()`` names.

    ``form``: 'list' (needs total_step or horizon.steps; the default when one is known) or 'cell'.
    Ends with ``{'order_params': ...}`` so parameters keep the network's order.
    """
    from lrbridge.errors import expect_type
    from lrbridge.plan import Plan

    expect_type(plan, Plan, "mindspore_param_groups", "plan", "load a file with lrbridge.load_plan")
    problems = group_hparam_problems(plan)
    if problems:
        raise UnrepresentableError(
            "mindspore (group_params)", problems, "mindspore.experimental.optim (form 'experimental') holds them per group"
        )
    params = _params_of(net)
    by_name = {p.name: p for p in params}
    owned = assign_params(plan.groups, [p.name for p in params])
    lrs = group_lrs(plan, form, total_step)
    out = GroupParams()
    out.notes, out.rows = [], []
    for i, g in enumerate(plan.groups):
        names = owned[g.name]
        if not names:
            out.notes.append(f"group '{g.name}' selects no parameter of the network; left out")
            continue
        entry = {"params": [by_name[n] for n in names], "lr": lrs[i], "weight_decay": float(plan.group_weight_decay(g))}
        if "weight_decay" in g.hparam_schedulers:  # MindSpore's dynamic weight decay: a Cell of global_step
            from .weight_decay import weight_decay_cell

            steps = (total_step or plan.horizon.steps) if (form or default_form(plan, total_step)) == "list" else None
            entry["weight_decay"] = weight_decay_cell(plan, i, steps)
        if "grad_centralization" in g.hparams:
            entry["grad_centralization"] = bool(g.hparams["grad_centralization"])
        out.append(entry)
        out.rows.append(i)
    out.append({"order_params": params})
    from .capability import hparam_schedule_note

    note = hparam_schedule_note(plan, held=("weight_decay",))
    if note:
        out.notes.append(note)
    if not is_static(plan) and any(plan.group_schedule(g).kind == "constant" for g in plan.groups):
        out.notes.append(
            "constant groups get a dynamic lr too: MindSpore would otherwise apply their float lr through "
            "float32 'lr + 1.0 - 1.0' (a 1e-9 lr becomes 0)"
        )
    return out
