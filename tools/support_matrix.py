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
from lrbridge.schedules.examples import FAMILIES as EXAMPLES

OUT = Path(__file__).resolve().parents[1] / "docs" / "support-matrix.md"

FAMILIES = EXAMPLES
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


#: scheduled hyperparameters: torch's OneCycleLR cycling (momentum 0.95 -> 0.85 -> 0.95) on SGD / Adam,
#: and a cosine weight decay (mmengine's CosineAnnealingParamScheduler(param_name='weight_decay'))
_CYCLE = L.OneCycle(total_steps=200, max_lr=0.85, div_factor=0.85 / 0.95, final_div_factor=1.0)
_DECAY = L.CosineAnnealing(T_max=200)
HPARAM_CASES = {
    "momentum (SGD)": ("sgd", "momentum", _CYCLE),
    "beta1 (Adam)": ("adam", "beta1", _CYCLE),
    "weight decay (SGD)": ("sgd", "weight_decay", _DECAY),
    "weight decay (AdamW)": ("adamw", "weight_decay", _DECAY),
}
#: the MindSpore ``nn`` optimizer ``mindspore_optimizer(plan, net, api='nn')`` builds: not a check mode
#: (lists and cells are its lr carriers), so its row asks the rule that builder applies
NN_TARGET = ("mindspore", "nn", "MindSpore nn optimizer")


def _hparam_plan(optimizer: str, name: str, schedule) -> L.Plan:
    group = L.ParamGroup(name="default", rest=True, hparam_schedulers={name: schedule})
    return L.Plan(optimizer=L.OptimizerSpec(name=optimizer, lr=0.1, hparams={"weight_decay": 0.05}), groups=(group,),
                  scheduler=L.OneCycle(total_steps=200, max_lr=1.0), horizon=L.Horizon(steps=200))  # fmt: skip


def _hparam_cell(plan, backend, mode, notes: list[str]) -> str:
    if (backend, mode) == NN_TARGET[:2]:
        from lrbridge_mindspore.capability import hparam_schedule_problems  # framework-free

        reasons = hparam_schedule_problems(plan, "nn")
        if not reasons:
            return "applied"
        notes.append(f"{backend} {mode}: " + "; ".join(reasons))
        return f"refused [{len(notes)}]"
    options = {"optimizer": False} if backend == "oneflow" else {}
    result = L.check(plan, backend, mode=mode, **options)
    if result.ok:
        return "lr only (noted)" if any("lr only" in n for n in result.notes) else "applied"
    notes.append(f"{backend} {mode}: " + "; ".join(result.reasons))
    return f"refused [{len(notes)}]"


def render_hparams(notes: list[str]) -> str:
    """Scheduled hyperparameters: one row per target, one column per hyperparameter and optimizer."""
    head = "| target | " + " | ".join(HPARAM_CASES) + " |\n|---|" + "---|" * len(HPARAM_CASES) + "\n"
    rows = []
    for backend, mode, label in [*TARGETS, NN_TARGET]:
        cells = [_hparam_cell(_hparam_plan(*case), backend, mode, notes) for case in HPARAM_CASES.values()]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return head + "\n".join(rows)


def render() -> str:
    notes: list[str] = []
    head = "| family | " + " | ".join(t[2] for t in TARGETS) + " |\n|---|" + "---|" * len(TARGETS) + "\n"
    rows = []
    for name, schedule in FAMILIES.items():
        rows.append(f"| {name} | " + " | ".join(_cell(_plan(schedule), b, m, notes) for b, m, _ in TARGETS) + " |")
    for name, extra in GROUP_CASES.items():
        rows.append(f"| {name} | " + " | ".join(_cell(_plan(**extra), b, m, notes) for b, m, _ in TARGETS) + " |")
    body = "\n".join(rows)
    hparams = render_hparams(notes)
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
tests/adapters/lrbridge_torch, tests/adapters/lrbridge_mindspore (PyNative and GRAPH_MODE),
tests/adapters/lrbridge_oneflow (eager and nn.Graph) and tests/conformance (all backends at once).

{head}{body}

## Scheduled hyperparameters

A group's `hparam_schedulers` (torch's CyclicLR/OneCycleLR cycle momentum, or Adam's
beta1, by default; mmengine's `param_name='weight_decay'` schedulers) are applied by the
optimizer-building exports or refused with the reason; never dropped. "applied": the
closed-form `PlanLR` (or torch's own CyclicLR, verified) writes them every step (MindSpore:
into a float32 Parameter; `nn.Momentum`: a weight-decay Cell per group), measured from
parameter updates in tests/conformance/test_momentum.py and test_weight_decay.py.
"lr only (noted)": the artifact carries the lr alone (MindSpore lists and cells, every
`--format json|npy` table) and its notes name what it leaves out; `mindspore_optimizer`
builds the optimizer that applies it (the "MindSpore nn optimizer" row, or experimental).

{hparams}

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
