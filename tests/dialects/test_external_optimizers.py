"""Optimizers lrbridge does not build (LAMB, LARS, Adafactor, a library's own class) still port their
schedule and groups: the plan names them ``external:<name>``; builders refuse them with one line.
torch's NAdam/RAdam/Adamax/Adadelta are mapped (MindSpore's experimental counterparts are verified
against torch in tests/adapters/mindspore/test_ms_optim.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.errors import PlanError
from lrbridge.io import parse_plan

PLAN = """
version: 1
optimizer: {name: "external:lamb", lr: 0.01, hparams: {betas: [0.9, 0.999], weight_decay: 0.02, trust_clip: true}}
scheduler: {kind: cosine, T_max: 20}
horizon: {steps: 20, past: hold}
"""


def test_external_optimizer_is_a_plan_and_its_curve_is_the_schedule():
    plan = parse_plan(PLAN)
    assert plan.optimizer.is_external and plan.optimizer.cycled_hparam == "beta1"
    lr = lb.evaluate(plan, 21)[0]
    k = np.arange(21)
    want = 0.01 * (1 + np.cos(np.pi * np.minimum(k, 19) / 20)) / 2
    np.testing.assert_allclose(lr, want, rtol=1e-12)


@pytest.mark.parametrize("text,needle", [
    ('optimizer: {name: sgdd, lr: 0.1}', "external:<name>"),
    ('optimizer: {name: "external:", lr: 0.1}', "write external:<name>"),
    ('optimizer: {name: "external:la mb", lr: 0.1}', "write external:<name>"),
    ('optimizer: {name: "external:lamb", lr: 0.1, hparams: {eps: .nan}}', "finite"),
    ('optimizer: {name: "external:lamb", lr: 0.1, hparams: {eps: {a: 1}}}', "finite number"),
])
def test_bad_optimizer_names_are_refused_in_one_line(text, needle):
    with pytest.raises(PlanError) as err:
        parse_plan("version: 1\n" + text + "\nscheduler: {kind: constant}\n")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_torch_builds_nadam_and_refuses_an_external_optimizer(torch):
    from lrbridge_torch import torch_optimizer, torch_param_groups

    model = torch.nn.Linear(2, 1)
    nadam = parse_plan(PLAN.replace('"external:lamb"', "nadam").replace(", trust_clip: true", ""))
    assert type(torch_optimizer(nadam, model)).__name__ == "NAdam"
    with pytest.raises(PlanError, match="torch.optim has no 'external:lamb'.*torch_param_groups"):
        torch_optimizer(parse_plan(PLAN), model)
    # the user's own optimizer over lrbridge's groups, scheduled by lrbridge: the plan's curve
    groups = torch_param_groups(parse_plan(PLAN), model)
    opt = torch.optim.SGD(groups, lr=0.01)
    sched = lb.to_torch(parse_plan(PLAN), opt)
    seen = []
    for _ in range(20):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(seen, lb.evaluate(parse_plan(PLAN), 20)[0], rtol=0, atol=0)


def test_from_torch_records_a_class_it_does_not_know_as_external(torch):
    class Lamb(torch.optim.SGD):  # a library's own optimizer class (timm.optim.Lamb is one)
        def __init__(self, params, lr=1e-3, weight_decay=0.0, trust_clip=False):
            super().__init__(params, lr=lr, weight_decay=weight_decay)
            self.defaults["trust_clip"] = trust_clip

    w = torch.nn.Parameter(torch.zeros(2))
    opt = Lamb([w], lr=0.5, weight_decay=0.01, trust_clip=True)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    res = lb.from_torch(sched, steps=10)
    assert res.exact and res.plan.optimizer.name == "external:Lamb"
    assert res.plan.optimizer.hparams["trust_clip"] is True
    assert any("external:Lamb" in n for n in res.notes)
    np.testing.assert_allclose(lb.evaluate(res.plan, 10)[0], 0.5 * 0.5 ** (np.arange(10) // 3), rtol=1e-15)


def test_from_torch_maps_nadam(torch):
    w = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.NAdam([w], lr=0.2, momentum_decay=0.003)
    res = lb.from_torch(torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9), steps=8)
    assert res.plan.optimizer.name == "nadam" and res.plan.optimizer.hparams == {"momentum_decay": 0.003}


def test_oneflow_and_mindspore_say_they_cannot_build_an_external_optimizer():
    plan = parse_plan(PLAN)
    from lrbridge_oneflow.optim import optimizer_problems

    assert any("OneFlow has no optimizer lrbridge maps" in r for r in optimizer_problems(plan))
    of = lb.check(plan, "oneflow", "eager")  # the schedule, over the user's own optimizer
    assert of.ok and any("build it over lrbridge.oneflow_param_groups" in n for n in of.notes)
    from lrbridge_mindspore.optim import map_optimizer
    from lrbridge.errors import UnrepresentableError

    with pytest.raises(UnrepresentableError, match="no mapping for optimizer 'external:lamb'"):
        map_optimizer(plan, "experimental")


@pytest.mark.parametrize("dialect,text,name", [
    ("timm", "sched: cosine\nepochs: 10\nlr: 0.004\nopt: lamb\nweight_decay: 0.02\nwarmup_epochs: 0\n", "external:lamb"),
    ("timm", "sched: cosine\nepochs: 10\nlr: 0.004\nopt: nadam\nwarmup_epochs: 0\n", "nadam"),
    ("deepspeed", json.dumps({"optimizer": {"type": "Lamb", "params": {"lr": 0.004, "weight_decay": 0.01, "max_coeff": 0.3}},
                              "scheduler": {"type": "WarmupLR", "params": {"warmup_num_steps": 5, "warmup_type": "linear"}}}),
     "external:Lamb"),
    ("mmengine", "optim_wrapper = dict(optimizer=dict(type='Lamb', lr=0.004, weight_decay=0.02))\n"
                 "param_scheduler = [dict(type='CosineAnnealingLR', T_max=10, by_epoch=False)]\n"
                 "train_cfg = dict(by_epoch=False, max_iters=10)\n", "external:Lamb"),
])
def test_dialects_keep_the_schedule_of_an_optimizer_lrbridge_does_not_build(tmp_path, dialect, text, name):
    from lrbridge.convert import load_source

    suffix = {"timm": ".yaml", "deepspeed": ".json", "mmengine": ".py"}[dialect]
    path = tmp_path / f"cfg{suffix}"
    path.write_text(text)
    res = load_source(path, dialect=dialect, steps_per_epoch=1 if dialect == "timm" else None)
    assert res.plan.optimizer.name == name
    if name.startswith("external:"):
        assert any(name in n for n in res.notes)
