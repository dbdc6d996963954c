"""mindcv (MindSpore) training configs: ``create_scheduler`` and ``create_optimizer`` arguments.

A mindcv YAML config (``configs/<model>/*.yaml``: ``scheduler``, ``lr``, ``min_lr``,
``warmup_epochs``, ``warmup_factor``, ``decay_epochs``, ``decay_rate``,
``multi_step_decay_milestones``, ``epoch_size``, ``num_cycles``, ``cycle_decay``,
``lr_epoch_stair``, ``opt``, ``momentum``, ``weight_decay``, ``weight_decay_filter``, ...)
with train.py's defaults; ``create_scheduler``'s own argument names (``num_epochs``,
``milestones``) are accepted too. The iterations per epoch (``steps_per_epoch``, train.py's
``num_batches``) are required.

mindcv/scheduler/scheduler_factory.py ``create_scheduler`` returns a *list* of lrs, one per
step: ``warmup_epochs·S`` warmup values (``linear_lr`` / ``linear_refined_lr``) followed by
``(epoch_size − warmup_epochs)·S`` values of the main decay, restarted at 0. The decays are
per epoch (``lr_epoch_stair``: the epoch index ⌊i/S⌋) or per step (the fraction i/S).
The list ends there: the plan's horizon is its length (past: error, as MindSpore's list is).

Mapped (mindcv/scheduler/dynamic_lr.py): ``cosine_decay``/``warmup_cosine_decay`` (num_cycles
restarts of decay_epochs with peaks lr·cycle_decay^c, then min_lr), ``step_decay``,
``multi_step_decay``, ``exponential_decay``, ``polynomial_decay`` (power = decay_rate over the
main epochs), ``one_cycle`` (div 25, final lr = min_lr), ``cyclic`` (min_lr..lr, num_cycles
triangles), ``constant``. ``weight_decay_filter: norm_and_bias`` puts parameters whose names
contain ``beta``, ``gamma`` or ``bias`` in a group without weight decay (a substring match,
as mindcv does). Refused: ``layer_decay`` (needs the model), optimizers lrbridge does not port.
"""

from __future__ import annotations

from collections import Counter

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import (
    ByEpoch,
    Constant,
    CosineWarmRestarts,
    Cyclic,
    Exponential,
    LinearRamp,
    MultiStep,
    OneCycle,
    Piecewise,
    Polynomial,
    Sequential,
    Step,
)
from ._common import build_plan, optimizer_spec, result

NAME = "mindcv"
ALIASES = ("mindspore-cv",)

#: mindcv/config.py (train.py's argparse defaults)
DEFAULTS = {
    "scheduler": "cosine_decay", "lr": 0.001, "min_lr": 1e-6, "warmup_epochs": 3, "warmup_factor": 0.0,
    "decay_epochs": 100, "decay_rate": 0.9, "multi_step_decay_milestones": [30, 60, 90], "epoch_size": 90,
    "num_cycles": 1, "cycle_decay": 1.0, "lr_epoch_stair": False, "opt": "adam", "momentum": 0.9,
    "use_nesterov": False, "weight_decay": 1e-6, "weight_decay_filter": "disable", "eps": 1e-10, "layer_decay": None,
}
_SCHEDULERS = ("constant", "cosine_decay", "warmup_cosine_decay", "step_decay", "multi_step_decay",
               "exponential_decay", "polynomial_decay", "one_cycle", "cyclic")
_ALIASES = {"num_epochs": "epoch_size", "milestones": "multi_step_decay_milestones"}


def detect(data) -> bool:
    return isinstance(data, dict) and data.get("scheduler") in _SCHEDULERS and (
        "epoch_size" in data or "lr_epoch_stair" in data or "decay_epochs" in data)


def _clock(sched, spe: int, stair: bool):
    """A schedule in epochs, read at ⌊i/S⌋ (stair) or i/S."""
    return ByEpoch(schedule=sched, steps_per_epoch=spe, cadence="epoch" if stair else "step")


def _main(a: dict, spe: int, main_epochs: int):
    name, stair, lr, min_lr = a["scheduler"], bool(a["lr_epoch_stair"]), float(a["lr"]), float(a["min_lr"])
    if name in ("cosine_decay", "warmup_cosine_decay"):
        de = int(a["decay_epochs"])
        cycles = int(a["num_cycles"])
        length = de if stair else de * spe  # the cosine's t/decay_epochs, per epoch or per step
        node = CosineWarmRestarts(T_0=length, eta_min=min_lr, decay_rate=float(a["cycle_decay"]), restart_limit=cycles)
        return ByEpoch(schedule=node, steps_per_epoch=spe, cadence="epoch") if stair else node
    if name == "step_decay":  # lr·γ^⌊⌊i/S⌋/decay_epochs⌋ = lr·γ^⌊i/(S·decay_epochs)⌋
        return Step(step_size=int(a["decay_epochs"]) * spe, gamma=float(a["decay_rate"]))
    if name == "multi_step_decay":
        counts = Counter(int(m) * spe for m in a["multi_step_decay_milestones"])
        marks, gamma = sorted(counts), float(a["decay_rate"])
        if all(c == 1 for c in counts.values()):
            return MultiStep(milestones=tuple(marks), gamma=gamma)
        values, total = [1.0], 0
        for m in marks:  # bisect_right counts a repeated milestone twice
            total += counts[m]
            values.append(gamma ** total)
        return Piecewise(boundaries=tuple(marks), values=tuple(values), relative=True)
    if name == "exponential_decay":
        gamma = float(a["decay_rate"])
        return _clock(Exponential(gamma=gamma), spe, True) if stair else Exponential(gamma=gamma, decay_steps=spe)
    if name == "polynomial_decay":
        power = float(a["decay_rate"])
        if stair:
            return _clock(Polynomial(total_iters=main_epochs, power=power), spe, True)
        return Polynomial(total_iters=main_epochs * spe, power=power)
    if name in ("one_cycle", "cyclic"):
        if stair or int(a["warmup_epochs"]) > 0:
            raise PlanError("scheduler", f"{name} with lr_epoch_stair or warmup_epochs > 0: mindcv raises ValueError")
        steps = spe * main_epochs
        if name == "one_cycle":
            if min_lr <= 0:
                raise PlanError("min_lr", "one_cycle divides by min_lr (final_div_factor = lr/25/min_lr)")
            return OneCycle(total_steps=steps, max_lr=lr, div_factor=25.0, final_div_factor=(lr / 25.0) / min_lr)
        up = int(steps / int(a["num_cycles"]) / 2)
        return Cyclic(base_lr=min_lr, max_lr=lr, step_size_up=up)
    if name == "constant":
        return Constant()
    raise PlanError("scheduler", f"unknown mindcv scheduler {name!r}; mindcv has: {', '.join(_SCHEDULERS)}")


_OPTIMIZERS = {"sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adam": "Adam", "adamw": "AdamW",
               "rmsprop": "RMSprop", "adagrad": "Adagrad"}


def _optimizer(a: dict, notes: list):
    opt = str(a["opt"]).lower()
    if opt not in _OPTIMIZERS:
        raise PlanError("opt", f"mindcv optimizer {opt!r} has no torch counterpart lrbridge ports; ported: {', '.join(_OPTIMIZERS)}")
    kw = {"lr": float(a["lr"])}
    if _OPTIMIZERS[opt] == "SGD":
        kw.update(momentum=float(a["momentum"]), nesterov=bool(a["use_nesterov"]) or opt == "nesterov")
    if _OPTIMIZERS[opt] in ("Adam", "AdamW", "RMSprop"):
        kw["eps"] = float(a["eps"]) if opt != "adam" else 1e-8  # nn.Adam keeps its own eps in mindcv
    notes.append(f"optimizer: mindcv '{opt}' as torch {_OPTIMIZERS[opt]} (weight decay in the groups)")
    return optimizer_spec(_OPTIMIZERS[opt], kw, "opt")


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of a mindcv config (its lr list as a closed form, with its groups)."""
    if not isinstance(data, dict):
        raise PlanError("", "a mindcv config is a mapping")
    a = {**DEFAULTS, **{_ALIASES.get(k, k): v for k, v in data.items()}}
    if not steps_per_epoch:
        raise PlanError("--steps-per-epoch", "mindcv lists have one lr per step: give the batches per epoch")
    spe = int(steps_per_epoch)
    if a.get("layer_decay") is not None:
        raise PlanError("layer_decay", "layer-wise decay groups depend on the model's cells; not ported from a config")
    notes = [f"mindcv config{' ' + source if source else ''}: create_scheduler list over {a['epoch_size']} epochs × {spe} steps"]
    warm_epochs = int(a["warmup_epochs"])
    main_epochs = int(a["epoch_size"]) - warm_epochs
    main = _main(a, spe, main_epochs)
    if warm_epochs > 0:
        ramp = LinearRamp(start_factor=float(a["warmup_factor"]), end_factor=1.0, total_iters=warm_epochs)
        warm = _clock(ramp, spe, bool(a["lr_epoch_stair"]))
        sched = Sequential(stages=(warm, main), milestones=(warm_epochs * spe,), clock="restart")
    else:
        sched = main
    spec = _optimizer(a, notes)
    wd = float(a["weight_decay"])
    groups = [ParamGroup(name="default", rest=True, weight_decay=wd)]
    if a["weight_decay_filter"] == "norm_and_bias" and wd:
        groups.insert(0, ParamGroup(name="no_decay", params=("*beta*", "*gamma*", "*bias*"), weight_decay=0.0))
    elif a["weight_decay_filter"] == "auto":
        notes.append("weight_decay_filter 'auto': MindSpore's optimizer filters norm parameters itself (by type)")
    elif a["weight_decay_filter"] not in ("disable", "norm_and_bias"):
        raise PlanError("weight_decay_filter", "mindcv accepts disable, auto, norm_and_bias")
    horizon = int(steps) if steps is not None else int(a["epoch_size"]) * spe
    plan = build_plan(spec, groups, [sched] * len(groups), steps=horizon, past="error")
    return result(plan, notes)
