"""Lightning dialect against a real lightning Trainer run (the lr each training_step applies)."""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge as lb
from lrbridge.dialects import lightning as ld

L = pytest.importorskip("lightning")
torch = pytest.importorskip("torch")


class _Module(L.LightningModule):
    def __init__(self, opt_cfg, sched_cfg):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.opt_cfg, self.sched_cfg, self.seen = opt_cfg, sched_cfg, []

    def training_step(self, batch, batch_idx):
        self.seen.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        return self.layer(batch).sum()

    def configure_optimizers(self):
        kw = {k: v for k, v in self.opt_cfg.items() if k != "type"}
        opt = getattr(torch.optim, self.opt_cfg["type"])(self.parameters(), **kw)
        s = self.sched_cfg["scheduler"]
        sched = getattr(torch.optim.lr_scheduler, s["type"])(opt, **{k: v for k, v in s.items() if k != "type"})
        return {"optimizer": opt, "lr_scheduler": {**self.sched_cfg, "scheduler": sched}}


def _run(cfg, spe, epochs):
    module = _Module(cfg["optimizer"], cfg["lr_scheduler"])
    data = torch.utils.data.DataLoader(torch.ones(spe, 2), batch_size=1)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(module, data)
    return np.array(module.seen)


@pytest.mark.parametrize("interval,frequency", [("epoch", 1), ("epoch", 2), ("step", 1), ("step", 3)])
def test_interval_and_frequency(interval, frequency):
    cfg = {"optimizer": {"type": "SGD", "lr": 0.1},
           "lr_scheduler": {"scheduler": {"type": "MultiStepLR", "milestones": [1, 3, 4], "gamma": 0.5},
                            "interval": interval, "frequency": frequency}}
    spe, epochs = 6, 5
    real = _run(cfg, spe, epochs)
    plan = ld.to_plan(cfg, steps_per_epoch=spe).plan
    np.testing.assert_allclose(lb.evaluate(plan, spe * epochs)[0], real, rtol=1e-12, atol=0)


def test_step_frequency_not_dividing_the_epoch_is_refused():
    cfg = {"optimizer": {"type": "SGD", "lr": 0.1},
           "lr_scheduler": {"scheduler": {"type": "StepLR", "step_size": 1}, "interval": "step", "frequency": 4}}
    with pytest.raises(lb.PlanError, match="within each epoch"):
        ld.to_plan(cfg, steps_per_epoch=6)
