"""One representative node per schedule family: the support matrix's rows and the exhaustiveness tests' cases.

Every schedule kind has at least one entry (a test fails by name for a kind without one),
so a new kind cannot skip the backends' check/export/import coverage.
"""

from __future__ import annotations

from . import (
    ByEpoch, Chained, Constant, ConstantFactor, CosineAnnealing, CosineDecay, CosineWarmRestarts, Cyclic,
    Exponential, InverseSqrt, InverseTimeDecay, LinearRamp, MultiStep, NaturalExpDecay, Noam, OneCycle,
    Piecewise, Polynomial, ReduceOnPlateau, Sequential, Step, Tabulated, Warmup,
)
from .extra import CycleAnneal, FloorStep, LinearGrowth, LogWarmup, Shaped, Triangular

FAMILIES = {
    "constant": Constant(),
    "constant_factor": ConstantFactor(factor=0.5, total_iters=10),
    "linear": LinearRamp(start_factor=0.1, total_iters=10),
    "linear (from 0)": LinearRamp(start_factor=0.0, total_iters=10),
    "step": Step(step_size=30, gamma=0.1),
    "multistep": MultiStep(milestones=(30, 60), gamma=0.1),
    "piecewise": Piecewise(boundaries=(30, 60), values=(0.1, 0.01, 0.001)),
    "exponential": Exponential(gamma=0.99),
    "exponential (decay_steps, staircase)": Exponential(gamma=0.5, decay_steps=10, staircase=True),
    "natural_exp": NaturalExpDecay(decay_rate=0.01),
    "inverse_time": InverseTimeDecay(decay_rate=0.1, decay_steps=10),
    "cosine (periodic)": CosineAnnealing(T_max=100, eta_min=1e-4),
    "cosine_decay (clamped)": CosineDecay(decay_steps=100, alpha=0.01),
    "cosine_restarts": CosineWarmRestarts(T_0=10, T_mult=2),
    "cosine_restarts (decay_rate, restart_limit)": CosineWarmRestarts(T_0=10, T_mult=2, decay_rate=0.5, restart_limit=3),
    "polynomial": Polynomial(total_iters=100, power=2.0),
    "polynomial (end_lr, cycle)": Polynomial(total_iters=50, power=1.0, end_lr=1e-4, cycle=True, cycle_min_step=1),
    "one_cycle": OneCycle(total_steps=200, max_lr=0.5),
    "cyclic": Cyclic(base_lr=0.01, max_lr=0.1, step_size_up=20, mode="triangular2"),
    "inverse_sqrt": InverseSqrt(warmup_steps=20),
    "noam": Noam(d_model=512.0, warmup_steps=20),
    "tabulated": Tabulated(values=tuple(0.1 / (1 + i) for i in range(200))),
    "sequential (restart clock)": Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=10), CosineAnnealing(T_max=190)), milestones=(10,)),
    "sequential (global clock)": Sequential(stages=(ConstantFactor(factor=0.1, total_iters=10), CosineAnnealing(T_max=200)), milestones=(10,), clock="global"),
    "chained": Chained(schedules=(Step(step_size=50, gamma=0.5), Exponential(gamma=0.999))),
    "warmup (prefix)": Warmup(schedule=CosineAnnealing(T_max=190), warmup_steps=10, warmup_factor=0.1, prefix=True),
    "warmup (no prefix)": Warmup(schedule=CosineAnnealing(T_max=200), warmup_steps=10, warmup_factor=0.1),
    "by_epoch": ByEpoch(schedule=MultiStep(milestones=(3, 6), gamma=0.1), steps_per_epoch=20),
    "cycle_anneal (timm cosine, k_decay, cycles)": CycleAnneal(t_initial=40, lr_min=1e-3, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3, k_decay=1.5),
    "cycle_anneal (timm tanh)": CycleAnneal(t_initial=100, shape="tanh", lr_min=1e-4),
    "log_warmup": LogWarmup(warmup_steps=20, start_factor=0.01),
    "shaped (cosine with hard restarts)": Shaped(shape="cosine_hard", span=100, cycles=2.0),
    "floor_step (timm step, real step size)": FloorStep(step_size=2.4, gamma=0.97),
    "linear_growth (DeepSpeed LRRangeTest)": LinearGrowth(rate=0.5, step_size=10),
    "triangular (fairseq, shrinking)": Triangular(max_lr=0.5, step_size=10.0, shrink=0.5),
    "reduce_on_plateau": ReduceOnPlateau(),
}


def kinds_without_example() -> list[str]:
    from . import SCHEDULE_KINDS

    covered = {n.kind for s in FAMILIES.values() for n in s.walk()}
    return sorted(set(SCHEDULE_KINDS) - covered)
