"""Hydra/OmegaConf configs whose ``_target_`` nodes name a torch optimizer and scheduler.

    model:
      optimizer: {_target_: torch.optim.Adam, _partial_: true, lr: 0.001, weight_decay: 0.0}
      scheduler: {_target_: torch.optim.lr_scheduler.ReduceLROnPlateau, _partial_: true, mode: min}

(lightning-hydra-template's configs/model/mnist.yaml). An optimizer outside torch.optim (bitsandbytes,
apex, timm.optim, ...) under an ``optimizer`` key, with its lr, is recorded as ``external:<Class>``; a
scheduler node under a ``scheduler`` key that is not a torch class is refused (never read as a constant
lr). The nodes are found anywhere in the
document (the first optimizer and the first scheduler, depth first); ``_partial_: true`` (the
optimizer/scheduler is finished in code with the params/optimizer) changes nothing here.
``${a.b}`` interpolations of other values are resolved; resolvers (``${oc.env:...}``) are refused.
How often the scheduler is stepped is code, not config: optional ``interval`` (step | epoch,
default epoch as lightning-hydra-template's ``configure_optimizers``) and ``frequency`` next to
the scheduler node say it.
"""

from __future__ import annotations

import re

from ..errors import PlanError
from ..groups import ParamGroup
from ..schedules import Constant
from ._common import build_plan, external_spec, optimizer_spec, result
from ._torchlike import torch_scheduler
from .lightning import _momentum, clocked

NAME = "hydra"
ALIASES = ("omegaconf", "hydra-core")

_INTERP = re.compile(r"^\$\{([A-Za-z_][\w.]*)\}$")


def _targets(data, path=""):
    if isinstance(data, dict):
        if isinstance(data.get("_target_"), str):
            yield path, data
        for k, v in data.items():
            yield from _targets(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _targets(v, f"{path}[{i}]")


def _is_scheduler(t: str) -> bool:
    return t.startswith("torch.optim.lr_scheduler.")


def _is_optimizer(t: str) -> bool:
    return t.startswith("torch.optim.") and not _is_scheduler(t)


def _key(path: str) -> str:
    """The last key of a node's path (``model.optimizer`` -> ``optimizer``)."""
    return path.rsplit(".", 1)[-1].lower()


def _is_external_optimizer(path: str, node: dict) -> bool:
    """A non-torch optimizer node (bitsandbytes, apex, timm.optim, ...): under an optimizer key, with an lr."""
    return _key(path) in ("optimizer", "optim", "opt") and "lr" in node and not _is_optimizer(node["_target_"])


def _is_other_scheduler(path: str, node: dict) -> bool:
    """A scheduler node lrbridge cannot read (not a torch.optim.lr_scheduler class): under a scheduler key."""
    return _key(path) in ("scheduler", "lr_scheduler", "sched") and not _is_scheduler(node["_target_"])


def detect(data) -> bool:
    return isinstance(data, dict) and any(_is_scheduler(n["_target_"]) or _is_optimizer(n["_target_"]) for _, n in _targets(data))


def _resolve(value, root, where, depth=0):
    if isinstance(value, str) and "${" in value:
        m = _INTERP.match(value)
        if not m or depth > 20:
            raise PlanError(where, f"interpolation {value!r} is not a plain ${{a.b}} reference to another value")
        node = root
        for part in m.group(1).split("."):
            if not isinstance(node, dict) or part not in node:
                raise PlanError(where, f"interpolation {value!r}: no '{m.group(1)}' in the config")
            node = node[part]
        return _resolve(node, root, where, depth + 1)
    return value


def _kwargs(node: dict, root, where, extra=()):
    return {k: _resolve(v, root, f"{where}.{k}") for k, v in node.items()
            if k not in ("_target_", "_partial_", "_recursive_", "_convert_", "_args_", *extra)}


def to_plan(data, *, steps=None, steps_per_epoch=None, source=""):
    """The plan of the first torch optimizer and scheduler ``_target_`` nodes in a Hydra config."""
    nodes = list(_targets(data))
    opts = [(p, n) for p, n in nodes if _is_optimizer(n["_target_"]) or _is_external_optimizer(p, n)]
    scheds = [(p, n) for p, n in nodes if _is_scheduler(n["_target_"])]
    others = [(p, n) for p, n in nodes if _is_other_scheduler(p, n)]
    if others and not scheds:  # never a constant lr in place of a schedule the config names
        path, node = others[0]
        raise PlanError(f"{path}._target_", f"{node['_target_']!r} is not a torch.optim.lr_scheduler class, whose "
                        "schedule lrbridge cannot read from a config; use a torch scheduler, or record a run with "
                        "lrbridge.trace")
    if not opts:
        raise PlanError("_target_", "no node names an optimizer (a torch.optim class, or any class under an "
                        "'optimizer' key with an lr)")
    opath, onode = opts[0]
    notes = [f"Hydra config{' ' + source if source else ''}: optimizer {opath}"]
    okw = _kwargs(onode, data, opath)
    if _is_optimizer(onode["_target_"]):
        spec = optimizer_spec(onode["_target_"], okw, opath or "optimizer", notes=notes)
    else:
        spec = external_spec(onode["_target_"].rsplit(".", 1)[-1], okw.pop("lr"), okw, opath, notes)
    if len(opts) > 1 or len(scheds) > 1:
        notes.append(f"several optimizer/scheduler nodes: used {opath}"
                     f"{' and ' + scheds[0][0] if scheds else ''}")
    sched, mom = Constant(), None
    if scheds:
        spath, snode = scheds[0]
        kw = _kwargs(snode, data, spath, extra=("interval", "frequency", "monitor"))
        m = _momentum(spec)
        sched, mom_sched = torch_scheduler(snode["_target_"], kw, spath, momentum=m)
        interval, freq = snode.get("interval", "epoch"), snode.get("frequency", 1)
        sched = clocked(sched, interval, freq, steps_per_epoch, spath)
        if mom_sched is not None:
            mom = {m[0]: clocked(mom_sched, interval, freq, steps_per_epoch, spath)}
        notes.append(f"scheduler {spath} stepped every {freq} {interval}(s)")
    plan = build_plan(spec, [ParamGroup(name="default", rest=True)], [sched], [mom or {}], steps=steps)
    return result(plan, notes)
