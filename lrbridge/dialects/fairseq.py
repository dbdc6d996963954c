"""fairseq: ``--lr-scheduler`` and its options, flat (train.py arguments) or as a Hydra config.

    # flat, as fairseq-train's arguments (dashes or underscores)
    {lr_scheduler: inverse_sqrt, lr: [0.0005], warmup_updates: 4000, warmup_init_lr: 1.0e-07,
     max_update: 300000, update_freq: [8], optimizer: adam, adam_betas: "(0.9, 0.98)", weight_decay: 0.0001}
    # Hydra (fairseq/config/*.yaml): the same fields under optimization / lr_scheduler / optimizer
    {optimization: {lr: [0.0005], max_update: 300000, update_freq: [8]},
     lr_scheduler: {_name: inverse_sqrt, warmup_updates: 4000, warmup_init_lr: 1.0e-07},
     optimizer: {_name: adam, adam_betas: "(0.9, 0.98)", weight_decay: 0.0001}}

Schedulers: fixed, inverse_sqrt, polynomial_decay, cosine, tri_stage, step, triangular
(fairseq/optim/lr_scheduler/*.py). fairseq's trainer calls ``step_update(num_updates)``
when the optimizer is built and after every optimizer update, so update k applies
step_update(k) (k = 0 first). ``update_freq`` (gradient accumulation) does not change
that clock; it only sets how many updates an epoch has, ⌈batches / update_freq⌉,
which the per-epoch lrs of ``fixed`` (``lr`` lists, ``force_anneal``) need.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import PlanError
from ..optim import OptimizerSpec
from ..plan import Horizon, ImportResult, Plan
from ..schedules import (
    ByEpoch,
    Chained,
    Constant,
    Exponential,
    InverseSqrt,
    LinearRamp,
    NaturalExpDecay,
    Piecewise,
    Polynomial,
    Sequential,
)
from ..schedules.extra import CycleAnneal, FloorStep, Shaped, Triangular
from ._common import external_spec

NAME = "fairseq"
ALIASES = ("fairseq-train",)

#: each scheduler's options and defaults (the dataclasses of fairseq/optim/lr_scheduler/*.py)
OPTIONS: dict[str, dict[str, Any]] = {
    "fixed": {"force_anneal": None, "lr_shrink": 0.1, "warmup_updates": 0},
    "inverse_sqrt": {"warmup_updates": 4000, "warmup_init_lr": -1.0},
    "polynomial_decay": {"warmup_updates": 0, "force_anneal": None, "end_learning_rate": 0.0, "power": 1.0,
                         "total_num_update": None},
    "cosine": {"warmup_updates": 0, "warmup_init_lr": -1.0, "min_lr": 0.0, "t_mult": 1.0, "lr_period_updates": -1.0,
               "lr_shrink": 0.1},
    "tri_stage": {"warmup_steps": 0, "hold_steps": 0, "decay_steps": 0, "phase_ratio": None, "init_lr_scale": 0.01,
                  "final_lr_scale": 0.01},
    "step": {"warmup_updates": 0, "warmup_init_lr": -1.0, "min_lr": 0.0, "lr_deacy_period": 25000, "lr_decay": 0.5},
    "triangular": {"max_lr": None, "lr_period_updates": 5000.0, "lr_shrink": 0.1, "shrink_min": False},
}
#: optimization-level fields read (flat or under ``optimization``)
OPTIMIZATION = ("lr", "max_update", "max_epoch", "update_freq", "batches_per_epoch")
_OPTIMIZERS = {"adam": "adamw", "sgd": "sgd", "nag": "sgd", "adagrad": "adagrad"}


def detect(data) -> bool:
    if not isinstance(data, dict):
        return False
    sched = _norm(data).get("lr_scheduler")
    return (isinstance(sched, str) and sched in OPTIONS) or (isinstance(sched, dict) and sched.get("_name") in OPTIONS)


def _norm(data: dict) -> dict:
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def _flatten(data: dict) -> tuple[str, dict, dict, dict]:
    """(scheduler name, its options, optimization fields, optimizer fields) from either layout."""
    data = _norm(data)
    sched = data.get("lr_scheduler")
    if isinstance(sched, dict):
        sched = _norm(sched)
        name = sched.pop("_name", None)
        opts, optim = sched, _norm(data.get("optimization") or {})
        optimizer = _norm(data["optimizer"]) if isinstance(data.get("optimizer"), dict) else {}
    else:
        name = sched
        opts = {k: v for k, v in data.items() if name in OPTIONS and k in OPTIONS[name]}
        optim = {k: v for k, v in data.items() if k in OPTIMIZATION}
        optimizer = {"_name": data.get("optimizer"), **{k: v for k, v in data.items() if k.startswith("adam_")},
                     **({"weight_decay": data["weight_decay"]} if "weight_decay" in data else {}),
                     **({"momentum": data["momentum"]} if "momentum" in data else {})}
    if name == "reduce_lr_on_plateau":
        raise PlanError("lr_scheduler", "fairseq reduce_lr_on_plateau follows the validation loss (and adds its own "
                        "warmup): not mapped; use a torch ReduceLROnPlateau config (--from torch)")
    if name not in OPTIONS:
        raise PlanError("lr_scheduler", f"unknown fairseq scheduler {name!r}; accepted: {', '.join(OPTIONS)}")
    for key in opts:
        if key not in OPTIONS[name] and key not in ("lr", "max_update"):
            raise PlanError(f"lr_scheduler.{key}", f"unknown option of fairseq {name}; accepted: {', '.join(OPTIONS[name])}")
    merged = {**OPTIONS[name], **{k: v for k, v in opts.items() if k in OPTIONS[name]}}
    for key in ("lr", "max_update"):  # Hydra configs may repeat them under lr_scheduler (II interpolations)
        if key in opts and not isinstance(opts[key], str):
            optim.setdefault(key, opts[key])
    return name, merged, optim, optimizer


def _lrs(optim: dict) -> list[float]:
    lr = optim.get("lr", 0.25)  # fairseq's default --lr
    lrs = [float(v) for v in (lr if isinstance(lr, (list, tuple)) else [lr])]
    if not lrs:
        raise PlanError("lr", "needs at least one learning rate")
    return lrs


def _single(lrs: list[float], name: str) -> float:
    if len(lrs) > 1:
        raise PlanError("lr", f"fairseq {name} takes one lr (several are per-epoch lrs of 'fixed')")
    return lrs[0]


def _warm_then(body, w: int, start: float, *, clock: str = "restart"):
    """fairseq's linear warmup init + k·(lr − init)/W for k < W, then ``body``."""
    if w <= 0:
        return body
    return Sequential(stages=(LinearRamp(start_factor=start, end_factor=1.0, total_iters=w), body),
                      milestones=(w,), clock=clock)


def _fixed(o: dict, lrs: list[float], updates_per_epoch: int | None):
    """fixed: lr of the epoch (lr list, force_anneal) times (k + 1)/W during warmup."""
    fa, shrink = o["force_anneal"], float(o["lr_shrink"])
    if len(lrs) == 1 and fa is None:
        per_epoch = Constant()
    else:
        if not updates_per_epoch:
            raise PlanError("batches_per_epoch", "per-epoch lrs (an lr list or force_anneal) need the updates per epoch: "
                            "give batches_per_epoch (with update_freq) or --steps-per-epoch")
        listed = Piecewise(boundaries=tuple(range(1, len(lrs))), values=tuple(lrs))
        if fa is None:
            per_epoch = listed
        else:
            # epoch E (0-based) ≥ fa − 1 runs at lrs[-1]·shrink^(E + 2 − fa)
            start = max(int(fa) - 1, 0)
            anneal = Chained(schedules=(Piecewise(boundaries=(), values=(lrs[-1] * shrink ** (start + 2 - int(fa)),)),
                                        Exponential(gamma=shrink)))
            per_epoch = anneal if start == 0 else Sequential(stages=(listed, anneal), milestones=(start,))
        per_epoch = ByEpoch(schedule=per_epoch, steps_per_epoch=int(updates_per_epoch), cadence="epoch")
    w = int(o["warmup_updates"])
    if w <= 0:
        return per_epoch
    warm = Sequential(stages=(Shaped(shape="linear", span=w, shift=1), Constant()), milestones=(w,))
    return Chained(schedules=(per_epoch, warm))


def _step_floor_start(top: float, decay: float, floor: float) -> int | None:
    """First j with top·decay^j < floor (fairseq then clamps at min_lr), or None if it never comes."""
    if floor <= 0 or decay >= 1:
        return None
    for j in range(1, 100_000):
        if top * decay**j < floor:
            return j
    return None


def build(name: str, o: dict, lrs: list[float], optim: dict, updates_per_epoch: int | None, notes: list[str]):
    """(schedule on the update clock, the group's base lr)."""
    if name == "fixed":
        return _fixed(o, lrs, updates_per_epoch), lrs[0]
    lr = _single(lrs, name)
    max_update = int(optim.get("max_update") or 0)
    if name == "inverse_sqrt":
        w = int(o["warmup_updates"])
        if w <= 0:
            raise PlanError("lr_scheduler.warmup_updates", "fairseq inverse_sqrt divides by warmup_updates: it must be ≥ 1")
        init = float(o["warmup_init_lr"])
        init = 0.0 if init < 0 else init
        decay = InverseSqrt(warmup_steps=w, timescale=w)
        if init == 0:
            return decay, lr
        return _warm_then(decay, w, init / lr, clock="global"), lr
    if name == "polynomial_decay":
        total = o["total_num_update"] if o["total_num_update"] is not None else max_update
        w, total = int(o["warmup_updates"]), int(total)
        if total <= w:
            raise PlanError("lr_scheduler.total_num_update", "must exceed warmup_updates (fairseq decays over the difference)")
        if o["force_anneal"] is not None:
            notes.append("polynomial_decay ignores force_anneal with a single lr (it keeps the current lr)")
        body = Polynomial(total_iters=total - w, power=float(o["power"]), end_lr=float(o["end_learning_rate"]))
        if w <= 0:
            return body, lr
        return Sequential(stages=(Shaped(shape="linear", span=w), body), milestones=(w,)), lr
    if name == "cosine":
        w = int(o["warmup_updates"])
        low = min(float(o["min_lr"]), lr)
        init = float(o["warmup_init_lr"])
        init = low if init < 0 else init
        period = float(o["lr_period_updates"])
        if period <= 0:
            if max_update <= 0:
                raise PlanError("max_update", "fairseq cosine needs max_update or lr_period_updates")
            period = max_update - w
        if period != int(period) or period < 1:
            raise PlanError("lr_scheduler.lr_period_updates", f"must be a whole number of updates ≥ 1, got {period}")
        if float(o["t_mult"]) < 1:
            raise PlanError("lr_scheduler.t_mult", "t_mult < 1 leaves fairseq's cycle formula's domain; use ≥ 1")
        body = CycleAnneal(t_initial=int(period), shape="cosine", lr_min=low, cycle_mul=float(o["t_mult"]),
                           cycle_decay=float(o["lr_shrink"]), cycle_limit=None, decay_floor=True)
        return _warm_then(body, w, init / lr), lr
    if name == "tri_stage":
        if o["phase_ratio"] is not None:
            ratio = [float(r) for r in o["phase_ratio"]]
            if max_update <= 0:
                raise PlanError("max_update", "phase_ratio needs max_update")
            w, h, d = (int(max_update * r) for r in ratio)
        else:
            w, h, d = int(o["warmup_steps"]), int(o["hold_steps"]), int(o["decay_steps"])
        if d <= 0:
            raise PlanError("lr_scheduler.decay_steps", "fairseq tri_stage divides by decay_steps: it must be ≥ 1")
        rate = -math.log(float(o["final_lr_scale"])) / d
        final = float(o["final_lr_scale"])
        # decay covers local steps 0..d inclusive (fairseq's `<=`), then the final lr
        parts = [(w, LinearRamp(start_factor=float(o["init_lr_scale"]), end_factor=1.0, total_iters=w)),
                 (h, Constant()), (d + 1, NaturalExpDecay(decay_rate=rate)),
                 (0, LinearRamp(start_factor=final, end_factor=final, total_iters=0))]
        kept = [(n, s) for n, s in parts[:-1] if n > 0] + [parts[-1]]
        edges = [sum(n for n, _ in kept[: i + 1]) for i in range(len(kept) - 1)]
        return Sequential(stages=tuple(s for _, s in kept), milestones=tuple(edges)), lr
    if name == "step":
        w = int(o["warmup_updates"])
        low = float(o["min_lr"])
        init = float(o["warmup_init_lr"])
        init = low if init < 0 else init
        decay, period = float(o["lr_decay"]), int(o["lr_deacy_period"])
        body = FloorStep(step_size=float(period), gamma=decay)
        j = _step_floor_start(lr, decay, low)
        if j is not None:
            body = Sequential(stages=(body, Piecewise(boundaries=(), values=(low,))), milestones=(j * period,))
        return _warm_then(body, w, init / lr), lr
    # triangular: the lr is the floor, max_lr the peak
    if o["max_lr"] is None:
        raise PlanError("lr_scheduler.max_lr", "fairseq triangular needs max_lr")
    half = float(o["lr_period_updates"]) // 2
    return Triangular(max_lr=float(o["max_lr"]), step_size=half, shrink=float(o["lr_shrink"]),
                      shrink_min=bool(o["shrink_min"])), lr


def _optimizer(cfg: dict, lr: float, notes: list) -> OptimizerSpec:
    kind = cfg.get("_name") or "nag"
    name = _OPTIMIZERS.get(str(kind))
    if name is None:  # adafactor, adadelta, lamb, ...: fairseq's own wrappers
        rest = {k: v for k, v in cfg.items() if k not in ("_name", "lr")}
        return external_spec(str(kind), lr, rest, "optimizer", notes)
    hp: dict[str, Any] = {}
    if "weight_decay" in cfg:
        hp["weight_decay"] = float(cfg["weight_decay"])
    if name == "adamw" and cfg.get("adam_betas") is not None:
        betas = cfg["adam_betas"]
        if isinstance(betas, str):  # fairseq writes them as a string "(0.9, 0.98)"
            betas = [float(b) for b in betas.strip("()[] ").split(",")]
        hp["betas"] = tuple(float(b) for b in betas)
    if name == "adamw" and cfg.get("adam_eps") is not None:
        hp["eps"] = float(cfg["adam_eps"])
    if name == "sgd":
        hp["momentum"] = float(cfg.get("momentum", 0.99 if kind == "nag" else 0.0))
        hp["nesterov"] = kind == "nag" and hp["momentum"] > 0
    return OptimizerSpec(name=name, lr=lr, hparams=hp)


def to_plan(data, *, steps=None, steps_per_epoch=None, source="") -> ImportResult:
    """A fairseq scheduler config as a plan on the optimizer-update clock."""
    if not isinstance(data, dict):
        raise PlanError("", f"a fairseq config is a mapping, got {type(data).__name__}")
    name, opts, optim, optimizer = _flatten(data)
    lrs = _lrs(optim)
    upe = steps_per_epoch
    if upe is None and optim.get("batches_per_epoch"):
        freq = optim.get("update_freq", [1])
        freq = int(freq[0] if isinstance(freq, (list, tuple)) else freq)
        upe = -(-int(optim["batches_per_epoch"]) // freq)
    notes = [f"fairseq {name}: step_update(num_updates) after every optimizer update"]
    schedule, base = build(name, opts, lrs, optim, upe, notes)
    horizon_steps = steps or (int(optim["max_update"]) if optim.get("max_update") else None)
    plan = Plan(optimizer=_optimizer(optimizer, base, notes), scheduler=schedule,
                horizon=Horizon(steps=horizon_steps, past="continue") if horizon_steps else Horizon())
    return ImportResult(plan=plan, notes=notes)
