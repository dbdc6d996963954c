"""MindSpore oracle: ``lrbridge.evaluate`` of hand-built IR plans against MindSpore 2.10's own lr code.

Three native paths, each with the metric its precision calls for (semantics doc §3):

1. ``nn.dynamic_lr`` functions build float64 Python lists: relative error ≤ 1e-12.
2. ``nn.LearningRateSchedule`` cells compute in float32, in PyNative and GRAPH_MODE:
   float32 ulps against the reference rounded to float32. Short horizons agree
   within a few ulps; long ones drift, and the tests assert the drift MindSpore
   really has (observed bounds, stated in comments), never a loosened reference.
3. ``experimental.optim.lr_scheduler`` classes update each group's float32 lr
   Parameter recursively: ulps, with the observed recursive drift as the bound.

Known MindSpore bugs are pinned by tests asserting what MindSpore does today, so
that a MindSpore upgrade that changes it fails here and tells us.
Every bound below was observed on CPU with mindspore 2.10.0 (deterministic).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lrbridge.conformance import compare
from lrbridge.errors import EvaluationError
from lrbridge.reference import evaluate
from lrbridge.groups import ParamGroup
from lrbridge.optim import OptimizerSpec
from lrbridge.plan import Horizon, Plan
from lrbridge.schedules import (
    ByEpoch,
    ConstantFactor,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    Cyclic,
    Exponential,
    InverseTimeDecay,
    LinearRamp,
    MultiStep,
    NaturalExpDecay,
    Piecewise,
    Polynomial,
    Sequential,
    Step,
)

if __package__:  # tests/oracles collected as a package
    from . import mindspore_native as native
else:  # rootdir-relative collection (no __init__.py): this directory is on sys.path
    import mindspore_native as native

pytestmark = [pytest.mark.mindspore, pytest.mark.usefixtures("ms")]

#: float64 paths: relative error bound (the lists and the reference are both plain float64 formulas)
REL = 1e-12


def plan_for(schedule, *lrs, group_schedules=None, horizon=None) -> Plan:
    """One SGD group per base lr (group i named g<i>); optional per-group schedules."""
    lrs = lrs or (0.1,)
    own = group_schedules or [None] * len(lrs)
    groups = tuple(
        ParamGroup(name=f"g{i}", params=(f"w{i}",), lr=lr, scheduler=s) for i, (lr, s) in enumerate(zip(lrs, own))
    )
    return Plan(
        optimizer=OptimizerSpec(name="sgd", lr=lrs[0]),
        scheduler=schedule,
        groups=groups,
        horizon=horizon or Horizon(),
    )


def assert_close(measured, reference, *, metric: str, tolerance: float):
    result = compare(measured, reference, metric=metric, tolerance=tolerance)
    assert result.ok, str(result)
    return result


def rel_error(measured, reference) -> np.ndarray:
    measured, reference = np.asarray(measured, np.float64), np.asarray(reference, np.float64)
    return np.abs(measured - reference) / np.abs(reference)


def by_epoch(schedule, spe: int):
    return ByEpoch(schedule=schedule, steps_per_epoch=spe, cadence="epoch")


# ---------------------------------------------------------------------------------------------
# 1. nn.dynamic_lr: float64 lists, relative error ≤ 1e-12
# ---------------------------------------------------------------------------------------------

# (id, function, args, IR schedule, base lr). step_per_epoch > 1 is ByEpoch(cadence="epoch"):
# MindSpore stairs epochs as ⌊i / step_per_epoch⌋ even without is_stair.
DYNAMIC_CASES = [
    ("piecewise", "piecewise_constant_lr", ([2, 5, 10], [0.1, 0.05, 0.01]),
     Piecewise(boundaries=(2, 5), values=(0.1, 0.05, 0.01)), 0.1),
    ("exponential_per_step", "exponential_decay_lr", (0.1, 0.9, 60, 1, 1), Exponential(gamma=0.9), 0.1),
    ("exponential_epochs", "exponential_decay_lr", (0.1, 0.9, 60, 2, 3),
     by_epoch(Exponential(gamma=0.9, decay_steps=3), 2), 0.1),
    ("exponential_epochs_stair", "exponential_decay_lr", (0.1, 0.9, 60, 2, 3, True),
     by_epoch(Exponential(gamma=0.9, decay_steps=3, staircase=True), 2), 0.1),
    # decay_epoch=3 has no effect without is_stair (MindSpore as it runs; see the test below)
    ("natural_exp_epochs", "natural_exp_decay_lr", (0.1, 0.3, 60, 2, 3),
     by_epoch(NaturalExpDecay(decay_rate=0.3, decay_steps=3), 2), 0.1),
    ("natural_exp_epochs_stair", "natural_exp_decay_lr", (0.1, 0.3, 60, 2, 3, True),
     by_epoch(NaturalExpDecay(decay_rate=0.3, decay_steps=3, staircase=True), 2), 0.1),
    ("inverse_epochs", "inverse_decay_lr", (0.1, 0.3, 60, 2, 3),
     by_epoch(InverseTimeDecay(decay_rate=0.3, decay_steps=3), 2), 0.1),
    ("inverse_epochs_stair", "inverse_decay_lr", (0.1, 0.3, 60, 2, 3, True),
     by_epoch(InverseTimeDecay(decay_rate=0.3, decay_steps=3, staircase=True), 2), 0.1),
    # 60 steps = 30 epochs over decay_epoch 20: stairs per epoch, then clamped at min_lr
    ("cosine_epochs_clamped", "cosine_decay_lr", (0.01, 0.1, 60, 2, 20),
     by_epoch(CosineDecay(decay_steps=20, min_lr=0.01), 2), 0.1),
    # per step to 0 over 10k steps: the near-zero tail is the hardest case for relative error
    # (observed worst 3.9e-13 at step 9924: π·e/D versus π·(e/D) rounding, both float64)
    ("cosine_per_step_10k", "cosine_decay_lr", (0.0, 0.1, 10000, 1, 10000), CosineDecay(decay_steps=10000), 0.1),
    ("polynomial_epochs_clamped", "polynomial_decay_lr", (0.1, 0.01, 60, 2, 10, 2.0),
     by_epoch(Polynomial(total_iters=10, power=2.0, end_lr=0.01), 2), 0.1),
    # update_decay_epoch: the horizon grows to D·⌈e/D⌉; epoch 0 keeps D (cycle_min_step=0, not OneFlow's 1)
    ("polynomial_epochs_update", "polynomial_decay_lr", (0.1, 0.01, 60, 2, 10, 2.0, True),
     by_epoch(Polynomial(total_iters=10, power=2.0, end_lr=0.01, cycle=True, cycle_min_step=0), 2), 0.1),
    # warmup_lr starts at 0: LinearRamp with start_factor 0
    ("warmup_epochs", "warmup_lr", (0.1, 60, 2, 10),
     by_epoch(LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=10), 2), 0.1),
]


@pytest.mark.parametrize(("name", "args", "schedule", "base"), [c[1:] for c in DYNAMIC_CASES],
                         ids=[c[0] for c in DYNAMIC_CASES])
def test_dynamic_lr_matches_reference(name, args, schedule, base):
    native_lr = native.dynamic_lr(name, *args)
    reference = evaluate(plan_for(schedule, base), len(native_lr))[0]
    assert_close(native_lr, reference, metric="rel", tolerance=REL)


def test_dynamic_lr_boundaries_land_on_the_same_steps():
    """Exactly at a decay boundary: the first step of epoch D (k = D·spe) is where the stair drops."""
    spe, decay_epoch = 3, 2
    native_lr = native.dynamic_lr("exponential_decay_lr", 1.0, 0.5, 13, spe, decay_epoch, True)
    reference = evaluate(plan_for(by_epoch(Exponential(gamma=0.5, decay_steps=decay_epoch, staircase=True), spe), 1.0), 13)[0]
    assert_close(native_lr, reference, metric="rel", tolerance=REL)
    boundary = spe * decay_epoch
    assert native_lr[boundary - 1] == 1.0 and native_lr[boundary] == 0.5 == reference[boundary]


def test_natural_exp_decay_lr_ignores_decay_epoch_unless_stair():
    """MindSpore's natural_exp_decay_lr uses e^{−r·epoch}: decay_epoch only matters with is_stair.

    NaturalExpDecay models that; if MindSpore ever honours decay_epoch, this fails.
    """
    with_d3 = native.dynamic_lr("natural_exp_decay_lr", 0.1, 0.5, 12, 1, 3)
    with_d1 = native.dynamic_lr("natural_exp_decay_lr", 0.1, 0.5, 12, 1, 1)
    np.testing.assert_array_equal(with_d3, with_d1)
    stair = native.dynamic_lr("natural_exp_decay_lr", 0.1, 0.5, 12, 1, 3, True)
    assert stair[2] == with_d1[0] and stair[3] == with_d1[3]
    reference = evaluate(plan_for(NaturalExpDecay(decay_rate=0.5, decay_steps=3), 0.1), 12)[0]
    assert_close(with_d3, reference, metric="rel", tolerance=REL)


def test_dynamic_lr_two_groups():
    """Each group's list is the function at its own base lr; the plan evaluates both rows at once."""
    lrs = (0.1, 0.02)
    rows = [native.dynamic_lr("polynomial_decay_lr", lr, 0.001, 40, 4, 5, 0.5, True) for lr in lrs]
    schedule = by_epoch(Polynomial(total_iters=5, power=0.5, end_lr=0.001, cycle=True), 4)
    assert_close(np.stack(rows), evaluate(plan_for(schedule, *lrs), 40), metric="rel", tolerance=REL)


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_nn_sgd_applies_the_list_exactly_and_refuses_past_its_end(mode):
    """nn.SGD with a dynamic_lr list: optimizer step k applies fp32(list[k]) (0 ulp), and step len(list) raises.

    The plan's horizon with past='error' refuses the same step.
    """
    lr_list = native.dynamic_lr("exponential_decay_lr", 0.1, 0.9, 3, 1, 1)
    applied, error = native.nn_sgd_applied(lr_list, 4, mode)
    plan = plan_for(Exponential(gamma=0.9), 0.1, horizon=Horizon(steps=3, past="error"))
    assert_close(applied, evaluate(plan, 3), metric="ulp", tolerance=0)
    assert isinstance(error, RuntimeError) and "Gather" in str(error), error
    with pytest.raises(EvaluationError, match="step 3 is past the plan's horizon of 3 steps"):
        evaluate(plan, 4)


# ---------------------------------------------------------------------------------------------
# 2. nn.LearningRateSchedule cells: float32, PyNative and GRAPH_MODE
# ---------------------------------------------------------------------------------------------

# (id, cell, args, IR schedule, base lr, ulp bound observed over steps 0..39).
# 40 steps cover several decay_steps: k exactly at decay_steps and the clamp past it.
CELL_CASES = [
    ("exponential", "ExponentialDecayLR", (0.1, 0.5, 4), Exponential(gamma=0.5, decay_steps=4), 0.1, 1),
    ("exponential_stair", "ExponentialDecayLR", (0.1, 0.5, 4, True),
     Exponential(gamma=0.5, decay_steps=4, staircase=True), 0.1, 0),
    # decay_steps is unused without is_stair (MindSpore as it runs)
    ("natural_exp", "NaturalExpDecayLR", (0.1, 0.1, 4), NaturalExpDecay(decay_rate=0.1, decay_steps=4), 0.1, 2),
    ("natural_exp_stair", "NaturalExpDecayLR", (0.1, 0.1, 4, True),
     NaturalExpDecay(decay_rate=0.1, decay_steps=4, staircase=True), 0.1, 2),
    ("inverse", "InverseDecayLR", (0.1, 0.5, 4), InverseTimeDecay(decay_rate=0.5, decay_steps=4), 0.1, 1),
    ("inverse_stair", "InverseDecayLR", (0.1, 0.5, 4, True),
     InverseTimeDecay(decay_rate=0.5, decay_steps=4, staircase=True), 0.1, 1),
    # 1 + sin(π(p + 0.5)) cancels in float32 near the end: 7 ulp observed at step 14 of 20
    ("cosine_clamped", "CosineDecayLR", (0.01, 0.1, 20), CosineDecay(decay_steps=20, min_lr=0.01), 0.1, 7),
    ("polynomial_clamped", "PolynomialDecayLR", (0.1, 0.01, 10, 2.0),
     Polynomial(total_iters=10, power=2.0, end_lr=0.01), 0.1, 1),
    ("polynomial_update", "PolynomialDecayLR", (0.1, 0.01, 10, 2.0, True),
     Polynomial(total_iters=10, power=2.0, end_lr=0.01, cycle=True, cycle_min_step=0), 0.1, 2),
    ("warmup", "WarmUpLR", (0.1, 8), LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=8), 0.1, 0),
]


def cell_both_modes(cell, args, steps):
    """The cell in PyNative and GRAPH_MODE; asserts the two are bit-identical and returns one."""
    pynative = native.cell_curve(cell, args, steps, "pynative")
    graph = native.cell_curve(cell, args, steps, "graph")
    np.testing.assert_array_equal(pynative, graph, err_msg=f"{cell}: PyNative and GRAPH_MODE differ")
    return pynative


@pytest.mark.parametrize(("cell", "args", "schedule", "base", "ulps"), [c[1:] for c in CELL_CASES],
                         ids=[c[0] for c in CELL_CASES])
def test_cell_matches_reference_short_horizon(cell, args, schedule, base, ulps):
    measured = cell_both_modes(cell, args, np.arange(40))
    assert_close(measured, evaluate(plan_for(schedule, base), 40)[0], metric="ulp", tolerance=ulps)


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_cells_on_scalar_global_step_around_decay_steps(mode):
    """The scalar int32 global_step an nn optimizer passes: same values as the vectorized call,
    at decay_steps − 1, exactly decay_steps, past it, and the second polynomial cycle."""
    steps = [0, 9, 10, 11, 20, 21]
    for cell, args, schedule, ulps in [
        ("CosineDecayLR", (0.01, 0.1, 10), CosineDecay(decay_steps=10, min_lr=0.01), 2),
        ("PolynomialDecayLR", (0.1, 0.01, 10, 2.0, True), Polynomial(total_iters=10, power=2.0, end_lr=0.01, cycle=True), 1),
    ]:
        scalar = native.cell_scalars(cell, args, steps, mode)
        np.testing.assert_array_equal(scalar, native.cell_curve(cell, args, steps, mode))
        assert_close(scalar, evaluate(plan_for(schedule, 0.1), np.array(steps))[0], metric="ulp", tolerance=ulps)


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_nn_sgd_applies_the_cell_at_its_global_step(mode):
    """nn.SGD(learning_rate=cell): update k applies cell(k), k = 0 first, also past decay_steps."""
    applied, error = native.nn_sgd_applied(("CosineDecayLR", (0.01, 0.1, 4)), 7, mode)
    assert error is None
    np.testing.assert_array_equal(applied, native.cell_curve("CosineDecayLR", (0.01, 0.1, 4), np.arange(7), mode))
    # float32 cosine at 4 steps: observed 2 ulp (step 3, lr ≈ 0.023)
    assert_close(applied, evaluate(plan_for(CosineDecay(decay_steps=4, min_lr=0.01), 0.1), 7), metric="ulp", tolerance=2)


STEPS_10K = np.arange(10000)


def test_exponential_decay_cell_drift_is_gamma_rounded_to_float32():
    """ExponentialDecayLR(0.1, 0.9995, 1) over 10k steps drifts by 2.34e-4 relative at the end.

    Cause: pow(fp32(0.9995), k); the relative error is k·ln(fp32(γ)/γ) ≈ k·2.34e-8. The reference
    with γ rounded to float32 reproduces the cell within 1 ulp (observed), the true reference
    only within 3628 ulps (observed, step 9256).
    """
    gamma = 0.9995
    measured = cell_both_modes("ExponentialDecayLR", (0.1, gamma, 1), STEPS_10K)
    reference = evaluate(plan_for(Exponential(gamma=gamma), 0.1), STEPS_10K)[0]
    assert_close(measured, reference, metric="ulp", tolerance=3700)
    predicted = math.expm1(9999 * math.log(float(np.float32(gamma)) / gamma))
    assert predicted == pytest.approx(-2.34e-4, rel=0.01)
    assert (measured[-1] - reference[-1]) / reference[-1] == pytest.approx(predicted, rel=0.01)
    rounded = evaluate(plan_for(Exponential(gamma=float(np.float32(gamma))), 0.1), STEPS_10K)[0]
    assert_close(measured, rounded, metric="ulp", tolerance=2)


def test_cosine_decay_cell_drift_over_10k_steps():
    """CosineDecayLR(0, 0.1, 10000): float32 cancellation in 1 + sin(π(p + 0.5)).

    Observed: relative error 1.76e-5 where lr ≥ 1e-3·base, 1.06e-2 where lr ≥ 1e-7, and
    +20.8% at the last step (native 2.98e-9 against a true 2.4674e-9), 2,309,586 ulps there.
    """
    measured = cell_both_modes("CosineDecayLR", (0.0, 0.1, 10000), STEPS_10K)
    reference = evaluate(plan_for(CosineDecay(decay_steps=10000), 0.1), STEPS_10K)[0]
    assert_close(measured, reference, metric="ulp", tolerance=2_400_000)
    rel = rel_error(measured, reference)
    assert rel[reference >= 1e-4].max() <= 2e-5
    assert rel[reference >= 1e-7].max() <= 1.5e-2
    assert reference[-1] == pytest.approx(2.4674e-9, rel=1e-4)
    assert rel[-1] == pytest.approx(0.208, abs=0.005)  # MindSpore's tail really is 21% high


def test_polynomial_decay_cell_drift_over_10k_steps():
    """PolynomialDecayLR(0.1, 0, 10000, 2): observed 2990 ulp (3.3e-4 relative) at the last step,
    1.8e-6 relative where lr ≥ 1e-3·base."""
    measured = cell_both_modes("PolynomialDecayLR", (0.1, 0.0, 10000, 2.0), STEPS_10K)
    reference = evaluate(plan_for(Polynomial(total_iters=10000, power=2.0), 0.1), STEPS_10K)[0]
    assert_close(measured, reference, metric="ulp", tolerance=3100)
    rel = rel_error(measured, reference)
    assert rel[reference >= 1e-4].max() <= 2e-6


@pytest.mark.parametrize(("cell", "args", "schedule", "ulps"), [
    # pow(fp32(e), −r·k): e rounded to float32 costs ≈ r·k·1.6e-8 relative; observed 6 ulp
    ("NaturalExpDecayLR", (0.1, 0.0005, 1), NaturalExpDecay(decay_rate=0.0005), 8),
    ("InverseDecayLR", (0.1, 0.001, 1), InverseTimeDecay(decay_rate=0.001), 2),
    ("WarmUpLR", (0.1, 10000), LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=10000), 1),
], ids=["natural_exp", "inverse", "warmup"])
def test_cells_that_stay_close_over_10k_steps(cell, args, schedule, ulps):
    measured = cell_both_modes(cell, args, STEPS_10K)
    assert_close(measured, evaluate(plan_for(schedule, 0.1), STEPS_10K)[0], metric="ulp", tolerance=ulps)


# ---------------------------------------------------------------------------------------------
# 3. experimental.optim.lr_scheduler: float32 Parameters, recursive, stepped with experimental SGD
# ---------------------------------------------------------------------------------------------


def _scheduler_cases():
    from mindspore.experimental.optim import lr_scheduler as L

    two = (0.1, 0.5)
    cyc = dict(step_size_up=4, step_size_down=6)
    # (id, make(optimizer), IR schedule, base lrs, per-group IR schedules or None, ulp bound observed over 40 steps)
    return [
        ("StepLR", lambda o: L.StepLR(o, 3, 0.5), Step(step_size=3, gamma=0.5), two, None, 0),
        # milestone 0 applies from the first step, as in the IR
        ("MultiStepLR_milestone0", lambda o: L.MultiStepLR(o, [0, 2, 5], 0.5), MultiStep(milestones=(0, 2, 5), gamma=0.5),
         two, None, 0),
        ("ConstantLR", lambda o: L.ConstantLR(o, 0.25, 4), ConstantFactor(factor=0.25, total_iters=4), two, None, 0),
        ("LinearLR", lambda o: L.LinearLR(o, 0.25, 1.0, 8), LinearRamp(start_factor=0.25, end_factor=1.0, total_iters=8),
         two, None, 1),
        # recursive lr·γ in float32: observed 11 ulp by step 37
        ("ExponentialLR", lambda o: L.ExponentialLR(o, 0.95), Exponential(gamma=0.95), two, None, 13),
        ("MultiplicativeLR", lambda o: L.MultiplicativeLR(o, lambda e: 0.95), Exponential(gamma=0.95), two, None, 13),
        # recursive ratio of (1 − t/T)^p: observed 11 ulp at step 9 (lr = 0.005, one step before 0)
        ("PolynomialLR", lambda o: L.PolynomialLR(o, 10, 2.0), Polynomial(total_iters=10, power=2.0), two, None, 13),
        # closed form per group in float32 Tensor arithmetic on last_epoch; 0.9 ** e is pow(fp32(0.9), e),
        # whose rounded base costs e·2.6e-8 relative: observed 15 ulp at step 33 (group 1)
        ("LambdaLR_per_group", lambda o: L.LambdaLR(o, [lambda e: 1.0 / (1.0 + 0.5 * e), lambda e: 0.9 ** e]), None, two,
         [InverseTimeDecay(decay_rate=0.5), Exponential(gamma=0.9)], 18),
        # recursive cosine ratio, periodic past T_max: observed 56 ulp (step 28, 3rd half-period)
        ("CosineAnnealingLR", lambda o: L.CosineAnnealingLR(o, 10, 0.01), CosineAnnealing(T_max=10, eta_min=0.01), two,
         None, 65),
        # closed form on float32 T_cur/T_i: observed 25 ulp near a cycle's end (lr ≈ 1e-3), 6 with T_0=3, η=0.01
        ("CosineAnnealingWarmRestarts", lambda o: L.CosineAnnealingWarmRestarts(o, 2, 2), CosineWarmRestarts(T_0=2, T_mult=2),
         two, None, 30),
        ("CosineAnnealingWarmRestarts_Tmult1", lambda o: L.CosineAnnealingWarmRestarts(o, 5, 1, 0.01),
         CosineWarmRestarts(T_0=5, eta_min=0.01), two, None, 5),  # observed 4 ulp
        # absolute bounds per group; float32 cycle arithmetic: observed 13 ulp (6 for triangular2, 14 exp_range)
        ("CyclicLR_per_group", lambda o: L.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], **cyc), None, two,
         [Cyclic(base_lr=0.01, max_lr=0.1, **cyc), Cyclic(base_lr=0.02, max_lr=0.3, **cyc)], 15),
        ("CyclicLR_triangular2", lambda o: L.CyclicLR(o, 0.01, 0.1, mode="triangular2", **cyc),
         Cyclic(base_lr=0.01, max_lr=0.1, mode="triangular2", **cyc), two, None, 8),
        ("CyclicLR_exp_range", lambda o: L.CyclicLR(o, 0.01, 0.1, mode="exp_range", gamma=0.99, **cyc),
         Cyclic(base_lr=0.01, max_lr=0.1, mode="exp_range", gamma=0.99, **cyc), two, None, 16),
        # the next scheduler restarts at each milestone (clock "restart"); cosine recursion: observed 74 ulp
        # here and 47 with three stages
        ("SequentialLR", lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.1, 2), L.CosineAnnealingLR(o, 4)], [2]),
         Sequential(stages=(ConstantFactor(factor=0.1, total_iters=2), CosineAnnealing(T_max=4)), milestones=(2,)),
         two, None, 85),
        ("SequentialLR_three_stages",
         lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.5, 3), L.StepLR(o, 2, 0.5), L.CosineAnnealingLR(o, 5)], [3, 8]),
         Sequential(stages=(ConstantFactor(factor=0.5, total_iters=3), Step(step_size=2, gamma=0.5), CosineAnnealing(T_max=5)),
                    milestones=(3, 8)), two, None, 55),
    ]


SCHEDULER_IDS = [
    "StepLR", "MultiStepLR_milestone0", "ConstantLR", "LinearLR", "ExponentialLR", "MultiplicativeLR", "PolynomialLR",
    "LambdaLR_per_group", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CosineAnnealingWarmRestarts_Tmult1",
    "CyclicLR_per_group", "CyclicLR_triangular2", "CyclicLR_exp_range", "SequentialLR", "SequentialLR_three_stages",
]


@pytest.mark.parametrize("case_id", SCHEDULER_IDS)
def test_experimental_scheduler_matches_reference(case_id):
    cases = {c[0]: c[1:] for c in _scheduler_cases()}
    make, schedule, lrs, group_schedules, ulps = cases[case_id]
    steps = 40
    measured = native.run_scheduler(make, lrs, steps)
    plan = plan_for(schedule or group_schedules[0], *lrs, group_schedules=group_schedules)
    assert_close(measured, evaluate(plan, steps), metric="ulp", tolerance=ulps)


def test_experimental_scheduler_ids_cover_every_case():
    assert [c[0] for c in _scheduler_cases()] == SCHEDULER_IDS


def test_experimental_exponential_drift_is_gamma_rounded_to_float32():
    """ExponentialLR(0.9995), 400 recursive float32 steps: lr_k = fl(lr_{k−1}·fp32(γ)).

    The systematic drift is k·ln(fp32(γ)/γ) (≈ −9.4e-6 relative at k = 399); on top, each
    product rounds. Observed: 97 ulp against the true reference, 7 ulp against the
    reference with γ rounded to float32.
    """
    from mindspore.experimental.optim import lr_scheduler as L

    gamma, steps = 0.9995, 400
    measured = native.run_scheduler(lambda o: L.ExponentialLR(o, gamma), (0.1,), steps)
    assert_close(measured, evaluate(plan_for(Exponential(gamma=gamma), 0.1), steps), metric="ulp", tolerance=110)
    rounded = evaluate(plan_for(Exponential(gamma=float(np.float32(gamma))), 0.1), steps)
    assert_close(measured, rounded, metric="ulp", tolerance=9)


def test_experimental_cosine_annealing_recursive_drift():
    """CosineAnnealingLR(T_max=50, η=1e-3), 300 steps (three periods): the float32 recursion drifts.

    The ratio (1 + cos(πt/T))/(1 + cos(π(t−1)/T)) cancels near each minimum, and the
    additive branch that starts every rise carries the error into the next period, so it
    grows period by period. Observed: 23 ulp in the first 100 steps; 491 ulp = 3.1e-5
    relative at step 268 (native 0.0294230 against 0.0294239); the third peak (step 299)
    is 0.0998992 against 0.0999023.
    """
    from mindspore.experimental.optim import lr_scheduler as L

    steps = 300
    measured = native.run_scheduler(lambda o: L.CosineAnnealingLR(o, 50, 1e-3), (0.1,), steps)
    reference = evaluate(plan_for(CosineAnnealing(T_max=50, eta_min=1e-3), 0.1), steps)
    assert_close(measured[:, :100], reference[:, :100], metric="ulp", tolerance=28)
    assert_close(measured, reference, metric="ulp", tolerance=540)
    assert_close(measured, reference, metric="rel", tolerance=3.5e-5)


def test_lr_scale_folds_into_the_mindspore_group_lr():
    """A group with lr_scale s under a scale-equivariant schedule is a MindSpore group at lr s·base."""
    from mindspore.experimental.optim import lr_scheduler as L

    measured = native.run_scheduler(lambda o: L.StepLR(o, 2, 0.5), (0.2, 0.05), 8)
    groups = (ParamGroup(name="a", rest=True), ParamGroup(name="b", params=("head.*",), lr_scale=0.25))
    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.2), groups=groups, scheduler=Step(step_size=2, gamma=0.5))
    assert_close(measured, evaluate(plan, 8), metric="ulp", tolerance=0)


# -- known MindSpore bugs and divergences: assert what MindSpore does today ----------------------


def test_bug_multisteplr_inside_sequentiallr_raises_at_the_milestone():
    """MultiStepLR._get_closed_form_lr reads the non-existent self.step_size. SequentialLR calls it
    (step(0)) at each milestone, so [ConstantLR, MultiStepLR] dies at the milestone; step(epoch)
    on MultiStepLR alone dies the same way. Before the milestone the values are right."""
    from mindspore.experimental.optim import lr_scheduler as L

    optimizer = native.sgd((0.1,))
    scheduler = L.SequentialLR(optimizer, [L.ConstantLR(optimizer, 0.5, 2), L.MultiStepLR(optimizer, [1, 3], 0.5)], [2])
    seen = [native.group_lrs(optimizer)]
    scheduler.step()
    seen.append(native.group_lrs(optimizer))
    plan = plan_for(Sequential(stages=(ConstantFactor(factor=0.5, total_iters=2), MultiStep(milestones=(1, 3), gamma=0.5)),
                               milestones=(2,)), 0.1)
    assert_close(np.array(seen).T, evaluate(plan, 2), metric="ulp", tolerance=0)
    with pytest.raises(AttributeError, match="step_size"):
        scheduler.step()  # step 2 = the milestone

    alone = L.MultiStepLR(native.sgd((0.1,)), [2, 4], 0.5)
    with pytest.raises(AttributeError, match="step_size"):
        alone.step(3)


def test_bug_constantlr_factor_zero_gives_nan():
    """ConstantLR(factor=0): 0 before total_iters as planned, then lr/factor = 0/0 = NaN for good.

    The IR (and OneFlow) give the base lr from total_iters on; torch raises ZeroDivisionError.
    """
    from mindspore.experimental.optim import lr_scheduler as L

    measured = native.run_scheduler(lambda o: L.ConstantLR(o, 0.0, 3), (0.1,), 6)[0]
    reference = evaluate(plan_for(ConstantFactor(factor=0.0, total_iters=3), 0.1), 6)[0]
    np.testing.assert_array_equal(measured[:3], reference[:3])
    assert np.isnan(measured[3:]).all()
    assert (reference[3:] == 0.1).all()


def test_divergence_sequentiallr_milestone_zero_still_runs_the_first_scheduler():
    """IR: a milestone of 0 means the first stage never applies. MindSpore's SequentialLR only
    checks milestones from step 1 on, so step 0 gets the first scheduler and the next one then
    continues recursively from that lr without restarting. An exporter must not emit milestone 0."""
    from mindspore.experimental.optim import lr_scheduler as L

    measured = native.run_scheduler(
        lambda o: L.SequentialLR(o, [L.ConstantLR(o, 0.25, 10), L.ExponentialLR(o, 0.5)], [0]), (0.1,), 5)[0]
    np.testing.assert_allclose(measured, 0.025 * 0.5 ** np.array([0, 0, 1, 2, 3]), rtol=1e-6)
    plan = plan_for(Sequential(stages=(ConstantFactor(factor=0.25, total_iters=10), Exponential(gamma=0.5)),
                               milestones=(0,)), 0.1)
    np.testing.assert_allclose(evaluate(plan, 5)[0], 0.1 * 0.5 ** np.arange(5), rtol=1e-15)
