"""The conformance matrix: plans measured on every backend x mode x device x form.

Each cell of the matrix is first checked for representability (``lrbridge.check``),
then measured with real optimizer steps and compared with the float64 reference
rounded to float32, in ulps. Cells whose device is absent are reported as such
(never silently dropped); cells a backend cannot express exactly are reported
with the reasons ``check`` gives. Many plans are measured together
(``iter_matrix``/``run_matrix_many``): per backend one batch per chunk of plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BackendUnavailableError, LrBridgeError
from ..reference import evaluate
from .compare import Comparison, compare, ulp_distance
from .engine import Target, get_runner

def _spec(target: Target):
    """The backend's TargetSpec for ``target`` (matched on mode, device and form), or None."""
    from ..backends import get_backend

    for t in get_backend(target.backend).targets:
        if (t.mode, t.device, t.form) == (target.mode, target.device, target.form):
            return t
    return None


def default_targets(backends=None) -> tuple[Target, ...]:
    """Every target the registered backends declare, CPU ones first (absent devices are reported, not dropped)."""
    from ..backends import backend_names, get_backend

    names = backend_names() if backends is None else list(backends)
    every = [Target(b, t.mode, t.device, t.form) for b in names for t in get_backend(b).targets]
    return tuple(sorted(every, key=lambda t: t.device != "cpu"))


def validate_target(target: Target) -> Target:
    """``target`` if some backend declares it, else an error listing what that backend offers."""
    if _spec(target) is None:
        offered = ", ".join(str(t) for t in default_targets([target.backend]))
        raise LrBridgeError(f"unknown target '{target}'; {target.backend} offers: {offered}")
    return target


def tolerance_ulp(plan, target: Target) -> int:
    """Allowed float32 ulps between what ``target`` applies and the reference, as its backend declares.

    0 where the framework applies fp32(lr) of a float64 lr computed exactly; more where the lr is
    computed inside the framework (e.g. float64 cells cast once: 1), and the backend's
    ``scaled_tolerance_ulp`` when some group has ``lr_scale`` != 1 applied by the framework in float32.
    """
    spec = _spec(target)
    if spec is None:
        return 0
    if spec.scaled_tolerance_ulp is not None and any(g.lr_scale != 1.0 for g in plan.groups):
        return spec.scaled_tolerance_ulp
    return spec.tolerance_ulp


@dataclass
class Cell:
    """One target's outcome: status is ok | mismatch | unrepresentable | absent | error."""

    target: Target
    status: str
    detail: str = ""
    comparison: Comparison | None = None
    lr: np.ndarray | None = field(default=None, repr=False)

    def as_dict(self) -> dict:
        out = {"target": str(self.target), "status": self.status, "detail": self.detail}
        if self.comparison is not None:
            c = self.comparison
            out.update(metric="ulp (float32)", tolerance=c.tolerance, worst=c.worst, worst_group=c.worst_group, worst_step=c.worst_step)
        return out


def _takes_total_step(backend: str) -> bool:
    """Whether the backend's ``check`` takes ``total_step`` (the run's length, e.g. for lr lists)."""
    import inspect

    from ..backends import get_backend, resolve

    try:
        return "total_step" in inspect.signature(resolve(get_backend(backend).check)).parameters
    except (TypeError, ValueError):
        return False


def _check(plan, target: Target, steps: int | None = None):
    """``check`` for the target's mode; told the measured ``steps`` where the backend's check takes
    ``total_step``: a plan without a horizon, measured for N steps, is then a list of N."""
    from ..backends import get_backend
    from ..capability import check

    spec = _spec(target)
    mode = (spec.check_mode if spec and spec.check_mode else target.mode)
    options = dict(get_backend(target.backend).check_options)
    if steps is not None and _takes_total_step(target.backend):
        options.setdefault("total_step", max(int(steps), plan.horizon.steps or 0))
    return check(plan, target.backend, mode=mode, **options)


def _availability(target: Target) -> str | None:
    try:
        return get_runner(target.backend).unavailable(target)
    except BackendUnavailableError as exc:
        return str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _unmeasured_cell(plan, target: Target, steps: int | None = None) -> Cell | None:
    """The cell of a target that is not measured (unrepresentable, or check itself failed), else None."""
    try:
        verdict = _check(plan, target, steps)
    except Exception as exc:  # a bug in a backend's check must cost only this cell
        return Cell(target, "error", f"check failed: {type(exc).__name__}: {_first_line(exc)}")
    if not verdict.ok:
        detail = "; ".join(verdict.reasons) + (f" (alternative: {verdict.alternative})" if verdict.alternative else "")
        return Cell(target, "unrepresentable", detail)
    return None


def flushed_subnormals32(measured: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, int]:
    """The reference with 0 wherever the target applied 0 for a float32-subnormal lr (|fp32(x)| < 2^-126).

    A target that flushes subnormals (MindSpore's CPU kernels, on some of their threads) may apply
    such an lr as 0 or as itself; both are what the plan means there. Returns the adjusted float64
    reference and how many values were flushed.
    """
    ref32 = np.asarray(reference, np.float32)
    flushed = (ref32 != 0) & (np.abs(ref32) < np.finfo(np.float32).tiny) & (np.asarray(measured) == 0)
    count = int(flushed.sum())
    return (np.where(flushed, 0.0, reference) if count else reference), count


def _flushes(runner, target: Target) -> bool:
    probe = getattr(runner, "flushes_subnormals", None)
    return bool(probe(target)) if probe is not None else False


def measured_cell(plan, steps: int, target: Target, lr, reference: np.ndarray, *, flushes: bool = False) -> Cell:
    """Compare a measured curve with the reference: ok | mismatch (or error for a wrong shape).

    ``flushes``: the target may apply float32-subnormal lrs as 0 (MindSpore's CPU kernels); such
    zeros match and are counted in the detail instead of failing the cell.
    """
    lr = np.asarray(lr, np.float64)
    if lr.shape != (len(plan.groups), steps):
        return Cell(target, "error", f"runner returned shape {lr.shape}, expected {(len(plan.groups), steps)}")
    flushed = 0
    if flushes:
        reference, flushed = flushed_subnormals32(lr, reference)
    c = compare(lr, reference, group_names=plan.group_names, metric="ulp", tolerance=tolerance_ulp(plan, target))
    detail = str(c) + (f"; {flushed} float32-subnormal lrs applied as 0 (this target flushes subnormals)" if flushed else "")
    held = sorted({name for g in plan.groups for name in g.hparam_schedulers})
    if held:  # engine.lr_probe_plan: the lr probe runs without them
        detail += (f"; lr measured with scheduled {', '.join(held)} held (measured by their own probes: "
                   "lrbridge.conformance.momentum, .weight_decay)")
    return Cell(target, "ok" if c.ok else "mismatch", detail, c, lr)


@dataclass
class PlanResult:
    """The matrix of one plan of a batch: ``cells`` in target order, or ``error`` when the plan
    itself cannot be measured (no steps, no reference: e.g. a metric-driven schedule)."""

    index: int
    plan: object
    steps: int | None
    cells: list[Cell] = field(default_factory=list)
    error: Exception | None = None
    name: str = ""

    @property
    def failed(self) -> bool:
        """Some target applies something other than the plan (or could not run it)."""
        return self.error is not None or any(c.status in ("mismatch", "error") for c in self.cells)

    def as_dict(self) -> dict:
        out = {"index": self.index, "plan": self.name or str(self.index), "steps": self.steps}
        if self.error is not None:
            out["error"] = _first_line(self.error)
        out["cells"] = [c.as_dict() for c in self.cells]
        return out


def _items(plans, steps):
    """(name, plan, steps) from plans given as Plan, (plan, steps) or (name, plan, steps)."""
    for item in plans:
        if isinstance(item, tuple) and len(item) == 3:
            yield item
        elif isinstance(item, tuple) and len(item) == 2:
            yield "", item[0], item[1]
        else:
            yield "", item, steps


def _chunks(items, sizes):
    """Consecutive lists of ``items`` of the given sizes (the last size repeats)."""
    items = iter(items)
    sizes = list(sizes)
    i = 0
    while True:
        size = sizes[min(i, len(sizes) - 1)]
        block = [x for _, x in zip(range(size), items)]
        if not block:
            return
        yield block
        i += 1


def _with_next(blocks):
    """(block, whether another block follows) for each block: the next block is read one ahead."""
    blocks = iter(blocks)
    current = next(blocks, None)
    while current is not None:
        following = next(blocks, None)
        yield current, following is not None
        current = following


#: plans measured together: small first batches so that progress shows early, then large ones
CHUNKS = (8, 32, 128, 256)


def iter_matrix(plans, steps: int | None = None, targets=None, *, progress=None, chunks=CHUNKS, retries: int = 1):
    """Measure many plans on every target together; yields a :class:`PlanResult` per plan, in order.

    ``plans``: an iterable (a generator works) of plans, ``(plan, steps)`` or ``(name, plan, steps)``;
    ``steps`` applies to bare plans (None: each plan's horizon). Plans are taken ``chunks`` at a time,
    and every backend measures a chunk at once (``engine.measure_batch``: one optimizer or one compile
    for many plans where the framework allows it, one worker process); a plan that crashes a
    framework fails only its own cells. Backends that measure in another process (``out_of_process``)
    measure their batch in a thread while the others measure here, and are started ahead
    (``warm_up``: e.g. a worker importing its framework while this process imports the others).
    ``progress(message)`` hears what is being measured, in backend order (an out-of-process
    backend's messages about isolating a crash come after the in-process backends').
    """
    from ..plan import resolve_steps
    from .engine import Case, Pending, measure_batch, measures_out_of_process, warm_up

    targets = list(default_targets()) if targets is None else [validate_target(t) for t in targets]
    runners = _runners(targets)
    for runner in runners.values():
        warm_up(runner)
    absent = {t: _availability(t) for t in targets}
    for runner in runners.values():
        warm_up(runner)  # again: asking for its devices may have used the one started above
    index = 0
    for block, more in _with_next(_chunks(_items(plans, steps), chunks)):
        results: list[PlanResult] = []
        pending: dict[str, list[tuple[PlanResult, int, np.ndarray]]] = {}
        for name, plan, n in block:
            result = PlanResult(index, plan, None, name=name)
            index += 1
            results.append(result)
            try:
                result.steps = resolve_steps(plan, n)
                reference = evaluate(plan, result.steps)
            except LrBridgeError as exc:
                result.error = exc
                continue
            for target in targets:
                cell = _unmeasured_cell(plan, target, result.steps)
                if cell is None and absent[target]:
                    cell = Cell(target, "absent", absent[target])
                result.cells.append(cell or Cell(target, "pending"))
                if cell is None:
                    pending.setdefault(target.backend, []).append((result, len(result.cells) - 1, reference))
        cases = {b: [Case(r.plan, r.steps, r.cells[i].target) for r, i, _ in todo] for b, todo in pending.items()}
        # out-of-process backends first, in threads: they measure while the others measure here
        started = {b: Pending(get_runner(b), cases[b], retries=retries) for b in pending
                   if measures_out_of_process(get_runner(b))}
        measured: dict[str, list] = {}
        for backend in pending:
            if progress:
                progress(f"measuring {backend}: {len(results)} plans, {len(cases[backend])} cases")
            if backend not in started:
                measured[backend] = measure_batch(get_runner(backend), cases[backend], retries=retries, on_isolate=progress)
        for backend, job in started.items():  # what they said while isolating a crash comes now, in order
            measured[backend] = job.result(progress)
        for backend, todo in pending.items():
            runner = get_runner(backend)
            for (r, i, reference), lr in zip(todo, measured[backend]):
                t = r.cells[i].target
                if isinstance(lr, Exception):
                    r.cells[i] = Cell(t, "error", _first_line(lr) + _stderr_tail(lr))
                else:
                    r.cells[i] = measured_cell(r.plan, r.steps, t, lr, reference, flushes=_flushes(runner, t))
        if more:
            for runner in runners.values():
                warm_up(runner)  # the next batch's worker starts while these results are used
        yield from results


def _runners(targets) -> dict:
    """The runner of every backend among ``targets`` that has one (a missing one is reported per cell)."""
    out = {}
    for backend in dict.fromkeys(t.backend for t in targets):
        try:
            out[backend] = get_runner(backend)
        except LrBridgeError:
            continue
    return out


def _stderr_tail(exc: Exception) -> str:
    """What a dead worker printed last (its stderr is the only clue to a crash), on one line."""
    lines = str(exc).strip().splitlines()[1:]
    tail = " | ".join(line.strip() for line in lines[-4:] if line.strip())
    return f" (worker stderr: {tail})" if tail else ""


def run_matrix_many(plans, steps: int | None = None, targets=None, **kw) -> list[PlanResult]:
    """``iter_matrix`` collected into a list."""
    return list(iter_matrix(plans, steps, targets, **kw))


def run_matrix(plan, steps: int, targets=None, *, progress=None) -> list[Cell]:
    """Measure ``plan`` for ``steps`` optimizer steps on every target and compare with the reference."""
    (result,) = iter_matrix([plan], steps, targets, progress=progress)
    if result.error is not None:
        raise result.error
    return result.cells


def pairwise_max_ulp(cells: list[Cell]) -> tuple[int, str, str]:
    """Largest float32 ulp gap between any two measured targets: (ulps, target a, target b)."""
    measured = [c for c in cells if c.lr is not None]
    worst = (0, "", "")
    for i, a in enumerate(measured):
        for b in measured[i + 1:]:
            gap = int(ulp_distance(a.lr, b.lr).max()) if a.lr.size else 0
            if gap > worst[0]:
                worst = (gap, str(a.target), str(b.target))
    return worst
