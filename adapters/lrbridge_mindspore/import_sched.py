"""mindspore.experimental.optim.lr_scheduler instances -> one (schedule, base lr) per param group.

Closed forms (``mindspore/experimental/optim/lr_scheduler.py``):
- the torch-style leaves through ``lrbridge.vocabulary`` and ``SequentialLR`` (restarting stages);
- ``CyclicLR`` -> ``Cyclic`` per group (absolute bounds; MindSpore's class cycles no momentum);
- ``ReduceLROnPlateau`` -> ``ReduceOnPlateau`` per group (its own ``min_lr``).
What has none (``LambdaLR``, ``MultiplicativeLR``, ``CyclicLR`` with a custom ``scale_fn``, and
a user-defined ``LRScheduler`` subclass, whose ``get_lr`` is the user's code) is sampled: a copy
of the scheduler is stepped ``steps − 1`` times and every group's lr recorded, then
``from_samples`` gives the closed form that reproduces them, else a table.

Classes are recognised by identity, not by name: a user's subclass (even one named ``ConstantLR``,
as in MindSpore's own ``LRScheduler`` example, or one overriding a built-in's ``get_lr``) is sampled,
never read as the built-in class of that name.

A sampled lr is the float32 value MindSpore computes; a closed form is the formula the
float32 recursion approximates (as for every experimental class).
"""

from __future__ import annotations

import copy

import numpy as np

from lrbridge.errors import PlanError
from lrbridge.plan import ImportResult
from lrbridge.schedules import Cyclic, ReduceOnPlateau, Sequential

from .import_optim import f32

#: classes without a closed form: sampled over ``steps``
SAMPLED = ("LambdaLR", "MultiplicativeLR")


def from_samples(values, *, dtype: str, source: str, base_lr=None, names=None) -> ImportResult:
    """The one call into closed-form recognition: sampled lrs (groups × steps) -> closed form where one
    reproduces every value, else a table (``lrbridge.recognize.from_trace``)."""
    from lrbridge.recognize import from_trace

    return from_trace(values, dtype=dtype, source=source, base_lr=base_lr, names=names)


def is_builtin(sched) -> bool:
    """``sched`` is an instance of MindSpore's own class of its name (not a subclass, not a user class)."""
    from mindspore.experimental.optim import lr_scheduler

    cls = type(sched)
    return getattr(lr_scheduler, cls.__name__, None) is cls


def _closed_form(sched):
    """The schedule of a leaf class or SequentialLR, the same for every group."""
    from lrbridge.vocabulary import node

    name = type(sched).__name__
    if name == "SequentialLR":
        for i, stage in enumerate(sched._schedulers):  # noqa: SLF001 - no public accessor
            if not is_builtin(stage):
                # stepping a copy would step the user's stage schedulers (shared): refused, not sampled
                raise PlanError(f"SequentialLR.schedulers[{i}]", f"{type(stage).__module__}.{type(stage).__qualname__} "
                                "is not a MindSpore scheduler class (a subclass or user class: its get_lr is Python "
                                "code); import it alone with steps=, or use MindSpore's classes as stages")
        stages = tuple(_closed_form(s) for s in sched._schedulers)  # noqa: SLF001 - no public accessor
        return Sequential(stages=stages, milestones=tuple(int(m) for m in sched.milestones), clock="restart")
    return node("mindspore", name, vars(sched), "source")


def _bases(sched) -> list[float]:
    """Each group's base lr: its ``initial_lr`` (what a scheduler starts from), else its lr now."""
    return [f32(g.get("initial_lr", g["lr"])) for g in sched.optimizer.param_groups]


def _whole_step_sizes(sched) -> tuple[int, int] | None:
    """(up, down) when CyclicLR's stored total and ratio are whole steps, else None.

    MindSpore accepts float sizes (``step_size_down=2.5``: a 5.5-step cycle), so the total must be whole too.
    """
    total, ratio = float(sched.total_step_size), float(sched.step_up_ratio)
    up = round(total * ratio)
    if total != round(total) or up < 1 or total - up < 1 or up / total != ratio:
        return None
    return up, int(total - up)


def _cyclic(sched):
    """Per group Cyclic(base_lr, max_lr), or None where it has no closed form (custom scale_fn, fractional sizes)."""
    sizes = _whole_step_sizes(sched)
    if sched._scale_fn_custom is not None or sizes is None:  # noqa: SLF001 - MindSpore keeps it private
        return None
    up, down = sizes
    return [(Cyclic(base_lr=f32(b), max_lr=f32(m), step_size_up=up, step_size_down=down, mode=sched.mode,
                    gamma=float(sched.gamma)), f32(b)) for b, m in zip(sched.base_lrs, sched.max_lrs)]


def _plateau(sched):
    """Per group ReduceOnPlateau with its own min_lr; the base is the group's lr when it was built."""
    common = dict(mode=sched.mode, factor=float(sched.factor), patience=int(sched.patience), threshold=float(sched.threshold),
                  threshold_mode=sched.threshold_mode, cooldown=int(sched.cooldown), eps=float(sched.eps))
    return [(ReduceOnPlateau(min_lr=f32(m), **common), b) for m, b in zip(sched.min_lrs, _bases(sched))]


class _OptimizerView:
    """The optimizer as a scheduler copy sees it: the same object, but every group's lr (and ``lrs``) is the
    copy's own Parameter, so a ``step`` writing ``param_groups[i]["lr"]`` (CosineAnnealingWarmRestarts, user
    classes) or a ``get_lr`` reading it never touches the user's optimizer."""

    def __init__(self, optimizer, lrs):
        self._optimizer = optimizer
        self.lrs = list(lrs)
        self.param_groups = [{**g, "lr": lr} for g, lr in zip(optimizer.param_groups, self.lrs)]

    def __getattr__(self, name):
        return getattr(self._optimizer, name)


def stepped_lrs(sched, steps: int, *, from_start: bool = False) -> np.ndarray:
    """Every group's lr at steps 0..steps−1 (float32 values), from a copy of the scheduler.

    The copy gets its own Parameters (``last_epoch``, the lrs, any other Parameter the class keeps, such as
    CosineAnnealingWarmRestarts' ``T_cur``), a view of the optimizer holding those lrs, and copied lambdas,
    so the user's scheduler and optimizer are never stepped. (``copy.deepcopy`` cannot copy the
    optimizer: MindSpore Cells hold unpicklable ops.) ``from_start``: the copy restarts at
    epoch 0 whatever the scheduler's ``last_epoch`` (only for a class without recursion, LambdaLR).
    """
    from mindspore import Parameter, Tensor

    twin = copy.copy(sched)
    for key, value in vars(sched).items():
        if isinstance(value, Parameter):
            setattr(twin, key, Parameter(value.value().copy(), name=f"lrbridge_{key}"))
    if from_start:
        twin.last_epoch = Parameter(Tensor(np.float32(-1.0)), name="lrbridge_last_epoch")
    twin._last_lr = [Parameter(p.value().copy(), name=f"lrbridge_lr_{i}") for i, p in enumerate(sched._last_lr)]  # noqa: SLF001
    twin.optimizer = _OptimizerView(sched.optimizer, twin._last_lr)  # noqa: SLF001
    if hasattr(sched, "lr_lambdas"):
        try:
            twin.lr_lambdas = copy.deepcopy(sched.lr_lambdas)  # a stateful callable must not advance the user's
        except Exception:  # noqa: BLE001 - lambdas closing over unpicklable objects: stateless ones are safe to share
            twin.lr_lambdas = list(sched.lr_lambdas)
    if from_start:
        twin.step()  # epoch 0
    out = np.empty((len(twin._last_lr), steps), np.float32)  # noqa: SLF001
    for k in range(steps):
        if k:
            twin.step()
        out[:, k] = [p.asnumpy() for p in twin._last_lr]  # noqa: SLF001
    return out


def _sampled(sched, steps, why: str):
    """Per group (closed form or table, base) from the stepped lrs; notes say which."""
    if steps is None:
        raise PlanError("steps", f"{type(sched).__name__} {why}: pass steps=<optimizer steps> to sample it")
    # a closed form is imported from its start whatever last_epoch is: so are samples. LambdaLR's lr is
    # base·λ(epoch) (no recursion): a copy restarts at epoch 0; a recursion cannot be rewound
    stepped = int(float(sched.last_epoch.asnumpy()))
    from_start = stepped != 0 and type(sched).__name__ == "LambdaLR" and is_builtin(sched)
    if stepped != 0 and not from_start:
        raise PlanError("source", f"{type(sched).__name__} has already been stepped (last_epoch={stepped}) and {why}: "
                        "sampling needs it as constructed; build a fresh one with the same arguments")
    bases = _bases(sched)
    result = from_samples(stepped_lrs(sched, steps, from_start=from_start), dtype="float32",
                          source=f"mindspore {type(sched).__name__}", base_lr=bases,
                          names=[f"group{i}" for i in range(len(bases))])
    plan = result.plan
    # a table holds absolute lrs: its group keeps its own base lr (the plan's optimizer lr reads as the user's)
    pairs = [(plan.group_schedule(g), b if plan.group_schedule(g).kind == "tabulated" else float(plan.group_base_lr(g)))
             for g, b in zip(plan.groups, bases)]
    return pairs, [f"{type(sched).__name__} {why}: sampled over {steps} steps", *result.notes]


def _user_class(sched, steps):
    """A subclass of a MindSpore scheduler or a user's ``LRScheduler``: sampled (its ``get_lr`` is Python code)."""
    from mindspore.experimental.optim import lr_scheduler

    cls = type(sched)
    label = f"{cls.__module__}.{cls.__qualname__}"
    if isinstance(sched, lr_scheduler.ReduceLROnPlateau) or not isinstance(sched, lr_scheduler.LRScheduler):
        # metric-driven or not an LRScheduler (SequentialLR subclass, ...): nothing to step on its own
        raise PlanError("source", f"{label} is not a MindSpore scheduler class, and lrbridge samples only "
                        "LRScheduler subclasses (stepped without a metric); build it from MindSpore's classes")
    return _sampled(sched, steps, f"is a user-defined scheduler class ({label}: its get_lr is Python code)")


def schedules_of(sched, steps: int | None):
    """(per group (schedule, base lr), notes) for an experimental scheduler (see the module docstring)."""
    name = type(sched).__name__
    if not is_builtin(sched):
        return _user_class(sched, steps)
    if name == "ReduceLROnPlateau":
        return _plateau(sched), ["ReduceLROnPlateau: reduce_on_plateau per group (metric-driven, run natively)"]
    if name == "CyclicLR":
        pairs = _cyclic(sched)
        if pairs is not None:
            return pairs, ["CyclicLR: cyclic in closed form (MindSpore computes it in float32; it cycles no momentum)"]
        return _sampled(sched, steps, "has a custom scale_fn or fractional step sizes")
    if name in SAMPLED:
        return _sampled(sched, steps, "has no closed form (a Python function of the step)")
    schedule = _closed_form(sched)
    return [(schedule, b) for b in _bases(sched)], [f"{name}: modelled in closed form ({schedule.kind})"]
