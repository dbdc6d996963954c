"""Param groups from selectors, the optimizer mapping, and the PyTorch config dialect."""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import OptimizerSpec, ParamGroup, Plan, evaluate
from lrbridge.conformance import compare
from lrbridge.errors import PlanError
from lrbridge.schedules import Constant, CosineAnnealing
from torch_testlib import stepped


def _model(torch):
    torch.manual_seed(0)
    return torch.nn.ModuleDict({"enc": torch.nn.Linear(2, 2), "head": torch.nn.Linear(2, 1)})


def _plan(opt="sgd", hparams=None, groups=None, scheduler=None):
    groups = groups or (
        ParamGroup(name="enc", params=("enc.*",), lr=0.01, lr_scale=0.5, weight_decay=0.1),
        ParamGroup(name="rest", rest=True, hparams={"momentum": 0.5} if opt == "sgd" else {}),
    )
    return Plan(optimizer=OptimizerSpec(name=opt, lr=0.1, hparams=hparams or {}), groups=groups,
                scheduler=scheduler or Constant())


def test_param_groups_from_selectors(torch):
    from lrbridge_torch import torch_param_groups

    model = _model(torch)
    pgs = torch_param_groups(_plan(), model)
    assert [pg["name"] for pg in pgs] == ["enc", "rest"]
    assert [len(pg["params"]) for pg in pgs] == [2, 2]
    assert pgs[0]["params"][0] is model["enc"].weight
    assert pgs[0]["lr"] == 0.005 and pgs[0]["weight_decay"] == 0.1  # lr = base·lr_scale
    assert pgs[1]["lr"] == 0.1 and pgs[1]["momentum"] == 0.5


def test_double_and_missing_matches_name_the_parameter(torch):
    from lrbridge_torch import torch_param_groups

    model = _model(torch)
    double = (ParamGroup(name="a", params=("enc.*",)), ParamGroup(name="b", params=("*.weight",)))
    with pytest.raises(PlanError, match=r"parameter 'enc.weight' is selected by groups \['a', 'b'\]"):
        torch_param_groups(_plan(groups=double), model)
    none = (ParamGroup(name="a", params=("enc.*",)),)
    with pytest.raises(PlanError, match="parameter 'head.weight' is selected by no group"):
        torch_param_groups(_plan(groups=none), model)


@pytest.mark.parametrize("name,hparams,check", [
    ("sgd", {"momentum": 0.9, "dampening": 0.1, "nesterov": False}, {"momentum": 0.9, "dampening": 0.1}),
    ("sgd", {"momentum": 0.9, "nesterov": True}, {"nesterov": True}),
    ("adam", {"betas": [0.8, 0.99], "amsgrad": True}, {"betas": (0.8, 0.99), "amsgrad": True}),
    ("adamw", {}, {"weight_decay": 0.01}),  # torch's AdamW default made explicit
    ("rmsprop", {"alpha": 0.9, "centered": True}, {"alpha": 0.9, "centered": True}),
    ("adagrad", {"lr_decay": 0.5, "initial_accumulator_value": 0.1}, {"lr_decay": 0.5, "initial_accumulator_value": 0.1}),
])
def test_optimizer_mapping(torch, name, hparams, check):
    from lrbridge_torch import torch_optimizer

    opt = torch_optimizer(_plan(name, hparams), _model(torch))
    assert type(opt).__name__ == {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}[name]
    for key, value in check.items():
        assert opt.defaults[key] == value
    assert opt.param_groups[0]["weight_decay"] == 0.1 and opt.param_groups[0]["lr"] == 0.005


def test_to_torch_maps_named_groups_and_applies_the_plan(torch):
    from lrbridge_torch import to_torch, torch_optimizer

    plan = _plan(scheduler=CosineAnnealing(T_max=8))
    opt = torch_optimizer(plan, _model(torch))
    lrs = stepped(to_torch(plan, opt), 12)
    assert compare(lrs, evaluate(plan, 12), metric="rel", tolerance=1e-12).ok


CONFIG = {
    "optimizer": {
        "type": "SGD", "lr": 0.1, "momentum": 0.9,
        "param_groups": [{"name": "head", "params": ["head.*"], "lr": 0.01}, {"name": "body", "rest": True}],
    },
    "scheduler": {
        "type": "SequentialLR", "milestones": [5],
        "schedulers": [{"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
                       {"type": "CosineAnnealingLR", "T_max": 25}],
    },
    "steps": 30,
}


def test_config_dialect_equals_the_same_torch_objects(torch):
    from lrbridge_torch import plan_from_torch_config

    result = plan_from_torch_config(CONFIG)
    plan = result.plan
    assert result.exact and [g.name for g in plan.groups] == ["head", "body"]
    assert plan.groups[0].params == ("head.*",) and plan.groups[1].rest
    L = torch.optim.lr_scheduler
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    opt = torch.optim.SGD([{"params": [ps[0]], "lr": 0.01}, {"params": [ps[1]]}], lr=0.1, momentum=0.9)
    real = stepped(L.SequentialLR(opt, [L.LinearLR(opt, 0.1, 1.0, 5), L.CosineAnnealingLR(opt, 25)], [5]), 30)
    assert compare(evaluate(plan, 30), real, metric="rel", tolerance=1e-12).ok


@pytest.mark.parametrize("patch,where,what", [
    ({"scheduler": {"type": "CosineLR", "T_max": 3}}, "scheduler.type", "accepted: ChainedScheduler"),
    ({"scheduler": {"type": "StepLR", "step_size": 2, "gama": 0.5}}, "scheduler.gama", "accepted: type, step_size, gamma"),
    ({"scheduler": {"type": "SequentialLR", "milestones": [2], "schedulers": [{"type": "StepLR", "step_size": 1}, {"type": "ExponentialLR", "gammma": 0.5}]}},
     r"scheduler.schedulers\[1\].gammma", "accepted"),
    ({"scheduler": {"type": "LambdaLR"}}, "scheduler.type", "callable"),
    ({"optimizer": {"type": "SGD", "lr": 0.1, "momentun": 0.9}}, "optimizer.momentun", "accepted"),
    ({"optimizer": {"type": "Lion", "lr": 0.1}}, "optimizer.type", "accepted: SGD, Adam"),
    ({"stepz": 3}, "stepz", "accepted: optimizer, scheduler"),
    ({"scheduler": {"type": "LinearLR", "start_factor": 0.0}}, "scheduler", "torch LinearLR rejected it"),
])
def test_config_errors_name_the_key(torch, patch, where, what):
    from lrbridge_torch import plan_from_torch_config

    with pytest.raises(PlanError, match=what) as info:
        plan_from_torch_config({**CONFIG, **patch})
    assert info.value.path.startswith(where.replace("\\", "")) or where in info.value.path


def test_config_plain_and_epoch_interval(torch):
    from lrbridge_torch import plan_from_torch_config

    result = plan_from_torch_config({"optimizer": {"type": "Adam", "lr": 0.001}, "scheduler": {"type": "StepLR", "step_size": 2},
                                     "steps": 20, "interval": "epoch", "steps_per_epoch": 5})
    ev = evaluate(result.plan, 20)[0]
    np.testing.assert_allclose(ev[[0, 9, 10, 19]], [1e-3, 1e-3, 1e-4, 1e-4], rtol=1e-12)
    assert result.plan.groups[0].rest and result.plan.scheduler.kind == "by_epoch"
