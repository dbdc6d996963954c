"""IR schedules as graph-compilable MindSpore cells that compute in float64.

Every IR node becomes a small ``nn.Cell`` with ``construct(k, base)``: ``k`` is
the step as a float64 tensor of shape (1,), ``base`` the base lr (float64), and
the output is the node's lr in float64, with the same operations in the same
order as the numpy reference (``lrbridge/schedules``). ``PlanLR`` wraps a tree
into a ``LearningRateSchedule`` (global_step -> float32 lr) for MindSpore
optimizers.

Why float64 tensors for every constant: MindSpore converts a Python float
operand to float32 before mixing it with a float64 tensor (measured:
``exp(k * -1e-4)`` was off by 5e-7 relative, ``pow(0.9995, k)`` by 1.6e-3), so
each constant is a 0-d float64 ``Tensor`` made by ``_c``. With that, Cos, Exp,
Pow, Log on CPU agree with numpy to 1 float64 ulp, and the float32 output is
within 1 float32 ulp of the reference (0 almost everywhere).

Memory is O(1) in the number of steps for every closed form; ``Tabulated`` keeps
its table as a float64 constant and gathers (index clamped like the reference).
"""

from __future__ import annotations

import numpy as np
from mindspore import Tensor, nn, ops
from mindspore import dtype as mstype

from lrbridge.errors import UnrepresentableError

F64 = mstype.float64


def _c(value) -> Tensor:
    """A float64 constant (0-d, or 1-d for a sequence)."""
    return Tensor(np.asarray(value, np.float64), F64)


class _Node(nn.Cell):
    """Base of the per-family cells: ``construct(k, base) -> lr`` in float64."""

    def __init__(self):
        super().__init__()
        self.zero = _c(0.0)
        self.one = _c(1.0)
        self.half = _c(0.5)
        self.pi = _c(np.pi)

    def half_cos(self, frac):
        """0.5·(1 + cos(π·frac)) (same order as the reference)."""
        return self.half * (self.one + ops.cos(self.pi * frac))


class ConstantCell(_Node):
    """lr = b."""

    def construct(self, k, base):
        return base * ops.ones_like(k)


class ConstantFactorCell(_Node):
    """lr = b·(factor if k < T else 1)."""

    def __init__(self, node):
        super().__init__()
        self.factor = _c(node.factor)
        self.total = _c(node.total_iters)

    def construct(self, k, base):
        return base * ops.where(k < self.total, self.factor, self.one)


class LinearRampCell(_Node):
    """lr = b·(s + (e − s)·min(k, T)/T); b·e when T = 0."""

    def __init__(self, node):
        super().__init__()
        self.zero_len = node.total_iters == 0
        self.start = _c(node.start_factor)
        self.end = _c(node.end_factor)
        self.span = _c(node.end_factor - node.start_factor)
        self.total = _c(node.total_iters if node.total_iters else 1)

    def construct(self, k, base):
        if self.zero_len:
            return base * (self.end * ops.ones_like(k))
        frac = ops.minimum(k, self.total) / self.total
        return base * (self.start + self.span * frac)


class StepCell(_Node):
    """lr = b·γ^⌊k / step_size⌋."""

    def __init__(self, node):
        super().__init__()
        self.gamma = _c(node.gamma)
        self.size = _c(node.step_size)

    def construct(self, k, base):
        return base * ops.pow(self.gamma, ops.floor(k / self.size))


class _CountCell(_Node):
    """Number of sorted thresholds ≤ k (``searchsorted(side='right')``), as float64 of shape (1,)."""

    def __init__(self, thresholds):
        super().__init__()
        self.empty = len(thresholds) == 0
        self.thresholds = _c(list(thresholds) if thresholds else [0.0])
        self.sum = ops.ReduceSum(keep_dims=True)

    def count(self, k):
        if self.empty:
            return k * self.zero
        return self.sum(ops.cast(k >= self.thresholds, F64))


class MultiStepCell(_CountCell):
    """lr = b·γ^(milestones ≤ k)."""

    def __init__(self, node):
        super().__init__(node.milestones)
        self.gamma = _c(node.gamma)

    def construct(self, k, base):
        return base * ops.pow(self.gamma, self.count(k))


class PiecewiseCell(_CountCell):
    """lr = values[i] (or b·values[i]) with i = boundaries ≤ k."""

    def __init__(self, node):
        super().__init__(node.boundaries)
        self.values = _c(node.values)
        self.relative = node.relative

    def construct(self, k, base):
        vals = ops.gather(self.values, ops.cast(self.count(k), mstype.int32), 0)
        if self.relative:
            return base * vals
        return vals * ops.ones_like(base)


class _DecayClockNode(_Node):
    """Nodes decaying on p = k / decay_steps, floored with staircase."""

    def clock(self, k):
        p = k / self.steps
        if self.staircase:
            p = ops.floor(p)
        return p


class ExponentialCell(_DecayClockNode):
    """lr = b·γ^p, p = k / decay_steps (floored with staircase)."""

    def __init__(self, node):
        super().__init__()
        self.gamma = _c(node.gamma)
        self.steps = _c(node.decay_steps)
        self.staircase = node.staircase

    def construct(self, k, base):
        return base * ops.pow(self.gamma, self.clock(k))


class NaturalExpCell(_Node):
    """lr = b·exp(−r·t), t = k or decay_steps·⌊k / decay_steps⌋."""

    def __init__(self, node):
        super().__init__()
        self.neg_rate = _c(-node.decay_rate)
        self.steps = _c(node.decay_steps)
        self.staircase = node.staircase

    def construct(self, k, base):
        t = k
        if self.staircase:
            t = self.steps * ops.floor(k / self.steps)
        return base * ops.exp(self.neg_rate * t)


class InverseTimeCell(_DecayClockNode):
    """lr = b / (1 + r·p), p = k / decay_steps (floored with staircase)."""

    def __init__(self, node):
        super().__init__()
        self.rate = _c(node.decay_rate)
        self.steps = _c(node.decay_steps)
        self.staircase = node.staircase

    def construct(self, k, base):
        return base / (self.one + self.rate * self.clock(k))


class CosineAnnealingCell(_Node):
    """lr = η + (b − η)·½(1 + cos(π·k/T)), periodic."""

    def __init__(self, node):
        super().__init__()
        self.eta = _c(node.eta_min)
        self.period = _c(node.T_max)

    def construct(self, k, base):
        return self.eta + (base - self.eta) * self.half_cos(k / self.period)


class CosineDecayCell(_Node):
    """lr = m + (b − m)·½(1 + cos(π·min(k, S)/S)), m = min_lr + alpha·b."""

    def __init__(self, node):
        super().__init__()
        self.min_lr = _c(node.min_lr)
        self.alpha = _c(node.alpha)
        self.steps = _c(node.decay_steps)

    def construct(self, k, base):
        floor = self.min_lr + self.alpha * base
        return floor + (base - floor) * self.half_cos(ops.minimum(k, self.steps) / self.steps)


class CosineWarmRestartsCell(_Node):
    """Cosine with restarts; cycle c, position τ and length T_c computed exactly in float64.

    Cycle c starts at T_0·(m^c − 1)/(m − 1), an integer below 2^53 and hence exact
    in float64; a log estimate is corrected twice, as in ``restart_cycles``.
    """

    def __init__(self, node):
        super().__init__()
        self.geometric = node.T_mult != 1
        self.t0 = _c(node.T_0)
        self.m = _c(node.T_mult)
        self.m_minus_1 = _c(node.T_mult - 1)
        self.log_m = _c(np.log(node.T_mult) if node.T_mult > 1 else 1.0)
        self.eta = _c(node.eta_min)
        self.decay = _c(node.decay_rate)
        self.limit = node.restart_limit
        self.limit_c = _c(node.restart_limit)

    def start(self, c):
        return self.t0 * (ops.pow(self.m, c) - self.one) / self.m_minus_1

    def construct(self, k, base):
        if self.geometric:
            est = ops.floor(ops.log(self.one + k * self.m_minus_1 / self.t0) / self.log_m)
            cycle = ops.maximum(est, self.zero)
            for _ in range(2):  # the estimate is off by at most one
                cycle = ops.where(self.start(cycle) > k, cycle - self.one, cycle)
                cycle = ops.where(self.start(cycle + self.one) <= k, cycle + self.one, cycle)
            tau = k - self.start(cycle)
            length = self.t0 * ops.pow(self.m, cycle)
        else:
            cycle = ops.floor(k / self.t0)
            tau = k - cycle * self.t0
            length = self.t0 * ops.ones_like(k)
        peak = base * ops.pow(self.decay, cycle)
        out = self.eta + (peak - self.eta) * self.half_cos(tau / length)
        if self.limit:
            out = ops.where(cycle < self.limit_c, out, self.eta * ops.ones_like(out))
        return out


class PolynomialCell(_Node):
    """lr = (b − end)·(1 − t/D)^power + end, with the cycle rule of the reference."""

    def __init__(self, node):
        super().__init__()
        self.cycle = node.cycle
        self.total = _c(node.total_iters)
        self.power = _c(node.power)
        self.end = _c(node.end_lr)
        self.min_step = _c(node.cycle_min_step)

    def construct(self, k, base):
        if self.cycle:
            t = ops.maximum(k, self.min_step)
            horizon = self.total * ops.maximum(ops.ceil(t / self.total), self.one)
        else:
            t = ops.minimum(k, self.total)
            horizon = self.total
        return (base - self.end) * ops.pow(self.one - t / horizon, self.power) + self.end


class OneCycleCell(_Node):
    """torch OneCycleLR (lr part): the phase is the first whose end step is ≥ k (the last one otherwise)."""

    def __init__(self, node):
        super().__init__()
        self.cos = node.anneal_strategy == "cos"
        phases, start = [], 0.0
        for end, lo, hi in node.phases():
            # (start_lr − end_lr)·0.5 for cos, (end_lr − start_lr) for linear: the reference's first product.
            slope = (lo - hi) * 0.5 if self.cos else (hi - lo)
            phases.append((_c(end), _c(start), _c(end - start), _c(lo), _c(hi), _c(slope)))
            start = end
        self.phases = tuple(phases)
        self.n = len(phases)

    def anneal(self, k, i):
        end, start, width, lo, hi, slope = self.phases[i]
        pct = (k - start) / width
        if self.cos:
            return hi + slope * (self.one + ops.cos(self.pi * pct))
        return lo + slope * pct

    def construct(self, k, base):
        out = self.anneal(k, self.n - 1)
        for j in range(self.n - 1):
            i = self.n - 2 - j
            out = ops.where(k <= self.phases[i][0], self.anneal(k, i), out)
        return out * ops.ones_like(base)


class CyclicCell(_Node):
    """torch CyclicLR (lr part): triangular waves, ``f`` = 1, 1/2^(c−1) or γ^k."""

    def __init__(self, node):
        super().__init__()
        up = float(node.step_size_up)
        down = float(node.step_size_down if node.step_size_down is not None else node.step_size_up)
        total = up + down
        ratio = up / total
        self.total = _c(total)
        self.ratio = _c(ratio)
        self.ratio_m1 = _c(ratio - 1.0)
        self.two = _c(2.0)
        self.mode = node.mode
        self.gamma = _c(node.gamma)
        self.base_lr = _c(node.base_lr)
        self.amp = _c(node.max_lr - node.base_lr)

    def construct(self, k, base):
        cycle = ops.floor(self.one + k / self.total)
        x = self.one + k / self.total - cycle
        scale = ops.where(x <= self.ratio, x / self.ratio, (x - self.one) / self.ratio_m1)
        if self.mode == "triangular2":
            out = self.base_lr + self.amp * scale * (self.one / ops.pow(self.two, cycle - self.one))
        elif self.mode == "exp_range":
            out = self.base_lr + self.amp * scale * ops.pow(self.gamma, k)
        else:
            out = self.base_lr + self.amp * scale
        return out * ops.ones_like(base)


class InverseSqrtCell(_Node):
    """lr = b·k/W for k < W, else b / sqrt((k + τ − W)/τ)."""

    def __init__(self, node):
        super().__init__()
        w = node.warmup_steps
        self.w = _c(w)
        self.has_warmup = w > 0
        self.tau = _c(node.timescale or (w or 10_000))

    def construct(self, k, base):
        decay = self.one / ops.sqrt((ops.maximum(k, self.w) + self.tau - self.w) / self.tau)
        if self.has_warmup:
            return base * ops.where(k < self.w, k / self.w, decay)
        return base * decay


class NoamCell(_Node):
    """lr = b·d^−½·min(s^−½, s·W^−3/2), s = k + 1."""

    def __init__(self, node):
        super().__init__()
        self.scale = _c(node.d_model**-0.5)
        self.neg_half = _c(-0.5)
        self.ramp = _c(node.warmup_steps**-1.5)

    def construct(self, k, base):
        s = k + self.one
        return base * self.scale * ops.minimum(ops.pow(s, self.neg_half), s * self.ramp)


class TabulatedCell(_Node):
    """lr = values[clamp(k, 0, n−1)] (times b when relative): a gather from a float64 table."""

    def __init__(self, node):
        super().__init__()
        self.table = _c(node.values)
        self.last = _c(len(node.values) - 1)
        self.relative = node.relative

    def construct(self, k, base):
        idx = ops.cast(ops.minimum(ops.maximum(k, self.zero), self.last), mstype.int32)
        vals = ops.gather(self.table, idx, 0)
        if self.relative:
            return base * vals
        return vals * ops.ones_like(base)


class SequentialCell(_Node):
    """Stage i for milestones[i−1] ≤ k < milestones[i]; local clock k − milestones[i−1] with ``restart``."""

    def __init__(self, node):
        super().__init__()
        self.stages = nn.CellList([build_node(s) for s in node.stages])
        self.n = len(node.stages)
        self.starts = tuple(_c(m) for m in (0, *node.milestones))
        self.ends = tuple(_c(m) for m in node.milestones)
        self.restart = node.clock == "restart"

    def stage(self, k, base, i):
        local = k - self.starts[i] if self.restart else k
        return self.stages[i](local, base)

    def construct(self, k, base):
        out = self.stage(k, base, self.n - 1)
        for j in range(self.n - 1):
            i = self.n - 2 - j
            out = ops.where(k < self.ends[i], self.stage(k, base, i), out)
        return out


class ChainedCell(_Node):
    """Each schedule's output is the next one's base."""

    def __init__(self, node):
        super().__init__()
        self.parts = nn.CellList([build_node(s) for s in node.schedules])

    def construct(self, k, base):
        out = base
        for part in self.parts:
            out = part(k, out)
        return out


class WarmupCell(_Node):
    """OneFlow WarmupLR: linear (or constant) warmup of W steps in front of / over a schedule."""

    def __init__(self, node):
        super().__init__()
        self.inner = build_node(node.schedule)
        self.w = _c(node.warmup_steps)
        self.factor = _c(node.warmup_factor)
        self.linear = node.method == "linear"
        self.prefix = node.prefix

    def construct(self, k, base):
        after = self.inner(k - self.w if self.prefix else k, base)
        start = base * self.factor
        if self.linear:
            end = base * ops.ones_like(k) if self.prefix else self.inner(self.w * ops.ones_like(k), base)
            warm = start + (end - start) * (k / self.w)
        else:
            warm = start * ops.ones_like(k)
        return ops.where(k >= self.w, after, warm)


class ByEpochCell(_Node):
    """The inner schedule on an epoch clock: ⌊k/spe⌋ (cadence epoch) or k/spe (cadence step)."""

    def __init__(self, node):
        super().__init__()
        self.inner = build_node(node.schedule)
        self.spe = _c(node.steps_per_epoch)
        self.staired = node.cadence == "epoch"

    def construct(self, k, base):
        e = k / self.spe
        if self.staired:
            e = ops.floor(e)
        return self.inner(e, base)


CELLS = {
    "constant": lambda node: ConstantCell(),
    "constant_factor": ConstantFactorCell,
    "linear": LinearRampCell,
    "step": StepCell,
    "multistep": MultiStepCell,
    "piecewise": PiecewiseCell,
    "exponential": ExponentialCell,
    "natural_exp": NaturalExpCell,
    "inverse_time": InverseTimeCell,
    "cosine": CosineAnnealingCell,
    "cosine_decay": CosineDecayCell,
    "cosine_restarts": CosineWarmRestartsCell,
    "polynomial": PolynomialCell,
    "one_cycle": OneCycleCell,
    "cyclic": CyclicCell,
    "inverse_sqrt": InverseSqrtCell,
    "noam": NoamCell,
    "tabulated": TabulatedCell,
    "sequential": SequentialCell,
    "chained": ChainedCell,
    "warmup": WarmupCell,
    "by_epoch": ByEpochCell,
}


def build_node(node) -> nn.Cell:
    """The float64 cell of one IR node (and its children)."""
    make = CELLS.get(node.kind)
    if make is None:
        raise UnrepresentableError(
            "mindspore (cell)",
            [f"schedule '{node.kind}' has no closed form a cell can compute (it depends on a metric seen in training)"],
            "mindspore.experimental.optim.lr_scheduler.ReduceLROnPlateau driven by your validation loop",
        )
    return make(node)


class PlanLR(nn.learning_rate_schedule.LearningRateSchedule):
    """lr(global_step) = fp32(lr_scale · schedule(k, base)) for one group, computed in float64.

    ``hold_last``: with the plan's ``horizon.past: hold``, k is clamped to steps − 1.
    """

    def __init__(self, schedule, base: float, scale: float = 1.0, hold_last: int | None = None):
        super().__init__()
        self.node = build_node(schedule)
        self.base = _c(base)
        self.scale = _c(scale)
        self.scaled = scale != 1.0
        self.hold = hold_last is not None
        self.last = _c(hold_last if hold_last is not None else 0)
        # Plain attribute (not used in construct): lets from_mindspore recover the exact IR.
        self.lrbridge_source = (schedule, base) if scale == 1.0 and hold_last is None else None

    def construct(self, global_step):
        k = ops.cast(global_step, F64)
        if self.hold:
            k = ops.minimum(k, self.last)
        lr = self.node(k, self.base)
        if self.scaled:
            lr = self.scale * lr
        return ops.cast(lr, mstype.float32)
