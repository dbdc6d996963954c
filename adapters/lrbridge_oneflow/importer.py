"""OneFlow -> IR: schedulers, optimizers and nn.Graph (lr_scale) as lrbridge plans.

Two layers:
- framework-free: ``schedule_from_spec(spec)`` reads a native spec (the JSON
  format of ``adapters/lrbridge_oneflow/native.py``: ``{"class", "kwargs", "schedulers"}``)
  and gives the IR node; ``plan_from_specs`` builds the plan;
- OneFlow side: ``spec_of(scheduler)`` reads a live scheduler into a spec, and
  ``from_oneflow(obj)`` imports a scheduler, an optimizer or an nn.Graph.

The worker op ``import`` builds the spec with OneFlow first (so OneFlow's own
validation applies), then imports the live object.

Semantics imported (OneFlow 0.9, ``oneflow/nn/optimizer/*.py``):
- every OneFlow scheduler is closed form in ``last_step``, so each maps to one node;
- PolynomialLR's cycle treats step 0 as 1 (``cycle_min_step=1``) and its default
  ``end_learning_rate`` is 1e-4, absolute;
- SequentialLR decides the clock per milestone: eager looks only at the milestone
  just passed, the graph kernel at the last passed milestone with rescaling; mixed
  flags become per-stage offsets (a restart-clock wrapper around the stage);
- WarmupLR is a Sequential of LinearLR/ConstantLR and the main scheduler;
- eager ignores ``lr_scale``; nn.Graph applies it (``graph=True``);
- ReduceLROnPlateau (no LRScheduler subclass) takes a per-group ``min_lr`` list: one
  ReduceOnPlateau per group, each with its min_lr (``export`` writes the list back).
"""

from __future__ import annotations


from lrbridge.errors import PlanError
from lrbridge.groups import ParamGroup
from lrbridge.optim import OPTIMIZER_HPARAMS, OptimizerSpec, external_name
from lrbridge.plan import Horizon, ImportResult, Plan
from lrbridge.schedules import Chained, Constant, Sequential, Tabulated, Warmup
from lrbridge.vocabulary import QUIRKS, node, whole

from .leaf_lowering import restart_log_error_step
from .native import nests_composite


# -- spec -> IR (framework-free) ---------------------------------------------------------------

#: defaults of OneFlow's composites (its leaves' defaults are in lrbridge.vocabulary)
_DEFAULTS = {
    "WarmupLR": {"warmup_factor": 1.0 / 3, "warmup_iters": 5, "warmup_method": "linear", "warmup_prefix": False},
    "SequentialLR": {"interval_rescaling": False},
}


def _kw(spec: dict, where: str) -> dict:
    kw = {**_DEFAULTS.get(spec["class"], {}), **spec.get("kwargs", {})}
    kw.pop("last_step", None)
    kw.pop("verbose", None)
    return kw


def _whole_args(kw: dict, keys: tuple, where: str) -> None:
    """Refuse a non-integral step count of a composite (``lrbridge.vocabulary.whole``; leaves go through ``node``)."""
    for key in keys:
        for v in kw[key] if isinstance(kw.get(key), (list, tuple)) else [kw.get(key, 0)]:
            try:
                whole(v, key)
            except PlanError as exc:
                raise exc.under(f"{where}.kwargs") from None


def _leaf(cls: str, kw: dict, where: str):
    """OneFlow's leaf classes, through the one torch-style vocabulary (OneFlow's quirks are data there)."""
    if cls == PLAN_LR_CLASS:
        raise PlanError(where, "lrbridge.PlanLR holds a whole plan; import it with from_oneflow")
    if cls not in QUIRKS["oneflow"].classes:
        raise PlanError(where, f"cannot import OneFlow class {cls!r}; importable: {sorted(IMPORTABLE)}")
    return node("oneflow", cls, kw, f"{where}.kwargs")


PLAN_LR_CLASS = "lrbridge.PlanLR"
IMPORTABLE = set(QUIRKS["oneflow"].classes) | {"SequentialLR", "WarmupLR", "ChainedScheduler", "LambdaLR (with steps)"}


def _offsets(milestones: list[int], rescale: list[bool], graph: bool) -> list[int]:
    """Clock offset of every stage: eager rescales by the milestone just passed when its flag is set
    (``SequentialLR.step``); the graph kernel by the last passed milestone whose flag is set."""
    out, last = [0], 0
    for m, r in zip(milestones, rescale):
        last = m if r else (last if graph else 0)
        out.append(last)
    return out


def _sequential(spec: dict, kw: dict, where: str, graph: bool):
    stages = [schedule_from_spec(s, f"{where}.schedulers[{i}]", graph) for i, s in enumerate(spec.get("schedulers", []))]
    ms = list(kw["milestones"])
    resc = kw["interval_rescaling"]
    resc = [bool(resc)] * len(ms) if isinstance(resc, bool) else [bool(r) for r in resc]
    if len(stages) != len(ms) + 1 or len(resc) != len(ms):
        raise PlanError(where, "SequentialLR needs len(milestones) + 1 schedulers and one interval_rescaling per milestone")
    if len(stages) == 1:
        return stages[0]
    if all(resc) or not any(resc):
        return Sequential(stages=tuple(stages), milestones=tuple(ms), clock="restart" if all(resc) else "global")
    wrapped = []  # mixed flags: a global clock, each stage shifted by its own offset
    for stage, off in zip(stages, _offsets(ms, resc, graph)):
        wrapped.append(Sequential(stages=(Constant(), stage), milestones=(off,), clock="restart") if off else stage)
    return Sequential(stages=tuple(wrapped), milestones=tuple(ms), clock="global")


def _warmup(spec: dict, kw: dict, where: str, graph: bool):
    inner = spec.get("scheduler")
    main = schedule_from_spec(inner, f"{where}.scheduler", graph) if inner else Constant()
    W = kw["warmup_iters"]
    if W <= 0:
        return main
    return Warmup(schedule=main, warmup_steps=W, warmup_factor=float(kw["warmup_factor"]),
                  method=kw["warmup_method"], prefix=bool(kw["warmup_prefix"]))  # fmt: skip


def schedule_from_spec(spec: dict, where: str = "scheduler", graph: bool = False):
    """The IR node equal to a OneFlow native spec (eager semantics, or the graph kernel's with ``graph``)."""
    if not isinstance(spec, dict) or "class" not in spec:
        raise PlanError(where, f"expected a spec like {{'class': 'StepLR', 'kwargs': {{...}}}}, got {spec!r}")
    cls = spec["class"]
    kw = _kw(spec, where)
    if cls in ("SequentialLR", "WarmupLR"):
        _whole_args(kw, ("milestones",) if cls == "SequentialLR" else ("warmup_iters",), where)
    try:
        if cls == "SequentialLR":
            return _sequential(spec, kw, where, graph)
        if cls == "WarmupLR":
            return _warmup(spec, kw, where, graph)
        if cls == "ChainedScheduler":
            subs = [schedule_from_spec(s, f"{where}.schedulers[{i}]", graph) for i, s in enumerate(spec.get("schedulers", []))]
            return Chained(schedules=tuple(subs))
        return _leaf(cls, kw, where)
    except KeyError as exc:
        raise PlanError(f"{where}.kwargs", f"{cls} needs {exc.args[0]!r}") from None


def group_schedules_from_spec(spec: dict | None, n_groups: int, graph: bool = False) -> list:
    """One IR node per param group: the spec's node for every group, except a ReduceLROnPlateau whose
    ``min_lr`` is a per-group list (OneFlow's class takes one, as torch's does): a ReduceOnPlateau per
    group with its own min_lr (what ``export`` writes back as the same list)."""
    if spec is None:
        return [Constant()] * n_groups
    mins = spec.get("kwargs", {}).get("min_lr") if spec.get("class") == "ReduceLROnPlateau" else None
    if not isinstance(mins, (list, tuple)):
        return [schedule_from_spec(spec, "scheduler", graph)] * n_groups
    if len(mins) != n_groups:
        raise PlanError("scheduler.kwargs.min_lr", f"ReduceLROnPlateau has {len(mins)} min_lrs for {n_groups} param groups; "
                        "give one per group (or a single number)")
    return [schedule_from_spec({**spec, "kwargs": {**spec["kwargs"], "min_lr": float(m)}}, "scheduler", graph) for m in mins]


def optimizer_spec(name: str, options: dict) -> OptimizerSpec:
    """A torch-named OptimizerSpec from a OneFlow optimizer class name and its group options."""
    canon = {"SGD": "sgd", "Adam": "adam", "AdamW": "adamw", "RMSprop": "rmsprop", "Adagrad": "adagrad"}.get(name)
    if canon is None:  # LAMB, LBFGS, FTRL, ...: the schedule and groups port, the optimizer is the user's
        wd = options.get("weight_decay")
        hp = {"weight_decay": float(wd)} if isinstance(wd, (int, float)) and wd else {}
        return OptimizerSpec(name=external_name(str(name)), lr=float(options.get("initial_lr", options.get("lr", 0.0))), hparams=hp)
    hp = {k: (tuple(options[k]) if k == "betas" else options[k]) for k in OPTIMIZER_HPARAMS[canon] if k in options}
    return OptimizerSpec(name=canon, lr=float(options.get("initial_lr", options.get("lr", 0.0))), hparams=hp)


def plan_from_specs(groups: list[dict], spec: dict | None, *, optimizer: str = "SGD", graph: bool = False,
                    names: list[list[str]] | None = None, horizon: Horizon | None = None) -> Plan:  # fmt: skip
    """A plan from group options (``initial_lr``/``lr``, ``lr_scale``, ``weight_decay``, ...) and a scheduler spec.

    Eager ignores ``lr_scale`` (so it is dropped); nn.Graph (``graph=True``) applies it.
    ``names[g]``: parameter names of group g (exact selectors); without them groups
    select ``group<g>.*`` (placeholders, to be edited).
    """
    if not groups:
        raise PlanError("groups", "the optimizer has no param groups")
    opt = optimizer_spec(optimizer, groups[0])
    scheds = group_schedules_from_spec(spec, len(groups), graph)
    pgs = []
    for i, (g, s) in enumerate(zip(groups, scheds)):
        base = float(g.get("initial_lr", g.get("lr", opt.lr)))
        wd = g.get("weight_decay")
        sel = tuple(names[i]) if names else (f"group{i}.*",)
        pgs.append(ParamGroup(
            name=f"group{i}", params=sel,
            lr=base if base != opt.lr else None,
            lr_scale=float(g.get("lr_scale", 1.0)) if graph else 1.0,
            weight_decay=float(wd) if wd is not None and wd != opt.resolved().get("weight_decay") else None,
            scheduler=None if s == scheds[0] else s,
        ))  # fmt: skip
    return Plan(optimizer=opt, groups=tuple(pgs), scheduler=scheds[0], horizon=horizon or Horizon())


# -- live OneFlow objects (OneFlow interpreter only) ------------------------------------------


def spec_of(scheduler, *, steps: int | None = None) -> dict:
    """The native spec of a live OneFlow scheduler (its constructor arguments, read back)."""
    name = type(scheduler).__name__
    a = scheduler.__dict__
    if name == "WarmupLR":
        inner = scheduler.schedulers[-1] if len(scheduler.schedulers) == 2 or scheduler.warmup_iters <= 0 else None
        kw = {k: a[k] for k in ("warmup_factor", "warmup_iters", "warmup_method", "warmup_prefix")}
        return {"class": name, "scheduler": spec_of(inner, steps=steps) if inner is not None else None, "kwargs": kw}
    if name == "SequentialLR":
        return {"class": name, "schedulers": [spec_of(s, steps=steps) for s in scheduler.schedulers],
                "kwargs": {"milestones": list(a["milestones"]), "interval_rescaling": list(a["interval_rescaling"])}}  # fmt: skip
    if name == "ChainedScheduler":
        return {"class": name, "schedulers": [spec_of(s, steps=steps) for s in scheduler.schedulers]}
    keys = {
        "StepLR": ("step_size", "gamma"), "MultiStepLR": ("milestones", "gamma"), "ConstantLR": ("factor", "total_iters"),
        "LinearLR": ("start_factor", "end_factor", "total_iters"), "ExponentialLR": ("gamma",),
        "CosineDecayLR": ("decay_steps", "alpha"), "CosineAnnealingLR": ("T_max", "eta_min"),
        "CosineAnnealingWarmRestarts": ("T_0", "T_mult", "eta_min", "decay_rate", "restart_limit"),
    }  # fmt: skip
    if name in keys:
        return {"class": name, "kwargs": {k: a[k] for k in keys[name]}}
    if name == "PolynomialLR":
        return {"class": name, "kwargs": {"decay_batch": a["max_decay_steps"], "end_learning_rate": a["end_learning_rate"],
                                          "power": a["power"], "cycle": a["cycle"]}}  # fmt: skip
    if name == "ReduceLROnPlateau":
        mins = [float(m) for m in a["min_lrs"]]  # per group: one ReduceOnPlateau each (group_schedules_from_spec)
        kw = {k: a[k] for k in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")}
        return {"class": name, "kwargs": {**kw, "min_lr": mins[0] if len(set(mins)) == 1 else mins}}
    if name == "LambdaLR":
        if steps is None:
            raise PlanError("steps", "LambdaLR holds a Python function: pass steps=N to import it as a table sampled over N steps")
        return {"class": "lrbridge.table", "lambdas": [[float(f(k)) for k in range(steps)] for f in scheduler.lr_lambdas]}
    raise PlanError("scheduler", f"cannot import OneFlow scheduler {name}; importable: {sorted(IMPORTABLE)}")


def _live_groups(optimizer) -> list[dict]:
    return [{k: v for k, v in pg.options.items() if k != "params"} for pg in optimizer.param_groups]


def _param_names(optimizer, model) -> list[list[str]] | None:
    if model is None:
        return None
    by_id = {id(p): n for n, p in model.named_parameters()}
    return [[by_id[id(p)] for p in pg.parameters if id(p) in by_id] for pg in optimizer.param_groups]


def _graph_model(g, flow, notes: list):
    """The module an nn.Graph holds (``self.model = model``), which names its parameters; None (placeholder
    selectors) when it holds several, said in a note."""
    modules = [block.to(flow.nn.Module) for block in g._blocks.values()]  # noqa: SLF001 - no public accessor
    if len(modules) == 1:
        return modules[0]
    if modules:
        notes.append(f"the nn.Graph holds {len(modules)} modules: pass model= to name the parameters "
                     "(groups select placeholders group<i>.*)")
    return None


def from_oneflow(obj, *, model=None, steps: int | None = None, graph: bool | None = None) -> ImportResult:
    """Import a OneFlow scheduler, optimizer or nn.Graph (with its optimizer and lr_sch) as a plan.

    ``graph``: whether the scheduler runs in nn.Graph (lr_scale applies, the kernel's
    sequential clock); default True for an nn.Graph, else False (eager ignores lr_scale).
    ``model``: names the parameters (exact selectors; an nn.Graph's own module when it holds one).
    ``steps``: the optimizer steps a run applies
    (the plan's horizon; a LambdaLR is sampled into a table over them).
    """
    from .live import PlanLR, flow

    notes: list[str] = []
    sched = optimizer = None
    if isinstance(obj, flow.nn.Graph):
        opts = obj._opts
        if len(opts) != 1:
            raise PlanError("graph", f"the nn.Graph has {len(opts)} optimizers; import each optimizer with its scheduler")
        optimizer, sched = opts[0]["optim"], opts[0].get("lr_sch")  # Graph.add_optimizer records plain dicts
        graph = True if graph is None else graph
        if model is None:
            model = _graph_model(obj, flow, notes)
    elif hasattr(obj, "param_groups"):
        optimizer = obj
    else:
        from lrbridge.errors import expect_type

        plateau = flow.optim.lr_scheduler.ReduceLROnPlateau  # no LRScheduler subclass in OneFlow 0.9
        expect_type(obj, (flow.optim.lr_scheduler._LRScheduler, plateau, flow.optim.Optimizer, flow.nn.Graph), "from_oneflow", "obj")
        sched, optimizer = obj, obj.optimizer
    graph = bool(graph)
    if isinstance(sched, PlanLR):
        notes.append("lrbridge.PlanLR: its own plan")
        return ImportResult(sched.plan, True, notes)
    groups = _live_groups(optimizer)
    if not graph and any("lr_scale" in g for g in groups):
        notes.append("eager ignores the groups' lr_scale; the plan applies what eager applies (lr_scale 1)")
    spec = spec_of(sched, steps=steps) if sched is not None else None
    exact, horizon = True, None
    if spec is not None and spec["class"] == "lrbridge.table":
        exact, horizon = False, Horizon(steps=steps, past="error")
        notes.append(f"LambdaLR sampled over {steps} steps as a relative table (exact over those steps only)")
        plan = plan_from_specs(groups, None, optimizer=type(optimizer).__name__, graph=graph,
                               names=_param_names(optimizer, model), horizon=horizon)  # fmt: skip
        tables = [Tabulated(values=tuple(v), relative=True, source=f"OneFlow LambdaLR sampled over {steps} steps") for v in spec["lambdas"]]
        if all(t == tables[0] for t in tables):
            return ImportResult(plan.model_copy(update={"scheduler": tables[0]}), exact, notes)
        pgs = tuple(g.model_copy(update={"scheduler": t}) for g, t in zip(plan.groups, tables))
        return ImportResult(plan.model_copy(update={"groups": pgs}), exact, notes)
    plan = plan_from_specs(groups, spec, optimizer=type(optimizer).__name__, graph=graph, names=_param_names(optimizer, model),
                           horizon=Horizon(steps=steps) if steps is not None else None)  # fmt: skip
    notes += _restart_notes(plan)
    if not graph and spec is not None and nests_composite(spec):
        notes.append(f"OneFlow 0.9 eager cannot step this {spec['class']}: a composite nested in it has no get_lr, so "
                     "step() raises NotImplementedError once that composite is in use (nn.Graph compiles it); the plan is "
                     "what it means, and to_oneflow runs it exactly as PlanLR")  # fmt: skip
    if type(optimizer).__name__ == "SGD" and groups[0].get("momentum", 0) > 0 and groups[0].get("dampening", 0) > 0:
        notes.append("OneFlow SGD dampens the first momentum step too; torch (the plan's convention) does not")
    return ImportResult(plan, exact, notes)


def _roundtrip(request) -> ImportResult:
    """to_oneflow(plan) on a fresh optimizer (in an nn.Graph for mode "graph"), then from_oneflow of it."""
    from lrbridge.io import plan_from_dict

    from .live import flow, to_oneflow

    plan = plan_from_dict(request["plan"])
    graph = request.get("mode", "eager") == "graph"
    params = [flow.nn.Parameter(flow.zeros(1)) for _ in plan.groups]
    optimizer = flow.optim.SGD([{"params": [p], "lr": 0.0} for p in params], momentum=0.0, weight_decay=0.0)
    sched = to_oneflow(plan, optimizer, graph=graph)
    if not graph:
        return from_oneflow(sched)

    class Holder(flow.nn.Graph):  # never compiled: add_optimizer only records the optimizer and lr_sch
        def __init__(self):
            super().__init__()
            self.add_optimizer(optimizer, lr_sch=sched)

        def build(self, x):
            return x

    return from_oneflow(Holder())


def _restart_notes(plan) -> list[str]:
    """OneFlow's warm restarts use a floating-point log: name the first step where it leaves the (exact) IR."""
    out = []
    for s in plan.schedules():
        for n in s.walk():
            bad = n.kind == "cosine_restarts" and restart_log_error_step(n.T_0, n.T_mult)
            if bad:
                out.append(
                    f"OneFlow's CosineAnnealingWarmRestarts(T_0={n.T_0}, T_mult={n.T_mult}) puts step {bad} in the "
                    "previous cycle (floating-point log); the imported plan restarts exactly there"
                )
    return out


def op_import(request):
    """Worker op ``import``: ``{"groups": [{"lr": ...}, ...], "scheduler": SPEC, "optimizer": "SGD", "graph": bool,
    "steps": N}`` -> ``{"plan": PLAN_DICT, "exact": bool, "notes": [...]}``.

    The spec is built with OneFlow first (its constructors validate it), then imported from the
    live objects. ``{"plan": PLAN_DICT, "mode": ...}`` instead round-trips: from_oneflow(to_oneflow(plan)).
    """
    from lrbridge.io import plan_to_dict

    from .live import build_scheduler, flow

    if "plan" in request:
        res = _roundtrip(request)
        return {"plan": plan_to_dict(res.plan), "exact": res.exact, "notes": res.notes}
    groups = request.get("groups") or [{"lr": 0.1}]
    params = [flow.nn.Parameter(flow.zeros(1)) for _ in groups]
    opt_cls = getattr(flow.optim, request.get("optimizer", "SGD"))
    optimizer = opt_cls([{"params": [p], **g} for p, g in zip(params, groups)])
    target = optimizer
    if request.get("scheduler") is not None:
        target = build_scheduler(request["scheduler"], optimizer)
    res = from_oneflow(target, steps=request.get("steps"), graph=bool(request.get("graph", False)))
    return {"plan": plan_to_dict(res.plan), "exact": res.exact, "notes": res.notes}


def op_import_entry(request):
    """Worker op ``import_entry``: ``{"source": "file.py:function", "steps": N, "steps_per_epoch": S}`` ->
    ``{"plan", "exact", "notes"}``. Runs the function the user named (a scheduler, an optimizer, an
    ``(optimizer, scheduler)`` tuple, the entry dict, or an nn.Graph) and imports what it returns.
    Logged lrs it returns (a list of numbers, one per group, or ``{group: [...]}``, e.g. what a OneFlow
    ``LambdaLR`` applied in the training loop) are recognised by ``from_trace``, as for any entry point."""
    from lrbridge.entry import _is_numbers, call_entry, unpack
    from lrbridge.io import plan_to_dict

    got = unpack(call_entry(request["source"]))
    target = got["target"]
    if _is_numbers(target):
        from lrbridge.recognize import from_trace

        res = from_trace(target, steps_per_epoch=request.get("steps_per_epoch"))
        notes = [f"read the lrs {request['source']} returned (in the OneFlow interpreter)", *res.notes]
        return {"plan": plan_to_dict(res.plan), "exact": res.exact, "notes": notes}
    if isinstance(target, (list, tuple)) and len(target) == 1:
        target = target[0]
    if got["interval"] not in ("step", ["step"], ("step",)):
        raise PlanError("source", "OneFlow schedulers imported from an entry point must be stepped after every update")
    res = from_oneflow(target, steps=request.get("steps"))
    notes = [f"imported live OneFlow objects from {request['source']} (in the OneFlow interpreter)", *res.notes]
    return {"plan": plan_to_dict(res.plan), "exact": res.exact, "notes": notes}
