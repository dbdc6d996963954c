"""mmengine dialect against mmengine itself: its ParamSchedulers, built by its Runner's own
builder (default ``end``, ``convert_to_iter_based``), driven in the Runner's loop order on a real
torch optimizer whose groups come from mmengine's DefaultOptimWrapperConstructor."""

from __future__ import annotations

import copy
import textwrap

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import mmengine as mm
from lrbridge.dialects.pyconfig import load_pyconfig

mmengine = pytest.importorskip("mmengine")
torch = pytest.importorskip("torch")


class _Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Sequential()
        self.backbone.add_module("conv", torch.nn.Conv2d(2, 2, 1))
        self.backbone.add_module("bn", torch.nn.BatchNorm2d(2))
        self.neck = torch.nn.Linear(2, 2)
        self.head = torch.nn.Linear(2, 1)
        self.backbone.absolute_pos_embed = torch.nn.Parameter(torch.zeros(2))
        self.neck.relative_position_bias_table = torch.nn.Parameter(torch.zeros(2))


def _real_lrs(cfg: dict, spe: int, n: int, key="lr"):
    """Applied value per torch param group per optimizer step, and the groups' parameter names."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    from mmengine.runner.loops import EpochBasedTrainLoop, IterBasedTrainLoop

    model = _Model()
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg["optim_wrapper"]))
    opt = wrapper.optimizer
    ids = {id(p): name for name, p in model.named_parameters()}
    names = [[ids[id(p)] for p in g["params"]] for g in opt.param_groups]
    tcfg = cfg.get("train_cfg", {})
    iter_loop = "max_iters" in tcfg
    fake = type("FakeRunner", (), {})()
    fake._train_loop = object.__new__(IterBasedTrainLoop if iter_loop else EpochBasedTrainLoop)
    fake.max_epochs, fake.max_iters = tcfg.get("max_epochs", 0), tcfg.get("max_iters", n)
    fake.train_dataloader = [None] * spe
    fake.logger = mmengine.logging.MMLogger.get_current_instance()
    scheds = Runner._build_param_scheduler(fake, copy.deepcopy(cfg["param_scheduler"]), wrapper)
    out = np.empty((len(opt.param_groups), n))
    for k in range(n):  # Runner: train iteration, after_train_iter hook, after_train_epoch hook
        for i, g in enumerate(opt.param_groups):
            out[i, k] = g["betas"][0] if key == "beta1" else g[key]
        wrapper.step()
        for s in scheds:
            if not s.by_epoch:
                s.step()
        if (k + 1) % spe == 0:
            for s in scheds:
                if s.by_epoch:
                    s.step()
    return out, names


def _check(cfg: dict, spe: int, n: int, key="lr"):
    real, names = _real_lrs(cfg, spe, n, key)
    plan = mm.to_plan(cfg, steps_per_epoch=spe, steps=n).plan
    owned = lb.assign_params(plan.groups, [p for ns in names for p in ns])
    if key == "lr":
        ours = lb.evaluate(plan, n)
    else:
        ours = np.stack([
            g.hparam_schedulers[key].lr(np.arange(n, dtype=np.float64), real[0, 0]) for g in plan.groups
        ])
    index = {g.name: i for i, g in enumerate(plan.groups)}
    for gi, ns in enumerate(names):
        (owner,) = {name for name, ps in owned.items() if set(ns) & set(ps)}
        np.testing.assert_allclose(ours[index[owner]], real[gi], rtol=1e-12, atol=0,
                                   err_msg=f"group {gi} ({ns}) as plan group {owner}")
    return plan


SGD = dict(optimizer=dict(type="SGD", lr=0.02, momentum=0.9, weight_decay=1e-4))


def test_mmdet_1x_schedule_iter_warmup_times_epoch_multistep():
    # mmdet configs/_base_/schedules/schedule_1x.py
    cfg = dict(
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=12),
        optim_wrapper=dict(type="OptimWrapper", **SGD),
        param_scheduler=[
            dict(type="LinearLR", start_factor=0.001, by_epoch=False, begin=0, end=500),
            dict(type="MultiStepLR", begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1),
        ],
    )
    for spe in (7, 50, 499, 500, 501):
        _check(cfg, spe, 12 * spe)


def test_convert_to_iter_based_cosine_with_ratio_after_warmup_and_hold():
    cfg = dict(
        train_cfg=dict(max_epochs=10),
        optim_wrapper=dict(optimizer=dict(type="AdamW", lr=1e-3, weight_decay=0.05)),
        param_scheduler=[
            dict(type="LinearLR", start_factor=1e-3, by_epoch=True, begin=0, end=2, convert_to_iter_based=True),
            dict(type="CosineAnnealingLR", eta_min_ratio=0.01, by_epoch=True, begin=2, end=8,
                 convert_to_iter_based=True),
            dict(type="ConstantLR", factor=0.5, by_epoch=True, begin=8),  # default end = max_epochs
        ],
    )
    _check(cfg, 13, 130)


@pytest.mark.parametrize("sched", [
    dict(type="StepLR", step_size=3, gamma=0.5, begin=1, end=9),
    dict(type="ExponentialLR", gamma=0.9, begin=2, end=7),
    dict(type="PolyLR", eta_min=1e-4, power=2.0, begin=0, end=9),
    dict(type="PolyLR", power=0.9, begin=3),
    dict(type="CosineAnnealingLR", T_max=4, begin=0, end=12),  # past T_max: periodic, lr starts at initial
    dict(type="CosineAnnealingLR", eta_min=1e-3, begin=1, end=6),
    dict(type="MultiStepLR", milestones=[0, 2, 2, 5], gamma=0.5),  # repeated milestone: gamma^2
    dict(type="ConstantLR", factor=0.25, begin=0, end=1),
    dict(type="LinearLR", start_factor=0.5, end_factor=0.8, begin=2, end=3),
    dict(type="CosineRestartLR", periods=[3, 4, 2], restart_weights=[1, 0.5, 0.5], eta_min=1e-4, begin=1, end=11),
    dict(type="CosineRestartLR", periods=[2, 3], restart_weights=[1, 0.7], eta_min_ratio=0.1),
    dict(type="OneCycleLR", eta_max=0.1, total_steps=10, pct_start=0.25, begin=0, end=11),
    dict(type="OneCycleLR", eta_max=0.1, pct_start=0.3, three_phase=True, anneal_strategy="linear", begin=0, end=12),
])
@pytest.mark.parametrize("by_epoch", [True, False])
def test_single_scheduler_families(sched, by_epoch):
    spe = 3
    cfg = dict(
        train_cfg=dict(max_epochs=12) if by_epoch else dict(type="IterBasedTrainLoop", max_iters=12),
        optim_wrapper=dict(**SGD, paramwise_cfg=dict(custom_keys={"backbone": dict(lr_mult=0.1)})),
        param_scheduler=[dict(sched, by_epoch=by_epoch)],
    )
    _check(cfg, spe, 12 * spe if by_epoch else 12)


def test_paramwise_cfg_groups_match_mmengine_constructor():
    cfg = dict(
        train_cfg=dict(max_epochs=4),
        optim_wrapper=dict(**SGD, paramwise_cfg=dict(
            custom_keys={"backbone": dict(lr_mult=0.1, decay_mult=0.5), "backbone.conv": dict(lr_mult=0.3)},
            bias_lr_mult=2.0, bias_decay_mult=0.0, norm_decay_mult=0.0)),
        param_scheduler=[dict(type="MultiStepLR", milestones=[2], gamma=0.1)],
    )
    plan = _check(cfg, 5, 20)
    wd = {g.name: plan.group_weight_decay(g) for g in plan.groups}
    assert wd["custom:backbone"] == pytest.approx(0.5e-4) and wd["bias"] == 0.0


@pytest.mark.parametrize("sched", [
    dict(type="CosineAnnealingMomentum", T_max=6, eta_min=0.85, begin=0, end=6),
    dict(type="LinearMomentum", start_factor=0.9, begin=1, end=5),
])
def test_momentum_schedulers(sched):
    cfg = dict(train_cfg=dict(type="IterBasedTrainLoop", max_iters=10), optim_wrapper=dict(**SGD),
               param_scheduler=[dict(sched, by_epoch=False)])
    _check(cfg, 1, 10, key="momentum")


def test_refusals_say_why():
    base = dict(train_cfg=dict(max_epochs=4), optim_wrapper=dict(**SGD))
    overlap = [dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=10),
               dict(type="CosineAnnealingLR", eta_min=1e-3, by_epoch=False, begin=0, end=40)]
    with pytest.raises(lb.PlanError, match="overlaps"):
        mm.to_plan({**base, "param_scheduler": overlap}, steps_per_epoch=10)
    with pytest.raises(lb.PlanError, match="validation metric"):
        mm.to_plan({**base, "param_scheduler": [dict(type="ReduceOnPlateauLR")]}, steps_per_epoch=10)
    with pytest.raises(lb.PlanError, match="steps-per-epoch"):
        mm.to_plan({**base, "param_scheduler": [dict(type="MultiStepLR", milestones=[2])]})
    with pytest.raises(lb.PlanError, match="accumulative_counts"):
        mm.to_plan({**base, "optim_wrapper": dict(**SGD, accumulative_counts=4), "param_scheduler": []})


SWIN_SCHEDULE = textwrap.dedent("""
    # mmpretrain configs/_base_/schedules/imagenet_bs1024_adamw_swin.py (verbatim, Apache-2.0)
    optim_wrapper = dict(
        optimizer=dict(
            type='AdamW',
            lr=5e-4 * 1024 / 512,
            weight_decay=0.05,
            eps=1e-8,
            betas=(0.9, 0.999)),
        paramwise_cfg=dict(
            norm_decay_mult=0.0,
            bias_decay_mult=0.0,
            flat_decay_mult=0.0,
            custom_keys={
                '.absolute_pos_embed': dict(decay_mult=0.0),
                '.relative_position_bias_table': dict(decay_mult=0.0)
            }),
    )
    param_scheduler = [
        dict(
            type='LinearLR',
            start_factor=1e-3,
            by_epoch=True,
            end=20,
            convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20)
    ]
    train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
""")


def test_mmpretrain_swin_schedule(tmp_path):
    # swin-tiny_16xb64_in1k.py inherits this schedule; the child here shortens it to 30 epochs
    (tmp_path / "imagenet_bs1024_adamw_swin.py").write_text(SWIN_SCHEDULE)
    (tmp_path / "swin.py").write_text("_base_ = ['./imagenet_bs1024_adamw_swin.py']\n"
                                     "optim_wrapper = dict(clip_grad=dict(max_norm=5.0))\n"
                                     "train_cfg = dict(max_epochs=30)\n")
    real = mmengine.Config.fromfile(str(tmp_path / "swin.py")).to_dict()
    ours = load_pyconfig(tmp_path / "swin.py")
    assert {k: ours[k] for k in ("optim_wrapper", "param_scheduler", "train_cfg")} == \
           {k: real[k] for k in ("optim_wrapper", "param_scheduler", "train_cfg")}
    plan = _check(real, 4, 30 * 4)  # warmup per iteration for 20 epochs, then a per-epoch cosine to 1e-5
    notes = mm.to_plan(real, steps_per_epoch=4).notes
    assert any("flat_decay_mult" in n for n in notes) and any("norm_decay_mult" in n for n in notes)
    assert plan.horizon.steps == 120


def test_reads_a_py_config_with_base_and_delete(tmp_path):
    (tmp_path / "_base_").mkdir()
    (tmp_path / "_base_" / "schedule_1x.py").write_text(textwrap.dedent("""
        train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
        param_scheduler = [
            dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
            dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)]
        optim_wrapper = dict(type='OptimWrapper',
                             optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=0.0001))
    """))
    (tmp_path / "child.py").write_text(textwrap.dedent("""
        _base_ = './_base_/schedule_1x.py'
        max_epochs = 24
        train_cfg = dict(max_epochs=max_epochs)
        param_scheduler = [
            dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
            dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[16, 22], gamma=0.1)]
        optim_wrapper = dict(optimizer=dict(_delete_=True, type='AdamW', lr={{_base_.optim_wrapper.optimizer.lr}},
                                            weight_decay=0.05))
    """))
    ours = mm.load(tmp_path / "child.py", steps_per_epoch=100)
    real = mmengine.Config.fromfile(str(tmp_path / "child.py")).to_dict()
    assert ours.plan.optimizer.name == "adamw" and ours.plan.optimizer.lr == 0.02
    assert ours.plan.horizon.steps == 2400
    _check(real, 100, 2400)
    # our reading of the file (never run) is mmengine's (which runs it)
    mine = load_pyconfig(tmp_path / "child.py")
    for key in ("train_cfg", "param_scheduler", "optim_wrapper"):
        assert mine[key] == real[key]


@pytest.mark.parametrize("sched", [
    [dict(type="CosineAnnealingParamScheduler", param_name="weight_decay", T_max=6, eta_min=1e-5, by_epoch=False)],
    [dict(type="LinearParamScheduler", param_name="weight_decay", start_factor=0.1, end=4, by_epoch=False),
     dict(type="MultiStepParamScheduler", param_name="weight_decay", milestones=[2], gamma=0.5, by_epoch=True)],
])
def test_weight_decay_schedulers_import_per_group_as_mmengine_applies_them(sched):
    # mmengine's ParamScheduler(param_name='weight_decay') starts each group from its own weight decay
    # (a custom_keys decay_mult group, the no-decay bias group); measured on mmengine's own schedulers.
    from lrbridge.reference import evaluate_hparam

    n, spe = 12, 3
    cfg = dict(train_cfg=dict(max_epochs=4),
               optim_wrapper=dict(**SGD, paramwise_cfg=dict(custom_keys={"backbone": dict(decay_mult=0.5)},
                                                            bias_decay_mult=0.0)),
               param_scheduler=[dict(type="ConstantLR", factor=0.5, end=2), *sched])
    real, names = _real_lrs(cfg, spe, n, "weight_decay")
    result = mm.to_plan(cfg, steps_per_epoch=spe, steps=n)
    plan = result.plan
    assert all("weight_decay" in g.hparam_schedulers for g in plan.groups)
    assert any("weight_decay" in note for note in result.notes)
    ours = evaluate_hparam(plan, "weight_decay", n)
    owned = lb.assign_params(plan.groups, [p for ns in names for p in ns])
    index = {g.name: i for i, g in enumerate(plan.groups)}
    for gi, ns in enumerate(names):
        (owner,) = {name for name, ps in owned.items() if set(ns) & set(ps)}
        np.testing.assert_allclose(ours[index[owner]], real[gi], rtol=1e-12, atol=1e-20, err_msg=owner)
    assert lb.check(plan, "torch").ok and not lb.check(plan, "oneflow", "graph").ok
