"""Schedule families of config-system libraries that the torch-shaped kinds cannot state exactly.

* ``CycleAnneal``: timm's cosine / tanh / poly schedulers with cycles (non-integer
  ``cycle_mul``), per-cycle decay, a cycle limit and k-decay.
* ``LogWarmup``: DeepSpeed's logarithmic warmup (``warmup_type: log``, its default).
* ``LinearGrowth``: DeepSpeed's LRRangeTest, an lr rising without bound.
* ``Triangular``: fairseq's triangular cycles with a per-cycle shrink.
* ``FloorStep``: timm's step decay with a real step size and Python's ``//``.
* ``Shaped``: one factor curve from the HF transformers schedule lambdas (cosine with
  any number of cycles, hard restarts, cosine/1-sqrt warmups and decays, a floor ratio),
  computed in the order those lambdas compute it so that values near zero agree too.

Each is a closed form in the step k, written once as a shared formula (``xp``): the
numpy reference and the MindSpore cells run the same function. Every formula keeps
the operation order of the library it reproduces (and of the numpy code it replaced,
bit for bit: ``tests/core/test_extra_formulas.py``).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from ..limits import MAX_STEP
from .base import Bool, Float, NonNegFloat, NonNegInt, PosFloat, PosInt, ScheduleBase, within_steps
from .xp import NUMPY, Formula, numpy_constants

#: most cycle starts ``CycleAnneal`` tabulates (a cycle_mul this close to 1 with no cycle_limit is refused)
MAX_CYCLES = 2**16


def _timm_cycle_index(t: int, t_initial: int, mul: float) -> int:
    """timm's cycle of step t for cycle_mul ≠ 1: ⌊log_m(1 − t/T·(1 − m))⌋ in float64, as timm evaluates it."""
    return math.floor(math.log(1 - t / t_initial * (1 - mul), mul))


def _cycle_count(t_initial: int, mul: float, limit: int | None) -> int:
    """Cycles to tabulate (cycle_mul > 1): those starting at or before MAX_STEP, and none past cycle
    ``limit`` (from that one on the lr is lr_min, whichever cycle it is)."""
    # T·(m^c − 1)/(m − 1) ≤ MAX_STEP  ⇔  c ≤ log_m(1 + MAX_STEP·(m − 1)/T); one more for rounding
    n = math.floor(math.log1p(MAX_STEP * (mul - 1) / t_initial) / math.log(mul)) + 2
    return n if limit is None else min(n, limit + 1)


def _cycle_starts(t_initial: int, mul: float, count: int) -> list[int]:
    """The first integer step of cycles 0 .. count − 1 in timm's float-log indexing (cycle_mul ≠ 1).

    Near the exact start T·(m^c − 1)/(m − 1), the step where ``_timm_cycle_index`` first
    reaches c (it never decreases). A cycle holding no integer step shares the next one's start.
    """
    T, m = t_initial, mul
    starts = [0]
    for c in range(1, count):
        exact = T * (m**c - 1) / (m - 1)
        if exact > MAX_STEP + 2:
            break
        t = max(starts[-1], int(math.floor(exact)) - 2)
        while t > starts[-1] and _timm_cycle_index(t - 1, T, m) >= c:
            t -= 1
        while _timm_cycle_index(t, T, m) < c:
            t += 1
        starts.append(t)
    return starts


@lru_cache(maxsize=64)
def cycle_table(t_initial: int, mul: float, decay: float, limit: int | None) -> dict:
    """A CycleAnneal's per-cycle constants, computed once per configuration, in Python floats as timm
    computes them (cycle_mul ≠ 1: starts, offsets S_i, lengths T_i, decays d^i; read-only)."""
    T, m = t_initial, mul
    if m == 1.0:
        return {"geometric": False, "t_initial": T}
    starts = _cycle_starts(T, m, _cycle_count(T, m, limit))
    n = range(len(starts))
    tables = {
        "starts": np.asarray(starts, np.float64),
        "offsets": np.array([(1 - m**c) / (1 - m) * T for c in n]),
        "lengths": np.array([m**c * T for c in n]),
        "decays": np.array([decay**c for c in n]),
    }
    for values in tables.values():
        values.flags.writeable = False  # shared by every node of this configuration
    return {"geometric": True, "t_initial": T, **tables}


def anneal_cycles(xp, c, k):
    """Cycle index i, position τ = k − S_i in it and its length T_i at each step.

    cycle_mul ≠ 1: i counts the tabulated cycle starts ≤ k (integer steps, placed where timm's
    float log changes cycle); S_i and T_i are per-cycle constants computed as timm computes them.
    cycle_mul = 1: i = ⌊k/T⌋ (exact below 2**53).
    """
    if c.geometric:
        i = xp.count_le(c.starts, k) - 1
        return i, k - xp.take(c.offsets, i), xp.take(c.lengths, i)
    i = xp.floor(k / c.t_initial)
    return i, k - c.t_initial * i, xp.fill(c.t_initial, k, k)


def cycle_anneal_lr(xp, c, k, base):
    """η + ½(p_i − η)·(1 + cos(π·τ^κ / T_i^κ)), or the tanh / poly curve, in cycle i; lr_min from cycle_limit on.

    ``**`` (not ``xp.pow``): numpy's ``**`` takes its exact square / square root paths for
    κ, power ∈ {0.5, 2}, as the reference always has; MindSpore's ``**`` is its Pow.
    """
    i, tau, length = anneal_cycles(xp, c, k)
    shrink = xp.take(c.decays, i) if c.geometric else xp.pow(c.cycle_decay, i)
    peak = base * shrink
    eta = c.lr_min * shrink if c.decay_floor else c.lr_min
    if c.shape == "cosine":
        out = eta + xp.half * (peak - eta) * (xp.one + xp.cos(xp.pi * tau**c.k_decay / length**c.k_decay))
    elif c.shape == "tanh":
        tr = tau / length
        out = eta + xp.half * (peak - eta) * (xp.one - xp.tanh(c.lb * (xp.one - tr) + c.ub * tr))
    else:
        out = eta + (peak - eta) * (xp.one - tau**c.k_decay / length**c.k_decay) ** c.power
    if c.limited:
        out = xp.where(i < c.cycle_limit, out, c.lr_min)
    return out


def _cycle_anneal_constants(node) -> dict:
    table = cycle_table(node.t_initial, node.cycle_mul, node.cycle_decay, node.cycle_limit)
    return {**table, "shape": node.shape, "lr_min": node.lr_min, "cycle_decay": node.cycle_decay,
            "k_decay": node.k_decay, "power": node.power, "lb": node.lb, "ub": node.ub,
            "decay_floor": node.decay_floor, "limited": node.cycle_limit is not None,
            "cycle_limit": node.cycle_limit if node.cycle_limit is not None else 0}


class CycleAnneal(ScheduleBase):
    """timm ``CosineLRScheduler`` / ``TanhLRScheduler`` / ``PolyLRScheduler`` after warmup.

    Cycle i spans T_i = T·m^i steps from S_i = T·(1 − m^i)/(1 − m) (m = cycle_mul ≥ 1,
    T = t_initial); τ = k − S_i, peak p_i = b·d^i (d = cycle_decay), floor η = lr_min
    (absolute). For i < cycle_limit:

    * cosine: lr = η + ½(p_i − η)·(1 + cos(π·τ^κ / T_i^κ))   (κ = k_decay)
    * tanh:   lr = η + ½(p_i − η)·(1 − tanh(lb·(1 − τ/T_i) + ub·τ/T_i))
    * poly:   lr = η + (p_i − η)·(1 − τ^κ / T_i^κ)^power

    and lr = η from cycle ``cycle_limit`` on (no limit: ``None``). With ``decay_floor`` the floor shrinks with
    the peak, η_i = η·d^i (fairseq's cosine). With m ≠ 1 timm finds the cycle with a
    float logarithm, which at some exact boundaries lands one cycle early (m = 10:
    step 111·T still counts as cycle 2); cycle starts here are the integer steps at
    which timm's own formula changes cycle, so the curve is timm's at every step.
    They are tabulated up to step 2**53 (or cycle_limit): at most ``MAX_CYCLES``.
    """

    kind: Literal["cycle_anneal"] = "cycle_anneal"
    t_initial: PosInt
    shape: Literal["cosine", "tanh", "poly"] = "cosine"
    lr_min: NonNegFloat = 0.0
    cycle_mul: Annotated[float, Field(strict=True, ge=1.0, allow_inf_nan=False)] = 1.0
    cycle_decay: NonNegFloat = 1.0
    cycle_limit: NonNegInt | None = 1  # None: no limit (fairseq)
    k_decay: PosFloat = 1.0
    power: NonNegFloat = 0.5
    lb: Float = -7.0
    ub: Float = 3.0
    decay_floor: Bool = False

    def settles_at(self) -> int | None:
        """The first step of cycle ``cycle_limit`` (lr_min from there on); no limit: None.

        cycle_mul = 1: cycle_limit·t_initial; otherwise the tabulated start of that cycle (where
        timm's own float log enters it), None when it starts past the table (beyond 2**53).
        """
        if self.cycle_limit is None:
            return None
        if self.cycle_mul == 1.0:
            return within_steps(self.cycle_limit * self.t_initial)
        starts = cycle_table(self.t_initial, self.cycle_mul, self.cycle_decay, self.cycle_limit).get("starts")
        return within_steps(int(starts[self.cycle_limit])) if self.cycle_limit < len(starts) else None

    @model_validator(mode="after")
    def _bounds(self):
        if self.shape == "tanh" and not self.lb < self.ub:
            raise ValueError(f"tanh needs lb < ub, got lb={self.lb}, ub={self.ub}")
        if self.cycle_mul != 1.0:
            n = _cycle_count(self.t_initial, self.cycle_mul, self.cycle_limit)
            if n > MAX_CYCLES:
                raise ValueError(
                    f"cycle_mul={self.cycle_mul} starts about {n} cycles before step 2**53, more than the "
                    f"{MAX_CYCLES} cycle starts lrbridge tabulates; set cycle_limit below {MAX_CYCLES} or a larger cycle_mul")
        return self

    def _own_equivariance(self):
        return self.lr_min == 0.0

    def cycles(self, k) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``anneal_cycles`` in numpy: cycle index i, position τ in the cycle and cycle length T_i (float64)."""
        i, tau, length = anneal_cycles(NUMPY, numpy_constants(_cycle_anneal_constants(self)), np.asarray(k, np.float64))
        return np.asarray(i, np.float64), tau, length

    formula: ClassVar[Formula] = Formula(cycle_anneal_lr, _cycle_anneal_constants)


def log_warmup_lr(xp, c, k, base):
    """b·(s + (1 − s)·γ), γ = ln(k + 1)·(1/ln W) below W, else 1."""
    gamma = xp.where(k < c.warmup_steps, c.inv_log * xp.log(xp.maximum(k, xp.zero) + xp.one), xp.one)
    return base * (c.start_factor + c.rise * gamma)


class LogWarmup(ScheduleBase):
    """DeepSpeed's logarithmic warmup: lr(k) = b·(s + (1 − s)·γ(k)).

    γ(k) = ln(k + 1)/ln(W) for k < W, else 1 (W = warmup_steps ≥ 2, s = start_factor):
    from b·s at k = 0 to b at k = W − 1, then held. DeepSpeed applies it one optimizer
    step late (its first ``step()`` call comes after the first update); the dialect
    places it.
    """

    kind: Literal["log_warmup"] = "log_warmup"
    warmup_steps: Annotated[int, Field(strict=True, ge=2)]
    start_factor: NonNegFloat = 0.0

    def settles_at(self) -> int:
        """warmup_steps W: γ = 1 from there on."""
        return self.warmup_steps

    formula: ClassVar[Formula] = Formula(
        log_warmup_lr,
        lambda node: {"warmup_steps": node.warmup_steps, "inv_log": 1.0 / math.log(node.warmup_steps),
                      "start_factor": node.start_factor, "rise": 1.0 - node.start_factor},
    )


#: factor shapes of ``Shaped`` (p = (k + shift)/span)
_SHAPES = ("linear", "linear_down", "remaining", "cosine", "cosine_up", "cosine_hard", "sqrt_up", "sqrt_down")


def shaped_lr(xp, c, k, base):
    """b·max(0, f(p)·(1 − floor) + floor), p = t/span, t = k + shift (clamped at span unless periodic)."""
    t = k + c.shift
    if c.clamped:
        t = xp.minimum(t, c.span)
    p = t / c.span
    if c.shape == "linear":
        f = p
    elif c.shape == "linear_down":
        f = xp.one - p
    elif c.shape == "remaining":
        f = (c.span - t) / c.span
    elif c.shape == "cosine":
        f = xp.half * (xp.one + xp.cos(c.angle * p))
    elif c.shape == "cosine_up":
        f = xp.half * (xp.one - xp.cos(xp.pi * p))
    elif c.shape == "cosine_hard":
        f = xp.where(p >= xp.one, xp.zero, xp.half * (xp.one + xp.cos(xp.pi * xp.mod(c.cycles * p, xp.one))))
    elif c.shape == "sqrt_up":
        f = xp.one - xp.sqrt(xp.one - p)
    else:
        f = xp.one - xp.sqrt(p)
    if c.floored:
        f = f * c.keep + c.floor
    return base * xp.maximum(xp.zero, f)


def _shaped_constants(node) -> dict:
    return {
        "shape": node.shape,
        "span": node.span,
        "shift": node.shift,
        "clamped": node.clamp or node.shape not in ("cosine", "cosine_hard"),
        "cycles": node.cycles,
        "angle": math.pi * node.cycles * 2.0,  # the product HF's lambda forms first: π·cycles·2, then ·p
        "floored": node.floor != 0.0,
        "floor": node.floor,
        "keep": 1.0 - node.floor,
    }


class Shaped(ScheduleBase):
    """lr(k) = b·max(0, f(p)·(1 − floor) + floor), p = (k + shift)/span, t = k + shift.

    f by ``shape``: linear p; linear_down 1 − p; remaining (span − t)/span;
    cosine ½(1 + cos(2π·cycles·p)) (periodic, not clamped); cosine_up ½(1 − cos(π·p));
    cosine_hard ½(1 + cos(π·((cycles·p) mod 1))) for p < 1, else 0; sqrt_up
    1 − sqrt(1 − p); sqrt_down 1 − sqrt(p). Every shape but the cosines holds its end
    value past p = 1, the cosines too with ``clamp`` (p = min(p, 1), DeepSpeed's
    WarmupCosineLR). These are the factor curves of HF transformers' schedules,
    computed in the order they are computed there (``max(0, ...)`` included).
    """

    kind: Literal["shaped"] = "shaped"
    shape: Literal[_SHAPES]  # type: ignore[valid-type]
    span: PosInt
    cycles: NonNegFloat = 0.5
    floor: NonNegFloat = 0.0
    shift: NonNegInt = 0
    clamp: Bool = False

    def settles_at(self) -> int | None:
        """span − shift (at least 0), where t = k + shift reaches span: clamped shapes hold t = span and
        cosine_hard is 0 from p = 1 on; an unclamped cosine is periodic (None)."""
        if self.shape == "cosine" and not self.clamp:
            return None
        return max(0, self.span - self.shift)

    formula: ClassVar[Formula] = Formula(shaped_lr, _shaped_constants)


def floor_step_lr(xp, c, k, base):
    """b·γ^(k // d), ``//`` being Python's float floor division (``xp.floor_divide``)."""
    return base * xp.pow(c.gamma, xp.floor_divide(k, c.step_size))


class FloorStep(ScheduleBase):
    """lr(k) = b·γ^(k // d) with a real step size d, ``//`` being Python's float floor division.

    timm's ``StepLRScheduler`` (``decay_epochs: 2.4`` in EfficientNet recipes). ``//``
    is not ⌊k/d⌋ at every multiple: 1 // 0.1 = 9.0 (0.1 is stored slightly above
    0.1) while ⌊1/0.1⌋ = 10; numpy's ``floor_divide`` computes what Python does.
    """

    kind: Literal["floor_step"] = "floor_step"
    step_size: PosFloat
    gamma: NonNegFloat = 0.1

    def settles_at(self) -> int | None:
        """γ = 1: 0 (1^n = 1); otherwise γ^(k // d) keeps changing (None)."""
        return 0 if self.gamma == 1.0 else None

    formula: ClassVar[Formula] = Formula(floor_step_lr, lambda node: {"step_size": node.step_size, "gamma": node.gamma})


def linear_growth_lr(xp, c, k, base):
    """b·(1 + rate·p), p = k / step_size (⌊p⌋ with staircase)."""
    p = k / c.step_size
    if c.staircase:
        p = xp.floor(p)
    return base * (xp.one + c.rate * p)


class LinearGrowth(ScheduleBase):
    """lr(k) = b·(1 + rate·p), p = k / step_size (⌊·⌋ with staircase); unbounded.

    DeepSpeed ``LRRangeTest``: the lr range test raises the lr linearly (or in stairs)
    for as long as it runs.
    """

    kind: Literal["linear_growth"] = "linear_growth"
    rate: NonNegFloat = 1.0
    step_size: PosInt = 1
    staircase: Bool = False

    def settles_at(self) -> int | None:
        """Rate 0: 0 (b·(1 + 0·p) = b); otherwise unbounded (None)."""
        return 0 if self.rate == 0.0 else None

    formula: ClassVar[Formula] = Formula(
        linear_growth_lr, lambda node: {"rate": node.rate, "step_size": node.step_size, "staircase": node.staircase}
    )


def triangular_lr(xp, c, k, base):
    """m_c + (M_c − m_c)·max(0, 1 − |k/s − 2(c + 1) + 1|), c = ⌊k / 2s⌋ (fairseq's order)."""
    cycle = xp.floor(k / c.period)
    factor = xp.pow(c.shrink, cycle)
    top = c.max_lr * factor
    low = base * factor if c.shrink_min else base
    x = xp.abs(k / c.step_size - xp.two * (cycle + xp.one) + xp.one)
    return low + (top - low) * xp.maximum(xp.zero, xp.one - x)


class Triangular(ScheduleBase):
    """fairseq ``triangular``: lr(k) = m_c + (M_c − m_c)·max(0, 1 − |k/s − 2(c + 1) + 1|).

    c = ⌊k / 2s⌋ (s = step_size, half a period), M_c = max_lr·shrink^c, m_c = b·shrink^c
    with ``shrink_min``, else b (the group's lr is the cycle's floor). ``max_lr`` is absolute.
    """

    kind: Literal["triangular"] = "triangular"
    max_lr: PosFloat
    step_size: PosFloat
    shrink: NonNegFloat = 0.1
    shrink_min: Bool = False

    def _own_equivariance(self):
        return False

    formula: ClassVar[Formula] = Formula(
        triangular_lr,
        lambda node: {"max_lr": node.max_lr, "step_size": node.step_size, "period": 2 * node.step_size,
                      "shrink": node.shrink, "shrink_min": node.shrink_min},
    )
