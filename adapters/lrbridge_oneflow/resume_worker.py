"""Worker op ``resume_segment``: run steps [start, stop) of a plan in OneFlow eager, fresh or resumed.

    {"op": "resume_segment", "plan": PLAN, "steps": N, "start": k0, "stop": k1,
     "source": {"format": "torch", "state": {...}, "steps_per_epoch": null} | null,
     "per_step": bool}

``start = 0``: the optimizer is scheduled by ``to_oneflow`` (lrbridge's export, as a user runs it).
``start > 0``: k is read from ``source`` (``lrbridge.resume.steps_done``; it must equal ``start``)
and the schedule continues there through ``lrbridge.resume.resume`` (OneFlow's ``PlanLR``).
The probe is ``lrbridge.conformance.resume_probe``'s (one-hot gradients on N-slot float32 vectors,
SGD with the plan's momentum). Answers ``{"k", "lr", "momentum" (or null), "state"}``: ``state``
is the scheduler's real ``state_dict()`` as JSON would hold it. Batch with ``"cases"``.
"""

from __future__ import annotations

import numpy as np


def _optimizer(flow, plan, params):
    momentum = float(plan.optimizer.resolved().get("momentum", 0.0))
    groups = [{"params": [p], "lr": 0.0} for p in params]
    return flow.optim.SGD(groups, lr=0.0, momentum=momentum, dampening=0.0, weight_decay=0.0, nesterov=False)


def _scheduler(plan, opt, case):
    from lrbridge.resume import resume, steps_done

    from .live import to_oneflow

    start = int(case["start"])
    if start == 0:
        return to_oneflow(plan, opt), 0
    src = case["source"]
    k = steps_done(src["state"], src["format"], steps_per_epoch=src.get("steps_per_epoch"))
    if k != start:
        raise ValueError(f"the {src['format']} state says {k} steps were done, the segment starts at {start}")
    return resume(plan, opt, k).scheduler, k  # the backend found from the optimizer's type


def op_resume_segment(case: dict) -> dict:
    from lrbridge.conformance.resume_probe import json_state, lr_and_momentum_from_reads, lr_from_final
    from lrbridge.io import plan_from_dict

    from .runtime import load_oneflow

    flow = load_oneflow()
    plan = plan_from_dict(case["plan"])
    n, start, stop = int(case["steps"]), int(case["start"]), int(case["stop"])
    params = [flow.nn.Parameter(flow.zeros(n, dtype=flow.float32)) for _ in plan.groups]
    opt = _optimizer(flow, plan, params)
    sched, k = _scheduler(plan, opt, case)
    eye = np.eye(n, dtype=np.float32)
    reads = []
    for j in range(start, stop):
        for p in params:
            p.grad = flow.tensor(eye[j])
        opt.step()
        sched.step()
        if case.get("per_step"):  # read and zero: each read is one step's update
            reads.append(flow.stack(params).numpy().copy())  # numpy() shares the freed tensor's memory
            with flow.no_grad():
                for p in params:
                    p.fill_(0.0)
    if case.get("per_step"):
        lr, mom = lr_and_momentum_from_reads(reads, start, stop)
    else:
        lr, mom = lr_from_final(flow.stack(params).numpy(), start, stop), None
    mom_out = None if mom is None else [[None if np.isnan(v) else float(v) for v in row] for row in mom]
    return {"k": k, "lr": lr.tolist(), "momentum": mom_out, "state": json_state(sched.state_dict())}
