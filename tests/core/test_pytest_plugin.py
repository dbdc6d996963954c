"""The pytest plugin, used from a separate test project (tests/plugin_project) in a subprocess pytest."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1] / "plugin_project"


def run_project(tmp_path, *, require: bool = False, targets: str = "torch/eager/cpu,torch/eager/cuda"):
    """Run the project's tests with ``-p lrbridge.pytest_plugin``: {test name: (outcome, message)}."""
    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if k != "LRBRIDGE_REQUIRE_BACKENDS"}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # exactly this plugin, however lrbridge is installed
    if require:
        env["LRBRIDGE_REQUIRE_BACKENDS"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "lrbridge.pytest_plugin", "-q", f"--junitxml={report}",
                           f"--lrbridge-targets={targets}"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert report.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    out = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        kind = next((c for c in case if c.tag in ("failure", "error", "skipped")), None)
        text = "" if kind is None else (kind.get("message") or "") + "\n" + (kind.text or "")
        out[case.get("name")] = ("passed" if kind is None else kind.tag, text)
    return out, proc


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def test_plugin_project(tmp_path, torch):
    got, proc = run_project(tmp_path)
    assert got["test_port_matches_recipe"][0] == "passed"
    assert got["test_arrays_and_plans"][0] == "passed"
    assert got["test_torch_applies_the_recipe"][0] == "passed"
    assert got["test_every_target[torch-eager-cpu]"][0] == "passed"
    # the failure message is the diff report, naming group, step and cause
    outcome, message = got["test_oneflow_port_differs"]
    assert outcome == "failure"
    assert "DIFFERS from step 10" in message and "shared vs restarted clock" in message and "group 'backbone'" in message
    # a backend lrbridge does not know is the test's mistake: an error (in setup) naming it
    assert got["test_unknown_backend"][0] == "error" and "no_such_framework" in got["test_unknown_backend"][1]
    cuda_tests = ("test_cuda_applies_the_recipe", "test_marked_cuda", "test_every_target[torch-eager-cuda]")
    for name in cuda_tests:
        if _cuda():
            assert got[name][0] == "passed", got[name]
        else:  # absent device: skipped, with the reason
            assert got[name][0] == "skipped" and "no CUDA device" in got[name][1], got[name]


def test_required_backends_turn_absent_devices_into_failures(tmp_path, torch):
    if _cuda():
        return  # nothing is absent here
    got, _ = run_project(tmp_path, require=True, targets="torch/eager/cuda")
    for name in ("test_cuda_applies_the_recipe", "test_marked_cuda", "test_every_target[torch-eager-cuda]"):
        outcome, message = got[name]
        # failed in the test body (assert_plan_applied) or in its setup (markers, the target fixture)
        assert outcome in ("failure", "error") and "no CUDA device" in message and "LRBRIDGE_REQUIRE_BACKENDS=1" in message, got[name]
