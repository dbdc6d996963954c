"""Param groups whose lr is a float32 tensor (``lr=torch.tensor(0.1)``): torch computes them in float32.

Import: the plan group says ``lr_dtype: float32`` (the reference rounds it to float32) and the
closed form is kept where torch's own stepped float32 lrs are within ``F32_ULP_BOUND`` (4)
ulps of it; a float32 recursion that drifts further is tabulated (torch's own values, 0 ulp).
Export: such a group is held as a float32 tensor, written with ``fill_``, 0 ulp from the reference.
Every curve here is torch's own, stepped on a real optimizer.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge
from lrbridge import OptimizerSpec, ParamGroup, Plan, evaluate
from lrbridge.conformance import Target, ulp_distance
from lrbridge.errors import PlanError
from lrbridge.schedules import CosineAnnealing as Cosine, CosineWarmRestarts as CosineRestarts, Exponential, Step
from torch_testlib import stepped

pytestmark = pytest.mark.torch

N = 40


def _opt(torch, lrs=(0.1, 0.02), momentum=0.9, tensor=(True, True)):
    """SGD with one tiny parameter per group, each group's lr a float32 tensor (where ``tensor`` says)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": torch.tensor(lr) if t else lr} for p, lr, t in zip(params, lrs, tensor)]
    return torch.optim.SGD(groups, lr=0.1, momentum=momentum)


def _cases(torch):
    """name -> (scheduler factory, closed form expected at N steps).

    Measured: a class that evaluates each lr with a few float32 operations stays within 3 ulps of
    the float32-rounded closed form; ExponentialLR(0.9)'s float32 recursion is 16 ulps off by step 40.
    """
    L = torch.optim.lr_scheduler
    return {
        "step": (lambda o: L.StepLR(o, 3, 0.5), True),
        "step-0.1": (lambda o: L.StepLR(o, 10, 0.1), True),
        "multistep": (lambda o: L.MultiStepLR(o, [7, 3, 3], 0.5), True),
        "constant": (lambda o: L.ConstantLR(o, 1 / 3, 5), True),
        "linear": (lambda o: L.LinearLR(o, 0.25, 1.0, 5), True),
        "polynomial": (lambda o: L.PolynomialLR(o, 10, 2.0), True),
        "cosine": (lambda o: L.CosineAnnealingLR(o, 7, 1e-3), True),
        "warm-restarts": (lambda o: L.CosineAnnealingWarmRestarts(o, 2, 2, 1e-3), True),
        "cyclic": (lambda o: L.CyclicLR(o, 0.01, [0.1, 0.2], 4, 6, mode="exp_range", gamma=0.97), True),
        "onecycle": (lambda o: L.OneCycleLR(o, [1.0, 0.5], total_steps=N, three_phase=True, anneal_strategy="linear"), True),
        "sequential": (lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 5), L.CosineAnnealingWarmRestarts(o, 10)], [5]), True),
        "chained": (lambda o: L.ChainedScheduler([L.StepLR(o, 10, 0.5), L.ConstantLR(o, 0.5, 5)]), True),
        "lambda": (lambda o: L.LambdaLR(o, [lambda t: min(1.0, (t + 1) / 10), lambda t: 1 / (t + 1)]), True),
        "lambda-irregular": (lambda o: L.LambdaLR(o, lambda t: 1.0 / (1 + (t * 7919) % 13)), False),
        "exponential": (lambda o: L.ExponentialLR(o, 0.9), False),
        "chained-exponential": (lambda o: L.ChainedScheduler([L.ExponentialLR(o, 0.9), L.StepLR(o, 2, 0.5)]), False),
    }


CASES = ["step", "step-0.1", "multistep", "constant", "linear", "polynomial", "cosine", "warm-restarts", "cyclic",
         "onecycle", "sequential", "chained", "lambda", "lambda-irregular", "exponential", "chained-exponential"]


@pytest.mark.parametrize("case", CASES)
def test_tensor_lr_import_is_torchs_float32_curve(torch, case):
    from lrbridge_torch import from_torch
    from lrbridge_torch.tables import F32_ULP_BOUND

    make, closed_form = _cases(torch)[case]
    result = from_torch(make(_opt(torch)), steps=N)
    assert result.exact is closed_form, result.notes
    assert [g.lr_dtype for g in result.plan.groups] == ["float32", "float32"]
    assert any("float32" in n for n in result.notes)
    real = stepped(make(_opt(torch)), N)
    ulps = int(ulp_distance(evaluate(result.plan, N), real).max())
    # closed form: within the stated bound of torch's own float32 values; a table: torch's values exactly
    assert ulps <= (F32_ULP_BOUND if closed_form else 0), (ulps, result.notes)


def test_long_recursion_is_tabulated_closed_forms_stay(torch):
    """ExponentialLR(0.999)'s float32 recursion drifts by tens of ulps over 2,000 steps: kept as torch's
    table, saying so; CosineAnnealingWarmRestarts (a closed form each step) stays within the bound."""
    from lrbridge_torch import from_torch
    from lrbridge_torch.tables import F32_ULP_BOUND

    L = torch.optim.lr_scheduler
    n = 2000
    drift = from_torch(L.ExponentialLR(_opt(torch, (0.5,)), 0.999), steps=n)
    assert not drift.exact and drift.plan.scheduler.kind == "tabulated"
    assert any("drifts" in note and "ulps" in note for note in drift.notes), drift.notes
    assert int(ulp_distance(evaluate(drift.plan, n), stepped(L.ExponentialLR(_opt(torch, (0.5,)), 0.999), n)).max()) == 0

    make = lambda o: L.CosineAnnealingWarmRestarts(o, 50, 2, 1e-4)  # noqa: E731
    kept = from_torch(make(_opt(torch, (0.5,))), steps=n)
    assert kept.exact and kept.plan.scheduler.kind == "cosine_restarts", kept.notes
    assert int(ulp_distance(evaluate(kept.plan, n), stepped(make(_opt(torch, (0.5,))), n)).max()) <= F32_ULP_BOUND


def test_python_float_lrs_keep_float64_groups(torch):
    from lrbridge_torch import from_torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    result = from_torch(torch.optim.lr_scheduler.ExponentialLR(opt, 0.9), steps=N)
    assert result.exact and result.plan.groups[0].lr_dtype == "float64"
    assert "lr_dtype" not in lrbridge.dumps_plan(result.plan)


# -- the reference and the IR ---------------------------------------------------------------------


def _plan(schedule, dtype="float32", horizon=None) -> Plan:
    groups = (ParamGroup(name="enc", params=("enc.*",), lr=0.1, lr_dtype=dtype),
              ParamGroup(name="head", rest=True, lr=0.02))
    kw = {} if horizon is None else {"horizon": horizon}
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), groups=groups, scheduler=schedule, **kw)


def test_reference_rounds_float32_groups_only():
    f32, f64 = evaluate(_plan(Cosine(T_max=30)), N), evaluate(_plan(Cosine(T_max=30), "float64"), N)
    assert np.array_equal(f32[0], f64[0].astype(np.float32).astype(np.float64))
    assert not np.array_equal(f32[0], f64[0])  # the float64 cosine is not float32-representable
    assert np.array_equal(f32[1], f64[1])  # the other group keeps its float64 reference


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_lr_dtype_round_trips_through_documents(fmt):
    plan = _plan(Exponential(gamma=0.9))
    text = lrbridge.dumps_plan(plan, fmt)
    assert "lr_dtype" in text and text.count("lr_dtype") == 1  # the float64 default is left out
    back = lrbridge.parse_plan(text, fmt)
    assert back == plan and back.groups[0].lr_dtype == "float32"


def test_unknown_lr_dtype_is_refused():
    with pytest.raises(PlanError, match="lr_dtype"):
        ParamGroup(name="g", rest=True, lr_dtype="float16")


# -- export: float32 tensors written with fill_, 0 ulp ----------------------------------------------


class _Model:
    def __init__(self, torch):
        self.enc = torch.nn.Linear(2, 2)
        self.head = torch.nn.Linear(2, 1)

    def named_parameters(self):
        return [(f"enc.{n}", p) for n, p in self.enc.named_parameters()] + \
               [(f"head.{n}", p) for n, p in self.head.named_parameters()]


def test_param_groups_hold_float32_tensors(torch):
    from lrbridge_torch import torch_optimizer, torch_param_groups

    plan = _plan(Exponential(gamma=0.9))
    pgs = torch_param_groups(plan, _Model(torch))
    assert isinstance(pgs[0]["lr"], torch.Tensor) and pgs[0]["lr"].dtype == torch.float32
    assert isinstance(pgs[1]["lr"], float)
    opt = torch_optimizer(plan, _Model(torch))
    assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)


@pytest.mark.parametrize("case", ["cosine", "exponential", "warm-restarts", "onecycle", "lambda"])
def test_round_trip_from_torch_to_torch_is_the_reference(torch, case):
    """from_torch (tensor lrs) -> to_torch on a tensor-lr optimizer -> real SGD steps: 0 ulp from the plan."""
    from lrbridge_torch import from_torch, to_torch
    from lrbridge_torch.runner import RUNNER

    make, _ = _cases(torch)[case]
    plan = from_torch(make(_opt(torch)), steps=N).plan
    if case == "onecycle":  # the probe measures lr with momentum 0: keep the cycled momentum out of it
        plan = plan.model_copy(update={"groups": tuple(g.model_copy(update={"hparam_schedulers": {}}) for g in plan.groups)})
    applied = RUNNER.measure(plan, N, Target("torch", "eager", "cpu"))
    assert int(ulp_distance(applied, evaluate(plan, N)).max()) == 0

    opt = _opt(torch)
    tensors = [pg["lr"] for pg in opt.param_groups]
    sched = to_torch(plan, opt)
    held = stepped(sched, N)
    assert all(pg["lr"] is t for pg, t in zip(opt.param_groups, tensors))  # still the user's tensors, filled in place
    assert int(ulp_distance(held, evaluate(plan, N)).max()) == 0


def test_native_class_only_where_exact_in_float32(torch):
    """A native class is chosen for a float32 group only where torch's float32 arithmetic is exact (0 ulp)."""
    from lrbridge_torch import to_torch

    as_planned = (True, False)  # _plan: 'enc' float32, 'head' float64
    halving = to_torch(_plan(Step(step_size=3, gamma=0.5)), _opt(torch, tensor=as_planned))
    assert halving.lrbridge_kind == "native"  # lr·0.5 is exact in float32
    # CosineAnnealingWarmRestarts rounds (b − η)·fp32(c) once in float32: 1 ulp off, so the closed form
    for schedule, cls in [(CosineRestarts(T_0=5), "CosineAnnealingWarmRestarts"), (Cosine(T_max=30), "CosineAnnealingLR")]:
        sched = to_torch(_plan(schedule), _opt(torch, tensor=as_planned))
        assert sched.lrbridge_kind == "closed_form" and cls in sched.lrbridge_reason
        assert int(ulp_distance(stepped(sched, N), evaluate(_plan(schedule), N)).max()) == 0
    # a float64 plan on an optimizer holding float32 tensors: only the closed form is known exact
    plan64 = _plan(Step(step_size=3, gamma=0.5), "float64")
    mixed = to_torch(plan64, _opt(torch))
    assert mixed.lrbridge_kind == "closed_form" and "float32 tensor" in mixed.lrbridge_reason
    assert int(ulp_distance(stepped(mixed, N), evaluate(plan64, N)).max()) == 0


def test_resume_keeps_tensor_lrs(torch):
    from lrbridge_torch.resume import resume_scheduler

    plan = _plan(Cosine(T_max=30))
    opt = _opt(torch)
    sched, _ = resume_scheduler(plan, opt, 10)  # the next optimizer step applies lr(10)
    assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)
    held = stepped(sched, 5)
    assert int(ulp_distance(held, evaluate(plan, np.arange(10, 15))).max()) == 0


@pytest.mark.parametrize("tensor", [True, False])
def test_generated_native_module_keeps_tensor_lrs(torch, tensor):
    """`convert --to torch`: a float32 plan's native module fills a tensor lr in place (exact either way)."""
    import types

    from lrbridge.convert import render

    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=Step(step_size=3, gamma=0.5),
                groups=(ParamGroup(name="default", rest=True, lr=0.1, lr_dtype="float32"),))
    code = render(plan, to="torch", steps=N, fmt="python")
    assert "from torch.optim import lr_scheduler" in code and "fill_" in code
    module = types.ModuleType("generated")
    exec(compile(code, "generated.py", "exec"), module.__dict__)  # lrbridge's own output, not user input
    opt = _opt(torch, (0.5,), tensor=(tensor,))
    lr = opt.param_groups[0]["lr"]
    held = stepped(module.build_scheduler(opt), N)
    assert (opt.param_groups[0]["lr"] is lr) == tensor
    assert int(ulp_distance(held, evaluate(plan, N)).max()) == 0
