"""Config inheritance for the Python-config reader: finding, loading and merging base files.

``_Loader`` reads each file at most once (bounded in number and size), follows relative imports,
mmengine ``_base_ = [...]`` (merged by :func:`merge_into`, ``{{_base_.x}}`` placeholders) and
detectron2 ``model_zoo.get_config``; each file's statements are evaluated by ``_Reader``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from ..errors import PlanError
from .pyconfig_eval import _Reader
from .pyconfig_values import MAX_FILE_BYTES, MAX_FILES, MAX_NODES, _copy, _fail

_BASE_PLACEHOLDER = re.compile(r"\{\{\s*_base_\.([A-Za-z_][\w.]*)\s*\}\}")
_PLACEHOLDER_NAME = "_lrbridge_base_ref_{}"


def merge_into(src: dict, dst: dict, where: str = "") -> dict:
    """mmengine's merge of a child config ``src`` into its base ``dst`` (returns a new dict).

    A dict merges key by key into the base's dict, unless it says ``_delete_=True``:
    then it replaces it. Any other value replaces the base's value.
    """
    out = dict(dst)
    for key, value in src.items():
        if isinstance(value, dict):
            value = dict(value)
            delete = value.pop("_delete_", False)
            if not delete and isinstance(out.get(key), dict):
                out[key] = merge_into(value, out[key], where)
                continue
            out[key] = _strip_delete(value)
        else:
            out[key] = value
    return out


def _strip_delete(value):
    if isinstance(value, dict):
        return {k: _strip_delete(v) for k, v in value.items() if k != "_delete_"}
    if isinstance(value, list):
        return [_strip_delete(v) for v in value]
    return value


class _Loader:
    """Loads config files (following inheritance), each at most once, bounded in number and size."""

    def __init__(self):
        self.cache: dict[Path, dict] = {}
        self.loading: list[Path] = []

    def resolve_module(self, current: Path, level: int, module: str) -> Path | None:
        """The config file a relative (or read_base) import names, or None."""
        if level == 0:
            return None
        base = current.parent
        for _ in range(level - 1):
            base = base.parent
        parts = module.split(".") if module else []
        candidate = base.joinpath(*parts).with_suffix(".py") if parts else None
        if candidate is not None and candidate.is_file():
            return candidate
        return None

    def find_model_zoo(self, current: Path, rel: str) -> Path | None:
        """detectron2 ``model_zoo.get_config(rel)``: ``configs/rel`` in the nearest checkout above ``current``."""
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            return None
        for d in current.resolve().parents:
            for candidate in (d / "configs" / rel, d / "detectron2" / "model_zoo" / "configs" / rel):
                if candidate.is_file():
                    return candidate
        return None

    def load(self, path: Path, node=None) -> dict:
        path = path.resolve()
        if path in self.cache:
            return self.cache[path]
        if path in self.loading:
            chain = " -> ".join(str(p) for p in [*self.loading, path])
            raise PlanError(str(path), f"config inheritance cycle: {chain}")
        if len(self.cache) + len(self.loading) >= MAX_FILES:
            raise PlanError(str(path), f"more than {MAX_FILES} config files in one inheritance tree")
        self.loading.append(path)
        try:
            names = self._load(path)
        finally:
            self.loading.pop()
        self.cache[path] = names
        return names

    def _load(self, path: Path) -> dict:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise PlanError(str(path), f"cannot read the config: {exc.strerror}") from None
        if size > MAX_FILE_BYTES:
            raise PlanError(str(path), f"config file of {size} bytes is over the {MAX_FILE_BYTES}-byte limit")
        text = path.read_text(encoding="utf-8", errors="replace")
        text, placeholders = _substitute_base_refs(text)
        try:
            tree = ast.parse(text, filename=str(path))
        except SyntaxError as exc:
            raise PlanError(f"{path}:{exc.lineno}", f"not valid Python: {exc.msg}") from None
        except (RecursionError, MemoryError, ValueError):
            raise PlanError(str(path), "config too deeply nested to parse") from None
        count = sum(1 for _ in ast.walk(tree))
        if count > MAX_NODES:
            raise PlanError(str(path), f"config of {count} syntax nodes is over the {MAX_NODES} limit")
        for node in ast.walk(tree):  # dunders nowhere, not even in code that is never evaluated
            ident = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            if ident and ident.startswith("__") and ident.endswith("__"):
                raise _fail(f"{path}:{node.lineno}", f"the dunder name '{ident}'")
        reader = _Reader(path, self)
        bases = self._mm_bases(tree, reader)
        merged: dict = {}
        if bases:
            merged = self._merge_bases(bases, reader)
            reader.base_data = _copy(merged)
            for i, dotted in enumerate(placeholders):
                reader.ns[_PLACEHOLDER_NAME.format(i)] = _lookup(merged, dotted, path)
        elif placeholders:
            raise PlanError(str(path), "'{{_base_.x}}' placeholders need a '_base_' list in the same file")
        try:
            own = reader.run(tree)
        except RecursionError:
            raise PlanError(str(path), "config too deeply nested to evaluate") from None
        own = {k: v for k, v in own.items() if not k.startswith(("_lrbridge", "__")) and k != "_base_"}
        return merge_into(own, merged) if bases else own

    def _mm_bases(self, tree: ast.Module, reader: _Reader) -> list[Path]:
        """The files an mmengine ``_base_ = ...`` assignment names (relative to the file)."""
        out = []
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_base_" for t in stmt.targets):
                value = reader.expr(stmt.value)
                files = [value] if isinstance(value, str) else value
                if not isinstance(files, (list, tuple)) or not all(isinstance(f, str) for f in files):
                    raise reader.fail(stmt, "'_base_' that is not a file name or a list of them")
                for f in files:
                    p = (reader.path.parent / f)
                    if not p.is_file():
                        raise reader.fail(stmt, f"the base config '{f}', which does not exist")
                    out.append(p)
        return out

    def _merge_bases(self, bases: list[Path], reader: _Reader) -> dict:
        merged: dict = {}
        for p in bases:
            names = self.load(p)
            dup = sorted(set(merged) & set(names))
            if dup:
                raise PlanError(str(reader.path), f"keys {dup} are defined by more than one base config")
            merged.update(names)
        return _copy(merged)

def _substitute_base_refs(text: str) -> tuple[str, list[str]]:
    found: list[str] = []

    def repl(m):
        found.append(m.group(1))
        return _PLACEHOLDER_NAME.format(len(found) - 1)

    return _BASE_PLACEHOLDER.sub(repl, text), found


def _lookup(data: dict, dotted: str, path: Path):
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise PlanError(str(path), f"'{{{{_base_.{dotted}}}}}': the base configs define no '{dotted}'")
        value = value[part]
    return _copy(value)
