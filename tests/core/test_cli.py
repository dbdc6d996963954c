"""``lrbridge curve``: table, --json, --plot, and one-line errors; in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lrbridge as L
from lrbridge.cli import app

PLAN = """\
version: 1
optimizer: {name: sgd, lr: 0.1}
groups:
  - {name: head, params: ["head.*"], lr: 0.5, lr_scale: 0.2}
  - {name: default, rest: true}
scheduler:
  kind: warmup
  warmup_steps: 5
  prefix: true
  schedule: {kind: cosine_decay, decay_steps: 20, alpha: 0.1}
horizon: {steps: 30, past: hold}
"""


@pytest.fixture
def plan_file(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN)
    return path


def lrbridge_exe() -> str:
    """The installed console script of the running environment."""
    here = Path(sys.executable).parent / "lrbridge"
    return str(here) if here.exists() else shutil.which("lrbridge")


def run_cli(*args):
    return subprocess.run([lrbridge_exe(), *map(str, args)], capture_output=True, text=True, timeout=120)


runner = CliRunner()


def test_json_equals_evaluate(plan_file):
    result = runner.invoke(app, ["curve", str(plan_file), "--json", "--steps", "40"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["steps"] == 40
    assert [g["name"] for g in doc["groups"]] == ["head", "default"]
    expected = L.evaluate(L.load_plan(plan_file), 40)
    # JSON floats are repr-exact: bit-identical to the evaluator
    np.testing.assert_array_equal(np.array([g["lr"] for g in doc["groups"]]), expected)


def test_json_defaults_to_the_horizon(plan_file):
    result = runner.invoke(app, ["curve", str(plan_file), "--json"])
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["groups"][0]["lr"]) == 30


def test_table_shows_sampled_steps(plan_file):
    result = runner.invoke(app, ["curve", str(plan_file), "-n", "30"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "head" in out and "default" in out and "step k" in out
    lr = L.evaluate(L.load_plan(plan_file), 30)
    # first and last rows: step 0 and step 29, values printed to 9 significant digits
    for k in (0, 29):
        assert f"{lr[0, k]:.9g}" in out and f"{lr[1, k]:.9g}" in out


def test_plot_writes_png(plan_file, tmp_path):
    png = tmp_path / "curve.png"
    result = runner.invoke(app, ["curve", str(plan_file), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000


BAD = {
    "bad_field": ("version: 1\noptimizer: {name: sgd, lr: 0.1}\nscheduler: {kind: step, step_size: 0}\n", "error: scheduler.step_size: Input should be greater than or equal to 1"),
    "unknown_kind": ("optimizer: {name: sgd, lr: 0.1}\nscheduler: {kind: cosin, T_max: 3}\n", "error: scheduler: unknown schedule kind 'cosin'"),
    "bad_yaml": ("optimizer: {name: sgd\n  lr: [\n", "error: not valid YAML:"),
    "unsafe_yaml": ("optimizer: !!python/object/apply:os.system ['echo pwned']\n", "error: not valid YAML: could not determine a constructor"),
    "no_horizon": ("optimizer: {name: sgd, lr: 0.1}\n", "error: horizon.steps: the plan sets no horizon; pass --steps N"),
    "version": ("version: 7\noptimizer: {name: sgd, lr: 0.1}\n", "error: version: unsupported plan schema version 7"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_errors_are_one_line_in_process(case, tmp_path):
    doc, message = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(doc)
    result = runner.invoke(app, ["curve", str(path)])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert "Traceback" not in result.stderr


def test_missing_file_and_bad_steps(tmp_path, plan_file):
    result = runner.invoke(app, ["curve", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot read ") and result.stderr.count("\n") == 1
    result = runner.invoke(app, ["curve", str(plan_file), "--steps", "0"])
    assert result.exit_code == 1 and result.stderr == "error: --steps: must be at least 1, got 0\n"


def test_past_horizon_error_policy(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"optimizer": {"name": "sgd", "lr": 0.1}, "horizon": {"steps": 5, "past": "error"}}))
    result = runner.invoke(app, ["curve", str(path), "--steps", "8"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: step 5 is past the plan's horizon of 5 steps")


# ------------------------------------------------------------- the installed command, as users run it


@pytest.fixture(scope="module")
def exe():
    path = lrbridge_exe()
    if not path:
        pytest.fail("the 'lrbridge' console script is not installed in this environment; run './dev env'")
    return path


def test_subprocess_json_and_plot(exe, plan_file, tmp_path):
    png = tmp_path / "p.png"
    proc = run_cli("curve", plan_file, "--json", "--steps", "25", "--plot", png)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    np.testing.assert_array_equal(np.array([g["lr"] for g in doc["groups"]]), L.evaluate(L.load_plan(plan_file), 25))
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert proc.stderr.strip() == f"wrote {png}"


def test_subprocess_table(exe, plan_file):
    proc = run_cli("curve", plan_file)
    assert proc.returncode == 0, proc.stderr
    assert "step k" in proc.stdout and "head" in proc.stdout


@pytest.mark.parametrize("case", ["bad_field", "bad_yaml", "unsafe_yaml"])
def test_subprocess_errors(exe, case, tmp_path):
    doc, message = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text(doc)
    proc = run_cli("curve", path)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), proc.stderr
    assert "Traceback" not in proc.stderr


def test_subprocess_missing_file(exe, tmp_path):
    proc = run_cli("curve", tmp_path / "missing.yaml")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: ") and len(proc.stderr.splitlines()) == 1


def test_console_script_matches_module_entry(plan_file):
    # `python -m lrbridge.cli` is the same program
    proc = subprocess.run(
        [sys.executable, "-m", "lrbridge.cli", "curve", str(plan_file), "--json", "-n", "3"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["groups"][1]["lr"]) == 3


def test_check_reads_any_source_and_exits_1_when_the_named_backend_cannot(tmp_path):
    src = tmp_path / "plateau.yaml"
    src.write_text("optimizer: {name: sgd, lr: 0.1}\nscheduler: {kind: reduce_on_plateau}\n")
    ok = runner.invoke(app, ["check", str(src), "--to", "torch", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"]
    refused = runner.invoke(app, ["check", str(src), "--to", "mindspore", "--mode", "list", "--json"])
    doc = json.loads(refused.stdout)
    assert refused.exit_code == 1 and not doc["ok"] and "validation metric" in doc["reasons"][0]
    everything = runner.invoke(app, ["check", str(src), "--json"])
    assert everything.exit_code == 0 and len(everything.stdout.splitlines()) == 6  # every backend x mode


def test_convert_to_plan_writes_the_plan_a_config_was_read_as(tmp_path):
    """A torch-style config in, the canonical plan out (yaml by default, json on request): it loads back
    as a plan whose curve is the config's."""
    cfg = tmp_path / "recipe.yaml"
    cfg.write_text("optimizer: {type: AdamW, lr: 0.001}\n"
                   "scheduler: {type: StepLR, step_size: 3, gamma: 0.5}\n")
    out = tmp_path / "plan.yaml"
    result = runner.invoke(app, ["convert", str(cfg), "--from", "torch", "--to", "plan", "--steps", "12", "-o", str(out)])
    assert result.exit_code == 0, result.output
    plan = L.load_plan(out)
    assert plan.horizon.steps == 12 and plan.optimizer.name == "adamw"
    np.testing.assert_allclose(L.evaluate(plan, 12)[0], 0.001 * 0.5 ** (np.arange(12) // 3), rtol=1e-15)
    as_json = runner.invoke(app, ["convert", str(out), "--to", "plan", "-f", "json"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["horizon"]["steps"] == 12
    bad = runner.invoke(app, ["convert", str(out), "--to", "plan", "-f", "npy"])
    assert bad.exit_code != 0 and "--format: unknown format 'npy' for plan; accepted: yaml, json" in bad.output
