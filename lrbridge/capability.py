"""Representability: can a backend/mode express a plan exactly? Answered before anything is built.

(Named capability, not check, so that importing it never shadows the function `lrbridge.check`.)
"""

from __future__ import annotations

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


def check(plan, backend: str, mode: str | None = None, **options) -> CheckResult:
    """Whether ``backend`` in ``mode`` can express ``plan`` exactly, with reasons if not.

    Pure IR analysis: needs no framework installed. ``backend`` is any registered backend
    (``lrbridge.backends``); ``mode`` one of its modes (default: its first).
    """
    from .backends import get_backend, resolve
    from .errors import expect_type
    from .plan import Plan

    expect_type(plan, Plan, "check", "plan", "load one with lrbridge.load_plan or lrbridge.load_source")
    spec = get_backend(backend)
    mode = mode or spec.modes[0]
    if mode not in spec.modes:
        return CheckResult(backend, mode, False, [f"{backend} has no mode '{mode}'; modes: {', '.join(spec.modes)}"],
                           f"mode '{spec.modes[0]}'")
    return resolve(spec.check)(plan, mode, **options)
