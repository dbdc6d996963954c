"""Each schedule family's formula, written once against an array namespace.

A family's ``Formula`` holds two plain functions:

- ``constants(node) -> dict``: the node's numbers (derived ones included, e.g.
  the period 2·T_max), computed once in Python. A value is a number (int or
  float), a ``np.ndarray`` (a 1-D table), a tuple of values, a nested schedule
  (evaluated by calling it: ``c.stage(k, base)``), or a ``bool``/``str``
  (configuration the formula branches on).
- ``lr(xp, c, k, base)``: the lr at steps ``k`` for base lr ``base``, using only
  arithmetic operators, the operations of the namespace ``xp`` and the
  constants ``c`` (attributes). No float literal appears in a formula (ints only
  index pieces): every constant comes from ``c`` or ``xp`` (``xp.one``, ``xp.half``,
  ``xp.pi``), because a framework may round a Python float operand to float32
  (MindSpore does; ``tests/core/test_formulas.py`` checks the sources).

The reference evaluator runs a formula with ``NUMPY`` (float64 numpy arrays); a
framework adapter runs the very same function with its own namespace (the
MindSpore cells: ``lrbridge_mindspore.xp``), so exactness tricks written in a
formula (k reduced by the period, integer restart search, float64 everywhere)
hold in every backend by construction.

A namespace provides: ``zero, one, half, two, pi, splitter`` (float64 constants;
``splitter`` = 2^27 + 1, Veltkamp's); ``cos, tanh, exp, log, sqrt, abs, floor,
ceil`` (elementwise); ``pow, minimum, maximum, mod`` (floor modulo),
``floor_divide`` (Python's ``//`` on floats: ``floor_divide`` below), ``where(cond, a, b)``; ``count_le(table, k)``: the number of table
entries ≤ k (``searchsorted(side='right')``); ``take(table, i)``: table[i] with i
truncated to an integer; ``half_cos(frac)``: ``half_cos`` below; ``fill(x,
base, k)``: x broadcast to the shape of (base, k); ``piecewise(k, base, edges, piece, c, closed)``: ``piece(xp, c, k,
base, i)`` on segment i of the edges (``closed='left'``: e_{i−1} ≤ k < e_i;
``'right'``: e_{i−1} < k ≤ e_i).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True, eq=False)
class Formula:
    """A family's lr formula and the constants it reads (see the module docstring)."""

    lr: Callable[..., Any]
    constants: Callable[[Any], dict]

    def evaluate(self, node, k: np.ndarray, base) -> np.ndarray:
        """The reference value: the formula run with numpy in float64."""
        return self.lr(NUMPY, numpy_constants(self.constants(node)), k, base)


def half_cos(xp, frac):
    """(1 + cos(π·frac)) / 2: 1 at frac = 0, 0 at frac = 1.

    Formulas call it as ``xp.half_cos(frac)``: a namespace runs exactly these
    operations, and numpy's runs them in place (the hot path of every cosine family).
    Formulas are written array-first (``x * c`` rather than ``c * x``, the same
    value) so that numpy reuses temporaries in place there too.
    """
    return (xp.cos(frac * xp.pi) + xp.one) * xp.half


def two_product(xp, a, b):
    """a·b as an unrounded sum p + e (p = fl(a·b)): Dekker's product, exact in float64 with no FMA."""
    p = a * b
    a_hi, a_lo = _veltkamp(xp, a)
    b_hi, b_lo = _veltkamp(xp, b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _veltkamp(xp, a):
    """a = hi + lo exactly, each half with at most 26 significant bits (so their products are exact)."""
    t = a * xp.splitter
    hi = t - (t - a)
    return hi, a - hi


def floor_divide(xp, x, y):
    """⌊x / y⌋ of the exact quotient: Python's ``x // y`` on floats (``1 // 0.1`` is 9.0, as 0.1 is
    stored a little above 0.1; ⌊fl(1/0.1)⌋ = 10), for quotients below 2**53.

    q = ⌊fl(x/y)⌋ is that floor or one above it (rounding never takes a quotient below an
    integer it exceeds); the sign of the exact remainder x − q·y (q·y as Dekker's p + e,
    x − p exact where it matters, by Sterbenz) tells which. Formulas call it as
    ``xp.floor_divide``; numpy's is ``np.floor_divide`` (CPython's algorithm, the same values:
    checked in ``tests/core/test_extra_formulas.py``).
    """
    q = xp.floor(x / y)
    p, e = two_product(xp, q, y)
    r = (x - p) - e
    over = xp.where(y > xp.zero, r, xp.zero - r) < xp.zero
    return xp.where(over, q - xp.one, q)


def decay_clock(xp, c, k):
    """p = k / decay_steps, ⌊p⌋ with staircase (constants ``decay_steps``, ``staircase``)."""
    p = k / c.decay_steps
    if c.staircase:
        p = xp.floor(p)
    return p


# ------------------------------------------------------------------ numpy


def _numpy_value(value):
    from .base import ScheduleBase  # a nested schedule is evaluated through its own formula

    if isinstance(value, ScheduleBase):
        return value.lr
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        return value if value.dtype == np.float64 else value.astype(np.float64)
    if isinstance(value, tuple):
        return tuple(_numpy_value(v) for v in value)
    return float(value)


def numpy_constants(values: dict) -> SimpleNamespace:
    """A formula's constants for ``NUMPY``: floats, float64 tables, and ``node.lr`` for nested schedules."""
    return SimpleNamespace(**{name: _numpy_value(v) for name, v in values.items()})


def _is_sorted(k) -> bool:
    return k.ndim == 1 and bool(np.all(k[1:] >= k[:-1]))


def _select(k, lo, hi, ordered: bool, closed: str):
    """The steps of one segment and their number.

    A slice when k is sorted (evaluate's usual 0..N−1: segments then get views of k
    and write into slices of the output, no masks or copies), else a boolean mask.
    """
    if ordered:
        a, b = np.searchsorted(k, (lo, hi), side="left" if closed == "left" else "right")
        return slice(int(a), int(b)), int(b - a)
    mask = (k >= lo) & (k < hi) if closed == "left" else (k > lo) & (k <= hi)
    return mask, int(np.count_nonzero(mask))


def _base_at(base, sel, n: int):
    """The base lr of the selected steps: a per-step base (shape (..., n), an earlier
    ``Chained`` stage's output) is sliced with k, a per-group or scalar one is not."""
    if np.ndim(base) and np.shape(base)[-1] == n:
        return np.asarray(base)[..., sel]
    return base


class NumpyOps:
    """The float64 numpy namespace of the reference evaluator."""

    zero = np.float64(0.0)
    one = np.float64(1.0)
    half = np.float64(0.5)
    two = np.float64(2.0)
    pi = np.float64(np.pi)
    splitter = np.float64(2**27 + 1)

    cos = staticmethod(np.cos)
    tanh = staticmethod(np.tanh)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    abs = staticmethod(np.abs)
    floor = staticmethod(np.floor)
    ceil = staticmethod(np.ceil)
    pow = staticmethod(np.power)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    mod = staticmethod(np.mod)  # exact for floats: the remainder is representable
    floor_divide = staticmethod(np.floor_divide)  # CPython's float //: ⌊exact quotient⌋ (``floor_divide``)
    where = staticmethod(np.where)

    @staticmethod
    def half_cos(frac):
        """``half_cos``: cos(frac·π), + 1, × ½, in one fresh array updated in place."""
        x = np.multiply(frac, np.pi, out=np.empty(np.shape(frac)))  # an array even for a 0-d frac
        np.cos(x, out=x)
        x += 1.0
        x *= 0.5
        return x

    @staticmethod
    def count_le(table, k):
        return np.searchsorted(table, k, side="right")

    @staticmethod
    def take(table, index):
        return table[np.asarray(index).astype(np.int64, copy=False)]

    @staticmethod
    def fill(x, base, k):
        shape = np.broadcast_shapes(np.shape(x), np.shape(base), np.shape(k))
        return np.broadcast_to(x, shape).copy()

    def piecewise(self, k, base, edges, piece, c, closed="left"):
        """Each piece evaluated on its own steps only (a slice of k when k is sorted)."""
        k = np.asarray(k, np.float64)
        out = np.empty(np.broadcast_shapes(np.shape(base), k.shape))
        ordered = _is_sorted(k)
        bounds = (-np.inf, *edges, np.inf)
        for i in range(len(bounds) - 1):
            here, count = _select(k, bounds[i], bounds[i + 1], ordered, closed)
            if count:
                out[..., here] = piece(self, c, k[here], _base_at(base, here, k.size), i)
        return out


NUMPY = NumpyOps()
