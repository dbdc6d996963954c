"""One plan, every backend x mode: the lr each group really receives is the same everywhere.

Real optimizer steps in torch eager, MindSpore PyNative and GRAPH_MODE (lists, float64
cells, experimental.optim) and OneFlow eager and nn.Graph (through the OneFlow
worker). Metric: float32 ulps between the applied lr and the float64 reference
rounded to float32. Tolerances (lrbridge.conformance.matrix.tolerance_ulp): 0 where
the framework applies fp32 of an exactly computed lr (torch, MindSpore lists and
experimental, OneFlow eager), 1 where the lr is computed in the framework's graph
(MindSpore cells, OneFlow's C++ kernel), 2 for OneFlow nn.Graph with lr_scale (it
multiplies the rounded lr by lr_scale in float32). GPU/Ascend targets are reported
as absent, with the reason, on machines without them.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance import ulp_distance
from lrbridge.conformance.matrix import default_targets, run_matrix

STEPS = 700
EXACT = {"torch/eager/cpu", "mindspore/pynative/cpu/list", "mindspore/graph/cpu/list", "mindspore/pynative/cpu/experimental", "oneflow/eager/cpu"}

PLANS = {
    "example_warmup_cosine_groups": L.load_plan("examples/warmup_cosine.yaml").model_copy(
        update={"horizon": L.Horizon(steps=STEPS)}
    ),
    "per_group_lrs_and_restarts": L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.05),
        groups=(
            L.ParamGroup(name="backbone", params=("backbone.*",), lr=0.005),
            L.ParamGroup(name="head", rest=True, lr=0.2),
        ),
        scheduler=L.Warmup(
            schedule=L.CosineWarmRestarts(T_0=50, T_mult=2, eta_min=0.0),
            warmup_steps=40,
            warmup_factor=0.1,
            prefix=True,
        ),
        horizon=L.Horizon(steps=STEPS),
    ),
    "staircase_and_milestones": L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        groups=(L.ParamGroup(name="a", params=("a*",), lr=0.3), L.ParamGroup(name="b", rest=True)),
        scheduler=L.Sequential(
            stages=(L.ConstantFactor(factor=0.25, total_iters=30), L.MultiStep(milestones=(0, 100, 250), gamma=0.5), L.Exponential(gamma=0.995)),
            milestones=(30, 400),
        ),
        horizon=L.Horizon(steps=STEPS),
    ),
}


@pytest.fixture(scope="module", params=sorted(PLANS))
def matrix(request, torch, ms, oneflow):
    plan = PLANS[request.param]
    return plan, run_matrix(plan, STEPS)


def test_every_cpu_target_applies_the_plan(matrix):
    plan, cells = matrix
    for cell in cells:
        if cell.target.device == "cpu":
            assert cell.status == "ok", f"{cell.target}: {cell.status}: {cell.detail}"


def test_exact_paths_are_bit_identical_across_frameworks(matrix):
    _, cells = matrix
    exact = [c for c in cells if str(c.target) in EXACT]
    assert len(exact) == len(EXACT)
    for c in exact[1:]:
        gap = ulp_distance(c.lr, exact[0].lr)
        assert gap.max() == 0, f"{c.target} vs {exact[0].target}: {gap.max()} ulp at step {int(np.argmax(gap.max(axis=0)))}"


def test_absent_devices_are_reported_not_skipped(matrix):
    _, cells = matrix
    assert [c.target for c in cells] == list(default_targets())
    for cell in cells:
        if cell.status == "absent":
            assert cell.target.device != "cpu" and cell.detail, cell


def test_unrepresentable_cells_say_why(torch, ms, oneflow):
    # One-cycle has no nn.Graph conf in OneFlow: that cell says so; every other CPU cell conforms.
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        scheduler=L.OneCycle(total_steps=200, max_lr=0.5),
        horizon=L.Horizon(steps=200),
    )
    cells = {str(c.target): c for c in run_matrix(plan, 200)}
    graph = cells["oneflow/graph/cpu"]
    assert graph.status == "unrepresentable" and "one_cycle" in graph.detail
    assert all(c.status == "ok" for t, c in cells.items() if c.target.device == "cpu" and t != "oneflow/graph/cpu")
