"""The conformance matrix: one plan measured on every backend x mode x device x form.

Each cell of the matrix is first checked for representability (``lrbridge.check``),
then measured with real optimizer steps and compared with the float64 reference
rounded to float32, in ulps. Cells whose device is absent are reported as such
(never silently dropped); cells a backend cannot express exactly are reported
with the reasons ``check`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import BackendUnavailableError, LrBridgeError
from ..reference import evaluate
from .compare import Comparison, compare, ulp_distance
from .engine import Target, get_runner

#: Every target lrbridge can measure, CPU first. GPU/Ascend cells report "absent" where no device is.
DEFAULT_TARGETS: tuple[Target, ...] = (
    Target("torch", "eager", "cpu"),
    Target("mindspore", "pynative", "cpu", "list"),
    Target("mindspore", "graph", "cpu", "list"),
    Target("mindspore", "pynative", "cpu", "cell"),
    Target("mindspore", "graph", "cpu", "cell"),
    Target("mindspore", "pynative", "cpu", "experimental"),
    Target("oneflow", "eager", "cpu"),
    Target("oneflow", "graph", "cpu"),
    Target("torch", "eager", "cuda"),
    Target("mindspore", "graph", "gpu", "cell"),
    Target("mindspore", "graph", "ascend", "cell"),
    Target("oneflow", "eager", "cuda"),
    Target("oneflow", "graph", "cuda"),
)


def tolerance_ulp(plan, target: Target) -> int:
    """Allowed float32 ulps between what ``target`` applies and the reference.

    0 where the framework applies fp32(lr) of a float64 lr computed exactly (torch, MindSpore
    lists and experimental via lrbridge's closed form, OneFlow eager). 1 where the lr is
    computed inside the framework's graph (MindSpore float64 cells, OneFlow's C++ kernel).
    OneFlow nn.Graph multiplies by ``lr_scale`` in float32 after rounding the lr: 2.
    """
    if target.backend == "mindspore" and target.form == "cell":
        return 1
    if target.backend == "oneflow" and target.mode == "graph":
        return 2 if any(g.lr_scale != 1.0 for g in plan.groups) else 1
    return 0


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


def _check(plan, target: Target):
    from ..capability import check

    if target.backend == "mindspore":
        return check(plan, "mindspore", mode=target.form or "list")
    if target.backend == "oneflow":
        return check(plan, "oneflow", mode=target.mode, optimizer=False)
    return check(plan, target.backend, mode=target.mode)


def _availability(target: Target) -> str | None:
    try:
        return get_runner(target.backend).unavailable(target)
    except BackendUnavailableError as exc:
        return str(exc)


def run_matrix(plan, steps: int, targets=DEFAULT_TARGETS, *, progress=None) -> list[Cell]:
    """Measure ``plan`` for ``steps`` optimizer steps on every target and compare with the reference."""
    reference = evaluate(plan, steps)
    cells: list[Cell] = []
    pending: list[tuple[int, Target]] = []
    for target in targets:
        verdict = _check(plan, target)
        if not verdict.ok:
            detail = "; ".join(verdict.reasons) + (f" (alternative: {verdict.alternative})" if verdict.alternative else "")
            cells.append(Cell(target, "unrepresentable", detail))
            continue
        why = _availability(target)
        if why:
            cells.append(Cell(target, "absent", why))
            continue
        cells.append(Cell(target, "pending"))
        pending.append((len(cells) - 1, target))
    for backend in dict.fromkeys(t.backend for _, t in pending):
        runner = get_runner(backend)
        mine = [(i, t) for i, t in pending if t.backend == backend]
        if progress:
            progress(f"measuring {backend}: {', '.join(str(t) for _, t in mine)}")
        if hasattr(runner, "measure_many"):  # one worker process for every target of this backend
            results = runner.measure_many([(plan, steps, t) for _, t in mine])
        else:
            results = []
            for _, t in mine:
                try:
                    results.append(runner.measure(plan, steps, t))
                except LrBridgeError as exc:
                    results.append(exc)
        for (i, t), lr in zip(mine, results):
            if isinstance(lr, Exception):
                cells[i] = Cell(t, "error", str(lr).splitlines()[0])
                continue
            lr = np.asarray(lr, np.float64).reshape(len(plan.groups), steps)
            c = compare(lr, reference, group_names=plan.group_names, metric="ulp", tolerance=tolerance_ulp(plan, t))
            cells[i] = Cell(t, "ok" if c.ok else "mismatch", str(c), c, lr)
    return cells


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
