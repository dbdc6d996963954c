"""Optimizer mapping: the plan's optimizer (PyTorch names and update rules) -> a MindSpore optimizer.

The target is chosen for the update rule, not the name. Measured on the same
gradients (see tests/adapters/lrbridge_mindspore/test_optim.py):
- torch SGD (momentum, dampening, nesterov, L2 weight decay) = ``nn.SGD``; plain
  momentum without dampening = ``nn.Momentum``. ``nn.Momentum(use_nesterov=True)``
  behaves as plain momentum on CPU, so Nesterov goes to ``nn.SGD(nesterov=True)``.
- torch Adam ~ ``nn.Adam``: MindSpore applies eps as eps·sqrt(1 − β2^t) (inexact;
  negligible at eps=1e-8, visible at large eps). ``use_amsgrad`` matches torch.
- torch AdamW = ``mindspore.experimental.optim.AdamW``; ``nn.AdamWeightDecay`` has
  no bias correction (inexact, only with api='nn').
- torch RMSprop = experimental ``RMSprop``; ``nn.RMSProp`` starts its mean square
  at 1 and puts eps inside the square root (inexact).
- torch Adagrad = experimental ``Adagrad``; ``nn.Adagrad`` has no eps and no
  lr_decay (inexact).
Experimental optimizers get their lr from ``PlanLR`` (closed form, 0 ulp). Scheduled
momentum is applied on both APIs by the same ``PlanLR`` (experimental: a momentum
Parameter per group; nn: the optimizer's one momentum Parameter) or refused, saying why
(``capability.hparam_schedule_problems``, the rule ``check`` uses too). A scheduled weight
decay: experimental Adam/AdamW get a weight_decay Parameter written by ``PlanLR``; nn.Momentum
a weight-decay Cell per group (``params.mindspore_param_groups``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lrbridge.errors import UnrepresentableError


@dataclass
class MappedOptimizer:
    """The chosen MindSpore optimizer: ``target`` class path, ``kwargs`` (besides params and lr), ``exact``, ``notes``."""

    source: str
    target: str
    api: str  # "nn" | "experimental"
    kwargs: dict
    exact: bool
    notes: list[str] = field(default_factory=list)


def _nn(plan, h) -> MappedOptimizer:
    name = plan.optimizer.name
    if name == "sgd":
        # nn.Momentum also for momentum 0 when a weight decay is scheduled: nn.SGD refuses a weight-decay Cell
        wd_scheduled = any("weight_decay" in g.hparam_schedulers for g in plan.groups)
        if (h["momentum"] > 0 or wd_scheduled) and h["dampening"] == 0 and not h["nesterov"]:
            return MappedOptimizer(name, "mindspore.nn.Momentum", "nn", {"momentum": h["momentum"]}, True)
        kw = {"momentum": h["momentum"], "dampening": h["dampening"], "nesterov": h["nesterov"]}
        return MappedOptimizer(name, "mindspore.nn.SGD", "nn", kw, True)
    if name == "adam":
        beta1, beta2 = h["betas"]
        kw = {"beta1": beta1, "beta2": beta2, "eps": h["eps"], "use_amsgrad": h["amsgrad"]}
        return MappedOptimizer(name, "mindspore.nn.Adam", "nn", kw, False, [
            f"inexact: MindSpore Adam applies eps as eps*sqrt(1 - beta2^t) (eps={h['eps']:g}); the gap is "
            "about eps/sqrt(v) relative to the update, negligible for eps=1e-8"])
    if name == "adamw":
        beta1, beta2 = h["betas"]
        if h["amsgrad"]:
            raise UnrepresentableError("mindspore nn", ["optimizer adamw: nn.AdamWeightDecay has no amsgrad"],
                                       "api='experimental' (mindspore.experimental.optim.AdamW)")
        kw = {"beta1": beta1, "beta2": beta2, "eps": h["eps"]}
        return MappedOptimizer(name, "mindspore.nn.AdamWeightDecay", "nn", kw, False, [
            "inexact: nn.AdamWeightDecay has no bias correction and adds eps outside sqrt(v); "
            "mindspore.experimental.optim.AdamW (api='experimental') is exact"])
    if name == "rmsprop":
        kw = {"decay": h["alpha"], "epsilon": h["eps"], "momentum": h["momentum"], "centered": h["centered"]}
        return MappedOptimizer(name, "mindspore.nn.RMSProp", "nn", kw, False, [
            "inexact: nn.RMSProp starts its mean square at 1 and puts eps inside the square root; "
            "mindspore.experimental.optim.RMSprop (api='experimental') is exact"])
    if name == "adagrad":
        if h["lr_decay"]:
            raise UnrepresentableError("mindspore nn", [f"optimizer adagrad: nn.Adagrad has no lr_decay (got {h['lr_decay']})"],
                                       "api='experimental' (mindspore.experimental.optim.Adagrad)")
        kw = {"accum": h["initial_accumulator_value"]}
        return MappedOptimizer(name, "mindspore.nn.Adagrad", "nn", kw, False, [
            f"inexact: nn.Adagrad has no eps (torch adds eps={h['eps']:g} to sqrt(sum))"])
    raise UnrepresentableError("mindspore nn", [f"no mapping for optimizer '{name}'"])


_EXPERIMENTAL = {
    "sgd": ("SGD", lambda h: {"momentum": h["momentum"], "dampening": h["dampening"], "nesterov": h["nesterov"]}),
    "adam": ("Adam", lambda h: {"betas": tuple(h["betas"]), "eps": h["eps"], "amsgrad": h["amsgrad"]}),
    "adamw": ("AdamW", lambda h: {"betas": tuple(h["betas"]), "eps": h["eps"], "amsgrad": h["amsgrad"]}),
    "rmsprop": ("RMSprop", lambda h: {"alpha": h["alpha"], "eps": h["eps"], "momentum": h["momentum"], "centered": h["centered"]}),
    "adagrad": ("Adagrad", lambda h: {"lr_decay": h["lr_decay"], "initial_accumulator_value": h["initial_accumulator_value"], "eps": h["eps"]}),
    "nadam": ("NAdam", lambda h: {"betas": tuple(h["betas"]), "eps": h["eps"], "momentum_decay": h["momentum_decay"]}),
    "radam": ("RAdam", lambda h: {"betas": tuple(h["betas"]), "eps": h["eps"]}),
    "adamax": ("Adamax", lambda h: {"betas": tuple(h["betas"]), "eps": h["eps"]}),
    "adadelta": ("Adadelta", lambda h: {"rho": h["rho"], "eps": h["eps"]}),
}


def _experimental(plan, h) -> MappedOptimizer:
    name = plan.optimizer.name
    if name not in _EXPERIMENTAL:
        raise UnrepresentableError("mindspore experimental", [f"no mapping for optimizer '{name}'"],
                                   "build it yourself over lrbridge.mindspore_param_groups with the lr lists/cells")
    if h.get("decoupled_weight_decay"):
        raise UnrepresentableError("mindspore experimental", [f"optimizer {name}: decoupled_weight_decay=True has no "
                                                              "MindSpore counterpart"])
    cls, kwargs = _EXPERIMENTAL[name]
    notes, exact = [], True
    if name == "adam":
        exact = False
        notes.append(f"inexact: experimental Adam applies eps as eps*sqrt(1 - beta2^t) (eps={h['eps']:g})")
        if h["amsgrad"]:
            raise UnrepresentableError("mindspore experimental", ["optimizer adam: experimental Adam ignores amsgrad=True"],
                                       "api='nn' (nn.Adam(use_amsgrad=True) matches torch)")
    return MappedOptimizer(name, f"mindspore.experimental.optim.{cls}", "experimental", kwargs(h), exact, notes)


def map_optimizer(plan, api: str = "auto") -> MappedOptimizer:
    """Choose the MindSpore optimizer for ``plan.optimizer`` (framework-free).

    ``api``: 'auto' (the exact target: nn for sgd/adam, experimental for adamw/rmsprop/adagrad),
    'nn' or 'experimental'. ``exact`` is False, with a note, when the update rule differs.
    """
    h = plan.optimizer.resolved()
    if api == "auto":
        api = "nn" if plan.optimizer.name in ("sgd", "adam") else "experimental"
    if api == "nn":
        return _nn(plan, h)
    if api == "experimental":
        return _experimental(plan, h)
    raise ValueError(f"api must be 'auto', 'nn' or 'experimental', got {api!r}")


@dataclass
class MindSporeOptimizer:
    """What ``mindspore_optimizer`` built: the optimizer, its ``PlanLR`` (experimental, or nn with a
    scheduled momentum; step it after every optimizer step) or, for a reduce_on_plateau plan, MindSpore's
    own ``ReduceLROnPlateau`` (step it with the metric after each validation), and the mapping."""

    optimizer: object
    mapping: MappedOptimizer
    scheduler: object = None
    group_params: list = field(default_factory=list)


def _resolve(path: str):
    import importlib

    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _experimental_groups(plan, net):
    from lrbridge.groups import assign_params

    params = net.trainable_params() if hasattr(net, "trainable_params") else list(net)
    by_name = {p.name: p for p in params}
    owned = assign_params(plan.groups, list(by_name))
    mapped = {"betas": "betas", "momentum": "momentum", "dampening": "dampening", "nesterov": "nesterov",
              "eps": "eps", "alpha": "alpha", "centered": "centered", "amsgrad": "amsgrad",
              "lr_decay": "lr_decay", "initial_accumulator_value": "initial_accumulator_value"}
    groups, rows = [], []
    for i, g in enumerate(plan.groups):
        if not owned[g.name]:
            continue
        entry = {"params": [by_name[n] for n in owned[g.name]], "lr": float(plan.group_base_lr(g)),
                 "weight_decay": float(plan.group_weight_decay(g))}
        for key, value in g.hparams.items():
            if key == "grad_centralization" and not value:
                continue  # off: what experimental optimizers do anyway
            if key == "grad_centralization":
                raise UnrepresentableError("mindspore experimental", [
                    f"group '{g.name}' (groups[{i}]) sets grad_centralization=True but mindspore.experimental.optim "
                    "optimizers never apply gradient centralization (their groups only store the key)"],
                    "api='nn' (nn optimizers apply grad_centralization per group)")
            if key not in mapped:
                raise UnrepresentableError("mindspore experimental", [
                    f"group '{g.name}' (groups[{i}]) sets hyperparameter '{key}', which experimental optimizers do "
                    f"not hold per group (they hold {', '.join(sorted(mapped))})"], "remove it from the group")
            entry[mapped[key]] = tuple(value) if isinstance(value, list) else value
        groups.append(entry)
        rows.append(i)
    return groups, rows


def mindspore_optimizer(plan, net, *, api: str = "auto", form: str | None = None, total_step: int | None = None) -> MindSporeOptimizer:
    """Build the MindSpore optimizer for ``plan`` over ``net`` (a Cell or a list of Parameters).

    nn optimizers take ``mindspore_param_groups`` (lr as list or cell per group);
    experimental ones take torch-style groups and a ``PlanLR`` to step after each optimizer step.
    Scheduled hyperparameters are applied by that ``PlanLR`` or refused (UnrepresentableError).
    A reduce_on_plateau plan (metric-driven: no closed form) gets an experimental optimizer and MindSpore's
    own ``ReduceLROnPlateau`` where ``lrbridge.rules.plateau_problems`` allows, else UnrepresentableError.
    """
    from lrbridge.rules import uses_plateau

    from .capability import hparam_schedule_problems

    if uses_plateau(plan):
        return _plateau_optimizer(plan, net, api)
    mapping = map_optimizer(plan, api)
    problems = hparam_schedule_problems(plan, mapping.api)
    if problems:
        raise UnrepresentableError(f"mindspore {mapping.api} ({mapping.target})", problems,
                                   "drop the scheduled hyperparameter (lr lists/cells still carry the lr exactly)")
    from .experimental import PlanLR

    cls = _resolve(mapping.target)
    if mapping.api == "nn":
        from .params import mindspore_param_groups

        groups = mindspore_param_groups(plan, net, form=form, total_step=total_step)
        mapping.notes.extend(groups.notes)
        opt = cls(groups, learning_rate=float(plan.optimizer.lr), **mapping.kwargs)
        sched = PlanLR(opt, plan) if any(g.hparam_schedulers for g in plan.groups) else None
        return MindSporeOptimizer(opt, mapping, sched, groups)
    groups, rows = _experimental_groups(plan, net)
    opt = cls(groups, lr=float(plan.optimizer.lr), **mapping.kwargs)
    return MindSporeOptimizer(opt, mapping, PlanLR(opt, plan, rows=rows), groups)


def _plateau_optimizer(plan, net, api: str) -> MindSporeOptimizer:
    """A plan whose schedule is reduce_on_plateau: an experimental optimizer with MindSpore's own
    ``ReduceLROnPlateau`` (metric-driven: no closed form for ``PlanLR``, no list or cell), the rule every
    backend applies (``lrbridge.rules``); the user calls ``scheduler.step(metric)`` after each validation."""
    from lrbridge.rules import plateau_kwargs

    from .capability import PLATEAU_ALTERNATIVE, check

    if api not in ("auto", "nn", "experimental"):
        map_optimizer(plan, api)  # its error names the accepted values
    problems = []
    if api == "nn":
        problems.append("an nn optimizer holds its lr as a list or cell, which cannot follow a metric; "
                        "use api='experimental' (or 'auto')")
    problems += check(plan, "experimental").reasons
    mapping = map_optimizer(plan, "experimental")
    if problems:
        raise UnrepresentableError(f"mindspore experimental ({mapping.target}) with ReduceLROnPlateau", problems,
                                   PLATEAU_ALTERNATIVE)
    from mindspore.experimental.optim.lr_scheduler import ReduceLROnPlateau

    groups, rows = _experimental_groups(plan, net)
    opt = _resolve(mapping.target)(groups, lr=float(plan.optimizer.lr), **mapping.kwargs)
    kwargs = plateau_kwargs(plan)
    mins = [plan.group_schedule(plan.groups[r]).min_lr for r in rows]  # the groups that own parameters
    kwargs["min_lr"] = mins[0] if len(set(mins)) == 1 else mins
    mapping.notes.append("reduce_on_plateau: MindSpore's own ReduceLROnPlateau drives every group; call "
                         "scheduler.step(metric) after each validation")
    return MindSporeOptimizer(opt, mapping, ReduceLROnPlateau(opt, **kwargs), groups)
