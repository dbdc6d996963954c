"""Scheduled weight decay: applied or refused, never dropped, measured from parameter updates.

The weight decay a target applies is recovered from the updates of real optimizer steps on
p = 1 with a zero gradient (``lrbridge.conformance.weight_decay``: Δ = lr·wd), never read back
from param_groups. The plan has two groups with different weight-decay schedules and one
no-decay group (weight decay 0, unscheduled: it must stay 0).
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import lrbridge as L
from lrbridge.conformance.weight_decay import DECAY_ATOL, max_decay_gap, weight_decay_from_updates
from lrbridge.reference import evaluate, evaluate_hparam

N = 12


def _plan(optimizer: str = "sgd", **hparams) -> L.Plan:
    return L.plan_from_dict({
        "optimizer": {"name": optimizer, "lr": 0.5, "hparams": {"weight_decay": 0.1, **hparams}},
        "scheduler": {"kind": "cosine", "T_max": 2 * N, "eta_min": 0.05},
        "groups": [
            {"name": "decay", "params": ["decay.*"],
             "hparam_schedulers": {"weight_decay": {"kind": "linear", "start_factor": 0.2, "total_iters": N}}},
            {"name": "other", "params": ["other.*"], "weight_decay": 0.04,
             "hparam_schedulers": {"weight_decay": {"kind": "exponential", "gamma": 0.8}}},
            {"name": "no_decay", "params": ["no_decay.*"], "weight_decay": 0.0},
        ],
        "horizon": {"steps": N},
    })


def _gap(got, plan) -> float:
    lrs = evaluate(plan, N, dtype=np.float32)
    return max_decay_gap(got, evaluate_hparam(plan, "weight_decay", N), lrs)


def _unscheduled(plan) -> L.Plan:
    return plan.model_copy(update={"groups": tuple(g.model_copy(update={"hparam_schedulers": {}}) for g in plan.groups)})


def test_the_reference_schedules_weight_decay_from_the_group_value():
    wd = evaluate_hparam(_plan(), "weight_decay", N)
    np.testing.assert_allclose(wd[0, [0, N - 1]], [0.1 * 0.2, 0.1 * (0.2 + 0.8 * (N - 1) / N)], rtol=1e-15)
    np.testing.assert_allclose(wd[1, :3], [0.04, 0.04 * 0.8, 0.04 * 0.64], rtol=1e-15)
    assert not wd[2].any()


def test_weight_decay_is_recovered_from_updates_of_a_float32_decay():
    # numpy's own float32 L2 step on p = 1 with a zero gradient (no framework): wd_k comes back.
    wd = np.linspace(0.01, 0.1, 8)
    lr = np.float32(0.3)
    deltas = [np.float64(np.float32(1) - np.float32(1) * lr * np.float32(w)) for w in wd]
    deltas = 1.0 - np.array(deltas)
    got = weight_decay_from_updates([deltas], [[lr] * 8])
    assert max_decay_gap(got, [wd], [[lr] * 8]) < DECAY_ATOL


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
@pytest.mark.parametrize("native", [True, False], ids=["native-or-verified", "closed-form"])
def test_torch_applies_the_scheduled_weight_decay(torch, optimizer, native):
    from lrbridge_torch.runner import measure_weight_decay

    plan = _plan(optimizer)
    assert L.check(plan, "torch").ok
    assert _gap(measure_weight_decay(plan, N, native=native), plan) < DECAY_ATOL


def test_the_measurement_sees_a_dropped_weight_decay_schedule(torch):
    # Negative control: the same groups without their schedules apply a fixed weight decay.
    from lrbridge_torch.runner import measure_weight_decay

    plan = _plan()
    assert _gap(measure_weight_decay(_unscheduled(plan), N), plan) > 1e-3


@pytest.mark.parametrize("api,optimizer", [("experimental", "adamw"), ("nn", "sgd")])
@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_mindspore_applies_the_scheduled_weight_decay(ms, api, optimizer, mode):
    # experimental: PlanLR writes a weight_decay Parameter (GRAPH_MODE compiles a float as a constant);
    # nn: nn.Momentum with one weight-decay Cell per scheduled group (MindSpore's dynamic weight decay).
    from lrbridge_mindspore.runner import measure_weight_decay

    plan = _plan(optimizer)
    if api == "experimental":
        assert L.check(plan, "mindspore", "experimental").ok
    assert _gap(measure_weight_decay(plan, N, mode, api), plan) < DECAY_ATOL


def test_mindspore_nn_weight_decay_cells_follow_the_cell_form_too(ms):
    # form 'cell' (no list length): the weight decay is the float64 formula cell the lr uses (within 1 ulp)
    from lrbridge_mindspore.runner import measure_weight_decay

    plan = _plan()
    assert _gap(measure_weight_decay(plan, N, "graph", "nn", form="cell"), plan) < DECAY_ATOL


def test_mindspore_measurement_sees_a_dropped_schedule(ms):
    from lrbridge_mindspore.runner import measure_weight_decay

    plan = _plan("adamw")
    assert _gap(measure_weight_decay(_unscheduled(plan), N, "pynative", "experimental"), plan) > 1e-3


def test_refusals_name_the_group_and_the_reason(ms):
    from lrbridge.errors import UnrepresentableError
    from lrbridge_mindspore.codegen import render_python
    from lrbridge_mindspore.optim import mindspore_optimizer

    sgd = L.check(_plan("sgd"), "mindspore", "experimental")
    assert not sgd.ok and "group 'decay'" in sgd.reasons[0] and "constant" in sgd.reasons[0]
    graph = L.check(_plan("sgd"), "oneflow", "graph")
    assert not graph.ok and any("weight_decay" in r and "constant" in r for r in graph.reasons)
    assert L.check(_plan("sgd"), "oneflow", "eager").ok
    with pytest.raises(UnrepresentableError, match="group 'decay'.*nn.SGD"):
        from mindspore import Parameter, Tensor

        net = [Parameter(Tensor(np.ones(1, np.float32)), name=f"{g}.w") for g in ("decay", "other", "no_decay")]
        mindspore_optimizer(_plan("sgd", dampening=0.1), net, api="nn")
    with pytest.raises(UnrepresentableError, match="group 'decay'.*nn.SGD"):
        render_python(_plan("sgd", dampening=0.1), N)  # the generated module follows the same rule


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])  # nn.Momentum (weight-decay Cells) / experimental AdamW
def test_the_generated_mindspore_module_applies_the_scheduled_weight_decay(ms, tmp_path, monkeypatch, optimizer):
    import importlib.util

    from mindspore import Parameter, Tensor, mutable, ops

    from lrbridge_mindspore.codegen import render_python
    from lrbridge_mindspore.runner import execution_mode

    plan = _plan(optimizer)
    path = tmp_path / f"wd_{optimizer}.py"
    path.write_text(render_python(plan, N))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, path.stem, module)  # imported as a module, as GRAPH_MODE's parser needs
    spec.loader.exec_module(module)  # lrbridge's own generated module
    with execution_mode("graph"):
        params = [Parameter(Tensor(np.ones(1, np.float32)), name=f"{g.name}.w") for g in plan.groups]
        opt, sched = module.build_optimizer(params)
        zeros, one = tuple(Tensor(np.zeros(1, np.float32)) for _ in params), Tensor(np.ones(1, np.float32))
        deltas = np.empty((len(params), N))
        for k in range(N):
            opt(mutable(zeros))
            for g, p in enumerate(params):
                deltas[g, k] = 1.0 - float(p.asnumpy()[0])
                ops.assign(p, one)
            if sched is not None:
                sched.step()
    got = weight_decay_from_updates(deltas, evaluate(plan, N, dtype=np.float32))
    assert _gap(got, plan) < DECAY_ATOL


def test_lr_only_artifacts_carry_the_lr_and_name_the_weight_decay_they_leave_out():
    from lrbridge import lrtable

    plan = _plan()
    for mode in ("list", "cell"):
        p = plan if mode == "list" else plan.model_copy(update={"horizon": L.Horizon(steps=N, past="hold")})
        res = L.check(p, "mindspore", mode)
        assert res.ok and any("weight_decay" in n for n in res.notes), (mode, res)
    doc = json.loads(lrtable.render_json(plan, N))
    assert len(doc["groups"][0]["lr"]) == N
    assert any("decay" in n and "weight_decay" in n for n in doc["notes"])
    assert not any("no_decay" in n for n in doc["notes"])


def test_oneflow_eager_applies_the_scheduled_weight_decay(oneflow):
    from lrbridge.io import plan_to_dict

    for name in ("sgd", "adamw"):
        plan = _plan(name)
        reply = oneflow({"op": "measure_weight_decay", "plan": plan_to_dict(plan), "steps": N})
        got = weight_decay_from_updates(reply["deltas"], evaluate(plan, N, dtype=np.float32))
        assert _gap(got, plan) < DECAY_ATOL, name
