"""Every schedule kind x every backend x {check, export/lowering, import}: handled or refused with a reason.

The cases are ``lrbridge.schedules.examples.FAMILIES`` (one or more per kind); a kind added
to the IR without an example fails ``test_every_kind_has_an_example`` by name, and a kind a
backend forgets fails here as an exception instead of a CheckResult with reasons.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.backends import backend_names, get_backend
from lrbridge.schedules.examples import FAMILIES, kinds_without_example

N = 60


def _plan(schedule) -> lb.Plan:
    return lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), scheduler=schedule, horizon=lb.Horizon(steps=N))


def test_every_kind_has_an_example():
    assert kinds_without_example() == []


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_backend_mode_answers_with_a_result_or_reasons(family):
    plan = _plan(FAMILIES[family])
    for backend in backend_names():
        for mode in get_backend(backend).modes:
            result = lb.check(plan, backend, mode=mode, **get_backend(backend).check_options)
            assert result.ok or (result.reasons and all(isinstance(r, str) and r for r in result.reasons)), (backend, mode)


@pytest.mark.torch
@pytest.mark.parametrize("family", list(FAMILIES))
def test_torch_export_and_import_round_trip(family, torch):

    from lrbridge_torch import from_torch, to_torch

    plan = _plan(FAMILIES[family])
    verdict = lb.check(plan, "torch")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    if not verdict.ok:
        with pytest.raises(lb.UnrepresentableError):
            to_torch(plan, opt)
        return
    sched = to_torch(plan, opt)
    if FAMILIES[family].kind == "reduce_on_plateau":
        return  # metric-driven: no curve to compare
    imported = from_torch(sched, steps=N)
    np.testing.assert_allclose(lb.evaluate(imported.plan, N), lb.evaluate(plan, N), rtol=1e-12, atol=0)


@pytest.mark.mindspore
@pytest.mark.parametrize("family", list(FAMILIES))
def test_mindspore_list_and_cell_build_or_refuse(family, ms):
    from lrbridge_mindspore import to_mindspore_lr_list, to_mindspore_schedule

    plan = _plan(FAMILIES[family])
    for mode, build in (("list", lambda: to_mindspore_lr_list(plan, total_step=N)), ("cell", lambda: to_mindspore_schedule(plan))):
        if lb.check(plan, "mindspore", mode=mode).ok:
            assert build() is not None
        else:
            with pytest.raises(lb.UnrepresentableError):
                build()


@pytest.mark.parametrize("family", list(FAMILIES))
def test_oneflow_lowering_is_decided_for_both_modes(family):
    """OneFlow's export is framework-free: each mode gives a scheduler spec or reasons."""
    from lrbridge_oneflow.export import export

    plan = _plan(FAMILIES[family])
    for mode in ("eager", "graph"):
        ex = export(plan, mode)
        assert (ex.scheduler is not None and not ex.reasons) or ex.reasons, mode


#: (optimizer, scheduled hyperparameter): every schedulable name on the optimizers that hold it
HPARAM_CASES = [("sgd", "momentum"), ("adam", "beta1"), ("adamw", "beta1"), ("sgd", "weight_decay"),
                ("adam", "weight_decay"), ("adamw", "weight_decay"), ("rmsprop", "weight_decay"),
                ("adagrad", "weight_decay")]


def _hparam_plan(optimizer: str, name: str) -> lb.Plan:
    hparams = {"momentum": 0.9} if optimizer == "sgd" else {}
    group = lb.ParamGroup(name="g", params=("g.*",), hparam_schedulers={name: FAMILIES["cosine (periodic)"]})
    return lb.Plan(optimizer=lb.OptimizerSpec(name=optimizer, lr=0.1, hparams={"weight_decay": 0.01, **hparams}),
                   groups=(group,), scheduler=FAMILIES["cosine (periodic)"], horizon=lb.Horizon(steps=N))


@pytest.mark.parametrize("optimizer,name", HPARAM_CASES)
def test_scheduled_hyperparameters_check_and_export_agree(optimizer, name, torch, ms):
    """Every target that builds the optimizer applies the scheduled hyperparameter exactly when ``check``
    says ok and refuses (with reasons) otherwise; lr-only targets say in their notes what they leave out."""
    from mindspore import Parameter, Tensor

    from lrbridge_mindspore.optim import mindspore_optimizer
    from lrbridge_oneflow.export import export
    from lrbridge_torch import to_torch

    plan = _hparam_plan(optimizer, name)
    assert lb.check(plan, "torch").ok
    opt = getattr(torch.optim, {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop",
                                "adagrad": "Adagrad"}[optimizer])([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    to_torch(plan, opt)
    for mode in ("eager", "graph"):
        verdict = lb.check(plan, "oneflow", mode)
        assert verdict.ok == (not export(plan, mode).reasons), mode
        assert verdict.ok or any(name in r for r in verdict.reasons), (mode, verdict.reasons)
    verdict = lb.check(plan, "mindspore", "experimental")
    net = [Parameter(Tensor(np.ones(1, np.float32)), name="g.w")]
    if verdict.ok:
        assert mindspore_optimizer(plan, net, api="experimental").scheduler is not None
    else:
        assert any(name in r for r in verdict.reasons), verdict.reasons
        with pytest.raises(lb.UnrepresentableError, match=name):
            mindspore_optimizer(plan, net, api="experimental")
    for mode in ("list", "cell"):
        notes = lb.check(plan.model_copy(update={"horizon": lb.Horizon(steps=N, past="hold")}), "mindspore", mode).notes
        assert any(name in n for n in notes), (mode, notes)
