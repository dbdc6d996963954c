"""Schedule nodes of the canonical IR. Each is a closed form in the optimizer step k.

``Schedule`` is the tagged union of every node (tag: ``kind``), used wherever a
plan holds a schedule.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from .base import ScheduleBase, as_steps
from .basic import (
    Constant,
    ConstantFactor,
    Exponential,
    InverseTimeDecay,
    LinearRamp,
    MultiStep,
    NaturalExpDecay,
    Piecewise,
    Step,
)
from .composite import ByEpoch, Chained, Sequential, Warmup
from .cosine import CosineAnnealing, CosineDecay, CosineWarmRestarts, restart_cycles
from .cyclic import Cyclic, OneCycle
from .extra import CycleAnneal, FloorStep, LinearGrowth, LogWarmup, Shaped, Triangular
from .plateau import ReduceOnPlateau
from .polynomial import Polynomial
from .table import Tabulated
from .transformer import InverseSqrt, Noam

SCHEDULE_TYPES: tuple[type[ScheduleBase], ...] = (
    Constant,
    ConstantFactor,
    LinearRamp,
    Step,
    MultiStep,
    Piecewise,
    Exponential,
    NaturalExpDecay,
    InverseTimeDecay,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    Polynomial,
    OneCycle,
    Cyclic,
    InverseSqrt,
    Noam,
    CycleAnneal,
    FloorStep,
    LinearGrowth,
    LogWarmup,
    Shaped,
    Triangular,
    Tabulated,
    Sequential,
    Chained,
    Warmup,
    ByEpoch,
    ReduceOnPlateau,
)

#: kind tag -> node class
SCHEDULE_KINDS: dict[str, type[ScheduleBase]] = {t.model_fields["kind"].default: t for t in SCHEDULE_TYPES}

Schedule = Annotated[Union[SCHEDULE_TYPES], Field(discriminator="kind")]  # type: ignore[valid-type]

for _composite in (Sequential, Chained, Warmup, ByEpoch):
    _composite.model_rebuild(_types_namespace={"Schedule": Schedule})

__all__ = [t.__name__ for t in SCHEDULE_TYPES] + [
    "SCHEDULE_KINDS",
    "SCHEDULE_TYPES",
    "Schedule",
    "ScheduleBase",
    "as_steps",
    "restart_cycles",
]
