"""DeepSpeed: the ``scheduler: {type, params}`` (and ``optimizer``) sections of a DeepSpeed config.

    {"optimizer": {"type": "AdamW", "params": {"lr": 3e-4, "betas": [0.9, 0.95], "weight_decay": 0.1}},
     "scheduler": {"type": "WarmupDecayLR",
                   "params": {"warmup_min_lr": 0, "warmup_max_lr": 3e-4, "warmup_num_steps": 500,
                              "total_num_steps": 10000, "warmup_type": "linear"}}}

Types: WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle (with its momentum cycle),
LRRangeTest. The engine calls ``scheduler.step()`` after every optimizer update
(gradient-accumulation boundary), and each scheduler sets an lr when it is built, so
update k applies ``get_lr()`` at ``last_batch_iteration = k − 1``: the first two
updates share the warmup's first value (WarmupCosineLR: the first runs at lr 0).
Warmups are logarithmic unless ``warmup_type: linear``; ``warmup_num_steps`` (an int ≥ 1,
as DeepSpeed requires) below 2 counts as 2. OneCycle's second half may be 0. Values are
scalars (one for every group); ``"auto"`` (filled in by the HF Trainer integration, in
``scheduler.params`` or ``optimizer.params``) must be replaced by numbers first.
"""

from __future__ import annotations

from typing import Any

from ..errors import PlanError
from ..groups import ParamGroup
from ..optim import OPTIMIZER_HPARAMS, OptimizerSpec
from ..plan import Horizon, ImportResult, Plan
from ..schedules import Chained, Cyclic, InverseTimeDecay, LinearRamp, Piecewise, Sequential
from ..schedules.extra import LinearGrowth, LogWarmup, Shaped
from ._common import external_spec, is_whole

NAME = "deepspeed"
ALIASES = ("ds",)

#: scheduler type -> its parameters and their defaults (deepspeed/runtime/lr_schedules.py)
PARAMS: dict[str, dict[str, Any]] = {
    "WarmupLR": {"warmup_min_lr": 0.0, "warmup_max_lr": None, "warmup_num_steps": 1000, "warmup_type": "log"},
    "WarmupDecayLR": {"total_num_steps": None, "warmup_min_lr": 0.0, "warmup_max_lr": 0.001,
                      "warmup_num_steps": 1000, "warmup_type": "log"},
    "WarmupCosineLR": {"total_num_steps": None, "warmup_min_ratio": 0.0, "warmup_num_steps": 1000,
                       "cos_min_ratio": 0.0001, "warmup_type": "log"},
    "OneCycle": {"cycle_min_lr": None, "cycle_max_lr": None, "decay_lr_rate": 0.0, "cycle_first_step_size": 2000,
                 "cycle_second_step_size": None, "cycle_first_stair_count": 0, "cycle_second_stair_count": None,
                 "decay_step_size": 0, "cycle_momentum": True, "cycle_min_mom": 0.8, "cycle_max_mom": 0.9,
                 "decay_mom_rate": 0.0},
    "LRRangeTest": {"lr_range_test_min_lr": 0.001, "lr_range_test_step_size": 2000, "lr_range_test_step_rate": 1.0,
                    "lr_range_test_staircase": False},
}
#: DeepSpeed optimizer types -> lrbridge optimizers (Adam is AdamW unless adam_w_mode: false)
OPTIMIZERS = {"adam": "adamw", "adamw": "adamw", "fusedadam": "adamw", "cpuadam": "adamw", "sgd": "sgd",
              "torch_adam": "adam"}
TOP_KEYS = ("optimizer", "scheduler", "gradient_accumulation_steps", "train_batch_size",
            "train_micro_batch_size_per_gpu", "steps")


def detect(data) -> bool:
    sched = data.get("scheduler") if isinstance(data, dict) else None
    return isinstance(sched, dict) and sched.get("type") in PARAMS and "params" in sched or (
        isinstance(data, dict) and "zero_optimization" in data)


def _params(kind: str, given: dict) -> dict:
    accepted = PARAMS[kind]
    out = dict(accepted)
    for key, value in given.items():
        path = f"scheduler.params.{key}"
        if key == "last_batch_iteration":
            if value != -1:
                raise PlanError(path, f"a resumed scheduler ({value!r}) is not mapped: leave it out (or -1) and "
                                "resume the plan at update last_batch_iteration + 1 (lrbridge resume --format "
                                "deepspeed; docs/resume.md)")
            continue
        if key not in accepted:
            raise PlanError(path, f"unknown parameter of DeepSpeed {kind}; accepted: {', '.join(accepted)}")
        if value == "auto":
            raise PlanError(path, "'auto' is filled in by the HF Trainer at run time; write the number")
        if isinstance(value, (list, tuple)):
            raise PlanError(path, "per-group lists are not mapped; give one value for every group")
        out[key] = value
    return out


def _whole(p: dict, key: str, low: int, why: str) -> int:
    """``p[key]`` as DeepSpeed requires it: an integer ≥ ``low`` (``why``: what DeepSpeed does otherwise)."""
    value = p[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise PlanError(f"scheduler.params.{key}", f"must be a whole number ≥ {low} ({why}), got {value!r}")
    return value


def _optimizer(cfg, notes: list) -> OptimizerSpec:
    if not cfg:
        return OptimizerSpec(name="adamw", lr=0.001)
    kind = str(cfg.get("type", "")).lower()
    params = dict(cfg.get("params") or {})
    for key, value in sorted(params.items(), key=lambda kv: kv[0] != "lr"):  # lr first: the one HF always fills
        if value == "auto" and (key == "lr" or kind in OPTIMIZERS):
            raise PlanError(f"optimizer.params.{key}", "'auto' is filled in by the HF Trainer at run time; write the number")
    name = OPTIMIZERS.get(kind)
    if name is None:  # Lamb, OneBitAdam, OneBitLamb, ZeroOneAdam, ...
        if not kind:
            raise PlanError("optimizer.type", "give the optimizer's type (e.g. AdamW, Lamb)")
        rest = {k: v for k, v in params.items() if k != "lr" and v != "auto"}
        return external_spec(str(cfg.get("type")), params.get("lr", 0.001), rest, "optimizer.params", notes)
    if kind == "adam" and params.get("adam_w_mode") is False:
        name = "adam"
    hp = {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k in OPTIMIZER_HPARAMS[name]}
    lr = params.get("lr", 0.001)
    return OptimizerSpec(name=name, lr=float(lr), hparams=hp)


def _const(value: float):
    """An absolute constant lr (or hyperparameter)."""
    return Piecewise(boundaries=(), values=(float(value),))


def _zero():
    return LinearRamp(start_factor=0.0, end_factor=0.0, total_iters=0)


def _one_late(schedule, first=None):
    """DeepSpeed's stepping: update 0 applies ``first`` (default: the schedule's own value at 0), update k ≥ 1 applies schedule(k − 1)."""
    return Sequential(stages=(first if first is not None else schedule, schedule), milestones=(1,), clock="restart")


def _warm(kind: str, steps: int, start: float):
    """DeepSpeed's warmup factor from ``start`` to 1 over W steps (log or linear), on its own step index."""
    if kind == "linear":
        return LinearRamp(start_factor=start, end_factor=1.0, total_iters=steps)
    return LogWarmup(warmup_steps=steps, start_factor=start)


def _warmup_type(value, notes) -> str:
    if value not in ("log", "linear"):
        notes.append(f"warmup_type {value!r} is unknown to DeepSpeed, which then warms up logarithmically")
        return "log"
    return value


def _required(p: dict, key: str, kind: str):
    if p[key] is None:
        raise PlanError(f"scheduler.params.{key}", f"DeepSpeed {kind} needs {key}")
    return p[key]


#: why ``warmup_num_steps`` must be a positive int (deepspeed/runtime/lr_schedules.py checks isinstance(·, int))
WARMUP_STEPS_WHY = "DeepSpeed raises ValueError otherwise; 1 counts as 2"


def _total(p: dict, kind: str) -> int:
    """``total_num_steps``: DeepSpeed computes with it as given (10.0 works as 10); a fraction is not mapped."""
    value = _required(p, "total_num_steps", kind)
    if not is_whole(value) or value < 0:
        raise PlanError("scheduler.params.total_num_steps",
                        f"must be a whole number of optimizer updates ≥ 0, got {value!r}")
    return int(value)


def build(kind: str, p: dict, base_lr: float, notes: list[str]):
    """(schedule on optimizer updates, the groups' base lr, hparam schedules)."""
    if kind in ("WarmupLR", "WarmupDecayLR"):
        top = base_lr if p["warmup_max_lr"] is None else float(p["warmup_max_lr"])
        low = float(p["warmup_min_lr"])
        if top <= 0:
            raise PlanError("scheduler.params.warmup_max_lr", "must be positive (the lr the warmup reaches)")
        w = max(2, _whole(p, "warmup_num_steps", 1, WARMUP_STEPS_WHY))
        warm = _warm(_warmup_type(p["warmup_type"], notes), w, low / top)
        if kind == "WarmupLR":
            return _one_late(warm), top, {}
        total = _total(p, kind)
        span = total - w
        decay = (Shaped(shape="remaining", span=span, floor=low / top) if span >= 1
                 else LinearRamp(start_factor=low / top, end_factor=low / top, total_iters=0))
        return _one_late(Sequential(stages=(warm, decay), milestones=(w,), clock="restart")), top, {}
    if kind == "WarmupCosineLR":
        total = _total(p, kind)
        w = max(2, _whole(p, "warmup_num_steps", 1, WARMUP_STEPS_WHY))
        warm = _warm(_warmup_type(p["warmup_type"], notes), w, float(p["warmup_min_ratio"]))
        cos = Shaped(shape="cosine", span=max(1, total - w), cycles=0.5, floor=float(p["cos_min_ratio"]), shift=1, clamp=True)
        notes.append("WarmupCosineLR sets lr 0 when built: the first update runs at lr 0")
        return _one_late(Sequential(stages=(warm, cos), milestones=(w,), clock="restart"), first=_zero()), base_lr, {}
    if kind == "OneCycle":
        return _one_cycle(p, notes)
    # LRRangeTest: update k applies min_lr·(1 + rate·(k / step_size)), staircase ⌊·⌋
    step_size = _whole(p, "lr_range_test_step_size", 1, "DeepSpeed raises ValueError otherwise")
    return (LinearGrowth(rate=float(p["lr_range_test_step_rate"]), step_size=step_size,
                         staircase=bool(p["lr_range_test_staircase"])), float(p["lr_range_test_min_lr"]), {})


#: most pieces one staircase half-cycle of OneCycle becomes (a ``piecewise`` of that many values)
MAX_STAIRS = 100_000


def _stair_count(value, key: str, notes: list[str]) -> int:
    """A stair count: DeepSpeed quantises only when it is > 0, so a negative one (the -1 that DeepSpeed's
    own get_config_from_args writes for an unset flag) is a continuous half, as 0 is."""
    if not is_whole(value):
        raise PlanError(f"scheduler.params.{key}", f"must be a whole number ≥ 0, got {value!r}")
    if value < 0:
        notes.append(f"{key} {value!r} < 0: no stairs in that half, as DeepSpeed reads it (write 0)")
        return 0
    return int(value)


def _staircase(level, stairs: int, first: int, last: int, changes, value, key: str):
    """``piecewise`` over global steps first..last of value(level(k) / stairs), level a whole-number
    staircase; ``changes`` lists the steps where it may change (all steps when there are more stairs)."""
    if min(stairs, last - first + 1) > MAX_STAIRS:
        raise PlanError(f"scheduler.params.{key}", f"more than {MAX_STAIRS} stairs in a half cycle "
                        "are not mapped; use fewer stairs (or record the run with lrbridge.trace)")
    ks = range(first, last + 1) if stairs >= last - first + 1 else sorted({first, *(k for k in changes if first < k <= last)})
    bounds, values = [], []
    for k in ks:
        v = value(level(k) / stairs)
        if not values or v != values[-1]:
            if values:
                bounds.append(k)
            values.append(v)
    return Piecewise(boundaries=tuple(bounds), values=tuple(values))


def _cycle(up: int, down: int, stairs: tuple[int, int], continuous, value):
    """The cycle over global steps 0..up+down: DeepSpeed's ``_get_scale_factor`` at batch k.

    Half ``i`` with ``stairs[i] = s > 0`` holds scale ⌊c·s/up⌋/s (rising, c = k) or
    ⌊(total − c)·s/down⌋/s (falling), from the integer offset as DeepSpeed computes it; a half
    without stairs is the continuous triangle ``continuous``. ``value(scale)`` is the lr (or
    momentum) DeepSpeed computes from the scale, in its own operation order."""
    s1, s2 = stairs
    if not s1 and (not s2 or not down):
        return continuous
    total = up + down
    rise = continuous if not s1 else _staircase(lambda k: (k * s1) // up, s1, 0, up,
                                                (-(-j * up // s1) for j in range(1, s1 + 1)), value, "cycle_first_stair_count")
    if not down:  # no falling half: only steps 0..up − 1 are read (the cycle's end, update up, is the decay's start)
        return rise
    fall = continuous if not s2 else _staircase(lambda k: ((total - k) * s2) // down, s2, up + 1, total,
                                                (total - -(-(j + 1) * down // s2) + 1 for j in range(s2)), value,
                                                "cycle_second_stair_count")
    return Sequential(stages=(rise, fall), milestones=(up + 1,), clock="global")


def _phase(value, key: str, low: int) -> int:
    """A OneCycle length: DeepSpeed needs the first half ≥ 1 and the second ≥ 0 (ValueError otherwise), and
    decay_step_size ≥ 0; fractional lengths (DeepSpeed computes with floats) are not mapped."""
    if not is_whole(value) or value < low:
        what = ("OneCycle's half cycles must be whole numbers of steps (the first ≥ 1, the second ≥ 0)"
                if key.startswith("cycle_") else f"must be a whole number of steps ≥ {low} (0: no decay)")
        raise PlanError(f"scheduler.params.{key}", f"{what}, got {value!r}")
    return int(value)


def _one_cycle(p: dict, notes: list[str]):
    lo, hi = float(_required(p, "cycle_min_lr", "OneCycle")), float(_required(p, "cycle_max_lr", "OneCycle"))
    up = _phase(p["cycle_first_step_size"], "cycle_first_step_size", 1)
    down = up if p["cycle_second_step_size"] is None else _phase(p["cycle_second_step_size"], "cycle_second_step_size", 0)
    first = _stair_count(p["cycle_first_stair_count"] or 0, "cycle_first_stair_count", notes)
    # an absent second count is DeepSpeed's copy of the first as given (a negative first: no stairs either)
    second = first if p["cycle_second_stair_count"] is None else _stair_count(p["cycle_second_stair_count"],
                                                                                "cycle_second_stair_count", notes)
    stairs = (first, second)
    if any(stairs):
        notes.append(f"OneCycle staircase: {first} stairs up, {second} down (lr held flat on each stair)")
    total = up + down
    # update k ≤ total applies the triangle at k (the built value, min, is the triangle at 0). A second half
    # of 0 (DeepSpeed allows it): the rise k/up for k < up, then update up = total is back at min, the decay's
    # start; the triangle is read on k < up only, where a one-step fall (step_size_down=1) rises as k/up too
    tri_down = max(down, 1)
    cyc = _cycle(up, down, stairs, Cyclic(base_lr=lo, max_lr=hi, step_size_up=up, step_size_down=tri_down,
                                          mode="triangular"), lambda scale: lo + (hi - lo) * scale)
    dss, rate = _phase(p["decay_step_size"], "decay_step_size", 0), float(p["decay_lr_rate"])
    after = InverseTimeDecay(decay_rate=rate, decay_steps=dss) if dss and rate else _const(lo)
    lr = Sequential(stages=(cyc, after), milestones=(total,), clock="restart")
    hparams = {}
    if p["cycle_momentum"]:
        mlo, mhi = float(p["cycle_min_mom"]), float(p["cycle_max_mom"])
        mom = _cycle(up, down, stairs, Cyclic(base_lr=mhi, max_lr=mlo, step_size_up=up, step_size_down=tri_down,
                                              mode="triangular"), lambda scale: mhi - (mhi - mlo) * scale)
        mrate = float(p["decay_mom_rate"])
        # after the cycle DeepSpeed *raises* momentum: max_mom·(1 + rate·t/decay_step_size)
        grow = Chained(schedules=(_const(mhi), LinearGrowth(rate=mrate, step_size=dss))) if dss and mrate else _const(mhi)
        after = Sequential(stages=(_const(mhi), grow), milestones=(total,), clock="restart")
        # update 0: the built betas (min_mom); a one-step cycle (up 1, down 0) goes straight on to `after`
        hparams["beta1"] = (Sequential(stages=(_const(mlo), mom, after), milestones=(1, total), clock="global")
                            if total > 1 else Sequential(stages=(_const(mlo), after), milestones=(1,), clock="global"))
        notes.append("OneCycle cycles betas[0] (optimizers with betas only) and sets betas[1] to 0.99")
    return lr, lo, hparams


def to_plan(data, *, steps=None, steps_per_epoch=None, source="") -> ImportResult:
    """A DeepSpeed config as a plan on the optimizer-update clock (k = 0 is the first update)."""
    if not isinstance(data, dict):
        raise PlanError("", f"a DeepSpeed config is a mapping, got {type(data).__name__}")
    sched = data.get("scheduler")
    if not isinstance(sched, dict) or "type" not in sched:
        raise PlanError("scheduler", "needs a mapping with a 'type' (and 'params')")
    kind = sched["type"]
    if kind not in PARAMS:
        raise PlanError("scheduler.type", f"unknown DeepSpeed scheduler {kind!r}; accepted: {', '.join(PARAMS)} "
                        "(a torch.optim.lr_scheduler name: use --from torch with the same type and params)")
    for key in sched:
        if key not in ("type", "params"):
            raise PlanError(f"scheduler.{key}", "unknown key; accepted: type, params")
    notes = [f"DeepSpeed {kind}: scheduler.step() after every optimizer update"]
    opt = _optimizer(data.get("optimizer"), notes)
    if not data.get("optimizer"):
        notes.append("no optimizer section (a client optimizer): AdamW assumed")
    schedule, base, hparams = build(kind, _params(kind, dict(sched.get("params") or {})), opt.lr, notes)
    if hparams and opt.cycled_hparam == "beta1":
        betas = tuple(opt.resolved()["betas"])
        opt = opt.model_copy(update={"hparams": {**opt.hparams, "betas": (betas[0], 0.99)}})
    elif hparams:
        hparams = {}
        notes.append(f"{opt.name} has no betas: DeepSpeed leaves momentum alone")
    group = ParamGroup(name="default", rest=True, lr=base, hparam_schedulers=hparams)
    horizon_steps = steps or data.get("steps") or (sched.get("params") or {}).get("total_num_steps")
    horizon = Horizon(steps=int(horizon_steps), past="continue") if horizon_steps else Horizon()
    return ImportResult(plan=Plan(optimizer=opt, groups=(group,), scheduler=schedule, horizon=horizon), notes=notes)
