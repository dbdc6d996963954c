"""The PyTorch config dialect (``--from torch``), as the core's dialect table sees it.

Detection reads the parsed document only; ``to_plan`` builds real torch objects
(``config.plan_from_torch_config``), so torch is imported there and nowhere else.
"""

from __future__ import annotations

NAME = "torch"
ALIASES = ("pytorch",)


def detect(data) -> bool:
    """The PyTorch dialect names classes with ``type``; a plan has ``version``/``name``/``kind``."""
    if not isinstance(data, dict):
        return False
    opt, sched = data.get("optimizer"), data.get("scheduler")
    return (isinstance(opt, dict) and "type" in opt) or (isinstance(sched, dict) and "type" in sched)


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    from .config import plan_from_torch_config

    if isinstance(data, dict) and (steps is not None or steps_per_epoch is not None):
        data = {**data, **({"steps": steps} if steps is not None else {}),
                **({"steps_per_epoch": steps_per_epoch} if steps_per_epoch is not None else {})}
    return plan_from_torch_config(data)
