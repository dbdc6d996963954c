"""LightningCLI configs (``optimizer`` / ``lr_scheduler`` class_path nodes) against Lightning's real machinery.

The real side builds the optimizer and scheduler with ``lightning.pytorch.cli.instantiate_class``
and hands them to ``LightningCLI.configure_optimizers``, exactly as
``LightningCLI._add_configure_optimizers_method_to_model`` does, then runs a ``Trainer`` on CPU
recording the lr each ``training_step`` applies. Where jsonargparse is installed, the whole
``LightningCLI`` (parsing the YAML file, resolving short class names) runs too.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import yaml

import lrbridge as lb
from lrbridge.reference import evaluate_hparam
from lrbridge.dialects import lightning as ld
from lrbridge.dialects._common import TORCH_DEFAULT_LR

L = pytest.importorskip("lightning")
torch = pytest.importorskip("torch")
cli = pytest.importorskip("lightning.pytorch.cli")

RTOL = 1e-12


def _full(path: str, kind: str) -> str:
    """A bare class name as jsonargparse resolves it for LightningCLI's optimizer / lr_scheduler."""
    if "." in path:
        return path
    if kind == "optimizer":
        return f"torch.optim.{path}"
    return "lightning.pytorch.cli.ReduceLROnPlateau" if path == "ReduceLROnPlateau" else f"torch.optim.lr_scheduler.{path}"


def _init(node, kind):
    if node is None:
        return None
    if isinstance(node, str):
        return {"class_path": _full(node, kind), "init_args": {}}
    return {"class_path": _full(node["class_path"], kind), "init_args": dict(node.get("init_args") or {})}


class _Module(L.LightningModule):
    """configure_optimizers as LightningCLI installs it (instantiate_class + LightningCLI.configure_optimizers)."""

    def __init__(self, cfg):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.cfg, self.seen = cfg, []

    def training_step(self, batch, batch_idx):
        self.seen.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        loss = self.layer(batch).sum()
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        opt = cli.instantiate_class(self.parameters(), _init(self.cfg["optimizer"], "optimizer"))
        sched_init = _init(self.cfg.get("lr_scheduler"), "lr_scheduler")
        sched = cli.instantiate_class(opt, sched_init) if sched_init else None
        self.built = (opt, sched)
        return cli.LightningCLI.configure_optimizers(self, optimizer=opt, lr_scheduler=sched)


def _trainer(epochs, spe):
    return L.Trainer(max_epochs=epochs, limit_train_batches=spe, accelerator="cpu", logger=False,
                     enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                     num_sanity_val_steps=0)


def _run(cfg, spe, epochs):
    module = _Module(cfg)
    data = torch.utils.data.DataLoader(torch.ones(spe, 2), batch_size=1)
    _trainer(epochs, spe).fit(module, data)
    assert len(module.seen) == spe * epochs
    return np.array(module.seen), module


def _write(tmp_path, cfg, name="config.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg))
    return path


def _cfg(optimizer, lr_scheduler=None, epochs=5, **trainer):
    out = {"trainer": {"max_epochs": epochs, "accumulate_grad_batches": 1, **trainer}, "model": {"hidden": 4},
           "optimizer": optimizer}
    if lr_scheduler is not None:
        out["lr_scheduler"] = lr_scheduler
    return out


CASES = {
    "cosine": ({"class_path": "torch.optim.AdamW", "init_args": {"lr": 1e-3, "weight_decay": 0.05}},
               {"class_path": "torch.optim.lr_scheduler.CosineAnnealingLR", "init_args": {"T_max": 4, "eta_min": 1e-5}}),
    "step": ({"class_path": "torch.optim.SGD", "init_args": {"lr": 0.1, "momentum": 0.9}},
             {"class_path": "torch.optim.lr_scheduler.StepLR", "init_args": {"step_size": 2, "gamma": 0.5}}),
    "multistep": ({"class_path": "torch.optim.SGD", "init_args": {"lr": 0.1}},
                  {"class_path": "torch.optim.lr_scheduler.MultiStepLR", "init_args": {"milestones": [1, 3, 3], "gamma": 0.1}}),
    "short_names": ({"class_path": "Adam", "init_args": {"lr": 0.01}},
                    {"class_path": "ExponentialLR", "init_args": {"gamma": 0.7}}),
    "bare_strings": ("RMSprop", "LinearLR"),  # lr: RMSprop's default; LinearLR: its defaults
    "onecycle": ({"class_path": "torch.optim.SGD", "init_args": {"lr": 0.1, "momentum": 0.9}},
                 {"class_path": "torch.optim.lr_scheduler.OneCycleLR", "init_args": {"max_lr": 0.5, "total_steps": 6}}),
    "no_scheduler": ({"class_path": "torch.optim.SGD", "init_args": {"lr": 0.05}}, None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_a_real_lightning_run(name):
    spe, epochs = 3, 5
    cfg = _cfg(*CASES[name], epochs=epochs)
    real, _ = _run(cfg, spe, epochs)
    plan = ld.to_plan(cfg, steps_per_epoch=spe).plan
    assert plan.horizon.steps == spe * epochs  # trainer.max_epochs × steps_per_epoch
    np.testing.assert_allclose(lb.evaluate(plan, spe * epochs)[0], real, rtol=RTOL, atol=0)


def test_onecycle_momentum_cycles_per_epoch():
    spe, epochs = 3, 5
    cfg = _cfg(*CASES["onecycle"], epochs=epochs)
    module = _Module(cfg)
    moms = []

    class Record(L.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            moms.append(trainer.optimizers[0].param_groups[0]["momentum"])

    data = torch.utils.data.DataLoader(torch.ones(spe, 2), batch_size=1)
    t = _trainer(epochs, spe)
    t.callbacks.append(Record())
    t.fit(module, data)
    plan = ld.to_plan(cfg, steps_per_epoch=spe).plan
    np.testing.assert_allclose(evaluate_hparam(plan, "momentum", spe * epochs)[0], moms, rtol=RTOL, atol=0)


def test_load_source_and_cli_read_the_file(tmp_path):
    from typer.testing import CliRunner

    from lrbridge.cli import app
    from lrbridge.io import load_plan

    spe, epochs = 4, 6
    cfg = _cfg(*CASES["cosine"], epochs=epochs)
    path = _write(tmp_path, cfg)
    res = lb.load_source(path, steps_per_epoch=spe)
    assert res.notes[0] == "read as a lightning config (detected)"
    real, _ = _run(cfg, spe, epochs)
    np.testing.assert_allclose(lb.evaluate(res.plan, spe * epochs)[0], real, rtol=RTOL, atol=0)
    out = tmp_path / "plan.yaml"
    run = CliRunner().invoke(app, ["convert", str(path), "--to", "plan", "--steps-per-epoch", str(spe), "-o", str(out)])
    assert run.exit_code == 0, run.output
    np.testing.assert_array_equal(lb.evaluate(load_plan(out), spe * epochs), lb.evaluate(res.plan, spe * epochs))


def test_saved_config_with_every_default(tmp_path):
    """The config.yaml LightningCLI saves: init_args hold every constructor default (maximize, foreach, ...)."""
    opt = {"class_path": "torch.optim.Adam", "init_args": {
        "lr": 0.002, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "foreach": None,
        "maximize": False, "capturable": False, "differentiable": False, "fused": None, "decoupled_weight_decay": False}}
    sched = {"class_path": "torch.optim.lr_scheduler.StepLR", "init_args": {"step_size": 2, "gamma": 0.3, "last_epoch": -1}}
    cfg = {"seed_everything": True, **_cfg(opt, sched, epochs=4, max_steps=-1), "data": None}
    real, _ = _run(cfg, 2, 4)
    plan = lb.load_source(_write(tmp_path, cfg), steps_per_epoch=2).plan
    np.testing.assert_allclose(lb.evaluate(plan, 8)[0], real, rtol=RTOL, atol=0)


def test_fit_subcommand_section_and_json_string(tmp_path):
    cfg = {"fit": _cfg('{"class_path": "SGD", "init_args": {"lr": 0.2}}', {"class_path": "StepLR", "init_args": {"step_size": 1}})}
    plan = lb.load_source(_write(tmp_path, cfg), steps_per_epoch=2).plan
    np.testing.assert_allclose(lb.evaluate(plan, 6)[0], [0.2, 0.2, 0.02, 0.02, 0.002, 0.002], rtol=RTOL)


@pytest.mark.parametrize("name", sorted(TORCH_DEFAULT_LR))
def test_default_lr_is_torchs(name):
    assert inspect.signature(getattr(torch.optim, name)).parameters["lr"].default == TORCH_DEFAULT_LR[name]
    plan = ld.to_plan(_cfg(name)).plan
    assert plan.optimizer.lr == TORCH_DEFAULT_LR[name]


def test_horizon_from_trainer():
    opt = CASES["no_scheduler"][0]
    assert ld.to_plan(_cfg(opt, epochs=10, max_steps=7), steps_per_epoch=3).plan.horizon.steps == 7
    assert ld.to_plan(_cfg(opt, epochs=2, max_steps=70), steps_per_epoch=3).plan.horizon.steps == 6
    assert ld.to_plan(_cfg(opt, epochs=None, max_steps=70)).plan.horizon.steps == 70
    assert ld.to_plan(_cfg(opt, epochs=10), steps=11, steps_per_epoch=3).plan.horizon.steps == 11
    assert ld.to_plan(_cfg(opt, epochs=None), steps_per_epoch=3).plan.horizon.steps == 3000  # Trainer's default 1000
    assert ld.to_plan(_cfg(opt, epochs=10)).plan.horizon.steps is None  # epochs without steps_per_epoch


# -- ReduceLROnPlateau: metric-driven --------------------------------------------------------------

def test_lightning_plateau_is_kept_metric_driven():
    cfg = _cfg("SGD", {"class_path": "ReduceLROnPlateau", "init_args": {"monitor": "train_loss", "factor": 0.5,
                                                                          "patience": 0, "mode": "max"}}, epochs=2)
    _, module = _run(cfg, 2, 2)  # Lightning accepts it: its configure_optimizers passes the monitor
    real = module.built[1]
    res = ld.to_plan(cfg, steps_per_epoch=2)
    s = res.plan.scheduler
    assert s.kind == "reduce_on_plateau"
    assert (s.mode, s.factor, s.patience, s.threshold, s.cooldown) == (real.mode, real.factor, real.patience,
                                                                       real.threshold, real.cooldown)
    assert any("metric 'train_loss'" in n for n in res.notes)
    with pytest.raises(lb.EvaluationError):
        lb.evaluate(res.plan, 4)
    full = _cfg("SGD", {"class_path": "lightning.pytorch.cli.ReduceLROnPlateau", "init_args": {"monitor": "val"}})
    assert ld.to_plan(full).plan.scheduler.kind == "reduce_on_plateau"  # no steps_per_epoch needed


def test_torch_plateau_is_refused_as_lightning_refuses_it():
    cfg = _cfg("SGD", {"class_path": "torch.optim.lr_scheduler.ReduceLROnPlateau", "init_args": {"mode": "min"}}, epochs=1)
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    with pytest.raises(MisconfigurationException, match="monitor"):
        _run(cfg, 2, 1)
    with pytest.raises(lb.PlanError, match=r"^lr_scheduler.class_path: torch's ReduceLROnPlateau has no monitor"):
        ld.to_plan(cfg, steps_per_epoch=2)
    no_monitor = _cfg("SGD", {"class_path": "ReduceLROnPlateau"})
    with pytest.raises(lb.PlanError, match=r"^lr_scheduler.init_args.monitor: "):
        ld.to_plan(no_monitor, steps_per_epoch=2)


# -- refusals: one line, saying what, where and how to fix ------------------------------------------

@pytest.mark.parametrize("cfg,where,what", [
    (_cfg("SGD", {"class_path": "my_project.sched.WarmupCosine", "init_args": {"warmup": 5}}),
     "lr_scheduler.class_path", "'my_project.sched.WarmupCosine' is not a torch.optim.lr_scheduler class"),
    (_cfg("SGD", "WarmupCosine"), "lr_scheduler.class_path", "'WarmupCosine' is not a torch.optim.lr_scheduler class"),
    (_cfg("SGD", {"class_path": "my_project.StepLR", "init_args": {"step_size": 1}}),
     "lr_scheduler.class_path", "'my_project.StepLR' is not a torch.optim.lr_scheduler class"),
    (_cfg("SGD", {"class_path": "LambdaLR", "init_args": {"lr_lambda": "x"}}), "lr_scheduler.init_args",
     "LambdaLR takes a Python function"),
    (_cfg({"class_path": "SGD", "lr": 0.1}), "optimizer.lr", "under 'init_args'"),
    (_cfg("SGD", {"class_path": "StepLR", "init_args": {"step_size": 1, "gama": 0.5}}), "lr_scheduler.init_args.gama",
     "unknown argument of torch StepLR"),
    (_cfg("SGD", "StepLR"), "lr_scheduler.init_args", "StepLR needs step_size"),
    (_cfg({"class_path": "SGD", "init_args": {"lr": 0.1, "maximize": True}}), "optimizer.init_args.maximize", "not ported"),
    (_cfg({"class_path": "my_project.Lion", "init_args": {"betas": [0.9, 0.99]}}), "optimizer.init_args.lr", "give its lr"),
    (_cfg(None, "StepLR"), "optimizer", "lr_scheduler is ignored without an optimizer"),
    ({"trainer": {"max_epochs": 3}, "model": {}, "optimizer": None, "lr_scheduler": None}, "optimizer",
     "own configure_optimizers"),
])
def test_refusals_are_one_line(cfg, where, what):
    with pytest.raises(lb.PlanError) as info:
        ld.to_plan(cfg, steps_per_epoch=3)
    msg = str(info.value)
    assert msg.startswith(f"{where}: ") and what in msg and "\n" not in msg, msg


def test_epoch_stepping_needs_steps_per_epoch():
    with pytest.raises(lb.PlanError, match=r"^--steps-per-epoch: LightningCLI steps CosineAnnealingLR once per epoch"):
        ld.to_plan(_cfg(*CASES["cosine"]))


def test_custom_optimizer_is_external_and_the_schedule_ports():
    cfg = _cfg({"class_path": "my_project.Lion", "init_args": {"lr": 3e-4, "betas": [0.9, 0.99]}},
               {"class_path": "StepLR", "init_args": {"step_size": 1}}, epochs=2)
    plan = ld.to_plan(cfg, steps_per_epoch=1).plan
    assert plan.optimizer.name == "external:Lion"
    np.testing.assert_allclose(lb.evaluate(plan, 2)[0], [3e-4, 3e-5], rtol=RTOL)


def test_other_dialects_do_not_claim_cli_configs():
    from lrbridge import dialects

    for opt, sched in CASES.values():
        assert dialects.detect(_cfg(opt, sched)) is ld
    assert dialects.detect({"trainer": {}, "optimizer": None, "lr_scheduler": None}) is ld
    assert dialects.detect({"optimizer": "AdamW", "lr_scheduler": "ExponentialLR"}) is ld  # bare torch class names
    assert not ld.is_cli({"optimizer": "adam", "lr": 0.1})  # fairseq-style lower-case names are not LightningCLI


# -- the whole LightningCLI, where jsonargparse is installed ----------------------------------------

@pytest.mark.parametrize("name", ["cosine", "short_names", "bare_strings", "no_scheduler"])
def test_real_lightning_cli_parses_the_same_file(tmp_path, name):
    pytest.importorskip("jsonargparse")
    spe, epochs = 3, 4
    cfg = _cfg(*CASES[name], epochs=epochs)
    cfg["trainer"].update(limit_train_batches=spe, accelerator="cpu", logger=False, enable_checkpointing=False,
                          enable_progress_bar=False, enable_model_summary=False)
    del cfg["model"]
    path = _write(tmp_path, cfg)
    seen = []

    class Model(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            seen.append(self.trainer.optimizers[0].param_groups[0]["lr"])
            return self.layer(batch).sum()

        def train_dataloader(self):
            return torch.utils.data.DataLoader(torch.ones(spe, 2), batch_size=1)

    cli.LightningCLI(Model, args=["fit", "--config", str(path)], save_config_callback=None)
    plan = lb.load_source(path, steps_per_epoch=spe).plan
    np.testing.assert_allclose(lb.evaluate(plan, spe * epochs)[0], seen, rtol=RTOL, atol=0)


def test_a_config_lightning_cli_wrote():
    """recipes/lightning/: LightningCLI's own --print_config output (every Trainer and constructor default)."""
    from pathlib import Path

    path = Path(__file__).parent / "recipes/lightning/cli_print_config_adamw_multistep.yaml"
    doc = yaml.safe_load(path.read_text())
    spe, epochs = 4, doc["trainer"]["max_epochs"]
    real, _ = _run(doc, spe, epochs)
    plan = lb.load_source(path, steps_per_epoch=spe).plan
    assert plan.horizon.steps == spe * epochs and plan.optimizer.name == "adamw"
    np.testing.assert_allclose(lb.evaluate(plan, spe * epochs)[0], real, rtol=RTOL, atol=0)
