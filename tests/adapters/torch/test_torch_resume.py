"""Resume from state_dict at several k continues exactly as the uninterrupted run (bitwise: float64 ==)."""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import evaluate
from lrbridge.schedules import Chained, CosineAnnealing, LinearRamp, OneCycle, Sequential, Step, Warmup
from torch_testlib import sgd, stepped, two_group_plan

N = 30
PLANS = {
    "native-cosine": CosineAnnealing(T_max=10, eta_min=0.0),
    "native-sequential": Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=5), CosineAnnealing(T_max=20)), milestones=(5,)),
    "closed-chained": Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2, gamma=0.5))),
    "closed-warmup": Warmup(schedule=CosineAnnealing(T_max=20), warmup_steps=5),
    "closed-onecycle": OneCycle(total_steps=40, max_lr=1.0),
}


@pytest.mark.parametrize("name", PLANS)
@pytest.mark.parametrize("k", [1, 7, 23])
def test_state_dict_resume_at_k(torch, name, k):
    from lrbridge_torch import to_torch

    plan = two_group_plan(PLANS[name])
    full = stepped(to_torch(plan, sgd(torch)), N)
    opt = sgd(torch)
    sched = to_torch(plan, opt)
    head = stepped(sched, k)
    sched.step()  # the loop's sched.step() after optimizer step k − 1
    saved = (opt.state_dict(), sched.state_dict())
    opt2 = sgd(torch)
    sched2 = to_torch(plan, opt2)  # fresh objects, as a restarted job builds them
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    tail = stepped(sched2, N - k)
    np.testing.assert_array_equal(np.concatenate([head, tail], axis=1), full)


def test_torch_last_epoch_resume_is_wrong_and_lrbridge_is_not(torch):
    """torch's own CosineAnnealingLR(last_epoch=k) resumes on a wrong curve (framework-semantics §5).

    lrbridge's closed form constructed with last_epoch = k − 1 applies lr(k) next,
    equal to the reference (rel 1e-12).
    """
    from lrbridge_torch import PlanLR

    plan = two_group_plan(CosineAnnealing(T_max=10, eta_min=0.001), scales=(1.0, 1.0))
    ref = evaluate(plan, 10)
    k = 5
    opt = sgd(torch)
    for g, lr in zip(opt.param_groups, (0.1, 0.02)):
        g["initial_lr"], g["lr"] = lr, float(ref[opt.param_groups.index(g), k - 1])
    native = torch.optim.lr_scheduler.CosineAnnealingLR(opt, 10, 0.001, last_epoch=k - 1)
    wrong = stepped(native, 4)
    assert not np.allclose(wrong, ref[:, k:k + 4], rtol=1e-6)
    opt = sgd(torch)
    for g, lr in zip(opt.param_groups, (0.1, 0.02)):
        g["initial_lr"] = lr
    ours = PlanLR(opt, plan, last_epoch=k - 1)
    np.testing.assert_allclose(stepped(ours, 4), ref[:, k:k + 4], rtol=1e-12)
