"""The horizon rule on every target, in the natural training loop.

    for k in range(N): optimizer.step(); scheduler.step()

The last ``scheduler.step()`` computes step N, which is never applied: it must not
raise. Applying a step past an ``error`` horizon raises, naming the step and the fix;
``hold`` and ``continue`` apply what the plan says past the horizon, on native classes
too. Measured through real optimizer steps (the conformance runners run this loop).
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance import ulp_distance
from lrbridge.conformance.engine import Target, measure
from lrbridge.errors import LrBridgeError

N = 12

TORCH = Target("torch", "eager")
MS_EXPERIMENTAL = Target("mindspore", "pynative", "cpu", "experimental")
MS_LIST = Target("mindspore", "pynative", "cpu", "list")
MS_CELL = Target("mindspore", "pynative", "cpu", "cell")
MS_GRAPH_CELL = Target("mindspore", "graph", "cpu", "cell")
ONEFLOW = Target("oneflow", "eager")
ONEFLOW_GRAPH = Target("oneflow", "graph")


def _plan(past: str, schedule=None, steps: int = N) -> L.Plan:
    return L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.5),
        groups=(L.ParamGroup(name="a", params=("a*",), lr=0.25), L.ParamGroup(name="b", rest=True)),
        scheduler=schedule or L.Exponential(gamma=0.8),
        horizon=L.Horizon(steps=steps, past=past),
    )


def _fixture_for(target, request):
    request.getfixturevalue({"torch": "torch", "mindspore": "ms", "oneflow": "oneflow"}[target.backend])


def _applied_equals_reference(plan, steps, target):
    got = measure(plan, steps, target).lr
    want = L.evaluate(plan, steps, dtype=np.float32).astype(np.float64)
    np.testing.assert_array_equal(got, want, err_msg=f"{target}")


@pytest.mark.parametrize("target", [TORCH, MS_EXPERIMENTAL, MS_LIST, MS_CELL, MS_GRAPH_CELL, ONEFLOW], ids=str)
@pytest.mark.parametrize("past", ["error", "hold", "continue"])
def test_the_natural_loop_runs_to_the_horizon(target, past, request):
    _fixture_for(target, request)
    _applied_equals_reference(_plan(past), N, target)


@pytest.mark.parametrize("target", [TORCH, MS_EXPERIMENTAL, ONEFLOW], ids=str)
def test_applying_a_step_past_an_error_horizon_raises_naming_it(target, request):
    _fixture_for(target, request)
    with pytest.raises(LrBridgeError, match=f"optimizer step {N} would apply an lr past the plan's horizon of {N} steps"):
        measure(_plan("error"), N + 1, target)


@pytest.mark.parametrize("target", [MS_CELL, MS_GRAPH_CELL], ids=str)
def test_a_mindspore_cell_applies_nan_past_an_error_horizon(target, ms):
    """A compiled cell cannot raise: from step N on it gives NaN, and the update applying it is NaN."""
    got = measure(_plan("error"), N + 1, target).lr
    assert np.isnan(got[:, N]).all()


@pytest.mark.parametrize("target", [TORCH, MS_EXPERIMENTAL, ONEFLOW], ids=str)
@pytest.mark.parametrize("past", ["hold", "continue"])
def test_hold_and_continue_apply_the_plan_past_the_horizon(target, past, request):
    _fixture_for(target, request)
    _applied_equals_reference(_plan(past), N + 6, target)


def test_torch_native_classes_follow_the_plan_past_the_horizon(torch):
    from lrbridge_torch import to_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    assert to_torch(_plan("continue"), opt, group="a").lrbridge_kind == "native"  # ExponentialLR: verified, continues
    _applied_equals_reference(_plan("continue"), N + 6, TORCH)


@pytest.mark.parametrize("target", [TORCH, MS_EXPERIMENTAL, ONEFLOW], ids=str)
def test_one_cycle_continue_plan_runs_its_natural_loop(target, request):
    # torch's OneCycleLR raises past total_steps: never chosen for a 'continue' plan
    _fixture_for(target, request)
    plan = _plan("continue", L.OneCycle(total_steps=N, max_lr=1.0, anneal_strategy="linear"))
    _applied_equals_reference(plan, N, target)


def test_oneflow_graph_runs_an_error_horizon_to_n_and_holds_on_request(oneflow):
    # nothing in a compiled graph can raise: past an error horizon it applies NaN (test_oneflow_graph_horizon.py)
    res = L.check(_plan("error"), "oneflow", "graph")
    assert res.ok and any("applies lr NaN" in n for n in res.notes), res
    plan = _plan("hold", L.InverseSqrt(warmup_steps=4))  # no kernel schedule: an exact table
    res = L.check(plan, "oneflow", "graph")
    assert res.ok and any("exact table of 12 steps" in n for n in res.notes), res
    got = measure(plan, N + 3, ONEFLOW_GRAPH).lr
    assert ulp_distance(got, L.evaluate(plan, N + 3)).max() <= 1  # the graph tolerance: 1 float32 ulp


def test_import_horizon_is_the_steps_a_run_applies(torch, ms):
    # a 10-step OneCycleLR run: the imported plan's horizon is 10, so a 10-step MindSpore list is accepted
    from lrbridge_mindspore import to_mindspore_lr_list
    from lrbridge_torch import from_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    plan = from_torch(sched, steps=10).plan
    assert plan.horizon.steps == 10
    lrs = to_mindspore_lr_list(plan, total_step=10)
    assert len(lrs) == 10
    assert any("momentum" in n for n in lrs.notes)  # lr only: the cycled momentum is named, not dropped silently


def test_an_imported_table_trains_its_full_length(torch):
    # LambdaLR is tabulated over the steps it is imported for (past: error): training that many steps
    # in the natural loop ends cleanly; one more optimizer step is refused before it applies anything.
    from lrbridge.errors import EvaluationError
    from lrbridge_torch import from_torch, to_torch

    w = torch.zeros(1, requires_grad=True)
    src = torch.optim.SGD([w], lr=0.1)
    factors = np.random.default_rng(0).uniform(0.1, 1.0, N + 1).tolist()  # no closed form to recognize
    plan = from_torch(torch.optim.lr_scheduler.LambdaLR(src, lambda t: factors[min(t, N)]), steps=N).plan
    assert plan.horizon.steps == N and plan.horizon.past == "error"
    opt = torch.optim.SGD([w], lr=0.1)
    sched = to_torch(plan, opt)
    applied = []
    for _ in range(N):
        w.grad = torch.ones(1)
        applied.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert applied == L.evaluate(plan, N)[0].tolist()
    before = w.detach().clone()
    with pytest.raises(EvaluationError, match=f"optimizer step {N} would apply"):
        opt.step()
    assert torch.equal(w.detach(), before)  # refused before the update
