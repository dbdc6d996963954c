"""OneFlow import and export through the worker, checked against real OneFlow runs.

- from_oneflow of native schedulers (specs built by OneFlow itself) equals what those
  schedulers apply: eager group lrs (float64, rel 1e-12) from the ``native_curve`` op,
  and nn.Graph applied lrs (measured probe, <= 1 ulp; <= 2 ulp with lr_scale);
- round trips from_oneflow(to_oneflow(plan)) give the plan's curves (float64, rel 1e-12);
- the graph conf OneFlow's own classes write equals the conf export predicts;
- generated eager code runs and applies the plan (group lrs, rel 1e-12).
Each group of checks is one worker call.
"""

from __future__ import annotations

import numpy as np
import pytest
from oneflow_plans import BOTH, EAGER_ONLY, STEPS, plan, two_groups

from lrbridge import evaluate
from lrbridge.conformance import compare
from lrbridge.io import plan_from_dict, plan_to_dict
from lrbridge.schedules import OneCycle, Warmup, CosineAnnealing


def _s(cls, **kw):
    return {"class": cls, "kwargs": kw}


GROUPS = [{"lr": 0.1}, {"lr": 0.5}]
#: eager native schedulers: name -> spec (OneFlow classes, as a user writes them)
EAGER_SPECS = {
    "warmup_cosine": {"class": "WarmupLR", "scheduler": _s("CosineAnnealingLR", T_max=60),
                      "kwargs": {"warmup_factor": 0.1, "warmup_iters": 10}},
    "warmup_prefix_decay": {"class": "WarmupLR", "scheduler": _s("CosineDecayLR", decay_steps=50, alpha=0.2),
                            "kwargs": {"warmup_factor": 0.0, "warmup_iters": 8, "warmup_prefix": True}},
    "warmup_constant_only": {"class": "WarmupLR", "scheduler": None,
                             "kwargs": {"warmup_factor": 0.25, "warmup_iters": 6, "warmup_method": "constant"}},
    "chained": {"class": "ChainedScheduler", "schedulers": [_s("StepLR", step_size=7, gamma=0.5), _s("CosineAnnealingLR", T_max=25)]},
    "cosine_decay": _s("CosineDecayLR", decay_steps=40, alpha=0.1),
    "polynomial_cycle_default_end": _s("PolynomialLR", decay_batch=15, power=2.0, cycle=True),
    "warm_restarts_decay_limit": _s("CosineAnnealingWarmRestarts", T_0=6, T_mult=2, eta_min=0.001, decay_rate=0.5, restart_limit=3),
    "sequential_mixed_rescaling": {"class": "SequentialLR", "kwargs": {"milestones": [10, 30], "interval_rescaling": [True, False]},
                                   "schedulers": [_s("LinearLR", start_factor=0.0, total_iters=10),
                                                  _s("ExponentialLR", gamma=0.95), _s("MultiStepLR", milestones=[40, 60], gamma=0.3)]},
    "sequential_restart": {"class": "SequentialLR", "kwargs": {"milestones": [12], "interval_rescaling": True},
                           "schedulers": [_s("ConstantLR", factor=0.1, total_iters=20), _s("StepLR", step_size=9, gamma=0.7)]},
}  # fmt: skip
#: nn.Graph schedulers: name -> (spec, group options with lr_scale)
GRAPH_SPECS = {
    "nested_sequential": (
        {"class": "SequentialLR", "kwargs": {"milestones": [15], "interval_rescaling": [True]},
         "schedulers": [_s("LinearLR", start_factor=0.2, total_iters=15),
                        {"class": "SequentialLR", "kwargs": {"milestones": [30], "interval_rescaling": [False]},
                         "schedulers": [_s("CosineAnnealingLR", T_max=50), _s("StepLR", step_size=10, gamma=0.5)]}]},
        GROUPS,
    ),
    "mixed_rescaling": (EAGER_SPECS["sequential_mixed_rescaling"], GROUPS),
    "lr_scale_groups": (_s("StepLR", step_size=2, gamma=0.5), [{"lr": 1.0, "lr_scale": 0.5}, {"lr": 0.1}]),
    "warmup_cosine_scaled": (EAGER_SPECS["warmup_cosine"], [{"lr": 0.1, "lr_scale": 0.25}, {"lr": 0.1}]),  # equal bases
}  # fmt: skip
N = 90
#: WarmupLR(warmup_prefix=False) refuses groups with different base lrs (ValueError): equal ones for it
EQUAL_GROUPS = {"warmup_cosine": [{"lr": 0.1}, {"lr": 0.1, "weight_decay": 0.01}]}


def test_import_eager_specs_equal_native_runs(oneflow):
    names = sorted(EAGER_SPECS)
    groups = {n: EQUAL_GROUPS.get(n, GROUPS) for n in names}
    native = oneflow({"op": "native_curve", "cases": [{"groups": groups[n], "scheduler": EAGER_SPECS[n], "steps": N} for n in names]})
    imported = oneflow({"op": "import", "cases": [{"groups": groups[n], "scheduler": EAGER_SPECS[n]} for n in names]})
    for name, nat, imp in zip(names, native, imported):
        assert "error" not in nat and "error" not in imp, (name, nat, imp)
        c = compare(nat["lr"], evaluate(plan_from_dict(imp["plan"]), N), metric="rel", tolerance=1e-12)
        assert c.ok, f"{name}: {c}"


def test_import_graph_specs_equal_graph_runs(oneflow):
    from lrbridge_oneflow.runner import RUNNER  # noqa: F401  (the worker op behind it)

    names = sorted(GRAPH_SPECS)
    measured = oneflow({"op": "measure", "cases": [{"spec": GRAPH_SPECS[n][0], "groups": GRAPH_SPECS[n][1], "steps": N, "mode": "graph"} for n in names]})
    imported = oneflow({"op": "import", "cases": [{"groups": GRAPH_SPECS[n][1], "scheduler": GRAPH_SPECS[n][0], "graph": True} for n in names]})
    for name, m, imp in zip(names, measured, imported):
        assert "error" not in m and "error" not in imp, (name, m, imp)
        p = plan_from_dict(imp["plan"])
        # <= 1 ulp from the kernel, + 1 from the float32 lr_scale product where a group has one
        tol = 2 if any(g.lr_scale != 1.0 for g in p.groups) else 1
        c = compare(m["lr"], evaluate(p, N), metric="ulp", tolerance=tol)
        assert c.ok, f"{name}: {c}"
    lr_scale_plan = plan_from_dict(imported[names.index("lr_scale_groups")]["plan"])
    assert [g.lr_scale for g in lr_scale_plan.groups] == [0.5, 1.0]
    # semantics §4: graph applied a = [.5, .5, .25, .25], b = [.1, .1, .05, .05]
    lr = np.asarray(measured[names.index("lr_scale_groups")]["lr"])[:, :4]
    assert np.allclose(lr, [[0.5, 0.5, 0.25, 0.25], [0.1, 0.1, 0.05, 0.05]], rtol=1e-7, atol=0)


def test_eager_import_drops_lr_scale_it_ignores(oneflow):
    spec, groups = GRAPH_SPECS["lr_scale_groups"]
    (imp,) = oneflow({"op": "import", "cases": [{"groups": groups, "scheduler": spec, "graph": False}]})
    assert [g.lr_scale for g in plan_from_dict(imp["plan"]).groups] == [1.0, 1.0]
    assert any("eager ignores" in n for n in imp["notes"])


def test_lambda_needs_steps(oneflow):
    from lrbridge.interp import WorkerError

    with pytest.raises(WorkerError, match="LambdaLR|not a drivable"):
        oneflow({"op": "import", "groups": GROUPS, "scheduler": {"class": "LambdaLR", "kwargs": {}}})


@pytest.mark.parametrize("mode", ["eager", "graph"])
def test_round_trip(oneflow, mode):
    plans = dict(BOTH)
    if mode == "eager":
        plans.update({n: p for n, (p, _) in EAGER_ONLY.items()})
    names = sorted(plans)
    out = oneflow({"op": "import", "cases": [{"plan": plan_to_dict(plans[n]), "mode": mode} for n in names]})
    for name, r in zip(names, out):
        assert "error" not in r, (name, r)
        back = plan_from_dict(r["plan"])
        c = compare(evaluate(back, STEPS), evaluate(plans[name], STEPS), metric="rel", tolerance=1e-12)
        assert c.ok, f"{name} ({mode}): {c}"


def _same_conf(a, b, rel=1e-15) -> bool:
    """Equal protobuf JSON; doubles within ``rel`` (OneFlow computes WarmupLR's end factor with math, export with numpy)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same_conf(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same_conf(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= rel * abs(b)
    return a == b


def test_native_graph_conf_is_what_export_predicts(oneflow):
    names = sorted(BOTH)
    out = oneflow({"op": "export", "cases": [{"plan": plan_to_dict(BOTH[n]), "mode": "graph", "live": True} for n in names]})
    native = 0
    for name, r in zip(names, out):
        assert "error" not in r, (name, r)
        assert _same_conf(r["live_graph_conf"], r["graph_conf_proto"]), (name, r["live_graph_conf"], r["graph_conf_proto"])
        native += r["scheduler"]["class"] != "lrbridge.PlanLR"
    assert native >= 20  # most of these plans compile through OneFlow's own classes


def test_generated_eager_code_runs(oneflow):
    plans = {
        "native": two_groups(Warmup(schedule=CosineAnnealing(T_max=80), warmup_steps=10, warmup_factor=0.1), head_lr=1.0, head_scale=0.5),
        "closed_form": plan(OneCycle(total_steps=100, max_lr=0.5)),
    }
    names = sorted(plans)
    out = oneflow({"op": "export", "cases": [{"plan": plan_to_dict(plans[n]), "mode": "eager", "verify_steps": 60,
                                               "param_names": ["head.w", "body.layer.w"]} for n in names]})  # fmt: skip
    for name, r in zip(names, out):
        assert "error" not in r, (name, r)
        assert "import oneflow as flow" in r["code"]
        c = compare(r["verified_lr"], evaluate(plans[name], 60), metric="rel", tolerance=1e-12)
        assert c.ok, f"{name}: {c}"
    # groups with different (folded) base lrs: WarmupLR(prefix=False) would refuse them; the same SequentialLR does not
    assert "flow.optim.lr_scheduler.SequentialLR(optimizer, [flow.optim.lr_scheduler.LinearLR(" in out[names.index("native")]["code"]


def test_import_notes_oneflows_restart_cycle_error(oneflow):
    spec = _s("CosineAnnealingWarmRestarts", T_0=1, T_mult=3)
    (nat,) = oneflow({"op": "native_curve", "cases": [{"groups": [{"lr": 1.0}], "scheduler": spec, "steps": 125}]})
    (imp,) = oneflow({"op": "import", "cases": [{"groups": [{"lr": 1.0}], "scheduler": spec}]})
    assert any("step 121" in n for n in imp["notes"])
    ref = evaluate(plan_from_dict(imp["plan"]), 125)[0]
    native = np.asarray(nat["lr"][0])
    # OneFlow lands step 121 (a cycle start, lr 1.0) at the end of the previous cycle; everywhere else equal (rel 1e-12)
    assert ref[121] == 1.0 and native[121] < 1e-6
    others = np.arange(125) != 121
    assert compare(native[others], ref[others], metric="rel", tolerance=1e-12).ok


def test_steps_become_the_horizon_of_a_closed_form_import(oneflow):
    """from_oneflow(sched, steps=N): the plan knows its run length, so convert needs no --steps."""
    spec = {"class": "CosineAnnealingLR", "kwargs": {"T_max": 100}}
    (imp,) = oneflow({"op": "import", "cases": [{"groups": [{"lr": 0.1}], "scheduler": spec, "steps": 100}]})
    assert imp["exact"] and imp["plan"]["horizon"] == {"steps": 100}
