"""Worker op ``native_curve``: step real OneFlow schedulers and record the lr each optimizer step applies.

Runs inside the OneFlow interpreter (see ``adapters/lrbridge_oneflow/worker.py``). A request is
one case, or a batch under ``cases``::

    {"op": "native_curve", "groups": [{"lr": 0.1}, ...], "scheduler": SPEC, "steps": N}
    {"op": "native_curve", "cases": [{"groups": ..., "scheduler": ..., "steps": ...}, ...]}

SPEC names a class of ``oneflow.optim.lr_scheduler`` with its keyword arguments;
composites nest their schedulers::

    {"class": "CosineAnnealingLR", "kwargs": {"T_max": 10}}
    {"class": "SequentialLR", "schedulers": [SPEC, ...], "kwargs": {"milestones": [5]}}
    {"class": "ChainedScheduler", "schedulers": [SPEC, ...]}
    {"class": "WarmupLR", "scheduler": SPEC or null, "kwargs": {"warmup_iters": 5}}

``"metrics": [m_0, ..., m_{N−1}]`` steps a metric-driven scheduler (``ReduceLROnPlateau``, which
``SPEC`` may then name) with ``scheduler.step(m_k)`` after optimizer step k, as a training loop does after
each evaluation. ``"plan": PLAN_DICT`` instead of ``"scheduler"`` steps what ``to_oneflow(plan)`` builds
(the plan exported back to OneFlow, eager), in the same loop.

A single case returns ``{"lr": [[lr of group 0 at k = 0..N−1], ...]}`` and raises on
bad input. A batch (handled by the worker) returns one entry per case, ``{"lr": ...}``
or ``{"error": msg}``.

Row g, column k is ``param_groups[g]["lr"]`` read just before the k-th
``opt.step()``: the lr optimizer step k applies. Parameters are never read, because
OneFlow 0.9's CPU build crashes after a few thousand parameter reads.
"""

from __future__ import annotations

import inspect

# Exported schedulers the JSON spec cannot drive: LambdaLR needs a Python callable,
# ReduceLROnPlateau steps on a metric and is no LRScheduler.
_NOT_DRIVABLE = {"LambdaLR": "needs a Python callable (lr_lambda)", "ReduceLROnPlateau": "steps on a metric, not a step count"}
# Spec keys each kind of class takes besides "class" and "kwargs".
_NESTED_KEYS = {"SequentialLR": "schedulers", "ChainedScheduler": "schedulers", "WarmupLR": "scheduler"}


class SpecError(ValueError):
    """A request or scheduler spec is malformed; the message names the field path."""


def scheduler_classes(flow) -> dict[str, type]:
    """Every class of ``oneflow.optim.lr_scheduler`` a spec may name: its LRScheduler subclasses."""
    module = flow.optim.lr_scheduler
    base = module._LRScheduler
    return {
        name: obj
        for name, obj in vars(module).items()
        if inspect.isclass(obj) and issubclass(obj, base) and obj is not base and name not in _NOT_DRIVABLE
    }


def _unknown_class(name, where, classes) -> SpecError:
    why = f" ({_NOT_DRIVABLE[name]})" if name in _NOT_DRIVABLE else ""
    return SpecError(f"{where}.class: {name!r} is not a drivable oneflow.optim.lr_scheduler class{why}; accepted: {sorted(classes)}")


def build_scheduler(flow, opt, spec, where="scheduler"):
    """Construct the native scheduler ``spec`` describes on ``opt``, nested schedulers first.

    Construction order matters in OneFlow: every constructor calls ``step()`` once and
    writes the group lrs, so the outermost scheduler, built last, sets the lr of step 0.
    The real constructor validates the kwargs; its error is reported with ``where``.
    """
    classes = scheduler_classes(flow)
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
        raise SpecError(f"{where}: expected an object with a string 'class', got {spec!r}")
    if spec["class"] not in classes:
        raise _unknown_class(spec["class"], where, classes)
    cls = classes[spec["class"]]
    name = cls.__name__  # aliases (WarmUpLR) take their class's spec keys
    allowed = {"class", "kwargs", _NESTED_KEYS.get(name)} - {None}
    extra = sorted(set(spec) - allowed)
    if extra:
        raise SpecError(f"{where}: unexpected keys {extra} for {name}; allowed: {sorted(allowed)}")
    kwargs = spec.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise SpecError(f"{where}.kwargs: expected an object of keyword arguments, got {kwargs!r}")
    for key in ("optimizer", "scheduler_or_optimizer", "schedulers"):
        if key in kwargs:
            raise SpecError(f"{where}.kwargs.{key}: set by the worker (nest schedulers under the spec, not in kwargs)")
    try:
        if name in ("SequentialLR", "ChainedScheduler"):
            subs = spec.get("schedulers")
            if not isinstance(subs, list) or not subs:
                raise SpecError(f"{where}.schedulers: {name} needs a non-empty list of scheduler specs")
            built = [build_scheduler(flow, opt, s, f"{where}.schedulers[{i}]") for i, s in enumerate(subs)]
            return cls(opt, built, **kwargs) if name == "SequentialLR" else cls(built, **kwargs)
        if name == "WarmupLR":
            inner = spec.get("scheduler")
            target = opt if inner is None else build_scheduler(flow, opt, inner, f"{where}.scheduler")
            return cls(target, **kwargs)
        return cls(opt, **kwargs)
    except SpecError:
        raise
    except Exception as exc:  # the constructor's own validation: say where it failed
        raise SpecError(f"{where}: {name}(**{kwargs!r}) failed: {_why(exc, spec)}") from exc


_COMPOSITES = ("SequentialLR", "ChainedScheduler", "WarmupLR", "WarmUpLR")


def nests_composite(spec) -> bool:
    """Whether a composite of ``spec`` holds another composite (at any depth): OneFlow 0.9's eager composites
    compute the lr with their children's ``get_lr``, which composites lack."""
    if not isinstance(spec, dict):
        return False
    subs = spec.get("schedulers") if isinstance(spec.get("schedulers"), list) else [spec.get("scheduler")]
    subs = [s for s in subs if isinstance(s, dict)]
    if spec.get("class") in _COMPOSITES and any(s.get("class") in _COMPOSITES for s in subs):
        return True
    return any(nests_composite(s) for s in subs)


def _why(exc, spec=None) -> str:
    """``Type: message`` of a OneFlow exception; an empty message (OneFlow's bare ``NotImplementedError`` of
    ``LRScheduler.get_lr``) says what raised it."""
    text = f"{type(exc).__name__}: {str(exc) or '(no message)'}"
    if isinstance(exc, NotImplementedError) and nests_composite(spec):
        text += (" (OneFlow 0.9's SequentialLR, WarmupLR and ChainedScheduler compute the lr with their children's "
                 "get_lr, which these composites do not have: nest only leaf schedulers in them, or export the plan with "
                 "lrbridge, which runs such a composite as PlanLR)")
    return text


def _check_case(case, where):
    if not isinstance(case, dict):
        raise SpecError(f"{where}: expected an object with groups, scheduler and steps, got {case!r}")
    groups, steps = case.get("groups"), case.get("steps")
    if not isinstance(groups, list) or not groups:
        raise SpecError(f"{where}.groups: expected a non-empty list of group options like {{'lr': 0.1}}")
    for i, g in enumerate(groups):
        if not isinstance(g, dict) or "params" in g:
            raise SpecError(f"{where}.groups[{i}]: expected group options without 'params' (the worker adds one parameter)")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise SpecError(f"{where}.steps: expected a non-negative integer, got {steps!r}")
    metrics = case.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or len(metrics) != steps
                                or not all(isinstance(m, (int, float)) and not isinstance(m, bool) for m in metrics)):
        raise SpecError(f"{where}.metrics: expected a list of {steps} numbers (one per step), got {metrics!r}")
    if "plan" in case:
        if "scheduler" in case:
            raise SpecError(f"{where}: give a scheduler spec or a plan, not both")
        return
    if "scheduler" not in case:
        raise SpecError(f"{where}.scheduler: missing (a spec such as {{'class': 'StepLR', 'kwargs': {{'step_size': 2}}}})")


def native_curve(flow, case, where="request"):
    """lr of every group at optimizer steps 0..steps−1 under the native scheduler: list of lists of floats."""
    _check_case(case, where)
    params = [flow.nn.Parameter(flow.zeros(1)) for _ in case["groups"]]
    for p in params:  # a zero gradient once, so opt.step() runs the real update and leaves the weights alone
        p.grad = flow.zeros(1)
    opt = flow.optim.SGD([{"params": [p], **g} for p, g in zip(params, case["groups"])])
    metrics = case.get("metrics")
    sched = _scheduler(flow, opt, case, where)
    rows = [[] for _ in params]
    for k in range(case["steps"]):
        for row, group in zip(rows, opt.param_groups):
            row.append(float(group["lr"]))
        opt.step()
        try:
            sched.step() if metrics is None else sched.step(metrics[k])
        except Exception as exc:  # e.g. a nested SequentialLR, which has no get_lr in OneFlow 0.9
            raise RuntimeError(
                f"{where}.scheduler: {type(sched).__name__}.step() computing the lr of step {k + 1} raised "
                f"{_why(exc, case['scheduler'] if 'scheduler' in case else None)}"
            ) from exc
    return rows


def _scheduler(flow, opt, case, where):
    """The case's scheduler on ``opt``: its spec built natively (ReduceLROnPlateau too, when stepped on
    ``metrics``), or ``to_oneflow`` of its plan."""
    if "plan" in case:
        from lrbridge.io import plan_from_dict

        from .live import to_oneflow

        return to_oneflow(plan_from_dict(case["plan"]), opt)
    spec = case["scheduler"]
    if case.get("metrics") is not None and isinstance(spec, dict) and spec.get("class") == "ReduceLROnPlateau":
        extra = sorted(set(spec) - {"class", "kwargs"})
        kwargs = spec.get("kwargs", {})
        if extra or not isinstance(kwargs, dict):
            raise SpecError(f"{where}.scheduler: ReduceLROnPlateau takes only 'class' and 'kwargs', got {sorted(spec)}")
        try:
            return flow.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        except Exception as exc:
            raise SpecError(f"{where}.scheduler: ReduceLROnPlateau(**{kwargs!r}) failed: {_why(exc)}") from exc
    return build_scheduler(flow, opt, spec, f"{where}.scheduler")


def op_native_curve(request):
    """The worker op: one case -> ``{"lr": rows}`` (the worker batches ``cases``)."""
    from .runtime import load_oneflow

    return {"lr": native_curve(load_oneflow(), request)}
