"""fairseq dialect vs fairseq's schedulers as written in its source.

fairseq does not install here (it pins old torch/omegaconf/hydra and builds C
extensions), so the expected curves are computed in this file, in plain Python,
from the source of facebookresearch/fairseq (commit 3d262bb2, fairseq/optim/lr_scheduler/):

* the clock: ``fairseq/trainer.py`` ``Trainer._build_optimizer`` calls
  ``lr_scheduler.step_update(0)``; ``Trainer.set_num_updates`` calls ``lr_step_update``
  → ``step_update(num_updates)`` after every optimizer update; ``lr_step_begin_epoch``
  calls ``step_begin_epoch(epoch)`` (1-based epochs) then ``step_update``. So update k
  applies step_update(k), with the epoch's lr set first.
* each ``*_Schedule.step_update`` / ``get_next_lr`` below is the cited function's
  arithmetic, in its order.

lrbridge's ``evaluate`` of the dialect's plan must match at relative error ≤ 1e-12.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from lrbridge.conformance import compare
from lrbridge.dialects import get
from lrbridge.errors import PlanError
from lrbridge.reference import evaluate

REL_TOL = 1e-12


def fixed_curve(lrs, steps, *, warmup_updates=0, force_anneal=None, lr_shrink=0.1, updates_per_epoch=None):
    """fixed_schedule.py FixedLRSchedule: get_next_lr(epoch), step_begin_epoch, step_update."""
    upe = updates_per_epoch or steps

    def next_lr(epoch):
        if force_anneal is None or epoch < force_anneal:
            return lrs[min(epoch - 1, len(lrs) - 1)]
        return lrs[-1] * lr_shrink ** (epoch + 1 - force_anneal)

    out, lr = [], lrs[0]
    warmup_factor = 1.0 / warmup_updates if warmup_updates > 0 else 1
    for k in range(steps):
        if k % upe == 0:
            lr = next_lr(k // upe + 1)  # step_begin_epoch(epoch), epochs counted from 1
        if warmup_updates > 0 and k < warmup_updates:
            warmup_factor = (k + 1) / float(warmup_updates)
            out.append(warmup_factor * lr)
        else:
            out.append(lr)
    return out


def inverse_sqrt_curve(lr, steps, *, warmup_updates=4000, warmup_init_lr=-1.0):
    """inverse_square_root_schedule.py InverseSquareRootSchedule.__init__ / step_update."""
    if warmup_init_lr < 0:
        warmup_init_lr = 0 if warmup_updates > 0 else lr
    lr_step = (lr - warmup_init_lr) / warmup_updates
    decay_factor = lr * warmup_updates**0.5
    return [warmup_init_lr + n * lr_step if n < warmup_updates else decay_factor * n**-0.5 for n in range(steps)]


def polynomial_curve(lr, steps, *, warmup_updates=0, end_learning_rate=0.0, power=1.0, total_num_update=None):
    """polynomial_decay_schedule.py PolynomialDecayLRSchedule.step_update."""
    out = []
    for n in range(steps):
        if warmup_updates > 0 and n <= warmup_updates:
            out.append(n / float(warmup_updates) * lr)
        elif n >= total_num_update:
            out.append(end_learning_rate)
        else:
            pct_remaining = 1 - (n - warmup_updates) / (total_num_update - warmup_updates)
            out.append((lr - end_learning_rate) * pct_remaining**power + end_learning_rate)
    return out


def cosine_curve(lr, steps, *, warmup_updates=0, warmup_init_lr=-1.0, min_lr=0.0, t_mult=1.0,
                 lr_period_updates=-1.0, lr_shrink=0.1, max_update=0):
    """cosine_lr_scheduler.py CosineLRSchedule.__init__ / step_update."""
    max_lr = lr
    if max_lr < min_lr:
        min_lr = max_lr
    if warmup_init_lr < 0:
        warmup_init_lr = min_lr
    period = lr_period_updates if lr_period_updates > 0 else max_update - warmup_updates
    lr_step = (max_lr - warmup_init_lr) / warmup_updates if warmup_updates > 0 else 1
    out = []
    for n in range(steps):
        if n < warmup_updates:
            out.append(warmup_init_lr + n * lr_step)
            continue
        curr = n - warmup_updates
        if t_mult != 1:
            i = math.floor(math.log(1 - curr / period * (1 - t_mult), t_mult))
            t_i = t_mult**i * period
            t_curr = curr - (1 - t_mult**i) / (1 - t_mult) * period
        else:
            i = math.floor(curr / period)
            t_i = period
            t_curr = curr - (period * i)
        shrink = lr_shrink**i
        lo, hi = min_lr * shrink, max_lr * shrink
        out.append(lo + 0.5 * (hi - lo) * (1 + math.cos(math.pi * t_curr / t_i)))
    return out


def tri_stage_curve(lr, steps, *, warmup_steps=0, hold_steps=0, decay_steps=0, init_lr_scale=0.01, final_lr_scale=0.01,
                    phase_ratio=None, max_update=0):
    """tri_stage_lr_scheduler.py TriStageLRSchedule.__init__ / _decide_stage / step_update."""
    peak, init, final = lr, init_lr_scale * lr, final_lr_scale * lr
    if phase_ratio is not None:
        warmup_steps, hold_steps, decay_steps = (int(max_update * r) for r in phase_ratio)
    rate = (peak - init) / warmup_steps if warmup_steps != 0 else 0
    decay_factor = -math.log(final_lr_scale) / decay_steps
    out = []
    for n in range(steps):
        if n < warmup_steps:
            out.append(init + rate * n)
        elif n < warmup_steps + hold_steps:
            out.append(peak)
        elif n <= warmup_steps + hold_steps + decay_steps:
            out.append(peak * math.exp(-decay_factor * (n - warmup_steps - hold_steps)))
        else:
            out.append(final)
    return out


def step_curve(lr, steps, *, warmup_updates=0, warmup_init_lr=-1.0, min_lr=0.0, lr_deacy_period=25000, lr_decay=0.5):
    """step_lr_scheduler.py StepLRSchedule.__init__ / step_update."""
    init = warmup_init_lr if warmup_init_lr >= 0 else min_lr
    lr_step = (lr - init) / warmup_updates if warmup_updates > 0 else 1
    out = []
    for n in range(steps):
        if n < warmup_updates:
            out.append(init + n * lr_step)
        else:
            mult = lr_decay ** ((n - warmup_updates) // lr_deacy_period)
            out.append(max(lr * mult, min_lr))
    return out


def triangular_curve(lr, steps, *, max_lr, lr_period_updates=5000.0, lr_shrink=0.1, shrink_min=False):
    """triangular_lr_scheduler.py TriangularLRSchedule.__init__ / step_update."""
    stepsize = lr_period_updates // 2
    out = []
    for n in range(steps):
        cycle = math.floor(n / (2 * stepsize))
        shrink = lr_shrink**cycle
        hi = max_lr * shrink
        lo = lr * shrink if shrink_min else lr
        x = abs(n / stepsize - 2 * (cycle + 1) + 1)
        out.append(lo + (hi - lo) * max(0, (1 - x)))
    return out


def assert_same(doc: dict, expected, **kw):
    plan = get("fairseq").to_plan(doc, **kw).plan
    expected = np.asarray(expected, np.float64)[None]
    cmp = compare(evaluate(plan, expected.shape[1]), expected, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{doc}: {cmp}"


def flat(name, lr, **options):
    return {"lr_scheduler": name, "lr": lr if isinstance(lr, list) else [lr], **options}


@pytest.mark.parametrize("warm", [0, 1, 4, 25])
def test_fixed(warm):
    assert_same(flat("fixed", 0.1, warmup_updates=warm), fixed_curve([0.1], 60, warmup_updates=warm))


@pytest.mark.parametrize("lrs,fa,upe,warm", [
    ([0.25, 0.1, 0.05], None, 7, 0), ([0.25, 0.1, 0.05], 4, 5, 3), ([0.5], 2, 6, 8), ([0.5], 1, 4, 0), ([0.3, 0.2], 3, 3, 10),
])
def test_fixed_per_epoch_lrs(lrs, fa, upe, warm):
    doc = flat("fixed", lrs, force_anneal=fa, lr_shrink=0.5, warmup_updates=warm)
    expected = fixed_curve(lrs, 80, warmup_updates=warm, force_anneal=fa, lr_shrink=0.5, updates_per_epoch=upe)
    assert_same(doc, expected, steps_per_epoch=upe)
    # the same from the batches per epoch and update_freq (gradient accumulation): ⌈batches / update_freq⌉
    assert_same({**doc, "batches_per_epoch": upe * 4 - 1, "update_freq": [4]}, expected)


@pytest.mark.parametrize("warm,init", list(itertools.product([1, 2, 10, 4000], [-1.0, 0.0, 1e-7, 1e-4])))
def test_inverse_sqrt(warm, init):
    steps = 60 if warm < 100 else 4100
    assert_same(flat("inverse_sqrt", 5e-4, warmup_updates=warm, warmup_init_lr=init),
                inverse_sqrt_curve(5e-4, steps, warmup_updates=warm, warmup_init_lr=init))


@pytest.mark.parametrize("warm,total,power,end", [
    (0, 50, 1.0, 0.0), (5, 50, 1.0, 0.0), (10, 40, 2.0, 1e-5), (1, 7, 0.5, 1e-4), (3, 4, 1.0, 0.0),
])
def test_polynomial_decay(warm, total, power, end):
    doc = flat("polynomial_decay", 1e-3, warmup_updates=warm, power=power, end_learning_rate=end, total_num_update=total)
    assert_same(doc, polynomial_curve(1e-3, total + 10, warmup_updates=warm, power=power, end_learning_rate=end,
                                      total_num_update=total))
    # total_num_update defaults to max_update
    doc = flat("polynomial_decay", 1e-3, warmup_updates=warm, power=power, end_learning_rate=end, max_update=total)
    assert_same(doc, polynomial_curve(1e-3, total + 10, warmup_updates=warm, power=power, end_learning_rate=end,
                                      total_num_update=total))


COSINE = [
    dict(max_update=50),
    dict(max_update=50, warmup_updates=5),
    dict(max_update=50, warmup_updates=5, warmup_init_lr=1e-6, min_lr=1e-5),
    dict(lr_period_updates=10, t_mult=1.0, lr_shrink=0.5, min_lr=1e-5),
    dict(lr_period_updates=10, t_mult=2.0, lr_shrink=0.5, min_lr=1e-5, warmup_updates=3),
    dict(lr_period_updates=6, t_mult=1.5, lr_shrink=0.75),
    dict(lr_period_updates=2, t_mult=10.0, lr_shrink=0.9),  # float-log cycle boundary at 111 periods
    dict(max_update=40, min_lr=0.5),  # min_lr above lr: fairseq lowers it to lr
]


@pytest.mark.parametrize("options", COSINE)
def test_cosine(options):
    steps = 240 if options.get("t_mult", 1) > 1 else 120
    assert_same(flat("cosine", 1e-3, **options), cosine_curve(1e-3, steps, **options))


TRI = [
    dict(warmup_steps=10, hold_steps=20, decay_steps=30),
    dict(warmup_steps=0, hold_steps=5, decay_steps=10, init_lr_scale=0.05, final_lr_scale=0.001),
    dict(warmup_steps=7, hold_steps=0, decay_steps=1),
    dict(phase_ratio=[0.1, 0.4, 0.5], max_update=77),
]


@pytest.mark.parametrize("options", TRI)
def test_tri_stage(options):
    assert_same(flat("tri_stage", 3e-5, **options), tri_stage_curve(3e-5, 100, **options))


@pytest.mark.parametrize("options", [
    dict(lr_deacy_period=10, lr_decay=0.5),
    dict(lr_deacy_period=10, lr_decay=0.5, min_lr=0.01, warmup_updates=4),
    dict(lr_deacy_period=3, lr_decay=0.3, min_lr=0.001, warmup_updates=2, warmup_init_lr=0.05),
    dict(lr_deacy_period=7, lr_decay=1.0, min_lr=0.01),
])
def test_step(options):
    assert_same(flat("step", 0.1, **options), step_curve(0.1, 90, **options))


@pytest.mark.parametrize("options", [
    dict(max_lr=0.1, lr_period_updates=10), dict(max_lr=0.1, lr_period_updates=11, lr_shrink=0.5),
    dict(max_lr=0.05, lr_period_updates=8, lr_shrink=0.7, shrink_min=True), dict(max_lr=0.02, lr_period_updates=2.0),
])
def test_triangular(options):
    assert_same(flat("triangular", 0.001, **options), triangular_curve(0.001, 60, **options))


def test_hydra_layout_transformer_recipe():
    """fairseq's transformer_wmt_en_de recipe as a Hydra config: inverse_sqrt, 4000 warmup updates from 1e-7."""
    doc = {
        "optimization": {"lr": [0.0005], "max_update": 300000, "update_freq": [8], "clip_norm": 0.0},
        "lr_scheduler": {"_name": "inverse_sqrt", "warmup_updates": 4000, "warmup_init_lr": 1e-07},
        "optimizer": {"_name": "adam", "adam_betas": "(0.9, 0.98)", "weight_decay": 0.0001},
    }
    doc["optimization"].pop("clip_norm")
    result = get("fairseq").to_plan(doc)
    assert result.plan.horizon.steps == 300000
    assert result.plan.optimizer.hparams["betas"] == (0.9, 0.98)
    expected = np.asarray(inverse_sqrt_curve(5e-4, 6000, warmup_updates=4000, warmup_init_lr=1e-7))[None]
    assert compare(evaluate(result.plan, 6000), expected, metric="rel", tolerance=REL_TOL).ok


def test_refusals():
    fs = get("fairseq")
    with pytest.raises(PlanError, match="warmup_updates"):
        fs.to_plan(flat("inverse_sqrt", 1e-3, warmup_updates=0))
    with pytest.raises(PlanError, match="validation loss"):
        fs.to_plan(flat("reduce_lr_on_plateau", 1e-3))
    with pytest.raises(PlanError, match="unknown fairseq scheduler"):
        fs.to_plan(flat("noam", 1e-3))
    with pytest.raises(PlanError, match="per-epoch"):
        fs.to_plan(flat("fixed", [0.1, 0.01]))
    with pytest.raises(PlanError, match="one lr"):
        fs.to_plan(flat("cosine", [0.1, 0.01], max_update=10))


def test_flat_arguments_iwslt_recipe():
    """examples/translation/README.md: fairseq-train --optimizer adam --adam-betas '(0.9, 0.98)' --lr 5e-4
    --lr-scheduler inverse_sqrt --warmup-updates 4000 --weight-decay 0.0001 (dashes as on the command line)."""
    doc = {"arch": "transformer_iwslt_de_en", "optimizer": "adam", "adam-betas": "(0.9, 0.98)", "clip-norm": 0.0,
           "lr": 5e-4, "lr-scheduler": "inverse_sqrt", "warmup-updates": 4000, "dropout": 0.3, "weight-decay": 0.0001}
    from lrbridge import dialects

    assert dialects.detect(doc) is get("fairseq")
    result = get("fairseq").to_plan(doc, steps=20000)
    assert result.plan.optimizer.hparams == {"weight_decay": 0.0001, "betas": (0.9, 0.98)}
    expected = np.asarray(inverse_sqrt_curve(5e-4, 20000, warmup_updates=4000))[None]
    assert compare(evaluate(result.plan, 20000), expected, metric="rel", tolerance=REL_TOL).ok
