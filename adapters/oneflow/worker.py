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


OPS = {"ping": op_ping}


def main() -> int:
    out = sys.stdout
    try:
        request = json.loads(sys.stdin.read())
        op = OPS.get(request.get("op"))
        if op is None:
            raise ValueError(f"unknown op {request.get('op')!r}; known: {sorted(OPS)}")
        reply = {"ok": True, "result": op(request)}
    except Exception as exc:  # reported to the main process, with the traceback on stderr
        traceback.print_exc()
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    out.write("\n" + json.dumps(reply) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
