"""Helpers shared by the dialects: optimizer specs from torch-style names, plan assembly, holds."""

from __future__ import annotations

import numpy as np

from ..errors import PlanError
from ..groups import ParamGroup
from ..optim import OPTIMIZER_HPARAMS, OptimizerSpec
from ..plan import Horizon, ImportResult, Plan
from ..schedules import Constant, LinearRamp, Piecewise, Sequential

#: torch-style optimizer class names -> canonical lrbridge names
OPTIMIZER_NAMES = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop", "Adagrad": "adagrad",
                   "NAdam": "nadam", "RAdam": "radam", "Adamax": "adamax", "Adadelta": "adadelta"}
#: each of those torch.optim classes' default lr (torch 2.x signatures): what a config that omits lr gets
TORCH_DEFAULT_LR = {"SGD": 1e-3, "Adam": 1e-3, "AdamW": 1e-3, "RMSprop": 1e-2, "Adagrad": 1e-2, "NAdam": 2e-3,
                    "RAdam": 1e-3, "Adamax": 2e-3, "Adadelta": 1.0}


def is_whole(value) -> bool:
    """A whole number as configs write it: an int, or a float such as 40.0 (YAML, JSON); never a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float)) and float(value).is_integer()


def external_spec(name: str, lr: float, kwargs: dict, where: str, notes: list | None = None) -> OptimizerSpec:
    """An ``external:<name>`` spec (an optimizer lrbridge does not build: LAMB, LARS, Adafactor, ...):
    plain hyperparameters kept as written, others dropped and named in a note."""
    from ..optim import external_name, plain_hparam

    kept, dropped = {}, []
    for key, value in kwargs.items():
        if plain_hparam(value):
            kept[key] = list(value) if isinstance(value, tuple) else value
        else:
            dropped.append(key)
    if notes is not None:
        notes.append(f"optimizer {name} is recorded as external:{name}: its schedule and groups port, "
                     "lrbridge builds no such optimizer" + (f" (dropped non-numeric {sorted(dropped)})" if dropped else ""))
    try:
        return OptimizerSpec(name=external_name(name), lr=float(lr), hparams=kept)
    except PlanError as exc:
        raise exc.under(where) from None


def short(name: str) -> str:
    """The class name of a dotted path (``torch.optim.SGD`` -> ``SGD``)."""
    return name.rsplit(".", 1)[-1]


def optimizer_spec(type_name: str, kwargs: dict, where: str, ignore=(), notes: list | None = None) -> OptimizerSpec:
    """An ``OptimizerSpec`` from a torch-style optimizer class name and its keyword arguments.

    Keywords that do not change the update (``foreach``, ``fused``, ...) and those in
    ``ignore`` are dropped; any other unknown keyword is an error naming it. A class outside
    torch's (``Lamb``, ``LARS``, ...) becomes ``external:<class>`` (see ``external_spec``).
    """
    if "lr" not in kwargs:
        raise PlanError(f"{where}.lr", "the optimizer needs an lr")
    neutral = {"foreach", "fused", "capturable", "differentiable", "params", *ignore}
    name = OPTIMIZER_NAMES.get(short(type_name))
    if name is None:
        if not isinstance(type_name, str) or not type_name.strip():
            raise PlanError(f"{where}.type", f"optimizer type must be a class name, got {type_name!r}")
        rest = {k: v for k, v in kwargs.items() if k not in neutral and k != "lr"}
        return external_spec(short(type_name), kwargs["lr"], rest, where, notes)
    hparams = {}
    for key, value in kwargs.items():
        if key in neutral or key == "lr":
            continue
        if key not in OPTIMIZER_HPARAMS[name]:
            raise PlanError(f"{where}.{key}", f"torch.optim.{short(type_name)} takes no '{key}' that lrbridge "
                                              f"ports; accepted: lr, {', '.join(OPTIMIZER_HPARAMS[name])}")
        hparams[key] = list(value) if isinstance(value, tuple) else value
    try:
        return OptimizerSpec(name=name, lr=float(kwargs["lr"]), hparams=hparams)
    except PlanError as exc:  # nodes validate when built: re-root the field path at the config's
        raise exc.under(where) from None


def skip_unknown(data: dict, read, ignored, what: str, notes: list[str], cutoff: float = 0.8) -> None:
    """Saved argument dumps hold many keys that do not change the lr: skip them (named in a note),
    but a near-miss of a key this dialect reads is an error (``learning_rat`` must not silently
    leave the default lr in place)."""
    import difflib

    skipped = []
    for key in data:
        if key in read or key in ignored:
            continue
        close = difflib.get_close_matches(key, list(read), n=1, cutoff=cutoff)
        if close:
            raise PlanError(key, f"unknown {what}; did you mean {close[0]!r}?")
        skipped.append(key)
    if skipped:
        notes.append(f"keys that do not change the lr, skipped: {', '.join(sorted(skipped))}")


def constant_factor(c: float):
    """lr = b·c at every step."""
    return LinearRamp(start_factor=float(c), end_factor=float(c), total_iters=1)


def constant_value(v: float):
    """lr = v (absolute) at every step."""
    return Piecewise(boundaries=(), values=(float(v),))


def value_at(schedule, k: int, base: float) -> float:
    """The schedule's lr at step k for base lr ``base`` (float64)."""
    return float(schedule.lr(np.array([float(k)]), base)[0])


def window(stage, begin: int, end: int | None, hold=None):
    """``stage`` on its own clock from ``begin`` (the lr passes through before), ``hold`` from ``end`` on."""
    stages, marks = [], []
    if begin > 0:
        stages.append(Constant())
        marks.append(begin)
    stages.append(stage)
    if hold is not None and end is not None:
        stages.append(hold)
        marks.append(end)
    if len(stages) == 1:
        return stage
    return Sequential(stages=tuple(stages), milestones=tuple(marks), clock="restart")


def build_plan(optimizer: OptimizerSpec, groups, schedules, hparam_schedules=None, steps=None, past="continue"):
    """A plan whose groups follow ``schedules[i]``: the plan's own when all are equal, else per group."""
    hparam_schedules = hparam_schedules or [{} for _ in groups]
    shared = all(s == schedules[0] for s in schedules)
    out = []
    for g, s, hs in zip(groups, schedules, hparam_schedules):
        out.append(g.model_copy(update={"scheduler": None if shared else s, "hparam_schedulers": hs}))
    try:
        return Plan(
            optimizer=optimizer, groups=tuple(ParamGroup.model_validate(g.model_dump()) for g in out),
            scheduler=schedules[0] if shared else Constant(), horizon=Horizon(steps=steps, past=past if steps else "continue"),
        )
    except PlanError as exc:
        raise exc.under("plan") from None


def result(plan, notes) -> ImportResult:
    return ImportResult(plan=plan, exact=True, notes=list(notes))
