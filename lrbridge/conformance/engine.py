"""The backend-neutral protocol of measured conformance.

A ``Runner`` takes a plan, a number of steps and a ``Target`` (backend, mode,
device, form) and performs real optimizer steps on probe parameters, returning
the lr every group really applied at every step, shape (groups, steps).

The recommended probe (used by every bundled backend's runner): plain SGD with
momentum 0 and weight decay 0 on a float32 vector per group, all zeros, and at
step k a one-hot gradient at position k mod C. SGD then writes −lr_k into slot
k mod C exactly (0 − 1·lr rounds to fp32(lr)), untouched slots stay 0, and one
read per chunk of C steps recovers every applied lr: no per-step host reads
(OneFlow's CPU build crashes after a few thousand of them).

Batches: a runner may also offer ``measure_batch(cases)``, measuring many
(plan, steps, target) cases together (one optimizer holding every plan's probe
groups, one graph compile, one worker process); ``measure_batch(runner, cases)``
here calls it, or ``measure`` per case, and pins a batch that fails as a whole
(a crash) on the case that caused it, so a crashing plan fails only itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np

from ..errors import BackendUnavailableError, LrBridgeError


@dataclass(frozen=True)
class Target:
    """Where to measure: framework, execution mode, device and the form the lr takes.

    backend: a registered backend's name (``lrbridge.backends``)
    mode: an execution mode of that backend (e.g. "eager", "pynative", "graph")
    device: "cpu" | "cuda" | "gpu" | "ascend" | ...
    form: backend-specific lr carrier (e.g. a list or a cell); "" = default
    """

    backend: str
    mode: str
    device: str = "cpu"
    form: str = ""

    def __str__(self) -> str:
        parts = [self.backend, self.mode, self.device] + ([self.form] if self.form else [])
        return "/".join(parts)


@dataclass
class Measurement:
    """Applied lrs measured on a target: ``lr[g, k]`` for group g at step k (float64 holding float32 values)."""

    target: Target
    group_names: list[str]
    lr: np.ndarray
    dtype: str = "float32"
    notes: list[str] = field(default_factory=list)


class Runner(Protocol):
    backend: str
    modes: tuple[str, ...]

    def unavailable(self, target: Target) -> str | None:
        """None when the target can run here, else why not (e.g. 'no CUDA device')."""

    def measure(self, plan, steps: int, target: Target) -> np.ndarray:
        """Run ``steps`` real optimizer steps and return the applied lr, shape (groups, steps)."""

    # Optional (looked up with getattr; ``measure_batch`` below supplies the fallbacks):
    #
    # def measure_batch(self, cases: list[Case]) -> list[np.ndarray | Exception]:
    #     """Every case measured together (one process, one optimizer, one compile where the
    #     framework allows it): per case the applied lr, or the exception that case raised.
    #     Raise (instead of returning) only when the failure cannot be attributed to one
    #     case (a framework crash, a dead worker): the caller then isolates it."""
    #
    # def flushes_subnormals(self, target: Target) -> bool:
    #     """True where the framework applies a float32-subnormal lr as 0 (flush to zero)."""
    #
    # out_of_process: bool = False
    #     """``measure_batch`` waits on another process (a worker): the matrix runs it in a thread
    #     while the in-process backends measure (``Pending``)."""
    #
    # def warm_up(self) -> None:
    #     """Start ahead what the next ``measure_batch`` needs (e.g. a worker importing its framework);
    #     the matrix calls it before measuring and before each further batch."""


class Case(NamedTuple):
    """One measurement of a batch: ``steps`` optimizer steps of ``plan`` on ``target``."""

    plan: object
    steps: int
    target: Target


_RUNNERS: dict[str, Runner] = {}


def register_runner(backend: str, runner) -> None:
    """Use ``runner`` for ``backend`` (overrides the backend plugin's own runner)."""
    _RUNNERS[backend] = runner


def get_runner(backend: str) -> Runner:
    """The conformance runner of a registered backend (loaded on first use)."""
    from ..backends import get_backend, resolve

    if backend in _RUNNERS:
        return _RUNNERS[backend]
    spec = get_backend(backend)
    if spec.runner is None:
        raise LrBridgeError(f"backend '{backend}' has no conformance runner")
    runner = resolve(spec.runner)
    _RUNNERS[backend] = runner
    return runner


def available_runners() -> list[str]:
    from ..backends import backend_names, get_backend

    return sorted(set(_RUNNERS) | {b for b in backend_names() if get_backend(b).runner})


def lr_probe_plan(plan):
    """``plan`` without its scheduled hyperparameters: what the lr probe runs.

    The probe reads the lr from the updates of a momentum-free, decay-free SGD; a scheduled momentum
    or weight decay written into its groups would change those updates. They are measured by their
    own probes (``lrbridge.conformance.momentum``, ``weight_decay``)."""
    if not any(g.hparam_schedulers for g in plan.groups):
        return plan
    groups = tuple(g.model_copy(update={"hparam_schedulers": {}}) for g in plan.groups)
    return plan.model_copy(update={"groups": groups})


def measure(plan, steps: int, target: Target) -> Measurement:
    """Measure the applied lr of every group of ``plan`` over ``steps`` real optimizer steps on ``target``
    (scheduled hyperparameters held: ``lr_probe_plan``)."""
    plan = lr_probe_plan(plan)
    runner = get_runner(target.backend)
    if target.mode not in runner.modes:
        raise LrBridgeError(f"backend {target.backend} has no mode '{target.mode}'; modes: {list(runner.modes)}")
    why = runner.unavailable(target)
    if why:
        raise BackendUnavailableError(f"{target}: {why}")
    lr = np.asarray(runner.measure(plan, steps, target), np.float64)
    expected = (len(plan.groups), steps)
    if lr.shape != expected:
        raise LrBridgeError(f"runner for {target} returned shape {lr.shape}, expected {expected}")
    return Measurement(target=target, group_names=plan.group_names, lr=lr)


def _measure_each(runner, cases: list[Case]) -> list:
    """The fallback of a runner without ``measure_batch``: one ``measure`` per case."""
    out = []
    for case in cases:
        try:
            out.append(runner.measure(case.plan, case.steps, case.target))
        except Exception as exc:  # reported for that case; the others still run
            out.append(exc)
    return out


def _attempt(runner, cases: list[Case]) -> list:
    batch = getattr(runner, "measure_batch", None)
    out = batch(cases) if batch is not None else _measure_each(runner, cases)
    if len(out) != len(cases):
        raise LrBridgeError(f"runner for {runner.backend} answered {len(out)} results for {len(cases)} cases")
    return list(out)


def measure_batch(runner, cases, *, retries: int = 1, on_isolate=None) -> list:
    """Measure ``cases`` with ``runner``, isolating failures: a list with per case an array or an exception.

    A batch that fails as a whole (the runner raises: a framework crash, a dead worker) is
    bisected until the failure is pinned to single cases; each such case is measured alone
    ``retries`` more times (crashes can be intermittent), and if it still fails its exception
    is its result: the other cases keep theirs. ``on_isolate(message)`` hears about each split.
    """
    cases = [c if isinstance(c, Case) else Case(*c) for c in cases]
    cases = [c._replace(plan=lr_probe_plan(c.plan)) for c in cases]
    label = cases[0].target.backend if cases else ""
    return isolate(lambda part: _attempt(runner, part), cases, retries=retries, on_isolate=on_isolate, label=label)


def measures_out_of_process(runner) -> bool:
    """The runner waits on another process to measure (see ``Runner.out_of_process``)."""
    return bool(getattr(runner, "out_of_process", False))


def warm_up(runner) -> None:
    """``runner.warm_up()`` where it has one; it only saves time, so its failure is ignored."""
    start = getattr(runner, "warm_up", None)
    if start is not None:
        try:
            start()
        except Exception:  # the measurement itself will report what is wrong
            pass


class Pending:
    """``measure_batch(runner, cases)`` running in a thread, for a runner that measures in another process.

    The thread mostly waits on that process, so in-process backends measure meanwhile.
    ``result(on_isolate)`` waits for it and replays what ``on_isolate`` would have heard, in order.
    """

    def __init__(self, runner, cases, *, retries: int = 1):
        import threading

        self._messages: list[str] = []
        self._out: list | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(runner, cases, retries), daemon=True)
        self._thread.start()

    def _run(self, runner, cases, retries: int) -> None:
        try:
            self._out = measure_batch(runner, cases, retries=retries, on_isolate=self._messages.append)
        except BaseException as exc:  # raised again in the caller's thread by ``result``
            self._error = exc

    def result(self, on_isolate=None) -> list:
        self._thread.join()
        for message in self._messages if on_isolate else ():
            on_isolate(message)
        if self._error is not None:
            raise self._error
        return self._out


def isolate(run, items: list, *, retries: int = 1, on_isolate=None, label: str = "") -> list:
    """``run(items)`` (one result per item), bisecting a whole-batch failure down to the items causing it.

    A single item that still fails after ``retries`` more tries gets the exception as its result.
    """
    items = list(items)
    if not items:
        return []
    try:
        return run(items)
    except Exception as exc:
        failure = exc
    if len(items) == 1:
        for _ in range(retries):
            try:
                return run(items)
            except Exception as exc:
                failure = exc
        return [failure]
    if on_isolate:
        on_isolate(f"{label}: a batch of {len(items)} failed ({_first_line(failure)}); isolating the cause")
    half = len(items) // 2
    kw = dict(retries=retries, on_isolate=on_isolate, label=label)
    return isolate(run, items[:half], **kw) + isolate(run, items[half:], **kw)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
