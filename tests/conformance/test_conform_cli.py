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
    assert out.returncode == 1
    assert out.stderr.startswith("error: --target: expected backend/mode") and "Traceback" not in out.stderr
