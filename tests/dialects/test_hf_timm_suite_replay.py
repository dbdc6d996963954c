"""transformers' and timm's own scheduler tests, replayed through lrbridge's dialects.

Each upstream test configures a scheduler and checks some of its values. Here the same
configuration is written the way a user has it (``TrainingArguments`` fields as YAML/JSON, a
saved ``to_dict()``; timm ``train.py`` arguments as in its ``args.yaml``), read through
lrbridge's dialect, and the plan's lr at every optimizer update is compared with the REAL
scheduler (``transformers.get_scheduler`` / timm's ``create_scheduler`` on a torch optimizer)
stepped in its framework's natural loop, at relative error ≤ 1e-12. Where the upstream test
lists expected values (or asserts a property), the plan is checked against those too.

Sources (public repositories, read through the reference index; no code copied):

* transformers ``tests/optimization/test_optimization.py`` ``ScheduleInitTest.test_schedulers``
  (commit 74714520: constant, constant_with_warmup, linear, cosine, cosine_with_restarts,
  polynomial, inverse_sqrt, lr 10, 2 warmup of 10 steps).
* transformers ``tests/trainer/test_trainer_optimizers.py`` ``TrainerLRTest`` (commit 0d7e95d9):
  ``test_lr_scheduler_kwargs``, ``test_cosine_with_min_lr_scheduler``,
  ``test_cosine_with_min_lr_schedule_with_warmup_lr_rate``, ``test_reduce_lr_on_plateau``,
  ``test_reduce_lr_on_plateau_args``, ``test_greedy_lr``.
* timm ``tests/test_scheduler.py`` (commit ec0e81ed; ``test_multistep_decay_boundary`` from commit
  0514e98d): TestSchedulerBasics, TestWarmup, TestCosineScheduler, TestStepScheduler,
  TestMultiStepScheduler, TestPolyScheduler, TestTanhScheduler, TestStepUpdate,
  TestMultipleParamGroups, TestNoise, TestKDecay. The upstream tests build the scheduler classes
  directly; a train.py user reaches the same classes through ``create_scheduler(args)``, so the
  replays give every class default the tests rely on explicitly (``lr_cycle_decay: 1.0``,
  ``decay_rate: 1.0`` for step, ``warmup_prefix: true`` for multistep, ...). TestStateDict has no
  counterpart: a plan is stateless.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import math
import types
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from transformers import TrainingArguments, get_scheduler  # noqa: E402

from lrbridge.conformance import compare  # noqa: E402
from lrbridge.dialects import detect, get  # noqa: E402
from lrbridge.errors import PlanError  # noqa: E402
from lrbridge.io import parse_document  # noqa: E402
from lrbridge.reference import evaluate  # noqa: E402

REL_TOL = 1e-12


def _read(text: str, fmt: str, dialect: str):
    """A user's config file as lrbridge reads it: parsed, detected, converted."""
    data = parse_document(text, fmt)
    assert detect(data).NAME == dialect
    return get(dialect).to_plan(data)


def _ours(plan, n: int) -> np.ndarray:
    return evaluate(plan, n)


# --------------------------------------------------------------------------------------------
# transformers
# --------------------------------------------------------------------------------------------

#: lrbridge-only fields (the Trainer learns them from the data loader), never given to TrainingArguments
_LRBRIDGE_ONLY = ("batches_per_epoch", "warmup_ratio")


def hf_native(fields: dict, total: int, *, extra: int = 3, reload_at: int | None = None) -> np.ndarray:
    """The lr the Trainer's AdamW applies at each update: get_scheduler as Trainer.create_scheduler calls it,
    stepped after every update; optionally with a state_dict round trip (as unwrap_and_save_reload_schedule)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = TrainingArguments(output_dir="/tmp/lrbridge-hf-replay", report_to=[],
                                 **{k: v for k, v in fields.items() if k not in _LRBRIDGE_ONLY})
        opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=args.learning_rate)
        sched = get_scheduler(args.lr_scheduler_type, opt, num_warmup_steps=args.get_warmup_steps(total),
                              num_training_steps=total, scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    out = []
    for step in range(total + extra):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        if step == reload_at:
            sched.load_state_dict(copy.deepcopy(sched.state_dict()))
    return np.asarray(out)[None]


def _yaml(fields: dict) -> str:
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items())


#: ScheduleInitTest.test_schedulers: (type, lr_scheduler_kwargs, warmup steps, expected lrs), lr 10, N = 10
SCHEDULE_INIT = {
    "constant": ({}, 0, [10.0] * 10),
    "constant_with_warmup": ({}, 4, [0.0, 2.5, 5.0, 7.5, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]),
    "linear": ({}, 2, [0.0, 5.0, 10.0, 8.75, 7.5, 6.25, 5.0, 3.75, 2.5, 1.25]),
    "cosine": ({}, 2, [0.0, 5.0, 10.0, 9.61, 8.53, 6.91, 5.0, 3.08, 1.46, 0.38]),
    "cosine_with_restarts": ({"num_cycles": 2}, 2, [0.0, 5.0, 10.0, 8.53, 5.0, 1.46, 10.0, 8.53, 5.0, 1.46]),
    "polynomial": ({"power": 2.0, "lr_end": 1e-7}, 2, [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156]),
    "inverse_sqrt": ({}, 2, [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714]),
}
#: how a user writes the 10 training steps and the warmup: (lrbridge document, fields for TrainingArguments)
SPELLINGS = ("yaml-max_steps", "json-epochs-accumulation", "yaml-warmup-fraction", "yaml-warmup_ratio-v4",
             "saved-to_dict", "yaml-kwargs-json-string")


def _hf_doc(kind: str, spelling: str):
    kwargs, warm, _ = SCHEDULE_INIT[kind]
    base = {"learning_rate": 10.0, "lr_scheduler_type": kind}
    if kwargs:
        base["lr_scheduler_kwargs"] = kwargs
    native = {**base, "warmup_steps": warm, "max_steps": 10}
    if spelling == "yaml-max_steps":
        return _yaml({**base, "warmup_steps": warm, "max_steps": 10}), "yaml", native
    if spelling == "json-epochs-accumulation":  # 2 epochs of ⌈20 batches / 4⌉ = 5 updates
        doc = {**base, "warmup_steps": warm, "num_train_epochs": 2, "batches_per_epoch": 20,
               "gradient_accumulation_steps": 4, "per_device_train_batch_size": 8}
        return json.dumps(doc), "json", native
    if spelling == "yaml-warmup-fraction":  # transformers 5: warmup_steps below 1 is a fraction of N
        return _yaml({**base, "warmup_steps": warm / 10, "max_steps": 10}), "yaml", {**native, "warmup_steps": warm / 10}
    if spelling == "yaml-warmup_ratio-v4":  # transformers 4 spelling (5.x dropped the field)
        return _yaml({**base, "warmup_ratio": warm / 10, "max_steps": 10}), "yaml", native
    if spelling == "saved-to_dict":  # the training_args.json a Trainer run leaves
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            saved = TrainingArguments(output_dir="/tmp/lrbridge-hf-replay", report_to=[], **native).to_dict()
        return json.dumps(saved), "json", native
    # the CLI / YAML form of a dict field: a JSON string that TrainingArguments parses itself
    doc = {**base, "warmup_steps": warm, "max_steps": 10}
    doc["lr_scheduler_kwargs"] = json.dumps(kwargs)
    return _yaml(doc), "yaml", {**native, "lr_scheduler_kwargs": json.dumps(kwargs)}


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("kind", list(SCHEDULE_INIT))
def test_hf_schedule_init(kind, spelling):
    """test_optimization.py ScheduleInitTest.test_schedulers, one config per scheduler, as users write it."""
    text, fmt, native_fields = _hf_doc(kind, spelling)
    result = _read(text, fmt, "transformers")
    assert result.plan.horizon.steps == 10
    native = hf_native(native_fields, 10, reload_at=10 // 2)  # the upstream save/reload at step 5
    ours = _ours(result.plan, native.shape[1])
    cmp = compare(ours, native, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{kind} ({spelling}): {cmp}"
    expected = SCHEDULE_INIT[kind][2]
    np.testing.assert_allclose(ours[0, :10], expected, rtol=0, atol=1e-2)  # the upstream tolerance


#: TrainerLRTest: lr 0.2, warmup_steps 2, create_optimizer_and_scheduler(num_training_steps=10)
TRAINER_LR = {
    "test_lr_scheduler_kwargs": ("polynomial", {"power": 5.0, "lr_end": 1e-5}),
    "test_cosine_with_min_lr_scheduler": ("cosine_with_min_lr", {"min_lr": 1e-5}),
    "test_cosine_with_min_lr_schedule_with_warmup_lr_rate": ("cosine_warmup_with_min_lr", {"min_lr": 1e-5}),
}


@pytest.mark.parametrize("test_name", list(TRAINER_LR))
def test_hf_trainer_lr(test_name):
    kind, kwargs = TRAINER_LR[test_name]
    fields = {"learning_rate": 0.2, "lr_scheduler_type": kind, "lr_scheduler_kwargs": kwargs, "warmup_steps": 2,
              "max_steps": 10}
    plan = _read(_yaml(fields), "yaml", "transformers").plan
    native = hf_native(fields, 10)
    ours = _ours(plan, native.shape[1])
    assert compare(ours, native, metric="rel", tolerance=REL_TOL).ok
    if kind == "cosine_with_min_lr":  # "Check the last learning rate": after 10 steps, exactly min_lr
        assert ours[0, 10] == pytest.approx(1e-5, rel=REL_TOL)
    if kind == "cosine_warmup_with_min_lr":  # step_lrs[0] == 0.1, step_lrs[1] == 0.2, step_lrs[-1] == 1e-5
        assert ours[0, 0] == pytest.approx(0.1, rel=REL_TOL) and ours[0, 1] == pytest.approx(0.2, rel=REL_TOL)
        assert ours[0, 9] == pytest.approx(1e-5, rel=REL_TOL)


@pytest.mark.parametrize("kwargs", [None, {"factor": 0.2, "patience": 5, "cooldown": 2}],
                         ids=["test_reduce_lr_on_plateau", "test_reduce_lr_on_plateau_args"])
def test_hf_reduce_lr_on_plateau(kwargs):
    """The plateau tests give epochs but no epoch length: the scheduler needs none, so neither does lrbridge."""
    fields = {"lr_scheduler_type": "reduce_lr_on_plateau", "eval_strategy": "epoch",
              "metric_for_best_model": "eval_loss", "num_train_epochs": 10, "learning_rate": 0.2}
    if kwargs:
        fields["lr_scheduler_kwargs"] = kwargs
    result = _read(_yaml(fields), "yaml", "transformers")
    node = result.plan.scheduler
    assert not result.exact and node.kind == "reduce_on_plateau"
    assert result.plan.horizon.steps is None and any("training length" in n for n in result.notes)
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=0.2)
    native = get_scheduler("reduce_lr_on_plateau", opt, scheduler_specific_kwargs=kwargs)
    assert (node.mode, node.factor, node.patience, node.threshold, node.threshold_mode, node.cooldown,
            node.min_lr, node.eps) == (native.mode, native.factor, native.patience, native.threshold,
                                       native.threshold_mode, native.cooldown, native.min_lrs[0], native.eps)


def test_hf_greedy_is_refused_for_what_it_is():
    """test_greedy_lr: greedy with its own kwargs (patience, factor); the refusal names greedy, not a kwarg."""
    fields = {"lr_scheduler_type": "greedy", "lr_scheduler_kwargs": {"patience": 1, "factor": 0.5},
              "eval_strategy": "epoch", "metric_for_best_model": "eval_loss", "num_train_epochs": 10,
              "learning_rate": 0.2}
    with pytest.raises(PlanError) as info:
        _read(_yaml(fields), "yaml", "transformers")
    assert info.value.path == "lr_scheduler_type" and "GreedyLR" in str(info.value) and "trace" in str(info.value)


#: types of the installed transformers that ScheduleInitTest does not list, in realistic documents
EXTRA_HF = {
    "cosine_with_min_lr-rate-epochs": {"lr_scheduler_type": "cosine_with_min_lr", "learning_rate": 5e-5,
                                       "lr_scheduler_kwargs": {"min_lr_rate": 0.1}, "warmup_steps": 0.03,
                                       "num_train_epochs": 3, "batches_per_epoch": 37, "gradient_accumulation_steps": 2},
    "cosine_with_min_lr-cycles": {"lr_scheduler_type": "cosine_with_min_lr", "learning_rate": 5e-5, "warmup_steps": 15,
                                  "lr_scheduler_kwargs": {"num_cycles": 4, "min_lr": 1e-6}, "max_steps": 120},
    "cosine_warmup_with_min_lr": {"lr_scheduler_type": "cosine_warmup_with_min_lr", "learning_rate": 3e-4,
                                  "lr_scheduler_kwargs": {"min_lr_rate": 0.1, "warmup_lr_rate": 0.05},
                                  "warmup_steps": 0.1, "max_steps": 57},
    "warmup_stable_decay-json-string": {"lr_scheduler_type": "warmup_stable_decay", "learning_rate": 1e-3,
                                        "lr_scheduler_kwargs": '{"num_decay_steps": 20, "min_lr_ratio": 0.1, '
                                                               '"decay_type": "1-sqrt"}',
                                        "warmup_steps": 10, "max_steps": 100},
    "inverse_sqrt-timescale": {"lr_scheduler_type": "inverse_sqrt", "learning_rate": 1e-3, "warmup_steps": 0.2,
                               "lr_scheduler_kwargs": {"timescale": 7}, "max_steps": 50},
    "cosine_with_restarts-epochs": {"lr_scheduler_type": "cosine_with_restarts", "learning_rate": 1e-4,
                                    "lr_scheduler_kwargs": {"num_cycles": 3}, "warmup_steps": 5,
                                    "num_train_epochs": 2.5, "batches_per_epoch": 9},
}


@pytest.mark.parametrize("name", list(EXTRA_HF))
def test_hf_installed_types(name):
    fields = EXTRA_HF[name]
    result = _read(_yaml(fields), "yaml", "transformers")
    total = result.plan.horizon.steps
    if "batches_per_epoch" in fields:  # Trainer: ⌈epochs · max(⌈batches / accumulation⌉, 1)⌉
        per_epoch = max(math.ceil(fields["batches_per_epoch"] / fields.get("gradient_accumulation_steps", 1)), 1)
        assert total == math.ceil(fields["num_train_epochs"] * per_epoch)
    native = hf_native({**{k: v for k, v in fields.items() if k != "num_train_epochs"}, "max_steps": total}, total)
    cmp = compare(_ours(result.plan, native.shape[1]), native, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{name}: {cmp}"


#: configs transformers runs that lrbridge used to refuse (regressions): the warmup outlasting the training
EDGE_HF = {
    "polynomial-warmup-beyond-N": {"lr_scheduler_type": "polynomial", "learning_rate": 3e-4, "warmup_steps": 12,
                                   "lr_scheduler_kwargs": {"lr_end": 1e-6, "power": 2.0}, "max_steps": 8},
    "wsd-warmup-plus-decay-beyond-N": {"lr_scheduler_type": "warmup_stable_decay", "learning_rate": 3e-4,
                                       "warmup_steps": 0.5, "max_steps": 17,
                                       "lr_scheduler_kwargs": {"num_decay_steps": 12, "min_lr_ratio": 0.1}},
    "wsd-decay-never-reached": {"lr_scheduler_type": "warmup_stable_decay", "learning_rate": 3e-4,
                                "warmup_steps": 0.999, "max_steps": 17,
                                "lr_scheduler_kwargs": {"num_decay_steps": 3, "decay_type": "1-sqrt"}},
    "wsd-negative-stable-given": {"lr_scheduler_type": "warmup_stable_decay", "learning_rate": 3e-4,
                                  "warmup_steps": 4, "max_steps": 20,
                                  "lr_scheduler_kwargs": {"num_decay_steps": 9, "num_stable_steps": -3,
                                                          "decay_type": "linear"}},
}


@pytest.mark.parametrize("name", list(EDGE_HF))
def test_hf_warmup_beyond_the_training(name):
    fields = EDGE_HF[name]
    plan = _read(_yaml(fields), "yaml", "transformers").plan
    native = hf_native(fields, fields["max_steps"], extra=10)
    cmp = compare(_ours(plan, native.shape[1]), native, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{name}: {cmp}"


def test_hf_polynomial_warmup_equal_to_training_is_refused():
    """warmup = N: the scheduler step after the last update computes (N − W)/(N − W) in transformers."""
    fields = {"lr_scheduler_type": "polynomial", "learning_rate": 3e-4, "warmup_steps": 8, "max_steps": 8}
    with pytest.raises(ZeroDivisionError):
        hf_native(fields, 8, extra=1)
    with pytest.raises(PlanError) as info:
        get("transformers").to_plan(fields)
    assert info.value.path == "warmup_steps" and "divides by zero" in str(info.value) and "fewer" in str(info.value)


def test_hf_length_free_types_need_no_length():
    """constant, constant_with_warmup, inverse_sqrt (warmup in steps) and WSD with num_stable_steps never use N."""
    cases = [
        ({"lr_scheduler_type": "constant_with_warmup", "warmup_steps": 5}, None),
        ({"lr_scheduler_type": "inverse_sqrt", "warmup_steps": 5, "lr_scheduler_kwargs": {"timescale": 3}}, None),
        ({"lr_scheduler_type": "warmup_stable_decay", "warmup_steps": 3,
          "lr_scheduler_kwargs": {"num_decay_steps": 4, "num_stable_steps": 5}}, None),
        ({"lr_scheduler_type": "constant_with_warmup", "warmup_steps": 0.1}, "max_steps"),
        ({"lr_scheduler_type": "cosine", "warmup_steps": 5}, "max_steps"),
    ]
    for fields, refused_at in cases:
        doc = {"learning_rate": 1e-3, "num_train_epochs": 3, **fields}
        if refused_at:
            with pytest.raises(PlanError, match="batches_per_epoch"):
                get("transformers").to_plan(doc)
            continue
        plan = get("transformers").to_plan(doc).plan
        assert plan.horizon.steps is None
        native = hf_native({**fields, "learning_rate": 1e-3, "max_steps": 30}, 30)
        assert compare(_ours(plan, native.shape[1]), native, metric="rel", tolerance=REL_TOL).ok, fields


def test_hf_kwargs_string_that_is_not_json_is_a_clear_error():
    with pytest.raises(PlanError, match=r"lr_scheduler_kwargs.*JSON"):
        get("transformers").to_plan({"lr_scheduler_type": "cosine", "max_steps": 10, "lr_scheduler_kwargs": "num_cycles=2"})


# --------------------------------------------------------------------------------------------
# timm
# --------------------------------------------------------------------------------------------


if importlib.util.find_spec("timm") is not None:
    from test_timm import timm_loop, timm_scheduler  # noqa: E402  (timm.scheduler without torchvision; train.py's loop)
else:
    timm_scheduler = None
needs_timm = pytest.mark.skipif(timm_scheduler is None, reason="timm is not installed")

#: train.py's argparse defaults for the schedule keys (an args.yaml holds them all)
TRAIN_PY_ARGS = {
    "sched": "cosine", "epochs": 300, "decay_epochs": 90, "decay_milestones": [90, 180, 270], "warmup_epochs": 5,
    "cooldown_epochs": 0, "patience_epochs": 10, "decay_rate": 0.1, "min_lr": 0.0, "warmup_lr": 1e-5,
    "warmup_prefix": False, "lr_noise": None, "lr_noise_pct": 0.67, "lr_noise_std": 1.0, "seed": 42,
    "lr_cycle_mul": 1.0, "lr_cycle_decay": 0.5, "lr_cycle_limit": 1, "lr_k_decay": 1.0, "sched_on_updates": False,
    "eval_metric": "top1", "opt": "sgd", "momentum": 0.9, "weight_decay": 2e-5,
}


def timm_native(args: dict, epochs: int, upe: int, groups: int = 1) -> np.ndarray:
    """timm's train.py: create_scheduler(args, optimizer, updates_per_epoch), then step_update(num_updates)
    after every update and step(epoch + 1) after every epoch. The lr each group holds at each update."""
    opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)], lr=args["lr"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched, _ = timm_scheduler.create_scheduler(types.SimpleNamespace(**args), opt, updates_per_epoch=upe)
    return timm_loop(opt, sched, epochs, upe, offset=1)


def timm_args(**changes) -> dict:
    return {**TRAIN_PY_ARGS, "lr": 0.1, **changes}


def _timm_read(args: dict, upe: int):
    doc = {**args, "updates_per_epoch": upe}
    return _read(_yaml(doc), "yaml", "timm")


def assert_timm_same(args: dict, epochs: int, upe: int, groups: int = 1):
    plan = _timm_read(args, upe).plan
    native = timm_native(args, epochs, upe, groups)
    ours = _ours(plan, native.shape[1])
    cmp = compare(ours, native, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{args}: {cmp}"
    return ours[0], plan


#: the scheduler classes' defaults the upstream tests rely on, as train.py arguments
CLASS_DEFAULTS = {
    "cosine": dict(sched="cosine", epochs=100, warmup_epochs=0, warmup_lr=0.0, lr_cycle_decay=1.0),
    "step": dict(sched="step", decay_epochs=10, decay_rate=1.0, warmup_epochs=0, warmup_lr=0.0),
    "multistep": dict(sched="multistep", decay_milestones=[10, 20, 30], decay_rate=1.0, warmup_epochs=0,
                      warmup_lr=0.0, warmup_prefix=True),
    "poly": dict(sched="poly", epochs=100, decay_rate=0.5, warmup_epochs=0, warmup_lr=0.0, lr_cycle_decay=1.0),
    "tanh": dict(sched="tanh", epochs=100, warmup_epochs=0, warmup_lr=0.0, lr_cycle_decay=1.0),
}


@needs_timm
@pytest.mark.parametrize("name", list(CLASS_DEFAULTS))
def test_timm_scheduler_step(name):
    """TestSchedulerBasics.test_scheduler_step: ten epochs, the lr never rises above the initial one."""
    ours, _ = assert_timm_same(timm_args(**CLASS_DEFAULTS[name]), 12, 2)
    assert ours[2 * 10 - 1] <= ours[0]


@needs_timm
@pytest.mark.parametrize("name", list(CLASS_DEFAULTS))
def test_timm_warmup_lr_increases(name):
    """TestWarmup.test_warmup_lr_increases: warmup_t 5 from 0.001 to 0.1, built at warmup_lr, then rising."""
    ours, _ = assert_timm_same(timm_args(**{**CLASS_DEFAULTS[name], "warmup_epochs": 5, "warmup_lr": 0.001}), 8, 1)
    assert ours[0] == pytest.approx(0.001, rel=1e-5)
    assert all(ours[e] > ours[e - 1] for e in range(1, 5))


@needs_timm
@pytest.mark.parametrize("name", list(CLASS_DEFAULTS))
def test_timm_warmup_prefix_reaches_target_lr(name):
    """TestWarmup.test_warmup_prefix_reaches_target_lr: with the prefix, epoch warmup_t runs at the base lr."""
    decay = {"decay_rate": 0.5} if name in ("step", "multistep") else {}
    args = timm_args(**{**CLASS_DEFAULTS[name], **decay, "warmup_epochs": 5, "warmup_lr": 0.001, "warmup_prefix": True})
    ours, _ = assert_timm_same(args, 8, 1)
    assert ours[5] == pytest.approx(0.1, rel=1e-5)


@needs_timm
def test_timm_cosine_decay():
    """TestCosineScheduler.test_cosine_decay: base at t 0, the mid value at t 50, lr_min at t 100."""
    ours, _ = assert_timm_same(timm_args(**CLASS_DEFAULTS["cosine"], min_lr=0.001), 102, 1)
    assert ours[0] == pytest.approx(0.1, rel=1e-5)
    assert ours[50] == pytest.approx(0.001 + 0.5 * (0.1 - 0.001) * (1 + math.cos(math.pi * 0.5)), rel=1e-2)
    assert ours[100] == pytest.approx(0.001, rel=1e-5)


@needs_timm
def test_timm_cosine_cycles():
    """TestCosineScheduler.test_cosine_cycles: two cycles of 50, then lr_min from t 100 on."""
    args = timm_args(**{**CLASS_DEFAULTS["cosine"], "epochs": 50, "min_lr": 0.001, "lr_cycle_limit": 2})
    ours, plan = assert_timm_same(args, 112, 1)
    assert ours[49] < 0.1 * 0.5
    assert ours[109] == pytest.approx(0.001, rel=1e-5)
    assert plan.horizon.steps == 100


@needs_timm
@pytest.mark.parametrize("warm,prefix,length", [(0, False, 100), (10, True, 110)])
def test_timm_get_cycle_length(warm, prefix, length):
    """TestCosineScheduler.test_get_cycle_length: 100, or 110 with a 10-epoch warmup prefix: the plan's horizon."""
    args = timm_args(**{**CLASS_DEFAULTS["cosine"], "warmup_epochs": warm, "warmup_prefix": prefix})
    assert _timm_read(args, 3).plan.horizon.steps == length * 3


@needs_timm
def test_timm_step_decay():
    """TestStepScheduler.test_step_decay: decay_t 10, rate 0.5: t 9 base, t 10 half, t 20 quarter."""
    ours, _ = assert_timm_same(timm_args(**{**CLASS_DEFAULTS["step"], "decay_rate": 0.5}), 22, 1)
    assert (ours[9], ours[10], ours[20]) == pytest.approx((0.1, 0.05, 0.025), rel=1e-5)


@needs_timm
def test_timm_multistep_decay():
    """TestMultiStepScheduler.test_multistep_decay: milestones 10, 20, 30 (rate 0.5) checked at t 8, 11, 21, 31."""
    ours, _ = assert_timm_same(timm_args(**{**CLASS_DEFAULTS["multistep"], "decay_rate": 0.5}), 33, 1)
    assert (ours[8], ours[11], ours[21], ours[31]) == pytest.approx((0.1, 0.05, 0.025, 0.0125), rel=1e-5)


@needs_timm
def test_timm_multistep_boundary_follows_the_installed_timm():
    """test_multistep_decay_boundary (timm commit 0514e98d) expects milestone 10 to apply from t = 10; the
    installed timm keeps its long-standing t + 1 comparison (milestone m from t = m − 1, see its
    get_curr_decay_steps) and so does lrbridge: the plan follows the timm that runs."""
    ours, _ = assert_timm_same(timm_args(**{**CLASS_DEFAULTS["multistep"], "decay_milestones": [10, 20],
                                            "decay_rate": 0.5}), 22, 1)
    probe = timm_scheduler.MultiStepLRScheduler(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1),
                                                decay_t=[10, 20], decay_rate=0.5)
    probe.step(9)
    assert ours[9] == pytest.approx(probe.optimizer.param_groups[0]["lr"], rel=REL_TOL)


@needs_timm
def test_timm_poly_decay():
    """TestPolyScheduler.test_poly_decay: power 1, lr_min 0.001: base at t 0, lr_min at t 100."""
    ours, _ = assert_timm_same(timm_args(**{**CLASS_DEFAULTS["poly"], "decay_rate": 1.0}, min_lr=0.001), 102, 1)
    assert ours[0] == pytest.approx(0.1, rel=1e-5) and ours[100] == pytest.approx(0.001, rel=1e-5)


@needs_timm
def test_timm_tanh_decay():
    """TestTanhScheduler.test_tanh_decay: the lr at t 100 is below the lr at t 0."""
    ours, _ = assert_timm_same(timm_args(**CLASS_DEFAULTS["tanh"], min_lr=0.001), 101, 1)
    assert ours[100] < ours[0]


#: TestStepUpdate: the same classes with t_in_epochs=False, in updates: 10 updates per epoch
STEP_UPDATE = {
    "cosine": dict(sched="cosine", epochs=10),
    "step": dict(sched="step", decay_epochs=1, decay_rate=0.5),
    "multistep": dict(sched="multistep", decay_milestones=[1, 2, 3], decay_rate=0.5, warmup_prefix=True),
    "poly": dict(sched="poly", epochs=10, decay_rate=0.5),
    "tanh": dict(sched="tanh", epochs=10),
}


@needs_timm
@pytest.mark.parametrize("name", list(STEP_UPDATE))
def test_timm_step_update_with_t_in_epochs_false(name):
    """TestStepUpdate: sched_on_updates; the lr has moved by update 50."""
    args = timm_args(**{**CLASS_DEFAULTS[name], **STEP_UPDATE[name]}, sched_on_updates=True)
    ours, _ = assert_timm_same(args, 6, 10)
    assert ours[50] != ours[0]


@needs_timm
@pytest.mark.parametrize("name", list(CLASS_DEFAULTS))
def test_timm_multiple_param_groups(name):
    """TestMultipleParamGroups: three groups, each follows the schedule."""
    args = timm_args(**CLASS_DEFAULTS[name])
    args["param_groups"] = [{"name": f"g{i}", "params": [f"p{i}"]} for i in range(3)]
    ours, plan = assert_timm_same(args, 20, 1, groups=3)
    assert len(plan.groups) == 3 and ours[19] <= ours[0]


@needs_timm
@pytest.mark.parametrize("name", ["cosine", "step", "poly", "tanh"])
@pytest.mark.parametrize("spelling", ["lr_noise", "noise"])
def test_timm_noise_is_refused(name, spelling):
    """TestNoise: noise_range_t (10, 50) of 100, noise_pct 0.5, seed 42: seeded per-step noise has no closed form."""
    args = timm_args(**CLASS_DEFAULTS[name], lr_noise_pct=0.5, seed=42)
    if spelling == "noise":  # create_scheduler_v2's own name
        args = {k: v for k, v in args.items() if k != "lr_noise"}
    args[spelling] = [0.1, 0.5]
    with pytest.raises(PlanError) as info:
        _timm_read(args, 1)
    message = str(info.value)
    assert info.value.path == spelling and "\n" not in message
    assert "noise" in message and "remove" in message and "trace" in message


@needs_timm
@pytest.mark.parametrize("name", ["cosine", "poly"])
def test_timm_k_decay(name):
    """TestKDecay: k_decay 2 and 1 give different lrs at t 50; both match timm."""
    k1, _ = assert_timm_same(timm_args(**CLASS_DEFAULTS[name]), 100, 1)
    k2, _ = assert_timm_same(timm_args(**CLASS_DEFAULTS[name], lr_k_decay=2.0), 100, 1)
    assert k1[50] != k2[50]


@needs_timm
def test_timm_plateau():
    """TestSchedulerBasics.test_plateau_scheduler_step: PlateauLRScheduler(patience_t=2, decay_rate=0.5), metric-driven."""
    args = timm_args(sched="plateau", patience_epochs=2, decay_rate=0.5, warmup_epochs=0, eval_metric="loss")
    result = _timm_read(args, 1)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    native = timm_scheduler.create_scheduler(types.SimpleNamespace(**args), opt)[0].lr_scheduler
    node = result.plan.scheduler
    assert not result.exact and node.kind == "reduce_on_plateau"
    assert (node.mode, node.factor, node.patience, node.cooldown, node.min_lr) == (
        native.mode, native.factor, native.patience, native.cooldown, native.min_lrs[0])


#: create_scheduler argument combinations beyond the upstream tests, in train.py's names
TRAIN_PY_COMBOS = {
    "cosine-restarts-mul2-prefix": dict(sched="cosine", epochs=4, warmup_epochs=2, warmup_prefix=True,
                                        lr_cycle_mul=2.0, lr_cycle_limit=3, lr_cycle_decay=0.5, min_lr=1e-4,
                                        cooldown_epochs=2),
    "cosine-updates-kdecay": dict(sched="cosine", epochs=6, warmup_epochs=1, sched_on_updates=True, lr_k_decay=1.5,
                                  min_lr=1e-5),
    "tanh-warmup-no-prefix": dict(sched="tanh", epochs=8, warmup_epochs=3, warmup_lr=1e-4, lr_cycle_limit=2),
    "poly-updates-cycles": dict(sched="poly", epochs=5, decay_rate=2.0, warmup_epochs=1, sched_on_updates=True,
                                lr_cycle_limit=2, lr_cycle_mul=1.5),
    "step-2.4-updates": dict(sched="step", epochs=10, decay_epochs=2.4, decay_rate=0.97, warmup_epochs=3,
                             sched_on_updates=True),
    "multistep-warmup": dict(sched="multistep", epochs=10, decay_milestones=[3, 6, 8], decay_rate=0.2,
                             warmup_epochs=2),
    "constant-warmup": dict(sched="constant", epochs=6, warmup_epochs=2),
    "wsd-linear": dict(sched="wsd", epochs=12, decay_epochs=0.25, lr_decay_fn="linear", min_lr=1e-4,
                       warmup_epochs=2, cooldown_epochs=1),
    "wsd-updates-fraction": dict(sched="wsd", epochs=8, warmup_epochs=1, sched_on_updates=True, decay_epochs=0.2,
                                 lr_decay_fn=None),
}


@needs_timm
@pytest.mark.parametrize("name", list(TRAIN_PY_COMBOS))
def test_timm_train_py_combinations(name):
    args = timm_args(**TRAIN_PY_COMBOS[name])
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, num_epochs = timm_scheduler.create_scheduler(types.SimpleNamespace(**args), opt, updates_per_epoch=3)
    _, plan = assert_timm_same(args, num_epochs + 1, 3)
    assert plan.horizon.steps == num_epochs * 3


@needs_timm
def test_timm_rsqrt_refusal_is_one_line():
    """create_scheduler's rsqrt (a decaying stable phase times the cooldown) has no mapping: say what, where, how."""
    with pytest.raises(PlanError) as info:
        _timm_read(timm_args(sched="rsqrt", epochs=10), 1)
    message = str(info.value)
    assert info.value.path == "sched" and "\n" not in message and "rsqrt" in message and "wsd" in message
