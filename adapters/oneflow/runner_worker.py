"""Worker op ``measure``: real OneFlow optimizer steps, eager or nn.Graph, and the lr each group applied.

Runs inside the OneFlow interpreter. A request is one case or a batch::

    {"op": "measure", "plan": PLAN_DICT, "steps": N, "mode": "eager"|"graph", "device": "cpu"}
    {"op": "measure", "cases": [{"plan": ..., "steps": ..., "mode": ..., "device": ...}, ...]}
    {"op": "measure", "query": "devices"}   -> {"cuda": bool}

One case returns ``{"lr": [[...], ...]}`` (groups × steps); a batch (handled by the
worker) one entry per case, ``{"lr": ...}`` or ``{"error": msg}``.

The probe (see ``lrbridge.conformance.engine``): per group a float32 parameter of
length C, all zeros; at step k the loss is Σ_g (w_g · x).sum() with x the one-hot
of k mod C, so the gradient is one-hot and plain SGD (momentum 0, weight decay 0)
writes −lr_k into slot k mod C exactly. Parameters are read once per chunk of C
steps (one stacked read) and zeroed again: OneFlow 0.9's CPU build crashes after a
few thousand parameter reads, so no per-step reads. nn.Graph compiles once per case.
"""

from __future__ import annotations

import numpy as np

CHUNK = 512


def _probe_module(flow, groups: int, size: int, device: str):
    """A module with parameters w0..w{G−1}; forward(x) = Σ_g (w_g · x).sum()."""

    class Probe(flow.nn.Module):
        def __init__(self):
            super().__init__()
            self.n = groups
            for g in range(groups):
                setattr(self, f"w{g}", flow.nn.Parameter(flow.zeros(size, dtype=flow.float32, device=device)))

        def forward(self, x):
            # getattr on self: inside nn.Graph, self is the graph's proxy and yields the lazy parameters
            out = None
            for g in range(self.n):
                term = (getattr(self, f"w{g}") * x).sum()
                out = term if out is None else out + term
            return out

    return Probe()


def _graph(flow, model, opt, sched):
    class ProbeGraph(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = model
            self.add_optimizer(opt, lr_sch=sched)

        def build(self, x):
            loss = self.model(x)
            loss.backward()
            return loss

    return ProbeGraph()


def measure_case(flow, case: dict) -> list[list[float]]:
    """Applied lr of every group at steps 0..steps−1 for one case.

    ``plan``: scheduled by ``to_oneflow``. Or ``spec`` + ``groups`` (group options such
    as ``{"lr": 0.1, "lr_scale": 0.5}``): OneFlow's own scheduler built from a native
    spec, as a user would write it (what ``from_oneflow`` imports is checked against it).
    """
    from lrbridge.io import plan_from_dict

    from .live import build_scheduler, to_oneflow

    steps, mode = int(case["steps"]), case.get("mode", "eager")
    device = case.get("device", "cpu")
    if mode not in ("eager", "graph"):
        raise ValueError(f"mode must be 'eager' or 'graph', got {mode!r}")
    size = max(1, min(int(case.get("chunk", CHUNK)), steps))
    plan = plan_from_dict(case["plan"]) if "plan" in case else None
    options = [{"lr": 0.0}] * len(plan.groups) if plan is not None else case["groups"]
    G = len(options)
    model = _probe_module(flow, G, size, device)
    params = [getattr(model, f"w{g}") for g in range(G)]
    opt = flow.optim.SGD([{"params": [p], **o} for p, o in zip(params, options)], momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)
    if plan is not None:
        sched = to_oneflow(plan, opt, graph=mode == "graph")
    else:
        sched = build_scheduler(case["spec"], opt)
    run = _graph(flow, model, opt, sched) if mode == "graph" else None
    eye = flow.eye(size, dtype=flow.float32, device=device)
    xs = [eye[j].contiguous() for j in range(size)]
    out = np.empty((G, steps))
    for k0 in range(0, steps, size):
        n = min(size, steps - k0)
        for j in range(n):
            if run is not None:
                run(xs[j])
            else:
                model(xs[j]).backward()
                opt.step()
                opt.zero_grad()
                sched.step()
        w = flow.stack(params).numpy()  # the one read of this chunk
        out[:, k0 : k0 + n] = -w[:, :n].astype(np.float64)
        with flow.no_grad():
            for p in params:
                p.fill_(0.0)
    return out.tolist()


def op_measure(request):
    from .runtime import load_oneflow

    flow = load_oneflow()
    if request.get("query") == "devices":
        return {"cuda": bool(flow.cuda.is_available())}
    return {"lr": measure_case(flow, request)}
