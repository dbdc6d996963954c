"""Plan groups -> torch param groups, and the plan's optimizer as a torch.optim optimizer."""

from __future__ import annotations

from lrbridge.groups import assign_params
from lrbridge.errors import PlanError

#: canonical optimizer name -> torch.optim class name (hyperparameters already use torch's names)
TORCH_OPTIMIZERS = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adagrad": "Adagrad",
                    "nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax", "adadelta": "Adadelta"}


def named_parameters(model_or_named_parameters) -> list:
    """(name, parameter) pairs from a module or an iterable of pairs."""
    if hasattr(model_or_named_parameters, "named_parameters"):
        return list(model_or_named_parameters.named_parameters())
    if not hasattr(model_or_named_parameters, "__iter__") or isinstance(model_or_named_parameters, (str, bytes)):
        from lrbridge.errors import ArgumentTypeError

        raise ArgumentTypeError(f"expected a torch module or (name, parameter) pairs such as model.named_parameters(), "
                                f"got {type(model_or_named_parameters).__name__}")
    pairs = list(model_or_named_parameters)
    for item in pairs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise PlanError("", "expected a torch module or (name, parameter) pairs such as model.named_parameters()")
    return pairs


def _group_lr(plan, group) -> float:
    """The lr torch holds for a group: base·lr_scale (lr_scale folds in for equivariant schedules;
    otherwise to_torch's closed form applies the scale and overwrites lr at construction)."""
    return plan.group_base_lr(group) * group.lr_scale


def _torch_lr(lr: float, lr_dtype: str):
    """A group's lr as torch holds it: a float, or a float32 tensor for ``lr_dtype: float32``
    (what ``lr=torch.tensor(x)`` gives; torch's schedulers then compute it in float32 and ``fill_`` it)."""
    if lr_dtype != "float32":
        return lr
    import torch

    return torch.tensor(lr, dtype=torch.float32)


def torch_param_groups(plan, model_or_named_parameters, *, include_empty: bool = False) -> list[dict]:
    """torch param-group dicts for the plan's groups, in plan order.

    Each holds ``params`` (selected by the group's selectors; a parameter matched by
    two groups, or by none without a catch-all, is an error naming it), ``name``,
    ``lr`` = base·lr_scale (a float32 tensor for ``lr_dtype: float32``), ``weight_decay``
    and the group's other hyperparameters.
    A selector that selects no parameter is an error naming the group and the closest
    names (``lrbridge.groups.check_selectors_match``); an empty catch-all group is left
    out unless ``include_empty`` (to_torch maps groups by ``name``, so that is safe).
    Parameters with ``requires_grad=False`` are skipped, as torch users do.
    """
    from lrbridge.errors import expect_type
    from lrbridge.plan import Plan

    expect_type(plan, Plan, "torch_param_groups", "plan", "load a file with lrbridge.load_plan")
    pairs = [(n, p) for n, p in named_parameters(model_or_named_parameters) if getattr(p, "requires_grad", True)]
    owned = assign_params(plan.groups, [n for n, _ in pairs])
    lookup = dict(pairs)
    out = []
    for g in plan.groups:
        names = owned[g.name]
        if not names and not include_empty:
            continue
        pg = {"params": [lookup[n] for n in names], "name": g.name, "lr": _torch_lr(_group_lr(plan, g), g.lr_dtype)}
        pg["weight_decay"] = plan.group_weight_decay(g)
        pg.update(_torch_hparams(plan.optimizer.name, g.hparams, f"groups.{g.name}.hparams"))
        out.append(pg)
    return out


def _torch_hparams(opt_name: str, hparams: dict, where: str) -> dict:
    """Hyperparameters in torch's form (betas as a tuple); unknown names are errors."""
    from lrbridge.optim import OPTIMIZER_HPARAMS

    accepted = OPTIMIZER_HPARAMS.get(opt_name)
    out = {}
    for key, value in hparams.items():
        if accepted is not None and key not in accepted:
            raise PlanError(f"{where}.{key}", f"optimizer '{opt_name}' takes no '{key}'; accepted: {', '.join(accepted)}")
        out[key] = tuple(value) if isinstance(value, list) else value
    return out


def torch_optimizer(plan, model_or_named_parameters):
    """The plan's optimizer (SGD, Adam, AdamW, RMSprop, Adagrad, NAdam, RAdam, Adamax, Adadelta) over the
    plan's param groups (an ``external:`` optimizer is refused: build it over ``torch_param_groups``).

    Optimizer-level hyperparameters are the plan's (torch's defaults filled in, so
    e.g. AdamW's weight_decay 0.01 is explicit); groups override lr, weight_decay
    and their own hparams.
    """
    import torch

    from lrbridge.errors import expect_type
    from lrbridge.plan import Plan

    expect_type(plan, Plan, "torch_optimizer", "plan", "load a file with lrbridge.load_plan")
    spec = plan.optimizer
    if spec.name not in TORCH_OPTIMIZERS:
        raise PlanError("optimizer.name", f"torch.optim has no '{spec.name}': build that optimizer over "
                        "lrbridge.torch_param_groups(plan, model) and schedule it with lrbridge.to_torch(plan, optimizer)")
    cls = getattr(torch.optim, TORCH_OPTIMIZERS[spec.name])
    defaults = _torch_hparams(spec.name, spec.resolved(), "optimizer.hparams")
    return cls(torch_param_groups(plan, model_or_named_parameters), lr=spec.lr, **defaults)
