"""OneFlow's own LR-scheduler tests replayed through lrbridge.

Every configuration of OneFlow's tests (Oneflow-Inc/oneflow, ``python/oneflow/test/``:
``modules/test_lr_scheduler.py``, ``graph/test_graph_lr_scheduler.py``, ``graph/test_graph_lrs.py``,
``graph/test_graph_lr_with_warmup.py``), with the same arguments, base lr and step counts:

- OneFlow's own scheduler stepped in the natural loop (``opt.step(); sched.step()``) in the worker:
  the group lrs each step applies (op ``native_curve``, float64), and the lrs nn.Graph applies
  with the scheduler as ``lr_sch`` (op ``measure_batch``, the one-hot probe, float32);
- the live scheduler imported by ``from_oneflow`` (op ``import``: OneFlow builds it, lrbridge reads it);
- ``lrbridge.evaluate(plan, N)`` equals OneFlow's eager curve (rel 1e-12) and, imported with
  ``graph=True``, its nn.Graph curve (<= 1 ulp: the kernel reads the base lr as float32);
- the plan exported back to OneFlow (``to_oneflow``) and run: eager 0 ulp from OneFlow's own eager
  curve rounded to float32 (the SGD kernel applies fp32(lr)), nn.Graph <= 1 ulp.

Setups a JSON spec cannot carry run as entry points (``fixtures/of_suite_setups.py``, op ``import_entry``):
LambdaLR (Python lambdas: imported as a table over the steps, ``exact=False``, and through the trace fallback
from the lrs it applies), a scheduler restored by ``load_state_dict``, OneFlow's graph test's own nn.Graph.
ReduceLROnPlateau (all 256 argument combinations of OneFlow's test) is stepped on a metric walk, natively and
exported back (``native_curve`` with ``metrics``); ``evaluate`` refuses it (the lr depends on the metric).

OneFlow is never imported here: everything OneFlow runs, runs in its worker, in seven batched calls.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_oneflow_import_export import _same_conf  # protobuf JSON equal, doubles within 1e-15 (WarmupLR's end factor)

import lrbridge
from lrbridge import evaluate
from lrbridge.conformance import compare
from lrbridge.interp import WorkerError, decode_f32
from lrbridge.io import plan_from_dict, plan_to_dict

pytestmark = pytest.mark.oneflow


def _s(cls, **kw):
    return {"class": cls, "kwargs": kw}


def _warm(inner, **kw):
    return {"class": "WarmupLR", "scheduler": inner, "kwargs": kw}


#: name -> (spec, base lr, steps N). The steps are the lrs OneFlow's test checks (its loop of N
#: ``step()`` calls after the constructor's: lrs of steps 0..N−1, or 1..N, so N + 1 here where it reads
#: the lr after its last step).
CASES = {
    # modules/test_lr_scheduler.py, TestLrScheduler.test_cosine_decay_lr
    "cosine_decay": (_s("CosineDecayLR", decay_steps=10, alpha=0.5), 1.0, 21),
    # TestLrScheduler.test_cosine_annealing_lr (100 steps: past T_max, the periodic branch)
    "cosine_annealing": (_s("CosineAnnealingLR", T_max=20, eta_min=0.5), 1.0, 101),
    # TestLrScheduler.test_step_lr
    "step": (_s("StepLR", step_size=5, gamma=0.1), 1.0, 21),
    # TestLrScheduler.test_multistep_lr
    "multistep": (_s("MultiStepLR", milestones=[5, 11, 15], gamma=0.1), 1.0, 18),
    # TestLrScheduler.test_exponential_lr
    "exponential": (_s("ExponentialLR", gamma=0.1), 1.0, 21),
    # TestLrScheduler.test_polynomial_lr: PolynomialLR(opt, 100, 1e-5, 2, True), positional
    "polynomial_cycle": (_s("PolynomialLR", decay_batch=100, end_learning_rate=1e-5, power=2, cycle=True), 1.0, 21),
    # TestLrScheduler.test_warmup_scheduler_save_and_load (the WarmUpLR alias over CosineAnnealingLR(opt, 100))
    "warmup_alias_cosine": ({"class": "WarmUpLR", "scheduler": _s("CosineAnnealingLR", T_max=100),
                             "kwargs": {"warmup_factor": 0.1, "warmup_iters": 5, "warmup_method": "linear"}}, 1e-3, 11),
    # WarmupLRTestCase.test_only_warmup
    "only_warmup": (_warm(None, warmup_factor=0.5, warmup_iters=5, warmup_method="linear"), 0.001, 10),
    # WarmupLRTestCase.test_warmup_iters_0_exp_lr
    "warmup_iters_0_exp": (_warm(_s("ExponentialLR", gamma=0.9), warmup_factor=0.5, warmup_iters=0, warmup_method="linear"), 0.1, 10),
    # WarmupLRTestCase.test_linear_warmup_exp_lr
    "linear_warmup_exp": (_warm(_s("ExponentialLR", gamma=0.9), warmup_factor=0.5, warmup_iters=5, warmup_method="linear"), 0.1, 10),
    # WarmupLRTestCase.test_linear_warmup_prefix_exp_lr
    "linear_warmup_prefix_exp": (_warm(_s("ExponentialLR", gamma=0.9), warmup_factor=0.5, warmup_iters=5, warmup_method="linear",
                                       warmup_prefix=True), 0.1, 10),
    # WarmupLRTestCase.test_constant_warmup_cosine_annealing (21 lrs: through the second period of T_max=10)
    "constant_warmup_cosine": (_warm(_s("CosineAnnealingLR", T_max=10), warmup_factor=0.5, warmup_iters=5, warmup_method="constant"), 0.1, 21),
    # WarmupLRTestCase.test_linear_warmup_cosine_annealing
    "linear_warmup_cosine": (_warm(_s("CosineAnnealingLR", T_max=20), warmup_factor=0.1, warmup_iters=5, warmup_method="linear"), 0.1, 20),
    # WarmupLRTestCase.test_linear_warmup_prefix_cosine_annealing
    "linear_warmup_prefix_cosine": (_warm(_s("CosineAnnealingLR", T_max=20), warmup_factor=0.1, warmup_iters=5, warmup_method="linear",
                                          warmup_prefix=True), 0.1, 20),
    # WarmupLRTestCase.test_linear_warmup_multistep_lr (MultiStepLR(opt, [10]): default gamma 0.1)
    "linear_warmup_multistep": (_warm(_s("MultiStepLR", milestones=[10]), warmup_factor=0.5, warmup_iters=5, warmup_method="linear"), 0.001, 20),
    # WarmupLRTestCase.test_linear_warmup_prefix_multistep_lr
    "linear_warmup_prefix_multistep": (_warm(_s("MultiStepLR", milestones=[5, 10]), warmup_factor=0.1, warmup_iters=5, warmup_method="linear",
                                             warmup_prefix=True), 0.1, 20),
    # ConstantLRTestCase.test: ConstantLR(opt, 0.1, 10)
    "constant": (_s("ConstantLR", factor=0.1, total_iters=10), 0.01, 20),
    # LinearLRTestCase.test: LinearLR(opt, 0.1, 1, 10)
    "linear": (_s("LinearLR", start_factor=0.1, end_factor=1, total_iters=10), 0.1, 21),
    # ChainedSchedulerTestCase.test
    "chained": ({"class": "ChainedScheduler", "schedulers": [_s("ConstantLR", factor=0.1, total_iters=3), _s("ExponentialLR", gamma=0.9)]}, 1.0, 6),
    # CosineAnnealingWarmRestartsTestCase.test_mult_1
    "warm_restarts_mult_1": (_s("CosineAnnealingWarmRestarts", T_0=10, eta_min=0.01), 0.1, 50),
    # CosineAnnealingWarmRestartsTestCase.test_mult_2
    "warm_restarts_mult_2": (_s("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=0.01), 0.1, 70),
    # CosineAnnealingWarmRestartsTestCase.test_mult_2_decay_half_limit_2
    "warm_restarts_decay_limit": (_s("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, decay_rate=0.5, restart_limit=2, eta_min=0.01), 0.1, 50),
    # graph/test_graph_lr_scheduler.py, TestGraphLRSchedulerWithEager.test_constant_lr
    "g_constant": (_s("ConstantLR", factor=0.1, total_iters=10), 0.1, 10),
    # TestGraphLRSchedulerWithEager.test_linear_lr
    "g_linear": (_s("LinearLR", start_factor=0.1, end_factor=1.0, total_iters=10), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_linear_lr_end_factor
    "g_linear_end_factor": (_s("LinearLR", start_factor=0.1, end_factor=0.9, total_iters=10), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_step_lr
    "g_step": (_s("StepLR", step_size=10, gamma=0.1), 0.1, 30),
    # TestGraphLRSchedulerWithEager.test_multi_step_lr
    "g_multistep": (_s("MultiStepLR", milestones=[5, 15], gamma=0.2), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_polynomial_lr, first (its ``steps=20`` is 0.9's ``decay_batch``)
    "g_polynomial": (_s("PolynomialLR", decay_batch=20, end_learning_rate=1e-5, power=2.0), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_polynomial_lr, second (cycle)
    "g_polynomial_cycle": (_s("PolynomialLR", decay_batch=20, end_learning_rate=1e-4, power=1.0, cycle=True), 0.01, 20),
    # TestGraphLRSchedulerWithEager.test_exponential_lr
    "g_exponential": (_s("ExponentialLR", gamma=0.5), 0.1, 10),
    # TestGraphLRSchedulerWithEager.test_cosine_decay_lr
    "g_cosine_decay": (_s("CosineDecayLR", decay_steps=10, alpha=1e-3), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_cosine_annealing_lr
    "g_cosine_annealing": (_s("CosineAnnealingLR", T_max=10, eta_min=1e-4), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_linear_warmup_cosine_annealing_lr
    "g_linear_warmup_cosine": (_warm(_s("CosineAnnealingLR", T_max=20, eta_min=1e-5), warmup_method="linear", warmup_factor=0.1,
                                     warmup_iters=5, warmup_prefix=False), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_linear_warmup_prefix_cosine_annealing_lr
    "g_linear_warmup_prefix_cosine": (_warm(_s("CosineAnnealingLR", T_max=20, eta_min=1e-5), warmup_method="linear", warmup_factor=0.1,
                                            warmup_iters=5, warmup_prefix=True), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_linear_warmup_multistep_lr
    "g_linear_warmup_multistep": (_warm(_s("MultiStepLR", milestones=[10, 15], gamma=0.1), warmup_method="linear", warmup_factor=0.1,
                                        warmup_iters=5, warmup_prefix=False), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_constant_warmup_cosine_decay_lr
    "g_constant_warmup_cosine_decay": (_warm(_s("CosineDecayLR", decay_steps=20, alpha=1e-3), warmup_method="constant", warmup_factor=0.1,
                                             warmup_iters=5, warmup_prefix=False), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_constant_warmup_prefix_cosine_decay_lr
    "g_constant_warmup_prefix_cosine_decay": (_warm(_s("CosineDecayLR", decay_steps=20, alpha=1e-3), warmup_method="constant",
                                                    warmup_factor=0.1, warmup_iters=5, warmup_prefix=True), 0.1, 20),
    # TestGraphLRSchedulerWithEager.test_only_warmup
    "g_only_warmup": (_warm(None, warmup_method="linear", warmup_factor=0.1, warmup_iters=5, warmup_prefix=False), 0.1, 10),
    # TestGraphLRSchedulerWithEager.test_warmup_iters_equal_to_zero (its helper's default warmup_factor 0.1)
    "g_warmup_iters_0": (_warm(_s("StepLR", step_size=3, gamma=0.5), warmup_method="linear", warmup_factor=0.1, warmup_iters=0,
                               warmup_prefix=False), 0.1, 10),
    # TestGraphLRSchedulerWithEager.test_cosine_annealing_warm_restarts
    "g_warm_restarts": (_s("CosineAnnealingWarmRestarts", T_0=10, T_mult=1, eta_min=0.01), 0.1, 50),
    # TestGraphLRSchedulerWithEager.test_cosine_annealing_warm_restarts_mult_2
    "g_warm_restarts_mult_2": (_s("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=0.01), 0.1, 70),
    # TestGraphLRSchedulerWithEager.test_cosine_annealing_warm_restarts_limit
    "g_warm_restarts_limit": (_s("CosineAnnealingWarmRestarts", T_0=10, T_mult=2, eta_min=0.01, decay_rate=0.5, restart_limit=2), 0.1, 50),
    # graph/test_graph_lrs.py, TestGraphLRs.test_step_lr (21 iterations, SGD lr 0.001)
    "lrs_step": (_s("StepLR", step_size=7, gamma=0.1), 0.001, 21),
    # TestGraphLRs.test_multistep_lr
    "lrs_multistep": (_s("MultiStepLR", milestones=[10, 15], gamma=0.1), 0.001, 21),
    # TestGraphLRs.test_cosine_annealing_lr (skipped upstream as flaky; deterministic here)
    "lrs_cosine_annealing": (_s("CosineAnnealingLR", T_max=5, eta_min=0.0001), 0.001, 21),
    # TestGraphLRs.test_polynomial_lr
    "lrs_polynomial_cycle": (_s("PolynomialLR", decay_batch=10, end_learning_rate=0.00001, power=2, cycle=True), 0.001, 21),
    # graph/test_graph_lr_with_warmup.py, _sgd_cosine_fn
    "gw_cosine": (_s("CosineDecayLR", decay_steps=10, alpha=0.5), 0.001, 21),
    # _sgd_cosine_constant_fn
    "gw_cosine_constant": ({"class": "WarmUpLR", "scheduler": _s("CosineDecayLR", decay_steps=10, alpha=0.5),
                            "kwargs": {"warmup_factor": 0.5, "warmup_iters": 5, "warmup_method": "constant"}}, 0.001, 21),
    # _sgd_constant_fn
    "gw_constant": ({"class": "WarmUpLR", "scheduler": None,
                     "kwargs": {"warmup_factor": 0.5, "warmup_iters": 5, "warmup_method": "constant"}}, 0.001, 21),
    # _sgd_cosine_linear_fn
    "gw_cosine_linear": ({"class": "WarmUpLR", "scheduler": _s("CosineDecayLR", decay_steps=10, alpha=0.5),
                          "kwargs": {"warmup_factor": 0.5, "warmup_iters": 5, "warmup_method": "linear"}}, 0.001, 21),
    # _sgd_linear_fn
    "gw_linear": ({"class": "WarmUpLR", "scheduler": None,
                   "kwargs": {"warmup_factor": 0.5, "warmup_iters": 5, "warmup_method": "linear"}}, 0.001, 21),
}  # fmt: skip
#: OneFlow has no nn.Graph conf for these (its graph tests do not run them): eager only
EAGER_ONLY = {"chained"}
NAMES = sorted(CASES)
GRAPH = [n for n in NAMES if n not in EAGER_ONLY]
#: lrs OneFlow's tests expect, where the list is short (checked on OneFlow's own curve, np.allclose as there)
EXPECTED = {
    "chained": [0.1, 0.09, 0.081, 0.729, 0.6561, 0.59049],  # ChainedSchedulerTestCase.test
    # WarmupLRTestCase.test_linear_warmup_prefix_exp_lr
    "linear_warmup_prefix_exp": [0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.09, 0.081, 0.0729, 0.06561],
    # WarmupLRTestCase.test_only_warmup
    "only_warmup": [0.0005, 0.0006, 0.0007, 0.0008, 0.0009, 0.001, 0.001, 0.001, 0.001, 0.001],
}

#: TestLrScheduler.test_reduce_lr_on_plateau: every combination of these (GenArgDict), SGD(lr=1.0, momentum=0.9),
#: 15 epochs of scheduler.step(val_loss) with val_loss a random walk from 0.1 (seeded here)
PLATEAU_ARGS = {"mode": ["min", "max"], "factor": [0.1, 0.3], "patience": [2, 5], "threshold": [1e-3, 1e-5],
                "threshold_mode": ["rel", "abs"], "cooldown": [0, 1], "min_lr": [0, 1e-3], "eps": [1e-5, 1e-8]}  # fmt: skip
PLATEAU_EPOCHS = 15
PLATEAU_GROUPS = [{"lr": 1.0, "momentum": 0.9}]


def _plateau_cases():
    keys = list(PLATEAU_ARGS)
    combos = [{}]
    for k in keys:
        combos = [{**c, k: v} for c in combos for v in PLATEAU_ARGS[k]]
    rng = np.random.default_rng(20)
    out = []
    for kw in combos:
        metrics = (0.1 + np.cumsum((rng.random(PLATEAU_EPOCHS) - 0.5) / 10)).tolist()
        out.append((kw, metrics))
    return out


PLATEAU = _plateau_cases()


def _groups(name):
    return [{"lr": CASES[name][1]}]


def _ok(name, reply):
    assert "error" not in reply, f"{name}: {reply['error']}"
    return reply


#: graph/test_graph_cosine_lr_scheduler.py builds CosineAnnealingLR(of_sgd, steps=10, alpha=0.0005): the API of an
#: older OneFlow. OneFlow 0.9's constructor refuses it; the import reports that, naming the argument
OLD_API_CASE = {"groups": [{"lr": 0.001}], "scheduler": _s("CosineAnnealingLR", steps=10, alpha=0.0005)}
#: entry points (fixtures/of_suite_setups.py) and the steps each is imported over
ENTRIES = [("lambda_lr", 21), ("lambda_lr_applied", 21), ("warmup_saved", 30), ("warmup_loaded", 30),
           ("graph_constant_warmup_prefix_cosine_decay", 20), ("fractional_step_lr_applied", 30)]
FIXTURE = Path(__file__).parent / "fixtures" / "of_suite_setups.py"
#: beyond OneFlow's tests, found while replaying them: arguments OneFlow 0.9 accepts that lrbridge must refuse
#: clearly (it used to truncate them: int(2.5)), and composites nested in composites (OneFlow's own error was empty)
EDGES = {
    "step_size_fractional": _s("StepLR", step_size=2.5, gamma=0.5),
    "T_max_fractional": _s("CosineAnnealingLR", T_max=7.5),
    "decay_steps_fractional": _s("CosineDecayLR", decay_steps=7.5),
    "total_iters_fractional": _s("LinearLR", start_factor=0.2, total_iters=7.5),
    "decay_batch_fractional": _s("PolynomialLR", decay_batch=7.5),
    "milestones_fractional": _s("MultiStepLR", milestones=[5.5, 10], gamma=0.5),
    "warmup_iters_fractional": _warm(_s("StepLR", step_size=3), warmup_iters=4.5, warmup_factor=0.3),
    "warmup_over_sequential": _warm({"class": "SequentialLR", "kwargs": {"milestones": [5]},
                                     "schedulers": [_s("ConstantLR", factor=0.5, total_iters=3), _s("ExponentialLR", gamma=0.9)]},
                                    warmup_iters=3, warmup_factor=0.1),
    "sequential_over_chained": {"class": "SequentialLR", "kwargs": {"milestones": [4]},
                                "schedulers": [_s("LinearLR", start_factor=0.2, total_iters=4),
                                               {"class": "ChainedScheduler", "schedulers": [_s("StepLR", step_size=3, gamma=0.5),
                                                                                            _s("ExponentialLR", gamma=0.9)]}]},
}  # fmt: skip


@pytest.fixture(scope="module")
def replay(oneflow):
    """Everything OneFlow computes for the cases, in seven worker calls (each batched)."""
    from lrbridge_oneflow.interpreter import start_ahead

    def split(seq, *sizes):
        out, lo = [], 0
        for n in sizes:
            out.append(seq[lo : lo + n])
            lo += n
        return out

    plateau = [{"groups": PLATEAU_GROUPS, "scheduler": _s("ReduceLROnPlateau", **kw), "steps": PLATEAU_EPOCHS, "metrics": m} for kw, m in PLATEAU]
    edges = [{"groups": [{"lr": 0.1}], "scheduler": spec, "steps": 30} for spec in EDGES.values()]
    native = oneflow({"op": "native_curve", "cases": [{"groups": _groups(n), "scheduler": CASES[n][0], "steps": CASES[n][2]} for n in NAMES]
                      + plateau + edges})  # fmt: skip
    native, plateau_native, edge_native = split(native, len(NAMES), len(plateau), len(edges))
    start_ahead()
    eager = oneflow({"op": "import", "cases": [{"groups": _groups(n), "scheduler": CASES[n][0], "steps": CASES[n][2]} for n in NAMES]
                     + [{k: c[k] for k in ("groups", "scheduler")} for c in plateau + edges] + [OLD_API_CASE]})  # fmt: skip
    eager, plateau_imported, edge_imported, (old_api,) = split(eager, len(NAMES), len(plateau), len(edges), 1)
    start_ahead()
    graph = oneflow({"op": "import", "cases": [{"groups": _groups(n), "scheduler": CASES[n][0], "steps": CASES[n][2], "graph": True} for n in GRAPH]})
    start_ahead()
    entries = oneflow({"op": "import_entry", "cases": [{"source": f"{FIXTURE}:{f}", "steps": s} for f, s in ENTRIES]})
    entries = {f: r for (f, _), r in zip(ENTRIES, entries)}
    start_ahead()
    plans = {n: plan_from_dict(_ok(n, r)["plan"]) for n, r in zip(NAMES, eager)}
    gplans = {n: plan_from_dict(_ok(n, r)["plan"]) for n, r in zip(GRAPH, graph)}
    lambda_plan = _ok("lambda_lr", entries["lambda_lr"])["plan"]
    batch, keys = [], []
    for n in GRAPH:  # OneFlow's own scheduler in nn.Graph (lr_sch)
        keys.append((n, "native-graph"))
        batch.append({"spec": CASES[n][0], "groups": _groups(n), "steps": CASES[n][2], "mode": "graph"})
    for n in NAMES:  # the imported plans, exported back
        keys.append((n, "export-eager"))
        batch.append({"plan": plan_to_dict(plans[n]), "steps": CASES[n][2], "mode": "eager"})
    for n in GRAPH:
        keys.append((n, "export-graph"))
        batch.append({"plan": plan_to_dict(gplans[n]), "steps": CASES[n][2], "mode": "graph"})
    for mode in ("eager", "graph"):  # the LambdaLR's table, exported back
        keys.append(("lambda_lr", f"export-{mode}"))
        batch.append({"plan": lambda_plan, "steps": 21, "mode": mode})
    measured = oneflow({"op": "measure_batch", "batch": batch})
    start_ahead()
    # the generated code (lrbridge convert --to oneflow) run in eager mode; the conf OneFlow's classes write for nn.Graph
    code = oneflow({"op": "export", "cases": [{"plan": plan_to_dict(plans[n]), "mode": "eager", "verify_steps": CASES[n][2],
                                               "param_names": ["group0.w"]} for n in NAMES]
                    + [{"plan": plan_to_dict(gplans[n]), "mode": "graph", "live": True} for n in GRAPH]})  # fmt: skip
    start_ahead()
    plateau_plans = [plan_from_dict(_ok(f"plateau {kw}", r)["plan"]) for (kw, _), r in zip(PLATEAU, plateau_imported)]
    exported = oneflow({"op": "native_curve", "cases": [  # the imported plateau plans exported back, on the same metrics
        {"groups": [{"lr": 0.0, "momentum": 0.9}], "plan": plan_to_dict(p), "steps": PLATEAU_EPOCHS, "metrics": m}
        for p, (_, m) in zip(plateau_plans, PLATEAU)]})
    return {
        "plateau": list(zip(PLATEAU, plateau_native, plateau_imported, plateau_plans, exported)),
        "old_api": old_api,
        "edges": {n: (a, b) for n, a, b in zip(EDGES, edge_native, edge_imported)},
        "entries": entries,
        "native": {n: np.asarray(_ok(n, r)["lr"], np.float64) for n, r in zip(NAMES, native)},
        "eager": dict(zip(NAMES, eager)),
        "plans": plans,
        "gplans": gplans,
        "measured": {k: (r if "error" in r else decode_f32(r)) for k, r in zip(keys, measured)},
        "code": dict(zip(NAMES, code[: len(NAMES)])),
        "graph_conf": dict(zip(GRAPH, code[len(NAMES) :])),
    }


def _measured(replay, key):
    r = replay["measured"][key]
    assert not isinstance(r, dict), f"{key}: {r['error']}"
    return r


@pytest.mark.parametrize("name", NAMES)
def test_imported_plan_equals_oneflows_eager_curve(replay, name):
    reply = replay["eager"][name]
    assert reply["exact"], (name, reply["notes"])
    N = CASES[name][2]
    c = compare(evaluate(replay["plans"][name], N), replay["native"][name], metric="rel", tolerance=1e-12)
    assert c.ok, f"{name}: {c}"


@pytest.mark.parametrize("name", NAMES)
def test_export_back_to_eager_reproduces_oneflow(replay, name):
    # OneFlow's SGD applies fp32(group lr): the curve OneFlow's own scheduler sets, rounded, exactly
    c = compare(_measured(replay, (name, "export-eager")), replay["native"][name], metric="ulp", tolerance=0)
    assert c.ok, f"{name}: {c}"


@pytest.mark.parametrize("name", GRAPH)
def test_graph_import_equals_oneflows_graph_curve(replay, name):
    N = CASES[name][2]
    native_graph = _measured(replay, (name, "native-graph"))
    c = compare(native_graph, evaluate(replay["gplans"][name], N), metric="ulp", tolerance=1)
    assert c.ok, f"{name}: {c}"
    # OneFlow's graph tests assert graph lrs == eager lrs; so does the replay (the kernel's <= 1 ulp)
    assert compare(native_graph, replay["native"][name], metric="ulp", tolerance=1).ok, name


@pytest.mark.parametrize("name", GRAPH)
def test_export_back_to_graph_reproduces_oneflow(replay, name):
    c = compare(_measured(replay, (name, "export-graph")), _measured(replay, (name, "native-graph")), metric="ulp", tolerance=1)
    assert c.ok, f"{name}: {c}"


@pytest.mark.parametrize("name", NAMES)
def test_generated_eager_code_reproduces_oneflow(replay, name):
    r = _ok(name, replay["code"][name])
    assert "import oneflow as flow" in r["code"]
    c = compare(r["verified_lr"], replay["native"][name], metric="rel", tolerance=1e-12)
    assert c.ok, f"{name}: {c}"


@pytest.mark.parametrize("name", GRAPH)
def test_graph_export_writes_oneflows_own_conf(replay, name):
    r = _ok(name, replay["graph_conf"][name])
    assert r["scheduler"]["class"] != "lrbridge.PlanLR", r["scheduler"]  # OneFlow's own classes, as the test wrote them
    assert _same_conf(r["live_graph_conf"], r["graph_conf_proto"]), (r["live_graph_conf"], r["graph_conf_proto"])


def test_chained_scheduler_is_eager_only_with_a_reason(replay):
    # ChainedSchedulerTestCase: eager equals OneFlow (above); nn.Graph has no conf for it, and check says so
    res = lrbridge.check(replay["plans"]["chained"], "oneflow", mode="graph")
    assert not res.ok and any("ChainedScheduler" in r for r in res.reasons), res.reasons


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_oneflows_own_expected_lrs(replay, name):
    assert np.allclose(replay["native"][name][0], EXPECTED[name]), (name, replay["native"][name][0])


def test_reduce_lr_on_plateau_all_combinations(replay):
    """TestLrScheduler.test_reduce_lr_on_plateau: 256 argument combinations, each imported (every argument kept),
    refused by evaluate with a clear reason (the lr depends on the metric), and exported back to OneFlow's
    ReduceLROnPlateau, which on the same metrics applies OneFlow's own lrs."""
    from lrbridge.errors import EvaluationError

    assert len(replay["plateau"]) == 256
    for (kw, _), native, imported, plan, exported in replay["plateau"]:
        assert imported["exact"], (kw, imported["notes"])
        node = plan.scheduler
        assert node.kind == "reduce_on_plateau" and all(g.scheduler is None for g in plan.groups), kw
        assert {k: getattr(node, k) for k in kw} == kw, (kw, node)
        assert plan.optimizer.resolved()["momentum"] == 0.9
        nat, exp = np.asarray(_ok(kw, native)["lr"]), np.asarray(_ok(kw, exported)["lr"])
        c = compare(exp, nat, metric="rel", tolerance=1e-12)
        assert c.ok, f"{kw}: {c}"
    with pytest.raises(EvaluationError, match="metric"):
        evaluate(replay["plateau"][0][3], PLATEAU_EPOCHS)
    # the walk does reduce the lr in some combinations (the replay is not vacuous)
    assert any(min(np.asarray(r[1]["lr"])[0]) < 1.0 for r in replay["plateau"])


def test_old_api_is_refused_by_oneflow_with_the_argument_named(replay):
    err = replay["old_api"]["error"]
    assert "scheduler" in err and "CosineAnnealingLR" in err and "steps" in err, err


def test_lambda_lr_imports_as_a_table_over_the_steps(replay):
    """TestLrScheduler.test_lambda_lr: a Python lambda per group. lrbridge cannot read a lambda's formula:
    from_oneflow(steps=N) samples it into a relative table per group (exact=False: exact over N steps only)."""
    r = _ok("lambda_lr", replay["entries"]["lambda_lr"])
    assert not r["exact"] and any("LambdaLR sampled over 21 steps" in n for n in r["notes"])
    plan = plan_from_dict(r["plan"])
    applied = _ok("lambda_lr_applied", replay["entries"]["lambda_lr_applied"])
    native = plan_from_dict(applied["plan"])  # OneFlow's applied lrs, recognised (the trace fallback)
    ref = evaluate(native, 21)
    assert applied["exact"], applied["notes"]
    k = np.arange(21)
    assert np.allclose(ref, [k // 30, 0.95 * k], rtol=0, atol=1e-12)  # OneFlow's own expectation, base lr 1.0
    c = compare(evaluate(plan, 21), ref, metric="rel", tolerance=1e-12)
    assert c.ok, str(c)
    assert plan.horizon.steps == 21 and plan.horizon.past == "error"
    # exported back: eager applies the table exactly (fp32 of the lrs); nn.Graph copies one conf into every group,
    # and these two lambdas differ in shape: refused, naming the groups and the eager alternative
    assert compare(_measured(replay, ("lambda_lr", "export-eager")), ref, metric="ulp", tolerance=0).ok
    err = replay["measured"][("lambda_lr", "export-graph")]["error"]
    assert "UnrepresentableError" in err and "differ in shape" in err and "eager mode" in err, err


def test_lambda_lr_without_steps_is_a_clear_error(oneflow):
    with pytest.raises(WorkerError, match="LambdaLR holds a Python function: pass steps=N"):
        oneflow({"op": "import_entry", "source": f"{FIXTURE}:lambda_lr"})


def test_scheduler_restored_from_a_saved_state_imports_as_the_saved_one(replay):
    """TestLrScheduler.test_warmup_scheduler_save_and_load: a WarmUpLR(CosineAnnealingLR) built with other arguments,
    then load_state_dict of a saved one, imports as the saved scheduler (its arguments, nested ones too), which
    equals OneFlow's own curve of that configuration."""
    saved = _ok("warmup_saved", replay["entries"]["warmup_saved"])
    loaded = _ok("warmup_loaded", replay["entries"]["warmup_loaded"])
    assert saved["exact"] and loaded["exact"]
    assert loaded["plan"]["scheduler"] == saved["plan"]["scheduler"]
    c = compare(evaluate(plan_from_dict(loaded["plan"]), 11), replay["native"]["warmup_alias_cosine"], metric="rel", tolerance=1e-12)
    assert c.ok, str(c)


def test_an_nn_graph_built_as_oneflows_graph_test_imports_as_its_graph_curve(replay):
    """graph/test_graph_lr_scheduler.py's MyGraph (add_optimizer(opt, lr_sch=WarmupLR(CosineDecayLR))) imported as
    the nn.Graph itself: its plan is the curve that nn.Graph applies (<= 1 ulp)."""
    r = _ok("graph entry", replay["entries"]["graph_constant_warmup_prefix_cosine_decay"])
    assert r["exact"]
    assert [g["params"] for g in r["plan"]["groups"]] == [["param"]]  # named by the module the graph holds
    native_graph = _measured(replay, ("g_constant_warmup_prefix_cosine_decay", "native-graph"))
    c = compare(native_graph, evaluate(plan_from_dict(r["plan"]), 20), metric="ulp", tolerance=1)
    assert c.ok, str(c)


@pytest.mark.parametrize("name", [n for n in EDGES if n.endswith("_fractional")])
def test_a_fractional_step_count_is_refused_not_truncated(replay, name):
    native, imported = replay["edges"][name]
    assert "error" not in native, native  # OneFlow accepts it ...
    steps_args = ("step_size", "T_max", "decay_steps", "total_iters", "decay_batch", "milestones", "warmup_iters")
    (key,) = [k for k in EDGES[name]["kwargs"] if k in steps_args]
    err = imported["error"]  # ... and no plan equals it: refused, naming OneFlow's argument and the fallback
    assert f"kwargs.{key}" in err and "whole number" in err and "from_trace" in err, err


def test_the_trace_fallback_imports_what_a_fractional_step_lr_applies(replay):
    r = _ok("fractional_step_lr_applied", replay["entries"]["fractional_step_lr_applied"])
    native = np.asarray(_ok("edge", replay["edges"]["step_size_fractional"][0])["lr"])
    c = compare(evaluate(plan_from_dict(r["plan"]), 30), native, metric="rel", tolerance=1e-12)
    assert c.ok, f"{r['notes']}: {c}"


def test_a_composite_nested_in_a_composite_gets_oneflows_reason(replay):
    native, imported = replay["edges"]["warmup_over_sequential"]
    for reply in (native, imported):  # OneFlow's own NotImplementedError carries no message: the worker says why
        assert "NotImplementedError" in reply["error"] and "get_lr" in reply["error"] and "PlanLR" in reply["error"], reply


def test_reduce_lr_on_plateau_imported_from_oneflow_runs_the_same_in_torch(replay, torch):
    """What OneFlow's test_reduce_lr_on_plateau itself checks (OneFlow == torch), through lrbridge: each combination
    imported from OneFlow, exported with to_torch, stepped on the same metrics, applies OneFlow's lrs."""
    from lrbridge_torch import to_torch

    for (kw, metrics), native, _, plan, _ in replay["plateau"]:
        w = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([w], lr=0.0, momentum=0.9)
        sched = to_torch(plan, opt)
        got = []
        for m in metrics:
            got.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step(m)
        c = compare(np.asarray([got]), np.asarray(native["lr"]), metric="rel", tolerance=1e-12)
        assert c.ok, f"{kw}: {c}"


def test_a_composite_oneflow_builds_but_cannot_step_imports_with_a_note(replay):
    """SequentialLR over a ChainedScheduler: OneFlow builds it (its first stage is a leaf) and fails at the milestone."""
    native, imported = replay["edges"]["sequential_over_chained"]
    assert "lr of step 4" in native["error"] and "get_lr" in native["error"], native
    assert imported["exact"] and any("cannot step this SequentialLR" in n and "PlanLR" in n for n in imported["notes"]), imported
