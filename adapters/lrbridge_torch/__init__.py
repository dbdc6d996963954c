"""PyTorch adapter: IR <-> torch.optim schedulers and param groups.

Public functions (torch is imported only when one is called):
``to_torch(plan, optimizer)``, ``from_torch(scheduler, ...)`` -> ``ImportResult``,
``torch_param_groups(plan, model)``, ``torch_optimizer(plan, model)``,
``plan_from_torch_config(data)`` -> ``ImportResult``, and ``PlanLR`` (the closed-form scheduler).
"""

from __future__ import annotations

from lrbridge.lazy import lazy_exports

_EXPORTS = {
    "to_torch": "export",
    "from_torch": "importer",
    "ImportResult": "importer",
    "stepped_lrs": "tables",
    "torch_param_groups": "params",
    "torch_optimizer": "params",
    "plan_from_torch_config": "config",
    "PlanLR": "scheduler",
    "LrBridgeScheduler": "scheduler",  # former name of PlanLR
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
