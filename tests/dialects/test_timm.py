"""timm dialect vs timm itself: the lr each optimizer update applies, per group.

The real scheduler comes from ``timm.scheduler.create_scheduler_v2`` on a real
``torch.optim.SGD`` whose groups carry ``lr_scale`` (layer decay), and is driven
in train.py's loop: ``step_update(num_updates)`` after every update and
``step(epoch + 1)`` after every epoch (``step_offset: 1``), or DeiT's
``step(epoch)`` / Swin's ``step_update(update index)`` (``step_offset: 0``).
The lr a group holds when ``optimizer.step()`` runs is the applied lr; lrbridge's
``evaluate`` of the dialect's plan must match it at relative error ≤ 1e-12.
"""

from __future__ import annotations

import importlib.util
import itertools
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
if importlib.util.find_spec("timm") is None:
    pytest.skip("timm is not installed (requirements/test-libs-nodeps.txt)", allow_module_level=True)


def _timm_scheduler():
    """timm's real ``timm.scheduler`` package.

    ``import timm`` imports torchvision (for model layers), whose PyPI wheels are CUDA
    builds that cannot load next to CPU-only torch. The scheduler subpackage needs
    only torch, so when the top-level import fails it is loaded on its own from the
    installed timm, and the bare parent entry is removed again afterwards.
    """
    import importlib
    import importlib.util
    import sys
    import types

    try:
        return importlib.import_module("timm.scheduler")
    except (ImportError, RuntimeError):
        for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
            del sys.modules[name]
    spec = importlib.util.find_spec("timm")
    parent = types.ModuleType("timm")
    parent.__path__ = list(spec.submodule_search_locations)
    sys.modules["timm"] = parent
    try:
        return importlib.import_module("timm.scheduler")
    finally:
        for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
            del sys.modules[name]


timm_scheduler = _timm_scheduler()

from lrbridge.conformance import compare  # noqa: E402
from lrbridge.dialects import get  # noqa: E402
from lrbridge.errors import PlanError  # noqa: E402
from lrbridge.reference import evaluate  # noqa: E402

REL_TOL = 1e-12
LR = 0.05
SCALES = (1.0, 0.5, 0.125)


def run_timm(kwargs: dict, epochs: int, upe: int, offset: int) -> np.ndarray:
    """The lr of every group at every optimizer update, timm driving it in its natural loop."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in SCALES]
    groups = [{"params": [p], "lr": LR, "lr_scale": s} for p, s in zip(params, SCALES)]
    opt = torch.optim.SGD(groups, lr=LR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched, _ = timm_scheduler.create_scheduler_v2(opt, **kwargs, updates_per_epoch=upe)
    return timm_loop(opt, sched, epochs, upe, offset)


def timm_loop(opt, sched, epochs: int, upe: int, offset: int) -> np.ndarray:
    """The lr each group holds at each update of timm's loop: ``step_update(updates − 1 + offset)`` after every
    update and ``step(epoch + offset)`` after every epoch (train.py: offset 1). Shape (groups, updates)."""
    out, num_updates = [], 0
    for epoch in range(epochs):
        for _ in range(upe):
            out.append([g["lr"] for g in opt.param_groups])
            opt.step()
            num_updates += 1
            if sched is not None:
                sched.step_update(num_updates - 1 + offset)
        if sched is not None:
            sched.step(epoch + offset)
    return np.asarray(out).T


def plan_for(kwargs: dict, upe: int, offset: int):
    doc = {**kwargs, "lr": LR, "updates_per_epoch": upe, "step_offset": offset,
           "param_groups": [{"name": f"g{i}", "params": [f"p{i}"], "lr_scale": s} for i, s in enumerate(SCALES)]}
    return get("timm").to_plan(doc)


def assert_same(kwargs: dict, epochs: int, upe: int, offset: int = 1):
    native = run_timm(kwargs, epochs, upe, offset)
    result = plan_for(kwargs, upe, offset)
    ours = evaluate(result.plan, native.shape[1])
    cmp = compare(ours, native, metric="rel", tolerance=REL_TOL)
    assert cmp.ok, f"{kwargs}, offset {offset}: {cmp}"


WARMUPS = [dict(warmup_epochs=0), dict(warmup_epochs=3, warmup_lr=1e-4), dict(warmup_epochs=3, warmup_lr=1e-4, warmup_prefix=True)]
CYCLES = [
    dict(),
    dict(cycle_limit=3, cycle_decay=0.5),
    dict(cycle_mul=2.0, cycle_limit=4, cycle_decay=0.7),
    dict(cycle_mul=1.5, cycle_limit=5),
    dict(min_lr=1e-3, cycle_limit=2),
]


def _grid():
    for sched, warm, cyc, on_epochs, offset in itertools.product(
        ("cosine", "tanh", "poly"), WARMUPS, CYCLES, (True, False), (1, 0)
    ):
        if offset == 0 and (cyc or not on_epochs) and warm.get("warmup_prefix"):
            continue  # keep the grid small: the lag is independent of the body
        kw = dict(sched=sched, num_epochs=6, step_on_epochs=on_epochs, **warm, **cyc)
        yield pytest.param(kw, 4, offset, id=f"{sched}-{'ep' if on_epochs else 'upd'}-w{warm}-c{cyc}-o{offset}")


@pytest.mark.parametrize("kwargs,upe,offset", list(_grid()))
def test_cycle_schedulers(kwargs, upe, offset):
    epochs = 40 if kwargs.get("cycle_limit", 1) > 1 else 12
    assert_same(kwargs, epochs, upe, offset)


@pytest.mark.parametrize("kdecay", [0.5, 1.5, 2.0])
@pytest.mark.parametrize("sched", ["cosine", "poly"])
def test_k_decay(sched, kdecay):
    assert_same(dict(sched=sched, num_epochs=10, k_decay=kdecay, decay_rate=0.9, warmup_epochs=2, warmup_lr=1e-4), 14, 3)
    assert_same(dict(sched=sched, num_epochs=10, k_decay=kdecay, step_on_epochs=False, cycle_limit=2), 22, 3)


def test_float_log_cycle_boundary():
    """cycle_mul = 10: timm's float log puts step 111·T in cycle 2, one step before the exact start."""
    kw = dict(sched="cosine", num_epochs=2, cycle_mul=10.0, cycle_limit=4, cycle_decay=0.5, step_on_epochs=False)
    assert_same(kw, 230, 1)  # 222 updates = 111·T with T = 2


@pytest.mark.parametrize("decay_epochs", [1, 2.4, 3, 0.7])
@pytest.mark.parametrize("warm", WARMUPS)
@pytest.mark.parametrize("on_epochs", [True, False])
def test_step(decay_epochs, warm, on_epochs):
    kw = dict(sched="step", decay_epochs=decay_epochs, decay_rate=0.5, num_epochs=10, step_on_epochs=on_epochs, **warm)
    assert_same(kw, 12, 5)
    assert_same(kw, 12, 5, offset=0)


@pytest.mark.parametrize("milestones", [(2, 5), (1, 3, 4), (7,)])
@pytest.mark.parametrize("warm", WARMUPS)
@pytest.mark.parametrize("on_epochs", [True, False])
def test_multistep(milestones, warm, on_epochs):
    kw = dict(sched="multistep", decay_milestones=list(milestones), decay_rate=0.3, num_epochs=10,
              step_on_epochs=on_epochs, **warm)
    assert_same(kw, 10, 3)


@pytest.mark.parametrize("warm", WARMUPS)
def test_constant_and_none(warm):
    assert_same(dict(sched="constant", num_epochs=5, **warm), 8, 2)
    assert_same(dict(sched="none", num_epochs=5), 4, 2)


def test_train_py_defaults_and_horizon():
    """train.py names select train.py's defaults (warmup 5 epochs, cycle_decay 0.5); the horizon is timm's num_epochs."""
    plan = get("timm").to_plan({"sched": "cosine", "epochs": 20, "lr": 0.1, "updates_per_epoch": 3,
                                "cooldown_epochs": 2, "lr_cycle_limit": 2}).plan
    kw = dict(sched="cosine", num_epochs=20, warmup_epochs=5, warmup_lr=1e-5, cycle_decay=0.5, cycle_limit=2,
              cooldown_epochs=2)
    params = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.SGD(params, lr=0.1)
    sched, num_epochs = timm_scheduler.create_scheduler_v2(opt, **kw)
    assert plan.horizon.steps == num_epochs * 3 == 42 * 3
    native = []
    for epoch in range(num_epochs):
        native += [opt.param_groups[0]["lr"]] * 3
        sched.step(epoch + 1)
    assert compare(evaluate(plan, len(native)), np.asarray(native)[None], metric="rel", tolerance=REL_TOL).ok


def test_refusals():
    with pytest.raises(PlanError, match="noise"):
        get("timm").to_plan({"sched": "cosine", "lr": 0.1, "lr_noise": [0.4, 0.9]})
    with pytest.raises(PlanError, match="updates_per_epoch"):
        get("timm").to_plan({"sched": "cosine", "lr": 0.1, "sched_on_updates": True})
    with pytest.raises(PlanError, match="did you mean 'warmup_epochs'"):
        get("timm").to_plan({"sched": "cosine", "lr": 0.1, "warmup_epoch": 3})
    # a saved train.py args.yaml holds many keys that do not change the lr: skipped, named in a note
    saved = get("timm").to_plan({"sched": "cosine", "lr": 0.1, "epochs": 10, "train_split": "train", "bce_loss": False})
    assert any("bce_loss" in n and "train_split" in n for n in saved.notes)


def test_deit_recipe():
    """DeiT-B (facebookresearch/deit main.py args): cosine, 300 epochs, 5 warmup epochs, step(epoch) after each epoch."""
    doc = {"sched": "cosine", "lr": 5e-4 * 1024 / 512, "epochs": 300, "warmup_epochs": 5, "warmup_lr": 1e-6,
           "min_lr": 1e-5, "decay_epochs": 30, "cooldown_epochs": 10, "decay_rate": 0.1, "opt": "adamw",
           "weight_decay": 0.05, "step_offset": 0, "updates_per_epoch": 2}
    result = get("timm").to_plan(doc)
    params = [torch.nn.Parameter(torch.zeros(1))]
    opt = torch.optim.AdamW(params, lr=doc["lr"], weight_decay=0.05)
    sched, num_epochs = timm_scheduler.create_scheduler_v2(
        opt, sched="cosine", num_epochs=300, warmup_epochs=5, warmup_lr=1e-6, min_lr=1e-5, cooldown_epochs=10,
        decay_epochs=30, decay_rate=0.1, cycle_decay=0.5)
    assert num_epochs == 310 and result.plan.horizon.steps == 620
    native = []
    for epoch in range(num_epochs):
        for _ in range(2):
            native.append(opt.param_groups[0]["lr"])
            opt.step()
        sched.step(epoch)
    assert native[0] == native[2] == 1e-6  # the lag: epoch 1 still uses epoch 0's lr
    assert compare(evaluate(result.plan, len(native)), np.asarray(native)[None], metric="rel", tolerance=REL_TOL).ok


@pytest.mark.parametrize("decay_fn", [None, "linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("decay_epochs", [None, 0.5, 3, 8])
@pytest.mark.parametrize("warm", WARMUPS)
@pytest.mark.parametrize("on_epochs", [True, False])
def test_wsd(decay_fn, decay_epochs, warm, on_epochs):
    kw = dict(sched="wsd", num_epochs=12, decay_epochs=decay_epochs, decay_fn=decay_fn, min_lr=1e-4,
              step_on_epochs=on_epochs, cooldown_epochs=2, **warm)
    epochs = timm_scheduler.create_scheduler_v2(
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR), **kw, updates_per_epoch=3)[1]
    plan = plan_for(kw, 3, 1).plan
    assert plan.horizon.steps == epochs * 3
    assert_same(kw, epochs + 2, 3)


def test_plateau_is_the_reduce_on_plateau_timm_builds():
    """timm's plateau wraps torch ReduceLROnPlateau: the plan keeps it metric-driven with the same settings."""
    kw = dict(sched="plateau", num_epochs=10, decay_rate=0.5, patience_epochs=3, min_lr=1e-5, plateau_mode="min")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)
    native = timm_scheduler.create_scheduler_v2(opt, **kw)[0].lr_scheduler
    result = get("timm").to_plan({**kw, "lr": LR})
    node = result.plan.scheduler
    assert not result.exact and node.kind == "reduce_on_plateau"
    assert (node.mode, node.factor, node.patience, node.threshold, node.cooldown, node.min_lr) == (
        native.mode, native.factor, native.patience, native.threshold, native.cooldown, native.min_lrs[0])
    with pytest.raises(PlanError, match="warmup"):
        get("timm").to_plan({**kw, "lr": LR, "warmup_epochs": 2})
