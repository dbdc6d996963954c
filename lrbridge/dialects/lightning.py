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

LightningCLI configs (``python main.py fit --config config.yaml``, or the ``config.yaml`` it saves)
are read too (:func:`cli_to_plan`): ``optimizer`` / ``lr_scheduler`` as ``{class_path, init_args}``
or a bare class name; ``trainer.max_epochs`` / ``max_steps`` give the horizon.
"""

from __future__ import annotations

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import ByEpoch, Constant
from ..optim import OPTIMIZER_HPARAMS
from ..vocabulary import QUIRKS
from ._common import OPTIMIZER_NAMES, TORCH_DEFAULT_LR, build_plan, external_spec, optimizer_spec, result, short
from ._torchlike import torch_scheduler
from .pyconfig import target_name

NAME = "lightning"
ALIASES = ("pytorch-lightning", "pl")


def detect(data) -> bool:
    return isinstance(data, dict) and (
        isinstance(data.get("lr_scheduler"), dict) and "scheduler" in data["lr_scheduler"] or is_cli(data))


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
    """The plan of a Lightning optimizer + lr_scheduler config (or of a LightningCLI config)."""
    if is_cli(data):
        return cli_to_plan(data, steps=steps, steps_per_epoch=steps_per_epoch, source=source)
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


# --- LightningCLI -------------------------------------------------------------------------------
#
# lightning/pytorch/cli.py (2.6): with no optimizer of its own registered, LightningCLI adds
# ``optimizer`` and ``lr_scheduler`` arguments (any torch Optimizer; any LRScheduler or its own
# ReduceLROnPlateau, which adds ``monitor``), instantiates ``class_path(params or optimizer,
# **init_args)`` and replaces the model's configure_optimizers by ``LightningCLI.configure_optimizers``:
# ``[optimizer], [lr_scheduler]`` (so interval 'epoch', frequency 1: one scheduler.step() per
# epoch), ``{"scheduler": s, "monitor": s.monitor}`` for its ReduceLROnPlateau, the optimizer
# alone without a scheduler. Without an ``optimizer`` it changes nothing: the model's own
# configure_optimizers (code) runs and ``lr_scheduler`` is ignored. jsonargparse fills the
# class's defaults into init_args (a missing lr is the torch class's default) and resolves a bare
# class name among the imported subclasses (``ReduceLROnPlateau`` is Lightning's).

_CLI_PLATEAU = ("lightning.pytorch.cli.ReduceLROnPlateau", "pytorch_lightning.cli.ReduceLROnPlateau")
_TORCH_SCHED = "torch.optim.lr_scheduler."
#: torch optimizer flags a saved config holds at their defaults, which lrbridge's specs do not carry
_FLAG_DEFAULTS = {"maximize": False, "decoupled_weight_decay": False}
_NO_OPTIMIZER = ("LightningCLI then runs the LightningModule's own configure_optimizers (code, not config): "
                 "record a run with lrbridge.trace, or import the live optimizer/scheduler with from_torch")


def _cli_node(value) -> bool:
    return isinstance(value, dict) and "class_path" in value


def _cli_root(data):
    """The mapping holding optimizer/lr_scheduler: the document, or its ``fit:`` subcommand section."""
    if isinstance(data, dict) and "optimizer" not in data and "lr_scheduler" not in data and isinstance(data.get("fit"), dict):
        return data["fit"]
    return data


def is_cli(data) -> bool:
    """A LightningCLI config: optimizer/lr_scheduler as class_path nodes, or next to trainer/model."""
    d = _cli_root(data)
    if not isinstance(d, dict) or isinstance(d.get("lr_scheduler"), dict) and "scheduler" in d["lr_scheduler"]:
        return False
    if _cli_node(d.get("optimizer")) or _cli_node(d.get("lr_scheduler")):
        return True
    bare = all(d.get(k) is None or isinstance(d[k], str) for k in ("optimizer", "lr_scheduler"))
    if ("trainer" in d or "model" in d) and ("optimizer" in d or "lr_scheduler" in d):
        return bare
    # `optimizer: AdamW` alone: a torch class name (fairseq's `optimizer: adam` is lower case)
    return bare and isinstance(d.get("optimizer"), str) and short(d["optimizer"]) in OPTIMIZER_NAMES


def _class(node, where: str) -> tuple[str, dict]:
    """(class_path as written, init_args) of a LightningCLI class argument."""
    if isinstance(node, str) and node.lstrip().startswith("{"):  # --optimizer '{"class_path": ...}'
        import yaml

        try:
            node = yaml.safe_load(node)
        except yaml.YAMLError:
            raise PlanError(where, "is neither a class name nor a {class_path, init_args} mapping") from None
    if isinstance(node, str):
        if not node.strip():
            raise PlanError(where, "empty class name")
        return node.strip(), {}
    if not isinstance(node, dict) or not isinstance(node.get("class_path"), str) or not node["class_path"].strip():
        raise PlanError(where, "must be a class name or a mapping with 'class_path' (and 'init_args')")
    extra = sorted(k for k in node if k not in ("class_path", "init_args", "dict_kwargs"))
    if extra:
        raise PlanError(f"{where}.{extra[0]}", "LightningCLI takes constructor arguments under 'init_args' "
                                               "(jsonargparse rejects them next to class_path): move them there")
    if node.get("dict_kwargs"):
        raise PlanError(f"{where}.dict_kwargs", "extra **kwargs are not read; give them as init_args")
    args = node.get("init_args") or {}
    if not isinstance(args, dict):
        raise PlanError(f"{where}.init_args", "must be a mapping of constructor arguments")
    return node["class_path"].strip(), dict(args)


def _cli_optimizer(node, notes: list):
    path, args = _class(node, "optimizer")
    where = "optimizer.init_args"
    cls = short(path)
    torch_cls = cls in OPTIMIZER_NAMES and ("." not in path or path.startswith("torch.optim."))
    if not torch_cls:
        if "lr" not in args:
            raise PlanError(f"{where}.lr", f"optimizer {path} is not a torch.optim class: give its lr in init_args")
        return external_spec(cls, args["lr"], {k: v for k, v in args.items() if k != "lr"}, where, notes), path
    if "lr" not in args:
        args["lr"] = TORCH_DEFAULT_LR[cls]
        notes.append(f"optimizer {cls} without lr: torch's default lr {args['lr']:g}")
    accepted = OPTIMIZER_HPARAMS[OPTIMIZER_NAMES[cls]]
    for key, default in _FLAG_DEFAULTS.items():
        if key in args and key not in accepted:
            if args[key] != default:
                raise PlanError(f"{where}.{key}", f"{key}: {args[key]!r} is not ported; remove it"
                                                  + (" (use AdamW for decoupled weight decay)" if key == "decoupled_weight_decay" else ""))
            del args[key]
    return optimizer_spec(cls, args, where, notes=notes), path


def _cli_scheduler(node, spec, spe, notes: list):
    """(lr schedule, {momentum key: schedule} or None) of LightningCLI's lr_scheduler."""
    path, args = _class(node, "lr_scheduler")
    where = "lr_scheduler.class_path"
    cls = short(path)
    if path in _CLI_PLATEAU or path == "ReduceLROnPlateau":  # a bare name resolves to Lightning's subclass
        monitor = args.pop("monitor", None)
        if not isinstance(monitor, str) or not monitor:
            raise PlanError("lr_scheduler.init_args.monitor", "Lightning's ReduceLROnPlateau needs the metric to "
                                                              "monitor (LightningCLI passes it to Lightning)")
        sched, _ = torch_scheduler("ReduceLROnPlateau", args, "lr_scheduler.init_args")
        notes.append(f"ReduceLROnPlateau on metric {monitor!r}, stepped once per epoch: metric-driven, kept as "
                     "reduce_on_plateau (not evaluable; adapters map it to the native class)")
        return sched, None
    if path == _TORCH_SCHED + "ReduceLROnPlateau":
        raise PlanError(where, "torch's ReduceLROnPlateau has no monitor: LightningCLI returns it without one and "
                               "Lightning raises; use class_path lightning.pytorch.cli.ReduceLROnPlateau with "
                               "init_args.monitor")
    known = cls in QUIRKS["torch"].classes or cls in ("OneCycleLR", "CyclicLR", "LambdaLR", "MultiplicativeLR",
                                                          "SequentialLR", "ChainedScheduler")
    if not known or ("." in path and not path.startswith(_TORCH_SCHED)):
        raise PlanError(where, f"{path!r} is not a torch.optim.lr_scheduler class, whose schedule lrbridge cannot "
                               "read from a config; use a torch scheduler (or lightning.pytorch.cli."
                               "ReduceLROnPlateau), or record a run with lrbridge.trace")
    m = _momentum(spec)
    sched, mom_sched = torch_scheduler(cls, args, "lr_scheduler.init_args", momentum=m)
    if not spe:
        raise PlanError("--steps-per-epoch", f"LightningCLI steps {cls} once per epoch: give the optimizer updates "
                                             "per epoch (steps_per_epoch)")
    sched = clocked(sched, "epoch", 1, spe, "lr_scheduler")
    mom = None if mom_sched is None else {m[0]: clocked(mom_sched, "epoch", 1, spe, "lr_scheduler")}
    notes.append(f"{cls} stepped once per epoch ({spe} updates), as LightningCLI.configure_optimizers returns it "
                 "(interval epoch, frequency 1)")
    return sched, mom


def _positive(value, where) -> int | None:
    if value is None or value == -1:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError(where, f"must be a whole number ≥ 0 or -1, got {value!r}")
    return value


def _cli_horizon(trainer, steps, spe, notes: list) -> int | None:
    """Optimizer updates the Trainer runs: --steps, else min(max_steps, max_epochs × S)."""
    if steps is not None:
        return int(steps)
    if trainer is None:
        trainer = {}
    if not isinstance(trainer, dict):
        raise PlanError("trainer", "must be a mapping of Trainer arguments")
    max_steps = _positive(trainer.get("max_steps"), "trainer.max_steps")
    max_epochs = _positive(trainer.get("max_epochs"), "trainer.max_epochs")
    if trainer.get("max_epochs") is None and max_steps is None:
        max_epochs = 1000  # Trainer's default when neither is set
    accumulate = trainer.get("accumulate_grad_batches", 1)
    if isinstance(accumulate, int) and accumulate > 1:
        notes.append(f"accumulate_grad_batches {accumulate}: steps_per_epoch counts optimizer updates, "
                     "⌈batches / accumulate_grad_batches⌉")
    ends = [n for n in (max_steps, max_epochs * spe if max_epochs is not None and spe else None) if n is not None]
    return max(1, min(ends)) if ends else None


def cli_to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of a LightningCLI config (LightningCLI's automatic configure_optimizers)."""
    d = _cli_root(data)
    notes = [f"LightningCLI config{' ' + source if source else ''}"]
    if d.get("optimizer") is None:
        what = "lr_scheduler is ignored without an optimizer and " if d.get("lr_scheduler") is not None else ""
        raise PlanError("optimizer", f"no optimizer in the config: {what}{_NO_OPTIMIZER}")
    spec, opath = _cli_optimizer(d["optimizer"], notes)
    notes[0] += f": optimizer {opath}"
    sched, mom = Constant(), None
    if d.get("lr_scheduler") is not None:
        sched, mom = _cli_scheduler(d["lr_scheduler"], spec, steps_per_epoch, notes)
    else:
        notes.append("no lr_scheduler: constant lr")
    horizon = _cli_horizon(d.get("trainer"), steps, steps_per_epoch, notes)
    plan = build_plan(spec, [ParamGroup(name="default", rest=True)], [sched], [mom or {}], steps=horizon)
    return result(plan, notes)
