"""OneFlow 0.9 eager schedulers as the oracle for lrbridge's reference evaluator.

Each case pairs a real OneFlow scheduler (stepped in the worker, ``native_curve``)
with the IR plan written by hand from OneFlow's documented semantics, and compares
``lrbridge.evaluate`` with the lr OneFlow hands each optimizer step. OneFlow eager
computes every lr in closed form in Python float64, so the tolerance is a float64
relative error of 1e-12 (``TOL``); what differs is only the order of float64
operations. Observed worst: 2.3e-14, in CosineAnnealingLR next to its zeros where
1 + cos(πk/T) cancels; everywhere else below 5e-15.

All curves come from one worker call (one interpreter start, ~1 s) in a
module-scoped fixture; assertions are parametrized per case.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import evaluate
from lrbridge.conformance import compare
from lrbridge.groups import ParamGroup
from lrbridge.optim import OptimizerSpec
from lrbridge.plan import Plan
from lrbridge.schedules import (
    Chained,
    Constant,
    ConstantFactor,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    Exponential,
    LinearRamp,
    MultiStep,
    Polynomial,
    Sequential,
    Step,
    Warmup,
)

TOL = 1e-12  # float64 relative error: OneFlow eager is a float64 closed form


# ---- native OneFlow scheduler specs (the worker's JSON) ----------------------------------------


def of(cls: str, **kwargs) -> dict:
    return {"class": cls, "kwargs": kwargs}


def of_seq(schedulers, milestones, interval_rescaling=False) -> dict:
    return {"class": "SequentialLR", "schedulers": schedulers,
            "kwargs": {"milestones": milestones, "interval_rescaling": interval_rescaling}}


def of_chain(*schedulers) -> dict:
    return {"class": "ChainedScheduler", "schedulers": list(schedulers)}


def of_warmup(scheduler, **kwargs) -> dict:
    return {"class": "WarmupLR", "scheduler": scheduler, "kwargs": kwargs}


# ---- cases: id -> (group base lrs, native spec, IR schedule, steps) ----------------------------

ONE = [1.0]
MULTI = [0.1, 0.01, 0.35]

CASES: dict[str, tuple[list[float], dict, object, int]] = {
    # basic families
    "step": (ONE, of("StepLR", step_size=3, gamma=0.5), Step(step_size=3, gamma=0.5), 30),
    "step_multigroup": (MULTI, of("StepLR", step_size=4), Step(step_size=4), 30),
    "multistep": (MULTI, of("MultiStepLR", milestones=[5, 12, 20], gamma=0.3),
                  MultiStep(milestones=(5, 12, 20), gamma=0.3), 30),
    "constant_factor0": (ONE, of("ConstantLR", factor=0.0, total_iters=2), ConstantFactor(factor=0.0, total_iters=2), 6),
    "constant_default": (MULTI, of("ConstantLR"), ConstantFactor(), 10),
    "linear_start0": (ONE, of("LinearLR", start_factor=0.0, end_factor=1.0, total_iters=8),
                      LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=8), 15),
    "linear_down": (MULTI, of("LinearLR", start_factor=1.0, end_factor=0.25, total_iters=7),
                    LinearRamp(start_factor=1.0, end_factor=0.25, total_iters=7), 15),
    "linear_zero_iters": (ONE, of("LinearLR", start_factor=0.5, end_factor=0.75, total_iters=0),
                          LinearRamp(start_factor=0.5, end_factor=0.75, total_iters=0), 4),
    "exponential": (MULTI, of("ExponentialLR", gamma=0.95), Exponential(gamma=0.95), 100),
    # polynomial: OneFlow's end_learning_rate defaults to an absolute 1e-4; cycle treats k = 0 as 1
    "poly_default_end": (MULTI, of("PolynomialLR", decay_batch=20, power=2.0),
                         Polynomial(total_iters=20, power=2.0, end_lr=1e-4), 30),
    "poly_end0": (ONE, of("PolynomialLR", decay_batch=20, end_learning_rate=0.0, power=0.5),
                  Polynomial(total_iters=20, power=0.5, end_lr=0.0), 30),
    "poly_cycle": (MULTI, of("PolynomialLR", decay_batch=10, end_learning_rate=0.001, power=1.5, cycle=True),
                   Polynomial(total_iters=10, power=1.5, end_lr=0.001, cycle=True, cycle_min_step=1), 45),
    # cosine
    "cosine_decay_alpha": (MULTI, of("CosineDecayLR", decay_steps=20, alpha=0.1), CosineDecay(decay_steps=20, alpha=0.1), 40),
    "cosine_decay_alpha0": (ONE, of("CosineDecayLR", decay_steps=16), CosineDecay(decay_steps=16), 30),
    "cosine_periodic": (ONE, of("CosineAnnealingLR", T_max=10), CosineAnnealing(T_max=10), 50),
    "cosine_periodic_eta": (MULTI, of("CosineAnnealingLR", T_max=7, eta_min=0.005),
                            CosineAnnealing(T_max=7, eta_min=0.005), 40),
    # warm restarts
    "restarts_mult1": (MULTI, of("CosineAnnealingWarmRestarts", T_0=5), CosineWarmRestarts(T_0=5), 40),
    "restarts_mult2": (ONE, of("CosineAnnealingWarmRestarts", T_0=2, T_mult=2), CosineWarmRestarts(T_0=2, T_mult=2), 200),
    "restarts_mult3_eta": (MULTI, of("CosineAnnealingWarmRestarts", T_0=3, T_mult=3, eta_min=0.001),
                           CosineWarmRestarts(T_0=3, T_mult=3, eta_min=0.001), 200),
    "restarts_decay": (MULTI, of("CosineAnnealingWarmRestarts", T_0=4, T_mult=2, decay_rate=0.5),
                       CosineWarmRestarts(T_0=4, T_mult=2, decay_rate=0.5), 150),
    "restarts_limit": (ONE, of("CosineAnnealingWarmRestarts", T_0=2, eta_min=0.05, restart_limit=2),
                       CosineWarmRestarts(T_0=2, eta_min=0.05, restart_limit=2), 12),
    "restarts_limit_decay": (MULTI, of("CosineAnnealingWarmRestarts", T_0=3, T_mult=2, eta_min=0.002,
                                       decay_rate=0.7, restart_limit=3),
                             CosineWarmRestarts(T_0=3, T_mult=2, eta_min=0.002, decay_rate=0.7, restart_limit=3), 40),
    # sequential: interval_rescaling False = clock "global", True = clock "restart"
    "seq_global": (ONE, of_seq([of("ConstantLR", factor=0.1, total_iters=2), of("CosineAnnealingLR", T_max=4)], [2], False),
                   Sequential(stages=(ConstantFactor(factor=0.1, total_iters=2), CosineAnnealing(T_max=4)),
                              milestones=(2,), clock="global"), 12),
    "seq_restart": (ONE, of_seq([of("ConstantLR", factor=0.1, total_iters=2), of("CosineAnnealingLR", T_max=4)], [2], True),
                    Sequential(stages=(ConstantFactor(factor=0.1, total_iters=2), CosineAnnealing(T_max=4)),
                               milestones=(2,), clock="restart"), 12),
    "seq3_restart_multigroup": (
        MULTI,
        of_seq([of("LinearLR", start_factor=0.0, total_iters=5), of("StepLR", step_size=4, gamma=0.5),
                of("CosineAnnealingLR", T_max=10, eta_min=0.001)], [5, 17], True),
        Sequential(stages=(LinearRamp(start_factor=0.0, total_iters=5), Step(step_size=4, gamma=0.5),
                           CosineAnnealing(T_max=10, eta_min=0.001)), milestones=(5, 17), clock="restart"), 40),
    "seq3_global_multigroup": (
        MULTI,
        of_seq([of("LinearLR", start_factor=0.0, total_iters=5), of("ExponentialLR", gamma=0.9),
                of("PolynomialLR", decay_batch=30, end_learning_rate=0.0)], [5, 17], False),
        Sequential(stages=(LinearRamp(start_factor=0.0, total_iters=5), Exponential(gamma=0.9),
                           Polynomial(total_iters=30, end_lr=0.0)), milestones=(5, 17), clock="global"), 40),
    # nested IR Sequentials against the flat native SequentialLR with per-milestone rescaling,
    # the only form OneFlow runs (a nested SequentialLR raises, see test_nested_sequentiallr_is_not_runnable)
    "seq_nested_global_outer": (
        ONE,
        of_seq([of("ConstantLR", factor=0.2, total_iters=3), of("StepLR", step_size=2, gamma=0.5),
                of("CosineAnnealingLR", T_max=5)], [3, 9], [False, True]),
        Sequential(stages=(ConstantFactor(factor=0.2, total_iters=3),
                           Sequential(stages=(Step(step_size=2, gamma=0.5), CosineAnnealing(T_max=5)),
                                      milestones=(9,), clock="restart")),
                   milestones=(3,), clock="global"), 25),
    "seq_nested_restart_both": (
        MULTI,
        of_seq([of("ConstantLR", factor=0.2, total_iters=3), of("StepLR", step_size=2, gamma=0.5),
                of("CosineAnnealingLR", T_max=5)], [3, 9], True),
        Sequential(stages=(ConstantFactor(factor=0.2, total_iters=3),
                           Sequential(stages=(Step(step_size=2, gamma=0.5), CosineAnnealing(T_max=5)),
                                      milestones=(6,), clock="restart")),
                   milestones=(3,), clock="restart"), 25),
    # WarmupLR -> Warmup (prefix False: the ramp ends at schedule(W) and the schedule keeps the global k)
    "warmup_linear": (ONE, of_warmup(of("CosineAnnealingLR", T_max=6), warmup_factor=0.1, warmup_iters=3),
                      Warmup(schedule=CosineAnnealing(T_max=6), warmup_steps=3, warmup_factor=0.1), 12),
    "warmup_linear_prefix": (ONE, of_warmup(of("CosineAnnealingLR", T_max=6), warmup_factor=0.1, warmup_iters=3,
                                            warmup_prefix=True),
                             Warmup(schedule=CosineAnnealing(T_max=6), warmup_steps=3, warmup_factor=0.1, prefix=True), 12),
    "warmup_linear_eta": (ONE, of_warmup(of("CosineAnnealingLR", T_max=20, eta_min=0.05), warmup_factor=0.0,
                                         warmup_iters=5),
                          Warmup(schedule=CosineAnnealing(T_max=20, eta_min=0.05), warmup_steps=5, warmup_factor=0.0), 30),
    "warmup_constant": (ONE, of_warmup(of("StepLR", step_size=3, gamma=0.5), warmup_factor=0.25, warmup_iters=4,
                                       warmup_method="constant"),
                        Warmup(schedule=Step(step_size=3, gamma=0.5), warmup_steps=4, warmup_factor=0.25,
                               method="constant"), 15),
    "warmup_constant_prefix_multigroup": (
        MULTI, of_warmup(of("StepLR", step_size=3, gamma=0.5), warmup_factor=0.25, warmup_iters=4,
                         warmup_method="constant", warmup_prefix=True),
        Warmup(schedule=Step(step_size=3, gamma=0.5), warmup_steps=4, warmup_factor=0.25, method="constant",
               prefix=True), 15),
    "warmup_linear_prefix_multigroup": (
        MULTI, of_warmup(of("PolynomialLR", decay_batch=12, power=2.0), warmup_factor=0.05, warmup_iters=6,
                         warmup_prefix=True),
        Warmup(schedule=Polynomial(total_iters=12, power=2.0, end_lr=1e-4), warmup_steps=6, warmup_factor=0.05,
               prefix=True), 25),
    "warmup_only": (ONE, of_warmup(None, warmup_factor=0.2, warmup_iters=4),
                    Warmup(schedule=Constant(), warmup_steps=4, warmup_factor=0.2), 8),
    "warmup_zero_iters": (ONE, of_warmup(of("ExponentialLR", gamma=0.8), warmup_iters=0),
                          Warmup(schedule=Exponential(gamma=0.8), warmup_steps=0), 8),
    # ChainedScheduler -> Chained: each output is the next one's base, exactly
    "chained_product": (ONE, of_chain(of("CosineAnnealingLR", T_max=4), of("StepLR", step_size=2, gamma=0.5)),
                        Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2, gamma=0.5))), 12),
    "chained_absolute": (MULTI, of_chain(of("CosineAnnealingLR", T_max=8, eta_min=0.01), of("ExponentialLR", gamma=0.9),
                                         of("LinearLR", start_factor=0.0, total_iters=4)),
                         Chained(schedules=(CosineAnnealing(T_max=8, eta_min=0.01), Exponential(gamma=0.9),
                                            LinearRamp(start_factor=0.0, total_iters=4))), 20),
}

# OneFlow's CosineAnnealingWarmRestarts finds the cycle with a float log,
# floor(log(1 + k·(m−1)/T_0, m)), which lands just below the integer at these
# exact cycle starts: OneFlow returns the end of the previous cycle (0.0) where the
# exact cycle index gives the restart (1.0). lrbridge keeps the exact value.
FLOAT_LOG_BUG = {
    "restarts_bug_1_3": (of("CosineAnnealingWarmRestarts", T_0=1, T_mult=3), CosineWarmRestarts(T_0=1, T_mult=3), 400, [121]),
    "restarts_bug_1_10": (of("CosineAnnealingWarmRestarts", T_0=1, T_mult=10), CosineWarmRestarts(T_0=1, T_mult=10), 1200, [111]),
}

# Cases OneFlow rejects, each with the text its error must contain.
REJECTED = {
    # SequentialLR has no get_lr, so an outer SequentialLR fails when the nested one takes over
    "nested_sequentiallr": ({"groups": [{"lr": 1.0}], "steps": 10,
                             "scheduler": of_seq([of("ConstantLR", factor=0.2, total_iters=3),
                                                  of_seq([of("StepLR", step_size=2), of("CosineAnnealingLR", T_max=5)], [6])],
                                                 [3])},
                            ["SequentialLR.step() computing the lr of step 3", "NotImplementedError"]),
    # linear warmup without prefix takes its end factor from group 0 and refuses unequal base lrs
    "warmup_multigroup_no_prefix": ({"groups": [{"lr": 0.1}, {"lr": 0.2}], "steps": 5,
                                     "scheduler": of_warmup(of("CosineAnnealingLR", T_max=6), warmup_iters=3)},
                                    ["WarmupLR", "different warmup configs"]),
    # the worker's own validation
    "unknown_class": ({"groups": [{"lr": 1.0}], "steps": 3, "scheduler": of("CosineLR", T_max=3)},
                      ["'CosineLR' is not a drivable", "accepted: ['ChainedScheduler', 'ConstantLR', 'CosineAnnealingLR'"]),
    "lambda_not_drivable": ({"groups": [{"lr": 1.0}], "steps": 3, "scheduler": of("LambdaLR")},
                            ["needs a Python callable"]),
    "bad_kwarg": ({"groups": [{"lr": 1.0}], "steps": 3,
                   "scheduler": of_chain(of("StepLR", step_size=2), of("ExponentialLR", gama=0.5))},
                  ["scheduler.schedulers[1]: ExponentialLR", "unexpected keyword argument 'gama'"]),
    "bad_steps": ({"groups": [{"lr": 1.0}], "steps": -1, "scheduler": of("StepLR", step_size=2)}, [".steps: expected a non-negative"]),
}


def plan_for(lrs, schedule) -> Plan:
    groups = tuple(ParamGroup(name=f"g{i}", params=(f"p{i}",), lr=lr) for i, lr in enumerate(lrs))
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=lrs[0]), groups=groups, scheduler=schedule)


@pytest.fixture(scope="module")
def native(oneflow):
    """Every native curve (or error) of this module from one worker call, keyed by case id."""
    requests = {cid: {"groups": [{"lr": lr} for lr in lrs], "scheduler": spec, "steps": n}
                for cid, (lrs, spec, _, n) in CASES.items()}
    requests.update({cid: {"groups": [{"lr": 1.0}], "scheduler": spec, "steps": n}
                     for cid, (spec, _, n, _) in FLOAT_LOG_BUG.items()})
    requests.update({cid: req for cid, (req, _) in REJECTED.items()})
    replies = oneflow({"op": "native_curve", "cases": list(requests.values())}, timeout=300)
    return dict(zip(requests, replies))


def curve(native, cid) -> np.ndarray:
    reply = native[cid]
    assert "lr" in reply, f"OneFlow failed on case {cid}: {reply.get('error')}"
    return np.asarray(reply["lr"], np.float64)


@pytest.mark.parametrize("cid", list(CASES))
def test_reference_matches_oneflow(native, cid):
    lrs, _, schedule, n = CASES[cid]
    measured = curve(native, cid)
    plan = plan_for(lrs, schedule)
    assert measured.shape == (len(lrs), n)
    result = compare(measured, evaluate(plan, n), group_names=plan.group_names, metric="rel", tolerance=TOL)
    assert result.ok, f"{cid}: {result}"


@pytest.mark.parametrize("cid", list(FLOAT_LOG_BUG))
def test_warm_restarts_float_log_bug(native, cid):
    _, schedule, n, bug_steps = FLOAT_LOG_BUG[cid]
    measured = curve(native, cid)[0]
    reference = evaluate(plan_for(ONE, schedule), n)[0]
    assert measured[bug_steps].tolist() == [0.0] * len(bug_steps)  # OneFlow: end of the previous cycle
    assert reference[bug_steps].tolist() == [1.0] * len(bug_steps)  # exact: the restart
    elsewhere = np.ones(n, bool)
    elsewhere[bug_steps] = False
    result = compare(measured[elsewhere], reference[elsewhere], metric="rel", tolerance=TOL)
    assert result.ok, f"{cid} away from {bug_steps}: {result}"


@pytest.mark.parametrize("cid", list(REJECTED))
def test_rejected_by_oneflow_or_worker(native, cid):
    reply = native[cid]
    assert "error" in reply, f"{cid}: expected an error, OneFlow returned {reply}"
    for text in REJECTED[cid][1]:
        assert text in reply["error"]


def test_measured_facts(native):
    """Values measured independently of lrbridge (framework-semantics.md, §2), exact or to 1e-6 as printed there."""
    assert curve(native, "constant_factor0")[0, :4].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert curve(native, "linear_start0")[0, :3].tolist() == [0.0, 0.125, 0.25]
    np.testing.assert_allclose(curve(native, "warmup_linear")[0, :7], [.1, .233333, .366667, .5, .25, .066987, 0], atol=1e-6)
    np.testing.assert_allclose(curve(native, "warmup_linear_prefix")[0, :7], [.1, .4, .7, 1.0, .933013, .75, .5], atol=1e-6)
    np.testing.assert_allclose(curve(native, "seq_global")[0, :7], [.1, .1, .5, .146447, 0, .146447, .5], atol=1e-6)
    np.testing.assert_allclose(curve(native, "seq_restart")[0, :7], [.1, .1, 1.0, .853553, .5, .146447, 0], atol=1e-6)
    assert curve(native, "chained_product")[0, 5] == pytest.approx(0.036612, abs=1e-6)
    np.testing.assert_allclose(curve(native, "restarts_limit")[0, :6], [1, .525, 1, .525, .05, .05], atol=1e-6)
    np.testing.assert_allclose(curve(native, "restarts_mult2")[0, :8], [1, .5, 1, .853553, .5, .146447, 1, .96194], atol=1e-6)


def test_polynomial_cycle_needs_min_step_one(native):
    """OneFlow's cycle treats k = 0 as 1: the MindSpore-style cycle_min_step=0 differs exactly at k = 0."""
    lrs, _, schedule, n = CASES["poly_cycle"]
    measured = curve(native, "poly_cycle")
    mindspore_style = evaluate(plan_for(lrs, schedule.model_copy(update={"cycle_min_step": 0})), n)
    differs = ~np.isclose(measured, mindspore_style, rtol=TOL, atol=0)
    assert differs[:, 0].all() and not differs[:, 1:].any()


def test_single_case_request(oneflow):
    """Without ``cases`` the op answers one curve, passes other group options to SGD, and raises on bad input."""
    from lrbridge.interp import WorkerError

    reply = oneflow({"op": "native_curve", "groups": [{"lr": 0.5, "momentum": 0.9, "weight_decay": 0.01}],
                     "scheduler": of("StepLR", step_size=2, gamma=0.5), "steps": 5}, timeout=300)
    assert reply == {"lr": [[0.5, 0.5, 0.25, 0.25, 0.125]]}  # exact: powers of two
    with pytest.raises(WorkerError, match=r"request\.scheduler\.class: 'StepLr' is not a drivable"):
        oneflow({"op": "native_curve", "groups": [{"lr": 0.5}], "scheduler": of("StepLr"), "steps": 5}, timeout=300)
