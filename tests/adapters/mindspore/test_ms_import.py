"""from_mindspore: dynamic_lr calls, native cells, lists/tensors, group_params, experimental schedulers, round trips."""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import OptimizerSpec, ParamGroup, Plan
from lrbridge.conformance import compare
from lrbridge.errors import PlanError
from lrbridge.reference import evaluate
from lrbridge.plan import Horizon
from lrbridge.schedules import CosineAnnealing, Step

from lrbridge_mindspore import from_mindspore

CALLS = [
    ("piecewise_constant_lr", dict(milestone=[3, 7, 12], learning_rates=[0.1, 0.05, 0.01])),
    ("exponential_decay_lr", dict(learning_rate=0.1, decay_rate=0.9, total_step=40, step_per_epoch=3, decay_epoch=2)),
    ("exponential_decay_lr", dict(learning_rate=0.1, decay_rate=0.9, total_step=40, step_per_epoch=1, decay_epoch=4, is_stair=True)),
    ("natural_exp_decay_lr", dict(learning_rate=0.1, decay_rate=0.5, total_step=30, step_per_epoch=2, decay_epoch=2)),
    ("natural_exp_decay_lr", dict(learning_rate=0.1, decay_rate=0.5, total_step=30, step_per_epoch=2, decay_epoch=2, is_stair=True)),
    ("inverse_decay_lr", dict(learning_rate=0.1, decay_rate=0.5, total_step=30, step_per_epoch=2, decay_epoch=3)),
    ("cosine_decay_lr", dict(min_lr=0.001, max_lr=0.1, total_step=50, step_per_epoch=2, decay_epoch=20)),
    ("polynomial_decay_lr", dict(learning_rate=0.1, end_learning_rate=0.01, total_step=40, step_per_epoch=2, decay_epoch=5, power=2.0)),
    ("polynomial_decay_lr", dict(learning_rate=0.1, end_learning_rate=0.01, total_step=40, step_per_epoch=1, decay_epoch=5, power=1.5, update_decay_epoch=True)),
    ("warmup_lr", dict(learning_rate=0.1, total_step=20, step_per_epoch=2, warmup_epoch=4)),
]


@pytest.mark.parametrize("name,kwargs", CALLS, ids=[c[0] for c in CALLS])
def test_dynamic_lr_calls_import_to_the_same_list(ms, name, kwargs):
    """The imported plan reproduces MindSpore's own list: rel 1e-12 (both float64; observed ≤ 3e-16)."""
    from mindspore.nn import dynamic_lr

    native = np.array(getattr(dynamic_lr, name)(**kwargs))
    plan = from_mindspore(name, **kwargs).plan
    assert plan.horizon.steps == len(native) and plan.horizon.past == "error"
    assert compare(evaluate(plan, len(native)), native, metric="rel", tolerance=1e-12).ok


def test_unknown_function_and_arguments_are_named():
    with pytest.raises(PlanError, match="unknown dynamic_lr function 'cosine_lr'; accepted: piecewise_constant_lr"):
        from_mindspore("cosine_lr").plan
    with pytest.raises(PlanError, match="arguments: min_lr, max_lr"):
        from_mindspore("cosine_decay_lr", min_lr=0.0, maxlr=0.1)


NATIVE_CELLS = [
    ("ExponentialDecayLR", (0.1, 0.9, 4), {"is_stair": True}),
    ("ExponentialDecayLR", (0.1, 0.99, 2), {}),
    ("NaturalExpDecayLR", (0.1, 0.05, 3), {}),
    ("InverseDecayLR", (0.1, 0.5, 4), {}),
    ("CosineDecayLR", (0.001, 0.1, 30), {}),
    ("PolynomialDecayLR", (0.1, 0.01, 10, 2.0), {"update_decay_steps": True}),
    ("WarmUpLR", (0.1, 8), {}),
]


@pytest.mark.parametrize("cls,args,kwargs", NATIVE_CELLS, ids=[c[0] for c in NATIVE_CELLS])
def test_native_cells_import_by_attributes(ms, cls, args, kwargs):
    """The imported float64 formula vs the native float32 cell over 40 steps: rel ≤ 5e-6 (the native cell's own
    float32 error; observed worst 1.3e-6, CosineDecayLR near its floor). Long horizons drift far more (natively)."""
    from mindspore import Tensor, nn

    cell = getattr(nn, cls)(*args, **kwargs)
    plan = from_mindspore(cell).plan
    native = [float(cell(Tensor([k], ms.int32)).asnumpy().reshape(-1)[0]) for k in range(40)]
    assert compare(native, evaluate(plan, 40)[0], metric="rel", tolerance=5e-6).ok


def test_lists_and_tensors_import_as_tables(ms):
    from mindspore import Tensor

    values = [0.1, 0.07, 0.05, 0.01]
    for source in (values, np.array(values), Tensor(np.array(values, np.float32))):
        plan = from_mindspore(source).plan
        assert plan.horizon.steps == 4 and plan.horizon.past == "error"
        assert compare(evaluate(plan, 4)[0], np.float32(values), metric="ulp", tolerance=0).ok


def test_generated_cell_and_group_params_round_trip(ms):
    from lrbridge_mindspore import mindspore_param_groups, to_mindspore_schedule

    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=CosineAnnealing(T_max=40, eta_min=1e-3))
    back = from_mindspore(to_mindspore_schedule(plan)).plan
    assert back.scheduler == plan.scheduler and back.optimizer.lr == 0.1

    from mindspore import Parameter, Tensor

    params = [Parameter(Tensor(np.zeros(1, np.float32)), name=n) for n in ("enc.w", "head.w")]
    two = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=Step(step_size=5, gamma=0.5),
               groups=(ParamGroup(name="head", params=("head.*",), lr=0.01, weight_decay=0.1), ParamGroup(name="rest", rest=True)),
               horizon=Horizon(steps=30))
    for form, tol in (("list", 0), ("cell", 0)):
        back = from_mindspore(list(mindspore_param_groups(two, params, form=form))).plan
        assert [g.params for g in back.groups] == [("head.w",), ("enc.w",)]
        assert back.groups[0].weight_decay == 0.1
        assert compare(evaluate(back, 30), evaluate(two, 30)[[0, 1]], metric="ulp", tolerance=tol).ok


def test_experimental_schedulers_import_to_their_closed_form(ms):
    """Imported closed form vs the experimental scheduler's own float32 recursion over 30 steps: rel ≤ 5e-6
    (the recursion's float32 drift; observed worst 8.9e-7, CosineAnnealingLR)."""
    from mindspore import Parameter, Tensor
    from mindspore.experimental import optim

    def build(make):
        w = Parameter(Tensor(np.zeros(1, np.float32)), name="w")
        opt = optim.SGD([w], lr=0.1)
        return opt, make(opt)

    makers = [
        lambda o: optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
        lambda o: optim.lr_scheduler.MultiStepLR(o, milestones=[3, 9], gamma=0.3),
        lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=10),
        lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=12, eta_min=0.001),
        lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    ]
    for make in makers:
        opt, sched = build(make)
        plan = from_mindspore(sched).plan
        native = []
        for _ in range(30):
            native.append(float(opt.param_groups[0]["lr"].asnumpy()))
            sched.step()
        assert compare(native, evaluate(plan, 30)[0], metric="rel", tolerance=5e-6).ok, type(sched).__name__


def test_group_without_weight_decay_gets_the_optimizers(ms):
    """MindSpore applies the optimizer's weight_decay to a group that gives none: import that, not 0."""
    import numpy as np
    from mindspore import Parameter, Tensor, nn

    a = Parameter(Tensor(np.zeros(2, np.float32)), name="a")
    b = Parameter(Tensor(np.zeros(2, np.float32)), name="b")
    group_params = [{"params": [b], "weight_decay": 0.0}, {"params": [a]}]
    opt = nn.Momentum(group_params, learning_rate=0.1, momentum=0.9, weight_decay=5e-4)
    applied = {p.name: float(w) for p, w in zip(opt.parameters, opt.weight_decay)}
    result = from_mindspore(group_params, learning_rate=0.1, weight_decay=5e-4)
    imported = {sel: float(np.float32(g.weight_decay)) for g in result.plan.groups for sel in g.params}
    assert imported == applied  # MindSpore holds weight decay in float32
    assert {sel: g.weight_decay for g in result.plan.groups for sel in g.params} == {"b": 0.0, "a": 5e-4}
    assert result.exact


def test_every_import_is_an_import_result_with_steps(ms):
    from lrbridge.plan import ImportResult

    listed = from_mindspore([0.1, 0.05, 0.025])
    assert isinstance(listed, ImportResult) and not listed.exact and listed.plan.horizon.steps == 3
    assert "table" in listed.notes[0]
    constant = from_mindspore(0.1, steps=50)
    assert constant.exact and constant.plan.horizon.steps == 50
