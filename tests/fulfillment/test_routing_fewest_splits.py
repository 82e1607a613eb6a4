"""Fewest-splits routing (DOMAIN.md §4.1) against a brute-force oracle and hand-made cases."""

from decimal import Decimal
from itertools import combinations
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.routing import RoutingSearchTooLarge, fewest_splits, find_routes_with_fewest_splits


def oracle(ordered, available, max_splits, limit=10_000):
    """Every subset of every size, smallest first: slow, obviously right."""
    names = sorted(available)
    demand = {sku: q for sku, q in ordered.items() if q > 0}
    if not demand:
        return []
    for size in range(1, max_splits + 2):
        found = []
        for combo in combinations(names, size):
            if all(sum(available[name].get(sku, 0) for name in combo) >= q for sku, q in demand.items()):
                found.append(combo)
        if found:
            return found[:limit]
    return []


quantities = st.integers(min_value=0, max_value=4).map(Decimal)
skus = st.sampled_from(["A", "B", "C", "D"])


@st.composite
def routing_inputs(draw):
    ordered = draw(st.dictionaries(skus, st.integers(min_value=1, max_value=5).map(Decimal), min_size=1, max_size=4))
    names = draw(st.lists(st.sampled_from([f"L{i:02d}" for i in range(9)]), min_size=0, max_size=7, unique=True))
    available = {name: draw(st.dictionaries(skus, quantities, max_size=4)) for name in names}
    max_splits = draw(st.integers(min_value=0, max_value=4))
    return ordered, available, max_splits


@settings(max_examples=400, deadline=None)
@given(routing_inputs())
def test_matches_brute_force_oracle(data):
    ordered, available, max_splits = data
    assert find_routes_with_fewest_splits(ordered, available, max_splits) == oracle(ordered, available, max_splits)


@settings(max_examples=100, deadline=None)
@given(routing_inputs(), st.integers(min_value=1, max_value=3))
def test_cap_keeps_the_first_sets_in_order(data, limit):
    ordered, available, max_splits = data
    assert find_routes_with_fewest_splits(ordered, available, max_splits, limit=limit) == oracle(
        ordered, available, max_splits, limit
    )


def test_single_location_wins_over_any_split():
    # WH-B alone holds 2 × SHOE and 1 × SOCK, so no pair is reported even though WH-A + WH-C also cover.
    available = {
        "WH-A": {"SHOE": Decimal(2)},
        "WH-B": {"SHOE": Decimal(5), "SOCK": Decimal(1)},
        "WH-C": {"SOCK": Decimal(3)},
    }
    routes = find_routes_with_fewest_splits({"SHOE": Decimal(2), "SOCK": Decimal(1)}, available, 2)
    assert routes == [("WH-B",)]


def test_one_sku_split_between_two_locations():
    # 3 shoes wanted: no location holds 3; A+B (2+1), A+C (2+2) and B+C (1+2) all reach 3.
    available = {"C": {"SHOE": Decimal(2)}, "A": {"SHOE": Decimal(2)}, "B": {"SHOE": Decimal(1)}}
    routes = find_routes_with_fewest_splits({"SHOE": Decimal(3)}, available, 1)
    assert routes == [("A", "B"), ("A", "C"), ("B", "C")]


def test_split_limit_refuses_larger_sets():
    # Needs all three locations (1+1+1), but max 1 split allows two.
    available = {"A": {"X": Decimal(1)}, "B": {"X": Decimal(1)}, "C": {"X": Decimal(1)}}
    assert find_routes_with_fewest_splits({"X": Decimal(3)}, available, 1) == []
    assert find_routes_with_fewest_splits({"X": Decimal(3)}, available, 2) == [("A", "B", "C")]


def test_fractional_quantities_are_compared_exactly():
    # 0.75 + 0.25 = 1.00 covers exactly; 0.74 + 0.25 does not.
    assert find_routes_with_fewest_splits(
        {"FABRIC": Decimal("1.00")}, {"A": {"FABRIC": Decimal("0.75")}, "B": {"FABRIC": Decimal("0.25")}}, 1
    ) == [("A", "B")]
    assert (
        find_routes_with_fewest_splits(
            {"FABRIC": Decimal("1.00")}, {"A": {"FABRIC": Decimal("0.74")}, "B": {"FABRIC": Decimal("0.25")}}, 1
        )
        == []
    )


def test_result_cap_is_ten_thousand():
    # 200 locations each holding the sku alone: 200 single-location routes; with 2 units wanted and 1 per
    # location, every pair qualifies: C(200, 2) = 19,900 pairs, capped at 10,000.
    available = {f"L{i:03d}": {"X": Decimal(1)} for i in range(200)}
    routes = find_routes_with_fewest_splits({"X": Decimal(2)}, available, 1)
    assert len(routes) == 10_000
    # Lexicographic: L000 pairs with the 199 others first, then L001 with 198, ...
    assert routes[0] == ("L000", "L001")
    assert routes[199] == ("L001", "L002")


def test_nothing_ordered_or_nothing_in_stock():
    assert find_routes_with_fewest_splits({}, {"A": {"X": Decimal(1)}}, 3) == []
    assert find_routes_with_fewest_splits({"X": Decimal(1)}, {"A": {"Y": Decimal(9)}}, 3) == []


@settings(max_examples=200, deadline=None)
@given(routing_inputs(), st.integers(min_value=1, max_value=5))
def test_ordered_walk_for_abundant_sets_matches_oracle(data, limit):
    # With the enumeration cap at 0 a size with more than one set falls through to the lexicographic walk.
    ordered, available, max_splits = data
    with patch.object(fewest_splits, "_ENUMERATION_CAP", 0):
        routes = find_routes_with_fewest_splits(ordered, available, max_splits, limit=limit)
    assert routes == oracle(ordered, available, max_splits, limit)


def test_abundant_sets_still_come_in_order():
    # 400 locations with 1 unit each and 2 wanted: C(400, 2) = 79,800 pairs, more than are worth sorting.
    available = {f"L{i:03d}": {"X": Decimal(1)} for i in range(400)}
    routes = find_routes_with_fewest_splits({"X": Decimal(2)}, available, 1)
    assert len(routes) == 10_000
    # L000 pairs with the 399 others (routes 0..398), then L001 with L002.. (route 399 is L001+L002).
    assert routes[0] == ("L000", "L001")
    assert routes[398] == ("L000", "L399")
    assert routes[399] == ("L001", "L002")


def test_a_search_past_its_step_budget_is_refused():
    # 30 locations holding 1 unit of X each, 30 wanted, 29 splits: the ordered walk is long, the budget short.
    available = {f"L{i:02d}": {"X": Decimal(1), "Y": Decimal(1)} for i in range(30)}
    available["L00"] = {"Y": Decimal(1)}
    with pytest.raises(RoutingSearchTooLarge):
        find_routes_with_fewest_splits({"X": Decimal(29), "Y": Decimal(1)}, available, 29, max_steps=10)
    # With room to search it answers: every location but L00 holds X, so exactly one set of 29.
    assert find_routes_with_fewest_splits({"X": Decimal(29), "Y": Decimal(1)}, available, 29) == [
        tuple(f"L{i:02d}" for i in range(1, 30))
    ]
