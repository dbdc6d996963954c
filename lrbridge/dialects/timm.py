"""timm: ``create_scheduler_v2`` arguments or train.py arguments, with timm's own stepping.

    sched: cosine            # cosine | tanh | step | multistep | poly | constant | wsd | plateau | none
    lr: 5.0e-4               # (train.py: or lr_base / lr_base_size / batch_size, linear or sqrt scaling)
    epochs: 300              # train.py name; create_scheduler_v2's is num_epochs
    warmup_epochs: 5
    warmup_lr: 1.0e-6
    min_lr: 1.0e-5
    decay_epochs: 30         # step;  decay_milestones: [30, 60] for multistep; decay_rate
    warmup_prefix: false
    cooldown_epochs: 10
    lr_cycle_mul: 1.0        # (also cycle_mul / cycle_decay / cycle_limit / k_decay spellings)
    lr_cycle_decay: 0.5
    lr_cycle_limit: 1
    lr_k_decay: 1.0
    sched_on_updates: false  # true: step_update() per optimizer update, needs updates_per_epoch
    updates_per_epoch: 1251  # optimizer updates per epoch (len(loader) / grad_accum_steps, rounded up)
    step_offset: 1           # 1: step(epoch + 1) / step_update(num_updates) as train.py; 0: step(epoch) as DeiT
    param_groups:            # optional: [{name, params | rest, lr_scale, weight_decay}]

timm's stepping: the scheduler sets the lr of "the next epoch" in ``step(t)`` called
after each epoch and of "the next update" in ``step_update(t)`` called after each
update. timm's train.py passes t = epoch + 1 and the incremented update count
(``step_offset: 1``); DeiT passes the epoch just finished and Swin the update just
done (``step_offset: 0``), which repeats the first value: a one-epoch (or one-update)
lag. Per-group ``lr_scale`` multiplies the scheduled lr (timm's ``update_groups``).
Defaults are create_scheduler_v2's, or train.py's argparse defaults when the document
uses train.py's names (``epochs``, ``lr_cycle_*``, ``lr_noise``).
"""

from __future__ import annotations

import math
from typing import Any


from ..errors import PlanError
from ._common import external_spec, skip_unknown
from ..groups import ParamGroup
from ..optim import OPTIMIZER_HPARAMS, OptimizerSpec
from ..plan import Horizon, ImportResult, Plan
from ..schedules import (
    ByEpoch,
    Constant,
    CycleAnneal,
    LinearRamp,
    MultiStep,
    ReduceOnPlateau,
    Sequential,
    Warmup,
)
from ..schedules.extra import FloorStep, Shaped

NAME = "timm"
ALIASES = ("pytorch-image-models",)

#: create_scheduler_v2 defaults (its own argument names)
V2_DEFAULTS: dict[str, Any] = {
    "sched": "cosine", "num_epochs": 300, "decay_epochs": None, "decay_milestones": (90, 180, 270),
    "cooldown_epochs": 0, "patience_epochs": 10, "decay_rate": 0.1, "min_lr": 0.0, "warmup_lr": 1e-5,
    "warmup_epochs": 0, "warmup_prefix": False, "noise": None, "cycle_mul": 1.0, "cycle_decay": 0.1,
    "cycle_limit": 1, "k_decay": 1.0, "plateau_mode": "max", "step_on_epochs": True, "updates_per_epoch": 0,
    "decay_fn": None,
}
#: train.py argparse defaults, in train.py's names -> create_scheduler_v2 names (scheduler_kwargs)
TRAIN_PY: dict[str, tuple[str, Any]] = {
    "sched": ("sched", "cosine"), "epochs": ("num_epochs", 300), "decay_epochs": ("decay_epochs", 90),
    "decay_milestones": ("decay_milestones", (90, 180, 270)), "warmup_epochs": ("warmup_epochs", 5),
    "cooldown_epochs": ("cooldown_epochs", 0), "patience_epochs": ("patience_epochs", 10),
    "decay_rate": ("decay_rate", 0.1), "min_lr": ("min_lr", 0.0), "warmup_lr": ("warmup_lr", 1e-5),
    "warmup_prefix": ("warmup_prefix", False), "lr_noise": ("noise", None), "lr_cycle_mul": ("cycle_mul", 1.0),
    "lr_cycle_decay": ("cycle_decay", 0.5), "lr_cycle_limit": ("cycle_limit", 1), "lr_k_decay": ("k_decay", 1.0),
    "sched_on_updates": ("sched_on_updates", False), "lr_decay_fn": ("decay_fn", None),
}
#: keys that only train.py uses (their presence selects train.py defaults)
_TRAIN_PY_ONLY = ("epochs", "lr_noise", "lr_cycle_mul", "lr_cycle_decay", "lr_cycle_limit", "lr_k_decay",
                  "sched_on_updates", "lr_base")
#: other keys read: the lr, the optimizer, grouping, clock
OTHER_KEYS = ("lr", "lr_base", "lr_base_size", "lr_base_scale", "batch_size", "grad_accum_steps", "world_size",
              "opt", "momentum", "weight_decay", "opt_eps", "opt_betas", "updates_per_epoch", "step_offset",
              "param_groups", "step_on_epochs", "eval_metric", "lr_noise_pct", "lr_noise_std", "seed",
              "noise_pct", "noise_std", "noise_seed", "plateau_mode")
#: keys describing the run that do not change the schedule (accepted, ignored)
IGNORED = ("model", "data_dir", "dataset", "num_classes", "img_size", "drop_path", "mixup", "cutmix", "smoothing",
           "aa", "reprob", "amp", "workers", "output", "experiment", "clip_grad", "model_ema", "log_interval")
SCHEDS = ("cosine", "tanh", "step", "multistep", "poly", "constant", "plateau", "none", "wsd")
#: timm WSD decay functions -> ``Shaped`` shapes (progress p in (0, 1], clamped)
_WSD_DECAY = {"linear": "linear_down", "1-sqrt": "sqrt_down", "cosine": "cosine"}
_OPT_NAMES = {"sgd": "sgd", "momentum": "sgd", "nesterov": "sgd", "adam": "adam", "adamw": "adamw",
              "rmsprop": "rmsprop", "rmsproptf": "rmsprop", "adagrad": "adagrad", "nadam": "nadam", "radam": "radam",
              "adamax": "adamax", "adadelta": "adadelta"}


def detect(data) -> bool:
    return isinstance(data, dict) and ("sched" in data or "sched_on_updates" in data) and "scheduler" not in data


def _resolve(data: dict, notes: list[str]) -> dict:
    """create_scheduler_v2 keyword arguments from either spelling, defaults filled in.

    train.py saves all its arguments (``args.yaml``, about 150): keys that do not change the
    lr are skipped and named in a note; a near-miss of a key read here is an error.
    """
    read = set(V2_DEFAULTS) | set(TRAIN_PY) | set(OTHER_KEYS)
    skip_unknown(data, read, IGNORED, "key for a timm config", notes, cutoff=0.85)
    train_py = any(k in data for k in _TRAIN_PY_ONLY)
    args = dict(V2_DEFAULTS)
    if train_py:
        for key, (v2, default) in TRAIN_PY.items():
            args[v2] = default
    for key, value in data.items():
        if key in TRAIN_PY:
            args[TRAIN_PY[key][0]] = value
        elif key in V2_DEFAULTS:
            args[key] = value
    if "sched_on_updates" in args:
        args["step_on_epochs"] = not args.pop("sched_on_updates")
    if "plateau_mode" not in data and (train_py or "eval_metric" in data):
        # train.py's scheduler_kwargs: 'min' when the eval metric is a loss, else 'max'
        args["plateau_mode"] = "min" if "loss" in str(data.get("eval_metric", "top1")) else "max"
    args["_noise_key"] = "lr_noise" if "lr_noise" in data else "noise"
    return args


def _lr(data: dict) -> float:
    """The lr: given, or train.py's lr_base scaled by the global batch size."""
    if data.get("lr") is not None:
        return float(data["lr"])
    if "lr_base" not in data and "batch_size" not in data:
        raise PlanError("lr", "give the lr (or train.py's lr_base with batch_size)")
    base = float(data.get("lr_base", 0.1))
    global_batch = int(data.get("batch_size", 128)) * int(data.get("grad_accum_steps", 1)) * int(data.get("world_size", 1))
    ratio = global_batch / float(data.get("lr_base_size", 256))
    scale = data.get("lr_base_scale", "") or ("sqrt" if any(o in str(data.get("opt", "sgd")).lower() for o in ("ada", "lamb")) else "linear")
    return base * (ratio**0.5 if scale == "sqrt" else ratio)


def _optimizer(data: dict, lr: float, notes: list) -> OptimizerSpec:
    opt = str(data.get("opt", "sgd")).lower().split("_")[-1]
    name = _OPT_NAMES.get(opt)
    if name is None:  # lamb, lars, adabelief, ...: timm's own optimizers
        kw = {"weight_decay": float(data["weight_decay"])} if data.get("weight_decay") is not None else {}
        for key, alias in (("opt_eps", "eps"), ("opt_betas", "betas"), ("momentum", "momentum")):
            if data.get(key) is not None:
                kw[alias] = data[key]
        return external_spec(opt, lr, kw, "opt", notes)
    hp: dict[str, Any] = {}
    if "weight_decay" in data:
        hp["weight_decay"] = float(data["weight_decay"])
    if name in ("sgd", "rmsprop"):
        hp["momentum"] = float(data.get("momentum", 0.9))  # timm's default (create_optimizer_v2 and train.py)
    if name == "sgd" and opt in ("sgd", "nesterov") and hp["momentum"] > 0:
        hp["nesterov"] = True  # timm's 'sgd' is SGD with Nesterov momentum
    if "opt_eps" in data and data["opt_eps"] is not None and "eps" in OPTIMIZER_HPARAMS[name]:
        hp["eps"] = float(data["opt_eps"])
    if data.get("opt_betas") and "betas" in OPTIMIZER_HPARAMS[name]:
        hp["betas"] = tuple(float(b) for b in data["opt_betas"])
    return OptimizerSpec(name=name, lr=lr, hparams=hp)


def _groups(data: dict) -> tuple[ParamGroup, ...]:
    cfg = data.get("param_groups")
    if not cfg:
        return (ParamGroup(name="default", rest=True),)
    out = []
    for i, g in enumerate(cfg):
        try:
            params = g.get("params", ())
            out.append(ParamGroup(
                name=g["name"], params=tuple([params] if isinstance(params, str) else params), rest=g.get("rest", False),
                lr_scale=float(g.get("lr_scale", 1.0)),
                weight_decay=None if g.get("weight_decay") is None else float(g["weight_decay"]),
            ))
        except PlanError as exc:
            raise exc.under(f"param_groups[{i}]") from None
        except (KeyError, AttributeError, TypeError) as exc:
            raise PlanError(f"param_groups[{i}]", f"a group is a mapping with name, params|rest, lr_scale, weight_decay ({exc})") from None
    return tuple(out)


def _warmup(body, t: int, factor: float, prefix: bool, *, ends_at_schedule: bool = False):
    """timm's linear warmup from warmup_lr to the base lr over t steps, then ``body``.

    With ``prefix`` the body starts at 0 after the warmup, else it runs on the global
    clock. tanh without prefix ramps to the body's value at t instead (``ends_at_schedule``).
    """
    if not t:
        return body
    if ends_at_schedule and not prefix:
        return Warmup(schedule=body, warmup_steps=t, warmup_factor=factor, method="linear", prefix=False)
    ramp = LinearRamp(start_factor=factor, end_factor=1.0, total_iters=t)
    return Sequential(stages=(ramp, body), milestones=(t,), clock="restart" if prefix else "global")


def _int(value, path: str) -> int:
    if float(value) != int(value):
        raise PlanError(path, f"must be a whole number of steps here, got {value}")
    return int(value)


def build_schedule(args: dict, lr: float, notes: list[str]):
    """timm's ``_get_lr(t)`` as an IR schedule on t (epochs, or updates with step_on_epochs false)."""
    sched = args["sched"]
    if sched == "rsqrt":
        raise PlanError("sched", "timm's rsqrt (WSDLRScheduler with a 1/sqrt stable phase that the cooldown multiplies) "
                        "is not mapped; use sched: wsd (constant stable phase), or record the run with lrbridge.trace "
                        "to get a table")
    if sched not in SCHEDS:
        raise PlanError("sched", f"unknown timm scheduler {sched!r}; accepted: {', '.join(SCHEDS)}")
    if args.get("noise") is not None:
        key = args.get("_noise_key", "lr_noise")
        raise PlanError(key, "lr noise is a seeded random perturbation (torch.Generator per step), not a closed "
                        f"form; remove {key}, or record the run with lrbridge.trace to get a table")
    on_epochs = args["step_on_epochs"]
    upe = int(args.get("updates_per_epoch") or 0)
    if not on_epochs and upe <= 0:
        raise PlanError("updates_per_epoch", "sched_on_updates needs updates_per_epoch (optimizer updates per epoch)")
    mult = 1 if on_epochs else upe
    t_initial = _int(args["num_epochs"] * mult, "epochs")
    warm = _int(args["warmup_epochs"] * mult, "warmup_epochs")
    factor = float(args["warmup_lr"]) / lr if lr else 0.0
    prefix = bool(args["warmup_prefix"])
    if sched == "none":
        return Constant()
    if sched == "plateau":
        if warm:
            raise PlanError("warmup_epochs", "plateau with warmup is not mapped: timm's warmup around torch's "
                            "ReduceLROnPlateau has no IR form yet; set warmup_epochs: 0")
        notes.append("timm plateau: torch ReduceLROnPlateau driven by the eval metric, kept metric-driven")
        return ReduceOnPlateau(mode=args.get("plateau_mode", "max"), factor=float(args["decay_rate"]),
                               patience=int(args["patience_epochs"]), cooldown=0, min_lr=float(args["min_lr"]))
    if sched in ("cosine", "tanh", "poly"):
        if float(args["cycle_mul"]) < 1.0:
            raise PlanError("cycle_mul", "cycle_mul < 1 makes timm's cycle formula leave its domain; use ≥ 1")
        body = CycleAnneal(
            t_initial=t_initial, shape=sched, lr_min=float(args["min_lr"]), cycle_mul=float(args["cycle_mul"]),
            cycle_decay=float(args["cycle_decay"]), cycle_limit=int(args["cycle_limit"]),
            k_decay=float(args["k_decay"]) if sched != "tanh" else 1.0,
            power=float(args["decay_rate"]) if sched == "poly" else 0.5,
        )
        return _warmup(body, warm, factor, prefix, ends_at_schedule=sched == "tanh")
    if sched == "wsd":
        return _wsd(args, mult, warm, factor, lr)
    if sched in ("step", "constant"):
        decay_t = args["decay_epochs"] if args["decay_epochs"] is not None else 90
        decay_t, rate = (1, 1.0) if sched == "constant" else (float(decay_t) * mult, float(args["decay_rate"]))
        return _warmup(FloorStep(step_size=float(decay_t), gamma=rate), warm, factor, prefix)
    # multistep: timm counts milestone m from t = m − 1 (bisect_right(milestones, t + 1))
    miles = [_int(m * mult, "decay_milestones") - 1 for m in args["decay_milestones"]]
    if miles and miles[0] < 0:
        raise PlanError("decay_milestones", "a milestone of 0 decays before the first step; remove it and scale lr")
    try:
        body = MultiStep(milestones=tuple(miles), gamma=float(args["decay_rate"]))
    except (ValueError, PlanError) as exc:
        raise PlanError("decay_milestones", str(exc)) from None
    return _warmup(body, warm, factor, prefix)


def _wsd_lengths(args: dict, mult: int) -> tuple[int, int]:
    """(stable + decay length, decay length) in t, as create_scheduler_v2 computes them for wsd."""
    t_initial, warm = args["num_epochs"] * mult, args["warmup_epochs"] * mult
    t_sched = t_initial if args["warmup_prefix"] else t_initial - warm
    decay = args["decay_epochs"] if args["decay_epochs"] is not None else 0.2
    decay_t = decay * t_sched if 0 < decay < 1 else decay * mult
    decay_t = int(round(decay_t))
    if not 0 < decay_t <= t_sched:
        raise PlanError("decay_epochs", f"wsd needs 0 < decay ≤ the stable + decay length ({t_sched}), got {decay_t}")
    return int(t_sched), decay_t


def _wsd(args: dict, mult: int, warm: int, factor: float, lr: float):
    """timm WSDLRScheduler with a constant stable phase: warmup (always a prefix), hold, decay to min_lr.

    After the warmup, t_s = t − W: lr = b for t_s ≤ T − D, then min_lr + (b − min_lr)·f(min((t_s − T + D)/D, 1)).
    """
    fn = args.get("decay_fn") or "1-sqrt"
    if fn not in _WSD_DECAY:
        raise PlanError("decay_fn", f"wsd decay {fn!r} is not mapped; mapped: {', '.join(_WSD_DECAY)}")
    t_sched, decay_t = _wsd_lengths(args, mult)
    low = float(args["min_lr"])
    if low > lr:
        raise PlanError("min_lr", "wsd with min_lr above the lr clamps its stable phase; not mapped")
    decay = Shaped(shape=_WSD_DECAY[fn], span=decay_t, cycles=0.5, floor=low / lr if lr else 0.0, shift=1, clamp=True)
    stable = t_sched - decay_t + 1  # the decay's first step has progress 1/D
    body = Sequential(stages=(Constant(), decay), milestones=(stable,)) if stable > 0 else decay
    return _warmup(body, warm, factor, True)


def _initial_differs(args: dict) -> bool:
    """Whether the lr timm sets at construction differs from ``_get_lr(0)``.

    Built, a timm scheduler sets warmup_lr (with warmup) or the base lr; ``_get_lr(0)``
    is only called by the first ``step``. Without warmup they differ for tanh
    (1 − tanh(lb) ≠ 2), for cycle_limit 0 and for a multistep milestone at t ≤ 1.
    """
    if args["warmup_epochs"] or args["sched"] in ("none", "plateau"):
        return False
    if args["sched"] in ("cosine", "tanh", "poly"):
        return args["sched"] == "tanh" or int(args["cycle_limit"]) == 0
    if args["sched"] == "multistep":
        mult = 1 if args["step_on_epochs"] else int(args.get("updates_per_epoch") or 1)
        return any(m * mult <= 1 for m in args["decay_milestones"])
    return False


def total_epochs(args: dict) -> int:
    """What create_scheduler_v2 returns as num_epochs: cycles, cooldown and a warmup prefix included."""
    sched = args["sched"]
    on_epochs = args["step_on_epochs"]
    mult = 1 if on_epochs else int(args.get("updates_per_epoch") or 1)
    if sched == "wsd":
        length = args["warmup_epochs"] * mult + _wsd_lengths(args, mult)[0] + args["cooldown_epochs"] * mult
        return int(length if on_epochs else length // mult)
    if sched in ("cosine", "tanh", "poly"):
        t, m = args["num_epochs"] * mult, float(args["cycle_mul"])
        cycles = max(1, int(args["cycle_limit"]))
        length = t * cycles if m == 1.0 else int(math.floor(-t * (m**cycles - 1) / (1 - m)))
        if args["warmup_prefix"]:
            length += args["warmup_epochs"] * mult
        length += args["cooldown_epochs"] * mult
        return int(length if on_epochs else length // mult)
    return int(args["num_epochs"] + (args["warmup_epochs"] if args["warmup_prefix"] else 0))


def to_plan(data, *, steps=None, steps_per_epoch=None, source="") -> ImportResult:
    """A timm config as a plan on the optimizer-update clock (k = 0 is the first update)."""
    if not isinstance(data, dict):
        raise PlanError("", f"a timm config is a mapping of its arguments, got {type(data).__name__}")
    skipped: list[str] = []
    args = _resolve(data, skipped)
    upe = steps_per_epoch or data.get("updates_per_epoch")
    if upe is not None:
        args["updates_per_epoch"] = int(upe)
    lr = _lr(data)
    offset = data.get("step_offset", 1)
    if offset not in (0, 1):
        raise PlanError("step_offset", f"must be 1 (step(epoch + 1), timm train.py) or 0 (step(epoch), DeiT), got {offset}")
    notes: list[str] = [f"timm {args['sched']}: " + ("stepped per epoch" if args["step_on_epochs"] else "stepped per update"),
                        *skipped]
    body = build_schedule(args, lr, notes)
    differs = _initial_differs(args)
    initial = Constant() if differs else body
    if offset == 0:
        # step(epoch) after epoch `epoch`: the value of t applies from t + 1 on
        body = Sequential(stages=(initial, body), milestones=(1,), clock="restart")
        notes.append("step_offset 0: the scheduler is told the epoch/update just finished, so every value comes one "
                     "epoch/update late (a one-epoch lag)")
    elif differs:
        body = Sequential(stages=(initial, body), milestones=(1,), clock="global")
    if differs:
        notes.append("the first epoch/update runs at the lr the scheduler set when built (the base lr), not at its "
                     "formula's value at t = 0")
    upe = int(args.get("updates_per_epoch") or 0)
    if args["sched"] == "plateau":
        body = build_schedule(args, lr, [])  # metric-driven: the whole plan's scheduler, stepped per epoch
    elif args["step_on_epochs"] and upe > 1:
        body = ByEpoch(schedule=body, steps_per_epoch=upe, cadence="epoch")
    elif args["step_on_epochs"] and not upe:
        notes.append("no updates_per_epoch: one plan step is one epoch")
    epochs = total_epochs(args)
    horizon_steps = steps or (epochs * upe if upe else epochs)
    groups = _groups(data)
    if not data.get("param_groups") and float(data.get("weight_decay", 0) or 0) > 0:
        notes.append("timm's optimizer factory puts biases and 1-D parameters (norms) in a no-weight-decay group, "
                     "which parameter names alone cannot select: give param_groups to keep that split")
    if args["sched"] == "none" and any(g.lr_scale != 1.0 for g in groups):
        # no scheduler: nothing multiplies the lr by lr_scale (timm's update_groups does that)
        groups = tuple(g.model_copy(update={"lr_scale": 1.0}) for g in groups)
        notes.append("sched none: timm builds no scheduler, so lr_scale is never applied; every group runs at its lr")
    plan = Plan(optimizer=_optimizer(data, lr, notes), groups=groups, scheduler=body,
                horizon=Horizon(steps=max(1, int(horizon_steps)), past="continue"))
    notes.append(f"train for {epochs} epochs (create_scheduler_v2's num_epochs: cycles, cooldown, warmup prefix)")
    return ImportResult(plan=plan, exact=args["sched"] != "plateau", notes=notes)
