"""lrbridge.trace (lrbridge.tracing): what real schedulers apply per optimizer update, on a copy, with the cadence stated.

The expected curves are computed here from the recipes' formulas (not by lrbridge), and compared
with what the real torch / mmengine objects set when driven as their training loops drive them.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.tracing import trace


def _sgd(torch, lrs=(0.1, 0.02)):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0], momentum=0.9)


def test_torch_lambda_traced_per_update_and_user_objects_untouched(torch):
    opt = _sgd(torch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 0.95 ** k)
    before = copy.deepcopy((sched.state_dict(), opt.state_dict()))
    tr = trace(sched, 50)
    expected = np.array([[b * 0.95 ** k for k in range(50)] for b in (0.1, 0.02)])
    np.testing.assert_allclose(tr.lr, expected, rtol=1e-15)
    assert sched.state_dict() == before[0] and opt.state_dict() == before[1]
    assert "after every update" in tr.cadence and tr.names == ["group0", "group1"]
    result = tr.recognize()
    assert result.exact and result.plan.scheduler.kind == "exponential"


def test_two_schedulers_two_cadences_torchvision_detection(torch):
    """torchvision detection: LinearLR warmup stepped per iteration in epoch 0, MultiStepLR per epoch."""
    spe, warm_iters = 50, 49
    opt = _sgd(torch, (0.02,))
    L = torch.optim.lr_scheduler
    warmup = L.LinearLR(opt, start_factor=0.001, total_iters=warm_iters)
    multistep = L.MultiStepLR(opt, milestones=[8, 11], gamma=0.1)
    tr = trace([warmup, multistep], 13 * spe, interval=["step", "epoch"], steps_per_epoch=spe)
    k = np.arange(13 * spe)
    warm = np.where(k < warm_iters, 0.001 + (1 - 0.001) * np.minimum(k, warm_iters) / warm_iters, 1.0)
    decay = 0.1 ** ((k // spe >= 8).astype(int) + (k // spe >= 11).astype(int))
    np.testing.assert_allclose(tr.lr[0], 0.02 * warm * decay, rtol=1e-12)
    assert "after every epoch of 50 updates" in tr.cadence
    result = tr.recognize()
    assert result.exact, result.notes
    np.testing.assert_allclose(lb.evaluate(result.plan, 13 * spe)[0], tr.lr[0], rtol=1e-12)


def test_gradient_accumulation_scheduler_per_micro_batch(torch):
    """The Annotated Transformer steps the scheduler every micro-batch and the optimizer every accum_iter."""
    A, d, W = 4, 512, 40

    def rate(step):
        if step == 0:
            step = 1
        return d ** (-0.5) * min(step ** (-0.5), step * W ** (-1.5))

    opt = _sgd(torch, (1.0,))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, rate)
    tr = trace(sched, 100, interval="micro", accumulate=A, update_on="first")
    np.testing.assert_allclose(tr.lr[0], [rate(j * A) for j in range(100)], rtol=1e-15)
    assert "4 micro-batches per update" in tr.cadence


def test_user_adjust_learning_rate_function(torch):
    """MAE's adjust_learning_rate(optimizer, epoch) called before every update with a fractional epoch."""
    lr, min_lr, warmup_epochs, epochs, spe = 1.5e-4, 1e-6, 5, 40, 20

    def adjust_learning_rate(optimizer, epoch):
        if epoch < warmup_epochs:
            value = lr * epoch / warmup_epochs
        else:
            value = min_lr + (lr - min_lr) * 0.5 * (
                1.0 + math.cos(math.pi * (epoch - warmup_epochs) / (epochs - warmup_epochs)))
        for group in optimizer.param_groups:
            group["lr"] = value * group.get("lr_scale", 1.0)

    opt = _sgd(torch, (lr,))
    tr = trace(None, epochs * spe, optimizer=opt, step_fn=adjust_learning_rate, steps_per_epoch=spe)
    probe = _sgd(torch, (lr,))
    expected = []
    for k in range(epochs * spe):
        adjust_learning_rate(probe, k / spe)
        expected.append(probe.param_groups[0]["lr"])
    np.testing.assert_array_equal(tr.lr[0], expected)
    assert opt.param_groups[0]["lr"] == lr  # the user's optimizer is not touched
    assert "fractional" in tr.cadence


def test_mmengine_param_schedulers_by_iteration(torch):
    mmengine = pytest.importorskip("mmengine.optim")
    opt = _sgd(torch, (0.1,))
    wrapper = mmengine.OptimWrapper(opt)
    warm = mmengine.LinearLR(wrapper, start_factor=0.1, by_epoch=False, begin=0, end=20)
    cos = mmengine.CosineAnnealingLR(wrapper, T_max=80, eta_min=1e-4, by_epoch=False, begin=20, end=100)
    tr = trace([warm, cos], 100)
    k = np.arange(100)
    # mmengine LinearLR reaches end_factor after end − begin − 1 = 19 iterations (its total_iters)
    expected = np.where(k < 20, 0.1 * (0.1 + 0.9 * np.minimum(k, 19) / 19),
                        1e-4 + (0.1 - 1e-4) * (1 + np.cos(np.pi * (k - 20) / 80)) / 2)
    np.testing.assert_allclose(tr.lr[0], expected, rtol=1e-9)  # mmengine's recursive updates round
    assert "after every update" in tr.cadence


def test_bad_arguments_are_clear(torch):
    sched = torch.optim.lr_scheduler.StepLR(_sgd(torch), 3)
    with pytest.raises(lb.PlanError, match="steps_per_epoch"):
        trace(sched, 10, interval="epoch")
    with pytest.raises(lb.PlanError, match="steps"):
        trace(sched, 0)


def test_deepspeed_warmup_lr_lags_one_update(torch):
    """DeepSpeed's engine steps WarmupLR after each update; the constructor already set lr = warmup_min_lr,
    so update k ≥ 1 applies gamma(k − 1): min + (max − min)·(k − 1)/W (linear), min at updates 0 and 1."""
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    opt = _sgd(torch, (0.1,))
    W, lo, hi = 50, 1e-4, 0.1
    sched = lr_schedules.WarmupLR(opt, warmup_min_lr=lo, warmup_max_lr=hi, warmup_num_steps=W, warmup_type="linear")
    tr = trace(sched, 120)
    expected = [lo] + [lo + (hi - lo) * min(k - 1, W) / W for k in range(1, 120)]
    np.testing.assert_allclose(tr.lr[0], expected, rtol=1e-15)
    result = tr.recognize()
    assert result.exact, result.notes
    np.testing.assert_allclose(lb.evaluate(result.plan, 120)[0], expected, rtol=1e-12)
