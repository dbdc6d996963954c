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

    def under(self, root: str) -> "PlanError":
        """The same error located under ``root`` (a config's path to where this part came from)."""
        path = f"{root}.{self.path}" if root and self.path and not self.path.startswith("[") else f"{root}{self.path}"
        return type(self)(path, self.message)


class EvaluationError(LrBridgeError, ValueError):
    """A plan cannot be evaluated at the requested steps (metric-driven, past the horizon, ...)."""


class LimitError(PlanError, EvaluationError):
    """A request exceeds one of lrbridge's documented limits (``lrbridge.limits``, docs/limits.md).

    Raised before the work starts, never after memory or time ran out.
    """


class ArgumentTypeError(LrBridgeError, TypeError):
    """A public function got an argument of the wrong type. Names the function, argument and expected type."""


def expect_type(value, expected, func: str, arg: str, hint: str = ""):
    """``value`` when it is an instance of ``expected`` (a type or a tuple of types), else an
    ``ArgumentTypeError`` naming the function, the argument and the expected type.

    Booleans never pass for numbers (``True`` is an int to Python, never a step count to us).
    """
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, types) and not (isinstance(value, bool) and bool not in types):
        return value
    wanted = " or ".join(type_name(t) for t in types)
    raise ArgumentTypeError(f"{func}: {arg} must be {wanted}, got {type_name(type(value))}" + (f"; {hint}" if hint else ""))


def type_name(t) -> str:
    """``int``, ``lrbridge.Plan`` (lrbridge's public name), ``torch.optim.optimizer.Optimizer``."""
    module = getattr(t, "__module__", "builtins")
    if module == "builtins":
        return t.__qualname__
    if module.startswith("lrbridge."):
        module = "lrbridge"
    return f"{module}.{t.__qualname__}"


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
