"""Benchmark the float64 reference evaluator against the frameworks' own ways of producing an lr curve.

(a) 1e6 steps of warmup + cosine, side by side in one run:
    - lrbridge.evaluate (one vectorized call),
    - MindSpore's own ``nn.dynamic_lr.warmup_lr`` + ``cosine_decay_lr`` lists (pure Python),
    - a torch ``SequentialLR([LinearLR, CosineAnnealingLR])`` on SGD stepped 1e6 times.
    Targets: lrbridge ≥ 25x faster than MindSpore, ≥ 150x faster than torch.
    Each framework's curve is also checked against lrbridge's (max |Δ| / base lr).
(b) 1e7 steps of a nested composite
    Warmup(Sequential([ByEpoch(MultiStep), CosineWarmRestarts(T_mult=2)])). Target: < 1 s.

Every figure is the median of repeated runs (wall clock, time.perf_counter).

    .venv/bin/python benchmarks/bench_evaluator.py [--json] [--steps N] [--repeat R]
        [--torch-repeat R] [--no-torch] [--no-mindspore]

Frameworks are imported here, inside the functions that time them; lrbridge never imports them.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import lrbridge as L  # noqa: E402

BASE_LR = 0.1
WARMUP = 10_000
MS_TARGET = 25.0
TORCH_TARGET = 150.0
NESTED_TARGET_S = 1.0


def timed(fn, repeat: int):
    """(median seconds, every run's seconds, the last result)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def warmup_cosine_plan(steps: int, start_factor: float) -> L.Plan:
    """Linear warmup from start_factor·b over WARMUP steps, then cosine to 0 over the rest (restart clock)."""
    return L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=BASE_LR),
        scheduler=L.Sequential(
            stages=(
                L.LinearRamp(start_factor=start_factor, end_factor=1.0, total_iters=WARMUP),
                L.CosineDecay(decay_steps=steps - WARMUP),
            ),
            milestones=(WARMUP,),
        ),
    )


def mindspore_curve(steps: int) -> list[float]:
    """MindSpore's own lists: warmup_lr (from 0) then cosine_decay_lr, per step (step_per_epoch = 1)."""
    from mindspore.nn import dynamic_lr

    return dynamic_lr.warmup_lr(BASE_LR, WARMUP, 1, WARMUP) + dynamic_lr.cosine_decay_lr(
        0.0, BASE_LR, steps - WARMUP, 1, steps - WARMUP
    )


def torch_curve(steps: int, start_factor: float) -> np.ndarray:
    """lr of every optimizer step from a torch SequentialLR stepped ``steps`` times (SGD, one parameter)."""
    import torch
    from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=BASE_LR)
    sched = SequentialLR(
        opt,
        [LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=WARMUP), CosineAnnealingLR(opt, T_max=steps - WARMUP)],
        milestones=[WARMUP],
    )
    group = opt.param_groups[0]
    out = np.empty(steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "step() before optimizer.step()": no training here, only the schedule
        for i in range(steps):
            out[i] = group["lr"]
            sched.step()
    return out


def nested_plan() -> L.Plan:
    return L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=BASE_LR),
        scheduler=L.Warmup(
            schedule=L.Sequential(
                stages=(
                    L.ByEpoch(schedule=L.MultiStep(milestones=(30, 60, 80), gamma=0.1), steps_per_epoch=10_000),
                    L.CosineWarmRestarts(T_0=100_000, T_mult=2, eta_min=1e-6),
                ),
                milestones=(1_000_000,),
            ),
            warmup_steps=50_000,
            warmup_factor=0.01,
            prefix=True,
        ),
    )


def gap(curve, reference) -> float:
    """max |curve − reference| / base lr."""
    return float(np.max(np.abs(np.asarray(curve, np.float64) - reference)) / BASE_LR)


def bench_warmup_cosine(steps: int, repeat: int, torch_repeat: int, use_torch: bool, use_ms: bool) -> dict:
    res: dict = {"steps": steps, "warmup": WARMUP}
    # MindSpore's warmup_lr starts at 0; torch's LinearLR needs start_factor > 0, so it gets
    # its own (equally costly) IR plan starting at 1e-3 and is compared with that.
    plan_ms, plan_torch = warmup_cosine_plan(steps, 0.0), warmup_cosine_plan(steps, 1e-3)
    L.evaluate(plan_ms, 1000)  # first call pays the lazy imports (numpy, pydantic); not timed
    res["lrbridge_s"], res["lrbridge_runs"], ref_ms = timed(lambda: L.evaluate(plan_ms, steps), repeat)
    res["lrbridge_torch_plan_s"], _, ref_torch = timed(lambda: L.evaluate(plan_torch, steps), repeat)
    if use_ms:
        import mindspore  # noqa: F401  (import cost is not part of the timing)

        res["mindspore_s"], res["mindspore_runs"], ms_curve = timed(lambda: mindspore_curve(steps), repeat)
        res["mindspore_ratio"] = res["mindspore_s"] / res["lrbridge_s"]
        res["mindspore_max_abs_gap_over_base"] = gap(ms_curve, ref_ms[0])
    if use_torch:
        import torch  # noqa: F401

        res["torch_s"], res["torch_runs"], t_curve = timed(lambda: torch_curve(steps, 1e-3), torch_repeat)
        res["torch_ratio"] = res["torch_s"] / res["lrbridge_torch_plan_s"]
        res["torch_max_abs_gap_over_base"] = gap(t_curve, ref_torch[0])
    return res


def bench_nested(steps: int, repeat: int) -> dict:
    plan = nested_plan()
    L.evaluate(plan, 1000)
    median, runs, out = timed(lambda: L.evaluate(plan, steps), repeat)
    return {"steps": steps, "seconds": median, "runs": runs, "finite": bool(np.isfinite(out).all())}


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"


def report(a: dict, b: dict) -> str:
    n = f"{a['steps']:.0e}".replace("+0", "")
    lines = [
        f"(a) warmup ({WARMUP} steps) + cosine, {n} steps, one group; median wall time",
        f"    {'method':<52} {'seconds':>10} {'ratio':>9}",
        f"    {'lrbridge.evaluate (plan = MindSpore lists)':<52} {a['lrbridge_s']:>10.4f} {'1':>9}",
        f"    {'lrbridge.evaluate (plan = torch SequentialLR)':<52} {a['lrbridge_torch_plan_s']:>10.4f} {'1':>9}",
    ]
    if "mindspore_s" in a:
        lines.append(f"    {'mindspore dynamic_lr.warmup_lr + cosine_decay_lr':<52} {a['mindspore_s']:>10.4f} {a['mindspore_ratio']:>8.1f}x")
    if "torch_s" in a:
        lines.append(f"    {'torch SequentialLR[LinearLR, CosineAnnealingLR].step':<52} {a['torch_s']:>10.4f} {a['torch_ratio']:>8.1f}x")
    if "mindspore_s" in a:
        lines.append(
            f"    vs MindSpore: {a['mindspore_ratio']:.1f}x, target >= {MS_TARGET:g}x: {verdict(a['mindspore_ratio'] >= MS_TARGET)}; "
            f"curves agree to {a['mindspore_max_abs_gap_over_base']:.1e} of the base lr"
        )
    if "torch_s" in a:
        lines.append(
            f"    vs torch: {a['torch_ratio']:.1f}x, target >= {TORCH_TARGET:g}x: {verdict(a['torch_ratio'] >= TORCH_TARGET)}; "
            f"curves agree to {a['torch_max_abs_gap_over_base']:.1e} of the base lr"
        )
    m = f"{b['steps']:.0e}".replace("+0", "")
    lines += [
        "",
        f"(b) {m} steps of Warmup(Sequential([ByEpoch(MultiStep), CosineWarmRestarts(T_mult=2)]))",
        f"    lrbridge.evaluate: {b['seconds']:.3f} s (median of {len(b['runs'])}), target < {NESTED_TARGET_S:g} s: "
        f"{verdict(b['seconds'] < NESTED_TARGET_S)}",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=10**6, help="steps for (a) (default 1e6)")
    ap.add_argument("--nested-steps", type=int, default=10**7, help="steps for (b) (default 1e7)")
    ap.add_argument("--repeat", type=int, default=7, help="repeats for lrbridge and MindSpore (median)")
    ap.add_argument("--torch-repeat", type=int, default=3, help="repeats for torch (each is --steps scheduler steps)")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-mindspore", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args(argv)

    a = bench_warmup_cosine(args.steps, args.repeat, args.torch_repeat, not args.no_torch, not args.no_mindspore)
    b = bench_nested(args.nested_steps, args.repeat)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
    }
    if args.json:
        print(json.dumps({"meta": meta, "warmup_cosine": a, "nested": b}, indent=2))
    else:
        print(f"lrbridge evaluator benchmark, {meta['date']}, Python {meta['python']}, numpy {meta['numpy']}\n")
        print(report(a, b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
