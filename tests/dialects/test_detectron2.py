"""detectron2 dialect. detectron2 does not install here; fvcore (its scheduler library) does.

The reference curves are built from the real fvcore schedulers, composed exactly as
detectron2's source does (commit 02b5c4e of facebookresearch/detectron2):
* detectron2/solver/lr_scheduler.py ``WarmupParamScheduler.__init__``: a
  CompositeParamScheduler([warmup, scheduler], interval_scaling=["rescaled",
  "rescaled" if rescale_interval else "fixed"], lengths=[L, 1 − L]) whose warmup is
  Constant(f·s(0)) or Linear(f·s(0), s(0) if rescale_interval else s(L));
* ``LRMultiplier.get_lr``: base_lr · multiplier(last_epoch / max_iter), stepped after
  every iteration (so step k applies multiplier(k / max_iter));
* detectron2/solver/build.py ``build_lr_scheduler`` (SOLVER → fvcore) and
  ``get_default_optimizer_params`` (bias / norm / overrides / lr_factor_func groups);
* detectron2/modeling/backbone/vit.py ``get_vit_lr_decay_rate`` (restated below).
"""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import detectron2 as d2

P = pytest.importorskip("fvcore.common.param_scheduler")


def _warmup(sched, factor, length, method="linear", rescale=False):
    end = sched(0.0) if rescale else sched(length)
    start = factor * sched(0.0)
    warm = P.ConstantParamScheduler(start) if method == "constant" else P.LinearParamScheduler(start, end)
    return P.CompositeParamScheduler([warm, sched], interval_scaling=["rescaled", "rescaled" if rescale else "fixed"],
                                     lengths=[length, 1 - length])


def _curve(mult, max_iter, n):
    return np.array([mult(k / max_iter) for k in range(n)])


def _assert_plan(plan, base_lrs, mult, max_iter, n=None):
    n = n or max_iter
    ref = _curve(mult, max_iter, n)
    ours = lb.evaluate(plan, n)
    for i, g in enumerate(plan.groups):
        np.testing.assert_allclose(ours[i], base_lrs[g.name] * ref, rtol=1e-12, atol=0, err_msg=g.name)


@pytest.mark.parametrize("max_iter,steps,warm,method,rescale", [
    (1000, (600, 800), 50, "linear", False),
    (1000, (600, 800, 1000, 1200), 50, "constant", False),  # steps ≥ MAX_ITER dropped... one equal is refused below
    (999, (333, 666), 0, "linear", False),
    (1000, (500,), 100, "linear", True),
    (90, (60, 80), 200, "linear", False),  # warmup longer than training
])
def test_solver_multistep(max_iter, steps, warm, method, rescale):
    steps = tuple(s for s in steps if s < max_iter)
    cfg = {"SOLVER": {"BASE_LR": 0.02, "MAX_ITER": max_iter, "STEPS": steps, "WARMUP_ITERS": warm,
                      "WARMUP_METHOD": method, "RESCALE_INTERVAL": rescale, "BIAS_LR_FACTOR": 2.0}}
    plan = d2.to_plan(cfg).plan
    inner = P.MultiStepParamScheduler(values=[0.1 ** k for k in range(len(steps) + 1)], milestones=list(steps),
                                      num_updates=max_iter)
    mult = _warmup(inner, 0.001, min(warm / max_iter, 1.0), method, rescale)
    bases = {g.name: (0.04 if g.name.startswith("bias") else 0.02) for g in plan.groups}
    _assert_plan(plan, bases, mult, max_iter)
    assert plan.horizon.steps == max_iter and plan.horizon.past == "error"


@pytest.mark.parametrize("end,rescale", [(0.0, False), (1e-4, False), (2e-3, True)])
def test_solver_cosine(end, rescale):
    cfg = {"SOLVER": {"LR_SCHEDULER_NAME": "WarmupCosineLR", "BASE_LR": 0.01, "BASE_LR_END": end, "MAX_ITER": 777,
                      "WARMUP_ITERS": 77, "RESCALE_INTERVAL": rescale}}
    plan = d2.to_plan(cfg).plan
    mult = _warmup(P.CosineParamScheduler(1, end / 0.01), 0.001, 77 / 777, "linear", rescale)
    _assert_plan(plan, {g.name: 0.01 for g in plan.groups}, mult, 777, n=900)  # cosine continues past MAX_ITER


def test_solver_step_with_fixed_gamma():
    cfg = {"SOLVER": {"LR_SCHEDULER_NAME": "WarmupStepWithFixedGammaLR", "BASE_LR": 0.1, "MAX_ITER": 1000,
                      "GAMMA": 0.5, "NUM_DECAYS": 3, "WARMUP_ITERS": 10}}
    plan = d2.to_plan(cfg).plan
    inner = P.StepWithFixedGammaParamScheduler(base_value=1.0, gamma=0.5, num_decays=3, num_updates=1000)
    _assert_plan(plan, {g.name: 0.1 for g in plan.groups}, _warmup(inner, 0.001, 10 / 1000), 1000)


VITDET = textwrap.dedent('''
    # projects/ViTDet/configs/COCO/mask_rcnn_vitdet_b_100ep.py (schedule and optimizer parts),
    # with configs/common/train.py and configs/common/optim.py inlined
    from functools import partial
    from fvcore.common.param_scheduler import MultiStepParamScheduler
    import torch
    from detectron2.config import LazyCall as L
    from detectron2.solver import WarmupParamScheduler
    from detectron2.solver.build import get_default_optimizer_params
    from detectron2.modeling.backbone.vit import get_vit_lr_decay_rate

    train = dict(output_dir="./output", max_iter=90000, amp=dict(enabled=False))
    train.amp.enabled = True
    train.max_iter = 184375

    lr_multiplier = L(WarmupParamScheduler)(
        scheduler=L(MultiStepParamScheduler)(
            values=[1.0, 0.1, 0.01],
            milestones=[163889, 177546],
            num_updates=train.max_iter,
        ),
        warmup_length=250 / train.max_iter,
        warmup_factor=0.001,
    )
    AdamW = L(torch.optim.AdamW)(
        params=L(get_default_optimizer_params)(base_lr="${..lr}", weight_decay_norm=0.0),
        lr=1e-4, betas=(0.9, 0.999), weight_decay=0.1,
    )
    optimizer = AdamW
    optimizer.params.lr_factor_func = partial(get_vit_lr_decay_rate, num_layers=12, lr_decay_rate=0.7)
    optimizer.params.overrides = {"pos_embed": {"weight_decay": 0.0}}
''')


def _vit_rate(name, lr_decay_rate=1.0, num_layers=12):  # restated from get_vit_lr_decay_rate
    layer_id = num_layers + 1
    if name.startswith("backbone"):
        if ".pos_embed" in name or ".patch_embed" in name:
            layer_id = 0
        elif ".blocks." in name and ".residual." not in name:
            layer_id = int(name[name.find(".blocks."):].split(".")[2]) + 1
    return lr_decay_rate ** (num_layers + 1 - layer_id)


def test_vitdet_lazyconfig(tmp_path):
    path = tmp_path / "mask_rcnn_vitdet_b_100ep.py"
    path.write_text(VITDET)
    res = d2.load(path)
    plan = res.plan
    names = ["backbone.net.pos_embed", "backbone.net.patch_embed.proj.weight", "backbone.net.blocks.0.attn.qkv.weight",
             "backbone.net.blocks.11.norm1.weight", "backbone.net.blocks.3.mlp.fc1.bias", "backbone.net.blocks.1.residual.conv1.weight",
             "roi_heads.box_head.fc1.weight", "backbone.simfp_2.norm.bias", "proposal_generator.rpn_head.conv.bias"]
    names += [f"backbone.net.blocks.{i}.attn.proj.weight" for i in range(12)]
    owned = lb.assign_params(plan.groups, names)
    owner = {p: g for g, ps in owned.items() for p in ps}
    group = {g.name: g for g in plan.groups}
    m = 184375
    mult = _warmup(P.MultiStepParamScheduler(values=[1.0, 0.1, 0.01], milestones=[163889, 177546], num_updates=m), 0.001, 250 / m)
    ks = np.r_[0:300, 163880:163900, 177540:177550, m - 5:m]
    ref = np.array([mult(k / m) for k in ks])
    ours = lb.evaluate(plan, m)
    index = {g.name: i for i, g in enumerate(plan.groups)}
    for p in names:
        g = group[owner[p]]
        np.testing.assert_allclose(ours[index[g.name]][ks], 1e-4 * _vit_rate(p, 0.7, 12) * ref, rtol=1e-12, atol=0, err_msg=p)
    assert plan.group_weight_decay(group[owner["roi_heads.box_head.fc1.weight"]]) == 0.1
    assert any("pos_embed_wd" in n for n in res.notes)  # weight-decay overrides named, not silently dropped


def test_solver_groups_bias_and_norm():
    cfg = {"SOLVER": {"BASE_LR": 0.02, "MAX_ITER": 100, "STEPS": (50,), "BIAS_LR_FACTOR": 2.0, "WEIGHT_DECAY_BIAS": 0.0}}
    res = d2.to_plan(cfg)
    names = ["backbone.conv1.weight", "backbone.conv1.bias", "head.fc.bias", "backbone.bn1.weight"]
    owned = lb.assign_params(res.plan.groups, names)
    group = {g.name: g for g in res.plan.groups}
    bias = [n for n, ps in owned.items() if "head.fc.bias" in ps][0]
    assert owned[bias] == ["backbone.conv1.bias", "head.fc.bias"]
    assert res.plan.group_base_lr(group[bias]) == 0.04 and res.plan.group_weight_decay(group[bias]) == 0.0
    assert res.plan.group_weight_decay(group["default"]) == 1e-4
    assert any("WEIGHT_DECAY_NORM" in n for n in res.notes)  # norm layers are found by type: said, not guessed


def _lazy(mult_node, max_iter):
    return {"lr_multiplier": mult_node, "train": {"max_iter": max_iter},
            "optimizer": {"_target_": "torch.optim.SGD", "lr": 0.1, "momentum": 0.9}}


@pytest.mark.parametrize("method", ["linear", "constant"])
def test_warmup_of_a_fractional_number_of_steps(method):
    # projects/ViTDet/configs/COCO/mask_rcnn_vitdet_h_75ep.py: train.max_iter = 184375 * 3 // 4 and
    # num_updates follow, but warmup_length stays 250 / 184375: 187.4997 steps, fvcore switches at 188
    m = 184375 * 3 // 4
    values, marks = [1.0, 0.1, 0.01], [int(163889 * 3 / 4), int(177546 * 3 / 4)]
    node = {"_target_": "detectron2.solver.WarmupParamScheduler", "warmup_length": 250 / 184375, "warmup_factor": 0.001,
            "warmup_method": method,
            "scheduler": {"_target_": "fvcore.common.param_scheduler.MultiStepParamScheduler", "values": values,
                          "milestones": marks, "num_updates": m}}
    plan = d2.to_plan(_lazy(node, m)).plan
    mult = _warmup(P.MultiStepParamScheduler(values=values, milestones=marks, num_updates=m), 0.001, 250 / 184375, method)
    ks = np.r_[0:400, marks[0] - 3:marks[0] + 3, marks[1] - 3:marks[1] + 3, m - 3:m]
    ours = lb.evaluate(plan, m)[0][ks]
    np.testing.assert_allclose(ours, [0.1 * mult(k / m) for k in ks], rtol=1e-12, atol=0)


def test_max_iter_where_fvcore_epsilon_moves_boundaries():
    # at max_iter ≥ 1e6, k/M + 1e-6 crosses a boundary a step or more early: the plan follows fvcore
    m = 5_000_000
    cfg = {"SOLVER": {"BASE_LR": 0.1, "MAX_ITER": m, "STEPS": (3_000_000, 4_000_000), "WARMUP_ITERS": 1000}}
    plan = d2.to_plan(cfg).plan
    inner = P.MultiStepParamScheduler(values=[1.0, 0.1, 0.01], milestones=[3_000_000, 4_000_000], num_updates=m)
    mult = _warmup(inner, 0.001, 1000 / m)
    ks = np.r_[0:1100, 2_999_990:3_000_001, 3_999_990:4_000_001, m - 3:m]
    ours = lb.evaluate(plan, m)
    for i in range(len(plan.groups)):
        np.testing.assert_allclose(ours[i][ks], [0.1 * mult(k / m) for k in ks], rtol=1e-12, atol=0)


def test_refusals():
    with pytest.raises(lb.PlanError, match="num_updates"):
        d2.to_plan({"SOLVER": {"MAX_ITER": 100, "STEPS": (100,)}})
    with pytest.raises(lb.PlanError, match="train.max_iter"):
        d2.to_plan({"lr_multiplier": {"_target_": "fvcore.common.param_scheduler.CosineParamScheduler"}})


FV = "fvcore.common.param_scheduler."


@pytest.mark.parametrize("name,kwargs", [
    ("CosineParamScheduler", {"start_value": 0.8, "end_value": 0.05}),
    ("LinearParamScheduler", {"start_value": 1.0, "end_value": 0.1}),
    ("ExponentialParamScheduler", {"start_value": 1.0, "decay": 0.02}),
    ("PolynomialDecayParamScheduler", {"base_value": 1.0, "power": 0.9}),
    ("StepParamScheduler", {"num_updates": 300, "values": [1.0, 0.3, 0.1, 0.05]}),
    ("MultiStepParamScheduler", {"values": [1.0, 0.5, 0.25], "num_updates": 300}),  # evenly split milestones
])
@pytest.mark.parametrize("warm,rescale", [(None, False), (0.05, False), (0.05, True)])
def test_lazyconfig_fvcore_schedulers(name, kwargs, warm, rescale):
    m = 300
    inner = {"_target_": FV + name, **kwargs}
    node = inner if warm is None else {"_target_": "detectron2.solver.WarmupParamScheduler", "scheduler": inner,
                                       "warmup_length": warm, "warmup_factor": 0.01, "rescale_interval": rescale}
    plan = d2.to_plan(_lazy(node, m)).plan
    sched = getattr(P, name)(**kwargs)
    mult = sched if warm is None else _warmup(sched, 0.01, warm, "linear", rescale)
    np.testing.assert_allclose(lb.evaluate(plan, m)[0], 0.1 * _curve(mult, m, m), rtol=1e-12, atol=1e-300)


def test_yacs_yaml_with_base(tmp_path):
    # configs/Base-RCNN-FPN.yaml (SOLVER part) and COCO-Detection/faster_rcnn_R_50_FPN_3x.yaml: STEPS is
    # the YAML string "(210000, 250000)" that yacs decodes as a Python literal
    (tmp_path / "Base-RCNN-FPN.yaml").write_text(
        "SOLVER:\n  IMS_PER_BATCH: 16\n  BASE_LR: 0.02\n  STEPS: (60000, 80000)\n  MAX_ITER: 90000\n")
    (tmp_path / "COCO-Detection").mkdir()
    child = tmp_path / "COCO-Detection" / "faster_rcnn_R_50_FPN_3x.yaml"
    child.write_text('_BASE_: "../Base-RCNN-FPN.yaml"\nMODEL:\n  MASK_ON: False\n'
                     "SOLVER:\n  STEPS: (210000, 250000)\n  MAX_ITER: 270000\n")
    from lrbridge.convert import load_source

    res = load_source(child)
    assert any("detectron2" in n for n in res.notes)
    plan = res.plan
    assert plan.optimizer.lr == 0.02 and plan.horizon.steps == 270000
    inner = P.MultiStepParamScheduler(values=[1.0, 0.1, 0.01], milestones=[210000, 250000], num_updates=270000)
    mult = _warmup(inner, 0.001, 1000 / 270000)
    ks = np.r_[0:1100, 209995:210005, 249995:250005, 269990:270000]
    np.testing.assert_allclose(lb.evaluate(plan, 270000)[0][ks], [0.02 * mult(k / 270000) for k in ks], rtol=1e-12, atol=0)
    with pytest.raises(lb.PlanError, match="_BASE_"):
        d2.to_plan({"_BASE_": "../Base-RCNN-FPN.yaml"})
