"""Run MindSpore's own learning-rate code and return what it produces, as numpy arrays.

Three native paths (semantics doc §1.2):
- ``nn.dynamic_lr`` functions: Python float64 lists, one value per step;
- ``nn.LearningRateSchedule`` cells: float32 graph ops on a global_step tensor;
- ``experimental.optim.lr_scheduler`` classes: recursive updates of each group's
  float32 lr Parameter, read from ``optimizer.param_groups[i]['lr']`` per step.

MindSpore is imported inside the functions only, after the ``ms`` fixture has
proved it importable, so the core tests never need it.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np


@contextlib.contextmanager
def _quiet():
    """dynamic_lr functions and some cells warn that they are deprecated; the warning is not under test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def dynamic_lr(name: str, *args, **kwargs) -> np.ndarray:
    """``mindspore.nn.<name>(*args, **kwargs)`` as a float64 array (the list is float64 already)."""
    from mindspore import nn

    with _quiet():
        values = getattr(nn, name)(*args, **kwargs)
    assert isinstance(values, list) and all(isinstance(v, float) for v in values), "dynamic_lr returns list[float]"
    return np.asarray(values, np.float64)


@contextlib.contextmanager
def execution_mode(mode: str):
    """Run under ``mindspore.set_context(mode=...)`` ('pynative' or 'graph'), restoring PyNative after."""
    import mindspore as ms

    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    try:
        yield
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)


def cell_curve(cell_name: str, args: tuple, steps, mode: str) -> np.ndarray:
    """Output of ``mindspore.nn.<cell_name>(*args)`` at every step, as float32.

    The cells are element-wise, so one call on a 1-D int32 global_step tensor
    evaluates every step (one graph compile in GRAPH_MODE).
    """
    from mindspore import Tensor, nn

    with execution_mode(mode), _quiet():
        cell = getattr(nn, cell_name)(*args)
        out = cell(Tensor(np.asarray(steps, np.int32)))
        values = out.asnumpy()
    assert values.dtype == np.float32, f"{cell_name} computes in float32, got {values.dtype}"
    return values


def cell_at(cell_name: str, args: tuple, step: int, mode: str) -> np.float32:
    """The cell on a scalar int32 global_step, the way an ``nn`` optimizer calls it."""
    from mindspore import Tensor, nn
    from mindspore.common import dtype as mstype

    with execution_mode(mode), _quiet():
        return np.float32(getattr(nn, cell_name)(*args)(Tensor(step, mstype.int32)).asnumpy())


def sgd(group_lrs):
    """``experimental.optim.SGD`` with one single-element Parameter per group, group i at lr group_lrs[i]."""
    from mindspore import Parameter, Tensor
    from mindspore.experimental import optim

    groups = [
        {"params": [Parameter(Tensor(np.zeros(1, np.float32)), name=f"w{i}")], "lr": lr}
        for i, lr in enumerate(group_lrs)
    ]
    return optim.SGD(groups, lr=group_lrs[0])


def group_lrs(optimizer) -> list[float]:
    """Every group's current lr (a float32 Parameter), exactly as stored."""
    return [np.float32(g["lr"].asnumpy()) for g in optimizer.param_groups]


def run_scheduler(make, base_lrs, steps: int) -> np.ndarray:
    """lr of every group at steps 0..steps−1 under ``make(optimizer)``, shape (groups, steps), float32.

    Step k's lr is read after k ``scheduler.step()`` calls (the constructor has
    already applied step 0), i.e. the lr the k-th optimizer update applies when
    the scheduler is stepped after the optimizer.
    """
    optimizer = sgd(base_lrs)
    scheduler = make(optimizer)
    out = np.empty((len(base_lrs), steps), np.float32)
    for k in range(steps):
        out[:, k] = group_lrs(optimizer)
        if k + 1 < steps:
            scheduler.step()
    return out


def cell_scalars(cell_name: str, args: tuple, steps, mode: str) -> np.ndarray:
    """One cell called on each scalar int32 global_step in turn (one compile), as float32."""
    from mindspore import Tensor, nn
    from mindspore.common import dtype as mstype

    with execution_mode(mode), _quiet():
        cell = getattr(nn, cell_name)(*args)
        return np.array([cell(Tensor(int(k), mstype.int32)).asnumpy() for k in steps], np.float32)


def nn_sgd_applied(learning_rate, steps: int, mode: str):
    """The lr ``mindspore.nn.SGD`` really applies at updates 0..steps−1, and the error that stopped it.

    ``learning_rate`` is a list (dynamic_lr) or ``(cell_name, args)`` for a
    LearningRateSchedule. Probe (semantics doc §4): one parameter w and gradient 1,
    w reset to 0 before each update, applied lr = −w. The reset uses ``ops.assign``:
    ``Parameter.set_data`` is not seen by the compiled update from the second step
    on (it read 0). Returns (float32 array of the lrs applied before any error,
    the exception or None).
    """
    from mindspore import Parameter, Tensor, nn, ops

    with execution_mode(mode), _quiet():
        if isinstance(learning_rate, tuple):
            name, args = learning_rate
            learning_rate = getattr(nn, name)(*args)
        w = Parameter(Tensor(np.zeros(1, np.float32)), name="w")
        optimizer = nn.SGD([w], learning_rate=learning_rate)
        zero, grad = Tensor(np.zeros(1, np.float32)), (Tensor(np.ones(1, np.float32)),)
        applied, error = [], None
        for _ in range(steps):
            ops.assign(w, zero)
            try:
                optimizer(grad)
            except Exception as exc:  # past a list's end MindSpore raises RuntimeError (Gather index)
                error = exc
                break
            applied.append(-w.asnumpy()[0])
    return np.asarray(applied, np.float32), error
