"""The MindSpore float64 namespace the shared schedule formulas run with inside cells.

``lrbridge.schedules.xp`` defines what a namespace provides; this one computes
with MindSpore ops on float64 tensors and compiles in GRAPH_MODE as in PyNative
(its methods are parsed like ``construct``: a ``piecewise`` evaluates every piece
and selects with ``where``, since a graph cannot slice by value).

Why float64 tensors for every constant: MindSpore converts a Python float operand
to float32 before mixing it with a float64 tensor (measured: ``exp(k * -1e-4)``
was off by 5e-7 relative, ``pow(0.9995, k)`` by 1.6e-3), so each constant is a
0-d float64 ``Tensor`` made by ``constant``. With that, Cos, Exp, Pow, Sqrt on
CPU agree with numpy to 1 float64 ulp, Log and Abs exactly, Tanh to 2 float64 ulps
(measured). Its FloorMod and Fmod are not exact for non-integer divisors, so
``floor_divide`` runs the shared exact definition.
"""

from __future__ import annotations

import numpy as np
from mindspore import Tensor, nn, ops
from mindspore import dtype as mstype

from lrbridge.schedules import xp as shared

F64 = mstype.float64


def constant(value) -> Tensor:
    """A float64 constant (0-d, or 1-d for a sequence)."""
    return Tensor(np.asarray(value, np.float64), F64)


def table(values: np.ndarray) -> Tensor:
    """A 1-D float64 table; an empty one becomes [+inf] (no finite step reaches it: counts stay 0)."""
    return constant(values if len(values) else [np.inf])


class MindSporeOps(nn.Cell):
    """float64 MindSpore ops under the names the shared formulas use (see ``lrbridge.schedules.xp``)."""

    def __init__(self):
        super().__init__()
        self.zero = constant(0.0)
        self.one = constant(1.0)
        self.half = constant(0.5)
        self.two = constant(2.0)
        self.pi = constant(np.pi)
        self.splitter = constant(2**27 + 1)

    def cos(self, x):
        return ops.cos(x)

    def tanh(self, x):
        return ops.tanh(x)

    def exp(self, x):
        return ops.exp(x)

    def log(self, x):
        return ops.log(x)

    def sqrt(self, x):
        return ops.sqrt(x)

    def abs(self, x):
        return ops.abs(x)

    def floor(self, x):
        return ops.floor(x)

    def ceil(self, x):
        return ops.ceil(x)

    def pow(self, x, y):
        return ops.pow(x, y)

    def minimum(self, x, y):
        return ops.minimum(x, y)

    def maximum(self, x, y):
        return ops.maximum(x, y)

    def mod(self, x, y):
        return ops.floor_mod(x, y)

    def floor_divide(self, x, y):
        # the definition itself: MindSpore's floor_div is ⌊fl(x/y)⌋ and its fmod is not exact (measured)
        return shared.floor_divide(self, x, y)

    def where(self, cond, x, y):
        return ops.where(cond, x, y)

    def half_cos(self, frac):
        return shared.half_cos(self, frac)  # the definition itself (numpy's is the same ops in place)

    def count_le(self, values, k):
        """Entries of ``values`` ≤ k, per step (float64): a compare against the whole table and a sum."""
        return ops.reduce_sum(ops.cast(ops.expand_dims(k, -1) >= values, F64), -1)

    def take(self, values, index):
        return ops.gather(values, ops.cast(index, mstype.int32), 0)

    def fill(self, x, base, k):
        # × 1 is exact: only the shape changes
        return x * ops.ones_like(base * k)

    def piecewise(self, k, base, edges, piece, c, closed="left"):
        """Every piece at every step; from the last piece back, ``where`` keeps piece i below its edge."""
        n = len(edges) + 1
        out = piece(self, c, k, base, n - 1)
        for j in range(n - 1):
            i = n - 2 - j
            inside = k < edges[i] if closed == "left" else k <= edges[i]
            out = ops.where(inside, piece(self, c, k, base, i), out)
        return out
