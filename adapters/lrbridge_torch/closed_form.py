"""Closed-form models of torch's own scheduler classes: the IR node equal to each one's stepped behaviour.

``model_scheduler`` reads a scheduler's stored state into IR nodes, or raises
``NeedsTable`` (with the reason) for what has no closed form: LambdaLR,
MultiplicativeLR, custom CyclicLR scale functions, unknown subclasses, ...
Kept apart from the stepping in ``tables.py``: this side never steps anything.
"""

from __future__ import annotations

from lrbridge.schedules import Chained, Cyclic, OneCycle, ReduceOnPlateau, Sequential

from lrbridge.errors import PlanError

from .capability import momentum_schedule


class NeedsTable(Exception):
    """A scheduler with no closed-form model; the reason goes into the notes."""


def _cls(s) -> str:
    return type(s).__name__


def _exact_type(s, name: str) -> bool:
    """True for torch's own class (a user subclass may change anything)."""
    import torch.optim.lr_scheduler as L

    return type(s) is getattr(L, name, None)


_MULTIPLICATIVE = ("StepLR", "MultiStepLR", "ExponentialLR", "ConstantLR", "LinearLR", "PolynomialLR")
_SIMPLE = _MULTIPLICATIVE + ("CosineAnnealingLR", "CosineAnnealingWarmRestarts")


def _simple(s):
    """Leaf scheduler whose lr is a function of last_epoch and base lr alone (same for every group)."""
    from lrbridge.vocabulary import node

    try:
        return node("torch", _cls(s), vars(s))
    except PlanError as exc:
        raise NeedsTable(str(exc)) from None


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


def chained_model(children, nsteps: int | None, what: str = "ChainedScheduler part"):
    """The ``Chained`` product of ``children`` stepped together on one optimizer, or NeedsTable.

    What a ChainedScheduler does, and what several schedulers stepped after every update do
    (torch's "compound" pattern): each multiplies the optimizer's current lr by its own factor.
    That composes exactly for the multiplicative classes, and for CosineAnnealingLR with
    eta_min 0 up to T_max.
    """
    parts = []
    for i, child in enumerate(children):
        cname = _cls(child)
        ok = cname in _MULTIPLICATIVE and _exact_type(child, cname)
        # cosine's recursion is multiplicative only up to T_max (then it adds (b − η)(1 − cos(π/T))/2)
        cos_ok = (cname == "CosineAnnealingLR" and _exact_type(child, cname) and child.eta_min == 0
                  and nsteps is not None and nsteps - 1 <= child.T_max)
        if not (ok or cos_ok):
            raise NeedsTable(f"{what} {i} ({cname}) does not compose multiplicatively through the optimizer's lr")
        parts.append(_simple(child))
    return Chained(schedules=tuple(parts))


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
        stages = []
        for i, child in enumerate(s._schedulers):
            cname = _cls(child)
            if cname in _SIMPLE and _exact_type(child, cname):
                stages.append(_simple(child))
            elif i == 0 and cname == "ChainedScheduler" and _exact_type(child, cname):
                # stage 0 is never restarted (SequentialLR only takes its initial step): it runs as the
                # ChainedScheduler does, for the steps before the first milestone
                length = int(s._milestones[0]) if s._milestones else nsteps
                stages.append(chained_model(child._schedulers, length, "SequentialLR stage 0 (ChainedScheduler) part"))
            else:
                # a later stage restarts through its closed form at local step 0: only leaf classes have one
                raise NeedsTable(f"SequentialLR stage {i} ({cname}) does not restart in closed form")
        seq = Sequential(stages=tuple(stages), milestones=tuple(int(m) for m in s._milestones), clock="restart")
        return [(seq, None)] * ngroups
    if name == "ChainedScheduler" and _exact_type(s, name):
        return [(chained_model(s._schedulers, nsteps, "ChainedScheduler part"), None)] * ngroups
    if name == "LambdaLR" and _exact_type(s, name):
        raise NeedsTable("LambdaLR: sampled λ")
    raise NeedsTable(f"{name} has no closed form (recursive or unknown): tabulated by stepping a copy")
