"""torch.optim.lr_scheduler classes given as data (class name + keyword arguments) -> IR, framework-free.

The leaf classes go through the shared vocabulary (:func:`lrbridge.vocabulary.node`);
OneCycleLR and CyclicLR, with the momentum they cycle, are built here. Each is on the
scheduler's own clock (one unit per ``scheduler.step()``). Used by the Hydra and
Lightning dialects.
"""

from __future__ import annotations

from ..errors import PlanError
from ..schedules import Cyclic, OneCycle
from ..vocabulary import QUIRKS, argument_names, node
from ._common import short

_CODE_ONLY = ("LambdaLR", "MultiplicativeLR")


def _check(kw: dict, accepted: tuple, name: str, where: str):
    for key in kw:
        if key not in accepted:
            raise PlanError(f"{where}.{key}", f"unknown argument of torch {name}; accepted: {', '.join(accepted)}")


def torch_scheduler(name: str, kw: dict, where: str, *, momentum: tuple | None = None):
    """(lr schedule, momentum schedule or None) of torch scheduler ``name`` built with ``kw``.

    ``momentum`` is (optimizer's momentum key, its value) for OneCycleLR/CyclicLR momentum cycling.
    """
    name = short(name)
    kw = {k: v for k, v in kw.items() if k not in ("verbose", "last_epoch")} if kw.get("last_epoch", -1) == -1 else None
    if kw is None:
        raise PlanError(f"{where}.last_epoch", "resuming mid-run (last_epoch) is not a schedule; remove it")
    if name in _CODE_ONLY:
        raise PlanError(where, f"{name} takes a Python function, which a config cannot hold; build it in Python and "
                               "use from_torch")
    if name in QUIRKS["torch"].classes:  # the leaves: the one shared vocabulary
        _check(kw, tuple(argument_names("torch", name)), name, where)
        return node("torch", name, kw, where), None
    if name == "OneCycleLR":
        return _one_cycle(kw, where, momentum)
    if name == "CyclicLR":
        return _cyclic(kw, where, momentum)
    raise PlanError(where, f"torch scheduler {name!r} is not ported from a config (nested SequentialLR/ChainedScheduler: "
                           "use the torch dialect, which builds them)")


def _cycle_momentum(kw, lr_sched, momentum, where, name):
    """torch cycles momentum (or Adam's beta1) opposite to the lr when cycle_momentum (the default)."""
    if not kw.get("cycle_momentum", True):
        return None
    lo, hi = float(kw.get("base_momentum", 0.85 if name == "OneCycleLR" else 0.8)), float(kw.get("max_momentum", 0.95 if name == "OneCycleLR" else 0.9))
    if momentum is None:
        raise PlanError(f"{where}.cycle_momentum", f"{name} cycles momentum but the optimizer has none (torch raises); "
                                                   "set cycle_momentum: false")
    if name == "CyclicLR":
        return lr_sched.model_copy(update={"base_lr": hi, "max_lr": lo})
    return lr_sched.model_copy(update={"max_lr": lo, "div_factor": lo / hi, "final_div_factor": 1.0})


def _one_cycle(kw, where, momentum):
    _check(kw, ("max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy", "cycle_momentum",
                "base_momentum", "max_momentum", "div_factor", "final_div_factor", "three_phase"), "OneCycleLR", where)
    total = kw.get("total_steps")
    if total is None:
        if kw.get("epochs") is None or kw.get("steps_per_epoch") is None:
            raise PlanError(where, "OneCycleLR needs total_steps, or epochs and steps_per_epoch (torch raises)")
        total = int(kw["epochs"]) * int(kw["steps_per_epoch"])
    if isinstance(kw["max_lr"], (list, tuple)):
        raise PlanError(f"{where}.max_lr", "a per-group list is not ported from a config")
    sched = OneCycle(total_steps=int(total), max_lr=float(kw["max_lr"]), pct_start=float(kw.get("pct_start", 0.3)),
                     anneal_strategy=kw.get("anneal_strategy", "cos"), div_factor=float(kw.get("div_factor", 25.0)),
                     final_div_factor=float(kw.get("final_div_factor", 1e4)), three_phase=bool(kw.get("three_phase", False)))
    return sched, _cycle_momentum(kw, sched, momentum, where, "OneCycleLR")


def _cyclic(kw, where, momentum):
    _check(kw, ("base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma", "scale_mode", "cycle_momentum",
                "base_momentum", "max_momentum"), "CyclicLR", where)
    if kw.get("scale_fn") is not None:
        raise PlanError(f"{where}.scale_fn", "a custom scale function is code")
    sched = Cyclic(base_lr=float(kw["base_lr"]), max_lr=float(kw["max_lr"]), step_size_up=int(kw.get("step_size_up", 2000)),
                   step_size_down=None if kw.get("step_size_down") is None else int(kw["step_size_down"]),
                   mode=kw.get("mode", "triangular"), gamma=float(kw.get("gamma", 1.0)))
    return sched, _cycle_momentum(kw, sched, momentum, where, "CyclicLR")
