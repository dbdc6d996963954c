"""Plans covering every schedule family, shared by the OneFlow adapter tests (framework-free)."""

from __future__ import annotations

from lrbridge import OptimizerSpec, Plan
from lrbridge.groups import ParamGroup
from lrbridge.schedules import (
    ByEpoch,
    Chained,
    Constant,
    ConstantFactor,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    Cyclic,
    Exponential,
    InverseSqrt,
    InverseTimeDecay,
    LinearRamp,
    MultiStep,
    NaturalExpDecay,
    Noam,
    OneCycle,
    Piecewise,
    Polynomial,
    Sequential,
    Step,
    Tabulated,
    Warmup,
)

STEPS = 300


def plan(schedule, lr=0.1, **kw) -> Plan:
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=lr), scheduler=schedule, **kw)


def two_groups(schedule, *, head_lr=None, head_scale=1.0, lr=0.1, **kw) -> Plan:
    groups = (ParamGroup(name="head", params=("head.*",), lr=head_lr, lr_scale=head_scale), ParamGroup(name="body", rest=True))
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=lr), groups=groups, scheduler=schedule, **kw)


#: families both eager and nn.Graph express exactly (name -> plan)
BOTH = {
    "constant": plan(Constant()),
    "constant_factor": plan(ConstantFactor(factor=0.25, total_iters=7)),
    "constant_factor_above_1": plan(ConstantFactor(factor=2.5, total_iters=7)),
    "linear": plan(LinearRamp(start_factor=0.1, end_factor=0.9, total_iters=40)),
    "linear_from_0": plan(LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=25)),
    "step": plan(Step(step_size=30, gamma=0.5)),
    "multistep": plan(MultiStep(milestones=(10, 50, 120), gamma=0.3)),
    "piecewise_absolute": plan(Piecewise(boundaries=(0, 40, 90), values=(9.0, 0.05, 0.02, 0.004))),
    "piecewise_relative": plan(Piecewise(boundaries=(40, 90), values=(1.0, 0.3, 0.07), relative=True)),
    "exponential": plan(Exponential(gamma=0.99)),
    "exponential_staircase": plan(Exponential(gamma=0.7, decay_steps=25, staircase=True)),
    "exponential_continuous_steps": plan(Exponential(gamma=0.5, decay_steps=70)),
    "natural_exp": plan(NaturalExpDecay(decay_rate=0.01, decay_steps=10)),
    "natural_exp_staircase": plan(NaturalExpDecay(decay_rate=0.02, decay_steps=15, staircase=True)),
    "inverse_time": plan(InverseTimeDecay(decay_rate=0.5, decay_steps=20)),
    "inverse_time_staircase": plan(InverseTimeDecay(decay_rate=0.5, decay_steps=20, staircase=True)),
    "cosine_periodic": plan(CosineAnnealing(T_max=90, eta_min=0.001)),
    "cosine_decay_alpha": plan(CosineDecay(decay_steps=200, alpha=0.1)),
    "cosine_decay_min_lr": plan(CosineDecay(decay_steps=200, min_lr=0.002)),
    "warm_restarts": plan(CosineWarmRestarts(T_0=20, T_mult=2, eta_min=0.001)),
    "warm_restarts_decay_limit": plan(CosineWarmRestarts(T_0=30, T_mult=1, eta_min=0.002, decay_rate=0.5, restart_limit=4)),
    "polynomial": plan(Polynomial(total_iters=200, power=2.0)),
    "polynomial_end_lr": plan(Polynomial(total_iters=150, power=0.5, end_lr=0.001)),
    "polynomial_cycle_oneflow": plan(Polynomial(total_iters=70, power=1.0, end_lr=0.01, cycle=True, cycle_min_step=1)),
    "polynomial_cycle_mindspore": plan(Polynomial(total_iters=70, power=1.0, end_lr=0.01, cycle=True, cycle_min_step=0)),
    "tabulated_relative": plan(Tabulated(values=tuple(1.0 / (1 + 0.01 * k) for k in range(250)), relative=True)),
    "tabulated_absolute": plan(Tabulated(values=tuple(0.05 * 0.99**k for k in range(250)))),
    "sequential_restart": plan(Sequential(stages=(LinearRamp(start_factor=0.01, total_iters=20), CosineAnnealing(T_max=280)), milestones=(20,))),
    "sequential_global": plan(Sequential(stages=(ConstantFactor(factor=0.1, total_iters=100), CosineAnnealing(T_max=100)), milestones=(30,), clock="global")),
    "sequential_nested": plan(Sequential(stages=(Step(step_size=5), Sequential(stages=(Constant(), Exponential(gamma=0.98)), milestones=(50,))), milestones=(40,))),
    "warmup_linear": plan(Warmup(schedule=CosineAnnealing(T_max=250), warmup_steps=30, warmup_factor=0.1)),
    "warmup_prefix": plan(Warmup(schedule=CosineDecay(decay_steps=200, alpha=0.05), warmup_steps=30, warmup_factor=0.1, prefix=True)),
    "warmup_constant": plan(Warmup(schedule=Step(step_size=40), warmup_steps=25, warmup_factor=0.2, method="constant")),
    "by_epoch_multistep": plan(ByEpoch(schedule=MultiStep(milestones=(3, 7), gamma=0.2), steps_per_epoch=25)),
    "by_epoch_exponential": plan(ByEpoch(schedule=Exponential(gamma=0.8), steps_per_epoch=30)),
    "hold_past_horizon": plan(CosineAnnealing(T_max=200), horizon={"steps": 150, "past": "hold"}),
    "groups_lr_and_scale": two_groups(CosineAnnealing(T_max=250), head_lr=1.0, head_scale=0.3),
    "groups_scale_absolute_eta": two_groups(CosineAnnealing(T_max=250, eta_min=0.005), head_scale=0.7),
    # no kernel conf (LinearLR factors must lie in [0, 1]) and no horizon, but constant from step 50:
    # nn.Graph runs a 51-step table whose held last entry is the formula continued
    "linear_factor_above_1": plan(LinearRamp(start_factor=1.0, end_factor=3.0, total_iters=50)),
}

#: families only eager expresses (closed form), with what check("graph") must name
EAGER_ONLY = {
    "one_cycle": (plan(OneCycle(total_steps=300, max_lr=1.0)), "one_cycle"),
    "cyclic": (plan(Cyclic(base_lr=0.001, max_lr=0.1, step_size_up=40, mode="triangular2")), "cyclic"),
    "inverse_sqrt": (plan(InverseSqrt(warmup_steps=30)), "inverse_sqrt"),
    "noam": (plan(Noam(d_model=512.0, warmup_steps=40), lr=1.0), "noam"),
    "chained": (plan(Chained(schedules=(Step(step_size=40, gamma=0.5), CosineAnnealing(T_max=100)))), "ChainedScheduler"),
    "warm_restarts_float_log": (plan(CosineWarmRestarts(T_0=1, T_mult=3)), "step 121"),
    "groups_different_shapes": (
        Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1),
             groups=(ParamGroup(name="head", params=("head.*",), scheduler=Step(step_size=20)), ParamGroup(name="body", rest=True)),
             scheduler=CosineAnnealing(T_max=200)),  # fmt: skip
        "differ in shape",
    ),
    "groups_min_lr_differing_bases": (two_groups(CosineDecay(decay_steps=100, min_lr=0.01), head_lr=1.0), "differ in shape"),
    "by_epoch_cosine": (plan(ByEpoch(schedule=CosineAnnealing(T_max=10), steps_per_epoch=30)), "by_epoch"),
}
