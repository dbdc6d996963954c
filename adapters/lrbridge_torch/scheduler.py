"""``PlanLR``: a torch ``LRScheduler`` whose lr at step k is lrbridge's closed form.

Group i of the optimizer applies ``evaluate(plan, [k])[i]`` at ``last_epoch = k``:
no recursion through the current lr, hence no drift and no composition surprise,
and resuming from ``state_dict()`` at any k continues exactly (the state holds k
and the plan as plain data). Values and the horizon rule come from the core
(``lrbridge.stepping.PlanSteps``), shared with MindSpore's and OneFlow's ``PlanLR``.

Horizon: the natural loop's last ``scheduler.step()`` (to step N) is allowed; an
optimizer step that would apply a step past an ``error`` horizon raises, from an
optimizer step pre-hook, before any parameter changes.

Scheduled hyperparameters (``ParamGroup.hparam_schedulers``: momentum, beta1) are
written into the param groups at every step, as torch's CyclicLR does.

Imports torch: only imported by ``lrbridge_torch`` functions that need it.
"""

from __future__ import annotations

import weakref

from torch.optim.lr_scheduler import LRScheduler

from lrbridge.io import plan_from_dict, plan_to_dict
from lrbridge.stepping import PlanSteps, write_hparams


def _guard(ref):
    """Optimizer step pre-hook: refuse to apply a step past the plan's error horizon."""

    def hook(optimizer, args, kwargs):
        sched = ref()
        if sched is not None and sched.optimizer is optimizer:
            sched.steps.check_apply(sched.last_epoch)

    return hook


class PlanLR(LRScheduler):
    """Closed-form scheduler for ``plan``, whose groups are the optimizer's param groups in order.

    Build it with ``lrbridge.to_torch(plan, optimizer)``, which also maps plan groups
    onto the optimizer's groups. ``last_epoch`` is the optimizer step k whose lr the
    groups hold; ``last_epoch=k`` in the constructor resumes at k + 1 (torch's
    convention), ``load_state_dict`` at exactly the saved step.
    """

    def __init__(self, optimizer, plan, last_epoch: int = -1):
        if len(plan.groups) != len(optimizer.param_groups):
            from lrbridge.errors import PlanError

            raise PlanError(
                "groups",
                f"the plan has {len(plan.groups)} groups and the optimizer {len(optimizer.param_groups)} "
                "param groups; build it with lrbridge.to_torch, which maps them",
            )
        self._set_plan(plan)
        super().__init__(optimizer, last_epoch)
        self._horizon_hook = optimizer.register_step_pre_hook(_guard(weakref.ref(self)))

    def _set_plan(self, plan) -> None:
        self.plan = plan
        self.steps = PlanSteps(plan)

    def get_lr(self):
        k = self.last_epoch
        if self.steps.hparam_names:
            write_hparams(self.optimizer.param_groups, self.steps.hparams(k))
        return list(self.steps.lrs(k))

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


#: The former name (one closed-form class per framework, named ``PlanLR`` everywhere).
LrBridgeScheduler = PlanLR
