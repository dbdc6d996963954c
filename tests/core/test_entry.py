"""``file.py:function`` sources: live objects the user's own code builds, imported through their backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.convert import load_source

FIXTURE = Path(__file__).parent / "entry_fixtures" / "torch_setups.py"


def _stepped(opt, sched, n, per=1):
    out = []
    for k in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if (k + 1) % per == 0:
            sched.step()
    return np.array(out)


@pytest.mark.torch
def test_tuple_entry_point_imports_the_live_scheduler(torch):
    import importlib.util

    result = load_source(f"{FIXTURE}:warmup_cosine", steps=50)
    spec = importlib.util.spec_from_file_location("fixture_copy", FIXTURE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    opt, sched = mod.warmup_cosine()
    np.testing.assert_allclose(lb.evaluate(result.plan, 50)[0], _stepped(opt, sched, 50), rtol=1e-12, atol=0)
    assert result.exact and "live torch objects" in result.notes[0]


@pytest.mark.torch
def test_dict_entry_point_with_epoch_interval(torch):
    result = load_source(f"{FIXTURE}:by_epoch", steps=60)
    lr = lb.evaluate(result.plan, 60)[0]
    assert lr[9] == 0.1 and lr[10] == 0.1 and lr[19] == 0.1 and lr[20] == 0.05  # StepLR(2) per epoch of 10 updates


def test_bad_entry_points_are_one_line_errors(tmp_path):
    with pytest.raises(lb.PlanError, match="no such Python file"):
        load_source(f"{tmp_path}/missing.py:build")
    with pytest.raises(lb.PlanError, match="has no function 'nope'"):
        load_source(f"{FIXTURE}:nope")
    with pytest.raises(lb.PlanError, match="returned str, which no backend imports"):
        load_source(f"{FIXTURE}:not_a_scheduler")


def test_logged_lrs_from_an_entry_point_are_recognised():
    result = load_source(f"{Path(__file__).parent / 'entry_fixtures' / 'plain_setups.py'}:logged_step_decay")
    lr = lb.evaluate(result.plan, 60)[0]
    expected = [0.1 * 0.5 ** (k // 10) for k in range(60)]  # closed form: extrapolates past the 40 logged steps
    np.testing.assert_allclose(lr, expected, rtol=1e-12, atol=0)
    assert result.exact
