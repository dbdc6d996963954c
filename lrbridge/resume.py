"""Resume across frameworks: a checkpoint's schedule position as k, and any backend continuing from it.

Every framework and training library stores the schedule's position differently; lrbridge
reduces each to one number, ``k``: the optimizer steps already applied, so that the next one
applies the plan's lr(k). Then any backend's closed-form scheduler (``PlanLR``) continues
from k exactly (``resume``), whichever framework wrote the checkpoint.

Readers take plain data (a state dict, a trainer-state JSON, the few numbers of a checkpoint
dumped to JSON by the user's own framework): lrbridge never unpickles a file.

=============  ==========================================================  ===============================
format         where the position is                                       k
=============  ==========================================================  ===============================
torch          scheduler ``state_dict()``: ``last_epoch``                   last_epoch (x steps/epoch)
oneflow        scheduler ``state_dict()``: ``last_step``                    last_step (x steps/epoch)
mindspore      optimizer ``global_step`` (nn), PlanLR ``last_epoch``         global_step / last_epoch
mmengine       checkpoint ``meta.iter``, else ``param_schedulers[0]``:       iter / _global_step
               ``_global_step`` (``last_step`` is relative to ``begin``)    (x steps/epoch when by_epoch)
timm           checkpoint ``epoch`` (and ``version``)                       (epoch + 1) x steps/epoch
                                                                            (version < 2: epoch x steps/epoch)
deepspeed      ``lr_scheduler.last_batch_iteration`` (steps skipped on       last_batch_iteration + 1
               fp16 overflow are not counted); a torch scheduler's
               ``last_epoch``; else ``global_steps - skipped_steps``
transformers   ``scheduler.pt``'s ``last_epoch`` when given, else            last_epoch / global_step
               ``trainer_state.json``'s ``global_step``
=============  ==========================================================  ===============================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LrBridgeError, PlanError

INTERVALS = ("step", "epoch")


def _int(value, where: str, offset: int = 0) -> int:
    """``value`` (a whole number, possibly a framework scalar or a one-element list) + ``offset``, >= 0."""
    from .vocabulary import scalar

    try:
        if isinstance(value, (list, tuple)) and len(value) == 1:
            value = value[0]  # MindSpore's global_step is a Parameter of shape [1]
        value = scalar(value)
        if isinstance(value, bool):
            raise TypeError
        out = int(value)
    except (TypeError, ValueError, OverflowError):
        raise PlanError(where, f"expected an integer step count, got {type(value).__name__}") from None
    if out != value or out + offset < 0:
        raise PlanError(where, f"expected a whole step count of at least {-offset}, got {value!r}")
    return out + offset


#: keys under which checkpoints commonly keep the scheduler's own state dict
_WRAPPERS = ("scheduler", "lr_scheduler", "state_dict")


def _holders(state) -> list[dict]:
    """``state`` and the scheduler state dicts it wraps one level down."""
    if not isinstance(state, dict):
        raise PlanError("state", f"expected a state dict (a JSON object), got {type(state).__name__}")
    return [state, *(state[w] for w in _WRAPPERS if isinstance(state.get(w), dict))]


def _get(state, *keys):
    """``(value, key)`` of the first of ``keys`` found in ``state`` or a wrapped scheduler state, else None."""
    for holder in _holders(state):
        for key in keys:
            if key in holder and holder[key] is not None:
                return holder[key], key
    return None


def _find(state, *keys):
    """Like ``_get``, but a missing key is an error listing what the state holds."""
    found = _get(state, *keys)
    if found is None:
        raise PlanError("state", f"no {' or '.join(keys)} in this state (keys: {', '.join(map(str, list(state)[:12]))})")
    return found


def _per_epoch(fmt: str, spe, why: str) -> int:
    if not (isinstance(spe, int) and not isinstance(spe, bool) and spe >= 1):
        raise PlanError("steps_per_epoch", f"a {fmt} state {why}: pass steps_per_epoch (optimizer steps per epoch)")
    return spe


def _epochs(fmt: str, k: int, spe, interval: str) -> int:
    """k counted in scheduler steps -> optimizer steps (``interval='epoch'``: one scheduler step per epoch)."""
    return k * _per_epoch(fmt, spe, "stepped once per epoch counts epochs") if interval == "epoch" else k


def _torch(state, spe, interval):
    found = _get(state, "last_epoch")
    chained = _get(state, "_schedulers")
    if found is None and chained is not None:  # ChainedScheduler: no counter of its own, its parts step together
        parts = chained[0]
        if not (isinstance(parts, list) and parts and isinstance(parts[0], dict)):
            raise PlanError("_schedulers", "a ChainedScheduler state without its parts' state dicts")
        found = _find(parts[0], "last_epoch")
    value, key = found if found is not None else _find(state, "last_epoch")
    return _epochs("torch", _int(value, key), spe, interval)


def _oneflow(state, spe, interval):
    value, key = _find(state, "last_step")
    return _epochs("oneflow", _int(value, key), spe, interval)


def _mindspore(state, spe, interval):
    # nn optimizers: global_step counts optimizer calls; experimental schedulers/PlanLR: last_epoch
    value, key = _find(state, "global_step", "last_epoch")
    k = _int(value, key)
    return _epochs("mindspore", k, spe, interval) if key == "last_epoch" else k


def _mmengine_schedulers(scheds):
    """The first scheduler state of ``param_schedulers`` (a list, or a dict of lists per optimizer)."""
    if isinstance(scheds, dict):
        scheds = next(iter(scheds.values()), None)
    if isinstance(scheds, list) and scheds and isinstance(scheds[0], dict):
        return scheds[0]
    return None


def _mmengine(state, spe, interval):
    meta = state.get("meta")
    if isinstance(meta, dict) and meta.get("iter") is not None:
        return _int(meta["iter"], "meta.iter")  # iterations done, by_epoch loops included
    first = _mmengine_schedulers(state.get("param_schedulers"))
    if first is None:
        first = state if "last_step" in state or "_global_step" in state else None
    if first is None:
        raise PlanError("state", "no meta.iter and no param_schedulers in this mmengine checkpoint state")
    if "_global_step" not in first:
        # last_step counts only the steps inside [begin, end): it cannot give the global position
        raise PlanError("param_schedulers", "this mmengine scheduler state has no _global_step (its last_step counts "
                        "from its begin); pass the checkpoint's meta.iter instead")
    k = _int(first["_global_step"], "param_schedulers[0]._global_step")
    if first.get("by_epoch", False):
        return k * _per_epoch("mmengine", spe, "of a by_epoch scheduler counts epochs")
    return k


def _timm(state, spe, interval):
    value, key = _find(state, "epoch")
    epoch = _int(value, key)
    version = state.get("version")
    # timm's resume_checkpoint: version > 1 saved the finished epoch (resume at epoch + 1); older
    # checkpoints incremented it before saving (resume at epoch)
    start = epoch + 1 if isinstance(version, int) and version > 1 else epoch
    return start * _per_epoch("timm", spe, "counts epochs")


def _deepspeed(state, spe, interval):
    found = _get(state, "last_batch_iteration")
    if found is not None:
        return _int(*found, offset=1)  # -1 before the first step: after k steps it holds k - 1
    if _get(state, "last_epoch") is not None:
        return _torch(state, spe, interval)  # a torch scheduler handed to DeepSpeed
    if state.get("global_steps") is not None:  # the engine's counters: every step, and those fp16 overflow skipped
        return _int(state["global_steps"], "global_steps", -_int(state.get("skipped_steps", 0), "skipped_steps"))
    raise PlanError("state", "no lr_scheduler.last_batch_iteration, last_epoch or global_steps in this DeepSpeed state")


def _transformers(state, spe, interval):
    if _get(state, "last_epoch") is not None:  # scheduler.pt: steps the scheduler really took
        return _torch(state, spe, "step")
    value, key = _find(state, "global_step")
    return _int(value, key)


READERS = {
    "torch": _torch, "oneflow": _oneflow, "mindspore": _mindspore, "mmengine": _mmengine,
    "timm": _timm, "deepspeed": _deepspeed, "transformers": _transformers,
}  # fmt: skip


def steps_done(state, fmt: str, *, steps_per_epoch: int | None = None, interval: str = "step") -> int:
    """Optimizer steps already applied according to ``state`` written in format ``fmt``.

    ``interval="epoch"``: a torch/OneFlow/MindSpore-experimental scheduler stepped once per
    epoch; ``steps_per_epoch`` (optimizer steps per epoch) turns its count into optimizer steps,
    as it does for timm checkpoints and by_epoch mmengine schedulers.
    """
    reader = READERS.get(fmt)
    if reader is None:
        raise PlanError("format", f"unknown checkpoint format {fmt!r}; accepted: {', '.join(READERS)}")
    if interval not in INTERVALS:
        raise PlanError("interval", f"expected 'step' or 'epoch', got {interval!r}")
    _holders(state)
    return reader(state, steps_per_epoch, interval)


@dataclass
class Resumed:
    """A schedule resumed at step k on one backend.

    ``scheduler``: the backend's ``PlanLR``, positioned so that the next optimizer step applies
    lr(k) (None when no live optimizer was given, or when the optimizer itself carries the
    schedule, as MindSpore ``nn`` optimizers do); step it after every optimizer step as usual.
    ``state``: the framework's own state (plain JSON) that positions a freshly built optimizer and
    ``PlanLR`` at k. ``lrs``: the lr each group applies at step k (float64; frameworks apply fp32);
    ``hparams``: scheduled hyperparameters at k, ``{name: [value or None per group]}``.
    """

    k: int
    backend: str
    scheduler: object
    state: dict
    lrs: list[float]
    hparams: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"k": self.k, "backend": self.backend, "state": self.state, "lrs": self.lrs, "hparams": self.hparams}


def next_values(plan, k: int) -> tuple[list[float], dict]:
    """The lr of every group and the scheduled hyperparameters optimizer step k applies (float64)."""
    from .stepping import PlanSteps

    steps = PlanSteps(plan)
    return list(steps.lrs(k)), steps.hparams(k)


def _backend_of(optimizer):
    """The registered backend of ``optimizer``'s framework (by its type's top-level module)."""
    from .backends import backend_for_object, backend_names, get_backend

    found = backend_for_object(optimizer)
    if found is not None:
        return found
    top = type(optimizer).__module__.split(".")[0]
    for name in backend_names():
        backend = get_backend(name)
        if backend.resume and (top in backend.object_modules or top == backend.name):
            return backend
    raise LrBridgeError(f"resume: no backend for a {type(optimizer).__name__} from '{top}'; pass backend='torch', "
                        "'mindspore' or 'oneflow'")


def _resume_hook(backend):
    from .backends import Backend, get_backend, resolve

    b = backend if isinstance(backend, Backend) else get_backend(backend)
    if not getattr(b, "resume", None):
        raise LrBridgeError(f"backend '{b.name}' cannot resume a schedule (it declares no resume hook)")
    return b, resolve(b.resume)


def resume(plan, optimizer, k: int, backend=None, **options) -> Resumed:
    """Continue ``plan`` at step k on ``optimizer``: the next optimizer step applies lr(k).

    ``k`` comes from ``steps_done`` on the checkpoint of any framework. ``backend`` (a name or a
    ``Backend``) defaults to the one of ``optimizer``'s framework. ``optimizer=None`` (needs
    ``backend``) gives only the state to load (``lrbridge resume``). ``options`` go to the
    backend's hook (e.g. ``group=`` for torch, ``rows=`` for MindSpore experimental optimizers).
    """
    from .errors import expect_type
    from .plan import Plan

    expect_type(plan, Plan, "resume", "plan", "load a file with lrbridge.load_plan")
    k = _int(k, "k")
    if backend is None:
        if optimizer is None:
            raise LrBridgeError("resume: without an optimizer, name the backend (backend='torch', ...)")
        backend = _backend_of(optimizer)
    b, hook = _resume_hook(backend)
    scheduler, state = hook(plan, optimizer, k, **options)
    lrs, hparams = next_values(plan, k)
    return Resumed(k, b.name, scheduler, state, lrs, hparams)


def _read_state(path) -> dict:
    from pathlib import Path

    from .io import parse_document, read_text

    path = Path(path)
    if path.suffix not in (".json", ""):
        raise PlanError("", f"'{path}': resume reads JSON only (dump the checkpoint's schedule state to JSON; "
                        "see docs/resume.md), never pickled .pt/.pth/.ckpt files")
    return parse_document(read_text(path, "resume", "state file"), "json", str(path))


def run_cli(state_path, fmt: str, *, steps_per_epoch=None, interval: str = "step", source=None, to=None,
            dialect=None) -> dict:
    """What ``lrbridge resume`` prints: k, and with a plan and a target the target's state and next lrs."""
    if (source is None) != (to is None):
        raise PlanError("to", "give both a SOURCE plan and --to BACKEND (or neither, to print k only)")
    state = _read_state(state_path)
    k = steps_done(state, fmt, steps_per_epoch=steps_per_epoch, interval=interval)
    out = {"k": k, "format": fmt, "meaning": f"{k} optimizer steps applied; the next one applies lr({k})"}
    if source is None:
        return out
    from .convert import load_source
    from .stepping import past_error_horizon

    result = load_source(source, dialect=dialect, steps_per_epoch=steps_per_epoch)
    resumed = resume(result.plan, None, k, backend=to)
    out.update(to=resumed.backend, state=resumed.state,
               next_lr={g.name: lr for g, lr in zip(result.plan.groups, resumed.lrs)})
    if resumed.hparams:
        out["next_hparams"] = {n: {g.name: v for g, v in zip(result.plan.groups, row) if v is not None}
                               for n, row in resumed.hparams.items()}
    notes = list(result.notes)
    if past_error_horizon(result.plan, k):
        notes.append(f"step {k} lies past the plan's horizon of {result.plan.horizon.steps} steps (horizon.past: "
                     "error): the run is finished; applying another step raises")
    if notes:
        out["notes"] = notes
    return out
