"""Which torch scheduler expresses a plan: torch's own class, or lrbridge's closed form. Framework-free.

``native_recipe(plan)`` describes the torch scheduler that reproduces the plan
*at every step for every group* as plain data, or says why none does:

    {"cls": "StepLR", "kwargs": {...}}
    {"cls": "SequentialLR", "schedulers": [recipe, ...], "milestones": [...]}
    {"cls": "ChainedScheduler", "schedulers": [recipe, ...]}

plus, at the top level, ``initial_lrs`` (the base lr torch must see per group,
lr_scale folded in). Anything else runs as ``PlanLR`` (closed form,
exact for every evaluable plan). Only ``ReduceOnPlateau`` has no closed form,
so it is the only thing torch can fail to express.

The rules below are torch's real stepped behaviour (``torch/optim/lr_scheduler.py``):
- a native class reads ``initial_lr`` per group, so lr_scale folds into it only
  where the schedule just multiplies its base (``is_scale_equivariant``);
- absolute values (``eta_min``, Cyclic/OneCycle bounds) are one per class, or
  per-group lists where torch takes them (CyclicLR, OneCycleLR);
- ``ConstantLR`` needs 0 < factor ≤ 1 (factor 0 divides by zero at total_iters)
  and ``LinearLR`` 0 < start ≤ 1, 0 ≤ end ≤ 1; with total_iters = 0 both keep
  b·factor forever, unlike the IR, so only the trivial case maps;
- ``SequentialLR`` restarts a stage through its closed form at local step 0, which
  only leaf schedulers have (a nested Sequential/Chained stage raises in torch),
  and CyclicLR/OneCycleLR rewrite ``initial_lr``/``lr`` when built, so they stay out;
- ``ChainedScheduler`` composes recursions through the current lr, equal to the
  product of closed forms only for purely multiplicative recursions (StepLR,
  MultiStepLR, ExponentialLR, ConstantLR, LinearLR, PolynomialLR);
  CosineAnnealingLR adds (b − η)(1 − cos(π/T))/2 past T_max and is excluded;
- ``OneCycleLR`` raises past total_steps, so it never runs a ``continue`` plan, and natives
  have no ``hold``/``error`` policy: it always runs as the closed form.

These rules only propose a class (``proposed_recipe``, framework-free: ``check``
reports it). The choice is a *verified* property (``native_recipe``, through
``verify_recipe``, which imports torch): the proposed class is built on a tiny
optimizer and stepped over the plan's horizon (plus twice the family's
characteristic lengths, so past every threshold), and emitted only when every
applied lr (and scheduled momentum) equals the reference in float32, torch's
applied precision (0 ulp; a group with ``lr_dtype: float32`` holds a float32 tensor lr
there, so the class's recursion runs in float32 as it will for the user); otherwise, or past ``VERIFY_CAP`` steps, or without
torch, the closed form. ``to_torch`` and the generated code use it; both are exact.
"""

from __future__ import annotations

import functools

from lrbridge.capability import CheckResult
from lrbridge.rules import lr_scale_fold_problem, plateau_kwargs, plateau_problems
from lrbridge.stepping import VERIFY_CAP, first_difference, verify_steps  # shared with OneFlow's verification

MODES = ("eager",)

#: leaf kinds whose torch recursion is lr ← lr·r(t), so ChainedScheduler multiplies them
_MULTIPLICATIVE = {"constant", "constant_factor", "linear", "step", "multistep", "exponential", "polynomial"}
#: leaf kinds that may be SequentialLR stages
_STAGE_KINDS = _MULTIPLICATIVE | {"cosine", "cosine_restarts"}


class NoNative(Exception):
    """Why no torch class reproduces a (sub)schedule; the closed form is used instead."""


def leaf_recipe(s) -> dict:
    """Recipe of the torch class equal to leaf schedule ``s`` for any base lr, or NoNative."""
    kind = s.kind
    if kind == "constant":
        return {"cls": "ConstantLR", "kwargs": {"factor": 1.0, "total_iters": 0}}
    if kind == "constant_factor":
        if s.factor == 1.0 or s.total_iters == 0:
            return {"cls": "ConstantLR", "kwargs": {"factor": 1.0, "total_iters": 0}}
        if not 0.0 < s.factor <= 1.0:
            raise NoNative(f"torch ConstantLR needs 0 < factor <= 1, got {s.factor}")
        return {"cls": "ConstantLR", "kwargs": {"factor": s.factor, "total_iters": s.total_iters}}
    if kind == "linear":
        if s.total_iters == 0:
            if s.end_factor == 1.0:
                return {"cls": "ConstantLR", "kwargs": {"factor": 1.0, "total_iters": 0}}
            raise NoNative("torch LinearLR with total_iters=0 keeps start_factor, the IR applies end_factor")
        if not (0.0 < s.start_factor <= 1.0 and 0.0 <= s.end_factor <= 1.0):
            raise NoNative(
                f"torch LinearLR needs 0 < start_factor <= 1 and 0 <= end_factor <= 1, "
                f"got {s.start_factor}, {s.end_factor}"
            )
        kw = {"start_factor": s.start_factor, "end_factor": s.end_factor, "total_iters": s.total_iters}
        return {"cls": "LinearLR", "kwargs": kw}
    if kind == "step":
        return {"cls": "StepLR", "kwargs": {"step_size": s.step_size, "gamma": s.gamma}}
    if kind == "multistep":
        return {"cls": "MultiStepLR", "kwargs": {"milestones": list(s.milestones), "gamma": s.gamma}}
    if kind == "exponential":
        if s.decay_steps == 1:
            return {"cls": "ExponentialLR", "kwargs": {"gamma": s.gamma}}
        if s.staircase:
            return {"cls": "StepLR", "kwargs": {"step_size": s.decay_steps, "gamma": s.gamma}}
        raise NoNative("torch has no continuous exponential decay over decay_steps > 1")
    if kind == "polynomial":
        if s.cycle or s.end_lr != 0.0:
            raise NoNative("torch PolynomialLR has neither cycle nor end_lr")
        return {"cls": "PolynomialLR", "kwargs": {"total_iters": s.total_iters, "power": s.power}}
    if kind == "cosine":
        return {"cls": "CosineAnnealingLR", "kwargs": {"T_max": s.T_max, "eta_min": s.eta_min}}
    if kind == "cosine_restarts":
        if s.decay_rate != 1.0 or s.restart_limit:
            raise NoNative("torch CosineAnnealingWarmRestarts has neither decay_rate nor restart_limit")
        return {"cls": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": s.T_0, "T_mult": s.T_mult, "eta_min": s.eta_min}}
    raise NoNative(f"torch has no class for '{kind}'")


def schedule_recipe(s) -> dict:
    """Recipe for a schedule shared by every group (composites included), or NoNative."""
    if s.kind == "sequential":
        if s.clock != "restart":
            raise NoNative("torch SequentialLR restarts each stage's clock; clock 'global' has no torch class")
        for i, stage in enumerate(s.stages):
            if stage.kind not in _STAGE_KINDS:
                raise NoNative(f"SequentialLR stage {i} '{stage.kind}' cannot restart natively")
        return {"cls": "SequentialLR", "schedulers": [leaf_recipe(st) for st in s.stages], "milestones": list(s.milestones)}
    if s.kind == "chained":
        for i, part in enumerate(s.schedules):
            if part.kind not in _MULTIPLICATIVE:
                raise NoNative(f"ChainedScheduler part {i} '{part.kind}' does not compose multiplicatively in torch")
        return {"cls": "ChainedScheduler", "schedulers": [leaf_recipe(p) for p in s.schedules]}
    return leaf_recipe(s)


def _absolute_recipe(plan, schedules) -> dict:
    """CyclicLR: per-group absolute bounds as torch's per-group lists (OneCycleLR never runs a plan: see above)."""
    first = schedules[0]
    if first.kind == "one_cycle":
        raise NoNative(
            f"torch OneCycleLR raises past total_steps={first.total_steps}, and the plan continues "
            "(natives have no 'hold'/'error' horizon policy)"
        )
    shared = ("step_size_up", "step_size_down", "mode", "gamma")
    per_group = ("base_lr", "max_lr")
    for s in schedules:
        if s.kind != first.kind or any(getattr(s, f) != getattr(first, f) for f in shared):
            raise NoNative(f"groups follow different {first.kind} schedules")
    kw = {f: getattr(first, f) for f in shared}
    for f in per_group:
        kw[f] = [getattr(s, f) for s in schedules]
    kw.update(_momentum_kwargs(plan, schedules))
    return {"cls": "CyclicLR", "kwargs": kw}


def momentum_schedule(s, base_momentum: float, max_momentum: float):
    """The momentum schedule torch's CyclicLR/OneCycleLR apply alongside lr schedule ``s``.

    CyclicLR: max_m − (max_m − base_m)·scale·f = Cyclic(base_lr=max_m, max_lr=base_m).
    OneCycleLR: max_m → base_m (at the lr peak) → max_m = OneCycle(max_lr=base_m,
    div_factor=base_m/max_m, final_div_factor=1).
    """
    if s.kind == "cyclic":
        return s.model_copy(update={"base_lr": max_momentum, "max_lr": base_momentum})
    return s.model_copy(update={"max_lr": base_momentum, "div_factor": base_momentum / max_momentum, "final_div_factor": 1.0})


def _momentum_kwargs(plan, schedules) -> dict:
    """cycle_momentum and its bounds, when every group's momentum schedule is torch's own."""
    scheduled = [g.hparam_schedulers for g in plan.groups]
    if not any(scheduled):
        return {"cycle_momentum": False}
    key = plan.optimizer.cycled_hparam
    base, top = [], []
    for g, s, hs in zip(plan.groups, schedules, scheduled):
        m = hs.get(key)
        if set(hs) != {key} or m is None or m.kind != s.kind:
            raise NoNative(f"group '{g.name}': scheduled hyperparameters {sorted(hs)} are not torch's {key} cycling")
        lo, hi = (m.max_lr, m.base_lr) if s.kind == "cyclic" else (m.max_lr, m.max_lr / m.div_factor)
        if m != momentum_schedule(s, lo, hi):
            raise NoNative(f"group '{g.name}': its {key} schedule is not the one torch cycles with the lr")
        base.append(lo)
        top.append(hi)
    return {"cycle_momentum": True, "base_momentum": base, "max_momentum": top}


def _holds_as_class(plan) -> bool:
    """A ``hold`` plan whose lr is constant from a step ≤ N − 1 on: holding is continuing, which a class does."""
    return plan.horizon.past == "hold" and plan.holds_as_it_continues()


def proposed_recipe(plan) -> dict:
    """The torch class the rules above propose for ``plan`` (not yet verified), or NoNative."""
    if plan.horizon.past != "continue" and plan.horizon.steps is not None and not _holds_as_class(plan):
        raise NoNative(f"torch classes have no horizon policy '{plan.horizon.past}'")
    schedules = [plan.group_schedule(g) for g in plan.groups]
    bases = [plan.group_base_lr(g) for g in plan.groups]
    scales = [g.lr_scale for g in plan.groups]
    if schedules[0].kind in ("one_cycle", "cyclic"):
        if any(c != 1.0 for c in scales):
            raise NoNative("lr_scale on absolute cyclic bounds")
        recipe = _absolute_recipe(plan, schedules)
        recipe["initial_lrs"] = bases
        return recipe
    if any(g.hparam_schedulers for g in plan.groups):
        raise NoNative("scheduled hyperparameters outside CyclicLR/OneCycleLR")
    if schedules[0].kind != "reduce_on_plateau" and any(s != schedules[0] for s in schedules):
        raise NoNative("groups follow different schedules and a torch scheduler drives all groups alike")
    s = schedules[0]
    if s.kind == "reduce_on_plateau":
        return {"cls": "ReduceLROnPlateau", "kwargs": plateau_kwargs(plan), "initial_lrs": bases}
    recipe = schedule_recipe(s)
    why = lr_scale_fold_problem(plan, s)
    if why:
        raise NoNative(why)
    recipe["initial_lrs"] = [b * c for b, c in zip(bases, scales)]
    return recipe


def check(plan, mode=None, **options) -> CheckResult:
    """Can torch (eager) express ``plan`` exactly? Always, except some metric-driven plans.

    notes say whether to_torch emits a native class or the closed-form PlanLR.
    """
    mode = mode or "eager"
    if mode not in MODES:
        return CheckResult("torch", mode, False, [f"torch has no mode '{mode}'; modes: {', '.join(MODES)}"], "mode 'eager'")
    problems = plateau_problems(plan)
    if problems:
        return CheckResult("torch", mode, False, problems, "one ReduceOnPlateau as the plan scheduler, lr_scale 1")
    try:
        recipe = proposed_recipe(plan)  # framework-free: the verification (stepping torch) runs in to_torch
        note = (f"to_torch emits torch's own {describe(recipe)} where its stepped curve equals the plan "
                "(verified when built, else PlanLR)")
    except NoNative as exc:
        note = f"to_torch emits PlanLR (closed form, exact): {exc}"
    notes = [note]
    names = sorted({n for g in plan.groups for n in g.hparam_schedulers})
    if names:
        notes.append(f"scheduled {', '.join(names)} applied: written into the param groups every step")
    if plan.horizon.past == "error":
        notes.append(horizon_note(plan))
    return CheckResult("torch", mode, True, notes=notes)


def horizon_note(plan) -> str:
    n = plan.horizon.steps
    return (f"horizon: stepping the scheduler to step {n} is allowed; an optimizer step applying step {n} "
            "or later raises (optimizer step pre-hook)")


def describe(recipe: dict) -> str:
    """'SequentialLR(LinearLR, CosineAnnealingLR)' for a recipe."""
    inner = recipe.get("schedulers")
    return recipe["cls"] + (f"({', '.join(describe(r) for r in inner)})" if inner else "")


# -- verification: a native class is emitted only where it measurably equals the plan ---------------

def native_recipe(plan) -> dict:
    """The torch class reproducing ``plan`` for its groups in order, verified; or NoNative saying why not."""
    recipe = proposed_recipe(plan)
    if recipe["cls"] == "ReduceLROnPlateau":
        return recipe  # metric-driven: the class is the plan's definition
    from lrbridge.io import plan_to_dict
    import json

    why = _verify_cached(json.dumps(plan_to_dict(plan), sort_keys=True))
    if not why and any(g.lr_dtype == "float32" for g in plan.groups):
        # a float32 group's optimizer may hold a Python float lr after all (the class then recurses in float64):
        # the class is emitted only where it is exact held either way
        twin = plan.model_copy(update={"groups": tuple(g.model_copy(update={"lr_dtype": "float64"}) for g in plan.groups)})
        why = _verify_cached(json.dumps(plan_to_dict(twin), sort_keys=True))
        why = why and f"{why} (the plan's float32 groups held as Python float lrs)"
    if why:
        raise NoNative(why)
    return recipe


@functools.lru_cache(maxsize=512)
def _verify_cached(plan_json: str) -> str | None:
    import json

    from lrbridge.io import plan_from_dict

    plan = plan_from_dict(json.loads(plan_json))
    return verify_recipe(plan, proposed_recipe(plan))


def _stepped(plan, recipe, n: int):
    """Applied lr (and scheduled hyperparameters) of the native class at steps 0..n, stepped on a tiny optimizer."""
    import warnings

    import numpy as np
    import torch

    from .export import build_native

    classes = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad"}
    kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in plan.optimizer.resolved().items()}
    groups = [{"params": [torch.zeros(1, requires_grad=True)], **{k: (tuple(v) if isinstance(v, list) else v)
               for k, v in g.hparams.items()}} for g in plan.groups]  # fmt: skip
    for g, pg in zip(plan.groups, groups):
        if g.lr_dtype == "float32":  # held as torch does for it: a float32 tensor, so the class recurses in float32
            pg["lr"] = torch.tensor(1.0, dtype=torch.float32)
    opt = getattr(torch.optim, classes[plan.optimizer.name])(groups, lr=1.0, **kw)
    names = sorted({n for g in plan.groups for n in g.hparam_schedulers})
    lr = np.empty((len(groups), n + 1))
    hp = {name: np.empty((len(groups), n + 1)) for name in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = build_native(recipe, opt)
        for k in range(n + 1):
            for i, pg in enumerate(opt.param_groups):
                lr[i, k] = float(pg["lr"])
                for name in names:
                    hp[name][i, k] = pg["betas"][0] if name == "beta1" else pg[name]
            if k < n:
                sched.step()
    return lr, hp


def verify_recipe(plan, recipe) -> str | None:
    """None when torch's class for ``recipe`` applies the plan's lr (and momentum) at every verified step,
    in float32 (torch's applied precision); else why not, naming the first difference."""
    from lrbridge.reference import evaluate, evaluate_hparam

    n = verify_steps(plan)
    if n > VERIFY_CAP:
        return f"{n} steps to verify {describe(recipe)} over exceed VERIFY_CAP={VERIFY_CAP}; the closed form is exact at any length"
    try:
        lr, hp = _stepped(plan, recipe, n)
    except ImportError as exc:
        return f"torch cannot be imported to verify {describe(recipe)}: {exc}"
    except Exception as exc:  # torch's class refuses or raises within the verified steps
        return f"torch's {describe(recipe)} raises within {n + 1} steps: {type(exc).__name__}: {exc}"
    from lrbridge.errors import LrBridgeError

    try:
        checks = [("lr", lr, evaluate(plan, n + 1))] + [(name, v, evaluate_hparam(plan, name, n + 1)) for name, v in hp.items()]
    except LrBridgeError as exc:  # the plan itself has no valid lr somewhere in the verified steps
        return f"the plan cannot be evaluated over the {n + 1} steps verifying {describe(recipe)}: {exc}"
    for what, got, want in checks:
        diff = first_difference(plan, what, got, want)
        if diff:
            return f"torch's {describe(recipe)} {diff}"
    return None
