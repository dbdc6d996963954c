"""torch -> IR: the imported plan's reference curve equals torch's own stepped curve.

Tolerance: relative 1e-12 on float64 lrs (torch's recursions drift from the closed
forms by ≤ 4e-15 over these 40-step horizons). Tables are exact (0).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from lrbridge import evaluate
from lrbridge.conformance import Target, compare
from lrbridge.errors import EvaluationError, LrBridgeError
from lrbridge.reference import evaluate_hparam
from torch_testlib import sgd, stepped

N = 40


def _cases(torch):
    L = torch.optim.lr_scheduler
    return {
        "step": (lambda o: L.StepLR(o, 3, 0.5), True),
        "multistep-repeated": (lambda o: L.MultiStepLR(o, [7, 3, 3], 0.5), True),
        "constant-T0": (lambda o: L.ConstantLR(o, 0.5, 0), True),
        "linear": (lambda o: L.LinearLR(o, 0.25, 0.75, 9), True),
        "exponential": (lambda o: L.ExponentialLR(o, 0.93), True),
        "polynomial": (lambda o: L.PolynomialLR(o, 10, 2.0), True),
        "cosine-periodic": (lambda o: L.CosineAnnealingLR(o, 7, 1e-3), True),
        "warm-restarts": (lambda o: L.CosineAnnealingWarmRestarts(o, 2, 2, 1e-3), True),
        "cyclic-exp-range": (lambda o: L.CyclicLR(o, 0.01, [0.1, 0.2], 4, 6, mode="exp_range", gamma=0.97), True),
        "onecycle": (lambda o: L.OneCycleLR(o, [1.0, 0.5], total_steps=N, three_phase=True, anneal_strategy="linear"), True),
        "sequential": (lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 5), L.CosineAnnealingLR(o, 20, 1e-3)], [5]), True),
        "chained-multiplicative": (lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.9), L.StepLR(o, 2, 0.5)]), True),
        "chained-recursive": (lambda o: L.ChainedScheduler([L.CosineAnnealingLR(o, 4), L.StepLR(o, 2, 0.5)]), False),
        # standard shapes come back closed-form through lrbridge.recognize (exponential, inverse_time)
        "lambda-per-group": (lambda o: L.LambdaLR(o, [lambda t: 0.9 ** t, lambda t: 1 / (t + 1)]), True),
        "multiplicative": (lambda o: L.MultiplicativeLR(o, lambda t: 0.95), True),
    }


CASES = [
    "step", "multistep-repeated", "constant-T0", "linear", "exponential", "polynomial", "cosine-periodic",
    "warm-restarts", "cyclic-exp-range", "onecycle", "sequential", "chained-multiplicative",
    "chained-recursive", "lambda-per-group", "multiplicative",
]


@pytest.mark.parametrize("case", CASES)
def test_imported_plan_reproduces_torch(torch, case):
    from lrbridge_torch import from_torch

    make, closed_form = _cases(torch)[case]
    sched = make(sgd(torch))
    result = from_torch(sched, steps=N)
    assert result.exact is closed_form, result.notes
    real = stepped(make(sgd(torch)), N)
    cmp = compare(evaluate(result.plan, N), real, metric="rel", tolerance=1e-12)
    assert cmp.ok, str(cmp)


def test_the_issue_example_is_torchs_real_curve(torch):
    from lrbridge_torch import from_torch

    L = torch.optim.lr_scheduler
    opt = sgd(torch, lrs=(1.0, 1.0))
    result = from_torch(L.ChainedScheduler([L.CosineAnnealingLR(opt, 4), L.StepLR(opt, 2, 0.5)]), steps=8)
    assert evaluate(result.plan, 8)[0, 5] == pytest.approx(0.146447, abs=1e-6)  # not the product 0.036612
    assert any("tabulated by stepping a copy" in n for n in result.notes)


def test_cycled_momentum_and_beta1_are_scheduled_hparams(torch):
    from lrbridge_torch import from_torch

    L = torch.optim.lr_scheduler
    for cls, key, make in [
        ("SGD", "momentum", lambda o: L.CyclicLR(o, 0.01, 0.1, 3, base_momentum=[0.8, 0.7], max_momentum=0.9)),
        ("Adam", "beta1", lambda o: L.OneCycleLR(o, 1.0, total_steps=N, base_momentum=0.85, max_momentum=0.95)),
    ]:
        result = from_torch(make(sgd(torch, cls=cls)), steps=N)
        assert result.exact and all(key in g.hparam_schedulers for g in result.plan.groups)
        real = stepped(make(sgd(torch, cls=cls)), N, key)
        np.testing.assert_allclose(evaluate_hparam(result.plan, key, N), real, rtol=1e-12)


def test_user_objects_are_not_touched(torch):
    from lrbridge_torch import from_torch

    opt = sgd(torch)
    sched = torch.optim.lr_scheduler.MultiplicativeLR(opt, lambda t: 0.5)
    before = copy.deepcopy((sched.state_dict(), opt.state_dict()))
    from_torch(sched, steps=50)
    assert sched.state_dict() == before[0]
    assert opt.state_dict() == before[1]


def test_epoch_interval_wraps_in_by_epoch(torch):
    from lrbridge_torch import from_torch

    sched = torch.optim.lr_scheduler.StepLR(sgd(torch), 2, 0.5)
    result = from_torch(sched, steps=30, interval="epoch", steps_per_epoch=4)
    real = np.repeat(stepped(torch.optim.lr_scheduler.StepLR(sgd(torch), 2, 0.5), 8), 4, axis=1)[:, :30]
    assert result.plan.scheduler.kind == "by_epoch"
    assert compare(evaluate(result.plan, 30), real, metric="rel", tolerance=1e-12).ok


def test_missing_steps_for_lambda_is_a_clear_error(torch):
    from lrbridge_torch import from_torch

    sched = torch.optim.lr_scheduler.LambdaLR(sgd(torch), lambda t: 0.9 ** t)
    with pytest.raises(LrBridgeError, match=r"LambdaLR must be sampled.*pass steps="):
        from_torch(sched)


def test_plateau_imports_as_its_node_and_exports_back(torch):
    from lrbridge_torch import from_torch, to_torch

    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(sgd(torch), factor=0.5, patience=2, min_lr=1e-5)
    plan = from_torch(sched).plan
    assert plan.scheduler.kind == "reduce_on_plateau" and plan.scheduler.patience == 2
    with pytest.raises(EvaluationError):
        evaluate(plan, 3)
    back = to_torch(plan, sgd(torch))
    assert type(back).__name__ == "ReduceLROnPlateau" and back.min_lrs == [1e-5, 1e-5]


def test_round_trip_torch_ir_torch_measures_identically(torch):
    """torch object -> plan -> to_torch: the applied lrs (measured) equal the original's, 0 ulp."""
    from lrbridge_torch import from_torch
    from lrbridge_torch.runner import RUNNER

    L = torch.optim.lr_scheduler
    for make in (lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.CosineAnnealingLR(o, 4)], [2]),
                 lambda o: L.LambdaLR(o, lambda t: 1.0 / (1 + t))):
        plan = from_torch(make(sgd(torch)), steps=N).plan
        original = RUNNER.measure_native(make, 2, N, lrs=[0.1, 0.02])
        assert compare(RUNNER.measure(plan, N, Target("torch", "eager")), original, metric="ulp", tolerance=0).ok


def test_named_groups_with_a_model(torch):
    from lrbridge_torch import from_torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    opt = torch.optim.AdamW([{"params": model[0].parameters(), "lr": 0.01, "name": "body"},
                             {"params": model[1].parameters(), "weight_decay": 0.0, "name": "head"}], lr=0.1)
    plan = from_torch(torch.optim.lr_scheduler.StepLR(opt, 5), model=model).plan
    assert plan.optimizer.name == "adamw"
    assert [g.name for g in plan.groups] == ["body", "head"]
    assert plan.groups[0].params == ("0.weight", "0.bias") and plan.groups[1].weight_decay == 0.0
    assert [plan.group_base_lr(g) for g in plan.groups] == [0.01, 0.1]
