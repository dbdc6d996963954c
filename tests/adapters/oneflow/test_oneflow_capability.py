"""OneFlow representability and export decisions: framework-free, no worker (runs anywhere).

What the measured tests (test_oneflow_conformance.py) confirm on real OneFlow runs is
here checked as decisions: which mode expresses what, with which reasons and
alternative, and what each mode is given (lr folded in eager, lr_scale in nn.Graph).
"""

from __future__ import annotations

import pytest
from oneflow_plans import BOTH, EAGER_ONLY, plan, two_groups

import lrbridge
from lrbridge import OptimizerSpec, Plan
from lrbridge.errors import UnrepresentableError
from lrbridge.schedules import ByEpoch, CosineAnnealing, MultiStep, ReduceOnPlateau, Step, Tabulated


@pytest.mark.parametrize("name", sorted(BOTH))
def test_both_modes_express(name):
    for mode in ("eager", "graph"):
        res = lrbridge.check(BOTH[name], "oneflow", mode=mode)
        assert res.ok, f"{name} {mode}: {res.reasons}"


@pytest.mark.parametrize("name", sorted(EAGER_ONLY))
def test_graph_refuses_with_reason_and_alternative(name):
    p, fragment = EAGER_ONLY[name]
    assert lrbridge.check(p, "oneflow", mode="eager").ok
    res = lrbridge.check(p, "oneflow", mode="graph")
    assert not res.ok
    assert any(fragment in r for r in res.reasons), res.reasons
    assert res.alternative and "eager mode" in res.alternative


def test_group_shape_message_names_groups_and_suggests_one_optimizer_per_schedule():
    res = lrbridge.check(EAGER_ONLY["groups_different_shapes"][0], "oneflow", mode="graph")
    reason = res.reasons[0]
    assert "'head' and 'body'" in reason and "step(step_size=20" in reason and "cosine_annealing(t_max=200" in reason
    assert "one optimizer per distinct group schedule" in res.alternative


def test_float_log_restart_bug_is_exact_below_the_step_it_strikes():
    # OneFlow's restart cycle uses floor(log(...)): wrong at k = 121 for T_0=1, T_mult=3 (measured, semantics §1.3)
    from lrbridge_oneflow.leaf_lowering import restart_log_error_step

    assert restart_log_error_step(1, 3) == 121
    assert restart_log_error_step(1, 10) == 111
    assert restart_log_error_step(2, 2) is None
    short = EAGER_ONLY["warm_restarts_float_log"][0].model_copy(update={"horizon": lrbridge.Horizon(steps=121)})
    assert lrbridge.check(short, "oneflow", mode="graph").ok
    longer = short.model_copy(update={"horizon": lrbridge.Horizon(steps=122)})
    assert "horizon.steps <= 121" in lrbridge.check(longer, "oneflow", mode="graph").reasons[0]


def test_tabulated_compiles_as_piecewise_scaling_in_graph():
    from lrbridge_oneflow.export import export

    ex = export(plan(Tabulated(values=(1.0, 0.5, 0.25), relative=True)), "graph")
    # kernel segments are boundaries[i-1] < k <= boundaries[i]: k=0 -> 1.0, k=1 -> 0.5, k>=2 -> 0.25
    assert ex.graph_conf == {"piecewise_scaling_conf": {"boundaries": [0, 1], "scales": [1.0, 0.5, 0.25]}}
    assert ex.scheduler["class"] == "lrbridge.PlanLR"


def test_eager_folds_lr_scale_and_graph_sets_it():
    from lrbridge_oneflow.export import export

    p = two_groups(CosineAnnealing(T_max=100), head_lr=1.0, head_scale=0.3)
    eager = export(p, "eager")
    assert eager.groups == [{"lr": 1.0 * 0.3}, {"lr": 0.1}]  # eager ignores lr_scale: folded into lr
    assert eager.scheduler == {"class": "CosineAnnealingLR", "kwargs": {"T_max": 100, "eta_min": 0.0}}
    graph = export(p, "graph")
    assert graph.groups == [{"lr": 1.0, "lr_scale": 0.3}, {"lr": 0.1, "lr_scale": 1.0}]
    assert graph.graph_conf == {"cosine_annealing_conf": {"t_max": 100, "eta_min": 0.0}}


def test_eager_absolute_values_cannot_fold_lr_scale_so_closed_form():
    from lrbridge_oneflow.export import export

    ex = export(two_groups(CosineAnnealing(T_max=100, eta_min=0.01), head_scale=0.5), "eager")
    assert ex.scheduler["class"] == "lrbridge.PlanLR"
    assert ex.groups == [{"lr": 0.1}, {"lr": 0.1}]  # PlanLR applies lr_scale itself
    assert "lr_scale cannot fold" in ex.notes[0]


def test_native_classes_chosen_where_they_equal_the_ir():
    from lrbridge_oneflow.export import export

    assert export(BOTH["warmup_prefix"], "eager").scheduler["class"] == "WarmupLR"
    seq = export(BOTH["sequential_restart"], "eager").scheduler
    assert seq["class"] == "SequentialLR" and seq["kwargs"]["interval_rescaling"] == [True]
    assert export(BOTH["sequential_global"], "eager").scheduler["kwargs"]["interval_rescaling"] == [False]
    poly = export(BOTH["polynomial"], "eager").scheduler
    assert poly == {"class": "PolynomialLR", "kwargs": {"decay_batch": 200, "end_learning_rate": 0.0, "power": 2.0, "cycle": False}}
    decay = export(BOTH["cosine_decay_min_lr"], "eager").scheduler  # alpha = min_lr / base
    assert decay["class"] == "CosineDecayLR" and decay["kwargs"]["alpha"] == pytest.approx(0.02, rel=1e-15)
    # OneFlow composites call get_lr of their children: a nested Sequential runs as the closed form in eager
    assert export(BOTH["sequential_nested"], "eager").scheduler["class"] == "lrbridge.PlanLR"
    by_epoch = export(plan(ByEpoch(schedule=MultiStep(milestones=(3, 7)), steps_per_epoch=25)), "eager").scheduler
    assert by_epoch["kwargs"]["milestones"] == [75, 175]


def test_sgd_dampening_with_momentum_is_refused_and_named():
    p = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1, hparams={"momentum": 0.9, "dampening": 0.5}), scheduler=Step(step_size=3))
    res = lrbridge.check(p, "oneflow", mode="eager")
    assert not res.ok and "dampens the first momentum step" in res.reasons[0]
    assert lrbridge.check(p, "oneflow", mode="eager", optimizer=False).ok  # schedules alone are fine
    ok = p.model_copy(update={"optimizer": OptimizerSpec(name="sgd", lr=0.1, hparams={"momentum": 0.9})})
    assert lrbridge.check(ok, "oneflow").ok


def test_optimizer_kwargs_are_explicit_against_oneflow_defaults():
    from lrbridge_oneflow.optim import optimizer_kwargs

    cls, kw = optimizer_kwargs(Plan(optimizer=OptimizerSpec(name="adamw", lr=1e-3)))
    assert cls == "AdamW" and kw["weight_decay"] == 0.01  # OneFlow's AdamW default is 0
    p = Plan(optimizer=OptimizerSpec(name="rmsprop", lr=1e-2, hparams={"momentum": 0.5}))
    assert "momentum 0 only" in lrbridge.check(p, "oneflow").reasons[0]


def test_plateau_is_eager_only():
    p = plan(ReduceOnPlateau(patience=3))
    assert lrbridge.check(p, "oneflow", mode="eager").ok
    res = lrbridge.check(p, "oneflow", mode="graph")
    assert not res.ok and "ReduceLROnPlateau" in res.reasons[0]


def test_unknown_mode():
    res = lrbridge.check(plan(Step(step_size=2)), "oneflow", mode="pynative")
    assert not res.ok and "modes: eager, graph" in res.reasons[0]


def test_generate_code_refuses_what_check_refuses_with_the_same_message():
    from lrbridge_oneflow.codegen import generate_code

    p = EAGER_ONLY["chained"][0]
    with pytest.raises(UnrepresentableError) as err:
        generate_code(p, "graph")
    res = lrbridge.check(p, "oneflow", mode="graph")
    assert str(err.value) == str(UnrepresentableError("oneflow (graph)", res.reasons, res.alternative))


def test_import_spec_semantics_without_oneflow():
    from lrbridge_oneflow.importer import schedule_from_spec

    # PolynomialLR's default end_learning_rate is 1e-4 (absolute), and its cycle starts at step 1
    poly = schedule_from_spec({"class": "PolynomialLR", "kwargs": {"decay_batch": 4, "cycle": True}})
    assert (poly.end_lr, poly.cycle_min_step) == (0.0001, 1)
    # mixed interval_rescaling: eager looks at the milestone just passed, the graph kernel at the last rescaled one
    spec = {"class": "SequentialLR", "kwargs": {"milestones": [2, 5], "interval_rescaling": [True, False]},
            "schedulers": [{"class": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 2}}] + [{"class": "ExponentialLR", "kwargs": {"gamma": 0.5}}] * 2}  # fmt: skip
    eager, graph = schedule_from_spec(spec), schedule_from_spec(spec, graph=True)
    assert eager.lr(6.0, 1.0) == 0.5**6 and graph.lr(6.0, 1.0) == 0.5**4


def test_to_oneflow_outside_the_oneflow_interpreter_says_where_it_runs():
    from lrbridge.errors import BackendUnavailableError

    try:
        import oneflow  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - only the main environment lacks OneFlow
        pytest.skip("OneFlow importable here")
    with pytest.raises(BackendUnavailableError, match="OneFlow interpreter"):
        lrbridge.to_oneflow(plan(Step(step_size=2)), None)


def test_convert_to_oneflow(tmp_path):
    import json

    from lrbridge_oneflow.codegen import generate_code
    from lrbridge.convert import convert
    from lrbridge.io import save_plan

    p = BOTH["warmup_linear"].model_copy(update={"horizon": lrbridge.Horizon(steps=40)})
    src = tmp_path / "plan.yaml"
    save_plan(p, src)
    assert convert(src, to="oneflow", fmt="python") == generate_code(p, "eager")
    doc = json.loads(convert(src, to="oneflow", fmt="json"))
    assert doc["eager"]["scheduler"]["class"] == "WarmupLR" and doc["graph"]["graph_conf"] is not None
    assert len(doc["groups"][0]["lr"]) == 40


def test_graph_cosine_eta_min_must_stay_below_base():
    # the kernel CHECKs eta_min < base lr and aborts the process otherwise: refused before building
    res = lrbridge.check(plan(CosineAnnealing(T_max=10, eta_min=0.2)), "oneflow", mode="graph")
    assert not res.ok and "eta_min (0.2)" in res.reasons[0]
    assert lrbridge.check(plan(CosineAnnealing(T_max=10, eta_min=0.2)), "oneflow", mode="eager").ok
