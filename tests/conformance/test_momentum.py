"""Scheduled momentum: applied or refused, never dropped, measured from parameter updates.

The momentum a target applies is recovered from the updates of real SGD steps
(``lrbridge.conformance.momentum``), never read back from param_groups. The plan is
what ``from_torch`` imports from a default OneCycleLR/CyclicLR (they cycle momentum).
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance.momentum import MOMENTUM_ATOL, momentum_from_updates
from lrbridge.reference import evaluate_hparam

N = 24


def _one_cycle_plan(torch, **kw):
    from lrbridge_torch import from_torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=N, **kw)
    return from_torch(sched, steps=N).plan


def _max_error(got, plan):
    return float(np.nanmax(np.abs(got - evaluate_hparam(plan, "momentum", got.shape[1]))[:, 1:]))


def test_momentum_is_recovered_from_updates_of_a_plain_heavy_ball_recursion():
    # The recovery against numpy's own float32 heavy-ball run (no framework): m_k comes back.
    m = np.linspace(0.95, 0.85, 10)
    lr = np.float32(0.1)
    buf, deltas = np.float32(1.0), []
    for k in range(10):
        buf = np.float32(1.0) if k == 0 else np.float32(np.float32(m[k]) * buf + np.float32(1.0))
        deltas.append(np.float32(lr * buf))
    got = momentum_from_updates([deltas], [[lr] * 10])
    assert np.isnan(got[0, 0]) and np.max(np.abs(got[0, 1:] - m[1:])) < MOMENTUM_ATOL


@pytest.mark.parametrize("native", [True, False], ids=["native-or-verified", "closed-form"])
def test_torch_applies_the_cycled_momentum(torch, native):
    from lrbridge_torch.runner import measure_momentum

    plan = _one_cycle_plan(torch)
    assert plan.groups[0].hparam_schedulers  # torch's default: cycle_momentum=True
    assert _max_error(measure_momentum(plan, N, native=native), plan) < MOMENTUM_ATOL


def test_the_measurement_sees_a_dropped_momentum_schedule(torch):
    # Negative control: the same optimizer with the momentum schedule left out applies a
    # fixed momentum, and the measurement says so (it does not read param_groups).
    from lrbridge_torch.runner import measure_momentum

    plan = _one_cycle_plan(torch)
    fixed = plan.model_copy(update={"groups": tuple(g.model_copy(update={"hparam_schedulers": {}}) for g in plan.groups)})
    assert _max_error(measure_momentum(fixed, N), plan) > 0.01


@pytest.mark.parametrize("api", ["experimental", "nn"])
@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_mindspore_applies_the_cycled_momentum(torch, ms, api, mode):
    # GRAPH_MODE compiles a float momentum as a constant: PlanLR writes a Parameter instead.
    from lrbridge_mindspore.runner import measure_momentum

    plan = _one_cycle_plan(torch)
    assert L.check(plan, "mindspore", "experimental").ok
    assert _max_error(measure_momentum(plan, N, mode, api), plan) < MOMENTUM_ATOL


def test_refusals_name_the_scheduled_hyperparameter(torch):
    from lrbridge.errors import UnrepresentableError

    adam = torch.optim.Adam([torch.zeros(1, requires_grad=True)], lr=0.1)
    from lrbridge_torch import from_torch

    plan = from_torch(torch.optim.lr_scheduler.OneCycleLR(adam, max_lr=1.0, total_steps=N), steps=N).plan
    assert "beta1" in plan.groups[0].hparam_schedulers
    res = L.check(plan, "mindspore", "experimental")
    assert not res.ok and "beta1" in res.reasons[0]
    graph = L.check(_one_cycle_plan(torch), "oneflow", "graph")
    assert not graph.ok and "momentum" in graph.reasons[0] and "constant" in graph.reasons[0]
    assert L.check(_one_cycle_plan(torch), "oneflow", "eager").ok
    with pytest.raises(UnrepresentableError, match="beta1"):
        from lrbridge_mindspore.codegen import render_python

        render_python(plan, N)


def test_lr_only_artifacts_carry_the_lr_and_name_what_they_leave_out(torch):
    import json

    from lrbridge_mindspore.codegen import render_json

    plan = _one_cycle_plan(torch)
    for mode, p in (("list", plan), ("cell", plan)):
        res = L.check(p, "mindspore", mode)
        assert res.ok and any("momentum" in n for n in res.notes), (mode, res)
    doc = json.loads(render_json(plan, N))
    assert len(doc["groups"][0]["lr"]) == N and "momentum" in doc["notes"][0]


def test_oneflow_eager_applies_the_cycled_momentum(torch, oneflow):
    from lrbridge.io import plan_to_dict
    from lrbridge.reference import evaluate

    plan = _one_cycle_plan(torch)
    reply = oneflow({"op": "measure_momentum", "plan": plan_to_dict(plan), "steps": N})
    got = momentum_from_updates(reply["deltas"], evaluate(plan, N, dtype=np.float32))
    assert _max_error(got, plan) < MOMENTUM_ATOL


def test_the_conformance_matrix_measures_the_lr_of_a_momentum_cycling_plan(torch, ms, oneflow):
    """torch's default OneCycleLR cycles momentum: the lr probe (momentum-free SGD) runs the plan with the
    momentum held, so its cells measure the lr alone (before: 5.7e7 ulps on torch and OneFlow eager)."""
    from lrbridge.conformance.engine import Target
    from lrbridge.conformance.matrix import run_matrix

    plan = _one_cycle_plan(torch)
    targets = [Target("torch", "eager"), Target("oneflow", "eager"),
               Target("mindspore", "pynative", "cpu", "experimental"), Target("mindspore", "pynative", "cpu", "list")]
    cells = run_matrix(plan, N, targets)
    assert [c.status for c in cells] == ["ok"] * 4, [c.detail for c in cells]
    assert all(c.comparison.worst == 0 and "momentum held" in c.detail for c in cells)
