"""Parameter selection: globs, ``re:`` regexes, the catch-all group, and errors naming the parameter."""

from __future__ import annotations

import pytest

import lrbridge as L
from lrbridge.errors import PlanError
from lrbridge.groups import selector_matches

NAMES = [
    "embed.weight",
    "encoder.layer0.attn.weight",
    "encoder.layer0.attn.bias",
    "encoder.layer0.norm.weight",
    "encoder.layer1.norm.bias",
    "head.weight",
    "head.bias",
]


@pytest.mark.parametrize(
    ("selector", "name", "hit"),
    [
        ("*.bias", "encoder.layer0.attn.bias", True),  # glob * crosses dots (fnmatch)
        ("*.bias", "bias", False),
        ("encoder.layer?.norm.*", "encoder.layer1.norm.bias", True),
        ("encoder.layer[01].attn.*", "encoder.layer0.attn.weight", True),
        ("Head.*", "head.weight", False),  # case-sensitive
        ("re:.*norm.*", "encoder.layer0.norm.weight", True),
        ("re:layer\\d+", "encoder.layer0.attn.weight", False),  # regexes must match the whole name
        ("re:encoder\\.layer\\d+\\..*", "encoder.layer0.attn.weight", True),
        ("re:head\\.(weight|bias)", "head.bias", True),
    ],
)
def test_selector_semantics(selector, name, hit):
    assert selector_matches(selector, name) is hit


def test_assign_with_glob_regex_and_rest_keeps_order():
    groups = (
        L.ParamGroup(name="no_decay", params=("*.bias", "re:.*norm.*")),
        L.ParamGroup(name="embed", params=("embed.*",)),
        L.ParamGroup(name="rest", rest=True),
    )
    assert L.assign_params(groups, NAMES) == {
        "no_decay": ["encoder.layer0.attn.bias", "encoder.layer0.norm.weight", "encoder.layer1.norm.bias", "head.bias"],
        "embed": ["embed.weight"],
        "rest": ["encoder.layer0.attn.weight", "head.weight"],
    }


def test_rest_group_may_come_first_and_stay_empty():
    groups = (L.ParamGroup(name="rest", rest=True), L.ParamGroup(name="all", params=("*",)))
    assert L.assign_params(groups, NAMES) == {"rest": [], "all": NAMES}


def test_double_match_names_the_parameter_and_groups():
    groups = (L.ParamGroup(name="bias", params=("*.bias",)), L.ParamGroup(name="head", params=("head.*",)))
    with pytest.raises(PlanError) as info:
        L.assign_params(groups, ["head.weight", "head.bias"])
    assert str(info.value) == (
        "groups: parameter 'head.bias' is selected by groups ['bias', 'head']; make the selectors disjoint"
    )


def test_no_match_names_the_parameter_and_the_fix():
    groups = (L.ParamGroup(name="bias", params=("*.bias",)),)
    with pytest.raises(PlanError) as info:
        L.assign_params(groups, ["x.bias", "x.weight"])
    assert str(info.value) == (
        "groups: parameter 'x.weight' is selected by no group; add a selector for it or a catch-all group (rest: true)"
    )


def test_assign_accepts_any_iterable_of_names():
    groups = (L.ParamGroup(name="all", rest=True),)
    assert L.assign_params(groups, (n for n in ["a", "b"])) == {"all": ["a", "b"]}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "g"}, "group 'g': give params selectors or rest: true"),
        ({"name": "g", "rest": True, "params": ("a",)}, "group 'g': a catch-all group (rest: true) takes no params selectors"),
        ({"name": "g", "params": ("re:[",)}, "selector 're:[' is not a valid regular expression"),
        ({"name": "g", "params": ("a",), "hparams": {"weight_decay": 0.1}}, "'weight_decay' is a field of the group itself"),
        ({"name": "g", "params": ("a",), "hparams": {"x": None}}, "hparams.x must be a number, bool, string or list, got NoneType"),
        ({"name": "", "params": ("a",)}, "at least 1 character"),
        ({"name": "g", "params": ("a",), "lr_scale": -1.0}, "greater than or equal to 0"),
    ],
)
def test_group_validation(kwargs, message):
    with pytest.raises(PlanError) as info:  # lrbridge's error, never pydantic's ValidationError
        L.ParamGroup(**kwargs)
    assert message in str(info.value)


def test_plan_rejects_two_catch_alls_and_no_groups():
    opt = L.OptimizerSpec(name="sgd", lr=0.1)
    with pytest.raises(PlanError, match=r"^groups: at most one group may be the catch-all"):
        L.plan_from_dict({"optimizer": {"name": "sgd", "lr": 0.1}, "groups": [{"name": "a", "rest": True}, {"name": "b", "rest": True}]})
    with pytest.raises(PlanError, match=r"^groups: needs at least one group"):
        L.plan_from_dict({"optimizer": {"name": "sgd", "lr": 0.1}, "groups": []})
    assert L.Plan(optimizer=opt).group_names == ["default"]


def test_group_weight_decay_falls_back_to_optimizer():
    plan = L.Plan(
        optimizer=L.OptimizerSpec(name="adamw", lr=1e-3),
        groups=(L.ParamGroup(name="nd", params=("*.bias",), weight_decay=0.0), L.ParamGroup(name="r", rest=True)),
    )
    assert plan.group_weight_decay(plan.groups[0]) == 0.0
    assert plan.group_weight_decay(plan.groups[1]) == 0.01  # torch AdamW default
