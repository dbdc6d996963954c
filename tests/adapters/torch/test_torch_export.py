"""IR -> torch: the lr torch really applies (measured through SGD steps) equals the reference.

Tolerance: 0 float32 ulp. torch computes the lr in float64 and SGD applies
fp32(lr) exactly (framework-semantics §3), and the native classes used recur
for at most 60 steps here, far below the float64 drift that could flip a
float32 rounding (≤ 5e-12 relative after 10k steps).
"""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import evaluate
from lrbridge.conformance import Target, compare, measure
from lrbridge.errors import EvaluationError, UnrepresentableError
from lrbridge.reference import evaluate_hparam
from lrbridge.schedules import (
    ByEpoch, Chained, Constant, ConstantFactor, CosineAnnealing, CosineDecay, CosineWarmRestarts, Cyclic,
    Exponential, InverseSqrt, InverseTimeDecay, LinearRamp, MultiStep, NaturalExpDecay, Noam, OneCycle,
    Piecewise, Polynomial, ReduceOnPlateau, Sequential, Step, Tabulated, Warmup,
)
from torch_testlib import sgd, stepped, two_group_plan

N = 60
# (schedule, torch class to_torch must emit, or None for the closed-form PlanLR)
FAMILIES = [
    (Constant(), "ConstantLR"),
    (ConstantFactor(factor=0.5, total_iters=3), "ConstantLR"),
    (LinearRamp(start_factor=0.1, total_iters=7), "LinearLR"),
    (LinearRamp(start_factor=0.0, total_iters=7), None),  # torch rejects start_factor 0
    (Step(step_size=3, gamma=0.5), "StepLR"),
    (MultiStep(milestones=(0, 2, 5), gamma=0.3), "MultiStepLR"),
    (Piecewise(boundaries=(3, 6), values=(0.1, 0.05, 0.01)), None),
    (Exponential(gamma=0.9), "ExponentialLR"),
    (Exponential(gamma=0.5, decay_steps=3), None),
    (Exponential(gamma=0.5, decay_steps=3, staircase=True), "StepLR"),
    (NaturalExpDecay(decay_rate=0.1, decay_steps=4, staircase=True), None),
    (InverseTimeDecay(decay_rate=0.2), None),
    (CosineAnnealing(T_max=10), "CosineAnnealingLR"),  # periodic past T_max
    (CosineAnnealing(T_max=10, eta_min=0.001), None),  # absolute eta_min with lr_scale 0.5
    (CosineDecay(decay_steps=10, min_lr=0.001, alpha=0.1), None),
    (CosineWarmRestarts(T_0=3, T_mult=2), "CosineAnnealingWarmRestarts"),
    (CosineWarmRestarts(T_0=3, T_mult=2, decay_rate=0.5, restart_limit=3), None),
    (Polynomial(total_iters=10, power=2.0), "PolynomialLR"),
    (Polynomial(total_iters=10, end_lr=0.001, cycle=True, cycle_min_step=1), None),
    (OneCycle(total_steps=50, max_lr=1.0, three_phase=True), None),  # lr_scale on absolute bounds
    (Cyclic(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="triangular2"), None),
    (InverseSqrt(warmup_steps=5), None),
    (Noam(d_model=64.0, warmup_steps=5), None),
    (Tabulated(values=(0.1, 0.2, 0.3), relative=True), None),
    (Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=5), CosineAnnealing(T_max=20)), milestones=(5,)), "SequentialLR"),
    (Sequential(stages=(ConstantFactor(factor=0.5, total_iters=2), Exponential(gamma=0.5)), milestones=(0,)), "SequentialLR"),
    (Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=5), CosineAnnealing(T_max=20)), milestones=(5,), clock="global"), None),
    (Chained(schedules=(Exponential(gamma=0.9), Step(step_size=2, gamma=0.5), LinearRamp(start_factor=0.2, total_iters=9))), "ChainedScheduler"),
    (Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2, gamma=0.5))), None),
    (Warmup(schedule=CosineAnnealing(T_max=20), warmup_steps=5), None),
    (ByEpoch(schedule=Step(step_size=2, gamma=0.5), steps_per_epoch=3), None),
]


@pytest.mark.parametrize("schedule,native", FAMILIES, ids=[f"{s.kind}-{n or 'closed'}-{i}" for i, (s, n) in enumerate(FAMILIES)])
def test_every_family_measured_equals_reference(torch, schedule, native):
    plan = two_group_plan(schedule)  # base lrs 0.1 / 0.02, lr_scale 1 / 0.5
    measured = measure(plan, N, Target("torch", "eager")).lr
    cmp = compare(measured, evaluate(plan, N), group_names=plan.group_names, metric="ulp", tolerance=0)
    assert cmp.ok, str(cmp)
    from lrbridge_torch import to_torch

    sched = to_torch(plan, sgd(torch))
    assert type(sched).__name__ == (native or "PlanLR"), getattr(sched, "lrbridge_reason", "")


def test_closed_form_equals_native_for_native_families(torch):
    from lrbridge_torch.runner import RUNNER

    plan = two_group_plan(Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=5), CosineWarmRestarts(T_0=4, T_mult=2)), milestones=(5,)))
    native = RUNNER.measure(plan, N, Target("torch", "eager"))
    closed = RUNNER.measure(plan, N, Target("torch", "eager"), native=False)
    assert compare(closed, native, metric="ulp", tolerance=0).ok


def test_chained_is_the_ir_product_not_torchs_recursive_composition(torch):
    # torch's ChainedScheduler([Cosine(4), Step(2, .5)]) gives 0.146447 at k = 5; the IR
    # (and OneFlow) compose closed forms: (1 + cos(5π/4))/2 · 0.5² = 0.036612 (for b = 1; the plan's b is 0.1)
    from lrbridge_torch import to_torch

    plan = two_group_plan(Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2, gamma=0.5))), scales=(1.0, 1.0))
    lrs = stepped(to_torch(plan, sgd(torch)), 6)
    assert lrs[0, 5] == pytest.approx(0.1 * 0.0366116523516816, rel=1e-12)


def test_boundary_steps_of_step_and_onecycle(torch):
    """Milestones and phase ends, read exactly there (rel 1e-12 on the float64 group lr)."""
    from lrbridge_torch import to_torch

    plan = two_group_plan(MultiStep(milestones=(3, 7), gamma=0.1), scales=(1.0, 1.0))
    lrs = stepped(to_torch(plan, sgd(torch)), 9)
    np.testing.assert_allclose(lrs[0, [2, 3, 6, 7]], [0.1, 0.01, 0.01, 0.001], rtol=1e-12)
    oc = OneCycle(total_steps=10, max_lr=1.0, pct_start=0.3)  # peak at k = pct·N − 1 = 2, final at k = 9
    lrs = stepped(to_torch(two_group_plan(oc, scales=(1.0, 1.0), horizon={"steps": 11}), sgd(torch)), 11)
    np.testing.assert_allclose(lrs[0, [0, 2, 9]], [0.04, 1.0, 0.04 / 1e4], rtol=1e-12)


def test_per_group_scheduler_overrides(torch):
    from lrbridge import OptimizerSpec, ParamGroup, Plan

    plan = Plan(
        optimizer=OptimizerSpec(name="sgd", lr=0.1),
        groups=(
            ParamGroup(name="a", params=("a.*",), lr=0.3, scheduler=CosineAnnealing(T_max=9, eta_min=0.01)),
            ParamGroup(name="b", rest=True, lr_scale=2.0),
        ),
        scheduler=Step(step_size=4, gamma=0.5),
    )
    cmp = compare(measure(plan, 40, Target("torch", "eager")).lr, evaluate(plan, 40), metric="ulp", tolerance=0)
    assert cmp.ok, str(cmp)


def test_momentum_cycling_is_written_into_the_groups(torch):
    """Scheduled momentum (CyclicLR-style) reaches the optimizer's groups (rel 1e-12)."""
    from lrbridge_torch import to_torch
    from lrbridge_torch.capability import momentum_schedule
    from lrbridge import OptimizerSpec, ParamGroup, Plan

    cyc = Cyclic(base_lr=0.01, max_lr=0.1, step_size_up=3)
    groups = (ParamGroup(name="g", rest=True, hparam_schedulers={"momentum": momentum_schedule(cyc, 0.8, 0.9)}),)
    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1, hparams={"momentum": 0.9}), groups=groups, scheduler=cyc)
    for native in (True, False):
        opt = sgd(torch, lrs=(0.1,))
        sched = to_torch(plan, opt, native=native)
        assert type(sched).__name__ == ("CyclicLR" if native else "PlanLR")
        np.testing.assert_allclose(stepped(sched, 14, "momentum"), evaluate_hparam(plan, "momentum", 14), rtol=1e-12)


def test_plateau_maps_to_torch_and_never_evaluates(torch):
    from lrbridge_torch import to_torch

    plan = two_group_plan(ReduceOnPlateau(factor=0.5, patience=1, min_lr=1e-4), scales=(1.0, 1.0))
    sched = to_torch(plan, sgd(torch))
    assert type(sched).__name__ == "ReduceLROnPlateau"
    for metric in (1.0, 1.0, 1.0, 1.0):
        sched.step(metric)
    assert [g["lr"] for g in sched.optimizer.param_groups] == pytest.approx([0.05, 0.01], rel=1e-12)
    with pytest.raises(EvaluationError, match="metric"):
        evaluate(plan, 3)
    nested = two_group_plan(Sequential(stages=(Constant(), ReduceOnPlateau()), milestones=(3,)))
    with pytest.raises(UnrepresentableError, match="group 'enc'.*nested in 'sequential'"):
        to_torch(nested, sgd(torch))


def test_cuda_runner_or_a_clear_reason(torch):
    from lrbridge_torch.runner import RUNNER

    target = Target("torch", "eager", "cuda")
    if not torch.cuda.is_available():
        assert "no CUDA device" in RUNNER.unavailable(target)
        pytest.skip("no CUDA device here; the runner says so")
    plan = two_group_plan(CosineAnnealing(T_max=10))
    assert compare(measure(plan, N, target).lr, evaluate(plan, N), metric="ulp", tolerance=0).ok
