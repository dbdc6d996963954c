"""IR -> PyTorch: ``to_torch(plan, optimizer)`` returns the scheduler a torch user would write.

torch's own class (or a SequentialLR / ChainedScheduler of them) when its real
stepped behaviour equals the plan at every step for every group (rules in
``capability``), otherwise ``LrBridgeScheduler`` (closed form). Both resume from
``state_dict()``; the native classes are only ever built fresh (last_epoch=-1),
never with torch's ``last_epoch=k`` resume that is wrong for chainable schedules.
"""

from __future__ import annotations

import warnings

from lrbridge.errors import PlanError, UnrepresentableError

from .capability import NoNative, native_recipe, plateau_problems


def plan_for_optimizer(plan, optimizer, group: str | None = None):
    """The plan with one group per optimizer param group, in the optimizer's order.

    ``group=None``: param groups carrying a ``"name"`` (as ``build_torch_param_groups``
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
    names = [pg.get("name") for pg in pgs]
    if all(isinstance(n, str) for n in names):
        missing = [n for n in names if n not in by_name]
        if missing:
            raise PlanError("groups", f"optimizer param groups {missing} are not plan groups {plan.group_names}")
        return plan.model_copy(update={"groups": tuple(by_name[n] for n in names)})
    if len(pgs) != len(plan.groups):
        raise PlanError(
            "groups",
            f"the optimizer has {len(pgs)} param groups and the plan {len(plan.groups)} groups; "
            "build the optimizer with lrbridge.build_torch_param_groups (named groups), "
            "or pass group='<plan group>' to drive every param group with one plan group",
        )
    return plan


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
    """What torch schedulers read: ``initial_lr`` (the base) and the current ``lr``."""
    for pg, lr in zip(optimizer.param_groups, lrs):
        pg["initial_lr"] = float(lr)
        pg["lr"] = float(lr)


def to_torch(plan, optimizer, *, group: str | None = None, native: bool = True):
    """A torch scheduler applying ``plan`` to ``optimizer``'s param groups.

    Writes each group's base lr (``initial_lr`` and ``lr``) from the plan, then
    returns torch's own class where it is exact, else ``LrBridgeScheduler``;
    ``native=False`` always gives the closed form. Call ``scheduler.step()`` after
    every ``optimizer.step()``. The returned object has ``lrbridge_kind`` =
    "native" or "closed_form" and, for native ones, ``lrbridge_recipe``.
    Raises ``UnrepresentableError`` for ReduceOnPlateau plans torch cannot run.
    """
    eff = plan_for_optimizer(plan, optimizer, group)
    problems = plateau_problems(eff)
    if problems:
        raise UnrepresentableError("torch (eager)", problems, "one ReduceOnPlateau as the plan scheduler, lr_scale 1")
    recipe, why = None, ""
    if native:
        try:
            recipe = native_recipe(eff)
        except NoNative as exc:
            why = str(exc)
    if recipe is not None:
        _set_base_lrs(optimizer, recipe["initial_lrs"])
        with warnings.catch_warnings():
            # building a scheduler before any optimizer.step() is what torch expects; its
            # "step order" heuristics misfire on nested schedulers at construction
            warnings.simplefilter("ignore", UserWarning)
            sched = _build(recipe, optimizer)
        sched.lrbridge_kind, sched.lrbridge_recipe = "native", recipe
        return sched
    from .scheduler import LrBridgeScheduler

    _set_base_lrs(optimizer, [eff.group_base_lr(g) * g.lr_scale for g in eff.groups])
    sched = LrBridgeScheduler(optimizer, eff)
    sched.lrbridge_kind, sched.lrbridge_reason = "closed_form", why or "native=False"
    return sched
