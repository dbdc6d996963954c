"""``PlanLR``: MindSpore's closed-form scheduler (the same core as torch's and OneFlow's ``PlanLR``).

MindSpore's experimental schedulers copy torch's recursive updates onto float32
Parameters (measured: CosineAnnealingLR drifts 1.1e-2 relative over 10k steps,
ExponentialLR 2.3e-4) and count epochs in a float32 Parameter that stops at
2^24. ``PlanLR`` instead writes fp32(reference lr) into each group's lr Parameter
of a ``mindspore.experimental.optim`` optimizer: the closed form of the plan at an
integer step, 0 ulp, any length, with a ``state_dict`` for resume. Step it after
each optimizer step, like a torch scheduler: the k-th optimizer step applies lr(k).

Scheduled momentum (``hparam_schedulers``, e.g. torch's CyclicLR/OneCycleLR
cycling) is written every step into a float32 Parameter that replaces the group's
``momentum``: GRAPH_MODE compiles a float ``momentum`` as a constant (measured: a
changed float is ignored), a Parameter is read at every call. For an ``nn``
optimizer (its lr already a list or cell inside it) ``PlanLR`` writes only the
scheduled momentum into ``nn.Momentum``/``nn.SGD``'s ``momentum`` Parameter.
``beta1`` is refused by ``check`` (measured: a Parameter beta1 stops experimental
Adam's update; nn.Adam holds beta1 in a constant Tensor). A scheduled weight decay is
written the same way into a ``weight_decay`` Parameter of experimental Adam/AdamW
(measured, PyNative and GRAPH_MODE; experimental SGD hands it to ``ops.SGD`` as a
constant attribute and is refused); ``nn.Momentum`` takes it as a Cell in group_params.

Horizon (``lrbridge.stepping``): stepping to the horizon N is allowed. MindSpore
has no optimizer hook that survives ``jit``/GRAPH_MODE, so past an ``error``
horizon ``PlanLR`` writes NaN as the lr (an update applying it is never a silently
wrong number) and the next ``step()`` raises, naming the step.
"""

from __future__ import annotations

import numpy as np

from lrbridge.stepping import PlanSteps


def _assign_all(params):
    """``assign_all(values)``: ``values[i]`` (a float32 vector) into scalar Parameter ``params[i]``, every
    one by one compiled call (``mindspore.jit``, PyNative and GRAPH_MODE alike)."""
    from mindspore import ParameterTuple, jit, ops

    targets = ParameterTuple(params)

    @jit
    def assign_all(values):
        for i in range(len(targets)):
            ops.assign(targets[i], values[i])
        return values

    return assign_all


class ParamWriter:
    """Writes fp32(value) into scalar Parameters in place: one compiled call for all of them.

    Measured in a training loop (PyNative CPU, interleaved with a jitted train step): each
    ``ops.assign`` adds ≈ 0.6–1.2 ms per Parameter and step, one compiled ``assign_all`` about the
    cost of one (``Tensor.copy_`` is cheap alone but stalls the next compiled step; ``set_data`` and
    ``assign_value`` detach the Parameter from the compiled optimizer). The compile (≈ 0.3 s, once
    per set of Parameters) is skipped for a single Parameter. The float32 values are copied
    unchanged: 0 ulp, NaN kept.
    """

    def __init__(self):
        self._params: tuple = ()
        self._assign_all = None

    def __call__(self, writes) -> None:
        """``writes``: (Parameter, float) pairs; numpy rounds each float64 value to float32 to nearest."""
        from mindspore import Tensor, ops

        if not writes:
            return
        params = tuple(p for p, _ in writes)
        values = np.array([v for _, v in writes], np.float32)
        if len(params) == 1:
            ops.assign(params[0], Tensor(values[0]))
            return
        if self._assign_all is None or len(params) != len(self._params) or any(
                a is not b for a, b in zip(params, self._params)):
            self._params, self._assign_all = params, _assign_all(params)
        self._assign_all(Tensor(values))


def is_nn_optimizer(optimizer) -> bool:
    """An ``mindspore.nn`` optimizer (lr inside it) rather than an experimental one (lr per param group)."""
    return not hasattr(optimizer, "param_groups")


class PlanLR:
    """Closed-form scheduler for an optimizer whose groups follow ``plan.groups``.

    ``rows`` maps optimizer group i to plan group ``rows[i]`` (default: the same index).
    ``last_epoch = k − 1`` resumes so that the next optimizer step applies step k.
    ``writer``: called with the (Parameter, value) pairs of each step (default: a ``ParamWriter``,
    one compiled call); the conformance runner shares one among the plans of a batch.
    """

    def __init__(self, optimizer, plan, last_epoch: int = -1, rows=None, *, writer=None):
        self.optimizer = optimizer
        self.plan = plan
        self.nn = is_nn_optimizer(optimizer)
        n_groups = len(plan.groups) if self.nn else len(optimizer.param_groups)
        self.rows = list(rows) if rows is not None else list(range(len(plan.groups)))
        if len(self.rows) != n_groups:
            from lrbridge.errors import PlanError

            raise PlanError("groups", f"the optimizer has {n_groups} param groups but rows maps {len(self.rows)}")
        self.steps = PlanSteps(plan)
        self._momentum = self._hparam_params("momentum")
        # nn optimizers take a scheduled weight decay as a Cell in group_params (params.py), not from here
        self._weight_decay = [] if self.nn else self._hparam_params("weight_decay")
        self.last_epoch = int(last_epoch)
        self._last_lr: list[float] = []
        self._writer = writer if writer is not None else ParamWriter()
        self.step()

    def _hparam_params(self, name: str) -> list:
        """The Parameter each optimizer group's scheduled ``name`` (momentum, weight_decay) is written into
        (None: not scheduled). GRAPH_MODE compiles a float group value as a constant (measured)."""
        if name not in self.steps.hparam_names:
            return []
        if self.nn:
            return [self.optimizer.momentum]
        from mindspore import Parameter, Tensor

        out = []
        for i, (group, r) in enumerate(zip(self.optimizer.param_groups, self.rows)):
            if name not in self.plan.groups[r].hparam_schedulers:
                out.append(None)
                continue
            if not isinstance(group.get(name), Parameter):
                group[name] = Parameter(Tensor(np.float32(group.get(name, 0.0))), name=f"lrbridge_{name}_{i}")
            out.append(group[name])
        return out

    def lr_at(self, k: int) -> list[float]:
        """float64 lr of every optimizer group at step k."""
        row = self.steps.lrs(k)
        return [row[r] for r in self.rows]

    def _write(self):
        k = self.last_epoch
        values = self.lr_at(k)
        past = not self.steps.applicable(k)
        writes = []  # (Parameter, value): every one written by one compiled call (ParamWriter)
        if not self.nn:
            for param, value in zip(self.optimizer.lrs, values):
                writes.append((param, float("nan") if past else value))
        if self._momentum:
            row = self.steps.hparams(k)["momentum"]
            if self.nn:
                writes.append((self._momentum[0], next(v for v in row if v is not None)))
            else:
                for param, r in zip(self._momentum, self.rows):
                    if param is not None:
                        writes.append((param, row[r]))
        if self._weight_decay:
            row = self.steps.hparams(k)["weight_decay"]
            for param, r in zip(self._weight_decay, self.rows):
                if param is not None:
                    writes.append((param, row[r]))
        self._writer(writes)
        self._last_lr = values

    def step(self):
        # the step before this one was applied by an optimizer step: refuse if it lay past the horizon
        self.steps.check_apply(self.last_epoch)
        self.last_epoch += 1
        self._write()

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {"last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict):
        self.last_epoch = int(state["last_epoch"])
        self._write()


#: The former name (one closed-form class per framework, named ``PlanLR`` everywhere).
ExactLR = PlanLR
