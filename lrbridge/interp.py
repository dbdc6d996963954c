"""Run lrbridge work in another Python interpreter, JSON in and out.

OneFlow 0.9.0 only runs under Python 3.10, so the main environment drives it
through a worker process (``python -m adapters.oneflow.worker``) started with
the OneFlow interpreter. The protocol is one JSON request on stdin and one JSON
reply on stdout: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .errors import BackendUnavailableError, LrBridgeError

REPO_ROOT = Path(__file__).resolve().parents[1]


class WorkerError(LrBridgeError, RuntimeError):
    """The worker ran but reported an error (its message, and stderr where useful, attached)."""


def oneflow_python() -> str:
    """The OneFlow interpreter: ``$LRBRIDGE_ONEFLOW_PYTHON``, else ``.venv-oneflow/bin/python``."""
    env = os.environ.get("LRBRIDGE_ONEFLOW_PYTHON")
    if env:
        return env
    for root in (Path.cwd(), REPO_ROOT):
        cand = root / ".venv-oneflow" / "bin" / "python"
        if cand.exists():
            return str(cand)
    return str(REPO_ROOT / ".venv-oneflow" / "bin" / "python")


def worker_environment() -> dict[str, str]:
    """This process's environment minus what frameworks imported here changed.

    MindSpore sets PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python and prepends its
    own plugin directory to LD_LIBRARY_PATH when imported; OneFlow's protobuf
    fails to import under either, so the worker gets neither.
    """
    import sys

    env = dict(os.environ)
    env.pop("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", None)
    prefix = os.path.realpath(sys.prefix)
    paths = [p for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p and not os.path.realpath(p).startswith(prefix)]
    if paths:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(paths)
    else:
        env.pop("LD_LIBRARY_PATH", None)
    return env


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def call_worker(python: str, module: str, request: dict, *, timeout: float = 600.0) -> object:
    """Send ``request`` to ``python -m module`` and return its result; failures raise with stderr attached."""
    if not Path(python).exists() and os.sep in python:
        raise BackendUnavailableError(
            f"interpreter '{python}' does not exist; run './dev env' to create .venv-oneflow, "
            "or point LRBRIDGE_ONEFLOW_PYTHON at a Python 3.10 with oneflow==0.9.0"
        )
    env = worker_environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    try:
        proc = subprocess.run(
            [python, "-m", module],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=REPO_ROOT,
        )
    except FileNotFoundError:
        raise BackendUnavailableError(f"cannot start interpreter '{python}'") from None
    except subprocess.TimeoutExpired as exc:
        raise BackendUnavailableError(f"worker '{module}' timed out after {timeout:.0f}s\n{_tail(exc.stderr or '')}") from None
    reply = None
    for line in reversed(proc.stdout.strip().splitlines()):
        try:  # the reply is the last JSON line; frameworks may print banners before it
            reply = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    if not isinstance(reply, dict) or "ok" not in reply:
        raise BackendUnavailableError(
            f"worker '{module}' under {python} exited with status {proc.returncode} without a reply; "
            f"its stderr:\n{_tail(proc.stderr)}"
        )
    if not reply["ok"]:
        raise WorkerError(f"{reply.get('error')}\nworker stderr (last lines):\n{_tail(proc.stderr)}")
    return reply["result"]


def call_oneflow(request: dict, *, timeout: float = 600.0) -> object:
    """Run one request in the OneFlow worker."""
    return call_worker(oneflow_python(), "adapters.oneflow.worker", request, timeout=timeout)
