"""docs/support-matrix.md is generated from the adapters' checks: it must match the code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_support_matrix_is_up_to_date():
    out = subprocess.run([sys.executable, "tools/support_matrix.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr + out.stdout


def test_support_matrix_imports_no_framework():
    code = (
        "import sys, importlib.util as u\n"
        "spec = u.spec_from_file_location('sm', 'tools/support_matrix.py'); m = u.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "m.render()\n"
        "bad = [f for f in ('torch', 'mindspore', 'oneflow') if f in sys.modules]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
