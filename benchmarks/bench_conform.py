"""Conformance at scale: random plans x every CPU target, end to end, timed per target.

    .venv/bin/python benchmarks/bench_conform.py                      # 1000 plans, every CPU target
    .venv/bin/python benchmarks/bench_conform.py --plans 100 --latency
    .venv/bin/python benchmarks/bench_conform.py --plans 100 --targets torch/eager/cpu oneflow/eager/cpu
    .venv/bin/python benchmarks/bench_conform.py --plans 100 --together   # all targets in one call, as users get

Plans come from ``lrbridge.random_plans`` (the property test's generator: horizons log-uniform
up to --max-steps, 1-4 groups, nested composites, every schedule kind and horizon policy).
Each target is measured on its own (``run_matrix_many`` over all plans: check, reference,
batched measurement, comparison), so the figures split per target; the total is their sum.
``--together`` times every target in one ``run_matrix_many`` call instead, which is what
``lrbridge conform`` does: OneFlow's worker measures beside the in-process backends.
``--latency`` also times ``lrbridge conform examples/warmup_cosine.yaml`` (the whole matrix
for one plan, a fresh process). The machine load is printed: the figures mean little without it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_targets(names=None):
    from lrbridge.conformance.engine import Target
    from lrbridge.conformance.matrix import default_targets

    if names:
        return [Target(*n.split("/")) for n in names]
    return [t for t in default_targets() if t.device == "cpu"]


def bench_target(cases, target) -> dict:
    """Measure every case on one target; wall and CPU seconds, statuses, the first failures."""
    from lrbridge.conformance.matrix import run_matrix_many

    w0, c0 = time.perf_counter(), time.process_time()
    results = run_matrix_many(cases, targets=[target])
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    status = collections.Counter(r.cells[0].status if r.cells else "plan error" for r in results)
    steps = sum(r.steps for r in results if r.cells and r.cells[0].status in ("ok", "mismatch"))
    failures = [f"plan {r.index}: {r.cells[0].status}: {r.cells[0].detail[:160]}" for r in results
                if r.cells and r.cells[0].status in ("mismatch", "error")]
    return {"target": str(target), "wall_s": round(wall, 1), "cpu_s_main": round(cpu, 1), "status": dict(status),
            "measured_plan_steps": steps, "failures": failures[:5]}


def bench_together(cases, targets) -> dict:
    """Every target in one ``run_matrix_many`` call, as ``lrbridge conform`` runs them: backends that measure
    out of process (OneFlow's worker) run beside the in-process ones. Wall and CPU seconds, statuses."""
    from lrbridge.conformance.matrix import run_matrix_many

    w0, c0 = time.perf_counter(), time.process_time()
    results = run_matrix_many(cases, targets=targets)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    status = collections.Counter(c.status for r in results for c in r.cells)
    failures = [f"plan {r.index} {c.target}: {c.status}: {c.detail[:160]}" for r in results for c in r.cells
                if c.status in ("mismatch", "error")]
    return {"targets": [str(t) for t in targets], "wall_s": round(wall, 1), "cpu_s_main": round(cpu, 1),
            "status": dict(status), "failures": failures[:5]}


def latency(source: str = "examples/warmup_cosine.yaml") -> float:
    """Wall seconds of ``lrbridge conform SOURCE`` in a fresh process (the whole default matrix)."""
    exe = str(Path(sys.executable).with_name("lrbridge"))
    t0 = time.perf_counter()
    subprocess.run([exe, "conform", source], cwd=ROOT, capture_output=True, text=True, timeout=1800)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=5000)
    ap.add_argument("--targets", nargs="*", help="backend/mode/device[/form] (default: every CPU target)")
    ap.add_argument("--latency", action="store_true", help="also time `lrbridge conform examples/warmup_cosine.yaml`")
    ap.add_argument("--together", action="store_true",
                    help="time every target in one run_matrix_many call (what `lrbridge conform` does) instead of one by one")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    args = ap.parse_args(argv)
    os.environ.setdefault("GLOG_v", "3")

    from lrbridge.random_plans import random_cases

    load_before = os.getloadavg()
    cases = list(random_cases(args.plans, seed=args.seed, max_steps=args.max_steps))
    steps = [s for _, s in cases]
    group_steps = sum(len(p.groups) * s for p, s in cases)
    print(f"{len(cases)} plans, seed {args.seed}: steps mean {sum(steps) / len(steps):.0f}, max {max(steps)}; "
          f"{group_steps} group-steps; {os.cpu_count()} CPUs, load average {load_before[0]:.1f}", flush=True)
    if args.together:
        row = bench_together(cases, cpu_targets(args.targets))
        print(f"  all {len(row['targets'])} targets together: {row['wall_s']:.1f} s wall, {row['cpu_s_main']:.1f} s CPU "
              f"in the main process  {row['status']}", flush=True)
        for f in row["failures"]:
            print(f"      {f}", flush=True)
        out = {"plans": len(cases), "seed": args.seed, "max_steps": args.max_steps, "group_steps": group_steps,
               "cpus": os.cpu_count(), "load_before": load_before, "together": row}
        if args.latency:
            out["latency_warmup_cosine_s"] = round(latency(), 1)
            print(f"one plan, `lrbridge conform examples/warmup_cosine.yaml`: {out['latency_warmup_cosine_s']} s wall", flush=True)
        out["load_after"] = os.getloadavg()
        print(f"load average after: {out['load_after'][0]:.1f}")
        if args.json:
            args.json.write_text(json.dumps(out, indent=2))
        return 0
    rows = []
    for target in cpu_targets(args.targets):
        row = bench_target(cases, target)
        rows.append(row)
        print(f"  {row['target']:<38} {row['wall_s']:>8.1f} s wall  {row['status']}", flush=True)
        for f in row["failures"]:
            print(f"      {f}", flush=True)
    total = sum(r["wall_s"] for r in rows)
    by_backend = collections.Counter()
    for r in rows:
        by_backend[r["target"].split("/")[0]] += r["wall_s"]
    print(f"total {total:.1f} s for {len(cases)} plans x {len(rows)} targets; per backend: "
          + ", ".join(f"{b} {s:.1f} s" for b, s in by_backend.items()), flush=True)
    out = {"plans": len(cases), "seed": args.seed, "max_steps": args.max_steps, "group_steps": group_steps,
           "cpus": os.cpu_count(), "load_before": load_before, "load_after": os.getloadavg(), "targets": rows,
           "total_wall_s": round(total, 1), "per_backend_wall_s": dict(by_backend)}
    if args.latency:
        out["latency_warmup_cosine_s"] = round(latency(), 1)
        print(f"one plan, `lrbridge conform examples/warmup_cosine.yaml`: {out['latency_warmup_cosine_s']} s wall", flush=True)
    print(f"load average after: {out['load_after'][0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
