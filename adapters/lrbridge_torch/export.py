"""IR -> PyTorch: ``to_torch(plan, optimizer)`` returns the scheduler a torch user would write.

torch's own class (or a SequentialLR / ChainedScheduler of them) when its real
stepped behaviour was verified equal to the plan at every step for every group
(``capability.native_recipe``), otherwise ``PlanLR`` (closed form). Both resume from
``state_dict()``; the native classes are only ever built fresh (last_epoch=-1),
never with torch's ``last_epoch=k`` resume that is wrong for chainable schedules.
"""

from __future__ import annotations

from lrbridge.errors import PlanError, UnrepresentableError

from lrbridge.groups import plan_for_param_groups
from lrbridge.rules import plateau_problems

from .capability import NoNative, native_recipe


def plan_for_optimizer(plan, optimizer, group: str | None = None):
    """The plan with one group per optimizer param group, in the optimizer's order.

    ``group=None``: param groups carrying a ``"name"`` (as ``torch_param_groups``
    writes) map to the plan group of that name; otherwise by position, and the
    counts must match. ``group="x"``: every param group follows plan group x's
    schedule, lr_scale and scheduled hyperparameters, with its own lr as base.
    """
    pgs = optimizer.param_groups
    by_name = {g.name: g for g in plan.groups}
    if group is not None:
        if group not in by_name:
            raise PlanError("group", f"no plan group named '{group}'; plan groups: {plan.group_names}")
        src = by_name[group]
        groups = [
            src.model_copy(update={"name": f"{group}[{i}]", "lr": float(_initial_lr(pg)), "scheduler": plan.group_schedule(src)})
            for i, pg in enumerate(pgs)
        ]
        return plan.model_copy(update={"groups": tuple(groups)})
    if not all(isinstance(pg.get("name"), str) for pg in pgs) and len(pgs) != len(plan.groups):
        raise PlanError(
            "groups",
            f"the optimizer has {len(pgs)} param groups and the plan {len(plan.groups)} groups; "
            "build the optimizer with lrbridge.torch_param_groups (named groups), "
            "or pass group='<plan group>' to drive every param group with one plan group",
        )
    return plan_for_param_groups(plan, [pg.get("name") for pg in pgs], "lrbridge.torch_param_groups")


def _initial_lr(pg) -> float:
    return pg.get("initial_lr", pg["lr"])


def _build(recipe: dict, optimizer):
    from torch.optim import lr_scheduler as L

    cls = recipe["cls"]
    if cls == "SequentialLR":
        parts = [_build(r, optimizer) for r in recipe["schedulers"]]
        return L.SequentialLR(optimizer, parts, milestones=list(recipe["milestones"]))
    if cls == "ChainedScheduler":
        return L.ChainedScheduler([_build(r, optimizer) for r in recipe["schedulers"]], optimizer=optimizer)
    return getattr(L, cls)(optimizer, **recipe["kwargs"])


def _set_base_lrs(optimizer, lrs) -> None:
    """What torch schedulers read: ``initial_lr`` (the base) and the current ``lr``.

    A tensor lr (capturable/fused optimizers, ``lr=torch.tensor(...)``) stays a tensor, written in
    place with ``fill_`` as torch's schedulers do (its ``initial_lr`` a copy, as torch makes it).
    """
    import torch

    for pg, lr in zip(optimizer.param_groups, lrs):
        if isinstance(pg["lr"], torch.Tensor):
            pg["lr"].fill_(float(lr))
            pg["initial_lr"] = pg["lr"].clone()
        else:
            pg["initial_lr"] = float(lr)
            pg["lr"] = float(lr)


def lr_kind_mismatch(plan, optimizer) -> list[str]:
    """Plan groups with ``lr_dtype: float64`` whose optimizer param group holds a float32 tensor lr.

    torch's own classes recurse through a float32 tensor lr in float32. They are verified so for
    ``lr_dtype: float32`` groups (and held as floats too, ``native_recipe``), but for a float64
    group only with a float lr: there only the closed form (fp32-exact either way) is known exact.
    """
    from .tables import lr_is_float32

    return [g.name for g, pg in zip(plan.groups, optimizer.param_groups)
            if g.lr_dtype != "float32" and lr_is_float32(pg)]


#: classes that set the groups' lr and initial_lr themselves from their own bounds when built
_SELF_BASED = ("CyclicLR", "OneCycleLR")


def build_native(recipe: dict, optimizer):
    """torch's own scheduler for a verified ``recipe``, the groups' base lrs written first.

    CyclicLR/OneCycleLR write lr (and ``initial_lr`` when absent) from their own bounds:
    an ``initial_lr`` left from before would become their base (the lr of step 0), so it is removed.
    """
    import warnings

    _set_base_lrs(optimizer, recipe["initial_lrs"])
    if recipe["cls"] in _SELF_BASED:
        for pg in optimizer.param_groups:
            pg.pop("initial_lr", None)
    with warnings.catch_warnings():
        # building a scheduler before any optimizer.step() is what torch expects; its
        # "step order" heuristics misfire on nested schedulers at construction
        warnings.simplefilter("ignore", UserWarning)
        return _build(recipe, optimizer)


def to_torch(plan, optimizer, *, group: str | None = None, native: bool = True):
    """A torch scheduler applying ``plan`` to ``optimizer``'s param groups.

    Writes each group's base lr (``initial_lr`` and ``lr``; a tensor lr in place) from the
    plan, then returns torch's own class where it is verified exact (for groups held in the
    precision of their ``lr_dtype``: a float32 tensor for ``float32``), else ``PlanLR``;
    ``native=False`` always gives the closed form. Call ``scheduler.step()`` after
    every ``optimizer.step()``. The returned object has ``lrbridge_kind`` =
    "native" or "closed_form" and, for native ones, ``lrbridge_recipe``.
    Raises ``UnrepresentableError`` for ReduceOnPlateau plans torch cannot run.
    """
    import torch

    from lrbridge.errors import expect_type
    from lrbridge.plan import Plan

    expect_type(plan, Plan, "to_torch", "plan", "load a file with lrbridge.load_plan")
    expect_type(optimizer, torch.optim.Optimizer, "to_torch", "optimizer",
                "build it with lrbridge_torch.torch_optimizer(plan, model)")
    if group is not None:
        expect_type(group, str, "to_torch", "group", "a plan group's name")
    eff = plan_for_optimizer(plan, optimizer, group)
    problems = plateau_problems(eff)
    if problems:
        raise UnrepresentableError("torch (eager)", problems, "one ReduceOnPlateau as the plan scheduler, lr_scale 1")
    recipe, why = None, ""
    mismatch = lr_kind_mismatch(eff, optimizer) if native else []
    if mismatch:
        native, why = False, (f"plan groups {mismatch} have lr_dtype float64 but the optimizer holds their lr as a "
                              "float32 tensor (torch's own classes would recurse in float32): closed form")
    if native:
        try:
            recipe = native_recipe(eff)
        except NoNative as exc:
            why = str(exc)
    if recipe is not None:
        sched = build_native(recipe, optimizer)
        sched.lrbridge_kind, sched.lrbridge_recipe = "native", recipe
        return sched
    from .scheduler import PlanLR

    _set_base_lrs(optimizer, [eff.group_base_lr(g) * g.lr_scale for g in eff.groups])
    sched = PlanLR(optimizer, eff)
    sched.lrbridge_kind, sched.lrbridge_reason = "closed_form", why or "native=False"
    return sched
