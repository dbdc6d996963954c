"""`lrbridge convert --to mindspore`: json / npy / python, plans and the PyTorch config dialect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

from lrbridge.cli import app
from lrbridge.reference import evaluate
from lrbridge.io import load_plan

PLAN = """\
version: 1
optimizer: {name: sgd, lr: 0.1, hparams: {weight_decay: 0.01}}
groups:
  - {name: head, params: ["head.*"], lr: 0.01, weight_decay: 0.0}
  - {name: body, rest: true}
scheduler:
  kind: sequential
  milestones: [5]
  stages:
    - {kind: linear, start_factor: 0.1, total_iters: 5}
    - {kind: cosine, T_max: 25}
horizon: {steps: 30}
"""

runner = CliRunner()


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def test_json_has_the_documented_shape_and_the_reference(plan_file):
    out = runner.invoke(app, ["convert", str(plan_file), "--to", "mindspore"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    ref = evaluate(load_plan(plan_file), 30)
    assert doc["total_step"] == 30 and [g["name"] for g in doc["groups"]] == ["head", "body"]
    assert [g["weight_decay"] for g in doc["groups"]] == [0.0, 0.01]
    assert np.array_equal(np.array([g["lr"] for g in doc["groups"]]), ref)  # float64, exact


def test_npy_needs_output_and_holds_the_table(plan_file, tmp_path):
    assert runner.invoke(app, ["convert", str(plan_file), "--to", "mindspore", "--format", "npy"]).exit_code == 1
    target = tmp_path / "lr.npy"
    out = runner.invoke(app, ["convert", str(plan_file), "--to", "mindspore", "--format", "npy", "-n", "40", "-o", str(target)])
    assert out.exit_code == 0, out.output
    assert np.array_equal(np.load(target), evaluate(load_plan(plan_file), 40))


def test_errors_name_the_key_and_what_is_accepted(plan_file, tmp_path):
    out = runner.invoke(app, ["convert", str(plan_file), "--to", "tf"])
    assert out.exit_code == 1 and "unknown target 'tf'; accepted: mindspore" in out.output
    out = runner.invoke(app, ["convert", str(plan_file), "--to", "mindspore", "--format", "csv"])
    assert "unknown format 'csv' for mindspore; accepted: json, npy, python" in out.output
    out = runner.invoke(app, ["convert", str(plan_file), "--to", "mindspore", "-n", "10"])
    assert out.exit_code == 1 and "total_step=10 is shorter than the plan's horizon of 30" in out.output


def test_generated_python_runs_under_mindspore_and_applies_the_lrs(ms, plan_file, tmp_path):
    """The module runs in a fresh interpreter, builds group_params + nn.SGD, and its real steps apply
    exactly fp32(reference) (0 ulp) per group, weight decay 0 on zero weights (so the probe reads lr)."""
    code = tmp_path / "ms_opt.py"
    out = runner.invoke(app, ["convert", str(plan_file), "--to", "mindspore", "--format", "python", "-o", str(code)])
    assert out.exit_code == 0, out.output
    probe = textwrap.dedent(f"""
        import json, sys, numpy as np
        from mindspore import Parameter, Tensor, nn, ops
        sys.path.insert(0, {str(tmp_path)!r})
        import ms_opt
        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.h = Parameter(Tensor(np.zeros(1, np.float32)), name="head.w")
                self.b = Parameter(Tensor(np.zeros(1, np.float32)), name="body.w")
        net = Net()
        opt, sched = ms_opt.build_optimizer(net)
        rows = []
        for k in range(ms_opt.TOTAL_STEP):
            for p in net.trainable_params():
                ops.assign(p, Tensor(np.zeros(1, np.float32)))  # not set_data: see runner._run
            opt((Tensor(np.ones(1, np.float32)),) * 2)
            rows.append([-float(p.asnumpy()[0]) for p in net.trainable_params()])
        print(json.dumps({{"target": ms_opt.OPTIMIZER, "lr": rows}}))
    """)
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert got["target"] == "mindspore.nn.SGD"
    ref = evaluate(load_plan(plan_file), 30).astype(np.float32)
    assert np.array_equal(np.float32(got["lr"]).T, ref)


def test_torch_config_dialect_is_detected(tmp_path, torch):
    cfg = tmp_path / "torch.yaml"
    cfg.write_text(textwrap.dedent("""\
        optimizer: {type: SGD, lr: 0.1, momentum: 0.9}
        scheduler:
          type: SequentialLR
          milestones: [5]
          schedulers:
            - {type: LinearLR, start_factor: 0.1, total_iters: 5}
            - {type: CosineAnnealingLR, T_max: 15}
        steps: 20
    """))
    out = runner.invoke(app, ["convert", str(cfg), "--to", "mindspore"])
    assert out.exit_code == 0, out.output
    lr = np.array(json.loads(out.stdout)["groups"][0]["lr"])
    # torch itself, stepped 20 times: float64 recursion vs the closed form (rel 1e-12; torch drift ~1e-15)
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    s = torch.optim.lr_scheduler.SequentialLR(opt, [torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=5),
                                                    torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15)], milestones=[5])
    want = []
    for _ in range(20):
        want.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    np.testing.assert_allclose(lr, want, rtol=1e-12, atol=0)
    bad = tmp_path / "bad.yaml"
    bad.write_text("optimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CosineLR, T_max: 3}\nsteps: 5\n")
    out = runner.invoke(app, ["convert", str(bad), "--to", "mindspore"])
    assert out.exit_code == 1 and "CosineLR" in out.output and "CosineAnnealingLR" in out.output


def test_long_lists_are_embedded_compressed_with_the_same_float32_values(ms, plan_file, tmp_path):
    """Past LITERAL_LIMIT steps the generated module carries float32 bytes, not megabytes of literals."""
    import importlib.util

    from lrbridge.convert import render
    from lrbridge_mindspore.codegen import LITERAL_LIMIT

    plan = load_plan(plan_file)
    n = 4 * LITERAL_LIMIT
    code = render(plan, to="mindspore", steps=n, fmt="python")
    assert "_float32_list(" in code and len(code) < 0.5 * len(repr(evaluate(plan, n).tolist()))
    path = tmp_path / "ms_long.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("ms_long", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # lrbridge's own generated module
    got = np.float32([g["lr"] for g in module.GROUPS])
    assert np.array_equal(got, evaluate(plan, n).astype(np.float32))
