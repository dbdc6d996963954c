"""detectron2 configs: yacs ``SOLVER`` (YAML) and LazyConfig ``lr_multiplier``/``optimizer`` (``.py``, never run).

Semantics as detectron2 applies them (detectron2/solver/build.py ``build_lr_scheduler`` and
``get_default_optimizer_params``, detectron2/solver/lr_scheduler.py ``WarmupParamScheduler``
and ``LRMultiplier``, fvcore.common.param_scheduler):

* every group's lr is its own base lr times one multiplier m(k / max_iter), stepped after
  every iteration: lr(k) = b·m(k / M);
* fvcore's schedulers work on the fraction ``where = k / M`` and several of them round
  with ``WHERE_EPSILON = 1e-6`` (MultiStep/Step: ``int((where + 1e-6)·N)``; the warmup
  ends at the first k with ``k/M + 1e-6 > warmup_length``). The boundaries are computed
  here with the same float arithmetic, so they land on the steps fvcore switches at;
* ``WarmupParamScheduler`` ramps from ``warmup_factor·s(0)`` to ``s(warmup_length)`` (to
  ``s(0)`` with ``rescale_interval``, the main schedule then restarting after the warmup);
* ``CompositeParamScheduler`` (any nesting): stage i from the first k with ``where + 1e-6 >
  running_total[i − 1]``, seeing ``where`` (fixed) or ``(where − start_i)/length_i`` (rescaled) in
  fvcore's float arithmetic; a sequential plan (global clock, rescaled stages shifted to their switch
  step). Continuous schedules on a rescaled interval need where = 0 on a whole step and a whole span;
  Linear and the step schedules port at any max_iter;
* yacs ``SOLVER``: WarmupMultiStepLR (STEPS > MAX_ITER dropped, as detectron2 does),
  WarmupCosineLR (ends at BASE_LR_END), WarmupStepWithFixedGammaLR (NUM_DECAYS), and the
  DeepLab project's WarmupPolyLR (a torch LRScheduler: base·warmup(k)·(1 − k/M)^POLY_LR_POWER,
  POLY_LR_CONSTANT_ENDING; MaskFormer/Mask2Former configs use it too); groups:
  BIAS_LR_FACTOR / WEIGHT_DECAY_BIAS for parameters named ``bias``, WEIGHT_DECAY_NORM for
  norm layers (recognised by name: a note says so);
* LazyConfig ``optimizer.params.lr_factor_func = partial(get_vit_lr_decay_rate, ...)``
  (ViTDet layer-wise decay) becomes one group per ViT block.

Past ``max_iter`` fvcore raises for step schedules: those plans end there (past: error).
"""

from __future__ import annotations

import bisect
import itertools
import math
import re

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import (
    Chained,
    Constant,
    CosineAnnealing,
    Exponential,
    LinearRamp,
    Piecewise,
    Polynomial,
    Sequential,
    Warmup,
)
from ._common import build_plan, constant_factor, optimizer_spec, result, short
from .pyconfig import Unresolved, target_name

NAME = "detectron2"
ALIASES = ("d2", "lazyconfig", "vitdet")

EPS = 1e-6  # fvcore ParamScheduler.WHERE_EPSILON

SOLVER_DEFAULTS = {  # detectron2/config/defaults.py
    "LR_SCHEDULER_NAME": "WarmupMultiStepLR", "MAX_ITER": 40000, "BASE_LR": 0.001, "BASE_LR_END": 0.0,
    "MOMENTUM": 0.9, "NESTEROV": False, "WEIGHT_DECAY": 0.0001, "WEIGHT_DECAY_NORM": 0.0, "GAMMA": 0.1,
    "STEPS": (30000,), "NUM_DECAYS": 3, "WARMUP_FACTOR": 1.0 / 1000, "WARMUP_ITERS": 1000,
    "WARMUP_METHOD": "linear", "RESCALE_INTERVAL": False, "BIAS_LR_FACTOR": 1.0, "WEIGHT_DECAY_BIAS": None,
    # projects/DeepLab/deeplab/config.py add_deeplab_config (also MaskFormer/Mask2Former): WarmupPolyLR's
    "POLY_LR_POWER": 0.9, "POLY_LR_CONSTANT_ENDING": 0.0,
}


def detect(data) -> bool:
    return isinstance(data, dict) and (
        isinstance(data.get("SOLVER"), dict) or "lr_multiplier" in data
        or (isinstance(data.get("_BASE_"), str) and data["_BASE_"].endswith((".yaml", ".yml"))))


MAX_BASES = 16


def _yacs_merge(child: dict, base: dict) -> dict:
    """yacs ``merge_a_into_b``: nested sections merge key by key, the child's values win."""
    out = dict(base)
    for key, value in child.items():
        out[key] = _yacs_merge(value, out[key]) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def resolve_bases(data: dict, source: str, seen=()) -> dict:
    """A yacs config with its ``_BASE_`` chain merged in (detectron2 ``CfgNode.load_yaml_with_base``).

    The base path is relative to the file naming it; files are read as safe YAML, never run.
    """
    import os
    from pathlib import Path

    from ..io import parse_document, read_text

    base = data.get("_BASE_")
    if base is None:
        return data
    if not source:
        raise PlanError("_BASE_", f"the config inherits {base!r}: read it from its file (the path resolves the base)")
    path = Path(os.path.expanduser(base))
    if not path.is_absolute():
        path = Path(source).parent / path
    if len(seen) >= MAX_BASES or path.resolve() in seen:
        raise PlanError("_BASE_", f"{'a cycle' if path.resolve() in seen else 'more than ' + str(MAX_BASES) + ' levels'} "
                                  f"of _BASE_ at {path}")
    parent = parse_document(read_text(path, "detectron2", "_BASE_ config"), "yaml", str(path))
    if not isinstance(parent, dict):
        raise PlanError("_BASE_", f"{path} is not a mapping")
    parent = resolve_bases(parent, str(path), (*seen, path.resolve()))
    return _yacs_merge({k: v for k, v in data.items() if k != "_BASE_"}, parent)


def _yacs_value(value):
    """yacs ``_decode_cfg_value``: a string that is a Python literal (``"(60000, 80000)"``) is that literal."""
    import ast

    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return value
    return value


def _first_step(pred, lo: int, hi: int) -> int:
    """The smallest integer k in [lo, hi] with pred(k) true (pred monotone); hi + 1 if none."""
    while lo <= hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid - 1
        else:
            lo = mid + 1
    return lo


def _index_switches(count: int, m: int, index, start: int = 0) -> list[int]:
    """Steps k ≥ start at which ``index(k)`` first reaches 1, 2, ..., count (fvcore's float arithmetic)."""
    return [_first_step(lambda k, i=i: index(k) >= i, start, 4 * m + 8) for i in range(1, count + 1)]


def _piecewise(values, switches, where: str):
    """values[i] from switches[i − 1] on; where several switches fall on one step (or on step 0), fvcore
    jumps past the values between them, which then never apply: they are left out."""
    bounds, vals = [], [float(values[0])]
    for at, value in zip(switches, values[1:]):
        if at <= (bounds[-1] if bounds else 0):
            vals[-1] = float(value)
        else:
            bounds.append(at)
            vals.append(float(value))
    return Piecewise(boundaries=tuple(bounds), values=tuple(vals), relative=True)


_MISSING = object()


def _num(node: dict, key: str, where: str, default=_MISSING) -> float:
    """A number argument of an fvcore scheduler call, or one line naming it."""
    value = node.get(key, default)
    name = short(target_name(node.get("_target_")) or "") or "the scheduler"
    if value is _MISSING:
        raise PlanError(f"{where}.{key}", f"{name} needs {key} (fvcore raises TypeError)")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PlanError(f"{where}.{key}", f"{name}'s {key} must be a number, got {value!r}")
    return float(value)


def _numbers(node: dict, key: str, where: str) -> list:
    """A non-empty list of numbers (fvcore's ``values``), or one line naming it."""
    value = node.get(key)
    if not isinstance(value, (list, tuple)) or not value or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise PlanError(f"{where}.{key}", f"must be a non-empty list of numbers (fvcore raises ValueError), got {value!r}")
    return list(value)


def _span(clock, m: int, where: str, name: str) -> int:
    """The whole number of steps over which a continuous scheduler's ``where`` runs 0 → 1, its IR on k − off.

    The IR evaluates (k − off)/span: exact when fvcore's where is 0 at step ``off`` and span is whole.
    """
    frac, off, span = clock
    if abs(frac(off)) > 1e-9 or abs(span - round(span)) > 1e-9 * max(1.0, span) or round(span) < 1:
        raise PlanError(where, f"{name} runs over {span!r} steps from where = {frac(off)!r} at step {off} "
                               f"(max_iter={m}): a continuous fvcore schedule ports only entered at where = 0 on a "
                               "whole step and over a whole number of steps; choose max_iter so that lengths × "
                               "max_iter (and warmup_length × max_iter) are whole")
    return int(round(span))


def _fvcore(node: dict, m: int, clock, where: str, base: float):
    """(IR, defined past max_iter?) of an fvcore ParamScheduler run at ``where = frac(k)``.

    ``clock`` is (frac, off, span): fvcore's own float computation of the fraction it
    sees at step k, the step ``off`` where it is 0 (the IR runs on k − off) and the number
    of steps over which it runs to 1 (a float; continuous schedules need it whole).
    """
    if not isinstance(node, dict):
        raise PlanError(where, f"expected an fvcore scheduler call, got {node!r}")
    name = short(target_name(node.get("_target_")) or "")
    frac, off, span = clock

    if name == "MultiStepParamScheduler":
        values, n, marks = _multistep_values(node, where)
        switches = [_first_step(lambda k, x=x: int((frac(k) + EPS) * n) >= x, off, 4 * m + 8) - off for x in marks]
        return _piecewise(values, switches, where), False  # fvcore raises past where = 1
    if name in ("StepParamScheduler", "StepWithFixedGammaParamScheduler"):
        values = _step_values(name, node, where)
        count = len(values)
        switches = _index_switches(count - 1, m, lambda k: int((frac(k) + EPS) * count), off)
        return _piecewise(values, [s - off for s in switches], where), False  # index past the list
    if name == "CompositeParamScheduler":
        return _composite(node, m, clock, where, base)
    if name == "CosineParamScheduler":
        s, e = _num(node, "start_value", where), _num(node, "end_value", where)
        cos = CosineAnnealing(T_max=_span(clock, m, where, name), eta_min=base * e)  # b·e + (b·s − b·e)·(1 + cos(π·where))/2
        return (cos if s == 1.0 else Chained(schedules=(constant_factor(s), cos))), True
    if name == "LinearParamScheduler":
        s, e = _num(node, "start_value", where), _num(node, "end_value", where)
        if abs(frac(off)) <= 1e-9 and abs(span - round(span)) <= 1e-9 * max(1.0, span) and round(span) >= 1:
            return LinearRamp(start_factor=s, end_factor=e, total_iters=int(round(span))), False
        # a rescaled interval of a fractional number of steps, or entered past where = 0: the same line
        # through fvcore's values at the stage's first step and at its last step with where ≤ 1
        cut = _first_step(lambda j: frac(off + j) > 1.0, 1, 4 * m + 8) - 1
        first, last = (e * frac(off + j) + s * (1 - frac(off + j)) for j in (0, max(cut, 0)))
        if min(first, last) < 0:
            raise PlanError(where, f"{name} gives a negative value ({min(first, last)!r}) where this max_iter "
                                   f"({m}) enters it at where = {frac(off)!r}")
        if cut < 1:
            return constant_factor(first), False
        return LinearRamp(start_factor=first, end_factor=last, total_iters=cut), False
    if name == "ConstantParamScheduler":
        return constant_factor(_num(node, "value", where)), False  # fvcore raises at where ≥ 1
    if name == "ExponentialParamScheduler":
        start, decay = _num(node, "start_value", where), _num(node, "decay", where)
        return Chained(schedules=(constant_factor(start),
                                  Exponential(gamma=decay, decay_steps=_span(clock, m, where, name)))), True
    if name == "PolynomialDecayParamScheduler":
        b0, power = _num(node, "base_value", where), _num(node, "power", where)
        return Chained(schedules=(constant_factor(b0),
                                  Polynomial(total_iters=_span(clock, m, where, name), power=power))), False
    raise PlanError(where, f"fvcore scheduler {name or node.get('_target_')!r} is not ported; ported: MultiStep, Step, "
                           "StepWithFixedGamma, Cosine, Linear, Constant, Exponential, PolynomialDecay, Composite "
                           "(and WarmupParamScheduler)")


def _composite_parts(node: dict, where: str):
    """fvcore CompositeParamScheduler's (schedulers, lengths, interval_scaling, running totals), checked as its
    constructor does (the last length stretched so that they sum to 1) and its ``__call__`` needs."""
    scheds, lengths, scaling = node.get("schedulers"), node.get("lengths"), node.get("interval_scaling")
    if not isinstance(scheds, (list, tuple)) or not scheds:
        raise PlanError(f"{where}.schedulers", "CompositeParamScheduler needs a non-empty list of schedulers")
    if not isinstance(lengths, (list, tuple)) or len(lengths) != len(scheds):
        raise PlanError(f"{where}.lengths", f"needs one length per scheduler ({len(scheds)}), got {lengths!r} "
                                            "(fvcore raises ValueError)")
    lengths = [_num({"lengths": x}, "lengths", where) for x in lengths]
    if abs(sum(lengths) - 1.0) >= 1e-3:
        raise PlanError(f"{where}.lengths", f"the sum of lengths must be 1, got {sum(lengths)!r} (fvcore raises ValueError)")
    if sum(lengths) != 1.0:
        lengths[-1] = 1.0 - sum(lengths[:-1])  # as fvcore does
    if any(x <= 0 for x in lengths):
        raise PlanError(f"{where}.lengths", f"every length must be positive, got {lengths!r} (fvcore divides by it)")
    if not isinstance(scaling, (list, tuple)) or any(x not in ("rescaled", "fixed") for x in scaling):
        raise PlanError(f"{where}.interval_scaling", f"each entry is 'rescaled' or 'fixed', got {scaling!r} "
                                                     "(fvcore raises ValueError)")
    if len(scaling) != len(scheds):
        raise PlanError(f"{where}.interval_scaling", f"needs one entry per scheduler ({len(scheds)}), got {len(scaling)} "
                                                     "(fvcore fails at the first stage without one)")
    return list(scheds), lengths, list(scaling), list(itertools.accumulate(lengths))  # fvcore's running totals


def _composite(node: dict, m: int, clock, where: str, base: float):
    """fvcore CompositeParamScheduler at ``where = frac(k)``: stage i from the first step with
    ``where + 1e-6 > running_total[i − 1]``; a 'fixed' stage sees the composite's where, a 'rescaled' one
    ``(where − start_i) / length_i`` (start_i = running_total_i − length_i), as fvcore computes them.

    A sequential plan with a global clock; a rescaled stage's IR is shifted to start at its switch step.
    """
    frac, off, span = clock
    scheds, lengths, scaling, totals = _composite_parts(node, where)
    n = len(scheds)
    switches = [_first_step(lambda k, t=t: frac(k) + EPS > t, off, 4 * m + 8) - off for t in totals[:-1]]
    starts = [0, *switches]
    ends = [*switches, None]
    stages, marks, cont = [], [], False
    for i in range(n):
        if ends[i] is not None and ends[i] <= starts[i]:
            continue  # never active at this max_iter (fvcore's epsilon skips it)
        sub = f"{where}.schedulers[{i}]"
        if scaling[i] == "fixed":
            ir, cont = _fvcore(scheds[i], m, clock, sub, base)
        else:
            begin = totals[i] - lengths[i]
            shift = starts[i]
            ir, cont = _fvcore(scheds[i], m, (lambda k, b=begin, L=lengths[i]: (frac(k) - b) / L, off + shift,
                                              span * lengths[i]), sub, base)
            if shift:  # the stage's IR runs on k − shift inside the global clock
                ir = Sequential(stages=(Constant(), ir), milestones=(shift,), clock="restart")
        if stages:
            marks.append(starts[i])
        stages.append(ir)
    if len(stages) == 1:
        return stages[0], cont
    return Sequential(stages=tuple(stages), milestones=tuple(marks), clock="global"), cont


def _multistep_values(node: dict, where: str = "lr_multiplier"):
    """fvcore MultiStepParamScheduler's (values, num_updates, milestones), its defaults filled in and its
    arguments checked as its constructor does."""
    values = _numbers(node, "values", where)
    n, marks = node.get("num_updates"), node.get("milestones")
    if n is None and marks is None:
        raise PlanError(where, "MultiStepParamScheduler needs num_updates or milestones")
    if n is not None:
        n = _num(node, "num_updates", where)
    if marks is None:
        width = math.ceil(n / float(len(values)))
        marks = [width * (i + 1) for i in range(len(values) - 1)]
    else:
        want = len(values) - int(n is not None)
        if not isinstance(marks, (list, tuple)) or len(marks) != want or any(
                isinstance(x, bool) or not isinstance(x, (int, float)) for x in marks):
            raise PlanError(f"{where}.milestones", f"MultiStepParamScheduler with {len(values)} values"
                                                   f"{' and num_updates' if n is not None else ''} needs a list of "
                                                   f"{want} milestones, got {marks!r} (fvcore raises ValueError)")
    if n is None:
        n, marks = marks[-1], marks[:-1]
    if n < len(values):
        raise PlanError(f"{where}.num_updates", f"must be at least the number of values ({len(values)}), got {n!r} "
                                                "(fvcore raises ValueError)")
    previous = 0
    for x in marks:
        if x >= n:
            raise PlanError(f"{where}.milestones", f"milestones must be below num_updates={n!r}, got {x!r} (fvcore raises)")
        if x <= previous:
            raise PlanError(f"{where}.milestones", f"must be positive and strictly increasing, got {list(marks)!r} "
                                                   "(fvcore raises ValueError)")
        previous = x
    return values, n, list(marks)


def _step_values(name: str, node: dict, where: str = "lr_multiplier") -> list:
    """The value list of fvcore's StepParamScheduler, or the one StepWithFixedGammaParamScheduler builds
    (arguments checked as their constructors do)."""
    if name == "StepParamScheduler":
        if _num(node, "num_updates", where) <= 0:
            raise PlanError(f"{where}.num_updates", f"must be positive, got {node['num_updates']!r} (fvcore raises ValueError)")
        return _numbers(node, "values", where)
    for key in ("base_value", "gamma"):
        if _num(node, key, where) <= 0:
            raise PlanError(f"{where}.{key}", f"must be positive, got {node[key]!r} (fvcore raises ValueError)")
    for key in ("num_decays", "num_updates"):
        value = node.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise PlanError(f"{where}.{key}", f"must be a positive whole number, got {value!r} (fvcore raises ValueError)")
    values = [float(node["base_value"])]
    for _ in range(int(node["num_decays"])):
        values.append(values[-1] * float(node["gamma"]))
    return values


def _fvcore_at(node: dict, where: float) -> float:
    """fvcore's value of ``node`` at ``where`` (fvcore/common/param_scheduler.py ``__call__``), for the warmup's end."""
    name = short(target_name(node.get("_target_")) or "")
    if name == "MultiStepParamScheduler":
        values, n, marks = _multistep_values(node)
        return float(values[bisect.bisect_right(marks, int((where + EPS) * n))])
    if name in ("StepParamScheduler", "StepWithFixedGammaParamScheduler"):
        values = _step_values(name, node)
        return float(values[int((where + EPS) * len(values))])
    if name == "CompositeParamScheduler":
        scheds, lengths, scaling, totals = _composite_parts(node, "lr_multiplier.scheduler")
        i = 0
        while where + EPS > totals[i] and i < len(scheds) - 1:
            i += 1
        return _fvcore_at(scheds[i], where if scaling[i] == "fixed" else (where - (totals[i] - lengths[i])) / lengths[i])
    if name == "CosineParamScheduler":
        s, e = float(node["start_value"]), float(node["end_value"])
        return e + 0.5 * (s - e) * (1 + math.cos(math.pi * where))
    if name == "LinearParamScheduler":
        return float(node["end_value"]) * where + float(node["start_value"]) * (1 - where)
    if name == "ConstantParamScheduler":
        return float(node["value"])
    if name == "ExponentialParamScheduler":
        return float(node["start_value"]) * float(node["decay"]) ** where
    if name == "PolynomialDecayParamScheduler":
        return float(node["base_value"]) * (1 - where) ** float(node["power"])
    raise PlanError("lr_multiplier", f"fvcore scheduler {name!r} is not ported")


def _warmup_poly(node: dict, m: int, where: str):
    """DeepLab's WarmupPolyLR (projects/DeepLab/deeplab/lr_scheduler.py), a torch LRScheduler stepped every
    iteration: lr(k) = base·w(k)·(1 − k/M)^power, w the warmup factor of detectron2's
    ``_get_warmup_factor_at_iter`` (1 from k ≥ W on; f·(1 − k/W) + k/W linear, f constant), and from the first
    k ≥ W where (1 − k/M)^power < constant_ending on, base·constant_ending. Past M, (1 − k/M) < 0: undefined."""
    factor, w = float(node["warmup_factor"]), int(node["warmup_iters"])
    method, power, ending = node["warmup_method"], float(node["power"]), float(node["constant_ending"])
    if method not in ("linear", "constant"):
        raise PlanError(f"{where}.WARMUP_METHOD", f"unknown warmup method {method!r} (detectron2 raises)")
    poly = Polynomial(total_iters=m, power=power)
    if w <= 0:
        main = poly
    elif method == "linear":
        main = Chained(schedules=(LinearRamp(start_factor=factor, end_factor=1.0, total_iters=w), poly))
    else:
        main = Chained(schedules=(Sequential(stages=(constant_factor(factor), Constant()), milestones=(w,)), poly))
    if ending > 0:
        # the ending applies where the warmup factor is exactly 1.0: from W on, or at every step of a warmup of
        # factor 1 ((1 − k/W) + k/W rounds to exactly 1.0 for 0 ≤ k/W ≤ 1)
        k_end = _first_step(lambda k: math.pow(1.0 - k / m, power) < ending, 0 if factor == 1.0 else max(w, 0), m)
        if k_end <= m:
            main = Sequential(stages=(main, constant_factor(ending)), milestones=(k_end,), clock="global")
    return main, False


def _multiplier(node: dict, m: int, base: float, where: str):
    """(schedule, defined past max_iter?) of an lr_multiplier (WarmupParamScheduler or a bare fvcore scheduler)."""
    if node.get("_target_") == "WarmupPolyLR":
        return _warmup_poly(node, m, where)
    if short(target_name(node.get("_target_")) or "") != "WarmupParamScheduler":
        return _fvcore(node, m, (lambda k: k / m, 0, float(m)), where, base)
    factor = float(node.get("warmup_factor"))
    length = float(node.get("warmup_length"))
    method = node.get("warmup_method", "linear")
    rescale = bool(node.get("rescale_interval", False))
    if method not in ("linear", "constant"):
        raise PlanError(f"{where}.warmup_method", f"unknown warmup method {method!r} (detectron2 raises)")
    # CompositeParamScheduler: the warmup runs while k/M + 1e-6 ≤ warmup_length
    k0 = _first_step(lambda k: k / m + EPS > length, 0, m + 1)
    inner = node["scheduler"]
    whole = k0 == 0 or abs(length * m - k0) <= 1e-9 * k0
    if rescale:  # CompositeParamScheduler's rescaled interval, in its own float arithmetic; the main schedule's
        # IR runs from k0 on (continuous schedules check that their where is 0 there: a whole warmup)
        rest = 1 - length
        start = (length + rest) - rest
        if k0 >= m:  # the warmup fills max_iter (warmup_length 1: WARMUP_ITERS ≥ MAX_ITER); fvcore divides by 0 past it
            _fvcore_at(inner, 0.0)  # (its arguments checked all the same)
            main, cont = constant_factor(1.0), False
        elif rest <= 0:
            raise PlanError(f"{where}.warmup_length", f"rescale_interval with warmup_length {length!r}: fvcore's main "
                                                      f"schedule gets an interval of length {rest!r} and divides by it "
                                                      f"from step {k0} of max_iter={m} on")
        else:
            main, cont = _fvcore(inner, m, (lambda k: (k / m - start) / rest, k0, rest * m), f"{where}.scheduler", base)
    else:
        main, cont = _fvcore(inner, m, (lambda k: k / m, 0, float(m)), f"{where}.scheduler", base)
    if not k0:
        return main, cont
    s0 = _fvcore_at(inner, 0.0)
    if whole and s0 == 1.0:
        return Warmup(schedule=main, warmup_steps=k0, warmup_factor=factor, method=method, prefix=rescale), cont
    # Otherwise the ramp as fvcore draws it: from factor·s(0) to s(0) (rescaled) or to s(warmup_length),
    # over warmup_length·max_iter steps, cut where fvcore switches (k0). That span need not be whole:
    # ViTDet-H 75ep keeps the 100ep warmup_length, 187.4997 of its steps.
    start = factor * s0
    end = s0 if rescale else _fvcore_at(inner, length)
    if method == "constant":
        ramp = constant_factor(start)
    else:
        ramp = LinearRamp(start_factor=start, end_factor=start + (end - start) * (k0 / (length * m)), total_iters=k0)
    return Sequential(stages=(ramp, main), milestones=(k0,), clock="restart" if rescale else "global"), cont


# -- groups -------------------------------------------------------------------------------------

def _rules_to_regex(rules, disjoint=False):
    """First-match-wins rules [(name, regex, value)] -> disjoint [(name, full regex, value)] + catch-all."""
    out, before = [], []
    for name, rx, value in rules:
        guard = f"(?!(?:{'|'.join(before)})$)" if before and not disjoint else ""
        out.append((name, f"{guard}(?:{rx})", value))
        before.append(rx)
    return out, (f"(?!(?:{'|'.join(before)})$).*" if before else ".*")


def _intersect(lrx: str | None, wrx: str | None) -> str:
    """A regex for names matching both (None: that dimension's catch-all, which adds nothing)."""
    if lrx is None or wrx is None:
        return lrx if wrx is None else wrx
    return f"(?=(?:{wrx})$){lrx}"


def _groups(lr_rules, wd_rules, base_lr, default_wd, notes, disjoint=False):
    """Plan groups: every (lr rule × weight-decay rule) pair, the pair of catch-alls being the rest group.

    Where an intersected selector would exceed the plan's safe-regex limits (ViT layer rules
    with weight-decay overrides), the lr groups are kept alone and a note names the
    weight-decay overrides left out: the lr of every group stays exact.
    """
    from ..groups import selector_problem

    if lr_rules and [rx for _, rx, _ in lr_rules] == [rx for _, rx, _ in wd_rules]:
        # the same parameters in both (bias lr factor and bias weight decay): one group each
        lr_list, lr_rest = _rules_to_regex(lr_rules, disjoint)
        out = [(ParamGroup(name=f"{ln}+{wn}", params=(f"re:{rx}",), lr=base_lr * lf, weight_decay=wd, optional=True), base_lr * lf)
               for (ln, rx, lf), (wn, _, wd) in zip(lr_list, wd_rules)]
        return out + [(ParamGroup(name="default", rest=True, lr=base_lr, weight_decay=default_wd), base_lr)]
    lr_list, lr_rest = _rules_to_regex(lr_rules, disjoint)
    wd_list, wd_rest = _rules_to_regex(wd_rules)
    lr_all = lr_list + [("", None if not lr_rules else lr_rest, 1.0)]
    wd_all = wd_list + [("", None if not wd_rules else wd_rest, default_wd)]
    combos = []
    for ln, lrx, lf in lr_all:
        for wn, wrx, wd in wd_all:
            name = "+".join(x for x in (ln, wn) if x) or "default"
            combos.append((name, None if not ln and not wn else _intersect(lrx, wrx), lf, wd))
    if any(sel is not None and selector_problem(f"re:{sel}") for _, sel, _, _ in combos):
        notes.append("weight decay overrides " + ", ".join(n for n, _, _ in wd_rules) + " are not split into "
                     "groups (their selectors crossed with the lr groups exceed the safe-regex limits): every "
                     f"group uses weight_decay {default_wd}; the lr of every group is exact")
        return _groups(lr_rules, [], base_lr, default_wd, notes, disjoint)
    groups = []
    for name, sel, lf, wd in combos:
        kw = dict(lr=base_lr * lf, weight_decay=wd)
        if sel is None:
            groups.append((ParamGroup(name=name, rest=True, **kw), base_lr))
        else:
            groups.append((ParamGroup(name=name, params=(f"re:{sel}",), optional=True, **kw), base_lr * lf))
    return groups


def _vit_rules(fn: dict, where: str):
    """detectron2/modeling/backbone/vit.py get_vit_lr_decay_rate as first-match lr rules."""
    num_layers = int(fn.get("num_layers", 12))
    rate = float(fn.get("lr_decay_rate", 1.0))
    rules = [("layer0", r"backbone.*\.(?:pos_embed|patch_embed).*", rate ** (num_layers + 1))]
    head = r"backbone(?!.*\.residual\.)(?!.*\.(?:pos_embed|patch_embed))(?:(?!\.blocks\.).)*\.blocks\."
    for i in range(num_layers):  # blocks.i -> layer_id i + 1
        rules.append((f"layer{i + 1}", rf"{head}{i}(?:\..*|)", rate ** (num_layers + 1 - (i + 1))))
    return rules


def _solver(data: dict, steps):
    s = {**SOLVER_DEFAULTS, **{k: _yacs_value(v) for k, v in data["SOLVER"].items()}}
    m = int(s["MAX_ITER"])
    base_lr = float(s["BASE_LR"])
    name = s["LR_SCHEDULER_NAME"]
    if name == "WarmupMultiStepLR":
        marks = [x for x in s["STEPS"] if x <= m]
        inner = {"_target_": "MultiStepParamScheduler", "values": [s["GAMMA"] ** k for k in range(len(marks) + 1)],
                 "milestones": marks, "num_updates": m}
    elif name == "WarmupCosineLR":
        end = s["BASE_LR_END"] / s["BASE_LR"]
        if not 0.0 <= end <= 1.0:
            raise PlanError("SOLVER.BASE_LR_END", "must lie between 0 and BASE_LR (detectron2 asserts it)")
        inner = {"_target_": "CosineParamScheduler", "start_value": 1, "end_value": end}
    elif name == "WarmupStepWithFixedGammaLR":
        inner = {"_target_": "StepWithFixedGammaParamScheduler", "base_value": 1.0, "gamma": s["GAMMA"],
                 "num_decays": s["NUM_DECAYS"], "num_updates": m}
    elif name == "WarmupPolyLR":
        inner = None
    else:
        raise PlanError("SOLVER.LR_SCHEDULER_NAME", f"unknown scheduler {name!r}; detectron2 builds WarmupMultiStepLR, "
                                                    "WarmupCosineLR, WarmupStepWithFixedGammaLR (and its DeepLab "
                                                    "project WarmupPolyLR)")
    if inner is None:
        mult = {"_target_": "WarmupPolyLR", "warmup_factor": s["WARMUP_FACTOR"], "warmup_iters": s["WARMUP_ITERS"],
                "warmup_method": s["WARMUP_METHOD"], "power": s["POLY_LR_POWER"],
                "constant_ending": s["POLY_LR_CONSTANT_ENDING"]}
    else:
        mult = {"_target_": "WarmupParamScheduler", "scheduler": inner, "warmup_factor": s["WARMUP_FACTOR"],
                "warmup_length": min(s["WARMUP_ITERS"] / m, 1.0), "warmup_method": s["WARMUP_METHOD"],
                "rescale_interval": s["RESCALE_INTERVAL"]}
    spec = optimizer_spec("SGD", {"lr": base_lr, "momentum": s["MOMENTUM"], "nesterov": s["NESTEROV"],
                                  "weight_decay": s["WEIGHT_DECAY"]}, "SOLVER")
    lr_rules, wd_rules, notes = [], [], []
    bias_re = r"bias|.*\.bias"
    if s["BIAS_LR_FACTOR"] != 1.0:
        lr_rules.append(("bias", bias_re, float(s["BIAS_LR_FACTOR"])))
    if s["WEIGHT_DECAY_BIAS"] is not None:
        wd_rules.append(("bias_wd", bias_re, float(s["WEIGHT_DECAY_BIAS"])))
    if s["WEIGHT_DECAY_NORM"] is not None and s["WEIGHT_DECAY_NORM"] != s["WEIGHT_DECAY"]:
        notes.append(f"WEIGHT_DECAY_NORM={s['WEIGHT_DECAY_NORM']} is not split into a group: detectron2 finds norm "
                     "layers by type, which a config does not carry (lr unaffected)")
    groups = _groups(lr_rules, wd_rules, base_lr, float(s["WEIGHT_DECAY"]), notes)
    return spec, groups, mult, m, notes


def _lazy(data: dict):
    mult = data["lr_multiplier"]
    opt = data.get("optimizer")
    train = data.get("train") if isinstance(data.get("train"), dict) else {}
    m = train.get("max_iter")
    if not isinstance(m, int):
        raise PlanError("train.max_iter", "LRMultiplier runs over train.max_iter iterations: the config must set it")
    if not isinstance(opt, dict) or isinstance(opt, Unresolved):
        raise PlanError("optimizer", "the config sets no optimizer (a LazyCall of a torch optimizer)")
    kwargs = {k: v for k, v in opt.items() if k not in ("_target_", "params")}
    notes = []
    spec = optimizer_spec(target_name(opt.get("_target_")) or "", kwargs, "optimizer", notes=notes)
    params = opt.get("params") or {}
    if isinstance(params, Unresolved):
        raise PlanError("optimizer.params", params.why)
    lr_rules, wd_rules = [], []
    fn = params.get("lr_factor_func")
    if fn is not None:
        if not (isinstance(fn, dict) and fn.get("_args_") and short(target_name(fn["_args_"][0]) or "") == "get_vit_lr_decay_rate"):
            raise PlanError("optimizer.params.lr_factor_func", "only partial(get_vit_lr_decay_rate, ...) is ported: "
                                                               "other lr factor functions are code")
        lr_rules += _vit_rules(fn, "optimizer.params.lr_factor_func")
        notes.append("ViTDet layer-wise lr decay: one group per block (get_vit_lr_decay_rate)")
    if params.get("bias_lr_factor", 1.0) not in (None, 1.0):
        lr_rules.insert(0, ("bias", r"bias|.*\.bias", float(params["bias_lr_factor"])))
        if fn is not None:
            raise PlanError("optimizer.params", "bias_lr_factor together with lr_factor_func is not ported")
    overrides = params.get("overrides") or {}
    for pname, ov in overrides.items():
        if set(ov) - {"weight_decay"}:
            raise PlanError(f"optimizer.params.overrides.{pname}", "only weight_decay overrides are ported")
        wd_rules.append((f"{pname}_wd", rf"{re.escape(pname)}|.*\.{re.escape(pname)}", float(ov["weight_decay"])))
    if params.get("weight_decay_bias") is not None:
        wd_rules.append(("bias_wd", r"bias|.*\.bias", float(params["weight_decay_bias"])))
    if params.get("weight_decay_norm") is not None:
        notes.append(f"weight_decay_norm={params['weight_decay_norm']} is not split into a group: detectron2 finds "
                     "norm layers by type, which a config does not carry (lr unaffected)")
    default_wd = float(params.get("weight_decay", kwargs.get("weight_decay", spec.resolved().get("weight_decay", 0.0))))
    groups = _groups(lr_rules, wd_rules, spec.lr, default_wd, notes, disjoint=fn is not None)
    return spec, groups, mult, m, notes


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of a detectron2 yacs (``SOLVER``) or LazyConfig (``lr_multiplier``) config."""
    if not isinstance(data, dict):
        raise PlanError("", "a detectron2 config is a mapping")
    if "_BASE_" in data and "lr_multiplier" not in data:
        data = resolve_bases(data, source)
    if "lr_multiplier" in data:
        spec, groups, mult, m, notes = _lazy(data)
        where = "lr_multiplier"
    elif not isinstance(data.get("SOLVER"), dict):
        raise PlanError("SOLVER", "a detectron2 config has a SOLVER section (yacs) or an lr_multiplier (LazyConfig)")
    else:
        spec, groups, mult, m, notes = _solver(data, steps)
        where = "SOLVER"
    schedules, continues = [], True
    for _, base in groups:
        sched, cont = _multiplier(mult, m, base, where)
        schedules.append(sched)
        continues &= cont
    notes.insert(0, f"detectron2 {'LazyConfig' if where == 'lr_multiplier' else 'yacs SOLVER'} config"
                    f"{' ' + source if source else ''}: lr = base lr × multiplier(k / {m})")
    horizon = int(steps) if steps is not None else m
    plan = build_plan(spec, [g for g, _ in groups], schedules, steps=horizon,
                      past="continue" if continues else "error")
    return result(plan, notes)


def load(path, *, steps=None, steps_per_epoch=None):
    """Read a detectron2 LazyConfig ``.py`` (parsed, never run) into an ``ImportResult``."""
    from .pyconfig import load_pyconfig

    return to_plan(load_pyconfig(path), steps=steps, source=str(path))
