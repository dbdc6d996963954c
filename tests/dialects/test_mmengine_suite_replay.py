"""mmengine's own ParamScheduler test suite replayed through lrbridge's mmengine dialect.

The scheduler configurations of open-mmlab/mmengine's ``tests/test_optim/test_scheduler/``
(``test_lr_scheduler.py``, ``test_param_scheduler.py``, ``test_momentum_scheduler.py``; read at
commit 254342938d9b, 2025-10-27), each written as the config a user writes (``optim_wrapper`` +
``param_scheduler`` + ``train_cfg``) and read through ``lrbridge.dialects.mmengine.to_plan`` (or a
``.py`` file through ``lrbridge.load_source``). Every case names the mmengine test it comes from.

mmengine's tests step one scheduler object by hand, once per "epoch", on an SGD with two param
groups (lr 0.05 and 10 × 0.05). Here the same numbers are a config: the second group is
``paramwise_cfg.custom_keys={'head': dict(lr_mult=10)}``, and the reference is mmengine's REAL
schedulers built by its Runner's own builder (default ``end``, ``convert_to_iter_based``) on a real
torch optimizer and stepped in the Runner's loop order (``test_mmengine._real_lrs``): per epoch in an
EpochBasedTrainLoop, and the same configuration per iteration (``by_epoch=False``) in an
IterBasedTrainLoop. The plan's curve (``lrbridge.evaluate``) must equal it per group, every
step, at relative error ≤ 1e-12; where the recursion's own rounding reaches values near 0
(``eta_min=1e-10``) the tolerance is also 1e-12 of the curve's peak (as
``test_published_recipes._same`` documents).

Where mmengine's tests assert that a configuration is invalid (ValueError, AssertionError,
KeyError), lrbridge must refuse the config in one line naming the field and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import mmengine as mm
from lrbridge.reference import evaluate_hparam

pytest.importorskip("mmengine")
pytest.importorskip("torch")

from test_mmengine import _real_lrs  # noqa: E402  (mmengine's Runner builder + loop order, shared)

REL = 1e-12
LR, MULT = 0.05, 10  # mmengine's setUp: SGD(lr=0.05, momentum=0.01, weight_decay=5e-4), conv2's lr ×10
TWO_GROUPS = dict(custom_keys={"head": dict(lr_mult=MULT)})


def _config(scheds, *, epochs, by_epoch=True, optimizer=None, paramwise=TWO_GROUPS):
    opt = optimizer or dict(type="SGD", lr=LR, momentum=0.01, weight_decay=5e-4)
    return dict(
        train_cfg=dict(type="EpochBasedTrainLoop", max_epochs=epochs) if by_epoch
        else dict(type="IterBasedTrainLoop", max_iters=epochs),
        optim_wrapper=dict(type="OptimWrapper", optimizer=opt, paramwise_cfg=paramwise),
        param_scheduler=scheds,
    )


def _replay(cfg, spe, n, key="lr", near_zero=False):
    """lrbridge's curve of ``cfg`` against mmengine's real schedulers, per torch param group, every step."""
    real, names = _real_lrs(cfg, spe, n, key)
    res = mm.to_plan(cfg, steps_per_epoch=spe, steps=n)
    plan = res.plan
    ours = lb.evaluate(plan, n) if key == "lr" else evaluate_hparam(plan, key, n)  # key: momentum or beta1
    owned = lb.assign_params(plan.groups, [p for ns in names for p in ns])
    index = {g.name: i for i, g in enumerate(plan.groups)}
    atol = REL * float(np.max(np.abs(real))) if near_zero else 0.0
    for gi, ns in enumerate(names):
        (owner,) = {name for name, ps in owned.items() if set(ns) & set(ps)}
        np.testing.assert_allclose(ours[index[owner]], real[gi], rtol=REL, atol=atol,
                                   err_msg=f"{key}: torch group {gi} {ns} as plan group {owner}")
    return res, real, names


def _group(real, names, param):
    return real[[i for i, ns in enumerate(names) if param in ns][0]]


# -- one scheduler, as test_lr_scheduler.py / test_param_scheduler.py step it ------------------------
# (mmengine test name, param_scheduler entries, epochs the test runs, values near 0?)
SINGLE = [
    ("test_effective_interval", [dict(type="LinearLR", start_factor=1 / 2, begin=1, end=1 + 4 + 1)], 10, False),
    ("test_step_scheduler", [dict(type="StepLR", gamma=0.1, step_size=3, verbose=True)], 10, False),
    ("test_multi_step_scheduler", [dict(type="MultiStepLR", gamma=0.1, milestones=[2, 5, 9])], 10, False),
    ("test_constant_scheduler", [dict(type="ConstantLR", factor=1 / 2, end=5)], 10, False),
    ("test_linear_scheduler", [dict(type="LinearLR", start_factor=1 / 2, end=4 + 1)], 10, False),
    ("test_exp_scheduler", [dict(type="ExponentialLR", gamma=0.9)], 10, False),
    ("test_cos_anneal_scheduler", [dict(type="CosineAnnealingLR", T_max=10, eta_min=1e-10)], 12, True),
    ("test_cos_anneal_scheduler[default T_max]",
     [dict(type="CosineAnnealingLR", begin=5, end=100, eta_min=1e-10)], 100, True),
    ("test_param_scheduler.test_cos_anneal_scheduler[eta_min]",
     [dict(type="CosineAnnealingParamScheduler", param_name="lr", T_max=10, eta_min=5e-3)], 12, False),
    ("test_param_scheduler.test_cos_anneal_scheduler[eta_min_ratio]",
     [dict(type="CosineAnnealingParamScheduler", param_name="lr", T_max=10, eta_min_ratio=1e-3)], 12, False),
    ("test_poly_scheduler", [dict(type="PolyLR", power=0.9, eta_min=0.001, end=4 + 1)], 10, False),
    ("test_cosine_restart_scheduler",
     [dict(type="CosineRestartLR", periods=[4, 5], restart_weights=[1, 0.5], eta_min=0)], 10, True),
    ("test_param_scheduler.test_cosine_restart_scheduler[one period, eta_min]",
     [dict(type="CosineRestartParamScheduler", param_name="lr", periods=[10], restart_weights=[1], eta_min=5e-3)],
     10, False),
    ("test_step_scheduler_state_dict", [dict(type="StepLR", gamma=0.01 / 2, step_size=1)], 10, False),
    ("test_multi_step_scheduler_state_dict", [dict(type="MultiStepLR", gamma=0.01, milestones=[1, 4, 6])], 10, True),
    ("test_exp_scheduler_state_dict", [dict(type="ExponentialLR", gamma=0.1)], 10, False),
    ("test_cosine_scheduler_state_dict", [dict(type="CosineAnnealingLR", T_max=10 // 2, eta_min=1e-10 / 2)], 10, True),
    ("test_linear_scheduler_state_dict", [dict(type="LinearLR", start_factor=1 / 3)], 10, False),
    # (its second configuration, start_factor=0, is never stepped there: stepped, mmengine divides by zero; see
    # test_refusals below)
    ("test_poly_scheduler_state_dict", [dict(type="PolyLR", power=0.5, eta_min=0.001)], 10, False),
    ("test_poly_scheduler_state_dict[2]", [dict(type="PolyLR", power=0.8, eta_min=0.002)], 10, False),
    ("test_cosine_restart_scheduler_state_dict",
     [dict(type="CosineRestartLR", periods=[4, 6], restart_weights=[1, 0.5], eta_min=0)], 10, True),
    # several schedulers in one list
    ("test_multi_scheduler_without_overlap_linear_multi_step",
     [dict(type="LinearLR", start_factor=1 / 2, begin=0, end=5),
      dict(type="MultiStepLR", gamma=0.1, milestones=[3, 6], begin=5, end=12)], 12, False),
    ("test_multi_scheduler_without_overlap_exp_cosine",
     [dict(type="ExponentialLR", gamma=0.9, begin=0, end=5),
      dict(type="CosineAnnealingLR", T_max=5, eta_min=1e-10, begin=5, end=10)], 10, True),
    ("test_multi_scheduler_with_overlap",
     [dict(type="LinearLR", start_factor=1 / 2, begin=0, end=5),
      dict(type="MultiStepLR", gamma=0.1, milestones=[3, 6, 9])], 10, False),
    ("test_multi_scheduler_with_gap",
     [dict(type="ExponentialLR", gamma=0.9, begin=0, end=5),
      dict(type="CosineAnnealingLR", T_max=5, eta_min=1e-10, begin=10, end=15)], 15, True),
]


@pytest.mark.parametrize("clock", ["epoch", "iter"])
@pytest.mark.parametrize("name, scheds, epochs, near_zero", SINGLE, ids=[c[0] for c in SINGLE])
def test_lr_scheduler_cases(name, scheds, epochs, near_zero, clock):
    # "epoch": by_epoch=True (mmengine's default) in an EpochBasedTrainLoop of `epochs` epochs of 3 iterations;
    # "iter": the same numbers per iteration, by_epoch=False, in an IterBasedTrainLoop of `epochs` iterations
    by_epoch = clock == "epoch"
    spe = 3 if by_epoch else 1
    cfg = _config([dict(s, by_epoch=by_epoch) for s in scheds], epochs=epochs, by_epoch=by_epoch)
    _replay(cfg, spe, epochs * spe, near_zero=near_zero)


def test_exp_scheduler_values_are_mmengines_targets():
    # test_exp_scheduler's own targets: 0.05·0.9^x and 10× that, per epoch
    cfg = _config([dict(type="ExponentialLR", gamma=0.9)], epochs=10)
    _, real, names = _replay(cfg, 1, 10)
    np.testing.assert_allclose(_group(real, names, "neck.weight"), [0.05 * 0.9 ** x for x in range(10)], rtol=1e-12)
    np.testing.assert_allclose(_group(real, names, "head.weight"), [0.5 * 0.9 ** x for x in range(10)], rtol=1e-12)


# -- build_iter_from_epoch: convert_to_iter_based=True in a config ---------------------------------
# (mmengine test name, scheduler, epochs, epoch_length, values near 0?)
CONVERTED = [
    ("test_step_scheduler_convert_iterbased", dict(type="StepLR", gamma=0.1, step_size=2), 4, 7, False),
    ("test_multi_step_scheduler_convert_iterbased", dict(type="MultiStepLR", gamma=0.1, milestones=[2, 5, 9]), 10, 7, False),
    ("test_constant_scheduler_convert_iterbased", dict(type="ConstantLR", factor=1.0 / 2, end=5), 10, 7, False),
    ("test_linear_scheduler_convert_iterbased", dict(type="LinearLR", start_factor=1.0 / 2, end=5), 10, 11, False),
    ("test_exp_scheduler_convert_iterbased", dict(type="ExponentialLR", gamma=0.9), 10, 7, True),
    ("test_cos_anneal_scheduler_convert_iterbased", dict(type="CosineAnnealingLR", T_max=10, eta_min=1e-10), 12, 11, True),
    ("test_poly_scheduler_convert_iterbased", dict(type="PolyLR", power=0.9, eta_min=0.001, end=5), 10, 11, False),
]


@pytest.mark.parametrize("name, sched, epochs, epoch_length, near_zero", CONVERTED, ids=[c[0] for c in CONVERTED])
def test_convert_iterbased_cases(name, sched, epochs, epoch_length, near_zero):
    cfg = _config([dict(sched, by_epoch=True, convert_to_iter_based=True)], epochs=epochs)
    _replay(cfg, epoch_length, epochs * epoch_length, near_zero=near_zero)


def test_constant_convert_iterbased_ends_one_iteration_early():
    # test_constant_scheduler_convert_iterbased: 0.025 for 5·7 − 1 iterations, then 0.05
    cfg = _config([dict(type="ConstantLR", factor=1.0 / 2, end=5, by_epoch=True, convert_to_iter_based=True)], epochs=10)
    _, real, names = _replay(cfg, 7, 70)
    assert list(_group(real, names, "neck.weight")) == [0.025] * 34 + [0.05] * 36


# -- OneCycleLR (test_onecycle_lr) -------------------------------------------------------------------
ONE_CYCLE = [
    ("linear", dict(eta_max=25, final_div_factor=2, total_steps=10, anneal_strategy="linear"),
     [1., 13., 25., 21.5, 18., 14.5, 11., 7.5, 4., 0.5]),
    ("linear three phase", dict(eta_max=25, div_factor=25, total_steps=10, anneal_strategy="linear", pct_start=0.4,
                                final_div_factor=4, three_phase=True),
     [1., 9., 17., 25., 17., 9., 1., 0.75, 0.5, 0.25]),
    ("cos", dict(eta_max=25, final_div_factor=2, total_steps=10), None),
]


@pytest.mark.parametrize("clock", ["epoch", "iter"])
@pytest.mark.parametrize("name, kw, target", ONE_CYCLE, ids=[c[0] for c in ONE_CYCLE])
def test_onecycle_lr(name, kw, target, clock):
    by_epoch = clock == "epoch"
    spe = 2 if by_epoch else 1
    cfg = _config([dict(type="OneCycleLR", by_epoch=by_epoch, **kw)], epochs=10, by_epoch=by_epoch)
    _, real, names = _replay(cfg, spe, 10 * spe)
    if target is not None:  # mmengine's own targets (every group: eta_max is one number)
        np.testing.assert_allclose(_group(real, names, "neck.weight")[::spe], target, rtol=1e-12)


# -- momentum (test_momentum_scheduler.py): SGD momentum and Adam's beta1 -------------------------
MOMENTUM = [
    ("test_step_scheduler", dict(type="StepMomentum", gamma=0.1, step_size=3), 10),
    ("test_multi_step_scheduler", dict(type="MultiStepMomentum", gamma=0.1, milestones=[2, 5, 9]), 10),
    ("test_constant_scheduler", dict(type="ConstantMomentum", factor=1.0 / 2, end=5), 10),
    ("test_linear_scheduler", dict(type="LinearMomentum", start_factor=1.0 / 2, end=4 + 1), 10),
    ("test_exp_scheduler", dict(type="ExponentialMomentum", gamma=0.9), 10),
    ("test_cos_anneal_scheduler", dict(type="CosineAnnealingMomentum", T_max=10, eta_min=1e-10), 12),
    ("test_poly_scheduler", dict(type="PolyMomentum", power=0.9, eta_min=0.001, end=4 + 1), 10),
    ("test_cosine_restart_scheduler", dict(type="CosineRestartMomentum", periods=[4, 5], restart_weights=[1, 0.5],
                                           eta_min=0), 10),
]


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
@pytest.mark.parametrize("name, sched, epochs", MOMENTUM, ids=[c[0] for c in MOMENTUM])
def test_momentum_scheduler_cases(name, sched, epochs, optimizer):
    # setUp: SGD(lr=0.01, momentum=0.05) and Adam(lr=0.01, betas=(0.05, 0.999)); one momentum per config
    opt = dict(type="SGD", lr=0.01, momentum=0.05, weight_decay=5e-4) if optimizer == "SGD" else \
        dict(type="Adam", lr=0.01, betas=(0.05, 0.999), weight_decay=5e-4)
    cfg = _config([sched], epochs=epochs, optimizer=opt)
    _replay(cfg, 2, 2 * epochs, key="momentum" if optimizer == "SGD" else "beta1", near_zero=True)


def test_momentum_param_scheduler_on_sgd():
    # test_param_scheduler.test_step_scheduler[momentum]: StepParamScheduler(param_name='momentum') (on Adam, whose
    # groups have no 'momentum', mmengine raises KeyError: see test_refusals)
    cfg = _config([dict(type="StepParamScheduler", param_name="momentum", gamma=0.1, step_size=2)], epochs=4)
    _replay(cfg, 2, 8, key="momentum")


def test_momentum_step_convert_iterbased():
    # test_param_scheduler.test_step_scheduler_convert_iterbased: momentum ×0.1 after 2 epochs of 7 iterations
    cfg = _config([dict(type="StepParamScheduler", param_name="momentum", gamma=0.1, step_size=2,
                        convert_to_iter_based=True)], epochs=4)
    _replay(cfg, 7, 28, key="momentum")


@pytest.mark.parametrize("scheds", [
    [dict(type="LinearMomentum", start_factor=1 / 2, begin=0, end=5),
     dict(type="MultiStepMomentum", gamma=0.1, milestones=[3, 6], begin=5, end=12)],
    [dict(type="ExponentialMomentum", gamma=0.9, begin=0, end=5),
     dict(type="CosineAnnealingMomentum", T_max=5, eta_min=1e-10, begin=5, end=10)],
    [dict(type="LinearMomentum", start_factor=1 / 2, begin=0, end=5),
     dict(type="MultiStepMomentum", gamma=0.1, milestones=[3, 6, 9])],
    [dict(type="ExponentialMomentum", gamma=0.9, begin=0, end=5),
     dict(type="CosineAnnealingMomentum", T_max=5, eta_min=1e-10, begin=10, end=15)],
], ids=["without_overlap_linear_multi_step", "without_overlap_exp_cosine", "with_overlap", "with_gap"])
def test_momentum_multi_scheduler_cases(scheds):
    # test_momentum_scheduler.test_multi_scheduler_*
    cfg = _config(scheds, epochs=15)
    _replay(cfg, 2, 30, key="momentum", near_zero=True)


# -- combinations a config writes: clocks mixed, converted, offset, groups with their own lr ----------
# (the mmengine tests each case extends, scheduler list, train_cfg, steps per epoch, iterations, values near 0?)
COMBINED = [
    ("test_multi_scheduler_without_overlap_linear_multi_step, warmup per iteration",
     [dict(type="LinearLR", start_factor=1 / 2, by_epoch=False, begin=0, end=5),
      dict(type="MultiStepLR", gamma=0.1, milestones=[3, 6], begin=0, end=12)], dict(max_epochs=12), 4, 48, False),
    ("test_multi_scheduler_without_overlap_exp_cosine, both converted",
     [dict(type="ExponentialLR", gamma=0.9, begin=0, end=5, convert_to_iter_based=True),
      dict(type="CosineAnnealingLR", T_max=5, eta_min=1e-10, begin=5, end=10, convert_to_iter_based=True)],
     dict(max_epochs=10), 3, 30, True),
    ("test_multi_scheduler_with_gap, cosine converted, exp per epoch",
     [dict(type="ExponentialLR", gamma=0.9, begin=0, end=5),
      dict(type="CosineAnnealingLR", T_max=5, eta_min=1e-10, begin=10, end=15, convert_to_iter_based=True)],
     dict(max_epochs=15), 3, 45, True),
    ("test_multi_scheduler_with_overlap, multistep converted",
     [dict(type="LinearLR", start_factor=1 / 2, begin=0, end=5),
      dict(type="MultiStepLR", gamma=0.1, milestones=[3, 6, 9], convert_to_iter_based=True)],
     dict(max_epochs=10), 5, 50, False),
    ("test_param_scheduler.test_cos_anneal_scheduler[eta_min_ratio] after a linear warmup",
     [dict(type="LinearLR", start_factor=1e-3, by_epoch=False, begin=0, end=7),
      dict(type="CosineAnnealingLR", eta_min_ratio=1e-3, begin=1, end=12)], dict(max_epochs=12), 7, 84, False),
    ("test_poly_scheduler after a converted constant warmup",
     [dict(type="ConstantLR", factor=1 / 2, end=2, convert_to_iter_based=True),
      dict(type="PolyLR", power=0.9, eta_min=0.001, begin=2, end=9)], dict(max_epochs=10), 3, 30, False),
    ("test_cosine_restart_scheduler, converted",
     [dict(type="CosineRestartLR", periods=[4, 5], restart_weights=[1, 0.5], eta_min=0, convert_to_iter_based=True)],
     dict(max_epochs=10), 3, 30, True),
    ("test_cosine_restart_scheduler, begun late, eta_min_ratio",
     [dict(type="CosineRestartLR", periods=[4, 5], restart_weights=[1, 0.5], eta_min_ratio=0.1, begin=2)],
     dict(max_epochs=12), 2, 24, False),
    ("test_step_scheduler per iteration in an iteration loop, with begin",
     [dict(type="StepLR", gamma=0.1, step_size=3, by_epoch=False, begin=4)],
     dict(type="IterBasedTrainLoop", max_iters=20), 1, 20, False),
    ("test_exp_scheduler converted: gamma per iteration",
     [dict(type="ExponentialLR", gamma=0.9, begin=1, end=3, convert_to_iter_based=True)], dict(max_epochs=5), 4, 20,
     False),
    # by_epoch=False without an end in an EpochBasedTrainLoop: the Runner's default end is its max_iters =
    # max_epochs × len(train_dataloader) (lrbridge used to leave it unbounded: a flat curve)
    ("test_cos_anneal_scheduler per iteration, no end, epoch loop",
     [dict(type="CosineAnnealingLR", by_epoch=False, eta_min=1e-4)], dict(max_epochs=4), 5, 20, False),
    ("test_poly_scheduler per iteration, no end, epoch loop",
     [dict(type="PolyLR", by_epoch=False, power=0.9, eta_min=1e-4)], dict(max_epochs=4), 5, 20, False),
    ("test_linear_scheduler per iteration, no end, epoch loop",
     [dict(type="LinearLR", by_epoch=False, start_factor=1 / 2)], dict(max_epochs=4), 5, 20, False),
    ("test_onecycle_lr per iteration, no end, epoch loop",
     [dict(type="OneCycleLR", by_epoch=False, eta_max=25, final_div_factor=2)], dict(max_epochs=4), 5, 20, False),
    ("test_multi_scheduler_with_overlap, multistep per iteration with no end, epoch loop",
     [dict(type="LinearLR", start_factor=1 / 2, begin=0, end=5),
      dict(type="CosineAnnealingLR", by_epoch=False, begin=3)], dict(max_epochs=10), 3, 30, True),
    # fractional epochs converted: mmengine takes int(begin·S), int(end·S) (lrbridge used to refuse them)
    ("test_linear_scheduler_convert_iterbased, end=2.5 epochs",
     [dict(type="LinearLR", start_factor=1 / 2, end=2.5, convert_to_iter_based=True)], dict(max_epochs=4), 5, 20,
     False),
    ("test_exp_scheduler_convert_iterbased, begin=0.5, end=2.5 epochs",
     [dict(type="ExponentialLR", gamma=0.9, begin=0.5, end=2.5, convert_to_iter_based=True)], dict(max_epochs=4), 4,
     16, False),
    # windows: begun late, ended early, held, restarted
    ("test_constant_scheduler, begun late",
     [dict(type="ConstantLR", factor=1 / 2, begin=2, end=5)], dict(max_epochs=8), 2, 16, False),
    ("test_cos_anneal_scheduler[eta_min], ended before T_max",
     [dict(type="CosineAnnealingLR", T_max=10, eta_min=1e-3, begin=1, end=6)], dict(max_epochs=8), 2, 16, False),
    ("test_cos_anneal_scheduler[eta_min_ratio], past T_max",
     [dict(type="CosineAnnealingLR", T_max=3, eta_min_ratio=0.1)], dict(max_epochs=12), 2, 24, False),
    ("test_poly_scheduler after an exponential decay",
     [dict(type="ExponentialLR", gamma=0.5, end=3), dict(type="PolyLR", power=2.0, eta_min=1e-3, begin=3, end=9)],
     dict(max_epochs=12), 2, 24, False),
    ("test_cosine_restart_scheduler after a linear warmup",
     [dict(type="LinearLR", start_factor=0.25, end=3),
      dict(type="CosineRestartLR", periods=[3, 4], restart_weights=[1, 0.5], eta_min=1e-3, begin=3, end=12)],
     dict(max_epochs=12), 2, 24, False),
    ("test_cosine_restart_scheduler, periods shorter than the window",
     [dict(type="CosineRestartLR", periods=[3, 2], restart_weights=[1, 0.5], eta_min=1e-3)], dict(max_epochs=12), 1,
     12, False),
    ("test_onecycle_lr, begun late", [dict(type="OneCycleLR", eta_max=25, final_div_factor=2, begin=2)],
     dict(max_epochs=12), 1, 12, False),
    ("test_multi_step_scheduler, milestone past end", [dict(type="MultiStepLR", milestones=[2, 20], begin=1, end=6)],
     dict(max_epochs=12), 1, 12, False),
    ("test_linear_scheduler, one step long", [dict(type="LinearLR", start_factor=0.0, begin=2, end=3)],
     dict(max_epochs=12), 1, 12, False),
    # clocks mixed: iteration schedulers step after every iteration, epoch ones after the epoch's last
    ("test_cos_anneal_scheduler[eta_min] per epoch right after a warmup per iteration",
     [dict(type="LinearLR", start_factor=0.1, by_epoch=False, end=5), dict(type="CosineAnnealingLR", eta_min=1e-3,
                                                                           begin=1)], dict(max_epochs=6), 5, 30, False),
    ("test_cos_anneal_scheduler[eta_min] per iteration, then a per-epoch multistep",
     [dict(type="CosineAnnealingLR", eta_min=1e-3, by_epoch=False, end=10),
      dict(type="MultiStepLR", milestones=[1, 2], begin=2)], dict(max_epochs=6), 5, 30, False),
    ("test_multi_scheduler_with_overlap, exp per iteration under a multistep per epoch",
     [dict(type="ExponentialLR", gamma=0.99, by_epoch=False), dict(type="MultiStepLR", milestones=[1, 3])],
     dict(max_epochs=6), 5, 30, False),
    ("test_multi_scheduler_with_overlap, three schedulers",
     [dict(type="ConstantLR", factor=0.5, end=2), dict(type="LinearLR", start_factor=0.3, begin=1, end=4),
      dict(type="CosineAnnealingLR", begin=3)], dict(max_epochs=10), 2, 20, True),
]


@pytest.mark.parametrize("name, scheds, train_cfg, spe, n, near_zero", COMBINED, ids=[c[0] for c in COMBINED])
def test_combined_cases(name, scheds, train_cfg, spe, n, near_zero):
    cfg = _config(scheds, epochs=1)
    cfg["train_cfg"] = train_cfg
    _replay(cfg, spe, n, near_zero=near_zero)


def test_converted_scheduler_without_end_in_an_iteration_loop_lasts_one_epoch():
    # mmengine's IterBasedTrainLoop has max_epochs = 1 ("for compatibility"), the default end of a by_epoch=True
    # scheduler: converted, test_linear_scheduler_convert_iterbased's warmup then lasts one epoch of S iterations
    # (_real_lrs's stand-in Runner reads that max_epochs from train_cfg, which IterBasedTrainLoop itself refuses)
    cfg = _config([dict(type="LinearLR", start_factor=1 / 2, convert_to_iter_based=True),
                   dict(type="ExponentialLR", gamma=0.9, by_epoch=False, begin=7)], epochs=30, by_epoch=False)
    real, names = _real_lrs({**cfg, "train_cfg": {**cfg["train_cfg"], "max_epochs": 1}}, 7, 30)
    plan = mm.to_plan(cfg, steps_per_epoch=7).plan
    ours = lb.evaluate(plan, 30)
    owned = lb.assign_params(plan.groups, [p for ns in names for p in ns])
    index = {g.name: i for i, g in enumerate(plan.groups)}
    for gi, ns in enumerate(names):
        (owner,) = {name for name, ps in owned.items() if set(ns) & set(ps)}
        np.testing.assert_allclose(ours[index[owner]], real[gi], rtol=REL, atol=0, err_msg=owner)
    assert _group(real, names, "neck.weight")[6] == pytest.approx(LR)  # warmup done after 7 iterations


@pytest.mark.parametrize("key", ["lr", "momentum"])
def test_onecycle_lr_with_a_momentum_scheduler(key):
    # test_onecycle_lr's linear cycle with test_momentum_scheduler's cosine on the momentum: OneCycleLR rewrites
    # initial_lr only, so a momentum scheduler beside it is valid mmengine (lrbridge used to refuse any second one)
    cfg = _config([dict(type="OneCycleLR", eta_max=25, final_div_factor=2, total_steps=10, anneal_strategy="linear"),
                   dict(type="CosineAnnealingMomentum", T_max=10, eta_min=0.85)], epochs=10,
                  optimizer=dict(type="SGD", lr=LR, momentum=0.95, weight_decay=5e-4))
    _replay(cfg, 2, 20, key=key)


def test_onecycle_converted():
    # test_onecycle_lr's linear cycle over 10 epochs of 3 iterations (total_steps rescaled to 30)
    cfg = _config([dict(type="OneCycleLR", eta_max=25, final_div_factor=2, total_steps=10, anneal_strategy="linear",
                        convert_to_iter_based=True)], epochs=10)
    _replay(cfg, 3, 30)


def test_three_groups_with_their_own_lr_and_weight_decay():
    # two param groups of mmengine's setUp (lr, 10 × lr) plus a bias group (bias_lr_mult), its own weight decay
    cfg = _config([dict(type="LinearLR", start_factor=1 / 2, begin=0, end=5),
                   dict(type="MultiStepLR", gamma=0.1, milestones=[3, 6], begin=5, end=12)], epochs=12,
                  paramwise=dict(custom_keys={"head": dict(lr_mult=MULT), "backbone": dict(lr_mult=0.5, decay_mult=0.)},
                                 bias_lr_mult=2.0))
    res, real, names = _replay(cfg, 2, 24)
    assert {g.name for g in res.plan.groups} == {"custom:head", "custom:backbone", "bias", "default"}
    assert _group(real, names, "neck.bias")[0] == pytest.approx(2 * LR / 2)  # bias_lr_mult × start_factor


def test_config_file_through_load_source(tmp_path):
    # test_multi_scheduler_without_overlap_linear_multi_step as a user's .py config, read (never run) by load_source
    path = tmp_path / "toy_schedule.py"
    path.write_text(
        "optim_wrapper = dict(type='OptimWrapper',\n"
        "                     optimizer=dict(type='SGD', lr=0.05, momentum=0.01, weight_decay=5e-4),\n"
        "                     paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10)}))\n"
        "param_scheduler = [\n"
        "    dict(type='LinearLR', start_factor=1 / 2, begin=0, end=5),\n"
        "    dict(type='MultiStepLR', gamma=0.1, milestones=[3, 6], begin=5, end=12)]\n"
        "train_cfg = dict(by_epoch=True, max_epochs=12)\n")
    import mmengine

    real_cfg = mmengine.Config.fromfile(str(path)).to_dict()
    real, names = _real_lrs(real_cfg, 3, 36)
    plan = lb.load_source(path, steps_per_epoch=3).plan
    assert plan.horizon.steps == 36
    ours = lb.evaluate(plan, 36)
    owned = lb.assign_params(plan.groups, [p for ns in names for p in ns])
    index = {g.name: i for i, g in enumerate(plan.groups)}
    for gi, ns in enumerate(names):
        (owner,) = {name for name, ps in owned.items() if set(ns) & set(ps)}
        np.testing.assert_allclose(ours[index[owner]], real[gi], rtol=REL, atol=0, err_msg=owner)
    np.testing.assert_allclose(ours[index["custom:head"]][::3],
                               [10 * x for x in [0.025, 0.03125, 0.0375, 0.04375] + [0.05] * 4 + [0.005] * 3 + [0.0005]],
                               rtol=1e-12)


# -- what mmengine's tests assert invalid, and what lrbridge documents it cannot port ------------------
# (mmengine test, param_scheduler, optimizer type or None, what mmengine raises (None: it runs), the refusal's
#  path, a phrase of its reason)
REFUSED = [
    ("test_effective_interval", [dict(type="StepLR", gamma=0.1, step_size=3, begin=10, end=5)], None, ValueError,
     "param_scheduler[0]", "begin < end"),
    ("test_constant_scheduler", [dict(type="ConstantLR", factor=99)], None, ValueError,
     "param_scheduler[0].factor", "between 0 and 1"),
    ("test_linear_scheduler[start_factor=10]", [dict(type="LinearLR", start_factor=10, end=900)], None, ValueError,
     "param_scheduler[0].start_factor", "between 0 and 1"),
    ("test_linear_scheduler[start_factor=-1]", [dict(type="LinearLR", start_factor=-1, end=900)], None, ValueError,
     "param_scheduler[0].start_factor", "between 0 and 1"),
    ("test_linear_scheduler[end_factor=1.001]", [dict(type="LinearLR", end_factor=1.001, end=900)], None, ValueError,
     "param_scheduler[0].end_factor", "between 0 and 1"),
    ("test_linear_scheduler[end_factor=-1e-5]", [dict(type="LinearLR", end_factor=-0.00001, end=900)], None,
     ValueError, "param_scheduler[0].end_factor", "between 0 and 1"),
    ("test_linear_scheduler_state_dict[start_factor=0], stepped",
     [dict(type="LinearLR", start_factor=0, end_factor=0.3)], None, ZeroDivisionError,
     "param_scheduler[0].start_factor", "ZeroDivisionError"),
    ("ConstantLR factor=0, stepped to its end", [dict(type="ConstantLR", factor=0, end=5)], None, ZeroDivisionError,
     "param_scheduler[0].factor", "ZeroDivisionError"),
    ("StepLR step_size=0", [dict(type="StepLR", step_size=0)], None, ZeroDivisionError,
     "param_scheduler[0].step_size", "positive"),
    ("ExponentialLR without gamma", [dict(type="ExponentialLR")], None, TypeError,
     "param_scheduler[0].gamma", "required"),
    ("test_param_scheduler.test_cos_anneal_scheduler[both eta_min]",
     [dict(type="CosineAnnealingParamScheduler", param_name="lr", T_max=10, eta_min=0, eta_min_ratio=0.1)], None,
     AssertionError, "param_scheduler[0]", "not both"),
    ("test_cosine_restart_scheduler[both eta_min]",
     [dict(type="CosineRestartLR", periods=[4, 5], restart_weights=[1, 0.5], eta_min=0, eta_min_ratio=0.1)], None,
     AssertionError, "param_scheduler[0]", "not both"),
    ("test_cosine_restart_scheduler[3 weights, 2 periods]",
     [dict(type="CosineRestartLR", periods=[4, 5], restart_weights=[1, 0.5, 0.0], eta_min=0)], None, AssertionError,
     "param_scheduler[0]", "same length"),
    ("test_param_name", [dict(type="StepParamScheduler", param_name="invalid_name", step_size=10)], None, KeyError,
     "param_scheduler[0].param_name", "lr, momentum and weight_decay"),
    ("test_resume", [dict(type="StepLR", gamma=0.1, step_size=3, last_step=10)], None, KeyError,
     "param_scheduler[0].last_step", "remove it"),
    ("test_onecycle_scheduler[total_steps=-1]", [dict(type="OneCycleLR", eta_max=1.0, total_steps=-1)], None,
     ValueError, "param_scheduler[0].total_steps", "positive integer"),
    ("test_onecycle_scheduler[pct_start=-1]", [dict(type="OneCycleLR", eta_max=1.0, total_steps=10, pct_start=-1)],
     None, ValueError, "param_scheduler[0].pct_start", "between 0 and 1"),
    ("test_onecycle_scheduler[anneal_strategy='a']",
     [dict(type="OneCycleLR", eta_max=1.0, total_steps=10, anneal_strategy="a")], None, ValueError,
     "param_scheduler[0].anneal_strategy", "'cos' or 'linear'"),
    ("test_momentum_scheduler.test_invalid_optimizer", [dict(type="StepMomentum", step_size=1)], "ASGD", ValueError,
     "param_scheduler[0]", "no momentum"),
    ("test_param_scheduler.test_step_scheduler[momentum] on Adam",
     [dict(type="StepParamScheduler", param_name="momentum", gamma=0.1, step_size=2)], "Adam", KeyError,
     "param_scheduler[0].param_name", "StepMomentum"),
    ("test_onecycle_lr with eta_max per param group", [dict(type="OneCycleLR", eta_max=[25, 250], total_steps=10)],
     None, ValueError, "param_scheduler[0].eta_max", "per-group list"),
    # mmengine runs these; lrbridge documents why it cannot port them
    ("test_multi_step_scheduler, milestone 2.5 (mmengine's integer step never equals it)",
     [dict(type="MultiStepLR", gamma=0.1, milestones=[2.5, 5])], None, None, "param_scheduler[0].milestones",
     "whole number"),
    ("test_step_scheduler, step_size=2.5", [dict(type="StepLR", gamma=0.1, step_size=2.5)], None, None,
     "param_scheduler[0].step_size", "whole number"),
    ("test_cos_anneal_scheduler, T_max=2.5", [dict(type="CosineAnnealingLR", T_max=2.5)], None, None,
     "param_scheduler[0].T_max", "whole number"),
    ("test_reduce_on_plateau_scheduler", [dict(type="ReduceOnPlateauLR", monitor="loss")], None, None,
     "param_scheduler[0]", "validation metric"),
    ("test_multi_scheduler_without_overlap_exp_cosine, made to overlap",
     [dict(type="ExponentialLR", gamma=0.9, begin=0, end=6),
      dict(type="CosineAnnealingLR", T_max=5, eta_min=1e-10, begin=5, end=10)], None, None,
     "param_scheduler[1]", "overlaps ExponentialLR"),
    ("test_onecycle_lr with a warmup", [dict(type="LinearLR", start_factor=0.5, end=2),
                                        dict(type="OneCycleLR", eta_max=25, total_steps=10, begin=2)], None, None,
     "param_scheduler", "use it alone"),
]


@pytest.mark.parametrize("name, scheds, optimizer, mmengine_raises, path, reason", REFUSED, ids=[c[0] for c in REFUSED])
def test_refusals(name, scheds, optimizer, mmengine_raises, path, reason):
    opt = None if optimizer is None else dict(type=optimizer, lr=LR)
    cfg = _config(scheds, epochs=10, optimizer=opt)
    if mmengine_raises is not None:  # mmengine itself refuses it (building or stepping it)
        with pytest.raises(mmengine_raises):
            _real_lrs(cfg, 1, 10, "lr")
    with pytest.raises(lb.PlanError) as err:
        mm.to_plan(cfg, steps_per_epoch=1)
    assert err.value.path == path and reason in err.value.message, str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("spe", [-1, 0.5])
def test_convert_iterbased_needs_a_positive_epoch_length(spe):
    # test_step_scheduler_convert_iterbased: build_iter_from_epoch(epoch_length=-1) is an AssertionError
    cfg = _config([dict(type="StepLR", gamma=0.1, step_size=2, convert_to_iter_based=True)], epochs=4)
    with pytest.raises(lb.PlanError, match="positive whole number") as err:
        mm.to_plan(cfg, steps_per_epoch=spe)
    assert err.value.path == "--steps-per-epoch"


def test_iteration_scheduler_without_end_in_an_epoch_loop_needs_the_epoch_length():
    # its default end is max_epochs × len(train_dataloader): without the epoch length there is no curve
    cfg = _config([dict(type="PolyLR", by_epoch=False, power=0.9, eta_min=1e-4)], epochs=4)
    with pytest.raises(lb.PlanError, match="max_iters = max_epochs × iterations per epoch") as err:
        mm.to_plan(cfg)
    assert err.value.path == "--steps-per-epoch"
