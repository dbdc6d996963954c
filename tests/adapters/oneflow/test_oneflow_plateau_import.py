"""from_oneflow of a ReduceLROnPlateau with a per-group min_lr (OneFlow 0.9's class takes a list, as torch's does).

Imported as one ReduceOnPlateau per group, each with its own min_lr; exported back to
OneFlow's own class with the same list (round trip through real OneFlow objects).
"""

from __future__ import annotations

import pytest

import lrbridge as L
from lrbridge.io import plan_from_dict, plan_to_dict

pytestmark = pytest.mark.oneflow

GROUPS = [{"lr": 0.1}, {"lr": 0.2}]
SPEC = {"class": "ReduceLROnPlateau", "kwargs": {"factor": 0.5, "patience": 1, "min_lr": [0.01, 0.05]}}


@pytest.fixture(scope="module")
def imported(oneflow):
    """Per-group and single min_lr, each built as OneFlow's own ReduceLROnPlateau in the worker, then imported."""
    single = {**SPEC, "kwargs": {**SPEC["kwargs"], "min_lr": 0.01}}
    replies = oneflow({"op": "import", "cases": [{"groups": GROUPS, "scheduler": s} for s in (SPEC, single)]})
    assert all("error" not in r for r in replies), replies
    return [(plan_from_dict(r["plan"]), r) for r in replies]


def test_per_group_min_lr_imports_one_plateau_per_group_and_round_trips(oneflow, imported):
    plan, reply = imported[0]
    assert reply["exact"]
    nodes = [plan.group_schedule(g) for g in plan.groups]
    assert [n.kind for n in nodes] == ["reduce_on_plateau"] * 2
    assert [n.min_lr for n in nodes] == [0.01, 0.05]
    assert all(n.factor == 0.5 and n.patience == 1 for n in nodes)
    assert L.check(plan, "oneflow").ok and L.check(plan, "torch").ok
    # back through real OneFlow: to_oneflow builds ReduceLROnPlateau(min_lr=[...]), from_oneflow reads it again
    (back,) = oneflow({"op": "import", "cases": [{"plan": plan_to_dict(plan), "mode": "eager"}]})
    assert "error" not in back, back
    again = plan_from_dict(back["plan"])
    assert [again.group_schedule(g).min_lr for g in again.groups] == [0.01, 0.05]


def test_a_single_min_lr_stays_one_shared_node(imported):
    plan, _ = imported[1]
    assert plan.scheduler.kind == "reduce_on_plateau" and plan.scheduler.min_lr == 0.01
    assert all(g.scheduler is None for g in plan.groups)


def test_the_imported_plan_floors_each_group_at_its_own_min_lr(imported, torch):
    # a metric that never improves: every group is halved each patience + 1 steps down to its own floor
    from lrbridge_torch import to_torch

    plan, _ = imported[0]
    ws = [torch.zeros(1, requires_grad=True) for _ in GROUPS]
    opt = torch.optim.SGD([{"params": [w], "lr": 1.0} for w in ws])
    sched = to_torch(plan, opt)
    for _ in range(40):
        opt.step()
        sched.step(1.0)
    assert [pg["lr"] for pg in opt.param_groups] == [0.01, 0.05]
