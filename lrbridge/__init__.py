"""lrbridge: learning-rate schedules and parameter groups, portable between PyTorch, MindSpore and OneFlow.

The core (this package) is framework-free: a canonical IR of schedules, groups
and optimizer specs (``Plan``), and a vectorized float64 reference evaluator.
Framework adapters live in ``adapters/`` and import their framework lazily.

Names are resolved on first use (PEP 562), so ``import lrbridge`` costs a few
milliseconds and imports neither numpy, pydantic nor any framework.
"""

from __future__ import annotations

from .lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "BackendUnavailableError": "errors",
    "EvaluationError": "errors",
    "LrBridgeError": "errors",
    "PlanError": "errors",
    "UnrepresentableError": "errors",
    "evaluate": "reference",
    "curves": "reference",
    "ParamGroup": "groups",
    "assign_params": "groups",
    "dumps_plan": "io",
    "load_plan": "io",
    "parse_plan": "io",
    "plan_from_dict": "io",
    "plan_to_dict": "io",
    "save_plan": "io",
    "OptimizerSpec": "optim",
    "Horizon": "plan",
    "Plan": "plan",
}
_SCHEDULE_NAMES = (
    "Constant ConstantFactor LinearRamp Step MultiStep Piecewise Exponential NaturalExpDecay "
    "InverseTimeDecay CosineAnnealing CosineDecay CosineWarmRestarts Polynomial OneCycle Cyclic "
    "InverseSqrt Noam Tabulated Sequential Chained Warmup ByEpoch ReduceOnPlateau Schedule"
).split()
_EXPORTS.update({name: "schedules" for name in _SCHEDULE_NAMES})
# Framework adapters (absolute module paths; each imports its framework lazily).
_EXPORTS.update(
    {
        "check": "lrbridge.capability",
        "to_torch": "adapters.torch",
        "from_torch": "adapters.torch",
        "build_torch_param_groups": "adapters.torch",
        "to_mindspore_lr_list": "adapters.mindspore",
        "to_mindspore_schedule": "adapters.mindspore",
        "to_mindspore_group_params": "adapters.mindspore",
        "from_mindspore": "adapters.mindspore",
        "to_oneflow": "adapters.oneflow",
        "from_oneflow": "adapters.oneflow",
    }
)

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
