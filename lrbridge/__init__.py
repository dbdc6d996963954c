"""lrbridge: learning-rate schedules and parameter groups, portable between PyTorch, MindSpore and OneFlow.

The core (this package) is framework-free: a canonical IR of schedules, groups
and optimizer specs (``Plan``), and a vectorized float64 reference evaluator.
Framework backends are plugins (``lrbridge.backends``, entry point group
``lrbridge.backends``): the bundled ones are ``lrbridge_torch``, ``lrbridge_mindspore``
and ``lrbridge_oneflow``; their conveniences (``lrbridge.to_torch``, ...) resolve
through the registry.

Names are resolved on first use (PEP 562), so ``import lrbridge`` costs a few
milliseconds and imports neither numpy, pydantic nor any framework.
"""

from __future__ import annotations

from .lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "ArgumentTypeError": "errors",
    "BackendUnavailableError": "errors",
    "LimitError": "errors",
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
_EXPORTS["check"] = "capability"
_EXPORTS.update({"from_trace": "recognize", "trace": "tracing", "Trace": "tracing"})
_EXPORTS.update({"load_source": "convert", "register_backend": "backends", "Backend": "backends"})

__all__ = sorted(_EXPORTS)

_core_getattr, _core_dir = lazy_exports(__name__, _EXPORTS)


def __getattr__(name: str):
    """Core names first; then the conveniences registered backends export (``to_torch``, ``from_mindspore``, ...)."""
    if name in _EXPORTS:
        return _core_getattr(name)
    if name.startswith("__"):
        raise AttributeError(name)
    from .backends import public_export

    value = public_export(name)
    if value is None:
        raise AttributeError(f"module 'lrbridge' has no attribute '{name}'")
    return value


def __dir__():
    from .backends import public_export_names

    return sorted(set(_core_dir()) | set(public_export_names()))
