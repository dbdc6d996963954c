"""Helpers for the torch adapter tests: plans, and torch's own stepped curve read the way a training loop sees it.

torch is never imported at module level: callers pass the ``torch`` fixture's module.
"""

from __future__ import annotations

import warnings

import numpy as np

from lrbridge import OptimizerSpec, ParamGroup, Plan


def two_group_plan(schedule, *, scales=(1.0, 0.5), optimizer="sgd", **kw) -> Plan:
    """Two groups with different base lrs (0.1, 0.02) and lr_scales."""
    groups = (
        ParamGroup(name="enc", params=("enc.*",), lr=0.1, lr_scale=scales[0]),
        ParamGroup(name="head", rest=True, lr=0.02, lr_scale=scales[1]),
    )
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=0.1), groups=groups, scheduler=schedule, **kw)


def sgd(torch, lrs=(0.1, 0.02), momentum=0.9, cls="SGD"):
    """An optimizer with one tiny parameter per group."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    if cls == "SGD":
        return torch.optim.SGD(groups, lr=lrs[0], momentum=momentum)
    return getattr(torch.optim, cls)(groups, lr=lrs[0])


def stepped(scheduler, n: int, key: str = "lr") -> np.ndarray:
    """group[key] before each of n optimizer steps (opt.step(); sched.step()), shape (groups, n), float64.

    key "beta1" reads betas[0]. This steps the object given: pass a fresh one.
    """
    opt = scheduler.optimizer
    out = np.empty((len(opt.param_groups), n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for t in range(n):
            out[:, t] = [float(g["betas"][0] if key == "beta1" else g[key]) for g in opt.param_groups]
            opt.step()
            if t + 1 < n:  # no step past the last read (OneCycleLR raises past total_steps + 1)
                scheduler.step()
    return out
