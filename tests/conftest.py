"""Shared fixtures. Backends are real frameworks; none is mocked.

With LRBRIDGE_REQUIRE_BACKENDS=1 (set by './dev test', hence CI) a backend that
cannot be loaded fails the test instead of skipping it.
"""

from __future__ import annotations

import functools
import importlib
import os

import pytest

REQUIRE = os.environ.get("LRBRIDGE_REQUIRE_BACKENDS") == "1"

HOW_TO_FIX = {
    "torch": "run './dev env' (installs torch==2.13.0 into .venv)",
    "mindspore": "run './dev env' (installs mindspore==2.10.0 with numpy<2 into .venv)",
    "oneflow": "run './dev env' (creates .venv-oneflow with oneflow==0.9.0) or set LRBRIDGE_ONEFLOW_PYTHON",
}


def _unavailable(name: str, why: str):
    msg = f"backend {name} unavailable: {why}; fix: {HOW_TO_FIX[name]}"
    if REQUIRE:
        pytest.fail(msg + " (LRBRIDGE_REQUIRE_BACKENDS=1: every backend is required)", pytrace=False)
    pytest.skip(msg)


@functools.lru_cache(maxsize=None)
def _import(name: str):
    try:
        return importlib.import_module(name), None
    except Exception as exc:  # ImportError, or MindSpore's SystemError under numpy 2
        return None, f"{type(exc).__name__}: {exc}"


@pytest.fixture(scope="session")
def torch():
    mod, why = _import("torch")
    if mod is None:
        _unavailable("torch", why)
    return mod


@pytest.fixture(scope="session")
def ms():
    mod, why = _import("mindspore")
    if mod is None:
        _unavailable("mindspore", why)
    return mod


@functools.lru_cache(maxsize=None)
def _oneflow_ping():
    from lrbridge.errors import LrBridgeError
    from lrbridge_oneflow.interpreter import call_oneflow

    try:
        return call_oneflow({"op": "ping"}, timeout=300), None
    except LrBridgeError as exc:
        return None, str(exc)


@pytest.fixture(scope="session")
def oneflow():
    """The OneFlow worker is reachable: returns a function sending one request to it."""
    info, why = _oneflow_ping()
    if info is None:
        _unavailable("oneflow", why)
    from lrbridge_oneflow.interpreter import call_oneflow

    return call_oneflow
