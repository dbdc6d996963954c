"""The torch-style vocabulary (``lrbridge.vocabulary.node``): step counts are whole numbers or refused.

torch computes ``StepLR`` with ``last_epoch % step_size`` and OneFlow with ``floor(step / step_size)``,
whatever number they are given: with step_size 2.5 the lr decays at steps 3, 5, 8, 10, ..., which no
``Step`` node equals. Truncating to 2 would import another schedule without a word.
"""

from __future__ import annotations

import pytest

import lrbridge as lb
from lrbridge.errors import PlanError
from lrbridge.vocabulary import node


@pytest.mark.parametrize("framework", ["torch", "mindspore", "oneflow"])
@pytest.mark.parametrize("cls, kwargs, arg", [
    ("StepLR", {"step_size": 2.5}, "step_size"),
    ("MultiStepLR", {"milestones": [3, 5.5]}, "milestones"),
    ("CosineAnnealingLR", {"T_max": 7.5}, "T_max"),
    ("LinearLR", {"total_iters": 0.5}, "total_iters"),
    ("CosineAnnealingWarmRestarts", {"T_0": 4.5}, "T_0"),
])
def test_a_fractional_step_count_is_refused_naming_the_argument(framework, cls, kwargs, arg):
    with pytest.raises(PlanError) as err:
        node(framework, cls, kwargs, "scheduler")
    assert err.value.path == f"scheduler.{arg}"
    assert "whole number" in str(err.value) and cls in str(err.value) and "from_trace" in str(err.value)


def test_the_refusal_names_the_framework_s_own_argument():
    with pytest.raises(PlanError) as err:
        node("oneflow", "PolynomialLR", {"decay_batch": 7.5}, "scheduler.kwargs")
    assert err.value.path == "scheduler.kwargs.decay_batch"


def test_whole_floats_and_integer_scalars_are_accepted():
    # 4.0 (a YAML float, a numpy float) is the step count 4: the same node as 4
    assert node("torch", "StepLR", {"step_size": 4.0, "gamma": 0.5}, "s") == node("torch", "StepLR", {"step_size": 4, "gamma": 0.5}, "s")
    ours = lb.evaluate(lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=1.0),
                               scheduler=node("torch", "MultiStepLR", {"milestones": [2.0, 4.0]}, "s")), 6)
    assert ours[0].tolist() == pytest.approx([1, 1, 0.1, 0.1, 0.01, 0.01])
