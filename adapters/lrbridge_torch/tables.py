"""Torch schedulers as tables: stepping a detached copy, sampling LambdaLR's lambdas, checking closed forms.

What ``closed_form.py`` cannot model is tabulated here over a number of steps;
a closed-form model is also checked here against a stepped copy (``verify``) and
replaced by a table if it differs. The copy swaps parameters and state tensors
for empty ones, so the user's optimizer and scheduler are never touched.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from lrbridge.errors import LrBridgeError
from lrbridge.limits import VERIFY_STEPS, check_stepped
from lrbridge.schedules import Tabulated

from .closed_form import _cls, _exact_type

#: relative error above which a closed-form model is rejected in favour of a table
VERIFY_RTOL = 1e-10

#: float32 ulps by which torch's stepped lr of a float32-tensor-lr group (``lr=torch.tensor(0.5)``) may
#: differ from the float32-rounded closed form and still be imported as that closed form. torch computes
#: such a group in float32 (``group["lr"]`` is a float32 tensor: products are float32, written by ``fill_``);
#: a class that evaluates each lr with a few float32 operations stays within 3 ulps at every horizon
#: measured up to 10k steps (CyclicLR, OneCycleLR 0; ConstantLR, MultiStepLR, StepLR with up to 3 decays,
#: LinearLR warm-ups, CosineAnnealingWarmRestarts at most 3; 400 random cases each). A recursion that
#: rounds at every step drifts further (ExponentialLR(0.999): 19 ulps by step 100, 2,100 by 10k;
#: CosineAnnealingLR with eta_min: thousands): that curve is torch's own, so it is tabulated.
F32_ULP_BOUND = 4


def lr_is_float32(pg) -> bool:
    """Whether torch holds this param group's lr as a float32 tensor (and so computes it in float32)."""
    import torch

    lr = pg["lr"]
    return isinstance(lr, torch.Tensor) and lr.dtype == torch.float32


def _float32_rows(scheduler) -> list[int]:
    return [i for i, pg in enumerate(scheduler.optimizer.param_groups) if lr_is_float32(pg)]


def _ulps(model_curve, real) -> tuple[int, int]:
    """(worst float32 ulps between fp32(model) and torch's float32 values, the first step reaching it)."""
    from lrbridge.conformance.compare import ulp_distance

    u = ulp_distance(np.float32(model_curve), np.float32(real))
    j = int(np.argmax(u)) if u.size else 0
    return (int(u[j]) if u.size else 0), j


def float32_note(rows, worst: int, step: int, n: int) -> str:
    """The note every float32-tensor-lr import carries: what torch computes, and how close the plan is."""
    which = ", ".join(f"param_groups[{i}]" for i in rows)
    close = (f"equal it at every one of {n} steps" if worst == 0 else
             f"are within {worst} float32 ulp of it over {n} steps (worst at step {step})")
    return (f"{which} hold lr as a float32 tensor: torch computes their lr in float32 "
            f"(plan: lr_dtype float32, the reference rounded to float32); torch's stepped lrs {close} "
            f"(bound {F32_ULP_BOUND} ulps)")


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


def _position(s):
    """The step whose lr the groups hold (last_epoch; a ChainedScheduler's parts agree on it), or None."""
    kids = getattr(s, "_schedulers", None)
    if kids is not None and _cls(s) == "ChainedScheduler":
        ks = {_position(k) for k in kids}
        return ks.pop() if len(ks) == 1 else None
    k = getattr(s, "last_epoch", None)
    return k if isinstance(k, int) and k >= 0 else None


#: how far a resumed scheduler's held lr may be from the closed form at its last_epoch: torch's own recursions
#: drift (float64 ~n·2^-53; a float32 tensor lr thousands of ulps over 10k steps, ~1e-4), a hand-set initial_lr
#: that is not the run's base is off by factors
RESUME_RTOL = 1e-3


def check_resumed(scheduler, pairs, notes) -> None:
    """A scheduler already stepped (or built with last_epoch=k) continues from the lr its groups hold.

    torch's chainable classes multiply that held lr onward, so the closed form (from each group's
    ``initial_lr``) describes the run only if it gives the held lr at ``last_epoch``. Off by more than
    ``RESUME_RTOL`` (``initial_lr`` set by hand, lrs changed after a resume) no plan from ``initial_lr``
    is the run, and this raises rather than import another schedule; within it, a note gives the difference.
    """
    if not pairs or pairs[0][0].kind == "reduce_on_plateau":
        return
    k = _position(scheduler)
    if k is None:
        return
    step = np.array([float(k)])
    worst = 0.0
    for i, (pg, (s, _)) in enumerate(zip(scheduler.optimizer.param_groups, pairs)):
        held = float(pg["lr"])
        base = float(pg.get("initial_lr", held))
        model = float(s.lr(step, base)[0])
        diff = abs(model - held)
        # relative, but a recursion's leftover near 0 (LinearLR end_factor 0 leaves 7e-19) is measured against the base
        rel = 0.0 if diff <= 1e-9 * abs(base) else diff / max(abs(model), abs(held))
        worst = max(worst, rel)
        if rel > RESUME_RTOL:
            raise LrBridgeError(
                f"{_cls(scheduler)} is at last_epoch={k} and param_groups[{i}] holds lr {held:.6g}, but its schedule "
                f"from the group's initial_lr {base:.6g} gives {model:.6g} there: torch continues from the held lr, "
                "which no plan from initial_lr describes; import the scheduler as constructed, or set initial_lr to "
                "the lr the run started from"
            )
    notes.append(f"resumed at last_epoch={k}: the groups' held lrs are the closed form's there (worst relative "
                 f"difference {worst:.2g}); torch continues from them")


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


def _verified(scheduler, pairs, n, mom_key, notes):
    """Compare the closed-form model with torch stepping a copy over n steps; tabulate on mismatch."""
    if pairs[0][0].kind == "reduce_on_plateau":
        return pairs
    if not _at_start(scheduler):
        notes.append("not verified by stepping: the scheduler has already been stepped")
        return pairs
    cycled = any(m is not None for _, m in pairs)
    full, n = n, min(n, VERIFY_STEPS)  # the family is known: a prefix checks it; stepping every step would take minutes
    lrs, hp = stepped_lrs(scheduler, n, (mom_key,) if cycled else ())
    k = np.arange(n, dtype=np.float64)
    worst = 0.0
    f32 = _float32_rows(scheduler)
    ulp, ulp_step = 0, 0  # float32 groups: torch's float32 lrs against the float32-rounded closed form
    for i, (s, m) in enumerate(pairs):
        base = float(scheduler.optimizer.param_groups[i].get("initial_lr", lrs[i, 0]))
        checks = [(m.lr(k, 0.0), hp[mom_key][i])] if m is not None else []
        if i in f32:
            u, j = _ulps(s.lr(k, base), lrs[i])
            if u > ulp:
                ulp, ulp_step = u, j
        else:
            checks.append((s.lr(k, base), lrs[i]))
        for model_curve, real in checks:
            scale = np.where(real != 0, np.abs(real), 1.0)
            worst = max(worst, float(np.max(np.abs(model_curve - real) / scale)))
    if ulp > F32_ULP_BOUND:
        notes.append(f"torch computes {', '.join(f'param_groups[{i}]' for i in f32)} in float32 (float32 tensor lr): "
                     f"its recursion drifts {ulp} float32 ulps from the float32-rounded closed form by step {ulp_step} "
                     f"(bound {F32_ULP_BOUND} ulps): tabulated torch's own float32 lrs instead")
    if worst > VERIFY_RTOL:
        notes.append(f"closed-form model differed from torch by {worst:.3g} (relative) within {n} steps: tabulated instead")
    if worst > VERIFY_RTOL or ulp > F32_ULP_BOUND:
        if full > n:
            check_stepped(full, f"tabulating {_cls(scheduler)}")
            lrs, hp = stepped_lrs(scheduler, full, (mom_key,) if cycled else ())
        return _tables_from(lrs, hp, mom_key, f"torch {_cls(scheduler)} stepped over {full} steps")
    rel_checked = cycled or len(f32) < len(pairs)
    notes.append(f"verified against torch stepping a copy over {n} steps"
                 + (f" (the first {n} of {full})" if full > n else "")
                 + (f": worst relative difference {worst:.2g}" if rel_checked else ""))
    if f32:
        notes.append(float32_note(f32, ulp, ulp_step, n))
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
    check_stepped(n, f"tabulating {_cls(scheduler)}")
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


def _recognised(scheduler, pairs, n, notes):
    """Tables -> closed forms where ``lrbridge.recognize.from_trace`` reproduces every sampled lr.

    Returns (pairs, exact). LambdaLR tables hold λ (torch's lr is base·λ(t) exactly) and are
    matched at rel 1e-12; stepped tables of recursive schedulers (MultiplicativeLR, chains)
    carry torch's own rounding, n·2^-53 relative at most, so they are matched within that.
    Momentum tables and anything that does not fit stay tables.

    float32-tensor-lr groups: torch applies fp32(b·fp32(λ)) (or its float32 recursion), so the
    closed form must be within ``F32_ULP_BOUND`` ulps of torch's stepped float32 lrs, and what
    stays a table is those stepped lrs (a λ table would be up to 1 ulp off).
    """
    from lrbridge.recognize import EPS, from_trace
    from lrbridge.schedules import Chained, Piecewise

    if any(m is not None for _, m in pairs):
        return pairs, False
    pgs = scheduler.optimizer.param_groups
    bases = [float(pg.get("initial_lr", pg["lr"])) for pg in pgs]
    k = np.arange(n, dtype=np.float64)
    lrs = np.stack([s.lr(k, b) for (s, _), b in zip(pairs, bases)])
    lambda_table = all(s.relative for s, _ in pairs)
    rtol = 1e-12 if lambda_table else max(1e-12, 2.0 * n * EPS)
    f32 = _float32_rows(scheduler)
    real, kept = lrs, pairs  # what torch applies, and the tables kept when no closed form fits
    if f32 and lambda_table and not _at_start(scheduler):
        notes.append("LambdaLR already stepped: float32 tensor lrs compared with base·λ, not stepped (torch's "
                     "fp32(b·fp32(λ)) may differ by 1 ulp)")
    elif f32 and lambda_table:
        real = stepped_lrs(scheduler, n)[0]
        kept = _tables_from(real, {}, "", f"torch {_cls(scheduler)} stepped over {n} steps (float32 tensor lrs)")
    # λ tables are float64-exact; stepped float32 lrs are recognised at float32 precision, then held to the ulp bound
    dtype = "float32" if f32 and not lambda_table else "float64"
    result = from_trace(lrs, base_lr=bases, rtol=rtol, dtype=dtype, source=f"torch {_cls(scheduler)}")
    if not result.exact:
        notes.append(f"{_cls(scheduler)}: no closed form reproduces the sampled lrs; kept as a table "
                     f"({'; '.join(n for n in result.notes if 'no closed form' in n)})")
        return kept, False
    plan = result.plan
    out = []
    for g, b in zip(plan.groups, bases):
        sched, own = plan.group_schedule(g), plan.group_base_lr(g)
        if own != b:  # the fit chose another base: scale it back onto the group's own
            sched = Chained(schedules=(Piecewise(boundaries=(), values=(own / b,), relative=True), sched))
        out.append((sched, None))
    worst = max([float(np.max(np.abs(s.lr(k, b) - row) / np.where(row != 0, np.abs(row), 1.0)))
                 for i, ((s, _), b, row) in enumerate(zip(out, bases, lrs)) if i not in f32], default=0.0)
    ulp, ulp_step = max([_ulps(out[i][0].lr(k, bases[i]), real[i]) for i in f32], default=(0, 0))
    if worst > rtol or ulp > F32_ULP_BOUND:
        return kept, False
    if f32:
        notes.append(float32_note(f32, ulp, ulp_step, n))
    kinds = sorted({s.kind for s, _ in out})
    notes.append(f"{_cls(scheduler)}: recognised in closed form ({', '.join(kinds)}) from {n} sampled steps, "
                 f"worst relative difference {worst:.2g}; past them the formula continues")
    return out, True
