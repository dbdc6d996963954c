"""The OneFlow interpreter (Python 3.10, ``.venv-oneflow``) and the call into its worker."""

from __future__ import annotations

import atexit
import os
from pathlib import Path

from lrbridge.interp import AheadWorker

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


_AHEAD = AheadWorker(oneflow_python, _MODULE, missing_hint=_HINT)
atexit.register(_AHEAD.close)


def start_ahead() -> None:
    """Start the worker of the next ``call_oneflow`` now: it imports OneFlow meanwhile."""
    _AHEAD.start()


def stop_ahead() -> None:
    """Stop a worker started ahead and not used."""
    _AHEAD.close()


def call_oneflow(request: dict, *, timeout: float = 600.0) -> object:
    """Run one request in the OneFlow worker (``python -m lrbridge_oneflow.worker``), one started ahead if any."""
    return _AHEAD.call(request, timeout=timeout)


def import_entry(source: str, *, steps=None, steps_per_epoch=None):
    """A ``file.py:function`` building OneFlow objects, run and imported inside the OneFlow interpreter."""
    from lrbridge.io import plan_from_dict
    from lrbridge.plan import ImportResult

    reply = call_oneflow({"op": "import_entry", "source": str(source), "steps": steps, "steps_per_epoch": steps_per_epoch})
    return ImportResult(plan_from_dict(reply["plan"]), reply["exact"], reply["notes"])
