"""PyTorch -> IR: ``from_torch(scheduler)`` imports what torch really does into a Plan.

Each torch scheduler is modelled by the IR node equal to its *stepped* behaviour
(``model_scheduler``); what has no closed form (LambdaLR, MultiplicativeLR, custom
CyclicLR scale functions, unknown subclasses, ChainedScheduler parts that do not
compose multiplicatively, ...) is tabulated over ``steps``: LambdaLR by calling
its lambdas (its lr is exactly base·λ(t)), everything else by stepping a copy of
the user's optimizer + scheduler (parameters replaced by empty tensors, so the
user's objects are never touched). When ``steps`` is given, a closed-form model
is also checked against a stepped copy (``verify``), and tabulated if it differs.

A param group whose lr is a float32 tensor (``lr=torch.tensor(0.5)``) is computed by
torch in float32: its plan group says ``lr_dtype: float32`` (the reference rounds it
to float32), and the closed form is kept when torch's stepped float32 lrs are within
``tables.F32_ULP_BOUND`` ulps of it; a float32 recursion that drifts further is tabulated.

Modelling lives in ``closed_form.py`` and stepping/tabulation in ``tables.py``;
this module reads the optimizer and its param groups and assembles the plan.
"""

from __future__ import annotations


from lrbridge.errors import LrBridgeError, PlanError, expect_type
from lrbridge.groups import ParamGroup, exact_selector
from lrbridge.optim import OPTIMIZER_HPARAMS, OptimizerSpec, external_name, plain_hparam
from lrbridge.plan import Horizon, ImportResult, Plan
from lrbridge.schedules import ByEpoch, Constant

from .closed_form import NeedsTable, _cls, chained_model, model_scheduler
from .params import TORCH_OPTIMIZERS
from .tables import (F32_ULP_BOUND, VERIFY_RTOL, _at_start, _recognised, _tabulate, _ulps, _verified, check_resumed,
                     lr_is_float32, stepped_lrs)


# ---------------------------------------------------------------- groups and optimizer


def _import_groups(optimizer, model, notes):
    pgs = optimizer.param_groups
    names = [pg.get("name") if isinstance(pg.get("name"), str) else f"group{i}" for i, pg in enumerate(pgs)]
    if len(set(names)) != len(names):
        notes.append(f"param group names {names} repeat; the plan names the groups by position (group0, group1, ...)")
        names = [f"group{i}" for i in range(len(pgs))]
    if model is not None:
        from .params import named_parameters

        by_id = {id(p): n for n, p in named_parameters(model)}
        selectors = []
        for i, pg in enumerate(pgs):
            unknown = [j for j, p in enumerate(pg["params"]) if id(p) not in by_id]
            if unknown:
                raise PlanError(f"param_groups[{i}]", f"holds parameters not in the given model (positions {unknown})")
            selectors.append(tuple(exact_selector(by_id[id(p)]) for p in pg["params"]))
        return names, selectors
    if len(pgs) == 1:
        return names, [None]
    notes.append("no model given: group selectors are placeholders '<group>.*'; pass model= for exact parameter names")
    return names, [(f"{n}.*",) for n in names]


def _optimizer_spec(optimizer, notes):
    name = _cls(optimizer)
    canon = {v: k for k, v in TORCH_OPTIMIZERS.items()}.get(name)
    d = optimizer.defaults
    if name == "Adam" and d.get("decoupled_weight_decay"):
        canon = "adamw"
    for flag in ("maximize", "differentiable"):
        if d.get(flag):
            notes.append(f"optimizer {flag}=True is not part of a plan (schedule-only import)")
    if canon is None:
        # a class lrbridge does not build (timm's Lamb, apex's FusedLAMB, ...): its schedule and groups port,
        # its numeric defaults are recorded as given
        notes.append(f"optimizer {name} is recorded as external:{name} (lrbridge ports its schedule and groups "
                     "but builds no such optimizer)")
        neutral = ("lr", "foreach", "fused", "capturable", "differentiable")  # change no update
        hp = {k: _plain(v) for k, v in d.items() if k not in neutral and plain_hparam(v)}
        return OptimizerSpec(name=external_name(name), lr=float(d["lr"]), hparams=hp)
    accepted = OPTIMIZER_HPARAMS[canon]
    hp = {k: _plain(d[k]) for k in accepted if k in d and _plain(d[k]) != _plain(accepted[k])}
    return OptimizerSpec(name=canon, lr=float(d["lr"]), hparams=hp)


def _plain(v):
    if isinstance(v, (tuple, list)):
        return [float(x) for x in v]
    if hasattr(v, "item"):
        return v.item()
    return v


# ---------------------------------------------------------------- from_torch


def _table_horizon(n_opt: int) -> Horizon:
    return Horizon(steps=n_opt, past="error")


def from_torch(scheduler, *, steps: int | None = None, interval: str = "step", steps_per_epoch: int | None = None,
               model=None, verify: bool = True) -> ImportResult:
    """Import a torch scheduler (and its optimizer's param groups) as an ``ImportResult``.

    ``steps``: optimizer steps to cover (needed to tabulate; also the plan's horizon).
    ``interval``: "step" when ``scheduler.step()`` runs after every optimizer step,
    "epoch" when once per epoch of ``steps_per_epoch`` optimizer steps (the schedule
    is then wrapped in ``ByEpoch``). ``model``: gives groups exact parameter selectors.
    ``verify``: with ``steps``, check closed-form models against a stepped copy.
    """
    import torch

    if isinstance(scheduler, (list, tuple)):
        return _from_several(list(scheduler), steps=steps, interval=interval, steps_per_epoch=steps_per_epoch, model=model)
    expect_type(scheduler, torch.optim.lr_scheduler.LRScheduler, "from_torch", "scheduler",
                "pass the scheduler built on your optimizer (e.g. StepLR(optimizer, 10)), not its name, optimizer or model")
    if steps is not None:
        expect_type(steps, int, "from_torch", "steps")
    if interval not in ("step", "epoch"):
        raise PlanError("interval", f"must be 'step' or 'epoch', got {interval!r}")
    if interval == "epoch" and not (isinstance(steps_per_epoch, int) and steps_per_epoch >= 1):
        raise PlanError("steps_per_epoch", "interval 'epoch' needs steps_per_epoch, a positive int")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        raise PlanError("steps", f"must be a positive int (optimizer steps), got {steps!r}")
    spe = steps_per_epoch if interval == "epoch" else 1
    nsched = None if steps is None else -(-steps // spe)  # scheduler steps covering `steps` optimizer steps
    optimizer = scheduler.optimizer
    notes: list[str] = []
    pgs = optimizer.param_groups
    ng = len(pgs)
    mom_key = "beta1" if "betas" in optimizer.defaults else "momentum"
    exact, horizon = True, Horizon(steps=steps)
    if _cls(scheduler) == "OneCycleLR":
        # a training run of total_steps optimizer steps (the natural loop's last scheduler.step() computes
        # step total_steps, which is never applied): the horizon of the import is the steps a run applies
        cap = scheduler.total_steps * spe
        if steps is not None and steps > cap:
            raise LrBridgeError(
                f"OneCycleLR(total_steps={scheduler.total_steps}) cannot run {steps} optimizer steps in a training "
                f"loop; torch raises at the scheduler step after {cap}"
            )
    from_state = True  # modelled from the scheduler's state (not sampled)
    try:
        pairs = model_scheduler(scheduler, ng, nsched)
        notes.append(f"{_cls(scheduler)}: modelled in closed form ({_describe(pairs)})")
        if not _at_start(scheduler):
            check_resumed(scheduler, pairs, notes)  # resumed: the held lrs must be the model's at last_epoch
        if verify and nsched is not None:
            pairs = _verified(scheduler, pairs, nsched, mom_key, notes)
            exact = not any(p[0].kind == "tabulated" for p in pairs)
        elif any(lr_is_float32(pg) for pg in pgs):
            notes.append("float32 tensor lrs: torch computes them in float32 (plan groups lr_dtype float32); not "
                         "verified by stepping (give steps=): a recursive class may drift from the closed form")
    except NeedsTable as why:
        if nsched is None:
            raise LrBridgeError(
                f"{_cls(scheduler)} must be sampled into a table ({why}); pass steps=<number of optimizer steps> to from_torch"
            ) from None
        from_state = False
        pairs = _tabulate(scheduler, nsched, mom_key, str(why), notes)
        pairs, exact = _recognised(scheduler, pairs, nsched, notes)  # standard shapes come back closed-form
    if not exact:
        horizon = _table_horizon(steps)
        if any(lr_is_float32(pg) for pg in pgs):
            notes.append("float32 tensor lrs: torch computes them in float32; the tables hold torch's own float32 lrs "
                         "(plan groups lr_dtype float32)")
    if _cls(scheduler) == "OneCycleLR" and exact:
        horizon = Horizon(steps=cap, past="error")  # past it torch raises: so does the plan
    if exact and from_state and _cls(scheduler) == "ChainedScheduler" and _cosine_in(scheduler._schedulers):
        horizon = _cosine_chain_horizon(steps, notes)
    if spe > 1:
        pairs = [(ByEpoch(schedule=s, steps_per_epoch=spe, cadence="epoch"),
                  None if m is None else ByEpoch(schedule=m, steps_per_epoch=spe, cadence="epoch")) for s, m in pairs]
        notes.append(f"scheduler stepped once per epoch of {spe} optimizer steps: wrapped in by_epoch")
    plan = _assemble(optimizer, pairs, mom_key, model, horizon, notes)
    return ImportResult(plan=plan, exact=exact, notes=notes)


def _describe(pairs) -> str:
    kinds = sorted({p[0].kind for p in pairs})
    return ", ".join(kinds)


def _assemble(optimizer, pairs, mom_key, model, horizon, notes) -> Plan:
    spec = _optimizer_spec(optimizer, notes)
    names, selectors = _import_groups(optimizer, model, notes)
    defaults = spec.resolved()
    accepted = OPTIMIZER_HPARAMS.get(spec.name, defaults)
    shared = pairs[0][0]
    groups = []
    for i, pg in enumerate(optimizer.param_groups):
        s, m = pairs[i]
        scheduled = {mom_key: m} if m is not None else {}
        skip = {"momentum"} if "momentum" in scheduled else {"betas"} if "beta1" in scheduled else set()
        hp = {}
        for key in accepted:
            if key in pg and key != "weight_decay" and key not in skip and _plain(pg[key]) != _plain(defaults[key]):
                hp[key] = _plain(pg[key])
        wd = float(pg.get("weight_decay", 0.0))
        base = float(pg.get("initial_lr", pg["lr"]))
        groups.append(ParamGroup(
            name=names[i], params=selectors[i] or (), rest=selectors[i] is None, lr=base,
            lr_dtype="float32" if lr_is_float32(pg) else "float64",
            weight_decay=wd if wd != float(defaults.get("weight_decay", 0.0)) else None,
            hparams=hp, scheduler=None if s == shared else s, hparam_schedulers=scheduled,
        ))
    return Plan(optimizer=spec, groups=tuple(groups), scheduler=shared, horizon=horizon)


def _from_several(schedulers, *, steps, interval, steps_per_epoch, model) -> ImportResult:
    """Several schedulers stepped together on one optimizer (torch's compound pattern), each at its interval.

    Their joint effect is what the training loop applies: traced on copies. Stepped after every
    update, torch's multiplicative classes compose as a ChainedScheduler of them does: their
    ``Chained`` product, kept when it reproduces the trace (``_compound_product``). Otherwise the
    trace is recognised (closed form where one reproduces every step, else a table over ``steps``).
    ReduceLROnPlateau (an ``LRScheduler`` subclass, whose step takes a metric) is refused.
    """
    import torch

    from lrbridge.tracing import trace

    if not schedulers:
        raise PlanError("scheduler", "an empty list of schedulers")
    plateau_hint = "ReduceLROnPlateau depends on the metrics of a run: import it alone, or trace a recorded run"
    for i, s in enumerate(schedulers):
        expect_type(s, torch.optim.lr_scheduler.LRScheduler, "from_torch", f"scheduler[{i}]", plateau_hint)
        if isinstance(s, torch.optim.lr_scheduler.ReduceLROnPlateau):  # an LRScheduler subclass since torch 2.2
            raise PlanError(f"scheduler[{i}]", plateau_hint)
    optimizer = schedulers[0].optimizer
    if any(s.optimizer is not optimizer for s in schedulers):
        raise PlanError("scheduler", "the schedulers drive different optimizers; import each optimizer's own")
    if steps is None:
        raise PlanError("steps", "several schedulers are imported by tracing them: give steps (optimizer updates)")
    bases = [float(pg.get("initial_lr", pg["lr"])) for pg in optimizer.param_groups]
    traced = trace(schedulers, steps, interval=interval, steps_per_epoch=steps_per_epoch, hparams=())
    chained = _compound_product(schedulers, traced, interval)
    if chained is not None:
        notes = [f"{len(schedulers)} schedulers stepped together ({', '.join(_cls(x) for x in schedulers)}) after every "
                 f"optimizer step: their product in closed form (chained, as ChainedScheduler), verified against a "
                 f"trace of {steps} steps"]
        horizon = _cosine_chain_horizon(steps, notes) if _cosine_in(schedulers) else Horizon(steps=steps)
        plan = _assemble(optimizer, [(chained, None)] * len(bases), "momentum", model, horizon, notes)
        return ImportResult(plan=plan, exact=True, notes=notes)
    recognised = traced.recognize(base_lr=bases)
    notes = [f"{len(schedulers)} schedulers stepped together ({', '.join(_cls(x) for x in schedulers)}): traced "
             "on copies and recognised", *recognised.notes]
    # the optimizer's groups (names, selectors, hyperparameters) around the recognised lr of each
    frame = _assemble(optimizer, [(Constant(), None)] * len(bases), "momentum", model, Horizon(), notes)
    groups = tuple(g.model_copy(update={"lr": r.lr if r.lr is not None else recognised.plan.optimizer.lr,
                                        "scheduler": recognised.plan.group_schedule(r)})
                   for g, r in zip(frame.groups, recognised.plan.groups))
    horizon = Horizon(steps=steps) if recognised.exact else _table_horizon(steps)
    plan = frame.model_copy(update={"groups": groups, "scheduler": Constant(), "horizon": horizon})
    return ImportResult(plan=plan, exact=recognised.exact, notes=notes)


def _cosine_in(schedulers) -> bool:
    return any(_cls(s) == "CosineAnnealingLR" for s in schedulers)


def _cosine_chain_horizon(steps: int, notes) -> Horizon:
    """A chained CosineAnnealingLR multiplies the lr only through T_max (``chained_model`` admits it for
    imports of at most T_max + 1 steps); past it torch adds a term the product does not: the plan holds
    for the steps imported and says so (past: error), rather than continue on another curve."""
    notes.append(f"a chained CosineAnnealingLR is a product only through T_max: the plan holds for the {steps} "
                 "steps imported (past: error)")
    return Horizon(steps=steps, past="error")


def _compound_product(schedulers, traced, interval):
    """Several torch classes stepped after every update compose as a ChainedScheduler of them does.

    The ``Chained`` closed form where every one is multiplicative (``chained_model``) and it
    reproduces the traced lrs (relative ``VERIFY_RTOL``; float32 tensor lrs within
    ``F32_ULP_BOUND`` ulps), else None (the trace is recognised or tabulated).
    """
    import numpy as np

    intervals = interval if isinstance(interval, (list, tuple)) else [interval]
    if any(iv != "step" for iv in intervals) or not all(_at_start(s) for s in schedulers):
        return None
    try:
        chained = chained_model(schedulers, traced.steps, "scheduler")
    except NeedsTable:
        return None
    k = np.arange(traced.steps, dtype=np.float64)
    for pg, base, real in zip(schedulers[0].optimizer.param_groups, traced.base_lrs, traced.lr):
        curve = chained.lr(k, float(base))
        if lr_is_float32(pg):
            if _ulps(curve, real)[0] > F32_ULP_BOUND:
                return None
            continue
        scale = np.where(real != 0, np.abs(real), 1.0)
        if float(np.max(np.abs(curve - real) / scale)) > VERIFY_RTOL:
            return None
    return chained


__all__ = ["ImportResult", "from_torch", "model_scheduler", "stepped_lrs"]


def import_live(obj, *, steps=None, interval="step", steps_per_epoch=None, **_) -> ImportResult:
    """What ``file.py:function`` sources return, for the registry: a scheduler, or several on one optimizer."""
    if isinstance(obj, (list, tuple)) and len(obj) == 1:
        obj = obj[0]
    if isinstance(interval, (list, tuple)) and len(interval) == 1:
        interval = interval[0]
    return from_torch(obj, steps=steps, interval=interval, steps_per_epoch=steps_per_epoch)
