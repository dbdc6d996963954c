"""Generate docs/support-matrix.md from the adapters' representability checks.

    .venv/bin/python tools/support_matrix.py          # rewrite docs/support-matrix.md
    .venv/bin/python tools/support_matrix.py --check  # exit 1 if the committed file is stale

Framework-free: every cell is ``lrbridge.check(plan, backend, mode)`` on one
representative plan per schedule family, so the table says what the code does.
The measured side (real optimizer steps per family and mode) is in the test suite:
tests/adapters/*/ and tests/conformance/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import lrbridge as L

OUT = Path(__file__).resolve().parents[1] / "docs" / "support-matrix.md"

FAMILIES = {
    "constant": L.Constant(),
    "constant_factor": L.ConstantFactor(factor=0.5, total_iters=10),
    "linear": L.LinearRamp(start_factor=0.1, total_iters=10),
    "linear (from 0)": L.LinearRamp(start_factor=0.0, total_iters=10),
    "step": L.Step(step_size=30, gamma=0.1),
    "multistep": L.MultiStep(milestones=(30, 60), gamma=0.1),
    "piecewise": L.Piecewise(boundaries=(30, 60), values=(0.1, 0.01, 0.001)),
    "exponential": L.Exponential(gamma=0.99),
    "exponential (decay_steps, staircase)": L.Exponential(gamma=0.5, decay_steps=10, staircase=True),
    "natural_exp": L.NaturalExpDecay(decay_rate=0.01),
    "inverse_time": L.InverseTimeDecay(decay_rate=0.1, decay_steps=10),
    "cosine (periodic)": L.CosineAnnealing(T_max=100, eta_min=1e-4),
    "cosine_decay (clamped)": L.CosineDecay(decay_steps=100, alpha=0.01),
    "cosine_restarts": L.CosineWarmRestarts(T_0=10, T_mult=2),
    "cosine_restarts (decay_rate, restart_limit)": L.CosineWarmRestarts(T_0=10, T_mult=2, decay_rate=0.5, restart_limit=3),
    "polynomial": L.Polynomial(total_iters=100, power=2.0),
    "polynomial (end_lr, cycle)": L.Polynomial(total_iters=50, power=1.0, end_lr=1e-4, cycle=True, cycle_min_step=1),
    "one_cycle": L.OneCycle(total_steps=200, max_lr=0.5),
    "cyclic": L.Cyclic(base_lr=0.01, max_lr=0.1, step_size_up=20, mode="triangular2"),
    "inverse_sqrt": L.InverseSqrt(warmup_steps=20),
    "noam": L.Noam(d_model=512.0, warmup_steps=20),
    "tabulated": L.Tabulated(values=tuple(0.1 / (1 + i) for i in range(200))),
    "sequential (restart clock)": L.Sequential(stages=(L.LinearRamp(start_factor=0.1, total_iters=10), L.CosineAnnealing(T_max=190)), milestones=(10,)),
    "sequential (global clock)": L.Sequential(stages=(L.ConstantFactor(factor=0.1, total_iters=10), L.CosineAnnealing(T_max=200)), milestones=(10,), clock="global"),
    "chained": L.Chained(schedules=(L.Step(step_size=50, gamma=0.5), L.Exponential(gamma=0.999))),
    "warmup (prefix)": L.Warmup(schedule=L.CosineAnnealing(T_max=190), warmup_steps=10, warmup_factor=0.1, prefix=True),
    "warmup (no prefix)": L.Warmup(schedule=L.CosineAnnealing(T_max=200), warmup_steps=10, warmup_factor=0.1),
    "by_epoch": L.ByEpoch(schedule=L.MultiStep(milestones=(3, 6), gamma=0.1), steps_per_epoch=20),
    "reduce_on_plateau": L.ReduceOnPlateau(),
}
GROUP_CASES = {
    "groups: different base lrs": dict(groups=(L.ParamGroup(name="a", params=("a.*",), lr=0.01), L.ParamGroup(name="b", rest=True))),
    "groups: lr_scale": dict(groups=(L.ParamGroup(name="a", params=("a.*",), lr_scale=0.1), L.ParamGroup(name="b", rest=True))),
    "groups: different schedules": dict(
        groups=(L.ParamGroup(name="a", params=("a.*",), scheduler=L.Step(step_size=10)), L.ParamGroup(name="b", rest=True))
    ),
}
TARGETS = [
    ("torch", "eager", "torch"),
    ("mindspore", "list", "MindSpore list"),
    ("mindspore", "cell", "MindSpore cell"),
    ("mindspore", "experimental", "MindSpore experimental"),
    ("oneflow", "eager", "OneFlow eager"),
    ("oneflow", "graph", "OneFlow nn.Graph"),
]


def _plan(schedule=L.CosineAnnealing(T_max=200), **extra) -> L.Plan:
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1), scheduler=schedule, horizon=L.Horizon(steps=200), **extra)


def _cell(plan, backend, mode, notes: list[str]) -> str:
    options = {"optimizer": False} if backend == "oneflow" else {}
    result = L.check(plan, backend, mode=mode, **options)
    if result.ok:
        return "yes"
    notes.append(f"{backend} {mode}: " + "; ".join(result.reasons) + (f" — alternative: {result.alternative}" if result.alternative else ""))
    return f"no [{len(notes)}]"


def render() -> str:
    notes: list[str] = []
    head = "| family | " + " | ".join(t[2] for t in TARGETS) + " |\n|---|" + "---|" * len(TARGETS) + "\n"
    rows = []
    for name, schedule in FAMILIES.items():
        rows.append(f"| {name} | " + " | ".join(_cell(_plan(schedule), b, m, notes) for b, m, _ in TARGETS) + " |")
    for name, extra in GROUP_CASES.items():
        rows.append(f"| {name} | " + " | ".join(_cell(_plan(**extra), b, m, notes) for b, m, _ in TARGETS) + " |")
    body = "\n".join(rows)
    foot = "\n".join(f"{i}. {text}" for i, text in enumerate(notes, 1))
    return f"""# Support matrix

Generated by `tools/support_matrix.py` from the adapters' own representability checks
(`lrbridge.check(plan, backend, mode)`); do not edit by hand. "yes" means lrbridge
generates something that applies exactly the plan's lr (by the tolerances in
`docs/conformance.md`); "no" means building it raises `UnrepresentableError` with the
reason below instead of emitting something different. Each family uses one representative
plan (SGD, lr 0.1, 200 steps); reasons can depend on the arguments (e.g. OneFlow's
float-log restart bug only matters past step 121·T_0).

Measured, not just claimed: every "yes" family is run through real optimizer steps in
tests/adapters/torch, tests/adapters/mindspore (PyNative and GRAPH_MODE),
tests/adapters/oneflow (eager and nn.Graph) and tests/conformance (all backends at once).

{head}{body}

Reasons:

{foot}
"""


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run .venv/bin/python tools/support_matrix.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
