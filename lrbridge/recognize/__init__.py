"""Closed-form recognition: the plan whose schedule reproduces a recorded lr curve at every step.

``from_trace(values)`` takes learning rates as a training loop applied them (an array
groups × steps, a dict name → array, a MindSpore lr list, or an .npy/.json/.csv file of
logged lrs) and looks for IR schedules that give every one of them back:

1. whole-curve families: constant, stairs (step, multistep, constant_factor, epoch
   stairs as ``by_epoch`` with the steps per epoch read off the run lengths, piecewise),
   inverse_sqrt and noam with their warmups (the Annotated Transformer's ``max(k, 1)``
   variant too), one_cycle, cyclic, cosine warm restarts;
2. stages: the curve is cut at its breakpoints (jumps and kinks: spikes of the second
   difference), each stage is fitted in closed form from a few of its points (linear,
   exponential, inverse-time, inverse-sqrt decay, cosine, cosine decay, polynomial,
   stairs) on a clock restarting at the stage (``sequential`` restart) or on the shared
   clock (``sequential`` global), then extended while it still matches;
3. per-group scale: a group that is a constant multiple of an earlier one shares its
   schedule with a scaled base lr.

A candidate is accepted only when the IR evaluator reproduces every value: |fit − v| ≤
rtol·|v| + 16·eps·max|v| (rtol 1e-12), plus half a float32 ulp of v when the source
stored float32. Nothing that differs anywhere is called closed form: the fallback is a
table (``exact=False``, horizon past: error) and the notes say from which step on no
family fits. Parameters are rounded to the fewest significant digits that still
reproduce the curve (0.1, not 0.10000000000000002).

Everything is vectorized numpy: fitting reads a few points, verification is one
evaluation per candidate, so 10^6 steps take a fraction of a second to a few seconds.
"""

from __future__ import annotations

from .api import from_trace
from .limits import EPS, MAX_RUNS, MAX_STAGES
from .verify import Tolerance

__all__ = ["Tolerance", "from_trace", "EPS", "MAX_STAGES", "MAX_RUNS"]
