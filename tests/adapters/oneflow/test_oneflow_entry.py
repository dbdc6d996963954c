"""`file.py:function` building OneFlow objects: run and imported inside the OneFlow interpreter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.convert import load_source

pytestmark = pytest.mark.oneflow
FIXTURE = Path(__file__).parent / "fixtures" / "of_setups.py"


def test_oneflow_entry_point_is_imported_in_its_interpreter(oneflow):
    result = load_source(f"{FIXTURE}:warmup_cosine", steps=50)
    assert result.exact and "OneFlow interpreter" in result.notes[0]
    spec = {"class": "WarmupLR", "scheduler": {"class": "CosineDecayLR", "kwargs": {"decay_steps": 40}},
            "kwargs": {"warmup_factor": 0.1, "warmup_iters": 5}}
    (reply,) = oneflow({"op": "native_curve", "cases": [{"groups": [{"lr": 0.1}], "scheduler": spec, "steps": 50}]})
    applied = np.asarray(reply["lr"], np.float64)  # OneFlow's own scheduler stepped in the worker
    np.testing.assert_allclose(lb.evaluate(result.plan, 50), applied, rtol=1e-12, atol=0)


def test_an_optimizer_lrbridge_does_not_build_is_recorded_as_external(oneflow):
    result = load_source(f"{FIXTURE}:lamb_step", steps=12)
    assert result.plan.optimizer.name == "external:LAMB"
    assert result.plan.optimizer.hparams == {"weight_decay": 0.01}
    np.testing.assert_allclose(lb.evaluate(result.plan, 12)[0], 0.2 * 0.5 ** (np.arange(12) // 4), rtol=1e-12)
