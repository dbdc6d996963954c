"""The framework-free core of every closed-form scheduler (``PlanLR`` in torch, MindSpore and OneFlow).

A framework's ``PlanLR`` is a thin shell: it keeps the step k the next optimizer
step applies, writes ``PlanSteps.lrs(k)`` (and the scheduled hyperparameters) into
the optimizer, and calls ``PlanSteps.check_apply(k)`` just before each optimizer
step. Everything that decides values lives here, once:

- lr(k) and hyperparameter(k) come from the float64 reference (``StepTable``);
- **the horizon rule**: in the natural loop
  ``for k in range(N): optimizer.step(); scheduler.step()`` the last
  ``scheduler.step()`` computes step N, which is never applied. So stepping a
  scheduler past the horizon is allowed; *applying* a step past an ``error``
  horizon is what raises (``check_apply``), naming the step and the fix. Past an
  ``error`` horizon the values held are those of step N − 1 (never applied).
  ``hold`` and ``continue`` are the reference's own policies. The same holds for
  a step whose lr the plan cannot give (e.g. a formula continued past its domain
  to a negative lr): computing it holds the previous step's values, applying it
  raises the evaluator's error.
"""

from __future__ import annotations

from .errors import EvaluationError
from .reference import StepTable, evaluate_hparam


def horizon_error(plan, k: int) -> EvaluationError:
    """The error for applying optimizer step k past an ``error`` horizon of N steps."""
    n = plan.horizon.steps
    return EvaluationError(
        f"optimizer step {k} would apply an lr past the plan's horizon of {n} steps (steps 0..{n - 1}; "
        f"horizon.past: error): stop training after {n} optimizer steps, or set horizon.past to 'hold' or "
        "'continue', or a longer horizon.steps"
    )


def past_error_horizon(plan, k: int) -> bool:
    """Whether step k lies past an ``error`` horizon (its lr must never be applied)."""
    h = plan.horizon
    return h.past == "error" and h.steps is not None and k >= h.steps


def scheduled_hparams(plan) -> list[str]:
    """Names of the hyperparameters some group schedules (``momentum``, ``beta1``, ``weight_decay``), sorted."""
    return sorted({name for g in plan.groups for name in g.hparam_schedulers})


class PlanSteps:
    """lr and scheduled hyperparameters of every group of ``plan``, one step at a time.

    ``lrs(k)``: the lr of every group at step k (list of floats, float64 reference);
    ``hparams(k)``: ``{name: [value or None per group]}`` for the scheduled hyperparameters
    (None where a group does not schedule that name: leave the group's value alone);
    ``check_apply(k)``: raise if optimizer step k may not be applied (past an error horizon, or
    a step whose lr the plan cannot give).
    """

    def __init__(self, plan):
        self.plan = plan
        self._lrs = StepTable(plan)
        self.hparam_names = scheduled_hparams(plan)
        self._hparams = {
            n: StepTable(plan, values=lambda p, steps, n=n: evaluate_hparam(p, n, steps)) for n in self.hparam_names
        }
        self._invalid: dict[int, EvaluationError] = {}  # step -> why its values cannot be applied

    def _row(self, table: StepTable, k: int) -> list[float]:
        """Row k, or (k invalid) row k − 1 as a placeholder with k's error kept for ``check_apply``."""
        try:
            return table.row(k)
        except EvaluationError as exc:
            if k == 0:
                raise
            try:
                row = table.row(k - 1)
            except EvaluationError:
                raise exc from None
            self._invalid = {k: exc}
            return row

    def _k(self, k: int) -> int:
        # never evaluated past an error horizon: the held row is a placeholder check_apply refuses to apply
        return self.plan.horizon.steps - 1 if past_error_horizon(self.plan, k) else k

    def lrs(self, k: int) -> list[float]:
        return self._row(self._lrs, self._k(k))

    def hparams(self, k: int) -> dict[str, list]:
        out = {}
        for name, table in self._hparams.items():
            row = self._row(table, self._k(k))
            out[name] = [v if name in g.hparam_schedulers else None for v, g in zip(row, self.plan.groups)]
        return out

    def past_horizon(self, k: int) -> bool:
        return past_error_horizon(self.plan, k)

    def applicable(self, k: int) -> bool:
        """Whether step k's values may be applied (``check_apply(k)`` would not raise).

        Call after ``lrs(k)``: an invalid step is only known once it was computed."""
        return not past_error_horizon(self.plan, k) and k not in self._invalid

    def check_apply(self, k: int) -> None:
        """Raise when optimizer step k lies past an ``error`` horizon (naming it), or its lr is invalid."""
        if past_error_horizon(self.plan, k):
            raise horizon_error(self.plan, k)
        if k in self._invalid:
            raise self._invalid[k]


# -- verifying a framework's own class against the plan (torch to_torch, OneFlow eager) -------------

#: the most steps a framework's own scheduler class is stepped to verify it; longer plans run closed form
VERIFY_CAP = 20_000


def _int_fields(node) -> int:
    total = 0
    for name in type(node).model_fields:
        value = getattr(node, name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            total += abs(value)
        elif isinstance(value, tuple) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            total += max(abs(v) for v in value)
    return total


def family_span(plan) -> int:
    """Steps covering every threshold of the plan's schedules twice over (their boundary cases)."""
    return 2 * sum(_int_fields(n) for s in plan.schedules() for n in s.walk()) + 2


def verify_steps(plan) -> int:
    """Steps a framework's own class is compared with the plan over: the horizon, and past every threshold."""
    span = family_span(plan)
    return span if plan.horizon.steps is None else max(plan.horizon.steps, span)


def first_difference(plan, what: str, got, want) -> str | None:
    """'applies lr X at step k for group g where the plan gives Y' for the first float32 difference, else None."""
    import numpy as np

    bad = np.argwhere(np.float32(got) != np.float32(want))
    if not bad.size:
        return None
    i, k = (int(x) for x in bad[np.argmin(bad[:, 1])])
    return f"applies {what} {got[i, k]!r} at step {k} for group '{plan.groups[i].name}' where the plan gives {want[i, k]!r}"


def write_hparams(param_groups, values: dict) -> None:
    """Scheduled hyperparameters into dict-like param groups (torch, OneFlow): None keeps the group's own.

    ``beta1`` is the first of Adam's ``betas``; any other name is the group key of that name.
    """
    for name, row in values.items():
        for group, value in zip(param_groups, row):
            if value is None:
                continue
            if name == "beta1":
                group["betas"] = (value, *group["betas"][1:])
            else:
                group[name] = value
