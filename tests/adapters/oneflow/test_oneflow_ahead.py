"""A OneFlow worker started ahead (``interpreter.start_ahead``) serves the next call, and only a call
for the interpreter it was started with."""

from __future__ import annotations

import os
import stat

import pytest

from lrbridge.errors import BackendUnavailableError
from lrbridge_oneflow import interpreter


@pytest.fixture
def no_worker_left():
    yield
    interpreter.stop_ahead()


def test_a_worker_started_ahead_has_oneflow_imported_and_serves_the_next_call(oneflow, no_worker_left):
    interpreter.start_ahead()
    ahead = interpreter._AHEAD._proc
    assert ahead is not None and ahead.poll() is None
    reply = interpreter.call_oneflow({"op": "ping"})
    assert reply["oneflow"].startswith("0.9") and reply["python"].startswith("3.10")
    assert interpreter._AHEAD._proc is None and ahead.returncode == 0  # that very worker answered, then ended


def test_a_worker_started_for_another_interpreter_is_not_used(oneflow, no_worker_left, monkeypatch, tmp_path):
    interpreter.start_ahead()
    ahead = interpreter._AHEAD._proc
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'Fatal Python error: simulated crash in oneflow' >&2\nexit 134\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("LRBRIDGE_ONEFLOW_PYTHON", os.fspath(fake))
    with pytest.raises(BackendUnavailableError) as err:
        interpreter.call_oneflow({"op": "ping"})
    assert "status 134" in str(err.value)
    assert ahead.poll() is not None  # stopped, not left running


def test_measuring_after_a_warm_up_equals_measuring_cold(oneflow, no_worker_left):
    import numpy as np

    import lrbridge as lb
    from lrbridge.conformance.engine import Target
    from lrbridge_oneflow.runner import OneFlowRunner

    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), scheduler=lb.CosineAnnealing(T_max=9),
                   horizon=lb.Horizon(steps=12))
    runner = OneFlowRunner()
    cold = runner.measure_batch([(plan, 12, Target("oneflow", "eager")), (plan, 12, Target("oneflow", "graph"))])
    runner.warm_up()
    warm = runner.measure_batch([(plan, 12, Target("oneflow", "eager")), (plan, 12, Target("oneflow", "graph"))])
    for a, b in zip(cold, warm):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(warm[0], lb.evaluate(plan, 12).astype(np.float32))
