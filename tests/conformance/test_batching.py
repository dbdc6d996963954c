"""``lrbridge.conformance.batching``: cutting cases into batches by a cost model, batches into lanes.

The cut is checked against brute force (every way to cut the sorted cases into consecutive runs)
on random small inputs, with its limits; the lanes against the longest-processing-time rule.
"""

from __future__ import annotations

import itertools
import random

import pytest

from lrbridge.conformance.batching import BatchCost, Item, balance, cut_batches

COST = BatchCost(compile_s=0.2, compile_s_per_group=0.07, step_s=0.35e-3, step_s_per_group=50e-6)


def _total(items, batches, cost=COST) -> float:
    return sum(cost.seconds(sum(items[i].groups for i in b), max(items[i].steps for i in b),
                            sum(items[i].groups if items[i].width is None else items[i].width for i in b))
               for b in batches)


def _brute_force(items, cost=COST, max_groups=None):
    """The cheapest cut of the items sorted by steps into consecutive runs, by trying every cut."""
    order = sorted(range(len(items)), key=lambda i: items[i].steps)
    best = None
    for cuts in itertools.product([False, True], repeat=len(order) - 1):
        batches, run = [], [order[0]]
        for cut, i in zip(cuts, order[1:]):
            if cut:
                batches.append(run)
                run = []
            run.append(i)
        batches.append(run)
        if max_groups is not None and any(len(b) > 1 and sum(items[i].groups for i in b) > max_groups for b in batches):
            continue
        total = _total(items, batches, cost)
        best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_the_cut_is_as_cheap_as_the_best_cut_found_by_brute_force(seed):
    rng = random.Random(seed)
    items = [Item(steps=int(10 ** rng.uniform(0, 3.7)), groups=rng.randint(1, 4), width=rng.choice([None, 5.0]))
             for _ in range(rng.randint(1, 9))]
    max_groups = rng.choice([None, 8, 32])
    batches = cut_batches(items, COST, max_groups=max_groups)
    assert sorted(i for b in batches for i in b) == list(range(len(items)))  # every case exactly once
    assert _total(items, batches) == pytest.approx(_brute_force(items, max_groups=max_groups), rel=1e-12)
    if max_groups is not None:
        assert all(len(b) == 1 or sum(items[i].groups for i in b) <= max_groups for b in batches)


def test_long_cases_are_kept_apart_from_short_ones_and_compiles_are_shared():
    # 20 short cases and one long one: the short ones share one compile, the long one runs alone
    items = [Item(steps=10, groups=1) for _ in range(20)] + [Item(steps=5000, groups=1)]
    assert cut_batches(items, COST) == [list(range(20)), [20]]
    # with no compile cost and no per-step overhead nothing is gained by sharing: the cut keeps any batch
    # whose cases all run for as long as its longest (equal lengths), and splits unequal ones
    free = BatchCost(step_s_per_group=1.0)
    assert _total(items, cut_batches(items, free), free) == sum(i.steps for i in items)


def test_a_case_never_shares_a_batch_running_past_its_limit_and_limits_hold():
    items = [Item(steps=5, groups=1, runs_up_to=5), Item(steps=6, groups=1), Item(steps=7, groups=1)]
    batches = cut_batches(items, BatchCost(compile_s=100.0))  # compiles so dear that everything else would share
    assert [0] in batches and [1, 2] in batches
    many = [Item(steps=3, groups=2) for _ in range(7)]
    assert all(len(b) <= 3 for b in cut_batches(many, BatchCost(compile_s=1.0), max_items=3))
    assert all(sum(many[i].groups for i in b) <= 4 for b in cut_batches(many, BatchCost(compile_s=1.0), max_groups=4))
    # one case over the group limit still runs, alone
    assert cut_batches([Item(steps=3, groups=40)], COST, max_groups=32) == [[0]]
    assert cut_batches([], COST) == []


def test_width_weighs_the_steps_of_groups_that_cost_more_per_step():
    assert COST.seconds(4, 1000, 24.0) == pytest.approx(0.2 + 0.07 * 4 + 1000 * (0.35e-3 + 50e-6 * 24))
    assert COST.seconds(4, 1000) == COST.seconds(4, 1000, 4.0)
    # a short case beside a long one: worth sharing a compile when its groups are cheap per step, not when
    # each of its steps costs as much as 40 cheap groups
    short, long_ = Item(steps=100, groups=2), Item(steps=2000, groups=2)
    assert cut_batches([short, long_], COST) == [[0, 1]]
    assert cut_batches([Item(steps=100, groups=2, width=80.0), Item(steps=2000, groups=2, width=80.0)], COST) == [[0], [1]]


def test_balance_gives_each_item_to_the_least_loaded_lane_largest_first():
    assert balance([5.0, 4.0, 3.0, 3.0, 3.0], 2) == [[0, 3], [1, 2, 4]]  # loads 8 and 10 (best: 9 and 9)
    assert balance([1.0, 1.0], 2, start=[0.0, 5.0]) == [[0, 1], []]  # a lane that starts late gets nothing
    assert balance([], 3) == [[], [], []]
    rng = random.Random(0)
    costs = [rng.uniform(0, 10) for _ in range(50)]
    lanes = balance(costs, 3)
    loads = [sum(costs[i] for i in lane) for lane in lanes]
    assert sorted(i for lane in lanes for i in lane) == list(range(50))
    assert max(loads) <= sum(costs) / 3 + max(costs)  # LPT's bound
