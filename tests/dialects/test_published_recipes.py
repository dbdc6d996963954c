"""Real published recipes, in their own config formats, read through ``lrbridge.load_source``.

Every file under ``tests/dialects/recipes/`` is a published config (its repository, path and
commit cited in its first lines; only parts that set no optimizer, scheduler or train loop are
left out, as each file says). Each is read the way a user reads it, ``lrbridge.load_source(path,
steps_per_epoch=S)`` (Python configs parsed, never run), and the lr curve of the plan must equal
the curve the original library computes for the same recipe, per group, every step, at relative
error ≤ 1e-12:

* mmengine configs: mmengine's own ParamSchedulers, built by its Runner's builder from
  ``mmengine.Config.fromfile`` of the same file and stepped in the Runner's loop order;
* transformers: ``get_scheduler`` with ``TrainingArguments.get_warmup_steps``;
* DeepSpeed: ``deepspeed.runtime.lr_schedules``, stepped after every update as the engine does;
* mindcv: ``mindcv.scheduler.create_scheduler``;
* detectron2 and fairseq (not installable here): curves re-derived from their source, cited.

Recipes lrbridge cannot express must fail with one line saying what, where and how to fix.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

import lrbridge as lb
from lrbridge.errors import PlanError
from lrbridge.reference import evaluate

torch = pytest.importorskip("torch")

RECIPES = Path(__file__).parent / "recipes"
REL_TOL = 1e-12


def _same(ours: np.ndarray, real: np.ndarray, what: str, peak_atol: bool = False):
    """Equal at relative error ≤ 1e-12; with ``peak_atol`` also within 1e-12 of the curve's peak: mmengine's
    schedulers are recursions (lr_t from lr_{t-1}) whose own rounding drifts over 10^5 steps, so where the lr
    nears 0 (segformer's PolyLR at step 159998 of 160k: 3.8e-10, abs. difference 2.6e-18) the relative
    difference of two exact computations passes 1e-12."""
    atol = REL_TOL * float(np.max(np.abs(real))) if peak_atol else 0.0
    np.testing.assert_allclose(ours, real, rtol=REL_TOL, atol=atol, err_msg=what)


# -- mmengine (mmdet, mmseg, mmpretrain) ---------------------------------------------------------

def _model(names):
    """A torch module holding one parameter under each dotted name."""
    root = torch.nn.Module()
    for name in names:
        *path, leaf = name.split(".")
        mod = root
        for part in path:
            if not hasattr(mod, part):
                mod.add_module(part, torch.nn.Module())
            mod = getattr(mod, part)
        mod.register_parameter(leaf, torch.nn.Parameter(torch.zeros(2)))
    return root


def _quadratic_warmup_class():
    """mmdet's QuadraticWarmupLR (open-mmlab/mmdetection mmdet/engine/schedulers/quadratic_warmup.py,
    ``QuadraticWarmupParamScheduler._get_value`` / ``build_iter_from_epoch``): X_0 = X_base/T²,
    X_t = X_{t-1} + (2t+1)/T²·X_base, T = end − begin; restated here because mmdet does not install
    next to this torch. Registered under a test-local name in mmengine's registry."""
    from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
    from mmengine.optim.scheduler.param_scheduler import _ParamScheduler
    from mmengine.registry import PARAM_SCHEDULERS

    name = "RecipeTestQuadraticWarmupLR"
    if PARAM_SCHEDULERS.get(name) is not None:
        return name

    class _Quadratic(_ParamScheduler):
        def __init__(self, optimizer, param_name, begin=0, end=int(1e9), last_step=-1, by_epoch=True, verbose=False):
            self.total_iters = end - begin
            super().__init__(optimizer=optimizer, param_name=param_name, begin=begin, end=end,
                             last_step=last_step, by_epoch=by_epoch, verbose=verbose)

        @classmethod
        def build_iter_from_epoch(cls, *args, begin=0, end=int(1e9), by_epoch=True, epoch_length=None, **kwargs):
            return cls(*args, begin=begin * epoch_length, end=end * epoch_length, by_epoch=False, **kwargs)

        def _get_value(self):
            t, total = self.last_step, self.total_iters
            if t == 0:
                return [b * (2 * t + 1) / total**2 for b in self.base_values]
            return [g[self.param_name] + b * (2 * t + 1) / total**2
                    for b, g in zip(self.base_values, self.optimizer.param_groups)]

    PARAM_SCHEDULERS.register_module(name=name, module=type(name, (LRSchedulerMixin, _Quadratic), {}))
    return name


def _mmengine_real(cfg: dict, params, spe: int, n: int):
    """Applied lr per torch param group per iteration, mmengine's Runner driving its schedulers."""
    mmengine = pytest.importorskip("mmengine")
    from mmengine.optim import build_optim_wrapper
    from mmengine.runner import Runner
    from mmengine.runner.loops import EpochBasedTrainLoop, IterBasedTrainLoop

    model = _model(params)
    wrapper_cfg = copy.deepcopy(cfg["optim_wrapper"])
    wrapper_cfg["type"] = "OptimWrapper"  # AmpOptimWrapper needs CUDA; the lr schedule is the same
    for key in ("clip_grad", "loss_scale"):
        wrapper_cfg.pop(key, None)
    wrapper = build_optim_wrapper(model, wrapper_cfg)
    opt = wrapper.optimizer
    ids = {id(p): name for name, p in model.named_parameters()}
    names = [[ids[id(p)] for p in g["params"]] for g in opt.param_groups]
    tcfg = cfg.get("train_cfg", {})
    fake = type("FakeRunner", (), {})()
    fake._train_loop = object.__new__(IterBasedTrainLoop if "max_iters" in tcfg else EpochBasedTrainLoop)
    fake.max_epochs, fake.max_iters = tcfg.get("max_epochs", 0), tcfg.get("max_iters", n)
    fake.train_dataloader = [None] * spe
    fake.logger = mmengine.logging.MMLogger.get_current_instance()
    scheds_cfg = copy.deepcopy(cfg["param_scheduler"])
    scheds_cfg = [scheds_cfg] if isinstance(scheds_cfg, dict) else scheds_cfg  # the Runner takes either
    for s in scheds_cfg:
        if s["type"].endswith("QuadraticWarmupLR"):
            s["type"] = _quadratic_warmup_class()
    scheds = Runner._build_param_scheduler(fake, scheds_cfg, wrapper)
    it_scheds = [s for s in scheds if not s.by_epoch]
    ep_scheds = [s for s in scheds if s.by_epoch]
    out = np.empty((len(opt.param_groups), n))
    for k in range(n):  # Runner: train iteration, after_train_iter, after_train_epoch
        for i, g in enumerate(opt.param_groups):
            out[i, k] = g["lr"]
        for s in it_scheds:
            s.step()
        if (k + 1) % spe == 0:
            for s in ep_scheds:
                s.step()
    return out, names


def _check_mmengine(rel: str, params, spe: int, n: int | None = None):
    mmengine = pytest.importorskip("mmengine")
    from lrbridge.dialects.pyconfig import load_pyconfig

    path = RECIPES / "mmengine" / rel
    result = lb.load_source(path, steps_per_epoch=spe)
    plan = result.plan
    n = n or plan.horizon.steps
    real_cfg = mmengine.Config.fromfile(str(path)).to_dict()
    mine = load_pyconfig(path)  # our reading of the file (never run) is mmengine's (which runs it)
    for key in ("optim_wrapper", "param_scheduler", "train_cfg"):
        assert mine[key] == real_cfg[key], key
    real, names = _mmengine_real(real_cfg, params, spe, n)
    ours = evaluate(plan, n)
    owned = lb.assign_params(plan.groups, [p for ns in names for p in ns])
    index = {g.name: i for i, g in enumerate(plan.groups)}
    for gi, ns in enumerate(names):
        (owner,) = {name for name, ps in owned.items() if set(ns) & set(ps)}
        _same(ours[index[owner]], real[gi], f"{rel}: torch group {gi} {ns} as plan group {owner}", peak_atol=True)
    return result


def test_mmseg_schedule_160k_poly_to_eta_min():
    # PolyLR(eta_min=1e-4, power=0.9) over an IterBasedTrainLoop of 160k iterations
    res = _check_mmengine("mmseg/_base_/schedules/schedule_160k.py", ["backbone.w", "decode_head.w"], 1)
    assert res.plan.horizon.steps == 160000 and res.plan.optimizer.name == "sgd"


def test_mmseg_segformer_warmup_then_poly_with_head_lr_mult():
    # inherits schedule_160k (train loop) and replaces optimizer (_delete_) and schedulers; head lr × 10
    params = ["backbone.block1.0.attn.q.weight", "backbone.pos_block.0.proj.weight", "backbone.norm1.weight",
              "decode_head.conv_seg.weight", "decode_head.conv_seg.bias"]
    res = _check_mmengine("mmseg/segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py", params, 1)
    lrs = {g.name: g.lr for g in res.plan.groups}
    assert lrs["custom:head"] == pytest.approx(6e-4) and res.plan.optimizer.name == "adamw"


@pytest.mark.parametrize("spe", [7, 10])
def test_mmdet_rtmdet_iter_warmup_then_late_cosine_to_absolute_floor(spe):
    # LinearLR over 1000 iterations, then from epoch 150 a cosine (converted to iterations) to 0.05·base_lr
    _check_mmengine("mmdet/rtmdet/rtmdet_l_8xb32-300e_coco.py", ["backbone.conv.weight", "bbox_head.cls.bias"], spe)


def test_mmdet_rtmdet_on_a_tiny_dataset_is_refused_in_one_line():
    # with 4 iterations per epoch the cosine (from iteration 600) meets the 1000-iteration warmup: mmengine
    # then applies a multiplier and a cosine with an absolute floor to the same lr in turn (no closed form)
    with pytest.raises(PlanError) as err:
        lb.load_source(RECIPES / "mmengine/mmdet/rtmdet/rtmdet_l_8xb32-300e_coco.py", steps_per_epoch=4)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("param_scheduler[1]") and "make their [begin, end) ranges disjoint" in msg


@pytest.mark.parametrize("spe", [3, 7])
def test_mmdet_yolox_quadratic_warmup_cosine_then_fixed(spe):
    # regression: mmdet.QuadraticWarmupLR (YOLOX, RTMPose) was refused as an unknown scheduler
    res = _check_mmengine("mmdet/yolox/yolox_s_8xb8-300e_coco.py", ["backbone.stem.conv.weight", "bbox_head.bias"], spe)
    lr = evaluate(res.plan, 5 * spe + 1)[0]
    T = 5 * spe
    assert lr[0] == pytest.approx(0.01 / T**2, rel=1e-12) and lr[T - 1] == pytest.approx(0.01, rel=1e-12)


def test_mmpretrain_mae_three_level_inheritance():
    # 300e -> amp-400e (AmpOptimWrapper) -> 400e (AdamW, custom_keys decay_mult 0): warmup 40 epochs per
    # iteration, cosine over T_max = 260 epochs per iteration
    params = ["backbone.ln1.weight", "backbone.pos_embed", "backbone.cls_token", "neck.mask_token",
              "backbone.layers.0.attn.qkv.bias", "backbone.layers.0.attn.qkv.weight"]
    res = _check_mmengine("mmpretrain/mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py", params, 5)
    assert res.plan.horizon.steps == 300 * 5 and res.plan.optimizer.lr == pytest.approx(1.5e-4 * 4096 / 256)


def test_mmpretrain_cifar10_single_dict_scheduler():
    # param_scheduler is one dict, not a list; end defaults to train_cfg's max_epochs (200)
    res = _check_mmengine("mmpretrain/_base_/schedules/cifar10_bs128.py", ["backbone.w", "head.fc.bias"], 3)
    assert res.plan.horizon.steps == 600


def test_mmagic_basicvsr_cosine_restart_300k_with_spynet_lr_mult():
    # regression: constructor='DefaultOptimWrapperConstructor' (the default, named) was refused as custom code
    res = _check_mmengine("mmagic/basicvsr/basicvsr_2xb4_reds4.py",
                          ["generator.spynet.conv.weight", "generator.backbone.conv.weight"], 1)
    assert {g.name: g.lr for g in res.plan.groups}["custom:spynet"] == pytest.approx(2e-4 * 0.125)


def test_other_optim_wrapper_constructors_are_refused_in_one_line():
    from lrbridge.dialects import mmengine as mm

    cfg = dict(train_cfg=dict(type="IterBasedTrainLoop", max_iters=3),
               optim_wrapper=dict(constructor="LearningRateDecayOptimWrapperConstructor",
                                  optimizer=dict(type="AdamW", lr=1e-3)))
    with pytest.raises(PlanError) as err:
        mm.to_plan(cfg)
    msg = str(err.value)
    assert msg.startswith("optim_wrapper.constructor: LearningRateDecayOptimWrapperConstructor") and "\n" not in msg
    assert "DefaultOptimWrapperConstructor" in msg


def test_mmcv1_lr_config_is_refused_in_one_line():
    # an OpenMMLab 1.x schedule (mmcls 0.x): lr_config policies are not mmengine schedulers
    path = RECIPES / "mmengine/mmpretrain_0x/_base_/schedules/imagenet_bs2048_coslr.py"
    with pytest.raises(PlanError) as err:
        lb.load_source(path)
    msg = str(err.value)
    assert "\n" not in msg and "mmcv 1.x" in msg and "lr_config" in msg and "param_scheduler" in msg


def test_quadratic_warmup_needs_an_end():
    from lrbridge.dialects import mmengine as mm

    cfg = dict(train_cfg=dict(type="IterBasedTrainLoop", max_iters=10),
               optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
               param_scheduler=[dict(type="mmdet.QuadraticWarmupLR", by_epoch=False)])
    mm.to_plan({**cfg, "param_scheduler": [dict(type="mmdet.QuadraticWarmupLR", by_epoch=False, end=4)]})
    with pytest.raises(PlanError, match=r"param_scheduler\[0\]\.end"):
        mm.to_plan({**cfg, "train_cfg": dict(type="IterBasedTrainLoop")})


# -- HF transformers -----------------------------------------------------------------------------

HF_FIELDS = ("learning_rate", "lr_scheduler_type", "lr_scheduler_kwargs", "warmup_ratio", "warmup_steps",
             "weight_decay", "gradient_accumulation_steps")


@pytest.mark.parametrize("name, spe", [
    ("zephyr-7b-beta_dpo_config_full.yaml", 60),         # cosine, warmup_ratio 0.1, 1 epoch
    ("OlympicCoder-7B_sft_config_v00.00.yaml", 13),      # cosine_with_min_lr (min_lr_rate), 10 epochs, max_steps -1
    ("LLaMA-Factory_llama3_lora_sft.yaml", 42),          # LLaMA-Factory's own keys beside TrainingArguments ones
])
def test_transformers_recipes(name, spe):
    pytest.importorskip("transformers")
    from transformers import TrainingArguments, get_scheduler

    path = RECIPES / "transformers" / name
    doc = yaml.safe_load(path.read_text())
    plan = lb.load_source(path, steps_per_epoch=spe).plan
    total = math.ceil(doc["num_train_epochs"] * spe)
    assert plan.horizon.steps == total
    fields = {k: doc[k] for k in HF_FIELDS if k in doc}
    if "warmup_ratio" in fields and "warmup_ratio" not in {f.name for f in dataclasses.fields(TrainingArguments)}:
        fields["warmup_steps"] = fields.pop("warmup_ratio")  # transformers 5 spells the ratio warmup_steps < 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = TrainingArguments(output_dir="/tmp/lrbridge-hf-test", report_to=[], **fields)
        opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=args.learning_rate)
        sched = get_scheduler(args.lr_scheduler_type, opt, num_warmup_steps=args.get_warmup_steps(total),
                              num_training_steps=total, scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    real = []
    for _ in range(total):
        real.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    ours = evaluate(plan, total)
    for row in ours:
        _same(row, np.asarray(real), name)


# -- DeepSpeed -----------------------------------------------------------------------------------

def test_deepspeed_qanet_warmup_lr():
    L = pytest.importorskip("deepspeed.runtime.lr_schedules")
    path = RECIPES / "deepspeed/QANet-Pytorch_ds_bsz512_warmup.json"
    doc = yaml.safe_load(path.read_text())
    plan = lb.load_source(path).plan
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=doc["optimizer"]["params"]["lr"])
    sched = getattr(L, doc["scheduler"]["type"])(opt, **doc["scheduler"]["params"])
    real = []
    for _ in range(1200):  # engine: optimizer.step(), then lr_scheduler.step()
        real.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    _same(evaluate(plan, 1200)[0], np.asarray(real), "WarmupLR")


def test_deepspeed_hf_auto_values_are_refused_in_one_line():
    # the HF Trainer fills "auto" in at run time: the file alone has no numbers
    with pytest.raises(PlanError) as err:
        lb.load_source(RECIPES / "deepspeed/transformers_tests_ds_config_zero2.json")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("optimizer.params.lr") and "'auto'" in msg and "write the number" in msg


def test_deepspeed_qanet_staircase_one_cycle():
    """100 stairs up over 1000 updates, 100 down over 100, then 1/(1 + 0.01·t/1000) decay; betas[0] cycles too."""
    from lrbridge.reference import evaluate_hparam

    L = pytest.importorskip("deepspeed.runtime.lr_schedules")
    path = RECIPES / "deepspeed/QANet-Pytorch_ds_bsz512_1cycle.json"
    doc = json.loads(path.read_text())  # tab-indented: JSON, not YAML
    plan = lb.load_source(path).plan
    o = doc["optimizer"]["params"]
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=o["lr"], betas=tuple(o["betas"]))
    sched = getattr(L, doc["scheduler"]["type"])(opt, **doc["scheduler"]["params"])
    lrs, moms = [], []
    for _ in range(3000):  # engine: optimizer.step(), then lr_scheduler.step()
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    assert np.count_nonzero(np.diff(lrs[:1101])) == 200  # the staircase: 100 stairs up (10 updates each), 100 down
    _same(evaluate(plan, 3000)[0], np.asarray(lrs), "OneCycle staircase lr")
    _same(evaluate_hparam(plan, "beta1", 3000)[0], np.asarray(moms), "OneCycle staircase betas[0]")


# -- detectron2 (DeepLab project) ----------------------------------------------------------------

def _warmup_poly_curve(base, m, n, *, factor=0.001, warmup=1000, method="linear", power=0.9, ending=0.0):
    """facebookresearch/detectron2 projects/DeepLab/deeplab/lr_scheduler.py ``WarmupPolyLR.get_lr`` with
    detectron2/solver/lr_scheduler.py ``_get_warmup_factor_at_iter``; built by
    projects/DeepLab/deeplab/build_solver.py from SOLVER (POLY_LR_POWER 0.9, POLY_LR_CONSTANT_ENDING 0.0
    from projects/DeepLab/deeplab/config.py) and stepped after every iteration: iteration k applies last_epoch = k."""
    out = []
    for k in range(n):
        if k >= warmup:
            wf = 1.0
        elif method == "constant":
            wf = factor
        else:
            alpha = k / warmup
            wf = factor * (1 - alpha) + alpha
        if ending > 0 and wf == 1.0 and math.pow(1.0 - k / m, power) < ending:
            out.append(base * ending)
        else:
            out.append(base * wf * math.pow(1.0 - k / m, power))
    return out


def test_detectron2_deeplab_v3_plus_warmup_poly():
    # regression: LR_SCHEDULER_NAME WarmupPolyLR (DeepLab, MaskFormer, Mask2Former) was refused
    path = (RECIPES / "detectron2/projects/DeepLab/configs/Cityscapes-SemanticSegmentation/"
            "deeplab_v3_plus_R_103_os16_mg124_poly_90k_bs16.yaml")
    plan = lb.load_source(path).plan
    assert plan.horizon.steps == 90000 and plan.horizon.past == "error"
    assert plan.optimizer.name == "sgd" and plan.optimizer.lr == 0.01
    real = np.asarray(_warmup_poly_curve(0.01, 90000, 90000))
    for row in evaluate(plan, 90000):
        _same(row, real, "WarmupPolyLR")


@pytest.mark.parametrize("solver", [
    dict(WARMUP_METHOD="constant", WARMUP_ITERS=37, WARMUP_FACTOR=0.1, POLY_LR_POWER=2.0),
    dict(WARMUP_ITERS=0, POLY_LR_CONSTANT_ENDING=0.2),
    dict(WARMUP_ITERS=50, POLY_LR_POWER=1.0, POLY_LR_CONSTANT_ENDING=0.6),
    dict(WARMUP_ITERS=40, WARMUP_FACTOR=1.0, POLY_LR_CONSTANT_ENDING=0.95),  # ending reached inside a factor-1 warmup
    dict(WARMUP_ITERS=40, WARMUP_FACTOR=1.0, WARMUP_METHOD="constant", POLY_LR_CONSTANT_ENDING=0.95),
])
def test_detectron2_warmup_poly_options(solver):
    from lrbridge.dialects import detectron2 as d2

    m = 300
    doc = {"SOLVER": {"LR_SCHEDULER_NAME": "WarmupPolyLR", "BASE_LR": 0.02, "MAX_ITER": m, **solver}}
    plan = d2.to_plan(doc).plan
    real = _warmup_poly_curve(0.02, m, m, factor=solver.get("WARMUP_FACTOR", 0.001),
                              warmup=solver.get("WARMUP_ITERS", 1000), method=solver.get("WARMUP_METHOD", "linear"),
                              power=solver.get("POLY_LR_POWER", 0.9), ending=solver.get("POLY_LR_CONSTANT_ENDING", 0.0))
    _same(evaluate(plan, m)[0], np.asarray(real), str(solver))


# -- fairseq (Hydra layout) ----------------------------------------------------------------------

def test_fairseq_wav2vec2_finetuning_tri_stage_phase_ratio():
    from test_fairseq import tri_stage_curve  # fairseq's TriStageLRSchedule, restated there from its source

    plan = lb.load_source(RECIPES / "fairseq/wav2vec2_finetuning_base_100h.yaml").plan
    assert plan.horizon.steps == 80000
    real = tri_stage_curve(3e-5, 80000, phase_ratio=[0.1, 0.4, 0.5], max_update=80000, final_lr_scale=0.05)
    _same(evaluate(plan, 80000)[0], np.asarray(real), "tri_stage")


@pytest.mark.parametrize("name, lr, warmup, total", [
    ("wav2vec2_base_librispeech.yaml", 5e-4, 32000, 400000),
    ("roberta_pretraining_base.yaml", 5e-4, 10000, 125000),  # update_freq 16 does not change the update clock
])
def test_fairseq_polynomial_decay_to_max_update(name, lr, warmup, total):
    from test_fairseq import polynomial_curve  # fairseq's PolynomialDecayLRSchedule, restated from its source

    plan = lb.load_source(RECIPES / "fairseq" / name).plan
    assert plan.horizon.steps == total and plan.optimizer.name == "adamw"
    real = polynomial_curve(lr, total + 5, warmup_updates=warmup, total_num_update=total)
    _same(evaluate(plan, total + 5)[0], np.asarray(real), name)


# -- mindcv --------------------------------------------------------------------------------------

@pytest.mark.parametrize("spe", [1, 3])
def test_mindcv_convnext_tiny(spe):
    create = pytest.importorskip("mindcv.scheduler").create_scheduler
    from lrbridge.dialects import mindcv as mc

    path = RECIPES / "mindcv/convnext_tiny_ascend.yaml"
    a = {**mc.DEFAULTS, **yaml.safe_load(path.read_text())}
    real = np.array(create(
        spe, scheduler=a["scheduler"], lr=a["lr"], min_lr=a["min_lr"], warmup_epochs=a["warmup_epochs"],
        warmup_factor=a["warmup_factor"], decay_epochs=a["decay_epochs"], decay_rate=a["decay_rate"],
        milestones=a["multi_step_decay_milestones"], num_epochs=a["epoch_size"], num_cycles=a["num_cycles"],
        cycle_decay=a["cycle_decay"], lr_epoch_stair=a["lr_epoch_stair"]))
    plan = lb.load_source(path, steps_per_epoch=spe).plan
    assert plan.horizon.steps == len(real) == 450 * spe
    for row in evaluate(plan, len(real)):
        np.testing.assert_allclose(row, real, rtol=REL_TOL, atol=1e-300)


# -- the CLI: what a user types ------------------------------------------------------------------

def test_cli_convert_to_plan_is_the_same_plan(tmp_path):
    from typer.testing import CliRunner

    from lrbridge.cli import app
    from lrbridge.io import load_plan

    path = RECIPES / "mmengine/mmdet/yolox/yolox_s_8xb8-300e_coco.py"
    out = tmp_path / "yolox_plan.yaml"
    result = CliRunner().invoke(app, ["convert", str(path), "--to", "plan", "--steps-per-epoch", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    plan = load_plan(out)
    ours = lb.load_source(path, steps_per_epoch=3).plan
    assert plan.horizon.steps == 900
    np.testing.assert_array_equal(evaluate(plan, 900), evaluate(ours, 900))


def test_cli_mmcv1_config_fails_with_one_line(tmp_path):
    from typer.testing import CliRunner

    from lrbridge.cli import app

    path = RECIPES / "mmengine/mmpretrain_0x/_base_/schedules/imagenet_bs2048_coslr.py"
    result = CliRunner().invoke(app, ["convert", str(path), "--to", "plan"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: optim_wrapper: this is an mmcv 1.x"), result.stderr
