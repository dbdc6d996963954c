"""mindcv dialect against mindcv's own create_scheduler (mindcv 0.3.0, identical to
mindspore-lab/mindcv@51b0636 mindcv/scheduler/scheduler_factory.py and dynamic_lr.py)."""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import mindcv as mc


def _factory():
    return pytest.importorskip("mindcv.scheduler").create_scheduler


CASES = [
    dict(scheduler="cosine_decay", lr=0.1, min_lr=1e-5, warmup_epochs=0, decay_epochs=12, epoch_size=12),  # resnet_50
    dict(scheduler="cosine_decay", lr=0.1, min_lr=1e-5, warmup_epochs=2, warmup_factor=0.01, decay_epochs=4,
         epoch_size=13, num_cycles=2, cycle_decay=0.5),
    dict(scheduler="warmup_cosine_decay", lr=0.5, min_lr=0.0, warmup_epochs=3, decay_epochs=5, epoch_size=10),
    dict(scheduler="step_decay", lr=0.1, warmup_epochs=1, decay_epochs=3, decay_rate=0.5, epoch_size=10),
    dict(scheduler="multi_step_decay", lr=0.1, warmup_epochs=1, multi_step_decay_milestones=[2, 4, 4, 7],
         decay_rate=0.3, epoch_size=10),
    dict(scheduler="exponential_decay", lr=0.1, warmup_epochs=2, decay_rate=0.8, epoch_size=9),
    dict(scheduler="polynomial_decay", lr=0.1, warmup_epochs=2, decay_rate=2.0, epoch_size=9),
    dict(scheduler="one_cycle", lr=0.1, min_lr=1e-5, warmup_epochs=0, epoch_size=8),
    dict(scheduler="cyclic", lr=0.1, min_lr=1e-3, warmup_epochs=0, epoch_size=8, num_cycles=3),
    dict(scheduler="constant", lr=0.1, warmup_epochs=2, warmup_factor=0.1, epoch_size=5),
]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("stair", [False, True])
@pytest.mark.parametrize("spe", [1, 7])
def test_lr_list_matches_create_scheduler(case, stair, spe):
    if stair and case["scheduler"] in ("one_cycle", "cyclic"):
        pytest.skip("mindcv refuses these with lr_epoch_stair")
    create = _factory()
    a = {**mc.DEFAULTS, **case, "lr_epoch_stair": stair}
    real = np.array(create(
        spe, scheduler=a["scheduler"], lr=a["lr"], min_lr=a["min_lr"], warmup_epochs=a["warmup_epochs"],
        warmup_factor=a["warmup_factor"], decay_epochs=a["decay_epochs"], decay_rate=a["decay_rate"],
        milestones=a["multi_step_decay_milestones"], num_epochs=a["epoch_size"], num_cycles=a["num_cycles"],
        cycle_decay=a["cycle_decay"], lr_epoch_stair=stair))
    plan = mc.to_plan({**case, "lr_epoch_stair": stair}, steps_per_epoch=spe).plan
    assert plan.horizon.steps == len(real) and plan.horizon.past == "error"
    np.testing.assert_allclose(lb.evaluate(plan, len(real))[0], real, rtol=1e-12, atol=1e-300)


def test_groups_and_refusals():
    res = mc.to_plan({"scheduler": "constant", "epoch_size": 2, "weight_decay": 1e-4,
                      "weight_decay_filter": "norm_and_bias", "opt": "momentum"}, steps_per_epoch=3)
    owned = lb.assign_params(res.plan.groups, ["conv.weight", "bn.gamma", "bn.beta", "fc.bias"])
    assert owned == {"no_decay": ["bn.gamma", "bn.beta", "fc.bias"], "default": ["conv.weight"]}
    assert res.plan.optimizer.name == "sgd" and res.plan.optimizer.hparams["momentum"] == 0.9
    with pytest.raises(lb.PlanError, match="steps-per-epoch"):
        mc.to_plan({"scheduler": "constant", "epoch_size": 2})
    with pytest.raises(lb.PlanError, match="ValueError"):
        mc.to_plan({"scheduler": "one_cycle", "epoch_size": 2, "warmup_epochs": 1}, steps_per_epoch=3)


@pytest.mark.parametrize("case", [CASES[1], CASES[3], CASES[7]])
def test_exported_mindspore_list_is_mindcvs_list(case, ms):
    # the plan goes back to MindSpore as the list mindcv would have given the optimizer (float32, ≤ 1 ulp)
    spe = 7
    a = {**mc.DEFAULTS, **case}
    real = _factory()(spe, scheduler=a["scheduler"], lr=a["lr"], min_lr=a["min_lr"], warmup_epochs=a["warmup_epochs"],
                      warmup_factor=a["warmup_factor"], decay_epochs=a["decay_epochs"], decay_rate=a["decay_rate"],
                      milestones=a["multi_step_decay_milestones"], num_epochs=a["epoch_size"],
                      num_cycles=a["num_cycles"], cycle_decay=a["cycle_decay"], lr_epoch_stair=False)
    plan = mc.to_plan(case, steps_per_epoch=spe).plan
    ours = np.asarray(lb.to_mindspore_lr_list(plan, total_step=len(real)), np.float32)
    theirs = np.asarray(real, np.float32)
    ulp = np.abs(ours.view(np.int32).astype(np.int64) - theirs.view(np.int32).astype(np.int64))
    assert ulp.max() <= 1
