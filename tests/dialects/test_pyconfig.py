"""The restricted config reader: what it evaluates, and hostile files refused in one line, nothing run."""

from __future__ import annotations

import textwrap

import pytest

from lrbridge.errors import PlanError
from lrbridge.dialects.pyconfig import MAX_FILE_BYTES, Ref, Unresolved, load_pyconfig, loads_pyconfig


def test_values_names_arithmetic_fstrings_lazycall():
    data = loads_pyconfig(textwrap.dedent("""
        from detectron2.config import LazyCall as L
        import torch
        epochs = 12
        lr = 0.01 * 4 / 2
        name = f"run_{epochs:03d}_{lr}"
        tag = "{}-{:.2f}".format("x", lr) + "_".join(["a", "b"])
        milestones = [epochs * 2 // 3, epochs - 1]
        opt = L(torch.optim.SGD)(lr=lr, momentum=0.9)
        opt.lr = opt.lr * 2
        sched = dict(type='MultiStepLR', milestones=milestones, **dict(gamma=0.1))
        sched.update(gamma=0.5)
        cond = 1 if epochs > 10 else 2
    """))
    assert data["lr"] == 0.02 and data["name"] == "run_012_0.02" and data["tag"] == "x-0.02a_b" and data["milestones"] == [8, 11]
    assert data["opt"] == {"_target_": "torch.optim.SGD", "lr": 0.04, "momentum": 0.9}
    assert data["sched"]["gamma"] == 0.5 and data["cond"] == 1
    assert "torch" not in data and "L" not in data


def test_loops_comprehensions_and_values_computed_from_imports():
    data = loads_pyconfig(textwrap.dedent("""
        from flowvision.data import IMAGENET_DEFAULT_MEAN
        from omegaconf import DictConfig
        datasets = [dict(name="a"), dict(name="b")]
        for ds in datasets:
            ds.max_seq_length = 512
        squares = {k: k * k for k in range(4) if k % 2}
        mean = tuple([min(255, round(255 * x)) for x in IMAGENET_DEFAULT_MEAN])   # unknown here
        scaled = 2 * IMAGENET_DEFAULT_MEAN
        heads = dict(box_head=1, mask_head=2, keep=3)
        [heads.pop(k) for k in ["box_head", "mask_head"]]
        norm = lambda c: c + 1
        train = DictConfig(dict(max_iter=10))
    """))
    assert [d["max_seq_length"] for d in data["datasets"]] == [512, 512]
    assert data["squares"] == {1: 1, 3: 9} and data["train"] == {"max_iter": 10}
    assert isinstance(data["mean"], Unresolved) and "IMAGENET_DEFAULT_MEAN" in data["mean"].why
    assert isinstance(data["scaled"], Unresolved) and isinstance(data["norm"], Unresolved)
    assert data["heads"] == {"keep": 3}
    assert "k" not in data and "ds" in data  # comprehension names stay local; a loop's target stays bound


def test_relative_imports_and_read_base(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "optim.py").write_text("SGD = dict(type='SGD', lr=0.02)\n")
    (tmp_path / "base.py").write_text("max_epochs = 3\n")
    (tmp_path / "cfg.py").write_text(textwrap.dedent("""
        from mmengine.config import read_base
        with read_base():
            from .base import *
        from .common.optim import SGD as optimizer
        from mmengine.optim import CosineAnnealingLR
        optimizer.lr = 0.1
        sched = dict(type=CosineAnnealingLR, T_max=max_epochs)
    """))
    data = load_pyconfig(tmp_path / "cfg.py")
    assert data["optimizer"] == {"type": "SGD", "lr": 0.1} and data["max_epochs"] == 3
    assert data["sched"]["type"] == Ref("mmengine.optim.CosineAnnealingLR")


HOSTILE = {
    "import os\nx = os.system('touch PWNED')": None,  # recorded as a call, never made
    "x = __import__('os').system('touch PWNED')": "__import__",
    "__import__('os')": "__import__",
    "d = {}\nd.keys()": "expression statement",
    "x = ().__class__.__bases__[0].__subclasses__()": "dunder name",
    "x = exec('open(\"PWNED\", \"w\")')": "exec",
    "x = eval('1')": "eval",
    "x = open('PWNED', 'w')": "open",
    "x = (lambda: __import__('os').system('touch PWNED'))()": "__import__",
    "def f():\n    pass": "FunctionDef",
    "class A:\n    pass": "ClassDef",
    "for i in range(10 ** 5):\n    for j in range(10 ** 5):\n        pass": "loops running",
    "import m\nfor i in m.xs:\n    pass": "not known here",
    "while True:\n    pass": "While",
    "x = [i for i in (1, 2) for j in (3,)]": "more than one",
    "x = (1).real": "attribute 'real'",
    "x = '{0.__class__}'.format(1)": "format field",
    "x = '{0[0]}'.format([1])": "format field",
    "x = 10 ** 10 ** 10": "power",
    "x = 'a' * 10 ** 8": "items",
    "x = [1] * 10 ** 9": "items",
    "x = getattr(1, 'real')": "getattr",
    "x = {}\nx.__class__ = 2": "__class__",
    "from os import system\nx = system('touch PWNED')": None,
    "x = {{_base_.a}}": "_base_",
    "x = " + "(" * 5000 + "1" + ")" * 5000: "nest",
    "x = " + "[" * 200 + "]" * 200: "nesting",
    "x = " + "-" * 500 + "1": "nesting",
}


@pytest.mark.parametrize("text,why", list(HOSTILE.items()))
def test_hostile_files_are_refused_in_one_line_and_nothing_runs(tmp_path, monkeypatch, text, why):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.py"
    path.write_text(text)
    if why is None:  # a call of an imported name is only recorded, never made
        data = load_pyconfig(path)
        assert data["x"]["_target_"] in ("os.system", "os.system")
    else:
        with pytest.raises(PlanError) as err:
            load_pyconfig(path)
        msg = str(err.value)
        assert "\n" not in msg and why.lower() in msg.lower() and str(path) in msg
    assert not (tmp_path / "PWNED").exists()


def test_huge_file_and_inheritance_cycle(tmp_path):
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * (MAX_FILE_BYTES // 6 + 10))
    with pytest.raises(PlanError, match="byte limit"):
        load_pyconfig(big)
    (tmp_path / "a.py").write_text("_base_ = ['./b.py']\n")
    (tmp_path / "b.py").write_text("_base_ = ['./a.py']\n")
    with pytest.raises(PlanError, match="cycle"):
        load_pyconfig(tmp_path / "a.py")


def test_merge_with_delete(tmp_path):
    (tmp_path / "base.py").write_text("opt = dict(type='SGD', lr=0.1, momentum=0.9)\nkeep = 1\n")
    (tmp_path / "a.py").write_text("_base_ = './base.py'\nopt = dict(lr=0.2)\n")
    (tmp_path / "b.py").write_text("_base_ = './base.py'\nopt = dict(_delete_=True, type='Adam', lr=0.3)\n")
    assert load_pyconfig(tmp_path / "a.py") == {"opt": {"type": "SGD", "lr": 0.2, "momentum": 0.9}, "keep": 1}
    assert load_pyconfig(tmp_path / "b.py") == {"opt": {"type": "Adam", "lr": 0.3}, "keep": 1}
