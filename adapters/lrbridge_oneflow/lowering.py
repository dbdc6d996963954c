"""Schedule node -> OneFlow, decided without OneFlow: ``lower(node, bases, ctx)`` and the composites.

A *native spec* names OneFlow's own classes in the format the ``native_curve``
worker op takes (``adapters/lrbridge_oneflow/native.py``)::

    {"class": "CosineDecayLR", "kwargs": {"decay_steps": 100, "alpha": 0.1}}
    {"class": "SequentialLR", "schedulers": [SPEC, ...], "kwargs": {"milestones": [5], "interval_rescaling": [True]}}

plus ``{"class": "lrbridge.PlanLR", ...}``, lrbridge's closed-form ``LRScheduler``
subclass, wherever no OneFlow class equals the IR. A *graph conf* is the
``LearningRateDecayConf`` protobuf that nn.Graph compiles, as JSON
(``{"step_conf": {"step_size": 2, "gamma": 0.5}}``); its formulas are those of the
C++ kernel ``learning_rate_schedule_kernel.cpp``.

Leaves live in ``leaf_lowering.py``; this module holds what recurses (sequential,
chained, warmup, by_epoch) and the dispatch over every node kind. Plan-level
decisions (groups, modes, holding past the horizon) are ``export.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from .leaf_lowering import LEAF_LOWERINGS, Lowering, _bases_for, _lr_at, _spec, _uniform


# -- composites --------------------------------------------------------------------------------


def _child(node, bases, ctx, attr, i=None):
    path = f"{ctx.path}.{attr}" + (f"[{i}]" if i is not None else "")
    return lower(node, bases, ctx.at(path))


def _nest_native(low: Lowering, kids: list[Lowering], ctx, what: str) -> None:
    """OneFlow composites call their children's ``get_lr``: composites cannot nest in eager."""
    for k in kids:
        low.no_native += k.no_native
    if any(k.native is None for k in kids):
        low.native = None
    elif any(not k.leaf for k in kids):
        low.native = None
        low.no_native.append(f"{ctx.path}: OneFlow's eager {what} cannot hold a composite scheduler (it has no get_lr)")


def _sequential(node, bases, ctx):
    kids = [_child(s, bases, ctx, "stages", i) for i, s in enumerate(node.stages)]
    rescale = [node.clock == "restart"] * len(node.milestones)
    low = Lowering(leaf=False)
    low.native = {"class": "SequentialLR", "schedulers": [k.native for k in kids],
                  "kwargs": {"milestones": list(node.milestones), "interval_rescaling": rescale}}  # fmt: skip
    _nest_native(low, kids, ctx, "SequentialLR")
    for k in kids:
        low.no_graph += k.no_graph
    if all(k.graph is not None for k in kids):
        low.graph = {"sequential_scheduler_conf": {"schedulers": [k.graph for k in kids],
                     "milestones": list(node.milestones), "interval_rescaling": rescale}}  # fmt: skip
    return low


def _chained(node, bases, ctx):
    if len(node.schedules) == 1:
        return _child(node.schedules[0], bases, ctx, "schedules", 0)
    # every child after the first sees the previous output as its base: a base that varies with k ([])
    kids = [_child(s, bases if i == 0 else [], ctx, "schedules", i) for i, s in enumerate(node.schedules)]
    low = Lowering(leaf=False)
    low.native = {"class": "ChainedScheduler", "schedulers": [k.native for k in kids]}
    _nest_native(low, kids, ctx, "ChainedScheduler")
    low.no_graph.append(
        f"{ctx.path}: chained (ChainedScheduler) does not compile in nn.Graph (_generate_conf_for_graph raises NotImplementedError)"
    )
    return low


def _warmup(node, bases, ctx):
    if node.warmup_steps == 0:
        return _child(node.schedule, bases, ctx, "schedule")
    kid = _child(node.schedule, bases, ctx, "schedule")
    f, W = node.warmup_factor, node.warmup_steps
    low = Lowering(leaf=False, no_native=list(kid.no_native), no_graph=list(kid.no_graph))
    if node.method == "constant":
        warm_native, warm_graph = _spec("ConstantLR", factor=f, total_iters=W), {"constant_lr_conf": {"factor": f, "total_iters": W}}
        end = 1.0
    else:
        ends = [1.0] if node.prefix else [_lr_at(node.schedule, W, b) / b if b else None for b in _bases_for(node.schedule, bases)]
        end = _uniform(ends) if ends else None
        if end is None:
            why = f"{ctx.path}: the linear warmup ends at schedule(W)/base, which differs between groups with base lrs {sorted(set(bases))}"
            low.no_native.append(why)
            low.no_graph.append(why)
            return low
        kw = {"start_factor": f, "end_factor": end, "total_iters": W}
        warm_native, warm_graph = _spec("LinearLR", **kw), {"linear_lr_conf": kw}
    if not (0.0 <= f <= 1.0 and 0.0 <= end <= 1.0):
        why = f"{ctx.path}: OneFlow warmup factors must lie in [0, 1], got warmup_factor {f}, end factor {end}"
        low.no_native.append(why)
        low.no_graph.append(why)
        return low
    if kid.graph is not None:
        low.graph = {"sequential_scheduler_conf": {"schedulers": [warm_graph, kid.graph], "milestones": [W],
                     "interval_rescaling": [node.prefix]}}  # fmt: skip
    if kid.native is None:
        return low
    if not kid.leaf:
        low.no_native.append(f"{ctx.path}: OneFlow's eager WarmupLR cannot hold a composite scheduler (it has no get_lr)")
        return low
    if node.prefix or node.method == "constant" or len(set(bases)) <= 1:
        low.native = {"class": "WarmupLR", "scheduler": kid.native, "kwargs": {"warmup_factor": f, "warmup_iters": W,
                      "warmup_method": node.method, "warmup_prefix": node.prefix}}  # fmt: skip
    else:  # WarmupLR(prefix=False) refuses unequal base lrs; the same SequentialLR does not
        low.native = {"class": "SequentialLR", "schedulers": [warm_native, kid.native],
                      "kwargs": {"milestones": [W], "interval_rescaling": [node.prefix]}}  # fmt: skip
    return low


def step_clock(node, spe: int, cadence: str):
    """``ByEpoch(node, spe, cadence)`` rewritten on the optimizer-step clock, or None.

    Exact for step-like schedules: ⌊⌊k/spe⌋/s⌋ = ⌊k/(spe·s)⌋, and k/spe < T ⟺ k < spe·T
    for integer thresholds.
    """
    kind = node.kind
    upd = node.model_copy
    if kind in ("constant",):
        return node
    if kind == "step":
        return upd(update={"step_size": node.step_size * spe})
    if kind == "multistep":
        return upd(update={"milestones": tuple(m * spe for m in node.milestones)})
    if kind == "constant_factor":
        return upd(update={"total_iters": node.total_iters * spe})
    if kind == "piecewise":
        return upd(update={"boundaries": tuple(b * spe for b in node.boundaries)})
    if kind == "exponential":
        # epoch cadence: γ^(⌊k/spe⌋/d) is a staircase only when d = 1 or already staircase
        if cadence == "epoch" and not (node.staircase or node.decay_steps == 1):
            return None
        return upd(update={"decay_steps": node.decay_steps * spe, "staircase": node.staircase or cadence == "epoch"})
    if kind == "sequential":
        stages = [step_clock(s, spe, cadence) for s in node.stages]
        if any(s is None for s in stages):
            return None
        return upd(update={"stages": tuple(stages), "milestones": tuple(m * spe for m in node.milestones)})
    return None


def _by_epoch(node, bases, ctx):
    moved = step_clock(node.schedule, node.steps_per_epoch, node.cadence)
    if moved is not None:
        return lower(moved, bases, ctx)
    why = (
        f"{ctx.path}: by_epoch (cadence={node.cadence}) over {node.schedule.kind}: OneFlow schedulers count "
        "optimizer steps and this schedule has no step-clock equivalent"
    )
    return Lowering(None, None, no_native=[why], no_graph=[why])


_LOWER = {
    **LEAF_LOWERINGS,
    "sequential": _sequential, "chained": _chained, "warmup": _warmup, "by_epoch": _by_epoch,
}  # fmt: skip


@dataclass(frozen=True)
class _Ctx:
    path: str
    horizon: int
    group_bases: tuple[float, ...]

    def at(self, path: str) -> "_Ctx":
        return _Ctx(path, self.horizon, self.group_bases)


def lower(node, bases, ctx: _Ctx) -> Lowering:
    """Lower one schedule for groups with base lrs ``bases`` (what the scheduler sees as base)."""
    low = _LOWER[node.kind](node, list(bases), ctx)
    if low.native is None and not low.no_native:
        low.no_native.append(f"{ctx.path}: no OneFlow class")
    return low
