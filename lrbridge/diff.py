"""``lrbridge diff A B``: where two training setups' learning rates part, and why.

Each side is turned into ``Curves`` (the lr every group applies at steps 0..N−1,
plus scheduled hyperparameters such as momentum): a source file read with
``lrbridge.convert.load_source`` evaluated by the float64 reference, or measured
on a ``Target`` with real optimizer steps; Python callers may also pass plans,
``Measurement``s, arrays or ``{group: array}`` dicts.

Groups are matched by name (or an explicit mapping). Per group and quantity the
report gives: identical (within the larger of both sides' float32 ulp tolerances),
or the first differing step with both values and the ulp distance, and the
systematic cause when the shapes show one (``CAUSES``): off by one step, epoch vs
step cadence, shared vs restarted clock, a constant ratio (lr_scale ignored), a
missing warmup, a different horizon, a hyperparameter left unscheduled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .conformance.compare import ulp_distance
from .errors import LrBridgeError, PlanError

#: cause id -> the name the report gives it
CAUSES = {
    "off_by_one": "off by one step",
    "cadence": "epoch vs step cadence",
    "clock": "shared vs restarted clock",
    "constant_ratio": "constant ratio (lr_scale ignored)",
    "missing_warmup": "missing warmup",
    "horizon": "different horizon",
    "not_scheduled": "not scheduled on one side",
}


# ---------------------------------------------------------------- the two sides


@dataclass
class Curves:
    """What one side applies: ``lr[g, k]`` for group ``names[g]`` at step k, and scheduled hyperparameters.

    ``tolerance``: float32 ulps this side's path may differ from the reference (0 for exact paths,
    the conformance tolerance of a measured target). ``plan``: the plan behind it, when there is one
    (to evaluate a hyperparameter the other side schedules).
    """

    label: str
    names: list[str]
    lr: np.ndarray
    hparams: dict[str, np.ndarray] = field(default_factory=dict)
    tolerance: float = 0.0
    measured: bool = False
    plan: object = None
    notes: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return self.lr.shape[1]

    def hparam(self, name: str) -> np.ndarray | None:
        """Hyperparameter ``name`` per group and step: scheduled, or the plan's constant value; None when unknown."""
        if name in self.hparams:
            return self.hparams[name]
        if self.plan is None or self.measured:
            return None
        from .reference import evaluate_hparam

        try:
            return evaluate_hparam(self.plan, name, self.steps)
        except LrBridgeError:
            return None


def _scheduled_hparams(plan) -> list[str]:
    return sorted({name for g in plan.groups for name in g.hparam_schedulers})


def read_side(source, *, steps: int | None = None, steps_per_epoch: int | None = None):
    """A source file or ``module:function`` read through ``convert.load_source`` (an import result);
    anything else (plans, arrays, measurements, ``Curves``) as it is."""
    if isinstance(source, (str, Path)):
        from .convert import load_source

        return load_source(source, steps=steps, steps_per_epoch=steps_per_epoch)
    return source


def _plan_of(source):
    """(plan, notes) from a Plan, a source path (through ``convert.load_source``), or an ``ImportResult``."""
    from .plan import Plan

    if isinstance(source, Plan):
        return source, []
    loaded = read_side(source)
    plan, notes = getattr(loaded, "plan", loaded), list(getattr(loaded, "notes", []))
    if not isinstance(plan, Plan):
        raise PlanError("", f"cannot compare {type(source).__name__}: expected a source file, a plan, a measurement or an array")
    return plan, notes


def _target(target):
    if target is None or not isinstance(target, str):
        return target
    from .conformance import Target

    parts = target.split("/")
    if not 2 <= len(parts) <= 4:
        raise PlanError("target", f"expected backend/mode[/device[/form]] (e.g. mindspore/graph/cpu/cell), got {target!r}")
    return Target(*parts)


def _length(side) -> int | None:
    """Steps an array-like side holds (its shortest group), else None."""
    if isinstance(side, Curves):
        return side.steps
    if isinstance(side, dict) and side:
        return min(np.asarray(v).reshape(-1).size for v in side.values())
    if isinstance(side, (np.ndarray, list, tuple)):
        return np.atleast_2d(np.asarray(side)).shape[1]
    return None


def resolve_steps(a, b, steps: int | None) -> int:
    """``steps`` when given, else the first plan horizon among the two sides, else the length of an array side."""
    if steps is not None:
        if steps < 1:
            raise PlanError("steps", f"must be at least 1, got {steps}")
        return steps
    lengths = [n for n in map(_length, (a, b)) if n]
    for side in (a, b):
        if _length(side) is not None:
            continue
        try:
            plan, _ = _plan_of(side)
        except LrBridgeError:
            continue
        if plan.horizon.steps is not None:
            return plan.horizon.steps
    if lengths:
        return min(lengths)
    raise PlanError("steps", "neither side sets a horizon; give the number of steps to compare")


def curves_of(source, steps: int, *, target=None, label: str | None = None) -> Curves:
    """Turn one side into ``Curves`` over steps 0..steps−1 (measured on ``target`` when given)."""
    from .conformance.engine import Measurement

    if isinstance(source, Curves):
        return _truncate(source, steps)
    if isinstance(source, Measurement):
        return Curves(label or str(source.target), list(source.group_names), np.asarray(source.lr, np.float64)[:, :steps],
                      measured=True, notes=list(source.notes))
    if isinstance(source, dict):
        names = list(source)
        return _arrays(label or "curves", names, [source[n] for n in names], steps)
    if isinstance(source, (np.ndarray, list, tuple)) and not isinstance(source, str):
        arr = np.atleast_2d(np.asarray(source, np.float64))
        names = ["default"] if arr.shape[0] == 1 else [str(i) for i in range(arr.shape[0])]
        return _arrays(label or "array", names, list(arr), steps)
    plan, notes = _plan_of(source)
    name = label or (str(source) if isinstance(source, (str, Path)) else "plan")
    target = _target(target)
    if target is not None:
        from .conformance import measure
        from .conformance.matrix import tolerance_ulp

        m = measure(plan, steps, target)
        if _scheduled_hparams(plan):
            notes.append(f"{target} measures the lr only: scheduled hyperparameters are compared where both sides know them")
        return Curves(f"{name} on {target}", list(m.group_names), np.asarray(m.lr, np.float64),
                      tolerance=tolerance_ulp(plan, target), measured=True, plan=plan, notes=notes)
    from .reference import evaluate, evaluate_hparam

    hp = {h: evaluate_hparam(plan, h, steps) for h in _scheduled_hparams(plan)}
    return Curves(f"{name} (reference)", plan.group_names, evaluate(plan, steps), hp, plan=plan, notes=notes)


def _arrays(label, names, rows, steps) -> Curves:
    rows = [np.asarray(r, np.float64).reshape(-1) for r in rows]
    short = [n for n, r in zip(names, rows) if r.size < steps]
    if short:
        raise PlanError("steps", f"{label}: group '{short[0]}' has {min(r.size for r in rows)} values, fewer than the {steps} steps compared")
    return Curves(label, list(names), np.stack([r[:steps] for r in rows]) if rows else np.zeros((0, steps)))


def _truncate(c: Curves, steps: int) -> Curves:
    if c.steps < steps:
        raise PlanError("steps", f"{c.label} has {c.steps} steps, fewer than the {steps} compared")
    return Curves(c.label, c.names, c.lr[:, :steps], {k: v[:, :steps] for k, v in c.hparams.items()}, c.tolerance, c.measured, c.plan, c.notes)


# ---------------------------------------------------------------- recognising the cause


@dataclass
class Cause:
    """A systematic difference recognised in the shapes: ``kind`` is a key of ``CAUSES``."""

    kind: str
    detail: str

    @property
    def name(self) -> str:
        return CAUSES[self.kind]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "name": self.name, "detail": self.detail}


def _close(x, y, slack: float) -> bool:
    x, y = np.asarray(x), np.asarray(y)
    return x.size > 0 and bool(np.all(ulp_distance(x, y) <= slack))


def _ratio(a, b, slack):
    """B = r·A at every step (r ≠ 1): a factor applied on one side only."""
    nz = a != 0
    if nz.sum() < 2 or np.any(b[~nz] != 0):
        return None
    r = b[nz] / a[nz]
    med = float(np.median(r))
    if med == 1.0 or not np.all(np.abs(r - med) <= 1e-6 * abs(med)) or med == 0:
        return None
    return Cause("constant_ratio", f"B = {med:.6g} × A at every step: a factor applied on one side only, e.g. an lr_scale "
                                   f"that OneFlow eager ignores, or a different base lr")


def _off_by_one(a, b, slack):
    n = a.size
    if n < 3:
        return None
    if _close(b[:-1], a[1:], slack):
        return Cause("off_by_one", "B applies at step k what A applies at step k+1 (B is one step ahead: scheduler.step() "
                                   "before optimizer.step(), or a scheduler that has already stepped once)")
    if _close(b[1:], a[:-1], slack):
        return Cause("off_by_one", "B applies at step k what A applied at step k−1 (B lags one step: its first step "
                                   "repeats the initial lr, e.g. MindSpore global_step read after the update)")
    return None


def _first_diff(a, b, slack) -> int:
    d = np.nonzero(ulp_distance(a, b) > slack)[0]
    return int(d[0]) if d.size else a.size


_CLOCK_EXAMPLES = ("e.g. OneFlow SequentialLR's default interval_rescaling=False against torch's SequentialLR, or a "
                   "list sliced from a generator run over the whole horizon")


def _clock(a, b, slack):
    """Identical up to a milestone m, then one side's stage runs on the global step: B[k] = A[k ± m]."""
    m = _first_diff(a, b, slack)
    n = a.size
    if m == 0 or m >= n:
        return None
    if n - m > m + 1 and _close(b[m:n - m], a[2 * m:], slack):
        return Cause("clock", f"identical up to step {m}; from there B's stage runs on the global step (B[k] = A[k + {m}]) "
                              f"where A restarts it at 0 ({_CLOCK_EXAMPLES})")
    if n > 2 * m + 1 and _close(b[2 * m:], a[m:n - m], slack):
        return Cause("clock", f"identical up to step {m}; from there A's stage runs on the global step (A[k] = B[k + {m}]) "
                              f"where B restarts it at 0 ({_CLOCK_EXAMPLES})")
    return None


def _ramp_end(x) -> int:
    """Index of the peak that ends an initial strictly increasing run (0 when x does not rise at first)."""
    d = np.diff(x)
    stop = np.nonzero(d <= 0)[0]
    return int(stop[0]) if stop.size else x.size - 1


def _missing_warmup(a, b, slack):
    for x, y, who, other in ((a, b, "A", "B"), (b, a, "B", "A")):
        w = _ramp_end(x)
        if w < 2 or _ramp_end(y) >= w:
            continue
        n = x.size
        if n - w > 1 and _close(y[: n - w], x[w:], slack):
            return Cause("missing_warmup", f"{who} warms up over its first {w} steps and then runs the schedule from its "
                                           f"step 0; {other} starts that schedule at once ({other}[k] = {who}[k + {w}])")
        if _close(y[w:], x[w:], slack):
            return Cause("missing_warmup", f"{who} ramps up over its first {w} steps; {other} has no warmup and applies the "
                                           f"schedule's own values there (identical from step {w} on)")
    return None


def _runs(x) -> int | None:
    """The usual length of x's runs of equal values (a staircase's step), None when x changes every step."""
    edges = np.nonzero(np.diff(x) != 0)[0]
    if edges.size < 2:
        return None
    lengths = np.diff(np.concatenate(([-1], edges)))
    n = int(np.bincount(lengths).argmax())
    return n if n > 1 else None


def _cadence(a, b, slack):
    for x, y, who, other in ((a, b, "A", "B"), (b, a, "B", "A")):
        n = _runs(y)
        if n is None or _runs(x) == n:
            continue
        k = np.arange(x.size)
        if _close(y, x[(k // n) * n], slack):
            return Cause("cadence", f"{other} holds each value for {n} steps ({other}[k] = {who}[{n}·⌊k/{n}⌋]): stepped once "
                                    f"per epoch of {n} steps where {who} changes the lr every step")
        if _close(y, x[k // n], slack):
            return Cause("cadence", f"{other} advances once every {n} steps along the curve {who} follows step by step "
                                    f"({other}[k] = {who}[⌊k/{n}⌋]): a scheduler stepped once per epoch of {n} steps with a "
                                    f"horizon counted in steps, or {who}'s epoch horizon stepped every iteration")
    return None


def _monotone_end(x, start: int) -> int:
    """End (exclusive) of the monotone run of x starting at ``start``."""
    d = np.diff(x[start:])
    if d.size == 0:
        return start + 1
    sign = np.sign(d[np.nonzero(d)[0][0]]) if np.any(d) else 0
    bad = np.nonzero(d * sign < 0)[0]
    return start + (int(bad[0]) + 1 if bad.size else d.size + 1)


def _horizon(a, b, slack):
    """Same shape on a different time scale from the last common step p: B[k] ≈ A[p + r·(k − p)], r ≠ 1."""
    f = _first_diff(a, b, slack)
    p = max(f - 1, 0)
    if a[p] != b[p] and not _close(a[p], b[p], slack):
        return None
    ea, eb = _monotone_end(a, p), _monotone_end(b, p)
    if ea - p < 4 or eb - p < 4:
        return None
    xa, xb = a[p:ea], b[p:eb]
    sign = np.sign(xa[-1] - xa[0])
    if sign == 0 or np.sign(xb[-1] - xb[0]) != sign:
        return None
    # where A reaches each of B's values (A monotone on the run): t_a(k), then r(k) = (t_a(k) − p)/(k − p)
    lo, hi = min(xa[0], xa[-1]), max(xa[0], xa[-1])
    ks = np.arange(1, xb.size)
    band = 0.1 * (hi - lo)  # leave out the flat ends, where inverting A is ill-conditioned
    inside = (xb[1:] > lo + band) & (xb[1:] < hi - band)
    if inside.sum() < 3:
        return None
    order = np.argsort(xa * sign)
    t = np.interp(xb[1:][inside] * sign, (xa * sign)[order], np.arange(xa.size, dtype=np.float64)[order])
    r = t / ks[inside]
    med = float(np.median(r))
    if abs(med - 1) < 1e-3 or np.max(np.abs(r - med)) > 0.02 * med:
        return None
    end_a = f"A ends its run at step {ea - 1}" if ea < a.size else f"A is still {'falling' if sign < 0 else 'rising'} at step {a.size - 1}"
    return Cause("horizon", f"the same curve on a different time scale from step {p}: B moves {med:.4g}× as fast as A "
                            f"(B's horizon ≈ A's ÷ {med:.4g}; {end_a}); e.g. T_max/total_steps counted differently")


def _not_scheduled(a, b, slack):
    ca, cb = bool(np.all(a == a[0])), bool(np.all(b == b[0]))
    if ca == cb:
        return None
    const, who, other = (a, "A", "B") if ca else (b, "B", "A")
    return Cause("not_scheduled", f"{who} keeps it constant at {const[0]:.6g} where {other} schedules it (a scheduler not "
                                  f"applied, e.g. a OneCycle port that keeps the lr cycle but drops the momentum cycle)")


#: tried in this order; the first that fits names the cause
CLASSIFIERS = (_not_scheduled, _ratio, _off_by_one, _clock, _missing_warmup, _cadence, _horizon)


def classify(a, b, slack: float = 1.0) -> Cause | None:
    """The systematic difference between two curves (1-D, same length), or None when none is recognised."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    for fn in CLASSIFIERS:
        cause = fn(a, b, slack)
        if cause is not None:
            return cause
    return None


# ---------------------------------------------------------------- the report


@dataclass
class QuantityDiff:
    """One group's lr (or hyperparameter) on both sides."""

    group_a: str
    group_b: str
    quantity: str
    identical: bool
    worst_ulp: float
    first_step: int | None = None
    value_a: float | None = None
    value_b: float | None = None
    ulp: float | None = None
    cause: Cause | None = None

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("group_a", "group_b", "quantity", "identical", "worst_ulp", "first_step", "value_a", "value_b", "ulp")}
        d["cause"] = self.cause.as_dict() if self.cause else None
        return d

    def text(self) -> str:
        if self.identical:
            return f"{self.quantity}: identical (worst {self.worst_ulp:g} ulp)"
        out = (f"{self.quantity}: DIFFERS from step {self.first_step}: A {self.value_a!r}, B {self.value_b!r} "
               f"({self.ulp:g} ulp); worst {self.worst_ulp:g} ulp")
        out += f"\n    cause: {self.cause.name}: {self.cause.detail}" if self.cause else "\n    cause: no systematic pattern recognised"
        return out


@dataclass
class DiffReport:
    a: str
    b: str
    steps: int
    tolerance: float
    items: list[QuantityDiff]
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(i.identical for i in self.items) and not self.only_a and not self.only_b

    def causes(self) -> list[str]:
        return [i.cause.kind for i in self.items if i.cause]

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "steps": self.steps, "tolerance_ulp": self.tolerance, "identical": self.ok,
                "quantities": [i.as_dict() for i in self.items], "only_in_a": self.only_a, "only_in_b": self.only_b,
                "notes": self.notes}

    def text(self) -> str:
        lines = [f"A: {self.a}", f"B: {self.b}",
                 f"{self.steps} steps compared in float32 ulps (tolerance {self.tolerance:g})"]
        pairs = dict.fromkeys((i.group_a, i.group_b) for i in self.items)
        for ga, gb in pairs:
            lines.append(f"group '{ga}'" + (f" <-> '{gb}'" if gb != ga else ""))
            lines += ["  " + i.text().replace("\n", "\n  ") for i in self.items if (i.group_a, i.group_b) == (ga, gb)]
        lines += [f"group '{g}' only in A" for g in self.only_a] + [f"group '{g}' only in B" for g in self.only_b]
        lines += [f"note: {n}" for n in self.notes]
        n_diff = sum(not i.identical for i in self.items) + len(self.only_a) + len(self.only_b)
        lines.append("verdict: identical within tolerance" if self.ok else f"verdict: DIFFER ({n_diff} difference{'s' * (n_diff != 1)})")
        return "\n".join(lines)

    __str__ = text


def match_groups(a_names, b_names, mapping=None) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Pairs (A group, B group): the explicit mapping, then equal names, then the last two left if one each."""
    mapping = dict(mapping or {})
    for ga, gb in mapping.items():
        if ga not in a_names:
            raise PlanError("map", f"A has no group '{ga}'; its groups: {', '.join(a_names)}")
        if gb not in b_names:
            raise PlanError("map", f"B has no group '{gb}'; its groups: {', '.join(b_names)}")
    pairs = list(mapping.items())
    left_a = [g for g in a_names if g not in mapping]
    left_b = [g for g in b_names if g not in mapping.values()]
    for g in list(left_a):
        if g in left_b:
            pairs.append((g, g))
            left_a.remove(g)
            left_b.remove(g)
    if len(left_a) == 1 and len(left_b) == 1:
        pairs.append((left_a.pop(), left_b.pop()))
    order = {g: i for i, g in enumerate(a_names)}
    return sorted(pairs, key=lambda p: order[p[0]]), left_a, left_b


def _compare(ga, gb, quantity, a, b, tol) -> QuantityDiff:
    err = ulp_distance(a, b).astype(np.float64)
    worst = float(err.max()) if err.size else 0.0
    if worst <= tol:
        return QuantityDiff(ga, gb, quantity, True, worst)
    k = int(np.nonzero(err > tol)[0][0])
    return QuantityDiff(ga, gb, quantity, False, worst, k, float(a[k]), float(b[k]), float(err[k]), classify(a, b, tol + 1))


def diff_curves(a: Curves, b: Curves, *, mapping=None, tol: float | None = None) -> DiffReport:
    """Compare two sides group by group, for the lr and every hyperparameter either side schedules."""
    if a.steps != b.steps:
        raise PlanError("steps", f"the sides cover different steps: A {a.steps}, B {b.steps}")
    tolerance = max(a.tolerance, b.tolerance) if tol is None else tol
    pairs, only_a, only_b = match_groups(a.names, b.names, mapping)
    items, notes = [], list(dict.fromkeys(a.notes + b.notes))
    hp_names = sorted(set(a.hparams) | set(b.hparams))
    for ga, gb in pairs:
        ia, ib = a.names.index(ga), b.names.index(gb)
        items.append(_compare(ga, gb, "lr", a.lr[ia], b.lr[ib], tolerance))
        for h in hp_names:
            ha, hb = a.hparam(h), b.hparam(h)
            if ha is None or hb is None:
                note = f"'{h}' is scheduled on {'A' if hb is None else 'B'} only and unknown on the other side: not compared"
                if note not in notes:
                    notes.append(note)
                continue
            items.append(_compare(ga, gb, h, ha[ia], hb[ib], tolerance))
    return DiffReport(a.label, b.label, a.steps, tolerance, items, only_a, only_b, notes)


def _label(source) -> str | None:
    return str(source) if isinstance(source, (str, Path)) else None


def load_pair(a, b, *, steps=None, steps_per_epoch=None, target_a=None, target_b=None) -> tuple[Curves, Curves]:
    """Both sides as ``Curves`` over the same steps (``steps``, else the first horizon a side sets)."""
    ra = read_side(a, steps=steps, steps_per_epoch=steps_per_epoch)
    rb = read_side(b, steps=steps, steps_per_epoch=steps_per_epoch)
    n = resolve_steps(ra, rb, steps)
    return (curves_of(ra, n, target=target_a, label=_label(a)), curves_of(rb, n, target=target_b, label=_label(b)))


def diff(a, b, *, steps: int | None = None, steps_per_epoch: int | None = None, target_a=None, target_b=None,
         mapping=None, tol: float | None = None) -> DiffReport:
    """Diff two sources (files, ``module:function``, plans, measurements, arrays, ``Curves``), each measured on
    its target (``Target`` or "backend/mode[/device[/form]]") when given, else evaluated by the reference."""
    ca, cb = load_pair(a, b, steps=steps, steps_per_epoch=steps_per_epoch, target_a=target_a, target_b=target_b)
    return diff_curves(ca, cb, mapping=mapping, tol=tol)


def plot_diff(a: Curves, b: Curves, report: DiffReport, out) -> Path:
    """Overlay A (solid) and B (dashed) for every matched group's lr, their difference B − A below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), dpi=110, sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    k = np.arange(report.steps)
    for i, item in enumerate(x for x in report.items if x.quantity == "lr"):
        ya, yb = a.lr[a.names.index(item.group_a)], b.lr[b.names.index(item.group_b)]
        colour = f"C{i}"
        top.plot(k, ya, "-", color=colour, linewidth=1.6, label=f"A {item.group_a}")
        top.plot(k, yb, "--", color=colour, linewidth=1.6, label=f"B {item.group_b}")
        bottom.plot(k, yb - ya, "-", color=colour, linewidth=1.2, label=item.group_a)
        if item.first_step is not None:
            top.axvline(item.first_step, color=colour, alpha=0.3, linestyle=":")
    top.set_ylabel("applied learning rate")
    top.set_title(f"A: {report.a}\nB: {report.b}", fontsize=8)
    top.grid(alpha=0.3)
    top.legend(fontsize=7)
    bottom.set_ylabel("B − A")
    bottom.set_xlabel("optimizer step k")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    out = Path(out)
    fig.savefig(out)
    plt.close(fig)
    return out


def parse_mapping(items) -> dict[str, str]:
    """``["a=b", ...]`` -> {"a": "b"}."""
    out = {}
    for item in items or []:
        ga, sep, gb = item.partition("=")
        if not sep or not ga or not gb:
            raise PlanError("map", f"expected A_GROUP=B_GROUP, got {item!r}")
        out[ga] = gb
    return out


def run_cli(a, b, *, target_a=None, target_b=None, steps=None, steps_per_epoch=None, mapping=(), as_json=False, plot=None,
            out=None, err=None) -> int:
    """``lrbridge diff``: print the report; 0 identical within tolerance, 1 differ, 2 bad input."""
    import json
    import sys

    out, err = out or sys.stdout, err or sys.stderr
    try:
        ca, cb = load_pair(a, b, steps=steps, steps_per_epoch=steps_per_epoch, target_a=target_a, target_b=target_b)
        report = diff_curves(ca, cb, mapping=parse_mapping(mapping))
    except (LrBridgeError, OSError) as exc:
        err.write(f"error: {exc}\n")
        return 2
    if as_json:
        json.dump(report.as_dict(), out, indent=2)
        out.write("\n")
    else:
        out.write(report.text() + "\n")
    if plot is not None:
        plot_diff(ca, cb, report, plot)
        err.write(f"wrote {plot}\n")
    return 0 if report.ok else 1
