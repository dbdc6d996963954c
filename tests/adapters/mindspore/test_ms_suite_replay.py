"""MindSpore's own learning-rate tests and docstring examples replayed through lrbridge.

Sources (mindspore-ai/mindspore): ``tests/ut/python/nn/test_dynamic_lr.py`` (module constants
milestone=[10, 20, 30], learning_rates=[0.1, 0.05, 0.01], learning_rate=0.1, end_learning_rate=0.01,
decay_rate=0.9, total_step=30, step_per_epoch=3, decay_epoch=2, min_lr=0.01, max_lr=0.1, power=0.5,
warmup_epoch=2), ``tests/ut/python/nn/test_learning_rate_schedule.py`` (learning_rate=0.1,
end_learning_rate=0.01, decay_rate=0.9, decay_steps=4, warmup_steps=2, min_lr=0.01, max_lr=0.1,
power=0.5, compiled at global_step 2), and the ``Examples`` of ``mindspore/nn/dynamic_lr.py``,
``mindspore/nn/learning_rate_schedule.py`` and ``mindspore/experimental/optim/lr_scheduler.py``
(MindSpore 2.10; no test of the experimental schedulers was found in the repository index, so their
docstring examples are the cases). MindSpore 2.10 has no ChainedScheduler and no OneCycleLR.

Every case computes MindSpore's own values with the real framework (the dynamic_lr list; the cell at
global_step k; the experimental scheduler's lr per group in the natural loop
``opt(grads); sched.step()``), imports the source through ``lrbridge.from_mindspore`` and exports
the plan back (``to_mindspore_lr_list``, ``to_mindspore_schedule``, ``mindspore_optimizer``'s
experimental optimizer + ``PlanLR``). Tolerances:

- lists: float32 0 ulp (MindSpore stores the list as float32), float64 rel 1e-12 (the documented
  dynamic_lr import bound; ``natural_exp_decay_lr`` uses ``math.e ** x``, ≤ 6e-16 from ``exp``);
- native cells compute in float32: a per-case ulp bound (measured worst, over 16 steps, with
  margin); the exported cell is within 1 ulp of the plan;
- experimental schedulers recurse in float32: a per-case ulp bound the same way; ``PlanLR``
  writes fp32(plan) exactly (0 ulp against the plan).

test_dynamic_lr.py's ``TestInputs`` (every call MindSpore refuses) must be a PlanError naming the
argument. Where lrbridge cannot compute ahead (ReduceLROnPlateau, driven by a metric) evaluate's error
is asserted and the export is MindSpore's (and torch's) own class, replayed on the docstring's metrics;
Python code (lambdas, user subclasses) is sampled with ``steps=`` on a copy, or refused with the reason.
PyNative, plus GRAPH_MODE for the cells the ut file compiles.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge
from lrbridge.conformance import compare
from lrbridge.errors import EvaluationError, PlanError, UnrepresentableError

pytestmark = pytest.mark.mindspore

REL = 1e-12


def _ulps(mine, theirs, tolerance):
    """float32 ulps between two lr rows (both rounded to float32 first)."""
    return compare(np.float32(mine), np.float32(theirs), metric="ulp", tolerance=tolerance)


# ---------------------------------------------------------------- nn.dynamic_lr


DYNAMIC = [
    # tests/ut/python/nn/test_dynamic_lr.py::test_learning_rate
    pytest.param("piecewise_constant_lr", ([10, 20, 30], [0.1, 0.05, 0.01]), id="ut-piecewise_constant"),
    # ::test_exponential_decay (lr1, lr2)
    pytest.param("exponential_decay_lr", (0.1, 0.9, 30, 3, 2), id="ut-exponential"),
    pytest.param("exponential_decay_lr", (0.1, 0.9, 30, 3, 2, True), id="ut-exponential-stair"),
    # ::test_enatural_exp_decay (lr1, lr2)
    pytest.param("natural_exp_decay_lr", (0.1, 0.9, 30, 3, 2), id="ut-natural_exp"),
    pytest.param("natural_exp_decay_lr", (0.1, 0.9, 30, 3, 2, True), id="ut-natural_exp-stair"),
    # ::test_inverse_decay (lr1, lr2)
    pytest.param("inverse_decay_lr", (0.1, 0.9, 30, 3, 2), id="ut-inverse"),
    pytest.param("inverse_decay_lr", (0.1, 0.9, 30, 3, 2, True), id="ut-inverse-stair"),
    # ::test_cosine_decay
    pytest.param("cosine_decay_lr", (0.01, 0.1, 30, 3, 2), id="ut-cosine"),
    # ::test_polynomial_decay (lr1, lr2 with update_decay_epoch=True)
    pytest.param("polynomial_decay_lr", (0.1, 0.01, 30, 3, 2, 0.5), id="ut-polynomial"),
    pytest.param("polynomial_decay_lr", (0.1, 0.01, 30, 3, 2, 0.5, True), id="ut-polynomial-update_decay_epoch"),
    # ::test_warmup
    pytest.param("warmup_lr", (0.1, 30, 3, 2), id="ut-warmup"),
    # docstring Examples of mindspore/nn/dynamic_lr.py, same arguments
    pytest.param("piecewise_constant_lr", ([2, 5, 10], [0.1, 0.05, 0.01]), id="doc-piecewise_constant"),
    pytest.param("exponential_decay_lr", (0.1, 0.9, 6, 2, 1), id="doc-exponential"),
    pytest.param("natural_exp_decay_lr", (0.1, 0.9, 6, 2, 2, True), id="doc-natural_exp-stair"),
    pytest.param("inverse_decay_lr", (0.1, 0.5, 6, 1, 1, True), id="doc-inverse-stair"),
    pytest.param("cosine_decay_lr", (0.01, 0.1, 6, 2, 2), id="doc-cosine"),
    pytest.param("polynomial_decay_lr", (0.1, 0.01, 6, 2, 2, 0.5), id="doc-polynomial"),
    pytest.param("warmup_lr", (0.1, 6, 2, 2), id="doc-warmup"),
]


def _exported_cell_values(plan, steps):
    from mindspore import Tensor, int32

    cell = lrbridge.to_mindspore_schedule(plan)
    return np.array([cell(Tensor(k, int32)).asnumpy() for k in range(steps)], np.float32).reshape(-1)


@pytest.mark.parametrize("name,args", DYNAMIC)
def test_dynamic_lr_call(ms, name, args):
    """The call by name and arguments -> MindSpore's list; exported back as a list and as a cell."""
    from mindspore.nn import dynamic_lr

    native = np.array(getattr(dynamic_lr, name)(*args))
    n = len(native)
    plan = lrbridge.from_mindspore(name, *args).plan
    assert plan.horizon.steps == n and plan.horizon.past == "error"
    mine = lrbridge.evaluate(plan, n)[0]
    assert compare(mine, native, metric="rel", tolerance=REL).ok
    assert _ulps(mine, native, 0).ok
    back = lrbridge.to_mindspore_lr_list(plan)
    assert len(back) == n and _ulps(back, native, 0).ok
    assert _ulps(_exported_cell_values(plan, n), native, 0).ok  # observed 0 (documented ≤ 1)


@pytest.mark.parametrize("name,args", DYNAMIC)
@pytest.mark.parametrize("holder", ["list", "tensor"])
def test_dynamic_lr_list_itself(ms, name, args, holder):
    """The list MindSpore returned (as a list, or the float32 Tensor an optimizer may hold) imported as it is:
    closed form where one reproduces every value, else a table; either way exact over its length."""
    from mindspore import Tensor
    from mindspore.nn import dynamic_lr

    values = getattr(dynamic_lr, name)(*args)
    n = len(values)
    source = values if holder == "list" else Tensor(np.array(values, np.float32))
    result = lrbridge.from_mindspore(source)
    plan = result.plan
    tables = any(node.kind == "tabulated" for node in plan.group_schedule(plan.groups[0]).walk())
    assert plan.horizon.steps == n and plan.horizon.past == ("error" if tables else "continue")
    assert result.exact is not tables
    mine = lrbridge.evaluate(plan, n)[0]
    assert _ulps(mine, values, 0).ok
    if holder == "list":
        assert compare(mine, np.array(values), metric="rel", tolerance=REL).ok
    assert _ulps(lrbridge.to_mindspore_lr_list(plan), values, 0).ok


# tests/ut/python/nn/test_dynamic_lr.py::TestInputs: every call MindSpore refuses (TypeError / ValueError) is a
# PlanError naming the argument in lrbridge, never a plan of a run MindSpore would not start nor a crash
_MS = [10, 20, 30]
_LRS = [0.1, 0.05, 0.01]
_EXP = (0.1, 0.9, 30, 3, 2)  # learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch
_POLY = (0.1, 0.01, 30, 3, 2, 0.5)  # learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch, power
_COS = (0.01, 0.1, 30, 3, 2)  # min_lr, max_lr, total_step, step_per_epoch, decay_epoch


def _with(args, i, value):
    return args[:i] + (value,) + args[i + 1:]


INVALID = [
    pytest.param("piecewise_constant_lr", (1, _LRS), "milestone", id="test_milestone1"),
    pytest.param("piecewise_constant_lr", ([20, 10, 1], _LRS), r"milestone\[1\]", id="test_milestone2-decreasing"),
    pytest.param("piecewise_constant_lr", ([1.0, 2.0, True], _LRS), r"milestone\[0\]", id="test_milestone2-floats"),
    pytest.param("piecewise_constant_lr", (_MS, True), "learning_rates", id="test_learning_rates1"),
    pytest.param("piecewise_constant_lr", (_MS, [1, 2, 1]), r"learning_rates\[0\]", id="test_learning_rates2"),
    pytest.param("exponential_decay_lr", _with(_EXP, 0, True), "learning_rate", id="test_learning_rate_type-exp"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 0, True), "learning_rate", id="test_learning_rate_type-poly"),
    pytest.param("exponential_decay_lr", _with(_EXP, 0, -1.0), "learning_rate", id="test_learning_rate_value-exp"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 0, -1.0), "learning_rate", id="test_learning_rate_value-poly"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 1, True), "end_learning_rate", id="test_end_learning_rate_type"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 1, -1.0), "end_learning_rate", id="test_end_learning_rate_value"),
    pytest.param("exponential_decay_lr", _with(_EXP, 1, "a"), "decay_rate", id="test_decay_rate_type"),
    pytest.param("exponential_decay_lr", _with(_EXP, 1, -1.0), "decay_rate", id="test_decay_rate_value"),
    pytest.param("exponential_decay_lr", _with(_EXP, 2, 2.0), "total_step", id="test_total_step1-exp"),
    pytest.param("cosine_decay_lr", _with(_COS, 2, 2.0), "total_step", id="test_total_step1-cos"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 2, 2.0), "total_step", id="test_total_step1-poly"),
    pytest.param("exponential_decay_lr", _with(_EXP, 2, -1), "total_step", id="test_total_step2-exp"),
    pytest.param("cosine_decay_lr", _with(_COS, 2, -1), "total_step", id="test_total_step2-cos"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 2, -1), "total_step", id="test_total_step2-poly"),
    pytest.param("exponential_decay_lr", _with(_EXP, 3, True), "step_per_epoch", id="test_step_per_epoch1-exp"),
    pytest.param("cosine_decay_lr", _with(_COS, 3, True), "step_per_epoch", id="test_step_per_epoch1-cos"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 3, True), "step_per_epoch", id="test_step_per_epoch1-poly"),
    pytest.param("exponential_decay_lr", _with(_EXP, 3, -1), "step_per_epoch", id="test_step_per_epoch2-exp"),
    pytest.param("cosine_decay_lr", _with(_COS, 3, -1), "step_per_epoch", id="test_step_per_epoch2-cos"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 3, -1), "step_per_epoch", id="test_step_per_epoch2-poly"),
    pytest.param("exponential_decay_lr", _with(_EXP, 4, "m"), "decay_epoch", id="test_decay_epoch1-exp"),
    pytest.param("cosine_decay_lr", _with(_COS, 4, "m"), "decay_epoch", id="test_decay_epoch1-cos"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 4, "m"), "decay_epoch", id="test_decay_epoch1-poly"),
    pytest.param("exponential_decay_lr", _with(_EXP, 4, -1), "decay_epoch", id="test_decay_epoch2-exp"),
    pytest.param("cosine_decay_lr", _with(_COS, 4, -1), "decay_epoch", id="test_decay_epoch2-cos"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 4, -1), "decay_epoch", id="test_decay_epoch2-poly"),
    pytest.param("exponential_decay_lr", _EXP + (1,), "is_stair", id="test_is_stair"),
    pytest.param("cosine_decay_lr", _with(_COS, 0, True), "min_lr", id="test_min_lr_type"),
    pytest.param("cosine_decay_lr", _with(_COS, 0, -1.0), "min_lr", id="test_min_lr_value"),
    pytest.param("cosine_decay_lr", _with(_COS, 1, "a"), "max_lr", id="test_max_lr_type"),
    pytest.param("cosine_decay_lr", _with(_COS, 1, -1.0), "max_lr", id="test_max_lr_value"),
    pytest.param("polynomial_decay_lr", _with(_POLY, 5, True), "power", id="test_power"),
    pytest.param("polynomial_decay_lr", _POLY + (1,), "update_decay_epoch", id="test_update_decay_epoch"),
    # the cosine docstring's rule: max_lr must exceed min_lr
    pytest.param("cosine_decay_lr", (0.1, 0.1, 10, 1, 5), "max_lr", id="cosine-max_lr-equal-min_lr"),
]


@pytest.mark.parametrize("name,args,path", INVALID)
def test_dynamic_lr_inputs_mindspore_refuses(ms, name, args, path):
    from mindspore.nn import dynamic_lr

    with pytest.raises((TypeError, ValueError)):
        getattr(dynamic_lr, name)(*args)
    with pytest.raises(PlanError, match=rf"^{path}: "):
        lrbridge.from_mindspore(name, *args)


def test_piecewise_constant_lr_with_a_repeated_milestone(ms):
    """MindSpore checks milestones only for decreasing (``item < last_item``): a repeated one is accepted and
    its lr applies to no step. lrbridge imports the same list (it refused the repeated boundary before)."""
    from mindspore.nn import dynamic_lr

    native = dynamic_lr.piecewise_constant_lr([2, 2, 5], [0.1, 0.05, 0.01])
    assert native == [0.1, 0.1, 0.01, 0.01, 0.01]
    plan = lrbridge.from_mindspore("piecewise_constant_lr", [2, 2, 5], [0.1, 0.05, 0.01]).plan
    assert plan.horizon.steps == 5 and lrbridge.evaluate(plan, 5)[0].tolist() == native
    assert lrbridge.to_mindspore_lr_list(plan) == native


# ---------------------------------------------------------------- nn.learning_rate_schedule cells

CELL_STEPS = 16  # four decay periods of decay_steps=4 (global_step 2, the one the tests compile at, included)

CELLS = [
    # tests/ut/python/nn/test_learning_rate_schedule.py (each compiled at global_step 2), and its worst ulps
    pytest.param("ExponentialDecayLR", (0.1, 0.9, 4, True), 4, id="ut-ExponentialDecayLR-stair"),
    pytest.param("NaturalExpDecayLR", (0.1, 0.9, 4, True), 48, id="ut-NaturalExpDecayLR-stair"),
    pytest.param("InverseDecayLR", (0.1, 0.9, 4, True), 4, id="ut-InverseDecayLR-stair"),
    pytest.param("CosineDecayLR", (0.01, 0.1, 4), 4, id="ut-CosineDecayLR"),
    pytest.param("PolynomialDecayLR", (0.1, 0.01, 4, 0.5), 4, id="ut-PolynomialDecayLR"),
    pytest.param("PolynomialDecayLR", (0.1, 0.01, 4, 0.5, True), 4, id="ut-PolynomialDecayLR-update_decay_steps"),
    pytest.param("WarmUpLR", (0.1, 2), 0, id="ut-WarmUpLR"),
    # docstring Examples of mindspore/nn/learning_rate_schedule.py that differ from the ut cases
    pytest.param("ExponentialDecayLR", (0.1, 0.9, 4), 4, id="doc-ExponentialDecayLR"),
    # the float32 pow(e, −0.9·k) of the cell without staircase drifts with k (observed 18 ulps at 16 steps)
    pytest.param("NaturalExpDecayLR", (0.1, 0.9, 4), 48, id="ut-args-NaturalExpDecayLR"),
    pytest.param("InverseDecayLR", (0.1, 0.9, 4), 4, id="ut-args-InverseDecayLR"),
]


@pytest.mark.parametrize("cls,args,ulps", CELLS)
def test_native_cell(ms, cls, args, ulps):
    """The cell evaluated at global_step k = 0..15 against the imported plan and the exported cell."""
    from mindspore import Tensor, int32, nn

    cell = getattr(nn, cls)(*args)
    native = np.array([cell(Tensor(k, int32)).asnumpy() for k in range(CELL_STEPS)], np.float32).reshape(-1)
    result = lrbridge.from_mindspore(cell)
    assert result.exact and result.plan.horizon.steps is None  # a cell runs for as long as training does
    mine = lrbridge.evaluate(result.plan, CELL_STEPS)[0]
    assert _ulps(mine, native, ulps).ok
    exported = _exported_cell_values(result.plan, CELL_STEPS)
    assert _ulps(exported, mine, 1).ok
    assert _ulps(exported, native, ulps).ok
    # the test's own point: global_step 2
    assert _ulps(exported[2], native[2], ulps).ok


UT_CELLS = [c for c in CELLS if c.id.startswith("ut-") and not c.id.startswith("ut-args")]


@pytest.mark.parametrize("cls,args,ulps", UT_CELLS)
def test_native_cell_compiled_at_global_step_2(ms, cls, args, ulps):
    """What test_learning_rate_schedule.py does (``_executor.compile(lr_schedule, Tensor(2, int32))``), in
    GRAPH_MODE: the native cell and the exported cell, compiled, agree at global_step 2 and over 0..15."""
    from mindspore import Tensor, int32, nn

    from lrbridge_mindspore.runner import execution_mode

    cell = getattr(nn, cls)(*args)
    exported = lrbridge.to_mindspore_schedule(lrbridge.from_mindspore(cell).plan)
    steps = Tensor(np.arange(CELL_STEPS, dtype=np.int32))
    with execution_mode("graph"):
        native_2 = cell(Tensor(2, int32)).asnumpy()
        mine_2 = exported(Tensor(2, int32)).asnumpy()
        curve = exported(steps).asnumpy().reshape(-1)
    assert _ulps(mine_2, native_2, ulps).ok
    native = np.array([cell(Tensor(k, int32)).asnumpy() for k in range(CELL_STEPS)], np.float32).reshape(-1)
    assert _ulps(curve, native, ulps).ok


# ---------------------------------------------------------------- experimental.optim.lr_scheduler


def _dense(ms):
    from mindspore import nn

    return nn.Dense(3, 2)


def _one_group_sgd(ms, lr=0.1):
    from mindspore import Parameter, Tensor
    from mindspore.experimental import optim

    return optim.SGD([Parameter(Tensor(np.zeros(2, np.float32)), name="w")], lr=lr)


def _grads(opt):
    from mindspore import Tensor

    return tuple(Tensor(np.ones(p.shape, np.float32)) for p in opt.parameters)


def _applied(opt, sched, steps):
    """Every group's lr as applied by ``opt(grads)`` at step k of the natural loop (groups × steps)."""
    out = np.empty((len(opt.param_groups), steps), np.float32)
    for k in range(steps):
        out[:, k] = [g["lr"].asnumpy() for g in opt.param_groups]
        opt(_grads(opt))
        sched.step()
    return out


def _adam(lr):
    return lambda o, p: o.Adam(p, lr=lr)


def _sgd_momentum(o, p):
    return o.SGD(p, lr=0.1, momentum=0.9)


# name: (optimizer, scheduler, steps, ulps vs the float32 recursion). Each is the Examples section of the class
# in mindspore/experimental/optim/lr_scheduler.py, same optimizer and arguments; steps cover what it prints and more.
EXPERIMENTAL = {
    "StepLR": (_adam(0.05), lambda L, o: L.StepLR(o, step_size=2, gamma=0.1), 8, 2),
    "LinearLR": (_adam(0.05), lambda L, o: L.LinearLR(o, start_factor=0.5, total_iters=4), 8, 2),
    "ExponentialLR": (_adam(0.01), lambda L, o: L.ExponentialLR(o, gamma=0.5), 8, 2),
    "PolynomialLR": (_adam(0.01), lambda L, o: L.PolynomialLR(o), 8, 2),
    "MultiStepLR": (_adam(0.05), lambda L, o: L.MultiStepLR(o, milestones=[2, 4], gamma=0.1), 8, 2),
    "ConstantLR": (_adam(0.05), lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=4), 8, 2),
    "SequentialLR": (_adam(0.1), lambda L, o: L.SequentialLR(
        o, schedulers=[L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, gamma=0.9)], milestones=[2]), 8, 4),
    # float32 recursion: observed 10 ulps over 8 steps (docs/mindspore.md: up to ~15 over 60)
    "CyclicLR": (_sgd_momentum, lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1), 8, 16),
    "CosineAnnealingWarmRestarts": (_sgd_momentum, lambda L, o: L.CosineAnnealingWarmRestarts(o, 2), 8, 2),
    # the recursion near lr 0 (T_max=2 reaches eta_min=0 every other step): observed 5 ulps
    "CosineAnnealingLR": (_sgd_momentum, lambda L, o: L.CosineAnnealingLR(o, T_max=2), 8, 8),
    # sampled (Python functions of the step): steps= given, the float32 lrs reproduced exactly
    "LambdaLR": (_adam(0.01), lambda L, o: L.LambdaLR(o, lr_lambda=[lambda epoch: 0.9 ** epoch]), 8, 0),
    "MultiplicativeLR": (_adam(0.01), lambda L, o: L.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.95), 8, 0),
}


@pytest.mark.parametrize("name", list(EXPERIMENTAL))
def test_experimental_scheduler(ms, name):
    """Imported before it is stepped; lrbridge.evaluate and the exported optimizer + PlanLR apply MindSpore's lrs."""
    from mindspore.experimental import optim

    make_opt, make_sched, steps, ulps = EXPERIMENTAL[name]
    opt = make_opt(optim, _dense(ms).trainable_params())
    sched = make_sched(optim.lr_scheduler, opt)
    result = lrbridge.from_mindspore(sched, steps=steps)
    plan = result.plan
    native = _applied(opt, sched, steps)
    mine = lrbridge.evaluate(plan, steps)
    assert _ulps(mine, native, ulps).ok, (np.float32(mine), native)

    exported = lrbridge.mindspore_optimizer(plan, _dense(ms), api="experimental")
    assert type(exported.optimizer) is type(opt)
    back = _applied(exported.optimizer, exported.scheduler, steps)
    assert _ulps(back, mine, 0).ok  # PlanLR writes fp32(plan)
    assert _ulps(back, native, ulps).ok


def test_experimental_cosine_warm_restarts_fractional_epochs(ms):
    """CosineAnnealingWarmRestarts' example steps at fractional epochs ``step(epoch + i / iters)``, iters = 3:
    the imported schedule rescaled to steps gives the printed lrs (a fractional epoch clock is refused with
    that way out), and the recorded lrs import back to values that reproduce them."""
    from mindspore.experimental import optim

    from lrbridge.schedules import ByEpoch

    opt = optim.SGD(_dense(ms).trainable_params(), lr=0.1, momentum=0.9)
    sched = optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 2)
    plan = lrbridge.from_mindspore(sched).plan
    iters, recorded = 3, []
    for epoch in range(2):
        for i in range(iters):
            sched.step(epoch + i / iters)
            recorded.append(float(sched.get_last_lr()[0].asnumpy()))
    # lrbridge's cosine_restarts is defined at whole steps: a fractional epoch clock is refused with the way out,
    # rescaling the schedule to steps (T_0 epochs of `iters` steps each)
    with pytest.raises(PlanError, match="only defined at whole steps; use cadence 'epoch' or rescale"):
        ByEpoch(schedule=plan.scheduler, steps_per_epoch=iters, cadence="step")
    assert plan.scheduler.T_0 == 2 and plan.scheduler.T_mult == 1
    rescaled = plan.model_copy(update={"scheduler": plan.scheduler.model_copy(update={"T_0": 2 * iters})})
    assert _ulps(lrbridge.evaluate(rescaled, 2 * iters)[0], recorded, 2).ok  # MindSpore computes it in float32
    printed = [0.1, 0.0933013, 0.075, 0.05, 0.025, 0.00669873]  # the docstring's printout (6 digits)
    assert compare(recorded, printed, metric="rel", tolerance=1e-6).ok
    again = lrbridge.from_mindspore(recorded).plan
    assert _ulps(lrbridge.evaluate(again, 2 * iters)[0], recorded, 0).ok


def _docstring_get_lr(self):
    """LRScheduler's docstring example ConstantLR.get_lr."""
    if self.last_epoch == 0:
        return [lr * self.factor for lr in self._last_lr]
    if self.last_epoch != self.total_iters:
        return [lr * 1. for lr in self._last_lr]
    return [lr / self.factor for lr in self._last_lr]


def _doubling_get_lr(self):
    """Not what any MindSpore class computes: the lr doubles every step."""
    return [lr * 2.0 for lr in self._last_lr]


def _user_scheduler(ms, name="ConstantLR", get_lr=_docstring_get_lr):
    """A user's LRScheduler subclass named ``name`` with the docstring's attributes (factor 0.5, total_iters 3)."""
    from mindspore.experimental import optim

    def init(self, optimizer, factor=0.5, total_iters=3, last_epoch=-1):
        self.factor, self.total_iters = factor, total_iters
        optim.lr_scheduler.LRScheduler.__init__(self, optimizer, last_epoch)

    cls = type(name, (optim.lr_scheduler.LRScheduler,), {"__init__": init, "get_lr": get_lr})
    opt = optim.SGD(_dense(ms).trainable_params(), 0.01)
    return opt, cls(opt)


def test_experimental_user_subclass_is_sampled(ms):
    """LRScheduler's docstring example: a user subclass named ConstantLR. It is user code: sampled with steps=
    (its printed lrs 0.005, 0.005, 0.01, 0.01 reproduced), never read as MindSpore's ConstantLR by its name."""
    opt, sched = _user_scheduler(ms)
    with pytest.raises(PlanError, match=r"user-defined scheduler class .*pass steps="):
        lrbridge.from_mindspore(sched)
    result = lrbridge.from_mindspore(sched, steps=6)
    assert any("user-defined scheduler class" in n for n in result.notes)
    native = _applied(opt, sched, 6)
    assert _ulps(lrbridge.evaluate(result.plan, 6), native, 0).ok
    assert _ulps(native[0, 1:5], [0.005, 0.005, 0.01, 0.01], 0).ok  # the docstring's printout

    # the same name and attributes, other arithmetic: MindSpore's ConstantLR(0.5, 3) would give 0.005 until step 3
    opt, odd = _user_scheduler(ms, get_lr=_doubling_get_lr)
    result = lrbridge.from_mindspore(odd, steps=5)
    native = _applied(opt, odd, 5)
    assert _ulps(native[0], [0.02, 0.04, 0.08, 0.16, 0.32], 0).ok
    assert _ulps(lrbridge.evaluate(result.plan, 5), native, 0).ok


def test_experimental_user_subclasses_sampled_on_a_copy(ms):
    """A subclass of CosineAnnealingWarmRestarts (whose step keeps T_cur/T_i Parameters and writes the optimizer's
    lr) and a user get_lr reading ``optimizer.param_groups``: sampled on a copy that touches neither the user's
    scheduler state nor the optimizer's lr, and equal to what the user's run then applies."""
    from mindspore.experimental import optim

    L = optim.lr_scheduler

    class WarmRestarts(L.CosineAnnealingWarmRestarts):
        pass

    class HalvesGroupLr(L.LRScheduler):
        def get_lr(self):
            return [g["lr"] * 0.5 for g in self.optimizer.param_groups]

    for make in (lambda o: WarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01), HalvesGroupLr):
        opt = _one_group_sgd(ms)
        sched = make(opt)
        before = {k: v.asnumpy().copy() for k, v in vars(sched).items() if hasattr(v, "asnumpy")}
        lr_before = opt.param_groups[0]["lr"].asnumpy().copy()
        result = lrbridge.from_mindspore(sched, steps=12)
        assert all(np.array_equal(getattr(sched, k).asnumpy(), v) for k, v in before.items())
        assert opt.param_groups[0]["lr"].asnumpy() == lr_before
        assert _ulps(lrbridge.evaluate(result.plan, 12), _applied(opt, sched, 12), 0).ok


def test_experimental_sequential_with_user_stage_is_refused_by_name(ms):
    from mindspore.experimental import optim

    opt, user = _user_scheduler(ms)
    seq = optim.lr_scheduler.SequentialLR(opt, schedulers=[user, optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)],
                                          milestones=[2])
    with pytest.raises(PlanError, match=r"SequentialLR\.schedulers\[0\].*not a MindSpore scheduler class"):
        lrbridge.from_mindspore(seq, steps=6)


def test_experimental_reduce_lr_on_plateau(ms, torch):
    """ReduceLROnPlateau's example (Adam lr 0.1, mode 'min', patience 0, metrics 1, 1.5, 1.8, 0.4, 0.5; printed lrs
    0.1, 0.01, 0.001, 0.001, 0.0001). Its lr needs the metric: evaluate refuses; the MindSpore export is MindSpore's
    own ReduceLROnPlateau on the experimental optimizer (as torch's export is torch's class), and both follow
    MindSpore's scheduler on the docstring's metrics."""
    from mindspore import Tensor
    from mindspore.experimental import optim

    opt = optim.Adam(_dense(ms).trainable_params(), 0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, "min", patience=0)
    plan = lrbridge.from_mindspore(sched).plan
    node = plan.group_schedule(plan.groups[0])
    assert (node.kind, node.mode, node.factor, node.patience, node.min_lr) == ("reduce_on_plateau", "min", 0.1, 0, 0.0)
    with pytest.raises(EvaluationError, match="validation metric"):
        lrbridge.evaluate(plan, 5)

    exported = lrbridge.mindspore_optimizer(plan, _dense(ms))  # auto: an nn lr cannot follow a metric
    back = exported.scheduler
    assert type(exported.optimizer) is type(opt) and type(back) is type(sched)
    assert any("ReduceLROnPlateau" in n for n in exported.mapping.notes)
    t_opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    t_sched = lrbridge.to_torch(plan, t_opt)
    printed = [0.1, 0.01, 0.001, 0.001, 0.0001]
    for metric, expected in zip([1, 1.5, 1.8, 0.4, 0.5], printed):
        sched.step(Tensor(np.float32(metric)))
        back.step(Tensor(np.float32(metric)))
        t_sched.step(metric)
        ms_lr = float(sched.get_last_lr()[0].asnumpy())
        assert compare([ms_lr], [expected], metric="rel", tolerance=1e-6).ok  # printed to 6 digits
        assert _ulps([float(g["lr"].asnumpy()) for g in exported.optimizer.param_groups], [ms_lr], 0).ok
        assert compare(np.float32([t_opt.param_groups[0]["lr"]]), np.float32([ms_lr]), metric="rel", tolerance=1e-6).ok

    with pytest.raises(UnrepresentableError, match="cannot follow a metric.*ReduceLROnPlateau stepped by your"):
        lrbridge.mindspore_optimizer(plan, _dense(ms), api="nn")


def test_experimental_reduce_lr_on_plateau_per_group_min_lr(ms):
    """ReduceLROnPlateau's min_lr may be a list, one per group (its docstring's Args): exported back as such."""
    from mindspore import Parameter, Tensor
    from mindspore.experimental import optim

    def groups():
        p = [Parameter(Tensor(np.zeros(2, np.float32)), name=n) for n in ("a", "b")]
        return [{"params": [p[0]]}, {"params": [p[1]], "lr": 0.04}], p

    g, _ = groups()
    opt = optim.SGD(g, lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1, cooldown=1, min_lr=[0.01, 0.002])
    plan = lrbridge.from_mindspore(sched).plan
    g2, params = groups()
    exported = lrbridge.mindspore_optimizer(plan, params, api="experimental")
    assert list(exported.scheduler.min_lrs) == list(sched.min_lrs)
    for metric in [0.5, 0.4, 0.45, 0.3, 0.2, 0.6] + [0.1] * 12:
        sched.step(Tensor(np.float32(metric)))
        exported.scheduler.step(Tensor(np.float32(metric)))
        mine = [g["lr"].asnumpy() for g in exported.optimizer.param_groups]
        assert _ulps(mine, [g["lr"].asnumpy() for g in opt.param_groups], 0).ok
    assert _ulps(mine, [0.01, 0.002], 0).ok  # both held at their own min_lr


# ---------------------------------------------------------------- argument combinations MindSpore accepts


def test_cyclic_lr_with_a_fractional_step_size(ms):
    """CyclicLR's step sizes may be floats (the docstring: 'Number of training iterations'; MindSpore stores
    total_step_size = up + down): step_size_down=2.5 is a 5.5-step cycle, no whole-step closed form. It is
    sampled (a table, exact over its steps), never the 5-step Cyclic(up=3, down=2)."""
    from mindspore.experimental import optim

    opt = _one_group_sgd(ms)
    sched = optim.lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2.5)
    with pytest.raises(PlanError, match="fractional step sizes: pass steps="):
        lrbridge.from_mindspore(sched)
    result = lrbridge.from_mindspore(sched, steps=14)
    native = _applied(opt, sched, 14)
    assert native[0, 5] != native[0, 0]  # the cycle is not 5 steps long
    assert _ulps(lrbridge.evaluate(result.plan, 14), native, 0).ok


def test_sampled_scheduler_already_stepped(ms):
    """Closed forms are imported from their start whatever last_epoch is; so are samples. LambdaLR (lr = base·λ(epoch))
    resumed with last_epoch=0 (as in a checkpoint) imports its whole schedule; a recursion stepped already
    (MultiplicativeLR) cannot be rewound: a clear error, never samples shifted by last_epoch."""
    from mindspore.experimental import optim

    L = optim.lr_scheduler
    opt = _one_group_sgd(ms)
    original = _applied(opt, L.LambdaLR(opt, lr_lambda=lambda epoch: 0.9 ** epoch), 8)
    opt = _one_group_sgd(ms)
    for group in opt.param_groups:
        group["initial_lr"] = group["lr"].value()
    resumed = L.LambdaLR(opt, lr_lambda=lambda epoch: 0.9 ** epoch, last_epoch=0)
    plan = lrbridge.from_mindspore(resumed, steps=8).plan
    mine = lrbridge.evaluate(plan, 8)
    assert _ulps(mine, original, 0).ok
    assert _ulps(mine[:, 1:], _applied(opt, resumed, 7), 0).ok

    opt = _one_group_sgd(ms)
    stepped = L.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.95)
    for _ in range(3):
        stepped.step()
    with pytest.raises(PlanError, match=r"already been stepped \(last_epoch=3\).*build a fresh one"):
        lrbridge.from_mindspore(stepped, steps=8)
