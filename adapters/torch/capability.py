"""Which torch scheduler expresses a plan: torch's own class, or lrbridge's closed form. Framework-free.

``native_recipe(plan)`` describes the torch scheduler that reproduces the plan
*at every step for every group* as plain data, or says why none does:

    {"cls": "StepLR", "kwargs": {...}}
    {"cls": "SequentialLR", "schedulers": [recipe, ...], "milestones": [...]}
    {"cls": "ChainedScheduler", "schedulers": [recipe, ...]}

plus, at the top level, ``initial_lrs`` (the base lr torch must see per group,
lr_scale folded in). Anything else runs as ``LrBridgeScheduler`` (closed form,
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
- ``OneCycleLR`` raises past total_steps + 1 steps: native only when the horizon ends there.
"""

from __future__ import annotations

from lrbridge.capability import CheckResult

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
    """CyclicLR / OneCycleLR: per-group absolute bounds as torch's per-group lists."""
    first = schedules[0]
    if first.kind == "one_cycle":
        if plan.horizon.steps is None or plan.horizon.steps > first.total_steps + 1:
            raise NoNative(
                f"torch OneCycleLR raises after total_steps + 1 = {first.total_steps + 1} steps; "
                "set horizon.steps to at most that for the native class"
            )
        shared = ("total_steps", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase")
        per_group = ("max_lr",)
    else:
        shared = ("step_size_up", "step_size_down", "mode", "gamma")
        per_group = ("base_lr", "max_lr")
    for s in schedules:
        if s.kind != first.kind or any(getattr(s, f) != getattr(first, f) for f in shared):
            raise NoNative(f"groups follow different {first.kind} schedules")
    kw = {f: getattr(first, f) for f in shared}
    for f in per_group:
        kw[f] = [getattr(s, f) for s in schedules]
    kw.update(_momentum_kwargs(plan, schedules))
    return {"cls": "OneCycleLR" if first.kind == "one_cycle" else "CyclicLR", "kwargs": kw}


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
    key = "beta1" if plan.optimizer.name in ("adam", "adamw") else "momentum"
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


def native_recipe(plan) -> dict:
    """The torch class reproducing ``plan`` for its groups in order, or NoNative saying why not."""
    if plan.horizon.past != "continue" and plan.horizon.steps is not None:
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
    if any(s != schedules[0] for s in schedules):
        raise NoNative("groups follow different schedules and a torch scheduler drives all groups alike")
    s = schedules[0]
    if s.kind == "reduce_on_plateau":
        if any(c != 1.0 for c in scales):
            raise NoNative("lr_scale with ReduceLROnPlateau (its min_lr and eps are absolute)")
        kw = {k: getattr(s, k) for k in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps")}
        kw["min_lr"] = s.min_lr
        return {"cls": "ReduceLROnPlateau", "kwargs": kw, "initial_lrs": bases}
    recipe = schedule_recipe(s)
    if any(c != 1.0 for c in scales) and not s.is_scale_equivariant():
        raise NoNative("lr_scale with a schedule holding absolute lrs (eta_min, end_lr, ...)")
    recipe["initial_lrs"] = [b * c for b, c in zip(bases, scales)]
    return recipe


def plateau_problems(plan) -> list[str]:
    """Why torch cannot run a plan's ReduceOnPlateau (it has no closed form to fall back on)."""
    problems = []
    for g in plan.groups:
        s = plan.group_schedule(g)
        nested = [n for n in s.walk() if n.kind == "reduce_on_plateau"]
        if not nested:
            continue
        if s.kind != "reduce_on_plateau":
            problems.append(f"group '{g.name}': reduce_on_plateau nested in '{s.kind}' (torch's ReduceLROnPlateau is a whole scheduler)")
    if problems:
        return problems
    if any(n.kind == "reduce_on_plateau" for s in plan.schedules() for n in s.walk()):
        try:
            native_recipe(plan)
        except NoNative as exc:
            problems.append(f"reduce_on_plateau: {exc}; torch's ReduceLROnPlateau drives every group of one optimizer")
    return problems


def check(plan, mode=None, **options) -> CheckResult:
    """Can torch (eager) express ``plan`` exactly? Always, except some metric-driven plans.

    notes say whether to_torch emits a native class or the closed-form LrBridgeScheduler.
    """
    mode = mode or "eager"
    if mode not in MODES:
        return CheckResult("torch", mode, False, [f"torch has no mode '{mode}'; modes: {', '.join(MODES)}"], "mode 'eager'")
    problems = plateau_problems(plan)
    if problems:
        return CheckResult("torch", mode, False, problems, "one ReduceOnPlateau as the plan scheduler, lr_scale 1")
    try:
        recipe = native_recipe(plan)
        note = f"to_torch emits torch's own {describe(recipe)}"
    except NoNative as exc:
        note = f"to_torch emits LrBridgeScheduler (closed form, exact): {exc}"
    return CheckResult("torch", mode, True, notes=[note])


def describe(recipe: dict) -> str:
    """'SequentialLR(LinearLR, CosineAnnealingLR)' for a recipe."""
    inner = recipe.get("schedulers")
    return recipe["cls"] + (f"({', '.join(describe(r) for r in inner)})" if inner else "")
