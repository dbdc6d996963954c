"""What MindSpore can express exactly, per form, answered from the IR alone (no framework import).

Modes (the lr carrier):
- ``list``: dynamic_lr-style lists (index = global_step), one per group; exact (0 ulp).
- ``cell``: generated float64 ``LearningRateSchedule`` cells; within 1 float32 ulp.
- ``experimental``: ``mindspore.experimental.optim`` optimizers driven by lrbridge's
  closed-form scheduler (``ExactLR``); exact (0 ulp). Native experimental
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


def group_hparam_problems(plan) -> list[str]:
    """Per-group hyperparameters an ``nn`` optimizer cannot hold per group (it holds only lr and weight_decay).

    A group value equal to the optimizer-level one is fine (it folds into the optimizer).
    """
    out = []
    top = plan.optimizer.resolved()
    for i, g in enumerate(plan.groups):
        for key in getattr(g, "hparam_schedulers", {}) or {}:
            out.append(
                f"group '{g.name}' (groups[{i}]) schedules {key}, but MindSpore optimizers hold {key} fixed "
                "for the whole run"
            )
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
        if h.past == "error":
            reasons.append(
                f"horizon.past is 'error' but a cell cannot stop training at step {h.steps}; a list of "
                f"{h.steps} steps does (MindSpore raises a Gather index error past its end)"
            )
            alternative = "mode 'list' with total_step = horizon.steps, or horizon.past 'hold' / 'continue'"
        notes.append("cells compute in float64 and cast once to float32: within 1 ulp of the reference")
    else:
        notes.append(
            "experimental: lrbridge's ExactLR writes fp32(reference) into each group's lr every step (0 ulp); "
            "native experimental schedulers are not used (float32 recursions drift, last_epoch stops at 2^24, "
            "no ChainedScheduler/OneCycleLR/state_dict)"
        )
    if reasons and alternative is None and any("reduce_on_plateau" in r for r in reasons):
        alternative = "mindspore.experimental.optim.lr_scheduler.ReduceLROnPlateau stepped by your validation loop"
    return CheckResult(backend="mindspore", mode=mode, ok=not reasons, reasons=reasons, alternative=alternative, notes=notes)
