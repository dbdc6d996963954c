"""Reference evaluator: the lr every group applies at every optimizer step (numpy, float64, vectorized)."""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import ArgumentTypeError, EvaluationError, expect_type
from .limits import MAX_STEP, check_allocation, check_step
from .plan import Plan


def steps_array(steps) -> np.ndarray:
    """``steps`` as an int64 array: an int N means 0..N−1, otherwise the given non-negative steps."""
    check_steps_arg(steps)
    if isinstance(steps, (int, np.integer)):
        return np.arange(int(steps), dtype=np.int64)
    arr = np.asarray(steps)
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise EvaluationError(f"steps must be an int or a 1-D array of integer steps, got {arr.dtype} of shape {arr.shape}")
    if arr.size and arr.min() < 0:
        raise EvaluationError(f"steps must be non-negative, got {int(arr.min())}")
    if arr.size and arr.max() > MAX_STEP:  # before int64/float64 could wrap or round it
        check_step(int(arr.max()))
    return arr.astype(np.int64)


def check_steps_arg(steps) -> None:
    """``steps`` is a step count (int ≥ 0) or a sequence of steps, never a bool or a string."""
    if isinstance(steps, (bool, np.bool_, str, bytes)) or not isinstance(steps, (int, np.integer)) and not hasattr(steps, "__len__"):
        raise ArgumentTypeError(
            f"evaluate: steps must be an int (evaluate steps 0..N-1) or a sequence of integer steps, got {type(steps).__name__}"
        )
    if isinstance(steps, (int, np.integer)) and steps < 0:
        raise EvaluationError(f"steps must be non-negative, got {steps}")


def _check_lrs(plan: Plan, out: np.ndarray, k: np.ndarray) -> None:
    """Every lr finite and ≥ 0, else EvaluationError naming the group and the first such step.

    (min/max propagate NaN, so two reductions without temporaries check everything.)
    """
    if not out.size or (out.min() >= 0.0 and out.max() < np.inf):
        return
    g, j = np.argwhere(~((out >= 0.0) & (out < np.inf)))[0]
    value = float(out[g, j])
    why = "is negative" if value < 0 else "overflows (gamma^k or lr × lr_scale beyond float64)" if value > 0 else "is not a number"
    raise EvaluationError(
        f"group '{plan.groups[g].name}' gets lr {value!r} at step {int(k[j])}, which {why}; "
        "learning rates must be finite and non-negative: check the schedule's values and factors"
    )


def _apply_horizon(plan: Plan, k: np.ndarray) -> np.ndarray:
    h = plan.horizon
    if h.steps is None or h.past == "continue" or not k.size or k.max() < h.steps:
        return k
    if h.past == "hold":
        return np.minimum(k, h.steps - 1)
    first = int(k[k >= h.steps].min())
    raise EvaluationError(
        f"step {first} is past the plan's horizon of {h.steps} steps (horizon.past: error); "
        f"evaluate at most {h.steps} steps or set horizon.past to 'continue' or 'hold'"
    )


#: Below this many steps one block is fastest; above it blocks run on a thread pool
#: (numpy releases the GIL inside ufuncs such as cos, so blocks run in parallel) and
#: each block's temporaries stay in cache.
BLOCK = 1 << 17


@functools.lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor | None:
    workers = min(8, os.cpu_count() or 1)
    return ThreadPoolExecutor(workers, thread_name_prefix="lrbridge-eval") if workers > 1 else None


def _groups_by_schedule(plan: Plan):
    """(schedule, row indices, base lrs (G, 1), lr_scales (G, 1)) per distinct schedule."""
    out = []
    for schedule in plan.schedules():
        rows = [i for i, g in enumerate(plan.groups) if plan.group_schedule(g) is schedule]
        if rows:
            base = np.array([plan.group_base_lr(plan.groups[i]) for i in rows], np.float64)[:, None]
            scale = np.array([plan.groups[i].lr_scale for i in rows], np.float64)[:, None]
            out.append((schedule, rows, base, scale))
    return out


def _fill(out: np.ndarray, k: np.ndarray, parts) -> bool:
    """Fill ``out`` (one block); True when every value is a valid lr (finite, ≥ 0).

    The validity reduction runs here, in the block's worker thread, so it costs no extra pass.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # overflow and NaN are reported by _check_lrs, naming the step
        _fill_parts(out, k, parts)
    return not out.size or bool(out.min() >= 0.0 and out.max() < np.inf)


def _fill_parts(out: np.ndarray, k: np.ndarray, parts) -> None:
    for schedule, rows, base, scale in parts:
        lr = schedule.lr(k, base)
        if len(rows) == out.shape[0] and not np.any(scale != 1.0):
            out[...] = lr  # the common single-schedule case: no gather/scatter, no multiply
        else:
            out[rows] = scale * lr


def _steps_f64(plan: Plan, steps) -> np.ndarray:
    """The steps to evaluate as float64, the horizon policy applied (0..N−1 built directly)."""
    h = plan.horizon
    if isinstance(steps, (int, np.integer)) and 0 <= steps and (h.past == "continue" or h.steps is None or steps <= h.steps):
        return np.arange(int(steps), dtype=np.float64)
    return _apply_horizon(plan, steps_array(steps)).astype(np.float64)


def evaluate(plan: Plan, steps, *, dtype=np.float64) -> np.ndarray:
    """lr of every group at every step: array of shape (len(plan.groups), len(steps)).

    Computed in float64 (the reference); ``dtype=np.float32`` returns it rounded to
    float32, the value a float32 framework path should apply. A group with
    ``lr_dtype: float32`` (the framework holds its lr in float32) gets fp32(lr) in
    every dtype (``round_float32_groups``). Groups sharing a schedule are computed in
    one vectorized call; long step ranges are split in blocks evaluated in parallel
    (results are identical: every formula is elementwise).
    """
    expect_type(plan, Plan, "evaluate", "plan", "load a file with lrbridge.load_plan")
    check_steps_arg(steps)
    check_allocation(len(plan.groups), steps if isinstance(steps, (int, np.integer)) else len(steps))
    k = _steps_f64(plan, steps)
    out = np.empty((len(plan.groups), k.size), np.float64)
    parts = _groups_by_schedule(plan)
    pool = _pool() if k.size > BLOCK else None
    if pool is None:
        valid = _fill(out, k, parts)
    else:
        blocks = [slice(i, i + BLOCK) for i in range(0, k.size, BLOCK)]
        valid = all(list(pool.map(lambda b: _fill(out[:, b], k[b], parts), blocks)))  # list: surface every exception
    rounded = round_float32_groups(plan, out)
    if not valid or rounded:
        _check_lrs(plan, out, k)
    return out.astype(dtype, copy=False)


def round_float32_groups(plan: Plan, out: np.ndarray) -> bool:
    """Round in place the rows of groups whose lr the framework holds in float32 (``lr_dtype: float32``,
    e.g. a torch ``lr=torch.tensor(0.5)``) to float32, kept as float64 numbers: fp32(lr(k)) is what
    such a group applies. The one place that rule lives; True when some row was rounded."""
    rows = [i for i, g in enumerate(plan.groups) if g.lr_dtype == "float32"]
    if rows and out.size:
        with np.errstate(over="ignore"):  # beyond float32's range: inf, reported by _check_lrs
            out[rows] = out[rows].astype(np.float32)
    return bool(rows)


class StepTable:
    """One step's lrs at a time, for schedulers that frameworks step once per optimizer step.

    ``row(k)`` is the plan's lr of every group at step k as a list of Python floats
    (the cheapest thing to hand to a framework each step). Behind it ``values(plan,
    steps)`` (default: ``evaluate``) fills ``chunk`` steps per vectorized call, so a
    step costs a list lookup. It never evaluates past an ``error`` horizon ahead of
    time: the error surfaces exactly at the first step past it.
    """

    def __init__(self, plan: Plan, chunk: int = 4096, values=evaluate):
        self.plan = plan
        self.chunk = chunk
        self._values = values
        self._k0 = 0
        self._rows: list[list[float]] = []

    def row(self, k: int) -> list[float]:
        i = k - self._k0
        if not 0 <= i < len(self._rows):
            end = k + self.chunk
            h = self.plan.horizon
            if h.past == "error" and h.steps is not None and k < h.steps:
                end = min(end, h.steps)
            try:
                rows = self._values(self.plan, np.arange(k, end, dtype=np.int64))
            except EvaluationError:
                # some later step of the chunk is invalid (e.g. a negative lr far ahead): that error
                # belongs to that step, not to k, so k is evaluated alone (raising if k itself is invalid)
                rows = self._values(self.plan, np.arange(k, k + 1, dtype=np.int64))
            self._k0, self._rows = k, rows.T.tolist()
            i = 0
        return self._rows[i]


def curves(plan: Plan, steps) -> dict[str, np.ndarray]:
    """``evaluate`` keyed by group name."""
    return dict(zip(plan.group_names, evaluate(plan, steps)))


def group_hparam(plan: Plan, group, name: str) -> float:
    """A group's value of a schedulable hyperparameter: its own hparams, else the optimizer's.

    ``beta1`` is the first entry of ``betas``; ``weight_decay`` is the group's field, else the optimizer's.
    """
    if name == "weight_decay":
        return float(plan.group_weight_decay(group))
    key, index = ("betas", 0) if name == "beta1" else (name, None)
    value = group.hparams.get(key, plan.optimizer.resolved().get(key))
    if value is None:
        raise EvaluationError(f"group '{group.name}' schedules '{name}', but optimizer '{plan.optimizer.name}' has no '{key}'")
    return float(value[index] if index is not None else value)


def evaluate_hparam(plan: Plan, name: str, steps) -> np.ndarray:
    """Scheduled hyperparameter ``name`` of every group at every step, shape (groups, steps).

    A group with a schedule for ``name`` (``hparam_schedulers``) gets schedule(k, base)
    with base = its value of ``name``; other groups keep that value at every step.
    """
    k = _apply_horizon(plan, steps_array(steps)).astype(np.float64)
    out = np.empty((len(plan.groups), k.size), np.float64)
    for i, g in enumerate(plan.groups):
        base = group_hparam(plan, g, name)
        schedule = g.hparam_schedulers.get(name)
        out[i] = schedule.lr(k, np.float64(base)) if schedule is not None else base
    return out
