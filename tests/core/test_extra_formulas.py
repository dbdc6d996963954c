"""The config-system kinds (lrbridge/schedules/extra.py) as shared formulas: the libraries' values, bit for bit.

Each kind is one formula run by the numpy reference and by the MindSpore cells. These
tests compare the reference with the libraries' own arithmetic at every step of a grid
(boundaries, float-log cycle starts, steps up to 2**40) with ``==``, not a tolerance:

* timm (installed): ``_get_lr(t)`` of the real Cosine/Tanh/Poly/StepLRScheduler;
* DeepSpeed (installed): ``get_lr()`` of the real WarmupLR (log) and LRRangeTest;
* HF transformers (installed): the real lr lambdas (LambdaLR multiplies the base lr by them);
* fairseq (does not install here): the source transcriptions of tests/dialects/test_fairseq.py.

The formulas replaced numpy code written for these semantics; over a grid of 3387 nodes
and 4.2M steps the two agreed bit for bit (checked when the formulas were written).
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import lrbridge.schedules as L
from lrbridge.errors import PlanError
from lrbridge.schedules import xp as X
from lrbridge.schedules.extra import CycleAnneal, FloorStep, LinearGrowth, LogWarmup, Shaped, Triangular, cycle_table

EXTRA_KINDS = ("cycle_anneal", "log_warmup", "shaped", "floor_step", "linear_growth", "triangular")
BASES = (0.1, 3e-4)


def _same_bits(ours: np.ndarray, theirs, where: str):
    theirs = np.asarray(theirs, np.float64)
    diff = np.flatnonzero(ours.view(np.int64) != theirs.view(np.int64))
    assert diff.size == 0, f"{where}: {diff.size} steps differ, first at index {diff[0]}: {ours.flat[diff[0]]!r} vs {theirs.flat[diff[0]]!r}"


def test_the_extra_kinds_are_shared_formulas():
    for kind in EXTRA_KINDS:
        cls = L.SCHEDULE_KINDS[kind]
        assert isinstance(cls.formula, X.Formula), kind
        assert cls.lr is L.ScheduleBase.lr, kind  # no numpy override next to the formula


# ------------------------------------------------------------------ timm


def _timm_scheduler_module(name: str):
    """``timm.scheduler.<name>``; ``import timm`` may fail on torchvision, the scheduler package needs only torch."""
    pytest.importorskip("torch")
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed (requirements/test-libs-nodeps.txt)")
    try:
        return importlib.import_module(f"timm.scheduler.{name}")
    except (ImportError, RuntimeError):
        pass
    saved = {m: sys.modules.pop(m) for m in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]}
    parent = types.ModuleType("timm")
    parent.__path__ = list(importlib.util.find_spec("timm").submodule_search_locations)
    sys.modules["timm"] = parent
    try:
        return importlib.import_module(f"timm.scheduler.{name}")
    finally:
        for m in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
            del sys.modules[m]
        sys.modules.update(saved)


def _timm_lrs(scheduler, ts) -> np.ndarray:
    """timm's lr of each group at each t (groups × steps), from its own ``_get_lr``."""
    return np.array([scheduler._get_lr(int(t)) for t in ts]).T


def _optimizer():
    import torch

    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": b} for b in BASES])


def _near(points, lo=0, hi=2**40):
    return sorted({p + d for p in points for d in (-2, -1, 0, 1, 2) if lo <= p + d <= hi})


def _anneal_steps(T: int, m: float) -> np.ndarray:
    starts = [T * (m**c - 1) / (m - 1) for c in range(1, 60) if T * (m**c - 1) / (m - 1) < 2**40] if m != 1 else [T * c for c in (1, 2, 3, 1000, 10**6)]
    return np.array(sorted(set(range(0, 200)) | set(_near(int(s) for s in starts)) | {2**31 - 1, 2**40}), np.float64)


ANNEAL = [  # (shape, t_initial, cycle_mul, cycle_decay, cycle_limit, k_decay, lr_min, extra timm kwargs)
    ("cosine", 40, 2.0, 0.5, 3, 1.5, 1e-3, {}),
    ("cosine", 2, 10.0, 0.5, 4, 1.0, 0.0, {}),  # step 222 = 111·T is cycle 2 by timm's float log
    ("cosine", 7, 1.5, 0.9, 10**9, 0.5, 1e-4, {}),
    ("cosine", 13, 1.0, 0.7, 10**9, 2.0, 0.0, {}),
    ("tanh", 100, 1.0, 1.0, 1, 1.0, 1e-4, {}),
    ("tanh", 7, 2.0, 0.5, 10**9, 1.0, 1e-3, {"lb": -3.0, "ub": 5.0}),
    ("poly", 40, 1.0, 0.5, 3, 1.5, 1e-3, {"power": 2.0}),
    ("poly", 6, 1.5, 1.0, 10**9, 1.0, 0.0, {"power": 0.5}),
    ("poly", 5, 3.0, 0.8, 7, 0.5, 1e-5, {"power": 1.0}),
]


@pytest.mark.parametrize("shape,T,m,d,limit,kd,lo,kw", ANNEAL, ids=[f"{a[0]}-T{a[1]}-m{a[2]}-kd{a[5]}" for a in ANNEAL])
def test_cycle_anneal_is_timm_bit_for_bit(shape, T, m, d, limit, kd, lo, kw, monkeypatch):
    module = _timm_scheduler_module({"cosine": "cosine_lr", "tanh": "tanh_lr", "poly": "poly_lr"}[shape])
    cls = {"cosine": "CosineLRScheduler", "tanh": "TanhLRScheduler", "poly": "PolyLRScheduler"}[shape]
    timm_kw = {"t_initial": T, "lr_min": lo, "cycle_mul": m, "cycle_decay": d, "cycle_limit": limit, **kw}
    if shape != "tanh":
        timm_kw["k_decay"] = kd
    sched = getattr(module, cls)(_optimizer(), **timm_kw)
    ts = _anneal_steps(T, m)
    node = CycleAnneal(shape=shape, t_initial=T, lr_min=lo, cycle_mul=m, cycle_decay=d, k_decay=kd,
                       cycle_limit=None if limit == 10**9 else limit, **kw)
    if shape == "tanh":
        # numpy's tanh is its own SIMD code, within 2 ulps of libm's math.tanh (not equal: 19 of 300 steps differ);
        # timm's arithmetic run with numpy's tanh is the reference's to the bit
        assert _tanh_ulps() <= 2
        monkeypatch.setattr(module.math, "tanh", lambda x: float(np.tanh(np.float64(x))))
    _same_bits(node.lr(ts, np.array(BASES)[:, None]), _timm_lrs(sched, ts), f"timm {cls} {timm_kw}")


def _tanh_ulps() -> float:
    x = np.linspace(-8, 8, 20001)
    theirs = np.array([math.tanh(v) for v in x.tolist()])
    return float(np.max(np.abs(np.tanh(x) - theirs) / np.spacing(np.abs(theirs))))


@pytest.mark.parametrize("decay_t", [0.1, 0.7, 2.4, 3.3, 30.0, 1e-3])
def test_floor_step_is_timm_step_bit_for_bit(decay_t):
    sched = _timm_scheduler_module("step_lr").StepLRScheduler(_optimizer(), decay_t=decay_t, decay_rate=0.97)
    ts = np.array(sorted(set(range(0, 400)) | set(_near([10**5, 2**31, 2**40 - 3]))), np.float64)
    ours = FloorStep(step_size=decay_t, gamma=0.97).lr(ts, np.array(BASES)[:, None])
    _same_bits(ours, _timm_lrs(sched, ts), f"timm StepLRScheduler decay_t={decay_t}")
    assert FloorStep(step_size=0.1, gamma=0.5).lr(np.array([1.0]), 1.0)[0] == 0.5**9  # 1 // 0.1 == 9.0


# ------------------------------------------------------------------ DeepSpeed


def _deepspeed():
    pytest.importorskip("torch")
    return pytest.importorskip("deepspeed.runtime.lr_schedules")


def _ds_lrs(sched, iterations) -> np.ndarray:
    out = []
    for it in iterations:
        sched.last_batch_iteration = int(it)
        out.append(sched.get_lr())
    return np.array(out).T


@pytest.mark.parametrize("warmup", [2, 3, 37, 1000])
def test_log_warmup_is_deepspeed_bit_for_bit(warmup):
    """WarmupLR(warmup_type='log') from lr 0: lr = 0 + max·γ, γ = ln(k + 1)/ln W below W (k = last_batch_iteration)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = _deepspeed().WarmupLR(_optimizer(), warmup_min_lr=0.0, warmup_max_lr=list(BASES), warmup_num_steps=warmup)
    ks = np.array(sorted(set(range(0, min(warmup + 5, 300))) | set(_near([warmup, 2**31, 2**40 - 3]))), np.float64)
    ours = LogWarmup(warmup_steps=warmup).lr(ks, np.array(BASES)[:, None])
    _same_bits(ours, _ds_lrs(sched, ks), f"DeepSpeed WarmupLR log W={warmup}")


@pytest.mark.parametrize("rate,size,stair", [(1.0, 1, False), (0.5, 10, True), (7.3, 3, False), (1e-3, 1000, True)])
def test_linear_growth_is_deepspeed_range_test_bit_for_bit(rate, size, stair):
    """LRRangeTest: lr = min_lr·(1 + rate·interval), interval = (last_batch_iteration + 1)/step_size (⌊⌋ in stairs)."""
    sched = _deepspeed().LRRangeTest(_optimizer(), lr_range_test_min_lr=list(BASES), lr_range_test_step_size=size,
                                     lr_range_test_step_rate=rate, lr_range_test_staircase=stair)
    ks = np.array(sorted(set(range(1, 300)) | set(_near([10**6, 2**31, 2**40 - 3]))), np.float64)
    ours = LinearGrowth(rate=rate, step_size=size, staircase=stair).lr(ks, np.array(BASES)[:, None])
    _same_bits(ours, _ds_lrs(sched, ks - 1), f"DeepSpeed LRRangeTest rate={rate} size={size} stair={stair}")


# ------------------------------------------------------------------ HF transformers


def _hf():
    pytest.importorskip("torch")
    return pytest.importorskip("transformers.optimization")


def _hf_lrs(fn, ks, **kw) -> np.ndarray:
    """LambdaLR's lr: base_lr · lambda(step), for each base."""
    return np.array([[b * fn(int(k), **kw) for k in ks] for b in BASES])


def _bases():
    return np.array(BASES)[:, None]


@pytest.mark.parametrize("total,cycles,floor", list(itertools.product((1, 8, 101, 4097), (0.5, 1.0, 3.7), (0.0, 0.1))))
def test_shaped_cosine_is_hf_cosine_bit_for_bit(total, cycles, floor):
    hf = _hf()
    ks = np.array(sorted(set(range(0, 2 * total + 5)) | {10**6 + 1, 2**31 - 1, 2**40 + 3}), np.float64)
    ours = Shaped(shape="cosine", span=total, cycles=cycles, floor=floor).lr(ks, _bases())
    theirs = _hf_lrs(hf._get_cosine_schedule_with_warmup_lr_lambda, ks, num_warmup_steps=0, num_training_steps=total,
                     num_cycles=cycles, min_lr_rate=floor)
    _same_bits(ours, theirs, f"HF cosine N={total} cycles={cycles} min_lr_rate={floor}")


@pytest.mark.parametrize("total,cycles", list(itertools.product((1, 8, 101), (1, 2, 5))))
def test_shaped_hard_restarts_and_linear_are_hf_bit_for_bit(total, cycles):
    hf = _hf()
    ks = np.array(sorted(set(range(0, 2 * total + 5)) | {2**31 - 1}), np.float64)
    hard = _hf_lrs(hf._get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda, ks, num_warmup_steps=0,
                   num_training_steps=total, num_cycles=cycles)
    _same_bits(Shaped(shape="cosine_hard", span=total, cycles=float(cycles)).lr(ks, _bases()), hard, f"HF hard restarts N={total}")
    linear = _hf_lrs(hf._get_linear_schedule_with_warmup_lr_lambda, ks, num_warmup_steps=0, num_training_steps=total)
    _same_bits(Shaped(shape="remaining", span=total).lr(ks, _bases()), linear, f"HF linear N={total}")


WSD_UP = {"linear": "linear", "cosine": "cosine_up", "1-sqrt": "sqrt_up"}
WSD_DOWN = {"linear": "linear_down", "cosine": "cosine", "1-sqrt": "sqrt_down"}


@pytest.mark.parametrize("kind,ratio,span", list(itertools.product(("linear", "cosine", "1-sqrt"), (0.0, 0.1, 0.5), (1, 7, 100))))
def test_shaped_wsd_phases_are_hf_bit_for_bit(kind, ratio, span):
    """WSD's warmup (steps < W) and decay (W + S ≤ step < W + S + D) factors, as Shaped with floor = min_lr_ratio."""
    hf = _hf()
    fn = hf._get_wsd_scheduler_lambda
    kw = dict(warmup_type=kind, decay_type=kind, min_lr_ratio=ratio, num_cycles=0.5)
    ks = np.arange(span, dtype=np.float64)
    up = _hf_lrs(fn, ks, num_warmup_steps=span, num_stable_steps=3, num_decay_steps=span, **kw)
    _same_bits(Shaped(shape=WSD_UP[kind], span=span, floor=ratio).lr(ks, _bases()), up, f"HF WSD warmup {kind}")
    down = _hf_lrs(fn, ks + span + 3, num_warmup_steps=span, num_stable_steps=3, num_decay_steps=span, **kw)
    _same_bits(Shaped(shape=WSD_DOWN[kind], span=span, floor=ratio).lr(ks, _bases()), down, f"HF WSD decay {kind}")


# ------------------------------------------------------------------ fairseq (source transcriptions)


def _fairseq_source():
    """tests/dialects/test_fairseq.py: fairseq's step_update arithmetic, transcribed from its source."""
    path = Path(__file__).parents[1] / "dialects" / "test_fairseq.py"
    spec = importlib.util.spec_from_file_location("lrbridge_tests_fairseq_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("period,shrink,shrink_min", list(itertools.product((2, 5, 20, 5001), (0.1, 0.5, 1.0), (False, True))))
def test_triangular_is_fairseq_bit_for_bit(period, shrink, shrink_min):
    steps = 3 * period + 40
    theirs = [_fairseq_source().triangular_curve(b, steps, max_lr=0.5, lr_period_updates=float(period), lr_shrink=shrink,
                                                 shrink_min=shrink_min) for b in BASES]
    node = Triangular(max_lr=0.5, step_size=float(period // 2), shrink=shrink, shrink_min=shrink_min)
    _same_bits(node.lr(np.arange(steps, dtype=np.float64), _bases()), theirs, f"fairseq triangular period={period}")


@pytest.mark.parametrize("period,t_mult,shrink,low", [(10, 1.5, 0.5, 1e-5), (7, 2.0, 1.0, 0.0), (5, 1.0, 0.9, 1e-4), (3, 3.0, 0.7, 1e-6)])
def test_cycle_anneal_is_fairseq_cosine_bit_for_bit(period, t_mult, shrink, low):
    steps = 3000
    theirs = [_fairseq_source().cosine_curve(b, steps, min_lr=low, t_mult=t_mult, lr_period_updates=float(period),
                                             lr_shrink=shrink) for b in BASES]
    node = CycleAnneal(t_initial=period, lr_min=low, cycle_mul=t_mult, cycle_decay=shrink, cycle_limit=None, decay_floor=True)
    _same_bits(node.lr(np.arange(steps, dtype=np.float64), _bases()), theirs, f"fairseq cosine t_mult={t_mult}")


def test_floor_step_is_fairseq_step_bit_for_bit():
    for period, decay in ((25000, 0.5), (7, 0.9), (3, 0.1)):
        theirs = [_fairseq_source().step_curve(b, 500, lr_deacy_period=period, lr_decay=decay) for b in BASES]
        node = FloorStep(step_size=float(period), gamma=decay)
        _same_bits(node.lr(np.arange(500, dtype=np.float64), _bases()), theirs, f"fairseq step period={period}")


# ------------------------------------------------------------------ the shared pieces


def test_floor_divide_definition_is_pythons_floor_division():
    """The shared ``floor_divide`` (the MindSpore cells run it) and numpy's equal Python's ``//`` bit for bit
    (the shared definition for quotients below 2**53, where integers are exact)."""
    steps = np.concatenate([np.arange(0, 5000), [2**31 - 1, 2**31, 2**40 + 1, 2**52 - 1, 10**15 + 7]]).astype(np.float64)
    for d in (0.1, 0.7, 2.4, 3.3, 1e-3, 1.0, 3.0, 25000.0, 0.30000000000000004, 7.000000000000001):
        python = np.array([k // d for k in steps.tolist()])
        _same_bits(X.NUMPY.floor_divide(steps, d), python, f"numpy // {d}")
        exact = python < 2**53
        _same_bits(X.floor_divide(X.NUMPY, steps[exact], np.float64(d)), python[exact], f"shared floor_divide by {d}")
    neg = np.array([-7.0, -1.0, -0.5, 0.5, 7.0])
    for y in (0.1, -0.1, -2.4):
        _same_bits(X.floor_divide(X.NUMPY, neg, np.float64(y)), [a // y for a in neg.tolist()], f"signs, // {y}")


def test_cycle_mul_too_close_to_one_is_refused_unless_limited():
    with pytest.raises(PlanError, match="cycle_mul"):
        CycleAnneal(t_initial=10, cycle_mul=1.00001, cycle_limit=None)
    node = CycleAnneal(t_initial=10, cycle_mul=1.00001, cycle_limit=100)  # 101 cycle starts: tabulated
    assert node.lr(np.array([0.0, 1e6]), 1.0)[-1] == 0.0  # past cycle 100: lr_min


def test_cycle_starts_are_found_where_timms_float_log_changes_at_large_k():
    """Every tabulated start t: timm's ⌊log_m(1 − t/T·(1 − m))⌋ is c at t and c − 1 at t − 1 (up to 2**53)."""
    for T, m in ((2, 10.0), (7, 1.5), (1, 2.0), (3, 1.1)):
        table = cycle_table(T, m, 1.0, None)
        starts = table["starts"].astype(np.int64).tolist()
        assert starts[-1] > 2**52 / m
        for c, t in enumerate(starts[1:], 1):
            assert math.floor(math.log(1 - t / T * (1 - m), m)) >= c, (T, m, c)
            assert math.floor(math.log(1 - (t - 1) / T * (1 - m), m)) < c, (T, m, c)
