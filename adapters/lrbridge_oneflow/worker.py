"""OneFlow worker: run with the OneFlow interpreter, one JSON request on stdin, one JSON reply on stdout.

    .venv-oneflow/bin/python -m lrbridge_oneflow.worker <<< '{"op": "ping"}'

``--preload`` imports OneFlow before reading the request: a worker started ahead of it
(``interpreter.start_ahead``) spends those seconds while the main process does other work.

Operations are registered in ``OPS``; each takes one request dict and returns
JSON-serializable data. Any op can be batched: ``{"op": ..., "cases": [request, ...]}``
answers a list, one result (or ``{"error": msg}``) per case. The main environment calls this through
``lrbridge_oneflow.interpreter.call_oneflow``.
"""

from __future__ import annotations

import json
import platform
import sys
import traceback


def op_ping(request):
    from .runtime import load_oneflow

    flow = load_oneflow()
    return {"oneflow": flow.__version__, "python": platform.python_version()}


# op name -> "module:function" inside lrbridge_oneflow, imported on use so a
# broken op cannot stop the others from answering.
OPS: dict[str, str] = {
    "ping": "worker:op_ping",
    "native_curve": "native:op_native_curve",  # step native OneFlow schedulers (oracle tests)
    "measure": "runner_worker:op_measure",  # real optimizer steps, eager or nn.Graph
    "measure_momentum": "live:op_measure_momentum",  # applied momentum, from parameter updates
    "measure_weight_decay": "live:op_measure_weight_decay",  # applied weight decay, from parameter updates
    "measure_batch": "runner_worker:op_measure_batch",  # many plans in one session, graphs compiled together
    "check": "codegen:op_check",  # representability of a plan per mode
    "export": "codegen:op_export",  # generated OneFlow code / scheduler descriptions
    "import": "importer:op_import",  # OneFlow scheduler specs -> IR plan
    "import_entry": "importer:op_import_entry",  # a user's file.py:function building OneFlow objects -> IR plan
    "resume_segment": "resume_worker:op_resume_segment",  # steps [start, stop), fresh or resumed from any state
}


def resolve(name: str):
    import importlib

    target = OPS.get(name)
    if target is None:
        raise ValueError(f"unknown op {name!r}; known: {sorted(OPS)}")
    module, func = target.split(":")
    return getattr(importlib.import_module(f"lrbridge_oneflow.{module}"), func)


def run_cases(op, cases) -> list:
    """A batch: one answer per case, ``{"error": msg}`` for a case that failed.

    One case's failure (sometimes the very fact a test asserts) must not cost the
    others their interpreter start, which dominates a worker call.
    """
    if not isinstance(cases, list):
        raise ValueError(f"cases: expected a list of requests, got {type(cases).__name__}")
    out = []
    for i, case in enumerate(cases):
        try:
            out.append(op(case))
        except Exception as exc:
            out.append({"error": f"cases[{i}]: {type(exc).__name__}: {exc}"})
    return out


def preload() -> None:
    """Import OneFlow and the measuring code before the request arrives (a worker started ahead)."""
    try:
        from .runtime import load_oneflow

        load_oneflow()
        from . import live, runner_worker  # noqa: F401
    except Exception:  # the request's op reports what is wrong
        pass


def main() -> int:
    out = sys.stdout
    if "--preload" in sys.argv[1:]:
        preload()
    try:
        request = json.loads(sys.stdin.read())
        op = resolve(request.get("op"))
        result = run_cases(op, request["cases"]) if "cases" in request else op(request)
        reply = {"ok": True, "result": result}
    except Exception as exc:  # reported to the main process, with the traceback on stderr
        traceback.print_exc()
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out.write("\n" + json.dumps(reply) + "\n")
    out.flush()
    return 0


def exit_now(code: int) -> None:
    """Leave without OneFlow's teardown: the reply is written, tearing OneFlow's runtime down costs
    0.2–0.3 s per worker, and the caller waits for the process to end (a teardown that hung would
    hold a finished reply until the call's timeout)."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
