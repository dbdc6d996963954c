"""from_torch on LambdaLR / MultiplicativeLR of standard shapes: closed form (exact, past: continue), equal to
torch's own stepped curve at rel 1e-12, through lrbridge.recognize.

The lambdas are the published recipes' own formulas, written out here as their sources have them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from torch_testlib import sgd, stepped

from lrbridge import evaluate
from lrbridge.conformance.compare import compare

N = 600


def _hf_cosine(W, total):
    # transformers.optimization._get_cosine_schedule_with_warmup_lr_lambda (num_cycles 0.5)
    def f(k):
        if k < W:
            return float(k) / float(max(1, W))
        progress = float(k - W) / float(max(1, total - W))
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))
    return f


def _hf_inverse_sqrt(W, timescale=None):
    # transformers.optimization._get_inverse_sqrt_schedule_lr_lambda
    timescale = timescale or (W or 10_000)

    def f(k):
        if k < W:
            return float(k) / float(max(1, W))
        shift = timescale - W
        return 1.0 / math.sqrt((k + shift) / timescale)
    return f


def _annotated_transformer(d_model, warmup, factor=1.0):
    # The Annotated Transformer (harvardnlp, 2022): rate(step, model_size, factor, warmup), step 0 -> 1
    def f(step):
        if step == 0:
            step = 1
        return factor * (d_model ** (-0.5) * min(step ** (-0.5), step * warmup ** (-1.5)))
    return f


def _yolov5_one_cycle(epochs, lrf):
    # ultralytics/yolov5 utils/general.py one_cycle(y1=1, y2=lrf, steps=epochs)
    return lambda x: ((1 - math.cos(x * math.pi / epochs)) / 2) * (lrf - 1) + 1


def _step_by_epoch(x):
    return 0.1 ** (x // 30)  # the classic ImageNet recipe as a lambda


CASES = {
    "hf-warmup-cosine": (_hf_cosine(60, N), "sequential"),
    "hf-warmup-inverse-sqrt": (_hf_inverse_sqrt(40), "inverse_sqrt"),
    "annotated-transformer-noam": (_annotated_transformer(512, 100), "sequential"),
    "yolov5-one-cycle": (_yolov5_one_cycle(300, 0.01), "cosine"),
    "step-decay": (_step_by_epoch, "step"),
    "linear-decay": (lambda k: max(0.0, (N - k) / N), "linear"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lambda_shapes_come_back_closed_form(torch, case):
    from lrbridge_torch import from_torch

    fn, kind = CASES[case]
    lrs = (1.0, 0.5) if case == "annotated-transformer-noam" else (0.1, 0.02)
    make = lambda: torch.optim.lr_scheduler.LambdaLR(sgd(torch, lrs=lrs), fn)  # noqa: E731
    result = from_torch(make(), steps=N)
    assert result.exact, result.notes
    assert result.plan.horizon.past == "continue"
    kinds = {n.kind for g in result.plan.groups for n in result.plan.group_schedule(g).walk()}
    assert kind in kinds and "tabulated" not in kinds, kinds
    cmp = compare(evaluate(result.plan, N), stepped(make(), N), metric="rel", tolerance=1e-12)
    assert cmp.ok, str(cmp)


def test_annotated_transformer_keeps_its_d_model(torch):
    """Noam's max(k, 1) variant is the noam family with the optimizer's own base lr: d_model comes back as 512."""
    from lrbridge_torch import from_torch

    result = from_torch(torch.optim.lr_scheduler.LambdaLR(sgd(torch, lrs=(1.0,)), _annotated_transformer(512, 100)), steps=N)
    noams = [n for n in result.plan.scheduler.walk() if n.kind == "noam"]
    assert noams and all(n.d_model == 512 and n.warmup_steps == 100 for n in noams)


def test_multiplicative_and_the_past_continues(torch):
    """MultiplicativeLR(0.97) is exponential; evaluated past the sampled steps it still equals torch."""
    from lrbridge_torch import from_torch

    make = lambda: torch.optim.lr_scheduler.MultiplicativeLR(sgd(torch), lambda t: 0.97)  # noqa: E731
    result = from_torch(make(), steps=200)
    assert result.exact and result.plan.scheduler.kind == "exponential"
    assert compare(evaluate(result.plan, 400), stepped(make(), 400), metric="rel", tolerance=1e-12).ok


def test_a_lambda_of_no_known_shape_stays_a_table(torch):
    from lrbridge_torch import from_torch

    rng = np.random.default_rng(3)
    noise = rng.random(N)
    result = from_torch(torch.optim.lr_scheduler.LambdaLR(sgd(torch), lambda t: float(noise[t])), steps=N)
    assert not result.exact and result.plan.horizon.past == "error"
    assert any("no closed form" in n for n in result.notes)


def test_epoch_stepped_lambda_is_by_epoch_closed_form(torch):
    """An epoch-stepped LambdaLR (0.1 ** (epoch // 30)) over 7 updates per epoch: by_epoch(step), exact."""
    from lrbridge_torch import from_torch

    make = lambda: torch.optim.lr_scheduler.LambdaLR(sgd(torch), _step_by_epoch)  # noqa: E731
    result = from_torch(make(), steps=90 * 7, interval="epoch", steps_per_epoch=7)
    assert result.exact and result.plan.scheduler.kind == "by_epoch"
    assert result.plan.scheduler.schedule.kind == "step"
    real = np.repeat(stepped(make(), 90), 7, axis=1)
    assert compare(evaluate(result.plan, 90 * 7), real, metric="rel", tolerance=1e-12).ok
