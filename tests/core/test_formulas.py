"""Each family's formula is written once (``lrbridge/schedules/xp.py``): properties of the shared definitions."""

from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np
import pytest

import lrbridge.schedules as L
from lrbridge.schedules import xp as X


#: the families the MindSpore cells compute (each from its formula)
FORMULA_KINDS = {
    "constant", "constant_factor", "linear", "step", "multistep", "piecewise", "exponential", "natural_exp",
    "inverse_time", "cosine", "cosine_decay", "cosine_restarts", "polynomial", "one_cycle", "cyclic",
    "inverse_sqrt", "noam", "tabulated", "sequential", "chained", "warmup", "by_epoch",
    # the config-system kinds (lrbridge/schedules/extra.py)
    "cycle_anneal", "log_warmup", "shaped", "floor_step", "linear_growth", "triangular",
}


def test_the_reference_evaluates_each_family_through_its_formula():
    assert FORMULA_KINDS <= {kind for kind, cls in L.SCHEDULE_KINDS.items() if cls.formula is not None}
    assert L.ReduceOnPlateau.formula is None  # no closed form: evaluating it raises
    for cls in L.SCHEDULE_TYPES:
        if cls.formula is not None:
            assert isinstance(cls.formula, X.Formula) and callable(cls.formula.lr)
            # lr is the base class's (formula run with numpy): no second numpy definition next to the formula
            assert cls.lr is L.ScheduleBase.lr, cls.__name__


def _formula_functions():
    """Every function written against a namespace: first parameter ``xp``, in the schedules package."""
    seen = {}
    for module in (X, *{inspect.getmodule(cls) for cls in L.SCHEDULE_TYPES}):
        for name, fn in vars(module).items():
            if inspect.isfunction(fn) and fn.__module__ == module.__name__:
                params = list(inspect.signature(fn).parameters)
                if params[:1] == ["xp"]:
                    seen[f"{module.__name__}.{name}"] = fn
    return seen


def test_formulas_hold_no_float_literal():
    """A float literal in a formula would reach MindSpore as a float32 operand (measured: pow(0.9995, k)
    off by 1.6e-3); every constant must come from ``c`` or ``xp``."""
    functions = _formula_functions()
    assert len(functions) >= 25  # one per family and the shared helpers
    for name, fn in functions.items():
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        body = tree.body[0].body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        floats = [n.value for stmt in body for n in ast.walk(stmt) if isinstance(n, ast.Constant) and isinstance(n.value, float)]
        assert not floats, f"{name} uses float literals {floats}"


def test_in_place_half_cos_is_the_shared_definition_bit_for_bit():
    # The numpy namespace runs half_cos in place (the hot path); it must be exactly the definition.
    frac = np.concatenate([np.linspace(-3, 3, 100_001), np.random.default_rng(1).uniform(0, 1, 10_000)])
    assert np.array_equal(X.NUMPY.half_cos(frac), X.half_cos(X.NUMPY, frac))
    assert X.NUMPY.half_cos(np.float64(0.25)) == X.half_cos(X.NUMPY, np.float64(0.25))
    assert X.NUMPY.half_cos(np.array([1.0]))[0] == 0.0 and X.NUMPY.half_cos(np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize("T_max", [1, 7, 1000])
def test_cosine_is_exactly_periodic_far_past_T_max(T_max):
    """lr(k) = lr(k mod 2T) bit for bit, for k up to 2^53, and exactly η at odd multiples of T.

    Without reducing k by the period first, π·k/T carries an absolute error of ~ulp(π·k/T):
    already at k ~ 2^31 the lr near its minimum is off by many float32 ulps.
    """
    s = L.CosineAnnealing(T_max=T_max, eta_min=1e-3)
    j = np.array([n for n in (10**3, 2**20 + 3, 2**30 - 1, 2**40 + 1, 2**49) if (n + 1) * 2 * T_max < 2**53])
    ks = np.concatenate([j * 2 * T_max + d for d in (0, 1, T_max - 1, T_max, T_max + 1, 2 * T_max - 1)]).astype(np.float64)
    np.testing.assert_array_equal(s.lr(ks, 0.1), s.lr(np.mod(ks, 2 * T_max), 0.1))
    assert np.all(s.lr((j * 2 * T_max + T_max).astype(np.float64), 0.1) == 1e-3)
    assert np.all(s.lr((j * 2 * T_max).astype(np.float64), 0.1) == 0.1)


def test_warm_restarts_at_large_k_start_every_cycle_at_the_peak():
    """Integer cycle search: the first step of every cycle is exactly the peak, the last is just above η."""
    for T_0, m in [(1, 2), (1, 3), (7, 2), (3, 10), (13, 1)]:
        s = L.CosineWarmRestarts(T_0=T_0, T_mult=m, eta_min=1e-6)
        starts, length, cycles = [0], T_0, 0
        while starts[-1] + length < 2**52 and cycles < 60:
            starts.append(starts[-1] + length)
            length *= m
            cycles += 1
        starts = np.array(starts[1:], np.float64)
        np.testing.assert_array_equal(s.lr(starts, 0.1), 0.1)
        last = starts[np.diff(starts, prepend=0.0) > 1] - 1  # last steps of the cycles longer than one step
        assert last.size and np.all(s.lr(last, 0.1) < 0.1)
