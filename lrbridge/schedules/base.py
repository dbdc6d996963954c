"""The base every schedule node derives from.

A schedule maps the optimizer step ``k`` (k = 0 is the lr the first optimizer
step applies) and the group's base lr ``b`` to the lr applied at step k.
Nodes are immutable pydantic models validated at construction, tagged by
``kind`` so that plans serialize to JSON/YAML and back.

``lr(k, base)`` is vectorized: ``k`` is a float64 array of steps (exact for
integers below 2**53) and ``base`` broadcasts against it, so one call computes
every group (``base`` of shape ``(G, 1)``) at every step.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_serializer, model_validator

from ..limits import MAX_SCHEDULE_DEPTH, MAX_STEP
from .xp import Formula

# Strict scalars: a plan saying ``step_size: "5"`` or ``gamma: true`` is a mistake, not a value.
# Integers are steps or step counts: at most 2**53, the last integer float64 (the evaluator) holds exactly.
Int = Annotated[int, Field(strict=True, ge=-MAX_STEP, le=MAX_STEP)]
NonNegInt = Annotated[int, Field(strict=True, ge=0, le=MAX_STEP)]
PosInt = Annotated[int, Field(strict=True, ge=1, le=MAX_STEP)]
Float = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)]
PosFloat = Annotated[float, Field(strict=True, gt=0.0, allow_inf_nan=False)]
Bool = Annotated[bool, Field(strict=True)]


class Node(BaseModel):
    """Immutable, strictly validated IR node.

    Built in Python (``Step(step_size=0)``) an invalid node raises ``PlanError`` naming
    the field (``step_size``), as loading a plan does, never pydantic's ValidationError.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, /, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _plan_error(exc, type(self)) from None

    # Nested nodes are still validated by pydantic-core directly (this __init__ only adds the
    # error translation for direct calls), so mark it as pydantic's own.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @classmethod
    def model_validate(cls, obj, **kwargs):
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise _plan_error(exc) from None


def _plan_error(exc: ValidationError, cls=None):
    from ..io import plan_error  # lazy: io imports the nodes

    err = plan_error(exc)
    return err if cls is None else type(err)(err.path, f"{err.message} (building {cls.__name__})")


class ScheduleBase(Node):
    """A learning-rate schedule: a closed-form function of the optimizer step.

    ``formula`` is the family's lr written once against an array namespace
    (``xp.Formula``): ``lr`` runs it with numpy; framework adapters run the same
    function with their own namespace. None for a schedule with no closed form.
    """

    formula: ClassVar[Formula | None] = None

    _depth: int = PrivateAttr(1)  # nesting depth of this tree (1 for a leaf)

    @model_serializer(mode="wrap")
    def _tagged(self, handler):
        # Dumps may leave defaults out, but never the tag: a schedule without its
        # kind could not be read back.
        data = handler(self)
        if isinstance(data, dict):
            data = {"kind": self.kind, **{k: v for k, v in data.items() if k != "kind"}}  # type: ignore[attr-defined]
        return data

    @model_validator(mode="after")
    def _bounded_depth(self):
        # Depth is 1 + the deepest child's, each computed once at construction, so a
        # tree is never walked recursively here: deep documents fail with a clear limit.
        depth = 1 + max((c._depth for c in self.children()), default=0)
        if depth > MAX_SCHEDULE_DEPTH:
            raise ValueError(f"schedules nest {depth} deep, more than the limit of {MAX_SCHEDULE_DEPTH}; flatten the composite")
        self._depth = depth
        return self

    def lr(self, k: np.ndarray, base: np.ndarray | float) -> np.ndarray:
        """Learning rate at steps ``k`` for base lr ``base`` (float64, broadcast): the family's formula in numpy."""
        if self.formula is None:
            raise NotImplementedError(f"schedule '{self.kind}' has no formula")  # type: ignore[attr-defined]
        return self.formula.evaluate(self, np.asarray(k, np.float64), base)

    def children(self) -> tuple["ScheduleBase", ...]:
        """Nested schedules (composites override)."""
        return ()

    def walk(self):
        """This node and every node nested in it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()

    def is_scale_equivariant(self) -> bool:
        """True when lr(k, c·b) = c·lr(k, b) for every c: the tree only multiplies the base lr.

        Then a per-group multiplier (lr_scale) folds into the group's base lr, and
        schedules chained after each other compose as a plain product.
        """
        return all(n._own_equivariance() for n in self.walk())

    def _own_equivariance(self) -> bool:
        """Whether this node alone is scale-equivariant (nodes with absolute lr values override)."""
        return True

    def settles_at(self) -> int | None:
        """A step s with lr(k, b) == lr(s, b) bit for bit for every k ≥ s and every base b, or None.

        None (this default) when the parameters prove no such step: periodic, unbounded or
        metric-driven curves, decays that keep shrinking. Kinds override it from their formula:
        from s on every input that depends on k is clamped (min(k, T)), past its last threshold,
        or multiplied by an exact 1, so the same float64 operations give the same bits. The
        bound holds for every real clock t ≥ s too (``ByEpoch`` feeds fractional epochs).

        s is an upper bound, not the step of the last change: lr(s − 1) may equal lr(s) already.
        Past s, ``horizon.past: hold`` and ``continue`` give the same lrs.
        """
        return None

    def describe(self) -> str:
        """Short one-line description for tables and messages."""
        args = ", ".join(f"{k}={v!r}" for k, v in self if k != "kind" and not isinstance(v, (list, tuple, BaseModel)))
        return f"{self.kind}({args})"  # type: ignore[attr-defined]


def within_steps(s: int | None) -> int | None:
    """``s``, or None when it lies past MAX_STEP (no step lrbridge evaluates reaches it)."""
    return s if s is not None and s <= MAX_STEP else None


def as_steps(k) -> np.ndarray:
    """Steps as a float64 array (integers are exact up to 2**53)."""
    return np.asarray(k, dtype=np.float64)
