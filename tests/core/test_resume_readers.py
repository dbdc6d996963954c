"""Reading k (optimizer steps done) from the schedule state each framework / library really writes."""

from __future__ import annotations

import pytest

import lrbridge as lb
from lrbridge.resume import steps_done


@pytest.mark.torch
@pytest.mark.parametrize("k", [0, 1, 7, 30])
def test_torch_natural_loop_state(torch, k):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, torch.optim.lr_scheduler.StepLR(opt, 3)], milestones=[5])
    for _ in range(k):
        opt.step()
        sched.step()
    assert steps_done(sched.state_dict(), "torch") == k
    assert steps_done({"epoch": 3, "lr_scheduler": sched.state_dict()}, "torch") == k


@pytest.mark.torch
def test_torch_chained_scheduler_state_has_its_counter_in_its_parts(torch):
    import warnings

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    L_ = torch.optim.lr_scheduler
    sched = L_.ChainedScheduler([L_.ConstantLR(opt, 0.5, 3), L_.ExponentialLR(opt, 0.9)], optimizer=opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(5):
            opt.step()
            sched.step()
    assert "last_epoch" not in sched.state_dict()
    assert steps_done(sched.state_dict(), "torch") == 5
    assert steps_done({"lr_scheduler": sched.state_dict()}, "torch") == 5


@pytest.mark.torch
def test_torch_per_epoch_state_needs_steps_per_epoch(torch):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 2)
    for _ in range(4):
        sched.step()
    assert steps_done(sched.state_dict(), "torch", interval="epoch", steps_per_epoch=25) == 100
    with pytest.raises(lb.PlanError, match="steps_per_epoch"):
        steps_done(sched.state_dict(), "torch", interval="epoch")


@pytest.mark.mindspore
def test_mindspore_global_step_of_a_real_optimizer(ms):
    import numpy as np
    from mindspore import Parameter, Tensor, nn

    w = Parameter(Tensor(np.zeros(2, np.float32)), name="w")
    opt = nn.SGD([w], learning_rate=[0.1] * 10)
    grads = (Tensor(np.ones(2, np.float32)),)
    for _ in range(4):
        opt(grads)
    assert steps_done({"global_step": opt.global_step}, "mindspore") == 4


def test_mindspore_experimental_plan_lr_state(ms):
    import numpy as np
    from mindspore import Parameter, Tensor
    from mindspore.experimental import optim

    from lrbridge_mindspore import PlanLR

    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), groups=(lb.ParamGroup(name="w", rest=True),),
                  scheduler=lb.Step(step_size=2, gamma=0.5), horizon=lb.Horizon(steps=10))
    opt = optim.SGD([Parameter(Tensor(np.zeros(2, np.float32)), name="w")], lr=0.1)
    sched = PlanLR(opt, plan)
    for _ in range(6):
        sched.step()
    assert steps_done(sched.state_dict(), "mindspore") == 6


@pytest.mark.torch
@pytest.mark.parametrize("k", [0, 1, 9])
def test_deepspeed_scheduler_state(torch, k):
    # DeepSpeed's own schedulers count from last_batch_iteration = -1; the engine steps them after
    # every applied optimizer step (not after an fp16-overflow skip)
    ds = pytest.importorskip("deepspeed.runtime.lr_schedules")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = ds.WarmupCosineLR(opt, total_num_steps=20, warmup_num_steps=5)
    for _ in range(k):
        opt.step()
        sched.step()
    assert steps_done(sched.state_dict(), "deepspeed") == k
    checkpoint = {"lr_scheduler": sched.state_dict(), "global_steps": k + 3, "skipped_steps": 3}
    assert steps_done(checkpoint, "deepspeed") == k
    assert steps_done({"global_steps": k + 3, "skipped_steps": 3, "lr_scheduler": None}, "deepspeed") == k


@pytest.mark.torch
def test_mmengine_scheduler_state_counts_globally_not_from_begin(torch):
    # mmengine's last_step counts only inside [begin, end); _global_step counts every step() call
    sched_mod = pytest.importorskip("mmengine.optim.scheduler")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    warm = sched_mod.LinearLR(opt, start_factor=0.1, by_epoch=False, begin=0, end=5)
    cos = sched_mod.CosineAnnealingLR(opt, T_max=10, by_epoch=False, begin=5, end=15)
    for _ in range(7):
        opt.step()
        warm.step()
        cos.step()
    states = [warm.state_dict(), cos.state_dict()]
    assert warm.state_dict()["last_step"] != 7  # the trap the reader avoids
    assert steps_done({"param_schedulers": states}, "mmengine") == 7
    assert steps_done({"param_schedulers": {"generator": states}}, "mmengine") == 7
    assert steps_done({"meta": {"iter": 300, "epoch": 3}, "param_schedulers": states}, "mmengine") == 300
    epoch = sched_mod.MultiStepLR(opt, milestones=[2], by_epoch=True)
    epoch.step()
    with pytest.raises(lb.PlanError, match="steps_per_epoch"):
        steps_done({"param_schedulers": [epoch.state_dict()]}, "mmengine")
    assert steps_done({"param_schedulers": [epoch.state_dict()]}, "mmengine", steps_per_epoch=50) == 50
    old = {k: v for k, v in states[0].items() if k != "_global_step"}
    with pytest.raises(lb.PlanError, match="meta.iter"):
        steps_done({"param_schedulers": [old]}, "mmengine")


@pytest.mark.torch
def test_transformers_states(torch, tmp_path):
    transformers = pytest.importorskip("transformers")
    import json

    transformers.TrainerState(global_step=120, epoch=1.5).save_to_json(tmp_path / "trainer_state.json")
    assert steps_done(json.loads((tmp_path / "trainer_state.json").read_text()), "transformers") == 120
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = transformers.get_scheduler("cosine", opt, num_warmup_steps=5, num_training_steps=50)
    for _ in range(17):
        opt.step()
        sched.step()
    # scheduler.pt: the steps the scheduler took (fewer than global_step when fp16 skipped some)
    assert steps_done({**sched.state_dict(), "lr_lambdas": [None]}, "transformers") == 17


def test_timm_checkpoint_epoch_follows_timm_resume_rule():
    # timm's resume_checkpoint: version >= 2 saved the finished epoch (resume at epoch + 1)
    assert steps_done({"epoch": 4, "version": 2}, "timm", steps_per_epoch=10) == 50
    assert steps_done({"epoch": 4}, "timm", steps_per_epoch=10) == 40  # old checkpoints: already the next epoch
    with pytest.raises(lb.PlanError, match="steps_per_epoch"):
        steps_done({"epoch": 4, "version": 2}, "timm")


def test_library_formats():
    assert steps_done({"global_step": 120, "epoch": 1.5}, "transformers") == 120
    assert steps_done({"last_batch_iteration": 99}, "deepspeed") == 100
    assert steps_done({"last_batch_iteration": -1}, "deepspeed") == 0
    assert steps_done({"meta": {"iter": 300, "epoch": 3}}, "mmengine") == 300
    assert steps_done({"last_step": 17}, "oneflow") == 17
    assert steps_done({"global_step": [4]}, "mindspore") == 4  # a dumped Parameter of shape [1]


@pytest.mark.parametrize("state, fmt, match", [
    ({"lr": 0.1}, "torch", "no last_epoch"),
    ({"last_epoch": -3}, "torch", "at least 0"),
    ({"last_batch_iteration": -2}, "deepspeed", "at least -1"),
    ({"last_epoch": True}, "torch", "integer"),
    ({"last_epoch": 3}, "torch", "interval"),
    ({"last_epoch": 2.5}, "torch", "whole"),
    ([1, 2], "oneflow", "expected a state dict"),
    ({"global_step": 1}, "keras", "unknown checkpoint format"),
])
def test_bad_states_are_clear_errors(state, fmt, match):
    with pytest.raises(lb.PlanError, match=match):
        steps_done(state, fmt, interval="hourly" if match == "interval" else "step")


# ---- lrbridge resume (the command line) ---------------------------------------------------------

PLAN_YAML = """\
version: 1
optimizer: {name: sgd, lr: 0.4}
groups:
- {name: a, params: ["a*"], lr: 0.1, lr_scale: 0.5}
- {name: b, rest: true}
scheduler:
  kind: sequential
  stages: [{kind: linear, start_factor: 0.01, total_iters: 10}, {kind: cosine, T_max: 50}]
  milestones: [10]
horizon: {steps: 60}
"""


def _cli(*args):
    from typer.testing import CliRunner

    from lrbridge.cli import app

    return CliRunner().invoke(app, ["resume", *map(str, args)])


@pytest.mark.torch
def test_cli_reads_a_torch_state_dumped_to_json_and_gives_the_target_state(torch, tmp_path):
    import json

    (tmp_path / "plan.yaml").write_text(PLAN_YAML)
    plan = lb.load_plan(tmp_path / "plan.yaml")
    from lrbridge_torch import to_torch

    opt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(2)], lr=1.0)
    sched = to_torch(plan, opt)
    for _ in range(23):
        opt.step()
        sched.step()
    state = {k: v for k, v in sched.state_dict().items() if k != "plan"}
    (tmp_path / "sched.json").write_text(json.dumps(state, default=str))
    res = _cli(tmp_path / "sched.json", "--format", "torch")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["k"] == 23
    res = _cli(tmp_path / "sched.json", "--format", "torch", tmp_path / "plan.yaml", "--to", "mindspore")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["state"]["global_step"] == 23 and doc["state"]["plan_lr"] == {"last_epoch": 23}
    # the lr torch's own scheduler (a recursive SequentialLR) applies next is the one printed, in float32
    import numpy as np

    assert np.array_equal(np.float32(list(doc["next_lr"].values())), np.float32([pg["lr"] for pg in opt.param_groups]))


@pytest.mark.parametrize("args, match", [
    (["x.pt", "--format", "torch"], "JSON only"),
    (["s.json", "--format", "keras"], "--format: unknown checkpoint format"),
    (["s.json", "--format", "timm"], "--steps-per-epoch"),
    (["s.json", "--format", "torch", "plan.yaml"], "--to"),
])
def test_cli_errors_are_one_line(tmp_path, args, match):
    (tmp_path / "s.json").write_text('{"epoch": 3, "version": 2, "last_epoch": 7}')
    (tmp_path / "x.pt").write_bytes(b"\x80\x04")
    (tmp_path / "plan.yaml").write_text(PLAN_YAML)
    res = _cli(*[tmp_path / a if a.endswith((".json", ".pt", ".yaml")) else a for a in args])
    assert res.exit_code == 1 and match in res.output and len(res.output.strip().splitlines()) == 1, res.output


def test_resume_without_an_optimizer_needs_a_backend_and_gives_plain_json():
    import json

    from lrbridge.resume import resume

    plan = lb.Plan(optimizer=lb.OptimizerSpec(name="sgd", lr=0.1), groups=(lb.ParamGroup(name="w", rest=True),),
                   scheduler=lb.Step(step_size=2, gamma=0.5), horizon=lb.Horizon(steps=10))
    with pytest.raises(lb.LrBridgeError, match="name the backend"):
        resume(plan, None, 3)
    with pytest.raises(lb.LrBridgeError, match="unknown backend 'keras'"):
        resume(plan, None, 3, backend="keras")
    for name in ("torch", "mindspore", "oneflow"):
        doc = resume(plan, None, 3, backend=name).to_json()
        assert json.loads(json.dumps(doc)) == doc and doc["k"] == 3 and doc["lrs"] == [0.05]
