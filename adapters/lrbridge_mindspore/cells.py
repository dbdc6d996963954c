"""IR schedules as graph-compilable MindSpore cells that compute in float64.

Every IR node becomes one ``FormulaCell`` running the node family's own formula
(``node.formula.lr``, the function the numpy reference evaluates; see
``lrbridge.schedules.xp``) with the MindSpore float64 namespace of ``xp``. Its
constants are float64 tensors attributes of the cell, nested schedules child
cells; ``construct(k, base)`` takes the step as a float64 tensor of shape (1,)
and the base lr (float64). Nothing is written twice: the period reduction of
cosine, the integer cycle search of warm restarts, every operation and its
order are the reference's. ``PlanSchedule`` wraps a tree into a
``LearningRateSchedule`` (global_step -> float32 lr) for MindSpore optimizers.

The float32 output is within 1 float32 ulp of the reference (0 almost
everywhere): the ops agree with numpy to 1 float64 ulp and the lr is cast once.
Memory is O(1) in the number of steps for every closed form; ``Tabulated`` keeps
its table as a float64 constant and gathers (index clamped like the reference).
"""

from __future__ import annotations

import numpy as np
from mindspore import nn, ops
from mindspore import dtype as mstype

from lrbridge.errors import UnrepresentableError
from lrbridge.schedules import ScheduleBase

from .xp import F64, MindSporeOps, constant, table


def _tensors(value):
    """A formula constant as MindSpore holds it: float64 tensors, child cells, Python flags."""
    if isinstance(value, ScheduleBase):
        return build_node(value)
    if isinstance(value, (bool, str)) or value is None:
        return value  # configuration: graph mode folds branches on it
    if isinstance(value, np.ndarray):
        return table(value)
    if isinstance(value, tuple):
        if value and all(isinstance(v, ScheduleBase) for v in value):
            return nn.CellList([build_node(v) for v in value])
        return tuple(_tensors(v) for v in value)
    return constant(value)


class FormulaCell(nn.Cell):
    """One IR node: ``construct(k, base)`` runs ``node.formula.lr`` with MindSpore float64 ops."""

    def __init__(self, node):
        super().__init__()
        self.xp = MindSporeOps()
        self.formula = node.formula  # the very object the reference uses (checked by the tests)
        self.lr = node.formula.lr
        for name, value in node.formula.constants(node).items():
            if hasattr(self, name):  # a constant may not shadow a Cell attribute the graph relies on
                raise AttributeError(f"formula constant '{name}' of '{node.kind}' clashes with nn.Cell.{name}")
            setattr(self, name, _tensors(value))

    def construct(self, k, base):
        return self.lr(self.xp, self, k, base)


def build_node(node) -> nn.Cell:
    """The float64 cell of one IR node (and its children)."""
    if node.formula is None:
        if node.kind == "reduce_on_plateau":
            raise UnrepresentableError(
                "mindspore (cell)",
                [f"schedule '{node.kind}' has no closed form a cell can compute (it depends on a metric seen in training)"],
                "mindspore.experimental.optim.lr_scheduler.ReduceLROnPlateau driven by your validation loop",
            )
        raise UnrepresentableError(
            "mindspore (cell)",
            [f"schedule '{node.kind}' has no shared formula a float64 cell can run"],
            "mode 'list' or 'experimental' (both exact)",
        )
    return FormulaCell(node)


class PlanSchedule(nn.learning_rate_schedule.LearningRateSchedule):
    """lr(global_step) = fp32(lr_scale · schedule(k, base)) for one group, computed in float64.

    ``hold_last``: with the plan's ``horizon.past: hold``, k is clamped to steps − 1.
    ``stop_at``: with ``horizon.past: error``, steps k ≥ stop_at give NaN (a compiled cell cannot raise;
    an update applying NaN is never a silently wrong number).
    """

    def __init__(self, schedule, base: float, scale: float = 1.0, hold_last: int | None = None,
                 stop_at: int | None = None):
        super().__init__()
        self.node = build_node(schedule)
        self.base = constant(base)
        self.scale = constant(scale)
        self.scaled = scale != 1.0
        self.hold = hold_last is not None
        self.last = constant(hold_last if hold_last is not None else 0)
        self.stops = stop_at is not None
        self.stop = constant(stop_at if stop_at is not None else 0)
        self.nan = constant(float("nan"))
        # Plain attribute (not used in construct): lets from_mindspore recover the exact IR.
        self.lrbridge_source = (schedule, base) if scale == 1.0 and hold_last is None and stop_at is None else None

    def construct(self, global_step):
        k = ops.cast(global_step, F64)
        if self.hold:
            k = ops.minimum(k, self.last)
        lr = self.node(k, self.base)
        if self.scaled:
            lr = self.scale * lr
        if self.stops:
            lr = ops.select(k < self.stop, lr, self.nan)
        return ops.cast(lr, mstype.float32)
