"""The schedule kinds added for the dialects (lrbridge/schedules/extra.py): formulas and serialization.

Library-free: expected values are computed here in plain Python from each kind's
documented formula (the dialect tests compare them with the real libraries).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import lrbridge as lb
from lrbridge.dialects import get
from lrbridge.io import plan_from_dict
from lrbridge.schedules import CycleAnneal, FloorStep, LinearGrowth, LogWarmup, Shaped, Triangular


def test_floor_step_is_python_floor_division():
    """1 // 0.1 is 9.0 in Python while ⌊1/0.1⌋ = 10: FloorStep follows Python (timm's ``t // decay_t``)."""
    k = np.arange(0, 500, dtype=np.float64)
    for d in (0.1, 0.7, 2.4, 3.3):
        got = FloorStep(step_size=d, gamma=0.5).lr(k, 1.0)
        assert np.array_equal(got, np.array([0.5 ** (int(v) // d) for v in k]))
    assert FloorStep(step_size=0.1, gamma=0.5).lr(np.array([1.0]), 1.0)[0] == 0.5**9


def test_cycle_anneal_cycle_starts_follow_the_float_log():
    """Cycle starts are where ⌊log_m(1 − t/T·(1 − m))⌋ (float64, math.log) changes, not the exact T(m^c − 1)/(m − 1)."""
    for T, m in ((2, 10.0), (10, 10.0), (6, 1.5), (5, 3.0), (7, 2.0)):
        node = CycleAnneal(t_initial=T, cycle_mul=m, cycle_limit=None)
        k = np.arange(0, 3000, dtype=np.float64)
        i, tau, length = node.cycles(k)
        ref_i = [math.floor(math.log(1 - t / T * (1 - m), m)) for t in range(3000)]
        assert i.tolist() == ref_i
        assert np.array_equal(tau, [t - (1 - m**c) / (1 - m) * T for t, c in zip(range(3000), ref_i)])
        assert np.array_equal(length, [m**c * T for c in ref_i])
    # m = 10, T = 2: update 222 = 111·T still counts as cycle 2
    assert CycleAnneal(t_initial=2, cycle_mul=10.0, cycle_limit=None).cycles(np.array([222.0]))[0][0] == 2


def test_log_warmup_and_linear_growth_formulas():
    k = np.arange(12, dtype=np.float64)
    w = LogWarmup(warmup_steps=7, start_factor=0.2).lr(k, 2.0)
    assert np.allclose(w, [2.0 * (0.2 + 0.8 * min(math.log(j + 1) / math.log(7), 1.0)) for j in range(12)], rtol=1e-15)
    g = LinearGrowth(rate=0.5, step_size=4, staircase=True).lr(k, 1e-3)
    assert np.allclose(g, [1e-3 * (1 + 0.5 * (j // 4)) for j in range(12)], rtol=1e-15)


@pytest.mark.parametrize("shape,f", [
    ("linear", lambda p: p), ("linear_down", lambda p: 1 - p), ("remaining", lambda p: 1 - p),
    ("cosine_up", lambda p: 0.5 * (1 - math.cos(math.pi * p))), ("sqrt_up", lambda p: 1 - math.sqrt(1 - p)),
    ("sqrt_down", lambda p: 1 - math.sqrt(p)),
])
def test_shaped_holds_its_end_past_the_span(shape, f):
    got = Shaped(shape=shape, span=8, floor=0.1).lr(np.arange(12, dtype=np.float64), 1.0)
    ref = [max(0.0, f(min(j, 8) / 8) * 0.9 + 0.1) for j in range(12)]
    assert np.allclose(got, ref, rtol=1e-14, atol=1e-16)


def test_triangular_formula():
    got = Triangular(max_lr=1.0, step_size=5.0, shrink=0.5).lr(np.arange(25, dtype=np.float64), 0.1)
    ref = []
    for n in range(25):
        c = n // 10
        x = abs(n / 5 - 2 * (c + 1) + 1)
        ref.append(0.1 + (0.5**c - 0.1) * max(0.0, 1 - x))
    assert np.allclose(got, ref, rtol=1e-15)


DOCS = {
    "timm": {"sched": "tanh", "lr": 0.1, "epochs": 10, "updates_per_epoch": 5, "lr_cycle_limit": 2, "step_offset": 0},
    "deepspeed": {"optimizer": {"type": "Adam", "params": {"lr": 1e-3}},
                  "scheduler": {"type": "OneCycle", "params": {"cycle_min_lr": 1e-4, "cycle_max_lr": 1e-3,
                                                              "cycle_first_step_size": 10}}},
    "transformers": {"learning_rate": 1e-4, "lr_scheduler_type": "warmup_stable_decay", "max_steps": 100,
                     "warmup_steps": 0.1, "weight_decay": 0.01,
                     "lr_scheduler_kwargs": {"num_decay_steps": 20, "decay_type": "1-sqrt"}},
    "fairseq": {"lr_scheduler": "cosine", "lr": [1e-4], "lr_period_updates": 10, "t_mult": 1.5},
}


@pytest.mark.parametrize("name", list(DOCS))
def test_dialect_plans_detect_and_round_trip(name):
    from lrbridge import dialects

    assert dialects.detect(DOCS[name]) is get(name)
    plan = get(name).to_plan(DOCS[name]).plan
    back = plan_from_dict(yaml.safe_load(lb.dumps_plan(plan)))
    assert back.model_dump(mode="json") == plan.model_dump(mode="json")
    assert np.array_equal(lb.evaluate(back, 300), lb.evaluate(plan, 300))
