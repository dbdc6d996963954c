"""Backends that measure in another process run beside the in-process ones (``Runner.out_of_process``).

Two plain backends, no framework: one whose batch waits on a real child process, one that
measures here; the matrix must overlap them, keep every result and the progress order, and
start the out-of-process one ahead (``warm_up``) before it measures.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.conformance.engine import Target
from lrbridge.conformance.matrix import run_matrix_many

WAIT_S = 1.0


def _lrs(cases) -> list:
    return [lb.evaluate(plan, steps).astype(np.float32).astype(np.float64) for plan, steps, _ in cases]


class ElsewhereRunner:
    """Waits WAIT_S on a child process per batch (as a worker does), then answers the reference."""

    backend = "elsewhere"
    modes = ("eager",)
    out_of_process = True

    def __init__(self):
        self.warm_ups: list[float] = []
        self.batches: list[tuple[float, float]] = []

    def warm_up(self):
        self.warm_ups.append(time.monotonic())

    def unavailable(self, target):
        return None

    def measure_batch(self, cases):
        t0 = time.monotonic()
        subprocess.run([sys.executable, "-c", f"import time; time.sleep({WAIT_S})"], check=True)
        self.batches.append((t0, time.monotonic()))
        return _lrs(cases)


class HereRunner:
    """Measures in this process: WAIT_S of work per batch, then the reference."""

    backend = "here"
    modes = ("eager",)

    def __init__(self):
        self.batches: list[tuple[float, float]] = []

    def unavailable(self, target):
        return None

    def measure_batch(self, cases):
        t0 = time.monotonic()
        time.sleep(WAIT_S)
        self.batches.append((t0, time.monotonic()))
        return _lrs(cases)


def always_ok(plan, mode=None, **_):
    from lrbridge.capability import CheckResult

    return CheckResult("any", mode or "eager", True, [])


@pytest.fixture
def two_backends():
    from lrbridge.backends import Backend, TargetSpec, register_backend, unregister_backend
    from lrbridge.conformance import engine

    runners = {"elsewhere": ElsewhereRunner(), "here": HereRunner()}
    for name, runner in runners.items():
        register_backend(Backend(name=name, check=f"{__name__}:always_ok", modes=("eager",), targets=(TargetSpec("eager", "cpu"),)))
        engine.register_runner(name, runner)
    yield runners
    for name in runners:
        unregister_backend(name)
        engine._RUNNERS.pop(name, None)


def _plans(n: int):
    return [lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1 * (i + 1)), scheduler=lb.CosineAnnealing(T_max=9),
                    horizon=lb.Horizon(steps=12)) for i in range(n)]


def test_an_out_of_process_backend_measures_beside_the_in_process_one(two_backends):
    messages: list[str] = []
    targets = [Target("elsewhere", "eager"), Target("here", "eager")]
    t0 = time.monotonic()
    results = run_matrix_many(_plans(5), 12, targets=targets, progress=messages.append, chunks=(2,))
    wall = time.monotonic() - t0
    # three chunks; each waits WAIT_S in both backends: side by side, not one after the other
    assert len(two_backends["here"].batches) == len(two_backends["elsewhere"].batches) == 3
    for (a0, a1), (b0, b1) in zip(two_backends["elsewhere"].batches, two_backends["here"].batches):
        assert a0 < b1 and b0 < a1, "the batches did not overlap"
    assert wall < 3 * 2 * WAIT_S - 1.0
    # every result, in order, each equal to the reference
    assert [r.index for r in results] == list(range(5))
    assert all(c.status == "ok" and c.comparison.worst == 0 for r in results for c in r.cells)
    # progress in target order per chunk, as when the backends measured one after the other
    assert messages == [m for n in (2, 2, 1) for m in (f"measuring elsewhere: {n} plans, {n} cases",
                                                         f"measuring here: {n} plans, {n} cases")]


def test_the_out_of_process_backend_is_started_ahead_of_each_batch(two_backends):
    runner = two_backends["elsewhere"]
    run_matrix_many(_plans(5), 12, targets=[Target("elsewhere", "eager")], chunks=(2,))
    # before the matrix (twice: once before and once after the devices are asked) and before the 2nd and 3rd batch
    assert len(runner.warm_ups) == 4
    starts = [t0 for t0, _ in runner.batches]
    assert runner.warm_ups[1] <= starts[0] and starts[0] <= runner.warm_ups[2] <= starts[1] <= runner.warm_ups[3] <= starts[2]


class CrashElsewhere(ElsewhereRunner):
    """Its worker 'dies' on a batch holding the plan with lr 0.3 (raises, as a dead worker does)."""

    def measure_batch(self, cases):
        if any(abs(plan.optimizer.lr - 0.3) < 1e-12 for plan, _, _ in cases):
            raise RuntimeError("worker exited with status -6 without a reply\nfatal: poisoned")
        return _lrs(cases)


def test_a_crash_out_of_process_fails_only_its_plan_and_its_messages_come_in_order(two_backends):
    from lrbridge.conformance import engine

    engine.register_runner("elsewhere", CrashElsewhere())
    messages: list[str] = []
    results = run_matrix_many(_plans(4), 12, targets=[Target("elsewhere", "eager"), Target("here", "eager")],
                              progress=messages.append, chunks=(4,))
    assert [[c.status for c in r.cells] for r in results] == [["ok", "ok"], ["ok", "ok"], ["error", "ok"], ["ok", "ok"]]
    assert "fatal: poisoned" in results[2].cells[0].detail
    assert messages[:2] == ["measuring elsewhere: 4 plans, 4 cases", "measuring here: 4 plans, 4 cases"]
    assert messages[2].startswith("elsewhere: a batch of 4 failed") and len(messages) == 4
