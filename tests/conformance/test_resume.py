"""Resume across frameworks, measured: stop at step k in A, save A's real state, continue in B.

For every ordered pair (A, B) of torch (eager), MindSpore experimental (``PlanLR``), MindSpore
``nn`` (lr list inside the optimizer, positioned by ``global_step``) and OneFlow eager (in its
worker): A runs steps 0..k−1 of lrbridge's export of the plan in the natural loop
(``optimizer.step(); scheduler.step()``), its state is saved as JSON would hold it (the
scheduler's ``state_dict()``, the optimizer's ``global_step``), ``steps_done`` reads k from it,
``lrbridge.resume.resume`` positions B's fresh optimizer, and B runs steps k..N−1. The lr applied
at every step is measured from the parameter updates (``lrbridge.conformance.resume_probe``) and
must equal the uninterrupted curve, fp32 of the float64 reference: 0 ulp. The OneCycle plan also
cycles the momentum, measured from the updates too.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance import ulp_distance
from lrbridge.conformance.momentum import MOMENTUM_ATOL
from lrbridge.conformance.resume_probe import json_state, lr_and_momentum_from_reads, lr_from_final
from lrbridge.io import plan_to_dict
from lrbridge.reference import evaluate_hparam
from lrbridge.resume import resume, steps_done

FRAMEWORKS = ("torch", "ms_experimental", "ms_nn", "oneflow")
#: the checkpoint format each framework's saved state is read as
FORMAT = {"torch": "torch", "ms_experimental": "mindspore", "ms_nn": "mindspore", "oneflow": "oneflow"}


def _two_groups(scheduler, steps):
    return L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=0.4),
        groups=(L.ParamGroup(name="a", params=("a*",), lr=0.1, lr_scale=0.5), L.ParamGroup(name="b", rest=True)),
        scheduler=scheduler,
        horizon=L.Horizon(steps=steps),
    )


def _one_cycle():
    """What ``from_torch`` imports from a default OneCycleLR (it cycles the momentum too)."""
    group = L.ParamGroup(name="group0", rest=True, lr=0.04, hparam_schedulers={
        "momentum": L.OneCycle(total_steps=30, max_lr=0.85, div_factor=0.85 / 0.95, final_div_factor=1.0)})
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1, hparams={"momentum": 0.9}), groups=(group,),
                  scheduler=L.OneCycle(total_steps=30, max_lr=1.0), horizon=L.Horizon(steps=30))


#: name -> (plan, N, k): k lands mid-cosine, exactly on a milestone, and mid-cycle
PLANS = {
    "warmup_cosine": (_two_groups(L.Sequential(stages=[L.LinearRamp(start_factor=0.01, total_iters=8),
                                                       L.CosineAnnealing(T_max=32)], milestones=[8]), 40), 40, 17),
    "multistep": (_two_groups(L.MultiStep(milestones=[10, 20], gamma=0.1), 30), 30, 10),
    "one_cycle_momentum": (_one_cycle(), 30, 12),
}


def _per_step(plan) -> bool:
    return any(g.hparam_schedulers for g in plan.groups)


def _position(plan, opt, start, source, fresh):
    """The scheduler of a segment: ``fresh()`` at 0, else resumed from ``source``'s state."""
    if start == 0:
        return fresh()
    k = steps_done(source["state"], source["format"])
    assert k == start, f"{source['format']} state {source['state']} read as k={k}, expected {start}"
    return resume(plan, opt, k).scheduler


def _torch_segment(plan, n, start, stop, source=None):
    import torch

    from lrbridge_torch import to_torch

    params = [torch.zeros(n, dtype=torch.float32, requires_grad=True) for _ in plan.groups]
    momentum = float(plan.optimizer.resolved()["momentum"])
    opt = torch.optim.SGD([{"params": [p]} for p in params], lr=1.0, momentum=momentum, dampening=0.0)
    sched = _position(plan, opt, start, source, lambda: to_torch(plan, opt))
    eye, reads = torch.eye(n, dtype=torch.float32), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for j in range(start, stop):
            for p in params:
                p.grad = eye[j].clone()
            opt.step()
            sched.step()
            if _per_step(plan):  # read and zero: each read is one step's update
                reads.append(torch.stack([p.detach() for p in params]).numpy().copy())
                with torch.no_grad():
                    for p in params:
                        p.zero_()
    final = torch.stack([p.detach() for p in params]).numpy()
    return _result(plan, start, stop, reads, final, json_state(sched.state_dict()))


def _ms_segment(plan, n, start, stop, source=None, api="experimental"):
    from mindspore import Parameter, Tensor, mutable, ops

    from lrbridge_mindspore.optim import mindspore_optimizer
    from lrbridge_mindspore.runner import execution_mode

    with execution_mode("pynative"):
        params = [Parameter(Tensor(np.zeros(n, np.float32)), name=f"{g.name}.w") for g in plan.groups]
        built = mindspore_optimizer(plan, params, api=api, form="list", total_step=n)
        opt = built.optimizer
        sched = _position(plan, opt, start, source, lambda: built.scheduler)
        eye, reads, zeros = np.eye(n, dtype=np.float32), [], Tensor(np.zeros(n, np.float32))
        for j in range(start, stop):
            opt(mutable(tuple(Tensor(eye[j]) for _ in params)))
            if sched is not None:
                sched.step()
            if _per_step(plan):  # read and zero: each read is one step's update
                reads.append(np.stack([p.asnumpy() for p in params]))
                for p in params:
                    ops.assign(p, zeros)
        final = np.stack([p.asnumpy() for p in params])
        # what a checkpoint holds: nn optimizers their global_step Parameter, experimental ones PlanLR's state
        state = {"global_step": opt.global_step.asnumpy().tolist()} if api == "nn" else json_state(sched.state_dict())
    return _result(plan, start, stop, reads, final, state)


def _result(plan, start, stop, reads, final, state) -> dict:
    if _per_step(plan):
        lr, mom = lr_and_momentum_from_reads(reads, start, stop)
    else:
        lr, mom = lr_from_final(final, start, stop), None
    return {"lr": lr, "momentum": mom, "state": state}


def _run_local(fw, plan, n, start, stop, source=None):
    if fw == "torch":
        return _torch_segment(plan, n, start, stop, source)
    return _ms_segment(plan, n, start, stop, source, api="nn" if fw == "ms_nn" else "experimental")


def _run_oneflow(call, cases: list[dict]) -> list[dict]:
    """OneFlow segments, all in one worker call (its start dominates)."""
    reply = call({"op": "resume_segment", "cases": cases})
    out = []
    for r in reply:
        if "error" in r:
            raise AssertionError(f"OneFlow worker: {r['error']}")
        mom = None if r["momentum"] is None else np.array([[np.nan if v is None else v for v in row] for row in r["momentum"]])
        out.append({"lr": np.asarray(r["lr"], np.float64), "momentum": mom, "state": r["state"]})
    return out


def _oneflow_case(plan, n, start, stop, source=None) -> dict:
    return {"plan": plan_to_dict(plan), "steps": n, "start": start, "stop": stop, "source": source,
            "per_step": _per_step(plan)}


@pytest.fixture(scope="module")
def runs(torch, ms, oneflow):
    """(plan name, A, B) -> (A's segment, B's segment): every A stops at k once, every B resumes from it."""
    first = {}
    for name, (plan, n, k) in PLANS.items():
        for fw in FRAMEWORKS[:3]:
            first[name, fw] = _run_local(fw, plan, n, 0, k)
    for name, seg in zip(PLANS, _run_oneflow(oneflow, [_oneflow_case(p, n, 0, k) for p, n, k in PLANS.values()])):
        first[name, "oneflow"] = seg
    out, of_pending = {}, []
    for name, (plan, n, k) in PLANS.items():
        for a, b in itertools.product(FRAMEWORKS, FRAMEWORKS):
            source = {"format": FORMAT[a], "state": first[name, a]["state"]}
            if b == "oneflow":
                of_pending.append(((name, a, b), _oneflow_case(plan, n, k, n, source)))
            else:
                out[name, a, b] = (first[name, a], _run_local(b, plan, n, k, n, source))
    for (key, _), seg in zip(of_pending, _run_oneflow(oneflow, [c for _, c in of_pending])):
        out[key] = (first[key[:2]], seg)
    return out


PAIRS = list(itertools.product(PLANS, FRAMEWORKS, FRAMEWORKS))


@pytest.mark.parametrize("name, a, b", PAIRS, ids=[f"{p}-{a}-to-{b}" for p, a, b in PAIRS])
def test_resumed_run_applies_the_uninterrupted_curve(runs, name, a, b):
    plan, n, k = PLANS[name]
    seg_a, seg_b = runs[name, a, b]
    got = np.concatenate([seg_a["lr"], seg_b["lr"]], axis=1)
    want = L.evaluate(plan, n, dtype=np.float32)
    ulps = ulp_distance(got, want)
    assert ulps.max() == 0, (
        f"{a} stopped at {k}, {b} continued: worst {ulps.max()} ulp at step {int(np.argmax(ulps.max(axis=0)))}; "
        f"A's state {seg_a['state']}")
    if seg_a["momentum"] is not None:
        mom = np.concatenate([seg_a["momentum"], seg_b["momentum"]], axis=1)
        ref = evaluate_hparam(plan, "momentum", n)
        seen = ~np.isnan(mom)
        assert seen.sum() == len(plan.groups) * (n - 2)  # every step but 0 and k (fresh buffers) is observed
        assert np.max(np.abs(mom - ref)[seen]) < MOMENTUM_ATOL, f"momentum after resuming in {b}"


def test_an_off_by_one_resume_is_seen(torch):
    # Negative control: continuing at k + 1 instead of k (torch's last_epoch=k habit) is measured as a difference.
    plan, n, k = PLANS["warmup_cosine"]
    seg_a = _torch_segment(plan, n, 0, k)
    wrong = {"format": "torch", "state": {**seg_a["state"], "last_epoch": k + 1}}
    seg_b = _torch_segment(plan, n, k + 1, n, wrong)
    got = np.concatenate([seg_a["lr"], seg_b["lr"]], axis=1)  # optimizer steps 0..n-2 of the resumed run
    ref = L.evaluate(plan, n, dtype=np.float32)
    assert ulp_distance(got, ref[:, np.r_[0:k, k + 1:n]]).max() == 0  # step k's lr was skipped
    assert ulp_distance(got, ref[:, : n - 1]).max() > 0


def test_resume_state_is_the_state_a_natural_run_holds(torch):
    # The torch state resume writes equals the state_dict() of PlanLR after k real natural-loop steps.
    from lrbridge_torch import to_torch
    from lrbridge_torch.resume import resume_state

    plan, n, k = PLANS["multistep"]
    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]} for _ in plan.groups], lr=1.0)
    sched = to_torch(plan, opt, native=False)
    for _ in range(k):
        opt.step()
        sched.step()
    real = json_state(sched.state_dict())
    real.pop("plan")
    assert resume_state(plan, k)["scheduler"] == real
    assert [g["lr"] for g in resume_state(plan, k)["param_groups"]] == [pg["lr"] for pg in opt.param_groups]
