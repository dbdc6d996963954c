"""Conformance at scale: random plans measured in batches on every CPU target.

* the generator (``lrbridge.random_plans``) covers every schedule kind, composite, horizon
  policy and group count, and is reproducible;
* property: a budget of random plans (sized by the batch path's throughput, see
  docs/benchmarks.md) measured together on every CPU target; every target that ``check``
  accepts applies the plan within its tolerance, every refusal names a reason;
* a batch gives each plan exactly what measuring that plan alone gives;
* a plan that kills the measuring process fails only itself (a real SIGABRT of a worker);
* MindSpore may apply float32-subnormal lrs as 0 and the matrix says so for its targets only;
* a plan without a horizon measured for N steps is a MindSpore list of N.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.conformance.engine import Target, get_runner, measure_batch
from lrbridge.conformance.matrix import default_targets, run_matrix, run_matrix_many
from lrbridge.io import plan_to_dict
from lrbridge.random_plans import COMPOSITE_KINDS, LEAF_KINDS, random_cases

#: the property's budget: plans per run, their longest horizon, and the seed (override to explore)
PLANS = int(os.environ.get("LRBRIDGE_PROPERTY_PLANS", "200"))
MAX_STEPS = int(os.environ.get("LRBRIDGE_PROPERTY_MAX_STEPS", "200"))
SEED = int(os.environ.get("LRBRIDGE_PROPERTY_SEED", "20261201"))


def _kinds(node) -> set[str]:
    """Every schedule kind in a schedule document, nested ones included."""
    if isinstance(node, dict):
        own = {node["kind"]} if isinstance(node.get("kind"), str) else set()
        return own.union(*(_kinds(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_kinds(v) for v in node)) if node else set()
    return set()


def test_random_plans_cover_every_kind_policy_and_group_count():
    from lrbridge.schedules import SCHEDULE_KINDS

    cases = list(random_cases(400, seed=1, max_steps=5000))
    kinds, policies, groups = set(), set(), set()
    for plan, steps in cases:
        doc = plan_to_dict(plan)
        kinds |= _kinds(doc.get("scheduler", {"kind": "constant"})) | _kinds(doc.get("groups", []))
        policies.add(plan.horizon.past if plan.horizon.steps else "none")
        groups.add(len(plan.groups))
        assert 1 <= steps <= 5000
        assert np.isfinite(lb.evaluate(plan, steps)).all()
    evaluable = set(SCHEDULE_KINDS) - {"reduce_on_plateau"}
    assert evaluable <= set(LEAF_KINDS) | set(COMPOSITE_KINDS), "a schedule kind the generator does not draw"
    assert evaluable <= kinds, f"never drawn: {sorted(evaluable - kinds)}"
    assert policies == {"continue", "hold", "error", "none"}
    assert groups == {1, 2, 3, 4}
    again = [lb.dumps_plan(p) for p, _ in random_cases(5, seed=1, max_steps=5000)]
    assert again == [lb.dumps_plan(p) for p, _ in cases[:5]]


def test_extras_draw_float32_lrs_and_scheduled_hyperparameters():
    groups = [g for p, _ in random_cases(200, seed=2, max_steps=500, extras=True) for g in p.groups]
    scheduled = {name for g in groups for name in g.hparam_schedulers}
    assert scheduled == {"momentum", "weight_decay"}
    assert any(g.lr_dtype == "float32" for g in groups)
    plain = [g for p, _ in random_cases(200, seed=2, max_steps=500) for g in p.groups]
    assert not any(g.hparam_schedulers or g.lr_dtype == "float32" for g in plain)


def _cpu_targets():
    return [t for t in default_targets() if t.device == "cpu"]


def test_random_plans_conform_on_every_cpu_target(torch, ms, oneflow):
    # half of them with float32 lrs and scheduled momentum / weight decay drawn too (``extras``)
    cases = list(random_cases(PLANS - PLANS // 2, seed=SEED, max_steps=MAX_STEPS))
    cases += random_cases(PLANS // 2, seed=SEED + 1, max_steps=MAX_STEPS, extras=True)
    results = run_matrix_many(cases, targets=_cpu_targets())  # every target at once, as lrbridge conform does
    problems, measured = [], 0
    for r in results:
        assert r.error is None, f"seed {SEED} plan {r.index}: the generator drew an unevaluable plan: {r.error}"
        for c in r.cells:
            measured += c.status == "ok"
            if c.status not in ("ok", "unrepresentable") or (c.status == "unrepresentable" and not c.detail.strip()):
                problems.append(f"plan {r.index} ({r.steps} steps) {c.target}: {c.status}: {c.detail[:300]}")
    assert measured >= PLANS * 3, f"only {measured} cells measured"
    assert not problems, f"seed {SEED}: {len(problems)} failing cells:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("target", ["torch/eager/cpu", "mindspore/graph/cpu/list", "mindspore/pynative/cpu/cell",
                                    "mindspore/pynative/cpu/experimental", "oneflow/eager/cpu", "oneflow/graph/cpu"])
def test_a_batch_gives_each_plan_what_measuring_it_alone_gives(target, request):
    request.getfixturevalue({"torch": "torch", "mindspore": "ms", "oneflow": "oneflow"}[target.split("/")[0]])
    t = Target(*target.split("/"))
    runner = get_runner(t.backend)
    from lrbridge.conformance.matrix import _check

    # OneFlow measures each case alone in a fresh worker (seconds each): fewer cases there
    cases = [(p, s, t) for p, s in random_cases(40, seed=7, max_steps=120) if _check(p, t, s).ok]
    cases = cases[:4] if t.backend == "oneflow" else cases[:8]
    assert len(cases) >= 3
    together = measure_batch(runner, cases)
    for (plan, steps, _), batched in zip(cases, together):
        alone = runner.measure(plan, steps, t)
        assert not isinstance(batched, Exception), batched
        np.testing.assert_array_equal(batched, alone, err_msg=lb.dumps_plan(plan))


# --- a plan that kills the measuring process: a real worker, really aborted (SIGABRT)

class CrashingRunner:
    """Measures in a worker process (``crash_worker``) that aborts when its batch holds a group named 'poison'."""

    backend = "crashy"
    modes = ("eager",)

    def __init__(self, log: Path):
        self.log = log

    def unavailable(self, target):
        return None

    def measure(self, plan, steps, target):
        return self.measure_batch([(plan, steps, target)])[0]

    def measure_batch(self, cases):
        from lrbridge.interp import call_worker

        batch = [{"name": p.groups[0].name, "poison": p.groups[0].name == "poison",
                  "lr": lb.evaluate(p, s).astype(np.float32).tolist()} for p, s, _ in cases]
        reply = call_worker(sys.executable, "crash_worker", {"log": str(self.log), "batch": batch}, timeout=60)
        return [np.asarray(r, np.float64) for r in reply]


def crashy_check(plan, mode=None, **_):
    from lrbridge.capability import CheckResult

    return CheckResult("crashy", mode or "eager", True, [])


def _named_plan(name: str, lr: float) -> lb.Plan:
    return lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=lr), groups=[lb.ParamGroup(name=name, rest=True)],
                   scheduler=lb.CosineAnnealing(T_max=9), horizon=lb.Horizon(steps=12))


@pytest.fixture
def crashy(tmp_path, monkeypatch):
    from lrbridge.backends import Backend, TargetSpec, register_backend, unregister_backend
    from lrbridge.conformance import engine

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    runner = CrashingRunner(tmp_path / "attempts.log")
    register_backend(Backend(name="crashy", check=f"{__name__}:crashy_check", modes=("eager",),
                             targets=(TargetSpec("eager", "cpu"),)))
    engine.register_runner("crashy", runner)
    yield runner
    unregister_backend("crashy")
    engine._RUNNERS.pop("crashy", None)


def test_a_plan_that_kills_the_worker_fails_only_itself(crashy):
    plans = [_named_plan(f"p{i}", 0.1 * (i + 1)) for i in range(7)]
    plans[4] = _named_plan("poison", 0.3)
    results = run_matrix_many(plans, 12, targets=[Target("crashy", "eager")], chunks=(len(plans),))
    status = [r.cells[0].status for r in results]
    assert status == ["ok"] * 4 + ["error"] + ["ok"] * 2
    assert "without a reply" in results[4].cells[0].detail and "poisoned plan" in results[4].cells[0].detail  # its stderr
    attempts = crashy.log.read_text().split()
    # the batch of 7, its half of 4, that half's half of 2, then alone and retried once
    assert attempts.count("poison") == 5
    assert all(attempts.count(f"p{i}") <= 4 for i in range(7))


# --- float32 subnormals, and lists for plans without a horizon

def test_mindspore_flushes_subnormal_lrs_and_the_matrix_says_so_per_target(torch, ms, oneflow):
    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=1e-35), scheduler=lb.Step(step_size=2, gamma=0.01),
                   horizon=lb.Horizon(steps=8))  # 1e-35, 1e-37 (normal), then 1e-39, 1e-41 (float32 subnormals)
    targets = [Target("torch", "eager"), Target("oneflow", "eager"), Target("mindspore", "graph", "cpu", "list"),
               Target("mindspore", "pynative", "cpu", "experimental")]
    cells = {str(c.target): c for c in run_matrix(plan, 8, targets)}
    assert all(c.status == "ok" for c in cells.values()), {k: c.detail for k, c in cells.items()}
    assert cells["torch/eager/cpu"].lr[0, 4] > 0 and cells["oneflow/eager/cpu"].lr[0, 4] > 0  # applied as given
    graph_list = cells["mindspore/graph/cpu/list"]
    assert graph_list.lr[0, 4] == 0 and "4 float32-subnormal lrs applied as 0" in graph_list.detail
    # experimental's jitted train step runs on whichever kernel thread the graph gets: flushed or applied
    # as given (both observed in one process), and the detail counts exactly the flushed ones
    xp = cells["mindspore/pynative/cpu/experimental"]
    flushed = int((xp.lr[0, 4:] == 0).sum())
    assert xp.lr[0, 4] in (0.0, np.float64(np.float32(1e-39)))
    assert (f"{flushed} float32-subnormal lrs applied as 0" in xp.detail) if flushed else "subnormal" not in xp.detail
    assert "subnormal" not in cells["torch/eager/cpu"].detail


def test_a_plan_without_horizon_measured_for_n_steps_is_a_list_of_n(ms):
    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), scheduler=lb.CosineAnnealing(T_max=7))
    (cell,) = run_matrix(plan, 20, [Target("mindspore", "graph", "cpu", "list")])
    assert cell.status == "ok", cell.detail
    np.testing.assert_array_equal(cell.lr, lb.evaluate(plan, 20).astype(np.float32))
