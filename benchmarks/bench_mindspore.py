"""MindSpore adapter benchmarks (figures recorded in docs/benchmarks.md, section MindSpore).

    .venv/bin/python benchmarks/bench_mindspore.py

1. lr list generation for 1e6 steps: to_mindspore_lr_list vs MindSpore's own
   dynamic_lr.cosine_decay_lr (target ≥ 25x faster) and vs stepping torch's
   CosineAnnealingLR 1e6 times (target ≥ 150x faster).
2. Per optimizer step in GRAPH_MODE: nn.SGD driven by the generated float64 cell vs
   the nearest native float32 cell (CosineDecayLR, ExponentialDecayLR) (target ≤ 1.2x).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from lrbridge import OptimizerSpec, Plan
from lrbridge.plan import Horizon
from lrbridge.schedules import CosineDecay, Exponential

N = 1_000_000


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_lists():
    from mindspore.nn import dynamic_lr

    from lrbridge_mindspore import to_mindspore_lr_array, to_mindspore_lr_list

    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=CosineDecay(decay_steps=N, min_lr=1e-5), horizon=Horizon(steps=N))
    ours = best(lambda: to_mindspore_lr_list(plan, N))
    ours_arr = best(lambda: to_mindspore_lr_array(plan, N))
    native = best(lambda: dynamic_lr.cosine_decay_lr(1e-5, 0.1, N, 1, N), repeat=1)
    import torch

    def torch_steps():
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=N, eta_min=1e-5)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(N):
                sched.step()

    torch_t = best(torch_steps, repeat=1)
    print(f"list 1e6 steps: lrbridge {ours * 1e3:.1f} ms | mindspore cosine_decay_lr {native * 1e3:.0f} ms "
          f"({native / ours:.0f}x) | torch CosineAnnealingLR.step x1e6 {torch_t:.1f} s ({torch_t / ours:.0f}x)")
    print(f"float32 array (Tensor-ready) 1e6 steps: lrbridge {ours_arr * 1e3:.1f} ms | vs cosine_decay_lr "
          f"{native / ours_arr:.0f}x | vs torch {torch_t / ours_arr:.0f}x")


def step_cost(lr, steps=3000):
    import mindspore as ms
    from mindspore import Parameter, Tensor, nn

    w = Parameter(Tensor(np.zeros(16, np.float32)), name="w")
    opt = nn.SGD([w], learning_rate=lr)
    g = (Tensor(np.ones(16, np.float32)),)
    for _ in range(50):  # compile + warm up
        opt(g)
    t = time.perf_counter()
    for _ in range(steps):
        opt(g)
    _ = w.asnumpy()
    return (time.perf_counter() - t) / steps


def bench_cells():
    import mindspore as ms
    from mindspore import nn

    from lrbridge_mindspore import to_mindspore_schedule

    ms.set_context(mode=ms.GRAPH_MODE)
    pairs = [
        ("cosine", nn.CosineDecayLR(1e-5, 0.1, 10_000),
         Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=CosineDecay(decay_steps=10_000, min_lr=1e-5))),
        ("exponential", nn.ExponentialDecayLR(0.1, 0.9995, 1),
         Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=Exponential(gamma=0.9995))),
    ]
    for name, native, plan in pairs:
        costs = {"native": [], "generated": []}
        for _ in range(3):  # interleaved, best of 3: the machine is shared
            costs["native"].append(step_cost(native))
            costs["generated"].append(step_cost(to_mindspore_schedule(plan)))
        n, g = min(costs["native"]), min(costs["generated"])
        print(f"GRAPH_MODE step, {name}: native cell {n * 1e6:.0f} us | generated float64 cell {g * 1e6:.0f} us "
              f"({g / n:.2f}x)")


if __name__ == "__main__":
    bench_lists()
    bench_cells()
