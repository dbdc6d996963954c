"""MindSpore adapter: IR <-> dynamic_lr lists, LearningRateSchedule cells, group_params, experimental.optim.

Names resolve lazily (PEP 562): importing this package imports no framework;
mindspore is imported by the functions that need it.
"""

from __future__ import annotations

from lrbridge.lazy import lazy_exports

_EXPORTS = {
    "to_mindspore_lr_list": "lists",
    "to_mindspore_lr_array": "lists",
    "to_mindspore_schedule": "schedule",
    "mindspore_param_groups": "params",
    "GroupParams": "params",
    "mindspore_optimizer": "optim",
    "map_optimizer": "optim",
    "MappedOptimizer": "optim",
    "PlanLR": "experimental",
    "ExactLR": "experimental",  # former name of PlanLR
    "from_mindspore": "importer",
    "check": "capability",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
