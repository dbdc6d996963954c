"""`lrbridge convert --to torch`: the generated module builds a scheduler that applies the plan."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.convert import render

pytestmark = pytest.mark.torch

N = 60
PLANS = {
    "native": lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1),
                      scheduler=lb.Sequential(stages=(lb.LinearRamp(start_factor=0.1, total_iters=5), lb.CosineAnnealing(T_max=55)),
                                              milestones=(5,))),
    "closed_form": lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), scheduler=lb.InverseSqrt(warmup_steps=10),
                           horizon=lb.Horizon(steps=N, past="hold")),
}


@pytest.mark.parametrize("name", list(PLANS))
def test_generated_module_applies_the_plan(torch, name):
    plan = PLANS[name]
    code = render(plan, to="torch", steps=N, fmt="python")
    assert ("from torch.optim import lr_scheduler" in code) == (name == "native")
    module = types.ModuleType("generated")
    exec(compile(code, "generated.py", "exec"), module.__dict__)  # lrbridge's own output, not user input
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    sched = module.build_scheduler(opt)
    applied = []
    for _ in range(N):
        applied.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_array_equal(np.float32(applied), np.float32(lb.evaluate(plan, N)[0]))


def test_json_is_the_shared_table_shape():
    doc = json.loads(render(PLANS["native"], to="torch", steps=N, fmt="json"))
    assert doc["total_step"] == N and len(doc["groups"][0]["lr"]) == N
