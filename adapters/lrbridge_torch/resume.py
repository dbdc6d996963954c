"""Resume a plan at step k on a torch optimizer: ``PlanLR`` positioned so the next step applies lr(k).

After k steps of the natural loop (``optimizer.step(); scheduler.step()``) a torch
``LRScheduler`` holds ``last_epoch = k`` and ``_step_count = k + 1`` (one step in the
constructor), ``_last_lr`` = the lrs of step k, and the param groups hold ``lr`` = lr(k)
(``initial_lr`` = the base). ``resume_state`` writes exactly that, from the plan alone, so
a checkpoint of any framework continues in torch; torch's own ``last_epoch=k`` constructor
argument is never used (wrong for chainable schedules, see docs/resume.md).
"""

from __future__ import annotations

from lrbridge.resume import next_values


def resume_state(plan, k: int) -> dict:
    """torch's state at step k for ``PlanLR`` over param groups in ``plan.groups`` order (plain JSON).

    ``scheduler``: for ``PlanLR.load_state_dict``; ``param_groups``: ``lr``, ``initial_lr`` and the
    scheduled hyperparameters of step k (``beta1`` is ``betas[0]``) for each param group.
    """
    lrs, hparams = next_values(plan, k)
    bases = [plan.group_base_lr(g) * g.lr_scale for g in plan.groups]
    scheduler = {"last_epoch": k, "_step_count": k + 1, "_last_lr": lrs, "base_lrs": bases,
                 "_is_initial": False, "_get_lr_called_within_step": False}  # fmt: skip
    groups = [{"lr": lr, "initial_lr": b} for lr, b in zip(lrs, bases)]
    for name, row in hparams.items():
        for group, value in zip(groups, row):
            if value is not None:
                group[name] = value
    return {"scheduler": scheduler, "param_groups": groups}


def apply_param_groups(param_groups, groups: list[dict]) -> None:
    """Write a ``resume_state`` ``param_groups`` list into torch param groups (beta1 into betas[0])."""
    from lrbridge.stepping import write_hparams

    for pg, g in zip(param_groups, groups):
        for key in ("lr", "initial_lr"):
            if hasattr(pg.get(key), "fill_"):  # a tensor lr (lr_dtype float32) stays a tensor, as torch keeps it
                pg[key].fill_(g[key])
            else:
                pg[key] = g[key]
    names = {n for g in groups for n in g if n not in ("lr", "initial_lr")}
    write_hparams(param_groups, {n: [g.get(n) for g in groups] for n in names})


def resume_scheduler(plan, optimizer, k: int, *, group: str | None = None):
    """``(PlanLR, state)``: the closed form over ``optimizer`` positioned at step k, and its state.

    ``optimizer=None``: ``(None, state)`` for param groups in plan order. ``group``: as ``to_torch``.
    """
    if optimizer is None:
        return None, resume_state(plan, k)
    from .export import to_torch

    sched = to_torch(plan, optimizer, group=group, native=False)
    state = resume_state(sched.plan, k)  # sched.plan: the plan mapped onto the optimizer's groups
    sched.load_state_dict(state["scheduler"])
    apply_param_groups(optimizer.param_groups, state["param_groups"])
    return sched, state
