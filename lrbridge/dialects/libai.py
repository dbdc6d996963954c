"""OneFlow LiBai LazyConfigs: ``train.scheduler`` (libai.scheduler), ``train`` lengths and ``optim``.

Read from the config's data (``.py`` configs go through :mod:`.pyconfig`, never run).
Semantics as LiBai applies them (Oneflow-Inc/libai, libai/scheduler/lr_scheduler.py and
libai/engine/default.py ``DefaultTrainer.auto_scale_hyperparams``):

* ``train_iter = max(ceil(len(dataset)·train_epoch / global_batch_size), train.train_iter)``:
  with ``steps_per_epoch`` S (= len(dataset)/global_batch_size) this is max(train_epoch·S,
  train_iter); give ``steps`` for the exact count when the epoch does not divide evenly;
* ``warmup_iter = ceil(train_iter·warmup_ratio)``; MultiStep milestones are *fractions* of
  train_iter, scaled with ``int(m·train_iter)``; ``max_iter`` and ``warmup_iter`` are then set
  on the scheduler;
* every ``Warmup*LR`` is OneFlow's ``WarmUpLR(main, warmup_factor, warmup_iters, warmup_method)``
  (prefix False: the ramp ends at main(warmup_iter)) around CosineDecayLR(max_iter, alpha),
  CosineAnnealingLR(max_iter, eta_min), StepLR, MultiStepLR, ExponentialLR or
  PolynomialLR(decay_batch=max_iter, end_learning_rate=1e-4, power, cycle); no warmup when
  warmup_iter is 0;
* ``optim.params``: ``weight_decay_bias`` (parameters named ``bias``) and ``overrides`` of
  weight decay by parameter name become groups; ``weight_decay_norm`` needs layer types (note).

Refused: eager mode with ``num_accumulation_steps > 1`` (LiBai then scales the iteration counts
to micro-batches), optimizers lrbridge does not port, ``do_bias_correction=False``.
"""

from __future__ import annotations

import math
import re

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import Warmup
from ..vocabulary import node
from ._common import build_plan, optimizer_spec, result, short
from .pyconfig import Unresolved, target_name

NAME = "libai"
ALIASES = ("oneflow-libai",)

_MAIN = {  # libai.scheduler function -> (OneFlow class, its arguments from the config)
    "WarmupCosineLR": ("CosineDecayLR", lambda a, m: {"decay_steps": m, "alpha": a.get("alpha", 0.0)}),
    "WarmupCosineAnnealingLR": ("CosineAnnealingLR", lambda a, m: {"T_max": m, "eta_min": a.get("eta_min", 0.0)}),
    "WarmupStepLR": ("StepLR", lambda a, m: {"step_size": a["step_size"], "gamma": a.get("gamma", 0.1)}),
    "WarmupMultiStepLR": ("MultiStepLR", lambda a, m: {"milestones": a["milestones"], "gamma": a.get("gamma", 0.1)}),
    "WarmupExponentialLR": ("ExponentialLR", lambda a, m: {"gamma": a["gamma"]}),
    "WarmupPolynomialLR": ("PolynomialLR", lambda a, m: {"decay_batch": m, "end_learning_rate": a.get("end_learning_rate", 0.0001),
                                                         "power": a.get("power", 1.0), "cycle": a.get("cycle", False)}),
}


def detect(data) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("train"), dict):
        return False
    sched = data["train"].get("scheduler")
    return isinstance(sched, dict) and short(target_name(sched.get("_target_")) or "") in _MAIN and "libai" in str(sched.get("_target_"))


def _need(value, where):
    if isinstance(value, Unresolved):
        raise PlanError(where, f"not resolved: {value.why}")
    return value


def _lengths(train: dict, steps, spe, notes) -> tuple[int, int]:
    """(train_iter, warmup_iter) as DefaultTrainer.auto_scale_hyperparams computes them."""
    ratio = float(train.get("warmup_ratio", 0) or 0)
    if not 0 <= ratio < 1:
        raise PlanError("train.warmup_ratio", "must lie in [0, 1) (LiBai asserts it)")
    if steps is not None:
        total = int(steps)
        notes.append(f"train_iter = {total} (given)")
    else:
        epochs = int(train.get("train_epoch", 0) or 0)
        total = int(train.get("train_iter", 0) or 0)
        if epochs:
            if not spe:
                raise PlanError("--steps-per-epoch", "train_epoch is set: give the iterations per epoch "
                                                     "(len(dataset) / global_batch_size), or --steps for train_iter")
            total = max(epochs * int(spe), total)
            notes.append(f"train_iter = max(train_epoch·{spe}, train_iter) = {total}; LiBai rounds "
                         "len(dataset)·train_epoch/global_batch_size up: pass --steps if that differs")
    if total < 1:
        raise PlanError("train.train_iter", "the config sets no training length")
    return total, math.ceil(total * ratio)


def _groups(params: dict, default_wd: float, notes: list) -> list[ParamGroup]:
    rules = []
    if params.get("weight_decay_bias") is not None:
        rules.append(("bias", "bias", float(params["weight_decay_bias"])))
    for pname, ov in (params.get("overrides") or {}).items():
        if set(ov) - {"weight_decay"}:
            raise PlanError(f"optim.params.overrides.{pname}", "only weight_decay overrides are ported")
        rules.append((pname, pname, float(ov["weight_decay"])))
    if params.get("weight_decay_norm") is not None:
        notes.append(f"weight_decay_norm={params['weight_decay_norm']} is not split into a group: LiBai finds norm "
                     "layers by type, which a config does not carry (lr unaffected)")
    # overrides are keyed by the parameter's own name (the last part of its full name); a later
    # override of the same name wins, as dict.update does
    by_name: dict[str, float] = {}
    for _, pname, wd in rules:
        by_name[pname] = wd
    groups = [ParamGroup(name=f"{p}_wd", params=(f"re:{re.escape(p)}|.*\\.{re.escape(p)}",), weight_decay=wd)
              for p, wd in by_name.items()]
    return groups + [ParamGroup(name="default", rest=True, weight_decay=default_wd)]


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of a LiBai config (its ``train`` and ``optim``)."""
    if not isinstance(data, dict):
        raise PlanError("", "a LiBai config is a mapping")
    train = _need(data.get("train"), "train")
    optim = _need(data.get("optim"), "optim")
    if not isinstance(train, dict) or not isinstance(optim, dict):
        raise PlanError("train", "a LiBai config needs 'train' and 'optim'")
    sched = _need(train.get("scheduler"), "train.scheduler")
    fn = short(target_name(sched.get("_target_")) or "")
    if fn not in _MAIN:
        raise PlanError("train.scheduler", f"{fn or sched.get('_target_')!r} is not a libai.scheduler function; "
                                           f"ported: {', '.join(_MAIN)}")
    notes = [f"LiBai config{' ' + source if source else ''}: libai.scheduler.{fn}"]
    graph = data.get("graph") if isinstance(data.get("graph"), dict) else {}
    acc = int(train.get("num_accumulation_steps") or 1)
    if acc > 1 and not graph.get("enabled", True):
        raise PlanError("train.num_accumulation_steps", "eager mode steps the scheduler per micro-batch (LiBai scales "
                                                        "train_iter by it); not ported")
    total, warm = _lengths(train, steps, steps_per_epoch, notes)
    args = {k: v for k, v in sched.items() if k != "_target_"}
    if "milestones" in args:
        marks = list(args["milestones"])
        if any(m < 0 or m >= 1 for m in marks):
            raise PlanError("train.scheduler.milestones", "LiBai takes milestones as fractions in [0, 1) of train_iter")
        args["milestones"] = [int(m * total) for m in marks]
    cls, kw = _MAIN[fn]
    main = node("oneflow", cls, kw(args, total), "train.scheduler")
    method = args.get("warmup_method", "linear")
    if method not in ("linear", "constant"):
        raise PlanError("train.scheduler.warmup_method", "OneFlow's WarmUpLR takes linear or constant")
    if "warmup_factor" not in args:
        raise PlanError("train.scheduler.warmup_factor", f"libai.scheduler.{fn} requires it")
    schedule = main if warm == 0 else Warmup(schedule=main, warmup_steps=warm, warmup_factor=float(args["warmup_factor"]),
                                             method=method, prefix=False)
    okw = {k: v for k, v in optim.items() if k not in ("_target_", "params")}
    if okw.pop("do_bias_correction", True) is not True:
        raise PlanError("optim.do_bias_correction", "AdamW without bias correction has no torch counterpart")
    spec = optimizer_spec(target_name(optim.get("_target_")) or "", okw, "optim", notes=notes)
    params = optim.get("params") if isinstance(optim.get("params"), dict) else {}
    groups = _groups(params, float(spec.resolved().get("weight_decay", 0.0)), notes)
    plan = build_plan(spec, groups, [schedule] * len(groups), steps=total, past="continue")
    return result(plan, notes)


def load(path, *, steps=None, steps_per_epoch=None):
    """Read a LiBai ``.py`` config (parsed, never run) into an ``ImportResult``."""
    from .pyconfig import load_pyconfig

    return to_plan(load_pyconfig(path), steps=steps, steps_per_epoch=steps_per_epoch, source=str(path))
