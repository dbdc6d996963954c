"""group_params traps, measured with real MindSpore steps (PyNative)."""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import OptimizerSpec, ParamGroup, Plan
from lrbridge.errors import PlanError, UnrepresentableError
from lrbridge.plan import Horizon
from lrbridge.schedules import Constant, Exponential


def _net(ms, names):
    from mindspore import Parameter, Tensor, nn

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            for n in names:
                setattr(self, n.replace(".", "_"), Parameter(Tensor(np.ones(1, np.float32)), name=n))

    return Net()


def _step(opt, net, grad=0.0):
    from mindspore import Tensor

    opt(tuple(Tensor(np.full(1, grad, np.float32)) for _ in net.trainable_params()))
    return {p.name: float(p.asnumpy()[0]) for p in net.trainable_params()}


def test_tiny_constant_lr_next_to_a_dynamic_group_is_applied_exactly(ms):
    from mindspore import nn

    from lrbridge_mindspore import mindspore_param_groups

    net = _net(ms, ["body.w", "head.w"])
    body, head = net.trainable_params()
    # The trap, shown on MindSpore itself: float 1e-9 next to a list lr is applied as 0.
    naive = nn.SGD([{"params": [body], "lr": [0.1, 0.1]}, {"params": [head], "lr": 1e-9}], learning_rate=0.1)
    assert _step(naive, net, 1.0)["head.w"] == 1.0
    plan = Plan(
        optimizer=OptimizerSpec(name="sgd", lr=0.1),
        groups=(ParamGroup(name="head", params=("head.*",), lr=1e-9, scheduler=Constant()), ParamGroup(name="body", rest=True)),
        scheduler=Exponential(gamma=0.5), horizon=Horizon(steps=4),
    )
    net = _net(ms, ["body.w", "head.w"])
    for form in ("list", "cell"):
        groups = mindspore_param_groups(plan, net, form=form)
        assert any("1e-9" in n for n in groups.notes)
        for p in net.trainable_params():
            p.set_data(p.data * 0 + 1)
        opt = nn.SGD(groups, learning_rate=0.1)
        assert _step(opt, net, 1.0)["body.w"] == np.float32(1) - np.float32(0.1)
    # The applied lr itself, on a zero weight (1 − 1e-9 would round to 1): exactly fp32(1e-9).
    net0 = _net(ms, ["body.w", "head.w"])
    for p in net0.trainable_params():
        p.set_data(p.data * 0)
    opt = nn.SGD(mindspore_param_groups(plan, net0, form="cell"), learning_rate=0.1)
    assert _step(opt, net0, 1.0)["head.w"] == -np.float32(1e-9)


def test_weight_decay_is_explicit_for_beta_and_gamma_names(ms):
    """Without groups MindSpore skips weight decay for 'beta'/'gamma' params; our groups apply it to all."""
    from mindspore import nn

    from lrbridge_mindspore import mindspore_param_groups

    names = ["ln.beta", "bn.gamma", "fc.weight"]
    net = _net(ms, names)
    plain = nn.SGD(net.trainable_params(), learning_rate=0.1, weight_decay=0.5)
    got = _step(plain, net, 1.0)
    assert got["ln.beta"] == pytest.approx(0.9) and got["fc.weight"] == pytest.approx(0.85)  # the trap
    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1, hparams={"weight_decay": 0.5}))
    net = _net(ms, names)
    opt = nn.SGD(mindspore_param_groups(plan, net), learning_rate=0.1, weight_decay=0.5)
    got = _step(opt, net, 1.0)
    for n in names:  # 1 − 0.1·(1 + 0.5·1) = 0.85 for every parameter, beta/gamma included (float32: ±1e-7)
        assert got[n] == pytest.approx(0.85, abs=1e-7)


def test_group_order_and_order_params(ms):
    from lrbridge_mindspore import mindspore_param_groups

    net = _net(ms, ["a.w", "b.w", "c.w"])
    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1),
                groups=(ParamGroup(name="bc", params=("b.*", "c.*"), lr=0.01), ParamGroup(name="rest", rest=True)))
    groups = mindspore_param_groups(plan, net)
    assert [p.name for p in groups[0]["params"]] == ["b.w", "c.w"] and groups[0]["lr"] == 0.01
    assert [p.name for p in groups[-1]["order_params"]] == ["a.w", "b.w", "c.w"]
    # a selector matching no parameter is an error naming the group and the closest names, never a dropped group
    typo = plan.model_copy(update={"groups": (*plan.groups, ParamGroup(name="none", params=("zzz.*",)))})
    with pytest.raises(PlanError, match=r"group 'none': selector 'zzz\.\*' matches no parameter; closest parameter names: "):
        mindspore_param_groups(typo, _net(ms, ["a.w", "b.w", "c.w"]))


def test_per_group_momentum_is_rejected_naming_group_and_key():
    from lrbridge_mindspore import mindspore_param_groups

    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1, hparams={"momentum": 0.9}),
                groups=(ParamGroup(name="head", params=("h*",), hparams={"momentum": 0.5}), ParamGroup(name="r", rest=True)))
    with pytest.raises(UnrepresentableError, match=r"group 'head'.*momentum=0.5"):
        mindspore_param_groups(plan, [])
