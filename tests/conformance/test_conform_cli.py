"""`lrbridge conform`: the matrix from the command line, JSON and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LRBRIDGE = str(Path(sys.executable).with_name("lrbridge"))


def run(*args):
    return subprocess.run([LRBRIDGE, "conform", *args], capture_output=True, text=True, timeout=300)


def test_conform_json_reports_each_target(torch, ms, tmp_path):
    out = run("examples/warmup_cosine.yaml", "-n", "300", "--json", "-t", "torch/eager/cpu", "-t", "mindspore/graph/cpu/cell",
              "-t", "torch/eager/cuda", "--plot", str(tmp_path / "ulps.png"))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["steps"] == 300 and "ulps" in doc["metric"]
    cells = {c["target"]: c for c in doc["cells"]}
    assert cells["torch/eager/cpu"]["status"] == "ok" and cells["torch/eager/cpu"]["worst"] == 0
    assert cells["mindspore/graph/cpu/cell"]["status"] == "ok" and cells["mindspore/graph/cpu/cell"]["worst"] <= 1
    assert cells["torch/eager/cuda"]["status"] in ("ok", "absent")  # absent only where there is no CUDA, with a reason
    assert cells["torch/eager/cuda"]["detail"]
    assert (tmp_path / "ulps.png").stat().st_size > 0


def test_conform_bad_target_is_one_line_error():
    out = run("examples/warmup_cosine.yaml", "-n", "10", "-t", "torch")
    assert out.returncode == 2  # a usage error
    assert out.stderr.startswith("error: --target: expected backend/mode") and "Traceback" not in out.stderr


def _docs_plan(tmp_path) -> Path:
    """The example plan of docs/plan-format.md, as a file."""
    text = Path("docs/plan-format.md").read_text()
    block = text.split("## Example", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    path = tmp_path / "docs_example.yaml"
    path.write_text(block)
    return path


def test_conform_every_example_and_the_docs_plan_in_one_run(torch, ms, oneflow, tmp_path):
    out = run("examples", str(_docs_plan(tmp_path)), "-n", "120", "--json")
    docs = [json.loads(line) for line in out.stdout.splitlines()]  # one JSON object per plan and line
    expected = {p.name for p in Path("examples").iterdir() if p.suffix in (".yaml", ".yml", ".json")} | {"docs_example.yaml"}
    assert {Path(d["plan"]).name for d in docs} == expected
    for d in docs:
        assert d["steps"] == 120
        for c in d["cells"]:
            assert c["status"] in ("ok", "unrepresentable", "absent"), (d["plan"], c)
        assert any(c["status"] == "ok" and c["target"].startswith(b) for c in d["cells"] for b in ("torch", "mindspore", "oneflow"))
    assert out.returncode == 0, out.stderr[-3000:]
    assert "plans/s" in out.stderr and "ETA" in out.stderr  # progress with rate and ETA, also with --json


def test_an_unreadable_source_among_many_fails_only_itself(torch, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\noptimizer: {name: sgd, lr: 0.1}\nscheduler: {kind: stepp}\n")
    out = run("examples/warmup_cosine.yaml", str(bad), "-n", "10", "-t", "torch/eager/cpu", "--json")
    assert out.returncode == 1
    docs = {Path(d["plan"]).name: d for d in map(json.loads, out.stdout.splitlines())}
    assert docs["warmup_cosine.yaml"]["cells"][0]["status"] == "ok"
    assert "unknown schedule kind 'stepp'" in docs["bad.yaml"]["error"]
