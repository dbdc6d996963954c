"""from_torch on several schedulers stepped together at their own cadences (torch's compound pattern)."""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as lb

pytestmark = pytest.mark.torch


def _natural_loop(opt, schedulers, intervals, steps, spe):
    """What a training loop applies: per update, then step each scheduler at its interval."""
    out = []
    for k in range(steps):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        for s, iv in zip(schedulers, intervals):
            if iv == "step" or (k + 1) % spe == 0:
                s.step()
    return np.array(out).T


def _torchvision_detection(torch):
    """torchvision's detection recipe: MultiStepLR per epoch, LinearLR warmup per iteration on top."""
    params = [torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.01}], lr=0.02, momentum=0.9)
    main = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 5], gamma=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1e-3, total_iters=9)
    return opt, [main, warm], ["epoch", "step"]


def test_torchvision_warmup_times_multistep(torch):
    spe, steps = 10, 70
    opt, scheds, intervals = _torchvision_detection(torch)
    result = lb.from_torch(scheds, interval=intervals, steps_per_epoch=spe, steps=steps)
    opt2, scheds2, _ = _torchvision_detection(torch)
    applied = _natural_loop(opt2, scheds2, intervals, steps, spe)
    np.testing.assert_allclose(lb.evaluate(result.plan, steps), applied, rtol=1e-12, atol=0)
    assert result.plan.optimizer.hparams.get("momentum") == 0.9
    assert [g.lr for g in result.plan.groups][1] is not None
    assert opt.param_groups[0]["lr"] == opt.param_groups[0]["initial_lr"] * 1e-3  # the user's objects untouched


def test_several_schedulers_need_steps_and_one_optimizer(torch):
    opt, scheds, intervals = _torchvision_detection(torch)
    with pytest.raises(lb.PlanError, match="give steps"):
        lb.from_torch(scheds, interval=intervals, steps_per_epoch=10)
    other = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(lb.PlanError, match="different optimizers"):
        lb.from_torch([scheds[0], torch.optim.lr_scheduler.StepLR(other, 2)], steps=10)
