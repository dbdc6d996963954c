"""Benchmark ``import lrbridge`` in fresh interpreters, and check that it imports no framework.

Each run starts a new Python process (so nothing is cached in sys.modules) and times
the import statement alone with time.perf_counter inside that process; the whole
process lifetime (interpreter start included) is reported next to it, with a bare
``python -c pass`` as the baseline. Target: median import < 100 ms, and none of
torch, mindspore, oneflow (nor numpy, pydantic) imported by it.

    .venv/bin/python benchmarks/bench_import.py [--repeat 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMEWORKS = ("torch", "mindspore", "oneflow")
HEAVY = ("numpy", "pydantic", "yaml", "typer", "rich", "matplotlib")
TARGET_MS = 100.0

PROBE = """
import sys, time, json
t0 = time.perf_counter()
import lrbridge
dt = time.perf_counter() - t0
top = {m.split('.')[0] for m in sys.modules}
print(json.dumps({"import_s": dt, "frameworks": sorted(top & set(%r)), "heavy": sorted(top & set(%r))}))
""" % (FRAMEWORKS, HEAVY)


def run_once(code: str) -> tuple[float, str]:
    """(process wall seconds, stdout) of ``python -c code`` in a fresh interpreter."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return time.perf_counter() - t0, proc.stdout


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=20, help="fresh processes per measurement (median; at least 10)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    repeat = max(args.repeat, 10)

    imports, walls, bare, frameworks, heavy = [], [], [], set(), set()
    for _ in range(repeat):
        bare.append(run_once("pass")[0])
        wall, out = run_once(PROBE)
        doc = json.loads(out.strip().splitlines()[-1])
        imports.append(doc["import_s"])
        walls.append(wall)
        frameworks.update(doc["frameworks"])
        heavy.update(doc["heavy"])

    res = {
        "repeat": repeat,
        "python": sys.version.split()[0],
        "import_ms_median": statistics.median(imports) * 1e3,
        "import_ms_min": min(imports) * 1e3,
        "import_ms_max": max(imports) * 1e3,
        "process_ms_median": statistics.median(walls) * 1e3,
        "bare_python_ms_median": statistics.median(bare) * 1e3,
        "frameworks_imported": sorted(frameworks),
        "heavy_imported": sorted(heavy),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    ok = res["import_ms_median"] < TARGET_MS and not frameworks
    res["meets_target"] = ok
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"import lrbridge, {repeat} fresh processes, Python {res['python']}, {res['date']}")
        print(f"  import statement:       median {res['import_ms_median']:.1f} ms (min {res['import_ms_min']:.1f}, max {res['import_ms_max']:.1f})")
        print(f"  whole process:          median {res['process_ms_median']:.1f} ms (bare 'python -c pass': {res['bare_python_ms_median']:.1f} ms)")
        print(f"  frameworks imported:    {', '.join(res['frameworks_imported']) or 'none'}")
        print(f"  numpy/pydantic/... imported: {', '.join(res['heavy_imported']) or 'none'}")
        print(f"  target < {TARGET_MS:g} ms and no framework: {'meets target' if ok else 'MISSES target'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
