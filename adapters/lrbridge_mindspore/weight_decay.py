"""A scheduled weight decay for ``nn`` optimizers: MindSpore's dynamic weight decay, one Cell per group.

``nn.Optimizer`` accepts a Cell as a group's ``weight_decay`` and calls it with ``global_step``
at every step (``get_weight_decay``); ``nn.Momentum`` applies it (measured, PyNative and
GRAPH_MODE; ``nn.SGD`` refuses a Cell). The Cell is either the exact table of the plan's weight
decay (list form: fp32 of the float64 reference per step, as lr lists are) or, with no length
known, the float64 formula cell the lr uses (``cells.PlanSchedule``, within 1 float32 ulp).
Both keep what they were built from (``lrbridge_values`` / ``lrbridge_source``), so ``from_mindspore``
reads such an optimizer back (``import_optim._weight_decay_schedule``).
"""

from __future__ import annotations

import numpy as np
from mindspore import Tensor, nn, ops


class WeightDecayTable(nn.Cell):
    """global_step -> values[min(global_step, len − 1)], values stored as float32 (rounded once)."""

    def __init__(self, values):
        super().__init__()
        self.values = Tensor(np.asarray(values, np.float32))
        self.last = len(values) - 1
        # Plain attribute (not used in construct): lets from_mindspore read the table back (float32 values).
        self.lrbridge_values = tuple(float(v) for v in np.asarray(values, np.float32))

    def construct(self, global_step):
        return ops.gather(self.values, ops.minimum(global_step, self.last), 0)


def weight_decay_cell(plan, index: int, steps: int | None) -> nn.Cell:
    """The Cell of group ``index``'s scheduled weight decay: a table over ``steps`` steps when given, else
    the float64 formula cell of its schedule (base = the group's weight decay)."""
    g = plan.groups[index]
    if steps is not None:
        from lrbridge.reference import evaluate_hparam

        return WeightDecayTable(evaluate_hparam(plan, "weight_decay", steps)[index])
    from .cells import PlanSchedule
    from .schedule import horizon_clamps

    hold, stop = horizon_clamps(plan)
    return PlanSchedule(g.hparam_schedulers["weight_decay"], plan.group_weight_decay(g), 1.0, hold_last=hold, stop_at=stop)
