"""Can OneFlow express a plan exactly, eager or in nn.Graph? Framework-free (see ``export``).

Eager expresses every evaluable plan (OneFlow's own classes, else lrbridge's
closed-form ``PlanLR``). nn.Graph compiles only the conf kinds of its C++ kernel,
copies one conf into every group, and applies per-group base lr and lr_scale;
``check`` lists every reason a plan falls outside that, with the closest exact
alternative. The optimizer mapping is checked too (OneFlow SGD dampens the
first momentum step; RMSprop has no momentum).
"""

from __future__ import annotations

from lrbridge.capability import CheckResult

from .export import export
from .optim import optimizer_problems

MODES = ("eager", "graph")


def check(plan, mode: str | None = None, *, optimizer: bool = True, **_options) -> CheckResult:
    """Representability of ``plan`` in OneFlow ``mode`` ("eager" default, or "graph").

    ``optimizer=False`` leaves the optimizer mapping out (``to_oneflow`` schedules an
    optimizer the caller already built); so does an ``external:`` optimizer (always the caller's).
    """
    mode = mode or "eager"
    if mode not in MODES:
        return CheckResult("oneflow", mode, False, [f"OneFlow has no mode '{mode}'; modes: {', '.join(MODES)}"], "mode 'eager' or 'graph'")
    ex = export(plan, mode)
    reasons = list(ex.reasons)
    alternative = ex.alternative
    notes = list(ex.notes)
    if optimizer and plan.optimizer.is_external:
        # an optimizer lrbridge does not build is the user's own: only its schedule is lrbridge's to check
        notes.append(f"{plan.optimizer.name}: build it over lrbridge.oneflow_param_groups; PlanLR schedules it")
    elif optimizer:
        problems = optimizer_problems(plan)
        reasons += problems
        if problems and not alternative:
            alternative = "the optimizer settings named (e.g. SGD dampening 0), which OneFlow applies as torch does"
    return CheckResult("oneflow", mode, not reasons, reasons, alternative if reasons else None, notes)
