"""lrbridge diff: identical curves pass, and each classic porting mistake is recognised by name,
on reference curves and on real torch runs (real SGD steps, the conformance probe)."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrbridge import plan_from_dict
from lrbridge.diff import classify, curves_of, diff, diff_curves, match_groups
from lrbridge.errors import PlanError


def plan(scheduler, *, groups=None, lr=0.1, steps=None, momentum=None):
    doc = {"optimizer": {"name": "sgd", "lr": lr, **({"hparams": {"momentum": momentum}} if momentum else {})},
           "scheduler": scheduler}
    if groups:
        doc["groups"] = groups
    if steps:
        doc["horizon"] = {"steps": steps}
    return plan_from_dict(doc)


COS = {"kind": "cosine", "T_max": 100}
WARM_COS = {"kind": "sequential", "milestones": [10], "stages": [{"kind": "linear", "start_factor": 0.1, "total_iters": 10},
                                                                 {"kind": "cosine", "T_max": 90}]}


def cause(a, b, steps=100, **kw):
    report = diff(a, b, steps=steps, **kw)
    assert not report.ok
    return report.causes()


def test_identical_sources_pass():
    report = diff(plan(WARM_COS), plan(WARM_COS), steps=100)
    assert report.ok and report.items[0].identical and "identical" in report.text()


def test_first_differing_step_with_both_values_and_ulps():
    report = diff(plan(COS), plan({"kind": "cosine", "T_max": 100, "eta_min": 1e-4}), steps=100)
    item = report.items[0]
    assert item.first_step == 1  # step 0 is b in both
    a, b = plan(COS), plan({"kind": "cosine", "T_max": 100, "eta_min": 1e-4})
    import lrbridge

    ra, rb = lrbridge.evaluate(a, 100)[0], lrbridge.evaluate(b, 100)[0]
    assert (item.value_a, item.value_b) == (ra[1], rb[1])
    assert item.ulp == float(abs(np.float32(ra[1]).view(np.int32) - np.float32(rb[1]).view(np.int32)))


def test_restarted_vs_shared_clock():
    global_clock = dict(WARM_COS, clock="global")
    assert cause(plan(WARM_COS), plan(global_clock)) == ["clock"]
    assert cause(plan(global_clock), plan(WARM_COS)) == ["clock"]


def test_constant_ratio_is_lr_scale_ignored():
    scaled = [{"name": "emb", "params": ["emb.*"], "lr_scale": 0.1}, {"name": "rest", "rest": True}]
    plain = [{"name": "emb", "params": ["emb.*"]}, {"name": "rest", "rest": True}]
    report = diff(plan(WARM_COS, groups=scaled), plan(WARM_COS, groups=plain), steps=100)
    by_group = {i.group_a: i for i in report.items}
    assert by_group["rest"].identical
    assert by_group["emb"].cause.kind == "constant_ratio" and "10" in by_group["emb"].cause.detail


def test_missing_warmup_both_styles():
    assert cause(plan(WARM_COS), plan({"kind": "cosine", "T_max": 90})) == ["missing_warmup"]  # restart: B[k] = A[k + 10]
    shared = {"kind": "warmup", "schedule": COS, "warmup_steps": 10, "warmup_factor": 0.1}  # OneFlow WarmupLR(prefix=False)
    assert cause(plan(shared), plan(COS)) == ["missing_warmup"]


def test_epoch_vs_step_cadence():
    per_step = {"kind": "by_epoch", "steps_per_epoch": 10, "cadence": "step", "schedule": {"kind": "cosine", "T_max": 10}}
    per_epoch = dict(per_step, cadence="epoch")
    assert cause(plan(per_step), plan(per_epoch)) == ["cadence"]
    # an epoch-stepped scheduler against the same numbers stepped every iteration
    assert cause(plan(COS), plan({"kind": "by_epoch", "steps_per_epoch": 10, "schedule": COS})) == ["cadence"]


def test_different_horizon():
    assert cause(plan(COS), plan({"kind": "cosine", "T_max": 80})) == ["horizon"]
    one_cycle = {"kind": "one_cycle", "total_steps": 100, "max_lr": 1.0}
    assert cause(plan(one_cycle), plan(dict(one_cycle, total_steps=120))) == ["horizon"]


def test_off_by_one_on_reference_curves():
    import lrbridge

    a = lrbridge.evaluate(plan(COS), 101)[0]
    assert classify(a[:100], a[1:]).kind == "off_by_one"
    assert classify(a[1:], a[:100]).kind == "off_by_one"


def test_unrecognised_difference_says_so():
    a = plan(COS)
    b = plan({"kind": "step", "step_size": 7, "gamma": 0.5})
    report = diff(a, b, steps=50)
    assert report.items[0].cause is None and "no systematic pattern" in report.text()


def test_momentum_cycle_dropped(torch):
    """A OneCycle port that keeps the lr cycle but drops torch's momentum cycle differs on momentum."""
    import lrbridge

    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        imported = lrbridge.from_torch(torch.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=100)).plan
    groups = [g.model_copy(update={"hparam_schedulers": {}}) for g in imported.groups]
    port = imported.model_copy(update={"groups": tuple(groups)})
    report = diff(imported, port, steps=100)
    by_q = {i.quantity: i for i in report.items}
    assert by_q["lr"].identical
    assert not by_q["momentum"].identical and by_q["momentum"].cause.kind == "not_scheduled"


# ---------------------------------------------------------------- real torch runs


def _probe(torch, make_scheduler, steps, *, step_first=False, every=1):
    """Applied lr of one group through real SGD steps; ``step_first``: the classic scheduler.step() before
    optimizer.step(); ``every``: the scheduler is stepped once per ``every`` optimizer steps (once per epoch)."""
    p = torch.zeros(steps, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler(opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(steps):
            if step_first:
                sched.step()
            p.grad = torch.nn.functional.one_hot(torch.tensor(k), steps).float()
            opt.step()
            if not step_first and (k + 1) % every == 0:
                sched.step()
    return -p.detach().numpy().astype(np.float64)


def test_real_torch_runs(torch):
    S = torch.optim.lr_scheduler
    reference = plan(WARM_COS)
    correct = _probe(torch, lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=10), S.CosineAnnealingLR(o, 90)], [10]), 100)
    assert diff(reference, correct, steps=100).ok  # a correct port: bit-identical
    early = _probe(torch, lambda o: S.SequentialLR(o, [S.LinearLR(o, 0.1, total_iters=10), S.CosineAnnealingLR(o, 90)], [10]), 100,
                   step_first=True)
    assert diff(reference, early, steps=100).causes() == ["off_by_one"]
    no_warmup = _probe(torch, lambda o: S.CosineAnnealingLR(o, 90), 100)
    assert diff(reference, no_warmup, steps=100).causes() == ["missing_warmup"]
    epoch_horizon = _probe(torch, lambda o: S.CosineAnnealingLR(o, 10), 100)  # T_max in epochs, stepped per batch
    assert diff(plan(COS), epoch_horizon, steps=100).causes() == ["horizon"]
    per_epoch = _probe(torch, lambda o: S.CosineAnnealingLR(o, 100), 100, every=10)  # stepped once per epoch of 10
    assert diff(plan(COS), per_epoch, steps=100).causes() == ["cadence"]


def test_measured_target_against_reference(torch):
    """Each side measured in its own framework: the plan on torch vs a port that forgot lr_scale."""
    scaled = plan(WARM_COS, groups=[{"name": "emb", "params": ["emb.*"], "lr_scale": 0.5}, {"name": "rest", "rest": True}])
    plain = plan(WARM_COS, groups=[{"name": "emb", "params": ["emb.*"]}, {"name": "rest", "rest": True}])
    same = diff(scaled, scaled, steps=60, target_b="torch/eager/cpu")
    assert same.ok and "torch/eager/cpu" in same.b
    report = diff(scaled, plain, steps=60, target_b="torch/eager/cpu")
    assert report.causes() == ["constant_ratio"]


def test_group_matching():
    assert match_groups(["a", "b"], ["b", "a"]) == ([("a", "a"), ("b", "b")], [], [])
    assert match_groups(["default"], ["group0"]) == ([("default", "group0")], [], [])
    assert match_groups(["x", "y"], ["p", "q"], {"x": "q"}) == ([("x", "q"), ("y", "p")], [], [])
    with pytest.raises(PlanError, match="no group 'z'"):
        match_groups(["x"], ["p"], {"z": "p"})
    report = diff_curves(curves_of({"a": [1.0, 1.0], "b": [1.0, 1.0]}, 2), curves_of({"a": [1.0, 1.0], "c": [2.0, 2.0], "d": [1, 1]}, 2))
    assert not report.ok and report.only_b == ["c", "d"] and report.only_a == ["b"]
    assert diff([0.1, 0.1, 0.05], np.float32([0.1, 0.1, 0.05])).steps == 3  # arrays: their length, compared in float32


def test_cli(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    import lrbridge

    lrbridge.save_plan(plan(WARM_COS, steps=100), a)
    lrbridge.save_plan(plan(dict(WARM_COS, clock="global"), steps=100), b)
    cli = [sys.executable, "-m", "lrbridge.cli", "diff"]
    same = subprocess.run(cli + [str(a), str(a)], capture_output=True, text=True)
    assert same.returncode == 0, same.stderr
    differ = subprocess.run(cli + [str(a), str(b), "--json", "--plot", str(tmp_path / "d.png")], capture_output=True, text=True)
    assert differ.returncode == 1, differ.stderr
    doc = json.loads(differ.stdout)
    assert doc["quantities"][0]["cause"]["kind"] == "clock" and doc["quantities"][0]["first_step"] == 10
    assert (tmp_path / "d.png").stat().st_size > 0
    text = subprocess.run(cli + [str(a), str(b), "--steps", "50"], capture_output=True, text=True)
    assert text.returncode == 1 and "shared vs restarted clock" in text.stdout
    bad = subprocess.run(cli + [str(a), str(tmp_path / "missing.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error:")
    badmap = subprocess.run(cli + [str(a), str(b), "--map", "nope"], capture_output=True, text=True)
    assert badmap.returncode == 2


# ---------------------------------------------------------------- measured in MindSpore GRAPH_MODE and OneFlow nn.Graph


def test_mindspore_graph_port_with_shared_clock(ms):
    """Both sides measured in MindSpore GRAPH_MODE (lrbridge's float64 cells, tolerance 1 ulp)."""
    correct = diff(plan(WARM_COS), plan(WARM_COS), steps=40, target_b="mindspore/graph/cpu/cell")
    assert correct.ok and correct.tolerance == 1
    wrong = diff(plan(WARM_COS), plan(dict(WARM_COS, clock="global")), steps=40, target_b="mindspore/graph/cpu/cell")
    assert wrong.causes() == ["clock"] and wrong.items[0].first_step == 10


def test_oneflow_graph_port_that_lost_lr_scale(oneflow):
    groups = [{"name": "emb", "params": ["emb.*"], "lr_scale": 0.1}, {"name": "rest", "rest": True}]
    lost = [{"name": "emb", "params": ["emb.*"]}, {"name": "rest", "rest": True}]
    report = diff(plan(WARM_COS, groups=groups), plan(WARM_COS, groups=lost), steps=60, target_b="oneflow/graph/cpu")
    by_group = {i.group_a: i for i in report.items}
    assert by_group["rest"].identical  # within nn.Graph's 1 ulp
    assert by_group["emb"].cause.kind == "constant_ratio" and by_group["emb"].first_step == 0


PORT = '''
import torch
from torch.optim import lr_scheduler


def _opt():
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.01, "name": "backbone"},
              {"params": [torch.nn.Parameter(torch.zeros(2))], "name": "head"}]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-4)


def correct():
    opt = _opt()
    return opt, lr_scheduler.SequentialLR(opt, [lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
                                                lr_scheduler.CosineAnnealingLR(opt, 95)], [5])


def no_warmup():
    opt = _opt()
    return {"optimizer": opt, "scheduler": lr_scheduler.CosineAnnealingLR(opt, 95)}
'''


def test_live_torch_objects_from_an_entry_point(tmp_path, torch):
    """B is the user's own torch code (path/to/file.py:function), measured with real torch steps."""
    recipe = Path(__file__).resolve().parents[2] / "examples" / "torch_recipe.yaml"
    port = tmp_path / "port.py"
    port.write_text(PORT)
    assert diff(str(recipe), f"{port}:correct", steps=100, target_b="torch/eager/cpu").ok
    wrong = diff(str(recipe), f"{port}:no_warmup", steps=100, target_b="torch/eager/cpu")
    assert wrong.causes() == ["missing_warmup", "missing_warmup"]  # both groups


NATIVE_ONEFLOW = r"""
import json, oneflow as flow
S = flow.optim.lr_scheduler
N = 60


def probe(make, lr_scale=None):
    # applied lr of two groups through real eager SGD steps (one-hot gradient at step k; the param holds -lr_k)
    a, b = flow.nn.Parameter(flow.zeros(N)), flow.nn.Parameter(flow.zeros(N))
    first = {"params": [a], "lr": 0.1}
    if lr_scale is not None:
        first["lr_scale"] = lr_scale
    opt = flow.optim.SGD([first, {"params": [b], "lr": 0.1}], lr=0.1)
    sched = make(opt)
    for k in range(N):
        g = flow.zeros(N)
        g[k] = 1.0
        a.grad, b.grad = g.clone(), g.clone()
        opt.step()
        sched.step()
    return [(-a.numpy()).tolist(), (-b.numpy()).tolist()]


def warm_cos(opt, **kw):
    return S.SequentialLR(opt, [S.LinearLR(opt, 0.1, total_iters=10), S.CosineAnnealingLR(opt, 90)], [10], **kw)


print("RESULT" + json.dumps({
    "restart": probe(lambda o: warm_cos(o, interval_rescaling=True)),
    "default_clock": probe(warm_cos),
    "eager_lr_scale": probe(lambda o: warm_cos(o, interval_rescaling=True), lr_scale=0.5),
}))
"""


def test_native_oneflow_eager_runs(oneflow, tmp_path):
    """Hand-written OneFlow code run eagerly: the default SequentialLR clock and an ignored lr_scale, named."""
    import os

    from lrbridge.interp import worker_environment

    py = os.environ.get("LRBRIDGE_ONEFLOW_PYTHON") or str(Path(__file__).resolve().parents[2] / ".venv-oneflow/bin/python")
    proc = subprocess.run([py, "-c", NATIVE_ONEFLOW], capture_output=True, text=True, timeout=300, env=worker_environment())
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, proc.stderr[-2000:]
    runs = {k: {"a": np.array(v[0]), "b": np.array(v[1])} for k, v in json.loads(line[0][6:]).items()}
    groups = [{"name": "a", "params": ["a"]}, {"name": "b", "rest": True}]
    assert diff(plan(WARM_COS, groups=groups), runs["restart"], steps=60).ok  # a correct port: bit-identical
    assert diff(plan(WARM_COS, groups=groups), runs["default_clock"], steps=60).causes() == ["clock", "clock"]
    scaled = plan(WARM_COS, groups=[dict(groups[0], lr_scale=0.5), groups[1]])
    report = diff(scaled, runs["eager_lr_scale"], steps=60)
    assert report.causes() == ["constant_ratio"] and report.items[0].group_a == "a" and "2 ×" in report.items[0].cause.detail
