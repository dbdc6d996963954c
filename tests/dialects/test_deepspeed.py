"""DeepSpeed dialect vs DeepSpeed's own schedulers (deepspeed/runtime/lr_schedules.py).

Each scheduler is built from the config's ``params`` on a real torch optimizer and
driven as DeepSpeed's engine drives it (``_take_model_step``): ``optimizer.step()``
then ``lr_scheduler.step()``, once per optimizer update. The lr (and, for OneCycle,
``betas[0]``) a group holds when ``optimizer.step()`` runs is what that update
applies; lrbridge's ``evaluate`` of the dialect's plan must match it at relative
error ≤ 1e-12.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("deepspeed.runtime.lr_schedules")

from lrbridge.conformance import compare  # noqa: E402
from lrbridge.dialects import get  # noqa: E402
from lrbridge.errors import PlanError  # noqa: E402
from lrbridge.reference import evaluate, evaluate_hparam  # noqa: E402

REL_TOL = 1e-12
LR = 0.02


def run_ds(kind: str, params: dict, steps: int, optimizer: str = "AdamW"):
    """(lr, beta1) at every optimizer update, DeepSpeed's scheduler stepped after each update."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=LR) if optimizer == "AdamW" else torch.optim.SGD([p], lr=LR)
    sched = getattr(L, kind)(opt, **params)
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0].get("betas", (np.nan,))[0])
        opt.step()
        sched.step()
    return np.asarray(lrs)[None], np.asarray(moms)[None]


def config(kind: str, params: dict, optimizer: str = "AdamW") -> dict:
    return {"optimizer": {"type": optimizer, "params": {"lr": LR}}, "scheduler": {"type": kind, "params": params}}


def assert_same(kind: str, params: dict, steps: int):
    native, _ = run_ds(kind, params, steps)
    plan = get("deepspeed").to_plan(config(kind, params)).plan
    cmp = compare(evaluate(plan, steps), native, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{kind} {params}: {cmp}"


WARMUP_GRID = [
    dict(warmup_min_lr=lo, warmup_max_lr=hi, warmup_num_steps=w, warmup_type=t)
    for lo, hi, w, t in itertools.product((0.0, 1e-4), (None, 0.05), (1, 2, 10, 37), ("log", "linear"))
]


@pytest.mark.parametrize("params", WARMUP_GRID)
def test_warmup_lr(params):
    params = {k: v for k, v in params.items() if v is not None}
    assert_same("WarmupLR", params, 60)


@pytest.mark.parametrize("total", [5, 10, 11, 50, 120])
@pytest.mark.parametrize("params", [p for p in WARMUP_GRID if p["warmup_max_lr"] is not None])
def test_warmup_decay_lr(params, total):
    assert_same("WarmupDecayLR", dict(params, total_num_steps=total), total + 15)


@pytest.mark.parametrize("total", [5, 10, 11, 64, 200])
@pytest.mark.parametrize("w,t", list(itertools.product((1, 2, 10, 33), ("log", "linear"))))
@pytest.mark.parametrize("wmin,cmin", [(0.0, 0.0001), (0.1, 0.0), (0.3, 0.05)])
def test_warmup_cosine_lr(total, w, t, wmin, cmin):
    params = dict(total_num_steps=total, warmup_num_steps=w, warmup_type=t, warmup_min_ratio=wmin, cos_min_ratio=cmin)
    assert_same("WarmupCosineLR", params, total + 20)


ONE_CYCLE_GRID = [
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-2, cycle_first_step_size=10),
    dict(cycle_min_lr=1e-4, cycle_max_lr=1e-2, cycle_first_step_size=7, cycle_second_step_size=3),
    dict(cycle_min_lr=1e-3, cycle_max_lr=5e-2, cycle_first_step_size=4, cycle_second_step_size=9,
         decay_lr_rate=0.5, decay_step_size=3),
    dict(cycle_min_lr=1e-3, cycle_max_lr=5e-2, cycle_first_step_size=1, cycle_second_step_size=1,
         decay_lr_rate=0.1, decay_step_size=1, cycle_min_mom=0.85, cycle_max_mom=0.95),
    dict(cycle_min_lr=1e-3, cycle_max_lr=5e-2, cycle_first_step_size=5, decay_lr_rate=0.2, decay_step_size=0),
    dict(cycle_min_lr=1e-3, cycle_max_lr=5e-2, cycle_first_step_size=6, cycle_second_step_size=4,
         decay_lr_rate=0.3, decay_step_size=2, decay_mom_rate=0.01),
    dict(cycle_min_lr=1e-3, cycle_max_lr=5e-2, cycle_first_step_size=3, decay_step_size=5, decay_mom_rate=0.002),
]


@pytest.mark.parametrize("params", ONE_CYCLE_GRID)
def test_one_cycle_lr_and_momentum(params):
    steps = 80
    native_lr, native_mom = run_ds("OneCycle", params, steps)
    plan = get("deepspeed").to_plan(config("OneCycle", params)).plan
    assert compare(evaluate(plan, steps), native_lr, metric="rel", tolerance=REL_TOL).ok
    ours_mom = evaluate_hparam(plan, "beta1", steps)
    cmp = compare(ours_mom, native_mom, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"momentum: {cmp}"
    assert plan.optimizer.hparams["betas"][1] == 0.99  # DeepSpeed overwrites betas[1]


STAIR_GRID = [
    dict(cycle_first_step_size=10, cycle_first_stair_count=5),  # second count None: the first's
    dict(cycle_first_step_size=7, cycle_second_step_size=3, cycle_first_stair_count=4, cycle_second_stair_count=2),
    dict(cycle_first_step_size=4, cycle_second_step_size=9, cycle_first_stair_count=7, cycle_second_stair_count=0,
         decay_lr_rate=0.5, decay_step_size=3),
    dict(cycle_first_step_size=5, cycle_second_step_size=6, cycle_first_stair_count=0, cycle_second_stair_count=4,
         decay_mom_rate=0.01, decay_step_size=2),
    dict(cycle_first_step_size=3, cycle_second_step_size=5, cycle_first_stair_count=3, cycle_second_stair_count=5),
    dict(cycle_first_step_size=2, cycle_second_step_size=3, cycle_first_stair_count=10, cycle_second_stair_count=10,
         decay_lr_rate=0.1, decay_step_size=1),
    dict(cycle_first_step_size=1, cycle_second_step_size=1, cycle_first_stair_count=1),
    dict(cycle_first_step_size=13, cycle_second_step_size=11, cycle_first_stair_count=6, cycle_second_stair_count=7,
         decay_lr_rate=0.2, decay_step_size=4, decay_mom_rate=0.003, cycle_min_mom=0.85, cycle_max_mom=0.95),
    dict(cycle_first_step_size=1000, cycle_second_step_size=100, cycle_first_stair_count=100,
         cycle_second_stair_count=100, decay_step_size=1000, decay_lr_rate=0.01),  # QANet's shape
]


@pytest.mark.parametrize("params", STAIR_GRID)
def test_one_cycle_staircase_lr_and_momentum(params):
    params = dict(cycle_min_lr=1e-3, cycle_max_lr=5e-2, **params)
    steps = params["cycle_first_step_size"] + params.get("cycle_second_step_size", params["cycle_first_step_size"]) + 40
    native_lr, native_mom = run_ds("OneCycle", params, steps)
    plan = get("deepspeed").to_plan(config("OneCycle", params)).plan
    cmp = compare(evaluate(plan, steps), native_lr, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"lr: {cmp}"
    cmp = compare(evaluate_hparam(plan, "beta1", steps), native_mom, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"momentum: {cmp}"


def test_one_cycle_sgd_keeps_momentum():
    params = ONE_CYCLE_GRID[0]
    native_lr, _ = run_ds("OneCycle", params, 40, optimizer="SGD")
    result = get("deepspeed").to_plan(config("OneCycle", params, optimizer="SGD"))
    assert not result.plan.groups[0].hparam_schedulers
    assert compare(evaluate(result.plan, 40), native_lr, metric="rel", tolerance=REL_TOL).ok


@pytest.mark.parametrize("step_size,rate,stairs", [(1, 1.0, False), (5, 0.5, False), (5, 0.5, True), (3, 2.0, True)])
def test_lr_range_test(step_size, rate, stairs):
    params = dict(lr_range_test_min_lr=1e-4, lr_range_test_step_size=step_size, lr_range_test_step_rate=rate,
                  lr_range_test_staircase=stairs)
    assert_same("LRRangeTest", params, 50)


def test_first_updates_share_the_warmup_start():
    """DeepSpeed's trap: the built scheduler already set min_lr, and step() comes after the update."""
    lr, _ = run_ds("WarmupLR", dict(warmup_min_lr=0.0, warmup_max_lr=0.01, warmup_num_steps=10), 4)
    assert lr[0, 0] == lr[0, 1] == 0.0 and lr[0, 2] > 0
    plan = get("deepspeed").to_plan(config("WarmupLR", dict(warmup_min_lr=0.0, warmup_max_lr=0.01, warmup_num_steps=10))).plan
    assert evaluate(plan, 3)[0, 1] == 0.0


def test_refusals():
    ds = get("deepspeed")
    with pytest.raises(PlanError, match="auto"):
        ds.to_plan(config("WarmupLR", {"warmup_max_lr": "auto"}))
    with pytest.raises(PlanError, match=r"^scheduler.params.cycle_second_stair_count: must be a whole number"):
        ds.to_plan(config("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-2, cycle_second_stair_count=2.5)))
    with pytest.raises(PlanError, match=r"^scheduler.params.cycle_second_stair_count: more than 100000 stairs"):
        ds.to_plan(config("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-2, cycle_first_step_size=10,
                                           cycle_second_step_size=300_000, cycle_second_stair_count=200_000)))
    with pytest.raises(PlanError, match="unknown parameter"):
        ds.to_plan(config("WarmupLR", {"warmup_steps": 10}))
    with pytest.raises(PlanError, match="unknown DeepSpeed scheduler"):
        ds.to_plan(config("StepLR", {"step_size": 10}))
