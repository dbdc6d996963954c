"""Representability: can a backend/mode express a plan exactly? Answered before anything is built.

(Named capability, not check, so that importing it never shadows the function `lrbridge.check`.)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field


@dataclass
class CheckResult:
    """``ok`` when the target expresses the plan exactly; otherwise ``reasons`` (each naming the
    group/step/node concerned) and the closest exact ``alternative``."""

    backend: str
    mode: str
    ok: bool
    reasons: list[str] = field(default_factory=list)
    alternative: str | None = None
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def raise_if_not_ok(self):
        if not self.ok:
            from .errors import UnrepresentableError

            raise UnrepresentableError(f"{self.backend} ({self.mode})", self.reasons, self.alternative)
        return self


# backend -> module with a framework-free ``check(plan, mode, **options) -> CheckResult``
_CHECKERS = {
    "torch": "adapters.torch.capability",
    "mindspore": "adapters.mindspore.capability",
    "oneflow": "adapters.oneflow.capability",
}


def check(plan, backend: str, mode: str | None = None, **options) -> CheckResult:
    """Whether ``backend`` in ``mode`` can express ``plan`` exactly, with reasons if not.

    Pure IR analysis: needs no framework installed.
    """
    module = _CHECKERS.get(backend)
    if module is None:
        from .errors import LrBridgeError

        raise LrBridgeError(f"unknown backend '{backend}'; known: {', '.join(_CHECKERS)}")
    return importlib.import_module(module).check(plan, mode, **options)
