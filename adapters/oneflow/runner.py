"""The OneFlow conformance runner, main environment side: drives the OneFlow worker (``runner_worker``).

OneFlow runs only in its own interpreter, so ``measure`` sends the plan as JSON
to ``python -m adapters.oneflow.worker`` (op ``measure``) and reads the applied
lrs back. ``measure_many`` batches cases into one worker process (each start
costs seconds). Eager lrs are computed in float64 by OneFlow's Python
schedulers and applied in float32 (bit-exact to the reference); nn.Graph
computes them in a C++ kernel from the base lr read as float32 (≤ 1 ulp), and
multiplies by ``lr_scale`` in float32 (≤ 2 ulp with lr_scale ≠ 1).
"""

from __future__ import annotations

import numpy as np

from lrbridge.conformance.engine import Target
from lrbridge.errors import LrBridgeError
from lrbridge.interp import call_oneflow
from lrbridge.io import plan_to_dict


class OneFlowRunner:
    backend = "oneflow"
    modes = ("eager", "graph")

    def __init__(self):
        self._devices: dict | None = None

    def devices(self) -> dict:
        """What the worker's OneFlow can run on: ``{"cuda": bool}`` (asked once)."""
        if self._devices is None:
            self._devices = call_oneflow({"op": "measure", "query": "devices"})
        return self._devices

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

    def measure_many(self, cases) -> list:
        """``[(plan, steps, target), ...]`` in one worker: a (groups, steps) array per case, or the
        LrBridgeError the worker raised for that case."""
        cases = list(cases)
        reply = call_oneflow({"op": "measure", "cases": [self._case(*c) for c in cases]})
        out = []
        for (plan, steps, target), r in zip(cases, reply):
            if "error" in r:
                out.append(LrBridgeError(f"{target}: {r['error']}"))
            else:
                out.append(np.asarray(r["lr"], np.float64).reshape(len(plan.groups), steps))
        return out


RUNNER = OneFlowRunner()
