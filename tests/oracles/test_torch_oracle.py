"""PyTorch oracle: lrbridge's reference evaluator against torch's own schedulers.

Each case builds a torch scheduler natively on SGD with three groups of different
base lrs, steps it (``opt.step(); sched.step()``), records the lr every group had
before optimizer step k, and asserts that ``lrbridge.evaluate`` of the
hand-built equivalent IR plan gives the same numbers.

Tolerance: torch computes in Python floats, so both sides are float64 and are
compared by relative error ≤ 1e-12 (``compare(metric="rel")``; an exact 0 in the
reference is compared absolutely). torch mostly updates lrs *recursively* (each
step multiplies the current lr), so horizons are chosen to cross every boundary
(milestones, k = T_max, restarts, wrap-around) while staying where that
recursion's float64 drift is below 1e-12; ``test_cosine_recursion_drift_bound``
documents the drift over a long horizon instead of loosening the reference.

Facts found here that are not a plain "equal" (also in ``torch_native.TORCH_TO_IR``):
ConstantLR/LinearLR with total_iters=0, ConstantLR(factor=0), MultiStepLR
multiplicity, SequentialLR milestone 0 / repeated / nested, ChainedScheduler
not being a product, CosineAnnealingWarmRestarts.step(epoch) float-log bug,
OneCycleLR refusing steps past total_steps, CyclicLR momentum cycling.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from torch_native import TORCH_TO_IR, plan_for, run_native

from lrbridge.conformance import compare
from lrbridge.reference import evaluate
from lrbridge.schedules import (
    Chained,
    ConstantFactor,
    CosineAnnealing,
    CosineWarmRestarts,
    Cyclic,
    Exponential,
    LinearRamp,
    MultiStep,
    OneCycle,
    Polynomial,
    Sequential,
    Step,
    Tabulated,
)

pytestmark = pytest.mark.torch

#: three groups, base lrs several decades apart
BASES = (0.1, 3e-4, 1.0)
#: float64 vs float64: relative error bound for every exact case
REL_TOL = 1e-12


@dataclass(frozen=True)
class Case:
    id: str
    native: Callable  # (lr_scheduler module, optimizer) -> scheduler
    ir: object  # the plan's schedule
    steps: int
    bases: tuple[float, ...] = BASES
    group_ir: tuple | None = None  # per-group schedule overrides
    marks: tuple = ()

    def param(self):
        return pytest.param(self, id=self.id, marks=self.marks)


def assert_matches(torch, case: Case, tolerance: float = REL_TOL):
    """Native torch curve == lrbridge reference, float64 relative error ≤ ``tolerance``."""
    native = run_native(torch, case.native, case.bases, case.steps)
    plan = plan_for(case.ir, case.bases, case.group_ir)
    reference = evaluate(plan, case.steps)
    result = compare(native, reference, group_names=plan.group_names, metric="rel", tolerance=tolerance)
    assert result.ok, f"{case.id}: {result}"
    return native, reference


def _lambda_decay(k):
    return 1.0 / (1.0 + 0.05 * k)


def _lambda_wave(k):
    return 0.5 + 0.5 * math.cos(0.3 * k)


def _lambda_warm(k):
    return min(1.0, (k + 1) / 8)


# --------------------------------------------------------------------------- single-scheduler families
FAMILY_CASES = [
    # ConstantLR: b·f for k < T, then b. The recursion multiplies by f at k=0 and by 1/f at k=T.
    Case(
        "ConstantLR-f0.5-T4",
        lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=4),
        ConstantFactor(factor=0.5, total_iters=4),
        10,
    ),
    Case("ConstantLR-default-1/3-T5", lambda L, o: L.ConstantLR(o), ConstantFactor(), 9),
    # factor edge: 1.0 is the identity (torch accepts 0 ≤ f ≤ 1; f = 0 is tested separately)
    Case(
        "ConstantLR-f1-T3",
        lambda L, o: L.ConstantLR(o, factor=1.0, total_iters=3),
        ConstantFactor(factor=1.0, total_iters=3),
        6,
    ),
    Case(
        "ConstantLR-T1",
        lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=1),
        ConstantFactor(factor=0.25, total_iters=1),
        4,
    ),
    # LinearLR: b·(s + (e − s)·min(k, T)/T), recursive ratio updates in torch
    Case(
        "LinearLR-warmup-0.1to1-T10",
        lambda L, o: L.LinearLR(o, 0.1, 1.0, 10),
        LinearRamp(start_factor=0.1, end_factor=1.0, total_iters=10),
        16,
    ),
    Case(
        "LinearLR-decay-1to0.05-T8",
        lambda L, o: L.LinearLR(o, 1.0, 0.05, 8),
        LinearRamp(start_factor=1.0, end_factor=0.05, total_iters=8),
        12,
    ),
    Case(
        "LinearLR-to-zero-T6",
        lambda L, o: L.LinearLR(o, 0.5, 0.0, 6),
        LinearRamp(start_factor=0.5, end_factor=0.0, total_iters=6),
        10,
    ),
    Case("LinearLR-default", lambda L, o: L.LinearLR(o), LinearRamp(), 8),
    # StepLR
    Case("StepLR-3-0.5", lambda L, o: L.StepLR(o, 3, 0.5), Step(step_size=3, gamma=0.5), 20),
    Case("StepLR-1-0.9", lambda L, o: L.StepLR(o, 1, 0.9), Step(step_size=1, gamma=0.9), 40),
    # MultiStepLR
    Case(
        "MultiStepLR-2,5,9",
        lambda L, o: L.MultiStepLR(o, [2, 5, 9], 0.1),
        MultiStep(milestones=(2, 5, 9), gamma=0.1),
        14,
    ),
    # milestone 0 decays from the very first step (torch's constructor step is at last_epoch 0)
    Case(
        "MultiStepLR-milestone0",
        lambda L, o: L.MultiStepLR(o, [0, 4], 0.5),
        MultiStep(milestones=(0, 4), gamma=0.5),
        8,
    ),
    # torch keeps milestones in a Counter: order is irrelevant and a milestone listed twice decays by γ².
    # IR MultiStep wants strictly increasing milestones, so the multiplicity is a second layer in a Chained.
    Case(
        "MultiStepLR-unsorted-duplicate-5,0,2,2",
        lambda L, o: L.MultiStepLR(o, [5, 0, 2, 2], 0.5),
        Chained(schedules=(MultiStep(milestones=(0, 2, 5), gamma=0.5), MultiStep(milestones=(2,), gamma=0.5))),
        9,
    ),
    # ExponentialLR: recursive lr·γ; 2000 steps keep the product's rounding (~k ulp) far below 1e-12
    Case("ExponentialLR-0.9", lambda L, o: L.ExponentialLR(o, 0.9), Exponential(gamma=0.9), 60),
    Case("ExponentialLR-0.999-2000", lambda L, o: L.ExponentialLR(o, 0.999), Exponential(gamma=0.999), 2000),
    # MultiplicativeLR with a constant factor is ExponentialLR (b·∏_{j=1..k} γ)
    Case(
        "MultiplicativeLR-const-0.95",
        lambda L, o: L.MultiplicativeLR(o, lambda k: 0.95),
        Exponential(gamma=0.95),
        100,
    ),
    # PolynomialLR: reaches exactly 0 at k = T and stays there
    Case("PolynomialLR-T8-p1", lambda L, o: L.PolynomialLR(o, 8, 1.0), Polynomial(total_iters=8, power=1.0), 12),
    Case("PolynomialLR-T8-p2", lambda L, o: L.PolynomialLR(o, 8, 2.0), Polynomial(total_iters=8, power=2.0), 12),
    Case("PolynomialLR-T20-p0.5", lambda L, o: L.PolynomialLR(o, 20, 0.5), Polynomial(total_iters=20, power=0.5), 25),
    Case("PolynomialLR-default", lambda L, o: L.PolynomialLR(o), Polynomial(total_iters=5, power=1.0), 8),
    # CosineAnnealingLR: k = T_max, 2·T_max, 3·T_max are all crossed; periodic past T_max
    Case("CosineAnnealingLR-T10", lambda L, o: L.CosineAnnealingLR(o, 10), CosineAnnealing(T_max=10), 36),
    Case(
        "CosineAnnealingLR-T10-eta1e-4",
        lambda L, o: L.CosineAnnealingLR(o, 10, 1e-4),
        CosineAnnealing(T_max=10, eta_min=1e-4),
        36,
    ),
    Case(
        "CosineAnnealingLR-T1",
        lambda L, o: L.CosineAnnealingLR(o, 1, 1e-5),
        CosineAnnealing(T_max=1, eta_min=1e-5),
        7,
    ),
    Case(
        "CosineAnnealingLR-T50-eta1e-5",
        lambda L, o: L.CosineAnnealingLR(o, 50, 1e-5),
        CosineAnnealing(T_max=50, eta_min=1e-5),
        160,
    ),
    # CosineAnnealingWarmRestarts via step(): T_cur/T_i are exact integers; long horizons cross many restarts
    Case(
        "CAWR-T0=10-mult1-5000",
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 10, 1),
        CosineWarmRestarts(T_0=10, T_mult=1),
        5000,
    ),
    Case(
        "CAWR-T0=3-mult2-5000",
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 3, 2),
        CosineWarmRestarts(T_0=3, T_mult=2),
        5000,
    ),
    Case(
        "CAWR-T0=1-mult3-5000",
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 1, 3),
        CosineWarmRestarts(T_0=1, T_mult=3),
        5000,
    ),
    Case(
        "CAWR-T0=5-mult2-eta1e-5",
        lambda L, o: L.CosineAnnealingWarmRestarts(o, 5, 2, eta_min=1e-5),
        CosineWarmRestarts(T_0=5, T_mult=2, eta_min=1e-5),
        400,
    ),
    # CyclicLR (lr only, absolute bounds; momentum cycling is off here, see test_cyclic_momentum_is_outside_the_ir)
    Case(
        "CyclicLR-triangular-up4-down6",
        lambda L, o: L.CyclicLR(o, 1e-3, 0.1, step_size_up=4, step_size_down=6, cycle_momentum=False),
        Cyclic(base_lr=1e-3, max_lr=0.1, step_size_up=4, step_size_down=6),
        41,
    ),
    Case(
        "CyclicLR-triangular2-up5",
        lambda L, o: L.CyclicLR(o, 1e-4, 1e-2, step_size_up=5, mode="triangular2", cycle_momentum=False),
        Cyclic(base_lr=1e-4, max_lr=1e-2, step_size_up=5, mode="triangular2"),
        51,
    ),
    Case(
        "CyclicLR-exp_range-0.99",
        lambda L, o: L.CyclicLR(
            o, 1e-3, 0.5, step_size_up=3, step_size_down=5, mode="exp_range", gamma=0.99, cycle_momentum=False
        ),
        Cyclic(base_lr=1e-3, max_lr=0.5, step_size_up=3, step_size_down=5, mode="exp_range", gamma=0.99),
        64,
    ),
    # OneCycleLR: read up to k = total_steps (torch raises one step later)
    Case(
        "OneCycleLR-cos-N20",
        lambda L, o: L.OneCycleLR(o, 0.5, total_steps=20),
        OneCycle(total_steps=20, max_lr=0.5),
        21,
    ),
    Case(
        "OneCycleLR-linear-N20",
        lambda L, o: L.OneCycleLR(o, 0.5, total_steps=20, anneal_strategy="linear"),
        OneCycle(total_steps=20, max_lr=0.5, anneal_strategy="linear"),
        20,  # torch's k = 20 (computed by the last step(), never applied) extrapolates below 0: the reference refuses it
    ),
    # pct·N − 1 = 1.5: a fractional phase end
    Case(
        "OneCycleLR-cos-N10-pct0.25-div10",
        lambda L, o: L.OneCycleLR(o, 2.0, total_steps=10, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
        OneCycle(total_steps=10, max_lr=2.0, pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
        11,
    ),
    Case(
        "OneCycleLR-three_phase-N30-pct0.25",
        lambda L, o: L.OneCycleLR(o, 0.5, total_steps=30, pct_start=0.25, three_phase=True),
        OneCycle(total_steps=30, max_lr=0.5, pct_start=0.25, three_phase=True),
        31,
    ),
    Case(
        "OneCycleLR-three_phase-linear-epochs",
        lambda L, o: L.OneCycleLR(o, 0.5, epochs=4, steps_per_epoch=10, three_phase=True, anneal_strategy="linear"),
        OneCycle(total_steps=40, max_lr=0.5, three_phase=True, anneal_strategy="linear"),
        40,  # k = 40 (never applied) extrapolates below 0, as above
    ),
    # LambdaLR: b·λ(k), imported by sampling λ over the horizon
    Case(
        "LambdaLR-inverse-time",
        lambda L, o: L.LambdaLR(o, _lambda_decay),
        Tabulated(values=tuple(_lambda_decay(k) for k in range(50)), relative=True),
        50,
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in FAMILY_CASES])
def test_family_matches_torch(torch, case):
    assert_matches(torch, case)


# --------------------------------------------------------------------------- SequentialLR
SEQUENTIAL_CASES = [
    # torch restarts every later stage at local step 0 (it calls _update_lr(0) at the milestone)
    Case(
        "SequentialLR-constant-cosine-restart",
        lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.CosineAnnealingLR(o, 4)], [2]),
        Sequential(stages=(ConstantFactor(factor=0.1, total_iters=2), CosineAnnealing(T_max=4)), milestones=(2,)),
        12,
    ),
    Case(
        "SequentialLR-linear-warmup-cosine",
        lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.01, 1.0, 5), L.CosineAnnealingLR(o, 20, 1e-5)], [5]),
        Sequential(
            stages=(
                LinearRamp(start_factor=0.01, end_factor=1.0, total_iters=5),
                CosineAnnealing(T_max=20, eta_min=1e-5),
            ),
            milestones=(5,),
        ),
        40,
    ),
    Case(
        "SequentialLR-3-stages-linear-exp-step",
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.25, 1.0, 4), L.ExponentialLR(o, 0.8), L.StepLR(o, 2, 0.5)], [3, 8]
        ),
        Sequential(
            stages=(LinearRamp(start_factor=0.25, total_iters=4), Exponential(gamma=0.8), Step(step_size=2, gamma=0.5)),
            milestones=(3, 8),
        ),
        16,
    ),
    # Milestone 0 (measured): stage 0 never applies; stage 1 starts at k = 0 on its local step 0
    # (torch's constructor picks bisect_right(milestones, 0) = 1). Same as IR milestone 0.
    Case(
        "SequentialLR-milestone0-skips-first-stage",
        lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.CosineAnnealingLR(o, 4)], [0]),
        Sequential(stages=(ConstantFactor(factor=0.1, total_iters=2), CosineAnnealing(T_max=4)), milestones=(0,)),
        10,
    ),
    Case(
        "SequentialLR-milestones-0,3",
        lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.ExponentialLR(o, 0.5), L.StepLR(o, 2, 0.1)], [0, 3]),
        Sequential(
            stages=(ConstantFactor(factor=0.1, total_iters=2), Exponential(gamma=0.5), Step(step_size=2, gamma=0.1)),
            milestones=(0, 3),
        ),
        9,
    ),
    # A repeated milestone (measured): the stage between the two never applies; the IR, which wants
    # strictly increasing milestones, drops that stage.
    Case(
        "SequentialLR-repeated-milestone-2,2",
        lambda L, o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.ExponentialLR(o, 0.5), L.StepLR(o, 2, 0.1)], [2, 2]),
        Sequential(stages=(ConstantFactor(factor=0.1, total_iters=2), Step(step_size=2, gamma=0.1)), milestones=(2,)),
        9,
    ),
    # Nested SequentialLR as the first stage (measured): the outer constructor rewinds the inner's
    # children but not the inner's own counter, so the inner switches stages one step early:
    # inner milestone 3 acts at k = 2. The IR states that shifted milestone explicitly.
    Case(
        "SequentialLR-nested-first-stage-switches-early",
        lambda L, o: L.SequentialLR(
            o,
            [L.SequentialLR(o, [L.LinearLR(o, 0.25, 1.0, 4), L.ExponentialLR(o, 0.5)], [3]), L.StepLR(o, 2, 0.1)],
            [6],
        ),
        Sequential(
            stages=(
                Sequential(
                    stages=(LinearRamp(start_factor=0.25, total_iters=4), Exponential(gamma=0.5)),
                    milestones=(2,),  # torch: 3, acting one step early
                ),
                Step(step_size=2, gamma=0.1),
            ),
            milestones=(6,),
        ),
        12,
        # the outer constructor steps the inner one before any optimizer step; torch warns about that
        marks=(pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before"),),
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in SEQUENTIAL_CASES])
def test_sequential_matches_torch(torch, case):
    assert_matches(torch, case)


def test_sequential_nested_after_milestone_raises(torch):
    """A SequentialLR as a later stage cannot be restarted: torch calls its _update_lr(0), which needs get_lr()."""

    def make(L, o):
        inner = L.SequentialLR(o, [L.LinearLR(o, 0.25, 1.0, 2), L.ExponentialLR(o, 0.5)], [2])
        return L.SequentialLR(o, [L.StepLR(o, 2, 0.1), inner], [3])

    with pytest.raises(NotImplementedError):
        run_native(torch, make, BASES, 5)
    # the steps before the milestone are still the first stage
    assert_matches(torch, Case("before-milestone", make, Step(step_size=2, gamma=0.1), 3))


# --------------------------------------------------------------------------- multi-group, per-group schedules
GROUP_CASES = [
    Case(
        "LambdaLR-per-group-lambdas",
        lambda L, o: L.LambdaLR(o, [_lambda_decay, _lambda_wave, _lambda_warm]),
        Tabulated(values=(1.0,), relative=True),  # unused: every group overrides it
        40,
        group_ir=tuple(
            Tabulated(values=tuple(f(k) for k in range(40)), relative=True)
            for f in (_lambda_decay, _lambda_wave, _lambda_warm)
        ),
    ),
    Case(
        "OneCycleLR-per-group-max_lr",
        lambda L, o: L.OneCycleLR(o, [0.5, 0.01, 2.0], total_steps=25, pct_start=0.2),
        OneCycle(total_steps=25, max_lr=0.5, pct_start=0.2),
        26,
        group_ir=(
            None,
            OneCycle(total_steps=25, max_lr=0.01, pct_start=0.2),
            OneCycle(total_steps=25, max_lr=2.0, pct_start=0.2),
        ),
    ),
    Case(
        "CyclicLR-per-group-bounds",
        lambda L, o: L.CyclicLR(
            o, [1e-3, 1e-5, 0.1], [0.1, 1e-3, 1.0], step_size_up=3, mode="triangular2", cycle_momentum=False
        ),
        Cyclic(base_lr=1e-3, max_lr=0.1, step_size_up=3, mode="triangular2"),
        30,
        group_ir=(
            None,
            Cyclic(base_lr=1e-5, max_lr=1e-3, step_size_up=3, mode="triangular2"),
            Cyclic(base_lr=0.1, max_lr=1.0, step_size_up=3, mode="triangular2"),
        ),
    ),
    # one relative schedule, four groups: each group follows it from its own base lr
    Case(
        "StepLR-four-groups",
        lambda L, o: L.StepLR(o, 2, 0.3),
        Step(step_size=2, gamma=0.3),
        10,
        bases=(1e-5, 0.1, 2.5, 0.07),
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in GROUP_CASES])
def test_per_group_schedules_match_torch(torch, case):
    assert_matches(torch, case)


# --------------------------------------------------------------------------- ChainedScheduler
CHAINED_EQUAL_CASES = [
    # every recursion below multiplies the current lr by a factor that does not depend on it,
    # so torch's composition is the product of closed forms = IR Chained
    Case(
        "Chained-Step-Exponential",
        lambda L, o: L.ChainedScheduler([L.StepLR(o, 3, 0.5), L.ExponentialLR(o, 0.9)]),
        Chained(schedules=(Step(step_size=3, gamma=0.5), Exponential(gamma=0.9))),
        30,
    ),
    Case(
        "Chained-Linear-warmup-MultiStep",
        lambda L, o: L.ChainedScheduler([L.LinearLR(o, 0.1, 1.0, 5), L.MultiStepLR(o, [4, 9], 0.1)]),
        Chained(schedules=(LinearRamp(start_factor=0.1, total_iters=5), MultiStep(milestones=(4, 9), gamma=0.1))),
        14,
    ),
    Case(
        "Chained-Constant-Polynomial-Step",
        lambda L, o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 3), L.PolynomialLR(o, 10, 2.0), L.StepLR(o, 4, 0.5)]),
        Chained(
            schedules=(
                ConstantFactor(factor=0.5, total_iters=3),
                Polynomial(total_iters=10, power=2.0),
                Step(step_size=4, gamma=0.5),
            )
        ),
        14,
    ),
    # cosine (eta_min = 0) is multiplicative only up to k = T_max: equal through k = 20
    Case(
        "Chained-Linear-Cosine-upto-T_max",
        lambda L, o: L.ChainedScheduler([L.LinearLR(o, 0.25, 1.0, 4), L.CosineAnnealingLR(o, 20)]),
        Chained(schedules=(LinearRamp(start_factor=0.25, total_iters=4), CosineAnnealing(T_max=20))),
        21,
    ),
    Case(
        "Chained-Cosine-Step-upto-T_max",
        lambda L, o: L.ChainedScheduler([L.CosineAnnealingLR(o, 4), L.StepLR(o, 2, 0.5)]),
        Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2, gamma=0.5))),
        5,
    ),
]


@pytest.mark.parametrize("case", [c.param() for c in CHAINED_EQUAL_CASES])
def test_chained_multiplicative_equals_ir_chained(torch, case):
    assert_matches(torch, case)


def test_chained_cosine_past_t_max_is_not_a_product(torch):
    """Oracle fact (semantics doc §1.1): ChainedScheduler([CosineAnnealingLR(T=4), StepLR(2, 0.5)]) at k=5.

    torch gives 0.146447 (cosine's wrap-around branch adds (b − η)(1 − cos(π/T))/2 regardless of the
    StepLR factor); the product of closed forms (IR Chained, OneFlow) is 0.036612. Tolerance 1e-6:
    these are the 6-digit values of the doc; the exact closed forms are checked at 1e-12 below.
    """
    make = lambda L, o: L.ChainedScheduler([L.CosineAnnealingLR(o, 4), L.StepLR(o, 2, 0.5)])  # noqa: E731
    native = run_native(torch, make, (1.0,), 8)[0]
    chained = Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2, gamma=0.5)))
    product = evaluate(plan_for(chained, (1.0,)), 8)[0]
    assert native[5] == pytest.approx(0.146447, abs=1e-6)
    assert product[5] == pytest.approx(0.036612, abs=1e-6)
    # exactly: torch at k=5 is the plain cosine value at 5, the product is that times 0.5²
    assert native[5] == pytest.approx((1 + math.cos(5 * math.pi / 4)) / 2, rel=REL_TOL)
    assert product[5] == pytest.approx(0.25 * (1 + math.cos(5 * math.pi / 4)) / 2, rel=REL_TOL)
    # equal through k = T_max = 4, different from k = 5 on
    assert compare(native[:5], product[:5], metric="rel", tolerance=REL_TOL).ok
    assert np.all(np.abs(native[5:] - product[5:]) > 1e-3)


# --------------------------------------------------------------------------- edge facts
def test_constant_lr_total_iters_0_keeps_the_factor(torch):
    """ConstantLR(factor=0.5, total_iters=0): torch applies b·0.5 forever.

    Its recursion multiplies by the factor at k = 0 and would undo it at k = total_iters, but
    both are k = 0 and the first branch wins. IR ConstantFactor(total_iters=0) is b (the closed
    form, and OneFlow), so an importer must map this to a constant factor, e.g. LinearRamp(0.5, 0.5).
    """
    make = lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=0)  # noqa: E731
    constant_half = LinearRamp(start_factor=0.5, end_factor=0.5, total_iters=1)  # b·0.5 at every step
    native, _ = assert_matches(torch, Case("ConstantLR-T0", make, constant_half, 6))
    closed_form = evaluate(plan_for(ConstantFactor(factor=0.5, total_iters=0), BASES), 6)
    assert not compare(native, closed_form, metric="rel", tolerance=0.1).ok


def test_linear_lr_total_iters_0_keeps_the_start_factor(torch):
    """LinearLR(0.5, 1.0, total_iters=0): torch applies b·start_factor forever; IR LinearRamp(T=0) is b·end_factor."""
    make = lambda L, o: L.LinearLR(o, 0.5, 1.0, 0)  # noqa: E731
    constant_half = LinearRamp(start_factor=0.5, end_factor=0.5, total_iters=1)  # b·0.5 at every step
    native, _ = assert_matches(torch, Case("LinearLR-T0", make, constant_half, 6))
    ir_t0 = evaluate(plan_for(LinearRamp(start_factor=0.5, end_factor=1.0, total_iters=0), BASES), 6)
    assert not compare(native, ir_t0, metric="rel", tolerance=0.1).ok


def test_constant_lr_factor_0_raises_at_total_iters(torch):
    """ConstantLR(factor=0): lr is 0 for k < total_iters, then undoing the factor divides by zero."""
    make = lambda L, o: L.ConstantLR(o, factor=0.0, total_iters=3)  # noqa: E731
    assert_matches(torch, Case("ConstantLR-f0-before-T", make, ConstantFactor(factor=0.0, total_iters=3), 3))
    with pytest.raises(ZeroDivisionError):
        run_native(torch, make, BASES, 4)


def test_linear_lr_rejects_start_factor_0(torch):
    """torch refuses start_factor=0 (MindSpore WarmUpLR / OneFlow LinearLR(0, ...)); the IR LinearRamp allows it."""
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        run_native(torch, lambda L, o: L.LinearLR(o, 0.0, 1.0, 4), BASES, 1)


def test_cawr_step_epoch_float_log_bug(torch):
    """CosineAnnealingWarmRestarts(T_0=1, T_mult=3): cycle 5 starts at k = 121 (lr = b).

    torch's deprecated step(epoch) computes the cycle as int(log(243, 3)) = 4 (log gives 4.999…),
    lands at T_cur = 81 of T_i = 81 and applies eta_min = 0.0. The recursive step() path and our
    reference both give b = 1.0. Exact values: cos(0) = 1 and cos(π) = −1 are exact in float64.
    """
    assert int(math.log(243, 3)) == 4  # the root cause, as Python computes it
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=1, T_mult=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated; the deprecation is not under test
        opt.step()
        sched.step(121)
    assert opt.param_groups[0]["lr"] == 0.0

    recursive = run_native(torch, lambda L, o: L.CosineAnnealingWarmRestarts(o, 1, 3), (1.0,), 122)[0]
    reference = evaluate(plan_for(CosineWarmRestarts(T_0=1, T_mult=3), (1.0,)), [120, 121, 122])[0]
    assert recursive[121] == 1.0
    assert reference[1] == 1.0
    assert recursive[120] == reference[0]  # the last step of cycle 4 agrees too


def test_onecycle_refuses_steps_past_total_steps(torch):
    """torch raises at k = total_steps + 1; IR OneCycle continues its last phase (the plan's horizon decides)."""
    make = lambda L, o: L.OneCycleLR(o, 0.5, total_steps=10)  # noqa: E731
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        run_native(torch, make, BASES, 12)


def test_cyclic_momentum_is_outside_the_ir(torch):
    """CyclicLR's default cycle_momentum=True also rewrites group['momentum'] each step.

    The IR models the lr only (momentum cycling is for later): the lr is identical either way,
    and momentum runs max_momentum → base_momentum opposite to the lr (0.9 at k=0, 0.8 at the peak).
    """

    def make(cycle):
        return lambda L, o: L.CyclicLR(o, 1e-3, 0.1, step_size_up=4, cycle_momentum=cycle)

    with_momentum = run_native(torch, make(True), BASES, 17)
    without = run_native(torch, make(False), BASES, 17)
    assert np.array_equal(with_momentum, without)

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.0)
    sched = make(True)(torch.optim.lr_scheduler, opt)
    momenta = []
    for _ in range(5):
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        sched.step()
    assert momenta[0] == pytest.approx(0.9, rel=REL_TOL)
    assert momenta[4] == pytest.approx(0.8, rel=REL_TOL)


def test_cosine_recursion_drift_bound(torch):
    """Long horizon: CosineAnnealingLR(T_max=7, eta_min=0) over 10,000 steps (1,428 cycles).

    torch's recursive update drifts from the true value in float64; the reference is not loosened
    for it. Checked against 40-digit mpmath values (mpmath ships with torch, via sympy):
    - the reference is exact to ≤ 1e-14 relative (observed 1.1e-15; it reduces k by the period 2·T_max);
    - torch drifts, observed worst relative error 5.5e-12 (torch 2.13, CPU), asserted bound 6e-12.
    The same schedule over its first few cycles stays ≤ 1e-12 (CosineAnnealingLR-T10 and friends above).
    """
    import mpmath

    bases, steps, t_max = (0.1, 1.0), 10_000, 7
    case = Case(
        "CosineAnnealingLR-T7-10000",
        lambda L, o: L.CosineAnnealingLR(o, t_max),
        CosineAnnealing(T_max=t_max),
        steps,
        bases,
    )
    native = run_native(torch, case.native, bases, steps)
    reference = evaluate(plan_for(case.ir, bases), steps)
    with mpmath.workdps(40):
        half_cos = [(1 + mpmath.cos(mpmath.pi * k / t_max)) / 2 for k in range(steps)]
        exact = np.array([[float(mpmath.mpf(b) * h) for h in half_cos] for b in bases])
    truth = compare(reference, exact, metric="rel", tolerance=1e-14)
    assert truth.ok, f"reference vs exact: {truth}"
    drift = compare(native, reference, metric="rel", tolerance=6e-12)
    assert drift.ok, f"torch drift grew: {drift}"


def test_support_table_covers_every_torch_scheduler(torch):
    """TORCH_TO_IR names every scheduler class torch.optim.lr_scheduler exports (docs reuse it)."""
    L = torch.optim.lr_scheduler
    exported = {
        name
        for name in dir(L)
        if not name.startswith("_") and isinstance(getattr(L, name), type) and issubclass(getattr(L, name), L.LRScheduler)
    }
    exported -= {"LRScheduler"}
    assert exported <= set(TORCH_TO_IR), sorted(exported - set(TORCH_TO_IR))


def test_one_cycle_edge_phases_match_torch_or_are_refused(torch):
    # pct_start·total_steps < 1: torch skips the empty warm-up phase; the IR does the same.
    make = lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=20, pct_start=0.04)  # noqa: E731
    native = run_native(torch, make, [0.1], 20)
    ir = plan_for(OneCycle(total_steps=20, max_lr=1.0, pct_start=0.04), [0.1])
    assert compare(native, evaluate(ir, 20), metric="rel", tolerance=1e-12).ok
    # pct_start·total_steps = 1: torch divides by zero at step 0, the IR refuses the node.
    with pytest.raises(ZeroDivisionError):
        run_native(torch, lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.1), [0.1], 1)
    with pytest.raises(ValueError, match="pct_start·total_steps = 1"):
        OneCycle(total_steps=10, max_lr=1.0, pct_start=0.1)
