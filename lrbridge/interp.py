"""Run lrbridge work in another Python interpreter, JSON in and out.

Some frameworks only run under another Python (OneFlow 0.9.0: 3.10 only), so
their backend drives them through a worker process (``python -m <package>.worker``)
started with that interpreter. The protocol is one JSON request on stdin and one
JSON reply on stdout: ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": ...}``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from .errors import BackendUnavailableError, LrBridgeError


class WorkerError(LrBridgeError, RuntimeError):
    """The worker ran but reported an error (its message, and stderr where useful, attached)."""


def import_roots(module: str) -> list[str]:
    """Directories that make ``lrbridge`` and ``module``'s top-level package importable in another interpreter."""
    import importlib.util

    roots = [str(Path(__file__).resolve().parents[1])]
    spec = importlib.util.find_spec(module.split(".")[0])
    if spec is not None and spec.submodule_search_locations:
        roots.append(str(Path(list(spec.submodule_search_locations)[0]).resolve().parent))
    return list(dict.fromkeys(roots))


def worker_environment() -> dict[str, str]:
    """This process's environment minus what frameworks imported here changed.

    Some frameworks change the process environment when imported (MindSpore sets
    PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python and prepends its plugin directory
    to LD_LIBRARY_PATH); another interpreter's framework may fail under either,
    so the worker gets neither.
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


def call_worker(python: str, module: str, request: dict, *, timeout: float = 600.0, missing_hint: str = "") -> object:
    """Send ``request`` to ``python -m module`` and return its result; failures raise with stderr attached.

    ``missing_hint`` tells the user how to get ``python`` when it does not exist.
    """
    return worker_reply(start_worker(python, module, missing_hint=missing_hint), request, timeout=timeout)


def start_worker(python: str, module: str, *, args: tuple[str, ...] = (), missing_hint: str = "", env: dict | None = None):
    """Start ``python -m module *args`` waiting for its one request on stdin (``worker_reply`` sends it).

    Started ahead of its request, a worker imports its framework while this process does other work.
    ``env``: the environment to start it with (default ``worker_env(module)``).
    """
    if not Path(python).exists() and os.sep in python:
        raise BackendUnavailableError(f"interpreter '{python}' does not exist" + (f"; {missing_hint}" if missing_hint else ""))
    try:
        proc = subprocess.Popen(
            [python, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=worker_env(module) if env is None else env,
        )
    except FileNotFoundError:
        raise BackendUnavailableError(f"cannot start interpreter '{python}'") from None
    proc.lrbridge_worker = (python, module)  # for the messages of ``worker_reply``
    return proc


def worker_env(module: str) -> dict[str, str]:
    """``worker_environment()`` with ``lrbridge`` and ``module``'s package on PYTHONPATH."""
    env = worker_environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*import_roots(module), env.get("PYTHONPATH", "")]))
    return env


def worker_reply(proc, request: dict, *, timeout: float = 600.0) -> object:
    """Send ``request`` to a worker from ``start_worker`` and return its result; failures raise with stderr attached."""
    python, module = proc.lrbridge_worker
    try:
        stdout, stderr = proc.communicate(json.dumps(request), timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
        raise BackendUnavailableError(f"worker '{module}' timed out after {timeout:.0f}s\n{_tail(stderr or '')}") from None
    except BrokenPipeError:  # it died before reading its request: what it printed says why
        stdout, stderr = proc.communicate()
    reply = None
    for line in reversed(stdout.strip().splitlines()):
        try:  # the reply is the last JSON line; frameworks may print banners before it
            reply = json.loads(line)
            break
        except json.JSONDecodeError:
            continue
    if not isinstance(reply, dict) or "ok" not in reply:
        raise BackendUnavailableError(
            f"worker '{module}' under {python} exited with status {proc.returncode} without a reply; "
            f"its stderr:\n{_tail(stderr)}"
        )
    if not reply["ok"]:
        raise WorkerError(f"{reply.get('error')}\nworker stderr (last lines):\n{_tail(stderr)}")
    return reply["result"]


class AheadWorker:
    """At most one worker of ``module`` started before its request, its framework already imported
    (``python -m module --preload``).

    A worker answers one request and exits (a crash costs only that request); importing a framework
    takes it seconds, which a worker started ahead spends while this process does other work.
    It is used only by a call with the same interpreter and environment it was started with (variables
    set since, e.g. by a framework imported here, do not count: ``worker_environment`` removes those).
    ``python``: a function giving the interpreter's path (looked up at each start).
    """

    def __init__(self, python, module: str, *, missing_hint: str = ""):
        import threading

        self._python, self._module, self._hint = python, module, missing_hint
        self._lock = threading.Lock()
        self._proc = None
        self._key = None

    def start(self) -> None:
        """Start one (if none is waiting already)."""
        python, env = self._python(), worker_env(self._module)
        with self._lock:
            if self._proc is not None and self._proc.poll() is None and _fits(self._key, python, env):
                return
            self._discard()
            self._proc = start_worker(python, self._module, args=("--preload",), missing_hint=self._hint, env=env)
            self._key = (python, env)

    def take(self):
        """The waiting worker for this interpreter and environment, else a new one."""
        python, env = self._python(), worker_env(self._module)
        with self._lock:
            proc, key = self._proc, self._key
            self._proc = self._key = None
            if proc is not None and (not _fits(key, python, env) or proc.poll() is not None):
                _stop(proc)
                proc = None
        return proc if proc is not None else start_worker(python, self._module, missing_hint=self._hint, env=env)

    def call(self, request: dict, *, timeout: float = 600.0) -> object:
        """Run one request in the waiting worker (or a new one)."""
        return worker_reply(self.take(), request, timeout=timeout)

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


def encode_f32(values) -> dict:
    """float32 arrays (applied lrs are float32: exact) as base64, far smaller than JSON floats."""
    import base64

    import numpy as np

    arr = np.asarray(values, np.float32)
    return {"lr32": base64.b64encode(arr.tobytes()).decode("ascii"), "shape": list(arr.shape)}


def decode_f32(reply: dict):
    """``encode_f32``'s array back, as float64."""
    import base64

    import numpy as np

    return np.frombuffer(base64.b64decode(reply["lr32"]), np.float32).reshape(reply["shape"]).astype(np.float64)
