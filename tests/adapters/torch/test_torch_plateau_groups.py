"""ReduceLROnPlateau with a min_lr per group: torch's own class takes the list (lrbridge.rules)."""

from __future__ import annotations

import pytest

import lrbridge as lb

pytestmark = pytest.mark.torch


def _plan(min_lrs, **extra):
    groups = tuple(
        lb.ParamGroup(name=f"g{i}", params=(f"p{i}",), scheduler=lb.ReduceOnPlateau(factor=0.5, patience=1, min_lr=m), **extra)
        for i, m in enumerate(min_lrs)
    )
    return lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), groups=groups)


def test_per_group_min_lr_runs_torchs_own_class(torch):
    from lrbridge_torch import to_torch

    plan = _plan([0.02, 0.05])
    assert lb.check(plan, "torch").ok
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [p], "name": f"g{i}"} for i, p in enumerate(params)], lr=0.1)
    sched = to_torch(plan, opt)
    ref_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(2)], lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(ref_opt, factor=0.5, patience=1, min_lr=[0.02, 0.05])
    for metric in [1.0] * 12:  # never improves: the lr halves every other step down to each group's floor
        sched.step(metric)
        ref.step(metric)
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in ref_opt.param_groups]
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.05]


def test_plateau_rules_are_the_same_for_every_backend():
    differing = _plan([0.0, 0.0]).model_copy()
    groups = (differing.groups[0], differing.groups[1].model_copy(update={"scheduler": lb.ReduceOnPlateau(factor=0.1)}))
    plan = differing.model_copy(update={"groups": groups})
    for backend, mode in (("torch", "eager"), ("oneflow", "eager")):
        result = lb.check(plan, backend, mode=mode)
        assert not result.ok and any("differ in more than min_lr" in r for r in result.reasons), (backend, result.reasons)
    scaled = _plan([0.0, 0.0], lr_scale=0.5)
    for backend in ("torch", "oneflow"):
        assert any("lr_scale with reduce_on_plateau" in r for r in lb.check(scaled, backend).reasons)
