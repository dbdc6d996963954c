"""The OneFlow interpreter (Python 3.10, ``.venv-oneflow``) and the call into its worker."""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path

from lrbridge.interp import start_worker, worker_env, worker_reply

#: the checkout this package lives in (where ./dev creates .venv-oneflow)
_CHECKOUT = Path(__file__).resolve().parents[2]


def oneflow_python() -> str:
    """``$LRBRIDGE_ONEFLOW_PYTHON``, else ``.venv-oneflow/bin/python`` of the working directory or this checkout."""
    env = os.environ.get("LRBRIDGE_ONEFLOW_PYTHON")
    if env:
        return env
    for root in (Path.cwd(), _CHECKOUT):
        cand = root / ".venv-oneflow" / "bin" / "python"
        if cand.exists():
            return str(cand)
    return str(_CHECKOUT / ".venv-oneflow" / "bin" / "python")


_MODULE = "lrbridge_oneflow.worker"
_HINT = "run './dev env' to create .venv-oneflow, or point LRBRIDGE_ONEFLOW_PYTHON at a Python 3.10 with oneflow==0.9.0"


class _Ahead:
    """At most one worker started before its request, OneFlow already imported (``worker --preload``).

    A worker answers one request and exits (a crash costs only that request); importing OneFlow
    takes it seconds, which a worker started ahead spends while this process does other work.
    It is used only by a call with the same interpreter and environment it was started with (variables
    set since, e.g. by a framework imported here, do not count: ``worker_environment`` removes those).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._proc = None
        self._key = None

    def start(self) -> None:
        """Start one (if none is waiting already)."""
        python, env = oneflow_python(), worker_env(_MODULE)
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and _fits(self._key, python, env):
                return
            self._discard()
            self._proc = start_worker(python, _MODULE, args=("--preload",), missing_hint=_HINT, env=env)
            self._key = (python, env)

    def take(self):
        """The waiting worker for this interpreter and environment, else a new one."""
        python, env = oneflow_python(), worker_env(_MODULE)
        with self._lock:
            proc, key = self._proc, self._key
            self._proc = self._key = None
            if proc is not None and (not _fits(key, python, env) or proc.poll() is not None):
                _stop(proc)
                proc = None
        return proc if proc is not None else start_worker(python, _MODULE, missing_hint=_HINT, env=env)

    def _discard(self) -> None:
        if self._proc is not None:
            _stop(self._proc)
        self._proc = self._key = None

    def close(self) -> None:
        with self._lock:
            self._discard()


def _fits(key, python: str, env: dict) -> bool:
    """A worker started with ``key`` (interpreter, environment) serves a call made now with ``python``, ``env``."""
    return key[0] == python and all(env.get(k) == v for k, v in key[1].items())


def _stop(proc) -> None:
    proc.kill()
    proc.communicate()


_AHEAD = _Ahead()
atexit.register(_AHEAD.close)


def start_ahead() -> None:
    """Start the worker of the next ``call_oneflow`` now: it imports OneFlow meanwhile."""
    _AHEAD.start()


def stop_ahead() -> None:
    """Stop a worker started ahead and not used."""
    _AHEAD.close()


def call_oneflow(request: dict, *, timeout: float = 600.0) -> object:
    """Run one request in the OneFlow worker (``python -m lrbridge_oneflow.worker``), one started ahead if any."""
    return worker_reply(_AHEAD.take(), request, timeout=timeout)


def import_entry(source: str, *, steps=None, steps_per_epoch=None):
    """A ``file.py:function`` building OneFlow objects, run and imported inside the OneFlow interpreter."""
    from lrbridge.io import plan_from_dict
    from lrbridge.plan import ImportResult

    reply = call_oneflow({"op": "import_entry", "source": str(source), "steps": steps, "steps_per_epoch": steps_per_epoch})
    return ImportResult(plan_from_dict(reply["plan"]), reply["exact"], reply["notes"])
