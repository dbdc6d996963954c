"""The OneFlow conformance runner, main environment side: drives the OneFlow worker (``runner_worker``).

OneFlow runs only in its own interpreter, so ``measure`` sends the plan as JSON
to ``python -m lrbridge_oneflow.worker`` (op ``measure``) and reads the applied
lrs back. ``measure_batch`` sends many cases to one worker session (each start
costs seconds), where nn.Graph cases are compiled together; the matrix runs it in a
thread beside the in-process backends (``out_of_process``) and has the next worker
started ahead (``warm_up``). Eager lrs are computed in float64 by OneFlow's Python
schedulers and applied in float32 (bit-exact to the reference); nn.Graph
computes them in a C++ kernel from the base lr read as float32 (≤ 1 ulp), and
multiplies by ``lr_scale`` in float32 (≤ 2 ulp with lr_scale ≠ 1).
"""

from __future__ import annotations

import numpy as np

from lrbridge.conformance.engine import Target
from lrbridge.errors import LrBridgeError
from lrbridge.interp import decode_f32
from lrbridge_oneflow.interpreter import call_oneflow, start_ahead
from lrbridge.io import plan_to_dict


class OneFlowRunner:
    backend = "oneflow"
    modes = ("eager", "graph")
    #: measures in the worker process: the matrix runs its batches beside the in-process backends'
    out_of_process = True

    def __init__(self):
        self._devices: dict | None = None

    def devices(self) -> dict:
        """What the worker's OneFlow can run on: ``{"cuda": bool}`` (asked once)."""
        if self._devices is None:
            self._devices = call_oneflow({"op": "measure", "query": "devices"})
        return self._devices

    def warm_up(self) -> None:
        """Start the worker of the next call now (it imports OneFlow meanwhile); a failure to start
        is left for that call to report."""
        try:
            start_ahead()
        except LrBridgeError:
            pass

    def unavailable(self, target: Target) -> str | None:
        if target.device == "cpu":
            return None
        if target.device == "cuda":
            return None if self.devices().get("cuda") else "OneFlow sees no CUDA device"
        return f"OneFlow runs on cpu or cuda, not {target.device}"

    @staticmethod
    def _case(plan, steps: int, target: Target) -> dict:
        return {"plan": plan_to_dict(plan), "steps": int(steps), "mode": target.mode, "device": target.device}

    def measure(self, plan, steps: int, target: Target) -> np.ndarray:
        reply = call_oneflow({"op": "measure", **self._case(plan, steps, target)})
        return np.asarray(reply["lr"], np.float64).reshape(len(plan.groups), steps)

    def measure_batch(self, cases) -> list:
        """``[(plan, steps, target), ...]`` in one worker session (op ``measure_batch``): per case a
        (groups, steps) array or the LrBridgeError the worker reported for it. Graph cases are compiled
        together (nn.Graphs cut by ``runner_worker._graph_groups``). A worker that dies (abort, SIGSEGV)
        raises here, with its stderr: ``engine.measure_batch`` then isolates the case that kills it."""
        cases = list(cases)
        if not cases:
            return []
        reply = call_oneflow({"op": "measure_batch", "batch": [self._case(*c) for c in cases]})
        return [_decode(r, plan, steps, target) for (plan, steps, target), r in zip(cases, reply)]

    def measure_many(self, cases) -> list:
        """Same as ``measure_batch``, isolating a dead worker to the case that kills it."""
        from lrbridge.conformance.engine import measure_batch

        return measure_batch(self, cases)


def _decode(reply: dict, plan, steps: int, target: Target):
    if "error" in reply:
        return LrBridgeError(f"{target}: {reply['error']}")
    return decode_f32(reply).reshape(len(plan.groups), steps)


RUNNER = OneFlowRunner()
