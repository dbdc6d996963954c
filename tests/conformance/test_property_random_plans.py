"""Property: on random plans, every target ``check`` accepts applies the plan within its tolerance in the
natural training loop, and every refusal names a reason.

Plans come from ``lrbridge.random_plans`` (every kind, groups with own lrs/scales/schedules, float32
lrs, scheduled momentum and weight decay, composites, every horizon policy, steps past the horizon
for hold/continue); hypothesis
draws the seeds. Budget: about a minute (3 batches of 4 plans, CPU targets of every
backend, measured together by the conformance matrix: real optimizer steps).
"""

from __future__ import annotations

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lrbridge.conformance.engine import Target  # noqa: E402
from lrbridge.conformance.matrix import run_matrix_many  # noqa: E402
from lrbridge.random_plans import random_cases  # noqa: E402

TARGETS = [
    Target("torch", "eager"),
    Target("mindspore", "pynative", "cpu", "list"),
    Target("mindspore", "pynative", "cpu", "cell"),
    Target("mindspore", "pynative", "cpu", "experimental"),
    Target("oneflow", "eager"),
    Target("oneflow", "graph"),
]


@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**31 - 1))
def test_accepted_plans_measure_within_tolerance_and_refusals_name_a_reason(seed, torch, ms, oneflow):
    cases = list(random_cases(4, seed=seed, max_steps=150, max_groups=3, extras=True))
    for result in run_matrix_many(cases, targets=TARGETS):
        if result.error is not None:  # the plan itself (its reference) fails: said with a reason, for every target
            assert str(result.error).strip(), (seed, result.index)
            continue
        for cell in result.cells:
            where = f"seed {seed} plan {result.index} {cell.target}: {cell.detail}"
            assert cell.status in ("ok", "unrepresentable"), where
            if cell.status == "unrepresentable":
                assert cell.detail.strip(), where
