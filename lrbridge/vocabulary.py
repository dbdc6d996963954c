"""The torch-style scheduler vocabulary, once: class name + constructor arguments -> IR node.

PyTorch, OneFlow, MindSpore's ``experimental.optim`` and the config systems built on them
(Hydra, Lightning, mmengine) name the same schedulers with the same classes. Every
importer and dialect that reads such a class goes through :func:`node`, so each mapping
and each argument default is written here and nowhere else. What differs between the
frameworks is data (:data:`QUIRKS`): renamed arguments, other defaults, classes one of
them lacks. Composites (``SequentialLR``, ``ChainedScheduler``, ``WarmupLR``) differ in
semantics, not just names, and stay with each importer.

The leaf classes are closed forms in the scheduler's step counter ``last_epoch``; each
builder gives the IR node whose ``lr(k, base)`` equals the class's stepped lr at k.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from .errors import PlanError
from .schedules import (
    ConstantFactor,
    CosineAnnealing,
    CosineDecay,
    CosineWarmRestarts,
    Exponential,
    LinearRamp,
    MultiStep,
    Piecewise,
    Polynomial,
    ReduceOnPlateau,
    Step,
)


def scalar(value) -> float | int | bool | str:
    """A plain Python value from a framework scalar (tensor, numpy number) or a plain one."""
    if isinstance(value, (bool, int, float, str)):
        return value
    for attr in ("item", "asnumpy"):
        if hasattr(value, attr):
            value = getattr(value, attr)()
    return value.item() if hasattr(value, "item") else value


def _f(a, key) -> float:
    return float(scalar(a[key]))


def whole(value, key: str) -> int:
    """A step count as an int; a non-integral one is refused, never truncated: the frameworks compute with it as
    given (torch's ``last_epoch % 2.5``, OneFlow's ``floor(step / 2.5)``, ``bisect`` over ``[5.5]``), so
    ``int(2.5)`` would import another schedule."""
    x = scalar(value)
    if isinstance(x, float) and not x.is_integer():
        raise PlanError(key, f"{key}={x!r} is not a whole number of steps; the scheduler computes with it as given, so "
                             "no plan equals it: pass a whole number, or import the lrs it applies (lrbridge.from_trace)")
    return int(x)


def _i(a, key) -> int:
    return whole(a[key], key)


def _multistep(a):
    """A milestone listed n times decays by γ^n there (torch keeps a Counter of them)."""
    marks = a["milestones"]
    counts = Counter(whole(m, "milestones") for m in (marks.elements() if isinstance(marks, Counter) else marks))
    marks, gamma = sorted(counts), _f(a, "gamma")
    if all(c == 1 for c in counts.values()):
        return MultiStep(milestones=tuple(marks), gamma=gamma)
    values, total = [1.0], 0
    for m in marks:
        total += counts[m]
        values.append(gamma**total)
    return Piecewise(boundaries=tuple(marks), values=tuple(values), relative=True)


def _constant(a):
    if _i(a, "total_iters") == 0 and a["_recursive"]:  # torch's recursion never undoes the factor: b·factor forever
        return LinearRamp(start_factor=_f(a, "factor"), end_factor=_f(a, "factor"), total_iters=1)
    return ConstantFactor(factor=_f(a, "factor"), total_iters=_i(a, "total_iters"))


def _linear(a):
    if _i(a, "total_iters") == 0 and a["_recursive"]:  # torch's recursion never ramps: b·start_factor forever
        return LinearRamp(start_factor=_f(a, "start_factor"), end_factor=_f(a, "start_factor"), total_iters=1)
    return LinearRamp(start_factor=_f(a, "start_factor"), end_factor=_f(a, "end_factor"), total_iters=_i(a, "total_iters"))


def _polynomial(a):
    cycle = bool(scalar(a.get("cycle", False)))
    return Polynomial(total_iters=_i(a, "total_iters"), power=_f(a, "power"), end_lr=_f(a, "end_lr"),
                      cycle=cycle, cycle_min_step=int(a.get("cycle_min_step", 0)) if cycle else 0)  # fmt: skip


def _restarts(a):
    return CosineWarmRestarts(T_0=_i(a, "T_0"), T_mult=_i(a, "T_mult"), eta_min=_f(a, "eta_min"),
                              decay_rate=_f(a, "decay_rate"), restart_limit=_i(a, "restart_limit"))  # fmt: skip


_PLATEAU_FLOATS = ("factor", "threshold", "eps")


def _plateau(a):
    min_lr = scalar(a["min_lr"]) if not isinstance(a["min_lr"], (list, tuple)) else a["min_lr"]
    if isinstance(min_lr, (list, tuple)):
        if len(set(map(float, min_lr))) != 1:
            raise PlanError("min_lr", "per-group min_lr: import each group's ReduceOnPlateau with its own min_lr")
        min_lr = min_lr[0]
    return ReduceOnPlateau(mode=str(scalar(a["mode"])), patience=_i(a, "patience"), threshold_mode=str(scalar(a["threshold_mode"])),
                           cooldown=_i(a, "cooldown"), min_lr=float(min_lr),
                           **{k: _f(a, k) for k in _PLATEAU_FLOATS})  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One torch-style class: its required arguments, torch's defaults and the IR builder."""

    required: tuple[str, ...]
    defaults: dict = field(default_factory=dict)
    build: Callable[[dict], object] = None  # type: ignore[assignment]


#: class name -> Entry, with torch's argument names and defaults
CLASSES: dict[str, Entry] = {
    "StepLR": Entry(("step_size",), {"gamma": 0.1}, lambda a: Step(step_size=_i(a, "step_size"), gamma=_f(a, "gamma"))),
    "MultiStepLR": Entry(("milestones",), {"gamma": 0.1}, _multistep),
    "ConstantLR": Entry((), {"factor": 1.0 / 3, "total_iters": 5, "_recursive": True}, _constant),
    "LinearLR": Entry((), {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5, "_recursive": True}, _linear),
    "ExponentialLR": Entry(("gamma",), {}, lambda a: Exponential(gamma=_f(a, "gamma"))),
    "PolynomialLR": Entry((), {"total_iters": 5, "power": 1.0, "end_lr": 0.0, "cycle": False}, _polynomial),
    "CosineAnnealingLR": Entry(("T_max",), {"eta_min": 0.0}, lambda a: CosineAnnealing(T_max=_i(a, "T_max"), eta_min=_f(a, "eta_min"))),
    "CosineAnnealingWarmRestarts": Entry(("T_0",), {"T_mult": 1, "eta_min": 0.0, "decay_rate": 1.0, "restart_limit": 0}, _restarts),
    "CosineDecayLR": Entry(("decay_steps",), {"alpha": 0.0}, lambda a: CosineDecay(decay_steps=_i(a, "decay_steps"), alpha=_f(a, "alpha"))),
    "ReduceLROnPlateau": Entry((), {"mode": "min", "factor": 0.1, "patience": 10, "threshold": 1e-4, "threshold_mode": "rel",
                                    "cooldown": 0, "min_lr": 0.0, "eps": 1e-8}, _plateau),  # fmt: skip
}


@dataclass(frozen=True)
class Quirks:
    """How one framework's classes differ from torch's, as data.

    ``classes``: the leaf classes it has; ``renames``: its argument name -> torch's;
    ``defaults``: defaults that differ (torch names); ``fixed``: arguments its class
    does not take but whose value is fixed by its semantics (names starting with ``_``
    are semantics flags, never constructor arguments).
    """

    classes: frozenset[str]
    renames: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: dict[str, dict] = field(default_factory=dict)
    fixed: dict[str, dict] = field(default_factory=dict)


_TORCH_LEAVES = frozenset(CLASSES) - {"CosineDecayLR"}

QUIRKS: dict[str, Quirks] = {
    "torch": Quirks(_TORCH_LEAVES),
    # oneflow/nn/optimizer/*.py (0.9): PolynomialLR counts decay_batch, its end lr is absolute with
    # default 1e-4 and its cycle treats step 0 as 1; warm restarts also decay and stop restarting;
    # ConstantLR/LinearLR are closed forms, so total_iters=0 means no factor / end_factor at once.
    "oneflow": Quirks(
        frozenset(CLASSES),
        renames={"PolynomialLR": {"decay_batch": "total_iters", "end_learning_rate": "end_lr"}},
        defaults={"PolynomialLR": {"end_lr": 0.0001}},
        fixed={"PolynomialLR": {"cycle_min_step": 1}, "ConstantLR": {"_recursive": False}, "LinearLR": {"_recursive": False}},
    ),
    # mindspore/experimental/optim/lr_scheduler.py: torch's names and defaults; no CosineDecayLR.
    "mindspore": Quirks(_TORCH_LEAVES),
}


def node(framework: str, cls: str, arguments: dict, where: str = "scheduler"):
    """The IR node equal to ``framework``'s class ``cls`` built with ``arguments``.

    ``arguments`` are constructor keywords (or the attributes a live scheduler stores
    under the same names); missing ones take the framework's defaults. Unknown classes,
    missing required arguments and invalid values raise ``PlanError`` at ``where``.
    """
    quirks = QUIRKS[framework]
    if cls not in quirks.classes:
        raise PlanError(where, f"{framework} has no closed-form class {cls!r}; known: {', '.join(sorted(quirks.classes))}")
    entry = CLASSES[cls]
    renames = quirks.renames.get(cls, {})
    given = {renames.get(k, k): v for k, v in arguments.items()}
    args = {**entry.defaults, **quirks.defaults.get(cls, {}), **given, **quirks.fixed.get(cls, {})}
    missing = [k for k in entry.required if k not in args]
    if missing:
        inverse = {v: k for k, v in renames.items()}
        raise PlanError(where, f"{cls} needs {', '.join(inverse.get(k, k) for k in missing)}")
    try:
        return entry.build(args)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, PlanError):  # the argument it names, as the framework names it
            inverse = {v: k for k, v in renames.items()}
            raise PlanError(f"{where}.{inverse.get(exc.path, exc.path)}" if exc.path else where,
                            f"{cls}: {exc.message}") from None
        raise PlanError(where, f"{cls}: {exc}") from None


def argument_names(framework: str, cls: str) -> list[str]:
    """The constructor arguments ``framework``'s ``cls`` takes (its own names)."""
    entry = CLASSES[cls]
    inverse = {v: k for k, v in QUIRKS[framework].renames.get(cls, {}).items()}
    fixed = QUIRKS[framework].fixed.get(cls, {})
    optional = {**entry.defaults, **QUIRKS[framework].defaults.get(cls, {})}
    names = list(entry.required) + [k for k in optional if k not in fixed and not k.startswith("_")]
    return [inverse.get(n, n) for n in names]
