"""Tabulated schedules: explicit values per step, the exact fallback for anything else."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import field_validator

from .base import Bool, Float, ScheduleBase


class Tabulated(ScheduleBase):
    """lr(k) = values[k] (absolute), or b·values[k] with ``relative``.

    Defined for 0 ≤ k < len(values); past the end the lr holds the last value
    (the plan's horizon policy decides whether that is allowed).
    """

    kind: Literal["tabulated"] = "tabulated"
    values: tuple[Float, ...]
    relative: Bool = False
    source: str = ""  # where the table came from (e.g. "torch LambdaLR sampled over 1000 steps")

    @field_validator("values")
    @classmethod
    def _non_empty(cls, v):
        if not v:
            raise ValueError("needs at least one value")
        return v

    def _own_equivariance(self):
        return self.relative

    @cached_property
    def array(self) -> np.ndarray:
        """The values as a read-only float64 array (built once)."""
        arr = np.asarray(self.values, np.float64)
        arr.flags.writeable = False
        return arr

    def lr(self, k, base):
        idx = np.clip(np.asarray(k).astype(np.int64), 0, len(self.values) - 1)
        vals = self.array[idx]
        if self.relative:
            return base * vals
        return np.broadcast_to(vals, np.broadcast_shapes(np.shape(base), vals.shape)).copy()
