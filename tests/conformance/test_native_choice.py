"""A framework's own scheduler class is emitted only where it measurably equals the plan.

torch: ``to_torch`` steps the proposed class on a tiny optimizer over the plan's horizon
(and every threshold of its family) and keeps it only when each applied lr equals the
reference in float32; otherwise the closed-form ``PlanLR``. OneFlow nn.Graph: where no
kernel schedule fits, an exact table (a ``hold`` horizon), and refusals that name the
difference. Every case is measured through real optimizer steps.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance import ulp_distance
from lrbridge.conformance.engine import Target, measure


def _plan(schedule, lr=1.0, steps=40, past="continue", groups=None):
    kw = {"groups": groups} if groups else {}
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=lr), scheduler=schedule,
                  horizon=L.Horizon(steps=steps, past=past), **kw)  # fmt: skip


# (plan, torch class expected or None for the closed form): the None cases are torch classes
# the rules would propose and whose stepped values differ from the plan
TORCH_CASES = {
    "cyclic_base_lr_at_step_0": (_plan(L.Cyclic(base_lr=0.1, max_lr=0.2, step_size_up=2), lr=1.0, steps=20), "CyclicLR"),
    "linear_end_factor_0": (_plan(L.LinearRamp(start_factor=0.1, end_factor=0.0, total_iters=3), lr=0.1), None),
    "cosine_eta_min_above_base": (_plan(L.CosineAnnealing(T_max=300, eta_min=1.0), lr=1e-4, steps=600), None),
    "step": (_plan(L.Step(step_size=3, gamma=0.5)), "StepLR"),
    "one_cycle_continue": (_plan(L.OneCycle(total_steps=40, max_lr=1.0)), None),
}


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_torch_emits_a_native_class_only_where_it_is_exact(torch, name):
    from lrbridge_torch import to_torch

    plan, expected = TORCH_CASES[name]
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = to_torch(plan, opt)
    assert type(sched).__name__ == (expected or "PlanLR"), getattr(sched, "lrbridge_reason", "")
    if expected is None:
        assert "applies lr" in sched.lrbridge_reason or "raises" in sched.lrbridge_reason, sched.lrbridge_reason
    note = L.check(plan, "torch").notes[0]  # framework-free: the proposal, verified when built
    assert (expected or "PlanLR") in note
    steps = plan.horizon.steps
    got = measure(plan, steps, Target("torch", "eager")).lr
    np.testing.assert_array_equal(got, L.evaluate(plan, steps, dtype=np.float32))


def test_one_cycle_with_pct_start_1_is_refused_at_the_plan():
    with pytest.raises(L.PlanError, match="pct_start=1.0 leaves the last phase of one_cycle empty"):
        L.OneCycle(total_steps=10, max_lr=1.0, pct_start=1.0)


def _two(schedule_a, schedule_b=None, lr_b=0.5, scale_b=1.0):
    return (L.ParamGroup(name="a", params=("a*",), scheduler=schedule_a),
            L.ParamGroup(name="b", rest=True, lr=lr_b, lr_scale=scale_b, scheduler=schedule_b))  # fmt: skip


#: plans no nn.Graph kernel schedule expresses, run as an exact table under a 'hold' horizon
GRAPH_TABLES = {
    "by_epoch_cosine": _plan(L.ByEpoch(schedule=L.CosineAnnealing(T_max=5), steps_per_epoch=7), lr=0.1, past="hold"),
    "chained_warmups": _plan(L.Chained(schedules=(L.LinearRamp(start_factor=0.1, total_iters=5), L.Exponential(gamma=0.9))),
                             lr=0.1, past="hold"),  # fmt: skip
    "inverse_sqrt": _plan(L.InverseSqrt(warmup_steps=8), lr=0.1, past="hold"),
    "one_cycle": _plan(L.OneCycle(total_steps=40, max_lr=0.3), lr=0.1, past="hold"),
    "groups_differ_by_a_factor": _plan(L.InverseSqrt(warmup_steps=8), lr=0.1, past="hold",
                                       groups=_two(None, None, lr_b=0.7, scale_b=0.5)),  # fmt: skip
}


def test_oneflow_graph_runs_an_exact_table_where_no_kernel_schedule_fits(oneflow):
    from lrbridge_oneflow.runner import RUNNER

    for name, plan in GRAPH_TABLES.items():
        res = L.check(plan, "oneflow", "graph")
        assert res.ok and any("exact table of 40 steps" in n for n in res.notes), (name, res)
    target = Target("oneflow", "graph")
    results = RUNNER.measure_many([(plan, 44, target) for plan in GRAPH_TABLES.values()])
    for (name, plan), got in zip(GRAPH_TABLES.items(), results):
        assert not isinstance(got, Exception), (name, got)
        scaled = any(g.lr_scale != 1.0 for g in plan.groups)
        assert ulp_distance(got, L.evaluate(plan, 44)).max() <= (2 if scaled else 1), name


def test_oneflow_graph_refusals_name_the_difference():
    differ = _plan(L.Step(step_size=5), lr=0.1, past="hold", groups=_two(L.InverseSqrt(warmup_steps=8), L.Step(step_size=5)))
    res = L.check(differ, "oneflow", "graph")
    assert not res.ok
    assert any("differ in shape, not only by a factor: at step 0" in r for r in res.reasons), res.reasons
    cont = _plan(L.InverseSqrt(warmup_steps=8), lr=0.1, past="continue")
    res = L.check(cont, "oneflow", "graph")
    assert not res.ok and any("set horizon.past to 'hold'" in r for r in res.reasons), res.reasons


def test_oneflow_graph_empty_multistep_milestones_run(oneflow):
    plan = _plan(L.MultiStep(milestones=(), gamma=0.5), lr=0.1, steps=10)
    assert L.check(plan, "oneflow", "graph").ok
    got = measure(plan, 10, Target("oneflow", "graph")).lr
    assert ulp_distance(got, L.evaluate(plan, 10)).max() <= 1


def test_oneflow_eager_builds_its_own_class_only_after_stepping_it(oneflow):
    from lrbridge.io import plan_to_dict

    plans = [_plan(L.Step(step_size=3, gamma=0.5), lr=0.1), _plan(L.CosineAnnealing(T_max=300, eta_min=1.0), lr=1e-4, steps=600)]
    for p, reply in zip(plans, oneflow({"op": "export", "cases": [{"plan": plan_to_dict(p), "mode": "eager", "live": True}
                                                                   for p in plans]})):  # fmt: skip
        assert "error" not in reply, reply
        assert reply["live_class"] == reply["scheduler"]["class"], reply  # verified equal: kept
        assert measure(p, p.horizon.steps, Target("oneflow", "eager")).lr.tolist() == L.evaluate(
            p, p.horizon.steps, dtype=np.float32).astype(np.float64).tolist()  # fmt: skip
