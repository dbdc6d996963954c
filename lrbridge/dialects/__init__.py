"""Config dialects: the configuration systems users write, read into plans without running them.

Each dialect is a module of this package exposing

    NAME: str                       # what ``--from`` accepts (ALIASES too)
    ALIASES: tuple[str, ...]
    def detect(data) -> bool        # does this parsed document look like this dialect?
    def to_plan(data, *, steps=None, steps_per_epoch=None, source="") -> ImportResult

``data`` is the parsed document (dict) — or, for dialects whose configs are Python
files (mmengine, detectron2 LazyConfig), the dict produced by the restricted AST
reader in ``pyconfig`` (parsed, never executed). Dialects name no framework
library at run time: each maps the documented semantics of its library straight
to the IR, and tests check them against the real library where it installs.
"""

from __future__ import annotations

import importlib

#: dialect module names, in detection order (most specific first)
DIALECTS: tuple[str, ...] = (
    "mmengine",
    "detectron2",
    "deepspeed",
    "transformers",
    "timm",
    "fairseq",
    "lightning",
    "hydra",
    "libai",
    "mindcv",
)


def _modules():
    """The core's dialects, then those the registered backends contribute (e.g. a framework's own config)."""
    from ..backends import backend_names, get_backend

    for name in DIALECTS:
        try:
            yield importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a dialect not written yet
            if exc.name != f"{__name__}.{name}":
                raise
    for backend in backend_names():
        for module in get_backend(backend).dialects:
            yield importlib.import_module(module)


def names() -> list[str]:
    """Every accepted ``--from`` value (names and aliases)."""
    out = []
    for m in _modules():
        out += [m.NAME, *getattr(m, "ALIASES", ())]
    return out


def get(name: str):
    """The dialect module called ``name`` (or one of its aliases)."""
    from ..errors import PlanError

    for m in _modules():
        if name == m.NAME or name in getattr(m, "ALIASES", ()):
            return m
    raise PlanError("from", f"unknown dialect {name!r}; accepted: {', '.join(names())}")


def detect(data):
    """The first dialect that recognises ``data``, or None."""
    for m in _modules():
        if m.detect(data):
            return m
    return None
