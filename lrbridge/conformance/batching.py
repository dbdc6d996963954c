"""How a backend cuts many (plan, steps) cases into batches, and batches into parallel lanes.

A batch is one optimizer (or one compiled graph) holding the probe groups of several plans,
stepped for its longest plan: every step costs every group of the batch. So a short plan in a
long batch pays steps it does not need, while each batch pays its compile and its per-step
overhead. ``cut_batches`` weighs both with a backend's :class:`BatchCost` (dynamic programming over
the cases sorted by length); ``balance`` then spreads the batches over worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BatchCost:
    """Modelled seconds of one batch: ``compile_s + compile_s_per_group·g + steps·(step_s + step_s_per_group·w)``.

    ``g``: the batch's probe groups; ``w``: their width, each group weighted by what one of its steps
    costs relative to the cheapest kind (a float64 formula cell costs several list lookups).
    """

    compile_s: float = 0.0
    compile_s_per_group: float = 0.0
    step_s: float = 0.0
    step_s_per_group: float = 0.0

    def seconds(self, groups: int, steps: int, width: float | None = None) -> float:
        width = groups if width is None else width
        return self.compile_s + self.compile_s_per_group * groups + steps * (self.step_s + self.step_s_per_group * width)


@dataclass(frozen=True)
class Item:
    """One case as the cutter sees it: steps it runs for, probe groups it adds, their cost width, and the
    longest batch it may share (a plan that turns NaN past its horizon must not run further)."""

    steps: int
    groups: int
    width: float | None = None
    runs_up_to: float = float("inf")


def cut_batches(items: list[Item], cost: BatchCost, *, max_groups: int | None = None,
                max_items: int | None = None) -> list[list[int]]:
    """Indices of ``items`` in batches, similar lengths together, minimising the summed ``cost``.

    The items are sorted by steps and cut into consecutive runs (a batch runs for its last, longest
    item); ``max_groups`` / ``max_items`` bound a batch (compile time grows faster than linearly
    with its size). A single item always makes a batch of its own, whatever its size.
    """
    order = sorted(range(len(items)), key=lambda i: items[i].steps)
    n = len(order)
    best = [0.0] + [float("inf")] * n  # best[j]: cheapest cut of the first j items
    start = [0] * (n + 1)  # start[j]: where the last batch of that cut begins
    for j in range(1, n + 1):
        last = items[order[j - 1]]
        groups, width, limit = 0, 0.0, float("inf")
        for i in range(j - 1, -1, -1):
            item = items[order[i]]
            groups += item.groups
            width += item.groups if item.width is None else item.width
            limit = min(limit, item.runs_up_to)
            if i < j - 1 and (last.steps > limit or (max_groups is not None and groups > max_groups)
                              or (max_items is not None and j - i > max_items)):
                break
            total = best[i] + cost.seconds(groups, last.steps, width)
            if total < best[j]:
                best[j], start[j] = total, i
    batches, j = [], n
    while j > 0:
        batches.append(order[start[j]:j])
        j = start[j]
    return batches[::-1]


def balance(costs: list[float], lanes: int, start: list[float] | None = None) -> list[list[int]]:
    """Indices of ``costs`` spread over ``lanes`` lanes, the largest first each to the least loaded lane
    (longest-processing-time first: within 4/3 of the best split). ``start``: each lane's load before
    any item (e.g. a worker process's start-up). Lanes keep the input order."""
    loads = list(start) if start is not None else [0.0] * max(1, lanes)
    out: list[list[int]] = [[] for _ in loads]
    for i in sorted(range(len(costs)), key=lambda i: -costs[i]):
        lane = min(range(len(loads)), key=loads.__getitem__)
        out[lane].append(i)
        loads[lane] += costs[i]
    return [sorted(lane) for lane in out]
