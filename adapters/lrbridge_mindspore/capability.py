"""What MindSpore can express exactly, per form, answered from the IR alone (no framework import).

Modes (the lr carrier):
- ``list``: dynamic_lr-style lists (index = global_step), one per group; exact (0 ulp).
- ``cell``: float64 ``LearningRateSchedule`` cells running each family's shared formula (the
  reference's own); within 1 float32 ulp. Kinds without a formula are refused.
- ``experimental``: ``mindspore.experimental.optim`` optimizers driven by lrbridge's
  closed-form scheduler (``PlanLR``); exact (0 ulp), scheduled momentum applied. Native experimental
  schedulers are never emitted: they update float32 Parameters recursively and drift.
"""

from __future__ import annotations

from lrbridge.capability import CheckResult

MODES = ("list", "cell", "experimental")

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
    if api == "nn" and not out and any(key == "momentum" for _, _, key in scheduled):
        from lrbridge.reference import evaluate_hparam

        n = min(plan.horizon.steps or 4096, 4096)
        rows = evaluate_hparam(plan, "momentum", n)
        unscheduled = [g.name for g in plan.groups if "momentum" not in g.hparam_schedulers]
        if unscheduled or any((r != rows[0]).any() for r in rows):
            out.append("groups schedule different momentum (or some none), but an nn optimizer holds one momentum "
                       "Parameter for all its groups")
    return out


def hparam_schedule_note(plan) -> str | None:
    """What an lr-only artifact (list, cell, json, npy) says about scheduled hyperparameters it does not carry."""
    names = sorted({k for g in plan.groups for k in g.hparam_schedulers})
    if not names:
        return None
    return (f"lr only: the plan also schedules {', '.join(names)}, which this lr carrier does not hold; "
            "mindspore_optimizer(plan, net) applies a scheduled momentum through PlanLR (or refuses, saying why)")


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
    reasons = _metric_driven(plan)
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
            reasons.append(
                f"horizon.past is 'error' but a cell cannot stop training at step {h.steps}; a list of "
                f"{h.steps} steps does (MindSpore raises a Gather index error past its end)"
            )
            alternative = "mode 'list' with total_step = horizon.steps, or horizon.past 'hold' / 'continue'"
        notes.append("cells compute in float64 and cast once to float32: within 1 ulp of the reference")
    else:
        reasons += hparam_schedule_problems(plan, "experimental")
        notes.append(
            "experimental: lrbridge's PlanLR writes fp32(reference) into each group's lr every step (0 ulp); "
            "native experimental schedulers are not used (float32 recursions drift, last_epoch stops at 2^24, "
            "no ChainedScheduler/OneCycleLR/state_dict)"
        )
        if any(g.hparam_schedulers for g in plan.groups) and not reasons:
            notes.append("scheduled momentum applied: PlanLR writes it into a momentum Parameter per group every step")
        if h.past == "error":
            notes.append(
                f"horizon: stepping PlanLR to step {h.steps} is allowed; past it PlanLR writes NaN as the lr and its "
                "next step() raises, naming the step (MindSpore has no optimizer hook that survives GRAPH_MODE)"
            )
    if reasons and alternative is None and any("reduce_on_plateau" in r for r in reasons):
        alternative = "mindspore.experimental.optim.lr_scheduler.ReduceLROnPlateau stepped by your validation loop"
    return CheckResult(backend="mindspore", mode=mode, ok=not reasons, reasons=reasons, alternative=alternative, notes=notes)
