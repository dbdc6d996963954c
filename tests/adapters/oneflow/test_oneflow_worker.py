"""Two interpreters: the OneFlow worker's failures become clear errors in the main process."""

from __future__ import annotations

import os
import stat

import pytest
from oneflow_plans import EAGER_ONLY, plan

import lrbridge
from lrbridge.conformance import Target
from lrbridge.errors import BackendUnavailableError, UnrepresentableError
from lrbridge.interp import WorkerError
from lrbridge_oneflow.interpreter import call_oneflow
from lrbridge.schedules import Step


def test_missing_interpreter_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LRBRIDGE_ONEFLOW_PYTHON", "/nonexistent/python3.10")
    with pytest.raises(BackendUnavailableError) as err:
        call_oneflow({"op": "ping"})
    msg = str(err.value)
    assert "/nonexistent/python3.10" in msg and "does not exist" in msg and "LRBRIDGE_ONEFLOW_PYTHON" in msg


def test_crashing_interpreter_reports_status_and_stderr(monkeypatch, tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\necho 'Fatal Python error: simulated crash in oneflow' >&2\nexit 134\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("LRBRIDGE_ONEFLOW_PYTHON", os.fspath(fake))
    from lrbridge_oneflow.runner import OneFlowRunner

    with pytest.raises(BackendUnavailableError) as err:
        OneFlowRunner().measure(plan(Step(step_size=2)), 4, Target("oneflow", "eager"))
    msg = str(err.value)
    assert "status 134" in msg and "simulated crash in oneflow" in msg


def test_unrepresentable_in_the_worker_carries_checks_message(oneflow):
    from lrbridge_oneflow.runner import RUNNER

    p = EAGER_ONLY["chained"][0]
    res = lrbridge.check(p, "oneflow", mode="graph")
    expected = str(UnrepresentableError("oneflow (graph)", res.reasons, res.alternative))
    (out,) = RUNNER.measure_many([(p, 8, Target("oneflow", "graph"))])
    assert isinstance(out, lrbridge.LrBridgeError)
    assert expected in str(out)
    with pytest.raises(WorkerError) as err:  # a single call raises, with the worker's stderr attached
        RUNNER.measure(p, 8, Target("oneflow", "graph"))
    assert expected in str(err.value) and "worker stderr" in str(err.value) and "Traceback" in str(err.value)


def test_bad_plan_in_the_worker_names_the_field(oneflow):
    bad = {"version": 1, "optimizer": {"name": "sgd", "lr": 0.1}, "scheduler": {"kind": "step", "step_size": 0}}
    with pytest.raises(WorkerError, match=r"scheduler.*step_size"):
        oneflow({"op": "measure", "plan": bad, "steps": 4, "mode": "eager"})


def test_worker_check_and_export_ops_agree_with_the_main_env(oneflow):
    from lrbridge.io import plan_to_dict

    p = EAGER_ONLY["groups_different_shapes"][0]
    here = lrbridge.check(p, "oneflow", mode="graph")
    there = oneflow({"op": "check", "plan": plan_to_dict(p), "mode": "graph"})
    assert (there["ok"], there["reasons"], there["alternative"]) == (here.ok, here.reasons, here.alternative)
