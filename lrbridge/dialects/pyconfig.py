"""A restricted reader for Python config files (mmengine, detectron2 LazyConfig, LiBai): parsed, never run.

``load_pyconfig(path)`` parses the file with :mod:`ast` and evaluates only a small,
side-effect-free subset of Python, returning the file's top-level names as plain
data (dicts, lists, tuples, numbers, strings, booleans, None):

* literals, containers, names bound earlier in the file, arithmetic and comparisons,
  ``x if c else y``, f-strings, ``dict() list() tuple() int() float() str() bool() len()
  min() max() sum() abs() round() range()``, ``d.get/copy/update/pop/keys/values/items``,
  a few str methods (``format`` with plain fields only, ``join``, ``replace``, ...),
  attribute and subscript reads and writes on dicts (``train.max_iter = 100``), one-``for``
  comprehensions and ``for`` loops over known lists (bounded);
* imports are *recorded*, never performed: ``from detectron2.config import LazyCall
  as L`` binds ``Ref("detectron2.config.LazyCall")``; calling a Ref records the call
  as ``{"_target_": "dotted.name", "_args_": [...], **kwargs}`` and ``L(Cls)(**kw)``
  (``LazyCall``) as ``{"_target_": "dotted.Cls", **kw}``; ``DictConfig(x)``,
  ``copy.deepcopy(x)`` give ``x``;
* config inheritance is followed: relative imports of config files
  (``from ..common.optim import SGD``, mmengine ``with read_base():`` blocks),
  mmengine ``_base_ = [...]`` (merged with ``_delete_=True`` semantics, see
  :func:`merge_into`; ``_base_.x`` and ``{{_base_.x}}`` read the merged bases), and
  detectron2 ``model_zoo.get_config("common/x.py")`` when the file is found above the config.

What has no value here — a base file not found, a value computed from an imported
object, a lambda (code, never evaluated) — becomes ``Unresolved`` and only raises where
a dialect needs it. Anything else (function or class definitions, ``while``, ``try``,
attribute access on anything but a dict or an import reference, ``__dunder__`` names
anywhere in the file, names not bound earlier such as ``exec``/``open``, ...) is one
``PlanError`` naming ``file:line`` and the construct. Size, nesting depth, loop
statements, number of files and the size of computed values are bounded.

Layout: this module holds the entry points; ``pyconfig_eval`` the restricted evaluator of one
file, ``pyconfig_base`` inheritance (loading and merging bases), ``pyconfig_values`` the value
types and limits they share.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import PlanError
from .pyconfig_base import _Loader, merge_into
from .pyconfig_values import (  # limits and value types, importable from here as before
    MAX_DEPTH, MAX_FILE_BYTES, MAX_FILES, MAX_INT_BITS, MAX_LOOP_STATEMENTS, MAX_NODES, MAX_SEQ_LEN, Ref,
    Unresolved, _copy, _LazyCallable, target_name,
)


def load_pyconfig(path) -> dict:
    """The top-level names of the Python config at ``path`` as plain data (see the module docstring)."""
    names = _Loader().load(Path(path))
    return {k: _copy(v) for k, v in names.items() if not isinstance(v, (Ref, _LazyCallable))}


#: the name ``lrbridge.convert`` reads Python configs with
read_pyconfig = load_pyconfig


def loads_pyconfig(text: str, name: str = "<config>") -> dict:
    """Like :func:`load_pyconfig` for a config given as text (no inheritance beyond what it names)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / (Path(name).name if name.endswith(".py") else "config.py")
        p.write_text(text, encoding="utf-8")
        try:
            return load_pyconfig(p)
        except PlanError as exc:
            raise PlanError(exc.path.replace(str(p), name), exc.message) from None


__all__ = [
    "MAX_DEPTH", "MAX_FILE_BYTES", "MAX_FILES", "MAX_INT_BITS", "MAX_LOOP_STATEMENTS", "MAX_NODES", "MAX_SEQ_LEN",
    "Ref", "Unresolved", "load_pyconfig", "loads_pyconfig", "merge_into", "read_pyconfig", "target_name",
]
