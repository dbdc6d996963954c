"""Benchmark closed-form recognition (lrbridge.recognize.from_trace) on 1e6-step curves.

Each case evaluates an IR plan over N steps (float64, and rounded to float32 as a MindSpore list
stores it), recognises it, and checks the recognised plan reproduces every value. Figures are the
median wall-clock time of the repeats (time.perf_counter); the target is "seconds" for 1e6 steps.

    .venv/bin/python benchmarks/bench_recognize.py [--steps N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import lrbridge as lb
from lrbridge.recognize import from_trace


def cases(n):
    w = n // 100
    return {
        "warmup+cosine": lb.Sequential(stages=(lb.LinearRamp(start_factor=0.01, total_iters=w),
                                               lb.CosineAnnealing(T_max=n - w, eta_min=1e-5)), milestones=(w,)),
        "epoch multistep": lb.ByEpoch(schedule=lb.MultiStep(milestones=(30, 60, 90), gamma=0.1), steps_per_epoch=n // 100),
        "inverse_sqrt": lb.InverseSqrt(warmup_steps=4000),
        "one_cycle": lb.OneCycle(total_steps=n, max_lr=0.1),
        "noise (table)": None,
    }


def run(n, repeat):
    rows = []
    rng = np.random.default_rng(0)
    for name, schedule in cases(n).items():
        if schedule is None:
            y = 0.1 * rng.random(n)
        else:
            y = lb.evaluate(lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), scheduler=schedule), n)[0]
        for dtype in ("float64", "float32"):
            values = y.astype(np.float32) if dtype == "float32" else y
            times, result = [], None
            for _ in range(repeat):
                t0 = time.perf_counter()
                result = from_trace(values)
                times.append(time.perf_counter() - t0)
            back = lb.evaluate(result.plan, n, dtype=np.float32 if dtype == "float32" else np.float64)[0]
            ok = np.array_equal(back, values) if not result.exact else bool(
                np.all(np.abs(back.astype(np.float64) - values) <= (2.0**-24 if dtype == "float32" else 1e-12) * np.abs(values)))
            rows.append({"case": name, "dtype": dtype, "steps": n, "seconds": statistics.median(times),
                         "exact": result.exact, "reproduces": ok, "kind": result.plan.scheduler.kind})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = run(args.steps, args.repeat)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        print(f"{r['case']:16s} {r['dtype']:8s} {r['steps']:>9d} steps  {r['seconds']:7.2f} s  "
              f"exact={r['exact']!s:5s} reproduces={r['reproduces']!s:5s} {r['kind']}")


if __name__ == "__main__":
    main()
