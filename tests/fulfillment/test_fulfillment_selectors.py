"""Selectors read a fixed number of queries whatever the number of fulfillment orders and lines."""

import pytest

from orders.fulfillment_selectors import fulfillment_orders_for_summary, inventory_levels_page, locations_page
from tests.builders import address, ingest, item, items_by_sku, order_body
from tests.fulfillment.helpers import make_location, place, stock

pytestmark = pytest.mark.django_db


def many_skus_order(count):
    return ingest(order_body(groups=[{
        "referenceId": "g", "deliverTo": address(), "deliveryMethod": "Ground",
        "items": [item(f"S{i}", 1, "5.00", rate=8) for i in range(count)],
    }]))


@pytest.mark.parametrize("orders", [1, 4])
def test_fulfillment_orders_for_summary_costs_two_queries(django_assert_num_queries, orders):
    warehouse = make_location("WH")
    stock("WH", **{f"S{i}": 1 for i in range(orders * 2)})
    summary = many_skus_order(orders * 2)
    items = items_by_sku(summary)
    for index in range(orders):
        place(summary, (warehouse, [(items[f"S{2 * index}"], 1), (items[f"S{2 * index + 1}"], 1)]))

    # The fulfillment orders joined with their location, then every line at once.
    with django_assert_num_queries(2):
        found = fulfillment_orders_for_summary(summary.pk)
        names = [(order.location.name, [line.sku for line in order.lines.all()]) for order in found]
    assert len(names) == orders
    assert names[0] == ("WH", ["S0", "S1"])


def test_pages_follow_the_cursor():
    for index in range(5):
        make_location(f"L{index}")
    stock("L0", A=1, B=2, C=3)
    first = locations_page(limit=2)
    second = locations_page(limit=2, cursor=first.next_cursor)
    third = locations_page(limit=2, cursor=second.next_cursor)
    assert [loc.external_reference for loc in first.rows + second.rows + third.rows] == ["L0", "L1", "L2", "L3", "L4"]
    assert third.next_cursor is None
    levels = inventory_levels_page(location_reference="L0", limit=2)
    rest = inventory_levels_page(location_reference="L0", limit=2, cursor=levels.next_cursor)
    assert [level.sku for level in levels.rows + rest.rows] == ["A", "B", "C"]
