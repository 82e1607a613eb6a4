"""The faster fewest-splits search against the search it replaced (tests/fulfillment/routing_reference.py).

Both must give the same sets in the same order (DOMAIN.md §4.1: smallest size, lexicographic, capped) on
random inventories: small ones where every branch of the search is reached, sparse and dense ones of the
benchmark's shape, fractional quantities, small result caps and the ordered walk for abundant sets.
"""

import random
from decimal import Decimal
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from orders.routing import RoutingSearchTooLarge, fewest_splits, find_routes_with_fewest_splits
from tests.fulfillment import routing_reference


def random_inventory(seed: int, locations: int, skus: int, share: float, *, fractional: bool = False):
    """`locations` × `skus`, each sku at about `share` of the locations, 1-6 units (or tenths of them)."""
    rng = random.Random(seed)
    unit = Decimal("0.1") if fractional else Decimal(1)
    names = [f"SKU-{j:02d}" for j in range(skus)]
    available = {
        f"LOC-{i:03d}": {sku: rng.randint(1, 6) * unit for sku in names if rng.random() < share}
        for i in range(locations)
    }
    ordered = {sku: rng.randint(1, 4) * unit for sku in names}
    return ordered, available


def both(ordered, available, max_splits, **options):
    return (
        find_routes_with_fewest_splits(ordered, available, max_splits, **options),
        routing_reference.find_routes_with_fewest_splits(ordered, available, max_splits, **options),
    )


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    locations=st.integers(min_value=0, max_value=24),
    skus=st.integers(min_value=1, max_value=8),
    share=st.sampled_from([0.1, 0.2, 0.35, 0.6, 0.9]),
    max_splits=st.integers(min_value=0, max_value=6),
    fractional=st.booleans(),
)
def test_same_routes_as_the_reference_on_random_inventories(seed, locations, skus, share, max_splits, fractional):
    new, old = both(*random_inventory(seed, locations, skus, share, fractional=fractional), max_splits)
    assert new == old


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    locations=st.integers(min_value=2, max_value=24),
    share=st.sampled_from([0.2, 0.35, 0.6, 0.9]),
    max_splits=st.integers(min_value=1, max_value=5),
    limit=st.integers(min_value=1, max_value=12),
    cap=st.sampled_from([0, 3, 50]),
)
def test_same_first_routes_under_a_small_cap_and_the_ordered_walk(seed, locations, share, max_splits, limit, cap):
    # An enumeration cap of 0 or 3 sends every size with more sets than that to the ordered walk.
    ordered, available = random_inventory(seed, locations, 4, share)
    with patch.object(fewest_splits, "_ENUMERATION_CAP", cap), patch.object(routing_reference, "_ENUMERATION_CAP", cap):
        new, old = both(ordered, available, max_splits, limit=limit)
    assert new == old


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32), share=st.sampled_from([0.2, 0.35, 0.6, 0.9]))
def test_same_routes_on_inventories_of_the_benchmark_size(seed, share):
    # 100 locations × 20 skus, ≤ 5 splits: the shape of B7 (tests/bench/bench_routing.py).
    new, old = both(*random_inventory(seed, 100, 20, share), 5)
    assert new == old
    assert new  # at these shares a set of at most 6 locations always exists


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    locations=st.integers(min_value=1, max_value=20),
    max_splits=st.integers(min_value=1, max_value=6),
    max_steps=st.integers(min_value=1, max_value=60),
)
def test_a_search_within_its_step_budget_answers_as_the_reference_does(seed, locations, max_splits, max_steps):
    # Under a tight budget the faster search may answer where the reference gave up, or give up
    # itself; whenever it answers, the answer is the reference's own with no budget at all.
    ordered, available = random_inventory(seed, locations, 5, 0.3)
    try:
        new = find_routes_with_fewest_splits(ordered, available, max_splits, max_steps=max_steps)
    except RoutingSearchTooLarge:
        return
    assert new == routing_reference.find_routes_with_fewest_splits(ordered, available, max_splits)
