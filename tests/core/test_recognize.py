"""lrbridge.recognize.from_trace: curves evaluated from IR plans come back as plans with the same values
at every step (value equality, not plan equality); what fits nothing is a table with notes; inputs; tables
serialize compactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.recognize import from_trace
from lrbridge.schedules import Tabulated


def _curve(schedule, n, lr=0.1):
    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=lr), scheduler=schedule)
    return lb.evaluate(plan, n)[0]


def _rel(a, b):
    return float(np.max(np.abs(a - b) / np.where(b != 0, np.abs(b), 1.0)))


def _random_schedules(rng, n):
    """One schedule per family and composition, parameters drawn at random."""
    w = int(rng.integers(5, n // 5))
    decays = [
        lb.CosineAnnealing(T_max=int(rng.integers(n // 2, 3 * n)), eta_min=float(rng.choice([0.0, 1e-4, 2e-3]))),
        lb.Exponential(gamma=float(rng.choice([0.99, 0.97, 0.995]))),
        lb.Polynomial(total_iters=int(rng.integers(n // 2, 2 * n)), power=float(rng.choice([0.9, 1.0, 2.0]))),
        lb.InverseTimeDecay(decay_rate=float(rng.choice([0.01, 0.05]))),
        lb.InverseSqrt(warmup_steps=0, timescale=int(rng.integers(10, 200))),
    ]
    out = [
        lb.Step(step_size=int(rng.integers(10, n // 3)), gamma=float(rng.choice([0.1, 0.5]))),
        lb.MultiStep(milestones=tuple(sorted(rng.choice(np.arange(5, n - 5), 3, replace=False).tolist())), gamma=0.2),
        lb.LinearRamp(start_factor=float(rng.choice([0.0, 0.01, 0.25])), total_iters=w),
        lb.ConstantFactor(factor=0.3, total_iters=w),
        lb.OneCycle(total_steps=n, max_lr=0.2, pct_start=float(rng.choice([0.25, 0.3]))),
        lb.Cyclic(base_lr=1e-3, max_lr=0.1, step_size_up=int(rng.integers(5, 40)), step_size_down=int(rng.integers(5, 40))),
        lb.CosineWarmRestarts(T_0=int(rng.integers(10, 60)), T_mult=int(rng.choice([1, 2])), eta_min=1e-4),
        lb.Noam(d_model=512.0, warmup_steps=w),
        lb.InverseSqrt(warmup_steps=w),
        lb.ByEpoch(schedule=lb.CosineAnnealing(T_max=12), steps_per_epoch=int(rng.integers(5, 30))),
    ] + decays
    for d in decays[:3]:
        out.append(lb.Sequential(stages=(lb.LinearRamp(start_factor=0.01, total_iters=w), d), milestones=(w,)))
    out.append(lb.Sequential(stages=(lb.LinearRamp(start_factor=0.0, total_iters=w), decays[0]), milestones=(w,), clock="global"))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_ir_curves_round_trip_at_every_step(seed):
    rng = np.random.default_rng(seed)
    n = 400
    for schedule in _random_schedules(rng, n):
        y = _curve(schedule, n)
        result = from_trace(y)
        assert result.exact, (schedule, result.notes)
        assert result.plan.horizon.past == "continue"
        assert _rel(lb.evaluate(result.plan, n)[0], y) <= 1e-12, (schedule, result.notes)


def test_random_ir_curves_round_trip_from_float32():
    """The same families stored as float32 (a MindSpore list): recognised to their float32 rounding."""
    rng = np.random.default_rng(0)
    n = 400
    for schedule in _random_schedules(rng, n):
        y32 = _curve(schedule, n).astype(np.float32)
        result = from_trace(y32)
        assert result.exact, (schedule, result.notes)
        back = lb.evaluate(result.plan, n, dtype=np.float32)[0]
        assert np.array_equal(back, y32), schedule  # bit for bit after rounding


def test_recognised_parameters_are_the_simple_ones():
    y = _curve(lb.Sequential(stages=(lb.LinearRamp(start_factor=0.001, total_iters=50),
                                     lb.CosineAnnealing(T_max=450, eta_min=1e-5)), milestones=(50,)), 500)
    plan = from_trace(y).plan
    stages = plan.scheduler.stages
    assert plan.optimizer.lr == 0.1 and stages[0].start_factor == 0.001 and stages[1].eta_min == 1e-5
    assert stages[1].T_max == 450 and plan.scheduler.milestones == (50,)


def test_float32_sources_match_their_rounding():
    """A MindSpore-style float32 list of cosine_decay with warmup: recognised to its float32 rounding."""
    n = 3000
    schedule = lb.Sequential(stages=(lb.LinearRamp(start_factor=0.0, total_iters=100),
                                     lb.CosineDecay(decay_steps=2900, min_lr=1e-6)), milestones=(100,))
    y32 = _curve(schedule, n, lr=0.05).astype(np.float32)
    result = from_trace(y32)
    assert result.exact, result.notes
    back = lb.evaluate(result.plan, n, dtype=np.float32)[0]
    assert np.max(np.abs(back.astype(np.float64) - y32) / y32.clip(1e-30)) <= 2.0**-23


def test_groups_that_are_multiples_share_one_schedule():
    y = _curve(lb.CosineAnnealing(T_max=300), 300)
    result = from_trace({"backbone": 0.1 * y, "head": y}, base_lr=None)
    assert result.exact
    plan = result.plan
    assert plan.group_names == ["backbone", "head"] and all(g.scheduler is None for g in plan.groups)
    assert _rel(lb.evaluate(plan, 300), np.stack([0.1 * y, y])) <= 1e-12


def test_epoch_stairs_are_by_epoch_with_the_detected_steps_per_epoch():
    y = _curve(lb.ByEpoch(schedule=lb.CosineAnnealing(T_max=20, eta_min=1e-3), steps_per_epoch=37), 37 * 20)
    plan = from_trace(y).plan
    assert plan.scheduler.kind == "by_epoch" and plan.scheduler.steps_per_epoch == 37
    assert plan.scheduler.schedule.kind == "cosine"


def test_curves_that_fit_nothing_are_tables_with_notes():
    rng = np.random.default_rng(7)
    y = 0.1 * rng.random(500)
    result = from_trace(y)
    assert not result.exact and result.plan.horizon.past == "error" and result.plan.horizon.steps == 500
    assert result.plan.scheduler.kind == "tabulated"
    assert np.array_equal(lb.evaluate(result.plan, 500)[0], y)
    assert any("no closed form" in n and "from step" in n for n in result.notes)
    # a known shape whose tail is broken: the note names where it stops fitting
    z = _curve(lb.CosineAnnealing(T_max=400), 400)
    z[300:] += 1e-6 * rng.random(100)
    notes = from_trace(z).notes
    assert any("no closed form" in n for n in notes)


def test_too_few_points_are_not_recognised():
    """Three values and two parameters: interpolation, not recognition (MindSpore lists stay tables)."""
    assert not from_trace([0.1, 0.05, 0.025]).exact


def test_files_of_logged_lrs(tmp_path):
    y = _curve(lb.Exponential(gamma=0.98), 120)
    np.save(tmp_path / "lr.npy", y)
    (tmp_path / "lr.json").write_text(json.dumps({"total_step": 120, "groups": [{"name": "enc", "lr": y.tolist()}]}))
    (tmp_path / "lr.csv").write_text("step,enc,head\n" + "\n".join(f"{k},{v!r},{v / 2!r}" for k, v in enumerate(y)))
    for name in ("lr.npy", "lr.json", "lr.csv"):
        result = from_trace(tmp_path / name)
        assert result.exact, (name, result.notes)
        assert _rel(lb.evaluate(result.plan, 120)[0], y) <= 1e-12
    assert from_trace(tmp_path / "lr.csv").plan.group_names == ["enc", "head"]
    (tmp_path / "lr.txt").write_text("0.1\n")
    with pytest.raises(lb.PlanError, match="lr file type"):
        from_trace(tmp_path / "lr.txt")


def test_long_tables_serialize_compactly_and_read_back_exactly():
    rng = np.random.default_rng(1)
    values = tuple(rng.random(5000).tolist())
    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=1.0), scheduler=Tabulated(values=values))
    for fmt in ("json", "yaml"):
        text = lb.dumps_plan(plan, fmt)
        assert "float64-zlib-base64" in text and len(text) < 12 * len(values)
        back = lb.parse_plan(text, fmt)
        assert back.scheduler.values == values and back == plan
    short = lb.plan_to_dict(plan.model_copy(update={"scheduler": Tabulated(values=(0.1, 0.2))}))
    assert short["scheduler"]["values"] == [0.1, 0.2]  # short tables stay readable lists
    with pytest.raises(lb.PlanError):
        lb.plan_from_dict({"optimizer": {"name": "sgd", "lr": 1.0},
                           "scheduler": {"kind": "tabulated", "values": {"encoding": "float64-zlib-base64", "count": 3, "data": "@@"}}})
