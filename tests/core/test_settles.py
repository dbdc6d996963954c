"""``settles_at``: a step s from which a schedule's lr is constant, bit for bit, for every base lr.

Checked against the reference evaluator itself: when a node says s, lr(k) has the bits of lr(s)
for k in s..s+5000 and at huge steps (10^6, 2^40, 2^52), for several base lrs. s is an upper
bound, not the step of the last change (lr(s − 1) may equal lr(s)); where the parameters make
the last change obvious (a milestone, the end of a decay) the tests also check that s is that
step, so the bound is not uselessly late. ``None`` promises nothing and is not checked here beyond
the kinds that truly keep changing.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as L
from lrbridge.random_plans import random_cases
from lrbridge.schedules import (
    ByEpoch, Chained, Constant, ConstantFactor, CosineAnnealing, CosineDecay, CosineWarmRestarts, CycleAnneal,
    Exponential, FloorStep, InverseTimeDecay, LinearGrowth, LinearRamp, LogWarmup, MultiStep, NaturalExpDecay,
    Piecewise, Polynomial, Sequential, Shaped, Step, Tabulated, Warmup,
)
from lrbridge.schedules.examples import FAMILIES

BASES = np.array([[0.5], [3.0], [1e-3]])
HUGE = [10**6, 2**40, 2**52]


def _bits(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, np.float64).view(np.int64)


def assert_constant_from(schedule, s: int) -> None:
    """lr(k, b) has the bits of lr(s, b) for k in s..s+5000 and at HUGE steps, for every base in BASES."""
    k = np.concatenate([np.arange(s, s + 5001), [h for h in HUGE if h > s]]).astype(np.float64)
    with np.errstate(all="ignore"):
        lr = np.broadcast_to(schedule.lr(k, BASES), (len(BASES), k.size))
    bad = _bits(lr) != _bits(lr[:, :1])
    assert not bad.any(), f"{schedule.describe()} settles_at={s} but lr(k={k[np.argwhere(bad)[0][1]]:.0f}) differs"


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_example_kind_is_constant_from_where_it_says(name):
    schedule = FAMILIES[name]
    s = schedule.settles_at()
    if s is None:
        return  # nothing promised (checked for the kinds that truly keep changing below)
    assert isinstance(s, int) and s >= 0
    assert_constant_from(schedule, s)


RAMP10 = LinearRamp(start_factor=0.1, total_iters=10)
DECAY100 = CosineDecay(decay_steps=100)
DECAY50 = CosineDecay(decay_steps=50)

# (schedule, the step at which it visibly stops changing, derived from its parameters)
CASES = {
    "constant": (Constant(), 0),
    "constant_factor": (ConstantFactor(factor=0.5, total_iters=7), 7),
    "constant_factor 1": (ConstantFactor(factor=1.0, total_iters=7), 0),
    "linear ramp": (LinearRamp(start_factor=0.1, total_iters=13), 13),
    "linear ramp T=0": (LinearRamp(start_factor=0.1, end_factor=0.4, total_iters=0), 0),
    "step gamma 1": (Step(step_size=3, gamma=1.0), 0),
    "multistep": (MultiStep(milestones=(5, 17, 40), gamma=0.3), 40),
    "multistep none": (MultiStep(milestones=(), gamma=0.3), 0),
    "piecewise relative": (Piecewise(boundaries=(4, 9), values=(1.0, 0.5, 0.25), relative=True), 9),
    "exponential gamma 1": (Exponential(gamma=1.0, decay_steps=7), 0),
    "natural_exp rate 0": (NaturalExpDecay(decay_rate=0.0, decay_steps=3, staircase=True), 0),
    "inverse_time rate 0": (InverseTimeDecay(decay_rate=0.0), 0),
    "cosine_decay min_lr": (CosineDecay(decay_steps=33, min_lr=1e-4), 33),
    "cosine_restarts T_mult 1 limit 3": (CosineWarmRestarts(T_0=7, eta_min=1e-3, restart_limit=3), 21),
    "cosine_restarts T_mult 3 limit 4": (
        CosineWarmRestarts(T_0=2, T_mult=3, restart_limit=4, decay_rate=0.7), 2 + 6 + 18 + 54),
    "polynomial end_lr": (Polynomial(total_iters=40, power=0.5, end_lr=1e-3), 40),
    "timm cosine (cycle_limit 1)": (CycleAnneal(t_initial=90, lr_min=1e-5), 90),
    "timm cosine, 2 cycles of mul 1": (CycleAnneal(t_initial=25, lr_min=1e-5, cycle_limit=2, cycle_decay=0.5), 50),
    "timm poly, mul 1.5": (
        CycleAnneal(t_initial=20, shape="poly", cycle_mul=1.5, cycle_limit=3, lr_min=1e-4), 20 + 30 + 45),
    "log_warmup": (LogWarmup(warmup_steps=12, start_factor=0.1), 12),
    "HF linear decay (linear_down)": (Shaped(shape="linear_down", span=80), 80),
    "HF linear, shifted": (Shaped(shape="remaining", span=80, shift=30), 50),
    "HF cosine, clamped with floor": (Shaped(shape="cosine", span=60, clamp=True, floor=0.1), 60),
    "HF cosine hard restarts": (Shaped(shape="cosine_hard", span=60, cycles=3.0), 60),
    "HF sqrt_down": (Shaped(shape="sqrt_down", span=45), 45),
    "floor_step gamma 1": (FloorStep(step_size=2.4, gamma=1.0), 0),
    "linear_growth rate 0": (LinearGrowth(rate=0.0, step_size=5, staircase=True), 0),
    "tabulated constant tail": (Tabulated(values=(0.3, 0.2, 0.1, 0.1, 0.1)), 2),
    "tabulated relative": (Tabulated(values=(1.0, 0.5, 0.25), relative=True), 2),
    "tabulated -0.0 then 0.0": (Tabulated(values=(0.1, -0.0, 0.0, 0.0)), 2),
    "tabulated one value": (Tabulated(values=(0.1,)), 0),
    # composites and their clocks
    "sequential restart": (Sequential(stages=(RAMP10, DECAY100), milestones=(10,)), 110),
    "sequential global": (Sequential(stages=(RAMP10, DECAY100), milestones=(10,), clock="global"), 100),
    "sequential global, stage settled before its milestone": (
        Sequential(stages=(Constant(), CosineDecay(decay_steps=20)), milestones=(50,), clock="global"), 50),
    "sequential restart, last constant": (
        Sequential(stages=(RAMP10, CosineAnnealing(T_max=30), Constant()), milestones=(8, 38)), 38),
    "sequential restart, periodic first stage": (
        Sequential(stages=(CosineAnnealing(T_max=5), MultiStep(milestones=(30, 60), gamma=0.5)), milestones=(5,)), 65),
    "warmup prefix": (Warmup(schedule=DECAY50, warmup_steps=10, warmup_factor=0.1, prefix=True), 60),
    "warmup no prefix": (Warmup(schedule=DECAY50, warmup_steps=10, warmup_factor=0.1), 50),
    "warmup no prefix, settled inside the warmup": (
        Warmup(schedule=MultiStep(milestones=(3,), gamma=0.5), warmup_steps=10, method="constant"), 10),
    "chained": (Chained(schedules=(LinearRamp(start_factor=0.2, total_iters=30), CosineDecay(decay_steps=70, alpha=0.05))), 70),
    "by_epoch epoch cadence": (ByEpoch(schedule=CosineDecay(decay_steps=5), steps_per_epoch=7), 35),
    "by_epoch step cadence": (
        ByEpoch(schedule=Polynomial(total_iters=3, power=2.0), steps_per_epoch=10, cadence="step"), 30),
    "by_epoch step cadence over a restarted sequential": (
        ByEpoch(schedule=Sequential(stages=(LinearRamp(start_factor=0.0, total_iters=2), CosineDecay(decay_steps=3)), milestones=(2,)),
                steps_per_epoch=9, cadence="step"), 45),
    "timm: warmup then cosine, nested": (
        Sequential(stages=(LinearRamp(start_factor=0.01, total_iters=5),
                           Warmup(schedule=ByEpoch(schedule=MultiStep(milestones=(2, 4)), steps_per_epoch=3), warmup_steps=4, prefix=True)),
                   milestones=(5,)), 5 + 4 + 12),
}


@pytest.mark.parametrize("name", list(CASES))
def test_settles_at_the_step_the_parameters_give(name):
    schedule, expected = CASES[name]
    assert schedule.settles_at() == expected
    assert_constant_from(schedule, expected)


@pytest.mark.parametrize("name", ["multistep", "cosine_decay min_lr", "polynomial end_lr", "sequential restart",
                                  "timm cosine (cycle_limit 1)", "by_epoch epoch cadence", "tabulated constant tail"])
def test_the_bound_is_the_last_change_where_the_curve_moves_until_then(name):
    """Not required in general (s is an upper bound), but for these the lr still changes at s − 1 → s."""
    schedule, s = CASES[name]
    lr = schedule.lr(np.array([s - 1, s], np.float64), 0.5)
    assert lr[0] != lr[1]


@pytest.mark.parametrize("schedule", [
    CosineAnnealing(T_max=10), Exponential(gamma=0.99), Step(step_size=5, gamma=0.5), CosineWarmRestarts(T_0=5),
    Polynomial(total_iters=10, cycle=True), CycleAnneal(t_initial=10, cycle_limit=None), Shaped(shape="cosine", span=10),
    Warmup(schedule=CosineAnnealing(T_max=10), warmup_steps=3), Chained(schedules=(Constant(), Exponential(gamma=0.9))),
    Sequential(stages=(Constant(), InverseTimeDecay(decay_rate=0.1)), milestones=(4,)),
], ids=lambda s: s.kind)
def test_curves_that_keep_changing_are_not_claimed(schedule):
    assert schedule.settles_at() is None
    lr = schedule.lr(np.arange(200, 260, dtype=np.float64), 1.0)
    assert len(set(lr.tolist())) > 1  # they really do change past any early step


def test_far_settling_points_beyond_2_53_are_not_claimed():
    assert ByEpoch(schedule=CosineDecay(decay_steps=2**50), steps_per_epoch=2**4).settles_at() is None
    assert CosineWarmRestarts(T_0=3, T_mult=2, restart_limit=60).settles_at() is None


def test_plan_settles_at_the_latest_group_and_only_if_every_group_settles():
    opt = L.OptimizerSpec(name="sgd", lr=0.5)
    a = L.ParamGroup(name="a", params=("a*",), scheduler=MultiStep(milestones=(10, 30)))
    rest = L.ParamGroup(name="rest", rest=True, lr_scale=0.5)
    plan = L.Plan(optimizer=opt, groups=(a, rest), scheduler=CosineDecay(decay_steps=20), horizon=L.Horizon(steps=31))
    assert plan.lr_settles_at() == 30 and plan.holds_as_it_continues()
    assert not plan.model_copy(update={"horizon": L.Horizon(steps=30)}).holds_as_it_continues()
    assert not plan.model_copy(update={"horizon": L.Horizon()}).holds_as_it_continues()
    periodic = plan.model_copy(update={"scheduler": CosineAnnealing(T_max=20)})
    assert periodic.lr_settles_at() is None and not periodic.holds_as_it_continues()
    # a plan scheduler no group follows does not count
    own = L.ParamGroup(name="rest", rest=True, scheduler=Constant())
    assert L.Plan(optimizer=opt, groups=(a, own), scheduler=CosineAnnealing(T_max=20)).lr_settles_at() == 30


def test_random_plans_are_constant_from_where_they_say():
    """Every random plan whose lr settles: each group's lr (lr_scale included) keeps its bits from there on."""
    settled = 0
    for plan, _ in random_cases(150, seed=11):
        s = plan.lr_settles_at()
        if s is None:
            continue
        plan = plan.model_copy(update={"horizon": L.Horizon()})  # the formulas continued
        k = np.concatenate([np.arange(s, s + 2001), [h for h in HUGE if h > s]])
        try:
            lr = L.evaluate(plan, k)
        except L.EvaluationError:
            with pytest.raises(L.EvaluationError):
                L.evaluate(plan, [s])  # only a plan invalid at s itself may fail past it
            continue
        assert (_bits(lr) == _bits(lr[:, :1])).all(), (s, plan.scheduler.describe())
        settled += 1
    assert settled >= 15  # the sample does exercise it
