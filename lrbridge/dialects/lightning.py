"""Lightning ``configure_optimizers`` return values, as data.

    optimizer: {type: AdamW, lr: 1e-3, weight_decay: 0.01}      # or _target_: torch.optim.AdamW
    lr_scheduler:
      scheduler: {type: CosineAnnealingLR, T_max: 100}          # any torch scheduler (or _target_)
      interval: epoch                                           # step | epoch (Lightning's default: epoch)
      frequency: 1

Lightning steps the scheduler when ``(batch_idx + 1) % frequency == 0`` (interval step; the
batch index restarts every epoch) or ``(current_epoch + 1) % frequency == 0`` (interval epoch),
after the optimizer step. So the lr of update k is the scheduler's value after
⌊k / (frequency·unit)⌋ steps, unit = 1 or the updates per epoch; with interval step and a
frequency that does not divide the epoch, the clock restarts each epoch (refused unless the
epoch length is a multiple). ``ReduceLROnPlateau`` (``monitor``) stays metric-driven.
"""

from __future__ import annotations

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import ByEpoch, Constant
from ._common import build_plan, optimizer_spec, result
from ._torchlike import torch_scheduler
from .pyconfig import target_name

NAME = "lightning"
ALIASES = ("pytorch-lightning", "pl")


def detect(data) -> bool:
    return isinstance(data, dict) and isinstance(data.get("lr_scheduler"), dict) and "scheduler" in data["lr_scheduler"]


def _type(node: dict, where: str) -> tuple[str, dict]:
    if not isinstance(node, dict):
        raise PlanError(where, "must be a mapping with a 'type' or '_target_'")
    name = target_name(node.get("type", node.get("_target_")))
    if not name:
        raise PlanError(f"{where}.type", "missing")
    return name, {k: v for k, v in node.items() if k not in ("type", "_target_", "_partial_")}


def clocked(sched, interval: str, frequency: int, spe: int | None, where: str):
    """``sched`` stepped every ``frequency`` steps or epochs, as Lightning steps it."""
    if interval not in ("step", "epoch"):
        raise PlanError(f"{where}.interval", f"must be 'step' or 'epoch', got {interval!r}")
    if not isinstance(frequency, int) or frequency < 1:
        raise PlanError(f"{where}.frequency", "must be a positive integer")
    if interval == "epoch":
        if not spe:
            raise PlanError("--steps-per-epoch", "interval 'epoch' needs the optimizer updates per epoch")
        every = spe * frequency
    else:
        if frequency > 1 and (not spe or spe % frequency):
            raise PlanError(f"{where}.frequency", "Lightning counts interval-'step' frequency within each epoch: give "
                                                  "--steps-per-epoch, a multiple of the frequency")
        every = frequency
    return sched if every == 1 or sched.kind == "reduce_on_plateau" else ByEpoch(schedule=sched, steps_per_epoch=every, cadence="epoch")


def _momentum(spec):
    h = spec.resolved()
    if spec.cycled_hparam == "beta1":
        return ("beta1", float(h["betas"][0]))
    if h.get("momentum"):
        return ("momentum", float(h["momentum"]))
    return None


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of a Lightning optimizer + lr_scheduler config."""
    if not isinstance(data, dict) or "optimizer" not in data:
        raise PlanError("optimizer", "required: the optimizer configure_optimizers builds")
    oname, okw = _type(data["optimizer"], "optimizer")
    sched, mom, notes = Constant(), None, [f"Lightning config{' ' + source if source else ''}"]
    spec = optimizer_spec(oname, okw, "optimizer", notes=notes)
    cfg = data.get("lr_scheduler")
    if cfg is not None:
        if not isinstance(cfg, dict) or "scheduler" not in cfg:
            raise PlanError("lr_scheduler", "must be a mapping with a 'scheduler'")
        for key in cfg:
            if key not in ("scheduler", "interval", "frequency", "monitor", "strict", "name", "reduce_on_plateau"):
                raise PlanError(f"lr_scheduler.{key}", "unknown key of a Lightning lr_scheduler config")
        sname, skw = _type(cfg["scheduler"], "lr_scheduler.scheduler")
        m = _momentum(spec)
        sched, mom_sched = torch_scheduler(sname, skw, "lr_scheduler.scheduler", momentum=m)
        interval, freq = cfg.get("interval", "epoch"), cfg.get("frequency", 1)
        sched = clocked(sched, interval, freq, steps_per_epoch, "lr_scheduler")
        if mom_sched is not None:
            mom = {m[0]: clocked(mom_sched, interval, freq, steps_per_epoch, "lr_scheduler")}
        notes.append(f"{sname} stepped every {freq} {interval}(s)")
    plan = build_plan(spec, [ParamGroup(name="default", rest=True)], [sched], [mom or {}], steps=steps)
    return result(plan, notes)
