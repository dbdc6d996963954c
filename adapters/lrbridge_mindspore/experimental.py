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
Adam's update; nn.Adam holds beta1 in a constant Tensor).

Horizon (``lrbridge.stepping``): stepping to the horizon N is allowed. MindSpore
has no optimizer hook that survives ``jit``/GRAPH_MODE, so past an ``error``
horizon ``PlanLR`` writes NaN as the lr (an update applying it is never a silently
wrong number) and the next ``step()`` raises, naming the step.
"""

from __future__ import annotations

import numpy as np

from lrbridge.stepping import PlanSteps


def _assign(param, value: float) -> None:
    from mindspore import Tensor, ops

    ops.assign(param, Tensor(np.float32(value)))  # numpy rounds float64 -> float32 to nearest


def is_nn_optimizer(optimizer) -> bool:
    """An ``mindspore.nn`` optimizer (lr inside it) rather than an experimental one (lr per param group)."""
    return not hasattr(optimizer, "param_groups")


class PlanLR:
    """Closed-form scheduler for an optimizer whose groups follow ``plan.groups``.

    ``rows`` maps optimizer group i to plan group ``rows[i]`` (default: the same index).
    ``last_epoch = k − 1`` resumes so that the next optimizer step applies step k.
    """

    def __init__(self, optimizer, plan, last_epoch: int = -1, rows=None):
        self.optimizer = optimizer
        self.plan = plan
        self.nn = is_nn_optimizer(optimizer)
        n_groups = len(plan.groups) if self.nn else len(optimizer.param_groups)
        self.rows = list(rows) if rows is not None else list(range(len(plan.groups)))
        if len(self.rows) != n_groups:
            from lrbridge.errors import PlanError

            raise PlanError("groups", f"the optimizer has {n_groups} param groups but rows maps {len(self.rows)}")
        self.steps = PlanSteps(plan)
        self._momentum = self._momentum_params()
        self.last_epoch = int(last_epoch)
        self._last_lr: list[float] = []
        self.step()

    def _momentum_params(self) -> list:
        """The Parameter each optimizer group's scheduled momentum is written into (None: not scheduled)."""
        if "momentum" not in self.steps.hparam_names:
            return []
        if self.nn:
            return [self.optimizer.momentum]
        from mindspore import Parameter, Tensor

        out = []
        for i, (group, r) in enumerate(zip(self.optimizer.param_groups, self.rows)):
            if "momentum" not in self.plan.groups[r].hparam_schedulers:
                out.append(None)
                continue
            if not isinstance(group.get("momentum"), Parameter):
                group["momentum"] = Parameter(Tensor(np.float32(group.get("momentum", 0.0))), name=f"lrbridge_momentum_{i}")
            out.append(group["momentum"])
        return out

    def lr_at(self, k: int) -> list[float]:
        """float64 lr of every optimizer group at step k."""
        row = self.steps.lrs(k)
        return [row[r] for r in self.rows]

    def _write(self):
        k = self.last_epoch
        values = self.lr_at(k)
        past = not self.steps.applicable(k)
        if not self.nn:
            for param, value in zip(self.optimizer.lrs, values):
                _assign(param, float("nan") if past else value)
        if self._momentum:
            row = self.steps.hparams(k)["momentum"]
            if self.nn:
                _assign(self._momentum[0], next(v for v in row if v is not None))
            else:
                for param, r in zip(self._momentum, self.rows):
                    if param is not None:
                        _assign(param, row[r])
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
