"""Hostile and careless input: one clear line, a non-zero exit, bounded time and memory, nothing run.

A corpus of malformed and adversarial inputs, each through the command line (typer's
CliRunner in-process, and real subprocesses under a memory limit and a timeout) and
through the Python API. Every case must end in one ``error: ...`` line (CLI) or an
``LrBridgeError`` subclass / ``TypeError`` naming the expected type (API); valid
extreme inputs (10^7 steps, a 2^31-step horizon, 100 nested schedules) must work.
Limits are documented in docs/limits.md.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import lrbridge as L
from lrbridge.cli import app
from lrbridge.errors import ArgumentTypeError, EvaluationError, LimitError, LrBridgeError, PlanError
from lrbridge.limits import MAX_STEP

runner = CliRunner()
HEAD = "version: 1\noptimizer: {name: sgd, lr: 0.1}\n"
#: address space a CLI subprocess may use: far below what the unbounded cases used to grab (7.5 GB, 7 TiB)
MEMORY_LIMIT = 3 * 2**30


def nested(levels: int, kind: str = "sequential") -> dict:
    d: dict = {"kind": "constant"}
    for _ in range(levels):
        d = {"kind": "sequential", "stages": [d], "milestones": []} if kind == "sequential" else {"kind": "chained", "schedules": [d]}
    return d


def plan_doc(scheduler=None, **extra) -> dict:
    doc = {"version": 1, "optimizer": {"name": "sgd", "lr": 0.1}, **extra}
    if scheduler is not None:
        doc["scheduler"] = scheduler
    return doc


def write(tmp_path, text, name="p.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    return path


def one_line_error(result, exit_code=1, starts="error: ") -> str:
    """The single stderr line of a failed CLI run (and nothing on stdout, no traceback)."""
    assert result.exit_code == exit_code, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(starts), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def run_cli(*args, timeout=60):
    """The installed console script in a subprocess with an address-space limit and a timeout."""
    exe = Path(sys.executable).parent / "lrbridge"
    exe = str(exe) if exe.exists() else shutil.which("lrbridge")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    start = time.monotonic()
    out = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    return out, time.monotonic() - start


# ---------------------------------------------------------------- help, version


def _commands() -> list[list[str]]:
    import typer.main

    return [[]] + [[name] for name in sorted(typer.main.get_command(app).commands)]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c[0] if c else "lrbridge")
def test_help_of_every_command_renders(command):
    # conform's `backend/mode[/device[/form]]` once crashed rich's markup parser (MarkupError)
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout and "Traceback" not in result.output
    if command == ["conform"]:
        assert "backend/mode[/device[/form]]" in result.stdout


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"lrbridge {L.__version__}"


# ---------------------------------------------------------------- sizes: bounded before allocating


@pytest.mark.parametrize(
    ("args", "doc"),
    [
        (["--steps", "1000000000000", "--json"], HEAD),
        (["--steps", "1000000000", "--json"], HEAD + "groups: [{name: a, params: [a]}, {name: b, params: [b]}, {name: c, rest: true}]\n"),
        (["--json"], HEAD + "horizon: {steps: 1000000000000}\n"),
        (["--plot", "x.png"], HEAD + "horizon: {steps: 1000000000000}\n"),
    ],
    ids=["1e12-steps", "1e9-steps-3-groups", "horizon-1e12", "plot-1e12"],
)
def test_huge_step_counts_are_refused_before_allocating(tmp_path, args, doc):
    path = write(tmp_path, doc)
    start = time.monotonic()
    line = one_line_error(runner.invoke(app, ["curve", str(path), *[a if a != "x.png" else str(tmp_path / a) for a in args]]))
    assert time.monotonic() - start < 10
    assert "needs" in line and "limit" in line and "fewer steps" in line, line
    assert not (tmp_path / "x.png").exists()


def test_huge_steps_in_a_subprocess_stay_small(tmp_path):
    path = write(tmp_path, HEAD)
    out, seconds = run_cli("curve", path, "--steps", 10**12, "--json")
    assert out.returncode == 1 and out.stdout == "" and seconds < 30
    assert out.stderr.count("\n") == 1 and "7.28 TiB" in out.stderr, out.stderr


def test_table_of_a_huge_horizon_evaluates_only_its_rows(tmp_path):
    # the table prints 12 rows: 10^12 steps cost nothing
    path = write(tmp_path, HEAD + "scheduler: {kind: cosine, T_max: 1000000000000}\n")
    result = runner.invoke(app, ["curve", str(path), "--steps", str(10**12)])
    assert result.exit_code == 0, result.output
    assert "999999999999" in result.stdout and "only the steps shown were evaluated" in result.stderr


@pytest.mark.parametrize("via", ["evaluate", "mindspore_list", "convert_json"])
def test_api_refuses_huge_allocations(via):
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1), horizon=L.Horizon(steps=10**12))
    with pytest.raises(LimitError, match="needs .* above the .* limit"):
        if via == "evaluate":
            L.evaluate(plan, 10**12)
        elif via == "mindspore_list":
            from lrbridge_mindspore.lists import to_mindspore_lr_list  # framework-free module

            # 10^8 float64 values fit the bound; 10^8 Python floats in a list (32 bytes each) do not
            to_mindspore_lr_list(plan.model_copy(update={"horizon": L.Horizon(steps=10**8)}))
        else:
            from lrbridge.convert import render

            render(plan, to="mindspore", steps=10**12, fmt="json")


def test_from_torch_tabulating_huge_steps_is_refused_fast():
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5)
    start = time.monotonic()
    with pytest.raises(LimitError, match="step the scheduler 100000000 times"):
        L.from_torch(sched, steps=10**8)
    assert time.monotonic() - start < 5


def test_from_torch_verifies_long_closed_forms_on_a_prefix():
    # a closed form over 10^8 steps: verified against torch over a prefix, not 10^8 torch steps
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1000, gamma=0.5)
    start = time.monotonic()
    result = L.from_torch(sched, steps=10**8)
    assert time.monotonic() - start < 20
    assert result.exact and result.plan.horizon.steps == 10**8
    assert any("the first 10000 of 100000000" in n for n in result.notes), result.notes
    assert L.evaluate(result.plan, [0, 999, 1000, 5000])[0].tolist() == [0.1, 0.1, 0.05, 0.1 * 0.5**5]


# ---------------------------------------------------------------- nesting, aliases, encodings, tags


@pytest.mark.parametrize("levels", [300, 5000])
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_deep_nesting_is_one_line(tmp_path, levels, fmt):
    doc = plan_doc(nested(levels), horizon={"steps": 10})
    text = json.dumps(doc) if levels < 900 else None
    if text is None:  # json.dumps itself recurses: write 5000 levels by hand (JSON is YAML too)
        text = '{"version": 1, "optimizer": {"name": "sgd", "lr": 0.1}, "scheduler": ' + (
            '{"kind": "sequential", "milestones": [], "stages": [' * levels + '{"kind": "constant"}' + "]}" * levels) + "}"
    path = write(tmp_path, text, f"deep.{fmt}")
    line = one_line_error(runner.invoke(app, ["curve", str(path)]))
    assert "nest" in line and ("150" in line or "400" in line), line


def test_deep_nesting_in_python_and_in_a_torch_config(tmp_path):
    node = L.Constant()
    with pytest.raises(LimitError if False else PlanError, match="nest 151 deep, more than the limit of 150"):
        for _ in range(300):
            node = L.Chained(schedules=(node,))
    cfg = {"optimizer": {"type": "SGD", "lr": 0.1}, "steps": 10}
    sched: dict = {"type": "StepLR", "step_size": 1}
    for _ in range(1000):
        sched = {"type": "ChainedScheduler", "schedulers": [sched]}
    cfg["scheduler"] = sched
    # JSON can only be written this deep by hand
    text = json.dumps({k: v for k, v in cfg.items() if k != "scheduler"})[:-1] + ', "scheduler": ' + (
        '{"type": "ChainedScheduler", "schedulers": [' * 1000 + '{"type": "StepLR", "step_size": 1}' + "]}" * 1000) + "}"
    line = one_line_error(runner.invoke(app, ["curve", str(write(tmp_path, text, "cfg.json"))]))
    assert "nest" in line


def test_a_hundred_nested_schedules_work(tmp_path):
    import yaml

    path = write(tmp_path, yaml.safe_dump(plan_doc(nested(100, "chained"), horizon={"steps": 20})))
    plan = L.load_plan(path)
    assert L.evaluate(plan, 3).tolist() == [[0.1, 0.1, 0.1]]
    result = runner.invoke(app, ["curve", str(path), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["groups"][0]["lr"] == [0.1] * 20


ALIAS_BOMB = "".join(
    [HEAD, "groups:\n  - name: g\n    rest: true\n    hparams:\n      tag: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    + [f"      t{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 9)]
    + ["horizon: {steps: 10}\n"]
)


def test_yaml_alias_bomb_is_refused(tmp_path):
    assert len(ALIAS_BOMB) < 1500  # 10^9 values in about a kilobyte
    path = write(tmp_path, ALIAS_BOMB)
    out, seconds = run_cli("convert", path, "--to", "mindspore", "-f", "python", timeout=60)
    assert out.returncode == 1 and out.stdout == "" and seconds < 30
    assert out.stderr.count("\n") == 1 and "aliases" in out.stderr, out.stderr
    with pytest.raises(LimitError, match="once its aliases"):
        L.parse_plan(ALIAS_BOMB)


def test_recursive_alias_is_refused():
    with pytest.raises(LimitError, match="recursive alias"):
        L.parse_plan(HEAD + "x: &a [*a]\n")


def test_non_utf8_file_is_one_line(tmp_path):
    path = write(tmp_path, b"version: 1\noptimizer: {name: sgd, lr: 0.1}\n# caf\xe9\n")
    line = one_line_error(runner.invoke(app, ["curve", str(path), "-n", "3"]))
    assert "not UTF-8" in line


def test_python_tags_never_run(tmp_path):
    marker = tmp_path / "pwned"
    for payload in (f"!!python/object/apply:os.system ['touch {marker}']",
                    f"!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
                    "!!python/name:os.system"):
        path = write(tmp_path, f"version: 1\noptimizer: {payload}\n")
        line = one_line_error(runner.invoke(app, ["curve", str(path), "-n", "3"]))
        assert "not valid YAML" in line
    assert not marker.exists()


def test_lambda_and_class_name_strings_are_values_not_code(tmp_path):
    path = write(tmp_path, HEAD + "scheduler: {kind: step, step_size: 'lambda e: 0.1'}\n")
    assert "step_size" in one_line_error(runner.invoke(app, ["curve", str(path), "-n", "3"]))
    cfg = write(tmp_path, "optimizer: {type: SGD, lr: 0.1}\nscheduler: {type: LambdaLR, lr_lambda: 'lambda e: 0.1'}\nsteps: 5\n", "c.yaml")
    assert "LambdaLR takes a Python callable" in one_line_error(runner.invoke(app, ["curve", str(cfg)]))


# ---------------------------------------------------------------- values: wrong type or range, duplicates


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (HEAD.replace("lr: 0.1", "lr: 0.1, hparams: {momentum: fast}"), "hparams.momentum must be a finite number ≥ 0, got 'fast'"),
        (HEAD.replace("lr: 0.1", "lr: 0.1, hparams: {momentum: -5}"), "hparams.momentum must be a finite number ≥ 0, got -5"),
        (HEAD.replace("lr: 0.1", "lr: 0.1, hparams: {weight_decay: -1}"), "hparams.weight_decay must be a finite number ≥ 0"),
        (HEAD.replace("lr: 0.1", "lr: 0.1, hparams: {nesterov: 'yes'}"), "hparams.nesterov must be true or false"),
        (HEAD + "groups: [{name: g, rest: true, hparams: {momentum: fast}}]\n", "groups[0].hparams.momentum (group 'g') must be"),
        ("version: 1\noptimizer: {name: sgd, lr: 0.1}\noptimizer: {name: sgd, lr: 5}\n", "duplicate key 'optimizer' at line 3"),
        ("version: 1\noptimizer: {name: sgd, lr: 0.1, lr: 5}\n", "duplicate key 'lr'"),
        ("version: true\noptimizer: {name: sgd, lr: 0.1}\n", "version: unsupported plan schema version True"),
        ("version: 1.0\noptimizer: {name: sgd, lr: 0.1}\n", "version: unsupported plan schema version 1.0"),
        (HEAD + "groups: [{name: g, rest: true, lr: 1.0e308, lr_scale: 1.0e308}]\n", "overflows to infinity"),
        (HEAD + "scheduler: {kind: multistep, milestones: [9007199254740993]}\n", "scheduler.milestones[0]: Input should be less than or equal to 9007199254740992"),
        (HEAD + "groups: [{name: g, params: ['re:(.*)*X']}, {name: r, rest: true}]\n", "selector 're:(.*)*X' is refused"),
        (HEAD + "scheduler: {kind: step, step_size: 5.0}\n", "scheduler.step_size: Input should be a valid integer"),
    ],
    ids=["momentum-str", "momentum-neg", "wd-neg", "nesterov-str", "group-momentum", "dup-key", "dup-inline-key",
         "version-bool", "version-float", "lr-overflow", "milestone-2^53+1", "regex-bomb", "float-step"],
)
def test_bad_values_are_one_line(tmp_path, doc, expected):
    path = write(tmp_path, doc + ("horizon: {steps: 10}\n" if "horizon" not in doc else ""))
    line = one_line_error(runner.invoke(app, ["curve", str(path)]))
    assert expected in line, line
    with pytest.raises(PlanError, match=None):
        L.load_plan(path)


def test_duplicate_json_keys(tmp_path):
    path = write(tmp_path, '{"version": 1, "optimizer": {"name": "sgd", "lr": 0.1, "lr": 5}, "horizon": {"steps": 3}}', "p.json")
    assert "duplicate key 'lr'" in one_line_error(runner.invoke(app, ["curve", str(path)]))


def test_yaml_12_floats_are_numbers(tmp_path):
    # PyYAML reads 1e-4 as a string; a plan reads it as the number every user means
    plan = L.parse_plan("version: 1\noptimizer: {name: sgd, lr: 1e-4}\nscheduler: {kind: exponential, gamma: 9.9e-1}\n")
    assert plan.optimizer.lr == 1e-4 and plan.scheduler.gamma == 0.99


@pytest.mark.parametrize(
    ("scheduler", "where"),
    [
        ("{kind: exponential, gamma: 1.0e+10}", "lr inf at step 31"),
        ("{kind: tabulated, values: [0.1, -0.5]}", "lr -0.5 at step 1, which is negative"),
        ("{kind: piecewise, boundaries: [2], values: [0.1, -1.0]}", "at step 2, which is negative"),
    ],
)
def test_non_finite_or_negative_lrs_name_the_step(tmp_path, scheduler, where):
    path = write(tmp_path, HEAD + f"scheduler: {scheduler}\nhorizon: {{steps: 100}}\n")
    for args in (["--json"], []):
        line = one_line_error(runner.invoke(app, ["curve", str(path), *args]))
        assert where in line and "group 'default'" in line, line
    with pytest.raises(EvaluationError, match="finite and non-negative"):
        L.evaluate(L.load_plan(path), 100)


def test_json_never_prints_infinity(tmp_path):
    path = write(tmp_path, HEAD + "scheduler: {kind: exponential, gamma: 1.0e+10}\n")
    result = runner.invoke(app, ["curve", str(path), "--json", "-n", "100"])
    assert result.exit_code == 1 and "Infinity" not in result.stdout


def test_torch_config_bad_values_are_one_line(tmp_path):
    pytest.importorskip("torch")
    cases = {
        "optimizer: {type: SGD, lr: 0.1}\nscheduler: {type: CosineAnnealingLR, T_max: 0}\nsteps: 10\n": "CosineAnnealingLR",
        "optimizer:\n  type: SGD\n  lr: 0.1\n  param_groups: [{name: a, params: ['a.*']}, {name: a, rest: true}]\nsteps: 10\n":
            "param_groups[1].name: group name 'a' is used twice",
        "optimizer: {type: SGD, lr: 0.1}\nscheduler: {type: StepLR, step_size: 0}\nsteps: 10\n": "scheduler: torch StepLR",
    }
    for text, expected in cases.items():
        line = one_line_error(runner.invoke(app, ["curve", str(write(tmp_path, text, "cfg.yaml"))]))
        assert expected in line, line


# ---------------------------------------------------------------- CLI usage: targets, outputs, plots


@pytest.mark.parametrize("target", ["torch/graph/cpu", "torch/eager/gpu0", "nosuch/eager", "torch", "torch//cpu"])
def test_unknown_conform_targets_are_usage_errors(tmp_path, target):
    path = write(tmp_path, HEAD + "horizon: {steps: 5}\n")
    line = one_line_error(runner.invoke(app, ["conform", str(path), "-t", target]), exit_code=2)
    assert "--target" in line


def test_convert_never_overwrites_its_source(tmp_path):
    path = write(tmp_path, HEAD + "horizon: {steps: 5}\n")
    before = path.read_text()
    line = one_line_error(runner.invoke(app, ["convert", str(path), "--to", "mindspore", "-o", str(path)]))
    assert "is the source itself" in line and path.read_text() == before


def test_plot_format_is_checked_before_any_output(tmp_path):
    path = write(tmp_path, HEAD + "horizon: {steps: 5}\n")
    result = runner.invoke(app, ["curve", str(path), "--plot", str(tmp_path / "c.xyz")])
    line = one_line_error(result)
    assert "--plot" in line and "png" in line and result.stdout == ""
    line = one_line_error(runner.invoke(app, ["curve", str(path), "--plot", str(path)]))
    assert "is the source itself" in line


def test_plot_without_suffix_reports_the_file_written(tmp_path):
    path = write(tmp_path, HEAD + "horizon: {steps: 5}\n")
    result = runner.invoke(app, ["curve", str(path), "--plot", str(tmp_path / "curve")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert f"wrote {tmp_path / 'curve.png'}" in result.output


def test_core_errors_name_fields_and_the_cli_names_flags(tmp_path):
    from lrbridge.plan import resolve_steps

    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1))
    for steps in (None, 0, True, 2.5):
        with pytest.raises(PlanError) as info:
            resolve_steps(plan, steps)
        assert "--" not in str(info.value), str(info.value)
    path = write(tmp_path, HEAD)
    assert one_line_error(runner.invoke(app, ["curve", str(path)])).endswith("pass --steps N")
    assert one_line_error(runner.invoke(app, ["curve", str(path), "-n", "0"])) == "error: --steps: must be at least 1, got 0"


# ---------------------------------------------------------------- selectors


NAMES = ["backbone.0.weight", "backbone.0.bias", "backbone.1.weight", "head.weight", "head.bias"]


def test_selector_matching_nothing_names_group_and_closest_parameters():
    groups = (L.ParamGroup(name="backbone", params=("bakbone.*",), lr=0.01), L.ParamGroup(name="rest", rest=True))
    with pytest.raises(PlanError) as info:
        L.assign_params(groups, NAMES)
    text = str(info.value)
    assert "group 'backbone'" in text and "'bakbone.*' matches no parameter" in text and "backbone.0.weight" in text


def test_torch_optimizer_refuses_a_selector_matching_nothing():
    torch = pytest.importorskip("torch")
    from lrbridge_torch import torch_optimizer

    model = torch.nn.Sequential()
    model.add_module("backbone", torch.nn.Linear(2, 2))
    model.add_module("head", torch.nn.Linear(2, 1))
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1),
                  groups=(L.ParamGroup(name="backbone", params=("bakbone.*",), lr=0.01), L.ParamGroup(name="rest", rest=True)))
    with pytest.raises(PlanError, match=r"group 'backbone': selector 'bakbone\.\*' matches no parameter; closest parameter names: backbone\."):
        torch_optimizer(plan, model)
    ok = plan.model_copy(update={"groups": (L.ParamGroup(name="backbone", params=("backbone.*",), lr=0.01), plan.groups[1])})
    opt = torch_optimizer(ok, model)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1] and len(opt.param_groups[0]["params"]) == 2


@pytest.mark.parametrize("selector", ["re:(.*)*X", "re:(a+)+$", "re:(a|aa)*b", "re:(\\w+)\\1", "re:" + "a" * 300,
                                      "re:.*.*.*.*.*X"])
def test_catastrophic_regex_selectors_are_refused_fast(selector):
    start = time.monotonic()
    with pytest.raises(PlanError, match="refused"):
        L.ParamGroup(name="g", params=(selector,))
    assert time.monotonic() - start < 1


def test_regex_selectors_in_common_use_still_work():
    for sel in ["re:.*\\.(weight|bias)", "re:encoder\\.layer\\d+\\..*", "re:(?:q|k|v)_proj\\.weight", "re:.*norm.*"]:
        L.ParamGroup(name="g", params=(sel,))


# ---------------------------------------------------------------- wrong-type API arguments


def _plan():
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1), horizon=L.Horizon(steps=10))


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: L.evaluate("plan.yaml", 10), "evaluate: plan must be lrbridge.Plan, got str"),
        (lambda: L.evaluate(_plan(), True), "evaluate: steps must be an int"),
        (lambda: L.evaluate(_plan(), "10"), "evaluate: steps must be an int"),
        (lambda: L.parse_plan(None), "parse_plan: text must be str, got NoneType"),
        (lambda: L.load_plan(None), "load_plan: path must be str or os.PathLike, got NoneType"),
        (lambda: L.dumps_plan({"version": 1}), "dumps_plan: plan must be lrbridge.Plan, got dict"),
        (lambda: L.check(dict, "torch"), "Plan"),
        (lambda: L.to_mindspore_lr_list("plan.yaml", 10), "to_mindspore_lr_list: plan must be lrbridge.Plan, got str"),
    ],
)
def test_wrong_type_arguments_raise_type_errors_naming_the_type(call, expected):
    with pytest.raises(TypeError) as info:
        call()
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("call", "error", "expected"),
    [
        (lambda: L.evaluate(_plan(), [2**63]), LimitError, "beyond 2**53"),
        (lambda: L.evaluate(_plan(), [-1]), EvaluationError, "non-negative"),
        (lambda: L.parse_plan(HEAD, "toml"), PlanError, "unknown document format 'toml'"),
        (lambda: L.dumps_plan(_plan(), "toml"), PlanError, "unknown document format 'toml'"),
        (lambda: L.Step(step_size=0), PlanError, "step_size: Input should be greater than or equal to 1, got 0"),
        (lambda: L.MultiStep(milestones=(MAX_STEP + 1,)), PlanError, "milestones[0]"),
        (lambda: L.OptimizerSpec(name="sgd", lr=0.1, hparams={"momentum": "fast"}), PlanError, "hparams.momentum"),
    ],
)
def test_bad_api_values_raise_lrbridge_errors(call, error, expected):
    with pytest.raises(error) as info:
        call()
    assert expected in str(info.value)
    assert isinstance(info.value, LrBridgeError) and type(info.value).__module__ == "lrbridge.errors"


def test_building_a_node_raises_plan_error_never_pydantic():
    from pydantic import ValidationError

    with pytest.raises(PlanError) as info:
        L.Step(step_size=0)
    assert not isinstance(info.value, ValidationError) and isinstance(info.value, ValueError)
    assert info.value.path == "step_size"


@pytest.mark.parametrize("what", ["name", "optimizer", "model"])
def test_from_torch_wrong_types(what):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    arg = {"name": "StepLR", "optimizer": opt, "model": model}[what]
    with pytest.raises(TypeError, match=r"from_torch: scheduler must be torch.optim.lr_scheduler.LRScheduler"):
        L.from_torch(arg)


def test_to_torch_wrong_types():
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    with pytest.raises(TypeError, match="to_torch: optimizer must be torch.optim.optimizer.Optimizer, got str"):
        L.to_torch(_plan(), "sgd")
    with pytest.raises(TypeError, match="to_torch: plan must be lrbridge.Plan, got dict"):
        L.to_torch({"version": 1}, opt)


def test_oneflow_wrong_types():
    python = Path(__file__).resolve().parents[2] / ".venv-oneflow" / "bin" / "python"
    if not python.exists():
        pytest.skip("the OneFlow environment (.venv-oneflow) is not built")
    code = (
        "import lrbridge as L, oneflow as flow\n"
        "from lrbridge_oneflow import from_oneflow, to_oneflow\n"
        "p = L.Plan(optimizer=L.OptimizerSpec(name='sgd', lr=0.1))\n"
        "opt = flow.optim.SGD(flow.nn.Linear(2, 1).parameters(), lr=0.1)\n"
        "for f in (lambda: from_oneflow(object()), lambda: to_oneflow(p, None), lambda: to_oneflow('p', opt)):\n"
        "    try:\n        f()\n    except TypeError as e:\n        print('TypeError', e)\n"
    )
    from lrbridge.interp import worker_environment  # without what MindSpore set in this process

    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=120, env=worker_environment())
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("TypeError")]
    assert len(lines) == 3, out.stdout + out.stderr
    assert "from_oneflow: obj must be" in lines[0] and "got object" in lines[0]
    assert "to_oneflow: optimizer must be oneflow" in lines[1] and "got NoneType" in lines[1]
    assert "to_oneflow: plan must be lrbridge.Plan, got str" in lines[2]


# ---------------------------------------------------------------- valid extremes


def test_ten_million_steps_evaluate(tmp_path):
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1), scheduler=L.CosineAnnealing(T_max=10**7))
    lr = L.evaluate(plan, 10**7)
    assert lr.shape == (1, 10**7) and lr[0, 0] == 0.1 and lr[0, -1] == pytest.approx(0.0, abs=1e-14)
    path = write(tmp_path, HEAD + "scheduler: {kind: cosine, T_max: 10000000}\nhorizon: {steps: 10000000}\n")
    result = runner.invoke(app, ["curve", str(path)])
    assert result.exit_code == 0 and "9999999" in result.stdout


def test_two_to_the_31_step_horizon_at_a_few_points():
    n = 2**31
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=1.0),
        scheduler=L.MultiStep(milestones=(n - 5,), gamma=0.5),
        horizon=L.Horizon(steps=n, past="error"),
    )
    assert L.evaluate(plan, [0, n - 6, n - 5, n - 1]).tolist() == [[1.0, 1.0, 0.5, 0.5]]
    with pytest.raises(EvaluationError, match=f"step {n} is past the plan's horizon"):
        L.evaluate(plan, [n])


def test_steps_near_two_to_the_53_are_exact():
    m = MAX_STEP - 1
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=1.0), scheduler=L.MultiStep(milestones=(m,), gamma=0.5))
    assert L.evaluate(plan, [m - 1, m, MAX_STEP]).tolist() == [[1.0, 0.5, 0.5]]
    with pytest.raises(LimitError, match="beyond 2\\*\\*53"):
        L.evaluate(plan, [MAX_STEP + 1])


def test_conform_that_measured_nothing_fails(tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is present: torch/eager/cuda would be measured")
    path = write(tmp_path, HEAD + "horizon: {steps: 5}\n")
    result = runner.invoke(app, ["conform", str(path), "-t", "torch/eager/cuda", "--json"])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1].startswith("error: nothing was measured")
    assert json.loads(result.stdout)["cells"][0]["status"] == "absent"
