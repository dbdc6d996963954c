"""Resume a plan at step k on a OneFlow eager optimizer: ``PlanLR`` positioned so the next step applies lr(k).

OneFlow schedulers hold ``last_step = k`` after k natural-loop steps (one step in the
constructor) and are closed form, so building ``PlanLR`` with ``last_step = k - 1`` steps it
once to k and writes lr(k) and the scheduled hyperparameters of k. ``resume_state`` is
framework-free (any interpreter); ``resume_scheduler`` with a live optimizer runs only inside
the OneFlow interpreter (from the main environment use the worker op ``resume_segment``).
"""

from __future__ import annotations

from lrbridge.resume import next_values


def resume_state(plan, k: int) -> dict:
    """OneFlow's eager state at step k for ``PlanLR`` over param groups in plan order (plain JSON).

    ``param_groups``: ``initial_lr`` (the unscaled base ``PlanLR`` reads; eager folds lr_scale into
    the lr), ``lr`` = lr(k) and the scheduled hyperparameters of step k.
    """
    lrs, hparams = next_values(plan, k)
    bases = [plan.group_base_lr(g) for g in plan.groups]
    groups = [{"lr": lr, "initial_lr": b} for lr, b in zip(lrs, bases)]
    for name, row in hparams.items():
        for group, value in zip(groups, row):
            if value is not None:
                group[name] = value
    return {"scheduler": {"last_step": k, "base_lrs": bases, "_last_lr": lrs}, "param_groups": groups}


def resume_scheduler(plan, optimizer, k: int):
    """``(PlanLR, state)`` over a OneFlow eager ``optimizer`` (param groups in plan order) at step k;
    ``optimizer=None``: ``(None, state)``, in any interpreter."""
    state = resume_state(plan, k)
    if optimizer is None:
        return None, state
    from .live import PlanLR

    for pg, g in zip(optimizer.param_groups, state["param_groups"]):
        pg["lr"] = pg["initial_lr"] = g["initial_lr"]
        if "lr_scale" in pg:  # eager ignores lr_scale: PlanLR applies it
            pg.options.pop("lr_scale")
    return PlanLR(optimizer, plan, last_step=k - 1), state
