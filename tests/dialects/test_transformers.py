"""transformers dialect vs transformers itself.

The scheduler is what ``Trainer.create_scheduler`` builds: ``get_scheduler(type,
optimizer, num_warmup_steps=TrainingArguments.get_warmup_steps(N),
num_training_steps=N, scheduler_specific_kwargs=lr_scheduler_kwargs)`` on a real
torch AdamW holding the Trainer's decay / no-decay groups, stepped after every
optimizer update as the Trainer does. The lr each group holds when
``optimizer.step()`` runs must equal lrbridge's ``evaluate`` of the dialect's plan at
relative error ≤ 1e-12, for every SchedulerType with a closed form.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from transformers import TrainingArguments, get_scheduler  # noqa: E402
from transformers.trainer_utils import SchedulerType  # noqa: E402

from lrbridge.conformance import compare  # noqa: E402
from lrbridge.dialects import get  # noqa: E402
from lrbridge.errors import PlanError  # noqa: E402
from lrbridge.groups import assign_params  # noqa: E402
from lrbridge.reference import evaluate  # noqa: E402

REL_TOL = 1e-12
LR = 3e-4


def hf_args(**fields) -> TrainingArguments:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TrainingArguments(output_dir="/tmp/lrbridge-hf-test", report_to=[], **fields)


def run_hf(fields: dict, total: int, extra: int = 10) -> np.ndarray:
    """Applied lr per group (decay, no-decay) per update, as the Trainer builds and steps the scheduler."""
    args = hf_args(**fields)
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "weight_decay": args.weight_decay},
              {"params": [torch.nn.Parameter(torch.zeros(1))], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=args.learning_rate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # WSD warns when given both the training and the stable steps
        sched = get_scheduler(args.lr_scheduler_type, opt, num_warmup_steps=args.get_warmup_steps(total),
                              num_training_steps=total, scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    out = []
    for _ in range(total + extra):
        out.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step()
    return np.asarray(out).T


def assert_same(fields: dict, total: int):
    native = run_hf({**fields, "max_steps": total}, total)
    plan = get("transformers").to_plan({**fields, "max_steps": total}).plan
    ours = evaluate(plan, native.shape[1])
    cmp = compare(ours, native[: ours.shape[0]], metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{fields}, N={total}: {cmp}"


WARMUPS = (0, 1, 7, 0.1, 0.35)
TOTALS = (1, 8, 50, 101)


def _grid(kind, kwargs_list):
    for kw, warm, total in itertools.product(kwargs_list, WARMUPS, TOTALS):
        yield pytest.param(kind, kw, warm, total, id=f"{kind}-{kw}-w{warm}-N{total}")


CASES = [
    *_grid("linear", [{}]),
    *_grid("constant", [{}]),
    *_grid("constant_with_warmup", [{}]),
    *_grid("cosine", [{}, {"num_cycles": 1.5}, {"num_cycles": 0.25}]),
    *_grid("cosine_with_restarts", [{}, {"num_cycles": 3}]),
    *_grid("inverse_sqrt", [{}, {"timescale": 13}]),
    *_grid("cosine_with_min_lr", [{"min_lr": 1e-5}, {"min_lr_rate": 0.1, "num_cycles": 1.0}]),
    *_grid("cosine_warmup_with_min_lr", [{"min_lr_rate": 0.05}, {"min_lr": 3e-6, "warmup_lr_rate": 0.2}]),
]


@pytest.mark.parametrize("kind,kwargs,warm,total", CASES)
def test_scheduler_types(kind, kwargs, warm, total):
    fields = {"learning_rate": LR, "lr_scheduler_type": kind, "warmup_steps": warm, "weight_decay": 0.01}
    if kwargs:
        fields["lr_scheduler_kwargs"] = kwargs
    assert_same(fields, total)


@pytest.mark.parametrize("warm,total", [(0, 8), (1, 8), (7, 50), (0.1, 101), (0.35, 50)])
@pytest.mark.parametrize("kwargs", [{}, {"lr_end": 1e-6, "power": 2.0}, {"lr_end": 0.0, "power": 0.5}])
def test_polynomial(kwargs, warm, total):
    fields = {"learning_rate": LR, "lr_scheduler_type": "polynomial", "warmup_steps": warm}
    if kwargs:
        fields["lr_scheduler_kwargs"] = kwargs
    assert_same(fields, total)


@pytest.mark.parametrize("up,down", list(itertools.product(("linear", "cosine", "1-sqrt"), repeat=2)))
@pytest.mark.parametrize("stable,decay,warm,ratio", [(None, 10, 5, 0.0), (4, 9, 0, 0.1), (20, 1, 3, 0.02), (None, 30, 0.2, 0.0)])
def test_warmup_stable_decay(up, down, stable, decay, warm, ratio):
    kw = {"num_decay_steps": decay, "warmup_type": up, "decay_type": down, "min_lr_ratio": ratio}
    if stable is not None:
        kw["num_stable_steps"] = stable
    fields = {"learning_rate": LR, "lr_scheduler_type": "warmup_stable_decay", "warmup_steps": warm,
              "lr_scheduler_kwargs": kw}
    assert_same(fields, 60)


def test_every_installed_scheduler_type_is_known():
    hf = get("transformers")
    assert {t.value for t in SchedulerType} == set(hf.SCHEDULER_TYPES)


def test_warmup_ratio_rounds_up():
    """transformers' get_warmup_steps: a float below 1 is a ratio of N, rounded up (0.1 of 101 is 11)."""
    assert hf_args(warmup_steps=0.1).get_warmup_steps(101) == 11
    hf = get("transformers")
    assert hf.warmup_steps({"warmup_steps": 0.1, "warmup_ratio": 0.0}, 101) == 11
    assert hf.warmup_steps({"warmup_steps": 0, "warmup_ratio": 0.1}, 101) == 11  # transformers 4 spelling


@pytest.mark.parametrize("batches,accum,epochs", [(100, 1, 3), (101, 4, 2), (7, 8, 1.5), (10, 3, 0.5)])
def test_epochs_and_accumulation(batches, accum, epochs):
    """N = ⌈epochs · max(⌈batches / accum⌉, 1)⌉ (Trainer.set_initial_training_values)."""
    fields = {"learning_rate": LR, "lr_scheduler_type": "linear", "num_train_epochs": epochs,
              "batches_per_epoch": batches, "gradient_accumulation_steps": accum, "warmup_steps": 0.1}
    plan = get("transformers").to_plan(fields).plan
    per_epoch = max(math.ceil(batches / accum), 1)
    total = math.ceil(epochs * per_epoch)
    assert plan.horizon.steps == total
    native = run_hf({k: v for k, v in fields.items() if k != "batches_per_epoch"}, total)
    cmp = compare(evaluate(plan, native.shape[1]), native[:1], metric="rel", tolerance=REL_TOL)
    assert cmp.ok, cmp


def test_decay_groups_match_the_trainer():
    """The no-decay selector picks what Trainer.get_decay_parameter_names leaves out (by name)."""
    from transformers import Trainer

    model = torch.nn.Module()
    model.encoder = torch.nn.Module()
    model.encoder.dense = torch.nn.Linear(2, 2)
    model.encoder.LayerNorm = torch.nn.Linear(2, 2)  # a LayerNorm by name only
    model.encoder.q_norm = torch.nn.Linear(2, 2)
    model.norm = torch.nn.Linear(2, 2)
    model.normalizer = torch.nn.Linear(2, 2)
    model.final_rmsnorm = torch.nn.Linear(2, 2)
    model.head = torch.nn.Linear(2, 2)
    decay = set(Trainer.get_decay_parameter_names(None, model))
    names = [n for n, _ in model.named_parameters()]
    plan = get("transformers").to_plan({"learning_rate": LR, "weight_decay": 0.1, "max_steps": 10}).plan
    owned = assign_params(plan.groups, names)
    assert set(owned["decay"]) == decay
    assert set(owned["no_decay"]) == set(names) - decay
    assert plan.group_weight_decay(plan.groups[1]) == 0.0 and plan.group_weight_decay(plan.groups[0]) == 0.1


def test_refusals():
    hf = get("transformers")
    with pytest.raises(PlanError, match="greedy"):
        hf.to_plan({"lr_scheduler_type": "greedy", "max_steps": 10})
    with pytest.raises(PlanError, match="num_cycles"):
        hf.to_plan({"lr_scheduler_type": "linear", "max_steps": 10, "lr_scheduler_kwargs": {"num_cycles": 2}})
    with pytest.raises(PlanError, match="min_lr"):
        hf.to_plan({"lr_scheduler_type": "cosine_with_min_lr", "max_steps": 10})
    with pytest.raises(PlanError, match="batches_per_epoch"):
        hf.to_plan({"lr_scheduler_type": "linear", "num_train_epochs": 3})
    with pytest.raises(PlanError, match="did you mean 'learning_rate'"):
        hf.to_plan({"learning_rat": 1e-3, "lr_scheduler_type": "linear", "max_steps": 10})
    saved = hf.to_plan({"learning_rate": 1e-3, "lr_scheduler_type": "linear", "max_steps": 10, "torch_compile": False})
    assert any("torch_compile" in n for n in saved.notes)
    plateau = hf.to_plan({"lr_scheduler_type": "reduce_lr_on_plateau", "max_steps": 10,
                          "lr_scheduler_kwargs": {"patience": 2, "factor": 0.5}})
    assert not plateau.exact and plateau.plan.scheduler.kind == "reduce_on_plateau"


def test_a_saved_training_args_dump_reads_as_it_is():
    """``TrainingArguments.to_dict()`` (what the Trainer saves) reads without edits and gives the same lrs."""
    fields = {"learning_rate": LR, "lr_scheduler_type": "cosine", "warmup_steps": 0.1, "weight_decay": 0.01}
    doc = hf_args(**fields, max_steps=50).to_dict()
    result = get("transformers").to_plan(doc)
    native = run_hf({**fields, "max_steps": 50}, 50)
    assert compare(evaluate(result.plan, native.shape[1]), native, metric="rel", tolerance=REL_TOL).ok
