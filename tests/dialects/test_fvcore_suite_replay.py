"""fvcore's own ParamScheduler test suite replayed through lrbridge's detectron2 dialect.

The scheduler configurations of facebookresearch/fvcore ``tests/param_scheduler/test_scheduler_*.py``
(composite, constant, cosine, exponential, linear, multi_step, polynomial, step,
step_with_fixed_gamma; read at commit 242366fe5c3a), each written as the detectron2 LazyConfig
``.py`` a user writes (``lr_multiplier = L(Scheduler)(...)``, bare or inside
``L(WarmupParamScheduler)``, with ``train.max_iter`` and an SGD optimizer) and read through
``lrbridge.dialects.detectron2.load`` (parsed, never run). Every case names the fvcore test it
comes from.

fvcore's tests call a scheduler at ``where = epoch / num_epochs``; detectron2's ``LRMultiplier``
calls the multiplier at ``where = k / max_iter`` after every iteration and multiplies the base lr:
with ``max_iter = num_epochs`` the plan's steps are fvcore's test points. The reference is the REAL
fvcore scheduler (composed into detectron2's ``WarmupParamScheduler`` as
``test_detectron2._warmup`` restates it from detectron2's source), evaluated that way
(``test_detectron2._curve``); the plan's curve must equal it at relative error ≤ 1e-12, and the
multiplier must reproduce fvcore's own expected values where its tests list them (to the
rounding those tests apply). Each configuration is replayed again at a larger max_iter, where
fvcore's ``WHERE_EPSILON`` rounding decides the switching steps.

Where fvcore's tests assert that a configuration is invalid (``ValueError``), lrbridge must
refuse the config in one line naming the field.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import detectron2 as d2

P = pytest.importorskip("fvcore.common.param_scheduler")

from test_detectron2 import _curve, _warmup  # noqa: E402  (detectron2's LRMultiplier / WarmupParamScheduler, shared)

REL = 1e-12
LR = 0.02

HEADER = """\
# detectron2 LazyConfig (configs/common/train.py and optim.py inlined), schedule from fvcore's tests
import torch
from fvcore.common.param_scheduler import (
    CompositeParamScheduler, ConstantParamScheduler, CosineParamScheduler, ExponentialParamScheduler,
    LinearParamScheduler, MultiStepParamScheduler, PolynomialDecayParamScheduler, StepParamScheduler,
    StepWithFixedGammaParamScheduler,
)
from detectron2.config import LazyCall as L
from detectron2.solver import WarmupParamScheduler
from detectron2.solver.build import get_default_optimizer_params

train = dict(output_dir="./output", max_iter=90000, eval_period=5000)
train.max_iter = {max_iter}
optimizer = L(torch.optim.SGD)(
    params=L(get_default_optimizer_params)(weight_decay_norm=0.0),
    lr={lr}, momentum=0.9, weight_decay=1e-4,
)
lr_multiplier = {mult}
"""


class S:
    """One fvcore scheduler call: rendered as LazyConfig source, or built as the real fvcore object."""

    def __init__(self, name, **kw):
        self.name, self.kw = name, kw

    def src(self):
        return f"L({self.name})(" + ", ".join(f"{k}={_src(v)}" for k, v in self.kw.items()) + ")"

    def real(self):
        return getattr(P, self.name)(**{k: _real(v) for k, v in self.kw.items()})


def _src(v):
    if isinstance(v, S):
        return v.src()
    if isinstance(v, list):
        return "[" + ", ".join(_src(x) for x in v) + "]"
    return repr(v)


def _real(v):
    if isinstance(v, S):
        return v.real()
    if isinstance(v, list):
        return [_real(x) for x in v]  # a fresh list: CompositeParamScheduler rewrites its lengths in place
    return copy.deepcopy(v)


def _warm(sched: S, length, factor=0.001, method="linear", rescale=False):
    return S("WarmupParamScheduler", scheduler=sched, warmup_length=length, warmup_factor=factor,
             warmup_method=method, rescale_interval=rescale)


def _mult_real(spec: S):
    if spec.name == "WarmupParamScheduler":
        kw = spec.kw
        return _warmup(_real(kw["scheduler"]), kw["warmup_factor"], kw["warmup_length"], kw["warmup_method"],
                       kw["rescale_interval"])
    return spec.real()


def _load(tmp_path, spec: S, max_iter, name="fvcore_case.py"):
    path = tmp_path / name
    path.write_text(HEADER.format(max_iter=max_iter, lr=LR, mult=spec.src()))
    return d2.load(path)


def _replay(tmp_path, spec: S, max_iter, expected=None, decimals=None, near_zero=False):
    """The plan of ``spec`` at ``max_iter`` against fvcore's real scheduler, every step; and fvcore's own list.

    ``near_zero``: a curve rising from 0 through fvcore's ``e + (s − e)·(1 + cos(π·where))/2`` with s = 0
    cancels to ~1e-17 absolute in fvcore's own float arithmetic and in the plan's: there the tolerance is
    also 1e-12 of the curve's peak (as ``test_published_recipes._same`` documents).
    """
    plan = _load(tmp_path, spec, max_iter).plan
    assert [g.name for g in plan.groups] == ["default"]
    ours = lb.evaluate(plan, max_iter)[0]
    ref = LR * _curve(_mult_real(spec), max_iter, max_iter)
    np.testing.assert_allclose(ours, ref, rtol=REL, atol=REL * np.abs(ref).max() if near_zero else 0)
    if expected is not None:
        mult = ours / LR
        if decimals is None:
            np.testing.assert_allclose(mult, expected, rtol=REL, atol=0)
        else:  # fvcore compares round(x, decimals)
            np.testing.assert_allclose(mult, expected, rtol=0, atol=0.5 * 10.0 ** -decimals + 1e-12)
    return plan


def _refused(tmp_path, spec: S, max_iter, match):
    with pytest.raises(lb.PlanError, match=match) as err:
        _load(tmp_path, spec, max_iter)
    assert "\n" not in str(err.value)
    return str(err.value)


# wrappers every configuration is replayed in besides bare: detectron2's WarmupParamScheduler as
# configs/common/coco_schedule.py and the ViTDet configs write it (linear, factor 0.001), constant and rescaled
WRAPS = [
    pytest.param(None, id="bare"),
    pytest.param(dict(length=0.1), id="warmup"),
    pytest.param(dict(length=0.25, method="constant", factor=0.1), id="warmup-constant"),
    pytest.param(dict(length=0.5, rescale=True), id="warmup-rescaled"),
]


def _wrapped(spec, wrap):
    return spec if wrap is None else _warm(spec, **wrap)


BIG = 1000  # the same configuration again at a larger max_iter


# -- test_scheduler_constant.py -------------------------------------------------------------------

@pytest.mark.parametrize("wrap", WRAPS)
def test_constant_test_scheduler(tmp_path, wrap):
    # TestConstantScheduler.test_scheduler: ConstantParamScheduler(0.1), 12 epochs
    spec = _wrapped(S("ConstantParamScheduler", value=0.1), wrap)
    plan = _replay(tmp_path, spec, 12, [0.1] * 12 if wrap is None else None)
    _replay(tmp_path, spec, BIG)
    # "the input should be in [0; 1)": scheduler(1) raises RuntimeError, so the plan ends at max_iter
    assert plan.horizon.steps == 12 and plan.horizon.past == "error"
    with pytest.raises(lb.LrBridgeError):
        lb.evaluate(plan, 13)


# -- test_scheduler_cosine.py ---------------------------------------------------------------------

COSINE_DECAY = [0.0976, 0.0905, 0.0794, 0.0655, 0.05, 0.0345, 0.0206, 0.0095, 0.0024]


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("case", ["test_scheduler_as_decay", "test_scheduler_as_warmup"])
def test_cosine(tmp_path, wrap, case):
    # TestCosineScheduler.test_scheduler_as_decay: start 0.1, end 0; .test_scheduler_as_warmup: swapped
    if case == "test_scheduler_as_decay":
        spec, expected = S("CosineParamScheduler", start_value=0.1, end_value=0), [0.1] + COSINE_DECAY
    else:
        spec, expected = S("CosineParamScheduler", start_value=0, end_value=0.1), [0] + COSINE_DECAY[::-1]
    spec = _wrapped(spec, wrap)
    near_zero = case == "test_scheduler_as_warmup"
    plan = _replay(tmp_path, spec, 10, expected if wrap is None else None, decimals=4, near_zero=near_zero)
    _replay(tmp_path, spec, BIG, near_zero=near_zero)
    assert plan.horizon.past == "continue"  # fvcore's cosine is defined past where = 1 (and periodic)
    n = 25
    np.testing.assert_allclose(lb.evaluate(plan, n)[0], LR * _curve(_mult_real(spec), 10, n), rtol=REL, atol=1e-15)


def test_cosine_warmup_decay_match(tmp_path):
    # TestCosineScheduler.test_scheduler_warmup_decay_match: over 1000 updates the warmup is the decay reversed
    decay = _replay(tmp_path, S("CosineParamScheduler", start_value=0.1, end_value=0), 1000)
    warm = _replay(tmp_path, S("CosineParamScheduler", start_value=0, end_value=0.1), 1000, near_zero=True)
    d, w = lb.evaluate(decay, 1000)[0][1:], lb.evaluate(warm, 1000)[0][1:]
    np.testing.assert_array_equal(np.round(d / LR, 8), np.round(w / LR, 8)[::-1])


# -- test_scheduler_exponential.py ----------------------------------------------------------------

@pytest.mark.parametrize("wrap", WRAPS)
def test_exponential_test_scheduler(tmp_path, wrap):
    # TestExponentialScheduler.test_scheduler: start_value 2.0, decay 0.1, 10 epochs
    spec = _wrapped(S("ExponentialParamScheduler", start_value=2.0, decay=0.1), wrap)
    expected = [2.0, 1.5887, 1.2619, 1.0024, 0.7962, 0.6325, 0.5024, 0.3991, 0.3170, 0.2518]
    _replay(tmp_path, spec, 10, expected if wrap is None else None, decimals=4)
    _replay(tmp_path, spec, BIG)


# -- test_scheduler_linear.py ---------------------------------------------------------------------

@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("direction", ["warmup", "decay"])
def test_linear_test_scheduler(tmp_path, wrap, direction):
    # TestLienarScheduler.test_scheduler: 0.0 -> 0.1 ("as warmup"), then swapped ("as decay"), 10 epochs
    inter = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]
    if direction == "warmup":
        spec, expected = S("LinearParamScheduler", start_value=0.0, end_value=0.1), [0.0] + inter
    else:
        spec, expected = S("LinearParamScheduler", start_value=0.1, end_value=0.0), [0.1] + inter[::-1]
    spec = _wrapped(spec, wrap)
    _replay(tmp_path, spec, 10, expected if wrap is None else None, decimals=4)
    _replay(tmp_path, spec, BIG)


# -- test_scheduler_polynomial.py -----------------------------------------------------------------

@pytest.mark.parametrize("wrap", WRAPS)
def test_polynomial_test_scheduler(tmp_path, wrap):
    # TestPolynomialScheduler.test_scheduler: base_value 0.1, power 1, 10 epochs
    spec = _wrapped(S("PolynomialDecayParamScheduler", base_value=0.1, power=1), wrap)
    expected = [0.1, 0.09, 0.08, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01]
    _replay(tmp_path, spec, 10, expected if wrap is None else None, decimals=2)
    _replay(tmp_path, spec, BIG)


# -- test_scheduler_multi_step.py -----------------------------------------------------------------

MS_VALUES = [0.1, 0.01, 0.001, 0.0001]


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("case", ["test_scheduler", "test_default_config"])
def test_multi_step(tmp_path, wrap, case):
    # TestMultiStepParamScheduler.test_scheduler: milestones [4, 6, 8] of 12; .test_default_config: evenly split
    if case == "test_scheduler":
        spec = S("MultiStepParamScheduler", num_updates=12, values=MS_VALUES, milestones=[4, 6, 8])
        expected = [0.1] * 4 + [0.01] * 2 + [0.001] * 2 + [0.0001] * 4
    else:
        spec = S("MultiStepParamScheduler", num_updates=12, values=MS_VALUES)
        expected = [0.1] * 3 + [0.01] * 3 + [0.001] * 3 + [0.0001] * 3
    spec = _wrapped(spec, wrap)
    _replay(tmp_path, spec, 12, expected if wrap is None else None)
    _replay(tmp_path, spec, BIG)
    _replay(tmp_path, spec, 7)  # fewer iterations than num_updates: fvcore is scale-invariant


@pytest.mark.parametrize("kw", [
    dict(num_updates=90, milestones=[30, 60]), dict(num_updates=90), dict(milestones=[30, 60, 90])])
def test_multi_step_optional_args(tmp_path, kw):
    # TestMultiStepParamScheduler.test_optional_args: three spellings of one schedule
    spec = S("MultiStepParamScheduler", values=[1, 0.1, 0.01], **kw)
    plan = _replay(tmp_path, spec, 10, [1] * 4 + [0.1] * 3 + [0.01] * 3)
    _replay(tmp_path, spec, 90)
    assert plan.horizon.past == "error"


@pytest.mark.parametrize("kw,match", [
    (dict(num_updates=-1), "num_updates"),                                     # invalid num epochs
    (dict(num_updates=12, values={"a": "b"}), "values"),                        # values not a list
    (dict(num_updates=12, values=[]), "values"),
    (dict(num_updates=12, milestones={"a": "b"}), "milestones"),               # milestones not a list
    (dict(num_updates=12, milestones=[3, 6, 8, 12]), "milestones"),            # too many
    (dict(num_updates=12, milestones=[3, 6]), "milestones"),                   # too few
    (dict(num_updates=12, milestones=[3, 6, 12]), "milestones"),               # exceeds num_updates
    (dict(num_updates=12, milestones=[3, 8, 6]), "milestones"),                # out of order
])
def test_multi_step_invalid_config(tmp_path, kw, match):
    # TestMultiStepParamScheduler.test_invalid_config: fvcore raises ValueError; lrbridge refuses in one line
    base = dict(num_updates=12, values=MS_VALUES, milestones=[4, 6, 8])
    spec = S("MultiStepParamScheduler", **{**base, **kw})
    with pytest.raises(ValueError):
        spec.real()
    _refused(tmp_path, spec, 12, match)


# -- test_scheduler_step.py -----------------------------------------------------------------------

@pytest.mark.parametrize("wrap", WRAPS)
def test_step_test_scheduler(tmp_path, wrap):
    # TestStepScheduler.test_scheduler: values [0.1, 0.01, 0.001, 0.0001] over 12 updates
    spec = _wrapped(S("StepParamScheduler", num_updates=12, values=MS_VALUES), wrap)
    expected = [0.1] * 3 + [0.01] * 3 + [0.001] * 3 + [0.0001] * 3
    _replay(tmp_path, spec, 12, expected if wrap is None else None)
    _replay(tmp_path, spec, BIG)


@pytest.mark.parametrize("kw,match", [
    (dict(num_updates=-1), "num_updates"),
    (dict(values={"a": "b"}), "values"),
    (dict(values=[]), "values"),
])
def test_step_invalid_config(tmp_path, kw, match):
    # TestStepScheduler.test_invalid_config
    spec = S("StepParamScheduler", **{**dict(num_updates=12, values=MS_VALUES), **kw})
    with pytest.raises(ValueError):
        spec.real()
    _refused(tmp_path, spec, 12, match)


# -- test_scheduler_step_with_fixed_gamma.py ------------------------------------------------------

@pytest.mark.parametrize("wrap", WRAPS)
def test_step_with_fixed_gamma_test_scheduler(tmp_path, wrap):
    # TestStepWithFixedGammaScheduler.test_scheduler: base 1, gamma 0.1, 3 decays over 12 updates
    spec = _wrapped(S("StepWithFixedGammaParamScheduler", base_value=1, gamma=0.1, num_decays=3, num_updates=12), wrap)
    plan = _replay(tmp_path, spec, 12)
    if wrap is None:  # fvcore checks assertAlmostEqual (7 places)
        np.testing.assert_allclose(lb.evaluate(plan, 12)[0] / LR, [1] * 3 + [0.1] * 3 + [0.01] * 3 + [0.001] * 3,
                                   rtol=0, atol=5e-8)
    _replay(tmp_path, spec, BIG)


@pytest.mark.parametrize("kw,match", [
    (dict(num_updates=-1), "num_updates"),
    (dict(num_updates=-1, num_decays=0), "num_decays|num_updates"),
    (dict(base_value=-0.01), "base_value"),
    (dict(gamma=[2]), "gamma"),
])
def test_step_with_fixed_gamma_invalid_config(tmp_path, kw, match):
    # TestStepWithFixedGammaScheduler.test_invalid_config
    spec = S("StepWithFixedGammaParamScheduler", **{**dict(base_value=1, gamma=0.1, num_decays=3, num_updates=12), **kw})
    with pytest.raises(ValueError):
        spec.real()
    _refused(tmp_path, spec, 12, match)


# -- test_scheduler_composite.py ------------------------------------------------------------------

def _constants(*values):
    return [S("ConstantParamScheduler", value=v) for v in values]


LONG = S("CompositeParamScheduler", schedulers=_constants(0.1, 0.2, 0.3, 0.4), lengths=[0.2, 0.4, 0.1, 0.3],
         interval_scaling=["rescaled"] * 4)
LENGTHS_LESS_ONE = S("CompositeParamScheduler", schedulers=_constants(0.1, 0.2), lengths=[0.7, 0.2999],
                     interval_scaling=["rescaled", "rescaled"])


def _mixed(scaling):
    return S("CompositeParamScheduler",
             schedulers=[S("StepParamScheduler", values=[0.1, 0.2, 0.3, 0.4, 0.5], num_updates=10),
                         S("CosineParamScheduler", start_value=0.42, end_value=0.0001)],
             lengths=[0.5, 0.5], interval_scaling=scaling)


def _linear(scaling, same=False):
    first = S("LinearParamScheduler", start_value=0.0, end_value=0.5)
    return S("CompositeParamScheduler",
             schedulers=[first, first if same else S("LinearParamScheduler", start_value=0.5, end_value=1.0)],
             lengths=[0.5, 0.5], interval_scaling=scaling)


@pytest.mark.parametrize("wrap", WRAPS)
def test_composite_long_scheduler(tmp_path, wrap):
    # TestCompositeScheduler.test_long_scheduler
    spec = _wrapped(LONG, wrap)
    _replay(tmp_path, spec, 10, [0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.3, 0.4, 0.4, 0.4] if wrap is None else None)
    _replay(tmp_path, spec, BIG)


@pytest.mark.parametrize("wrap", WRAPS)
def test_composite_lengths_within_epsilon_of_one(tmp_path, wrap):
    # TestCompositeScheduler.test_scheduler_lengths_within_epsilon_of_one: fvcore stretches the last length
    spec = _wrapped(LENGTHS_LESS_ONE, wrap)
    _replay(tmp_path, spec, 10, [0.1] * 7 + [0.2] * 3 if wrap is None else None)
    _replay(tmp_path, spec, BIG)


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("scaling", [["rescaled", "rescaled"], ["fixed", "fixed"], ["rescaled", "fixed"]])
def test_composite_with_mixed_types(tmp_path, wrap, scaling):
    # TestCompositeScheduler.test_scheduler_with_mixed_types: Step then Cosine, rescaled / fixed / rescaled+fixed
    spec = _mixed(scaling)
    s0, s1 = (x.real() for x in spec.kw["schedulers"])
    first = [round(s0(e / 10), 4) for e in (range(0, 10, 2) if scaling[0] == "rescaled" else range(0, 5))]
    second = [round(s1(e / 10), 4) for e in (range(0, 10, 2) if scaling[1] == "rescaled" else range(5, 10))]
    spec = _wrapped(spec, wrap)
    if wrap is not None and wrap.get("rescale") and scaling[1] == "rescaled":
        # after a rescaled warmup of 5 steps the cosine half spans 2.5 steps, entered at where = 0.2 (step 8):
        # CosineAnnealing has no such phase; refused in one line naming the stage and the fix
        msg = _refused(tmp_path, spec, 10, r"^lr_multiplier\.scheduler\.schedulers\[1\]: CosineParamScheduler runs over 2\.5 steps")
        assert "max_iter" in msg and "whole" in msg
    else:
        plan = _replay(tmp_path, spec, 10, first + second if wrap is None else None, decimals=4)
        if wrap is None:  # the cosine stage is defined past where = 1 (fvcore's formula continues): so is the plan
            assert plan.horizon.past == "continue"
            np.testing.assert_allclose(lb.evaluate(plan, 16)[0], LR * _curve(spec.real(), 10, 16), rtol=REL, atol=0)
    _replay(tmp_path, spec, BIG)


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("case", ["rescaled", "fixed-same"])
def test_composite_linear_no_gaps(tmp_path, wrap, case):
    # TestCompositeScheduler.test_linear_scheduler_no_gaps: two linear halves join without a gap (rescaled);
    # the same linear scheduler twice with fixed intervals is that scheduler alone
    if case == "rescaled":
        spec, expected = _linear(["rescaled", "rescaled"]), [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    else:
        spec = _linear(["fixed", "fixed"], same=True)
        expected = [P.LinearParamScheduler(start_value=0.0, end_value=0.5)(e / 10) for e in range(10)]
    spec = _wrapped(spec, wrap)
    _replay(tmp_path, spec, 10, expected if wrap is None else None)  # fvcore: assertEqual
    _replay(tmp_path, spec, BIG)


@pytest.mark.parametrize("change,match", [
    (dict(schedulers="append"), "lengths"),                               # sizes of schedulers and lengths differ
    (dict(lengths=[0.5, 0.4]), "sum"),                                    # sum of lengths < 1
    (dict(lengths=[0.5, 0.6]), "sum"),                                    # sum of lengths > 1
    (dict(interval_scaling=["rescaled", "rescaleds"]), "interval_scaling"),  # bad composition mode
])
def test_composite_invalid_config(tmp_path, change, match):
    # TestCompositeScheduler.test_invalid_config
    spec = _mixed(["rescaled", "rescaled"])
    kw = dict(spec.kw)
    if change.get("schedulers") == "append":
        kw["schedulers"] = kw["schedulers"] + kw["schedulers"][-1:]
    else:
        kw.update(change)
    bad = S("CompositeParamScheduler", **kw)
    with pytest.raises(ValueError):
        bad.real()
    _refused(tmp_path, bad, 10, match)


def test_composite_wrong_number_of_interval_scalings(tmp_path):
    # TestCompositeScheduler.test_invalid_config, "Wrong number composition modes": fvcore's constructor
    # raises there for the lengths it carries over; one scaling for two schedulers fails at its second stage
    bad = S("CompositeParamScheduler", schedulers=_constants(0.1, 0.2), lengths=[0.5, 0.5], interval_scaling=["rescaled"])
    _refused(tmp_path, bad, 10, "interval_scaling")


@pytest.mark.parametrize("max_iter", [3, 7, 13, 999])
def test_composite_long_scheduler_other_max_iters(tmp_path, max_iter):
    # TestCompositeScheduler.test_long_scheduler at max_iters where a stage spans less than a step or a
    # fractional number of steps: fvcore's epsilon skips it or cuts it short; the plan follows
    _replay(tmp_path, LONG, max_iter)
    _replay(tmp_path, _warm(LONG, 0.5, rescale=True), max_iter)


def test_composite_nested(tmp_path):
    # test_scheduler_with_mixed_types' composite as the rescaled second half of test_long_scheduler's shape,
    # and test_linear_scheduler_no_gaps' inside a fixed stage: composites compose as fvcore's __call__ does
    inner = _mixed(["rescaled", "fixed"])
    spec = S("CompositeParamScheduler", schedulers=[S("ConstantParamScheduler", value=0.05), inner,
                                                    _linear(["rescaled", "rescaled"])],
             lengths=[0.25, 0.5, 0.25], interval_scaling=["rescaled", "rescaled", "fixed"])
    for max_iter in (8, 40, 1000):
        _replay(tmp_path, spec, max_iter)


def test_composite_at_a_max_iter_where_the_epsilon_moves_switches(tmp_path):
    # at max_iter ≥ 1e6, where + 1e-6 crosses a running total a step or more early (test_long_scheduler's
    # lengths): stepwise and 'fixed' stages follow fvcore; a rescaled continuous stage would be entered at
    # where < 0, which the plan's cosine cannot start at: refused in one line
    m = 3_000_000
    ks = np.r_[0:5, 599_990:600_010, 1_799_990:1_800_010, 2_099_990:2_100_010, m - 5:m]
    for spec in (LONG, _mixed(["fixed", "fixed"])):
        plan = _load(tmp_path, spec, m).plan
        real = spec.real()
        np.testing.assert_allclose(lb.evaluate(plan, m)[0][ks], [LR * real(k / m) for k in ks], rtol=REL, atol=0)
    _refused(tmp_path, _mixed(["rescaled", "rescaled"]), m, r"schedulers\[1\]: CosineParamScheduler .* where = -")


# -- regressions found by this replay (lrbridge/dialects/detectron2.py) ------------------------------

def test_regression_rescaled_warmup_of_a_fractional_number_of_steps(tmp_path):
    # was refused ("rescale_interval with a warmup of 3.5 steps (not a whole number)") for every main
    # schedule; fvcore's step schedules need no integer offset, and a linear one none either
    for main in (S("MultiStepParamScheduler", num_updates=12, values=MS_VALUES, milestones=[4, 6, 8]),
                 S("StepParamScheduler", num_updates=12, values=MS_VALUES),
                 S("LinearParamScheduler", start_value=0.1, end_value=0.0)):
        _replay(tmp_path, _warm(main, 0.5, rescale=True), 7)
        _replay(tmp_path, _warm(main, 0.35, rescale=True), 1001)
    msg = _refused(tmp_path, _warm(S("CosineParamScheduler", start_value=1, end_value=0), 0.5, rescale=True), 7,
                   r"^lr_multiplier\.scheduler: CosineParamScheduler runs over 3\.5 steps")
    assert "max_iter" in msg


def test_regression_milestones_on_one_step(tmp_path):
    # was refused ("two of its boundaries fall on the same step"): with fewer iterations than num_updates,
    # fvcore jumps over a value; TestMultiStepParamScheduler.test_scheduler's config at max_iter 3 (0.001,
    # for updates 6 and 7 of 12, never applies) and 5
    spec = S("MultiStepParamScheduler", num_updates=12, values=MS_VALUES, milestones=[4, 6, 8])
    _replay(tmp_path, spec, 3, [0.1, 0.01, 0.0001])
    _replay(tmp_path, spec, 5)
    _replay(tmp_path, S("StepParamScheduler", num_updates=12, values=MS_VALUES), 3)


@pytest.mark.parametrize("spec,match", [
    (S("CosineParamScheduler", start_value=1.0), r"^lr_multiplier\.end_value: CosineParamScheduler needs end_value"),
    (S("LinearParamScheduler", start_value="1", end_value=0.0), r"^lr_multiplier\.start_value: .*must be a number"),
    (S("ExponentialParamScheduler", start_value=1.0), r"^lr_multiplier\.decay: "),
    (S("PolynomialDecayParamScheduler", power=2), r"^lr_multiplier\.base_value: "),
    (S("ConstantParamScheduler"), r"^lr_multiplier\.value: "),
])
def test_regression_missing_arguments_are_named(tmp_path, spec, match):
    # was a bare KeyError (or float()'s ValueError): now one line naming the argument. fvcore raises
    # TypeError, at construction for a missing argument, at the first call for a string
    with pytest.raises(TypeError):
        spec.real()(0.5)
    _refused(tmp_path, spec, 10, match)


@pytest.mark.parametrize("main", [S("MultiStepParamScheduler", num_updates=12, values=MS_VALUES, milestones=[4, 6, 8]),
                                  S("CosineParamScheduler", start_value=0.1, end_value=0)])
def test_regression_rescaled_warmup_filling_max_iter(tmp_path, main):
    # was a ZeroDivisionError (MultiStep) or "T_max: ... got 0" (Cosine): detectron2's build_lr_scheduler
    # sets warmup_length = min(WARMUP_ITERS / MAX_ITER, 1.0); with RESCALE_INTERVAL the main schedule's
    # interval has length 0, which fvcore reaches only past max_iter
    spec = _warm(main, 1.0, rescale=True)
    plan = _replay(tmp_path, spec, 90)
    assert plan.horizon.past == "error"
    cfg = {"SOLVER": {"LR_SCHEDULER_NAME": "WarmupCosineLR", "BASE_LR": LR, "MAX_ITER": 90, "WARMUP_ITERS": 200,
                      "RESCALE_INTERVAL": True}}
    plan = d2.to_plan(cfg).plan
    ref = _warmup(P.CosineParamScheduler(start_value=1, end_value=0.0), 0.001, 1.0, "linear", True)
    np.testing.assert_allclose(lb.evaluate(plan, 90)[0], LR * _curve(ref, 90, 90), rtol=REL, atol=0)
