"""A user's CI checks of a schedule port, written against lrbridge's pytest plugin."""

import numpy as np
import pytest

import lrbridge
from lrbridge.pytest_plugin import assert_plan_applied, assert_same_lr

RECIPE = "recipe.yaml"


def test_port_matches_recipe():
    assert_same_lr(RECIPE, RECIPE)


def test_oneflow_port_differs():
    assert_same_lr(RECIPE, "port_oneflow_default.yaml")  # expected to fail with the diff report


def test_arrays_and_plans(lrbridge_check):
    plan = lrbridge.load_plan(RECIPE)
    curves = {name: lr for name, lr in lrbridge.curves(plan, 100).items()}
    lrbridge_check.assert_same_lr(plan, curves, steps=100)
    lrbridge_check.assert_same_lr(np.float32(curves["head"]), lrbridge.evaluate(plan, 100)[1], steps=100)


@pytest.mark.lrbridge_backend("torch")
def test_torch_applies_the_recipe():
    assert_plan_applied(RECIPE, "torch/eager/cpu", steps=100)


def test_cuda_applies_the_recipe():
    assert_plan_applied(RECIPE, "torch/eager/cuda", steps=100)  # skipped without a CUDA device


@pytest.mark.lrbridge_device("cuda")
@pytest.mark.lrbridge_backend("torch")
def test_marked_cuda():
    pass


@pytest.mark.lrbridge_backend("no_such_framework")
def test_unknown_backend():
    pass


def test_every_target(lrbridge_target):
    assert_plan_applied(RECIPE, lrbridge_target, steps=30)
