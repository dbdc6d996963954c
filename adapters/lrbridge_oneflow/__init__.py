"""OneFlow adapter: IR <-> OneFlow eager schedulers and nn.Graph (lr_scale), across two interpreters.

OneFlow 0.9 runs only under Python 3.10 (``.venv-oneflow``). Framework-free here
(any interpreter): ``check`` (``capability``), ``generate_code`` / ``render``
(``codegen``), ``schedule_from_spec`` / ``plan_from_specs`` (``importer``) and the
conformance ``RUNNER`` (``runner``, which drives the worker). Inside the OneFlow
interpreter: ``to_oneflow(plan, optimizer, graph=False)``, ``from_oneflow(obj)``,
``oneflow_optimizer(plan, model)``, ``oneflow_param_groups`` and ``PlanLR``
(``live``, which imports oneflow). Names resolve on first use.
"""

from __future__ import annotations

from lrbridge.lazy import lazy_exports

_EXPORTS = {
    "to_oneflow": "live",
    "oneflow_optimizer": "live",
    "oneflow_param_groups": "live",
    "PlanLR": "live",
    "from_oneflow": "importer",
    "ImportResult": "importer",
    "schedule_from_spec": "importer",
    "plan_from_specs": "importer",
    "check": "capability",
    "generate_code": "codegen",
    "render": "codegen",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
