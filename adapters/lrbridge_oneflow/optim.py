"""Optimizer mapping: the plan's torch-named optimizer -> OneFlow class and explicit kwargs.

Separate from the schedule export because it is a different question (does
OneFlow's optimizer update like the torch-named one?) that both ``live.py`` and
the generated code ask. Framework-free.
"""

from __future__ import annotations

from .export import _dedupe

#: canonical optimizer -> OneFlow class, and the hyperparameters passed explicitly (OneFlow's defaults differ)
OPTIMIZERS = {
    "sgd": ("SGD", ("momentum", "dampening", "weight_decay", "nesterov")),
    "adam": ("Adam", ("betas", "eps", "weight_decay", "amsgrad")),
    "adamw": ("AdamW", ("betas", "eps", "weight_decay", "amsgrad")),
    "rmsprop": ("RMSprop", ("alpha", "eps", "weight_decay", "momentum", "centered")),
    "adagrad": ("Adagrad", ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")),
}


def optimizer_problems(plan) -> list[str]:
    """Where OneFlow's optimizer would update differently from the torch-named spec."""
    spec = plan.optimizer
    if spec.name not in OPTIMIZERS:
        return [f"optimizer '{spec.name}': OneFlow has no optimizer lrbridge maps it to (mapped: {', '.join(OPTIMIZERS)}); "
                "build it yourself over lrbridge.oneflow_param_groups and step it with lrbridge's PlanLR"]
    hp = spec.resolved()
    out = []
    for g in plan.groups:
        merged = {**hp, **g.hparams}
        where = f"group '{g.name}'" if g.hparams else "optimizer"
        if spec.name == "sgd" and merged["momentum"] > 0 and merged["dampening"] > 0:
            out.append(
                f"{where}: sgd with momentum={merged['momentum']} and dampening={merged['dampening']}: OneFlow dampens "
                "the first momentum step too (buf = (1 − dampening)·grad), torch does not; use dampening 0"
            )
        if spec.name == "rmsprop" and merged["momentum"] != 0:
            out.append(f"{where}: OneFlow RMSprop supports momentum 0 only, got {merged['momentum']}")
        unknown = set(g.hparams) - set(OPTIMIZERS[spec.name][1])
        if unknown:
            out.append(f"group '{g.name}': OneFlow {OPTIMIZERS[spec.name][0]} has no hyperparameter {sorted(unknown)}")
    return _dedupe(out)


def optimizer_kwargs(plan) -> tuple[str, dict]:
    """OneFlow class name and explicit keyword arguments (lr excluded) for the plan's optimizer
    (None and {} for one OneFlow does not have: ``optimizer_problems`` says so)."""
    if plan.optimizer.name not in OPTIMIZERS:
        return None, {}
    cls, keys = OPTIMIZERS[plan.optimizer.name]
    hp = plan.optimizer.resolved()
    kw = {k: (list(hp[k]) if isinstance(hp[k], tuple) else hp[k]) for k in keys}
    return cls, kw
