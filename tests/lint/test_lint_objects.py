"""lint_objects on real torch, MindSpore and OneFlow objects (duck-typed: lrbridge.lint imports no framework)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrbridge.lint import lint_objects
from lrbridge.lint.rules import mindspore_applied_float_lr

ROOT = Path(__file__).resolve().parents[2]


def _opt(torch, lr=1.0):
    return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)


def rules(findings):
    return sorted({f.rule for f in findings})


def test_torch_objects(torch):
    S = torch.optim.lr_scheduler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = _opt(torch)
        assert rules(lint_objects(S.ChainedScheduler([S.CosineAnnealingLR(o, 4), S.StepLR(o, 2, 0.5)]))) == ["LRB007"]
        o = _opt(torch)
        assert lint_objects(S.ChainedScheduler([S.ConstantLR(o, 0.5, 2), S.ExponentialLR(o, 0.9)])) == []
        # resumed with last_epoch=k (LRB009) vs resumed through state_dict (clean)
        o = _opt(torch)
        o.param_groups[0]["initial_lr"] = 1.0
        assert rules(lint_objects(S.CosineAnnealingLR(o, 10, 0.001, last_epoch=4))) == ["LRB009"]
        fresh = S.CosineAnnealingLR(_opt(torch), 10, 0.001)
        for _ in range(5):
            fresh.step()
        again = S.CosineAnnealingLR(_opt(torch), 10, 0.001)
        again.load_state_dict(fresh.state_dict())
        assert lint_objects(fresh, again) == []
        # OneCycleLR against the planned steps
        oc = S.OneCycleLR(_opt(torch), 1.0, total_steps=100)
        assert rules(lint_objects(oc, steps=120)) == ["LRB010"]
        assert lint_objects(oc, steps=100) == []
        # CosineAnnealingWarmRestarts stepped with float epochs
        cawr = S.CosineAnnealingWarmRestarts(_opt(torch), 10, 2)
        cawr.step(0.5)
        assert rules(lint_objects(cawr)) == ["LRB008"]
        # nested SequentialLR, as the first stage (switches early) and as a later stage (crashes at the milestone)
        o = _opt(torch)
        first = S.SequentialLR(o, [S.SequentialLR(o, [S.LinearLR(o, 0.25, 1.0, 4), S.ExponentialLR(o, 0.5)], [3]),
                                   S.StepLR(o, 2, 0.1)], [6])
        assert [f.rule for f in lint_objects(first)] == ["LRB011"] and "one step early" in lint_objects(first)[0].message
        o = _opt(torch)
        later = S.SequentialLR(o, [S.StepLR(o, 2, 0.1), S.SequentialLR(o, [S.LinearLR(o, 0.25, 1.0, 2), S.ExponentialLR(o, 0.5)], [2])], [3])
        assert "step 3" in lint_objects(later)[0].message
        with pytest.raises(NotImplementedError):  # what the finding says happens
            for _ in range(3):
                later.step()
        # an epoch horizon stepped per iteration, given as the source dict of a live object
        cos = S.CosineAnnealingLR(_opt(torch), 90)
        found = lint_objects({"optimizer": cos.optimizer, "scheduler": cos, "interval": "step", "steps_per_epoch": 100}, steps=9000)
        assert rules(found) == ["LRB012"] and "scheduler" in found[0].file
        assert lint_objects({"scheduler": cos, "interval": "epoch", "steps_per_epoch": 100}, steps=9000) == []


def test_mindspore_tiny_lr_formula_matches_a_real_step(ms):
    """The lint's model of _ConvertToCell (fp32(fp32(lr) + 1) − 1) is what MindSpore applies (one real SGD step)."""
    from mindspore import Parameter, Tensor, nn

    ms.set_context(mode=ms.PYNATIVE_MODE)
    a = Parameter(Tensor(np.zeros(1, np.float32)), name="a")
    b = Parameter(Tensor(np.zeros(1, np.float32)), name="b")
    tiny = 1.234567e-5
    opt = nn.SGD([{"params": [a], "lr": [0.1] * 4}, {"params": [b], "lr": tiny}], learning_rate=0.1)
    opt((Tensor(np.ones(1, np.float32)), Tensor(np.ones(1, np.float32))))
    applied = -float(b.asnumpy()[0])
    assert applied == pytest.approx(mindspore_applied_float_lr(tiny), rel=0, abs=0)
    assert abs(applied - tiny) / tiny > 1e-3  # the trap is real: 1.2398e-05
    found = lint_objects(opt, steps=10)
    assert rules(found) == ["LRB004", "LRB006"]  # a 4-entry list for 10 steps; the float group rounded
    assert lint_objects(opt, steps=4) and rules(lint_objects(opt, steps=4)) == ["LRB006"]
    plain = nn.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": tiny}], learning_rate=0.1)
    assert lint_objects(plain, steps=10) == []
    assert rules(lint_objects([0.1] * 5, steps=6)) == ["LRB004"]


ONEFLOW_SCRIPT = r"""
import json, oneflow as flow
from lrbridge.lint import lint_objects
p = flow.nn.Parameter(flow.zeros(1)); q = flow.nn.Parameter(flow.zeros(1))
opt = flow.optim.SGD([{"params": [p], "lr_scale": 0.1}, {"params": [q]}], lr=1.0)
S = flow.optim.lr_scheduler
seq = S.SequentialLR(opt, [S.ConstantLR(opt, 0.1, 2), S.CosineAnnealingLR(opt, 4)], [2])
seq_ok = S.SequentialLR(opt, [S.ConstantLR(opt, 0.1, 2), S.CosineAnnealingLR(opt, 4)], [2], interval_rescaling=True)
out = {
    "eager": [f.rule for f in lint_objects(opt)],
    "graph": [f.rule for f in lint_objects(opt, mode="graph")],
    "seq": [f.rule for f in lint_objects(seq)],
    "seq_ok": [f.rule for f in lint_objects(seq_ok)],
}
print("RESULT" + json.dumps(out))
"""


def test_oneflow_objects(oneflow):
    py = os.environ.get("LRBRIDGE_ONEFLOW_PYTHON") or str(ROOT / ".venv-oneflow/bin/python")
    from lrbridge.interp import worker_environment

    proc = subprocess.run([py, "-c", ONEFLOW_SCRIPT], capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env=worker_environment())
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, proc.stderr[-2000:]
    got = json.loads(line[0][len("RESULT"):])
    assert got == {"eager": ["LRB001"], "graph": [], "seq": ["LRB002"], "seq_ok": []}


def test_cli_exit_codes_and_json(tmp_path):
    corpus = Path(__file__).parent / "corpus"
    cli = [sys.executable, "-m", "lrbridge.cli", "lint"]
    clean = subprocess.run(cli + [str(corpus / "LRB011_neg_flat.py")], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    found = subprocess.run(cli + ["--json", str(corpus / "LRB011_pos_nested.py")], capture_output=True, text=True)
    assert found.returncode == 1
    doc = json.loads(found.stdout)
    assert [(f["rule"], f["line"]) for f in doc["findings"]] == [("LRB011", 6)]
    assert set(doc["findings"][0]) >= {"rule", "file", "line", "message", "fix"}
    missing = subprocess.run(cli + [str(tmp_path / "nope.py")], capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bad = tmp_path / "bad.py"
    bad.write_text("def broken(:\n")
    syntax = subprocess.run(cli + [str(bad)], capture_output=True, text=True)
    assert syntax.returncode == 2 and "bad.py:1" in syntax.stderr
    steps = subprocess.run(cli + ["--steps", "8000", str(corpus / "LRB010_neg_counted.py")], capture_output=True, text=True)
    assert steps.returncode == 1 and "LRB010" in steps.stdout  # total_steps=1000 against 8000 planned steps


def test_lint_imports_no_framework():
    code = "import sys, lrbridge.lint as l; l.lint_source('import torch\\n'); print(sorted(m for m in ('torch','mindspore','oneflow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
