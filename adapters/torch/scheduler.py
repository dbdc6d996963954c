"""``LrBridgeScheduler``: a torch ``LRScheduler`` whose lr at step k is lrbridge's closed form.

Group i of the optimizer applies ``evaluate(plan, [k])[i]`` at ``last_epoch = k``:
no recursion through the current lr, hence no drift and no composition surprise,
and resuming from ``state_dict()`` at any k continues exactly (the state holds k
and the plan as plain data). Per-step cost is a list lookup in a
``lrbridge.reference.StepTable``, so ``step()`` costs about what a native class's
``step()`` does.

Scheduled hyperparameters (``ParamGroup.hparam_schedulers``: momentum, beta1) are
written into the param groups at every step, like torch's CyclicLR does.

Imports torch: only imported by ``adapters.torch`` functions that need it.
"""

from __future__ import annotations

from torch.optim.lr_scheduler import LRScheduler

from lrbridge.reference import StepTable, evaluate_hparam
from lrbridge.io import plan_from_dict, plan_to_dict

class LrBridgeScheduler(LRScheduler):
    """Closed-form scheduler for ``plan``, whose groups are the optimizer's param groups in order.

    Build it with ``lrbridge.to_torch(plan, optimizer)``, which also maps plan groups
    onto the optimizer's groups. ``last_epoch`` is the optimizer step k whose lr the
    groups hold; ``last_epoch=k`` in the constructor resumes at k + 1 (torch's
    convention), ``load_state_dict`` at exactly the saved step.
    """

    def __init__(self, optimizer, plan, last_epoch: int = -1):
        if len(plan.groups) != len(optimizer.param_groups):
            raise ValueError(
                f"the plan has {len(plan.groups)} groups and the optimizer {len(optimizer.param_groups)} "
                "param groups; build it with lrbridge.to_torch, which maps them"
            )
        self._set_plan(plan)
        super().__init__(optimizer, last_epoch)

    def _set_plan(self, plan) -> None:
        self.plan = plan
        self._lrs = StepTable(plan)
        names = sorted({name for g in plan.groups for name in g.hparam_schedulers})
        self._hparams = {n: StepTable(plan, values=lambda p, steps, n=n: evaluate_hparam(p, n, steps)) for n in names}

    def get_lr(self):
        k = self.last_epoch
        if self._hparams:
            self._apply_hparams(k)
        return self._lrs.row(k)

    def _apply_hparams(self, k: int) -> None:
        for name, table in self._hparams.items():
            for group, value, g in zip(self.optimizer.param_groups, table.row(k), self.plan.groups):
                if name not in g.hparam_schedulers:
                    continue
                if name == "beta1":
                    group["betas"] = (value, *group["betas"][1:])
                else:
                    group[name] = value

    def state_dict(self) -> dict:
        """Plain data: the step, torch's bookkeeping, and the plan (as a plan document)."""
        keep = ("last_epoch", "_step_count", "_last_lr", "base_lrs", "_is_initial", "_get_lr_called_within_step")
        state = {key: self.__dict__[key] for key in keep if key in self.__dict__}
        state["plan"] = plan_to_dict(self.plan)
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        """Resume at the saved step; a different plan in the state replaces this one."""
        state = dict(state_dict)
        plan_data = state.pop("plan", None)
        if plan_data is not None and plan_data != plan_to_dict(self.plan):
            self._set_plan(plan_from_dict(plan_data))
        else:
            self._set_plan(self.plan)
        self.__dict__.update(state)
