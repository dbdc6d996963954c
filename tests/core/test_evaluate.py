"""The reference evaluator: shapes, dtypes, per-group bases/scales/schedules, horizon policies, vectorization."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrbridge as L
import lrbridge.reference
from lrbridge.conformance import compare
from lrbridge.errors import EvaluationError

REL = 1e-12  # float64 closed forms written two ways


def half_cos(x):
    return (1 + math.cos(math.pi * x)) / 2


def three_group_plan(**horizon):
    return L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        groups=(
            L.ParamGroup(name="emb", params=("embed.*",), lr_scale=0.5),
            L.ParamGroup(name="head", params=("head.*",), lr=0.02, scheduler=L.Step(step_size=3, gamma=0.5)),
            L.ParamGroup(name="rest", rest=True),
        ),
        scheduler=L.Sequential(stages=(L.LinearRamp(start_factor=0.0, total_iters=4), L.CosineAnnealing(T_max=10)), milestones=(4,)),
        horizon=L.Horizon(**horizon),
    )


def main_schedule(k, b):
    return b * k / 4 if k < 4 else b * half_cos((k - 4) / 10)


def test_shape_and_per_group_lr_scale_and_scheduler():
    out = L.evaluate(three_group_plan(), 20)
    assert out.shape == (3, 20) and out.dtype == np.float64
    expected = np.array(
        [
            [0.5 * main_schedule(k, 0.1) for k in range(20)],  # lr_scale multiplies the schedule output
            [0.02 * 0.5 ** (k // 3) for k in range(20)],  # own base lr and own scheduler
            [main_schedule(k, 0.1) for k in range(20)],  # optimizer lr, plan scheduler
        ]
    )
    np.testing.assert_allclose(out, expected, rtol=REL, atol=0)


def test_lr_scale_multiplies_output_not_base_for_absolute_schedules():
    # with an absolute floor (eta_min) lr_scale·schedule(k, b) differs from schedule(k, lr_scale·b)
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=1.0),
        groups=(L.ParamGroup(name="g", rest=True, lr_scale=0.1),),
        scheduler=L.CosineAnnealing(T_max=4, eta_min=0.2),
    )
    expected = [0.1 * (0.2 + 0.8 * half_cos(k / 4)) for k in range(5)]
    np.testing.assert_allclose(L.evaluate(plan, 5)[0], expected, rtol=REL, atol=0)


def test_float32_is_float64_rounded():
    plan = three_group_plan()
    f64 = L.evaluate(plan, 5000)
    f32 = L.evaluate(plan, 5000, dtype=np.float32)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32, f64.astype(np.float32))
    # and, as the conformance engine sees it: 0 ulp from the reference (tolerance 0)
    assert compare(f32, f64, metric="ulp", tolerance=0).ok


def test_curves_keyed_by_group_name():
    plan = three_group_plan()
    c = L.curves(plan, 7)
    assert list(c) == ["emb", "head", "rest"]
    np.testing.assert_array_equal(np.stack(list(c.values())), L.evaluate(plan, 7))


def test_arbitrary_step_arrays():
    plan = three_group_plan()
    full = L.evaluate(plan, 200)
    steps = np.array([150, 3, 3, 0, 199, 42])  # unsorted, repeated
    np.testing.assert_array_equal(L.evaluate(plan, steps), full[:, steps])
    np.testing.assert_array_equal(L.evaluate(plan, [5, 6]), full[:, [5, 6]])
    assert L.evaluate(plan, np.array([], np.int64)).shape == (3, 0)
    assert L.evaluate(plan, 0).shape == (3, 0)


def test_large_steps_are_exact_integers():
    # k up to 2**53 is exact in float64: Step(1e15) flips exactly at its boundary
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=1.0), scheduler=L.Step(step_size=10**15, gamma=0.5))
    out = L.evaluate(plan, np.array([10**15 - 1, 10**15, 2**53 - 1]))
    np.testing.assert_array_equal(out[0], [1.0, 0.5, 0.5**9])


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (-1, "steps must be non-negative, got -1"),
        (np.array([0, -3]), "steps must be non-negative, got -3"),
        (np.array([0.0, 1.0]), "steps must be an int or a 1-D array of integer steps, got float64"),
        (np.zeros((2, 2), np.int64), "shape (2, 2)"),
    ],
)
def test_bad_steps(steps, message):
    with pytest.raises(EvaluationError) as info:
        L.evaluate(three_group_plan(), steps)
    assert message in str(info.value)


def test_horizon_continue_evaluates_past_it():
    out = L.evaluate(three_group_plan(steps=10), 20)
    np.testing.assert_array_equal(out, L.evaluate(three_group_plan(), 20))


def test_horizon_hold_keeps_last_step():
    out = L.evaluate(three_group_plan(steps=10, past="hold"), 20)
    ref = L.evaluate(three_group_plan(), 10)
    np.testing.assert_array_equal(out[:, :10], ref)
    np.testing.assert_array_equal(out[:, 10:], np.repeat(ref[:, 9:10], 10, axis=1))


def test_horizon_error_names_the_first_step_past_it():
    plan = three_group_plan(steps=10, past="error")
    assert L.evaluate(plan, 10).shape == (3, 10)
    with pytest.raises(EvaluationError, match=r"^step 10 is past the plan's horizon of 10 steps \(horizon.past: error\)"):
        L.evaluate(plan, 11)
    with pytest.raises(EvaluationError, match=r"^step 12 is past"):
        L.evaluate(plan, np.array([3, 15, 12, 4]))


def test_plateau_plan_cannot_be_evaluated():
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1), scheduler=L.ReduceOnPlateau())
    with pytest.raises(EvaluationError, match="validation metric"):
        L.evaluate(plan, 3)


def test_million_steps_is_one_vectorized_call(monkeypatch):
    # Count schedule calls: one lr() call per node per block of steps (blocks may run in
    # parallel), never one per step.
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        groups=(
            L.ParamGroup(name="a", params=("a*",), lr=0.3),
            L.ParamGroup(name="b", params=("b*",), lr_scale=2.0),
            L.ParamGroup(name="c", rest=True),
        ),
        scheduler=L.Warmup(
            schedule=L.Sequential(
                stages=(
                    L.ByEpoch(schedule=L.MultiStep(milestones=(2, 4), gamma=0.5), steps_per_epoch=1000),
                    L.CosineWarmRestarts(T_0=1000, T_mult=2),
                ),
                milestones=(6000,),
            ),
            warmup_steps=500,
            prefix=True,
        ),
    )
    calls: dict[str, int] = {}

    def counting(cls):
        original = cls.lr

        def lr(self, k, base):
            calls[cls.__name__] = calls.get(cls.__name__, 0) + 1
            return original(self, k, base)

        monkeypatch.setattr(cls, "lr", lr)

    for cls in (L.Warmup, L.Sequential, L.ByEpoch, L.MultiStep, L.CosineWarmRestarts):
        counting(cls)
    out = L.evaluate(plan, 10**6)
    assert out.shape == (3, 10**6)
    blocks = -(-(10**6) // lrbridge.reference.BLOCK)
    assert set(calls) == {"Warmup", "Sequential", "ByEpoch", "MultiStep", "CosineWarmRestarts"}
    assert max(calls.values()) <= blocks < 20
    # spot values (hand-derived): warmup from b/3, stage 1 on the epoch clock, restarts after it
    b = np.array([0.3, 0.1, 0.1])
    scale = np.array([1.0, 2.0, 1.0])
    np.testing.assert_allclose(out[:, 0], scale * b / 3, rtol=REL)
    np.testing.assert_allclose(out[:, 500 + 2500], scale * b * 0.5, rtol=REL)
    np.testing.assert_allclose(out[:, 500 + 6000 + 1000], scale * b, rtol=REL)  # start of the second cycle
    j = 10**6 - 1 - 6500  # last step, inside cycle c of T_0·2^c
    c = int(math.floor(math.log2(j / 1000 + 1)))
    while 1000 * (2 ** (c + 1) - 1) <= j:
        c += 1
    tau, T = j - 1000 * (2**c - 1), 1000 * 2**c
    np.testing.assert_allclose(out[:, -1], scale * b * half_cos(tau / T), rtol=REL)


def test_unsorted_steps_give_the_same_values_as_sorted():
    # composites take a fast path (slices) for sorted steps and masks otherwise; both must agree
    sched = L.Chained(
        schedules=(
            L.Step(step_size=7, gamma=0.9),
            L.Warmup(
                schedule=L.Sequential(
                    stages=(L.ByEpoch(schedule=L.Exponential(gamma=0.5), steps_per_epoch=5), L.CosineWarmRestarts(T_0=3, T_mult=2)),
                    milestones=(20,),
                    clock="global",
                ),
                warmup_steps=6,
            ),
        )
    )
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        groups=(L.ParamGroup(name="a", params=("a",), lr=1.0), L.ParamGroup(name="b", rest=True)),
        scheduler=sched,
    )
    full = L.evaluate(plan, 300)
    perm = np.random.default_rng(0).permutation(300)
    np.testing.assert_array_equal(L.evaluate(plan, perm), full[:, perm])


def test_blocked_parallel_evaluation_equals_one_block(monkeypatch):
    # Long ranges are evaluated in blocks on a thread pool; every formula is elementwise,
    # so the result must be bit-identical to evaluating everything in one block.
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        groups=(
            L.ParamGroup(name="a", params=("a*",), lr_scale=0.5),
            L.ParamGroup(name="b", rest=True, scheduler=L.CosineWarmRestarts(T_0=7, T_mult=2)),
        ),
        scheduler=L.Sequential(stages=(L.LinearRamp(start_factor=0.0, total_iters=1000), L.CosineAnnealing(T_max=900)), milestones=(1000,)),
    )
    steps = 3 * lrbridge.reference.BLOCK + 12345
    blocked = L.evaluate(plan, steps)
    monkeypatch.setattr(lrbridge.reference, "BLOCK", 10**9)
    np.testing.assert_array_equal(blocked, L.evaluate(plan, steps))


def test_step_table_rows_are_the_reference_and_stop_at_an_error_horizon():
    # The per-step lookup behind every closed-form framework scheduler (torch, MindSpore
    # experimental, OneFlow eager): rows equal evaluate(); an 'error' horizon raises at
    # exactly the first step past it, not at a chunk refill before it.
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
        groups=(L.ParamGroup(name="a", params=("a*",), lr_scale=0.5), L.ParamGroup(name="b", rest=True)),
        scheduler=L.CosineAnnealing(T_max=7),
        horizon=L.Horizon(steps=10, past="error"),
    )
    table = lrbridge.reference.StepTable(plan, chunk=4)
    rows = np.array([table.row(k) for k in range(10)]).T
    np.testing.assert_array_equal(rows, L.evaluate(plan, 10))
    with pytest.raises(EvaluationError, match="step 10 is past the plan's horizon of 10 steps"):
        table.row(10)
