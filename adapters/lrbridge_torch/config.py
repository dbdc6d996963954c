"""A YAML/JSON dialect describing a PyTorch optimizer + scheduler setup, imported with torch's own semantics.

    optimizer:
      type: SGD                   # SGD | Adam | AdamW | RMSprop | Adagrad
      lr: 0.1                     # any keyword of the torch optimizer
      momentum: 0.9
      param_groups:               # optional; default: one group holding every parameter
        - name: head
          params: ["head.*"]      # selectors: globs or "re:<regex>"; or `rest: true` (catch-all)
          lr: 0.01                # per-group optimizer keywords
        - {name: body, rest: true}
    scheduler:                    # optional; default: constant lr
      type: SequentialLR          # any torch.optim.lr_scheduler class except LambdaLR/MultiplicativeLR
      milestones: [5]
      schedulers:                 # nested schedulers: SequentialLR, ChainedScheduler
        - {type: LinearLR, start_factor: 0.1, total_iters: 5}
        - {type: CosineAnnealingLR, T_max: 95}
    steps: 100                    # optimizer steps (the horizon; needed where tabulation is)
    interval: step                # step | epoch (scheduler.step() once per epoch)
    steps_per_epoch: 10           # with interval: epoch

``plan_from_torch_config(data)`` builds the real torch objects on a dummy model
(one parameter per group) and imports them with ``from_torch``, so the plan is
exactly what torch does. Unknown keys are errors naming the key and listing what
is accepted (read from the torch signatures).
"""

from __future__ import annotations

import inspect

from lrbridge.errors import LrBridgeError, PlanError
from pydantic import ValidationError

from lrbridge.groups import ParamGroup
from lrbridge.io import plan_error

from .params import TORCH_OPTIMIZERS

TOP_KEYS = ("optimizer", "scheduler", "steps", "interval", "steps_per_epoch")
GROUP_KEYS = ("name", "params", "rest")
#: constructor arguments a config cannot give (set by the importer, or callables)
_HIDDEN = {"self", "optimizer", "params", "last_epoch", "verbose", "schedulers", "scale_fn", "lr_lambda"}
_NESTED = ("SequentialLR", "ChainedScheduler")
_CALLABLE_ONLY = ("LambdaLR", "MultiplicativeLR")


def _scheduler_types() -> list[str]:
    import torch.optim.lr_scheduler as L

    return sorted(
        n for n, c in vars(L).items()
        if inspect.isclass(c) and issubclass(c, L.LRScheduler) and not n.startswith("_")
        and n not in ("LRScheduler",) + _CALLABLE_ONLY
    )


def _accepted(cls) -> list[str]:
    return [p for p in inspect.signature(cls.__init__).parameters if p not in _HIDDEN]


def _check_keys(data: dict, accepted, path: str, what: str) -> None:
    if not isinstance(data, dict):
        raise PlanError(path, f"must be a mapping, got {type(data).__name__}")
    for key in data:
        if key not in accepted:
            raise PlanError(f"{path}.{key}" if path else key, f"unknown key for {what}; accepted: {', '.join(accepted)}")


def _call(cls, path: str, *args, **kwargs):
    """Construct a torch object; its own validation errors become PlanErrors at ``path``."""
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError, KeyError, ZeroDivisionError) as exc:
        raise PlanError(path, f"torch {cls.__name__} rejected it: {exc}") from None


def _optimizer(cfg: dict, path="optimizer"):
    import torch

    _check_keys(cfg, ["type", "param_groups", *_all_opt_keys()], path, "an optimizer")
    name = cfg.get("type")
    if name not in TORCH_OPTIMIZERS.values():
        raise PlanError(f"{path}.type", f"unknown optimizer {name!r}; accepted: {', '.join(TORCH_OPTIMIZERS.values())}")
    cls = getattr(torch.optim, name)
    kw_names = _accepted(cls)
    kwargs = {k: v for k, v in cfg.items() if k not in ("type", "param_groups")}
    _check_keys(kwargs, kw_names, path, f"torch.optim.{name}")
    groups_cfg = cfg.get("param_groups") or [{"name": "default", "rest": True}]
    if not isinstance(groups_cfg, list):
        raise PlanError(f"{path}.param_groups", "must be a list of groups")
    torch_groups, selectors = [], []
    for i, g in enumerate(groups_cfg):
        gpath = f"{path}.param_groups[{i}]"
        _check_keys(g, [*GROUP_KEYS, *kw_names], gpath, f"a {name} param group")
        if "name" not in g:
            raise PlanError(f"{gpath}.name", "required field is missing")
        sel = {k: g[k] for k in ("params", "rest") if k in g}
        if "params" in sel:
            if isinstance(sel["params"], str):
                sel["params"] = [sel["params"]]
            sel["params"] = tuple(sel["params"])
        try:
            ParamGroup(name=g["name"], **sel)
        except ValidationError as exc:
            raise plan_error(exc, gpath) from None
        except PlanError as exc:  # lrbridge nodes raise PlanError naming the field
            raise exc.under(gpath) from None
        if any(t["name"] == g["name"] for t in torch_groups):
            raise PlanError(f"{gpath}.name", f"group name {g['name']!r} is used twice; give every param group its own name")
        selectors.append(sel)
        dummy = torch.nn.Parameter(torch.zeros(1))
        torch_groups.append({"params": [dummy], "name": g["name"], **{k: v for k, v in g.items() if k in kw_names}})
    if "lr" in kw_names and "lr" not in kwargs and not all("lr" in g for g in torch_groups):
        raise PlanError(f"{path}.lr", "give the optimizer's lr (or an lr in every param group)")
    return _call(cls, path, torch_groups, **kwargs), selectors


def _all_opt_keys():
    import torch

    keys: list[str] = []
    for name in TORCH_OPTIMIZERS.values():
        for k in _accepted(getattr(torch.optim, name)):
            if k not in keys:
                keys.append(k)
    return keys


def _scheduler(cfg: dict, optimizer, path="scheduler"):
    import torch.optim.lr_scheduler as L

    if not isinstance(cfg, dict):
        raise PlanError(path, f"must be a mapping with a 'type', got {type(cfg).__name__}")
    types = _scheduler_types()
    name = cfg.get("type")
    if name in _CALLABLE_ONLY:
        raise PlanError(f"{path}.type", f"{name} takes a Python callable, which a config cannot hold; build it in Python and use from_torch(steps=...)")
    if name not in types:
        raise PlanError(f"{path}.type", f"unknown scheduler {name!r}; accepted: {', '.join(types)}")
    cls = getattr(L, name)
    accepted = ["type"] + (["schedulers"] if name in _NESTED else []) + _accepted(cls)
    _check_keys(cfg, accepted, path, f"torch {name}")
    kwargs = {k: v for k, v in cfg.items() if k not in ("type", "schedulers")}
    if name in _NESTED:
        subs = cfg.get("schedulers")
        if not isinstance(subs, list) or not subs:
            raise PlanError(f"{path}.schedulers", f"{name} needs a non-empty list of schedulers")
        children = [_scheduler(c, optimizer, f"{path}.schedulers[{i}]") for i, c in enumerate(subs)]
        if name == "ChainedScheduler":
            return _call(cls, path, children, optimizer=optimizer)
        return _call(cls, path, optimizer, children, **kwargs)
    return _call(cls, path, optimizer, **kwargs)


def plan_from_torch_config(data: dict):
    """Import a config in this dialect: an ``ImportResult`` (plan, exact, notes), as ``from_torch`` gives."""
    import warnings

    from torch.optim.lr_scheduler import ConstantLR

    from .importer import from_torch

    _check_keys(data, TOP_KEYS, "", "a torch config")
    if "optimizer" not in data:
        raise PlanError("optimizer", "required field is missing")
    optimizer, selectors = _optimizer(data["optimizer"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if data.get("scheduler") is None:
            scheduler = ConstantLR(optimizer, factor=1.0, total_iters=0)
        else:
            scheduler = _scheduler(data["scheduler"], optimizer)
    try:
        result = from_torch(
            scheduler, steps=data.get("steps"), interval=data.get("interval", "step"),
            steps_per_epoch=data.get("steps_per_epoch"),
        )
    except PlanError:
        raise
    except LrBridgeError as exc:
        raise PlanError("steps" if "steps=" in str(exc) else "scheduler", str(exc).replace("pass steps=", "give steps:")) from None
    groups = tuple(
        ParamGroup(**{**g.model_dump(exclude={"params", "rest"}), "params": sel.get("params", ()), "rest": sel.get("rest", False)})
        for g, sel in zip(result.plan.groups, selectors)
    )
    result.plan = result.plan.model_copy(update={"groups": groups})
    result.plan = type(result.plan).model_validate(result.plan.model_dump())
    result.notes = [n for n in result.notes if not n.startswith("no model given")]
    return result
