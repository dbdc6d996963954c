"""Lazy package exports (PEP 562): names resolve to their submodule on first use.

Keeps ``import lrbridge`` and ``import adapters.<framework>`` cheap and free of
framework imports until a name that needs one is used.
"""

from __future__ import annotations

import importlib


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package``, where ``exports`` maps a name to its module.

    A module path without a dot is relative to ``package``; with a dot it is absolute.
    """

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        path = module if "." in module else f"{package}.{module}"
        value = getattr(importlib.import_module(path), name)
        setattr(importlib.import_module(package), name, value)  # cache: later lookups are plain attributes
        return value

    def __dir__():
        return sorted(set(vars(importlib.import_module(package))) | set(exports))

    return __getattr__, __dir__
