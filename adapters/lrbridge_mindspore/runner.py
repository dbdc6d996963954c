"""MindSpore conformance runner: real ``nn.SGD`` / experimental ``SGD`` steps, PyNative and GRAPH_MODE.

Probe (see ``lrbridge.conformance.engine``): one float32 vector of C zeros per
group, SGD with momentum 0 and weight decay 0, and at step k a one-hot gradient
at k mod C, so the step writes −fp32(lr_k) into slot k mod C. The vectors are
read and zeroed once per chunk of C steps.

Forms: ``list`` and ``cell`` go through ``group_lrs`` (the same carriers
``mindspore_param_groups`` emits) into ``nn.SGD``, called with gradient
tuples (its construct is jitted, so in GRAPH_MODE it runs as a compiled graph);
``experimental`` is ``mindspore.experimental.optim.SGD`` stepped by ``PlanLR``.
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
    grads = [mutable(tuple(row for _ in params)) for row in onehot]
    zeros = Tensor(np.zeros(chunk, np.float32))
    out = np.empty((len(params), steps), np.float64)
    for j in range(steps):
        opt(grads[j % chunk])
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


def _list_total(plan, steps: int, start: int = 0) -> int:
    """Length of the lr lists for a run of ``steps`` steps from ``start``: the horizon or the run, the longer
    (a plan without a horizon measured for N steps is a list of N; a run past an 'error' horizon fails
    building the list, as MindSpore's Gather would past its end)."""
    return max(start + steps, plan.horizon.steps or 0)


def probe_nn(plan, steps: int, form: str, mode: str, start: int = 0, chunk: int = 256) -> np.ndarray:
    """Applied lr of every group at steps start..start+steps−1 through ``nn.SGD`` (global_step restored to start)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    from .params import group_lrs

    chunk = max(1, min(chunk, steps))
    total = _list_total(plan, steps, start) if form == "list" else None
    with execution_mode(mode):
        lrs = group_lrs(plan, form, total)
        params = _probe_params(len(plan.groups), chunk)
        groups = [{"params": [p], "lr": lr, "weight_decay": 0.0} for p, lr in zip(params, lrs)]
        opt = nn.SGD(groups, learning_rate=float(plan.optimizer.lr), momentum=0.0, weight_decay=0.0)
        if start:
            ops.assign(opt.global_step, Tensor([start], ms.int32))
        return _run(opt, params, steps, chunk)


#: most probe groups in one batched ``nn.SGD`` (GRAPH_MODE compile time grows faster than linearly with them)
MAX_BATCH_GROUPS = 32


def _padded(lrs, length: int) -> list:
    """Each list lr extended to ``length`` with its last value (MindSpore wants equal lengths in one optimizer);
    the steps a plan is measured for are untouched."""
    return [lr + [lr[-1]] * (length - len(lr)) if isinstance(lr, list) else lr for lr in lrs]


def probe_nn_batch(cases, form: str, mode: str, chunk: int = 256) -> list:
    """``(plan, steps)`` cases measured together through one ``nn.SGD`` holding every plan's probe groups.

    Every case's groups get the carriers ``group_lrs`` gives it (list lrs padded to a common length);
    the optimizer runs for the longest case. Plans whose lrs are all static (floats) and dynamic ones
    are never mixed: MindSpore would wrap the floats in ``_ConvertToCell`` and change them. Returns
    per case a (groups, steps) array or the exception building its carriers raised; an exception
    raised while stepping is raised (the caller isolates it).
    """
    from mindspore import nn

    from .params import group_lrs

    built, out = [], [None] * len(cases)
    for i, (plan, steps) in enumerate(cases):
        try:
            built.append((i, group_lrs(plan, form, _list_total(plan, steps) if form == "list" else None)))
        except Exception as exc:
            out[i] = exc
    if not built:
        return out
    longest = max(cases[i][1] for i, _ in built)
    length = max((len(lr) for _, lrs in built for lr in lrs if isinstance(lr, list)), default=0)
    chunk = max(1, min(chunk, longest))
    with execution_mode(mode):
        params = _probe_params(sum(len(lrs) for _, lrs in built), chunk)
        groups, rows = [], []
        for i, lrs in built:
            for lr in _padded(lrs, length):
                groups.append({"params": [params[len(groups)]], "lr": lr, "weight_decay": 0.0})
            rows.append((i, len(groups) - len(lrs), len(groups)))
        first = cases[built[0][0]][0]
        opt = nn.SGD(groups, learning_rate=float(first.optimizer.lr), momentum=0.0, weight_decay=0.0)
        lr = _run(opt, params, longest, chunk)
    for i, lo, hi in rows:
        out[i] = lr[lo:hi, : cases[i][1]]
    return out


def _sub_batches(cases, max_groups: int):
    """Indices of ``(plan, steps)`` cases in batches of at most ``max_groups`` groups, similar lengths together."""
    order = sorted(range(len(cases)), key=lambda i: cases[i][1])
    batch, size = [], 0
    for i in order:
        g = len(cases[i][0].groups)
        if batch and size + g > max_groups:
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += g
    if batch:
        yield batch


def probe_experimental(plan, steps: int, mode: str, start: int = 0, chunk: int = 256) -> np.ndarray:
    """Applied lr through ``mindspore.experimental.optim.SGD`` driven by ``PlanLR`` (resumed at ``start``)."""
    from mindspore.experimental import optim as xoptim

    from .experimental import PlanLR

    chunk = max(1, min(chunk, steps))
    with execution_mode(mode):
        params = _probe_params(len(plan.groups), chunk)
        groups = [{"params": [p], "lr": float(plan.group_base_lr(g))} for p, g in zip(params, plan.groups)]
        opt = xoptim.SGD(groups, lr=float(plan.optimizer.lr))
        if start:
            for group, g in zip(opt.param_groups, plan.groups):
                group["initial_lr"] = float(plan.group_base_lr(g))
        sched = PlanLR(opt, plan, last_epoch=start - 1)
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

    def flushes_subnormals(self, target) -> bool:
        """MindSpore's CPU kernels may apply a float32-subnormal lr as 0 (flush to zero, measured on some
        kernel threads and not others); torch and OneFlow apply it."""
        return True

    def measure_batch(self, cases) -> list:
        """``(plan, steps, target)`` cases: per case the applied lr or the exception that case raised.

        ``list`` and ``cell`` forms: cases of one mode and form share ``nn.SGD`` optimizers of up to
        ``MAX_BATCH_GROUPS`` probe groups (one GRAPH_MODE compile for each), a failing batch bisected
        to the case that makes it fail. ``experimental``: one optimizer per case (its SGD runs one
        jitted call per group and step, so batching would save nothing).
        """
        from lrbridge.conformance.engine import isolate

        from .params import is_static

        out: list = [None] * len(cases)
        kinds: dict[tuple, list[int]] = {}
        for i, (plan, steps, target) in enumerate(cases):
            form = target.form or "list"
            kinds.setdefault((target.mode, form, form != "experimental" and is_static(plan)), []).append(i)
        for (mode, form, _), idx in kinds.items():
            if form == "experimental":
                for i in idx:
                    try:
                        out[i] = probe_experimental(cases[i][0], cases[i][1], mode)
                    except Exception as exc:
                        out[i] = exc
                continue
            mine = [(cases[i][0], int(cases[i][1])) for i in idx]
            for part in _sub_batches(mine, MAX_BATCH_GROUPS):
                results = isolate(lambda sub: probe_nn_batch([mine[j] for j in sub], form, mode), part,
                                  label=f"mindspore/{mode}/{form}")
                for j, r in zip(part, results):
                    out[idx[j]] = r
        return out


RUNNER = MindSporeRunner()


def measure_momentum(plan, steps: int, mode: str = "pynative", api: str = "experimental") -> np.ndarray:
    """Momentum each group really applied at steps 0..steps−1 through ``mindspore_optimizer(plan, ..., api=api)``
    and its ``PlanLR``, from the parameter updates (``lrbridge.conformance.momentum``): (groups, steps), NaN at 0.

    The plan's optimizer must be SGD; every group gets one float32 scalar named after it.
    """
    from mindspore import Parameter, Tensor, mutable, ops

    from lrbridge.conformance.momentum import momentum_from_updates
    from lrbridge.reference import evaluate

    from .optim import mindspore_optimizer

    with execution_mode(mode):
        params = [Parameter(Tensor(np.zeros(1, np.float32)), name=f"{g.name}.w") for g in plan.groups]
        built = mindspore_optimizer(plan, params, api=api, form="list", total_step=steps)
        # the probe's Parameters in optimizer order (order_params keeps the plan's group order)
        ones = tuple(Tensor(np.ones(1, np.float32)) for _ in params)
        zero = Tensor(np.zeros(1, np.float32))
        deltas = np.empty((len(params), steps), np.float64)
        for k in range(steps):
            built.optimizer(mutable(ones))
            for g, p in enumerate(params):
                deltas[g, k] = -float(p.asnumpy()[0])
                ops.assign(p, zero)
            if built.scheduler is not None:
                built.scheduler.step()
    return momentum_from_updates(deltas, evaluate(plan, steps, dtype=np.float32))
