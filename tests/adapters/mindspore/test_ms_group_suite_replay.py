"""MindSpore's own parameter-group optimizer tests, replayed through lrbridge (PyNative, real optimizers).

Sources (mindspore-ai/mindspore), cited per case:
- tests/ut/python/optimizer/test_optimizer_with_parameter_groups.py (and its older twin
  test_optimize_with_parameter_groups.py): group lr float / list, group weight_decay, order_params,
  groups without lr, get_lr_parameter cases;
- the nn.SGD docstring example (grad_centralization + order_params), nn.Optimizer's documented
  group lr as a LearningRateSchedule, nn.Adam / nn.AdamWeightDecay / nn.RMSProp with groups;
- tests/st/optimizer/optimizer_utils.py ``build_network(is_group=True)`` (ASGD, Rprop groups);
- tests/st/optimizer/test_dynamic_weight_decay.py (a weight-decay Cell);
- mindspore.experimental.optim param groups (docs/api/.../mindspore.experimental.optim.Optimizer.rst).

Every expectation is read from what MindSpore resolved: ``opt.get_lr()`` at global_step 0..N−1 (the
per-parameter lr it applies), ``opt.weight_decay`` / ``opt.decay_flags`` / ``opt.grad_centralization_flags``
per parameter and ``opt.parameters`` order; never restated by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge
import lrbridge.reference
from lrbridge.errors import PlanError, UnrepresentableError
from lrbridge.groups import assign_params, exact_selector

pytestmark = pytest.mark.mindspore

STEPS = 3


@pytest.fixture(scope="module")
def nn(ms):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    from mindspore import nn as _nn

    return _nn


def lenet(nn):
    """The parameters of MindSpore's test LeNet5 (conv1/conv2 without bias, fc1..fc3); no forward needed."""

    class LeNet5(nn.Cell):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, pad_mode="valid")
            self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
            self.fc1 = nn.Dense(16 * 5 * 5, 120)
            self.fc2 = nn.Dense(120, 84)
            self.fc3 = nn.Dense(84, 10)

    return LeNet5()


def pick(net, word, keep=True):
    return [p for p in net.trainable_params() if (word in p.name) == keep]


# ---------------------------------------------------------------- what MindSpore resolved


def resolved(opt, steps=STEPS):
    """{parameter name: (float32 lr at global_step 0..steps−1, float32 weight decay, grad centralization)}
    in ``opt.parameters`` order, read through MindSpore's own ``get_lr()`` / ``get_weight_decay()``."""
    from mindspore import Tensor, ops
    from mindspore import int32

    n = len(opt.parameters)
    table = np.empty((n, steps), np.float32)
    for k in range(steps):
        ops.assign(opt.global_step, Tensor([k], int32))
        lr = opt.get_lr()
        row = [x.asnumpy().reshape(-1)[0] for x in lr] if isinstance(lr, tuple) else [lr.asnumpy().reshape(-1)[0]] * n
        table[:, k] = row
    ops.assign(opt.global_step, Tensor([0], int32))
    wd0 = _weight_decay_by_step(opt, 1)  # at step 0 (a weight-decay Cell: its value there)
    wds = [wd0[p.name][0] for p in opt.parameters]
    if not opt.is_group:  # one weight decay, applied to the parameters decay_flags selects
        wds = [wd if flag else np.float32(0) for wd, flag in zip(wds, opt.decay_flags)]
    gcs = list(getattr(opt, "grad_centralization_flags", (False,) * n))
    return {p.name: (table[i], np.float32(wds[i]), bool(gcs[i])) for i, p in enumerate(opt.parameters)}


def plan_view(plan, names, steps=STEPS):
    """The same view of a plan: lr per parameter from ``lrbridge.evaluate``, its group's weight decay and hparams."""
    lrs = lrbridge.evaluate(plan, steps)
    owned = assign_params(plan.groups, list(names))
    out = {}
    for i, g in enumerate(plan.groups):
        for n in owned[g.name]:
            out[n] = (lrs[i], np.float32(plan.group_weight_decay(g)), bool(g.hparams.get("grad_centralization", False)))
    return out


def assert_same(got, want, rtol=0.0):
    """Same parameters, and per parameter the same lr at every step, weight decay and grad centralization."""
    assert sorted(got) == sorted(want)
    for n in want:
        g_lr, g_wd, g_gc = got[n]
        w_lr, w_wd, w_gc = want[n]
        if rtol:
            np.testing.assert_allclose(np.float64(g_lr), np.float64(w_lr), rtol=rtol, err_msg=n)
        else:
            np.testing.assert_array_equal(np.float32(g_lr), np.float32(w_lr), err_msg=n)
        assert g_wd == w_wd, n
        assert g_gc == w_gc, n


def check_import(opt, rtol=0.0, steps=STEPS):
    """from_mindspore(opt): exact-name selectors, each parameter once; lr/wd/hparams as MindSpore resolved."""
    res = lrbridge.from_mindspore(opt, steps=steps)
    plan = res.plan
    names = [p.name for p in opt.parameters]
    selectors = [s for g in plan.groups for s in g.params]
    assert sorted(selectors) == sorted(exact_selector(n) for n in names)
    assert_same(plan_view(plan, names, steps), resolved(opt, steps), rtol)
    return res


def check_export(plan, opt, net, rtol=0.0, steps=STEPS, **kwargs):
    """mindspore_param_groups(plan, net) into the same class: MindSpore resolves the same per parameter."""
    groups = lrbridge.mindspore_param_groups(plan, net, total_step=steps)
    again = type(opt)(groups, learning_rate=float(plan.optimizer.lr), **kwargs)
    # the export keeps the network's order (order_params); MindSpore without order_params goes group by group
    assert [p.name for p in again.parameters] == [p.name for p in net.trainable_params()]
    assert_same(resolved(again, steps), resolved(opt, steps), rtol)
    return again


# ---------------------------------------------------------------- test_optimizer_with_parameter_groups.py


@pytest.mark.parametrize("ordered", [False, True])
def test_group_lr(nn, ordered):
    """test_group_lr (both files: with and without order_params): Momentum, conv lr 0.8, the rest 0.1."""
    net = lenet(nn)
    groups = [{"params": pick(net, "conv", False)}, {"params": pick(net, "conv"), "lr": 0.8}]
    if ordered:
        groups.append({"order_params": net.trainable_params()})
    opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.9)
    assert opt.is_group_lr and not opt.dynamic_lr
    plan = check_import(opt).plan
    assert plan.optimizer.name == "sgd" and plan.optimizer.hparams["momentum"] == 0.9
    again = check_export(plan, opt, lenet(nn), momentum=0.9)
    if ordered:  # order_params = the network's order: the export reproduces opt.parameters exactly
        assert [p.name for p in again.parameters] == [p.name for p in opt.parameters]


def test_group_dynamic_1(nn):
    """test_group_dynamic_1: Momentum, learning_rate (0.1, 0.2, 0.3), conv lr 0.8 float (run through
    MindSpore's float32 lr + 1 − 1, which the plan records and the note shows unrounded)."""
    net = lenet(nn)
    groups = [{"params": pick(net, "conv", False)}, {"params": pick(net, "conv"), "lr": 0.8},
              {"order_params": net.trainable_params()}]
    opt = nn.Momentum(groups, learning_rate=(0.1, 0.2, 0.3), momentum=0.9)
    assert opt.dynamic_lr
    res = check_import(opt)
    # regression: the note printed '0.8 as 0.8' ({:g}) and so hid the float32 rounding it reports
    assert any("lr 0.8 as 0.79999995" in n for n in res.notes), res.notes
    assert res.plan.horizon.steps == 3
    check_export(res.plan, opt, lenet(nn), momentum=0.9)


def test_group_dynamic_2(nn):
    """test_group_dynamic_2: RMSProp, conv lr (0.1, 0.2, 0.3), the rest the optimizer's 0.8."""
    net = lenet(nn)
    groups = [{"params": pick(net, "conv"), "lr": (0.1, 0.2, 0.3)}, {"params": pick(net, "conv", False)}]
    opt = nn.RMSProp(groups, learning_rate=0.8)
    plan = check_import(opt).plan
    assert plan.optimizer.name == "rmsprop"
    check_export(plan, opt, lenet(nn))


def test_weight_decay_and_one_sgd_step(nn):
    """test_weight_decay: SGD, conv weight_decay 0.8, default 0.0, order_params; then one real step of the
    exported optimizer: Δw = −lr·(grad + wd·w) with each parameter's resolved lr and weight decay."""
    from mindspore import Tensor, ops

    net = lenet(nn)
    groups = [{"params": pick(net, "conv", False)}, {"params": pick(net, "conv"), "weight_decay": 0.8},
              {"order_params": net.trainable_params()}]
    opt = nn.SGD(groups, learning_rate=0.1, weight_decay=0.0)
    assert not opt.is_group_lr
    plan = check_import(opt).plan
    check_export(plan, opt, lenet(nn))

    net2 = lenet(nn)
    built = lrbridge.mindspore_optimizer(plan, net2, api="nn")
    new = built.optimizer
    assert type(new).__name__ == "SGD"
    want = resolved(opt, 1)
    assert_same(resolved(new, 1), want)
    params = list(new.parameters)
    for p in params:
        ops.assign(p, Tensor(np.ones(p.shape, np.float32)))
    grads = tuple(Tensor(np.full(p.shape, 0.5, np.float32)) for p in params)
    new(grads)
    for p in params:
        lr, wd, _ = want[p.name]
        expect = np.float32(1) - lr[0] * (np.float32(0.5) + wd * np.float32(1))
        np.testing.assert_allclose(p.asnumpy(), np.full(p.shape, expect, np.float32), rtol=1e-6, err_msg=p.name)


def test_order_params_1_trains_a_subset(nn):
    """test_order_params_1: SGD over conv (wd 0.01) and bias (lr 0.01) only, order bias+conv. The fc
    weights are trained by no group: exporting onto the whole net is refused, naming the parameter and the
    fix; onto the parameters the optimizer trains it resolves the same."""
    net = lenet(nn)
    conv, bias = pick(net, "conv"), pick(net, "bias")
    opt = nn.SGD([{"params": conv, "weight_decay": 0.01}, {"params": bias, "lr": 0.01},
                  {"order_params": bias + conv}], learning_rate=0.1, weight_decay=0.0)
    plan = check_import(opt).plan
    with pytest.raises(PlanError, match="parameter 'fc1.weight' is selected by no group; add a selector"):
        lrbridge.mindspore_param_groups(plan, lenet(nn))
    net2 = lenet(nn)
    trained = [p for p in net2.trainable_params() if p.name in {q.name for q in opt.parameters}]
    groups = lrbridge.mindspore_param_groups(plan, trained, total_step=STEPS)
    again = nn.SGD(groups, learning_rate=float(plan.optimizer.lr))
    assert_same(resolved(again), resolved(opt))  # the same parameters, lr and weight decay each


def test_order_params_2_and_sgd_steps_on_a_list(nn):
    """test_order_params_2: SGD, fc1 lr (0.5, 0.4, 0.3), conv weight decay 0.01, order fc1+conv; three real
    steps of the exported optimizer (weights reset to 0, gradient 1): Δw = −lr_k per parameter."""
    from mindspore import Tensor, ops

    net = lenet(nn)
    fc1, conv = pick(net, "fc1"), pick(net, "conv")
    opt = nn.SGD([{"params": fc1, "lr": (0.5, 0.4, 0.3)}, {"params": conv, "weight_decay": 0.01},
                  {"order_params": fc1 + conv}], learning_rate=0.1, weight_decay=0.0)
    plan = check_import(opt).plan
    net2 = lenet(nn)
    trained = [p for p in net2.trainable_params() if "fc1" in p.name or "conv" in p.name]
    groups = lrbridge.mindspore_param_groups(plan, trained, total_step=STEPS)
    again = nn.SGD(groups, learning_rate=float(plan.optimizer.lr))
    want = resolved(opt)
    assert_same(resolved(again), want)
    params = list(again.parameters)
    for k in range(STEPS):
        for p in params:
            ops.assign(p, Tensor(np.zeros(p.shape, np.float32)))
        again(tuple(Tensor(np.ones(p.shape, np.float32)) for p in params))
        for p in params:
            assert np.all(-p.asnumpy() == want[p.name][0][k]), (p.name, k)


@pytest.mark.parametrize("case", ["with_group", "with_order_group", "with_no_group"])
def test_get_lr_parameter_cases(nn, case):
    """test_get_lr_parameter_with_group / _with_order_group / _with_no_group: SGD(group_params) with
    MindSpore's default learning_rate; groups without lr take it."""
    net = lenet(nn)
    conv, rest = pick(net, "conv"), pick(net, "conv", False)
    groups = {"with_group": [{"params": conv, "lr": 0.1}, {"params": rest, "lr": 0.3}],
              "with_order_group": [{"params": conv, "lr": 0.1}, {"params": rest}],
              "with_no_group": [{"params": conv, "weight_decay": 0.8}, {"params": rest}]}[case]
    opt = nn.SGD(groups)
    plan = check_import(opt).plan
    check_export(plan, opt, lenet(nn))


# ---------------------------------------------------------------- docstring examples and other optimizers


@pytest.mark.parametrize("cls", ["SGD", "Momentum"])
def test_grad_centralization_docstring_example(nn, cls):
    """nn.SGD / nn.Momentum docstring example: conv grad_centralization True (+ weight decay), the rest lr
    0.01, order_params; grad_centralization travels as a group hparam."""
    net = lenet(nn)
    groups = [{"params": pick(net, "conv"), "weight_decay": 0.01, "grad_centralization": True},
              {"params": pick(net, "conv", False), "lr": 0.01}, {"order_params": net.trainable_params()}]
    kw = {"momentum": 0.9} if cls == "Momentum" else {}
    opt = getattr(nn, cls)(groups, learning_rate=0.1, weight_decay=0.0, **kw)
    plan = check_import(opt).plan
    assert [g.hparams for g in plan.groups] == [{"grad_centralization": True}, {}]
    check_export(plan, opt, lenet(nn), weight_decay=0.0, **kw)


def test_group_lr_as_learning_rate_schedule(nn):
    """nn.Optimizer's group lr as a LearningRateSchedule (CosineDecayLR) next to a float group. The native
    cell computes in float32; the plan is its float64 formula (docs: rel ≤ 5e-6)."""
    net = lenet(nn)
    groups = [{"params": pick(net, "conv"), "lr": nn.CosineDecayLR(0.0, 0.1, 4)}, {"params": pick(net, "conv", False)}]
    opt = nn.Momentum(groups, learning_rate=0.05, momentum=0.9)
    plan = check_import(opt, rtol=5e-6, steps=4).plan
    assert plan.group_schedule(plan.groups[0]).kind == "cosine_decay"
    check_export(plan, opt, lenet(nn), rtol=5e-6, steps=4, momentum=0.9)


@pytest.mark.parametrize("cls", ["Adam", "AdamWeightDecay"])
def test_adam_family_groups(nn, cls):
    """test_group_repeat_param's Adam (valid groups) and the nn.AdamWeightDecay docstring example: conv
    weight decay 0.01, the rest lr 0.01 with the optimizer's weight decay."""
    net = lenet(nn)
    groups = [{"params": pick(net, "conv"), "weight_decay": 0.01}, {"params": pick(net, "conv", False), "lr": 0.01},
              {"order_params": net.trainable_params()}]
    opt = getattr(nn, cls)(groups, learning_rate=0.1, weight_decay=1e-5)
    plan = check_import(opt).plan
    assert plan.optimizer.name == ("adam" if cls == "Adam" else "adamw")
    check_export(plan, opt, lenet(nn), weight_decay=1e-5)
    built = lrbridge.mindspore_optimizer(plan, lenet(nn), api="nn")
    assert type(built.optimizer).__name__ == cls
    assert_same(resolved(built.optimizer), resolved(opt))


def test_no_groups_default_filter_skips_beta_and_gamma(nn):
    """nn.Optimizer without groups decays no parameter named *beta*/*gamma* (decay_flags); the plan holds
    them as a group with weight decay 0 and the export says so explicitly."""

    class BNNet(nn.Cell):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.bn = nn.BatchNorm2d(2)
            self.fc = nn.Dense(2, 2)

    opt = nn.Momentum(BNNet().trainable_params(), learning_rate=0.1, momentum=0.9, weight_decay=0.01)
    assert not all(opt.decay_flags)
    res = check_import(opt)
    built = lrbridge.mindspore_optimizer(res.plan, BNNet(), api="nn")
    assert [p.name for p in built.optimizer.parameters] == [p.name for p in opt.parameters]
    assert_same(resolved(built.optimizer), resolved(opt))


@pytest.mark.parametrize("cls", ["ASGD", "Rprop"])
def test_st_build_network_groups_of_external_optimizers(nn, cls):
    """tests/st/optimizer/optimizer_utils.py build_network(is_group=True): fc1 lr 0.001 (ASGD: + weight
    decay 0.01), the rest lr 0.1. The groups port; lrbridge builds no such optimizer and says so."""
    net = lenet(nn)
    fc1, rest = pick(net, "fc1"), pick(net, "fc1", False)
    if cls == "ASGD":
        groups = [{"params": fc1, "weight_decay": 0.01, "lr": 0.001}, {"params": rest, "lr": 0.1}]
        kw = {"lambd": 1e-4, "alpha": 0.75, "t0": 1e6, "weight_decay": 0.0}
    else:
        groups = [{"params": fc1, "lr": 0.001}, {"params": rest, "lr": 0.1}]
        kw = {"etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0), "weight_decay": 0.0}
    opt = getattr(nn, cls)(groups, learning_rate=0.01, **kw)
    res = check_import(opt)
    assert res.plan.optimizer.name == f"external:nn.{cls}"
    check_export(res.plan, opt, lenet(nn), **kw)
    with pytest.raises(UnrepresentableError, match=f"no mapping for optimizer 'external:nn.{cls}'"):
        lrbridge.mindspore_optimizer(res.plan, lenet(nn), api="nn")


def test_dynamic_weight_decay_cell_is_refused_naming_the_parameter(nn):
    """tests/st/optimizer/test_dynamic_weight_decay.py: a weight-decay Cell. from_mindspore reads no
    weight-decay cell; the error names the parameter and the fix."""
    from mindspore import Tensor, ops

    class HalveAt2(nn.Cell):
        def construct(self, global_step):
            return ops.select(global_step < 2, Tensor(0.01), Tensor(0.005))

    net = lenet(nn)
    opt = nn.Momentum([{"params": pick(net, "conv"), "weight_decay": HalveAt2()}, {"params": pick(net, "conv", False)}],
                      learning_rate=0.1, momentum=0.9)
    with pytest.raises(PlanError, match=r"weight_decay of parameter 'conv1.weight'.*hparam_schedulers.weight_decay"):
        lrbridge.from_mindspore(opt)


# ---------------------------------------------------------------- mindspore.experimental.optim


def _experimental_view(opt):
    """{name: (lr, weight decay)} from an experimental optimizer's param_groups."""
    return {p.name: (np.float32(float(g["lr"])), np.float32(g["weight_decay"])) for g in opt.param_groups for p in g["params"]}


@pytest.mark.parametrize("cls", ["SGD", "AdamW"])
def test_experimental_param_groups(nn, cls):
    """experimental.optim param groups (torch-style): conv lr 0.8 and weight decay 0.01 (AdamW: own betas),
    the rest the defaults. Round trip through mindspore_optimizer(api='experimental'); api='nn' keeps lr
    and weight decay for SGD and refuses AdamW's per-group betas with the reason."""
    from mindspore.experimental import optim

    net = lenet(nn)
    first = {"params": pick(net, "conv"), "lr": 0.8, "weight_decay": 0.01}
    if cls == "AdamW":
        first["betas"] = (0.8, 0.9)
    kw = {"momentum": 0.9} if cls == "SGD" else {}
    opt = getattr(optim, cls)([first, {"params": pick(net, "conv", False)}], lr=0.1, **kw)
    plan = lrbridge.from_mindspore(opt, steps=STEPS).plan
    want = _experimental_view(opt)
    lrs = lrbridge.evaluate(plan, STEPS)
    owned = assign_params(plan.groups, list(want))
    for i, g in enumerate(plan.groups):
        for n in owned[g.name]:
            assert np.all(np.float32(lrs[i]) == want[n][0]) and np.float32(plan.group_weight_decay(g)) == want[n][1], n
    assert [g.hparams for g in plan.groups] == [({"betas": [0.8, 0.9]} if cls == "AdamW" else {}), {}]
    built = lrbridge.mindspore_optimizer(plan, lenet(nn), api="experimental")
    assert _experimental_view(built.optimizer) == want
    assert [g.get("betas") for g in built.optimizer.param_groups] == [g.get("betas") for g in opt.param_groups]
    if cls == "SGD":
        nn_opt = lrbridge.mindspore_optimizer(plan, lenet(nn), api="nn").optimizer
        got = resolved(nn_opt, 1)
        assert {n: (v[0][0], v[1]) for n, v in got.items()} == want
    else:
        with pytest.raises(UnrepresentableError, match=r"group 'group0' \(groups\[0\]\) sets betas=\[0.8, 0.9\]"):
            lrbridge.mindspore_optimizer(plan, lenet(nn), api="nn")


def test_experimental_group_grad_centralization_is_not_applied(nn):
    """experimental.optim.SGD stores a group's grad_centralization key but never applies it: one real step on
    fc1.weight (120×400: nn's centralization needs shape[1] % 16 == 0) with an uncentred gradient gives
    Δw = −lr·grad exactly, while nn.SGD with the same group runs MindSpore's Centralization op (no CPU
    kernel: it raises here). Regressions: the import recorded
    grad_centralization=True (a plan claiming what MindSpore does not do); the export refused it as an
    'unknown hyperparameter' without saying why or what to use."""
    from mindspore import Tensor, ops
    from mindspore.experimental import optim

    def step(opt, w):
        params = list(opt.parameters)
        for p in params:
            ops.assign(p, Tensor(np.zeros(p.shape, np.float32)))
        grads = tuple(Tensor(np.arange(np.prod(p.shape), dtype=np.float32).reshape(p.shape) % 7) for p in params)
        opt(grads)
        return w.asnumpy(), grads[[p.name for p in params].index(w.name)].asnumpy()

    net = lenet(nn)
    opt = optim.SGD([{"params": pick(net, "fc1"), "lr": 0.5, "grad_centralization": True},
                     {"params": pick(net, "fc1", False)}], lr=0.1)
    after, grad = step(opt, net.fc1.weight)
    np.testing.assert_array_equal(after, -np.float32(0.5) * grad)  # not centred
    net_nn = lenet(nn)
    nn_opt = nn.SGD([{"params": pick(net_nn, "fc1"), "lr": 0.5, "grad_centralization": True},
                     {"params": pick(net_nn, "fc1", False)}], learning_rate=0.1)
    # nn.SGD does centre it: it runs MindSpore's Centralization op, which has no CPU kernel
    with pytest.raises(RuntimeError, match=r"Unsupported op \[Centralization\] on CPU"):
        step(nn_opt, net_nn.fc1.weight)

    res = lrbridge.from_mindspore(opt)
    assert [g.hparams for g in res.plan.groups] == [{}, {}]
    assert any("grad_centralization=True is not applied by experimental.optim.SGD" in n for n in res.notes)

    nn_plan = check_import(nn_opt).plan
    assert nn_plan.groups[0].hparams == {"grad_centralization": True}
    with pytest.raises(UnrepresentableError, match=r"group 'group0' \(groups\[0\]\) sets grad_centralization=True "
                       r"but mindspore.experimental.optim optimizers never apply.*api='nn'"):
        lrbridge.mindspore_optimizer(nn_plan, lenet(nn), api="experimental")
    built = lrbridge.mindspore_optimizer(nn_plan, lenet(nn), api="nn").optimizer
    assert_same(resolved(built), resolved(nn_opt))


def _weight_decay_by_step(opt, steps):
    """{name: float32 weight decay at global_step 0..steps−1}, from MindSpore's own get_weight_decay()."""
    from mindspore import Tensor, ops
    from mindspore import int32

    n = len(opt.parameters)
    table = np.empty((n, steps), np.float32)
    for k in range(steps):
        ops.assign(opt.global_step, Tensor([k], int32))
        wd = opt.get_weight_decay()
        row = [w.asnumpy().reshape(-1)[0] for w in wd] if isinstance(wd, tuple) else [wd.asnumpy().reshape(-1)[0]] * n
        table[:, k] = np.float32(row) / np.float32(opt.loss_scale)
    ops.assign(opt.global_step, Tensor([0], int32))
    return {p.name: table[i] for i, p in enumerate(opt.parameters)}


@pytest.mark.parametrize("form", ["list", "cell"])
def test_dynamic_weight_decay_built_by_lrbridge_round_trips(nn, form):
    """tests/st/optimizer/test_dynamic_weight_decay.py's feature, on the cells lrbridge builds: a plan with a
    scheduled weight decay on the conv group becomes nn.Momentum with a weight-decay Cell
    (mindspore_optimizer); from_mindspore reads that optimizer back (regression: it refused its own cell)
    and the re-export resolves the same weight decay at every step, per parameter."""
    from lrbridge.plan import Plan

    horizon = {"steps": 4} if form == "list" else {}  # a table over 4 steps, else the float64 formula cell
    plan = Plan.model_validate({
        "optimizer": {"name": "sgd", "lr": 0.1, "hparams": {"momentum": 0.9}}, "horizon": horizon,
        "groups": [{"name": "conv", "params": ["conv*"], "weight_decay": 0.01,
                    "hparam_schedulers": {"weight_decay": {"kind": "step", "step_size": 2, "gamma": 0.5}}},
                   {"name": "rest", "rest": True}]})
    opt = lrbridge.mindspore_optimizer(plan, lenet(nn), api="nn", form=form).optimizer
    assert type(opt).__name__ == "Momentum" and opt.dynamic_weight_decay
    want = _weight_decay_by_step(opt, 4)
    assert list(want["conv1.weight"]) == list(np.float32([0.01, 0.01, 0.005, 0.005]))  # MindSpore applies the schedule

    back = lrbridge.from_mindspore(opt, steps=4).plan
    ref = lrbridge.reference.evaluate_hparam(back, "weight_decay", 4)
    owned = assign_params(back.groups, list(want))
    for i, g in enumerate(back.groups):
        for n in owned[g.name]:
            assert np.array_equal(np.float32(ref[i]), want[n]), n
    assert_same(plan_view(back, list(want), 4), resolved(opt, 4))  # lr and step-0 weight decay
    if form == "cell":
        assert back.groups[0].hparam_schedulers["weight_decay"] == plan.groups[0].hparam_schedulers["weight_decay"]
    again = lrbridge.mindspore_optimizer(back, lenet(nn), api="nn", form=form).optimizer
    got = _weight_decay_by_step(again, 4)
    assert sorted(got) == sorted(want) and all(np.array_equal(got[n], want[n]) for n in want)


def test_group_repeat_param_is_refused_at_import_like_mindspore(nn):
    """test_group_repeat_param: conv parameters in two groups. MindSpore refuses the optimizer (RuntimeError);
    from_mindspore(group_params) refuses the same list at import, naming the parameter and both groups
    (regression: it imported two overlapping groups and only the export failed)."""
    net = lenet(nn)
    conv, rest = pick(net, "conv"), pick(net, "conv", False)
    groups = [{"params": conv, "lr": 0.1}, {"params": conv, "lr": 0.3}, {"params": rest}]
    with pytest.raises(RuntimeError, match="conv1.weight parameter already exists"):
        nn.Adam(groups, learning_rate=0.3)
    with pytest.raises(PlanError, match=r"group_params\[1\]\.params: parameter 'conv1.weight' is already in "
                       r"group_params\[0\]; MindSpore refuses a parameter set twice"):
        lrbridge.from_mindspore(groups, learning_rate=0.3, optimizer="adam")
    # the valid list imports to what nn.Adam resolves
    valid = [{"params": conv, "lr": 0.1}, {"params": rest}]
    plan = lrbridge.from_mindspore(valid, learning_rate=0.3, optimizer="adam").plan
    opt = nn.Adam(valid, learning_rate=0.3)
    assert_same(plan_view(plan, [p.name for p in opt.parameters]), resolved(opt))
