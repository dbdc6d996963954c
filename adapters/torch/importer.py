"""PyTorch -> IR: ``from_torch(scheduler)`` imports what torch really does into a Plan.

Each torch scheduler is modelled by the IR node equal to its *stepped* behaviour
(``model_scheduler``); what has no closed form (LambdaLR, MultiplicativeLR, custom
CyclicLR scale functions, unknown subclasses, ChainedScheduler parts that do not
compose multiplicatively, ...) is tabulated over ``steps``: LambdaLR by calling
its lambdas (its lr is exactly base·λ(t)), everything else by stepping a copy of
the user's optimizer + scheduler (parameters replaced by empty tensors, so the
user's objects are never touched). When ``steps`` is given, a closed-form model
is also checked against a stepped copy (``verify``), and tabulated if it differs.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from lrbridge.errors import LrBridgeError, PlanError
from lrbridge.groups import ParamGroup
from lrbridge.optim import OPTIMIZER_HPARAMS, OptimizerSpec
from lrbridge.plan import Horizon, Plan
from lrbridge.schedules import (
    ByEpoch,
    Chained,
    ConstantFactor,
    CosineAnnealing,
    CosineWarmRestarts,
    Cyclic,
    Exponential,
    LinearRamp,
    MultiStep,
    OneCycle,
    Piecewise,
    Polynomial,
    ReduceOnPlateau,
    Sequential,
    Step,
    Tabulated,
)

from .capability import momentum_schedule
from .params import TORCH_OPTIMIZERS

#: relative error above which a closed-form model is rejected in favour of a table
VERIFY_RTOL = 1e-10


@dataclass
class ImportResult:
    """What ``from_torch`` returns.

    ``plan``: the imported plan. ``exact``: True when every schedule is modelled in
    closed form (valid at every step); False when some part is a table, exact
    only over the sampled steps (the plan's horizon then ends there, past: error).
    ``notes``: what was modelled how, and why.
    """

    plan: Plan
    exact: bool
    notes: list[str] = field(default_factory=list)


class NeedsTable(Exception):
    """A scheduler with no closed-form model; the reason goes into the notes."""


# ---------------------------------------------------------------- closed-form models


def _cls(s) -> str:
    return type(s).__name__


def _exact_type(s, name: str) -> bool:
    """True for torch's own class (a user subclass may change anything)."""
    import torch.optim.lr_scheduler as L

    return type(s) is getattr(L, name, None)


_MULTIPLICATIVE = ("StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR")
_SIMPLE = _MULTIPLICATIVE + ("CosineAnnealingLR", "CosineAnnealingWarmRestarts")


def _multistep(s):
    counts = Counter(s.milestones)
    marks = sorted(counts)
    if all(c == 1 for c in counts.values()):
        return MultiStep(milestones=tuple(marks), gamma=float(s.gamma))
    # a milestone listed n times decays by γ^n there (torch keeps a Counter)
    values, total = [1.0], 0
    for m in marks:
        total += counts[m]
        values.append(float(s.gamma) ** total)
    return Piecewise(boundaries=tuple(marks), values=tuple(values), relative=True)


def _simple(s):
    """Leaf scheduler whose lr is a function of last_epoch and base lr alone (same for every group)."""
    name = _cls(s)
    if name == "StepLR":
        return Step(step_size=int(s.step_size), gamma=float(s.gamma))
    if name == "MultiStepLR":
        return _multistep(s)
    if name == "ExponentialLR":
        return Exponential(gamma=float(s.gamma))
    if name == "ConstantLR":
        if s.total_iters == 0:  # torch never undoes the factor: b·factor forever
            return LinearRamp(start_factor=float(s.factor), end_factor=float(s.factor), total_iters=1)
        return ConstantFactor(factor=float(s.factor), total_iters=int(s.total_iters))
    if name == "LinearLR":
        if s.total_iters == 0:  # torch keeps b·start_factor forever
            return LinearRamp(start_factor=float(s.start_factor), end_factor=float(s.start_factor), total_iters=1)
        return LinearRamp(start_factor=float(s.start_factor), end_factor=float(s.end_factor), total_iters=int(s.total_iters))
    if name == "PolynomialLR":
        return Polynomial(total_iters=int(s.total_iters), power=float(s.power))
    if name == "CosineAnnealingLR":
        return CosineAnnealing(T_max=int(s.T_max), eta_min=float(s.eta_min))
    if name == "CosineAnnealingWarmRestarts":
        return CosineWarmRestarts(T_0=int(s.T_0), T_mult=int(s.T_mult), eta_min=float(s.eta_min))
    raise NeedsTable(f"{name} has no closed-form model")


def _recover(target: float, candidates, rebuild) -> float:
    """A 'nice' constructor argument x with rebuild(x) == target bit for bit (torch stores derived values)."""
    for x in candidates:
        if x and rebuild(x) == target:
            return x
    raise NeedsTable("its constructor arguments cannot be recovered exactly from the stored state")


def _nice(x: float):
    return [round(x, d) for d in (6, 9, 12)] + [x]


def _cyclic(s, ngroups):
    if s._scale_fn_custom is not None:
        raise NeedsTable("CyclicLR with a custom scale_fn")
    total, ratio = s.total_size, s.step_ratio
    up = round(total * ratio)
    if up < 1 or float(up) / total != ratio or total - up < 1:
        raise NeedsTable("CyclicLR step sizes are not whole steps")
    out = []
    for i in range(ngroups):
        c = Cyclic(
            base_lr=float(s.base_lrs[i]), max_lr=float(s.max_lrs[i]), step_size_up=int(up),
            step_size_down=int(total - up), mode=s.mode, gamma=float(s.gamma),
        )
        mom = None
        if s.cycle_momentum:
            mom = momentum_schedule(c, float(s.base_momentums[i]), float(s.max_momentums[i]))
        out.append((c, mom))
    return out


def _one_cycle(s, groups):
    n = s.total_steps
    phases = s._schedule_phases
    end0 = phases[0]["end_step"]
    pct = _recover(end0, _nice((end0 + 1) / n), lambda p: float(p * n) - 1)
    out = []
    for pg in groups:
        mx, ini, mn = float(pg["max_lr"]), float(pg["initial_lr"]), float(pg["min_lr"])
        div = _recover(ini, _nice(mx / ini), lambda d: mx / d)
        fdiv = _recover(mn, _nice(ini / mn) if mn else [], lambda d: ini / d)
        oc = OneCycle(
            total_steps=int(n), max_lr=mx, pct_start=float(pct), anneal_strategy=s._anneal_func_type,
            div_factor=float(div), final_div_factor=float(fdiv), three_phase=len(phases) == 3,
        )
        mom = None
        if s.cycle_momentum:
            lo, hi = float(pg["base_momentum"]), float(pg["max_momentum"])
            mom = momentum_schedule(oc, lo, hi)
            if mom.max_lr / mom.div_factor != hi:
                raise NeedsTable("OneCycleLR momentum bounds do not round-trip exactly")
        out.append((oc, mom))
    return out


def model_scheduler(s, ngroups: int, nsteps: int | None):
    """Per group: (lr schedule, momentum schedule or None) equal to torch's stepped behaviour, or NeedsTable."""
    name = _cls(s)
    if name == "ReduceLROnPlateau" and _exact_type(s, name):
        return [
            (ReduceOnPlateau(
                mode=s.mode, factor=float(s.factor), patience=int(s.patience), threshold=float(s.threshold),
                threshold_mode=s.threshold_mode, cooldown=int(s.cooldown), min_lr=float(s.min_lrs[i]), eps=float(s.eps),
            ), None)
            for i in range(ngroups)
        ]
    if name in _SIMPLE and _exact_type(s, name):
        return [(_simple(s), None)] * ngroups
    if name == "CyclicLR" and _exact_type(s, name):
        return _cyclic(s, ngroups)
    if name == "OneCycleLR" and _exact_type(s, name):
        return _one_cycle(s, s.optimizer.param_groups)
    if name == "SequentialLR" and _exact_type(s, name):
        for i, child in enumerate(s._schedulers):
            # a stage restarts through its closed form at local step 0: only leaf classes have one
            if _cls(child) not in _SIMPLE or not _exact_type(child, _cls(child)):
                raise NeedsTable(f"SequentialLR stage {i} ({_cls(child)}) does not restart in closed form")
        stages = [_simple(c) for c in s._schedulers]
        seq = Sequential(stages=tuple(stages), milestones=tuple(int(m) for m in s._milestones), clock="restart")
        return [(seq, None)] * ngroups
    if name == "ChainedScheduler" and _exact_type(s, name):
        parts = []
        for i, child in enumerate(s._schedulers):
            cname = _cls(child)
            ok = cname in _MULTIPLICATIVE and _exact_type(child, cname)
            # cosine's recursion is multiplicative only up to T_max (then it adds (b − η)(1 − cos(π/T))/2)
            cos_ok = (cname == "CosineAnnealingLR" and _exact_type(child, cname) and child.eta_min == 0
                      and nsteps is not None and nsteps - 1 <= child.T_max)
            if not (ok or cos_ok):
                raise NeedsTable(
                    f"ChainedScheduler part {i} ({cname}) does not compose multiplicatively through the optimizer's lr"
                )
            parts.append(_simple(child))
        return [(Chained(schedules=tuple(parts)), None)] * ngroups
    if name == "LambdaLR" and _exact_type(s, name):
        raise NeedsTable("LambdaLR: sampled λ")
    raise NeedsTable(f"{name} has no closed form (recursive or unknown): tabulated by stepping a copy")


# ---------------------------------------------------------------- tables


def _detached_copy(scheduler):
    """Deep copy of scheduler + optimizer with parameters and state tensors swapped for empty tensors."""
    import torch

    opt = scheduler.optimizer
    memo: dict = {}
    for pg in opt.param_groups:
        for p in pg["params"]:
            memo[id(p)] = torch.empty(0)
    for state in opt.state.values():
        for v in state.values():
            if isinstance(v, torch.Tensor):
                memo[id(v)] = torch.empty(0)
    return copy.deepcopy(scheduler, memo)


def _at_start(s) -> bool:
    kids = getattr(s, "_schedulers", None)
    if kids is not None and _cls(s) == "ChainedScheduler":
        return all(_at_start(k) for k in kids)
    return getattr(s, "last_epoch", 0) == 0


def stepped_lrs(scheduler, n: int, hparams=()):
    """lr of every group at scheduler steps 0..n−1 (float64, shape (groups, n)), from a stepped copy.

    Also ``{name: array}`` for ``hparams`` ("momentum", "beta1"). The scheduler must be
    at its start (as constructed); the user's objects are not touched.
    """
    if not _at_start(scheduler):
        raise LrBridgeError(
            f"{_cls(scheduler)} has already been stepped (last_epoch={getattr(scheduler, 'last_epoch', '?')}); "
            "sampling needs it as constructed: build a fresh one with the same arguments"
        )
    s = _detached_copy(scheduler)
    pgs = s.optimizer.param_groups
    out = np.empty((n, len(pgs)))
    hout = {h: np.empty((n, len(pgs))) for h in hparams}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()": intended here
        for t in range(n):
            out[t] = [float(pg["lr"]) for pg in pgs]
            for h, arr in hout.items():
                arr[t] = [float(pg["betas"][0] if h == "beta1" else pg[h]) for pg in pgs]
            if t + 1 < n:
                try:
                    s.step()
                except Exception as exc:
                    raise LrBridgeError(f"torch {_cls(scheduler)} raised at step {t + 1} while sampling it: {exc}") from None
    return out.T.copy(), {h: a.T.copy() for h, a in hout.items()}


def _lambda_tables(s, n: int):
    """LambdaLR: lr(t) = base·λ_i(t) exactly (its get_lr), so sample the lambdas, not the scheduler."""
    rows = []
    for fn in s.lr_lambdas:
        rows.append(tuple(float(fn(t)) for t in range(n)))
    return rows


# ---------------------------------------------------------------- groups and optimizer


def _selector(name: str) -> str:
    return "re:" + re.escape(name) if any(c in name for c in "*?[]") else name


def _import_groups(optimizer, model, notes):
    pgs = optimizer.param_groups
    names = [pg.get("name") if isinstance(pg.get("name"), str) else f"group{i}" for i, pg in enumerate(pgs)]
    if len(set(names)) != len(names):
        names = [f"group{i}" for i in range(len(pgs))]
    if model is not None:
        from .params import named_parameters

        by_id = {id(p): n for n, p in named_parameters(model)}
        selectors = []
        for i, pg in enumerate(pgs):
            unknown = [j for j, p in enumerate(pg["params"]) if id(p) not in by_id]
            if unknown:
                raise PlanError(f"param_groups[{i}]", f"holds parameters not in the given model (positions {unknown})")
            selectors.append(tuple(_selector(by_id[id(p)]) for p in pg["params"]))
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
    if canon is None:
        raise LrBridgeError(f"optimizer {name} is not mapped; supported: {', '.join(TORCH_OPTIMIZERS.values())}")
    for flag in ("maximize", "differentiable"):
        if d.get(flag):
            notes.append(f"optimizer {flag}=True is not part of a plan (schedule-only import)")
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
        cap = (scheduler.total_steps + 1) * spe  # torch raises on the step after total_steps + 1 steps
        if steps is not None and steps > cap:
            raise LrBridgeError(
                f"OneCycleLR(total_steps={scheduler.total_steps}) cannot run {steps} optimizer steps; "
                f"torch raises after {cap}"
            )
    try:
        pairs = model_scheduler(scheduler, ng, nsched)
        notes.append(f"{_cls(scheduler)}: modelled in closed form ({_describe(pairs)})")
        if verify and nsched is not None:
            pairs = _verified(scheduler, pairs, nsched, mom_key, notes)
            exact = not any(p[0].kind == "tabulated" for p in pairs)
    except NeedsTable as why:
        if nsched is None:
            raise LrBridgeError(
                f"{_cls(scheduler)} must be sampled into a table ({why}); pass steps=<number of optimizer steps> to from_torch"
            ) from None
        pairs = _tabulate(scheduler, nsched, mom_key, str(why), notes)
        exact = False
    if not exact:
        horizon = _table_horizon(steps)
    if _cls(scheduler) == "OneCycleLR" and exact:
        horizon = Horizon(steps=cap, past="error")  # past it torch raises: so does the plan
    if spe > 1:
        pairs = [(ByEpoch(schedule=s, steps_per_epoch=spe, cadence="epoch"),
                  None if m is None else ByEpoch(schedule=m, steps_per_epoch=spe, cadence="epoch")) for s, m in pairs]
        notes.append(f"scheduler stepped once per epoch of {spe} optimizer steps: wrapped in by_epoch")
    plan = _assemble(optimizer, pairs, mom_key, model, horizon, notes)
    return ImportResult(plan=plan, exact=exact, notes=notes)


def _describe(pairs) -> str:
    kinds = sorted({p[0].kind for p in pairs})
    return ", ".join(kinds)


def _verified(scheduler, pairs, n, mom_key, notes):
    """Compare the closed-form model with torch stepping a copy over n steps; tabulate on mismatch."""
    if pairs[0][0].kind == "reduce_on_plateau":
        return pairs
    if not _at_start(scheduler):
        notes.append("not verified by stepping: the scheduler has already been stepped")
        return pairs
    cycled = any(m is not None for _, m in pairs)
    lrs, hp = stepped_lrs(scheduler, n, (mom_key,) if cycled else ())
    k = np.arange(n, dtype=np.float64)
    worst = 0.0
    for i, (s, m) in enumerate(pairs):
        base = float(scheduler.optimizer.param_groups[i].get("initial_lr", lrs[i, 0]))
        for model_curve, real in [(s.lr(k, base), lrs[i])] + ([(m.lr(k, 0.0), hp[mom_key][i])] if m is not None else []):
            scale = np.where(real != 0, np.abs(real), 1.0)
            worst = max(worst, float(np.max(np.abs(model_curve - real) / scale)))
    if worst > VERIFY_RTOL:
        notes.append(f"closed-form model differed from torch by {worst:.3g} (relative) within {n} steps: tabulated instead")
        return _tables_from(lrs, hp, mom_key, f"torch {_cls(scheduler)} stepped over {n} steps")
    notes.append(f"verified against torch stepping a copy over {n} steps: worst relative difference {worst:.2g}")
    return pairs


def _tables_from(lrs, hp, mom_key, source):
    out = []
    for i in range(lrs.shape[0]):
        t = Tabulated(values=tuple(lrs[i].tolist()), source=source)
        m = None
        if mom_key in hp and np.ptp(hp[mom_key][i]) > 0:
            m = Tabulated(values=tuple(hp[mom_key][i].tolist()), source=source)
        out.append((t, m))
    return out


def _tabulate(scheduler, n, mom_key, why, notes):
    if _cls(scheduler) == "LambdaLR" and _exact_type(scheduler, "LambdaLR"):
        rows = _lambda_tables(scheduler, n)
        notes.append(f"LambdaLR: tabulated λ(t) for t < {n} (relative to each group's base lr; torch's lr is base·λ(t))")
        src = f"torch LambdaLR sampled over {n} steps"
        return [(Tabulated(values=r, relative=True, source=src), None) for r in rows]
    notes.append(f"{_cls(scheduler)}: tabulated by stepping a copy over {n} steps ({why})")
    lrs, hp = stepped_lrs(scheduler, n, (mom_key,) if _has_key(scheduler, mom_key) else ())
    return _tables_from(lrs, hp, mom_key, f"torch {_cls(scheduler)} stepped over {n} steps")


def _has_key(scheduler, key):
    pg = scheduler.optimizer.param_groups[0]
    return ("betas" in pg) if key == "beta1" else (key in pg)


def _assemble(optimizer, pairs, mom_key, model, horizon, notes) -> Plan:
    spec = _optimizer_spec(optimizer, notes)
    names, selectors = _import_groups(optimizer, model, notes)
    accepted = OPTIMIZER_HPARAMS[spec.name]
    defaults = spec.resolved()
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
            weight_decay=wd if wd != float(defaults.get("weight_decay", 0.0)) else None,
            hparams=hp, scheduler=None if s == shared else s, hparam_schedulers=scheduled,
        ))
    return Plan(optimizer=spec, groups=tuple(groups), scheduler=shared, horizon=horizon)


__all__ = ["ImportResult", "from_torch", "model_scheduler", "stepped_lrs"]
