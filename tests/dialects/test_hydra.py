"""Hydra dialect against hydra's own instantiate() of the same config on a real torch model."""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import hydra as hy

hydra_utils = pytest.importorskip("hydra.utils")
omegaconf = pytest.importorskip("omegaconf")
torch = pytest.importorskip("torch")

# lightning-hydra-template configs/model/mnist.yaml (optimizer part), with schedulers to compare
TEMPLATE = """
model:
  _target_: src.models.mnist_module.MNISTLitModule
  optimizer:
    _target_: torch.optim.Adam
    _partial_: true
    lr: 0.001
    weight_decay: 0.0
  scheduler:
    _target_: torch.optim.lr_scheduler.{name}
    _partial_: true
{args}
trainer:
  max_epochs: 10
"""


def _real(cfg_text: str, spe: int, n: int, key="lr"):
    cfg = omegaconf.OmegaConf.create(cfg_text)
    model = torch.nn.Linear(2, 1)
    opt = hydra_utils.instantiate(cfg.model.optimizer)(params=model.parameters())
    sched = hydra_utils.instantiate(cfg.model.scheduler)(optimizer=opt)
    out = []
    for k in range(n):  # lightning-hydra-template: interval "epoch", frequency 1
        g = opt.param_groups[0]
        out.append(g["betas"][0] if key == "beta1" else g[key])
        opt.step()
        if (k + 1) % spe == 0:
            sched.step()
    return np.array(out)


@pytest.mark.parametrize("name,args", [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 2, 5], "gamma": 0.3}),
    ("CosineAnnealingLR", {"T_max": 4, "eta_min": 1e-5}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2}),
    ("LinearLR", {"start_factor": 0.1, "total_iters": 3}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 0}),
    ("PolynomialLR", {"total_iters": 6, "power": 2.0}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 12, "pct_start": 0.25}),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 3, "mode": "triangular2"}),
])
def test_template_schedulers_match_instantiate(name, args):
    text = TEMPLATE.format(name=name, args="\n".join(f"    {k}: {v}" for k, v in args.items()))
    data = omegaconf.OmegaConf.to_container(omegaconf.OmegaConf.create(text))
    spe, n = 4, 40
    plan = hy.to_plan(data, steps_per_epoch=spe).plan
    np.testing.assert_allclose(lb.evaluate(plan, n)[0], _real(text, spe, n), rtol=1e-12, atol=0)
    if name in ("OneCycleLR", "CyclicLR"):  # Adam's beta1 cycles too
        ours = plan.groups[0].hparam_schedulers["beta1"]
        got = ours.lr(np.arange(n, dtype=np.float64), 0.9)
        np.testing.assert_allclose(got, _real(text, spe, n, key="beta1"), rtol=1e-12, atol=0)


def test_interpolation_and_refusals():
    data = {"lr": 0.1, "optim": {"_target_": "torch.optim.SGD", "lr": "${lr}", "momentum": 0.9},
            "sched": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2, "interval": "step"}}
    plan = hy.to_plan(data).plan
    assert plan.optimizer.lr == 0.1 and lb.evaluate(plan, 3)[0, 2] == pytest.approx(0.01, rel=1e-15)
    with pytest.raises(lb.PlanError, match="LambdaLR"):
        hy.to_plan({**data, "sched": {"_target_": "torch.optim.lr_scheduler.LambdaLR"}})
    with pytest.raises(lb.PlanError, match="interpolation"):
        hy.to_plan({**data, "optim": {**data["optim"], "lr": "${oc.env:LR}"}})
    with pytest.raises(lb.PlanError, match="steps-per-epoch"):
        hy.to_plan({**data, "sched": {"_target_": "torch.optim.lr_scheduler.StepLR", "step_size": 2}})


def test_external_optimizers_port_and_other_schedulers_are_refused_not_dropped(tmp_path):
    # lightning-hydra-template style, with an optimizer torch does not ship (its schedule still ports)
    data = {"model": {"optimizer": {"_target_": "bitsandbytes.optim.AdamW8bit", "_partial_": True, "lr": 0.002,
                                    "weight_decay": 0.01},
                      "scheduler": {"_target_": "torch.optim.lr_scheduler.StepLR", "_partial_": True, "step_size": 2,
                                    "interval": "step"}}}
    res = hy.to_plan(data)
    assert res.plan.optimizer.name == "external:AdamW8bit" and res.plan.optimizer.lr == 0.002
    assert lb.evaluate(res.plan, 3)[0].tolist() == pytest.approx([0.002, 0.002, 0.0002], rel=1e-15)
    # a scheduler the dialect cannot read is refused: never a constant lr in its place
    other = {"model": {**data["model"], "scheduler": {"_target_": "transformers.get_cosine_schedule_with_warmup",
                                                       "_partial_": True, "num_warmup_steps": 10,
                                                       "num_training_steps": 100}}}
    with pytest.raises(lb.PlanError, match=r"model\.scheduler\._target_.*not a torch\.optim\.lr_scheduler"):
        hy.to_plan(other)
    import yaml

    path = tmp_path / "model.yaml"  # the same through load_source, as a user's file (detected by its torch optimizer)
    path.write_text(yaml.safe_dump({"model": {**other["model"], "optimizer": {"_target_": "torch.optim.Adam", "lr": 0.1}}}))
    with pytest.raises(lb.PlanError, match="not a torch.optim.lr_scheduler"):
        lb.load_source(path)
