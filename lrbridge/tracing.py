"""Trace: record the lr (and scheduled momentum/betas) that each optimizer update really applies.

``trace(obj, steps, ...)`` runs the calls a training loop makes on a *deep copy* of the
scheduler(s) and optimizer (the user's objects are never touched) and reads
``optimizer.param_groups`` at every optimizer update k = 0 … steps − 1, i.e. the value
``optimizer.step()`` would use. It imports no framework: anything with ``param_groups``
(torch, a timm/fairseq/mmengine wrapper, a DeepSpeed optimizer) works.

How each kind of object is driven (``protocol``, detected when "auto"):

- ``torch``: ``step()`` after every update (``interval="step"``) or after every epoch of
  ``steps_per_epoch`` updates (``"epoch"``). torch, DeepSpeed (WarmupLR, WarmupDecayLR,
  WarmupCosineLR, OneCycle, LRRangeTest) and mmengine ParamSchedulers (``interval`` from
  their ``by_epoch``) are driven this way.
- ``timm``: ``step_update(num_updates)`` after every update and ``step(epoch)`` after every
  epoch (timm's train.py, so the per-epoch value applies one epoch late, as in DeiT).
- ``fairseq``: ``step_update(0)`` when built, then ``step_update(num_updates)`` after every update.
- ``function``: ``step_fn(optimizer, t)`` before every update, t = k / steps_per_epoch (a
  fractional epoch, MAE's ``adjust_learning_rate``) or k without ``steps_per_epoch``.

Several schedulers on one optimizer: pass a list, with one interval each (torchvision
detection's per-iteration warmup and per-epoch MultiStepLR). Gradient accumulation: with
``accumulate=A`` the scheduler is stepped every micro-batch (``interval="micro"``, the
Annotated Transformer) and update k applies the lr of micro-batch k·A (``update_on="first"``)
or k·A + A − 1 (``"last"``).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import LrBridgeError, PlanError

PROTOCOLS = ("auto", "torch", "timm", "fairseq", "function")
INTERVALS = ("step", "epoch", "micro")


@dataclass
class Trace:
    """What a training loop applied: ``lr`` (groups × steps) and ``hparams`` name → (groups × steps).

    ``cadence`` says how the objects were driven; ``recognize()`` turns the trace into a plan.
    """

    lr: np.ndarray
    names: list[str]
    hparams: dict[str, np.ndarray] = field(default_factory=dict)
    cadence: str = ""
    steps_per_epoch: int | None = None
    base_lrs: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return int(self.lr.shape[1])

    def recognize(self, **kwargs):
        """``from_trace`` over the recorded lrs (closed form where one reproduces them)."""
        from .recognize import from_trace

        kwargs.setdefault("steps_per_epoch", self.steps_per_epoch)
        kwargs.setdefault("base_lr", self.base_lrs or None)
        result = from_trace(self.lr, names=self.names, **kwargs)
        result.notes[:0] = [f"traced: {self.cadence}"] + self.notes
        return result


def _optimizer_of(obj):
    opt = getattr(obj, "optimizer", None)
    if opt is None or not hasattr(opt, "param_groups"):
        raise PlanError("optimizer", f"{type(obj).__name__} has no .optimizer with param_groups; pass optimizer=")
    return opt


def _placeholder(p):
    """An empty stand-in for a parameter or state tensor in the copy (torch-like: new_empty)."""
    make = getattr(p, "new_empty", None)
    try:
        return make(0) if make is not None else None
    except Exception:  # noqa: BLE001 - not a tensor after all: copy it as is
        return None


def _detached(objs, optimizer):
    """Deep copies of (objs, optimizer), sharing the copied optimizer, without copying parameters."""
    memo: dict = {}
    groups = getattr(optimizer, "param_groups", [])
    for pg in groups:
        for p in pg.get("params", []) if isinstance(pg, dict) else []:
            stand_in = _placeholder(p)
            if stand_in is not None:
                memo[id(p)] = stand_in
    for state in getattr(optimizer, "state", {}).values() if isinstance(getattr(optimizer, "state", None), dict) else []:
        for v in state.values() if isinstance(state, dict) else []:
            stand_in = _placeholder(v)
            if stand_in is not None:
                memo[id(v)] = stand_in
    try:
        return copy.deepcopy((objs, optimizer), memo)
    except Exception as exc:  # noqa: BLE001 - say what could not be copied
        raise LrBridgeError(f"cannot trace {type(objs).__name__}: deep-copying it failed ({exc}); trace a fresh object") from None


def _detect(obj, step_fn) -> str:
    if step_fn is not None:
        return "function"
    module = type(obj).__module__ or ""
    if module.startswith("timm") or hasattr(obj, "t_in_epochs"):
        return "timm"
    if module.startswith("fairseq") or hasattr(obj, "step_begin_epoch"):
        return "fairseq"
    if hasattr(obj, "step"):
        return "torch"
    raise PlanError("protocol", f"do not know how a training loop drives {type(obj).__name__}; pass protocol= or step_fn=")


def _read(groups, key):
    if key == "beta1":
        return [float(pg["betas"][0]) for pg in groups]
    return [float(pg[key]) for pg in groups]


def _hparam_keys(groups, hparams):
    keys = []
    for h in hparams:
        if all(("betas" in pg) if h == "beta1" else (h in pg) for pg in groups):
            keys.append(h)
    return keys


def _intervals(objs, interval):
    if isinstance(interval, str):
        interval = [interval] * len(objs)
    interval = list(interval)
    if len(interval) != len(objs):
        raise PlanError("interval", f"one interval per scheduler: {len(objs)} schedulers, {len(interval)} intervals")
    for i, (o, iv) in enumerate(zip(objs, interval)):
        if iv == "auto":  # mmengine ParamScheduler: its own by_epoch
            iv = "epoch" if getattr(o, "by_epoch", False) else "step"
            interval[i] = iv
        if iv not in INTERVALS:
            raise PlanError("interval", f"must be one of {', '.join(INTERVALS)} (or 'auto'), got {iv!r}")
    return interval


def trace(obj, steps: int, *, optimizer=None, interval="auto", steps_per_epoch: int | None = None, step_fn=None,
          protocol: str = "auto", accumulate: int = 1, update_on: str = "last",
          hparams=("momentum", "beta1"), names=None) -> Trace:
    """Record what ``obj`` (a scheduler, a list of schedulers, or None with ``step_fn``) applies per update.

    ``steps``: optimizer updates to record. ``interval``: when each scheduler is stepped,
    "step" (after every update), "epoch" (after every ``steps_per_epoch`` updates), "micro"
    (every micro-batch, with ``accumulate`` micro-batches per update), "auto" (default: an
    mmengine scheduler's ``by_epoch``, else "step"); a list gives one per scheduler. ``hparams``: scheduled
    hyperparameters to record where the groups have them ("momentum", "beta1").
    """
    if not isinstance(steps, int) or steps < 1:
        raise PlanError("steps", f"must be a positive int (optimizer updates), got {steps!r}")
    if steps_per_epoch is not None and (not isinstance(steps_per_epoch, int) or steps_per_epoch < 1):
        raise PlanError("steps_per_epoch", f"must be a positive int, got {steps_per_epoch!r}")
    if not isinstance(accumulate, int) or accumulate < 1:
        raise PlanError("accumulate", f"must be a positive int (micro-batches per update), got {accumulate!r}")
    if update_on not in ("first", "last"):
        raise PlanError("update_on", f"must be 'first' or 'last', got {update_on!r}")
    objs = [] if obj is None else list(obj) if isinstance(obj, (list, tuple)) else [obj]
    if not objs and step_fn is None:
        raise PlanError("obj", "nothing to trace: pass a scheduler (or a list) or step_fn=")
    optimizer = optimizer if optimizer is not None else _optimizer_of(objs[0])
    kinds = [_detect(o, None) if protocol == "auto" else protocol for o in objs]
    if protocol not in PROTOCOLS:
        raise PlanError("protocol", f"must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    intervals = _intervals(objs, interval) if objs else []
    if any(iv == "epoch" for iv in intervals) and steps_per_epoch is None:
        raise PlanError("steps_per_epoch", "interval 'epoch' needs steps_per_epoch (optimizer updates per epoch)")
    objs, opt = _detached(objs, optimizer)
    groups = opt.param_groups
    keys = _hparam_keys(groups, hparams)
    G = len(groups)
    lr = np.empty((steps, G))
    hp = {h: np.empty((steps, G)) for h in keys}
    spe = steps_per_epoch
    A = accumulate
    micro_first = update_on == "first"
    fn_takes_epoch = spe is not None

    def on_built():
        for o, kind in zip(objs, kinds):
            if kind == "fairseq":
                o.step_update(0)

    def after_micro():
        for o, iv in zip(objs, intervals):
            if iv == "micro":
                o.step()

    def after_update(k):  # k updates done
        for o, kind, iv in zip(objs, kinds, intervals):
            if kind in ("timm", "fairseq"):
                o.step_update(k)
            elif iv == "step":
                o.step()
        if spe is not None and k % spe == 0:
            for o, kind, iv in zip(objs, kinds, intervals):
                if kind == "timm":
                    o.step(k // spe)
                elif iv == "epoch" and kind != "fairseq":
                    o.step()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "lr_scheduler.step() before optimizer.step()", intended here
        on_built()
        for k in range(steps):
            # the micro-batches of update k; the update happens on the first or the last of them
            for a in range(A):
                is_update = (a == 0) if micro_first else (a == A - 1)
                if is_update:
                    if step_fn is not None:
                        step_fn(opt, k / spe if fn_takes_epoch else k)
                    lr[k] = _read(groups, "lr")
                    for h in keys:
                        hp[h][k] = _read(groups, h)
                after_micro()
            after_update(k + 1)
    cadence = _cadence(kinds, intervals, spe, A, update_on, step_fn)
    base = [float(pg.get("initial_lr", lr[0, i])) for i, pg in enumerate(optimizer.param_groups)]
    names = names or [pg.get("name") if isinstance(pg.get("name"), str) else f"group{i}"
                      for i, pg in enumerate(optimizer.param_groups)]
    if len(set(names)) != len(names):
        names = [f"group{i}" for i in range(G)]
    hp_out = {h: a.T.copy() for h, a in hp.items() if np.ptp(a) > 0}
    return Trace(lr=lr.T.copy(), names=list(names), hparams=hp_out, cadence=cadence, steps_per_epoch=spe,
                 base_lrs=base, notes=[])


def _cadence(kinds, intervals, spe, A, update_on, step_fn) -> str:
    parts = []
    for kind, iv in zip(kinds, intervals):
        if kind == "timm":
            parts.append("timm: step_update(num_updates) after every update" +
                         (f", step(epoch) after every epoch of {spe} updates" if spe else ""))
        elif kind == "fairseq":
            parts.append("fairseq: step_update(0) when built, step_update(num_updates) after every update")
        elif iv == "epoch":
            parts.append(f"step() after every epoch of {spe} updates")
        elif iv == "micro":
            parts.append(f"step() after every micro-batch ({A} per update)")
        else:
            parts.append("step() after every update")
    if step_fn is not None:
        clock = f"epoch = k / {spe} (fractional)" if spe else "the update index k"
        parts.append(f"{getattr(step_fn, '__name__', 'step_fn')}(optimizer, {clock}) before every update")
    text = "; ".join(parts)
    if A > 1:
        text += f"; {A} micro-batches per update, the update on the {update_on} one"
    return text


__all__ = ["Trace", "trace"]
