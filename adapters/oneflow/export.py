"""IR -> OneFlow, decided without OneFlow: which scheduler classes, kwargs, group lrs and lr_scales.

Everything here is framework-free (plain data), so ``lrbridge.check(plan, "oneflow",
mode="graph")`` and ``lrbridge oneflow`` code generation work in the main
environment; ``adapters/oneflow/live.py`` turns the result into OneFlow objects.

A *native spec* names OneFlow's own classes in the format the ``native_curve``
worker op takes (``adapters/oneflow/native.py``)::

    {"class": "CosineDecayLR", "kwargs": {"decay_steps": 100, "alpha": 0.1}}
    {"class": "SequentialLR", "schedulers": [SPEC, ...], "kwargs": {"milestones": [5], "interval_rescaling": [True]}}

plus ``{"class": "lrbridge.PlanLR", ...}``, lrbridge's closed-form ``LRScheduler``
subclass, wherever no OneFlow class equals the IR. A *graph conf* is the
``LearningRateDecayConf`` protobuf that nn.Graph compiles, as JSON
(``{"step_conf": {"step_size": 2, "gamma": 0.5}}``); its formulas are those of the
C++ kernel ``learning_rate_schedule_kernel.cpp``.

What each mode really applies (and so what is generated):
- eager: ``group["lr"]``, rewritten by the scheduler each step; ``lr_scale`` is
  ignored, so it is folded into the lr (never left in the group);
- nn.Graph: ``optimizer_conf.base_learning_rate`` (= ``initial_lr``) times the
  compiled schedule times ``lr_scale``; one scheduler conf is copied into every
  group, so group schedules may differ only by base lr and lr_scale, and runtime
  edits of ``group["lr"]`` are ignored.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

#: OneFlow leaf classes: they have ``get_lr`` and may sit inside SequentialLR/WarmupLR/ChainedScheduler
LEAF_CLASSES = {
    "ConstantLR", "LinearLR", "StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR",
    "CosineDecayLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
}  # fmt: skip
PLAN_LR = "lrbridge.PlanLR"
NO_HORIZON = 2**53  # bound used for horizon-dependent checks when the plan sets none

GRAPH_KERNEL = (
    "nn.Graph compiles only step, multi-step, exponential, inverse-time, natural-exp, piecewise, "
    "polynomial, cosine, cosine-annealing, warm-restart, linear, constant and sequential schedules"
)
EAGER_ALTERNATIVE = "eager mode (lrbridge.to_oneflow(plan, optimizer)), which runs it exactly"


@dataclass
class Lowering:
    """How one schedule node maps to OneFlow, for a given set of group base lrs.

    ``native``: spec of OneFlow's own classes equal to the node (None if none is);
    ``leaf``: the native object has ``get_lr`` (may be nested in a composite);
    ``graph``: the nn.Graph conf equal to the node (None if nn.Graph cannot run it);
    ``no_native`` / ``no_graph``: why not, each naming the node's path.
    """

    native: dict | None = None
    graph: dict | None = None
    leaf: bool = True
    no_native: list[str] = field(default_factory=list)
    no_graph: list[str] = field(default_factory=list)


def _spec(cls: str, **kwargs) -> dict:
    return {"class": cls, "kwargs": kwargs}


def _uniform(values: list[float]) -> float | None:
    """The common value, or None when the groups need different ones."""
    return values[0] if all(v == values[0] for v in values) else None


def _bases_for(node, bases) -> list[float]:
    """Base lrs to compute base-dependent kwargs with: 1.0 when the node only scales its base.

    ``bases`` is empty where the base varies with k (inside a chain), so nothing base-dependent maps.
    """
    return [1.0] if node.is_scale_equivariant() else list(bases)


def _lr_at(node, k: int, base: float) -> float:
    return float(node.lr(np.array([float(k)]), np.float64(base))[0])


# -- restart cycles: OneFlow's floating-point log ---------------------------------------------


def restart_log_error_step(T_0: int, T_mult: int, limit: int = NO_HORIZON) -> int | None:
    """First step below ``limit`` where OneFlow puts warm restarts in the wrong cycle, else None.

    Both the eager class and the graph kernel compute the cycle as
    ⌊log(1 + ⌊k/T_0⌋·(m − 1)) / log(m)⌋ in float64, which rounds below the integer
    at some exact powers (m = 3 at k = 121·T_0, m = 10 at 111·T_0), so the first step
    of that cycle gets the previous cycle's end. Only cycle starts can be wrong.
    """
    if T_mult == 1:
        return None
    c = 0
    while True:
        start = T_0 * (T_mult**c - 1) // (T_mult - 1)
        if start >= limit:
            return None
        q = start // T_0
        if math.floor(math.log(1 + q * (T_mult - 1)) / math.log(T_mult)) != c:
            return start
        c += 1


# -- leaves ------------------------------------------------------------------------------------


def _constant(node, bases, ctx):
    return Lowering(_spec("ConstantLR", factor=1.0, total_iters=0), {"constant_lr_conf": {"factor": 1.0, "total_iters": 0}})


def _constant_factor(node, bases, ctx):
    f, T = node.factor, node.total_iters
    if f <= 1.0:
        return Lowering(_spec("ConstantLR", factor=f, total_iters=T), {"constant_lr_conf": {"factor": f, "total_iters": T}})
    # the kernel's piecewise scaling takes segment i for boundaries[i-1] < k <= boundaries[i]
    graph = {"piecewise_scaling_conf": {"boundaries": [T - 1], "scales": [f, 1.0]}}
    return Lowering(None, graph, no_native=[f"{ctx.path}: OneFlow ConstantLR needs factor <= 1, got {f}"])


def _linear(node, bases, ctx):
    s, e, T = node.start_factor, node.end_factor, node.total_iters
    if 0.0 <= s <= 1.0 and 0.0 <= e <= 1.0:
        kw = {"start_factor": s, "end_factor": e, "total_iters": T}
        return Lowering(_spec("LinearLR", **kw), {"linear_lr_conf": kw})
    why = f"{ctx.path}: OneFlow LinearLR and the graph kernel need factors in [0, 1], got start {s}, end {e}"
    return Lowering(None, None, no_native=[why], no_graph=[why])


def _step(node, bases, ctx):
    graph = {"step_conf": {"step_size": node.step_size, "gamma": node.gamma}}
    if node.gamma > 0:
        return Lowering(_spec("StepLR", step_size=node.step_size, gamma=node.gamma), graph)
    return Lowering(None, graph, no_native=[f"{ctx.path}: OneFlow StepLR asserts gamma > 0"])


def _multistep(node, bases, ctx):
    ms = list(node.milestones)
    graph = {"multi_step_conf": {"milestones": ms, "gamma": node.gamma}} if ms else _constant(node, bases, ctx).graph
    if node.gamma > 0:
        return Lowering(_spec("MultiStepLR", milestones=ms, gamma=node.gamma), graph)
    return Lowering(None, graph, no_native=[f"{ctx.path}: OneFlow MultiStepLR asserts gamma > 0"])


def _piecewise(node, bases, ctx):
    bounds = [b - 1 for b in node.boundaries]  # IR: b[i-1] <= k < b[i]; kernel: b[i-1] < k <= b[i]
    key, vals = ("scales", "piecewise_scaling_conf") if node.relative else ("values", "piecewise_constant_conf")
    graph = {vals: {"boundaries": bounds, key: list(node.values)}}
    return Lowering(None, graph, no_native=[f"{ctx.path}: OneFlow has no eager piecewise-constant scheduler"])


def _exponential(node, bases, ctx):
    g, d = node.gamma, node.decay_steps
    if d == 1 or node.staircase:
        graph = {"step_conf": {"step_size": d, "gamma": g}}
        if g <= 0:
            return Lowering(None, graph, no_native=[f"{ctx.path}: OneFlow ExponentialLR/StepLR need gamma > 0"])
        native = _spec("ExponentialLR", gamma=g) if d == 1 else _spec("StepLR", step_size=d, gamma=g)
        return Lowering(native, graph)
    graph = {"exponential_conf": {"decay_batches": d, "decay_rate": g, "staircase": False}}
    return Lowering(None, graph, no_native=[f"{ctx.path}: OneFlow has no eager exponential decay over {d} steps"])


def _natural_exp(node, bases, ctx):
    if node.staircase:  # exp(−r·d·⌊k/d⌋) = kernel exp(−(r·d)·⌊k/d⌋)
        conf = {"decay_batches": node.decay_steps, "decay_rate": node.decay_rate * node.decay_steps, "staircase": True}
    else:  # exp(−r·k): decay_steps has no effect (MindSpore's real behaviour)
        conf = {"decay_batches": 1, "decay_rate": node.decay_rate, "staircase": False}
    return Lowering(None, {"natural_exp_conf": conf}, no_native=[f"{ctx.path}: OneFlow has no eager natural-exp scheduler"])


def _inverse_time(node, bases, ctx):
    conf = {"decay_batches": node.decay_steps, "decay_rate": node.decay_rate, "staircase": node.staircase}
    return Lowering(None, {"inverse_time_conf": conf}, no_native=[f"{ctx.path}: OneFlow has no eager inverse-time scheduler"])


def _cosine(node, bases, ctx):
    native = _spec("CosineAnnealingLR", T_max=node.T_max, eta_min=node.eta_min)
    low = Lowering(native, {"cosine_annealing_conf": {"t_max": node.T_max, "eta_min": node.eta_min}})
    # the kernel CHECKs eta_min < base lr (the base read as float32) and aborts the process otherwise
    if any(not node.eta_min < float(np.float32(b)) for b in ctx.group_bases):
        low.graph = None
        low.no_graph.append(
            f"{ctx.path}: the nn.Graph cosine-annealing kernel requires eta_min ({node.eta_min}) "
            f"below every group's base lr ({min(ctx.group_bases)})"
        )
    return low


def _cosine_decay(node, bases, ctx):
    # OneFlow: b·((1 − α)·c + α); the IR floor is min_lr + alpha·b, so α_eff = alpha + min_lr/b
    alphas = [node.alpha + node.min_lr / b if b else None for b in _bases_for(node, bases)]
    alpha = _uniform(alphas) if alphas else None
    if alpha is None:
        why = (
            f"{ctx.path}: cosine_decay with an absolute min_lr needs alpha = min_lr / base lr, which differs "
            f"between groups with base lrs {sorted(set(bases))}"
        )
        return Lowering(None, None, no_native=[why], no_graph=[why])
    return Lowering(_spec("CosineDecayLR", decay_steps=node.decay_steps, alpha=alpha),
                    {"cosine_conf": {"decay_batches": node.decay_steps, "alpha": alpha}})  # fmt: skip


def _cosine_restarts(node, bases, ctx):
    kw = {"T_0": node.T_0, "T_mult": node.T_mult, "eta_min": node.eta_min,
          "decay_rate": node.decay_rate, "restart_limit": node.restart_limit}  # fmt: skip
    graph = {"cosine_annealing_warm_restarts_conf": {"t_initial": node.T_0, "t_mult": node.T_mult, "eta_min": node.eta_min,
             "decay_rate": node.decay_rate, "restart_limit": node.restart_limit}}  # fmt: skip
    bad = restart_log_error_step(node.T_0, node.T_mult, ctx.horizon)
    if bad is None:
        return Lowering(_spec("CosineAnnealingWarmRestarts", **kw), graph)
    why = (
        f"{ctx.path}: OneFlow computes the restart cycle with a floating-point log and puts step {bad} "
        f"(T_0={node.T_0}, T_mult={node.T_mult}) in the previous cycle; exact only for horizon.steps <= {bad}"
    )
    return Lowering(None, None, no_native=[why], no_graph=[why])


def _polynomial(node, bases, ctx):
    kw = {"decay_batch": node.total_iters, "end_learning_rate": node.end_lr, "power": node.power, "cycle": node.cycle}
    native = _spec("PolynomialLR", **kw)
    graph = {"polynomial_conf": {"decay_batches": node.total_iters, "end_learning_rate": node.end_lr,
             "power": node.power, "cycle": node.cycle}}  # fmt: skip
    if not node.cycle or node.cycle_min_step == 1:
        return Lowering(native, graph)
    if node.cycle_min_step == 0:
        # OneFlow treats k = 0 as 1; the IR (MindSpore) gives b at k = 0: a constant first step, then the cycle
        const = _constant(node, bases, ctx)
        seq = {"class": "SequentialLR", "schedulers": [const.native, native], "kwargs": {"milestones": [1], "interval_rescaling": [False]}}
        conf = {"sequential_scheduler_conf": {"schedulers": [const.graph, graph], "milestones": [1], "interval_rescaling": [False]}}
        return Lowering(seq, conf, leaf=False)
    why = f"{ctx.path}: OneFlow's cyclic polynomial decay starts at step 1, not cycle_min_step={node.cycle_min_step}"
    return Lowering(None, None, no_native=[why], no_graph=[why])


def _tabulated(node, bases, ctx):
    n = len(node.values)
    key, conf = ("scales", "piecewise_scaling_conf") if node.relative else ("values", "piecewise_constant_conf")
    graph = {conf: {"boundaries": list(range(n - 1)), key: list(node.values)}}
    return Lowering(None, graph, no_native=[f"{ctx.path}: a tabulated schedule has no OneFlow eager class"])


def _no_oneflow(node, bases, ctx):
    why = f"{ctx.path}: OneFlow has no {node.kind} scheduler"
    return Lowering(None, None, no_native=[why], no_graph=[f"{why}; {GRAPH_KERNEL}"])


def _plateau(node, bases, ctx):
    why = f"{ctx.path}: reduce_on_plateau is metric-driven; OneFlow runs it only as the whole plan's scheduler, in eager mode"
    return Lowering(None, None, no_native=[why], no_graph=[why])


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
    "constant": _constant, "constant_factor": _constant_factor, "linear": _linear, "step": _step,
    "multistep": _multistep, "piecewise": _piecewise, "exponential": _exponential, "natural_exp": _natural_exp,
    "inverse_time": _inverse_time, "cosine": _cosine, "cosine_decay": _cosine_decay,
    "cosine_restarts": _cosine_restarts, "polynomial": _polynomial, "tabulated": _tabulated,
    "one_cycle": _no_oneflow, "cyclic": _no_oneflow, "inverse_sqrt": _no_oneflow, "noam": _no_oneflow,
    "sequential": _sequential, "chained": _chained, "warmup": _warmup, "by_epoch": _by_epoch,
    "reduce_on_plateau": _plateau,
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


# -- the plan ----------------------------------------------------------------------------------


@dataclass
class Export:
    """Everything ``to_oneflow`` builds for one mode, as plain data.

    ``groups[g]``: ``{"lr": base lr the scheduler reads (initial_lr), "lr_scale": graph only}``.
    ``scheduler``: a native spec or a ``lrbridge.PlanLR`` spec; ``graph_conf`` the conf nn.Graph compiles.
    """

    mode: str
    groups: list[dict]
    scheduler: dict | None
    graph_conf: dict | None = None
    reasons: list[str] = field(default_factory=list)
    alternative: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.reasons

    def to_json(self) -> dict:
        return {"mode": self.mode, "groups": self.groups, "scheduler": self.scheduler, "graph_conf": self.graph_conf,
                "reasons": self.reasons, "alternative": self.alternative, "notes": self.notes}  # fmt: skip


def _horizon(plan) -> int:
    return plan.horizon.steps if plan.horizon.steps is not None else NO_HORIZON


def _group_paths(plan) -> list[str]:
    return [f"groups[{i}].scheduler" if g.scheduler is not None else "scheduler" for i, g in enumerate(plan.groups)]


def _dedupe(items):
    return list(dict.fromkeys(items))


def _plan_lr_spec(plan, mode: str, graph_conf=None) -> dict:
    from lrbridge.io import plan_to_dict

    return {"class": PLAN_LR, "kwargs": {"plan": plan_to_dict(plan), "graph": mode == "graph", "graph_conf": graph_conf}}


def _plateau_export(plan, mode) -> Export | None:
    """A plan using ReduceOnPlateau: OneFlow's ReduceLROnPlateau, eager, one for the whole plan."""
    scheds = [plan.group_schedule(g) for g in plan.groups]
    if not any(n.kind == "reduce_on_plateau" for s in scheds for n in s.walk()):
        return None
    groups = [{"lr": plan.group_base_lr(g)} for g in plan.groups]
    ex = Export(mode, groups, None, alternative=None)
    s = scheds[0]
    if mode == "graph":
        ex.reasons.append("ReduceLROnPlateau is no LRScheduler; nn.Graph add_optimizer(lr_sch=...) rejects it")
        ex.alternative = EAGER_ALTERNATIVE + " with flow.optim.lr_scheduler.ReduceLROnPlateau stepped on the metric"
        return ex
    if s.kind != "reduce_on_plateau" or any(x != s for x in scheds):
        ex.reasons.append("reduce_on_plateau must be the whole plan's scheduler, the same for every group")
    if any(g.lr_scale != 1.0 for g in plan.groups):
        ex.reasons.append("reduce_on_plateau with lr_scale != 1: its min_lr is absolute, so lr_scale cannot fold into lr")
    if ex.reasons:
        ex.alternative = "one ReduceOnPlateau as the plan scheduler with lr_scale 1"
        return ex
    kw = {k: getattr(s, k) for k in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps")}
    ex.scheduler = _spec("ReduceLROnPlateau", **kw)
    ex.notes.append("ReduceLROnPlateau steps on the validation metric: call scheduler.step(metric) once per evaluation")
    return ex


def export_eager(plan) -> Export:
    """Eager: OneFlow's own classes where they equal the IR, else lrbridge.PlanLR (closed form, exact)."""
    plateau = _plateau_export(plan, "eager")
    if plateau is not None:
        return plateau
    scheds = [plan.group_schedule(g) for g in plan.groups]
    bases = [plan.group_base_lr(g) for g in plan.groups]
    folded = [g.lr_scale * b for g, b in zip(plan.groups, bases)]
    why: list[str] = []
    if any(s != scheds[0] for s in scheds):
        why.append("groups follow different schedules (one OneFlow scheduler steps every group alike)")
    s = scheds[0]
    if any(g.lr_scale != 1.0 for g in plan.groups) and not s.is_scale_equivariant():
        why.append("lr_scale cannot fold into the lr of a schedule with absolute values")
    if plan.horizon.past == "hold":
        why.append(f"OneFlow schedulers do not hold the lr past horizon.steps={plan.horizon.steps}")
    if not why:
        ctx = _Ctx("scheduler", _horizon(plan), tuple(folded))
        low = lower(s, folded, ctx)
        if low.native is not None:
            return Export("eager", [{"lr": b} for b in folded], low.native, notes=[f"OneFlow's own {describe(low.native)}"])
        why += low.no_native
    note = "lrbridge.PlanLR (closed form, exact) because: " + "; ".join(_dedupe(why))
    return Export("eager", [{"lr": b} for b in bases], _plan_lr_spec(plan, "eager"), notes=[note])


def _hold_conf(conf: dict, node, base: float, steps: int) -> dict:
    """Append a held stage from ``steps`` on: the lr of step steps − 1, as a multiple of the base."""
    b = 1.0 if node.is_scale_equivariant() else base
    held = _lr_at(node, steps - 1, b) / b if b else 0.0
    hold = {"piecewise_scaling_conf": {"boundaries": [], "scales": [held]}}
    return {"sequential_scheduler_conf": {"schedulers": [conf, hold], "milestones": [steps], "interval_rescaling": [False]}}


def export_graph(plan) -> Export:
    """nn.Graph: one conf for every group (base lr and lr_scale per group), or the reasons it cannot."""
    plateau = _plateau_export(plan, "graph")
    if plateau is not None:
        return plateau
    scheds = [plan.group_schedule(g) for g in plan.groups]
    bases = [plan.group_base_lr(g) for g in plan.groups]
    groups = [{"lr": b, "lr_scale": g.lr_scale} for g, b in zip(plan.groups, bases)]
    ex = Export("graph", groups, None)
    paths = _group_paths(plan)
    confs = []
    for s, b, path in zip(scheds, bases, paths):
        low = lower(s, [b], _Ctx(path, _horizon(plan), tuple(bases)))
        ex.reasons += low.no_graph
        conf = low.graph
        if conf is not None and plan.horizon.past == "hold":
            conf = _hold_conf(conf, s, b, plan.horizon.steps)
        confs.append(conf)
    ex.reasons = _dedupe(ex.reasons)
    if ex.reasons:
        ex.alternative = _alternative(plan, ex.reasons)
        return ex
    differ = [i for i, c in enumerate(confs) if c != confs[0]]
    if differ:
        names = [plan.groups[i].name for i in [0, *differ]]
        ex.reasons.append(
            f"groups {names} need nn.Graph schedules that differ in shape, not only in scale "
            f"({_describe_conf(confs[0])} vs {_describe_conf(confs[differ[0]])}): nn.Graph copies one scheduler conf "
            "into every group of an optimizer and varies only the base lr and lr_scale per group"
        )
        ex.alternative = (
            EAGER_ALTERNATIVE + "; or one optimizer per distinct group schedule, each passed to graph.add_optimizer with its own lr_sch"
        )
        return ex
    ex.graph_conf = confs[0]
    native = None
    if all(s == scheds[0] for s in scheds) and plan.horizon.past != "hold":
        native = lower(scheds[0], bases, _Ctx("scheduler", _horizon(plan), tuple(bases))).native
    if native is not None:
        ex.scheduler = native
        ex.notes.append(f"OneFlow's own {describe(native)} (its _generate_conf_for_graph writes graph_conf)")
    else:
        ex.scheduler = _plan_lr_spec(plan, "graph", confs[0])
        ex.notes.append("lrbridge.PlanLR writing graph_conf into nn.Graph's LearningRateDecayConf")
    if any(g.lr_scale != 1.0 for g in plan.groups):
        ex.notes.append("per-group lr_scale set in the optimizer's param_groups (nn.Graph applies it)")
    return ex


def describe(spec: dict) -> str:
    """'WarmupLR(CosineAnnealingLR)' for a native spec."""
    inner = spec.get("schedulers") or ([spec["scheduler"]] if spec.get("scheduler") else [])
    return spec["class"] + (f"({', '.join(describe(s) for s in inner)})" if inner else "")


def _alternative(plan, reasons: list[str]) -> str:
    bad = [r for r in reasons if "horizon.steps <=" in r]
    if bad:
        return EAGER_ALTERNATIVE + "; or a horizon.steps below the step named"
    return EAGER_ALTERNATIVE


def _describe_conf(conf: dict) -> str:
    (key, val), = conf.items()
    if key == "sequential_scheduler_conf":
        return "sequential(" + ", ".join(_describe_conf(c) for c in val["schedulers"]) + ")"
    return key.removesuffix("_conf") + "(" + ", ".join(f"{k}={v}" for k, v in val.items() if not isinstance(v, list)) + ")"


def export(plan, mode: str = "eager") -> Export:
    if mode == "eager":
        return export_eager(plan)
    if mode == "graph":
        return export_graph(plan)
    raise ValueError(f"OneFlow has no mode '{mode}'; modes: eager, graph")


# -- optimizer mapping (torch names -> OneFlow) ------------------------------------------------

#: canonical optimizer -> OneFlow class, and the hyperparameters passed explicitly (OneFlow's defaults differ)
OPTIMIZERS = {
    "sgd": ("SGD", ("momentum", "dampening", "weight_decay", "nesterov")),
    "adam": ("Adam", ("betas", "eps", "weight_decay", "amsgrad")),
    "adamw": ("AdamW", ("betas", "eps", "weight_decay", "amsgrad")),
    "rmsprop": ("RMSprop", ("alpha", "eps", "weight_decay", "momentum", "centered")),
    "adagrad": ("Adagrad", ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")),
}


def optimizer_problems(plan) -> list[str]:
    """Where OneFlow's optimizer would update differently from the torch-named spec."""
    spec = plan.optimizer
    hp = spec.resolved()
    out = []
    for g in plan.groups:
        merged = {**hp, **g.hparams}
        where = f"group '{g.name}'" if g.hparams else "optimizer"
        if spec.name == "sgd" and merged["momentum"] > 0 and merged["dampening"] > 0:
            out.append(
                f"{where}: sgd with momentum={merged['momentum']} and dampening={merged['dampening']}: OneFlow dampens "
                "the first momentum step too (buf = (1 − dampening)·grad), torch does not; use dampening 0"
            )
        if spec.name == "rmsprop" and merged["momentum"] != 0:
            out.append(f"{where}: OneFlow RMSprop supports momentum 0 only, got {merged['momentum']}")
        unknown = set(g.hparams) - set(OPTIMIZERS[spec.name][1])
        if unknown:
            out.append(f"group '{g.name}': OneFlow {OPTIMIZERS[spec.name][0]} has no hyperparameter {sorted(unknown)}")
    return _dedupe(out)


def optimizer_kwargs(plan) -> tuple[str, dict]:
    """OneFlow class name and explicit keyword arguments (lr excluded) for the plan's optimizer."""
    cls, keys = OPTIMIZERS[plan.optimizer.name]
    hp = plan.optimizer.resolved()
    kw = {k: (list(hp[k]) if isinstance(hp[k], tuple) else hp[k]) for k in keys}
    return cls, kw


# -- worker ops and generated code -------------------------------------------------------------


def op_check(request):
    """Worker op ``check``: ``{"plan": ..., "mode": ...}`` -> the CheckResult as JSON."""
    from lrbridge.io import plan_from_dict

    from .capability import check

    res = check(plan_from_dict(request["plan"]), request.get("mode"))
    return {"ok": res.ok, "reasons": res.reasons, "alternative": res.alternative, "notes": res.notes}


def op_export(request):
    """Worker op ``export``: ``{"plan": ..., "mode": ...}`` -> the Export as JSON plus generated ``code``.

    ``live: true`` (graph) adds the conf the live scheduler writes; ``verify_steps: N`` with
    ``param_names`` runs the generated eager code and returns its group lrs; ``cases`` batches.
    """
    from lrbridge.io import plan_from_dict

    if "cases" in request:  # a batch: one answer per case, {"error": msg} for a failed one
        out = []
        for i, case in enumerate(request["cases"]):
            try:
                out.append(op_export(case))
            except Exception as exc:
                out.append({"error": f"cases[{i}]: {type(exc).__name__}: {exc}"})
        return out
    plan = plan_from_dict(request["plan"])
    mode = request.get("mode", "eager")
    ex = export(plan, mode)
    out = {**ex.to_json(), "code": generate_code(plan, mode) if ex.ok and not optimizer_problems(plan) else None}
    if request.get("live") and ex.ok and mode == "graph":
        # what the live scheduler really writes into nn.Graph's conf (needs OneFlow: worker only)
        from .live import flow, graph_conf_of, graph_conf_proto_json, to_oneflow

        opt = flow.optim.SGD([{"params": [flow.nn.Parameter(flow.zeros(1))], "lr": 0.0} for _ in plan.groups])
        out["live_graph_conf"] = graph_conf_of(to_oneflow(plan, opt, graph=True))
        out["graph_conf_proto"] = graph_conf_proto_json(ex.graph_conf)
    if request.get("verify_steps") and out["code"] and mode == "eager":
        out["verified_lr"] = run_generated(out["code"], request["param_names"], int(request["verify_steps"]))
    return out


def run_generated(code: str, param_names: list[str], steps: int) -> list[list[float]]:
    """Execute generated eager code on a model with the given parameter names; the group lrs of steps 0..N−1.

    OneFlow interpreter only. Reads ``param_groups[g]["lr"]`` before each optimizer step
    (no parameter reads), stepping the scheduler after it as the generated code expects.
    """
    from .live import flow

    class Model(flow.nn.Module):
        def __init__(self):
            super().__init__()
            for name in param_names:  # dotted names: nested modules, as in a real model
                *path, leaf = name.split(".")
                mod = self
                for part in path:
                    if not hasattr(mod, part):
                        mod.add_module(part, flow.nn.Module())
                    mod = getattr(mod, part)
                setattr(mod, leaf, flow.nn.Parameter(flow.zeros(1)))

    scope: dict = {}
    exec(compile(code, "<lrbridge generated>", "exec"), scope)
    optimizer, scheduler = scope["build"](Model())
    rows = [[] for _ in optimizer.param_groups]
    for _ in range(steps):
        for row, group in zip(rows, optimizer.param_groups):
            row.append(float(group["lr"]))
        optimizer.step()
        scheduler.step()
    return rows


def _literal(spec: dict, opt: str = "optimizer") -> str:
    """Python source constructing a native spec."""
    cls = spec["class"]
    kwargs = ", ".join(f"{k}={v!r}" for k, v in spec.get("kwargs", {}).items())
    sep = ", " if kwargs else ""
    if cls in ("SequentialLR",):
        subs = ", ".join(_literal(s, opt) for s in spec["schedulers"])
        return f"flow.optim.lr_scheduler.SequentialLR({opt}, [{subs}]{sep}{kwargs})"
    if cls == "ChainedScheduler":
        return f"flow.optim.lr_scheduler.ChainedScheduler([{', '.join(_literal(s, opt) for s in spec['schedulers'])}])"
    if cls == "WarmupLR":
        inner = _literal(spec["scheduler"], opt) if spec.get("scheduler") else opt
        return f"flow.optim.lr_scheduler.WarmupLR({inner}{sep}{kwargs})"
    return f"flow.optim.lr_scheduler.{cls}({opt}{sep}{kwargs})"


def generate_code(plan, mode: str = "eager") -> str:
    """Runnable OneFlow source building the optimizer (param groups by the plan's selectors) and scheduler.

    Raises UnrepresentableError when the mode cannot express the plan (the same message as check).
    """
    from lrbridge.capability import CheckResult
    from lrbridge.io import plan_to_dict

    ex = export(plan, mode)
    problems = optimizer_problems(plan)
    if ex.reasons or problems:
        CheckResult("oneflow", mode, False, ex.reasons + problems, ex.alternative).raise_if_not_ok()
    cls, kw = optimizer_kwargs(plan)
    groups = []
    for g, eg in zip(plan.groups, ex.groups):
        opts = {"lr": eg["lr"], "weight_decay": plan.group_weight_decay(g), **g.hparams}
        if mode == "graph":
            opts["lr_scale"] = eg["lr_scale"]
        groups.append((g.name, opts))
    lines = [
        f"# OneFlow {mode} code generated by lrbridge from the plan below; lr per group = "
        + ("initial lr x schedule x lr_scale (nn.Graph)" if mode == "graph" else "lr_scale folded into lr (eager ignores lr_scale)"),
        "import json",
        "import oneflow as flow",
        "from lrbridge.groups import assign_params",
        "from lrbridge.io import plan_from_dict",
        "",
        f"PLAN = plan_from_dict(json.loads({json.dumps(json.dumps(plan_to_dict(plan)))}))",
        f"GROUP_OPTIONS = {dict(groups)!r}",
        "",
        "",
        "def build(model):",
        '    """Optimizer and lr scheduler for ``model`` (its parameters grouped by the plan\'s selectors)."""',
        "    params = dict(model.named_parameters())",
        "    owned = assign_params(PLAN.groups, params)",
        "    groups = [{'params': [params[n] for n in owned[name]], **GROUP_OPTIONS[name]} for name in GROUP_OPTIONS]",
        f"    optimizer = flow.optim.{cls}(groups, " + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")",
    ]
    if ex.scheduler["class"] == PLAN_LR:
        lines += [
            "    from adapters.oneflow import to_oneflow  # closed form: " + "; ".join(ex.notes),
            f"    scheduler = to_oneflow(PLAN, optimizer, graph={mode == 'graph'})",
        ]
    else:
        lines.append(f"    scheduler = {_literal(ex.scheduler)}")
    lines.append("    return optimizer, scheduler")
    if mode == "graph":
        lines += [
            "",
            "",
            "# in your nn.Graph: self.add_optimizer(optimizer, lr_sch=scheduler)",
        ]
    return "\n".join(lines) + "\n"


def render(plan, steps: int, fmt: str):
    """``lrbridge convert --to oneflow``: python = runnable eager code (graph variant noted in it);
    json = both modes' exports (scheduler specs, group lrs, graph conf or reasons) and the lr table;
    npy = the lr table (groups, steps), float64 reference (eager applies it rounded to float32 exactly)."""
    from lrbridge.reference import evaluate

    if fmt == "python":
        return generate_code(plan, "eager")
    table = evaluate(plan, steps)
    if fmt == "npy":
        import io

        buf = io.BytesIO()
        np.save(buf, table)
        return buf.getvalue()
    doc = {
        "steps": steps,
        "eager": export(plan, "eager").to_json(),
        "graph": export(plan, "graph").to_json(),
        "optimizer": dict(zip(("class", "kwargs"), optimizer_kwargs(plan))),
        "optimizer_problems": optimizer_problems(plan),
        "groups": [{"name": g.name, "lr": row.tolist()} for g, row in zip(plan.groups, table)],
    }
    return json.dumps(doc) + "\n"
