"""Plan serialization: JSON/YAML round trips (property-based), safe loading, versioning."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrbridge as L
from lrbridge.errors import EvaluationError, PlanError
from lrbridge.io import plan_from_dict, plan_to_dict, schedule_from_dict, schedule_to_dict

# ------------------------------------------------------------------ strategies

small_int = st.integers(min_value=1, max_value=50)
nonneg_int = st.integers(min_value=0, max_value=50)
# Finite floats of every magnitude the formulas accept; round trips must keep every bit.
factor = st.floats(min_value=0.0, max_value=2.0, allow_nan=False, allow_infinity=False)
rate = st.floats(min_value=0.0, max_value=1.0, allow_nan=False, allow_infinity=False)
lr_value = st.one_of(
    st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-8, 3e-4, 0.1, 1 / 3, 5e-324, 1.7976931348623157e308]),
)


def increasing(min_size=0, max_size=4, lo=0):
    return st.lists(st.integers(min_value=lo, max_value=200), min_size=min_size, max_size=max_size, unique=True).map(
        lambda v: tuple(sorted(v))
    )


@st.composite
def piecewise(draw):
    b = draw(increasing(0, 4))
    return L.Piecewise(boundaries=b, values=tuple(draw(st.lists(factor, min_size=len(b) + 1, max_size=len(b) + 1))), relative=draw(st.booleans()))


@st.composite
def one_cycle(draw):
    n = draw(st.integers(min_value=10, max_value=100))
    # keep the phase ends distinct (torch divides by their differences)
    pct = draw(st.floats(min_value=0.2, max_value=0.45))
    return L.OneCycle(
        total_steps=n, max_lr=draw(st.floats(min_value=1e-4, max_value=1.0)), pct_start=pct,
        anneal_strategy=draw(st.sampled_from(["cos", "linear"])), div_factor=draw(st.floats(min_value=1.0, max_value=100.0)),
        final_div_factor=draw(st.floats(min_value=1.0, max_value=1e4)), three_phase=draw(st.booleans()),
    )


LEAVES = st.one_of(
    st.just(L.Constant()),
    st.builds(L.ConstantFactor, factor=factor, total_iters=nonneg_int),
    st.builds(L.LinearRamp, start_factor=factor, end_factor=factor, total_iters=nonneg_int),
    st.builds(L.Step, step_size=small_int, gamma=rate),
    st.builds(L.MultiStep, milestones=increasing(0, 4), gamma=rate),
    piecewise(),
    st.builds(L.Exponential, gamma=rate, decay_steps=small_int, staircase=st.booleans()),
    st.builds(L.NaturalExpDecay, decay_rate=rate, decay_steps=small_int, staircase=st.booleans()),
    st.builds(L.InverseTimeDecay, decay_rate=rate, decay_steps=small_int, staircase=st.booleans()),
    st.builds(L.CosineAnnealing, T_max=small_int, eta_min=rate),
    st.builds(L.CosineDecay, decay_steps=small_int, min_lr=rate, alpha=rate),
    st.builds(
        L.CosineWarmRestarts, T_0=small_int, T_mult=st.integers(1, 4), eta_min=rate,
        decay_rate=rate, restart_limit=st.integers(0, 3),
    ),
    st.builds(
        L.Polynomial, total_iters=small_int, power=st.floats(0.0, 3.0), end_lr=rate,
        cycle=st.booleans(), cycle_min_step=st.integers(0, 1),
    ),
    one_cycle(),
    st.builds(
        L.Cyclic, base_lr=rate, max_lr=rate, step_size_up=small_int, step_size_down=st.none() | small_int,
        mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.5, 1.0),
    ),
    st.builds(L.InverseSqrt, warmup_steps=nonneg_int, timescale=st.none() | small_int),
    st.builds(L.Noam, d_model=st.floats(1.0, 1024.0), warmup_steps=small_int),
    st.builds(
        L.Tabulated, values=st.lists(factor, min_size=1, max_size=8).map(tuple), relative=st.booleans(),
        source=st.text(max_size=20),
    ),
)


@st.composite
def sequential(draw, children):
    stages = draw(st.lists(children, min_size=1, max_size=3))
    milestones = draw(increasing(len(stages) - 1, len(stages) - 1))
    return L.Sequential(stages=tuple(stages), milestones=milestones, clock=draw(st.sampled_from(["restart", "global"])))


@st.composite
def by_epoch(draw, children):
    inner = draw(children)
    integer_clock = any(n.kind in ("tabulated", "cosine_restarts") for n in inner.walk())
    cadence = "epoch" if integer_clock else draw(st.sampled_from(["epoch", "step"]))
    return L.ByEpoch(schedule=inner, steps_per_epoch=draw(small_int), cadence=cadence)


def _extend(children):
    return st.one_of(
        sequential(children),
        st.builds(L.Chained, schedules=st.lists(children, min_size=1, max_size=3).map(tuple)),
        st.builds(
            L.Warmup, schedule=children, warmup_steps=nonneg_int, warmup_factor=factor,
            method=st.sampled_from(["linear", "constant"]), prefix=st.booleans(),
        ),
        by_epoch(children),
    )


SCHEDULES = st.recursive(LEAVES, _extend, max_leaves=6)
GROUP_SCHEDULES = st.recursive(LEAVES, _extend, max_leaves=3)

hparam_value = st.one_of(
    st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.text(max_size=12), st.lists(st.floats(0, 1), max_size=3),
)
SELECTOR = st.sampled_from(["*.bias", "encoder.*", "re:.*norm.*", "re:layer\\d+\\.weight", "embed.*", "head.?", "[ab]*"])


@st.composite
def groups(draw):
    n = draw(st.integers(1, 4))
    names = draw(st.lists(st.text(min_size=1, max_size=10), min_size=n, max_size=n, unique=True))
    rest_at = draw(st.sampled_from([None, *range(n)]))
    out = []
    for i, name in enumerate(names):
        sel = {"rest": True} if i == rest_at else {"params": tuple(draw(st.lists(SELECTOR, min_size=1, max_size=3)))}
        out.append(
            L.ParamGroup(
                name=name,
                **sel,
                lr=draw(st.none() | lr_value),
                lr_scale=draw(st.just(1.0) | rate),  # lr × lr_scale must stay finite (a plan refuses an overflow)
                weight_decay=draw(st.none() | rate),
                # known optimizer hyperparameters take values in torch's ranges; other keys any plain value
                hparams=draw(st.fixed_dictionaries({}, optional={
                    "momentum": rate, "nesterov": st.booleans(), "eps": rate,
                    "betas": st.lists(st.floats(0, 0.99), min_size=2, max_size=2), "tag": hparam_value})),
                scheduler=draw(st.none() | GROUP_SCHEDULES),
            )
        )
    return tuple(out)


@st.composite
def plans(draw, allow_plateau=True):
    horizon_steps = draw(st.none() | st.integers(1, 10**6))
    past = "continue" if horizon_steps is None else draw(st.sampled_from(["continue", "hold", "error"]))
    scheduler = draw(SCHEDULES | st.builds(L.ReduceOnPlateau, factor=rate, patience=nonneg_int)) if allow_plateau else draw(SCHEDULES)
    return L.Plan(
        optimizer=L.OptimizerSpec(name="sgd", lr=draw(lr_value), hparams=draw(st.fixed_dictionaries({}, optional={"momentum": rate, "nesterov": st.booleans()}))),
        groups=draw(groups()),
        scheduler=scheduler,
        horizon=L.Horizon(steps=horizon_steps, past=past),
    )


def _evaluate_or_error(plan, steps):
    try:
        return L.evaluate(plan, steps)
    except EvaluationError as exc:
        return str(exc)


STEPS = np.array([0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 1000, 12345])

# ------------------------------------------------------------------ round trips


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans(), st.sampled_from(["json", "yaml"]))
def test_plan_round_trips_to_equal_plan_and_curves(plan, fmt):
    text = L.dumps_plan(plan, fmt)
    back = L.parse_plan(text, fmt)
    assert back == plan, text
    with np.errstate(all="ignore"):  # random parameters may overflow; both sides must agree bit for bit anyway
        a, b = _evaluate_or_error(plan, STEPS), _evaluate_or_error(back, STEPS)
    if isinstance(a, str):
        assert a == b
    else:
        np.testing.assert_array_equal(a, b)


@settings(max_examples=100, deadline=None)
@given(SCHEDULES)
def test_schedule_round_trips_through_plain_data(schedule):
    data = schedule_to_dict(schedule)
    assert data["kind"] == schedule.kind
    assert schedule_from_dict(json.loads(json.dumps(data))) == schedule


def test_dump_leaves_defaults_out_but_keeps_kind_and_version():
    plan = L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.1), scheduler=L.Step(step_size=3))
    assert plan_to_dict(plan) == {
        "version": 1,
        "optimizer": {"name": "sgd", "lr": 0.1},
        "scheduler": {"kind": "step", "step_size": 3},
    }


def test_save_and_load_files(tmp_path):
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="adamw", lr=3e-4, hparams={"betas": [0.9, 0.95]}),
        groups=(L.ParamGroup(name="emb", params=("embed.*",), lr_scale=0.1), L.ParamGroup(name="rest", rest=True)),
        scheduler=L.Warmup(schedule=L.CosineDecay(decay_steps=100, alpha=0.1), warmup_steps=10, prefix=True),
        horizon=L.Horizon(steps=110, past="hold"),
    )
    for suffix in (".json", ".yaml", ".yml"):
        path = tmp_path / f"plan{suffix}"
        L.save_plan(plan, path)
        assert L.load_plan(path) == plan


# ------------------------------------------------------------------ safety and errors


@pytest.mark.parametrize(
    "doc",
    [
        "!!python/object/apply:os.system ['echo pwned']",
        "optimizer: !!python/object/apply:os.system ['echo pwned']\n",
        "optimizer: !!python/name:os.system\n",
        "version: 1\noptimizer: {name: sgd, lr: 0.1}\nscheduler: !!python/object:lrbridge.schedules.Constant {}\n",
    ],
)
def test_unsafe_yaml_tags_are_rejected(doc, tmp_path, capfd):
    with pytest.raises(PlanError) as info:
        L.parse_plan(doc)
    text = str(info.value)
    assert text.startswith("not valid YAML: could not determine a constructor for the tag")
    assert "\n" not in text
    assert "pwned" not in capfd.readouterr().out


def test_version_mismatch():
    with pytest.raises(PlanError, match=r"^version: unsupported plan schema version 2; this lrbridge reads version 1"):
        L.parse_plan("version: 2\noptimizer: {name: sgd, lr: 0.1}\n")
    with pytest.raises(PlanError, match="unsupported plan schema version '1'"):
        L.parse_plan('{"version": "1", "optimizer": {"name": "sgd", "lr": 0.1}}', "json")


def test_missing_version_reads_as_current():
    assert L.parse_plan("optimizer: {name: sgd, lr: 0.1}\n").version == 1


@pytest.mark.parametrize(
    ("doc", "fmt", "message"),
    [
        ("[1, 2]", "yaml", "a plan must be a mapping, got list"),
        ("{", "json", "not valid JSON:"),
        ("a: [", "yaml", "not valid YAML:"),
        ("scheduler: {kind: constant}\n", "yaml", "optimizer: required field is missing"),
        ("optimizer: {name: sgdd, lr: 0.1}\n", "yaml", "optimizer.name: unknown optimizer 'sgdd'; accepted: sgd, adam"),
        ("optimizer: {name: sgd, lr: 0.1, hparams: {betas: [0.9, 0.99]}}\n", "yaml", "optimizer: optimizer 'sgd' takes no hyperparameter 'betas'"),
        ("optimizer: {name: sgd, lr: 0.1}\ngroups: [{name: a, params: [x], lr: -1}]\n", "yaml", "groups[0].lr: Input should be greater than or equal to 0"),
        ("optimizer: {name: sgd, lr: 0.1}\ngroups: [{name: a}]\n", "yaml", "groups[0]: group 'a': give params selectors or rest: true"),
        ("optimizer: {name: sgd, lr: 0.1}\ngroups: [{name: a, params: [x]}, {name: a, rest: true}]\n", "yaml", "groups: group names must be unique, repeated: ['a']"),
        ("optimizer: {name: sgd, lr: 0.1}\ngroups: [{name: a, params: ['re:(']}]\n", "yaml", "groups[0].params: selector 're:(' is not a valid regular expression"),
        ("optimizer: {name: sgd, lr: 0.1}\ngroups: [{name: a, params: [x], hparams: {lr: 1.0}}]\n", "yaml", "groups[0].hparams: 'lr' is a field of the group itself"),
        ("optimizer: {name: sgd, lr: 0.1}\ngroups: [{name: a, params: [x], scheduler: {kind: step}}]\n", "yaml", "groups[0].scheduler.step_size: required field is missing"),
        ("optimizer: {name: sgd, lr: 0.1}\nhorizon: {past: hold}\n", "yaml", "horizon: past: hold needs steps"),
        ("optimizer: {name: sgd, lr: 0.1}\nhorizon: {steps: 0}\n", "yaml", "horizon.steps: Input should be greater than or equal to 1"),
    ],
)
def test_plan_errors_name_the_field(doc, fmt, message):
    with pytest.raises(PlanError) as info:
        L.parse_plan(doc, fmt)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_load_plan_names_the_file(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("optimizer: {name: sgd, lr: 0.1}\nscheduler: {kind: step, step_size: 0}\n")
    with pytest.raises(PlanError, match=r"^scheduler.step_size: .* \(in .*p.yaml\)$"):
        L.load_plan(path)
    with pytest.raises(PlanError, match="cannot read plan file"):
        L.load_plan(tmp_path / "missing.yaml")
