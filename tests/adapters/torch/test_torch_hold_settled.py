"""A ``horizon.past: hold`` plan whose lr is constant before the horizon is the same plan as ``continue``
(``Plan.holds_as_it_continues``), so to_torch may emit torch's own class for it; one still changing at
the horizon keeps PlanLR (torch classes cannot hold). Measured by stepping real torch past the horizon."""

from __future__ import annotations

import numpy as np
import torch

import lrbridge as L

N = 12


def _plan(schedule) -> L.Plan:
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.5), scheduler=schedule, horizon=L.Horizon(steps=N, past="hold"))


def _applied(plan, steps: int):
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
    sched = L.to_torch(plan, opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return sched, np.array(lrs)


def test_a_settled_hold_plan_runs_torch_own_class_and_holds_past_the_horizon():
    plan = _plan(L.MultiStep(milestones=(3, 7), gamma=0.5))
    sched, lrs = _applied(plan, N + 20)
    assert isinstance(sched, torch.optim.lr_scheduler.MultiStepLR)
    assert np.array_equal(lrs, L.evaluate(plan, N + 20)[0])  # the held lr(N − 1) = 0.125 from step 7 on
    assert lrs[-1] == 0.125


def test_a_hold_plan_still_changing_at_the_horizon_keeps_planlr():
    plan = _plan(L.CosineAnnealing(T_max=20))
    sched, lrs = _applied(plan, N + 5)
    assert getattr(sched, "lrbridge_kind", None) == "closed_form"
    assert np.array_equal(lrs, L.evaluate(plan, N + 5)[0]) and lrs[-1] == lrs[N - 1]
