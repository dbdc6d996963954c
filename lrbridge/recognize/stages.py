"""A fitted stage, and its node re-expressed at another base lr (for ``sequential``, whose stages share one base)."""

from __future__ import annotations

from dataclasses import dataclass

from ..schedules import Chained, LinearRamp, Piecewise

from .limits import EPS
from .rounding import _nice


@dataclass
class Stage:
    """A fitted piece: ``node`` evaluated at base lr ``base`` on its clock, with ``params`` free parameters."""

    node: object
    base: float
    params: int
    end: int = 0  # filled by the extension: first step it no longer matches


def _rebase(stage: Stage, B: float):
    """The stage's node evaluated at base B instead of its own base (same values)."""
    node, b = stage.node, stage.base
    if b == B:
        return node
    r = next(v for v in _nice(b / B) if abs(v - b / B) <= 4 * EPS * abs(b / B))  # 0.1, not 0.10000000000000002
    if node.kind == "constant":
        return Piecewise(boundaries=(), values=(r,), relative=True)
    if node.kind == "linear":
        return LinearRamp(start_factor=node.start_factor * r, end_factor=node.end_factor * r, total_iters=node.total_iters)
    if node.kind == "piecewise" and node.relative:
        return node.model_copy(update={"values": tuple(v * r for v in node.values)})
    if node.kind == "constant_factor":
        return Piecewise(boundaries=(node.total_iters,), values=(node.factor * r, r), relative=True)
    if not node.is_scale_equivariant() and not _uses_base(node):
        return node
    return Chained(schedules=(Piecewise(boundaries=(), values=(r,), relative=True), node))


def _uses_base(node) -> bool:
    return node.kind not in ("one_cycle", "cyclic") and not (node.kind == "piecewise" and not node.relative)
