"""MindSpore cells run the reference's own formulas: one definition per family, ≤ 1 ulp at long horizons.

The cells and the numpy reference evaluate the same function (``node.formula.lr``)
with different array namespaces, so exactness tricks in a formula (the cosine's
reduction of k by its period, the integer cycle search of warm restarts) hold in
the cells too. The long-horizon test measures that where a hand-written cell
computing cos(π·k/T_max) directly drifts.
"""

from __future__ import annotations

import numpy as np
import pytest

import lrbridge.schedules as L
from lrbridge import OptimizerSpec, Plan
from lrbridge.conformance import compare
from lrbridge.errors import UnrepresentableError
from lrbridge.reference import evaluate
from lrbridge.schedules.xp import NumpyOps

from ms_families import FAMILIES


def _formula_cells(cell):
    """The cell and its nested formula cells, depth first (the order of ``node.walk()``)."""
    from lrbridge_mindspore.cells import FormulaCell

    return [c for _, c in cell.cells_and_names() if isinstance(c, FormulaCell)]


def test_every_cell_is_built_from_the_formula_the_reference_evaluates(ms):
    from lrbridge_mindspore.cells import build_node

    with_formula = {kind for kind, cls in L.SCHEDULE_KINDS.items() if cls.formula is not None}
    assert with_formula <= {node.kind for node in FAMILIES.values()}, "every kind with a formula needs an example"
    for name, node in FAMILIES.items():
        cells = _formula_cells(build_node(node))
        nodes = list(node.walk())
        assert len(cells) == len(nodes), name  # one cell per IR node, children included, depth first
        for cell, part in zip(cells, nodes):
            cls = L.SCHEDULE_KINDS[part.kind]
            assert cell.formula is cls.formula and cell.lr is cls.formula.lr, (name, part.kind)
            # and the reference evaluates that formula: no family overrides lr with its own numpy code
            assert cls.lr is L.ScheduleBase.lr, part.kind


def test_the_mindspore_namespace_offers_exactly_what_the_numpy_one_does(ms):
    """The same operations and constants: the methods of the class, and its float64 tensor constants."""
    from mindspore import Tensor

    from lrbridge_mindspore.xp import MindSporeOps

    ops = MindSporeOps()
    numpy_names = {n for n in vars(NumpyOps) if not n.startswith("_")}
    ms_names = {n for n in vars(MindSporeOps) if not n.startswith("_")}
    ms_names |= {n for n, v in vars(ops).items() if isinstance(v, Tensor)}
    assert numpy_names == ms_names, (numpy_names ^ ms_names)
    for name in ("zero", "one", "half", "two", "pi", "splitter"):  # the same values, in float64
        value = getattr(ops, name).asnumpy()
        assert value.dtype == np.float64 and value == getattr(NumpyOps, name), name


def test_the_floor_divide_cell_op_is_pythons_floor_division(ms):
    """MindSpore's own floor_div is ⌊fl(x/y)⌋ (10 for 1 // 0.1); the namespace's is Python's (9), at every step."""
    from mindspore import Tensor, ops

    from lrbridge_mindspore.xp import MindSporeOps

    ks = np.concatenate([np.arange(0, 3000), [2**31 - 1, 2**40 + 1]]).astype(np.float64)
    for d in (0.1, 0.7, 2.4, 3.3, 1e-3, 25000.0):
        got = MindSporeOps().floor_divide(Tensor(ks), Tensor(np.float64(d))).asnumpy()
        np.testing.assert_array_equal(got, [k // d for k in ks.tolist()])
    native = ops.floor_div(Tensor(np.array([1.0])), Tensor(np.float64(0.1))).asnumpy()[0]
    assert native == 10.0 and 1.0 // 0.1 == 9.0  # why the namespace does not use it


def test_kinds_without_a_formula_are_refused_by_capability_and_by_the_cell_builder(ms):
    from lrbridge_mindspore import to_mindspore_schedule
    from lrbridge_mindspore.capability import check
    from lrbridge_mindspore.cells import build_node

    kinds = [kind for kind, cls in L.SCHEDULE_KINDS.items() if cls.formula is None]
    assert "reduce_on_plateau" in kinds
    examples = {"reduce_on_plateau": L.ReduceOnPlateau()}
    for kind in kinds:
        node = examples.get(kind) or _default_instance(L.SCHEDULE_KINDS[kind])
        if node is None:
            continue  # a kind with required fields this test cannot guess
        plan = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=node)
        result = check(plan, "cell")
        assert not result.ok and any(kind in r for r in result.reasons), (kind, result.reasons)
        with pytest.raises(UnrepresentableError, match=kind):
            build_node(node)
        with pytest.raises(UnrepresentableError, match=kind):
            to_mindspore_schedule(plan)
        # nested inside a composite too
        nested = Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=L.Chained(schedules=(L.Constant(), node)))
        assert not check(nested, "cell").ok


def _default_instance(cls):
    try:
        return cls()
    except Exception:
        return None


def _cell_curve(ms, cell, ks, mode):
    from mindspore import Tensor

    from lrbridge_mindspore.runner import execution_mode

    with execution_mode(mode):
        return np.array([cell(Tensor([k], ms.int32)).asnumpy()[0] for k in ks], np.float32)


LONG = {
    # near the top of MindSpore's int32 global_step, every phase of the period (lr exactly η at odd multiples of T)
    "cosine_T7": (L.CosineAnnealing(T_max=7), [2**31 - 1 - i for i in range(28)]),
    "cosine_T1000": (L.CosineAnnealing(T_max=1000, eta_min=1e-6), [1_999_999_000 + d for d in range(-3, 4)]
                     + [2_000_000_000 + d for d in range(-3, 4)]),
    # the first and last steps of late cycles, where a float log lands one cycle off
    "restarts_m3": (L.CosineWarmRestarts(T_0=1, T_mult=3, eta_min=1e-6),
                    [(3**c - 1) // 2 + d for c in range(15, 20) for d in (-2, -1, 0, 1, 2)]),
    "restarts_m2": (L.CosineWarmRestarts(T_0=7, T_mult=2, decay_rate=0.99, restart_limit=27),
                    [7 * (2**c - 1) + d for c in range(20, 28) for d in (-1, 0, 1) if 7 * (2**c - 1) + d < 2**31]),
    "restarts_m1": (L.CosineWarmRestarts(T_0=13), [2**31 - 1 - i for i in range(26)]),
}


@pytest.mark.parametrize("mode", ["pynative", "graph"])
@pytest.mark.parametrize("name", list(LONG))
def test_long_horizon_cells_within_one_ulp(ms, name, mode):
    from lrbridge_mindspore.cells import PlanSchedule

    node, ks = LONG[name]
    ref = evaluate(Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=node), np.array(ks))[0]
    got = _cell_curve(ms, PlanSchedule(node, 0.1), ks, mode)
    result = compare(got, ref, metric="ulp", tolerance=1)
    assert result.ok, str(result)


def _near(points, width=2):
    return [p + d for p in points for d in range(-width, width + 1) if 0 <= p + d < 2**31]


_SHAPES = ("linear", "linear_down", "remaining", "cosine", "cosine_up", "cosine_hard", "sqrt_up", "sqrt_down")

EXTRA = {
    # the first and last steps of cycles placed by timm's float log, up to MindSpore's int32 step
    "cycle_anneal_cosine_m2": (L.CycleAnneal(t_initial=40, lr_min=1e-3, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=30, k_decay=1.5),
                               _near([40 * (2**c - 1) for c in range(1, 26)])),
    "cycle_anneal_m10": (L.CycleAnneal(t_initial=2, cycle_mul=10.0, cycle_decay=0.5, cycle_limit=None),
                         _near([2 * (10**c - 1) // 9 for c in range(2, 10)])),  # 222 = 111·T is cycle 2 (float log)
    "cycle_anneal_tanh": (L.CycleAnneal(t_initial=100, shape="tanh", lr_min=1e-4, cycle_decay=0.9, cycle_limit=None),
                          _near([2**31 - 3, 10**9])),
    "cycle_anneal_poly": (L.CycleAnneal(t_initial=7, shape="poly", power=0.5, k_decay=0.5, lr_min=1e-3, cycle_mul=1.5,
                                        cycle_decay=0.9, cycle_limit=None, decay_floor=True),
                          _near([int(7 * (1.5**c - 1) / 0.5) for c in range(10, 45)])),
    "log_warmup": (L.LogWarmup(warmup_steps=37, start_factor=0.01), [2**31 - 1]),
    **{f"shaped_{s}": (L.Shaped(shape=s, span=97, cycles=2.0 if s == "cosine_hard" else 0.5, floor=0.1, shift=1),
                       [10**6 + 3, 2**31 - 1]) for s in _SHAPES},
    "floor_step_0.1": (L.FloorStep(step_size=0.1, gamma=0.999), [10**5, 2**20]),  # 1 // 0.1 = 9 (Python's //)
    "floor_step_2.4": (L.FloorStep(step_size=2.4, gamma=0.97), _near([12 * 10**8, 2**31 - 3])),
    "linear_growth": (L.LinearGrowth(rate=0.5, step_size=10, staircase=True), [2**31 - 1]),
    "linear_growth_continuous": (L.LinearGrowth(rate=7.3, step_size=3), [2**31 - 1]),
    "triangular": (L.Triangular(max_lr=0.5, step_size=2.5, shrink=0.5, shrink_min=True), _near([2**31 - 3])),
}


@pytest.mark.parametrize("mode", ["pynative", "graph"])
@pytest.mark.parametrize("name", list(EXTRA))
def test_config_system_kinds_cells_within_one_ulp(ms, name, mode):
    """timm / DeepSpeed / HF / fairseq kinds: steps 0..299 and late boundaries, ≤ 1 float32 ulp (measured: 0).

    All steps in one call (the cell is elementwise in the step), the late ones also one by one as an
    optimizer calls it.
    """
    from mindspore import Tensor

    from lrbridge_mindspore.cells import PlanSchedule
    from lrbridge_mindspore.runner import execution_mode

    node, late = EXTRA[name]
    ks = sorted(set(range(300)) | set(late))
    ref = evaluate(Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=node), np.array(ks))[0]
    cell = PlanSchedule(node, 0.1)
    with execution_mode(mode):
        got = cell(Tensor(np.array(ks, np.int32))).asnumpy()
    result = compare(got, ref, metric="ulp", tolerance=1)
    assert result.ok, str(result)
    some = sorted(late)[-3:]
    one_by_one = _cell_curve(ms, cell, some, mode)
    assert compare(one_by_one, ref[[ks.index(k) for k in some]], metric="ulp", tolerance=1).ok


def test_a_cell_without_the_period_reduction_would_drift(ms):
    """What the hand-written cosine cell computed, ½(1 + cos(π·(k/T))) in MindSpore float64, is off by
    far more than 1 float32 ulp at k ~ 2^31 (the shared formula reduces k mod 2T first: test above)."""
    from mindspore import Tensor, ops

    ks = np.array(LONG["cosine_T7"][1], np.float64)
    f64 = lambda v: Tensor(np.asarray(v, np.float64))  # noqa: E731
    naive = (f64(0.5) * (f64(1.0) + ops.cos(f64(np.pi) * (f64(ks) / f64(7.0))))).asnumpy() * 0.1
    ref = evaluate(Plan(optimizer=OptimizerSpec(name="sgd", lr=0.1), scheduler=LONG["cosine_T7"][0]), ks.astype(np.int64))[0]
    assert not compare(naive.astype(np.float32), ref, metric="ulp", tolerance=1).ok
