"""MindSpore worker: another process measuring conformance cases, one JSON request on stdin, one reply on stdout.

    python -m lrbridge_mindspore.worker <<< '{"op": "measure_batch", "batch": [...]}'

MindSpore runs an optimizer step on one core, so ``MindSporeRunner.measure_batch`` hands some batches
to workers like this one (started with this very interpreter) and measures the rest itself. A case
is ``{"plan": plan dict, "steps": N, "target": "mindspore/graph/cpu/list"}``; the answer per case is
``{"lr32": base64 float32, "shape": [G, N]}`` or ``{"error": msg}``. ``--preload`` imports MindSpore
before reading the request.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def op_measure_batch(request) -> list:
    from lrbridge.conformance.engine import Target
    from lrbridge.interp import encode_f32
    from lrbridge.io import plan_from_dict

    from .runner import plan_batches, run_batches

    cases = [(plan_from_dict(c["plan"]), int(c["steps"]), Target(*c["target"].split("/"))) for c in request["batch"]]
    out: list = [None] * len(cases)
    run_batches(cases, plan_batches(cases), out)
    return [{"error": f"{type(r).__name__}: {r}"} if isinstance(r, BaseException) else encode_f32(r) for r in out]


OPS = {"measure_batch": op_measure_batch}


def main() -> int:
    if "--preload" in sys.argv[1:]:
        try:
            from . import runner  # noqa: F401  (imports MindSpore)
        except Exception:  # the request's op reports what is wrong
            pass
    try:
        request = json.loads(sys.stdin.read())
        op = OPS.get(request.get("op"))
        if op is None:
            raise ValueError(f"unknown op {request.get('op')!r}; known: {sorted(OPS)}")
        reply = {"ok": True, "result": op(request)}
    except Exception as exc:  # reported to the main process, with the traceback on stderr
        traceback.print_exc()
        reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write("\n" + json.dumps(reply) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # no interpreter teardown: the reply is out, and MindSpore's Cells deleted in module teardown only print noise
    os._exit(0)


if __name__ == "__main__":
    main()
