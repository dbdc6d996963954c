"""Lists and cells: length errors, resume at step k, horizon handling, float64-in-graph checks."""

from __future__ import annotations

import numpy as np
import pytest

from lrbridge import OptimizerSpec, Plan
from lrbridge.conformance import compare
from lrbridge.errors import PlanError, UnrepresentableError
from lrbridge.reference import evaluate
from lrbridge.plan import Horizon
from lrbridge.schedules import CosineAnnealing, CosineDecay, Exponential, ReduceOnPlateau, Warmup

from lrbridge_mindspore import to_mindspore_lr_array, to_mindspore_lr_list

PLAN = Plan(
    optimizer=OptimizerSpec(name="sgd", lr=0.1),
    scheduler=Warmup(schedule=CosineAnnealing(T_max=90), warmup_steps=10, warmup_factor=0.01, prefix=True),
    horizon=Horizon(steps=100),
)


def test_list_is_the_reference_and_rounds_to_it_in_float32():
    lr = to_mindspore_lr_list(PLAN)
    assert isinstance(lr, list) and len(lr) == 100 and isinstance(lr[0], float)
    ref = evaluate(PLAN, 100)[0]
    assert np.array_equal(np.float32(lr), ref.astype(np.float32))  # 0 ulp: what MindSpore stores


def test_float32_array_as_a_tensor_lr_applies_the_reference_exactly(ms):
    # Tensor(to_mindspore_lr_array(...)) is the fast form of the list: MindSpore indexes a
    # 1-D Tensor by global_step like a list. Real nn.SGD steps; tolerance 0 ulp.
    from mindspore import Parameter, Tensor, nn, ops

    arr = to_mindspore_lr_array(PLAN)
    assert arr.dtype == np.float32 and np.array_equal(arr, np.float32(to_mindspore_lr_list(PLAN)))
    w = Parameter(Tensor(np.zeros(1, np.float32)), name="w")
    opt = nn.SGD([w], learning_rate=Tensor(arr))
    zero, grad = Tensor(np.zeros(1, np.float32)), (Tensor(np.ones(1, np.float32)),)
    applied = []
    for _ in range(30):
        ops.assign(w, zero)
        opt(grad)
        applied.append(-w.asnumpy()[0])
    result = compare(applied, evaluate(PLAN, 30)[0], metric="ulp", tolerance=0)
    assert result.ok, result


def test_too_short_total_step_is_an_error_up_front():
    with pytest.raises(UnrepresentableError, match=r"total_step=50 is shorter than the plan's horizon of 100 steps"):
        to_mindspore_lr_list(PLAN, total_step=50)
    with pytest.raises(UnrepresentableError, match="pass total_step"):
        to_mindspore_lr_list(PLAN.model_copy(update={"horizon": Horizon()}))
    with pytest.raises(PlanError, match="no group named 'x'"):
        to_mindspore_lr_list(PLAN, group="x")


def test_metric_driven_schedules_are_refused_with_the_alternative():
    plan = PLAN.model_copy(update={"scheduler": ReduceOnPlateau()})
    with pytest.raises(UnrepresentableError, match="reduce_on_plateau.*ReduceLROnPlateau"):
        to_mindspore_lr_list(plan)


def test_a_list_shorter_than_training_really_stops_mindspore(ms):
    """Why the length check exists: MindSpore's Gather fails at the step past the list's end."""
    from mindspore import Parameter, Tensor, nn

    w = Parameter(Tensor(np.zeros(1, np.float32)), name="w")
    opt = nn.SGD([w], learning_rate=[0.1, 0.05, 0.025])
    for _ in range(3):
        opt((Tensor(np.ones(1, np.float32)),))
    with pytest.raises(Exception, match="range"):
        opt((Tensor(np.ones(1, np.float32)),))


@pytest.mark.parametrize("form", ["list", "cell"])
def test_resume_at_step_k_with_restored_global_step(ms, form):
    """global_step restored to k: the next steps apply lr(k), lr(k+1), ... (0 ulp list, 1 ulp cell)."""
    from lrbridge_mindspore.runner import probe_nn

    got = probe_nn(PLAN, 30, form, "graph", start=57)
    ref = evaluate(PLAN, np.arange(57, 87))
    assert compare(got, ref, metric="ulp", tolerance=0 if form == "list" else 1).ok


def test_experimental_resume_from_state_dict(ms):
    from lrbridge_mindspore.runner import probe_experimental

    got = probe_experimental(PLAN, 20, "pynative", start=40)
    assert compare(got, evaluate(PLAN, np.arange(40, 60)), metric="ulp", tolerance=0).ok


def test_cell_with_hold_horizon_holds_the_last_lr(ms):
    from mindspore import Tensor

    from lrbridge_mindspore import to_mindspore_schedule

    plan = PLAN.model_copy(update={"horizon": Horizon(steps=100, past="hold")})
    cell = to_mindspore_schedule(plan)
    ref = np.float32(evaluate(plan, [99])[0, 0])
    for k in (99, 150, 10_000):
        assert cell(Tensor([k], ms.int32)).asnumpy()[0] == ref


def test_cell_of_an_error_horizon_gives_nan_from_the_horizon_on(ms):
    import mindspore as ms_
    from mindspore import Tensor

    from lrbridge_mindspore import to_mindspore_schedule
    from lrbridge_mindspore.capability import check

    plan = PLAN.model_copy(update={"horizon": Horizon(steps=100, past="error")})
    result = check(plan, "cell")
    assert result.ok and any("NaN" in n for n in result.notes)
    cell = to_mindspore_schedule(plan)
    assert cell(Tensor([99], ms_.int32)).asnumpy()[0] == np.float32(evaluate(plan, [99])[0, 0])
    assert all(np.isnan(cell(Tensor([k], ms_.int32)).asnumpy()[0]) for k in (100, 101, 10_000))


def test_python_float_constants_would_lose_precision_in_mindspore(ms):
    """Why the cells hold float64 Tensor constants: MindSpore casts a Python float operand to float32."""
    from mindspore import Tensor, ops

    k = Tensor(np.arange(0, 20000, 1000, dtype=np.float64))
    naive = ops.pow(0.9995, k).asnumpy()
    exact = ops.pow(Tensor(np.float64(0.9995)), k).asnumpy()
    ref = np.power(0.9995, np.arange(0, 20000, 1000, dtype=np.float64))
    assert np.max(np.abs(naive - ref) / ref) > 1e-4
    np.testing.assert_allclose(exact, ref, rtol=1e-15, atol=0)  # ≤ 1 float64 ulp


def test_native_exponential_cell_drifts_and_the_generated_one_does_not(ms):
    """ExponentialDecayLR (float32) vs the generated cell at step 9999, gamma 0.9995 (documented 2.3e-4)."""
    from mindspore import Tensor, nn

    from lrbridge_mindspore import to_mindspore_schedule

    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=Exponential(gamma=0.9995))
    ref = evaluate(plan, [9999])[0, 0]
    native = float(nn.ExponentialDecayLR(0.1, 0.9995, 1)(Tensor([9999], ms.int32)).asnumpy()[0])
    ours = to_mindspore_schedule(plan)(Tensor([9999], ms.int32)).asnumpy()
    assert abs(native - ref) / ref > 1e-4
    assert compare(ours, [ref], metric="ulp", tolerance=1).ok


def test_generated_cosine_cell_is_graph_compiled_and_exact_with_jit(ms):
    """The cell compiles inside a jitted function (GRAPH) and matches the reference in float32."""
    import mindspore as msm
    from mindspore import Tensor

    from lrbridge_mindspore import to_mindspore_schedule

    plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=CosineDecay(decay_steps=1000, min_lr=1e-5))
    cell = to_mindspore_schedule(plan)

    @msm.jit
    def lr_at(step):
        return cell(step)

    ks = [0, 1, 499, 998, 999, 1000, 5000]
    got = [float(lr_at(Tensor([k], msm.int32)).asnumpy()[0]) for k in ks]
    assert compare(got, evaluate(plan, ks)[0], metric="ulp", tolerance=1).ok
