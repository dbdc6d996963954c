"""``import lrbridge`` stays light: no framework ever, no numpy/pydantic until a name is used.

Each check runs in a fresh interpreter so that nothing imported by the test session leaks in.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FRAMEWORKS = ("torch", "mindspore", "oneflow")
HEAVY = ("numpy", "pydantic", "yaml", "typer", "rich", "matplotlib")


def loaded_after(code: str) -> set[str]:
    """Top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    script = code + "\nimport sys, json\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_import_lrbridge_imports_nothing_heavy():
    mods = loaded_after("import lrbridge")
    assert "lrbridge" in mods
    assert not mods & set(FRAMEWORKS), mods & set(FRAMEWORKS)
    assert not mods & set(HEAVY), mods & set(HEAVY)


def test_names_resolve_lazily_and_still_no_framework():
    code = (
        "import lrbridge\n"
        "assert 'numpy' not in __import__('sys').modules\n"
        "plan = lrbridge.parse_plan('optimizer: {name: sgd, lr: 0.1}\\nscheduler: {kind: cosine, T_max: 4}\\n')\n"
        "lrbridge.evaluate(plan, 10)\n"
        "lrbridge.dumps_plan(plan, 'json')\n"
        "from lrbridge.conformance import compare\n"
    )
    mods = loaded_after(code)
    assert {"numpy", "pydantic", "yaml"} <= mods  # used, hence imported
    assert not mods & set(FRAMEWORKS), mods & set(FRAMEWORKS)


@pytest.mark.parametrize("module", ["lrbridge.cli", "lrbridge.io", "lrbridge.schedules", "lrbridge.conformance", "lrbridge.interp"])
def test_core_modules_import_no_framework(module):
    mods = loaded_after(f"import {module}")
    assert not mods & set(FRAMEWORKS), (module, mods & set(FRAMEWORKS))


def test_no_export_is_shadowed_by_a_submodule():
    # Importing a submodule sets it as a package attribute; an exported function of the
    # same name (e.g. a module lrbridge/evaluate.py next to lrbridge.evaluate) would then
    # turn into a module for everyone after the first import.
    import pkgutil

    import lrbridge

    submodules = {m.name for m in pkgutil.iter_modules(lrbridge.__path__)}
    assert not submodules & set(lrbridge.__all__)
    code = (
        "import lrbridge.reference, lrbridge.capability, lrbridge.cli\n"
        "import lrbridge\n"
        "assert callable(lrbridge.evaluate) and callable(lrbridge.check)\n"
    )
    loaded_after(code)


def test_every_export_resolves():
    code = (
        "import lrbridge\n"
        "core = [n for n, m in lrbridge._EXPORTS.items() if not m.startswith('adapters')]\n"
        "missing = [n for n in core if getattr(lrbridge, n, None) is None]\n"
        "assert not missing, missing\n"
    )
    mods = loaded_after(code)
    assert not mods & set(FRAMEWORKS), mods & set(FRAMEWORKS)


def test_adapter_entry_points_import_their_framework_lazily():
    # Resolving the torch/MindSpore entry points (and check) must not import the framework;
    # only calling them may.
    names = [
        "to_torch", "from_torch", "torch_param_groups", "to_mindspore_lr_list",
        "to_mindspore_schedule", "mindspore_param_groups", "from_mindspore", "check",
    ]
    mods = loaded_after(f"import lrbridge\nfor n in {names!r}:\n    getattr(lrbridge, n)\n")
    assert not mods & set(FRAMEWORKS), mods & set(FRAMEWORKS)
