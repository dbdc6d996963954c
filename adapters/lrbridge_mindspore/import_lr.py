"""MindSpore's own lr sources -> IR nodes: ``nn.dynamic_lr`` calls by name and arguments, and
``LearningRateSchedule`` cells by their attributes (lrbridge's ``PlanSchedule`` exactly, by its source).

The IR holds the intended formula in float64; native cells compute it in float32.
"""

from __future__ import annotations

from lrbridge.errors import PlanError
from lrbridge.schedules import (
    ByEpoch,
    CosineDecay,
    Exponential,
    InverseTimeDecay,
    LinearRamp,
    NaturalExpDecay,
    Piecewise,
    Polynomial,
)


def _epochs(schedule, step_per_epoch: int):
    """dynamic_lr functions stair every epoch: e = ⌊i / step_per_epoch⌋ (identity when 1)."""
    return schedule if step_per_epoch == 1 else ByEpoch(schedule=schedule, steps_per_epoch=step_per_epoch)


def _piecewise_constant_lr(milestone, learning_rates):
    sched = Piecewise(boundaries=tuple(int(m) for m in milestone[:-1]), values=tuple(map(float, learning_rates)))
    return sched, float(learning_rates[0]), int(milestone[-1])


def _decay(cls):
    def build(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
        inner = cls(decay_rate=float(decay_rate), decay_steps=int(decay_epoch), staircase=bool(is_stair))
        return _epochs(inner, int(step_per_epoch)), float(learning_rate), int(total_step)

    return build


def _exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    inner = Exponential(gamma=float(decay_rate), decay_steps=int(decay_epoch), staircase=bool(is_stair))
    return _epochs(inner, int(step_per_epoch)), float(learning_rate), int(total_step)


def _cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    inner = CosineDecay(decay_steps=int(decay_epoch), min_lr=float(min_lr))
    return _epochs(inner, int(step_per_epoch)), float(max_lr), int(total_step)


def _polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch, power,
                         update_decay_epoch=False):
    inner = Polynomial(total_iters=int(decay_epoch), power=float(power), end_lr=float(end_learning_rate),
                       cycle=bool(update_decay_epoch), cycle_min_step=0)
    return _epochs(inner, int(step_per_epoch)), float(learning_rate), int(total_step)


def _warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    inner = LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=int(warmup_epoch))
    return _epochs(inner, int(step_per_epoch)), float(learning_rate), int(total_step)


#: mindspore.nn.dynamic_lr function name -> builder(same arguments) -> (schedule, base lr, total_step)
DYNAMIC_LR = {
    "piecewise_constant_lr": _piecewise_constant_lr,
    "exponential_decay_lr": _exponential_decay_lr,
    "natural_exp_decay_lr": _decay(NaturalExpDecay),
    "inverse_decay_lr": _decay(InverseTimeDecay),
    "cosine_decay_lr": _cosine_decay_lr,
    "polynomial_decay_lr": _polynomial_decay_lr,
    "warmup_lr": _warmup_lr,
}


def cell_schedule(cell):
    """A native (or lrbridge-generated) LearningRateSchedule cell -> (schedule, base lr), by its attributes."""
    name = type(cell).__name__
    if hasattr(cell, "lrbridge_source"):
        if cell.lrbridge_source is None:
            raise PlanError("source", "this PlanSchedule cell folds an lr_scale or a hold horizon; import the plan it came from")
        return cell.lrbridge_source
    a = lambda attr: float(getattr(cell, attr))  # noqa: E731
    if name == "ExponentialDecayLR":
        return Exponential(gamma=a("decay_rate"), decay_steps=int(cell.decay_steps), staircase=bool(cell.is_stair)), a("learning_rate")
    if name == "NaturalExpDecayLR":
        return NaturalExpDecay(decay_rate=a("decay_rate"), decay_steps=int(cell.decay_steps), staircase=bool(cell.is_stair)), a("learning_rate")
    if name == "InverseDecayLR":
        return InverseTimeDecay(decay_rate=a("decay_rate"), decay_steps=int(cell.decay_steps), staircase=bool(cell.is_stair)), a("learning_rate")
    if name == "CosineDecayLR":
        return CosineDecay(decay_steps=int(cell.decay_steps), min_lr=a("min_lr")), a("max_lr")
    if name == "PolynomialDecayLR":
        return Polynomial(total_iters=int(cell.decay_steps), power=a("power"), end_lr=a("end_learning_rate"),
                          cycle=bool(cell.update_decay_steps), cycle_min_step=0), a("start_learning_rate")
    if name == "WarmUpLR":
        return LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=int(cell.warmup_steps)), a("learning_rate")
    raise PlanError("source", f"unknown LearningRateSchedule '{name}'; accepted: ExponentialDecayLR, NaturalExpDecayLR, "
                    "InverseDecayLR, CosineDecayLR, PolynomialDecayLR, WarmUpLR and lrbridge's PlanSchedule")
