"""MindSpore conformance runner: real ``nn.SGD`` / experimental ``SGD`` steps, PyNative and GRAPH_MODE.

Probe (see ``lrbridge.conformance.engine``): one float32 vector of C zeros per
group, SGD with momentum 0 and weight decay 0, and at step k a one-hot gradient
at k mod C, so the step writes −fp32(lr_k) into slot k mod C. The vectors are
read and zeroed once per chunk of C steps.

Forms: ``list`` and ``cell`` go through ``group_lrs`` (the same carriers
``to_mindspore_group_params`` emits) into ``nn.SGD``, called with gradient
tuples (its construct is jitted, so in GRAPH_MODE it runs as a compiled graph);
``experimental`` is ``mindspore.experimental.optim.SGD`` stepped by ``ExactLR``.
"""

from __future__ import annotations

import contextlib

import numpy as np

FORMS = ("list", "cell", "experimental")
_DEVICES = {"cpu": "CPU", "cuda": "GPU", "gpu": "GPU", "ascend": "Ascend"}


@contextlib.contextmanager
def execution_mode(mode: str):
    """Run the block in PyNative or GRAPH_MODE, restoring the previous mode afterwards."""
    import mindspore as ms

    before = ms.get_context("mode")
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    try:
        yield
    finally:
        ms.set_context(mode=before)


def _probe_params(n_groups: int, chunk: int):
    from mindspore import Parameter, Tensor

    return [Parameter(Tensor(np.zeros(chunk, np.float32)), name=f"lrbridge_probe_{i}") for i in range(n_groups)]


def _run(opt, params, steps: int, chunk: int, after_step=None) -> np.ndarray:
    """Step ``opt`` with one-hot gradients; return −params per step, shape (groups, steps)."""
    from mindspore import Tensor, mutable, ops

    # mutable: the gradients are graph inputs, not constants (a constant tuple would be
    # compiled into the graph and recompiled whenever its values change).
    onehot = [Tensor(row) for row in np.eye(chunk, dtype=np.float32)]
    zeros = Tensor(np.zeros(chunk, np.float32))
    out = np.empty((len(params), steps), np.float64)
    for j in range(steps):
        grad = onehot[j % chunk]
        opt(mutable(tuple(grad for _ in params)))
        if after_step is not None:
            after_step()
        if j % chunk == chunk - 1 or j == steps - 1:
            lo = j - j % chunk
            for g, p in enumerate(params):
                out[g, lo : j + 1] = -p.asnumpy()[: j + 1 - lo].astype(np.float64)
                # ops.assign, not set_data: in PyNative set_data detaches the Parameter from
                # the optimizer's captured copy, which then stops showing the updates.
                ops.assign(p, zeros)
    return out


def probe_nn(plan, steps: int, form: str, mode: str, start: int = 0, chunk: int = 256) -> np.ndarray:
    """Applied lr of every group at steps start..start+steps−1 through ``nn.SGD`` (global_step restored to start)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    from .params import group_lrs

    chunk = max(1, min(chunk, steps))
    total = max(start + steps, plan.horizon.steps or 0) if form == "list" else None
    if form == "list" and plan.horizon.past == "error":
        total = start + steps  # evaluating past an 'error' horizon must fail, as MindSpore's Gather would
    with execution_mode(mode):
        lrs = group_lrs(plan, form, total)
        params = _probe_params(len(plan.groups), chunk)
        groups = [{"params": [p], "lr": lr, "weight_decay": 0.0} for p, lr in zip(params, lrs)]
        opt = nn.SGD(groups, learning_rate=float(plan.optimizer.lr), momentum=0.0, weight_decay=0.0)
        if start:
            ops.assign(opt.global_step, Tensor([start], ms.int32))
        return _run(opt, params, steps, chunk)


def probe_experimental(plan, steps: int, mode: str, start: int = 0, chunk: int = 256) -> np.ndarray:
    """Applied lr through ``mindspore.experimental.optim.SGD`` driven by ``ExactLR`` (resumed at ``start``)."""
    from mindspore.experimental import optim as xoptim

    from .experimental import ExactLR

    chunk = max(1, min(chunk, steps))
    with execution_mode(mode):
        params = _probe_params(len(plan.groups), chunk)
        groups = [{"params": [p], "lr": float(plan.group_base_lr(g))} for p, g in zip(params, plan.groups)]
        opt = xoptim.SGD(groups, lr=float(plan.optimizer.lr))
        if start:
            for group, g in zip(opt.param_groups, plan.groups):
                group["initial_lr"] = float(plan.group_base_lr(g))
        sched = ExactLR(opt, plan, last_epoch=start - 1)
        return _run(opt, params, steps, chunk, after_step=sched.step)


class MindSporeRunner:
    backend = "mindspore"
    modes = ("pynative", "graph")
    forms = FORMS

    def unavailable(self, target) -> str | None:
        form = target.form or "list"
        if form not in FORMS:
            return f"unknown MindSpore form '{target.form}'; forms: {', '.join(FORMS)}"
        try:
            import mindspore as ms
        except Exception as exc:  # ImportError, or SystemError under numpy 2
            return f"mindspore cannot be imported: {type(exc).__name__}: {exc}"
        device = _DEVICES.get(target.device)
        if device is None:
            return f"unknown device '{target.device}'; devices: {', '.join(_DEVICES)}"
        if device != "CPU" and not ms.hal.is_available(device):
            return f"mindspore reports no {device} device here"
        if device != ms.get_context("device_target"):
            return f"mindspore runs on {ms.get_context('device_target')} in this process, not {device}"
        return None

    def measure(self, plan, steps: int, target) -> np.ndarray:
        form = target.form or "list"
        if form == "experimental":
            return probe_experimental(plan, steps, target.mode)
        return probe_nn(plan, steps, form, target.mode)


RUNNER = MindSporeRunner()
