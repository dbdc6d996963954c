"""What MindSpore can express exactly, per form, answered from the IR alone (no framework import).

Modes (the lr carrier):
- ``list``: dynamic_lr-style lists (index = global_step), one per group; exact (0 ulp).
- ``cell``: float64 ``LearningRateSchedule`` cells running each family's shared formula (the
  reference's own); within 1 float32 ulp. Kinds without a formula are refused.
- ``experimental``: ``mindspore.experimental.optim`` optimizers driven by lrbridge's
  closed-form scheduler (``PlanLR``); exact (0 ulp), scheduled momentum applied. Native experimental
  schedulers are never emitted for closed forms (they update float32 Parameters recursively and
  drift); a reduce_on_plateau plan gets MindSpore's own ReduceLROnPlateau (``lrbridge.rules``).
"""

from __future__ import annotations

from lrbridge.capability import CheckResult
from lrbridge.rules import plateau_problems, uses_plateau

MODES = ("list", "cell", "experimental")
PLATEAU_ALTERNATIVE = "mindspore.experimental.optim.lr_scheduler.ReduceLROnPlateau stepped by your validation loop"

#: hyperparameters an ``nn`` optimizer group may hold besides params and lr
NN_GROUP_KEYS = ("weight_decay", "grad_centralization")


def _metric_driven(plan) -> list[str]:
    out = []
    for i, g in enumerate(plan.groups):
        for node in plan.group_schedule(g).walk():
            if node.kind == "reduce_on_plateau":
                out.append(
                    f"group '{g.name}' (groups[{i}]): reduce_on_plateau depends on a validation metric, "
                    "so no list or cell can hold it"
                )
    return out


def _without_formula(plan) -> list[str]:
    """Schedules a cell cannot compute: cells run each family's shared formula (``node.formula``), and
    these kinds have none (reduce_on_plateau is reported by ``_metric_driven``)."""
    out = []
    for i, g in enumerate(plan.groups):
        for node in plan.group_schedule(g).walk():
            if node.formula is None and node.kind != "reduce_on_plateau":
                out.append(
                    f"group '{g.name}' (groups[{i}]): schedule '{node.kind}' has no shared formula a float64 "
                    "cell can run; use mode 'list' or 'experimental' (both exact)"
                )
    return out


def group_hparam_problems(plan) -> list[str]:
    """Per-group hyperparameters an ``nn`` optimizer cannot hold per group (it holds only lr and weight_decay).

    A group value equal to the optimizer-level one is fine (it folds into the optimizer).
    """
    out = []
    top = plan.optimizer.resolved()
    for i, g in enumerate(plan.groups):
        for key, value in g.hparams.items():
            if key in NN_GROUP_KEYS:
                continue
            if key in top and _same(top[key], value):
                continue
            out.append(
                f"group '{g.name}' (groups[{i}]) sets {key}={value!r} but MindSpore nn optimizers hold only "
                f"lr, weight_decay and grad_centralization per group (optimizer-level {key}="
                f"{top.get(key, 'unset')!r})"
            )
    return out


def hparam_schedule_problems(plan, api: str) -> list[str]:
    """Why a MindSpore optimizer of ``api`` ('nn' or 'experimental') cannot apply the plan's scheduled
    hyperparameters (empty: ``PlanLR`` applies them all). The one rule behind ``check``,
    ``mindspore_optimizer`` and the generated code.

    Measured: experimental SGD reads a Parameter ``momentum`` at every call (PyNative and
    GRAPH_MODE); nn.Momentum/nn.SGD hold one ``momentum`` Parameter for all groups; a
    Parameter beta1 stops experimental Adam's update and nn.Adam's beta1 is a constant Tensor.
    """
    out = []
    name = plan.optimizer.name
    scheduled = [(i, g, key) for i, g in enumerate(plan.groups) for key in g.hparam_schedulers]
    for i, g, key in scheduled:
        where = f"group '{g.name}' (groups[{i}]) schedules {key}"
        if key == "beta1":
            out.append(f"{where}, but MindSpore Adam/AdamW compile beta1 as a constant (nn: a constant Tensor; "
                       "experimental: a Parameter beta1 stops the update, measured)")
        elif key == "momentum" and name != "sgd":
            out.append(f"{where}, but only MindSpore's SGD/Momentum optimizers are verified to apply a scheduled "
                       f"momentum, not {name}")
        elif key == "weight_decay":
            why = weight_decay_problem(plan, api)
            if why:
                out.append(f"{where}, but {why}")
    if api == "nn" and not out and any(key == "momentum" for _, _, key in scheduled):
        from lrbridge.reference import evaluate_hparam

        n = min(plan.horizon.steps or 4096, 4096)
        rows = evaluate_hparam(plan, "momentum", n)
        unscheduled = [g.name for g in plan.groups if "momentum" not in g.hparam_schedulers]
        if unscheduled or any((r != rows[0]).any() for r in rows):
            out.append("groups schedule different momentum (or some none), but an nn optimizer holds one momentum "
                       "Parameter for all its groups")
    return out


def weight_decay_problem(plan, api: str) -> str | None:
    """Why a MindSpore optimizer of ``api`` cannot apply a scheduled weight decay (None: it can).

    Measured (tests/conformance/test_weight_decay.py), PyNative and GRAPH_MODE: experimental
    Adam/AdamW read a float32 Parameter ``weight_decay`` at every call (``PlanLR`` writes it; a changed
    float is compiled as a constant in GRAPH_MODE); experimental SGD hands weight_decay to ``ops.SGD``
    as a primitive attribute (a constant; a Parameter is refused); ``nn.Momentum`` takes a weight-decay
    Cell per group (MindSpore's dynamic weight decay) and ``nn.SGD`` refuses one.
    """
    name, h = plan.optimizer.name, plan.optimizer.resolved()
    if api == "experimental":
        if name in ("adam", "adamw"):
            return None
        if name == "sgd":
            return ("experimental SGD passes weight_decay to ops.SGD as a constant attribute (GRAPH_MODE ignores a "
                    "changed value and a Parameter is refused, measured); use api='nn' (nn.Momentum takes a "
                    "weight-decay Cell per group)")
        return f"a scheduled weight decay is verified only on experimental Adam/AdamW, not {name}"
    if name == "sgd":
        if h.get("dampening", 0.0) == 0 and not h.get("nesterov", False):
            return None  # nn.Momentum (momentum may be 0), one weight-decay Cell per scheduled group
        return ("SGD with dampening or nesterov maps to nn.SGD, which refuses a weight-decay Cell (TypeError: "
                "dynamic weight decay is not supported); use api='experimental' with Adam/AdamW or dampening 0")
    return f"a scheduled weight decay is verified only on nn.Momentum (SGD), not nn {name}"


def hparam_schedule_note(plan, held=()) -> str | None:
    """What an lr-only artifact (list, cell, json, npy) says about scheduled hyperparameters it does not carry
    (``held``: those the artifact does carry, e.g. group_params' weight-decay Cells)."""
    names = sorted({k for g in plan.groups for k in g.hparam_schedulers} - set(held))
    if not names:
        return None
    return (f"lr only: the plan also schedules {', '.join(names)}, which this lr carrier does not hold; "
            "mindspore_optimizer(plan, net) applies scheduled momentum/weight_decay (PlanLR, or a weight-decay "
            "Cell in nn group_params) or refuses, saying why")


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def check(plan, mode: str | None = None, *, total_step: int | None = None, **_options) -> CheckResult:
    """Whether ``plan`` can be expressed exactly in MindSpore as ``mode`` (default ``list``)."""
    mode = mode or "list"
    if mode not in MODES:
        from lrbridge.errors import LrBridgeError

        raise LrBridgeError(f"unknown MindSpore mode '{mode}'; accepted: {', '.join(MODES)}")
    reasons = _metric_driven(plan) if mode != "experimental" else []
    notes: list[str] = []
    alternative = None
    if mode in ("list", "cell"):
        reasons += group_hparam_problems(plan)
        note = hparam_schedule_note(plan)
        if note:
            notes.append(note)
    h = plan.horizon
    if mode == "list":
        steps = total_step if total_step is not None else h.steps
        if steps is None:
            reasons.append("a list needs its length: the plan sets no horizon.steps; pass total_step")
        elif h.steps is not None and steps < h.steps:
            reasons.append(
                f"total_step={steps} is shorter than the plan's horizon of {h.steps} steps: MindSpore would stop "
                f"at step {steps} with a Gather index error; pass total_step >= {h.steps}"
            )
        notes.append("lists are exact: MindSpore stores them as float32, the reference rounded (0 ulp)")
    elif mode == "cell":
        reasons += _without_formula(plan)
        if h.past == "error":
            notes.append(f"horizon: steps 0..{h.steps - 1} apply the plan; from step {h.steps} on the cell gives NaN "
                         "(a compiled cell cannot raise; an update applying NaN is never a silently wrong number)")
        notes.append("cells compute in float64 and cast once to float32: within 1 ulp of the reference")
    elif uses_plateau(plan):  # MindSpore's own ReduceLROnPlateau, the rule torch and OneFlow follow too
        reasons += plateau_problems(plan) + hparam_schedule_problems(plan, "experimental")
        if any(g.hparam_schedulers for g in plan.groups):
            reasons.append("scheduled hyperparameters need PlanLR, which cannot run beside a metric-driven lr")
        notes.append("reduce_on_plateau: mindspore_optimizer builds MindSpore's own ReduceLROnPlateau on the "
                     "experimental optimizer; call scheduler.step(metric) after each validation")
    else:
        reasons += hparam_schedule_problems(plan, "experimental")
        notes.append(
            "experimental: lrbridge's PlanLR writes fp32(reference) into each group's lr every step (0 ulp); "
            "native experimental schedulers are not used (float32 recursions drift, last_epoch stops at 2^24, "
            "no ChainedScheduler/OneCycleLR/state_dict)"
        )
        if any(g.hparam_schedulers for g in plan.groups) and not reasons:
            names = sorted({k for g in plan.groups for k in g.hparam_schedulers})
            notes.append(f"scheduled {', '.join(names)} applied: PlanLR writes each into a float32 Parameter per "
                         "group every step")
        if h.past == "error":
            notes.append(
                f"horizon: stepping PlanLR to step {h.steps} is allowed; past it PlanLR writes NaN as the lr and its "
                "next step() raises, naming the step (MindSpore has no optimizer hook that survives GRAPH_MODE)"
            )
    if reasons and alternative is None and any("reduce_on_plateau" in r for r in reasons):
        alternative = PLATEAU_ALTERNATIVE
    return CheckResult(backend="mindspore", mode=mode, ok=not reasons, reasons=reasons, alternative=alternative, notes=notes)
