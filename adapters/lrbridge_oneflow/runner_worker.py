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

from lrbridge.conformance.batching import BatchCost, Item, cut_batches
from lrbridge.interp import encode_f32 as _encode

CHUNK = 512


def _probe_module(flow, groups: int, size: int, device: str):
    """A module with parameters w0..w{G−1}; forward(x) = (stack(w) · x).sum() = Σ_g (w_g · x).sum().

    One stack, one product and one sum whatever G: in nn.Graph every op costs each step (about
    0.2 ms per group with a product and a sum per group), so many cases share one graph cheaply.
    """

    class Probe(flow.nn.Module):
        def __init__(self):
            super().__init__()
            self.n = groups
            for g in range(groups):
                setattr(self, f"w{g}", flow.nn.Parameter(flow.zeros(size, dtype=flow.float32, device=device)))

        def forward(self, x):
            # getattr on self: inside nn.Graph, self is the graph's proxy and yields the lazy parameters
            return (flow.stack([getattr(self, f"w{g}") for g in range(self.n)]) * x).sum()

    return Probe()


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
    run = _graph_many(flow, model, [(opt, sched)]) if mode == "graph" else None
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


def _setup(flow, case: dict, model_params, device: str):
    """The optimizer over ``model_params`` and the scheduler of one case (eager or graph)."""
    from lrbridge.io import plan_from_dict

    from .live import build_scheduler, to_oneflow

    plan = plan_from_dict(case["plan"]) if "plan" in case else None
    options = [{"lr": 0.0}] * len(plan.groups) if plan is not None else case["groups"]
    opt = flow.optim.SGD([{"params": [p], **o} for p, o in zip(model_params, options)], momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)
    if plan is not None:
        sched = to_oneflow(plan, opt, graph=case.get("mode", "eager") == "graph")
    else:
        sched = build_scheduler(case["spec"], opt)
    return opt, sched


def _groups_of(case: dict) -> int:
    from lrbridge.io import plan_from_dict

    return len(plan_from_dict(case["plan"]).groups) if "plan" in case else len(case["groups"])


def _graph_many(flow, model, pairs):
    """One nn.Graph holding every (optimizer, scheduler) pair: one compile for all of them."""

    class ProbeGraph(flow.nn.Graph):
        def __init__(self):
            super().__init__()
            self.model = model
            for opt, sched in pairs:
                self.add_optimizer(opt, lr_sch=sched)

        def build(self, x):
            loss = self.model(x)
            loss.backward()
            return loss

    return ProbeGraph()


def _probes(flow, cases: list[dict]):
    """One probe module for every group of every case: (device, longest, chunk size, groups per case,
    module, its probe parameters in case order)."""
    device = cases[0].get("device", "cpu")
    longest = max(int(c["steps"]) for c in cases)
    size = max(1, min(CHUNK, longest))
    counts = [_groups_of(c) for c in cases]
    model = _probe_module(flow, sum(counts), size, device)
    return device, longest, size, counts, model, [getattr(model, f"w{g}") for g in range(sum(counts))]


def measure_graph_batch(flow, cases: list[dict]) -> list[np.ndarray]:
    """Graph cases (same device) in one nn.Graph: every case's probes in one module, one optimizer and
    scheduler per case, one compile; run for the longest case. A failure is raised (the caller isolates)."""
    device, longest, size, counts, model, params = _probes(flow, cases)
    pairs, lo = [], 0
    for case, n in zip(cases, counts):
        pairs.append(_setup(flow, case, params[lo:lo + n], device))
        lo += n
    run = _graph_many(flow, model, pairs)
    eye = flow.eye(size, dtype=flow.float32, device=device)
    xs = [eye[j].contiguous() for j in range(size)]
    out = np.empty((len(params), longest))
    for k0 in range(0, longest, size):
        n = min(size, longest - k0)
        for j in range(n):
            run(xs[j])
        _read_chunk(flow, params, out, k0, n)
    return _per_case(out, counts, [int(c["steps"]) for c in cases])


def measure_eager_batch(flow, cases: list[dict]) -> list:
    """Eager cases (same device) on one probe module: each step every probe gets the one-hot gradient,
    then each case's own ``optimizer.step()`` and ``scheduler.step()`` run while it runs. Per case an array,
    or the exception its setup or stepping raised (that case stops; the others go on)."""
    device, longest, size, counts, model, params = _probes(flow, cases)
    members, lo = [], 0
    for case, n in zip(cases, counts):
        try:
            members.append(_setup(flow, case, params[lo:lo + n], device))
        except Exception as exc:
            members.append(exc)
        lo += n
    steps = [int(c["steps"]) for c in cases]
    eye = flow.eye(size, dtype=flow.float32, device=device)
    xs = [eye[j].contiguous() for j in range(size)]
    out = np.empty((len(params), longest))
    for k0 in range(0, longest, size):
        n = min(size, longest - k0)
        for j in range(n):
            # the one-hot gradient that backward of Σ_g (w_g·x).sum() gives, set directly: autograd
            # over many probes costs more than the optimizer steps measured
            for p in params:
                p.grad = xs[j]
            for i, m in enumerate(members):
                if isinstance(m, Exception) or k0 + j >= steps[i]:
                    continue
                try:
                    m[0].step()
                    m[1].step()
                except Exception as exc:
                    members[i] = exc
        _read_chunk(flow, params, out, k0, n)
    return _per_case(out, counts, steps, members)


def _read_chunk(flow, params, out, k0: int, n: int) -> None:
    """Steps k0..k0+n−1 of every probe (−w, the one-hot updates) into ``out``, then the probes back to 0."""
    w = flow.stack(params).numpy()
    out[:, k0 : k0 + n] = -w[:, :n].astype(np.float64)
    with flow.no_grad():
        for p in params:
            p.fill_(0.0)


def _per_case(out, counts, steps, failures=None) -> list:
    """``out`` (all probes, longest run) split into each case's (groups, steps) rows; a case whose entry in
    ``failures`` is an exception gets that exception instead."""
    result, lo = [], 0
    for i, (n, k) in enumerate(zip(counts, steps)):
        failed = failures is not None and isinstance(failures[i], Exception)
        result.append(failures[i] if failed else out[lo:lo + n, :k])
        lo += n
    return result


#: most cases compiled into one nn.Graph (and stepped on one eager probe module)
GRAPH_BATCH = 16


def op_measure_batch(request):
    """``{"op": "measure_batch", "batch": [case, ...]}``: every case in this one worker session.

    Cases of one mode and device run together, similar lengths together, on one probe module: eager
    ones ``GRAPH_BATCH`` at a time, graph ones compiled into nn.Graphs cut by ``_graph_groups``; a
    graph group that fails is split until the failing case is alone. Answers per case
    ``{"lr32": base64 float32, "shape": [G, N]}`` or ``{"error": msg}``.
    A crash of OneFlow itself (abort, SIGSEGV) kills the worker: the main side isolates it.
    """
    from .runtime import load_oneflow

    flow = load_oneflow()
    cases = request["batch"]
    out: list = [None] * len(cases)
    order = sorted(range(len(cases)), key=lambda i: (cases[i].get("mode", "eager"), cases[i].get("device", "cpu"), int(cases[i]["steps"])))
    graph = [i for i in order if cases[i].get("mode", "eager") == "graph"]
    eager = [i for i in order if cases[i].get("mode", "eager") != "graph"]
    for lo in range(0, len(eager), GRAPH_BATCH):
        _eager_part(flow, cases, eager[lo:lo + GRAPH_BATCH], out)
    for part in _graph_groups(cases, graph):
        _graph_part(flow, cases, part, out)
    return out


def _nan_from(case: dict) -> float:
    """The first step a case's nn.Graph applies NaN: its plan's ``error`` horizon (``export._stop_at_horizon``), else none."""
    h = case.get("plan", {}).get("horizon") or {}
    return h["steps"] if h.get("past") == "error" and h.get("steps") is not None else float("inf")


#: nn.Graph costs on a 2-core CPU (OneFlow 0.9, the stacked probe; docs/benchmarks.md): seconds to compile
#: per probe group, and per step: a fixed part (the lazy runtime's per-iteration work) and a part per group
GRAPH_COST = BatchCost(compile_s_per_group=0.03, step_s=0.9e-3, step_s_per_group=0.015e-3)
#: most cases in one nn.Graph (its compile time grows faster than linearly beyond a few hundred groups)
GRAPH_MAX_CASES = 64


def _graph_groups(cases, idx: list[int]) -> list[list[int]]:
    """``idx`` cut into nn.Graphs minimising the modelled time (``batching.cut_batches``). A case with an
    ``error`` horizon never shares a graph that runs past it: its probes would turn NaN."""
    items = [Item(int(cases[i]["steps"]), _groups_of(cases[i]), runs_up_to=_nan_from(cases[i])) for i in idx]
    return [[idx[k] for k in batch] for batch in cut_batches(items, GRAPH_COST, max_items=GRAPH_MAX_CASES)]


def _eager_part(flow, cases, idx: list[int], out: list) -> None:
    for d in sorted({cases[i].get("device", "cpu") for i in idx}):
        mine = [i for i in idx if cases[i].get("device", "cpu") == d]
        try:
            results = measure_eager_batch(flow, [cases[i] for i in mine])
        except Exception as exc:  # not attributable to one case: measure each alone
            results = [exc] * len(mine) if len(mine) == 1 else [None] * len(mine)
        for i, r in zip(mine, results):
            if r is None:
                out[i] = _answer(lambda c=cases[i]: measure_case(flow, c))
            elif isinstance(r, Exception):
                out[i] = {"error": f"{type(r).__name__}: {r}"}
            else:
                out[i] = _encode(r)


def _graph_part(flow, cases, idx: list[int], out: list) -> None:
    """Measure the graph cases ``idx`` together; on failure split them until the cause is alone."""
    devices = {cases[i].get("device", "cpu") for i in idx}
    if len(devices) > 1:
        for d in sorted(devices):
            _graph_part(flow, cases, [i for i in idx if cases[i].get("device", "cpu") == d], out)
        return
    try:
        for i, lr in zip(idx, measure_graph_batch(flow, [cases[i] for i in idx])):
            out[i] = _encode(lr)
    except Exception as exc:
        if len(idx) == 1:
            out[idx[0]] = {"error": f"{type(exc).__name__}: {exc}"}
            return
        half = len(idx) // 2
        _graph_part(flow, cases, idx[:half], out)
        _graph_part(flow, cases, idx[half:], out)


def _answer(fn) -> dict:
    try:
        return _encode(fn())
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def op_measure(request):
    from .runtime import load_oneflow

    flow = load_oneflow()
    if request.get("query") == "devices":
        return {"cuda": bool(flow.cuda.is_available())}
    return {"lr": measure_case(flow, request)}
