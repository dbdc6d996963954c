"""Optimizer specs: a canonical optimizer name and its hyperparameters, in PyTorch's names.

Adapters map these names (and the update rules behind them) to each framework;
the core only knows which hyperparameters each optimizer takes and their
PyTorch defaults.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import Field, field_validator, model_validator

from .schedules.base import Node, NonNegFloat

#: canonical optimizer -> hyperparameter -> PyTorch default
OPTIMIZER_HPARAMS: dict[str, dict[str, Any]] = {
    "sgd": {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adam": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False},
    "adamw": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False},
    "adagrad": {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0, "eps": 1e-10},
    "nadam": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "momentum_decay": 0.004,
              "decoupled_weight_decay": False},
    "radam": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "decoupled_weight_decay": False},
    "adamax": {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0},
    "adadelta": {"rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
}

#: ``external:<name>`` names an optimizer lrbridge does not build (LAMB, LARS, Adafactor, Lion, a
#: library's own class): the plan still carries its schedules, groups and hyperparameters (as given,
#: no defaults), so lr-only exports and schedulers over the user's own optimizer work; builders refuse.
EXTERNAL_PREFIX = "external:"
_EXTERNAL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,63}")


def plain_hparam(value) -> bool:
    """What an external optimizer's spec keeps: a string, bool, finite number, or a short list of numbers."""
    if isinstance(value, str):
        return True
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    return 0 < len(items) <= 16 and all(
        isinstance(x, bool) or (isinstance(x, (int, float)) and math.isfinite(x)) for x in items)


def external_name(name: str) -> str:
    """``external:<name>`` for an optimizer outside ``OPTIMIZER_HPARAMS`` (a class name kept as written)."""
    return EXTERNAL_PREFIX + name


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _non_negative(v):
    return None if _number(v) and v >= 0 else "a finite number ≥ 0"


def _real(v):
    return None if _number(v) else "a finite number"


def _flag(v):
    return None if isinstance(v, bool) else "true or false"


def _betas(v):
    ok = isinstance(v, (list, tuple)) and len(v) == 2 and all(_number(b) and 0 <= b < 1 for b in v)
    return None if ok else "a pair [beta1, beta2], each 0 ≤ beta < 1"


#: hyperparameter -> check returning what it must be when ``value`` is not that (torch's own ranges)
HPARAM_CHECKS = {
    "momentum": _non_negative, "dampening": _real, "nesterov": _flag, "weight_decay": _non_negative,
    "betas": _betas, "eps": _non_negative, "amsgrad": _flag, "alpha": _non_negative, "centered": _flag,
    "lr_decay": _non_negative, "initial_accumulator_value": _non_negative, "momentum_decay": _non_negative,
    "decoupled_weight_decay": _flag, "rho": _non_negative,
}


def hparam_problem(name: str, value) -> str | None:
    """What is wrong with ``value`` for hyperparameter ``name`` (None when fine or not a known name)."""
    check = HPARAM_CHECKS.get(name)
    wanted = check(value) if check else None
    return f"must be {wanted}, got {value!r}" if wanted else None


class OptimizerSpec(Node):
    """``name`` (sgd, adam, adamw, rmsprop, adagrad, nadam, radam, adamax, adadelta, or
    ``external:<name>``), base ``lr`` and other hyperparameters.

    Hyperparameters not given take PyTorch's defaults (see ``resolved()``); an external
    optimizer's are kept as given.
    """

    name: str
    lr: NonNegFloat
    hparams: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, v):
        if v.startswith(EXTERNAL_PREFIX):
            if not _EXTERNAL_NAME.fullmatch(v[len(EXTERNAL_PREFIX):]):
                raise ValueError(f"'{v}': write external:<name>, a name of letters, digits, '_' or '.' (at most 64)")
            return v
        if v not in OPTIMIZER_HPARAMS:
            raise ValueError(f"unknown optimizer '{v}'; accepted: {', '.join(OPTIMIZER_HPARAMS)}, "
                             f"or external:<name> for one lrbridge does not build (e.g. external:lamb)")
        return v

    @property
    def is_external(self) -> bool:
        """Named ``external:<name>``: lrbridge carries its schedule but builds no such optimizer."""
        return self.name.startswith(EXTERNAL_PREFIX)

    @model_validator(mode="after")
    def _known_hparams(self):
        accepted = None if self.is_external else OPTIMIZER_HPARAMS[self.name]
        for key in self.hparams:
            if self.is_external:
                value = self.hparams[key]
                if not plain_hparam(value):
                    raise ValueError(f"hparams.{key} must be a finite number, bool, string or list of numbers, "
                                     f"got {value!r}"[:200])
            elif key not in accepted:
                raise ValueError(
                    f"optimizer '{self.name}' takes no hyperparameter '{key}'; accepted: {', '.join(accepted)}"
                )
            problem = hparam_problem(key, self.hparams[key])
            if problem:
                raise ValueError(f"hparams.{key} {problem}")
        return self

    @property
    def cycled_hparam(self) -> str:
        """The hyperparameter torch's CyclicLR/OneCycleLR cycle for this optimizer: ``beta1`` where it has
        ``betas`` (torch checks ``"betas" in optimizer.defaults``), else ``momentum``."""
        return "beta1" if "betas" in self.resolved() else "momentum"

    def resolved(self) -> dict[str, Any]:
        """Every hyperparameter of this optimizer, defaults filled in (lr excluded)."""
        return {**OPTIMIZER_HPARAMS.get(self.name, {}), **self.hparams}
