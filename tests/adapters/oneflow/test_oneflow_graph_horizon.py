"""nn.Graph and a ``horizon.past: error`` plan of N steps (issue #9 §1).

The natural loop of N graph calls applies lr(0..N−1) only, so the plan is expressible:
the compiled conf gives the plan's lrs for steps < N and NaN × the base lr from step N on
(nothing in a compiled graph can raise), so a graph step past N writes NaN into the
parameters instead of a silently different lr. Measured through real nn.Graph steps.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance import ulp_distance
from lrbridge.conformance.engine import Target

N = 12
GRAPH = Target("oneflow", "graph")


def _plan(schedule, groups=None, past="error") -> L.Plan:
    extra = {} if groups is None else {"groups": groups}
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.5), scheduler=schedule, horizon=L.Horizon(steps=N, past=past), **extra)


TWO = (L.ParamGroup(name="a", params=("a*",), lr=0.25, lr_scale=0.5), L.ParamGroup(name="b", rest=True))

#: a kernel conf (two groups, lr_scale), an exact table (no kernel schedule), a nested sequential conf (warmup)
PLANS = {
    "kernel": _plan(L.Exponential(gamma=0.8), TWO),
    "table": _plan(L.InverseSqrt(warmup_steps=4), TWO),
    "warmup": _plan(L.Warmup(schedule=L.CosineAnnealing(T_max=10), warmup_steps=3, warmup_factor=0.1)),
}


@pytest.mark.parametrize("name", list(PLANS))
def test_check_accepts_an_error_horizon_and_says_what_happens_past_it(name):
    from lrbridge_oneflow.export import export

    plan = PLANS[name]
    res = L.check(plan, "oneflow", "graph")
    assert res.ok, res.reasons
    assert any(f"steps 0..{N - 1}" in n and "NaN" in n for n in res.notes), res.notes
    conf = export(plan, "graph").graph_conf["sequential_scheduler_conf"]
    assert conf["milestones"] == [N] and math.isnan(conf["schedulers"][1]["piecewise_scaling_conf"]["scales"][0])
    # JSON artifacts stay plain JSON: the NaN in protobuf's JSON form
    doc = json.dumps(export(plan, "graph").to_json(), allow_nan=False)
    assert '"NaN"' in doc


def test_a_table_under_a_continue_horizon_is_still_refused_naming_both_fixes():
    res = L.check(_plan(L.InverseSqrt(warmup_steps=4), past="continue"), "oneflow", "graph")
    assert not res.ok and any("set horizon.past to 'hold' (or 'error')" in r for r in res.reasons), res.reasons
    assert "'hold' or 'error'" in res.alternative


def test_graph_applies_the_plan_for_n_steps_then_nan(oneflow):
    from lrbridge_oneflow.runner import RUNNER

    cases = [(p, n, GRAPH) for p in PLANS.values() for n in (N, N + 1)]
    results = RUNNER.measure_many(cases)
    for i, (name, plan) in enumerate(PLANS.items()):
        exact, past = results[2 * i], results[2 * i + 1]
        assert not isinstance(exact, Exception) and not isinstance(past, Exception), (name, exact, past)
        scaled = any(g.lr_scale != 1.0 for g in plan.groups)
        # the natural loop of N graph calls: nn.Graph's tolerance (1 ulp, 2 with lr_scale)
        assert ulp_distance(exact, L.evaluate(plan, N)).max() <= (2 if scaled else 1), name
        # step N applies NaN: the update writes NaN into every element of every group's probe parameter
        assert np.isnan(past[:, N]).all() and np.isnan(past).all(), (name, past)
