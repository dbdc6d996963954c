"""One plan holding every evaluable IR family as its own group (one optimizer, one compile per mode)."""

from __future__ import annotations

import numpy as np

from lrbridge import OptimizerSpec, ParamGroup, Plan
from lrbridge.schedules import (
    ByEpoch, Chained, Constant, ConstantFactor, CosineAnnealing, CosineDecay, CosineWarmRestarts, Cyclic,
    Exponential, InverseSqrt, InverseTimeDecay, LinearRamp, MultiStep, NaturalExpDecay, Noam, OneCycle,
    Piecewise, Polynomial, Sequential, Step, Tabulated, Warmup,
)
from lrbridge.schedules.extra import CycleAnneal, FloorStep, LinearGrowth, LogWarmup, Shaped, Triangular

STEPS = 600

FAMILIES = {
    "constant": Constant(),
    "constant_factor": ConstantFactor(factor=0.3, total_iters=20),
    "linear": LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=100),  # MindSpore WarmUpLR shape
    "step": Step(step_size=37, gamma=0.5),
    "multistep": MultiStep(milestones=(10, 150, 400), gamma=0.3),
    "piecewise": Piecewise(boundaries=(50, 300), values=(0.2, 0.05, 0.001)),
    "exponential": Exponential(gamma=0.993),
    "exponential_stair": Exponential(gamma=0.5, decay_steps=64, staircase=True),
    "natural_exp": NaturalExpDecay(decay_rate=0.01, decay_steps=3, staircase=True),
    "inverse_time": InverseTimeDecay(decay_rate=0.1, decay_steps=4),
    "cosine": CosineAnnealing(T_max=250, eta_min=1e-4),  # periodic: rises again after 250
    "cosine_decay": CosineDecay(decay_steps=400, min_lr=1e-4, alpha=0.01),
    "cosine_restarts": CosineWarmRestarts(T_0=3, T_mult=2, eta_min=1e-5, decay_rate=0.9, restart_limit=7),
    "cosine_restarts_m1": CosineWarmRestarts(T_0=50),
    "polynomial": Polynomial(total_iters=400, power=2.0),
    "polynomial_cycle": Polynomial(total_iters=60, power=1.5, end_lr=1e-4, cycle=True, cycle_min_step=1),
    "one_cycle": OneCycle(total_steps=500, max_lr=0.5, three_phase=True),
    "one_cycle_linear": OneCycle(total_steps=600, max_lr=0.5, anneal_strategy="linear"),
    "cyclic": Cyclic(base_lr=0.01, max_lr=0.1, step_size_up=20, step_size_down=30, mode="triangular2"),
    "cyclic_exp": Cyclic(base_lr=0.01, max_lr=0.1, step_size_up=25, mode="exp_range", gamma=0.999),
    "inverse_sqrt": InverseSqrt(warmup_steps=20),
    "noam": Noam(d_model=512.0, warmup_steps=40),
    "tabulated": Tabulated(values=tuple(np.linspace(0.1, 0.2, 300).tolist()), relative=True),
    "sequential": Sequential(stages=(LinearRamp(start_factor=0.1, total_iters=10), CosineAnnealing(T_max=500)), milestones=(10,)),
    "sequential_global": Sequential(stages=(ConstantFactor(factor=0.1, total_iters=100), Step(step_size=50)), milestones=(30,), clock="global"),
    "chained": Chained(schedules=(Step(step_size=90, gamma=0.5), CosineAnnealing(T_max=77))),
    "warmup": Warmup(schedule=CosineAnnealing(T_max=400), warmup_steps=15, warmup_factor=0.1),
    "warmup_prefix": Warmup(schedule=Exponential(gamma=0.99), warmup_steps=25, method="constant", prefix=True),
    "by_epoch": ByEpoch(schedule=Exponential(gamma=0.9), steps_per_epoch=7),
    "by_epoch_step": ByEpoch(schedule=CosineDecay(decay_steps=50), steps_per_epoch=10, cadence="step"),
    # the config-system kinds (timm, DeepSpeed, HF transformers, fairseq)
    "cycle_anneal": CycleAnneal(t_initial=40, lr_min=1e-3, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3, k_decay=1.5),
    "log_warmup": LogWarmup(warmup_steps=37, start_factor=0.01),
    "shaped": Shaped(shape="cosine_hard", span=300, cycles=3.0, floor=0.1, shift=1),
    "floor_step": FloorStep(step_size=2.4, gamma=0.97),
    "linear_growth": LinearGrowth(rate=0.5, step_size=10, staircase=True),
    "triangular": Triangular(max_lr=0.5, step_size=25.0, shrink=0.5, shrink_min=True),
}


def families_plan(extra_groups=()) -> Plan:
    groups = [ParamGroup(name=name, params=(f"{name}.w",), lr=0.1, scheduler=s) for name, s in FAMILIES.items()]
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), groups=(*groups, *extra_groups))
