"""Tabulated schedules: explicit values per step, the exact fallback for anything else."""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar, Literal

import numpy as np
import base64
import zlib

from pydantic import field_serializer, field_validator

from .base import Bool, Float, ScheduleBase
from .xp import Formula


#: tables longer than this are serialized in the compact encoding
COMPACT_MIN = 64
#: the compact encoding: little-endian float64, zlib-compressed (constant runs shrink to almost
#: nothing), base64 text. Read back exactly, without parsing a number per step.
ENCODING = "float64-zlib-base64"
_MAX_DECODED = 8 * 10**9  # bytes: refuse a table that would inflate past this (a hostile document)


class _ArrayBox:
    """The cached array behind ``Tabulated.array``: equal when the values are (pydantic compares
    ``__dict__`` for equality, where a bare array would raise)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return isinstance(other, _ArrayBox) and np.array_equal(self.value, other.value)

    __hash__ = None


def encode_values(arr) -> dict:
    """``{"encoding", "count", "data"}`` holding float64 values exactly (see ``ENCODING``)."""
    raw = np.ascontiguousarray(arr, dtype="<f8").tobytes()
    return {"encoding": ENCODING, "count": int(len(raw) // 8), "data": base64.b64encode(zlib.compress(raw, 1)).decode("ascii")}


def decode_values(data: dict) -> tuple:
    """The values of an ``encode_values`` mapping (a plain list is accepted by the field itself)."""
    if set(data) != {"encoding", "count", "data"} or data.get("encoding") != ENCODING:
        raise ValueError(f"a compact table is {{encoding: {ENCODING}, count: N, data: <base64>}}, got keys {sorted(data)}")
    count, text = data["count"], data["data"]
    if type(count) is not int or count < 1 or not isinstance(text, str):
        raise ValueError("a compact table needs count (a positive int) and data (a base64 string)")
    if 8 * count > _MAX_DECODED:
        raise ValueError(f"a compact table of {count} values is too large")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(text.encode("ascii"), validate=True), 8 * count + 1)
    except (ValueError, zlib.error) as exc:
        raise ValueError(f"compact table data is not valid base64/zlib: {exc}") from None
    if len(raw) != 8 * count or inflater.unconsumed_tail:
        raise ValueError(f"compact table data holds {len(raw) // 8}+ values, count says {count}")
    arr = np.frombuffer(raw, dtype="<f8")
    if not np.all(np.isfinite(arr)):
        raise ValueError("compact table holds NaN or infinite values")
    return tuple(arr.tolist())


def tabulated_lr(xp, c, k, base):
    """values[clamp(k, 0, n − 1)], times b when relative."""
    vals = xp.take(c.table, xp.minimum(xp.maximum(k, xp.zero), c.last))
    if c.relative:
        return base * vals
    return xp.fill(vals, base, k)


class Tabulated(ScheduleBase):
    """lr(k) = values[k] (absolute), or b·values[k] with ``relative``.

    Defined for 0 ≤ k < len(values); past the end the lr holds the last value
    (the plan's horizon policy decides whether that is allowed).
    """

    kind: Literal["tabulated"] = "tabulated"
    values: tuple[Float, ...]
    relative: Bool = False
    source: str = ""  # where the table came from (e.g. "torch LambdaLR sampled over 1000 steps")

    @field_validator("values", mode="before")
    @classmethod
    def _decode(cls, v):
        return decode_values(v) if isinstance(v, dict) else v

    @field_validator("values")
    @classmethod
    def _non_empty(cls, v):
        if not v:
            raise ValueError("needs at least one value")
        return v

    @field_serializer("values", when_used="json")
    def _encode(self, v):
        # long tables are written compactly (and read back in milliseconds); short ones stay readable
        return encode_values(self.array) if len(v) > COMPACT_MIN else list(v)

    def _own_equivariance(self):
        return self.relative

    @cached_property
    def _box(self) -> "_ArrayBox":
        arr = np.asarray(self.values, np.float64)
        arr.flags.writeable = False
        return _ArrayBox(arr)

    @property
    def array(self) -> np.ndarray:
        """The values as a read-only float64 array (built once)."""
        return self._box.value

    def settles_at(self) -> int:
        """Where the table's last run of identical values begins: past the end k is clamped to n − 1,
        so lr(k) = values[n − 1] from that run's first index on (bits compared, so −0.0 ≠ 0.0)."""
        bits = self.array.view(np.int64)
        changes = np.flatnonzero(bits != bits[-1])
        return int(changes[-1]) + 1 if changes.size else 0

    formula: ClassVar[Formula] = Formula(
        tabulated_lr, lambda node: {"table": node.array, "last": len(node.values) - 1, "relative": node.relative}
    )
