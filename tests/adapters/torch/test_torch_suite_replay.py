"""PyTorch's own LR-scheduler suite (pytorch/pytorch test/optim/test_lrscheduler.py) replayed through lrbridge.

Every case builds the scheduler configuration one of torch's tests exercises (same arguments,
same epoch count; the torch test is named in a comment), on a real torch optimizer with one
tiny parameter per group and torch's two groups (lr 0.05 and 0.5, ``TestLRScheduler.setUp``).
Then:

(a) ``lrbridge.from_torch`` imports the LIVE objects (before they are stepped), and
    ``lrbridge.evaluate(plan, N)`` must equal the lr torch applies in the natural loop
    ``for k in range(N): record; opt.step(); sched.step()`` (and the cycled momentum / beta1);
(b) ``lrbridge.to_torch(plan, fresh optimizer)`` stepped through the same loop must apply
    the same lrs;
(c) a closed form read from the scheduler's state (not recognised from samples) must hold past N too.

``Case.torch_test`` names the torch test each case replays. Also replayed: ReduceLROnPlateau 1–8 (metric-driven:
exported back and stepped on torch's metrics), torch's setUp with its float32 tensor lr, the checkpoint/resume
tests (last_epoch), test_lr_scheduler_state_dict_load on what to_torch emits, every case stepped once per epoch
(``interval="epoch"``), and a few configurations through the config dialect (``plan_from_torch_config``). Not replayed: tests of ``step(epoch)`` (deprecated, fractional
epochs), of torch's warnings, argument validation, garbage collection and pickling.

Tolerance: float64 relative 1e-12 as in test_torch_import.py (torch's recursions drift from
the closed forms by a few ulps over these horizons; tables are exact). Groups whose lr is a
float32 tensor (torch's own setUp gives group 1 ``lr=torch.tensor(0.5)``) are compared in
float32 ulps with the bound lrbridge documents for them (``tables.F32_ULP_BOUND``).

What lrbridge cannot express (a Python lambda it can only sample, a metric-driven schedule,
a scheduler already stepped past its start) asserts the trace fallback or the clear error
the docs (docs/torch.md) describe.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import lrbridge
from lrbridge.conformance import compare
from lrbridge.errors import EvaluationError, LrBridgeError, PlanError
from lrbridge.reference import evaluate_hparam

REL = 1e-12
LRS = (0.05, 0.5)  # TestLRScheduler.setUp: SGD(lr=0.05), conv2's group lr 0.5


# ---------------------------------------------------------------- torch side


def _optimizer(torch, cls="SGD", lrs=LRS, tensor_lrs=(), **kw):
    """torch's setUp shape: group 0 takes the optimizer default lr, the others their own; one parameter each.

    ``tensor_lrs``: indices of groups whose lr is a float32 tensor (as torch's setUp has for group 1).
    """
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [params[0]]}]
    for i in range(1, len(lrs)):
        groups.append({"params": [params[i]], "lr": torch.tensor(lrs[i]) if i in tensor_lrs else lrs[i]})
    default = torch.tensor(lrs[0]) if 0 in tensor_lrs else lrs[0]
    return getattr(torch.optim, cls)(groups, lr=default, **kw)


def _hparam(pg, key):
    if key == "beta1":
        return float(pg["betas"][0])
    return float(pg[key])


def natural_loop(scheds, n: int, key: str | None = None):
    """lr (and ``key``: momentum / beta1) of every group before each of n steps of
    ``for k in range(n): record; opt.step(); sched.step()``; shape (groups, n), float64."""
    scheds = scheds if isinstance(scheds, (list, tuple)) else [scheds]
    opt = scheds[0].optimizer
    lrs, hps = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a misordered loop would warn: it must not
        for _ in range(n):
            lrs.append([float(g["lr"]) for g in opt.param_groups])
            if key is not None:
                hps.append([_hparam(g, key) for g in opt.param_groups])
            opt.step()
            for s in scheds:
                s.step()
    out = np.array(lrs).T
    return (out, np.array(hps).T) if key is not None else out


# ---------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    torch_test: str
    n: int
    make: Callable  # (lr_scheduler module, optimizer) -> scheduler, or a list of schedulers stepped together
    opt: dict = None  # _optimizer keywords
    closed_form: bool = True  # ImportResult.exact
    key: str | None = None  # a cycled hyperparameter to compare too
    note: str | None = None  # a regex one of ImportResult.notes must match (how lrbridge modelled it)

    def optimizer(self, torch):
        return _optimizer(torch, **(self.opt or {}))


def _t(x):
    import torch

    return torch.as_tensor(x)


def _half(_):
    return 0.5


class _ScaleFn:
    def __init__(self) -> None:
        self.x = 0.5

    def __call__(self, _):
        return self.x


def _swalr(o, **kw):
    from torch.optim.swa_utils import SWALR

    return SWALR(o, **kw)


CASES = {
    # ---- StepLR / MultiStepLR
    "step-lr": Case("test_step_lr", 10, lambda L, o: L.StepLR(o, gamma=0.1, step_size=3)),
    "step-lr-closed-form-20": Case("test_closed_form_step_lr", 20, lambda L, o: L.StepLR(o, gamma=0.1, step_size=3)),
    "get-last-lr-step-lr": Case("test_get_last_lr_step_lr", 10, lambda L, o: L.StepLR(o, 3, gamma=0.1),
                                opt={"lrs": (0.1,)}),
    "multi-step-lr": Case("test_multi_step_lr", 10, lambda L, o: L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])),
    "multi-step-lr-closed-form-20": Case("test_closed_form_multi_step_lr", 20,
                                         lambda L, o: L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])),
    # ---- ConstantLR / LinearLR
    "constantlr": Case("test_constantlr", 10, lambda L, o: L.ConstantLR(o, factor=1.0 / 2, total_iters=5)),
    "constantlr-closed-form-20": Case("test_closed_form_constantlr", 20,
                                      lambda L, o: L.ConstantLR(o, factor=1.0 / 3, total_iters=4)),
    "constantlr-defaults": Case("test_constantlr_is_constant_for_constant_epoch", 10, lambda L, o: L.ConstantLR(o)),
    "linearlr": Case("test_linearlr", 10, lambda L, o: L.LinearLR(o, start_factor=1.0 / 2, total_iters=4)),
    "linearlr-end-factor": Case("test_get_last_lr_linearlr", 10,
                                lambda L, o: L.LinearLR(o, start_factor=1.0 / 4, end_factor=3.0 / 5, total_iters=4)),
    "linearlr-closed-form-20": Case("test_closed_form_linearlr", 20,
                                    lambda L, o: L.LinearLR(o, start_factor=1.0 / 3, end_factor=0.7, total_iters=4)),
    "linearlr-defaults": Case("test_linear_linearlr_is_constant_for_constant_epoch", 10, lambda L, o: L.LinearLR(o)),
    # ---- ExponentialLR / PolynomialLR
    "exp-lr": Case("test_exp_lr", 10, lambda L, o: L.ExponentialLR(o, gamma=0.9)),
    "exp-lr-closed-form-20": Case("test_closed_form_exp_lr", 20, lambda L, o: L.ExponentialLR(o, gamma=0.9)),
    "poly-lr": Case("test_poly_lr", 10, lambda L, o: L.PolynomialLR(o, power=0.9, total_iters=5)),
    "poly-lr-closed-form-20": Case("test_closed_form_poly_lr", 20, lambda L, o: L.PolynomialLR(o, power=0.9)),
    # ---- CosineAnnealingLR
    "cos-anneal-lr": Case("test_cos_anneal_lr", 10, lambda L, o: L.CosineAnnealingLR(o, T_max=10, eta_min=1e-10)),
    "cos-anneal-lr-closed-form-20": Case("test_closed_form_cos_anneal_lr", 20,
                                         lambda L, o: L.CosineAnnealingLR(o, T_max=5, eta_min=1e-10)),
    "cos-anneal-lr-eta-min-0.1": Case("test_cos_anneal_lr_continue", 10,
                                      lambda L, o: L.CosineAnnealingLR(o, T_max=5, eta_min=0.1)),
    # ---- CosineAnnealingWarmRestarts (lr1 is parametrized over T_mult)
    "warm-restarts-T_mult-1": Case("test_CosineAnnealingWarmRestarts_lr1[T_mult=1]", 100,
                                   lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=1, eta_min=1e-10)),
    "warm-restarts-T_mult-2": Case("test_CosineAnnealingWarmRestarts_lr1[T_mult=2]", 100,
                                   lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=1e-10)),
    "warm-restarts-T_mult-4": Case("test_CosineAnnealingWarmRestarts_lr1[T_mult=4]", 100,
                                   lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=4, eta_min=1e-10)),
    "warm-restarts-T_mult-3": Case("test_CosineAnnealingWarmRestarts_lr3 (T_mult=3, natural loop)", 100,
                                   lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=3, eta_min=1e-10)),
    "warm-restarts-T_0-20": Case("test_lr_scheduler_state_dict_load[CosineAnnealingWarmRestarts]", 50,
                                 lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=20)),
    # ---- CyclicLR (momentum cycled on torch's SGD, whose momentum default is 0)
    "cyclic-triangular-one-lr": Case(
        "test_cycle_lr_triangular_mode_one_lr", 11,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4, cycle_momentum=True, base_momentum=1,
                                max_momentum=5, mode="triangular"), key="momentum"),
    "cyclic-triangular-one-lr-no-momentum": Case(
        "test_cycle_lr_triangular_mode_one_lr_no_momentum", 11,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4, cycle_momentum=False, mode="triangular"),
        key="momentum"),
    "cyclic-triangular2-one-lr": Case(
        "test_cycle_lr_triangular2_mode_one_lr", 22,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4, cycle_momentum=True, base_momentum=1,
                                max_momentum=5, mode="triangular2"), key="momentum"),
    "cyclic-exp-range-one-lr": Case(
        "test_cycle_lr_exp_range_mode_one_lr", 13,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4, cycle_momentum=True, base_momentum=1,
                                max_momentum=5, mode="exp_range", gamma=0.9), key="momentum"),
    "cyclic-triangular-per-group": Case(
        "test_cycle_lr_triangular_mode", 11,
        lambda L, o: L.CyclicLR(o, base_lr=[1, 2], max_lr=[5, 6], step_size_up=4, cycle_momentum=True,
                                base_momentum=[1, 2], max_momentum=[5, 6], mode="triangular"), key="momentum"),
    "cyclic-triangular2-per-group": Case(
        "test_cycle_lr_triangular2_mode", 22,
        lambda L, o: L.CyclicLR(o, base_lr=[1, 3], max_lr=[5, 7], step_size_up=4, cycle_momentum=True,
                                base_momentum=[1, 3], max_momentum=[5, 7], mode="triangular2"), key="momentum"),
    "cyclic-exp-range-per-group": Case(
        "test_cycle_lr_exp_range_mode", 13,
        lambda L, o: L.CyclicLR(o, base_lr=[1, 5], max_lr=[5, 12], step_size_up=4, cycle_momentum=True,
                                base_momentum=[1, 5], max_momentum=[5, 12], mode="exp_range", gamma=0.9),
        key="momentum"),
    "cyclic-triangular-up-down": Case(
        "test_cycle_lr_triangular_mode_step_size_up_down", 11,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4, step_size_down=6, cycle_momentum=True,
                                base_momentum=1, max_momentum=5, mode="triangular"), key="momentum"),
    "cyclic-triangular2-up-down": Case(
        "test_cycle_lr_triangular2_mode_step_size_up_down", 24,
        lambda L, o: L.CyclicLR(o, base_lr=[1, 3], max_lr=[5, 7], step_size_up=2, step_size_down=6,
                                cycle_momentum=True, base_momentum=[1, 3], max_momentum=[5, 7], mode="triangular2"),
        key="momentum"),
    "cyclic-exp-range-up-down": Case(
        "test_cycle_lr_exp_range_mode_step_size_up_down", 13,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=2, step_size_down=6, cycle_momentum=True,
                                base_momentum=1, max_momentum=5, mode="exp_range", gamma=0.9), key="momentum"),
    "cyclic-adam-no-momentum": Case(
        "test_cycle_lr_with_momentumless_optimizer", 11,
        lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4, cycle_momentum=False, mode="triangular"),
        opt={"cls": "Adam"}, key="beta1"),
    "cyclic-adam-beta1": Case("test_cycle_lr_cycle_momentum_with_beta1_optimizer", 40,
                              lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, cycle_momentum=True),
                              opt={"cls": "Adam"}, key="beta1"),
    "cyclic-defaults": Case("test_lr_scheduler_state_dict_load[CyclicLR]", 40,
                            lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1), opt={"momentum": 0.9},
                            key="momentum"),
    # custom scale_fn (a function, a callable object): no closed form of lrbridge's; stepped on a copy and recognised
    "cyclic-custom-scale-fn": Case("test_cycle_lr_state_dict_picklable (scale_fn function)", 40,
                                   lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, cycle_momentum=False,
                                                           scale_fn=_half),
                                   opt={"cls": "Adam"},
                                   note='CyclicLR: tabulated by stepping a copy .*custom scale_fn'),
    "cyclic-custom-scale-fn-object": Case("test_cycle_lr_state_dict_picklable (scale_fn callable class)", 40,
                                          lambda L, o: L.CyclicLR(o, base_lr=1, max_lr=5, step_size_up=4,
                                                                  cycle_momentum=False, scale_fn=_ScaleFn(),
                                                                  scale_mode="iterations"),
                                          opt={"cls": "Adam"},
                                          note='CyclicLR: tabulated by stepping a copy .*custom scale_fn'),
    # float32 tensor bounds and momenta (torch computes the momentum in float32 too: a float32 hyperparameter
    # the plan has no dtype for, so the cycle is tabulated, torch's own values)
    "cyclic-tensor-bounds": Case(
        "test_constant_initial_params_cyclelr", 20,
        lambda L, o: L.CyclicLR(o, base_lr=o.param_groups[0]["lr"], max_lr=_t(0.2), base_momentum=_t(0.8),
                                max_momentum=_t(0.9)),
        opt={"lrs": (0.1,), "tensor_lrs": (0,)}, closed_form=False, key="momentum",
        note='closed-form model differed from torch .*tabulated instead'),
    # ---- OneCycleLR
    "onecycle-linear": Case(
        "test_onecycle_lr_linear_annealing", 10,
        lambda L, o: L.OneCycleLR(o, max_lr=25, final_div_factor=2, base_momentum=1, max_momentum=22, total_steps=10,
                                  anneal_strategy="linear"), key="momentum"),
    "onecycle-linear-three-phase": Case(
        "test_onecycle_lr_linear_annealing_three_phases", 10,
        lambda L, o: L.OneCycleLR(o, max_lr=25, div_factor=25, base_momentum=1, max_momentum=22, total_steps=10,
                                  anneal_strategy="linear", pct_start=0.4, final_div_factor=4, three_phase=True),
        key="momentum"),
    "onecycle-cos": Case(
        "test_onecycle_lr_cosine_annealing", 10,
        lambda L, o: L.OneCycleLR(o, max_lr=25, final_div_factor=2, base_momentum=1, max_momentum=22,
                                  total_steps=10), key="momentum"),
    "onecycle-adam-beta1": Case(
        "test_cycle_lr_with_adam", 10,
        lambda L, o: L.OneCycleLR(o, max_lr=25, final_div_factor=2, base_momentum=1, max_momentum=22, total_steps=10,
                                  anneal_strategy="linear"), opt={"cls": "Adam"}, key="beta1"),
    "onecycle-epochs-steps-per-epoch": Case(
        "test_onecycle_lr_cannot_calculate_total_steps (epochs * steps_per_epoch given)", 12,
        lambda L, o: L.OneCycleLR(o, max_lr=[0.1, 1.0], epochs=3, steps_per_epoch=4, anneal_strategy="linear",
                                  div_factor=10, final_div_factor=100), opt={"momentum": 0.9}, key="momentum"),
    "onecycle-defaults": Case("test_lr_scheduler_state_dict_load[OneCycleLR]", 10,
                              lambda L, o: L.OneCycleLR(o, max_lr=0.01, total_steps=10, anneal_strategy="linear"),
                              opt={"momentum": 0.9}, key="momentum"),
    "onecycle-tensor-bounds": Case(
        "test_constant_initial_params_onecyclelr", 10,
        lambda L, o: L.OneCycleLR(o, max_lr=o.param_groups[0]["lr"], total_steps=10, base_momentum=_t(0.85),
                                  max_momentum=_t(0.95)),
        opt={"lrs": (0.1,), "tensor_lrs": (0,)}, closed_form=False, key="momentum",
        note='closed-form model differed from torch .*tabulated instead'),
    # ---- SequentialLR / ChainedScheduler
    "sequentiallr1": Case("test_sequentiallr1", 19, lambda L, o: L.SequentialLR(
        o, schedulers=[L.ExponentialLR(o, gamma=0.8), L.StepLR(o, gamma=0.1, step_size=4)], milestones=[3])),
    "sequentiallr2": Case("test_sequentiallr2", 13, lambda L, o: L.SequentialLR(
        o, schedulers=[L.ConstantLR(o, factor=0.1, total_iters=3), L.ExponentialLR(o, gamma=0.9)], milestones=[3])),
    "sequentiallr3": Case("test_sequentiallr3", 12, lambda L, o: L.SequentialLR(
        o, schedulers=[L.ConstantLR(o, factor=0.1, total_iters=3), L.ExponentialLR(o, gamma=0.8),
                       L.StepLR(o, gamma=0.1, step_size=2)], milestones=[3, 6])),
    "sequentiallr4": Case("test_sequentiallr4", 20, lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=1), L.ConstantLR(o, factor=0.1)], milestones=[10]), opt={"lrs": (0.1,)}),
    # a ChainedScheduler as stage 0 (never restarted): its product, in closed form
    "sequentiallr5-chained-stage": Case("test_sequentiallr5", 10, lambda L, o: L.SequentialLR(
        o, schedulers=[L.ChainedScheduler([L.LinearLR(optimizer=o, start_factor=0.1, total_iters=5),
                                           L.ConstantLR(optimizer=o, factor=0.1, total_iters=5)]),
                       L.ConstantLR(optimizer=o, factor=0.5, total_iters=5)], milestones=[5]),
        note='SequentialLR: modelled in closed form \\(sequential\\)'),
    "sequentiallr-no-warnings": Case("test_sequentiallr_no_warnings", 10, lambda L, o: L.SequentialLR(
        o, schedulers=[L.LinearLR(o, start_factor=0.5, end_factor=0.1, total_iters=5), L.ExponentialLR(o, gamma=0.9)],
        milestones=[5])),
    "sequentiallr-linear-down": Case("test_sequentiallr_does_not_alias_lr_and_initial_lr (float lr)", 8,
                                     lambda L, o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 0.8, total_iters=4),
                                                                     L.LinearLR(o, 0.8, 0.1, total_iters=4)],
                                                                 milestones=[4]), opt={"lrs": (2.0,)}),
    "chained-lr1": Case("test_chained_lr1", 10, lambda L, o: L.ChainedScheduler([L.StepLR(o, gamma=0.1, step_size=3)])),
    "chained-lr2": Case("test_chained_lr2", 10, lambda L, o: L.ChainedScheduler([L.LinearLR(o, start_factor=0.4,
                                                                                            total_iters=3)])),
    "chained-lr3": Case("test_chained_lr3", 10, lambda L, o: L.ChainedScheduler([
        L.LinearLR(o, start_factor=0.4, total_iters=3), L.MultiStepLR(o, milestones=[4, 8, 10], gamma=0.1)])),
    "chained-lr4": Case("test_chained_lr4", 9, lambda L, o: L.ChainedScheduler([
        L.ExponentialLR(o, gamma=0.9), L.ConstantLR(o, factor=0.2, total_iters=4),
        L.StepLR(o, gamma=0.1, step_size=3)])),
    "chained-lr5": Case("test_chained_lr5", 10, lambda L, o: L.ChainedScheduler([
        L.PolynomialLR(o, power=0.9, total_iters=5), L.ConstantLR(o, factor=0.1)])),
    "chained-constant-constant": Case("test_lr_scheduler_state_dict_load[ChainedScheduler]", 10,
                                      lambda L, o: L.ChainedScheduler(schedulers=[L.ConstantLR(o), L.ConstantLR(o)])),
    # ---- several schedulers stepped together on one optimizer (torch's "compound" tests): traced
    # a product of multiplicative classes: closed form (chained), as a ChainedScheduler of them
    "compound-step-multistep": Case("test_compound_step_and_multistep_lr", 10, lambda L, o: [
        L.StepLR(o, gamma=0.1, step_size=3), L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])],
        note='product in closed form'),
    "compound-step-exp": Case("test_compound_step_and_exp_lr", 10, lambda L, o: [
        L.StepLR(o, gamma=0.1, step_size=3), L.ExponentialLR(o, gamma=0.9)]),
    "compound-exp-multistep": Case("test_compound_exp_and_multistep_lr", 10, lambda L, o: [
        L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9]), L.ExponentialLR(o, gamma=0.9)]),
    "compound-exp-linear": Case("test_compound_exp_and_linearlr", 10, lambda L, o: [
        L.LinearLR(o, start_factor=0.4, end_factor=0.9, total_iters=4), L.ExponentialLR(o, gamma=0.9)]),
    "compound-step-constant": Case("test_compound_step_and_constantlr", 10, lambda L, o: [
        L.StepLR(o, gamma=0.1, step_size=3), L.ConstantLR(o, factor=0.4, total_iters=4)]),
    "compound-linear-multistep": Case("test_compound_linearlr_and_multistep_lr", 10, lambda L, o: [
        L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9]), L.LinearLR(o, start_factor=0.4, total_iters=4)]),
    # CosineAnnealingLR with eta_min > 0 adds a term of its own: not a product, traced exactly
    "compound-cos-step": Case("test_compound_cosanneal_and_step_lr", 10, lambda L, o: [
        L.CosineAnnealingLR(o, T_max=10, eta_min=1e-10), L.StepLR(o, gamma=0.1, step_size=3)], closed_form=False,
        note='traced on copies and recognised'),
    "compound-cos-multistep": Case("test_compound_cosanneal_and_multistep_lr", 10, lambda L, o: [
        L.CosineAnnealingLR(o, T_max=10, eta_min=1e-10), L.MultiStepLR(o, gamma=0.1, milestones=[2, 5, 9])],
        closed_form=False),
    "compound-cos-linear": Case("test_compound_cosanneal_and_linearlr", 10, lambda L, o: [
        L.LinearLR(o, start_factor=0.4, total_iters=4), L.CosineAnnealingLR(o, T_max=10, eta_min=1e-10)],
        closed_form=False),
    "compound-cos-exp": Case("test_compound_cosanneal_and_exp_lr", 10, lambda L, o: [
        L.CosineAnnealingLR(o, T_max=10, eta_min=1e-10), L.ExponentialLR(o, gamma=0.1)], closed_form=False),
    # ---- LambdaLR / MultiplicativeLR: lrbridge samples the lambdas (or steps a copy), then recognises the shape
    "lambda-lr-per-group": Case("test_lambda_lr", 10, lambda L, o: L.LambdaLR(
        o, lr_lambda=[lambda x1: 0.9 ** x1, lambda x2: 0.8 ** x2]), opt={"lrs": (0.05, 0.4)},
        note='LambdaLR: tabulated λ\\(t\\).*'),
    "multiplicative-lr-per-group": Case("test_multiplicative_lr", 10, lambda L, o: L.MultiplicativeLR(
        o, lr_lambda=[lambda x1: 0.9, lambda x2: 0.8]), opt={"lrs": (0.05, 0.4)},
        note='MultiplicativeLR: tabulated by stepping a copy'),
    "lambda-lr-floor-div": Case("test_lr_scheduler_state_dict_load[LambdaLR]", 25,
                                lambda L, o: L.LambdaLR(o, lr_lambda=lambda e: e // 10),
                                note='LambdaLR: tabulated λ\\(t\\).*'),
    "multiplicative-lr-0.95": Case("test_lr_scheduler_checkpoint[MultiplicativeLR]", 25,
                                   lambda L, o: L.MultiplicativeLR(o, lr_lambda=lambda epoch: 0.95),
                                   note='MultiplicativeLR: tabulated by stepping a copy'),
    # ---- SWALR (torch.optim.swa_utils): no class of lrbridge's; stepped on a copy, then recognised or kept a table
    "swalr-no-anneal": Case("test_swalr_no_anneal (the SWA phase)", 10,
                            lambda L, o: _swalr(o, anneal_epochs=1, swa_lr=0.01),
                            note='SWALR: tabulated by stepping a copy'),
    "swalr-cos-anneal": Case("test_swa_lr_state_dict", 10, lambda L, o: _swalr(o, anneal_epochs=3, swa_lr=0.5),
                             closed_form=False,
                             note='SWALR: no closed form reproduces the sampled lrs; kept as a table'),
    "swalr-linear-per-group": Case("test_swalr_linear_anneal_after_multiplicative (the SWA phase)", 10,
                                   lambda L, o: _swalr(o, anneal_epochs=4, anneal_strategy="linear",
                                                       swa_lr=[0.01, 0.02]),
                                                       note='SWALR: tabulated by stepping a copy'),
}


def _ids():
    return sorted(CASES)


def _make(torch, case):
    opt = case.optimizer(torch)
    with warnings.catch_warnings():
        # torch's own warning when a SequentialLR takes the initial step of a ChainedScheduler stage
        warnings.filterwarnings("ignore", re.escape("Detected call of `lr_scheduler.step()` before"), UserWarning)
        return opt, case.make(torch.optim.lr_scheduler, opt)


def _from_state(result) -> bool:
    """A closed form read from the scheduler's state (not recognised from sampled lrs), valid at every step."""
    return result.exact and result.plan.horizon.past == "continue" and not any(
        "recognised in closed form" in n for n in result.notes)


def _check(measured, reference, what, rel=REL):
    cmp = compare(measured, reference, metric="rel", tolerance=rel)
    assert cmp.ok, f"{what}: {cmp}"


@pytest.mark.parametrize("name", _ids())
def test_torch_suite_case_imports_and_exports_exactly(torch, name):
    case = CASES[name]
    opt, live = _make(torch, case)
    result = lrbridge.from_torch(live, steps=case.n)  # the live objects, before they are stepped
    torch_lr = natural_loop(live, case.n, case.key)
    torch_hp = None
    if case.key is not None:
        torch_lr, torch_hp = torch_lr
    assert result.exact is case.closed_form, result.notes
    if case.note is not None:
        assert any(re.search(case.note, n) for n in result.notes), result.notes

    # (a) the plan's reference curve is torch's applied lr at every step, for every group
    plan = result.plan
    _check(lrbridge.evaluate(plan, case.n), torch_lr, f"{case.torch_test}: evaluate(plan) vs torch")
    if case.key is not None and any(case.key in g.hparam_schedulers for g in plan.groups):
        _check(evaluate_hparam(plan, case.key, case.n), torch_hp, f"{case.torch_test}: {case.key} vs torch")

    # (b) the plan exported back to torch applies the same lrs (and hyperparameters) in the natural loop
    fresh = case.optimizer(torch)
    sched = lrbridge.to_torch(plan, fresh)
    back = natural_loop(sched, case.n, case.key)
    if case.key is not None:
        back, back_hp = back
        _check(back_hp, torch_hp, f"{case.torch_test}: to_torch {case.key} ({sched.lrbridge_kind})")
    _check(back, torch_lr, f"{case.torch_test}: to_torch ({sched.lrbridge_kind}) vs torch")

    # (c) a closed form read from the scheduler's state holds past the imported horizon too
    if _from_state(result):
        m = 3 * case.n
        _, again = _make(torch, case)
        _check(lrbridge.evaluate(plan, m), natural_loop(again, m), f"{case.torch_test}: plan past {case.n} steps")


# ---------------------------------------------------------------- ReduceLROnPlateau: metric-driven


PLATEAU = {
    # name: (torch test, metrics, scheduler keywords); torch sets every group's lr to 0.5 first
    "plateau1": ("test_reduce_lr_on_plateau1", [10 - i * 0.0167 for i in range(20)],
                 dict(threshold_mode="abs", mode="min", threshold=0.01, patience=5, cooldown=5)),
    "plateau2": ("test_reduce_lr_on_plateau2", [10 - i * 0.0165 for i in range(22)],
                 dict(patience=5, cooldown=0, threshold_mode="abs", mode="min", threshold=0.1)),
    "plateau3": ("test_reduce_lr_on_plateau3", [-0.8] * 2 + [-0.234] * 20,
                 dict(mode="max", patience=5, cooldown=5, threshold_mode="abs")),
    "plateau4": ("test_reduce_lr_on_plateau4", [1.5 * (1.025 ** i) for i in range(20)],
                 dict(mode="max", patience=3, threshold_mode="rel", threshold=0.1)),
    "plateau5": ("test_reduce_lr_on_plateau5", [1.5 * (1.005 ** i) for i in range(20)],
                 dict(mode="max", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5)),
    "plateau6": ("test_reduce_lr_on_plateau6", [1.5 * (0.85 ** i) for i in range(20)],
                 dict(mode="min", threshold_mode="rel", threshold=0.1)),
    "plateau7": ("test_reduce_lr_on_plateau7", [1] * 7 + [0.6] + [0.5] * 12,
                 dict(mode="min", threshold_mode="rel", threshold=0.1, patience=5, cooldown=5)),
    "plateau8-min-lr-per-group": ("test_reduce_lr_on_plateau8", [1.5 * (1.005 ** i) for i in range(20)],
                                  dict(mode="max", threshold_mode="rel", min_lr=[0.4, 0.3], threshold=0.1,
                                       patience=5, cooldown=5)),
}


def _plateau_loop(sched, metrics):
    opt = sched.optimizer
    out = []
    for m in metrics:
        out.append([float(g["lr"]) for g in opt.param_groups])
        opt.step()
        sched.step(m)
    return np.array(out).T


@pytest.mark.parametrize("name", sorted(PLATEAU))
def test_torch_suite_plateau_imports_and_exports(torch, name):
    torch_test, metrics, kw = PLATEAU[name]
    live = torch.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(torch, lrs=(0.5, 0.5)), **kw)
    result = lrbridge.from_torch(live)
    node = result.plan.group_schedule(result.plan.groups[1])
    assert node.kind == "reduce_on_plateau", torch_test
    with pytest.raises(EvaluationError):  # metric-driven: no curve without the metrics of a run
        lrbridge.evaluate(result.plan, len(metrics))
    original = _plateau_loop(live, metrics)
    back = lrbridge.to_torch(result.plan, _optimizer(torch, lrs=(0.5, 0.5)))
    assert type(back).__name__ == "ReduceLROnPlateau"
    _check(_plateau_loop(back, metrics), original, f"{torch_test}: to_torch ReduceLROnPlateau")


def test_torch_suite_plateau_preserves_tensor_lr(torch):
    # test_reduce_lr_on_plateau_preserves_lr_type: torch's setUp optimizer (group 1 lr=torch.tensor(0.5))
    live = torch.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(torch, tensor_lrs=(1,)), mode="min", patience=0)
    plan = lrbridge.from_torch(live).plan
    assert [g.lr_dtype for g in plan.groups] == ["float64", "float32"]
    metrics = [1.0, 2.0, 3.0, 2.0, 1.0] * 4
    original = _plateau_loop(live, metrics)
    fresh = _optimizer(torch, tensor_lrs=(1,))
    back = _plateau_loop(lrbridge.to_torch(plan, fresh), metrics)
    assert [type(g["lr"]) for g in fresh.param_groups] == [float, torch.Tensor]
    _check(back, original, "test_reduce_lr_on_plateau_preserves_lr_type: to_torch ReduceLROnPlateau")


def test_torch_suite_compound_with_plateau_is_a_clear_error(torch):
    # test_compound_reduce_lr_on_plateau1: ReduceLROnPlateau stepped with StepLR on one optimizer
    L = torch.optim.lr_scheduler
    opt = _optimizer(torch, lrs=(0.5, 0.5))
    scheds = [L.ReduceLROnPlateau(opt, threshold_mode="abs", mode="min", threshold=0.01, patience=5, cooldown=5),
              L.StepLR(opt, gamma=0.1, step_size=3)]
    with pytest.raises(LrBridgeError, match="ReduceLROnPlateau depends on the metrics"):
        lrbridge.from_torch(scheds, steps=10)


# ---------------------------------------------------------------- float32 tensor lrs: torch's own setUp


TENSOR_CASES = ["step-lr", "multi-step-lr", "constantlr", "linearlr", "exp-lr", "poly-lr", "cos-anneal-lr",
                "warm-restarts-T_mult-2", "sequentiallr3", "chained-lr4", "onecycle-linear", "cyclic-triangular-one-lr"]


@pytest.mark.parametrize("name", TENSOR_CASES)
def test_torch_suite_setup_with_tensor_lr(torch, name):
    """TestLRScheduler.setUp exactly: group 1 holds ``lr=torch.tensor(0.5)`` (torch computes it in float32)."""
    from lrbridge_torch.tables import F32_ULP_BOUND

    case = CASES[name]
    make = lambda: case.make(torch.optim.lr_scheduler, _optimizer(torch, tensor_lrs=(1,)))  # noqa: E731
    live = make()
    result = lrbridge.from_torch(live, steps=case.n)
    torch_lr = natural_loop(live, case.n)
    plan = result.plan
    assert [g.lr_dtype for g in plan.groups] == ["float64", "float32"]
    ref = lrbridge.evaluate(plan, case.n)
    _check(ref[:1], torch_lr[:1], f"{case.torch_test}: float group")
    bound = F32_ULP_BOUND if result.exact else 0
    cmp = compare(torch_lr[1:], ref[1:], metric="ulp", tolerance=bound)
    assert cmp.ok, f"{case.torch_test}: float32 tensor group: {cmp}"
    # exported onto torch's own setUp optimizer (tensor lr kept a tensor)
    fresh = _optimizer(torch, tensor_lrs=(1,))
    sched = lrbridge.to_torch(plan, fresh)
    back = natural_loop(sched, case.n)
    assert isinstance(fresh.param_groups[1]["lr"], torch.Tensor)
    _check(back[:1], torch_lr[:1], f"{case.torch_test}: to_torch float group")
    cmp = compare(back[1:], ref[1:], metric="ulp", tolerance=0)
    assert cmp.ok, f"{case.torch_test}: to_torch float32 tensor group vs plan: {cmp}"


def test_torch_suite_sequential_tensor_lr_does_not_alias(torch):
    # test_sequentiallr_does_not_alias_lr_and_initial_lr: one group, lr=torch.tensor(2.0)
    from lrbridge_torch.tables import F32_ULP_BOUND

    L = torch.optim.lr_scheduler

    def make():
        o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(2.0))
        return L.SequentialLR(o, [L.LinearLR(o, 0.1, 0.8, total_iters=4), L.LinearLR(o, 0.8, 0.1, total_iters=4)],
                              milestones=[4])

    live = make()
    result = lrbridge.from_torch(live, steps=8)
    torch_lr = natural_loop(live, 8)
    np.testing.assert_allclose(torch_lr[0], [0.2, 0.55, 0.9, 1.25, 1.6, 1.25, 0.9, 0.55], rtol=1e-6)
    assert result.plan.groups[0].lr_dtype == "float32"
    plan_lr = lrbridge.evaluate(result.plan, 8)
    assert compare(torch_lr, plan_lr, metric="ulp", tolerance=F32_ULP_BOUND if result.exact else 0).ok
    fresh = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(2.0))
    back = natural_loop(lrbridge.to_torch(result.plan, fresh), 8)
    assert isinstance(fresh.param_groups[0]["lr"], torch.Tensor)
    assert compare(back, plan_lr, metric="ulp", tolerance=0).ok


# ---------------------------------------------------------------- resume: last_epoch


RESUME = {
    # test_lr_scheduler_checkpoint: AdamW (lr 1e-3), one step, then LRClass(optim2, last_epoch=0) on the loaded state
    "exponential": lambda L, o, **kw: L.ExponentialLR(o, gamma=0.999, **kw),
    "step": lambda L, o, **kw: L.StepLR(o, step_size=30, **kw),
    "multistep": lambda L, o, **kw: L.MultiStepLR(o, milestones=[30, 80], **kw),
    "constant": lambda L, o, **kw: L.ConstantLR(o, **kw),
    "linear": lambda L, o, **kw: L.LinearLR(o, **kw),
    "polynomial": lambda L, o, **kw: L.PolynomialLR(o, **kw),
    "cosine": lambda L, o, **kw: L.CosineAnnealingLR(o, T_max=10, **kw),
    "warm-restarts": lambda L, o, **kw: L.CosineAnnealingWarmRestarts(o, T_0=20, **kw),
    "cyclic": lambda L, o, **kw: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, **kw),
    "onecycle": lambda L, o, **kw: L.OneCycleLR(o, max_lr=0.01, total_steps=10, **kw),
    # LambdaLR's lr is base·λ(last_epoch), no recursion: its import is the whole schedule even when resumed
    "lambda": lambda L, o, **kw: L.LambdaLR(o, lr_lambda=lambda epoch: epoch // 30, **kw),
}


@pytest.mark.parametrize("name", sorted(RESUME))
def test_torch_suite_checkpoint_resume(torch, name):
    """test_lr_scheduler_checkpoint[<class>]: one step, the optimizer's state loaded into a new one, the
    scheduler rebuilt there with last_epoch=0. Its import is the whole schedule: from step 1 it is what the
    resumed torch run applies, and exported back (to_torch) it replays the original run."""
    L = torch.optim.lr_scheduler
    make = RESUME[name]
    n = 9 if name == "onecycle" else 10  # OneCycleLR(total_steps=10) raises at scheduler step 11
    model = torch.nn.Linear(3, 3)
    original = natural_loop(make(L, torch.optim.AdamW(model.parameters())), 1 + n)  # the uninterrupted run
    optim = torch.optim.AdamW(model.parameters())
    sch = make(L, optim)
    optim.step()
    sch.step()
    optim2 = torch.optim.AdamW(model.parameters())
    optim2.load_state_dict(optim.state_dict())
    resumed = make(L, optim2, last_epoch=0)
    assert resumed.last_epoch == 1 and float(optim2.param_groups[0]["lr"]) == original[0, 1]
    result = lrbridge.from_torch(resumed, steps=1 + n)
    torch_lr = natural_loop(resumed, n)
    plan_lr = lrbridge.evaluate(result.plan, 1 + n)
    what = f"test_lr_scheduler_checkpoint[{name}]"
    _check(plan_lr[:, 1:], torch_lr, f"{what}: plan from step 1 vs the resumed torch run")
    _check(plan_lr, original, f"{what}: plan vs the original run")
    back = natural_loop(lrbridge.to_torch(result.plan, torch.optim.AdamW(torch.nn.Linear(3, 3).parameters())), 1 + n)
    _check(back, original, f"{what}: to_torch vs the original run")


def test_torch_suite_checkpoint_resume_of_multiplicative_is_a_clear_error(torch):
    # test_lr_scheduler_checkpoint[MultiplicativeLR]: a recursion of a lambda, sampled from its start only
    L = torch.optim.lr_scheduler
    optim = torch.optim.AdamW(torch.nn.Linear(3, 3).parameters())
    for g in optim.param_groups:
        g["initial_lr"] = g["lr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        resumed = L.MultiplicativeLR(optim, lr_lambda=lambda epoch: 0.95, last_epoch=0)
    with pytest.raises(LrBridgeError, match="already been stepped.*build a fresh one"):
        lrbridge.from_torch(resumed, steps=10)


def test_lambda_without_steps_is_a_clear_error(torch):
    # test_lambda_lr: lrbridge can only sample a Python lambda, which needs a horizon
    opt = _optimizer(torch, lrs=(0.05, 0.4))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda=[lambda x1: 0.9 ** x1, lambda x2: 0.8 ** x2])
    with pytest.raises(LrBridgeError, match="pass steps="):
        lrbridge.from_torch(sched)


def test_several_schedulers_without_steps_is_a_clear_error(torch):
    # test_compound_step_and_exp_lr without a horizon
    L = torch.optim.lr_scheduler
    opt = _optimizer(torch)
    with pytest.raises(PlanError, match="give steps"):
        lrbridge.from_torch([L.StepLR(opt, gamma=0.1, step_size=3), L.ExponentialLR(opt, gamma=0.9)])


def _resumed_step_lr(torch, held):
    # test_old_pattern_warning_resuming: every group's initial_lr 0.01, StepLR(gamma=0.1, step_size=3, last_epoch=10)
    opt = _optimizer(torch)
    for g in opt.param_groups:
        g["initial_lr"] = 0.01
        if held is not None:
            g["lr"] = held
    return torch.optim.lr_scheduler.StepLR(opt, gamma=0.1, step_size=3, last_epoch=10)


def test_torch_suite_resume_continues_from_a_consistent_lr(torch):
    # the groups hold the schedule's lr at the resume point (0.01·0.1³ at step 10): the plan is the run
    resumed = _resumed_step_lr(torch, 0.01 * 0.1 ** 3)
    assert resumed.last_epoch == 11
    result = lrbridge.from_torch(resumed, steps=30)
    _check(lrbridge.evaluate(result.plan, 30)[:, 11:], natural_loop(resumed, 19), "resumed StepLR from step 11")


def test_torch_suite_resume_with_an_inconsistent_lr_is_a_clear_error(torch):
    # torch's own test keeps the groups' lr (0.05, 0.5) with initial_lr 0.01: torch continues from 0.05
    # (chainable), which no schedule from initial_lr gives; before, from_torch imported 1e-05 silently
    resumed = _resumed_step_lr(torch, None)
    np.testing.assert_allclose(natural_loop(resumed, 2)[0], [0.05, 0.005], rtol=1e-12)
    with pytest.raises(LrBridgeError, match=r"last_epoch=11 and param_groups\[0\] holds lr 0\.05.*gives 1e-05"):
        lrbridge.from_torch(_resumed_step_lr(torch, None), steps=30)


# ---------------------------------------------------------------- state_dict through torch.save(weights_only=True)


@pytest.mark.parametrize("native", [True, False], ids=["to_torch", "PlanLR"])
@pytest.mark.parametrize("name", _ids())
def test_torch_suite_exported_state_dict_load(torch, name, native):
    """test_lr_scheduler_state_dict_load (weights_only=True) on what to_torch emits: saved halfway through the
    natural loop, loaded into a freshly exported scheduler, it continues exactly (bitwise)."""
    import io

    case = CASES[name]
    _, live = _make(torch, case)
    plan = lrbridge.from_torch(live, steps=case.n).plan
    full = natural_loop(lrbridge.to_torch(plan, case.optimizer(torch), native=native), case.n)
    k = case.n // 2
    opt = case.optimizer(torch)
    sched = lrbridge.to_torch(plan, opt, native=native)
    natural_loop(sched, k)
    buf = io.BytesIO()
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    opt2 = case.optimizer(torch)
    sched2 = lrbridge.to_torch(plan, opt2, native=native)
    opt2.load_state_dict(state["optimizer"])
    sched2.load_state_dict(state["scheduler"])
    np.testing.assert_array_equal(natural_loop(sched2, case.n - k), full[:, k:])


# ---------------------------------------------------------------- the same configurations through the config dialect


_OPT = {"type": "SGD", "lr": 0.05, "param_groups": [{"name": "conv1", "params": ["conv1.*"]},
                                                    {"name": "conv2", "rest": True, "lr": 0.5}]}
DIALECT = {
    "sequentiallr5-chained-stage": {"type": "SequentialLR", "milestones": [5], "schedulers": [
        {"type": "ChainedScheduler", "schedulers": [{"type": "LinearLR", "start_factor": 0.1, "total_iters": 5},
                                                    {"type": "ConstantLR", "factor": 0.1, "total_iters": 5}]},
        {"type": "ConstantLR", "factor": 0.5, "total_iters": 5}]},
    "sequentiallr3": {"type": "SequentialLR", "milestones": [3, 6], "schedulers": [
        {"type": "ConstantLR", "factor": 0.1, "total_iters": 3}, {"type": "ExponentialLR", "gamma": 0.8},
        {"type": "StepLR", "gamma": 0.1, "step_size": 2}]},
    "chained-lr4": {"type": "ChainedScheduler", "schedulers": [
        {"type": "ExponentialLR", "gamma": 0.9}, {"type": "ConstantLR", "factor": 0.2, "total_iters": 4},
        {"type": "StepLR", "gamma": 0.1, "step_size": 3}]},
    "cyclic-triangular2-up-down": {"type": "CyclicLR", "base_lr": [1, 3], "max_lr": [5, 7], "step_size_up": 2,
                                   "step_size_down": 6, "cycle_momentum": True, "base_momentum": [1, 3],
                                   "max_momentum": [5, 7], "mode": "triangular2"},
    "onecycle-linear-three-phase": {"type": "OneCycleLR", "max_lr": 25, "div_factor": 25, "base_momentum": 1,
                                    "max_momentum": 22, "total_steps": 10, "anneal_strategy": "linear",
                                    "pct_start": 0.4, "final_div_factor": 4, "three_phase": True},
    "warm-restarts-T_mult-2": {"type": "CosineAnnealingWarmRestarts", "T_0": 10, "T_mult": 2, "eta_min": 1e-10},
}


@pytest.mark.parametrize("name", sorted(DIALECT))
def test_torch_suite_config_dialect(torch, name):
    """The torch test's configuration written as a plan_from_torch_config mapping: the same curve."""
    from lrbridge_torch import plan_from_torch_config

    case = CASES[name]
    result = plan_from_torch_config({"optimizer": _OPT, "scheduler": DIALECT[name], "steps": case.n})
    assert result.exact, result.notes
    _, live = _make(torch, case)
    torch_lr = natural_loop(live, case.n, case.key)
    if case.key is not None:
        torch_lr, torch_hp = torch_lr
        _check(evaluate_hparam(result.plan, case.key, case.n), torch_hp, f"{case.torch_test}: dialect {case.key}")
    _check(lrbridge.evaluate(result.plan, case.n), torch_lr, f"{case.torch_test}: dialect")


@pytest.mark.parametrize("form", ["ChainedScheduler", "compound"])
def test_torch_suite_chained_cosine_holds_for_the_steps_imported(torch, form):
    # test_compound_cosanneal_and_step_lr with eta_min 0 (so the chain is a product, through T_max = 10 only):
    # imported over T_max + 1 = 11 steps, the plan is torch's curve there and refuses to continue past it
    # (torch then adds (b − η)(1 − cos(π/T))/2; before, the plan said past: continue and went 8x off at step 11)
    L = torch.optim.lr_scheduler

    def make():
        o = _optimizer(torch)
        parts = [L.CosineAnnealingLR(o, T_max=10), L.StepLR(o, gamma=0.1, step_size=3)]
        return L.ChainedScheduler(parts) if form == "ChainedScheduler" else parts

    result = lrbridge.from_torch(make(), steps=11)
    assert result.exact and result.plan.horizon.past == "error", result.notes
    _check(lrbridge.evaluate(result.plan, 11), natural_loop(make(), 11), f"{form} cosine · step")
    with pytest.raises(EvaluationError, match="past the plan's horizon"):
        lrbridge.evaluate(result.plan, 12)


# ---------------------------------------------------------------- stepped once per epoch


@pytest.mark.parametrize("name", _ids())
def test_torch_suite_case_stepped_per_epoch(torch, name):
    """The same configurations with ``scheduler.step()`` once per epoch of 3 optimizer steps (torch's epoch loop):
    ``from_torch(interval="epoch", steps_per_epoch=3)`` is the lr every optimizer step applies, and so is
    what ``to_torch`` emits, stepped after every optimizer step."""
    case = CASES[name]
    spe, n = 3, 3 * case.n
    _, live = _make(torch, case)
    result = lrbridge.from_torch(live, steps=n, interval="epoch", steps_per_epoch=spe)
    scheds = live if isinstance(live, list) else [live]
    opt, applied = scheds[0].optimizer, []
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for k in range(n):
            applied.append([float(g["lr"]) for g in opt.param_groups])
            opt.step()
            if (k + 1) % spe == 0:
                for s in scheds:
                    s.step()
    torch_lr = np.array(applied).T
    _check(lrbridge.evaluate(result.plan, n), torch_lr, f"{case.torch_test} per epoch: evaluate(plan)")
    _check(natural_loop(lrbridge.to_torch(result.plan, case.optimizer(torch)), n), torch_lr,
           f"{case.torch_test} per epoch: to_torch")
