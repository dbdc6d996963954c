"""The frameworks' own floor under conformance at scale: bare optimizer loops, no lrbridge code.

    .venv/bin/python benchmarks/bench_floor.py                 # the 100 plans bench_conform.py measures
    .venv/bin/python benchmarks/bench_floor.py --plans 1000 --json floor.json

Each target's loop is written here with the framework alone, as its users write it: ``nn.SGD`` over
G groups whose lrs are plain Python lists (``mindspore.nn.dynamic_lr`` style) or MindSpore's own
``nn.CosineDecayLR`` cells (float32: per group and step about what a float64 cell of one simple schedule
costs, less than a composite, measured), one call per step in PyNative, a
graph ``while`` loop of calls in GRAPH_MODE; ``mindspore.experimental.optim.SGD`` in the tutorials' jitted
train step (its scheduler left out); torch ``SGD`` with ``StepLR``. Every group holds one float32
vector, as the conformance probe does. Timing G = small and G = large groups for S steps gives,
per target, the cost of one call and of one more group in a call (the best of ``--repeat`` timings).

From those, a lower bound for measuring N random plans (``lrbridge.random_plans``, the benchmark's
generator) on every target: every group-step of every plan costs at least one group in a call, and
a target makes at least as many calls as the longest plan has steps (list and cell targets of one mode
may share their calls, so those count once). Compiles, imports, worker
starts, probe reads and the comparison are left out (they only add), so the figure is below what
any runner of these loops can reach on this machine. OneFlow is left out too (its own environment;
it only adds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 256


def _ms_params(groups: int):
    from mindspore import Parameter, Tensor

    return [Parameter(Tensor(np.zeros(CHUNK, np.float32)), name=f"w{i}") for i in range(groups)]


def _ms_grads(groups: int):
    from mindspore import Tensor, mutable

    onehot = np.zeros(CHUNK, np.float32)
    onehot[0] = 1.0
    return mutable(tuple(Tensor(onehot) for _ in range(groups)))


def ms_nn(groups: int, steps: int, mode: str, form: str) -> float:
    """Seconds for ``steps`` calls of ``nn.SGD`` over ``groups`` list or cell groups (compile excluded)."""
    import mindspore as ms
    from mindspore import Tensor, nn

    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    params = _ms_params(groups)

    def lr(i):
        if form == "list":
            return [1e-3 * (1 - k / (steps + 8)) for k in range(steps + 8)]
        return nn.CosineDecayLR(1e-5, 1e-3 * (1 + i / 64), steps + 8)

    opt = nn.SGD([{"params": [p], "lr": lr(i)} for i, p in enumerate(params)], learning_rate=1e-3)
    grads = _ms_grads(groups)
    if mode == "pynative":
        opt(grads)  # compile
        t0 = time.perf_counter()
        for _ in range(steps - 1):
            opt(grads)
        return (time.perf_counter() - t0) * steps / (steps - 1)

    class Loop(nn.Cell):
        def __init__(self):
            super().__init__()
            self.opt = opt

        def construct(self, n, grads):
            i = 0
            while i < n:
                self.opt(grads)
                i = i + 1
            return i

    loop = Loop()
    loop(Tensor(1, ms.int32), grads)  # compile
    t0 = time.perf_counter()
    loop(Tensor(steps - 1, ms.int32), grads)
    return (time.perf_counter() - t0) * steps / (steps - 1)


def ms_experimental(groups: int, steps: int) -> float:
    """Seconds for ``steps`` of experimental ``SGD`` over ``groups`` groups in one ``mindspore.jit`` call each (the
    tutorials' compiled train step, without the gradient computation); its scheduler's steps are left out
    (they only add: ``StepLR.step()`` alone costs more than a millisecond per group in PyNative, measured)."""
    import mindspore as ms
    from mindspore.experimental import optim

    ms.set_context(mode=ms.PYNATIVE_MODE)
    params = _ms_params(groups)
    opt = optim.SGD([{"params": [p], "lr": 1e-3 * (1 + i / 64)} for i, p in enumerate(params)], lr=1e-3)
    grads = _ms_grads(groups)

    @ms.jit
    def train_step(grads):
        opt(grads)

    train_step(grads)  # compile
    t0 = time.perf_counter()
    for _ in range(steps - 1):
        train_step(grads)
    return (time.perf_counter() - t0) * steps / (steps - 1)


def torch_sgd(groups: int, steps: int) -> float:
    import torch

    params = [torch.zeros(CHUNK, requires_grad=True) for _ in range(groups)]
    for p in params:
        p.grad = torch.zeros(CHUNK)
        p.grad[0] = 1.0
    opt = torch.optim.SGD([{"params": [p], "lr": 1e-3 * (1 + i / 64)} for i, p in enumerate(params)], lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=100, gamma=0.9)
    opt.step()
    sched.step()
    t0 = time.perf_counter()
    for _ in range(steps - 1):
        opt.step()
        sched.step()
    return (time.perf_counter() - t0) * steps / (steps - 1)


#: target -> (loop(groups, steps) -> seconds, the two group counts, steps timed, the calls it may share):
#: list and cell groups of one mode can share one ``nn.SGD`` call, so a floor counts those calls once
LOOPS = {
    "torch/eager/cpu": (torch_sgd, (4, 32), 3000, "torch"),
    "mindspore/pynative/cpu/list": (lambda g, s: ms_nn(g, s, "pynative", "list"), (4, 32), 2000, "nn.SGD pynative"),
    "mindspore/graph/cpu/list": (lambda g, s: ms_nn(g, s, "graph", "list"), (4, 32), 3000, "nn.SGD graph"),
    "mindspore/pynative/cpu/cell": (lambda g, s: ms_nn(g, s, "pynative", "cell"), (4, 32), 2000, "nn.SGD pynative"),
    "mindspore/graph/cpu/cell": (lambda g, s: ms_nn(g, s, "graph", "cell"), (4, 32), 3000, "nn.SGD graph"),
    "mindspore/pynative/cpu/experimental": (ms_experimental, (4, 16), 2000, "experimental"),
}


def floor_seconds(rows: list[dict], group_steps: int, calls: int) -> float:
    """Σ over targets of group-steps × per-group cost, plus ``calls`` × the cheapest per-call cost of each
    call a set of targets may share."""
    per_call: dict[str, float] = {}
    for r in rows:
        per_call[r["calls"]] = min(per_call.get(r["calls"], np.inf), r["per_call_ms"] * 1e-3)
    return group_steps * sum(r["per_group_us"] * 1e-6 for r in rows) + calls * sum(per_call.values())


def per_call_and_group(loop, sizes, steps: int, repeat: int) -> tuple[float, float]:
    """(seconds per call, seconds per extra group in a call): the best of ``repeat`` timings at each size."""
    (g1, g2) = sizes
    t1 = min(loop(g1, steps) for _ in range(repeat)) / steps
    t2 = min(loop(g2, steps) for _ in range(repeat)) / steps
    per_group = (t2 - t1) / (g2 - g1)
    return max(t1 - g1 * per_group, 0.0), per_group


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--targets", nargs="*", default=list(LOOPS))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    os.environ.setdefault("GLOG_v", "3")
    sys.path.insert(0, str(ROOT))

    from lrbridge.random_plans import random_cases

    cases = list(random_cases(args.plans, seed=args.seed, max_steps=args.max_steps))
    group_steps = sum(len(p.groups) * s for p, s in cases)
    longest = max(s for _, s in cases)
    print(f"{len(cases)} plans, seed {args.seed}: {group_steps} group-steps, longest {longest} steps; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for target in args.targets:
        loop, sizes, steps, calls = LOOPS[target]
        per_call, per_group = per_call_and_group(loop, sizes, steps, args.repeat)
        rows.append({"target": target, "calls": calls, "per_call_ms": round(per_call * 1e3, 4),
                     "per_group_us": round(per_group * 1e6, 2)})
        print(f"  {target:<38} {per_call * 1e3:7.3f} ms per call  {per_group * 1e6:7.1f} µs per group  "
              f"({calls})", flush=True)
    total = floor_seconds(rows, group_steps, longest)
    one = {"steps": 10000, "groups": 3}  # examples/warmup_cosine.yaml
    latency = floor_seconds(rows, one["steps"] * one["groups"], one["steps"])
    print(f"floor, every target above: {total:.1f} s for {len(cases)} plans (≈ {total * 1000 / len(cases) / 60:.1f} min "
          f"per 1000); one plan of {one['steps']} steps × {one['groups']} groups (examples/warmup_cosine.yaml): "
          f"{latency:.1f} s; load average after {os.getloadavg()[0]:.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"plans": len(cases), "group_steps": group_steps, "longest": longest,
                                         "targets": rows, "floor_s": round(total, 1),
                                         "one_plan_floor_s": round(latency, 1)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
