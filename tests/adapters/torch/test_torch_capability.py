"""lrbridge.check(plan, "torch") is framework-free and says which scheduler to_torch emits."""

from __future__ import annotations

import subprocess
import sys

from lrbridge import OptimizerSpec, Plan
from lrbridge.capability import check
from lrbridge.schedules import Chained, Constant, CosineAnnealing, ReduceOnPlateau, Sequential, Step


def _plan(schedule):
    return Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=schedule)


def test_check_reports_native_closed_form_and_unrepresentable():
    assert check(_plan(Step(step_size=3)), "torch").notes[0].startswith("to_torch emits torch's own StepLR where")
    closed = check(_plan(Chained(schedules=(CosineAnnealing(T_max=4), Step(step_size=2)))), "torch")
    assert closed.ok and "PlanLR" in closed.notes[0] and "part 0 'cosine'" in closed.notes[0]
    bad = check(_plan(Sequential(stages=(Constant(), ReduceOnPlateau()), milestones=(2,))), "torch")
    assert not bad.ok and "group 'default': reduce_on_plateau nested in 'sequential'" in bad.reasons[0]
    assert not check(_plan(Constant()), "torch", "graph").ok


def test_capability_imports_no_framework():
    code = "import sys, lrbridge_torch.capability, lrbridge_torch; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
