"""Live objects from a Python entry point the user names: ``path/to/file.py:function`` or ``pkg.module:function``.

The one place lrbridge runs user code, because the user named it (config files are parsed,
never run). The function returns what a training script builds:

- ``(optimizer, scheduler)``, or a scheduler alone (its ``optimizer`` attribute is used);
- ``{"optimizer": ..., "scheduler": ... | "schedulers": [...], "interval": "step" | "epoch"
  (or one per scheduler), "steps_per_epoch": S}``;
- a framework lr source (a MindSpore optimizer, cell, group_params, ...);
- logged lrs: a list of numbers (or one per group, or ``{group: [...]}``), recognised into
  closed forms by ``lrbridge.recognize.from_trace``.

The objects go to the backend whose framework they belong to (``Backend.importer``).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

from .errors import PlanError
from .plan import ImportResult

_ENTRY = re.compile(r"^(?P<where>.+?):(?P<func>[A-Za-z_][A-Za-z0-9_]*)$")


def is_entry_point(source) -> bool:
    """``file.py:function`` or ``dotted.module:function`` (a plain file path is not one)."""
    m = _ENTRY.match(str(source))
    if not m:
        return False
    where = m["where"]
    return where.endswith(".py") or re.fullmatch(r"[A-Za-z_][\w.]*", where) is not None and not Path(str(source)).exists()


def _module(where: str):
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise PlanError("source", f"no such Python file '{where}'")
        spec = importlib.util.spec_from_file_location(f"_lrbridge_entry_{abs(hash(path.resolve()))}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # the user named this file: running it is what was asked
        return module
    try:
        return importlib.import_module(where)
    except ImportError as exc:
        raise PlanError("source", f"cannot import module '{where}': {exc}") from None


def call_entry(source: str):
    """Import the named module and call the named function (no arguments); its return value."""
    m = _ENTRY.match(str(source))
    if not m:
        raise PlanError("source", f"expected path/to/file.py:function or package.module:function, got {source!r}")
    fn = getattr(_module(m["where"]), m["func"], None)
    if not callable(fn):
        raise PlanError("source", f"'{m['where']}' has no function '{m['func']}'")
    return fn()


def unpack(value) -> dict:
    """The returned objects as {"target", "interval", "steps_per_epoch"}."""
    if isinstance(value, dict):
        unknown = set(value) - {"optimizer", "scheduler", "schedulers", "interval", "steps_per_epoch"}
        if unknown:
            raise PlanError("source", f"unknown keys {sorted(unknown)} in the returned dict; accepted: optimizer, "
                            "scheduler or schedulers, interval, steps_per_epoch")
        target = value.get("schedulers", value.get("scheduler", value.get("optimizer")))
        if target is None:
            raise PlanError("source", "the returned dict names no scheduler, schedulers or optimizer")
        return {"target": target, "interval": value.get("interval", "step"), "steps_per_epoch": value.get("steps_per_epoch")}
    if isinstance(value, tuple) and len(value) == 2 and hasattr(value[0], "param_groups"):
        return {"target": value[1] if value[1] is not None else value[0], "interval": "step", "steps_per_epoch": None}
    return {"target": value, "interval": "step", "steps_per_epoch": None}


def _is_numbers(value) -> bool:
    """A list of numbers, or of such lists, or a name -> list dict: lrs, not framework objects."""
    import numbers

    if isinstance(value, dict):
        return bool(value) and all(_is_numbers(v) for v in value.values())
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) or _is_numbers(v) for v in value)


def _source_file(where: str) -> Path | None:
    if where.endswith(".py"):
        return Path(where)
    spec = importlib.util.find_spec(where.split(".")[0]) and importlib.util.find_spec(where)
    return Path(spec.origin) if spec is not None and spec.origin and spec.origin.endswith(".py") else None


def _remote_runner(source: str):
    """The backend that must run this entry point in its own interpreter: one whose framework the
    entry's file imports (read with ``ast``, before anything runs) and which declares an entry_runner."""
    import ast

    from .backends import backend_names, get_backend

    remote = {m: get_backend(b) for b in backend_names() for m in get_backend(b).object_modules if get_backend(b).entry_runner}
    if not remote:
        return None
    path = _source_file(_ENTRY.match(str(source))["where"])
    if path is None or not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return None  # running it will report the problem
    for node in ast.walk(tree):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else []
        for name in names:
            if name.split(".")[0] in remote:
                return remote[name.split(".")[0]]
    return None


def import_entry(source: str, *, steps: int | None = None, steps_per_epoch: int | None = None) -> ImportResult:
    """Run the named entry point and import what it returns through its framework's backend.

    A file importing a framework that lives in another interpreter (OneFlow) runs there.
    """
    from .backends import backend_for_object, backend_names, resolve

    remote = _remote_runner(source)
    if remote is not None:
        return resolve(remote.entry_runner)(str(source), steps=steps, steps_per_epoch=steps_per_epoch)

    got = unpack(call_entry(source))
    if _is_numbers(got["target"]):  # logged lrs (one list, or one per group): recognise them
        from .recognize import from_trace

        result = from_trace(got["target"], steps_per_epoch=steps_per_epoch)
        return ImportResult(result.plan, result.exact, [f"read the lrs {source} returned", *result.notes])
    backend = backend_for_object(got["target"])
    if backend is None:
        raise PlanError("source", f"{source} returned {type(got['target']).__name__}, which no backend imports "
                        f"(backends: {', '.join(backend_names())})")
    spe = steps_per_epoch if steps_per_epoch is not None else got["steps_per_epoch"]
    result = resolve(backend.importer)(got["target"], steps=steps, interval=got["interval"], steps_per_epoch=spe)
    return ImportResult(result.plan, result.exact, [f"imported live {backend.name} objects from {source}", *result.notes])
