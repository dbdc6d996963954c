"""MindSpore optimizer objects -> the plan's optimizer spec and groups, read from what MindSpore resolved.

``nn`` optimizers (``mindspore/nn/optim/optimizer.py``) keep one entry per parameter, in
``parameters`` order: ``learning_rate`` is a per-parameter ``ParameterTuple`` / ``CellList``
when ``is_group_lr`` (else one lr for all), ``weight_decay`` a per-parameter tuple when
``is_group`` (a group without the key holds the optimizer's default). Groups are rebuilt from
those entries: parameters sharing an lr object, weight decay and grad centralization form one.
Without groups, MindSpore decays no parameter whose name holds 'beta' or 'gamma': they become
a group of their own with weight decay 0. A weight-decay Cell lrbridge built is read back as the group's
scheduled weight decay; other weight-decay Cells are refused.

``mindspore.experimental.optim`` optimizers keep torch-style ``param_groups``.

The lr objects are handed back as MindSpore holds them (the importer reads their values):
a float32 ``Parameter``, ``_ConvertToCell``, ``_IteratorLearningRate`` or a cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lrbridge.errors import PlanError
from lrbridge.optim import OPTIMIZER_HPARAMS, OptimizerSpec, external_name


@dataclass
class LiveGroup:
    """One group as MindSpore applies it: parameter names, lr object, weight decay, other hyperparameters."""

    params: tuple[str, ...]
    lr: object
    weight_decay: float
    hparams: dict = field(default_factory=dict)
    weight_decay_schedule: object = None  # a weight-decay Cell lrbridge built, read back as its schedule


@dataclass
class LiveOptimizer:
    spec: OptimizerSpec
    groups: list[LiveGroup]
    notes: list[str] = field(default_factory=list)


def f32(value) -> float:
    """A value MindSpore stores in float32, as the shortest decimal with that float32 (0.9, not 0.8999999761...)."""
    raw = value.asnumpy() if hasattr(value, "asnumpy") else value
    return float(np.format_float_scientific(np.float32(np.asarray(raw).reshape(-1)[0]), unique=True))


def plain(value):
    """Python floats stay as given; MindSpore tensors are float32 values (``f32``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return f32(value)


def is_nn_optimizer(obj) -> bool:
    return hasattr(obj, "global_step") and hasattr(obj, "learning_rate") and hasattr(obj, "decay_flags")


def is_experimental_optimizer(obj) -> bool:
    return hasattr(obj, "param_groups") and hasattr(obj, "defaults") and hasattr(obj, "lrs")


# ---------------------------------------------------------------- nn optimizers


def _nn_hparams(opt) -> tuple[str, dict, list[str]]:
    """(plan optimizer name, torch-named hyperparameters, notes) of an nn optimizer, from its attributes."""
    name = type(opt).__name__
    if name == "SGD":
        return "sgd", {"momentum": f32(opt.momentum), "dampening": plain(opt.dampening), "nesterov": bool(opt.nesterov)}, []
    if name == "Momentum":
        notes = ["nn.Momentum(use_nesterov=True) applies plain momentum on CPU (measured)"] if opt.use_nesterov else []
        return "sgd", {"momentum": f32(opt.momentum), "nesterov": bool(opt.use_nesterov)}, notes
    if name == "Adam":
        notes = ["nn.Adam applies eps as eps·sqrt(1 − beta2^t): the update rule differs from torch's Adam"]
        if opt.use_nesterov:
            notes.append("nn.Adam(use_nesterov=True) has no plan equivalent: the plan's Adam is plain")
        return "adam", {"betas": [f32(opt.beta1), f32(opt.beta2)], "eps": f32(opt.eps), "amsgrad": bool(opt.use_amsgrad)}, notes
    if name == "AdamWeightDecay":
        return "adamw", {"betas": [f32(opt.beta1), f32(opt.beta2)], "eps": f32(opt.eps)}, [
            "nn.AdamWeightDecay has no bias correction: the update rule differs from torch's AdamW"]
    if name == "RMSProp":
        return "rmsprop", {"alpha": plain(opt.decay), "eps": plain(opt.epsilon), "momentum": plain(opt.momentum),
                           "centered": bool(opt.centered)}, ["nn.RMSProp starts its mean square at 1 (torch at 0)"]
    if name == "Adagrad":
        accum = _init_args(opt).get("accum", 0.1)
        return "adagrad", {"initial_accumulator_value": plain(accum)}, ["nn.Adagrad adds no eps to sqrt(sum)"]
    return external_name(f"nn.{name}"), {}, [
        f"optimizer nn.{name} is recorded as external:nn.{name}: its lrs and groups port, lrbridge builds no such optimizer"]


def _spec(name: str, hparams: dict, weight_decay: float) -> OptimizerSpec:
    """The spec with the hyperparameters that differ from torch's defaults (the optimizer's weight decay too)."""
    accepted = OPTIMIZER_HPARAMS.get(name, {"weight_decay": 0.0})  # external: its weight decay alone
    given = {**hparams, "weight_decay": weight_decay}
    return OptimizerSpec(name=name, lr=0.0, hparams={k: v for k, v in given.items() if k in accepted and _differs(v, accepted[k])})


def _differs(a, b) -> bool:
    """Hyperparameter values differ (a tuple and a list of the same betas do not)."""
    return (list(a) if isinstance(a, tuple) else a) != (list(b) if isinstance(b, tuple) else b)


def _weight_decay(value, loss_scale: float, where: str) -> float:
    """The weight decay applied: MindSpore stores wd·loss_scale in float32 and unscales the gradient after.
    A weight-decay Cell lrbridge built gives its value at step 0 (``_weight_decay_schedule`` the rest)."""
    if not hasattr(value, "asnumpy") and not isinstance(value, (int, float)):
        return _weight_decay_schedule(value, where)[1]
    wd = f32(value)
    return wd if loss_scale == 1.0 else wd / loss_scale


def _weight_decay_schedule(value, where: str):
    """(schedule, base) of a weight-decay Cell lrbridge built (``weight_decay.WeightDecayTable``, or a
    ``PlanSchedule`` recording its source), as MindSpore holds it (``_WrappedWeightDecay`` applies
    cell(global_step)·loss_scale to the loss-scaled gradient: the cell's value is the weight decay); None for
    a float weight decay; a PlanError for other cells (their formula is not readable)."""
    if hasattr(value, "asnumpy") or isinstance(value, (int, float)):
        return None
    inner = value.weight_decay if type(value).__name__ == "_WrappedWeightDecay" else value
    values = getattr(inner, "lrbridge_values", None)
    if values is not None:
        from lrbridge.schedules import Tabulated

        return Tabulated(values=tuple(values), source="lrbridge_mindspore WeightDecayTable"), float(values[0])
    source = getattr(inner, "lrbridge_source", None)
    if source is not None:
        return source
    raise PlanError(where, f"weight decay given as a {type(inner).__name__} cell (a schedule): from_mindspore "
                    "does not read weight-decay cells (only the ones lrbridge builds); give the optimizer a float "
                    "weight_decay and write the schedule as the group's hparam_schedulers.weight_decay in the plan")


def _init_args(opt) -> dict:
    """The constructor arguments MindSpore records (``opt_init_args_register``; not every class does)."""
    return getattr(opt, "init_args", None) or {}


def _default_weight_decay(opt) -> float:
    """The optimizer's own weight decay (what groups without one get): its recorded argument, else
    the one it holds without groups (0 when neither says)."""
    if "weight_decay" in _init_args(opt):
        return _weight_decay(_init_args(opt)["weight_decay"], 1.0, "weight_decay")
    return 0.0 if opt.is_group else _weight_decay(opt.weight_decay, opt.loss_scale, "weight_decay")


def _per_parameter(opt):
    """(name, lr object, weight decay, grad centralization, weight-decay schedule or None) per parameter,
    in ``opt.parameters`` order."""
    n = len(opt.parameters)
    lrs = list(opt.learning_rate) if opt.is_group_lr else [opt.learning_rate] * n
    if opt.is_group:
        where = [f"weight_decay of parameter '{p.name}'" for p in opt.parameters]
        wds = [_weight_decay(w, opt.loss_scale, at) for w, at in zip(opt.weight_decay, where)]
        scheds = [_weight_decay_schedule(w, at) for w, at in zip(opt.weight_decay, where)]
        gcs = list(getattr(opt, "grad_centralization_flags", (False,) * n))
    else:
        wd = _weight_decay(opt.weight_decay, opt.loss_scale, "weight_decay")
        sched = _weight_decay_schedule(opt.weight_decay, "weight_decay")
        # without groups MindSpore decays only the parameters decay_flags selects (not *beta*, *gamma*)
        wds = [wd if flag else 0.0 for flag in opt.decay_flags]
        scheds = [sched if flag else None for flag in opt.decay_flags]
        gcs = [False] * n
    return [(p.name, lr, wd, bool(gc), s) for p, lr, wd, gc, s in zip(opt.parameters, lrs, wds, gcs, scheds)]


def read_nn(opt) -> LiveOptimizer:
    """An ``nn`` optimizer's groups as MindSpore resolved them (see the module docstring)."""
    name, hparams, notes = _nn_hparams(opt)
    default_wd = _default_weight_decay(opt)
    grouped: dict[tuple, LiveGroup] = {}
    for pname, lr, wd, gc, sched in _per_parameter(opt):
        key = (id(lr), wd, gc, None if sched is None else sched[0].model_dump_json())
        if key not in grouped:
            grouped[key] = LiveGroup((), lr, wd, {"grad_centralization": True} if gc else {},
                                     None if sched is None else sched[0])
        grouped[key].params += (pname,)
    if opt.loss_scale != 1.0:
        notes.append(f"weight decay unscaled by loss_scale={opt.loss_scale:g} (MindSpore stores wd·loss_scale)")
    if not opt.is_group and any(not f for f in opt.decay_flags) and default_wd > 0:
        notes.append("parameters named *beta*/*gamma* get no weight decay (MindSpore's rule without groups): "
                     "a group of their own")
    return LiveOptimizer(_spec(name, hparams, default_wd), list(grouped.values()), notes)


# ---------------------------------------------------------------- experimental optimizers

#: mindspore.experimental.optim class -> plan optimizer name (torch's update rules and names)
EXPERIMENTAL = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop", "Adagrad": "adagrad",
                "NAdam": "nadam", "RAdam": "radam", "Adamax": "adamax", "Adadelta": "adadelta"}


def read_experimental(opt, *, initial: bool = True) -> LiveOptimizer:
    """An experimental optimizer's ``param_groups``; each lr its ``initial_lr`` when a scheduler set one
    (``initial``), else the group's current lr Parameter."""
    cls = type(opt).__name__
    name = EXPERIMENTAL.get(cls) or external_name(cls)
    notes = [] if cls in EXPERIMENTAL else [
        f"optimizer experimental.optim.{cls} is recorded as external:{cls}: its lrs and groups port, lrbridge builds "
        "no such optimizer"]
    if cls == "Adam":
        notes.append("experimental Adam applies eps as eps·sqrt(1 − beta2^t) and ignores amsgrad")
    accepted = OPTIMIZER_HPARAMS.get(name, {"weight_decay": 0.0})
    defaults = {k: _torch_value(v) for k, v in opt.defaults.items() if k in accepted}
    spec = _spec(name, {k: v for k, v in defaults.items() if k != "weight_decay"}, float(opt.defaults.get("weight_decay", 0.0)))
    resolved = spec.resolved()
    groups = []
    for i, g in enumerate(opt.param_groups):
        if g.get("maximize"):
            notes.append(f"group {i}: maximize=True is not part of a plan (schedule-only import)")
        hp = {k: _torch_value(g[k]) for k in accepted if k in g and k != "weight_decay" and _differs(_torch_value(g[k]), resolved[k])}
        if g.get("grad_centralization"):  # stored in the group, applied by no experimental optimizer (measured)
            notes.append(f"group {i}: grad_centralization=True is not applied by experimental.optim.{cls} (MindSpore "
                         "only stores the key): left out of the plan")
        lr = g["initial_lr"] if initial and "initial_lr" in g else g["lr"]
        groups.append(LiveGroup(tuple(p.name for p in g["params"]), lr, float(g["weight_decay"]), hp))
    return LiveOptimizer(spec, groups, notes)


def _torch_value(v):
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return plain(v)


def read_optimizer(opt, *, initial: bool = True) -> LiveOptimizer:
    """Either API's optimizer (a PlanError naming what was given otherwise)."""
    if is_nn_optimizer(opt):
        return read_nn(opt)
    if is_experimental_optimizer(opt):
        return read_experimental(opt, initial=initial)
    raise PlanError("source", f"{type(opt).__name__} is not a MindSpore optimizer (nn.Optimizer or experimental.optim)")
