"""Live MindSpore objects -> plan: every source kind against the lr MindSpore really applies, step by step.

The reference is measured, never read off the object the importer reads: real optimizer steps on
zero parameters with a gradient of ones and momentum 0 (the update is −lr), or, where momentum
must stay, the optimizer's own ``get_lr()`` before each step (PyNative). The plan's float64 lr is
compared with it after rounding to float32, the precision MindSpore applies.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lrbridge.conformance import compare
from lrbridge.reference import evaluate

pytestmark = pytest.mark.mindspore

FIXTURES = Path(__file__).parent / "fixtures" / "ms_setups.py"


def _params(ms, *names, value=0.0):
    from mindspore import Parameter, Tensor

    return [Parameter(Tensor(np.full(2, value, np.float32)), name=n) for n in names]


def _zero(params):
    from mindspore import Tensor, ops

    for p in params:
        ops.assign(p, Tensor(np.zeros(p.shape, np.float32)))


def _ones(params):
    from mindspore import Tensor, mutable

    return mutable(tuple(Tensor(np.ones(p.shape, np.float32)) for p in params))


def applied_nn(opt, probes, steps):
    """lr applied to each probe parameter at steps 0..steps−1 by an nn optimizer with momentum 0: −Δw for grad 1."""
    params = list(opt.parameters)
    out = np.empty((len(probes), steps))
    for k in range(steps):
        _zero(params)
        opt(_ones(params))
        out[:, k] = [-float(p.asnumpy()[0]) for p in probes]
    return out


def applied_experimental(opt, sched, probes, steps):
    """The same through an experimental optimizer, its scheduler stepped after every optimizer step."""
    params = list(opt.parameters)
    out = np.empty((len(probes), steps))
    for k in range(steps):
        _zero(params)
        opt(_ones(params))
        out[:, k] = [-float(p.asnumpy()[0]) for p in probes]
        if sched is not None:
            sched.step()
    return out


def _group_rows(plan, names, steps):
    """The plan's lr for the group holding each named parameter."""
    lr = evaluate(plan, steps)
    index = {sel: i for i, g in enumerate(plan.groups) for sel in g.params}
    return lr[[index[n] for n in names]]


def _exact(plan, names, applied):
    """0 float32 ulps between the plan and what MindSpore applied."""
    mine = _group_rows(plan, names, applied.shape[1])
    return compare(mine.astype(np.float32), applied.astype(np.float32), metric="ulp", tolerance=0)


# ---------------------------------------------------------------- nn optimizers


def test_nn_sgd_groups_float_list_tensor_and_converted_float(ms):
    """Per-group lrs of every static and dynamic kind: a list, a 1-D Tensor, a float (wrapped by MindSpore in
    _ConvertToCell, which applies lr + 1 − 1 in float32) and the optimizer's default; 0 ulps over 12 steps."""
    from mindspore import Tensor, nn

    from lrbridge_mindspore import from_mindspore

    a, b, c, d = _params(ms, "a", "b", "c", "d")
    steps = 12
    rng = np.random.default_rng(0)
    odd = list(rng.uniform(0.01, 0.1, steps))  # no closed form: a table
    cosine = nn.dynamic_lr.cosine_decay_lr(0.0, 0.1, total_step=steps, step_per_epoch=1, decay_epoch=steps)
    groups = [{"params": [a], "lr": odd}, {"params": [b], "lr": Tensor(np.float32(cosine))},
              {"params": [c], "lr": 1.234567e-5}, {"params": [d]}]
    opt = nn.SGD(groups, learning_rate=0.3, momentum=0.0)
    result = from_mindspore(opt)
    applied = applied_nn(opt, [a, b, c, d], steps)
    assert applied[2, 0] != np.float32(1.234567e-5)  # MindSpore's own rounding, now part of the plan
    assert _exact(result.plan, ["a", "b", "c", "d"], applied).ok
    assert _exact(from_mindspore(groups, learning_rate=0.3).plan, ["a", "b", "c", "d"], applied).ok  # the dicts alone
    assert not result.exact and result.plan.horizon.steps == steps and result.plan.horizon.past == "error"
    kinds = {g.params: result.plan.group_schedule(g).kind for g in result.plan.groups}
    assert kinds[("a",)] == "tabulated" and kinds[("b",)] != "tabulated"  # the cosine list stays closed form
    assert any("+ 1 − 1" in n for n in result.notes)


def test_nn_momentum_global_list_and_static_lr(ms):
    from mindspore import nn

    from lrbridge_mindspore import from_mindspore

    steps = 15
    w, bn = _params(ms, "fc.w", "bn.gamma")
    lrs = nn.dynamic_lr.piecewise_constant_lr([5, 10, 15], [0.1, 0.05, 0.01])
    opt = nn.Momentum([w, bn], learning_rate=lrs, momentum=0.0)
    result = from_mindspore(opt)
    assert result.exact and result.plan.scheduler.kind != "tabulated"
    assert _exact(result.plan, ["fc.w", "bn.gamma"], applied_nn(opt, [w, bn], steps)).ok

    w2 = _params(ms, "w2")
    opt = nn.SGD(w2, learning_rate=0.07)
    result = from_mindspore(opt, steps=5)
    assert result.exact and result.plan.horizon.steps == 5
    assert _exact(result.plan, ["w2"], applied_nn(opt, w2, 5)).ok


def test_nn_native_cell_is_its_intended_formula(ms):
    """A native cell computes in float32: the imported float64 formula is within rel 5e-6 of what it applies
    (the cell's own float32 error), per group."""
    from mindspore import nn

    from lrbridge_mindspore import from_mindspore

    a, b = _params(ms, "a", "b")
    groups = [{"params": [a], "lr": nn.CosineDecayLR(0.001, 0.1, 10)}, {"params": [b], "lr": nn.WarmUpLR(0.05, 4)}]
    opt = nn.SGD(groups, learning_rate=0.1)
    plan = from_mindspore(opt, steps=14).plan
    applied = applied_nn(opt, [a, b], 14)
    assert compare(_group_rows(plan, ["a", "b"], 14), applied, metric="rel", tolerance=5e-6).ok

    c = _params(ms, "c")
    opt = nn.SGD(c, learning_rate=nn.ExponentialDecayLR(0.1, 0.9, 3, is_stair=True))  # one global cell
    plan = from_mindspore(opt, steps=10).plan
    assert plan.scheduler.kind == "exponential" and plan.horizon.steps == 10
    assert compare(_group_rows(plan, ["c"], 10), applied_nn(opt, c, 10), metric="rel", tolerance=5e-6).ok


def test_nn_adam_tensor_lr_via_get_lr_and_betas(ms):
    """Adam keeps its moments, so the applied lr is read from the optimizer's own get_lr() before each step."""
    from mindspore import Tensor, nn

    from lrbridge_mindspore import from_mindspore

    w = _params(ms, "w")
    opt = nn.Adam(w, learning_rate=Tensor(np.float32(3e-4)), beta1=0.8, beta2=0.99, eps=1e-7)
    plan = from_mindspore(opt, steps=4).plan
    applied = []
    for _ in range(4):
        applied.append(float(opt.get_lr().asnumpy()))
        opt(_ones(w))
    assert _exact(plan, ["w"], np.array([applied])).ok
    assert plan.optimizer.name == "adam" and plan.optimizer.resolved()["betas"] == [0.8, 0.99]
    assert plan.optimizer.resolved()["eps"] == 1e-7


def test_nn_weight_decay_as_mindspore_applies_it(ms):
    """Without groups MindSpore decays no *beta*/*gamma* parameter; a group without weight_decay gets the
    optimizer's. Measured: w = 1, gradient 0, momentum 0 -> the step is lr·wd."""
    from mindspore import Tensor, mutable, nn

    from lrbridge_mindspore import from_mindspore

    def decay_applied(opt, probes, lr):
        opt(mutable(tuple(Tensor(np.zeros(2, np.float32)) for _ in opt.parameters)))
        return {p.name: (1.0 - float(p.asnumpy()[0])) / lr for p in probes}

    def imported(opt):
        plan = from_mindspore(opt).plan
        return {sel: plan.group_weight_decay(g) for g in plan.groups for sel in g.params}

    plain = _params(ms, "fc.weight", "bn.gamma", "ln.beta", value=1.0)
    opt = nn.SGD(plain, learning_rate=0.5, weight_decay=0.25)
    want = imported(opt)
    assert want == {"fc.weight": 0.25, "bn.gamma": 0.0, "ln.beta": 0.0}
    assert decay_applied(opt, plain, 0.5) == want

    a, b = _params(ms, "a", "b", value=1.0)
    opt = nn.Momentum([{"params": [b], "weight_decay": 0.0}, {"params": [a]}], learning_rate=0.5, momentum=0.0,
                      weight_decay=0.25)
    want = imported(opt)
    assert want == {"b": 0.0, "a": 0.25}
    assert decay_applied(opt, [a, b], 0.5) == want

    from lrbridge.errors import PlanError

    scheduled = nn.Momentum(_params(ms, "s"), learning_rate=0.1, momentum=0.9, weight_decay=nn.ExponentialDecayLR(0.1, 0.9, 3))
    with pytest.raises(PlanError, match="does not read weight-decay cells"):
        from_mindspore(scheduled)


def test_nn_momentum_value_is_the_one_applied(ms):
    """Two steps of gradient 1 from w = 0: w₁ = −lr, w₂ = w₁ − lr·(m + 1), so m = (w₁ − w₂)/lr − 1 (float32)."""
    from mindspore import nn

    from lrbridge_mindspore import from_mindspore

    w = _params(ms, "w")
    opt = nn.Momentum(w, learning_rate=0.5, momentum=0.9)
    plan = from_mindspore(opt).plan
    opt(_ones(w))
    w1 = float(w[0].asnumpy()[0])
    opt(_ones(w))
    measured = (w1 - float(w[0].asnumpy()[0])) / 0.5 - 1.0
    assert plan.optimizer.name == "sgd" and plan.optimizer.resolved()["momentum"] == 0.9
    assert abs(measured - 0.9) < 1e-6


# ---------------------------------------------------------------- experimental optimizers and schedulers


def _xsgd(ms, *names, lrs=(0.1,), **kw):
    from mindspore.experimental import optim

    params = _params(ms, *names)
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)] if len(lrs) > 1 else params
    return optim.SGD(groups, lr=lrs[0], **kw), params


def test_experimental_optimizer_without_scheduler(ms):
    from lrbridge_mindspore import from_mindspore

    opt, params = _xsgd(ms, "a", "b", lrs=(0.1, 0.03))
    result = from_mindspore(opt, steps=3)
    assert result.exact and [g.lr for g in result.plan.groups] == [0.1, 0.03]
    assert _exact(result.plan, ["a", "b"], applied_experimental(opt, None, params, 3)).ok

    from mindspore.experimental import optim

    a, b = _params(ms, "a", "b")
    opt = optim.AdamW([{"params": [a]}, {"params": [b], "weight_decay": 0.0, "betas": (0.8, 0.9)}], lr=1e-3)
    plan = from_mindspore(opt).plan
    assert plan.optimizer.name == "adamw"
    assert [plan.group_weight_decay(g) for g in plan.groups] == [0.01, 0.0]  # AdamW's default, then the group's
    assert plan.groups[1].hparams == {"betas": [0.8, 0.9]} and plan.groups[0].hparams == {}


def test_experimental_lambda_and_multiplicative_are_sampled_exactly(ms):
    from mindspore.experimental import optim

    from lrbridge_mindspore import from_mindspore

    steps = 20
    makers = [
        lambda o: optim.lr_scheduler.LambdaLR(o, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)]),
        lambda o: optim.lr_scheduler.MultiplicativeLR(o, lr_lambda=lambda e: 0.9),
    ]
    for make in makers:
        opt, params = _xsgd(ms, "a", "b", lrs=(0.1, 0.02))
        sched = make(opt)
        result = from_mindspore(sched, steps=steps)
        assert float(sched.last_epoch.asnumpy()) == 0  # the user's scheduler was not stepped
        assert _exact(result.plan, ["a", "b"], applied_experimental(opt, sched, params, steps)).ok, type(sched).__name__
        assert result.plan.horizon.steps == steps


def test_experimental_lambda_without_steps_asks_for_them(ms):
    from mindspore.experimental import optim

    from lrbridge.errors import PlanError
    from lrbridge_mindspore import from_mindspore

    opt, _ = _xsgd(ms, "a")
    with pytest.raises(PlanError, match="pass steps="):
        from_mindspore(optim.lr_scheduler.LambdaLR(opt, lr_lambda=lambda e: 1.0))


CYCLIC = [
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    dict(base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], step_size_up=3, step_size_down=5, mode="triangular2"),
    dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.97),
]


@pytest.mark.parametrize("kwargs", CYCLIC, ids=["triangular", "triangular2", "exp_range"])
def test_experimental_cyclic_is_closed_form(ms, kwargs):
    """Closed form vs MindSpore's CyclicLR over 30 steps: rel ≤ 1e-6. MindSpore computes it in float32
    (measured over 60 steps: 0 ulp triangular, ≤ 1 triangular2, ≤ 15 exp_range, whose γ^k is a float32 pow)."""
    from mindspore.experimental import optim

    from lrbridge_mindspore import from_mindspore

    opt, params = _xsgd(ms, "a", "b", lrs=(0.5, 0.5))
    sched = optim.lr_scheduler.CyclicLR(opt, **kwargs)
    result = from_mindspore(sched)
    assert result.exact and {result.plan.group_schedule(g).kind for g in result.plan.groups} == {"cyclic"}
    assert all(not g.hparam_schedulers for g in result.plan.groups)  # MindSpore's CyclicLR cycles no momentum
    applied = applied_experimental(opt, sched, params, 30)
    assert compare(_group_rows(result.plan, ["a", "b"], 30), applied, metric="rel", tolerance=1e-6).ok


def test_experimental_cyclic_custom_scale_fn_is_sampled(ms):
    from mindspore.experimental import optim

    from lrbridge_mindspore import from_mindspore

    opt, params = _xsgd(ms, "a")
    sched = optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda x: 0.5 ** x,
                                        scale_mode="iterations")
    result = from_mindspore(sched, steps=16)
    assert _exact(result.plan, ["a"], applied_experimental(opt, sched, params, 16)).ok


def test_experimental_plateau_imports_and_runs_in_torch(ms, torch):
    """ReduceLROnPlateau -> reduce_on_plateau; torch's class built from the plan follows the same metrics."""
    from mindspore import Tensor
    from mindspore.experimental import optim

    from lrbridge_mindspore import from_mindspore
    from lrbridge_torch import to_torch

    opt, _ = _xsgd(ms, "a", "b", lrs=(0.1, 0.04))
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, cooldown=1, min_lr=0.01)
    plan = from_mindspore(sched).plan
    assert {plan.group_schedule(g).kind for g in plan.groups} == {"reduce_on_plateau"}
    other, _ = _xsgd(ms, "c", "d", lrs=(0.1, 0.04))
    per_group = from_mindspore(optim.lr_scheduler.ReduceLROnPlateau(other, min_lr=[0.01, 0.002])).plan
    assert [per_group.group_schedule(g).min_lr for g in per_group.groups] == [0.01, 0.002]
    t_params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(2)]
    t_opt = torch.optim.SGD([{"params": [p]} for p in t_params], lr=0.1)
    t_sched = to_torch(plan, t_opt)
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]
    for m in metrics:
        sched.step(Tensor(np.float32(m)))
        t_sched.step(m)
        ms_lr = [float(g["lr"].asnumpy()) for g in opt.param_groups]
        assert compare(np.float32([g["lr"] for g in t_opt.param_groups]), np.float32(ms_lr), metric="rel", tolerance=1e-6).ok


# ---------------------------------------------------------------- import_live and file.py:function sources


def test_import_live_accepts_every_shape(ms):
    from lrbridge_mindspore.importer import import_live

    opt, params = _xsgd(ms, "w")
    from mindspore.experimental import optim

    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    plans = [import_live(x, steps=9).plan for x in (sched, (opt, sched), [sched], {"optimizer": opt, "scheduler": sched})]
    assert all(p == plans[0] for p in plans) and plans[0].scheduler.kind == "step"
    assert import_live((opt, None), steps=9).plan.scheduler.kind == "constant"
    applied = applied_experimental(opt, sched, params, 9)
    assert _exact(plans[0], ["w"], applied).ok
    per_epoch = import_live((opt, sched), steps=9, interval="epoch", steps_per_epoch=2).plan
    assert per_epoch.scheduler.kind == "by_epoch" and per_epoch.horizon.steps == 9


def test_load_source_runs_the_users_mindspore_file(ms):
    """``file.py:function`` end to end: the returned objects, imported through the MindSpore backend, give
    what a fresh copy of the same setup applies."""
    import importlib.util

    from lrbridge.convert import load_source, render

    spec = importlib.util.spec_from_file_location("ms_setups_ref", FIXTURES)
    setups = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setups)

    result = load_source(f"{FIXTURES}:momentum_groups")
    opt = setups.momentum_groups()
    plan = result.plan
    assert plan.optimizer.name == "sgd" and plan.optimizer.resolved()["momentum"] == 0.9
    assert {sel: plan.group_weight_decay(g) for g in plan.groups for sel in g.params} == {"backbone.w": 0.0, "head.w": 5e-4}
    applied = []
    for _ in range(40):  # momentum stays: the lr each step is the optimizer's get_lr()
        lr = opt.get_lr()
        applied.append([float(lr[0].asnumpy()), float(lr[1].asnumpy())])
        opt(_ones(list(opt.parameters)))
    assert _exact(plan, ["backbone.w", "head.w"], np.array(applied).T).ok
    assert "torch" in render(plan, to="torch", fmt="python")

    result = load_source(f"{FIXTURES}:experimental_lambda", steps=15)
    opt, sched = setups.experimental_lambda()
    opt.param_groups[0]["momentum"] = 0.0  # the probe needs momentum 0; the lr is the user's
    assert _exact(result.plan, ["w", "b"], applied_experimental(opt, sched, list(opt.parameters), 15)).ok
    assert result.plan.optimizer.resolved()["momentum"] == 0.9

    result = load_source(f"{FIXTURES}:experimental_cyclic", steps=20)
    assert result.exact and result.plan.scheduler.kind == "cyclic" and result.plan.horizon.steps == 20
