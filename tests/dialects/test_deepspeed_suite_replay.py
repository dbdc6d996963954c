"""DeepSpeed's own lr-schedule tests replayed through lrbridge's deepspeed dialect.

The configurations of deepspeedai/DeepSpeed ``tests/unit/runtime/test_lr_schedulers.py`` (read at
commit 01e73b59344214ed69bfc9dc9cb0981a5f239c20; every case names the DeepSpeed test it comes from),
each written as the DeepSpeed JSON config a user writes (``optimizer`` + ``scheduler: {type,
params}``, the tests' ``train_batch_size: 2`` and ``gradient_clipping: 1.0`` included), saved to a
file and read with ``lrbridge.load_source``.

The reference is DeepSpeed's REAL scheduler (``deepspeed.runtime.lr_schedules``, the installed
0.19.8) built from the same ``params`` on a real torch optimizer and driven as the engine drives
it (``_take_model_step``): ``optimizer.step()`` then ``lr_scheduler.step()``, once per update. The
lr (and, for OneCycle, ``betas[0]``) a group holds when ``optimizer.step()`` runs is what update k
applies; lrbridge's curve must equal it at every update at relative error ≤ 1e-12. Then the values
DeepSpeed's test asserts are asserted on lrbridge's curve, translated to the update clock: the
DeepSpeed tests read ``get_lr()`` either before ``model.step()`` (= the lr update k applies) or after
it (= the lr update k + 1 applies), and ``scheduler.step(n)`` sets the lr update n + 1 applies.

Where DeepSpeed's tests assert a configuration is invalid (ValueError), lrbridge must refuse the
config in one line naming the field and the fix.

Left out: multi-group tests with lists or per-group lrs (a DeepSpeed config holds one value for every
group: lists are refused), tensor-valued lrs, and the ``add_tuning_arguments`` / ``get_config_from_args``
command-line tests except where the config they produce is replayed.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("deepspeed.runtime.lr_schedules")

import lrbridge as lb  # noqa: E402
from lrbridge.errors import PlanError  # noqa: E402
from lrbridge.reference import evaluate, evaluate_hparam  # noqa: E402
from lrbridge.resume import steps_done  # noqa: E402

REL = 1e-12
OPT_LR = 0.00015  # the DeepSpeed tests' optimizer lr ("Adam", lr 0.00015)


def ds_config(kind: str, params: dict, *, opt: str = "Adam", **opt_params) -> dict:
    """The config DeepSpeed's engine tests pass to ``deepspeed.initialize``."""
    opt_params.setdefault("lr", OPT_LR)
    return {"train_batch_size": 2, "steps_per_print": 1,
            "optimizer": {"type": opt, "params": opt_params},
            "scheduler": {"type": kind, "params": params},
            "gradient_clipping": 1.0}


def _torch_optimizer(cfg: dict, groups: int = 1):
    o = cfg["optimizer"]
    p = dict(o["params"])
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    if o["type"].lower() == "sgd":
        return torch.optim.SGD(params, lr=p["lr"])
    kw = {"betas": tuple(p["betas"])} if "betas" in p else {}
    return torch.optim.AdamW(params, lr=p["lr"], **kw)  # DeepSpeed's "Adam": adam_w_mode on


class Real:
    """DeepSpeed's scheduler for ``cfg`` stepped as the engine steps it, for n updates."""

    def __init__(self, cfg: dict, n: int):
        opt = _torch_optimizer(cfg)
        sched = getattr(L, cfg["scheduler"]["type"])(opt, **cfg["scheduler"]["params"])
        self.built_get_lr = sched.get_lr()[0]
        self.lr, self.beta1, self.beta2, self.get_lr_after, self.get_mom_before = [], [], [], [], []
        for _ in range(n):
            g = opt.param_groups[0]
            self.lr.append(g["lr"])
            self.beta1.append(g.get("betas", (np.nan, np.nan))[0])
            self.beta2.append(g.get("betas", (np.nan, np.nan))[1])
            mom = sched.get_mom() if hasattr(sched, "get_mom") else None
            self.get_mom_before.append(mom[0][0] if mom else np.nan)
            opt.step()
            sched.step()
            self.get_lr_after.append(sched.get_lr()[0])
        self.lr, self.beta1 = np.asarray(self.lr), np.asarray(self.beta1)


def load(cfg: dict, tmp_path, name: str = "ds_config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(cfg))
    return lb.load_source(path)


def assert_close(ours, real, what: str):
    ours, real = np.asarray(ours, dtype=float), np.asarray(real, dtype=float)
    assert ours.shape == real.shape, what
    err = np.abs(ours - real) / np.maximum(np.abs(real), 1e-300)
    exact = real == 0
    err[exact] = np.abs(ours[exact])
    worst = int(np.argmax(err))
    assert err[worst] <= REL, f"{what}: update {worst}: lrbridge {ours[worst]!r}, DeepSpeed {real[worst]!r}"


def replay(cfg: dict, n: int, tmp_path):
    """(lrbridge lr curve, lrbridge beta1 curve or None, Real): the curves already checked against DeepSpeed."""
    real = Real(cfg, n)
    plan = load(cfg, tmp_path).plan
    ours = evaluate(plan, n)[0]
    assert_close(ours, real.lr, f"{cfg['scheduler']} lr")
    mom = None
    if plan.groups[0].hparam_schedulers:
        mom = evaluate_hparam(plan, "beta1", n)[0]
        assert_close(mom, real.beta1, f"{cfg['scheduler']} betas[0]")
        assert plan.optimizer.hparams["betas"][1] == real.beta2[-1] == 0.99
    else:
        assert np.isnan(real.beta1).all() or len(set(real.beta1)) == 1  # DeepSpeed left betas alone too
    return ours, mom, real


def strictly_increasing(v):
    assert all(a < b for a, b in zip(v[:-1], v[1:])), list(v)


def strictly_decreasing(v):
    assert all(a > b for a, b in zip(v[:-1], v[1:])), list(v)


def staircase(v, step_size):  # DeepSpeed's _verify_staircase_increase
    for i in range(0, len(v), step_size):
        assert all(v[i] == x for x in v[i:i + step_size])


def refused(cfg: dict, tmp_path, field: str) -> str:
    with pytest.raises(PlanError) as err:
        load(cfg, tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"scheduler.params.{field}:"), msg
    return msg


# -- TestGetLrBeforeTrain, TestSchedulerOptimizerParity: the engine's lr = the scheduler's ----------------

ENGINE_CASES = [
    pytest.param("WarmupLR", {}, id="TestGetLrBeforeTrain-WarmupLR-defaults"),
    pytest.param("WarmupDecayLR", dict(warmup_num_steps=10, total_num_steps=20), id="TestGetLrBeforeTrain-WarmupDecayLR"),
    pytest.param("WarmupCosineLR", dict(warmup_num_steps=10, total_num_steps=20), id="TestGetLrBeforeTrain-WarmupCosineLR"),
    pytest.param("OneCycle", dict(cycle_min_lr=0, cycle_max_lr=0.1), id="TestGetLrBeforeTrain-OneCycle-min0"),
    pytest.param("LRRangeTest", {}, id="TestGetLrBeforeTrain-LRRangeTest-defaults"),
    pytest.param("WarmupDecayLR", dict(warmup_num_steps=5, total_num_steps=10), id="TestSchedulerOptimizerParity-WarmupDecayLR"),
    pytest.param("OneCycle", dict(cycle_min_lr=0, cycle_max_lr=0.1, cycle_first_step_size=5, decay_step_size=5),
                 id="TestSchedulerOptimizerParity-OneCycle"),
    pytest.param("LRRangeTest", dict(lr_range_test_min_lr=1e-4, lr_range_test_step_size=1),
                 id="TestSchedulerOptimizerParity-LRRangeTest"),
]


@pytest.mark.parametrize("kind,params", ENGINE_CASES)
def test_engine_lr_equals_scheduler_lr(kind, params, tmp_path):
    n = 25  # random_dataloader(total_samples=50), train_batch_size 2
    ours, _, real = replay(ds_config(kind, params), n, tmp_path)
    # TestGetLrBeforeTrain: before training the group's lr is the built scheduler's get_lr()
    assert ours[0] == pytest.approx(real.built_get_lr, rel=REL, abs=0)
    # TestSchedulerOptimizerParity: after every model.step(), get_lr() is the lr the next update applies
    assert_close(ours[1:], real.get_lr_after[:-1], "get_lr() after each step")


# -- TestLrSchedule: WarmupLR / WarmupDecayLR 0.1 -> 0.2 --------------------------------------------------

@pytest.mark.parametrize("warmup_type", ["log", "linear"])
@pytest.mark.parametrize("w", [10, 15, 19, 33])
def test_lr_warmup_schedule(w, warmup_type, tmp_path):
    """TestLrSchedule.test_lr_warmup_schedule: step_lrs[i] (get_lr() after step i) = update i + 1."""
    cfg = ds_config("WarmupLR", dict(warmup_min_lr=0.1, warmup_max_lr=0.2, warmup_num_steps=w, warmup_type=warmup_type))
    n = 2 * w
    ours, _, _ = replay(cfg, n + 1, tmp_path)
    step_lrs = ours[1:]
    assert step_lrs[0] == 0.1
    assert step_lrs[w] == pytest.approx(0.2, rel=REL, abs=0)
    assert all(lr == pytest.approx(0.2, rel=REL, abs=0) for lr in step_lrs[w:])


@pytest.mark.parametrize("warmup_type", ["log", "linear"])
@pytest.mark.parametrize("w", [10, 15, 19, 33])
def test_lr_warmup_decay_schedule(w, warmup_type, tmp_path):
    """TestLrSchedule.test_lr_warmup_decay_schedule: total_num_steps = 2·W; peak at W, then strictly down."""
    cfg = ds_config("WarmupDecayLR", dict(warmup_min_lr=0.1, warmup_max_lr=0.2, warmup_num_steps=w,
                                          total_num_steps=2 * w, warmup_type=warmup_type))
    n = 2 * w
    ours, _, _ = replay(cfg, n + 1, tmp_path)
    step_lrs = ours[1:]
    assert step_lrs[0] == 0.1
    assert step_lrs[w] == pytest.approx(0.2, rel=REL, abs=0)
    strictly_decreasing(step_lrs[w:])


# -- TestLrRange -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("min_lr,step_rate,step_size,staircase_", [
    (1e-4, 1e-5, 1, True), (1e-5, 1e-5, 1, False), (1e-4, 1e-3, 10, True),
    (1e-3, 1e-3, 10, False), (1e-2, 1e-2, 19, True), (1e-2, 1e-2, 19, False),
], ids=lambda v: str(v))
def test_lr_range(min_lr, step_rate, step_size, staircase_, tmp_path):
    """TestLrRange: step_lrs = get_lr() before each update = the lr update k applies."""
    cfg = ds_config("LRRangeTest", dict(lr_range_test_min_lr=min_lr, lr_range_test_step_rate=step_rate,
                                        lr_range_test_step_size=step_size, lr_range_test_staircase=staircase_))
    n = max(50, step_size * 2) // 2
    ours, _, _ = replay(cfg, n, tmp_path)
    assert ours[0] == min_lr
    if staircase_:
        staircase(list(ours), step_size)
        assert ours[step_size] > ours[0]
    else:
        strictly_increasing(ours)


@pytest.mark.parametrize("bad", [0, -5, 2.0])
def test_lr_range_test_rejects_nonpositive_step_size(bad, tmp_path):
    """test_lr_range_test_rejects_nonpositive_step_size (and a float, which DeepSpeed rejects too)."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError):
        L.LRRangeTest(opt, lr_range_test_step_size=bad)
    msg = refused(ds_config("LRRangeTest", dict(lr_range_test_step_size=bad)), tmp_path, "lr_range_test_step_size")
    assert "whole number ≥ 1" in msg


# -- TestOneCycle ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("min_lr,max_lr,decay_rate,c,decay_step_size", [
    (1e-5, 1e-2, 1e-3, 10, 10), (1e-3, 1e-1, 0, 21, 21), (1e-3, 1e-1, 1e-1, 21, 21), (1e-5, 1e-1, 0, 10, 0),
], ids=lambda v: str(v))
def test_one_cycle_lr(min_lr, max_lr, decay_rate, c, decay_step_size, tmp_path):
    """TestOneCycle.test_lr: step_lrs = get_lr() before each update; up c, down c, then decay."""
    cfg = ds_config("OneCycle", dict(cycle_min_lr=min_lr, cycle_max_lr=max_lr, decay_lr_rate=decay_rate,
                                     cycle_first_step_size=c, decay_step_size=decay_step_size))
    n = math.ceil(max(50, c * 3) / 2)
    ours, mom, _ = replay(cfg, n, tmp_path)
    assert ours[0] == min_lr
    assert ours[c] == pytest.approx(max_lr, rel=REL, abs=0)
    strictly_increasing(ours[:c])
    strictly_decreasing(ours[c:2 * c])
    if decay_rate > 0:
        strictly_decreasing(ours[2 * c:])
    assert mom is not None  # Adam: betas[0] cycles too (checked against DeepSpeed in replay)


@pytest.mark.parametrize("min_mom,max_mom,decay_rate,step_size", [
    (0.08, 0.09, 1e-3, 10), (0.08, 0.09, 0, 21),
], ids=lambda v: str(v))
def test_one_cycle_mom(min_mom, max_mom, decay_rate, step_size, tmp_path):
    """TestOneCycle.test_mom: step_moms = get_mom() before each update.

    DeepSpeed's test reads get_mom() before the first update: max_mom. The optimizer then holds the
    BUILT betas, (min_mom, 0.99), and update 0 applies those: lrbridge's betas[0] curve is what is
    applied (min_mom at update 0), and equals get_mom() from update 1 on."""
    cfg = ds_config("OneCycle", dict(cycle_min_lr=1e-3, cycle_max_lr=1e-2, cycle_min_mom=min_mom, cycle_max_mom=max_mom,
                                     decay_mom_rate=decay_rate, cycle_first_step_size=step_size,
                                     decay_step_size=step_size))
    n = math.ceil(max(50, step_size * 3) / 2)
    _, mom, real = replay(cfg, n, tmp_path)
    assert real.get_mom_before[0] == max_mom and mom[0] == real.beta1[0] == min_mom
    assert_close(mom[1:], real.get_mom_before[1:], "get_mom() from update 1 on")
    step_moms = [max_mom, *mom[1:]]  # what DeepSpeed's test sees
    assert step_moms[step_size] == pytest.approx(min_mom, rel=REL, abs=0)
    strictly_decreasing(step_moms[:step_size])
    strictly_increasing(step_moms[step_size:2 * step_size])
    if decay_rate > 0:
        strictly_increasing(step_moms[2 * step_size:])


def _one_cycle_cfg(first_stair_count, first=8, second=8, second_stair_count=None):
    """DeepSpeed's _one_cycle_lrs: Adam(lr 0.001, betas (0.9, 0.99)), 0.001 -> 0.01."""
    params = dict(cycle_min_lr=0.001, cycle_max_lr=0.01, cycle_first_step_size=first, cycle_second_step_size=second,
                  cycle_first_stair_count=first_stair_count)
    if second_stair_count is not None:
        params["cycle_second_stair_count"] = second_stair_count
    return ds_config("OneCycle", params, lr=0.001, betas=[0.9, 0.99])


def _one_cycle_lrs(tmp_path, *args, steps=16, **kw):
    """lrs[i] = get_lr() after step i + 1 = the lr update i + 1 applies."""
    ours, _, _ = replay(_one_cycle_cfg(*args, **kw), steps + 1, tmp_path)
    return list(ours[1:])


def test_one_cycle_stair_count_holds_lr_flat(tmp_path):
    """test_one_cycle_stair_count_holds_lr_flat"""
    continuous = _one_cycle_lrs(tmp_path, 0)
    assert len(set(continuous[:8])) == 8
    stairs = _one_cycle_lrs(tmp_path, 2)
    assert stairs != continuous
    assert len(set(stairs[:8])) < len(set(continuous[:8]))
    assert stairs[0] == stairs[1]
    assert _one_cycle_lrs(tmp_path, 8) == pytest.approx(continuous, rel=REL, abs=0)


def test_one_cycle_stair_count_handles_asymmetric_cycle(tmp_path):
    """test_one_cycle_stair_count_handles_asymmetric_cycle: up 10, down 21."""
    kw = dict(steps=31, first=10, second=21)
    continuous = _one_cycle_lrs(tmp_path, 0, second_stair_count=0, **kw)
    batch_aligned = _one_cycle_lrs(tmp_path, 10, second_stair_count=21, **kw)
    assert batch_aligned == pytest.approx(continuous, rel=REL, abs=0)
    assert batch_aligned[9] == pytest.approx(0.01, rel=REL, abs=0)
    first_only = _one_cycle_lrs(tmp_path, 2, second_stair_count=0, **kw)
    second_only = _one_cycle_lrs(tmp_path, 0, second_stair_count=3, **kw)
    assert first_only[:10] != continuous[:10]
    assert first_only[10:] == pytest.approx(continuous[10:], rel=REL, abs=0)
    assert second_only[:10] == pytest.approx(continuous[:10], rel=REL, abs=0)
    assert second_only[10:30] != continuous[10:30]


@pytest.mark.parametrize("first,second", [(0, 0), (0, None), (-1, None), (0, 100), (100, -1), (10.5, None)],
                         ids=lambda v: str(v))
def test_one_cycle_rejects_nonpositive_step_sizes(first, second, tmp_path):
    """test_one_cycle_rejects_nonpositive_step_sizes: refused, naming the half that is wrong
    (a fractional half, which DeepSpeed takes as a float, is not mapped)."""
    params = dict(cycle_min_lr=0.001, cycle_max_lr=0.1, cycle_first_step_size=first, cycle_second_step_size=second)
    if isinstance(first, int):
        with pytest.raises(ValueError):
            L.OneCycle(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), **params)
    field = "cycle_first_step_size" if first != 100 else "cycle_second_step_size"
    refused(ds_config("OneCycle", params, opt="SGD", lr=0.1), tmp_path, field)


@pytest.mark.parametrize("params", [
    dict(cycle_first_step_size=100, cycle_second_step_size=0),
    dict(cycle_first_step_size=7, cycle_second_step_size=0, decay_step_size=3, decay_lr_rate=0.5, decay_mom_rate=0.01),
    dict(cycle_first_step_size=10, cycle_second_step_size=0, cycle_first_stair_count=3, cycle_second_stair_count=4,
         decay_step_size=2, decay_lr_rate=0.2),
    dict(cycle_first_step_size=1, cycle_second_step_size=0, decay_step_size=1, decay_lr_rate=0.1, decay_mom_rate=0.01),
], ids=["100-0", "7-0-decay", "10-0-stairs", "1-0"])
@pytest.mark.parametrize("opt", ["SGD", "Adam"])
def test_one_cycle_allows_zero_second_step_size(params, opt, tmp_path):
    """test_one_cycle_allows_zero_second_step_size (regression: lrbridge refused a second half of 0)."""
    cfg = ds_config("OneCycle", dict(cycle_min_lr=0.001, cycle_max_lr=0.1, **params), opt=opt, lr=0.1)
    up = params["cycle_first_step_size"]
    ours, mom, real = replay(cfg, 2 * up + 20, tmp_path)
    assert real.built_get_lr == pytest.approx(0.001) and ours[0] == 0.001
    if up > 1:  # DeepSpeed's test: the lr rises after a few steps
        assert ours[up - 1] > 0.001
    assert ours[up] == 0.001  # no falling half: update `up` is back at the minimum
    assert (mom is not None) == (opt == "Adam")


# -- TestWarmupCosineLR and the WarmupCosineLR unit tests ---------------------------------------------------

@pytest.mark.parametrize("total,w,cos_min_ratio,warmup_min_ratio", [
    (100, 10, 0.1, 0.2), (200, 20, 0.1, 0.2), (500, 30, 0.0, 0.2), (600, 300, 0.1, 0.0), (600, 550, 0.0, 0.0),
], ids=lambda v: str(v))
def test_warmup_cosine_lr(total, w, cos_min_ratio, warmup_min_ratio, tmp_path):
    """TestWarmupCosineLR.test_lr: step_lrs[i] = get_lr() after step i = update i + 1."""
    opt_lr = 0.0015
    cfg = ds_config("WarmupCosineLR", dict(total_num_steps=total, warmup_min_ratio=warmup_min_ratio,
                                           warmup_num_steps=w, cos_min_ratio=cos_min_ratio), lr=opt_lr)
    n = max(50, total * 3) // 2
    ours, _, real = replay(cfg, n + 1, tmp_path)
    assert ours[0] == 0.0  # built: ratio 0, not warmup_min_ratio
    step_lrs = ours[1:]
    assert_close(step_lrs, real.get_lr_after[:-1], "get_lr() after each step")
    assert abs(step_lrs[0] - opt_lr * warmup_min_ratio) < 1e-7
    assert abs(step_lrs[w - 1] - opt_lr) < 1e-7
    assert abs(step_lrs[total - 1] - opt_lr * cos_min_ratio) < 1e-7
    strictly_increasing(step_lrs[:w])
    strictly_decreasing(step_lrs[w:total])


def test_warmup_cosine_lr_initializes_to_zero(tmp_path):
    """test_warmup_cosine_lr_initializes_all_param_groups (one group: a config has no groups): lr 0 when
    built; scheduler.step(1) sets 0.0015·ln 2/ln 10, the lr of update 2."""
    cfg = ds_config("WarmupCosineLR", dict(total_num_steps=100, warmup_num_steps=10, warmup_min_ratio=0.0), lr=0.0015)
    ours, _, _ = replay(cfg, 12, tmp_path)
    assert ours[0] == 0.0
    assert ours[2] == pytest.approx(0.0015 * math.log(2) / math.log(10), rel=REL)


def test_warmup_cosine_lr_total_num_steps_equals_warmup_num_steps(tmp_path):
    """test_warmup_cosine_lr_total_num_steps_equals_warmup_num_steps: past W the ratio stays cos_min_ratio."""
    cfg = ds_config("WarmupCosineLR", dict(total_num_steps=10, warmup_num_steps=10, cos_min_ratio=0.1), lr=0.01)
    ours, _, _ = replay(cfg, 30, tmp_path)
    for step in range(10, 15):  # scheduler.step(step): the lr of update step + 1
        assert ours[step + 1] == pytest.approx(0.01 * 0.1, rel=REL, abs=0)
    assert np.all(ours[11:] == ours[11])


def test_warmup_cosine_lr_unknown_warmup_type_falls_back_to_log(tmp_path):
    """test_warmup_cosine_lr_unknown_warmup_type_falls_back_to_log: same curve as log, with a note."""
    params = dict(total_num_steps=100, warmup_num_steps=10)
    cfg = ds_config("WarmupCosineLR", dict(params, warmup_type="not_a_warmup_type"), lr=0.001)
    ours, _, _ = replay(cfg, 120, tmp_path)
    log, _, _ = replay(ds_config("WarmupCosineLR", dict(params, warmup_type="log"), lr=0.001), 120, tmp_path)
    assert np.array_equal(ours, log)
    assert any("unknown to DeepSpeed" in n for n in load(cfg, tmp_path).notes)


def test_warmup_cosine_lr_linear_warmup_type_produces_linear_ratios(tmp_path):
    """test_warmup_cosine_lr_linear_warmup_type_produces_linear_ratios: ratio step/W at scheduler.step(step)."""
    cfg = ds_config("WarmupCosineLR", dict(total_num_steps=100, warmup_num_steps=10, warmup_min_ratio=0.0,
                                           warmup_type="linear"), lr=0.001)
    ours, _, _ = replay(cfg, 120, tmp_path)
    for step in range(10):
        assert ours[step + 1] == pytest.approx(0.001 * step / 10, rel=REL, abs=1e-300)


def test_warmup_cosine_lr_config_from_args_carries_the_ratios(tmp_path):
    """test_warmup_cosine_lr_config_from_args_carries_the_ratios: the params DeepSpeed's own command-line
    parser writes (plus total_num_steps=2000, as the test adds), read as a config."""
    parser = L.add_tuning_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--lr_schedule", "WarmupCosineLR", "--warmup_min_ratio", "0.1", "--cos_min_ratio", "0.05"])
    sched, err = L.get_config_from_args(args)
    assert err is None
    cfg = ds_config("WarmupCosineLR", dict(sched["params"], total_num_steps=2000), lr=0.001)
    ours, _, _ = replay(cfg, 2100, tmp_path)
    assert ours[1] == pytest.approx(0.001 * 0.1, rel=REL)  # warmup_min_ratio carried
    assert ours[2001] == pytest.approx(0.001 * 0.05, rel=REL)  # cos_min_ratio carried


# -- the TENSOR_LR_CONTRACTS values: lr when built, and after scheduler.step(1) (= update 2) ---------------

@pytest.mark.parametrize("kind,params,init_lr,step_lr", [
    pytest.param("LRRangeTest", {}, 1e-3, 1e-3 * (1 + 2 / 2000), id="LRRangeTest"),
    pytest.param("OneCycle", dict(cycle_min_lr=0.01, cycle_max_lr=0.1, cycle_first_step_size=10,
                                  cycle_second_step_size=10, cycle_momentum=False),
                 0.01, 0.01 + (0.1 - 0.01) * 2 / 10, id="OneCycle"),
    pytest.param("WarmupLR", dict(warmup_num_steps=10), 0.0, 0.1 * math.log(2) / math.log(10), id="WarmupLR"),
    pytest.param("WarmupDecayLR", dict(total_num_steps=100, warmup_num_steps=10, warmup_max_lr=0.1),
                 0.0, 0.1 * math.log(2) / math.log(10), id="WarmupDecayLR"),
    pytest.param("WarmupCosineLR", dict(total_num_steps=100, warmup_num_steps=10),
                 0.0, 0.1 * math.log(2) / math.log(10), id="WarmupCosineLR"),
])
def test_tensor_lr_contract_values(kind, params, init_lr, step_lr, tmp_path):
    """TENSOR_LR_CONTRACTS / test_lr_scheduler_preserves_tensor_lr, on SGD(lr=0.1) (a float lr here)."""
    ours, _, _ = replay(ds_config(kind, params, opt="SGD", lr=0.1), 30, tmp_path)
    assert ours[0] == pytest.approx(init_lr, rel=REL, abs=0)
    assert ours[2] == pytest.approx(step_lr, rel=REL, abs=0)


def test_warmup_lr_inherits_the_optimizer_lr_when_max_unspecified(tmp_path):
    """test_warmup_lr_inherits_per_group_lr_when_max_unspecified (one group): step(10) reaches the optimizer's lr."""
    cfg = ds_config("WarmupLR", dict(warmup_num_steps=10), lr=0.1)
    ours, _, _ = replay(cfg, 20, tmp_path)
    assert ours[11] == pytest.approx(0.1, rel=REL, abs=0)
    assert load(cfg, tmp_path).plan.groups[0].lr == 0.1


@pytest.mark.parametrize("kind", ["WarmupLR", "WarmupDecayLR", "WarmupCosineLR"])
@pytest.mark.parametrize("bad", [None, -5, 0, 10.0])
def test_warmup_schedulers_reject_invalid_warmup_num_steps(kind, bad, tmp_path):
    """test_warmup_schedulers_reject_invalid_warmup_num_steps (plus 0 and 10.0, which DeepSpeed rejects too).
    Regression: lrbridge crashed with a TypeError on None and read -5 and 10.0 as valid."""
    params = {"warmup_num_steps": bad, **({"total_num_steps": 100} if kind != "WarmupLR" else {})}
    with pytest.raises(ValueError):
        getattr(L, kind)(torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=0.001), **params)
    msg = refused(ds_config(kind, params, lr=0.001), tmp_path, "warmup_num_steps")
    assert "whole number ≥ 1" in msg and repr(bad) in msg


# -- OneCycle config details (command-line tests, as the configs they produce) -------------------------------

def test_one_cycle_second_step_size_defaults_to_the_first(tmp_path):
    """test_one_cycle_config_from_args_builds_a_scheduler: the params without the -1 sentinels."""
    params = dict(cycle_first_step_size=4, decay_step_size=1000, cycle_min_lr=1e-4, cycle_max_lr=1e-3, decay_lr_rate=0.0,
                  cycle_min_mom=0.8, cycle_max_mom=0.9, decay_mom_rate=0.0)
    ours, _, _ = replay(ds_config("OneCycle", params, lr=1e-3), 20, tmp_path)
    assert ours[4] == pytest.approx(1e-3, rel=REL) and ours[8] == pytest.approx(1e-4, rel=REL)


def test_one_cycle_command_line_sentinels_are_refused_as_deepspeed_does(tmp_path):
    """DeepSpeed 0.19.8's get_config_from_args still writes -1 for the unset OneCycle flags, which its
    OneCycle then rejects (ValueError): lrbridge refuses the same config in one line."""
    parser = L.add_tuning_arguments(argparse.ArgumentParser())
    args = parser.parse_args(["--lr_schedule", "OneCycle", "--cycle_min_lr", "1e-4", "--cycle_max_lr", "1e-3",
                              "--cycle_first_step_size", "4"])
    sched, _ = L.get_config_from_args(args)
    if sched["params"].get("cycle_second_step_size", 0) != -1:
        pytest.skip("this DeepSpeed leaves the unset OneCycle flags out")
    with pytest.raises(ValueError):
        L.OneCycle(torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3), **sched["params"])
    refused(ds_config("OneCycle", sched["params"], lr=1e-3), tmp_path, "cycle_second_step_size")


def test_one_cycle_second_stair_count_falls_back_to_the_first(tmp_path):
    """test_one_cycle_second_stair_count_falls_back_to_the_first"""
    params = dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=4, cycle_first_stair_count=5)
    ours, _, _ = replay(ds_config("OneCycle", params, lr=1e-3), 20, tmp_path)
    explicit, _, _ = replay(ds_config("OneCycle", dict(params, cycle_second_stair_count=5), lr=1e-3), 20, tmp_path)
    assert np.array_equal(ours, explicit)


@pytest.mark.parametrize("stairs", [dict(cycle_first_stair_count=-1, cycle_second_stair_count=-1),
                                    dict(cycle_first_stair_count=-1), dict(cycle_first_stair_count=-1, cycle_second_stair_count=3),
                                    dict(cycle_first_stair_count=4, cycle_second_stair_count=-1)],
                         ids=["-1,-1", "-1,absent", "-1,3", "4,-1"])
def test_one_cycle_negative_stair_counts_are_continuous_halves(stairs, tmp_path):
    """The -1 DeepSpeed 0.19.8's get_config_from_args writes for unset stair counts: DeepSpeed quantises only
    a count > 0, so -1 is a continuous half (regression: lrbridge refused it)."""
    params = dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=8, cycle_second_step_size=5,
                  decay_step_size=3, decay_lr_rate=0.1, **stairs)
    ours, _, _ = replay(ds_config("OneCycle", params, lr=1e-3), 30, tmp_path)
    if stairs.get("cycle_second_stair_count", -1) <= 0 and stairs["cycle_first_stair_count"] <= 0:
        continuous, _, _ = replay(ds_config("OneCycle", dict(params, cycle_first_stair_count=0,
                                                             cycle_second_stair_count=0), lr=1e-3), 30, tmp_path)
        assert np.array_equal(ours, continuous)


@pytest.mark.parametrize("cycles", [False, True])
def test_cycle_momentum_flag_decides_whether_betas_move(cycles, tmp_path):
    """test_cycle_momentum_flag_decides_whether_betas_move: Adam(betas (0.9, 0.999)), momentum 0.80..0.99."""
    params = dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=4, cycle_min_mom=0.80,
                  cycle_max_mom=0.99, cycle_momentum=cycles)
    cfg = ds_config("OneCycle", params, lr=1e-3, betas=[0.9, 0.999])
    _, mom, real = replay(cfg, 5, tmp_path)
    plan = load(cfg, tmp_path).plan
    if cycles:
        assert len(set(mom)) > 1 and plan.optimizer.hparams["betas"] == (0.9, 0.99)
    else:
        assert mom is None and set(real.beta1) == {0.9} and plan.optimizer.hparams["betas"] == (0.9, 0.999)


@pytest.mark.parametrize("key,value", [
    ("cycle_min_lr", [0.001, 0.002]), ("cycle_max_lr", [0.01, 0.02]), ("cycle_min_mom", [0.8, 0.85]),
    ("cycle_max_mom", [0.9, 0.95]),
], ids=["cycle_min_lr", "cycle_max_lr", "cycle_min_mom", "cycle_max_mom"])
def test_one_cycle_per_group_lists_are_refused_in_one_line(key, value, tmp_path):
    """test_one_cycle_accepts_per_group_lr_and_momentum_lists / ..._rejects_wrong_length_per_group_lists:
    DeepSpeed maps a list onto the client's param groups, which a config does not describe."""
    params = {**dict(cycle_min_lr=0.001, cycle_max_lr=0.01, cycle_first_step_size=5), key: value}
    msg = refused(ds_config("OneCycle", params, lr=0.1), tmp_path, key)
    assert "one value for every group" in msg


# -- "auto" (the HF Trainer's placeholders) and last_batch_iteration -----------------------------------------

@pytest.mark.parametrize("kind,params,where", [
    ("WarmupLR", dict(warmup_min_lr="auto", warmup_max_lr=1e-3), "scheduler.params.warmup_min_lr"),
    ("WarmupLR", dict(warmup_max_lr="auto"), "scheduler.params.warmup_max_lr"),
    ("WarmupDecayLR", dict(warmup_num_steps="auto", total_num_steps=100), "scheduler.params.warmup_num_steps"),
    ("WarmupDecayLR", dict(total_num_steps="auto"), "scheduler.params.total_num_steps"),
    ("WarmupCosineLR", dict(total_num_steps="auto"), "scheduler.params.total_num_steps"),
    ("OneCycle", dict(cycle_min_lr="auto", cycle_max_lr=0.1), "scheduler.params.cycle_min_lr"),
    ("LRRangeTest", dict(lr_range_test_min_lr="auto"), "scheduler.params.lr_range_test_min_lr"),
], ids=["WarmupLR-warmup_min_lr", "WarmupLR-warmup_max_lr", "WarmupDecayLR-warmup_num_steps",
        "WarmupDecayLR-total_num_steps", "WarmupCosineLR-total_num_steps", "OneCycle-cycle_min_lr",
        "LRRangeTest-lr_range_test_min_lr"])
def test_auto_in_scheduler_params_is_refused_in_one_line(kind, params, where, tmp_path):
    with pytest.raises(PlanError) as err:
        load(ds_config(kind, params), tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(where + ":") and "'auto'" in msg and "write the number" in msg


@pytest.mark.parametrize("opt_params,where", [
    (dict(lr="auto"), "optimizer.params.lr"),
    (dict(lr=1e-3, betas="auto"), "optimizer.params.betas"),
    (dict(lr=1e-3, eps="auto", weight_decay=0.0), "optimizer.params.eps"),
    (dict(lr=1e-3, weight_decay="auto"), "optimizer.params.weight_decay"),
    (dict(lr="auto", betas="auto", eps="auto", weight_decay="auto"), "optimizer.params.lr"),
], ids=["lr", "betas", "eps", "weight_decay", "all-lr-first"])
def test_auto_in_optimizer_params_is_refused_in_one_line(opt_params, where, tmp_path):
    """Regression: "betas"/"eps"/"weight_decay": "auto" (the HF integration's usual AdamW block) failed
    with "hparams.betas must be a pair ..." naming neither the config's field nor the fix."""
    cfg = ds_config("WarmupLR", dict(warmup_max_lr=1e-3), opt="AdamW", **opt_params)
    with pytest.raises(PlanError) as err:
        load(cfg, tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(where + ":") and "'auto'" in msg and "write the number" in msg


@pytest.mark.parametrize("kind,params", [
    ("WarmupLR", dict(warmup_min_lr=0.0, warmup_max_lr=0.01, warmup_num_steps=50)),
    ("WarmupDecayLR", dict(warmup_num_steps=20, total_num_steps=100, warmup_type="linear")),
    ("WarmupCosineLR", dict(warmup_num_steps=20, total_num_steps=100, warmup_min_ratio=0.1)),
    ("OneCycle", dict(cycle_min_lr=1e-4, cycle_max_lr=1e-2, cycle_first_step_size=15, cycle_second_step_size=10,
                      decay_step_size=5, decay_lr_rate=0.1, decay_mom_rate=0.01)),
    ("LRRangeTest", dict(lr_range_test_min_lr=1e-4, lr_range_test_step_size=7, lr_range_test_staircase=True)),
], ids=["WarmupLR", "WarmupDecayLR-linear", "WarmupCosineLR", "OneCycle-decay", "LRRangeTest-staircase"])
@pytest.mark.parametrize("last", [0, 36], ids=["last0", "last36"])
def test_last_batch_iteration(kind, params, last, tmp_path):
    """``last_batch_iteration: -1`` is the fresh schedule. A config with N ≥ 0 builds the scheduler as if N + 1
    updates were done: it leaves the optimizer's lr (and betas) as they are for the first update, and update
    j ≥ 1 applies get_lr(N + j), the fresh schedule's update N + 1 + j. lrbridge refuses it in one line and
    points at the fresh plan resumed at update N + 1 (``steps_done`` reads N + 1 from the same number)."""
    n = 80
    fresh_cfg = ds_config(kind, dict(params, last_batch_iteration=-1))
    ours, mom, _ = replay(fresh_cfg, n, tmp_path)
    assert np.array_equal(ours, evaluate(load(ds_config(kind, params), tmp_path).plan, n)[0])

    msg = refused(ds_config(kind, dict(params, last_batch_iteration=last)), tmp_path, "last_batch_iteration")
    assert "resume the plan at update last_batch_iteration + 1" in msg and "-1" in msg
    k = steps_done({"last_batch_iteration": last}, "deepspeed")
    assert k == last + 1
    opt = _torch_optimizer(fresh_cfg)  # the config's optimizer, as deepspeed.initialize builds it
    sched = getattr(L, kind)(opt, **dict(params, last_batch_iteration=last))
    lrs, moms = [], []
    for _ in range(n - k):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    assert lrs[0] == OPT_LR and moms[0] == 0.9  # untouched: the optimizer's own values (a checkpoint restores them)
    assert_close(ours[k + 1:], lrs[1:], "resumed lr")
    if mom is not None:
        assert_close(mom[k + 1:], moms[1:], "resumed betas[0]")


# -- whole-number fields DeepSpeed computes with as floats -----------------------------------------------------

@pytest.mark.parametrize("kind,params", [
    ("WarmupDecayLR", dict(warmup_num_steps=10, total_num_steps=40.0)),
    ("WarmupCosineLR", dict(warmup_num_steps=10, total_num_steps=40.0)),
    ("OneCycle", dict(cycle_min_lr=1e-3, cycle_max_lr=1e-2, cycle_first_step_size=6.0, cycle_second_step_size=4.0,
                      decay_step_size=3.0, decay_lr_rate=0.2)),
], ids=["WarmupDecayLR-total-40.0", "WarmupCosineLR-total-40.0", "OneCycle-6.0-4.0-decay-3.0"])
def test_whole_valued_floats_are_read_as_deepspeed_reads_them(kind, params, tmp_path):
    replay(ds_config(kind, params), 60, tmp_path)


@pytest.mark.parametrize("kind,params,field", [
    ("WarmupDecayLR", dict(warmup_num_steps=10, total_num_steps=40.5), "total_num_steps"),
    ("WarmupCosineLR", dict(warmup_num_steps=10, total_num_steps=-1), "total_num_steps"),
    ("OneCycle", dict(cycle_min_lr=1e-3, cycle_max_lr=1e-2, decay_step_size=2.5, decay_lr_rate=0.2), "decay_step_size"),
    ("OneCycle", dict(cycle_min_lr=1e-3, cycle_max_lr=1e-2, decay_step_size=None), "decay_step_size"),
], ids=["total-40.5", "total--1", "decay_step_size-2.5", "decay_step_size-None"])
def test_fractional_lengths_are_refused_in_one_line(kind, params, field, tmp_path):
    assert "whole number" in refused(ds_config(kind, params), tmp_path, field)
