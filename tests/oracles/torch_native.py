"""Run PyTorch's own LR schedulers and read the lr every group applies at every optimizer step.

``run_native`` drives a real ``torch.optim.SGD`` (one parameter per group) with a
real scheduler, stepping ``opt.step(); sched.step()`` exactly as a training loop
does, and records ``group['lr']`` just before optimizer step k: the lr that
step k applies (k = 0 is the first step), as Python floats (float64).

torch is never imported here: callers pass the module the ``torch`` fixture
returned, so collecting the oracle tests needs no framework.

``TORCH_TO_IR`` is the support table: which IR node reproduces each torch
scheduler, and the traps the oracle tests measured (reusable by the docs).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from lrbridge.groups import ParamGroup
from lrbridge.optim import OptimizerSpec
from lrbridge.plan import Plan

#: torch.optim.lr_scheduler class -> (IR node that reproduces it, what to watch for).
#: Every row is checked against a native run in tests/oracles/test_torch_oracle.py.
TORCH_TO_IR: dict[str, tuple[str, str]] = {
    "LambdaLR": (
        "Tabulated(values=[λ(0), …, λ(N−1)], relative=True)",
        "sampled over the horizon; per-group lambdas become per-group schedulers",
    ),
    "MultiplicativeLR": (
        "Tabulated(values=[∏_{j=1..k} λ(j)], relative=True); Exponential(γ) when λ ≡ γ",
        "recursive product; no closed form in torch",
    ),
    "ConstantLR": (
        "ConstantFactor(factor, total_iters)",
        "total_iters=0: torch keeps b·factor forever (its recursion only undoes the factor at "
        "k == total_iters > 0), i.e. LinearRamp(factor, factor); factor=0 raises ZeroDivisionError at total_iters",
    ),
    "LinearLR": (
        "LinearRamp(start_factor, end_factor, total_iters)",
        "torch rejects start_factor=0; total_iters=0: torch keeps b·start_factor forever, "
        "while LinearRamp(T=0) is b·end_factor",
    ),
    "StepLR": ("Step(step_size, gamma)", ""),
    "MultiStepLR": (
        "MultiStep(sorted distinct milestones, gamma)",
        "torch counts milestones with multiplicity (Counter): a milestone listed n times decays by γ^n, "
        "which is Chained([MultiStep(layer_1), …, MultiStep(layer_n)]); order is irrelevant; "
        "milestone 0 decays from the first step",
    ),
    "ExponentialLR": ("Exponential(gamma)", ""),
    "PolynomialLR": ("Polynomial(total_iters, power, end_lr=0)", "0 from k = total_iters on"),
    "CosineAnnealingLR": (
        "CosineAnnealing(T_max, eta_min)",
        "periodic past T_max; torch's recursion drifts (5.5e-12 relative over 10k steps, T_max=7)",
    ),
    "CosineAnnealingWarmRestarts": (
        "CosineWarmRestarts(T_0, T_mult, eta_min)",
        "step() is exact; step(epoch) uses a float log: T_0=1, T_mult=3, epoch=121 gives eta_min instead of b",
    ),
    "CyclicLR": (
        "Cyclic(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)",
        "lr only: cycle_momentum=True (default) also rewrites momentum/betas each step (not in the IR yet); "
        "custom scale_fn -> Tabulated",
    ),
    "OneCycleLR": (
        "OneCycle(total_steps, max_lr, pct_start, anneal_strategy, div_factor, final_div_factor, three_phase)",
        "absolute lrs: per-group max_lr -> per-group schedulers; torch raises past k = total_steps; "
        "momentum cycling not in the IR yet",
    ),
    "SequentialLR": (
        "Sequential(stages, milestones, clock='restart')",
        "a milestone of 0 skips the stage before it; a repeated milestone skips the stage between; "
        "a nested SequentialLR as first stage switches one step early (its own counter is not rewound); "
        "a nested SequentialLR after a milestone raises NotImplementedError",
    ),
    "ChainedScheduler": (
        "Chained(schedules) only while every recursion is multiplicative",
        "torch composes recursive updates through the current lr: equal to Chained for Step/MultiStep/"
        "Exponential/Constant/Linear/Polynomial and CosineAnnealing(eta_min=0) up to T_max; "
        "past T_max cosine adds (b−η)(1−cos(π/T))/2 and the chain leaves the product",
    ),
    "ReduceLROnPlateau": ("ReduceOnPlateau (not evaluable)", "depends on metrics"),
}

MakeScheduler = Callable[[object, object], object]


def run_native(torch, make_scheduler: MakeScheduler, base_lrs: Sequence[float], steps: int) -> np.ndarray:
    """lr of every group before each of ``steps`` optimizer steps, shape (groups, steps), float64.

    ``make_scheduler(lr_scheduler_module, optimizer)`` builds the scheduler on the
    optimizer (group g starts at ``base_lrs[g]``). The scheduler is not stepped
    after the last recorded step, so schedulers that refuse to go past their
    horizon (OneCycleLR) can be read up to it.
    """
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in base_lrs]
    opt = torch.optim.SGD([{"params": [p], "lr": float(b)} for p, b in zip(params, base_lrs)], lr=float(base_lrs[0]))
    sched = make_scheduler(torch.optim.lr_scheduler, opt)
    out = np.empty((len(base_lrs), steps), np.float64)
    for k in range(steps):
        out[:, k] = [group["lr"] for group in opt.param_groups]
        if k + 1 < steps:
            opt.step()  # no gradients: updates nothing, but marks the step as torch's loop order expects
            sched.step()
    return out


def plan_for(schedule, base_lrs: Sequence[float], group_schedules: Sequence | None = None) -> Plan:
    """SGD plan with one group per base lr (group g selects parameter ``p{g}``).

    ``group_schedules[g]``, when given and not None, overrides the plan schedule for group g.
    """
    overrides = list(group_schedules) if group_schedules is not None else [None] * len(base_lrs)
    groups = tuple(
        ParamGroup(name=f"g{i}", params=(f"p{i}",), lr=float(b), scheduler=s)
        for i, (b, s) in enumerate(zip(base_lrs, overrides, strict=True))
    )
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=float(base_lrs[0])), groups=groups, scheduler=schedule)
