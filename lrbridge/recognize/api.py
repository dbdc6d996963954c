"""``from_trace``: each group recognised (or shared, or kept as a table), then assembled into a plan."""

from __future__ import annotations

import numpy as np

from ..errors import PlanError
from ..groups import ParamGroup
from ..optim import OptimizerSpec
from ..plan import Horizon, ImportResult, Plan
from ..schedules import Tabulated

from .curve import _first_unfitted, _recognize_curve
from .inputs import _as_groups
from .limits import EPS, MAX_STAGES
from .rounding import _nice
from .scaling import _Group, _scaled_copy
from .verify import Tolerance


def from_trace(values, *, names=None, dtype: str = "float64", steps_per_epoch: int | None = None,
               rtol: float = 1e-12, base_lr=None, optimizer: str = "sgd", source: str = "trace") -> ImportResult:
    """The plan reproducing recorded learning rates at every step, closed form where one fits.

    ``values``: array (groups × steps, or one curve), dict name → curve, a list (a MindSpore
    lr list), a ``Trace``, or a path to .npy / .json / .csv of logged lrs (csv: one column per
    group, optional header, optional leading step column). ``dtype="float32"`` (implied by
    float32 input) accepts the source's float32 rounding. ``steps_per_epoch``: epoch stairs
    are looked for with that many steps per epoch (else detected from the run lengths).
    ``base_lr`` (a float or one per group): the base lr the plan should use where the
    family leaves it free (e.g. a LambdaLR's initial lr, so that Noam gets its d_model).

    Returns ``ImportResult(exact=True)`` with horizon ``past: continue`` when every group is
    reproduced in closed form; else every group that does not fit is a table (``exact=False``,
    horizon ``past: error``) and the notes say from which step on and why.
    """
    names, arr, is32 = _as_groups(values, names, dtype)
    G, N = arr.shape
    if steps_per_epoch is not None and (not isinstance(steps_per_epoch, int) or steps_per_epoch < 1):
        raise PlanError("steps_per_epoch", f"must be a positive int, got {steps_per_epoch!r}")
    prefs = list(base_lr) if isinstance(base_lr, (list, tuple, np.ndarray)) else [base_lr] * G
    fits: list[_Group | None] = []
    notes: list[str] = []
    for i in range(G):
        y = arr[i]
        tol = Tolerance(rtol=rtol, float32=is32)
        shared = _scaled_copy(y, arr[:i], fits, tol)
        if shared is not None:
            j, c = shared
            base = fits[j].base * c
            near = [v for v in ([prefs[i]] if prefs[i] else []) + _nice(base) if abs(v - base) <= 4 * EPS * base]
            fits.append(_Group(names[i], fits[j].schedule, near[0], shared_with=j))  # 0.02, not 0.020000000000000004
            notes.append(f"group '{names[i]}': {c:.12g} × group '{names[j]}' (same schedule, scaled base lr)")
            continue
        found = _recognize_curve(y, tol, steps_per_epoch=steps_per_epoch, pref=prefs[i])
        if found is None:
            fits.append(None)
            bad = _first_unfitted(y, tol)
            where = (f"from step {bad} on (with at most {MAX_STAGES} stages)" if bad < N
                     else "as a whole (stages fit, but with too many parameters)")
            notes.append(f"group '{names[i]}': no closed form reproduces the curve {where} within rel {rtol:g}"
                         f"{' (float32)' if is32 else ''}: kept as a table of {N} steps")
            continue
        node, base, _ = found
        fits.append(_Group(names[i], node, float(base)))
        notes.append(f"group '{names[i]}': recognised {node.describe()} at base lr {base:.12g}")
    exact = all(f is not None for f in fits)
    tables = {i: Tabulated(values=tuple(arr[i].tolist()), source=f"{source}: {N} recorded steps") for i, f in enumerate(fits) if f is None}
    plan = _assemble(names, fits, tables, arr, optimizer, N, exact)
    if exact:
        notes.append(f"every group in closed form over the {N} recorded steps; past them the formulas continue")
    return ImportResult(plan=plan, exact=exact, notes=notes)


def _assemble(names, fits, tables, arr, optimizer, N, exact) -> Plan:
    G = len(names)
    schedules = [fits[i].schedule if fits[i] is not None else tables[i] for i in range(G)]
    bases = [fits[i].base if fits[i] is not None else 1.0 for i in range(G)]
    shared = schedules[0]
    groups = []
    for i in range(G):
        sel = {"rest": True} if G == 1 or i == G - 1 else {"params": (f"{names[i]}.*",)}
        own = None if schedules[i] is shared else schedules[i]
        groups.append(ParamGroup(name=names[i], lr=bases[i], scheduler=own, **sel))
    horizon = Horizon(steps=N, past="continue" if exact else "error")
    return Plan(optimizer=OptimizerSpec(name=optimizer, lr=bases[0]), groups=tuple(groups), scheduler=shared, horizon=horizon)
