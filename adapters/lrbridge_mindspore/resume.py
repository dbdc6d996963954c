"""Resume a plan at step k on a MindSpore optimizer.

``nn`` optimizers carry the lr themselves (a list or a ``LearningRateSchedule`` cell, read at
the optimizer's ``global_step``, the number of earlier optimizer calls): resuming sets
``global_step = k``; a scheduled momentum is then written by ``PlanLR`` at step k. Experimental
optimizers (``mindspore.experimental.optim``) have no scheduler ``state_dict`` of their own:
``PlanLR`` holds ``last_epoch = k`` after k natural-loop steps and writes lr(k) into the lr
Parameters, so resuming builds it at k (``last_epoch = k - 1`` steps once to k).
"""

from __future__ import annotations

import numpy as np

from lrbridge.resume import next_values


def resume_state(plan, k: int, api: str | None = None) -> dict:
    """MindSpore's state at step k (plain JSON): ``global_step`` for nn optimizers, ``PlanLR``'s
    ``last_epoch`` for experimental ones (``api``: 'nn', 'experimental', or None for both)."""
    out = {}
    if api in (None, "nn"):
        out["global_step"] = k  # ops.assign(optimizer.global_step, Tensor([k], mindspore.int32))
    if api in (None, "experimental"):
        out["plan_lr"] = {"last_epoch": k}  # PlanLR.load_state_dict
    _, hparams = next_values(plan, k)
    for name, row in hparams.items():
        out[name] = row  # what PlanLR writes at step k (None: the group keeps its own)
    return out


def set_global_step(optimizer, k: int) -> None:
    """Position an nn optimizer: its next call reads the lr list / cell at step k."""
    from mindspore import Tensor, ops

    ops.assign(optimizer.global_step, Tensor(np.array([k], np.int32)))


def resume_scheduler(plan, optimizer, k: int, *, rows=None):
    """``(PlanLR or None, state)`` with ``optimizer`` positioned so its next step applies step k.

    nn optimizer: ``global_step`` set to k; the ``PlanLR`` writing a scheduled momentum (None when
    the plan schedules none). Experimental: ``PlanLR`` at step k (``rows`` as ``PlanLR`` takes it).
    """
    from .experimental import PlanLR, is_nn_optimizer

    if optimizer is None:
        return None, resume_state(plan, k)
    if is_nn_optimizer(optimizer):
        set_global_step(optimizer, k)
        scheduled = any(g.hparam_schedulers for g in plan.groups)
        return (PlanLR(optimizer, plan, last_epoch=k - 1) if scheduled else None), resume_state(plan, k, "nn")
    return PlanLR(optimizer, plan, last_epoch=k - 1, rows=rows), resume_state(plan, k, "experimental")
