"""nn.Graph and ``horizon.past: continue`` plans whose lr is constant from some step on.

nn.Graph runs plans it has no kernel conf for as an exact table, which holds its last entry
past its end. For a ``continue`` plan that is exact once the table reaches the step s from
which the lr is constant (``Plan.lr_settles_at``): the table covers max(N, s + 1) steps.
timm's cosine ends at lr_min, HF's linear decay at 0 (at s = N: one entry more than the
horizon), a warmup then a settled decay. Those are accepted and measured through real
nn.Graph steps past the horizon; a curve that keeps changing (HF's cosine, periodic past its
span) is still refused. The same rule the other way: a ``hold`` plan settled before N runs
OneFlow's own eager class (holding is continuing).
"""

from __future__ import annotations

import lrbridge as L
from lrbridge.conformance import ulp_distance
from lrbridge.conformance.engine import Target
from lrbridge.schedules import CycleAnneal, LinearRamp, Sequential, Shaped

N = 16
PAST = 40  # measured steps: 24 past the horizon
GRAPH = Target("oneflow", "graph")
EAGER = Target("oneflow", "eager")
TWO = (L.ParamGroup(name="a", params=("a*",), lr=0.25, lr_scale=0.5), L.ParamGroup(name="b", rest=True))


def _plan(schedule, groups=None, steps=N, past="continue") -> L.Plan:
    extra = {} if groups is None else {"groups": groups}
    return L.Plan(optimizer=L.OptimizerSpec(name="sgd", lr=0.5), scheduler=schedule,
                  horizon=L.Horizon(steps=steps, past=past), **extra)


def _warm_linear(span: int, floor: float = 0.0):
    return Sequential(stages=(LinearRamp(start_factor=0.0, total_iters=4), Shaped(shape="linear_down", span=span, floor=floor)),
                      milestones=(4,))


#: (plan, steps the table covers)
SETTLED = {
    "timm cosine to lr_min, settled before N": (_plan(CycleAnneal(t_initial=10, lr_min=1e-3)), N),
    "warmup then a linear decay to a floor, two groups": (_plan(_warm_linear(9, floor=0.1), TWO), N),
    "warmup then HF linear decay to 0 at step N": (_plan(_warm_linear(N - 4)), N + 1),
    "timm cosine settling after the horizon": (_plan(CycleAnneal(t_initial=30, lr_min=1e-3)), 31),
    "no horizon.steps": (_plan(CycleAnneal(t_initial=12, lr_min=1e-3), steps=None), 13),
}
#: HF's cosine schedule: periodic past its span, so holding any lr would be wrong
PERIODIC = _plan(Shaped(shape="cosine", span=12))
#: a hold plan settled at step 7 < N: holding is continuing, which OneFlow's MultiStepLR does
HOLD = _plan(L.MultiStep(milestones=(3, 7), gamma=0.5), past="hold")


def test_check_accepts_a_settled_continue_plan_saying_why_the_table_is_exact():
    for name, (plan, n) in SETTLED.items():
        res = L.check(plan, "oneflow", "graph")
        assert res.ok, (name, res.reasons)
        assert any(f"exact table of {n} steps" in note for note in res.notes), (name, res.notes)
        assert any(f"past step {n - 1} the table holds lr({n - 1}), which is exact" in note for note in res.notes), res.notes


def test_a_continue_plan_that_keeps_changing_is_still_refused():
    res = L.check(PERIODIC, "oneflow", "graph")
    assert not res.ok
    assert any("not provably constant" in r and "set horizon.past to 'hold'" in r for r in res.reasons), res.reasons
    res = L.check(PERIODIC.model_copy(update={"horizon": L.Horizon()}), "oneflow", "graph")
    assert not res.ok and any("needs horizon.steps" in r for r in res.reasons), res.reasons


def test_graph_applies_the_continued_plan_past_the_horizon(oneflow):
    from lrbridge_oneflow.runner import RUNNER

    results = RUNNER.measure_many([(p, PAST, GRAPH) for p, _ in SETTLED.values()])
    for (name, (plan, n)), got in zip(SETTLED.items(), results):
        assert not isinstance(got, Exception), (name, got)
        want = L.evaluate(plan, PAST)  # the formulas continued
        s = plan.lr_settles_at()
        assert (want[:, s - 1] != want[:, s]).any() and n <= PAST  # it moves until s: the held tail is a real claim
        scaled = any(g.lr_scale != 1.0 for g in plan.groups)
        # nn.Graph's tolerance (1 ulp, 2 with lr_scale), at every step: before and after the horizon
        assert ulp_distance(got, want).max() <= (2 if scaled else 1), (name, got, want)


def test_a_settled_hold_plan_runs_oneflow_own_eager_class(oneflow):
    from lrbridge_oneflow.export import export
    from lrbridge_oneflow.runner import RUNNER

    assert export(HOLD, "eager").scheduler["class"] == "MultiStepLR"
    changing = HOLD.model_copy(update={"scheduler": L.MultiStep(milestones=(3, 20), gamma=0.5)})  # changes after N
    assert export(changing, "eager").scheduler["class"] == "lrbridge.PlanLR"
    (got,) = RUNNER.measure_many([(HOLD, PAST, EAGER)])
    assert not isinstance(got, Exception), got
    assert ulp_distance(got, L.evaluate(HOLD, PAST)).max() <= 1
