"""MindSpore -> IR: dynamic_lr calls, cells, lr lists/tensors, group_params, optimizers (nn and
experimental) and experimental schedulers; ``import_live`` for ``file.py:function`` sources.

``from_mindspore(source, ...)`` returns an ``ImportResult`` (plan, exact, notes), like every ``from_*``.
Where MindSpore computes a formula in float32 (native cells, experimental closed-form classes) the
plan is the float64 formula those classes approximate; lists and sampled schedulers are reproduced
at their float32 values (closed form where ``from_samples`` finds one, else a table).

A list's length is its horizon (MindSpore's Gather raises past its end): ``past: error`` where a
table stands for it. Parts: ``import_lr`` (dynamic_lr, cells), ``import_optim`` (optimizer objects),
``import_sched`` (experimental schedulers).
"""

from __future__ import annotations

import inspect

import numpy as np

from lrbridge.errors import PlanError
from lrbridge.groups import ParamGroup, exact_selector
from lrbridge.optim import OptimizerSpec
from lrbridge.plan import Horizon, ImportResult, Plan
from lrbridge.schedules import Tabulated

from .import_lr import DYNAMIC_LR, cell_schedule
from .import_optim import f32, is_experimental_optimizer, is_nn_optimizer, read_optimizer
from .import_sched import from_samples, schedules_of


def _plan(schedule, base: float, *, total_step=None, optimizer="sgd", past="error") -> Plan:
    horizon = Horizon(steps=total_step, past=past) if total_step else Horizon()
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=base), scheduler=schedule, horizon=horizon)


def _is_table(schedule) -> bool:
    return schedule is not None and any(n.kind == "tabulated" for n in schedule.walk())


def _horizon(lengths, tables: bool, steps=None) -> Horizon:
    """A list's length is the run it was built for (MindSpore's Gather raises past its end): the horizon,
    ``past: error`` where a table stands for a list, ``continue`` where a closed form reproduces it."""
    if not lengths:
        return Horizon(steps=steps)
    return Horizon(steps=min(lengths), past="error" if tables else "continue")


def _converted(lr) -> float:
    """The lr a float group applies once another group's lr is dynamic: MindSpore wraps it in
    ``_ConvertToCell``, whose construct is ``lr + 1.0 - 1.0`` in float32 (1e-9 becomes 0)."""
    one = np.float32(1.0)
    return f32((np.float32(f32(lr)) + one) - one)


def _is_dynamic(lr) -> bool:
    """A list, 1-D tensor or cell (a float or 0-d tensor is static)."""
    if isinstance(lr, (int, float)):
        return False
    return np.ndim(lr.asnumpy()) == 1 if hasattr(lr, "asnumpy") else True


def _converted_note(name: str, given: float, applied: float) -> str:
    # shortest round-trip decimals: '{:g}' printed 0.8 as 0.8 for both (the float32 0.79999995 hidden)
    return (f"{name}: MindSpore applies its lr {float(given)!r} as {float(applied)!r} (float32 lr + 1 − 1, since "
            "another group's lr is dynamic)")


def _lr_source(lr):
    """One lr as MindSpore holds it -> (schedule or None for a constant, base lr, list length or None).

    A float; a float32 Parameter / 0-d Tensor; ``_ConvertToCell`` (its float32 ``lr + 1 − 1``);
    ``_IteratorLearningRate`` or a list / array / 1-D Tensor (the list); a LearningRateSchedule cell.
    """
    kind = type(lr).__name__
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        return None, float(lr), None
    if kind == "_ConvertToCell":
        return None, _converted(lr.learning_rate), None
    if kind == "_IteratorLearningRate":
        return _list_source(lr.learning_rate)
    if hasattr(lr, "asnumpy") and np.ndim(lr.asnumpy()) == 0:
        return None, f32(lr), None
    if hasattr(lr, "construct") and not hasattr(lr, "asnumpy"):
        sched, base = cell_schedule(lr)
        return sched, base, None
    return _list_source(lr)


def _list_source(lr):
    """A list of lrs: the closed form reproducing every value, else a table; and its length."""
    raw = np.asarray(lr.asnumpy() if hasattr(lr, "asnumpy") else lr)
    raw_dtype, values = raw.dtype, raw.astype(np.float64)
    if values.ndim != 1 or values.size == 0:
        raise PlanError("source", f"an lr list or tensor must be 1-D and non-empty, got shape {values.shape}")
    result = from_samples(values, dtype="float32" if raw_dtype == np.float32 else "float64", source="mindspore lr list")
    if result.exact:
        return result.plan.scheduler, float(result.plan.groups[0].lr), int(values.size)
    return Tabulated(values=tuple(values.tolist()), source="mindspore lr list"), float(values[0]), int(values.size)


def _from_group_params(groups: list, learning_rate, optimizer: str, weight_decay: float) -> tuple[Plan, list[str]]:
    out, lengths, tables, top, notes, owner = [], [], False, None, [], {}
    base_default = None if learning_rate is None else _lr_source(learning_rate)
    given = [g["lr"] for g in groups if "lr" in g]
    # MindSpore wraps every float lr in _ConvertToCell when groups set lrs and one lr is dynamic
    wrapped = bool(given) and any(_is_dynamic(x) for x in given + [learning_rate] if x is not None)
    for i, g in enumerate(groups):
        if "order_params" in g:
            continue
        unknown = set(g) - {"params", "lr", "weight_decay", "grad_centralization"}
        if unknown:
            raise PlanError(f"group_params[{i}]", f"unknown keys {sorted(unknown)}; MindSpore accepts params, lr, "
                            "weight_decay, grad_centralization, order_params")
        names = [p.name for p in g["params"]]
        for n in names:  # MindSpore refuses a repeated parameter (RuntimeError at construction): so does the import
            if n in owner:
                raise PlanError(f"group_params[{i}].params", f"parameter '{n}' is already in group_params[{owner[n]}]; "
                                "MindSpore refuses a parameter set twice: keep it in one group")
            owner[n] = i
        src = _lr_source(g["lr"]) if "lr" in g else base_default
        if src is None:
            raise PlanError(f"group_params[{i}].lr", "the group has no lr; pass learning_rate= (the optimizer's)")
        sched, base, length = src
        if wrapped and sched is None and _converted(base) != base:
            notes.append(_converted_note(f"group{i}", base, _converted(base)))
            base = _converted(base)
        if length:
            lengths.append(length)
        tables = tables or _is_table(sched)
        hparams = {"grad_centralization": bool(g["grad_centralization"])} if "grad_centralization" in g else {}
        out.append(ParamGroup(name=f"group{i}", params=tuple(exact_selector(n) for n in names), lr=base,
                              weight_decay=float(g.get("weight_decay", weight_decay)),
                              scheduler=sched, hparams=hparams))
        top = base if top is None else top
    if not out:
        raise PlanError("group_params", "no group holds parameters")
    plan = Plan(optimizer=OptimizerSpec(name=optimizer, lr=top), groups=tuple(out), horizon=_horizon(lengths, tables))
    return plan, notes


def _assemble(live, pairs, horizon: Horizon) -> Plan:
    """The plan of a live optimizer: its spec and groups, each with its (schedule, base lr)."""
    shared = pairs[0][0]
    groups = tuple(
        ParamGroup(name=f"group{i}", params=tuple(exact_selector(n) for n in g.params), lr=base,
                   weight_decay=g.weight_decay, hparams=g.hparams, scheduler=None if s == shared else s,
                   hparam_schedulers={} if g.weight_decay_schedule is None else {"weight_decay": g.weight_decay_schedule})
        for i, (g, (s, base)) in enumerate(zip(live.groups, pairs))
    )
    spec = live.spec.model_copy(update={"lr": groups[0].lr})
    return Plan(optimizer=spec, groups=groups, scheduler=shared, horizon=horizon)


def _from_optimizer(opt, steps) -> tuple[Plan, list[str]]:
    """What an optimizer applies without a scheduler: each group's lr source, weight decay, hyperparameters."""
    from lrbridge.schedules import Constant

    live = read_optimizer(opt, initial=False)
    pairs, lengths, notes = [], [], list(live.notes)
    for i, g in enumerate(live.groups):
        sched, base, length = _lr_source(g.lr)
        if type(g.lr).__name__ == "_ConvertToCell" and base != f32(g.lr.learning_rate):
            notes.append(_converted_note(f"group{i}", f32(g.lr.learning_rate), base))
        pairs.append((sched if sched is not None else Constant(), base))
        if length:
            lengths.append(length)
    horizon = _horizon(lengths, any(_is_table(s) for s, _ in pairs), steps)
    return _assemble(live, pairs, horizon), notes


def _is_experimental_scheduler(obj) -> bool:
    return is_experimental_optimizer(getattr(obj, "optimizer", None))


def _from_experimental(sched, steps) -> tuple[Plan, list[str]]:
    live = read_optimizer(sched.optimizer)
    pairs, notes = schedules_of(sched, steps)
    tables = any(_is_table(s) for s, _ in pairs)
    horizon = Horizon(steps=steps, past="error") if tables else Horizon(steps=steps)
    return _assemble(live, pairs, horizon), [*live.notes, *notes]


def _plan_of(source, args, learning_rate, optimizer, weight_decay: float, steps, kwargs) -> tuple[Plan, list[str]]:
    """The plan of one MindSpore lr source (see ``from_mindspore``), and notes.

    - ``from_mindspore("cosine_decay_lr", min_lr=0.0, max_lr=0.1, total_step=100, step_per_epoch=1, decay_epoch=100)``:
      a dynamic_lr call, by name and its arguments (positional or keyword).
    - a ``LearningRateSchedule`` cell (native ones by their attributes, lrbridge's ``PlanSchedule`` exactly).
    - a list, numpy array or 1-D Tensor of lrs: a tabulated schedule of that length.
    - group_params (list of dicts), with ``learning_rate=`` for groups without lr.
    - an ``nn`` or ``experimental.optim`` optimizer: what it applies, group by group.
    - a ``mindspore.experimental.optim.lr_scheduler`` instance: one group per param group.
    """
    from lrbridge.errors import expect_type

    if is_nn_optimizer(source) or is_experimental_optimizer(source):
        return _from_optimizer(source, steps)
    if _is_experimental_scheduler(source):
        return _from_experimental(source, steps)
    optimizer = "sgd" if optimizer is None else optimizer
    expect_type(optimizer, str, "from_mindspore", "optimizer", "a name such as 'sgd' or 'momentum'")
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
        return _plan(sched, base, total_step=total, optimizer=optimizer), []
    if isinstance(source, list) and source and isinstance(source[0], dict):
        return _from_group_params(source, learning_rate, optimizer, weight_decay)
    sched, base, length = _lr_source(source)
    if sched is None:
        from lrbridge.schedules import Constant

        sched = Constant()
    return _plan(sched, base, total_step=length, optimizer=optimizer, past="error" if _is_table(sched) else "continue"), []


def from_mindspore(source, *args, learning_rate=None, optimizer: str | None = None, weight_decay: float = 0.0,
                   steps: int | None = None, **kwargs) -> ImportResult:
    """Import a MindSpore lr source: ``ImportResult(plan, exact, notes)``, like every ``from_*``.

    ``source``: a dynamic_lr function name with its arguments, a ``LearningRateSchedule`` cell,
    a list/array/Tensor of lrs, group_params (groups without ``weight_decay`` get the optimizer's
    ``weight_decay``, as MindSpore applies it), an ``nn`` or ``experimental.optim`` optimizer
    (what it applies: per-group lr, weight decay, momentum/betas, from its resolved attributes),
    or a ``mindspore.experimental.optim`` scheduler (its optimizer's groups with it).
    ``optimizer``: the plan's optimizer name for sources that do not say (default 'sgd').
    ``steps``: the optimizer steps a run applies (the horizon of what has none, and how far
    LambdaLR/MultiplicativeLR are sampled; a list's length is its own). ``exact`` is False
    where a part is a table, valid over its steps only.
    """
    plan, notes = _plan_of(source, args, learning_rate, optimizer, weight_decay, steps, kwargs)
    if optimizer is not None and optimizer != plan.optimizer.name:
        raise PlanError("optimizer", f"the source's optimizer is '{plan.optimizer.name}', not '{optimizer}'; "
                        "leave optimizer= out for optimizer and scheduler objects")
    if steps is not None and plan.horizon.steps is None:
        plan = plan.model_copy(update={"horizon": Horizon(steps=steps)})
    tables = [g.name for g in plan.groups if any(n.kind == "tabulated" for n in plan.group_schedule(g).walk())]
    notes += [f"group '{n}': a table of MindSpore's lrs, exact over its {plan.horizon.steps} steps" for n in tables]
    return ImportResult(plan, exact=not tables, notes=notes)


# ---------------------------------------------------------------- live objects (file.py:function sources)


def _live_target(obj):
    """The object to import from what a function returned: an optimizer or scheduler, as given or
    in a 1-tuple/list, an ``(optimizer, scheduler)`` pair, or entry's dict."""
    if isinstance(obj, dict):
        many = obj.get("schedulers")
        if many is not None and len(many) != 1:
            raise PlanError("schedulers", f"{len(many)} schedulers on one optimizer: MindSpore has no ChainedScheduler; "
                            "return one scheduler (SequentialLR for stages)")
        obj = (many[0] if many else None) or obj.get("scheduler") or obj.get("optimizer")
    if isinstance(obj, (list, tuple)) and len(obj) == 1 and not isinstance(obj[0], (int, float, dict)):
        obj = obj[0]
    if isinstance(obj, (list, tuple)) and len(obj) == 2 and (is_nn_optimizer(obj[0]) or is_experimental_optimizer(obj[0])):
        opt, sched = obj
        if sched is not None and getattr(sched, "optimizer", None) is not opt:
            raise PlanError("source", "the scheduler of the (optimizer, scheduler) pair is built on another optimizer")
        obj = opt if sched is None else sched
    return obj


def _by_epoch(result: ImportResult, spe: int, steps) -> ImportResult:
    """A scheduler stepped once per epoch of ``spe`` optimizer steps: every schedule on the epoch clock."""
    from lrbridge.schedules import ByEpoch

    wrap = lambda s: None if s is None else ByEpoch(schedule=s, steps_per_epoch=spe, cadence="epoch")  # noqa: E731
    plan = result.plan
    groups = tuple(g.model_copy(update={"scheduler": wrap(g.scheduler)}) for g in plan.groups)
    horizon = plan.horizon.model_copy(update={"steps": steps}) if steps is not None else plan.horizon
    plan = plan.model_copy(update={"scheduler": wrap(plan.scheduler), "groups": groups, "horizon": horizon})
    return ImportResult(plan, result.exact, [*result.notes, f"scheduler stepped once per epoch of {spe} optimizer steps: by_epoch"])


def import_live(obj, *, steps=None, interval="step", steps_per_epoch=None, **_) -> ImportResult:
    """What ``file.py:function`` sources return, for the registry: an optimizer (either API), an experimental
    scheduler, an ``(optimizer, scheduler)`` pair, entry's dict, an lr list or cell."""
    target = _live_target(obj)
    if isinstance(interval, (list, tuple)) and len(interval) == 1:
        interval = interval[0]
    if interval == "step":
        return from_mindspore(target, steps=steps)
    if interval != "epoch" or not _is_experimental_scheduler(target):
        raise PlanError("interval", f"interval {interval!r} applies to an experimental scheduler stepped per epoch; "
                        "MindSpore nn lrs follow optimizer steps")
    if not (isinstance(steps_per_epoch, int) and steps_per_epoch >= 1):
        raise PlanError("steps_per_epoch", "interval 'epoch' needs steps_per_epoch, a positive int")
    epochs = None if steps is None else -(-steps // steps_per_epoch)
    return _by_epoch(from_mindspore(target, steps=epochs), steps_per_epoch, steps)
