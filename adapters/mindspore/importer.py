"""MindSpore -> IR: dynamic_lr calls, LearningRateSchedule cells, lists/tensors, group_params, experimental schedulers.

``from_mindspore(source, ...)`` returns a ``Plan``. The IR holds the intended
formula in float64; where MindSpore itself computes in float32 (native cells,
experimental recursions) the plan is what those classes approximate, and the
returned plan's ``notes`` (``IMPORT_NOTES``) say so.

A dynamic_lr list or a tabulated source gets ``horizon: {steps: len, past: error}``:
MindSpore stops past a list's end.
"""

from __future__ import annotations

import inspect
import re

import numpy as np

from lrbridge.errors import PlanError
from lrbridge.groups import ParamGroup
from lrbridge.optim import OptimizerSpec
from lrbridge.plan import Horizon, Plan
from lrbridge.schedules import (
    ByEpoch,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    ConstantFactor,
    Exponential,
    InverseTimeDecay,
    LinearRamp,
    MultiStep,
    NaturalExpDecay,
    Piecewise,
    Polynomial,
    Sequential,
    Step,
    Tabulated,
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


def _cell_schedule(cell):
    """A native (or lrbridge-generated) LearningRateSchedule cell -> (schedule, base lr), by its attributes."""
    name = type(cell).__name__
    if hasattr(cell, "lrbridge_source"):
        if cell.lrbridge_source is None:
            raise PlanError("source", "this PlanLR folds an lr_scale or a hold horizon; import the plan it came from")
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
                    "InverseDecayLR, CosineDecayLR, PolynomialDecayLR, WarmUpLR and lrbridge's PlanLR")


def _scalar(value) -> float:
    return float(value.asnumpy() if hasattr(value, "asnumpy") else value)


def _experimental_schedule(sched):
    """A mindspore.experimental.optim.lr_scheduler instance -> its closed form (the recursion's intent)."""
    name = type(sched).__name__
    if name == "StepLR":
        return Step(step_size=int(sched.step_size), gamma=float(sched.gamma))
    if name == "MultiStepLR":
        return MultiStep(milestones=tuple(sorted(int(m) for m in sched.milestones)), gamma=float(sched.gamma))
    if name == "ConstantLR":
        return ConstantFactor(factor=float(sched.factor), total_iters=int(sched.total_iters))
    if name == "LinearLR":
        return LinearRamp(start_factor=float(sched.start_factor), end_factor=float(sched.end_factor), total_iters=int(sched.total_iters))
    if name == "ExponentialLR":
        return Exponential(gamma=float(sched.gamma))
    if name == "PolynomialLR":
        return Polynomial(total_iters=int(sched.total_iters), power=float(sched.power))
    if name == "CosineAnnealingLR":
        return CosineAnnealing(T_max=int(sched.T_max), eta_min=_scalar(sched.eta_min))
    if name == "CosineAnnealingWarmRestarts":
        return CosineWarmRestarts(T_0=int(sched.T_0), T_mult=int(sched.T_mult), eta_min=_scalar(sched.eta_min))
    if name == "SequentialLR":
        stages = tuple(_experimental_schedule(s) for s in sched._schedulers)  # noqa: SLF001 - no public accessor
        return Sequential(stages=stages, milestones=tuple(int(m) for m in sched.milestones), clock="restart")
    raise PlanError("source", f"experimental scheduler '{name}' has no closed form lrbridge imports; accepted: StepLR, "
                    "MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR, "
                    "CosineAnnealingWarmRestarts, SequentialLR")


def _selector(name: str) -> str:
    """An exact-name selector: the name itself, or an escaped regex when it holds glob characters."""
    return f"re:{re.escape(name)}" if re.search(r"[*?\[\]]", name) or name.startswith("re:") else name


def _plan(schedule, base: float, *, total_step=None, optimizer="sgd", groups=None) -> Plan:
    horizon = Horizon(steps=total_step, past="error") if total_step else Horizon()
    kwargs = {"groups": groups} if groups else {}
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=base), scheduler=schedule, horizon=horizon, **kwargs)


def _lr_source(lr):
    """One lr value as MindSpore accepts it -> (schedule or None for a float, base lr, table length or None)."""
    if isinstance(lr, (int, float)):
        return None, float(lr), None
    if hasattr(lr, "construct") and type(lr).__name__ != "Tensor":
        sched, base = _cell_schedule(lr)
        return sched, base, None
    values = np.asarray(lr.asnumpy() if hasattr(lr, "asnumpy") else lr, np.float64)
    if values.ndim != 1 or values.size == 0:
        raise PlanError("source", f"an lr list or tensor must be 1-D and non-empty, got shape {values.shape}")
    return Tabulated(values=tuple(values.tolist()), source="mindspore lr list"), float(values[0]), int(values.size)


def _from_group_params(groups: list, learning_rate, optimizer: str) -> Plan:
    out, lengths, top = [], [], None
    base_default = None if learning_rate is None else _lr_source(learning_rate)
    for i, g in enumerate(groups):
        if "order_params" in g:
            continue
        unknown = set(g) - {"params", "lr", "weight_decay", "grad_centralization"}
        if unknown:
            raise PlanError(f"group_params[{i}]", f"unknown keys {sorted(unknown)}; MindSpore accepts params, lr, "
                            "weight_decay, grad_centralization, order_params")
        names = [p.name for p in g["params"]]
        src = _lr_source(g["lr"]) if "lr" in g else base_default
        if src is None:
            raise PlanError(f"group_params[{i}].lr", "the group has no lr; pass learning_rate= (the optimizer's)")
        sched, base, length = src
        if length:
            lengths.append(length)
        hparams = {"grad_centralization": bool(g["grad_centralization"])} if "grad_centralization" in g else {}
        out.append(ParamGroup(name=f"group{i}", params=tuple(_selector(n) for n in names), lr=base,
                              weight_decay=float(g.get("weight_decay", 0.0)),
                              scheduler=sched, hparams=hparams))
        top = base if top is None else top
    if not out:
        raise PlanError("group_params", "no group holds parameters")
    total = min(lengths) if lengths else None
    horizon = Horizon(steps=total, past="error") if total else Horizon()
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=top), groups=tuple(out), horizon=horizon)


def from_mindspore(source, *args, learning_rate=None, optimizer: str = "sgd", **kwargs) -> Plan:
    """Import a MindSpore lr source as a plan.

    - ``from_mindspore("cosine_decay_lr", min_lr=0.0, max_lr=0.1, total_step=100, step_per_epoch=1, decay_epoch=100)``:
      a dynamic_lr call, by name and its arguments (positional or keyword).
    - a ``LearningRateSchedule`` cell (native ones by their attributes, lrbridge's ``PlanLR`` exactly).
    - a list, numpy array or 1-D Tensor of lrs: a tabulated schedule of that length.
    - group_params (list of dicts), with ``learning_rate=`` for groups without lr.
    - a ``mindspore.experimental.optim.lr_scheduler`` instance: its closed form, one group per param group.
    ``optimizer`` names the optimizer spec of the plan (MindSpore lr sources do not say).
    """
    if isinstance(source, str):
        build = DYNAMIC_LR.get(source)
        if build is None:
            raise PlanError("source", f"unknown dynamic_lr function '{source}'; accepted: {', '.join(DYNAMIC_LR)}")
        if learning_rate is not None:  # the dynamic_lr argument of that name, not the group_params default
            kwargs["learning_rate"] = learning_rate
        try:
            bound = inspect.signature(build).bind(*args, **kwargs)
        except TypeError as exc:
            params = ", ".join(inspect.signature(build).parameters)
            raise PlanError(source, f"{exc}; arguments: {params}") from None
        sched, base, total = build(*bound.args, **bound.kwargs)
        return _plan(sched, base, total_step=total, optimizer=optimizer)
    if isinstance(source, list) and source and isinstance(source[0], dict):
        return _from_group_params(source, learning_rate, optimizer)
    if hasattr(source, "optimizer") and hasattr(source, "base_lrs") or type(source).__name__ == "SequentialLR":
        return _from_experimental(source, optimizer)
    sched, base, length = _lr_source(source)
    if sched is None:
        from lrbridge.schedules import Constant

        sched = Constant()
    return _plan(sched, base, total_step=length, optimizer=optimizer)


def _from_experimental(sched, optimizer: str) -> Plan:
    schedule = _experimental_schedule(sched)
    opt = sched.optimizer
    groups = []
    for i, group in enumerate(opt.param_groups):
        base = _scalar(group.get("initial_lr", group["lr"]))
        names = [p.name for p in group["params"]]
        groups.append(ParamGroup(name=f"group{i}", params=tuple(_selector(n) for n in names), lr=base))
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=groups[0].lr), groups=tuple(groups), scheduler=schedule)
