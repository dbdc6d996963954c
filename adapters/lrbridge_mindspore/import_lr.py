"""MindSpore's own lr sources -> IR nodes: ``nn.dynamic_lr`` calls by name and arguments, and
``LearningRateSchedule`` cells by their attributes (lrbridge's ``PlanSchedule`` exactly, by its source).

The IR holds the intended formula in float64; native cells compute it in float32. A dynamic_lr call
is checked as MindSpore checks it (types and ranges, ``nn/dynamic_lr.py``): a call MindSpore refuses
is a ``PlanError`` naming the argument, never a plan.
"""

from __future__ import annotations

import math

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


def _positive_int(value, name: str) -> int:
    """MindSpore's ``check_positive_int``: an int (not a bool, not a numpy integer) > 0."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise PlanError(name, f"must be an int > 0, as mindspore.nn.dynamic_lr checks it; got {value!r}")
    return value


def _float(value, name: str, low: str = "> 0") -> float:
    """MindSpore's ``check_is_float`` / ``check_positive_float`` / ``check_non_negative_float``: a finite float
    (not an int, not a bool) that is ``low`` ("> 0", ">= 0" or "" for any)."""
    ok = isinstance(value, float) and math.isfinite(value)
    if ok and low:
        ok = value > 0 if low == "> 0" else value >= 0
    if not ok:
        raise PlanError(name, f"must be a finite float{' ' + low if low else ''}, as mindspore.nn.dynamic_lr checks "
                        f"it; got {value!r}")
    return float(value)


def _bool(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise PlanError(name, f"must be a bool, as mindspore.nn.dynamic_lr checks it; got {value!r}")
    return value


def _steps(total_step, step_per_epoch, **epochs) -> None:
    _positive_int(total_step, "total_step")
    _positive_int(step_per_epoch, "step_per_epoch")
    for name, value in epochs.items():
        _positive_int(value, name)


def _epochs(schedule, step_per_epoch: int):
    """dynamic_lr functions stair every epoch: e = ⌊i / step_per_epoch⌋ (identity when 1)."""
    return schedule if step_per_epoch == 1 else ByEpoch(schedule=schedule, steps_per_epoch=step_per_epoch)


def _piecewise_constant_lr(milestone, learning_rates):
    if not isinstance(milestone, (list, tuple)) or not isinstance(learning_rates, (list, tuple)):
        raise PlanError("milestone" if not isinstance(milestone, (list, tuple)) else "learning_rates",
                        "must be a list or tuple, as mindspore.nn.dynamic_lr checks it")
    if not milestone or len(milestone) != len(learning_rates):
        raise PlanError("learning_rates", f"needs one lr per milestone: {len(milestone)} milestones, "
                        f"{len(learning_rates)} learning_rates")
    ends, values, last = [], [], 0
    for i, (end, lr) in enumerate(zip(milestone, learning_rates)):
        _positive_int(end, f"milestone[{i}]")
        _float(lr, f"learning_rates[{i}]", "")
        if end < last:
            raise PlanError(f"milestone[{i}]", f"must not be below milestone[{i - 1}] = {last}; got {end}")
        if end > last:  # MindSpore accepts a repeated milestone: its lr then applies to no step
            ends.append(end)
            values.append(float(lr))
        last = end
    return Piecewise(boundaries=tuple(ends[:-1]), values=tuple(values)), values[0], ends[-1]


def _decay_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair) -> None:
    """MindSpore's ``_check_inputs`` of exponential/natural_exp/inverse_decay_lr."""
    _steps(total_step, step_per_epoch, decay_epoch=decay_epoch)
    _float(learning_rate, "learning_rate")
    _float(decay_rate, "decay_rate")
    _bool(is_stair, "is_stair")


def _decay(cls):
    def build(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
        _decay_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair)
        inner = cls(decay_rate=float(decay_rate), decay_steps=decay_epoch, staircase=is_stair)
        return _epochs(inner, step_per_epoch), float(learning_rate), total_step

    return build


def _exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    _decay_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair)
    inner = Exponential(gamma=float(decay_rate), decay_steps=decay_epoch, staircase=is_stair)
    return _epochs(inner, step_per_epoch), float(learning_rate), total_step


def _cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    _float(min_lr, "min_lr", ">= 0")
    _float(max_lr, "max_lr")
    _steps(total_step, step_per_epoch, decay_epoch=decay_epoch)
    if max_lr <= min_lr:
        raise PlanError("max_lr", f"must be greater than min_lr, as mindspore.nn.dynamic_lr checks it; got "
                        f"max_lr={max_lr!r}, min_lr={min_lr!r}")
    inner = CosineDecay(decay_steps=decay_epoch, min_lr=float(min_lr))
    return _epochs(inner, step_per_epoch), float(max_lr), total_step


def _polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch, power,
                         update_decay_epoch=False):
    _float(learning_rate, "learning_rate")
    _float(end_learning_rate, "end_learning_rate", ">= 0")
    _float(power, "power")
    _steps(total_step, step_per_epoch, decay_epoch=decay_epoch)
    _bool(update_decay_epoch, "update_decay_epoch")
    inner = Polynomial(total_iters=decay_epoch, power=float(power), end_lr=float(end_learning_rate),
                       cycle=update_decay_epoch, cycle_min_step=0)
    return _epochs(inner, step_per_epoch), float(learning_rate), total_step


def _warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    _float(learning_rate, "learning_rate", ">= 0")
    _steps(total_step, step_per_epoch, warmup_epoch=warmup_epoch)
    inner = LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=warmup_epoch)
    return _epochs(inner, step_per_epoch), float(learning_rate), total_step


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
