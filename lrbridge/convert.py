"""``lrbridge convert``: a plan or a PyTorch scheduler config -> lrs/code for a target framework.

SOURCE is a plan (YAML/JSON: ``version``, ``optimizer.name``, ``scheduler.kind``)
or a PyTorch config in the dialect of ``adapters/torch/config.py``
(``optimizer.type``, ``scheduler.type``); the dialect is detected from those keys.
Targets are a table (``TARGETS``): each maps (plan, steps, format) to the output.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import PlanError
from .plan import resolve_steps

FORMATS = ("json", "npy", "python")


def _read(path: Path):
    import yaml

    try:
        text = path.read_text()
    except OSError as exc:
        raise PlanError("", f"cannot read '{path}': {exc.strerror}") from None
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise PlanError("", f"'{path}' is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None


def is_torch_config(data) -> bool:
    """The PyTorch dialect names classes with ``type``; a plan has ``version``/``name``/``kind``."""
    if not isinstance(data, dict):
        return False
    opt, sched = data.get("optimizer"), data.get("scheduler")
    return (isinstance(opt, dict) and "type" in opt) or (isinstance(sched, dict) and "type" in sched)


def load_source(path) -> tuple[object, list[str]]:
    """The plan in SOURCE and notes from importing it."""
    path = Path(path)
    data = _read(path)
    if is_torch_config(data):
        from adapters.torch.config import plan_from_torch_config

        result = plan_from_torch_config(data)
        return result.plan, list(getattr(result, "notes", []))
    from .io import plan_from_dict

    try:
        return plan_from_dict(data), []
    except PlanError as exc:
        raise PlanError(exc.path, f"{exc.message} (in {path})") from None


def _to_mindspore(plan, steps: int, fmt: str):
    from adapters.mindspore import codegen

    return codegen.render(plan, steps, fmt)


def _to_oneflow(plan, steps: int, fmt: str):
    from adapters.oneflow.codegen import render

    return render(plan, steps, fmt)


#: target framework -> function(plan, steps, fmt) -> str | bytes
TARGETS = {"mindspore": _to_mindspore, "oneflow": _to_oneflow}


def convert(source, *, to: str, steps: int | None = None, fmt: str = "json") -> str | bytes:
    """Convert SOURCE for framework ``to`` in format ``fmt``: text (json, python) or bytes (npy)."""
    if to not in TARGETS:
        raise PlanError("--to", f"unknown target '{to}'; accepted: {', '.join(TARGETS)}")
    if fmt not in FORMATS:
        raise PlanError("--format", f"unknown format '{fmt}'; accepted: {', '.join(FORMATS)}")
    plan, _notes = load_source(source)
    return TARGETS[to](plan, resolve_steps(plan, steps), fmt)
