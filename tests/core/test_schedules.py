"""Every schedule family against values derived independently of the implementation.

Expected values come from two places only: the measured framework examples in
/work/shared/reference/framework-semantics.md (quoted to 6 digits there, so
compared with abs 5e-7), or the formula in the node's docstring written out
again here with ``math`` on scalars (compared with rel 1e-12: both sides are
float64 closed forms of the same expression, differing only in operation order).
No framework is imported here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lrbridge as L
from lrbridge.errors import EvaluationError, PlanError
from lrbridge.schedules import restart_cycles

REL = 1e-12  # float64 closed form vs float64 closed form written with math
ABS_DOC = 5e-7  # documented framework values are printed to 6 significant digits


def lr(schedule, steps, base=1.0):
    return schedule.lr(np.asarray(steps, np.float64), base)


def close(actual, expected, rel=REL):
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=0)


def close_doc(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=0, atol=ABS_DOC)


def half_cos(x):
    return (1 + math.cos(math.pi * x)) / 2


# ---------------------------------------------------------------- basic family


def test_constant_is_base_for_every_group():
    base = np.array([[0.1], [2.0]])
    out = L.Constant().lr(np.arange(4.0), base)
    assert out.shape == (2, 4)
    np.testing.assert_array_equal(out, np.array([[0.1] * 4, [2.0] * 4]))


def test_constant_factor_torch_constantlr():
    # b·f for k < T else b; b = 0.3, f = 0.5, T = 3  (exact: products of binary fractions, rel 1e-12)
    close(lr(L.ConstantFactor(factor=0.5, total_iters=3), range(6), 0.3), [0.15, 0.15, 0.15, 0.3, 0.3, 0.3])


def test_constant_factor_zero_is_oneflow_behaviour():
    # §2.13: OneFlow ConstantLR(factor=0) gives [0, 0, 1, 1] with T = 2
    close(lr(L.ConstantFactor(factor=0.0, total_iters=2), range(4)), [0, 0, 1, 1])


def test_linear_ramp_formula():
    s, e, T, b = 0.25, 1.0, 4, 0.8
    expected = [b * (s + (e - s) * min(k, T) / T) for k in range(7)]
    close(lr(L.LinearRamp(start_factor=s, end_factor=e, total_iters=T), range(7), b), expected)


def test_linear_ramp_from_zero_is_mindspore_warmuplr():
    # §2.8: MS WarmUpLR(1, 4) = OneFlow LinearLR(0, 1, 4): [0, .25, .5, .75, 1], then held
    close_doc(lr(L.LinearRamp(start_factor=0.0, end_factor=1.0, total_iters=4), range(6)), [0, 0.25, 0.5, 0.75, 1, 1])


def test_linear_ramp_zero_iters_is_end_factor():
    close(lr(L.LinearRamp(start_factor=0.1, end_factor=0.5, total_iters=0), range(3), 2.0), [1.0, 1.0, 1.0])


def test_step():
    b, g, s = 0.1, 0.5, 3
    close(lr(L.Step(step_size=s, gamma=g), range(10), b), [b * g ** (k // s) for k in range(10)])


def test_multistep_counts_milestones_at_or_before_k():
    # b·γ^(#milestones ≤ k); milestone 0 already applies at k = 0
    sched = L.MultiStep(milestones=(0, 2, 5), gamma=0.1)
    expected = [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]
    close(lr(sched, range(7)), expected)


def test_piecewise_absolute_ignores_base_relative_scales():
    # MS piecewise_constant_lr: values[i] on [boundaries[i−1], boundaries[i])
    absolute = L.Piecewise(boundaries=(2, 4), values=(0.3, 0.2, 0.1))
    close(lr(absolute, range(6), 7.0), [0.3, 0.3, 0.2, 0.2, 0.1, 0.1])
    relative = L.Piecewise(boundaries=(2, 4), values=(1.0, 0.5, 0.25), relative=True)
    close(lr(relative, range(6), 4.0), [4, 4, 2, 2, 1, 1])
    assert relative.is_scale_equivariant() and not absolute.is_scale_equivariant()


def test_exponential_continuous_and_staircase():
    # §2.4: MS ExponentialDecayLR(1, .5, 2) = 0.5^(t/2): [1, .7071068, .5, ...]; stair = StepLR(2, .5)
    close_doc(lr(L.Exponential(gamma=0.5, decay_steps=2), range(3)), [1, 0.7071068, 0.5])
    close(lr(L.Exponential(gamma=0.5, decay_steps=2), range(5)), [0.5 ** (k / 2) for k in range(5)])
    close(lr(L.Exponential(gamma=0.5, decay_steps=2, staircase=True), range(5)), [1, 1, 0.5, 0.5, 0.25])
    # torch ExponentialLR is decay_steps = 1
    close(lr(L.Exponential(gamma=0.9), range(5), 0.2), [0.2 * 0.9**k for k in range(5)])


def test_natural_exp_ignores_decay_steps_unless_staircase():
    # §2.5: natural_exp_decay_lr(1, .5, 6, 1, D=2) gives e^(−0.5t): [1, .606531, .367879, ...]
    close_doc(lr(L.NaturalExpDecay(decay_rate=0.5, decay_steps=2), range(3)), [1, 0.606531, 0.367879])
    stair = L.NaturalExpDecay(decay_rate=0.5, decay_steps=2, staircase=True)
    close(lr(stair, range(5)), [math.exp(-0.5 * 2 * (k // 2)) for k in range(5)])


def test_inverse_time_decay():
    r, D = 0.5, 3
    close(lr(L.InverseTimeDecay(decay_rate=r, decay_steps=D), range(7), 0.1), [0.1 / (1 + r * k / D) for k in range(7)])
    stair = L.InverseTimeDecay(decay_rate=r, decay_steps=D, staircase=True)
    close(lr(stair, range(7), 0.1), [0.1 / (1 + r * (k // D)) for k in range(7)])


# ---------------------------------------------------------------- cosine family


def test_cosine_annealing_is_periodic_past_T():
    # §2.1: torch/OneFlow/MS-exp CosineAnnealingLR(4, η=.1), t = 0..8
    doc = [1, 0.868198, 0.55, 0.231802, 0.1, 0.231802, 0.55, 0.868198, 1]
    close_doc(lr(L.CosineAnnealing(T_max=4, eta_min=0.1), range(9)), doc)
    close(lr(L.CosineAnnealing(T_max=4, eta_min=0.1), range(9)), [0.1 + 0.9 * half_cos(k / 4) for k in range(9)])


def test_cosine_decay_clamps_absolute_min_and_alpha():
    # §2.1/§2.2: MS CosineDecayLR(.1, 1., 4) and OneFlow CosineDecayLR(4, α=.1) both clamp at .1
    doc = [1, 0.868198, 0.55, 0.231802, 0.1, 0.1, 0.1]
    close_doc(lr(L.CosineDecay(decay_steps=4, min_lr=0.1), range(7)), doc)
    close_doc(lr(L.CosineDecay(decay_steps=4, alpha=0.1), range(7)), doc)
    # floor = min_lr + alpha·b, with b = 2
    floor = 0.05 + 0.1 * 2.0
    expected = [floor + (2.0 - floor) * half_cos(min(k, 4) / 4) for k in range(7)]
    close(lr(L.CosineDecay(decay_steps=4, min_lr=0.05, alpha=0.1), range(7), 2.0), expected)


def test_cosine_decay_per_epoch_is_mindspore_dynamic_lr():
    # §2.3: cosine_decay_lr(0., 1., total=10, spe=2, D=4)
    doc = [1, 1, 0.853553, 0.853553, 0.5, 0.5, 0.146447, 0.146447, 0, 0]
    sched = L.ByEpoch(schedule=L.CosineDecay(decay_steps=4), steps_per_epoch=2)
    close_doc(lr(sched, range(10)), doc)


def test_warm_restarts_match_torch_sequence():
    # §2.12: T_0 = 2, T_mult = 2 gives [1, .5, 1, .853553, .5, .146447, 1, .96194]
    doc = [1, 0.5, 1, 0.853553, 0.5, 0.146447, 1, 0.96194]
    np.testing.assert_allclose(lr(L.CosineWarmRestarts(T_0=2, T_mult=2), range(8)), doc, atol=5e-6, rtol=0)


def test_warm_restarts_decay_rate_and_restart_limit_oneflow():
    # §2.12 OneFlow: decay_rate=.5 (T_0 = 2): [1, .5, .5, .25, .25, .125]
    close_doc(lr(L.CosineWarmRestarts(T_0=2, decay_rate=0.5), range(6)), [1, 0.5, 0.5, 0.25, 0.25, 0.125])
    # restart_limit=2, η=.05: [1, .525, 1, .525, .05, .05]
    sched = L.CosineWarmRestarts(T_0=2, eta_min=0.05, restart_limit=2)
    close_doc(lr(sched, range(8)), [1, 0.525, 1, 0.525, 0.05, 0.05, 0.05, 0.05])


def _cycle_start(c, T_0, m):
    return T_0 * (m**c - 1) // (m - 1)


@pytest.mark.parametrize(
    ("T_0", "m", "cycle"),
    [(1, 3, 5), (1, 10, 2), (1, 3, 20), (5, 2, 40), (7, 3, 25), (3, 1, 10**9)],
)
def test_warm_restarts_exact_cycle_starts_at_large_k(T_0, m, cycle):
    # A float log puts k = 121 (T_0=1, m=3) and k = 111 (1, 10) in the wrong cycle (0.0 in torch
    # step(epoch) and OneFlow); the exact integer cycle gives the restart value b at every start.
    start = cycle * T_0 if m == 1 else _cycle_start(cycle, T_0, m)
    prev_len = T_0 * m ** (cycle - 1)
    length = T_0 * m**cycle
    b, eta = 0.5, 0.01
    steps = [start - 1, start, start + 1, start + length - 1]
    expected = [
        eta + (b - eta) * half_cos((prev_len - 1) / prev_len),
        b,
        eta + (b - eta) * half_cos(1 / length),
        eta + (b - eta) * half_cos((length - 1) / length),
    ]
    close(lr(L.CosineWarmRestarts(T_0=T_0, T_mult=m, eta_min=eta), steps, b), expected)
    if (T_0, m, cycle) == (1, 3, 5):
        assert start == 121
    if (T_0, m, cycle) == (1, 10, 2):
        assert start == 11
    if (T_0, m, cycle) == (1, 3, 20):
        assert start == (3**20 - 1) // 2


def test_warm_restarts_k121_is_one():
    assert lr(L.CosineWarmRestarts(T_0=1, T_mult=3), [121])[0] == 1.0
    assert lr(L.CosineWarmRestarts(T_0=1, T_mult=10), [111])[0] == 1.0


def test_restart_cycles_brute_force_small_k():
    # cycle index, position and length checked by walking the cycles one by one
    for T_0, m in [(1, 2), (2, 3), (3, 1), (1, 5)]:
        k = np.arange(2000)
        cycle, tau, length = restart_cycles(k, T_0, m)
        c, start, T = 0, 0, T_0
        for step in range(2000):
            while step >= start + T:
                start, T, c = start + T, T * m, c + 1
            assert (cycle[step], tau[step], length[step]) == (c, step - start, T), (T_0, m, step)


# ---------------------------------------------------------------- polynomial


def test_polynomial_torch_ends_at_zero():
    # §2.6: torch PolynomialLR(4, 2.): [1, .5625, .25, .0625, 0]
    close(lr(L.Polynomial(total_iters=4, power=2.0), range(6)), [1, 0.5625, 0.25, 0.0625, 0, 0])


def test_polynomial_oneflow_default_end_lr():
    # §2.6: OneFlow PolynomialLR(4, power=2) with end 1e-4: [1, .562544, .250075, .062594, .0001]
    close_doc(lr(L.Polynomial(total_iters=4, power=2.0, end_lr=1e-4), range(5)), [1, 0.562544, 0.250075, 0.062594, 1e-4])


def test_polynomial_mindspore_end_lr():
    # §2.6: MS PolynomialDecayLR(1, .1, 4, 2.): [1, .60625, .325, .15625, .1]
    close(lr(L.Polynomial(total_iters=4, power=2.0, end_lr=0.1), range(6)), [1, 0.60625, 0.325, 0.15625, 0.1, 0.1])


def test_polynomial_cycle_oneflow_vs_mindspore():
    # §2.7: OneFlow cycle (k = 0 treated as 1) vs MindSpore update_decay_steps: differ only at k = 0
    tail = [0.775, 0.55, 0.325, 0.1, 0.4375, 0.325, 0.2125, 0.1]
    oneflow = L.Polynomial(total_iters=4, end_lr=0.1, cycle=True, cycle_min_step=1)
    mindspore = L.Polynomial(total_iters=4, end_lr=0.1, cycle=True, cycle_min_step=0)
    close(lr(oneflow, range(9)), [0.775, *tail])
    close(lr(mindspore, range(9)), [1.0, *tail])


def test_polynomial_cycle_formula_long():
    T, p, end, b = 3, 1.5, 0.01, 0.2
    expected = []
    for k in range(20):
        D = T * max(math.ceil(k / T), 1)
        expected.append((b - end) * (1 - k / D) ** p + end)
    close(lr(L.Polynomial(total_iters=T, power=p, end_lr=end, cycle=True), range(20), b), expected)


# ---------------------------------------------------------------- cyclical


def _onecycle(k, N, max_lr, pct, div, fdiv, strategy, three):
    initial = max_lr / div
    final = initial / fdiv
    if three:
        phases = [(pct * N - 1, initial, max_lr), (2 * pct * N - 2, max_lr, initial), (N - 1, initial, final)]
    else:
        phases = [(pct * N - 1, initial, max_lr), (N - 1, max_lr, final)]
    start = 0.0
    for i, (end, lo, hi) in enumerate(phases):
        if k <= end or i == len(phases) - 1:
            t = (k - start) / (end - start)
            if strategy == "cos":
                return hi + (lo - hi) / 2 * (math.cos(math.pi * t) + 1)
            return (hi - lo) * t + lo
        start = end


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("three", [False, True])
def test_one_cycle_phases(strategy, three):
    args = dict(N=20, max_lr=0.5, pct=0.25, div=10.0, fdiv=100.0, strategy=strategy, three=three)
    sched = L.OneCycle(
        total_steps=20, max_lr=0.5, pct_start=0.25, anneal_strategy=strategy,
        div_factor=10.0, final_div_factor=100.0, three_phase=three,
    )
    got = lr(sched, range(20), 123.0)  # base ignored: absolute bounds
    close(got, [_onecycle(k, **args) for k in range(20)])
    assert got[0] == pytest.approx(0.05, rel=REL) and got[-1] == pytest.approx(0.0005, rel=REL)
    assert got[4] == pytest.approx(0.5, rel=REL)  # peak at pct·N − 1 = 4


def test_cyclic_modes():
    # triangular: base .1, max 1, up 2, down 2 -> .1 .55 1 .55 .1 .55 ...
    tri = L.Cyclic(base_lr=0.1, max_lr=1.0, step_size_up=2)
    close(lr(tri, range(6)), [0.1, 0.55, 1.0, 0.55, 0.1, 0.55])
    # triangular2 halves the amplitude each cycle
    tri2 = L.Cyclic(base_lr=0.1, max_lr=1.0, step_size_up=2, mode="triangular2")
    close(lr(tri2, range(10)), [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.2125])
    # exp_range scales by γ^k; asymmetric cycle up 1, down 3
    exp = L.Cyclic(base_lr=0.1, max_lr=1.0, step_size_up=1, step_size_down=3, mode="exp_range", gamma=0.9)
    shape = [0, 1, 2 / 3, 1 / 3, 0, 1]
    close(lr(exp, range(6)), [0.1 + 0.9 * s * 0.9**k for k, s in enumerate(shape)])


# ---------------------------------------------------------------- transformer recipes


def test_inverse_sqrt():
    W = 4
    expected = [k / W if k < W else 1 / math.sqrt((k + W - W) / W) for k in range(10)]
    close(lr(L.InverseSqrt(warmup_steps=W), range(10), 1.0), expected)
    # no warmup: timescale 10000
    close(lr(L.InverseSqrt(), [0, 30000]), [1.0, 1 / math.sqrt(4.0)])
    close(lr(L.InverseSqrt(warmup_steps=2, timescale=8), [5]), [1 / math.sqrt((5 + 8 - 2) / 8)])


def test_noam():
    d, W, b = 512.0, 4000, 2.0
    expected = [b * d**-0.5 * min((k + 1) ** -0.5, (k + 1) * W**-1.5) for k in [0, 1, 3998, 3999, 4000, 10**6]]
    close(lr(L.Noam(d_model=d, warmup_steps=W), [0, 1, 3998, 3999, 4000, 10**6], b), expected)


# ---------------------------------------------------------------- tabulated


def test_tabulated_absolute_relative_and_hold_past_end():
    close(lr(L.Tabulated(values=(0.3, 0.2, 0.1)), range(5), 9.0), [0.3, 0.2, 0.1, 0.1, 0.1])
    close(lr(L.Tabulated(values=(1.0, 0.5), relative=True), range(3), 0.4), [0.4, 0.2, 0.2])


# ---------------------------------------------------------------- composites


def test_sequential_restart_vs_global_clock():
    # §2.9: [ConstantLR(.1, 2), CosineAnnealingLR(4)], milestone 2
    stages = (L.ConstantFactor(factor=0.1, total_iters=2), L.CosineAnnealing(T_max=4))
    restart = L.Sequential(stages=stages, milestones=(2,))
    global_ = L.Sequential(stages=stages, milestones=(2,), clock="global")
    close_doc(lr(restart, range(7)), [0.1, 0.1, 1.0, 0.853553, 0.5, 0.146447, 0])
    close_doc(lr(global_, range(7)), [0.1, 0.1, 0.5, 0.146447, 0, 0.146447, 0.5])


def test_sequential_three_stages_and_zero_milestone():
    s = L.Sequential(stages=(L.Constant(), L.Step(step_size=1, gamma=0.5), L.Constant()), milestones=(0, 3))
    # stage 0 never applies; stage 1 restarts at 0; stage 2 from k = 3
    close(lr(s, range(5), 0.8), [0.8, 0.4, 0.2, 0.8, 0.8])


def test_chained_is_oneflow_product():
    # §1.1/§2.11: OneFlow ChainedScheduler([CosineAnnealingLR(4), StepLR(2, .5)]) at t=5 -> 0.036612
    ch = L.Chained(schedules=(L.CosineAnnealing(T_max=4), L.Step(step_size=2, gamma=0.5)))
    close_doc(lr(ch, [5]), [0.036612])
    close(lr(ch, range(8), 0.3), [0.3 * half_cos(k / 4) * 0.5 ** (k // 2) for k in range(8)])


def test_chained_feeds_output_as_base():
    # a non-equivariant stage: cosine with η ends at η whatever its base
    ch = L.Chained(schedules=(L.Step(step_size=1, gamma=0.5), L.CosineAnnealing(T_max=2, eta_min=0.05)))
    expected = [0.05 + (0.5**k - 0.05) * half_cos(k / 2) for k in range(4)]
    close(lr(ch, range(4)), expected)


def test_warmup_prefix_both_ways_oneflow():
    # §2.10: WarmupLR(CosineAnnealingLR(6), factor .1, W = 3)
    cos6 = L.CosineAnnealing(T_max=6)
    no_prefix = L.Warmup(schedule=cos6, warmup_steps=3, warmup_factor=0.1)
    prefix = L.Warmup(schedule=cos6, warmup_steps=3, warmup_factor=0.1, prefix=True)
    close_doc(lr(no_prefix, range(7)), [0.1, 0.233333, 0.366667, 0.5, 0.25, 0.066987, 0])
    close_doc(lr(prefix, range(7)), [0.1, 0.4, 0.7, 1.0, 0.933013, 0.75, 0.5])


def test_warmup_constant_method_and_groups():
    w = L.Warmup(schedule=L.Constant(), warmup_steps=2, warmup_factor=0.25, method="constant", prefix=True)
    base = np.array([[1.0], [0.4]])
    out = w.lr(np.arange(4.0), base)
    close(out, [[0.25, 0.25, 1, 1], [0.1, 0.1, 0.4, 0.4]])


def test_by_epoch_epoch_and_step_cadence():
    inner = L.Exponential(gamma=0.5)
    close(lr(L.ByEpoch(schedule=inner, steps_per_epoch=3), range(7)), [1, 1, 1, 0.5, 0.5, 0.5, 0.25])
    close(lr(L.ByEpoch(schedule=inner, steps_per_epoch=3, cadence="step"), range(4)), [0.5 ** (k / 3) for k in range(4)])


def test_nested_composite_with_groups():
    # Warmup(prefix) over Sequential[ByEpoch(MultiStep), CosineWarmRestarts], two groups
    sched = L.Warmup(
        schedule=L.Sequential(
            stages=(
                L.ByEpoch(schedule=L.MultiStep(milestones=(1, 2), gamma=0.5), steps_per_epoch=2),
                L.CosineWarmRestarts(T_0=2, T_mult=2),
            ),
            milestones=(6,),
        ),
        warmup_steps=2,
        warmup_factor=0.5,
        prefix=True,
    )

    def ref(k, b):
        if k < 2:
            return b * 0.5 + (b - b * 0.5) * k / 2
        j = k - 2
        if j < 6:
            e = j // 2
            return b * 0.5 ** ((e >= 1) + (e >= 2))
        j -= 6
        c, start, T = 0, 0, 2
        while j >= start + T:
            start, T, c = start + T, 2 * T, c + 1
        return b * half_cos((j - start) / T)

    base = np.array([[1.0], [0.01]])
    out = sched.lr(np.arange(30.0), base)
    close(out, [[ref(k, 1.0) for k in range(30)], [ref(k, 0.01) for k in range(30)]])


def test_reduce_on_plateau_cannot_be_evaluated():
    with pytest.raises(EvaluationError, match="validation metric"):
        L.ReduceOnPlateau().lr(np.arange(3.0), 1.0)


def test_scale_equivariance_flags():
    assert L.Sequential(stages=(L.LinearRamp(), L.CosineAnnealing(T_max=3)), milestones=(5,)).is_scale_equivariant()
    assert not L.Sequential(stages=(L.LinearRamp(), L.CosineAnnealing(T_max=3, eta_min=0.1)), milestones=(5,)).is_scale_equivariant()
    assert not L.Polynomial(total_iters=3, end_lr=1e-4).is_scale_equivariant()


# ---------------------------------------------------------------- validation through parse_plan


def _plan_with(scheduler_yaml: str) -> str:
    return f"version: 1\noptimizer: {{name: sgd, lr: 0.1}}\nscheduler: {scheduler_yaml}\n"


@pytest.mark.parametrize(
    ("scheduler", "message"),
    [
        (
            "{kind: sequential, milestones: [10], stages: [{kind: constant}, {kind: multistep, milestones: [5, 3]}]}",
            "scheduler.stages[1].milestones: must be strictly increasing, got [5, 3]",
        ),
        (
            "{kind: sequential, milestones: [10, 20], stages: [{kind: constant}, {kind: constant}]}",
            "scheduler.milestones: needs len(stages) - 1 = 1 entries, got 2",
        ),
        ("{kind: piecewise, boundaries: [1, 2], values: [1.0]}", "scheduler.values: needs len(boundaries) + 1 = 3 entries, got 1"),
        ("{kind: piecewise, boundaries: [2, 2], values: [1.0, 1.0, 1.0]}", "scheduler.boundaries: must be strictly increasing"),
        ("{kind: step, step_size: 5, gamma: -1}", "scheduler.gamma: Input should be greater than or equal to 0, got -1"),
        ("{kind: step, step_size: '5'}", "scheduler.step_size: Input should be a valid integer, got '5'"),
        ("{kind: step, step_size: 5.0}", "scheduler.step_size: Input should be a valid integer, got 5.0"),
        ("{kind: step, step_size: true}", "scheduler.step_size: Input should be a valid integer, got True"),
        ("{kind: exponential, gamma: '0.5'}", "scheduler.gamma: Input should be a valid number, got '0.5'"),
        ("{kind: cosine, T_max: 0}", "scheduler.T_max: Input should be greater than or equal to 1, got 0"),
        ("{kind: step, step_size: 5, gama: 0.1}", "scheduler.gama: unknown field"),
        ("{kind: stepp, step_size: 5}", "scheduler: unknown schedule kind 'stepp'; accepted kinds: constant, constant_factor,"),
        ("{kind: warmup, warmup_steps: 3, schedule: {kind: step, step_size: 0}}", "scheduler.schedule.step_size: Input should be greater than or equal to 1"),
        ("{kind: chained, schedules: []}", "scheduler.schedules: needs at least one schedule"),
        ("{kind: tabulated, values: []}", "scheduler.values: needs at least one value"),
        ("{kind: multistep, milestones: [-1, 3]}", "scheduler.milestones[0]: Input should be greater than or equal to 0"),
        (
            "{kind: by_epoch, steps_per_epoch: 3, cadence: step, schedule: {kind: cosine_restarts, T_0: 2}}",
            "scheduler: cadence 'step' feeds fractional epochs",
        ),
        ("{kind: cosine, T_max: 4, eta_min: .nan}", "scheduler.eta_min: Input should be a finite number"),
    ],
)
def test_validation_errors_name_the_field(scheduler, message):
    with pytest.raises(PlanError) as info:
        L.parse_plan(_plan_with(scheduler))
    assert message in str(info.value)


def test_missing_kind_is_reported_at_the_schedule():
    with pytest.raises(PlanError) as info:
        L.parse_plan(_plan_with("{step_size: 5}"))
    assert str(info.value).startswith("scheduler: a schedule needs a 'kind' field naming it; accepted kinds: constant,")


def test_direct_construction_validates_too():
    # Built in Python, a node raises lrbridge's PlanError naming the field, never pydantic's error
    with pytest.raises(L.PlanError, match=r"^milestones: must be strictly increasing"):
        L.MultiStep(milestones=(5, 3))
    with pytest.raises(L.PlanError, match=r"^step_size: "):
        L.Step(step_size="5")


def test_chained_passes_a_per_step_base_into_composites():
    # Regression (found by the property test in test_io.py): a Chained stage's output is a
    # per-step base; Warmup and Sequential slice it with their own steps.
    inner = L.Warmup(schedule=L.Step(step_size=1, gamma=0.5), warmup_steps=2, warmup_factor=0.5)
    seq = L.Sequential(stages=(L.Constant(), L.Exponential(gamma=0.5)), milestones=(3,))
    ch = L.Chained(schedules=(L.Step(step_size=1, gamma=0.9), inner, seq))
    base = np.array([[1.0], [0.1]])

    def ref(k, b):
        b1 = b * 0.9**k  # Step(1, .9)
        if k < 2:  # Warmup without prefix ramps from b1·f to Step(W=2) at base b1
            start, end = b1 * 0.5, b1 * 0.25
            b2 = start + (end - start) * k / 2
        else:
            b2 = b1 * 0.5**k
        return b2 if k < 3 else b2 * 0.5 ** (k - 3)

    close(ch.lr(np.arange(6.0), base), [[ref(k, 1.0) for k in range(6)], [ref(k, 0.1) for k in range(6)]])
    # constant warmup and prefix warmup too
    for prefix in (False, True):
        w = L.Warmup(schedule=L.Constant(), warmup_steps=2, warmup_factor=0.5, method="constant", prefix=prefix)
        got = L.Chained(schedules=(L.Step(step_size=1, gamma=0.5), w)).lr(np.arange(4.0), base)
        close(got, [[0.5 ** k * (0.5 if k < 2 else 1) * b for k in range(4)] for b in (1.0, 0.1)])
