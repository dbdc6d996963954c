"""MindSpore adapter: IR <-> dynamic_lr lists, LearningRateSchedule cells, group_params, experimental.optim.

Names resolve lazily (PEP 562): importing this package imports no framework;
mindspore is imported by the functions that need it.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "to_mindspore_lr_list": "lists",
    "to_mindspore_lr_array": "lists",
    "to_mindspore_schedule": "schedule",
    "to_mindspore_group_params": "params",
    "GroupParams": "params",
    "to_mindspore_optimizer": "optim",
    "map_optimizer": "optim",
    "MappedOptimizer": "optim",
    "ExactLR": "experimental",
    "from_mindspore": "importer",
    "check": "capability",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'adapters.mindspore' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
