"""Optimizer specs: a canonical optimizer name and its hyperparameters, in PyTorch's names.

Adapters map these names (and the update rules behind them) to each framework;
the core only knows which hyperparameters each optimizer takes and their
PyTorch defaults.
"""

from __future__ import annotations

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
}


class OptimizerSpec(Node):
    """``name`` (sgd, adam, adamw, rmsprop, adagrad), base ``lr`` and other hyperparameters.

    Hyperparameters not given take PyTorch's defaults (see ``resolved()``).
    """

    name: str
    lr: NonNegFloat
    hparams: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _known(cls, v):
        if v not in OPTIMIZER_HPARAMS:
            raise ValueError(f"unknown optimizer '{v}'; accepted: {', '.join(OPTIMIZER_HPARAMS)}")
        return v

    @model_validator(mode="after")
    def _known_hparams(self):
        accepted = OPTIMIZER_HPARAMS[self.name]
        for key in self.hparams:
            if key not in accepted:
                raise ValueError(
                    f"optimizer '{self.name}' takes no hyperparameter '{key}'; accepted: {', '.join(accepted)}"
                )
        return self

    def resolved(self) -> dict[str, Any]:
        """Every hyperparameter of this optimizer, defaults filled in (lr excluded)."""
        return {**OPTIMIZER_HPARAMS[self.name], **self.hparams}
