"""Backends are plugins: the core names none of them, a new one plugs in without editing lrbridge/."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.backends import Backend, TargetSpec, backend_names, get_backend, register_backend, unregister_backend
from lrbridge.capability import CheckResult

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("torch", "mindspore", "oneflow")


# --- a toy backend, defined here: "check" accepts plans without a plateau, the "framework"
# applies lr in float32 computed by numpy from the reference, "render" writes a CSV.

def toy_check(plan, mode=None, **_):
    bad = [f"schedule kind '{n.kind}' is metric-driven" for s in plan.schedules() for n in s.walk() if n.kind == "reduce_on_plateau"]
    return CheckResult("toy", mode or "eager", not bad, bad)


class ToyRunner:
    modes = ("eager",)

    def unavailable(self, target):
        return None if target.device == "cpu" else f"the toy backend has no {target.device}"

    def measure(self, plan, steps, target):
        return lb.evaluate(plan, steps).astype(np.float32).astype(np.float64)


def toy_render(plan, steps, fmt):
    lr = lb.evaluate(plan, steps)
    return "\n".join(",".join(f"{v!r}" for v in row) for row in lr) + "\n"


TOY = Backend(
    name="toy",
    check=f"{__name__}:toy_check",
    modes=("eager",),
    runner=f"{__name__}:ToyRunner",
    targets=(TargetSpec("eager", "cpu"), TargetSpec("eager", "tpu")),
    render=f"{__name__}:toy_render",
    formats=("csv",),
    exports={"to_toy": f"{__name__}:toy_render"},
)


@pytest.fixture
def toy():
    from lrbridge.conformance import engine

    register_backend(TOY)
    engine.register_runner("toy", ToyRunner())
    yield TOY
    unregister_backend("toy")
    engine._RUNNERS.pop("toy", None)


PLAN = lb.Plan(
    optimizer=lb.OptimizerSpec(name="sgd", lr=0.1),
    scheduler=lb.Sequential(stages=[lb.LinearRamp(start_factor=0.1, total_iters=5), lb.CosineAnnealing(T_max=20)], milestones=[5]),
    horizon=lb.Horizon(steps=25),
)


def test_bundled_backends_are_discovered_through_entry_points():
    from importlib.metadata import entry_points

    declared = {ep.name for ep in entry_points(group="lrbridge.backends")}
    assert set(FRAMEWORKS) <= declared
    assert set(FRAMEWORKS) <= set(backend_names())
    assert get_backend("mindspore").modes[0] == "list"


def test_toy_backend_is_seen_by_check_conform_convert_and_the_public_api(toy, tmp_path):
    assert "toy" in backend_names()
    assert lb.check(PLAN, "toy").ok
    assert not lb.check(PLAN, "toy", mode="graph").ok  # unknown mode: a result with a reason, not an exception
    assert "graph" in lb.check(PLAN, "toy", mode="graph").reasons[0]

    from lrbridge.conformance.matrix import default_targets, run_matrix

    targets = [t for t in default_targets() if t.backend == "toy"]
    assert [str(t) for t in targets] == ["toy/eager/cpu", "toy/eager/tpu"]
    cells = run_matrix(PLAN, 25, targets)
    assert [c.status for c in cells] == ["ok", "absent"]
    assert "no tpu" in cells[1].detail

    path = tmp_path / "plan.yaml"
    lb.save_plan(PLAN, path)
    from lrbridge.convert import convert

    rows = [list(map(float, line.split(","))) for line in convert(path, to="toy", fmt="csv").splitlines()]
    np.testing.assert_array_equal(rows, lb.evaluate(PLAN, 25))
    assert lb.to_toy is toy_render


def test_toy_backend_through_the_cli(toy, tmp_path):
    from typer.testing import CliRunner

    from lrbridge.cli import app

    path = tmp_path / "plan.yaml"
    lb.save_plan(PLAN, path)
    out = CliRunner().invoke(app, ["conform", str(path), "-t", "toy/eager/cpu", "--json"])
    assert out.exit_code == 0, out.output
    assert '"toy/eager/cpu"' in out.stdout


def test_unknown_backend_lists_the_known_ones():
    with pytest.raises(lb.LrBridgeError, match="unknown backend 'jax'; known: .*torch"):
        lb.check(PLAN, "jax")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.add(arg.value.split(".")[0])
    return out


def test_the_core_imports_no_backend_and_no_framework():
    """Import graph of every module under lrbridge/: no framework, no bundled backend package."""
    forbidden = set(FRAMEWORKS) | {f"lrbridge_{f}" for f in FRAMEWORKS}
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imported_modules(p) & forbidden)
        for p in (ROOT / "lrbridge").rglob("*.py")
    }
    assert {p: m for p, m in offenders.items() if m} == {}


def _code_strings(path: Path) -> list[str]:
    """String literals in code (docstrings left out: they may cite a backend as an example)."""
    tree = ast.parse(path.read_text())
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_the_core_names_no_backend_package():
    """Not even in a string: adding a backend edits no file under lrbridge/."""
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "lrbridge").rglob("*.py")
            if any(f"lrbridge_{f}" in text for text in _code_strings(p) for f in FRAMEWORKS)]
    assert hits == []


def test_wheel_installs_only_lrbridge_named_top_level_packages(tmp_path):
    """The wheel's top-level names are lrbridge's own (no generic 'adapters' package)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0 and "No module named pip" in proc.stderr:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys; from hatchling.builders.wheel import WheelBuilder; "
             "print(WheelBuilder(sys.argv[1]).build_standard(sys.argv[2]))", str(ROOT), str(tmp_path)],
            capture_output=True, text=True, timeout=300,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("lrbridge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert top == {"lrbridge", "lrbridge_torch", "lrbridge_mindspore", "lrbridge_oneflow"}
    eps = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[lrbridge.backends]" in eps and "lrbridge_oneflow.backend:BACKEND" in eps
    assert not any("/tests/" in n or n.startswith("tests/") for n in names)
