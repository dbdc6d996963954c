"""PyTorch adapter benchmarks (figures recorded in docs/benchmarks.md, section PyTorch).

    .venv/bin/python benchmarks/bench_torch.py

1. PlanLR.step() vs the equivalent native class's step() (target ≤ 1.2x).
2. from_torch of a LambdaLR sampled over 1e6 steps into a table (target < 3 s).
3. measuring 1e5 steps of a 4-group plan through real torch SGD steps (target < 10 s).
"""

from __future__ import annotations

import time
import warnings

import torch

from lrbridge_torch import from_torch, to_torch
from lrbridge_torch.runner import RUNNER
from lrbridge import OptimizerSpec, ParamGroup, Plan
from lrbridge.conformance import Target
from lrbridge.schedules import CosineAnnealing, Sequential, LinearRamp, Step


def _opt(groups=4):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1} for _ in range(groups)], lr=0.1)


def _plan(schedule, groups=4):
    gs = tuple(ParamGroup(name=f"g{i}", params=(f"g{i}.*",), lr=0.1 / (i + 1)) for i in range(groups - 1))
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), groups=gs + (ParamGroup(name="rest", rest=True),), scheduler=schedule,
                horizon={"steps": 10**7})


def _step_cost(sched, n: int) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        for _ in range(n):
            sched.step()
        return (time.perf_counter() - t) / n


def bench_step(n=200_000, repeats=3):
    rows = []
    for schedule, native_cls in [
        (CosineAnnealing(T_max=10**6), lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 10**6)),
        (Step(step_size=1000, gamma=0.5), lambda o: torch.optim.lr_scheduler.StepLR(o, 1000, 0.5)),
        (Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=1000), CosineAnnealing(T_max=10**6)), milestones=(1000,)),
         lambda o: torch.optim.lr_scheduler.SequentialLR(o, [torch.optim.lr_scheduler.LinearLR(o, 0.1, 1.0, 1000),
                                                              torch.optim.lr_scheduler.CosineAnnealingLR(o, 10**6)], [1000])),
    ]:
        ours = min(_step_cost(to_torch(_plan(schedule), _opt(), native=False), n) for _ in range(repeats))
        native = min(_step_cost(native_cls(_opt()), n) for _ in range(repeats))
        rows.append((schedule.kind, ours * 1e6, native * 1e6, ours / native))
    return rows


def bench_lambda(n=1_000_000):
    sched = torch.optim.lr_scheduler.LambdaLR(_opt(1), lambda t: 0.5 * (1 + (t % 1000) / 1000))
    t = time.perf_counter()
    result = from_torch(sched, steps=n)
    return time.perf_counter() - t, len(result.plan.scheduler.values)


def bench_measure(n=100_000):
    plan = _plan(CosineAnnealing(T_max=50_000))
    t = time.perf_counter()
    RUNNER.measure(plan, n, Target("torch", "eager"))
    return time.perf_counter() - t


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, CPU, 1 thread")
    for kind, ours, native, ratio in bench_step():
        print(f"step() {kind:12s} PlanLR {ours:6.2f} µs   native {native:6.2f} µs   ratio {ratio:.2f}x (target ≤ 1.2x)")
    secs, size = bench_lambda()
    print(f"from_torch(LambdaLR, steps=1e6): {secs:.2f} s for {size} values (target < 3 s)")
    print(f"measure 1e5 steps, 4 groups, real SGD steps: {bench_measure():.2f} s (target < 10 s)")


if __name__ == "__main__":
    main()
