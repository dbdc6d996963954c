"""OneFlow worker: run with the OneFlow interpreter, one JSON request on stdin, one JSON reply on stdout.

    .venv-oneflow/bin/python -m adapters.oneflow.worker <<< '{"op": "ping"}'

Operations are registered in ``OPS``; each takes the request dict and returns
JSON-serializable data. The main environment calls this through
``lrbridge.interp.call_oneflow``.
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


# op name -> "module:function" inside adapters.oneflow, imported on use so a
# broken op cannot stop the others from answering.
OPS: dict[str, str] = {
    "ping": "worker:op_ping",
    "native_curve": "native:op_native_curve",  # step native OneFlow schedulers (oracle tests)
    "measure": "runner_worker:op_measure",  # real optimizer steps, eager or nn.Graph
    "check": "codegen:op_check",  # representability of a plan per mode
    "export": "codegen:op_export",  # generated OneFlow code / scheduler descriptions
    "import": "importer:op_import",  # OneFlow scheduler specs -> IR plan
}


def resolve(name: str):
    import importlib

    target = OPS.get(name)
    if target is None:
        raise ValueError(f"unknown op {name!r}; known: {sorted(OPS)}")
    module, func = target.split(":")
    return getattr(importlib.import_module(f"adapters.oneflow.{module}"), func)


def main() -> int:
    out = sys.stdout
    try:
        request = json.loads(sys.stdin.read())
        op = resolve(request.get("op"))
        reply = {"ok": True, "result": op(request)}
    except Exception as exc:  # reported to the main process, with the traceback on stderr
        traceback.print_exc()
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out.write("\n" + json.dumps(reply) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
