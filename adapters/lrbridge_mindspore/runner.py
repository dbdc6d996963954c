"""MindSpore conformance runner: real ``nn.SGD`` / experimental ``SGD`` steps, PyNative and GRAPH_MODE.

Probe (see ``lrbridge.conformance.engine``): one float32 vector of C zeros per
group, SGD with momentum 0 and weight decay 0, and at step k a one-hot gradient
at k mod C, so the step writes −fp32(lr_k) into slot k mod C. The vectors are
read and zeroed once per chunk of C steps.

Forms: ``list`` and ``cell`` go through ``group_lrs`` (the same carriers
``mindspore_param_groups`` emits) into ``nn.SGD``, called with gradient
tuples (its construct is jitted, so in GRAPH_MODE it runs as a compiled graph;
GRAPH_MODE batches run up to ``STEPS_PER_CALL`` of those calls per compiled
call, ``_graph_steps``);
``experimental`` is ``mindspore.experimental.optim.SGD`` stepped by ``PlanLR``.

The experimental loop measured is the one MindSpore's tutorials write::

    grad_fn = mindspore.value_and_grad(net, None, opt.parameters)

    @mindspore.jit
    def train_step(x):
        loss, grads = grad_fn(x)
        opt(grads)
        return loss

    for x in data:
        train_step(x)
        sched.step()          # PlanLR: one compiled write of every group's lr

with ``net`` the probe loss Σ_g Σ_i w_g[i]·x[i] (its gradient is the one-hot
input x exactly). Unjitted, experimental SGD makes one jitted call per group and
step (≈ 1 ms each, measured); the jitted step is one call for every group. In a
batch (``probe_experimental_batch``) many plans' groups share one optimizer, each
plan with its own ``PlanLR``; their writes go out in one compiled call per step,
and the optimizer with its compiled step is reused by later batches.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from lrbridge.conformance.batching import BatchCost

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


def _onehots(chunk: int) -> list:
    from mindspore import Tensor

    return [Tensor(row) for row in np.eye(chunk, dtype=np.float32)]


def _nn_step(opt, n_params: int, chunk: int):
    """``step(j)``: one ``opt`` call with the one-hot gradient of slot j mod chunk for every parameter."""
    from mindspore import mutable

    # mutable: the gradients are graph inputs, not constants (a constant tuple would be
    # compiled into the graph and recompiled whenever its values change).
    grads = [mutable(tuple(row for _ in range(n_params))) for row in _onehots(chunk)]
    return lambda j: opt(grads[j % chunk])


def _probe_loss(params):
    """The probe network: loss(x) = Σ_g Σ_i w_g[i]·x[i], so ∂loss/∂w_g = x for every group (exactly)."""
    from mindspore import ParameterTuple, nn

    class ProbeLoss(nn.Cell):
        def __init__(self):
            super().__init__()
            self.weights = ParameterTuple(params)

        def construct(self, x):
            loss = (self.weights[0] * x).sum()
            for i in range(1, len(self.weights)):
                loss = loss + (self.weights[i] * x).sum()
            return loss

    return ProbeLoss()


def _jit_train_step(opt, params, chunk: int):
    """``step(j)``: the training step MindSpore's tutorials write, ``value_and_grad`` of the probe loss
    then ``opt(grads)``, compiled whole by ``mindspore.jit`` (one compiled call for every group), fed
    the one-hot input of slot j mod chunk."""
    import mindspore as ms

    grad_fn = ms.value_and_grad(_probe_loss(params), None, opt.parameters)

    @ms.jit
    def train_step(x):
        loss, grads = grad_fn(x)
        opt(grads)
        return loss

    onehot = _onehots(chunk)
    return lambda j: train_step(onehot[j % chunk])


def _graph_steps(opt, n_params: int, chunk: int):
    """``step(j, n)``: optimizer steps j..j+n−1 in one compiled GRAPH_MODE call, a graph ``while`` loop around
    ``opt(grads)`` with the one-hot gradient of slot i mod chunk at step i (as a dataset sink runs steps).

    Each iteration is one real ``opt`` call (its own ``global_step`` increment, its lrs from its carriers);
    only Python's per-call work (≈ 0.3 ms plus the Cell tree walk of every call, measured) is paid once
    per n steps: 4 groups 0.41 → 0.19 ms per step, 32 groups 1.6 → 1.2 ms (CPU). The loop compiles once,
    whatever n.
    """
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    class Steps(nn.Cell):
        def __init__(self):
            super().__init__()
            self.opt = opt
            self.onehots = Tensor(np.eye(chunk, dtype=np.float32))
            self.chunk = chunk
            self.n_params = n_params

        def construct(self, first, n):
            i = first
            while i < first + n:
                x = ops.gather(self.onehots, i % self.chunk, 0)
                grads = ()
                for _ in range(self.n_params):
                    grads = grads + (x,)
                self.opt(grads)
                i = i + 1
            return i

    steps = Steps()
    return lambda j, n: steps(Tensor(j, ms.int32), Tensor(n, ms.int32))


#: most optimizer steps in one compiled call (``_graph_steps``; reads of the probe cut calls shorter)
STEPS_PER_CALL = 64


def _run(step, params, steps: int, chunk: int, after_step=None, ends=(), per_call: int = 1) -> np.ndarray:
    """Call ``step(j)`` (one optimizer step with one-hot gradients at slot j mod chunk), then
    ``after_step(j)``, for j < steps; return −params per step, shape (groups, steps). With
    ``per_call`` > 1, ``step(j, n)`` runs steps j..j+n−1 (n ≤ per_call) in one call.

    The vectors are read (and zeroed) at the end of every chunk and after step e − 1 for each e in
    ``ends`` (a batched plan's length): past its horizon a plan's lr may be NaN ('error' cells), and
    NaN·0 would overwrite the slots of its earlier steps still waiting in the vector.
    """
    from mindspore import Tensor, ops

    zeros = Tensor(np.zeros(chunk, np.float32))
    out = np.empty((len(params), steps), np.float64)
    reads = sorted({e for e in ends if 0 < e < steps} | {steps})
    first = 0  # first step not read yet (always in the current chunk)
    j = 0
    while j < steps:
        if per_call > 1:
            n = min(per_call, chunk - j % chunk, next(e for e in reads if e > j) - j)
            step(j, n)
        else:
            n = 1
            step(j)
            if after_step is not None:
                after_step(j)
        j += n
        if j % chunk == 0 or j in reads:
            lo, hi = first % chunk, (j - 1) % chunk + 1
            for g, p in enumerate(params):
                out[g, first:j] = -p.asnumpy()[lo:hi].astype(np.float64)
                # ops.assign, not set_data: in PyNative set_data detaches the Parameter from
                # the optimizer's captured copy, which then stops showing the updates.
                ops.assign(p, zeros)
            first = j
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
        return _run(_nn_step(opt, len(params), chunk), params, steps, chunk)


#: most probe groups in one batched ``nn.SGD`` (GRAPH_MODE compile time grows faster than linearly with them)
MAX_BATCH_GROUPS = 32


def _padded(lrs, length: int) -> list:
    """Each list lr extended to ``length`` with its last value (MindSpore wants equal lengths in one optimizer);
    the steps a plan is measured for are untouched."""
    return [lr + [lr[-1]] * (length - len(lr)) if isinstance(lr, list) else lr for lr in lrs]


def probe_nn_batch(cases, form, mode: str, chunk: int = 256) -> list:
    """``(plan, steps)`` cases measured together through one ``nn.SGD`` holding every plan's probe groups.

    ``form``: 'list' or 'cell' for every case, or one per case: list and cell groups share one
    optimizer (MindSpore computes each group's lr by its own carrier; one loop serves both forms).
    Every case's groups get the carriers ``group_lrs`` gives it (list lrs padded to a common length);
    the optimizer runs for the longest case. Plans whose lrs are all static (floats) and dynamic ones
    are never mixed: MindSpore would wrap the floats in ``_ConvertToCell`` and change them. Returns
    per case a (groups, steps) array or the exception building its carriers raised; an exception
    raised while stepping is raised (the caller isolates it).
    """
    from mindspore import nn

    from .params import group_lrs

    forms = [form] * len(cases) if isinstance(form, str) else list(form)
    built, out = [], [None] * len(cases)
    for i, ((plan, steps), f) in enumerate(zip(cases, forms)):
        try:
            built.append((i, group_lrs(plan, f, _list_total(plan, steps) if f == "list" else None)))
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
        # past an 'error' horizon a cell gives NaN: read such a plan's slots when its steps end
        ends = [cases[i][1] for i, _ in built if cases[i][0].horizon.past == "error"]
        if mode == "graph":
            lr = _run(_graph_steps(opt, len(params), chunk), params, longest, chunk, ends=ends, per_call=STEPS_PER_CALL)
        else:
            lr = _run(_nn_step(opt, len(params), chunk), params, longest, chunk, ends=ends)
    for i, lo, hi in rows:
        out[i] = lr[lo:hi, : cases[i][1]]
    return out


#: modelled costs of one batch on a 2-core CPU (docs/benchmarks.md). ``nn.SGD`` compiles per batch (≈ 0.07 s per
#: probe group); in PyNative each step is a call from Python (≈ 0.35 ms plus ≈ 50 µs per list group), in
#: GRAPH_MODE calls of ``STEPS_PER_CALL`` steps leave ≈ 0.1 ms plus ≈ 30 µs per list group and step. A float64
#: formula cell group costs about ``CELL_WIDTH`` list groups per step. The experimental optimizers are reused (no
#: compile per batch): ≈ 0.5 ms per step (train step and lr write) plus ≈ 90 µs per group.
NN_COST = {"pynative": BatchCost(compile_s=0.2, compile_s_per_group=0.07, step_s=0.35e-3, step_s_per_group=50e-6),
           "graph": BatchCost(compile_s=0.2, compile_s_per_group=0.07, step_s=0.1e-3, step_s_per_group=30e-6)}
CELL_WIDTH = {"pynative": 3.0, "graph": 5.0}
EXPERIMENTAL_COST = BatchCost(step_s=0.5e-3, step_s_per_group=90e-6)


def _batch_key(plan, target) -> tuple:
    """Cases that may share an optimizer: one mode, one optimizer kind, one device; plans whose lrs are all
    static (floats) never beside dynamic ones (MindSpore would wrap the floats in ``_ConvertToCell``),
    and a plan with scheduled hyperparameters on an experimental optimizer of its own (its ``PlanLR``
    turns group momentum / weight decay into Parameters of the optimizer: never the shared, reused one)."""
    from .params import is_static

    form = target.form or "list"
    if form == "experimental":
        return (target.mode, "experimental", any(g.hparam_schedulers for g in plan.groups), target.device)
    return (target.mode, "nn", is_static(plan), target.device)


def plan_batches(cases) -> list[tuple[tuple, list[int], float]]:
    """``(plan, steps, target)`` cases cut into batches: ``(key, case indices, modelled seconds)`` each.

    Per ``_batch_key``, the cases are cut by ``batching.cut_batches`` (similar lengths together, the
    compile and per-step costs weighed); a plan with scheduled hyperparameters is a batch of its own.
    """
    from lrbridge.conformance.batching import Item, cut_batches

    keys: dict[tuple, list[int]] = {}
    for i, (plan, _, target) in enumerate(cases):
        keys.setdefault(_batch_key(plan, target), []).append(i)
    out = []
    for key, idx in keys.items():
        kind, own = key[1], key[1] == "experimental" and key[2]
        cost = EXPERIMENTAL_COST if kind == "experimental" else NN_COST[key[0]]
        items = [Item(int(cases[i][1]), len(cases[i][0].groups), _width(cases[i])) for i in idx]
        cut = [[k] for k in range(len(idx))] if own else cut_batches(
            items, cost, max_groups=MAX_EXPERIMENTAL_GROUPS if kind == "experimental" else MAX_BATCH_GROUPS)
        for batch in cut:
            groups, width = sum(items[k].groups for k in batch), sum(items[k].width for k in batch)
            out.append((key, [idx[k] for k in batch], cost.seconds(groups, max(items[k].steps for k in batch), width)))
    return out


def _width(case) -> float:
    plan, _, target = case
    return len(plan.groups) * (CELL_WIDTH.get(target.mode, 1.0) if target.form == "cell" else 1.0)


def run_batches(cases, batches, out: list) -> None:
    """Measure ``plan_batches``' ``batches`` of ``cases`` here, each result into ``out[i]``; a failing batch is
    bisected to the case that makes it fail (``engine.isolate``)."""
    from lrbridge.conformance.engine import isolate

    for (mode, kind, own, _), idx, _ in batches:
        mine = [(cases[i][0], int(cases[i][1])) for i in idx]
        if kind == "experimental" and own:
            probe = lambda sub, mine=mine, mode=mode: [probe_experimental(*mine[j], mode) for j in sub]  # noqa: E731
        elif kind == "experimental":
            probe = lambda sub, mine=mine, mode=mode: probe_experimental_batch([mine[j] for j in sub], mode)  # noqa: E731
        else:
            forms = [cases[i][2].form or "list" for i in idx]
            probe = lambda sub, mine=mine, mode=mode, forms=forms: probe_nn_batch(  # noqa: E731
                [mine[j] for j in sub], [forms[j] for j in sub], mode)
        for i, r in zip(idx, isolate(probe, list(range(len(idx))), label=f"mindspore/{mode}/{kind}")):
            out[i] = r


def probe_experimental(plan, steps: int, mode: str, start: int = 0, chunk: int = 256) -> np.ndarray:
    """Applied lr through ``mindspore.experimental.optim.SGD`` driven by ``PlanLR`` (resumed at ``start``).

    The loop measured is the one MindSpore's tutorials write: a ``mindspore.jit`` train step
    (``value_and_grad`` of the probe loss, then ``opt(grads)``: one compiled call for every
    group), then ``sched.step()``.
    """
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
        return _run(_jit_train_step(opt, params, chunk), params, steps, chunk, after_step=lambda j: sched.step())


#: most probe groups in one batched experimental ``SGD``. Each optimizer size is compiled once (≈ 0.2 s per
#: group) and every step costs its whole size (≈ 0.5 ms plus ≈ 0.09 ms per group): on 100 random plans 16
#: took 29 s where 32 took 41 s (its compile and its steps for batches that do not fill it), 8 took 30 s
MAX_EXPERIMENTAL_GROUPS = 16


class _Groups:
    """Param groups lo..hi−1 of an experimental optimizer, as ``PlanLR`` sees an optimizer: one plan's
    share of a batch."""

    def __init__(self, optimizer, lo: int, hi: int):
        self.param_groups = optimizer.param_groups[lo:hi]
        self.lrs = optimizer.lrs[lo:hi]


class _SharedWrites:
    """The writer every ``PlanLR`` of a batch hands its (Parameter, value) pairs to; ``flush()`` writes the
    latest value of every lr Parameter of the optimizer with one ``ParamWriter`` call: one compiled call
    per step, not one per plan, and the same Parameters every time (so it compiles once)."""

    def __init__(self, lrs):
        from .experimental import ParamWriter

        self.lrs = list(lrs)
        self.write = ParamWriter()
        self.reset()

    def reset(self) -> None:
        """Every lr back to 0 (groups no plan of the batch uses apply 0)."""
        self.latest = {id(p): (p, 0.0) for p in self.lrs}

    def __call__(self, writes) -> None:
        for param, value in writes:
            self.latest[id(param)] = (param, value)

    def flush(self) -> None:
        self.write(list(self.latest.values()))


class _ExperimentalRig:
    """An experimental ``SGD`` over ``size`` probe groups with its jitted train step and lr writer, kept
    and reused by every batch of one mode and size: compiling them costs ≈ 0.15 s per group (measured),
    more than most plans' steps. Reuse carries nothing from one batch to the next: the probe vectors are
    zeroed at every read, the lrs are written by each batch's ``PlanLR``s before the first step, and SGD
    with momentum 0 applies the gradient itself (its ``accum`` is overwritten at every step)."""

    CHUNK = 256

    def __init__(self, size: int):
        from mindspore.experimental import optim as xoptim

        self.params = _probe_params(size, self.CHUNK)
        self.opt = xoptim.SGD([{"params": [p], "lr": 0.0} for p in self.params], lr=0.0)
        self.step = _jit_train_step(self.opt, self.params, self.CHUNK)
        self.writes = _SharedWrites(self.opt.lrs)

    def run(self, cases) -> list:
        """``(plan, steps)`` cases (at most ``size`` groups in all): per case a (groups, steps) array."""
        from .experimental import PlanLR

        self.writes.reset()
        scheds, rows, lo = [], [], 0
        for plan, steps in cases:
            hi = lo + len(plan.groups)
            scheds.append((PlanLR(_Groups(self.opt, lo, hi), plan, writer=self.writes), steps))
            rows.append((lo, hi))
            lo = hi
        self.writes.flush()

        def after_step(j: int) -> None:
            for sched, steps in scheds:
                if j + 1 < steps:  # its next step is measured (stepping past an 'error' horizon raises)
                    sched.step()
            self.writes.flush()

        lr = _run(self.step, self.params, max(steps for _, steps in cases), self.CHUNK, after_step=after_step)
        return [lr[lo:hi, :steps] for (lo, hi), (_, steps) in zip(rows, cases)]


_RIGS: dict[tuple[str, int], _ExperimentalRig] = {}
# dropped at exit while MindSpore is still importable: a Cell deleted in module teardown prints
# "Exception ignored in Cell.__del__" (its module globals are None by then). Other Cells alive at exit
# (a test session's) still print it: harmless.
atexit.register(_RIGS.clear)


def probe_experimental_batch(cases, mode: str) -> list:
    """``(plan, steps)`` cases measured together: one experimental ``SGD`` holding every plan's probe
    groups, one ``PlanLR`` per plan over its own groups, the jitted train step of ``probe_experimental``.

    Each step: one compiled train step for all groups, every plan's ``sched.step()``, then one compiled
    write of every lr. The optimizer (``_ExperimentalRig``, 4, 8 or 16 groups: the next size up)
    is reused by later batches; one that raised is dropped. Returns per case a (groups, steps) array;
    an exception raises (the caller isolates it).
    """
    n = sum(len(plan.groups) for plan, _ in cases)
    size = 4
    while size < n:
        size *= 2
    with execution_mode(mode):
        key = (mode, size)
        if key not in _RIGS:
            _RIGS[key] = _ExperimentalRig(size)
        try:
            return _RIGS[key].run(cases)
        except Exception:
            _RIGS.pop(key, None)  # a crash may leave it half-stepped
            raise


#: worker processes ``measure_batch`` may use beside this one: a PyNative MindSpore process keeps two cores
#: busy (measured: two such processes on 2 cores each take twice as long), so one per two more cores, at most 3
WORKERS = max(0, min(3, (os.cpu_count() or 1) // 2 - 1))
#: modelled seconds of MindSpore work below which no worker is started, and a worker's start (MindSpore's import)
WORKER_MIN_S = 8.0
WORKER_START_S = 4.0


class MindSporeRunner:
    backend = "mindspore"
    modes = ("pynative", "graph")
    forms = FORMS
    workers = WORKERS

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

        The cases are cut into batches (``plan_batches``), and the batches spread over this process and
        ``workers`` worker processes (``python -m lrbridge_mindspore.worker``, each its own MindSpore)
        when the modelled time is worth a worker's start (``WORKERS``: none on a 2-core machine).
        A worker that dies is isolated to the case that kills it (``engine.isolate``, a fresh worker
        per try); a batch failing here is bisected to the case that makes it fail.
        """
        from lrbridge.conformance.batching import balance

        cases = [tuple(c) for c in cases]
        batches = plan_batches(cases)
        costs = [cost for _, _, cost in batches]
        workers = self.workers if sum(costs) >= WORKER_MIN_S else 0
        # only CPU batches go to a worker: its MindSpore runs on the default (CPU) device
        movable = [b for b, (key, _, _) in enumerate(batches) if key[3] == "cpu"]
        lanes = balance([costs[b] for b in movable], 1 + workers, start=[0.0] + [WORKER_START_S] * workers)
        away = [[movable[j] for j in lane] for lane in lanes[1:] if lane]
        sent = {b for lane in away for b in lane}
        here = [b for b in range(len(batches)) if b not in sent]
        out: list = [None] * len(cases)
        with ThreadPoolExecutor(max_workers=max(1, len(away))) as pool:  # the threads wait on the workers
            shares = [[i for b in lane for i in batches[b][1]] for lane in away]
            jobs = [(idx, pool.submit(_in_workers, [cases[i] for i in idx])) for idx in shares]
            run_batches(cases, [batches[b] for b in here], out)
            for idx, job in jobs:
                for i, r in zip(idx, job.result()):
                    out[i] = r
        return out


def _in_workers(cases) -> list:
    """``cases`` measured by worker processes, a dead worker isolated to the case that kills it (a fresh
    worker per try): per case an array or the error."""
    from lrbridge.conformance.engine import isolate

    try:
        return isolate(_in_worker, cases, label="mindspore worker")
    except Exception as exc:  # isolate gives each failing case its error; anything else fails them all
        return [exc] * len(cases)


def _in_worker(cases) -> list:
    """Cases measured in a fresh MindSpore worker (op ``measure_batch``): per case an array or an error."""
    from lrbridge.errors import LrBridgeError
    from lrbridge.interp import call_worker, decode_f32
    from lrbridge.io import plan_to_dict

    request = {"op": "measure_batch", "batch": [
        {"plan": plan_to_dict(plan), "steps": int(steps), "target": str(target)} for plan, steps, target in cases]}
    reply = call_worker(sys.executable, "lrbridge_mindspore.worker", request, timeout=WORKER_TIMEOUT_S)
    return [LrBridgeError(f"{target}: {r['error']}") if "error" in r else decode_f32(r).reshape(len(plan.groups), steps)
            for (plan, steps, target), r in zip(cases, reply)]


#: most seconds one worker call may take (a chunk of the matrix: up to 256 plans)
WORKER_TIMEOUT_S = 3600.0


RUNNER = MindSporeRunner()


def measure_momentum(plan, steps: int, mode: str = "pynative", api: str = "experimental") -> np.ndarray:
    """Momentum each group really applied at steps 0..steps−1 through ``mindspore_optimizer(plan, ..., api=api)``
    and its ``PlanLR``, from the parameter updates (``lrbridge.conformance.momentum``): (groups, steps), NaN at 0.

    The plan's optimizer must be SGD; every group gets one float32 scalar named after it.
    """
    from mindspore import Parameter, Tensor

    from lrbridge.conformance.momentum import momentum_from_updates
    from lrbridge.reference import evaluate

    from .optim import mindspore_optimizer

    with execution_mode(mode):
        params = [Parameter(Tensor(np.zeros(1, np.float32)), name=f"{g.name}.w") for g in plan.groups]
        built = mindspore_optimizer(plan, params, api=api, form="list", total_step=steps)
        # the probe's Parameters in optimizer order (order_params keeps the plan's group order)
        deltas = _updates(built, params, steps, start=0.0, grad=1.0)
    return momentum_from_updates(deltas, evaluate(plan, steps, dtype=np.float32))


def measure_weight_decay(plan, steps: int, mode: str = "pynative", api: str = "experimental",
                         form: str = "list") -> np.ndarray:
    """Weight decay each group really applied at steps 0..steps−1 through ``mindspore_optimizer(plan, ...,
    api=api, form=form)`` and its ``PlanLR``, from the parameter updates (``lrbridge.conformance.weight_decay``).

    Zero gradients on float32 scalars reset to 1 after every step: the plan's optimizer must be one whose
    zero-gradient update is the decay alone (AdamW; SGD without momentum, nn.Momentum with momentum 0).
    """
    from mindspore import Parameter, Tensor

    from lrbridge.conformance.weight_decay import weight_decay_from_updates
    from lrbridge.reference import evaluate

    from .optim import mindspore_optimizer

    with execution_mode(mode):
        params = [Parameter(Tensor(np.ones(1, np.float32)), name=f"{g.name}.w") for g in plan.groups]
        built = mindspore_optimizer(plan, params, api=api, form=form, total_step=steps if form == "list" else None)
        deltas = _updates(built, params, steps, start=1.0, grad=0.0)
    return weight_decay_from_updates(deltas, evaluate(plan, steps, dtype=np.float32))


def _updates(built, params, steps: int, *, start: float, grad: float) -> np.ndarray:
    """start − p after each step of ``built.optimizer`` from p = start with a constant gradient, per group,
    ``built.scheduler`` stepped after each: (groups, steps). The scalar probes of the hyperparameter
    measurements (momentum: start 0, gradient 1; weight decay: start 1, gradient 0)."""
    from mindspore import Tensor, mutable, ops

    grads = tuple(Tensor(np.full(1, grad, np.float32)) for _ in params)
    reset = Tensor(np.full(1, start, np.float32))
    deltas = np.empty((len(params), steps), np.float64)
    for k in range(steps):
        built.optimizer(mutable(grads))
        for g, p in enumerate(params):
            deltas[g, k] = start - float(p.asnumpy()[0])
            ops.assign(p, reset)  # not set_data: see _run
        if built.scheduler is not None:
            built.scheduler.step()
    return deltas
