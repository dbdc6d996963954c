"""The backend-neutral protocol of measured conformance.

A ``Runner`` takes a plan, a number of steps and a ``Target`` (backend, mode,
device, form) and performs real optimizer steps on probe parameters, returning
the lr every group really applied at every step, shape (groups, steps).

The recommended probe (used by every runner in ``adapters/``): plain SGD with
momentum 0 and weight decay 0 on a float32 vector per group, all zeros, and at
step k a one-hot gradient at position k mod C. SGD then writes −lr_k into slot
k mod C exactly (0 − 1·lr rounds to fp32(lr)), untouched slots stay 0, and one
read per chunk of C steps recovers every applied lr: no per-step host reads
(OneFlow's CPU build crashes after a few thousand of them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import BackendUnavailableError, LrBridgeError


@dataclass(frozen=True)
class Target:
    """Where to measure: framework, execution mode, device and the form the lr takes.

    backend: "torch" | "mindspore" | "oneflow"
    mode: "eager" (torch, OneFlow) | "pynative" | "graph" (MindSpore GRAPH_MODE, OneFlow nn.Graph)
    device: "cpu" | "cuda" | "ascend"
    form: backend-specific lr carrier, e.g. "list", "cell", "experimental" for MindSpore; "" = default
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


# backend -> "module:attribute" of its runner; imported only when used.
_RUNNER_PATHS: dict[str, str] = {
    "torch": "adapters.torch.runner:RUNNER",
    "mindspore": "adapters.mindspore.runner:RUNNER",
    "oneflow": "adapters.oneflow.runner:RUNNER",
}
_RUNNERS: dict[str, Runner] = {}


def register_runner(backend: str, runner_or_path) -> None:
    """Register a runner object, or a lazy "module:attribute" path to one."""
    if isinstance(runner_or_path, str):
        _RUNNER_PATHS[backend] = runner_or_path
        _RUNNERS.pop(backend, None)
    else:
        _RUNNERS[backend] = runner_or_path


def get_runner(backend: str) -> Runner:
    if backend in _RUNNERS:
        return _RUNNERS[backend]
    path = _RUNNER_PATHS.get(backend)
    if path is None:
        raise LrBridgeError(f"no conformance runner for backend '{backend}'; known: {sorted(_RUNNER_PATHS)}")
    module, attr = path.split(":")
    try:
        runner = getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        raise BackendUnavailableError(f"the {backend} runner cannot load: {exc}") from None
    _RUNNERS[backend] = runner
    return runner


def available_runners() -> list[str]:
    return sorted(_RUNNER_PATHS)


def measure(plan, steps: int, target: Target) -> Measurement:
    """Measure the applied lr of every group of ``plan`` over ``steps`` real optimizer steps on ``target``."""
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
