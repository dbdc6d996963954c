"""Cyclical schedules with absolute lr bounds: one-cycle and cyclic (triangular, exp_range)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from .base import Bool, NonNegFloat, PosFloat, PosInt, ScheduleBase
from .xp import Formula


def one_cycle_phase(xp, c, k, base, i):
    """Phase i: pct = (k − k0)/(k1 − k0), then end + ((start − end)·½)·(1 + cos(π·pct)) or start + (end − start)·pct."""
    k0, width, start, end, slope = c.phases[i]
    pct = (k - k0) / width
    if c.cos:
        return end + slope * (xp.one + xp.cos(xp.pi * pct))
    return start + slope * pct


def one_cycle_lr(xp, c, k, base):
    """The phase whose end step is the first ≥ k (the last phase past them all)."""
    return xp.piecewise(k, base, c.ends, one_cycle_phase, c, "right")


def _one_cycle_constants(node) -> dict:
    cos = node.anneal_strategy == "cos"
    phases, ends, k0 = [], [], 0.0
    for end_step, start, end in node.phases():
        # the first product of the anneal, computed once: (start − end)·½ for cos, (end − start) linear
        slope = (start - end) * 0.5 if cos else end - start
        phases.append((k0, end_step - k0, start, end, slope))
        ends.append(end_step)
        k0 = end_step
    return {"cos": cos, "phases": tuple(phases), "ends": tuple(ends[:-1])}


class OneCycle(ScheduleBase):
    """torch ``OneCycleLR`` (lr part), phases in optimizer steps k, N = total_steps.

    initial = max_lr / div_factor, final = initial / final_div_factor. Two phases:
    initial → max_lr over k ∈ [0, pct·N − 1], then max_lr → final until N − 1.
    ``three_phase``: initial → max → initial → final with ends pct·N − 1, 2·pct·N − 2,
    N − 1. Inside a phase lr = anneal(start, end, (k − k0)/(k1 − k0)), cosine or
    linear. The last phase continues its formula past N − 1.
    """

    kind: Literal["one_cycle"] = "one_cycle"
    total_steps: PosInt
    max_lr: PosFloat
    pct_start: Annotated[float, Field(strict=True, ge=0.0, le=1.0)] = 0.3
    anneal_strategy: Literal["cos", "linear"] = "cos"
    div_factor: PosFloat = 25.0
    final_div_factor: PosFloat = 1e4
    three_phase: Bool = False

    @model_validator(mode="after")
    def _first_phase_not_empty(self):
        # A phase is used for k in (previous end, end]; only the first can be empty *and* used
        # (at k = 0, when pct_start·total_steps = 1), where torch raises ZeroDivisionError.
        if self.pct_start * self.total_steps == 1:
            raise ValueError(
                "pct_start·total_steps = 1 leaves the warm-up phase of one_cycle empty at step 0 "
                "(torch divides by zero there); adjust pct_start or total_steps"
            )
        # The last phase runs from the previous end to N − 1 and continues past it: with no width
        # (pct_start = 1.0) step N — the natural loop's last scheduler step — divides by zero.
        n, p = self.total_steps, self.pct_start
        before_last = 2 * p * n - 2 if self.three_phase else p * n - 1
        if not before_last < n - 1:
            raise ValueError(
                f"pct_start={p} leaves the last phase of one_cycle empty (the phase before it ends at step "
                f"{before_last:g}, not before total_steps − 1 = {n - 1}); lr(step {n}) would divide by zero, where "
                f"torch's OneCycleLR raises ZeroDivisionError; use pct_start < {0.5 * (n + 1) / n if self.three_phase else 1.0:g}"
            )
        return self

    def _own_equivariance(self):
        return False

    def phases(self) -> list[tuple[float, float, float]]:
        """(end_step, start_lr, end_lr) per phase, as torch builds them."""
        n, p = self.total_steps, self.pct_start
        initial = self.max_lr / self.div_factor
        final = initial / self.final_div_factor
        if self.three_phase:
            return [(p * n - 1, initial, self.max_lr), (2 * p * n - 2, self.max_lr, initial), (n - 1, initial, final)]
        return [(p * n - 1, initial, self.max_lr), (n - 1, self.max_lr, final)]

    formula: ClassVar[Formula] = Formula(one_cycle_lr, _one_cycle_constants)


def cyclic_lr(xp, c, k, base):
    """base_lr + (max_lr − base_lr)·s·f on the triangular wave s of cycle c = ⌊1 + k/L⌋."""
    cycle = xp.floor(xp.one + k / c.total)
    x = xp.one + k / c.total - cycle
    scale = xp.where(x <= c.ratio, x / c.ratio, (x - xp.one) / c.ratio_minus_one)
    if c.mode == "triangular2":
        f = xp.one / xp.pow(xp.two, cycle - xp.one)
    elif c.mode == "exp_range":
        f = xp.pow(c.gamma, k)
    else:
        f = xp.one
    return xp.fill(c.base_lr + c.amplitude * scale * f, base, k)


def _cyclic_constants(node) -> dict:
    up = float(node.step_size_up)
    down = float(node.step_size_down if node.step_size_down is not None else node.step_size_up)
    ratio = up / (up + down)
    return {
        "total": up + down,
        "ratio": ratio,
        "ratio_minus_one": ratio - 1.0,
        "mode": node.mode,
        "gamma": node.gamma,
        "base_lr": node.base_lr,
        "amplitude": node.max_lr - node.base_lr,
    }


class Cyclic(ScheduleBase):
    """torch ``CyclicLR`` (lr part): triangular waves between absolute base_lr and max_lr.

    L = up + down, c = ⌊1 + k/L⌋, x = 1 + k/L − c, s = x/r if x ≤ r else (x − 1)/(r − 1)
    with r = up/L; lr = base_lr + (max_lr − base_lr)·s·f, where f = 1 (triangular),
    1/2^(c−1) (triangular2) or γ^k (exp_range).
    """

    kind: Literal["cyclic"] = "cyclic"
    base_lr: NonNegFloat
    max_lr: NonNegFloat
    step_size_up: PosInt = 2000
    step_size_down: PosInt | None = None
    mode: Literal["triangular", "triangular2", "exp_range"] = "triangular"
    gamma: NonNegFloat = 1.0

    def _own_equivariance(self):
        return False

    formula: ClassVar[Formula] = Formula(cyclic_lr, _cyclic_constants)
