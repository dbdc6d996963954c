"""Leaf lowerings: one IR schedule node without children -> OneFlow class spec and nn.Graph conf.

Holds the ``Lowering`` result every lowering returns, the helpers they share and
OneFlow's floating-point restart-cycle quirk; separate from ``lowering.py``
because leaves never recurse, so composites (which do, through ``lower``) can
build on this module without a cycle. Framework-free: plain data only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: OneFlow leaf classes: they have ``get_lr`` and may sit inside SequentialLR/WarmupLR/ChainedScheduler
LEAF_CLASSES = {
    "ConstantLR", "LinearLR", "StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR",
    "CosineDecayLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
}  # fmt: skip
NO_HORIZON = 2**53  # bound used for horizon-dependent checks when the plan sets none

GRAPH_KERNEL = (
    "nn.Graph compiles only step, multi-step, exponential, inverse-time, natural-exp, piecewise, "
    "polynomial, cosine, cosine-annealing, warm-restart, linear, constant and sequential schedules"
)


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
    if not ms:  # OneFlow's MultiStepLR writes an empty milestone list the graph kernel aborts on (CHECK size >= 1)
        return _constant(node, bases, ctx)
    graph = {"multi_step_conf": {"milestones": ms, "gamma": node.gamma}}
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


#: leaf kind -> lowering; ``lowering.py`` adds the composites to make the full dispatch table
LEAF_LOWERINGS = {
    "constant": _constant, "constant_factor": _constant_factor, "linear": _linear, "step": _step,
    "multistep": _multistep, "piecewise": _piecewise, "exponential": _exponential, "natural_exp": _natural_exp,
    "inverse_time": _inverse_time, "cosine": _cosine, "cosine_decay": _cosine_decay,
    "cosine_restarts": _cosine_restarts, "polynomial": _polynomial, "tabulated": _tabulated,
    "one_cycle": _no_oneflow, "cyclic": _no_oneflow, "inverse_sqrt": _no_oneflow, "noam": _no_oneflow,
    "cycle_anneal": _no_oneflow, "log_warmup": _no_oneflow, "shaped": _no_oneflow,
    "floor_step": _no_oneflow, "linear_growth": _no_oneflow, "triangular": _no_oneflow,
    "reduce_on_plateau": _plateau,
}  # fmt: skip
