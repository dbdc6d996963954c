"""mmengine configs (mmdet, mmpretrain, mmseg, mmagic, ...): ``param_scheduler``, ``optim_wrapper``, ``train_cfg``.

Read from the config's data (a ``.py`` config goes through :mod:`.pyconfig`, never run).
mmengine's semantics, as its Runner and ``ParamScheduler`` classes apply them:

* every scheduler is active for ``begin ≤ step < end`` on its own clock (``end`` defaults
  to ``train_cfg``'s max_epochs, or max_iters when ``by_epoch=False``: max_epochs × S in an
  EpochBasedTrainLoop; an IterBasedTrainLoop's max_epochs is 1); before ``begin``
  it leaves the lr alone, from ``end`` on the lr keeps its last value;
* the schedulers are *chainable*: each step, every active one updates the current lr in
  turn. Multiplicative ones (Linear, Constant, Step, MultiStep, Exponential, and Cosine/Poly
  with eta_min 0) multiply; the others (eta_min ≠ 0, OneCycleLR, CosineRestartLR) start
  from the lr they find and must not overlap another scheduler (refused: no closed form);
  mmdet's ``QuadraticWarmupLR`` (YOLOX, RTMPose) sets X_base·((t+1)/T)² from the group's
  initial value, likewise alone in its range;
* ``by_epoch=True`` schedulers step once per epoch (``ByEpoch``, steps_per_epoch updates)
  unless ``convert_to_iter_based=True``, which rescales begin/end/T_max/milestones/step_size/
  periods/total_steps by the epoch length (``ExponentialLR``'s gamma is *not* rescaled:
  it then decays every iteration, as mmengine does);
* defaults that differ from torch: ``LinearLR``/``ConstantLR``/``PolyLR`` last ``end − begin − 1``
  steps, ``CosineAnnealingLR`` ``T_max = end − begin``; ``eta_min_ratio`` is a fraction of the
  group's initial lr; ``CosineRestartLR`` restarts at ``initial_lr·restart_weights[i]``;
* ``optim_wrapper.paramwise_cfg`` becomes groups: ``custom_keys`` (substring match on the
  parameter name, longest key first), ``bias_lr_mult``/``bias_decay_mult`` (parameters named
  ``bias``), ``norm_decay_mult`` (norm layers, recognised by name: a note says so).

Refused with the reason: ReduceOnPlateau, ``accumulative_counts > 1``, overlapping
non-multiplicative schedulers, ``dwconv_decay_mult``/``flat_decay_mult``/``dcn_offset_lr_mult``
(they need the model's layer types), optimizers lrbridge does not port, arguments mmengine's
classes reject (``_validate``) or divide by zero on (LinearLR ``start_factor=0``, ConstantLR ``factor=0``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import (
    ByEpoch,
    Chained,
    Constant,
    ConstantFactor,
    CosineAnnealing,
    Exponential,
    LinearRamp,
    MultiStep,
    OneCycle,
    Piecewise,
    Polynomial,
    Sequential,
    Step,
)
from ._common import build_plan, constant_factor, constant_value, is_whole, optimizer_spec, result, short, value_at, window
from .pyconfig import target_name

NAME = "mmengine"
ALIASES = ("mmdet", "mmpretrain", "mmseg", "mmcv", "openmmlab")

INF = int(1e9)  # mmengine's "no end"

_FAMILIES = {
    "Linear": "linear", "Constant": "constant", "MultiStep": "multistep", "Step": "step",
    "Exponential": "exp", "CosineAnnealing": "cosine", "Poly": "poly", "OneCycle": "onecycle",
    "CosineRestart": "restart", "ReduceOnPlateau": "plateau",
    "QuadraticWarmup": "quadratic",  # mmdet/mmpose/mmyolo register it (mmdet.QuadraticWarmupLR: YOLOX, RTMPose)
}


def detect(data) -> bool:
    # an mmcv 1.x config (lr_config + optimizer dict) is recognised too, so that it gets to_plan's one-line refusal
    return isinstance(data, dict) and ("param_scheduler" in data or "optim_wrapper" in data
                                       or isinstance(data.get("lr_config"), dict) and isinstance(data.get("optimizer"), dict))


@dataclass
class _Sched:
    """One scheduler on the iteration or epoch clock, converted as mmengine's builder does."""

    family: str
    param: str  # "lr", "momentum" or "weight_decay"
    begin: int
    end: int
    epoch_clock: bool
    kw: dict
    where: str
    type_name: str
    notes: list = field(default_factory=list)


def _classify(type_name: str, cfg: dict, where: str) -> tuple[str, str]:
    name = short(type_name)
    for suffix, param in (("LR", "lr"), ("Momentum", "momentum"), ("ParamScheduler", None)):
        if name.endswith(suffix) and name[: -len(suffix)] in _FAMILIES:
            family = _FAMILIES[name[: -len(suffix)]]
            if param is None:
                param = cfg.get("param_name")
                if param not in ("lr", "momentum", "weight_decay"):
                    raise PlanError(f"{where}.param_name", f"{name} schedules {param!r}; lrbridge ports lr, momentum "
                                                           "and weight_decay schedules only")
            return family, param
    raise PlanError(f"{where}.type", f"unknown mmengine scheduler {type_name!r}")


_COMMON_KEYS = {"type", "begin", "end", "by_epoch", "convert_to_iter_based", "last_step", "verbose", "param_name"}
_FAMILY_KEYS = {
    "linear": {"start_factor", "end_factor"}, "constant": {"factor"}, "multistep": {"milestones", "gamma"},
    "step": {"step_size", "gamma"}, "exp": {"gamma"}, "cosine": {"T_max", "eta_min", "eta_min_ratio"},
    "poly": {"eta_min", "power"}, "restart": {"periods", "restart_weights", "eta_min", "eta_min_ratio"},
    "onecycle": {"eta_max", "total_steps", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase"},
    "plateau": set(), "quadratic": set(),
}


def _scheduler(cfg, i: int, loop: dict, spe: int | None) -> _Sched:
    where = f"param_scheduler[{i}]"
    if not isinstance(cfg, dict):
        raise PlanError(where, f"must be a dict with a 'type', got {type(cfg).__name__}")
    type_name = target_name(cfg.get("type"))
    if type_name is None:
        raise PlanError(f"{where}.type", "missing or not a scheduler name")
    family, param = _classify(type_name, cfg, where)
    if family == "plateau":
        raise PlanError(where, f"{short(type_name)} follows a validation metric: it has no schedule to port ahead of time")
    for key in cfg:
        if key not in _COMMON_KEYS | _FAMILY_KEYS[family]:
            raise PlanError(f"{where}.{key}", f"unknown key for {short(type_name)}; accepted: "
                                              f"{', '.join(sorted(_COMMON_KEYS | _FAMILY_KEYS[family]))}")
    if cfg.get("last_step", -1) != -1:
        raise PlanError(f"{where}.last_step", "resuming mid-run (last_step) is not a schedule; remove it")
    by_epoch = bool(cfg.get("by_epoch", True))
    convert = bool(cfg.get("convert_to_iter_based", False))
    begin = cfg.get("begin", 0)
    end = cfg.get("end")
    defaulted = end is None
    if defaulted:  # the Runner's default: the train loop's length on the scheduler's clock
        end = _default_end(loop, by_epoch, spe, where)
    kw = {k: v for k, v in cfg.items() if k in _FAMILY_KEYS[family]}
    if family == "quadratic" and end == INF:
        raise PlanError(f"{where}.end", f"{short(type_name)} needs an end (the warmup's length; mmdet raises without one)")
    if by_epoch and convert:  # mmengine's build_iter_from_epoch: begin, end = int(begin·S), int(end·S)
        if not spe:
            raise PlanError("--steps-per-epoch", f"{where} converts epochs to iterations: give the iterations per epoch "
                                                 "(len(train_dataloader))")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (begin, end)):
            raise PlanError(where, f"needs numbers of epochs begin < end, got begin={begin!r}, end={end!r}")
        begin, end = int(begin * spe), (int(end * spe) if end != INF else INF)
    if not isinstance(begin, int) or not isinstance(end, int) or end <= begin:
        raise PlanError(where, f"needs integer begin < end, got begin={begin!r}, end={end!r}"
                               + (f" (end not given: the train loop's {'max_epochs' if by_epoch else 'max_iters'})"
                                  if defaulted else "") + "; mmengine raises ValueError")
    epoch_clock = by_epoch
    if by_epoch and convert:
        for key in ("T_max", "step_size", "total_steps"):
            if kw.get(key) is not None:
                kw[key] = kw[key] * spe
        for key in ("milestones", "periods"):
            if key in kw:
                kw[key] = [m * spe for m in kw[key]]
        epoch_clock = False
    elif not by_epoch and convert:
        raise PlanError(f"{where}.convert_to_iter_based", "needs by_epoch=True (mmengine asserts it)")
    if epoch_clock and not loop.get("by_epoch", True):
        raise PlanError(f"{where}.by_epoch", "an epoch-based scheduler in an iteration-based train loop is never "
                                             "stepped by mmengine; set by_epoch=False")
    sched = _Sched(family, param, begin, end, epoch_clock, kw, where, short(type_name))
    _validate(sched)
    return sched


def _default_end(loop: dict, by_epoch: bool, spe: int | None, where: str) -> int:
    """The ``end`` mmengine's Runner gives a scheduler without one: its train loop's max_epochs (``by_epoch``)
    or max_iters, which an EpochBasedTrainLoop counts as max_epochs × len(train_dataloader) and an
    IterBasedTrainLoop pairs with max_epochs = 1."""
    if by_epoch:
        return (loop["max_epochs"] or INF) if loop["by_epoch"] else 1
    if not loop["by_epoch"]:
        return loop["max_iters"] or INF
    if not loop["max_epochs"]:
        return INF
    if not spe:
        raise PlanError("--steps-per-epoch", f"{where} steps per iteration and has no end: mmengine ends it at the train "
                                             "loop's max_iters = max_epochs × iterations per epoch; give the iterations "
                                             "per epoch (len(train_dataloader)), or an end")
    return int(loop["max_epochs"]) * spe


_REQUIRED = {"multistep": ("milestones",), "step": ("step_size",), "exp": ("gamma",), "restart": ("periods",)}


def _validate(s: _Sched) -> None:
    """The arguments mmengine's scheduler classes reject (or crash on), refused here with mmengine's reason."""
    kw, name, where = s.kw, s.type_name, s.where
    for key in _REQUIRED.get(s.family, ()):
        if kw.get(key) is None:
            raise PlanError(f"{where}.{key}", f"{name} needs {key} (a required argument of mmengine's {name})")
    for key in {"linear": ("start_factor", "end_factor"), "constant": ("factor",)}.get(s.family, ()):
        if key in kw and not (isinstance(kw[key], (int, float)) and not isinstance(kw[key], bool) and 0 <= kw[key] <= 1):
            raise PlanError(f"{where}.{key}", f"{key}={kw[key]!r}: mmengine's {name} needs a factor between 0 and 1 "
                                              "(it raises ValueError)")
    for key in ("T_max", "step_size", "total_steps", "milestones", "periods"):
        values = kw.get(key)
        for v in (values if isinstance(values, (list, tuple)) else () if values is None else (values,)):
            if not is_whole(v):
                raise PlanError(f"{where}.{key}", f"{key} holds {v!r} (in steps, after any convert_to_iter_based): not a "
                                                  "whole number of steps, which mmengine's integer step count compares "
                                                  "with as given (a milestone 2.5 is never reached); give whole numbers")
    span = s.end - s.begin
    if s.family == "linear" and kw.get("start_factor", 1 / 3) == 0 and span > 1:
        raise PlanError(f"{where}.start_factor", f"start_factor=0: mmengine's chainable {name} divides by "
                                                 "start_factor·(end − begin − 1) at its second step (ZeroDivisionError), "
                                                 "so this config never trains; use a small positive start_factor (1e-3)")
    if s.family == "constant" and kw.get("factor", 1 / 3) == 0 and span > 1 and s.end != INF:
        raise PlanError(f"{where}.factor", f"factor=0: mmengine's chainable {name} divides by the factor at its last "
                                           "step (ZeroDivisionError), so this config never trains; use a small "
                                           "positive factor")
    if s.family == "step":
        size = kw["step_size"]
        if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0:
            raise PlanError(f"{where}.step_size", f"step_size={size!r}: needs a positive number of "
                                                  f"{'epochs' if s.epoch_clock else 'steps'} (mmengine divides by it)")
    if s.family == "onecycle":
        total = kw.get("total_steps")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total <= 0):
            raise PlanError(f"{where}.total_steps", f"total_steps={total!r}: mmengine's {name} expects a positive "
                                                    "integer (it raises ValueError); give one, or leave it out for "
                                                    "end − begin")
        pct = kw.get("pct_start", 0.3)
        if not isinstance(pct, float) or not 0 <= pct <= 1:
            raise PlanError(f"{where}.pct_start", f"pct_start={pct!r}: mmengine's {name} expects a float between 0 "
                                                  "and 1 (it raises ValueError; 0.3, not 0 or 1 written as an int)")
        strategy = kw.get("anneal_strategy", "cos")
        if strategy not in ("cos", "linear"):
            raise PlanError(f"{where}.anneal_strategy", f"anneal_strategy={strategy!r}: mmengine's {name} accepts "
                                                        "'cos' or 'linear' (it raises ValueError)")


def _stage(s: _Sched, base_value: float, incoming: float):
    """(closed form on the scheduler's own clock t = step − begin, multiplicative?) for a group.

    ``base_value`` is the group's initial value (mmengine's ``base_values``), ``incoming``
    the value the scheduler finds at ``begin``.
    """
    kw, span = s.kw, s.end - s.begin  # active for t in [0, span)
    last = span - 1
    if s.family == "linear":
        st, en = float(kw.get("start_factor", 1 / 3)), float(kw.get("end_factor", 1.0))
        return (LinearRamp(start_factor=st, end_factor=en, total_iters=last) if last else constant_factor(st)), True
    if s.family == "constant":
        f = float(kw.get("factor", 1 / 3))
        return (ConstantFactor(factor=f, total_iters=last) if last else constant_factor(f)), True
    if s.family == "multistep":
        counts = Counter(int(m) for m in kw["milestones"] if m <= last)
        gamma = float(kw.get("gamma", 0.1))
        marks = sorted(counts)
        if all(c == 1 for c in counts.values()):
            return MultiStep(milestones=tuple(marks), gamma=gamma), True
        values, total = [1.0], 0
        for m in marks:  # a repeated milestone decays by gamma^count there (mmengine keeps a Counter)
            total += counts[m]
            values.append(gamma ** total)
        return Piecewise(boundaries=tuple(marks), values=tuple(values), relative=True), True
    if s.family == "step":
        size, gamma = int(kw["step_size"]), float(kw.get("gamma", 0.1))
        if s.end != INF and last // size <= 10_000:  # the decays end with the window: list them
            return MultiStep(milestones=tuple(range(size, last + 1, size)), gamma=gamma), True
        return Step(step_size=size, gamma=gamma), True
    if s.family == "exp":
        return Exponential(gamma=float(kw["gamma"])), True
    if s.family == "cosine":
        t_max = int(kw.get("T_max") or span)
        eta = _eta_min(s, base_value)
        return CosineAnnealing(T_max=t_max, eta_min=eta), eta == 0.0
    if s.family == "poly":
        eta, power = float(kw.get("eta_min", 0.0)), float(kw.get("power", 1.0))
        if last == 0:
            return Constant(), True
        return Polynomial(total_iters=last, power=power, end_lr=eta), eta == 0.0
    if s.family == "restart":
        return _restart(s, base_value, incoming), False
    if s.family == "onecycle":
        return _one_cycle(s, base_value), False
    if s.family == "quadratic":
        # mmdet QuadraticWarmupParamScheduler: X_0 = X_base/T², X_t = X_{t-1} + (2t+1)/T²·X_base, T = end − begin,
        # i.e. X_base·((t+1)/T)² from the group's initial value (not the lr it finds): a product of two equal
        # linear ramps (t+1)/T, reaching X_base at t = T − 1
        ramp = LinearRamp(start_factor=1.0 / span, end_factor=1.0, total_iters=last)
        return Chained(schedules=(constant_value(base_value), ramp, ramp)), False
    raise AssertionError(s.family)


def _eta_min(s: _Sched, base_value: float) -> float:
    if s.kw.get("eta_min") is not None and s.kw.get("eta_min_ratio") is not None:
        raise PlanError(s.where, "give eta_min or eta_min_ratio, not both (mmengine asserts it)")
    if s.kw.get("eta_min_ratio") is not None:
        return float(base_value * s.kw["eta_min_ratio"])
    return float(s.kw.get("eta_min") or 0.0)


def _restart(s: _Sched, base_value: float, incoming: float):
    """CosineRestartLR: period i restarts at initial·w_i and anneals to eta_min over periods[i] steps."""
    periods = [int(p) for p in s.kw["periods"]]
    weights = [float(w) for w in s.kw.get("restart_weights", (1,))]
    if len(weights) != len(periods):
        raise PlanError(s.where, "periods and restart_weights need the same length (mmengine asserts it)")
    if s.kw.get("eta_min") is None and s.kw.get("eta_min_ratio") is None:
        raise PlanError(s.where, "give eta_min or eta_min_ratio (mmengine asserts one of them)")
    eta = _eta_min(s, base_value)
    stages, marks, edge = [], [], 0
    for p, w in zip(periods, weights):
        stages.append(Chained(schedules=(constant_value(base_value * w), CosineAnnealing(T_max=p, eta_min=eta))))
        edge += p
        marks.append(edge)
    # past the last period mmengine leaves the lr at its last value
    last_value = value_at(stages[-1], periods[-1] - 1, base_value)
    stages.append(constant_value(last_value))
    return Sequential(stages=tuple(stages), milestones=tuple(marks), clock="restart")


def _one_cycle(s: _Sched, base_value: float):
    kw = s.kw
    eta_max = kw.get("eta_max", 0)
    if isinstance(eta_max, (list, tuple)):
        raise PlanError(f"{s.where}.eta_max", "a per-group list: give one eta_max (or one config per group)")
    total = kw.get("total_steps") or (s.end - s.begin)
    pct = kw.get("pct_start", 0.3)  # a float in [0, 1]: _validate checked it
    return OneCycle(
        total_steps=int(total), max_lr=float(eta_max), pct_start=pct, anneal_strategy=kw.get("anneal_strategy", "cos"),
        div_factor=float(kw.get("div_factor", 25.0)), final_div_factor=float(kw.get("final_div_factor", 1e4)),
        three_phase=bool(kw.get("three_phase", False)),
    )


def _iter_range(s: _Sched, spe: int | None) -> tuple[int, float]:
    if s.epoch_clock:
        return s.begin * spe, (s.end * spe if s.end != INF else float("inf"))
    return s.begin, (s.end if s.end != INF else float("inf"))


def _chain(scheds: list[_Sched], base_value: float, spe: int | None, horizon: int | None):
    """The closed form of mmengine applying ``scheds`` (one parameter) to a group starting at ``base_value``."""
    ranges = [_iter_range(s, spe) for s in scheds]
    order = sorted(range(len(scheds)), key=lambda i: (ranges[i][0], i))
    built = []
    mult_flags = {}
    for i in order:
        s = scheds[i]
        lo, hi = ranges[i]
        chain_so_far = Chained(schedules=tuple(built)) if built else Constant()
        incoming = value_at(chain_so_far, lo, base_value)
        try:
            stage, mult = _stage(s, base_value, incoming)
        except PlanError as exc:  # an argument the schedule refuses: say which scheduler of the config it is
            if exc.path.startswith("param_scheduler"):
                raise
            raise PlanError(f"{s.where}.{exc.path}" if exc.path else s.where, f"{s.type_name}: {exc.message}") from None
        mult_flags[i] = mult
        span = s.end - s.begin
        clock_horizon = None if horizon is None else (horizon if not s.epoch_clock else -(-horizon // spe))
        if s.family == "cosine" and span > stage.T_max + 1 and (clock_horizon is None or s.begin + stage.T_max + 1 < clock_horizon):
            if incoming != base_value:
                raise PlanError(s.where, "CosineAnnealingLR runs past T_max after another scheduler changed the lr: "
                                         "mmengine then restarts from the initial lr, which has no closed form here; "
                                         "set end = begin + T_max")
        if s.family == "onecycle" and span - 1 > stage.total_steps and (clock_horizon is None or s.begin + stage.total_steps < clock_horizon):
            raise PlanError(s.where, f"OneCycleLR is active past total_steps={stage.total_steps} (mmengine raises there)")
        hold = None
        # mmengine keeps the last value from `end` on; these closed forms already hold from end − begin − 1
        clamps = s.family in ("linear", "constant", "multistep", "poly", "quadratic") or stage.kind == "multistep"
        if s.end != INF and not clamps:
            if mult:
                hold = constant_factor(value_at(stage, span - 1, 1.0))
            else:
                hold = constant_value(value_at(stage, span - 1, incoming))
        node = window(stage, s.begin, s.end, hold)
        built.append(ByEpoch(schedule=node, steps_per_epoch=spe, cadence="epoch") if s.epoch_clock else node)
    _check_overlaps(scheds, ranges, mult_flags, spe)
    if not built:
        return Constant()
    return built[0] if len(built) == 1 else Chained(schedules=tuple(built))


def _check_overlaps(scheds, ranges, mult_flags, spe):
    for i, s in enumerate(scheds):
        if mult_flags[i] and s.family != "onecycle":
            continue
        for j, other in enumerate(scheds):
            if j == i:
                continue
            lo = max(ranges[i][0], ranges[j][0])
            hi = min(ranges[i][1], ranges[j][1])
            if lo < hi:
                raise PlanError(
                    s.where,
                    f"{s.type_name} (steps {ranges[i][0]}..{ranges[i][1]}) overlaps {other.type_name} "
                    f"({other.where}): mmengine applies both to the same lr in turn and {s.type_name} with these "
                    "arguments is not a plain multiplier, so the result has no closed form; make their "
                    "[begin, end) ranges disjoint",
                )


def _loop(data: dict) -> dict:
    cfg = data.get("train_cfg") or {}
    if not isinstance(cfg, dict):
        raise PlanError("train_cfg", "must be a dict")
    t = short(target_name(cfg.get("type")) or "")
    by_epoch = cfg.get("by_epoch")
    if by_epoch is None:
        by_epoch = t != "IterBasedTrainLoop" and "max_iters" not in cfg
    return {"by_epoch": bool(by_epoch), "max_epochs": cfg.get("max_epochs"), "max_iters": cfg.get("max_iters")}


def _horizon(loop: dict, steps, spe) -> int | None:
    if steps is not None:
        return int(steps)
    if loop["by_epoch"] and loop["max_epochs"] and spe:
        return int(loop["max_epochs"]) * int(spe)
    if not loop["by_epoch"] and loop["max_iters"]:
        return int(loop["max_iters"])
    return None


def _escape_keys(keys) -> str:
    return "|".join(re.escape(k) for k in keys)


def _groups(wrapper: dict, lr: float, wd, notes: list) -> list[tuple[ParamGroup, float]]:
    """(group, its initial lr) from paramwise_cfg, in mmengine's order of precedence."""
    pcfg = wrapper.get("paramwise_cfg") or {}
    if pcfg.get("dcn_offset_lr_mult") is not None:
        raise PlanError("optim_wrapper.paramwise_cfg.dcn_offset_lr_mult", "scales the lr of deformable-conv offsets, "
                                                                          "found by layer type, which a config does not carry; "
                                                                          "split the groups with custom_keys instead")
    for key, what in (("dwconv_decay_mult", "depth-wise convolutions"), ("flat_decay_mult", "1-d parameters")):
        if pcfg.get(key) is not None and wd:
            notes.append(f"{key}={pcfg[key]} is not split into a group: mmengine finds {what} from the model, "
                         "which a config does not carry (weight decay only; the lr is unaffected)")
    unknown = [k for k in pcfg if k not in ("custom_keys", "bias_lr_mult", "bias_decay_mult", "norm_decay_mult",
                                             "bypass_duplicate", "dwconv_decay_mult", "flat_decay_mult", "dcn_offset_lr_mult")]
    if unknown:  # mmengine's DefaultOptimWrapperConstructor ignores them too
        notes.append(f"paramwise_cfg keys {unknown} are not mmengine's: ignored, as mmengine ignores them")
    custom = pcfg.get("custom_keys") or {}
    keys = sorted(sorted(custom), key=len, reverse=True)  # mmengine's precedence: longest key first
    out: list[tuple[ParamGroup, float]] = []
    for i, key in enumerate(keys):
        opts = custom[key] or {}
        for k in opts:
            if k not in ("lr_mult", "decay_mult"):
                raise PlanError(f"optim_wrapper.paramwise_cfg.custom_keys.{key}.{k}", "mmengine copies it into the param "
                                                                                  "group for a hook or optimizer to read "
                                                                                  "(code); lrbridge ports lr_mult and decay_mult")
        higher = keys[:i]
        guard = f"(?!.*(?:{_escape_keys(higher)}))" if higher else ""
        g_lr = lr * float(opts.get("lr_mult", 1.0))
        g_wd = None if wd is None else float(wd) * float(opts.get("decay_mult", 1.0))
        out.append((ParamGroup(name=f"custom:{key}", params=(f"re:{guard}.*{re.escape(key)}.*",), lr=g_lr, weight_decay=g_wd,
                                   optional=True), g_lr))  # mmengine applies a key only where it matches
    not_custom = f"(?!.*(?:{_escape_keys(keys)}))" if keys else ""
    norm_mult, bias_lr, bias_decay = pcfg.get("norm_decay_mult"), pcfg.get("bias_lr_mult"), pcfg.get("bias_decay_mult")
    if norm_mult is not None and wd:
        notes.append(f"norm_decay_mult={norm_mult} is not split into a group: mmengine finds norm layers by type, "
                     "which a config does not carry (lr unaffected)")
    if bias_lr is not None or (bias_decay is not None and wd):
        if bias_lr is not None:
            notes.append("bias_lr_mult: group 'bias' holds every parameter named 'bias' outside custom_keys; mmengine "
                         "leaves norm-layer biases out (layer types are not in the config): move them if the model has any")
        g_lr = lr * float(bias_lr) if bias_lr is not None else lr
        g_wd = float(wd) * float(bias_decay) if bias_decay is not None and wd else None
        out.append((ParamGroup(name="bias", params=(rf"re:{not_custom}(?:bias|.*\.bias)",), lr=g_lr, weight_decay=g_wd, optional=True), g_lr))
    out.append((ParamGroup(name="default", rest=True), lr))
    return out


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of an mmengine config (its merged data): optimizer, groups, schedule, horizon."""
    if not isinstance(data, dict):
        raise PlanError("", "an mmengine config is a mapping")
    notes = [f"mmengine config{' ' + source if source else ''}"]
    wrapper = data.get("optim_wrapper")
    if wrapper is None:
        if "lr_config" in data or "optimizer" in data:
            raise PlanError("optim_wrapper", "this is an mmcv 1.x (OpenMMLab 1.x) config, 'optimizer' + 'lr_config': "
                                             "lrbridge reads mmengine (OpenMMLab 2.x) configs; rewrite it as optim_wrapper "
                                             "+ param_scheduler (mmengine's migration guide maps each lr_config policy) "
                                             "or use the project's 2.x config")
        raise PlanError("optim_wrapper", "no optim_wrapper: lrbridge reads mmengine (OpenMMLab 2.x) configs")
    if not isinstance(wrapper, dict) or not isinstance(wrapper.get("optimizer"), dict):
        raise PlanError("optim_wrapper.optimizer", "needs a dict with the optimizer's type and lr")
    if int(wrapper.get("accumulative_counts", 1)) != 1:
        raise PlanError("optim_wrapper.accumulative_counts", "the optimizer then steps every N iterations while the "
                                                             "schedulers step every iteration; not ported")
    constructor = short(target_name(wrapper.get("constructor", "DefaultOptimWrapperConstructor")) or repr(wrapper["constructor"]))
    if constructor != "DefaultOptimWrapperConstructor":  # naming the default one (mmagic's configs do) changes nothing
        raise PlanError("optim_wrapper.constructor", f"{constructor} builds the param groups in code, which a config does "
                                                     "not carry; lrbridge ports DefaultOptimWrapperConstructor's "
                                                     "paramwise_cfg: use it, or record the run with lrbridge.trace")
    ocfg = dict(wrapper["optimizer"])
    type_name = target_name(ocfg.pop("type", None)) or ""
    spec = optimizer_spec(type_name, ocfg, "optim_wrapper.optimizer", notes=notes)
    groups = _groups(wrapper, spec.lr, ocfg.get("weight_decay"), notes)
    loop = _loop(data)
    if steps_per_epoch is not None and (not is_whole(steps_per_epoch) or steps_per_epoch <= 0):
        raise PlanError("--steps-per-epoch", f"needs a positive whole number of iterations per epoch "
                                             f"(len(train_dataloader)), got {steps_per_epoch!r}; mmengine asserts "
                                             "epoch_length > 0")
    spe = int(steps_per_epoch) if steps_per_epoch else None
    cfgs = data.get("param_scheduler") or []
    cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs)
    scheds = [_scheduler(c, i, loop, spe) for i, c in enumerate(cfgs)]
    if any(s.epoch_clock for s in scheds) and not spe:
        raise PlanError("--steps-per-epoch", "epoch-based schedulers need the iterations per epoch (len(train_dataloader))")
    horizon = _horizon(loop, steps, spe)
    for param in ("lr", "momentum", "weight_decay"):  # schedulers of another parameter never read it
        same = [s for s in scheds if s.param == param]
        if len(same) > 1 and any(s.family == "onecycle" for s in same):
            raise PlanError("param_scheduler", f"OneCycle rewrites the groups' initial {param} that the other {param} "
                                               "schedulers start from; use it alone on that parameter")
    lr_scheds = [s for s in scheds if s.param == "lr"]
    mom_scheds = [s for s in scheds if s.param == "momentum"]
    schedules = [_chain(lr_scheds, base, spe, horizon) for _, base in groups]
    hparams = [{} for _ in groups]
    if mom_scheds:
        key = spec.cycled_hparam
        generic = [s for s in mom_scheds if s.type_name.endswith("ParamScheduler")]
        if key == "beta1" and generic:  # only the *Momentum classes map momentum to betas[0]
            raise PlanError(f"{generic[0].where}.param_name", f"{generic[0].type_name}(param_name='momentum') on "
                                                              f"{spec.name}, whose param groups have betas and no "
                                                              "'momentum' (mmengine raises KeyError: 'momentum'); use "
                                                              f"{generic[0].type_name[:-len('ParamScheduler')]}Momentum, "
                                                              "which schedules betas[0]")
        m0 = spec.resolved().get("betas", [0.9])[0] if key == "beta1" else spec.resolved().get("momentum", 0.0)
        if key == "momentum" and "momentum" not in spec.resolved():
            raise PlanError(mom_scheds[0].where, f"{spec.name} has no momentum to schedule")
        hparams = [{key: _chain(mom_scheds, float(m0), spe, horizon)} for _ in groups]
        notes.append(f"momentum schedulers -> hparam_schedulers.{key}")
    wd_scheds = [s for s in scheds if s.param == "weight_decay"]
    if wd_scheds:  # mmengine starts each group from its own weight_decay (initial_weight_decay)
        w0 = float(spec.resolved().get("weight_decay", 0.0))
        bases = [g.weight_decay if g.weight_decay is not None else w0 for g, _ in groups]
        hparams = [{**h, "weight_decay": _chain(wd_scheds, b, spe, horizon)} for h, b in zip(hparams, bases)]
        notes.append("weight_decay schedulers (param_name='weight_decay') -> hparam_schedulers.weight_decay")
    plan = build_plan(spec, [g for g, _ in groups], schedules, hparams, steps=horizon, past="continue")
    if horizon is None:
        notes.append("no horizon: give train_cfg max_epochs/max_iters (or --steps)")
    return result(plan, notes)


def load(path, *, steps=None, steps_per_epoch=None):
    """Read an mmengine ``.py`` config (parsed, never run) into an ``ImportResult``."""
    from .pyconfig import load_pyconfig

    return to_plan(load_pyconfig(path), steps=steps, steps_per_epoch=steps_per_epoch, source=str(path))
