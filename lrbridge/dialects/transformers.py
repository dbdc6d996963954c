"""HF transformers: ``TrainingArguments`` fields, as the Trainer turns them into optimizer and scheduler.

    learning_rate: 2.0e-5
    lr_scheduler_type: cosine          # every SchedulerType (reduce_lr_on_plateau kept metric-driven; greedy refused)
    lr_scheduler_kwargs: {num_cycles: 0.5}   # or the command-line JSON string '{"num_cycles": 0.5}'
    warmup_steps: 0.1                  # ≥ 1: steps; < 1: a ratio of the training steps, rounded UP (math.ceil)
    num_train_epochs: 3                # or max_steps: 10000
    batches_per_epoch: 1000            # len(train_dataloader); or pass steps_per_epoch (updates per epoch)
    gradient_accumulation_steps: 4
    weight_decay: 0.01
    optim: adamw_torch

The Trainer steps the scheduler after every optimizer update, so update k applies
λ(k)·lr (LambdaLR). The training length is ``max_steps`` when positive, else
⌈num_train_epochs · updates per epoch⌉ with updates per epoch
max(⌈batches / gradient_accumulation_steps⌉, 1). Warmup: ``warmup_steps`` (a float
below 1 is a ratio, rounded up), or transformers 4's ``warmup_ratio`` (also rounded
up, used when warmup_steps is 0). With weight decay the Trainer builds two groups:
parameters whose lowercased name contains bias, layernorm, rmsnorm or a ``norm`` /
``_norm`` component get no decay (and so do parameters of ``nn.LayerNorm`` modules
under other names, which a name selector cannot see: list them in ``no_decay``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..errors import PlanError
from ._common import external_spec, skip_unknown
from ..groups import ParamGroup
from ..optim import OptimizerSpec
from ..plan import Horizon, ImportResult, Plan
from ..schedules import Constant, InverseSqrt, LinearRamp, Polynomial, ReduceOnPlateau, Sequential
from ..schedules.extra import Shaped

NAME = "transformers"
ALIASES = ("hf", "huggingface", "trainer")

#: the SchedulerType values of transformers 5.x
SCHEDULER_TYPES = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                   "inverse_sqrt", "reduce_lr_on_plateau", "cosine_with_min_lr", "cosine_warmup_with_min_lr",
                   "warmup_stable_decay", "greedy")
#: scheduler_specific_kwargs each type accepts (its get_* function's keywords)
KWARGS: dict[str, tuple[str, ...]] = {
    "linear": (), "constant": (), "constant_with_warmup": (),
    "cosine": ("num_cycles",), "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"), "inverse_sqrt": ("timescale",),
    "reduce_lr_on_plateau": ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr", "eps"),
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": ("num_decay_steps", "num_stable_steps", "warmup_type", "decay_type", "min_lr_ratio",
                            "num_cycles"),
    "greedy": (),
}
#: TrainingArguments defaults of the fields read here
DEFAULTS: dict[str, Any] = {
    "learning_rate": 5e-5, "lr_scheduler_type": "linear", "lr_scheduler_kwargs": None, "warmup_steps": 0,
    "warmup_ratio": 0.0, "max_steps": -1, "num_train_epochs": 3.0, "gradient_accumulation_steps": 1,
    "weight_decay": 0.0, "optim": "adamw_torch", "adam_beta1": 0.9, "adam_beta2": 0.999, "adam_epsilon": 1e-8,
    "batches_per_epoch": None, "no_decay": None,
}
#: TrainingArguments fields that do not change the schedule (accepted, ignored)
IGNORED = ("output_dir", "per_device_train_batch_size", "per_device_eval_batch_size", "logging_steps", "save_steps",
           "eval_steps", "seed", "fp16", "bf16", "eval_strategy", "evaluation_strategy", "save_strategy",
           "logging_dir", "report_to", "do_train", "do_eval", "max_grad_norm", "dataloader_num_workers",
           "save_total_limit", "load_best_model_at_end", "metric_for_best_model", "push_to_hub", "run_name",
           "gradient_checkpointing", "deepspeed", "overwrite_output_dir", "eval_accumulation_steps")
#: the Trainer's no-decay name patterns (Trainer.get_decay_parameter_names), searched in the lowercased name
NO_DECAY_SELECTOR = r"re:(?i).*(?:bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)).*"
_OPTIMIZERS = {"sgd": "sgd", "adagrad": "adagrad", "rmsprop": "rmsprop"}


def detect(data) -> bool:
    return isinstance(data, dict) and ("lr_scheduler_type" in data or "learning_rate" in data and (
        "num_train_epochs" in data or "max_steps" in data))


#: types whose get_scheduler call does not use num_training_steps (with a warmup given in steps; so does
#: warmup_stable_decay given num_stable_steps)
LENGTH_FREE = ("constant", "constant_with_warmup", "inverse_sqrt", "reduce_lr_on_plateau")


def _warmup_is_fraction(a: dict) -> bool:
    w = float(a["warmup_steps"])
    return 0 < w < 1 or (w == 0 and float(a["warmup_ratio"] or 0.0) > 0)


def scheduler_kwargs(value) -> dict:
    """``lr_scheduler_kwargs`` as TrainingArguments holds it: a mapping, or (from the command line or a
    YAML string) a JSON object that ``__post_init__`` parses, turning "true"/"false" and number strings
    among its values into bools and numbers."""
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise PlanError("lr_scheduler_kwargs", f"not a valid JSON object ({exc}); write it as a mapping, "
                            'e.g. {"num_cycles": 2}') from None
        if isinstance(parsed, dict):
            return {k: _typed(v) for k, v in parsed.items()}
    raise PlanError("lr_scheduler_kwargs", f"must be a mapping or a JSON object string such as "
                    f'\'{{"num_cycles": 2}}\', as TrainingArguments accepts it; got {value!r}')


def _typed(value):
    """TrainingArguments' conversion of string values in a parsed dict field."""
    if not isinstance(value, str):
        return value
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value.isdigit():
        return int(value)
    if value.replace(".", "", 1).isdigit():
        return float(value)
    return value


def _args(data: dict, notes: list[str]) -> dict:
    """The fields read, defaults filled in.

    A saved ``TrainingArguments`` has a hundred-odd fields, most irrelevant to the lr: unknown
    ones are skipped (and listed in a note), except near-misses of a field read here, which
    are errors (``learning_rat`` must not silently become the default lr).
    """
    skip_unknown(data, DEFAULTS, IGNORED, "TrainingArguments field", notes)
    return {**DEFAULTS, **{k: v for k, v in data.items() if k in DEFAULTS}}


def training_steps(a: dict, steps_per_epoch: int | None) -> int:
    """What the Trainer passes as num_training_steps."""
    if a["max_steps"] and a["max_steps"] > 0:
        return int(a["max_steps"])
    if steps_per_epoch:
        per_epoch = int(steps_per_epoch)
    elif a["batches_per_epoch"]:
        b, g = int(a["batches_per_epoch"]), int(a["gradient_accumulation_steps"])
        per_epoch = max(b // g + int(b % g > 0), 1)
    else:
        raise PlanError("max_steps", "give max_steps, or num_train_epochs with batches_per_epoch (or --steps-per-epoch)")
    return math.ceil(float(a["num_train_epochs"]) * per_epoch)


def warmup_steps(a: dict, total: int | None) -> int:
    """TrainingArguments.get_warmup_steps: int(w) for w ≥ 1, else ⌈total·w⌉; transformers 4's warmup_ratio likewise."""
    w = float(a["warmup_steps"])
    if w >= 1:
        return int(w)
    ratio = w if w > 0 else float(a["warmup_ratio"] or 0.0)
    return math.ceil(total * ratio) if ratio else 0


def _linear_warmup(w: int, shift: int = 0):
    """λ(k) = (k + shift)/max(1, W) (HF computes float(k)/float(max(1, W)))."""
    return Shaped(shape="linear", span=max(1, w), shift=shift)


def _seq(parts):
    """Stages [(length, schedule), ...] in order (the last one's length is ignored); empty stages dropped."""
    kept = [(n, s) for n, s in parts[:-1] if n > 0] + [parts[-1]]
    if len(kept) == 1:
        return kept[0][1]
    edges, at = [], 0
    for n, _ in kept[:-1]:
        at += n
        edges.append(at)
    return Sequential(stages=tuple(s for _, s in kept), milestones=tuple(edges), clock="restart")


def _factor(value: float):
    return LinearRamp(start_factor=value, end_factor=value, total_iters=0)


def build(kind: str, kw: dict, lr: float, w: int, n: int, notes: list[str]):
    """The schedule of ``get_scheduler(kind, ...)`` on the update clock (n is None: not known, unused)."""
    d = max(1, (n or 0) - w)
    if kind == "constant":
        return Constant()
    if kind == "constant_with_warmup":
        return _seq([(w, _linear_warmup(w)), (0, Constant())])
    if kind == "linear":
        decay = Shaped(shape="remaining", span=n - w) if n - w >= 1 else _factor(0.0)
        return _seq([(w, _linear_warmup(w)), (0, decay)])
    if kind == "cosine":
        return _seq([(w, _linear_warmup(w)), (0, Shaped(shape="cosine", span=d, cycles=float(kw.get("num_cycles", 0.5))))])
    if kind == "cosine_with_restarts":
        cyc = float(kw.get("num_cycles", 1))
        return _seq([(w, _linear_warmup(w)), (0, Shaped(shape="cosine_hard", span=d, cycles=cyc))])
    if kind == "polynomial":
        end, power = float(kw.get("lr_end", 1e-7)), float(kw.get("power", 1.0))
        if not lr > end:
            raise PlanError("lr_scheduler_kwargs.lr_end", f"lr_end ({end}) must be smaller than the lr ({lr})")
        if w > n:  # the warmup outlasts the training: λ = lr_end/lr from k = W on (HF's k > N branch)
            return _seq([(w, _linear_warmup(w)), (0, _factor(end / lr))])
        if n == w:
            raise PlanError("warmup_steps", f"polynomial with as many warmup steps as training steps ({n}): "
                            "transformers divides by zero when the scheduler steps after the last update; "
                            "use fewer warmup steps")
        return _seq([(w, _linear_warmup(w)), (0, Polynomial(total_iters=n - w, power=power, end_lr=end))])
    if kind == "inverse_sqrt":
        return InverseSqrt(warmup_steps=w, timescale=int(kw.get("timescale") or (w or 10_000)))
    if kind in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        rate = _min_lr_rate(kw, lr)
        cyc = float(kw.get("num_cycles", 0.5))
        if kind == "cosine_with_min_lr":
            return _seq([(w, _linear_warmup(w)), (0, Shaped(shape="cosine", span=d, cycles=cyc, floor=rate))])
        wr = kw.get("warmup_lr_rate")
        warm = _linear_warmup(w, shift=1) if wr is None else Shaped(shape="linear", span=max(1, w - 1), floor=float(wr))
        return _seq([(w, warm), (0, Shaped(shape="cosine", span=d, cycles=cyc, floor=rate, shift=1))])
    if kind == "warmup_stable_decay":
        return _wsd(kw, w, n)
    if kind == "reduce_lr_on_plateau":
        notes.append("reduce_lr_on_plateau: torch ReduceLROnPlateau stepped with the eval metric, kept metric-driven")
        return ReduceOnPlateau(**{k: (float(v) if k not in ("mode", "threshold_mode", "patience", "cooldown") else v)
                                  for k, v in kw.items()})
    raise _greedy_refusal()


def _greedy_refusal() -> PlanError:
    return PlanError("lr_scheduler_type", "greedy (GreedyLR) adapts the lr to the training loss as it goes: no closed "
                     "form; record a run with lrbridge.trace for a table")


def _min_lr_rate(kw: dict, lr: float) -> float:
    if kw.get("min_lr") is not None and kw.get("min_lr_rate") is not None:
        raise PlanError("lr_scheduler_kwargs", "give only one of min_lr or min_lr_rate")
    if kw.get("min_lr") is not None:
        return float(kw["min_lr"]) / lr
    if kw.get("min_lr_rate") is None:
        raise PlanError("lr_scheduler_kwargs", "this scheduler needs min_lr or min_lr_rate")
    return float(kw["min_lr_rate"])


_WSD_UP = {"linear": "linear", "cosine": "cosine_up", "1-sqrt": "sqrt_up"}
_WSD_DOWN = {"linear": "linear_down", "cosine": "cosine", "1-sqrt": "sqrt_down"}


def _wsd(kw: dict, w: int, n: int):
    if "num_decay_steps" not in kw:
        raise PlanError("lr_scheduler_kwargs.num_decay_steps", "warmup_stable_decay needs num_decay_steps")
    dd = int(kw["num_decay_steps"])
    stable = kw.get("num_stable_steps")
    stable = int(stable) if stable is not None else n - w - dd
    # a negative stable phase (warmup + decay longer than the training, or given so) is what HF runs: the
    # decay starts −stable steps into its curve right after the warmup, and ends at W + stable + D
    skip = max(0, -stable)
    up, down = kw.get("warmup_type", "linear"), kw.get("decay_type", "cosine")
    if up not in _WSD_UP or down not in _WSD_DOWN:
        raise PlanError("lr_scheduler_kwargs", f"warmup_type/decay_type must be one of {', '.join(_WSD_UP)}")
    m = float(kw.get("min_lr_ratio", 0.0))
    cyc = float(kw.get("num_cycles", 0.5))
    return _seq([
        (w, Shaped(shape=_WSD_UP[up], span=max(1, w), floor=m)),
        (stable, Constant()),
        (dd - skip, Shaped(shape=_WSD_DOWN[down], span=max(1, dd), cycles=cyc, floor=m, shift=skip)),
        (0, _factor(m)),
    ])


def _optimizer(a: dict, notes: list) -> OptimizerSpec:
    name = str(a["optim"]).lower()
    lr = float(a["learning_rate"])
    if name.startswith("adamw"):
        return OptimizerSpec(name="adamw", lr=lr, hparams={
            "betas": (float(a["adam_beta1"]), float(a["adam_beta2"])), "eps": float(a["adam_epsilon"]),
            "weight_decay": float(a["weight_decay"])})
    if name in _OPTIMIZERS:
        return OptimizerSpec(name=_OPTIMIZERS[name], lr=lr, hparams={"weight_decay": float(a["weight_decay"])})
    # adafactor, lion_*, galore_*, 8-bit and paged variants: the Trainer's other optimizers
    return external_spec(str(a["optim"]), lr, {"weight_decay": float(a["weight_decay"])}, "optim", notes)


def _groups(a: dict) -> tuple[ParamGroup, ...]:
    wd = float(a["weight_decay"])
    if wd == 0:
        return (ParamGroup(name="default", rest=True),)
    extra = tuple(a["no_decay"] or ())
    return (
        ParamGroup(name="decay", rest=True, weight_decay=wd),
        ParamGroup(name="no_decay", params=(NO_DECAY_SELECTOR, *extra), weight_decay=0.0),
    )


def to_plan(data, *, steps=None, steps_per_epoch=None, source="") -> ImportResult:
    """TrainingArguments-style fields as a plan on the optimizer-update clock."""
    if not isinstance(data, dict):
        raise PlanError("", f"TrainingArguments fields are a mapping, got {type(data).__name__}")
    skipped: list[str] = []
    a = _args(data, skipped)
    kind = str(a["lr_scheduler_type"]).split(".")[-1].lower()
    if kind not in SCHEDULER_TYPES:
        raise PlanError("lr_scheduler_type", f"unknown SchedulerType {kind!r}; accepted: {', '.join(SCHEDULER_TYPES)}")
    if kind == "greedy":  # refused for what it is, whatever GreedyLR keywords come with it
        raise _greedy_refusal()
    kw = scheduler_kwargs(a["lr_scheduler_kwargs"])
    for key in kw:
        if key not in KWARGS[kind]:
            raise PlanError(f"lr_scheduler_kwargs.{key}", f"{kind} takes no {key!r}; accepted: {', '.join(KWARGS[kind]) or 'none'}")
    try:
        n = training_steps(a, steps_per_epoch)
    except PlanError:
        wsd_fixed = kind == "warmup_stable_decay" and kw.get("num_stable_steps") is not None
        if not (kind in LENGTH_FREE or wsd_fixed) or _warmup_is_fraction(a):
            raise
        n = None  # get_scheduler does not use num_training_steps for these: the plan gets no horizon
    w = warmup_steps(a, n)
    lr = float(a["learning_rate"])
    length = f"{n} training steps" if n is not None else "no training length"
    notes = [f"transformers {kind}: {length}, {w} warmup steps, scheduler stepped after every update", *skipped]
    if n is None:
        notes.append(f"no training length (max_steps, or num_train_epochs with batches_per_epoch): {kind} does not "
                     "depend on it, so the plan has no horizon; give one to bound the curve")
    schedule = build(kind, kw, lr, w, n, notes)
    if float(a["weight_decay"]):
        notes.append("no-decay group by name patterns; nn.LayerNorm parameters with other names need no_decay selectors")
    plan = Plan(optimizer=_optimizer(a, notes), groups=_groups(a), scheduler=schedule,
                horizon=Horizon(steps=int(steps or n) if (steps or n) else None, past="continue"))
    return ImportResult(plan=plan, exact=kind != "reduce_lr_on_plateau", notes=notes)
