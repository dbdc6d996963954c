"""LiBai dialect. LiBai itself does not install here (it needs OneFlow's CUDA build); its schedulers
are thin compositions of OneFlow classes, which run in the OneFlow worker (.venv-oneflow).

Each expected curve comes from real OneFlow 0.9 schedulers composed as LiBai's source does
(Oneflow-Inc/libai@9dcbe3b, libai/scheduler/lr_scheduler.py: ``WarmupCosineLR`` =
``WarmUpLR(CosineDecayLR(opt, decay_steps=max_iter, alpha), warmup_factor, warmup_iters,
warmup_method)``, and likewise for the others; ``warmup_iter == 0`` returns the main scheduler),
with the iteration counts of libai/engine/default.py ``DefaultTrainer.auto_scale_hyperparams``
(``warmup_iter = ceil(train_iter·warmup_ratio)``, milestones ``int(m·train_iter)``), restated here.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import libai

CASES = {
    "cosine": ("WarmupCosineLR", {"alpha": 0.01}, lambda a, m: ("CosineDecayLR", {"decay_steps": m, "alpha": a["alpha"]})),
    "cosine_constant_warmup": ("WarmupCosineLR", {"alpha": 0.0, "warmup_method": "constant"},
                               lambda a, m: ("CosineDecayLR", {"decay_steps": m, "alpha": 0.0})),
    "annealing": ("WarmupCosineAnnealingLR", {"eta_min": 1e-5}, lambda a, m: ("CosineAnnealingLR", {"T_max": m, "eta_min": 1e-5})),
    "step": ("WarmupStepLR", {"step_size": 7, "gamma": 0.5}, lambda a, m: ("StepLR", {"step_size": 7, "gamma": 0.5})),
    "multistep": ("WarmupMultiStepLR", {"milestones": [0.5, 0.75], "gamma": 0.2},
                  lambda a, m: ("MultiStepLR", {"milestones": [int(0.5 * m), int(0.75 * m)], "gamma": 0.2})),
    "exponential": ("WarmupExponentialLR", {"gamma": 0.97}, lambda a, m: ("ExponentialLR", {"gamma": 0.97})),
    "polynomial": ("WarmupPolynomialLR", {"power": 2.0}, lambda a, m: ("PolynomialLR", {"decay_batch": m, "power": 2.0})),
    "polynomial_cycle": ("WarmupPolynomialLR", {"power": 1.0, "cycle": True, "end_learning_rate": 1e-5},
                         lambda a, m: ("PolynomialLR", {"decay_batch": m, "power": 1.0, "cycle": True, "end_learning_rate": 1e-5})),
}
TRAIN_ITER, RATIO, FACTOR = 60, 0.1, 0.001


def _config(fn, extra, ratio=RATIO):
    return {
        "train": {"train_iter": TRAIN_ITER, "train_epoch": 0, "warmup_ratio": ratio,
                  "scheduler": {"_target_": f"libai.scheduler.{fn}", "warmup_factor": FACTOR, **extra}},
        "optim": {"_target_": "oneflow.optim.AdamW", "lr": 1e-3, "weight_decay": 0.01, "betas": (0.9, 0.999),
                  "do_bias_correction": True, "params": {"_target_": "libai.optim.get_default_optimizer_params",
                                                          "weight_decay_norm": 0.0, "weight_decay_bias": 0.0}},
    }


def _native_spec(fn, extra, main, ratio=RATIO):
    warm = math.ceil(TRAIN_ITER * ratio)
    cls, kw = main({**extra}, TRAIN_ITER)
    inner = {"class": cls, "kwargs": kw}
    if warm == 0:
        return inner
    return {"class": "WarmUpLR", "scheduler": inner,
            "kwargs": {"warmup_factor": FACTOR, "warmup_iters": warm, "warmup_method": extra.get("warmup_method", "linear")}}


@pytest.fixture(scope="module")
def native(oneflow):
    keys = [(cid, r) for cid in CASES for r in (RATIO, 0.0)]
    reqs = [{"groups": [{"lr": 1e-3}], "scheduler": _native_spec(CASES[cid][0], CASES[cid][1], CASES[cid][2], r),
             "steps": 2 * TRAIN_ITER} for cid, r in keys]
    replies = oneflow({"op": "native_curve", "cases": reqs}, timeout=300)
    return dict(zip(keys, replies))


@pytest.mark.parametrize("ratio", [RATIO, 0.0])
@pytest.mark.parametrize("cid", list(CASES))
def test_matches_oneflow_schedulers_composed_as_libai(native, cid, ratio):
    reply = native[(cid, ratio)]
    assert "lr" in reply, reply
    fn, extra, _ = CASES[cid]
    plan = libai.to_plan(_config(fn, extra, ratio)).plan
    assert plan.horizon.steps == TRAIN_ITER
    np.testing.assert_allclose(lb.evaluate(plan, 2 * TRAIN_ITER)[0], np.asarray(reply["lr"][0]), rtol=1e-12, atol=0)


def test_vit_imagenet_config(tmp_path):
    # configs/vit_imagenet.py with the parts of configs/common/{train,optim}.py it uses, inlined
    (tmp_path / "vit_imagenet.py").write_text(textwrap.dedent('''
        from omegaconf import DictConfig
        from libai.config import LazyCall
        from libai.scheduler import WarmupCosineLR
        from libai.optim import get_default_optimizer_params
        import oneflow as flow
        train = dict(train_iter=10000, train_epoch=0, warmup_ratio=0,
                     scheduler=LazyCall(WarmupCosineLR)(warmup_factor=0.001, alpha=0.01, warmup_method="linear"))
        train = DictConfig(train)
        optim = LazyCall(flow.optim.AdamW)(
            params=LazyCall(get_default_optimizer_params)(clip_grad_max_norm=1.0, clip_grad_norm_type=2.0,
                                                          weight_decay_norm=0.0, weight_decay_bias=0.0),
            lr=1e-4, weight_decay=0.01, betas=(0.9, 0.999), eps=1e-8, do_bias_correction=True)
        optim.lr = 1e-3
        optim.weight_decay = 0.05
        optim.params.overrides = {"pos_embed": {"weight_decay": 0.0}, "cls_token": {"weight_decay": 0.0}}
        train.train_epoch = 300
        train.warmup_ratio = 5 / 300
    '''))
    res = libai.load(tmp_path / "vit_imagenet.py", steps_per_epoch=1251)
    plan = res.plan
    assert plan.horizon.steps == 300 * 1251
    assert plan.scheduler.kind == "warmup" and plan.scheduler.warmup_steps == math.ceil(300 * 1251 * (5 / 300))
    owned = lb.assign_params(plan.groups, ["blocks.0.attn.qkv.bias", "pos_embed", "cls_token", "blocks.0.attn.qkv.weight"])
    wd = {p: plan.group_weight_decay(g) for g in plan.groups for p in owned[g.name]}
    assert wd == {"blocks.0.attn.qkv.bias": 0.0, "pos_embed": 0.0, "cls_token": 0.0, "blocks.0.attn.qkv.weight": 0.05}


def test_refusals():
    cfg = _config("WarmupCosineLR", {"alpha": 0.0})
    with pytest.raises(lb.PlanError, match="fractions"):
        libai.to_plan(_config("WarmupMultiStepLR", {"milestones": [30, 45]}))
    with pytest.raises(lb.PlanError, match="steps-per-epoch"):
        libai.to_plan({**cfg, "train": {**cfg["train"], "train_epoch": 3}})
    with pytest.raises(lb.PlanError, match="micro-batch"):
        libai.to_plan({**cfg, "graph": {"enabled": False}, "train": {**cfg["train"], "num_accumulation_steps": 4}})
