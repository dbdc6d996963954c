"""Errors lrbridge raises. Each says what is wrong, where, and how to fix it."""

from __future__ import annotations


class LrBridgeError(Exception):
    """Base class of every error lrbridge raises on purpose."""


class PlanError(LrBridgeError, ValueError):
    """A plan document or schedule argument is invalid.

    ``path`` locates the field (``scheduler.stages[1].milestones``).
    """

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class EvaluationError(LrBridgeError, ValueError):
    """A plan cannot be evaluated at the requested steps (metric-driven, past the horizon, ...)."""


class UnrepresentableError(LrBridgeError, ValueError):
    """A target framework/mode cannot express a plan exactly.

    Raised instead of emitting something that would silently differ.
    ``reasons`` lists every problem found, each naming the group and step where it applies.
    """

    def __init__(self, target: str, reasons: list[str], alternative: str | None = None):
        self.target = target
        self.reasons = list(reasons)
        self.alternative = alternative
        text = f"{target} cannot express this plan exactly: " + "; ".join(self.reasons)
        if alternative:
            text += f". Closest exact alternative: {alternative}"
        super().__init__(text)


class BackendUnavailableError(LrBridgeError, RuntimeError):
    """A framework backend cannot be imported or started."""
