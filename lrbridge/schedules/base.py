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

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer

# Strict scalars: a plan saying ``step_size: "5"`` or ``gamma: true`` is a mistake, not a value.
Int = Annotated[int, Field(strict=True)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]
PosInt = Annotated[int, Field(strict=True, ge=1)]
Float = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(strict=True, ge=0.0, allow_inf_nan=False)]
PosFloat = Annotated[float, Field(strict=True, gt=0.0, allow_inf_nan=False)]
Bool = Annotated[bool, Field(strict=True)]


class Node(BaseModel):
    """Immutable, strictly validated IR node."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ScheduleBase(Node):
    """A learning-rate schedule: a closed-form function of the optimizer step."""

    @model_serializer(mode="wrap")
    def _tagged(self, handler):
        # Dumps may leave defaults out, but never the tag: a schedule without its
        # kind could not be read back.
        data = handler(self)
        if isinstance(data, dict):
            data = {"kind": self.kind, **{k: v for k, v in data.items() if k != "kind"}}  # type: ignore[attr-defined]
        return data

    def lr(self, k: np.ndarray, base: np.ndarray | float) -> np.ndarray:
        """Learning rate at steps ``k`` for base lr ``base`` (float64, broadcast)."""
        raise NotImplementedError

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

    def describe(self) -> str:
        """Short one-line description for tables and messages."""
        args = ", ".join(f"{k}={v!r}" for k, v in self if k != "kind" and not isinstance(v, (list, tuple, BaseModel)))
        return f"{self.kind}({args})"  # type: ignore[attr-defined]


def as_steps(k) -> np.ndarray:
    """Steps as a float64 array (integers are exact up to 2**53)."""
    return np.asarray(k, dtype=np.float64)
